"""Batch outputs stay under the runs directory unless a person names an absolute directory."""

from __future__ import annotations

import pytest

from tests.batch.conftest import write_notebook
from tests.helpers import run_cli
from workbench import Config, Workbench
from workbench.errors import OutputOutsideRuns


def _files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("output_dir", ["../../escaped", "../escaped", "a/../../escaped"])
def test_relative_output_dirs_may_not_leave_the_runs_dir(wb, tiny, tmp_path, output_dir):
    before = wb.store.db.query("SELECT count(*) FROM runs")
    with pytest.raises(OutputOutsideRuns, match="outside the runs directory"):
        wb.batch.run(tiny, output_dir=output_dir)
    assert wb.store.db.query("SELECT count(*) FROM runs") == before  # refused before a run exists
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()


def test_a_relative_output_dir_lies_under_the_runs_dir(wb, tiny):
    run = wb.batch.run(tiny, output_dir="weekly/tiny")
    assert run.output_ipynb.parent == wb.config.runs_dir / "weekly" / "tiny"
    assert run.output_ipynb.is_absolute() and run.output_html.is_absolute()


def test_a_symlink_out_of_the_runs_dir_is_refused(wb, tiny, tmp_path):
    wb.config.runs_dir.mkdir(parents=True, exist_ok=True)
    (wb.config.runs_dir / "out").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(OutputOutsideRuns):
        wb.batch.run(tiny, output_dir="out")


def test_absolute_dirs_only_from_a_person(wb, tiny, tmp_path):
    for origin in ("agent", "webhook", "schedule"):
        with pytest.raises(OutputOutsideRuns, match=f"from an? {origin}"):
            wb.batch.run(tiny, output_dir=tmp_path / "chosen", origin=origin)
        with pytest.raises(OutputOutsideRuns):
            wb.batch.start(tiny, output_dir=tmp_path / "chosen", origin=origin)
    assert not (tmp_path / "chosen").exists()
    inside = wb.batch.run(tiny, output_dir=wb.config.runs_dir / "mine", origin="agent")
    assert inside.output_ipynb.parent == wb.config.runs_dir / "mine"
    chosen = wb.batch.run(tiny, output_dir=tmp_path / "chosen")  # a person may
    assert chosen.output_ipynb.parent == tmp_path / "chosen"


def test_a_notebook_named_dots_stays_inside(wb, tmp_path):
    nb = write_notebook(tmp_path / "nbs" / "...ipynb", "x = 1", "print(x)")
    run = wb.batch.run(nb)
    runs_dir = wb.config.runs_dir.resolve()
    assert run.output_ipynb.resolve().is_relative_to(runs_dir), run.output_ipynb
    assert run.output_ipynb.parent == runs_dir / "notebook"
    written = [p for p in _files(tmp_path) if p.suffix in (".ipynb", ".html") and p != nb]
    assert written and all(p.resolve().parent == runs_dir / "notebook" for p in written), written


def test_config_runs_dir_is_where_runs_go(tmp_path, tiny):
    class Elsewhere(Config):
        @property
        def runs_dir(self):
            return tmp_path / "reports"

    wb = Workbench(config=Elsewhere(data_dir=tmp_path / "data"))
    try:
        run = wb.batch.run(tiny)
        assert run.output_ipynb.parent == tmp_path / "reports" / "tiny"
    finally:
        wb.close()


def test_cli_output_dir_that_escapes_is_refused(tmp_path, tiny):
    data = tmp_path / "data"
    result = run_cli("batch", "run", str(tiny), "--output-dir", "../../x", data_dir=data)
    assert result.returncode == 1 and "outside the runs directory" in result.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
