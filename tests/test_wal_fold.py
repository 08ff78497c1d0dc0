"""The write-ahead log is folded into the file by size: a job that wrote a few rows leaves them
in the log, which the next process replays; a large log is folded when the file closes (at
the idle release after a job, or at exit). Nothing committed is lost either way."""

from __future__ import annotations

import subprocess
import sys
import time

from workbench import Config, Workbench
from workbench.store import database
from workbench.store.database import WAL_FOLD_BYTES, wal_bytes

READ_BACK = """
import json, sys
from workbench import Workbench
wb = Workbench(sys.argv[1], recover=False)
# a read-only open (SQL a user wrote) replays the log too
main = int(wb.store.db.untrusted_query(
    "SELECT count(*) AS n FROM snapshot_refs WHERE ref = 'main'")["n"][0])
job = wb.recent_jobs(1)[0]
refs = wb.store.snapshots.refs([job.result["snapshot_id"]])[job.result["snapshot_id"]]
print(json.dumps({"status": job.status, "reused": job.result.get("reused"), "refs": refs,
                  "read_only": main}))
"""


def test_a_reused_snapshot_stays_in_the_log_and_another_process_sees_it(data_dir, sample_repo):
    wb = Workbench(config=Config(data_dir=data_dir, workers=1))
    first = wb.map(str(sample_repo))
    wal = wb.store.db.wal_path
    wb.store.db.release()
    assert wal_bytes(wal) < WAL_FOLD_BYTES  # the snapshot was folded when the file closed
    again = wb.map(str(sample_repo), ref="main")
    assert again.reused and again.id == first.id
    wb.close()
    left = wal_bytes(wal)
    assert 0 < left < WAL_FOLD_BYTES  # the re-map's rows: committed to the log, not folded

    out = subprocess.run([sys.executable, "-c", READ_BACK, str(data_dir)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"status": "succeeded"' in out.stdout and '"reused": true' in out.stdout
    assert '"main"' in out.stdout  # the ref recorded by the re-map, replayed from the log
    assert '"read_only": 2' in out.stdout  # the first map's, in the file, and the re-map's


def test_the_log_never_grows_past_one_jobs_worth_beyond_the_threshold(data_dir, sample_repo):
    wb = Workbench(config=Config(data_dir=data_dir, workers=1))
    wb.map(str(sample_repo))
    wb.store.db.release()
    sizes = []
    for _ in range(6):
        wb.map(str(sample_repo))
        wb.store.db.release()  # what the idle release does after each
        sizes.append(wal_bytes(wb.store.db.wal_path))
    wb.close()
    # a re-map's rows stay in the log until a later re-map's job takes it past the threshold
    # and folds it (what is left then is the note of that checkpoint)
    assert all(size < WAL_FOLD_BYTES for size in sizes)
    assert sum(size > 1024 for size in sizes) >= 2 and sum(size < 1024 for size in sizes) >= 1
    assert [job.status for job in wb.recent_jobs(10)] == ["succeeded"] * 7


def test_closing_folds_a_large_log(data_dir):
    wb = Workbench(data_dir)
    wb.store.db.write(lambda cur: cur.execute(
        "INSERT INTO store_notices (kind, message) SELECT 'test', repeat('x', 200) || range"
        " FROM range(400)"))
    wal = wb.store.db.wal_path
    assert wal_bytes(wal) >= WAL_FOLD_BYTES
    before = wb.store.health.updated_at("last_checkpoint")
    wb.store.db.release()
    assert wal_bytes(wal) < WAL_FOLD_BYTES
    assert len(wb.store.health.notices(limit=1000)) == 400
    noted = wb.store.health.updated_at("last_checkpoint")  # status tells of this fold too
    assert noted is not None and (before is None or noted > before)


def test_a_map_whose_file_is_released_at_once_still_notes_its_checkpoint(data_dir, sample_repo):
    """The log of a map may be folded when the file is closed, before the job's own
    checkpoint looks at it: `workbench status` says it was folded either way."""
    wb = Workbench(config=Config(data_dir=data_dir, workers=1, idle_release=0))
    wb.map(str(sample_repo))
    # closed after each unit of work, the file kept the job's log to the job's end, which
    # folds it on a thread of its own
    assert _folded(wb.store.db.wal_path)
    assert wb.status()["last_checkpoint"] is not None


def _write_notices(wb: Workbench, count: int = 400) -> None:
    """Commit some 80 KB of rows: a log past ``WAL_FOLD_BYTES``."""
    wb.store.db.write(lambda cur: cur.execute(
        "INSERT INTO store_notices (kind, message) SELECT 'test', repeat('x', 200) || range"
        f" FROM range({count})"))


def _folded(wal, timeout: float = 30.0) -> bool:
    """Wait for a log to be folded (on a thread of its own after a job; polled)."""
    deadline = time.monotonic() + timeout
    while wal_bytes(wal) >= WAL_FOLD_BYTES and time.monotonic() < deadline:
        time.sleep(0.02)
    return wal_bytes(wal) < WAL_FOLD_BYTES


def _released(wb: Workbench, timeout: float = 30.0) -> bool:
    """Wait for the idle release to close the file (polled, however busy the machine)."""
    deadline = time.monotonic() + timeout
    while wb.store.db.is_open and time.monotonic() < deadline:
        time.sleep(0.02)
    return not wb.store.db.is_open


def test_a_job_idle_between_its_writes_leaves_its_log_for_its_end(data_dir):
    wb = Workbench(config=Config(data_dir=data_dir, idle_release=0.05))
    wal = wb.store.db.wal_path
    seen = {}

    def work(job):
        _write_notices(wb)
        # idle between two units of work (a map linking): the file is let go of...
        seen["released"] = _released(wb)
        # ...without folding the log, which the next unit of work replays
        seen["left"] = wal_bytes(wal)
        seen["notices"] = len(wb.store.health.notices(limit=1000))
        return {}

    wb.jobs.submit("test", work)
    assert seen["released"]
    assert seen["left"] >= WAL_FOLD_BYTES
    assert seen["notices"] == 400
    # the job's end folds it: the file was closed meanwhile, so it is opened for the fold
    assert _folded(wal)
    assert wb.store.health.updated_at("last_checkpoint") is not None
    wb.close()


def test_a_job_folds_a_log_past_the_jobs_threshold_between_its_writes(data_dir, monkeypatch):
    monkeypatch.setattr(database, "JOB_FOLD_BYTES", 2 * WAL_FOLD_BYTES)
    wb = Workbench(config=Config(data_dir=data_dir, idle_release=0.05))
    wal = wb.store.db.wal_path
    seen = {}

    def work(job):
        _write_notices(wb, 1200)  # some 240 KB: past the (lowered) threshold of a job
        seen["released"] = _released(wb)
        seen["left"] = wal_bytes(wal)
        return {}

    wb.jobs.submit("test", work)
    assert seen["released"] and seen["left"] < WAL_FOLD_BYTES
    wb.close()


def test_outside_a_job_the_idle_release_folds_a_large_log(data_dir):
    wb = Workbench(config=Config(data_dir=data_dir, idle_release=0.05))
    _write_notices(wb)
    assert _released(wb)
    assert wal_bytes(wb.store.db.wal_path) < WAL_FOLD_BYTES
    wb.close()
