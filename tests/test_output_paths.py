"""A file or directory to write that cannot be written is one ``error:`` line naming the path and
what to do, exit 1, and an :class:`OutputPathError` from the Python API: exports, reports, batch
runs and the data directory alike (no raw ``IsADirectoryError`` or ``FileExistsError``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batch.conftest import write_notebook
from tests.helpers import commit, init_repo, invoke_cli, run_cli, write
from workbench.errors import OutputPathError

UNWRITABLE = Path("/proc")  # exists, and no file or directory can be made in it
needs_proc = pytest.mark.skipif(not (UNWRITABLE / "self").exists(), reason="needs Linux /proc")


@pytest.fixture(scope="module")
def mapped(tmp_path_factory) -> Path:
    """A data directory where project ``tiny`` is mapped."""
    root = tmp_path_factory.mktemp("mapped")
    repo = init_repo(root / "tiny")
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "import os\n"})
    commit(repo, "one")
    data = root / "data"
    done = invoke_cli("map", str(repo), "-q", data_dir=data)
    assert done.returncode == 0, done.stderr
    return data


def _refused(result, *fragments: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "unexpected" not in lines[0] and "Errno" not in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("fmt", ["json", "graphml", "gexf", "dot"])
def test_export_to_a_directory_asks_for_a_file(mapped, tmp_path, fmt):
    target = tmp_path / f"dir.{fmt}"
    target.mkdir()
    result = invoke_cli("export", "tiny", str(target), "--format", fmt, data_dir=mapped)
    _refused(result, str(target), "is a directory", "give the path of a file")
    assert list(target.iterdir()) == []


def test_parquet_export_onto_a_file_says_to_remove_it_or_choose_another(mapped, tmp_path):
    target = tmp_path / "existing.parquet"
    target.write_text("mine")
    result = invoke_cli("export", "tiny", str(target), data_dir=mapped)
    _refused(result, str(target), "is a file where a directory is needed",
             "remove the file or choose another path")
    assert target.read_text() == "mine"
    for name in ("map.json", "map.parquet"):  # a file is replaced, a parquet directory reused
        for _ in range(2):
            done = invoke_cli("export", "tiny", str(tmp_path / name), data_dir=mapped)
            assert done.returncode == 0, done.stderr
    assert (tmp_path / "map.parquet" / "nodes.parquet").is_file()


@pytest.mark.parametrize("name", ["x.json", "x.parquet"])
def test_export_below_a_file_names_the_file_in_the_way(mapped, tmp_path, name):
    blocker = tmp_path / "plain"
    blocker.write_text("")
    result = invoke_cli("export", "tiny", str(blocker / "sub" / name), data_dir=mapped)
    _refused(result, f"{blocker} is a file where a directory is needed")


@needs_proc
@pytest.mark.parametrize("name", ["x.json", "x.dot", "x.parquet", "new/x.gexf"])
def test_export_where_nothing_can_be_created_says_choose_a_writable_directory(mapped, name):
    result = invoke_cli("export", "tiny", str(UNWRITABLE / name), data_dir=mapped)
    _refused(result, f"cannot create {UNWRITABLE / Path(name).parts[0]}",
             "choose a path in a directory you can write to")


def test_the_python_api_raises_the_same_error(wb, sample_repo, tmp_path):
    snap = wb.map(str(sample_repo))
    (tmp_path / "d.graphml").mkdir()
    with pytest.raises(OutputPathError, match="is a directory") as caught:
        snap.export(tmp_path / "d.graphml")
    assert caught.value.path == str(tmp_path / "d.graphml")
    (tmp_path / "f.parquet").write_text("")
    with pytest.raises(OutputPathError, match="is a file where a directory is needed"):
        snap.export(tmp_path / "f.parquet")
    with pytest.raises(OutputPathError, match="is a file where a directory is needed"):
        wb.report("shop", output_dir=tmp_path / "f.parquet" / "runs")


@needs_proc
def test_report_output_dir_that_cannot_be_created(mapped):
    result = invoke_cli("report", "tiny", "--output-dir", str(UNWRITABLE / "nope"),
                        data_dir=mapped)
    _refused(result, f"cannot create {UNWRITABLE / 'nope'}", "directory you can write to")


@needs_proc
def test_batch_output_dir_that_cannot_be_created_is_refused_before_a_run(tmp_path):
    notebook = write_notebook(tmp_path / "nbs" / "tiny.ipynb", "x = 1", "print(x)")
    data = tmp_path / "data"
    result = run_cli("batch", "run", str(notebook), "--output-dir", str(UNWRITABLE / "nope"),
                     data_dir=data)
    _refused(result, f"cannot create {UNWRITABLE / 'nope'}", "directory you can write to")
    assert "no runs yet" in invoke_cli("batch", "list", data_dir=data).stdout


def test_batch_output_dir_below_a_file_from_python(wb, tmp_path):
    notebook = write_notebook(tmp_path / "nbs" / "tiny.ipynb", "x = 1", "print(x)")
    (tmp_path / "plain").write_text("")
    for start in (wb.batch.run, wb.batch.start):
        with pytest.raises(OutputPathError, match=f"{tmp_path / 'plain'} is a file"):
            start(notebook, output_dir=tmp_path / "plain" / "out")
    assert wb.batch.runs() == []


@needs_proc
def test_a_data_dir_that_cannot_be_created(tmp_path):
    result = invoke_cli("project", "list", data_dir=UNWRITABLE / "nope")
    _refused(result, f"cannot create {UNWRITABLE / 'nope'}", "directory you can write to")
    (tmp_path / "plain").write_text("")
    result = invoke_cli("project", "list", data_dir=tmp_path / "plain" / "data")
    _refused(result, f"{tmp_path / 'plain'} is a file where a directory is needed")
