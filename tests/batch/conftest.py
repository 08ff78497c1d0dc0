"""Notebooks written by the tests, a workbench on a temp data dir, and the real CLI in the background."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.helpers import ROOT


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Prints its parameters; a data_dir parameter is declared so the workbench fills it in."""
    return write_notebook(
        tmp_path / "nbs" / "tiny.ipynb",
        "name = 'world'\ncount = 1\ndata_dir = None",
        "print('hello ' + name * count)",
        "print('data in', data_dir)",
    )


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nbs" / "failing.ipynb", "x = 1", "y = x + 1",
                          "raise RuntimeError('broken cell')", "print('never')")


@pytest.fixture
def sleepy(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nbs" / "sleepy.ipynb", "seconds = 3",
                          "import time\ntime.sleep(seconds)")


def start_cli(*args: str, data_dir: Path) -> subprocess.Popen:
    """The real ``workbench`` command in the background."""
    return subprocess.Popen([sys.executable, "-m", "workbench", "--data-dir", str(data_dir), *args],
                            cwd=ROOT, env={**os.environ}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
