"""Portfolio verbs and the executor port on local threads (no cluster needed)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import invoke_cli, run_cli, tiny_repositories
from workbench import Workbench
from workbench.jobs.errors import ExecutorUnavailable
from workbench.jobs.executors import LocalExecutor, executor_kind, open_executor
from workbench.portfolio.errors import PortfolioError
from workbench.portfolio.service import read_project_list


def test_executor_specifications_pick_an_adapter_or_name_the_known_ones():
    assert executor_kind(None) == executor_kind("local") == "local"
    assert executor_kind("tcp://10.0.0.5:8786") == executor_kind("local-cluster:3") == "dask"
    assert isinstance(open_executor("local", threads=3), LocalExecutor)
    with pytest.raises(ExecutorUnavailable, match="known adapters: dask, local"):
        open_executor("kubernetes://cluster")
    with pytest.raises(ExecutorUnavailable, match="cannot run jobs on a int"):
        open_executor(42)


def test_a_missing_dask_extra_fails_with_the_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # the package is not installed
    with pytest.raises(ExecutorUnavailable, match=r"pip install 'workbench\[dask\]'"):
        Workbench(tmp_path / "data", executor="tcp://127.0.0.1:8786")
    monkeypatch.setenv("WORKBENCH_EXECUTOR", "local-cluster")
    with pytest.raises(ExecutorUnavailable, match=r"pip install 'workbench\[dask\]'"):
        Workbench(tmp_path / "data")


def test_map_all_on_threads_maps_each_repository_and_retries_the_failures(tmp_path):
    repos = tiny_repositories(tmp_path / "repos", 3)
    gone = tiny_repositories(tmp_path / "gone", 1)[0]
    seen = []
    with Workbench(tmp_path / "data", background=False) as wb:
        wb.add_project("lost", str(gone))
        shutil.rmtree(gone)  # its clone source vanished: every attempt fails
        run = wb.map_all([str(r) for r in repos] + ["lost"], retries=1, progress=seen.append)
        rows = run.summary.set_index("project")
        assert list(rows.index) == ["src0", "src1", "src2", "lost"]
        assert list(rows["status"]) == ["mapped", "mapped", "mapped", "failed"]
        assert rows.loc["src0", "nodes"] == 4 and rows.loc["src0", "edges"] == 3
        assert rows.loc["lost", "attempts"] == 2 and rows.loc["lost", "error"]
        # a failed row's missing counts leave the others integers (4, not 4.0)
        assert all(str(rows[c].dtype) == "Int64" for c in ("job_id", "snapshot_id", "nodes"))
        assert run.failed == ["lost"]
        assert seen[-1].done == seen[-1].total == 4 and "3/4 mapped, 1 failed" in seen[-1].message
        assert {j.status for j in wb.recent_jobs() if j.project_id != wb.store.projects.get(
            "lost").id} == {"succeeded"}
        again = wb.map_all(["src0", "src1"])  # the same commits: their maps are reused
        assert list(again.summary["status"]) == ["reused", "reused"]
        # a reused map reports its own time, not the time of the map it reuses
        assert (again.summary["seconds"] <= again.seconds).all()
        assert "2/2 repositories mapped" in again.to_text()


def test_map_all_without_projects_and_project_lists(tmp_path):
    with Workbench(tmp_path / "data", background=False) as wb:
        with pytest.raises(PortfolioError, match="workbench add NAME SOURCE"):
            wb.map_all()
    listing = tmp_path / "list.txt"
    listing.write_text("# the portfolio\nflask\n\n  /srv/repos/django  # a path\n")
    assert read_project_list(listing) == ["flask", "/srv/repos/django"]
    with pytest.raises(PortfolioError, match="one project name, URL or path a line"):
        read_project_list(tmp_path / "missing.txt")


def test_cli_map_all_and_from_file_print_the_summary(tmp_path: Path):
    repos = tiny_repositories(tmp_path / "repos", 2)
    listing = tmp_path / "portfolio.txt"
    listing.write_text("\n".join(str(r) for r in repos) + "\n")
    data = tmp_path / "data"
    done = run_cli("map", "--from", str(listing), "--executor", "local", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert "2/2 repositories mapped" in done.stdout and "src1" in done.stdout


def test_a_bad_line_of_the_project_list_is_its_own_failed_row(tmp_path: Path):
    repos = tiny_repositories(tmp_path / "repos", 2)
    listing = tmp_path / "portfolio.txt"
    listing.write_text(f"{repos[0]}\nno-such-project\n{tmp_path}/no/such/dir\n{repos[1]}\n")
    data = tmp_path / "data"
    done = invoke_cli("map", "--from", str(listing), "--executor", "local", data_dir=data)
    assert done.returncode == 1, done.stderr
    assert "2/4 repositories mapped" in done.stdout
    rows = [line.split() for line in done.stdout.splitlines()[1:5]]
    assert [(r[0], r[1]) for r in rows] == [("src0", "mapped"), ("no-such-project", "failed"),
                                            (f"{tmp_path}/no/such/dir", "failed"), ("src1", "mapped")]
    assert "no project named 'no-such-project'" in done.stdout
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: 2 of 4 repositories failed"), done.stderr
    with Workbench(data, background=False) as wb:
        run = wb.map_all(["ghost"])  # nothing else to map: still a summary, not an exception
        assert run.failed == ["ghost"] and list(run.summary["attempts"]) == [0]


def test_portfolio_panel_maps_all_projects_with_one_bar(tmp_path):
    from workbench.widgets import PortfolioPanel

    repos = tiny_repositories(tmp_path / "repos", 2)
    with Workbench(tmp_path / "data", background=False) as wb:
        for repo in repos:
            wb.add_project(repo.name, str(repo))
        panel = PortfolioPanel(wb)
        assert "executor <b>local</b>" in panel.to_html() and "src1" in panel.to_html()
        panel.start()
        panel.wait(120)
        assert panel.bar.value == panel.bar.max == 2 and "2/2 mapped" in panel.line.value
        frame = panel.frame().set_index("project")
        assert list(frame["last_run"]) == ["mapped", "mapped"]
        assert frame.loc["src0", "snapshot"] == panel.run.summary.set_index("project").loc[
            "src0", "snapshot_id"]
        assert "last run: 2/2 mapped" in panel.output.value


@pytest.mark.slow
def test_report_all_runs_each_projects_notebook_in_parallel(tmp_path):
    repos = tiny_repositories(tmp_path / "repos", 2)
    with Workbench(tmp_path / "data", background=False) as wb:
        wb.map_all([str(r) for r in repos])
        frame = wb.report_all().set_index("project")
        assert list(frame["status"]) == ["succeeded", "succeeded"], frame.to_string()
        for name in ("src0", "src1"):
            html = Path(frame.loc[name, "html"])
            assert html.is_file() and html.parent.name == name
            assert name in html.read_text(errors="replace")


def test_a_summary_error_is_never_blank():
    from workbench.portfolio.errors import PortfolioError
    from workbench.portfolio.service import _describe, _first_line

    assert _first_line(_describe(KeyError())) == "KeyError"
    assert _first_line(_describe(OSError("\ndisk full\nmore"))) == "OSError: disk full"
    assert _first_line(_describe(PortfolioError("no projects"))) == "no projects"
    assert _first_line("\n  \n") is None
