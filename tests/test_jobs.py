"""Maps run as job rows with progress, success and failure recorded."""

from __future__ import annotations

import pytest

from workbench.errors import GitFailed, JobFailed


def test_a_map_is_a_succeeded_job_with_progress(wb, sample_repo):
    seen = []
    snap = wb.map(str(sample_repo), progress=lambda p: seen.append((p.done, p.total, p.message, p.status)))
    job = wb.recent_jobs(1)[0]
    assert (job.type, job.status, job.attempts) == ("map", "succeeded", 1)
    assert job.result["snapshot_id"] == snap.id and job.result["commit"] == snap.commit
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert seen[0][2] == "syncing repository" and seen[-1][3] == "succeeded"
    assert any(m == "parsing" for _, _, m, _ in seen)
    assert wb.store.db.query("SELECT job_id FROM snapshots") == [(job.id,)]


def test_a_failed_map_records_the_error(wb, tmp_path):
    broken = tmp_path / "nothing"
    broken.mkdir()
    (broken / ".git").mkdir()
    with pytest.raises(GitFailed):
        wb.map(str(broken))
    job = wb.recent_jobs(1)[0]
    assert job.status == "failed" and job.error.startswith("cloning")
    assert wb.project("nothing").info.status == "failed"


def test_background_maps_return_a_handle(wb, sample_repo):
    handle = wb.map(str(sample_repo), wait=False)
    result = handle.result(timeout=120)
    assert handle.done() and handle.info().status == "succeeded"
    assert wb.snapshot("shop").id == result["snapshot_id"]


def test_unexpected_errors_become_job_failed(wb):
    def boom(job):
        raise ValueError("bad thing")

    with pytest.raises(JobFailed) as err:
        wb.jobs.submit("test", boom)
    assert err.value.job_id == wb.recent_jobs(1)[0].id
    assert "bad thing" in wb.recent_jobs(1)[0].error


@pytest.mark.parametrize("beside", ["heartbeat", "progress"])
def test_a_write_beside_a_jobs_last_transaction_cannot_undo_its_end(tmp_path, monkeypatch, beside):
    """A heartbeat (or a progress report) whose transaction began before the job's last one
    committed must fail with a conflict, which ``Database.write`` retries, not write the row
    back as it saw it: with ``UPDATE ... RETURNING`` DuckDB 1.5 raised no conflict and a
    finished job came back as running."""
    import duckdb

    from workbench.store import Store

    store = Store(tmp_path / "wb.duckdb")
    job_id = store.jobs.create("map", None, {}, running=True)
    with store.db.session() as stale:
        stale.execute("BEGIN TRANSACTION")
        assert stale.execute("SELECT status FROM jobs WHERE id = ?", [job_id]).fetchone() == (
            "running",)
        store.jobs.finish(job_id, {"snapshot_id": 1})  # commits beside the open transaction
        monkeypatch.setattr(store.db, "write", lambda fn, **_: fn(stale))
        with pytest.raises(duckdb.TransactionException, match="Conflict"):
            if beside == "heartbeat":
                store.jobs.heartbeat([job_id])
            else:
                store.jobs.progress(job_id, 3, 10, "still going")
        stale.execute("ROLLBACK")
    monkeypatch.undo()
    assert store.jobs.get(job_id).status == "succeeded"


def test_a_cancel_asked_elsewhere_reaches_a_step_without_progress_and_the_last_transaction(
        wb, tmp_path):
    """A cancel asked for from another process (its own database connection here) stops a
    job at its next checkpoint, without a heartbeat in between; one asked for after that,
    before the job's last transaction commits, rolls that transaction back with its work."""
    import time

    from workbench.errors import JobCancelled
    from workbench.jobs import runner
    from workbench.store import Store

    wb.store.db.write(lambda cur: cur.execute("CREATE TABLE written (x INTEGER)"))
    elsewhere = Store(wb.store.path)  # a second gateway to the file, as another process has
    wb.jobs.heartbeat_interval = 600  # no heartbeat passes the request on in this test

    def step_without_progress(job):
        elsewhere.jobs.request_cancel(job.id)
        asked = time.monotonic()
        while time.monotonic() - asked < 30 * runner.CANCEL_POLL:  # only checkpoints
            job.check_cancel()
            time.sleep(0.05)
        return {}

    with pytest.raises(JobCancelled):
        wb.jobs.submit("test", step_without_progress)
    assert wb.recent_jobs(1)[0].status == "cancelled"

    def cancelled_before_its_end(job):
        def last(cur):
            cur.execute("INSERT INTO written VALUES (1)")
            elsewhere.jobs.request_cancel(job.id)  # commits while this transaction is open
            job.finish_in(cur, {"done": True})

        wb.store.db.write(last)
        return {"done": True}

    with pytest.raises(JobCancelled):
        wb.jobs.submit("test", cancelled_before_its_end)
    assert wb.recent_jobs(1)[0].status == "cancelled"
    assert wb.store.db.query("SELECT count(*) FROM written") == [(0,)]
