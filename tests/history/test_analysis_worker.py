"""A long history is analysed in a worker process: same metrics and coupling as in-process,
a clear error when the worker fails, and a cancel that stops it."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import commit, git, init_repo, write
from workbench import Config, Workbench
from workbench.errors import WorkbenchError
from workbench.history.analysis import AnalysisRequest, analyse_in_worker
from workbench.history.errors import HistoryError, MiningCancelled
from workbench.history.service import HistoryService
from workbench.repos.sources import parse_source


def _prepare_both(wb: Workbench, name: str, repo_path):
    project = wb.add_project(name, str(repo_path))
    repo = wb.clones.sync(name, parse_source(str(repo_path)))
    head = wb.clones.resolve(repo, None)
    HistoryService(wb.store).sync(project.id, repo, head)
    files = {e.path: e.blob_sha for e in wb.clones.tree(repo, head)}
    here = HistoryService(wb.store, worker_min_commits=10**9).prepare(project.id, repo, head,
                                                                       files=files)
    there = HistoryService(wb.store, worker_min_commits=0).prepare(project.id, repo, head,
                                                                    files=files)
    return here, there


def test_renames_merges_and_mailmap_give_the_same_metrics_in_a_worker(wb, scenario):
    here, there = _prepare_both(wb, "scenario", scenario.path)
    assert len(here.metrics) >= 4
    assert here.metrics["path"].isin(["src/main.py"]).any()  # the rename was followed
    pd.testing.assert_frame_equal(there.metrics, here.metrics)
    pd.testing.assert_frame_equal(there.coupling, here.coupling)
    pd.testing.assert_frame_equal(there.commits, here.commits)


BODY = "".join(f"LINE_{n} = {n}\n" for n in range(12))  # enough for git to see the rename


def test_coupling_computed_in_a_worker_equals_in_process(wb, tmp_path):
    repo = init_repo(tmp_path / "pairs")
    for i in range(7):
        write(repo, {"a.py": f"A = {i}\n", "b.py": f"B = {i}\n" + BODY, f"c{i % 2}.py": f"C = {i}\n"})
        commit(repo, f"step {i}", f"2026-01-0{i + 1}T10:00:00+00:00")
    git(repo, "mv", "b.py", "bee.py")
    write(repo, {"a.py": "A = 9\n", "bee.py": "B = 9\n" + BODY})
    commit(repo, "rename b", "2026-01-09T10:00:00+00:00")
    here, there = _prepare_both(wb, "pairs", repo)
    assert len(here.coupling) >= 1
    assert {"a.py", "bee.py"} <= set(here.coupling[["path_a", "path_b"]].values.ravel())
    pd.testing.assert_frame_equal(there.coupling, here.coupling)
    pd.testing.assert_frame_equal(there.metrics, here.metrics)


def _stored_metrics(tmp_path, source, workers_from: int) -> tuple[list, list]:
    data = tmp_path / f"data-{workers_from}"
    bench = Workbench(config=Config.from_env(data_dir=data, history_worker_commits=workers_from))
    try:
        snap = bench.map(str(source), name="repo")
        rows = bench.store.db.query(
            "SELECT * EXCLUDE (snapshot_id) FROM file_metrics WHERE snapshot_id = ?"
            " ORDER BY path", [snap.id])
        return rows, snap.history_truncated_at
    finally:
        bench.close()


def test_a_map_with_the_worker_stores_what_a_map_without_it_stores(tmp_path, scenario):
    here = _stored_metrics(tmp_path, scenario.path, 10**9)
    there = _stored_metrics(tmp_path, scenario.path, 0)
    assert here[0] and here == there


def test_a_shallow_history_is_truncated_the_same_way_in_a_worker(tmp_path, scenario):
    import subprocess

    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=3", f"file://{scenario.path}", str(clone)],
                   check=True)
    here = _stored_metrics(tmp_path, clone, 10**9)
    there = _stored_metrics(tmp_path, clone, 0)
    assert here[1] and here == there  # the boundary commits, and every metric


def _request(rows: int) -> AnalysisRequest:
    import pyarrow as pa

    shas = [f"{i:040x}" for i in range(rows)]
    commits = pd.DataFrame({
        "sha": shas, "author_name": "A", "author_email": "a@example.com",
        "authored_at": pd.Timestamp("2026-01-01", tz="UTC"),
        "committed_at": pd.Timestamp("2026-01-01", tz="UTC"), "truncated": None})
    changes = pa.table({"sha": shas, "path": [f"f{i % 50}.py" for i in range(rows)],
                        "old_path": pa.nulls(rows, pa.string()), "added": [1] * rows,
                        "deleted": [0] * rows})
    return AnalysisRequest(commits, changes, shas, pd.DataFrame(columns=["sha", "path"]))


def test_a_failing_worker_raises_a_history_error_with_its_reason():
    request = _request(10)
    request.commits = request.commits.drop(columns=["author_email"])
    with pytest.raises(HistoryError, match=r"worker process failed \(exit status 1\): KeyError"
                       ) as failed:
        analyse_in_worker(request)
    assert isinstance(failed.value, WorkbenchError)


def test_a_cancel_kills_the_worker():
    # the first check comes after 10 ms: before a fresh interpreter has even loaded pandas
    with pytest.raises(MiningCancelled):
        analyse_in_worker(_request(200_000), cancel=lambda: True, poll=0.01)


def test_a_request_larger_than_a_pipe_goes_through_while_the_parent_polls():
    """Megabytes each way, checked for a cancel every 10 ms meanwhile; the Arrow changes
    become the DataFrame the store's reads give."""
    from workbench.history.analysis import analyse

    request = _request(100_000)
    metrics, _, commits = analyse_in_worker(request, cancel=lambda: False, poll=0.01)
    in_process, _, _ = analyse(request)
    pd.testing.assert_frame_equal(metrics, in_process)
    pd.testing.assert_frame_equal(commits, request.commits)
    assert metrics["commits_total"].sum() == 100_000
