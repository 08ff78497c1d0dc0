"""Batch runs execute real notebooks with papermill and are recorded in the runs table."""

from __future__ import annotations

import json
import os
import tempfile
import threading

import nbformat
import pytest

from tests.batch.conftest import start_cli, write_notebook
from workbench import Workbench
from workbench.errors import RunFailed

pytestmark = pytest.mark.slow


def _stdout(path) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_a_run_is_recorded_with_its_outputs(wb, tiny):
    run = wb.batch.run(tiny, {"name": "ab", "count": 2})
    assert run.ok and run.status == "succeeded" and run.error is None and run.error_cell is None
    assert run.parameters == {"name": "ab", "count": 2, "data_dir": str(wb.data_dir)}
    assert run.notebook == str(tiny.resolve()) and run.schedule_id is None
    assert run.started_at <= run.finished_at and run.duration_seconds > 0
    assert run.output_ipynb.parent == wb.data_dir / "runs" / "tiny"
    assert run.output_ipynb.name.endswith("Z-tiny.ipynb") and run.output_html.suffix == ".html"
    out = _stdout(run.output_ipynb)
    assert "hello abab" in out and f"data in {wb.data_dir}" in out
    assert "<html" in run.output_html.read_text()
    assert wb.batch.runs() == [run] and wb.batch.get_run(run.id) == run
    assert run.raise_for_status() is run


def test_output_dir_and_an_explicit_data_dir_win(wb, tiny, tmp_path):
    run = wb.batch.run(tiny, {"data_dir": "elsewhere"}, output_dir=tmp_path / "out")
    assert run.output_ipynb.parent == tmp_path / "out" and run.parameters == {"data_dir": "elsewhere"}
    assert "data in elsewhere" in _stdout(run.output_ipynb)


def test_a_failing_notebook_is_recorded_with_its_cell(wb, failing):
    run = wb.batch.run(failing)
    assert run.status == "failed" and not run.ok
    assert run.error_cell == 3 and run.error == "RuntimeError: broken cell"
    assert run.output_ipynb.is_file() and run.output_html.is_file()  # to see what went wrong
    with pytest.raises(RunFailed) as err:
        run.raise_for_status()
    assert err.value.cell == 3 and err.value.run_id == run.id
    assert "in cell 3: RuntimeError: broken cell" in str(err.value)
    assert [r.status for r in wb.batch.runs()] == ["failed"]


def test_three_runs_at_once_in_separate_processes(data_dir, tiny):
    Workbench(data_dir).store.schema_version()  # create the file first, as a user would
    procs = [start_cli("batch", "run", str(tiny), "-p", "name", f"p{i}", data_dir=data_dir)
             for i in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    runs = Workbench(data_dir).batch.runs()
    assert len(runs) == 3 and {r.status for r in runs} == {"succeeded"}
    assert sorted(r.parameters["name"] for r in runs) == ["p0", "p1", "p2"]
    outputs = {r.output_ipynb for r in runs}
    assert len(outputs) == 3 and all(p.is_file() for p in outputs)
    assert all(r.output_html.is_file() for r in runs)
    for r in runs:  # each output is its own run's
        assert f"hello {r.parameters['name']}" in _stdout(r.output_ipynb)
    assert sorted(p.name for p in (data_dir / "runs" / "tiny").iterdir()) == sorted(
        [p.name for p in outputs] + [r.output_html.name for r in runs])


def test_report_results_still_work_through_run_notebook(tmp_path, tiny):
    from workbench.batch.report import ReportResult, run_notebook

    first = run_notebook(tiny, tmp_path / "o", {"name": "r"})
    second = run_notebook(tiny, tmp_path / "o", {"name": "r"})
    assert isinstance(first, ReportResult) and first.notebook != second.notebook
    assert first.html.is_file() and second.html.is_file()
    assert json.loads(first.notebook.read_text())["cells"]


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets are a POSIX transport")
def test_kernels_use_private_unix_sockets_not_tcp_ports(tmp_path, monkeypatch):
    """Concurrent runs cannot race for a TCP port the kernel has not bound yet."""
    from workbench.batch.report import run_notebook

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    nb = write_notebook(
        tmp_path / "nbs" / "transport.ipynb", "x = 0",
        "from ipykernel.connect import get_connection_info\n"
        "info = get_connection_info(unpack=True)\n"
        "print('transport', info['transport'], info['ip'])",
    )
    result = run_notebook(nb, tmp_path / "o", {})
    out = _stdout(result.notebook)
    assert "transport ipc " + str(tmp_path / "tmp") in out, out
    assert list((tmp_path / "tmp").iterdir()) == []  # the socket directory is gone


def test_a_run_leaves_the_callers_directory_and_environment_alone(tmp_path, monkeypatch):
    """Runs execute on job threads of a user's kernel: its cwd and environment are not theirs."""
    from workbench.batch.report import run_notebook

    monkeypatch.delenv("WORKBENCH_BACKGROUND", raising=False)
    monkeypatch.chdir(tmp_path)
    nb = write_notebook(
        tmp_path / "nbs" / "where.ipynb", "x = 0",
        "import os\nprint('cwd', os.getcwd())\nprint('flag', os.environ.get('WORKBENCH_BACKGROUND'))",
    )
    seen = []
    runner = threading.Thread(target=lambda: seen.append(run_notebook(nb, tmp_path / "o", {})))
    runner.start()
    while runner.is_alive():  # the caller's view while the run is under way
        assert os.getcwd() == str(tmp_path) and "WORKBENCH_BACKGROUND" not in os.environ
        runner.join(0.05)
    out = _stdout(seen[0].notebook)
    assert f"cwd {tmp_path / 'nbs'}" in out and "flag 0" in out
