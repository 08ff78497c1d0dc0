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
