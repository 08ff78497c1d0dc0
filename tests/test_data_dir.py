"""One data directory from every face: the shell at the checkout root, a kernel in notebooks/,
papermill and the CLI all open the checkout's data/ unless another is configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.helpers import ROOT, invoke_cli
from workbench import Workbench
from workbench.batch.report import run_notebook
from workbench.config import Config, checkout_root, resolve_data_dir


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch) -> Path:
    """A directory laid out like a workbench checkout (the markers checkout_root looks for)."""
    root = tmp_path / "clone"
    (root / "workbench").mkdir(parents=True)
    (root / "workbench" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text('[project]\nname = "workbench"\n')
    (root / "notebooks").mkdir()
    monkeypatch.delenv("WORKBENCH_DATA_DIR", raising=False)
    return root


def test_the_real_checkout_is_found_from_its_notebooks():
    assert checkout_root(ROOT / "notebooks") == ROOT
    assert resolve_data_dir("data", cwd=ROOT / "notebooks") == ROOT / "data"


def test_relative_data_dirs_resolve_from_the_checkout_root(checkout, tmp_path, monkeypatch):
    monkeypatch.chdir(checkout / "notebooks")
    assert Config().data_dir == checkout / "data"
    assert Config(data_dir="data").data_dir == checkout / "data"
    assert Config.from_env({"WORKBENCH_DATA_DIR": "data"}).data_dir == checkout / "data"
    assert Config(data_dir=tmp_path / "elsewhere").data_dir == tmp_path / "elsewhere"
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)  # not a checkout: the working directory, as before
    assert Config().data_dir == outside / "data"


def test_a_workbench_opened_in_notebooks_creates_no_database_there(checkout, monkeypatch):
    monkeypatch.chdir(checkout / "notebooks")
    for wb in (Workbench(), Workbench("data")):
        wb.status()
        wb.close()
    assert (checkout / "data" / "workbench.duckdb").exists()
    assert not (checkout / "notebooks" / "data").exists()


def test_the_cli_in_notebooks_uses_the_checkout_data(checkout):
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_DATA_DIR"}
    out = subprocess.run([sys.executable, "-m", "workbench", "status"], cwd=checkout / "notebooks",
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"data dir:   {checkout / 'data'} " in out.stdout
    assert not (checkout / "notebooks" / "data").exists()


def test_a_kernel_in_notebooks_opens_the_checkout_data(checkout):
    """papermill starts the kernel in the notebook's directory, as JupyterLab does."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("data_dir = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import json, os\nfrom workbench import Workbench\n"
            "a, b = Workbench(data_dir), Workbench('data')\n"
            "print(json.dumps([os.getcwd(), str(a.data_dir), str(b.data_dir)]))\n"
            "a.status(); a.close(); b.close()"),
    ]
    path = checkout / "notebooks" / "where.ipynb"
    nbformat.write(nb, str(path))
    result = run_notebook(path, checkout / "out", {})
    executed = nbformat.read(str(result.notebook), as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    cwd, default, relative = json.loads(text.strip().splitlines()[-1])
    assert Path(cwd) == checkout / "notebooks"
    assert Path(default) == Path(relative) == checkout / "data"
    assert (checkout / "data" / "workbench.duckdb").exists()
    assert not (checkout / "notebooks" / "data").exists()


# -- errors about the data directory name what the user set: the option, the variable, the
# argument, or the default -------------------------------------------------------------------

@pytest.fixture
def plain_file(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("WORKBENCH_DATA_DIR", raising=False)
    path = tmp_path / "plain"
    path.write_text("")
    return path


def _one_line(result, code: int, starts: str, absent: str) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {starts}"), result.stderr
    assert absent not in lines[0], lines[0]
    return lines[0]


def test_a_data_dir_option_that_names_a_file(plain_file):
    line = _one_line(invoke_cli("status", data_dir=plain_file), 2,
                     f"--data-dir {plain_file} is a file, not a directory", "WORKBENCH_DATA_DIR")
    assert line.endswith("(see workbench --help)")


def test_a_data_dir_variable_that_names_a_file(plain_file):
    _one_line(invoke_cli("status", env={"WORKBENCH_DATA_DIR": str(plain_file)}), 2,
              f"WORKBENCH_DATA_DIR='{plain_file}' is a file, not a directory; point the variable",
              "--data-dir")


def test_a_data_dir_below_a_file_names_the_option_or_the_variable(plain_file):
    below = plain_file / "data"
    _one_line(invoke_cli("project", "list", data_dir=below), 1,
              f"--data-dir {below}: {plain_file} is a file where a directory is needed",
              "WORKBENCH_DATA_DIR")
    _one_line(invoke_cli("project", "list", env={"WORKBENCH_DATA_DIR": str(below)}), 1,
              f"WORKBENCH_DATA_DIR='{below}': {plain_file} is a file where a directory",
              "--data-dir")


def test_the_option_wins_over_the_variable_and_is_the_one_named(plain_file, tmp_path):
    below = plain_file / "data"
    _one_line(invoke_cli("project", "list", data_dir=below,
                         env={"WORKBENCH_DATA_DIR": str(tmp_path / "fine")}), 1,
              f"--data-dir {below}:", "WORKBENCH_DATA_DIR")
    assert not (tmp_path / "fine").exists()


def test_a_database_duckdb_cannot_open_names_where_it_came_from(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DATA_DIR", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "workbench.duckdb").write_text("not a database")
    line = _one_line(invoke_cli("status", data_dir=data), 1,
                     f"--data-dir {data}: cannot open database", "WORKBENCH_DATA_DIR")
    assert "choose another data directory" in line
    _one_line(invoke_cli("status", env={"WORKBENCH_DATA_DIR": str(data)}), 1,
              f"WORKBENCH_DATA_DIR='{data}': cannot open database", "--data-dir")


def test_the_default_data_dir_says_it_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # no checkout: ./data
    (tmp_path / "data").write_text("")
    _one_line(invoke_cli("status"), 1,
              f"the default data directory {tmp_path / 'data'} (--data-dir or WORKBENCH_DATA_DIR "
              "choose another):", "WORKBENCH_DATA_DIR=")


def test_python_names_the_argument_or_the_variable(plain_file, monkeypatch):
    from workbench.errors import OutputPathError

    below = plain_file / "data"
    with pytest.raises(OutputPathError, match=f"^data_dir='{below}': {plain_file} is a file"):
        Workbench(below)
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(below))
    with pytest.raises(OutputPathError, match=f"^WORKBENCH_DATA_DIR='{below}': "):
        Workbench()
