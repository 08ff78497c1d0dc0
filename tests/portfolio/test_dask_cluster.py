"""Jobs on a real Dask ``LocalCluster``: two worker processes on 127.0.0.1.

Workers map into private stores and write Parquet; this process ingests it. One test kills a
worker process in the middle of a portfolio run.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from tests.helpers import (commit, init_repo, run_cli, tiny_repositories,  # noqa: E402
                           wait_until, write)
from workbench import Workbench  # noqa: E402
from workbench.config import Config  # noqa: E402
from workbench.errors import JobCancelled  # noqa: E402
from workbench.portfolio.parquet import read_tables  # noqa: E402

pytestmark = pytest.mark.slow
DEADLINE = 120.0


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as local:
        with distributed.Client(local) as client:  # both workers import the workbench at once
            client.run(exec, "import workbench.facade, workbench.portfolio.remote")
        yield local


@pytest.fixture
def wb(tmp_path, cluster):
    config = Config(data_dir=tmp_path / "data", worker_dir=str(tmp_path / "workers"),
                    retry_delay=0.2)
    bench = Workbench(config=config, executor=cluster, background=False)
    yield bench
    bench.close()




def _package_repo(path: Path, modules: int) -> Path:
    """A repository whose map takes a moment: ``modules`` modules importing each other."""
    repo = init_repo(path)
    files = {"pkg/__init__.py": ""}
    for i in range(modules):
        body = "".join(f"from pkg import m{j}\n" for j in range(max(0, i - 3), i))
        body += "".join(f"\n\ndef f{k}(x):\n    return x + {k}\n" for k in range(5))
        files[f"pkg/m{i}.py"] = body
    write(repo, files)
    commit(repo, "modules")
    return repo


def test_cluster_maps_are_parquet_ingested_by_one_writer(tmp_path, wb, cluster):
    repos = tiny_repositories(tmp_path / "repos", 3)
    run = wb.map_all([str(r) for r in repos])
    rows = run.summary.set_index("project")
    assert list(rows["status"]) == ["mapped"] * 3
    workers = set(wb.executor.client.scheduler_info()["workers"])
    assert set(rows["worker"]) <= workers
    assert run.ingest_rows > 0 and run.executor["workers"] == 2

    # DuckDB reads the exported Parquet in place, without ingesting
    counts = dict(wb.store.db.query(
        f"SELECT project, count(*) FROM {wb.parquet_sql('nodes')} GROUP BY project"))
    assert counts == {"src0": 4, "src1": 4, "src2": 4}

    # the manifest's tables hold the snapshot and its history; ingesting it again adds nothing
    job = wb.job(int(rows.loc["src1", "job_id"]))
    manifests = sorted((Path(wb.config.parquet_root) / "manifests" / "project=src1").glob("*.json"))
    import json

    manifest = json.loads(manifests[-1].read_text())
    tables = read_tables(manifest)
    assert tables["commits"].num_rows == 1 and tables["nodes"].num_rows == 4
    before = wb.store.db.query("SELECT count(*) FROM snapshots")[0][0]
    again = wb.portfolio.ingestor.ingest(manifest, project_id=job.project_id)
    assert again["reused"] and again["snapshot_id"] == rows.loc["src1", "snapshot_id"]
    assert wb.store.db.query("SELECT count(*) FROM snapshots")[0][0] == before
    assert wb.store.db.query("SELECT count(*) FROM commits")[0][0] == 3


def _rows(wb, project: str) -> dict[str, list[tuple]]:
    """Every exported table's rows for ``project``'s newest snapshot, without the store's own
    ids and clocks, sorted."""
    from workbench.portfolio.parquet import HISTORY_TABLES, SNAPSHOT_TABLES

    db = wb.store.db
    project_id = wb.store.projects.get(project).id
    snapshot_id = db.query("SELECT max(id) FROM snapshots WHERE project_id = ?", [project_id])[0][0]
    out = {}
    for table in (*SNAPSHOT_TABLES, *HISTORY_TABLES, "file_facts"):
        columns = [c for (c,) in db.query(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = "
            "'main' ORDER BY column_index", [table])
            if c not in ("snapshot_id", "project_id", "updated_at", "created_at",
                          "recorded_at")]
        where, key = (("snapshot_id = ?", snapshot_id) if table in SNAPSHOT_TABLES else
                      ("project_id = ?", project_id) if table in HISTORY_TABLES else
                      ("blob_sha IN (SELECT blob_sha FROM files WHERE snapshot_id = ?)",
                       snapshot_id))
        names = ", ".join(f'"{c}"' for c in columns)
        out[table] = db.query(
            f"SELECT {names} FROM {table} WHERE {where} ORDER BY ALL", [key])
    return out


def test_a_cluster_map_equals_a_local_map_in_every_table(tmp_path, wb):
    repo = init_repo(tmp_path / "rich")
    write(repo, {".mailmap": "Ada Lovelace <ada@example.com> <ada@old.example>\n",
                 "pkg/__init__.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                 "    from pkg import b\n",
                 "pkg/a.py": "import os\n\n\ndef f():\n    from pkg import b\n    return b\n",
                 "pkg/b.py": "import pkg.a\n\n\ndef g():\n    return 1\n"})
    commit(repo, "one")
    write(repo, {"pkg/b.py": "import pkg.a\n\n\ndef g():\n    return 2\n"})
    commit(repo, "two", date="2026-01-02T12:00:00+00:00")
    wb.map(str(repo))
    there = _rows(wb, "rich")
    with Workbench(tmp_path / "local", background=False) as local:
        local.map(str(repo))
        here = _rows(local, "rich")
    assert set(there) == set(here)
    for table in here:
        assert there[table] == here[table], table
    assert here["snapshot_mailmaps"] and here["commits"] and here["file_metrics"]
    contexts = wb.store.db.query("SELECT DISTINCT context FROM module_imports WHERE context"
                                 " IS NOT NULL ORDER BY 1")
    assert [c for (c,) in contexts] == ["deferred", "import_time", "type_checking"]


def test_killing_a_worker_mid_run_finishes_its_repositories_on_the_other(tmp_path, wb, cluster):
    repos = [_package_repo(tmp_path / f"repo{i}", 20) for i in range(2)]
    client = wb.executor.client
    pids = client.run(os.getpid)  # {worker address: pid}
    outcome: dict = {}
    runner = threading.Thread(
        target=lambda: outcome.update(run=wb.map_all([str(r) for r in repos], retries=0)))
    runner.start()

    def busy_worker():
        for address, keys in client.processing().items():
            maps = [k for k in keys if str(k).startswith("map-")]
            if maps and address in pids:
                return address, maps[0]
        return None

    victim, key = wait_until(busy_worker, "a worker to start a map")
    os.kill(pids[victim], signal.SIGKILL)
    runner.join(DEADLINE)
    assert not runner.is_alive(), "the portfolio run did not finish"
    rows = outcome["run"].summary.set_index("project")
    assert list(rows["status"]) == ["mapped"] * 2, rows.to_string()
    project = str(key).split("-")[1]
    assert rows.loc[project, "worker"] != victim  # finished elsewhere
    assert not [j for j in wb.recent_jobs(50) if j.status in ("running", "queued")]
    assert wb.store.db.query("SELECT count(*) FROM snapshots")[0][0] == 2


def test_cancel_and_retry_a_cluster_map_like_a_local_one(tmp_path, wb):
    repo = _package_repo(tmp_path / "big", 300)
    handle = wb.map(str(repo), wait=False)
    # any progress from the worker means the map is under way there (a fast map may pass
    # through a single phase between two polls, so no particular phase is waited for)
    wait_until(lambda: wb.job(handle.id).status == "running" and wb.job(handle.id).message,
               "the worker's progress to reach the job row", interval=0.02)
    wb.cancel(handle.id)
    with pytest.raises(JobCancelled):
        handle.result(DEADLINE)
    assert wb.job(handle.id).status == "cancelled"
    assert wb.store.db.query("SELECT count(*) FROM snapshots")[0][0] == 0
    again = wb.retry(handle.id, wait=True)
    result = again.result(DEADLINE)
    assert wb.job(handle.id).status == "succeeded" and result["snapshot_id"]
    assert wb.snapshot("big").stats["files"] == 301


def test_cli_map_all_on_the_cluster_by_address(tmp_path, cluster):
    repos = tiny_repositories(tmp_path / "repos", 2)
    data = tmp_path / "data"
    with Workbench(data, background=False) as wb:
        for repo in repos:
            wb.add_project(repo.name, str(repo))
    done = run_cli("map", "--all", data_dir=data,
                   env={"WORKBENCH_EXECUTOR": cluster.scheduler_address,
                        "WORKBENCH_WORKER_DIR": str(tmp_path / "workers")})
    assert done.returncode == 0, done.stderr
    assert "2/2 repositories mapped" in done.stdout and "on dask (2 workers" in done.stdout
    assert (data / "parquet" / "nodes" / "project=src1").is_dir()


def test_a_task_ending_as_the_executor_looks_returns_its_result(cluster):
    """The executor looks for the result every ``poll_interval``; a task that ends just as one
    look times out still gives its result (a timed ``result()`` of distributed raised
    UnboundLocalError then: with a 1 ms look, in every one of 400 such tasks)."""
    import random
    import time

    from workbench.jobs.executors import DaskExecutor

    def task(spec, report, cancelled):
        time.sleep(spec["seconds"])
        return spec["n"]

    executor = DaskExecutor(cluster, poll_interval=0.001)
    try:
        answers = [executor.run(task, {"n": n, "seconds": random.random() * 0.004},
                                key=f"short-{n}", report=lambda *a: None,
                                cancelled=lambda: False) for n in range(60)]
    finally:
        executor.close()
    assert answers == list(range(60))
