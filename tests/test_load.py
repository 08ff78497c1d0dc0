"""Load: 200 map jobs queued at once finish with bounded concurrency; none lost or run twice."""

from __future__ import annotations

import resource
import threading
from pathlib import Path

from tests.helpers import tiny_repositories
from workbench import Workbench
from workbench.config import Config

JOBS = 200
THREADS = 4


def test_two_hundred_background_maps(tmp_path: Path):
    sources = tiny_repositories(tmp_path)
    # blame left out: a git process per file and map, and not what this load is about
    wb = Workbench(config=Config(data_dir=tmp_path / "data", job_threads=THREADS, workers=1,
                                 blame=False), background=True)
    lock = threading.Lock()
    running: set[int] = set()
    peak = 0
    finished: list[int] = []

    def watch(p):
        nonlocal peak
        with lock:
            if p.status == "running":
                running.add(p.job_id)
                peak = max(peak, len(running))
            else:
                running.discard(p.job_id)
                finished.append(p.job_id)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    handles = [wb.map(str(sources[i % 5]), name=f"p{i:03d}", progress=watch) for i in range(JOBS)]
    results = [h.result(timeout=300) for h in handles]
    wb.close()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    assert 1 <= peak <= THREADS
    assert sorted(finished) == sorted(h.id for h in handles)  # each job ended exactly once
    rows = wb.store.db.query("SELECT status, attempts, count(*) FROM jobs GROUP BY ALL")
    assert rows == [("succeeded", 1, JOBS)]
    snaps = wb.store.db.query("SELECT count(*), count(DISTINCT job_id), count(DISTINCT project_id) "
                              "FROM snapshots")
    assert snaps == [(JOBS, JOBS, JOBS)]
    assert {r["snapshot_id"] for r in results} == {r[0] for r in wb.store.db.query("SELECT id FROM snapshots")}
    assert (rss_after - rss_before) < 1_000_000  # KiB: the queue holds closures, not results
