"""The ``path`` filter reads a glob as .gitignore does (and ripgrep's --glob, and the map's
--exclude): no slash matches at any depth, a slash anchors at the root, ``*`` stays within a
directory, a directory holds the files below it. A glob that matches no file of the snapshot
is refused, before any indexing, with a glob that does."""

from __future__ import annotations

import pytest

from tests.helpers import invoke_cli
from tests.search.conftest import build_known_repo
from workbench import Workbench
from workbench.errors import WorkbenchError
from workbench.search.errors import InvalidSearch, PathMatchesNothing


@pytest.fixture(scope="module")
def indexed(known_index):
    return known_index


def _paths(bench, glob: str) -> set[str]:
    hits = bench.search("retry cache token slug guide capacity", "netkit", path=glob, k=50,
                        mode="text", include_tests=True)
    return set(hits["path"])


@pytest.mark.parametrize("glob,expected", [
    ("*.py", {"src/net/retry.py", "src/net/http_client.py", "src/store/cache.py",
              "src/auth/tokens.py", "tests/test_retry.py"}),          # no slash: any depth
    ("retry.py", {"src/net/retry.py"}),
    ("src/net/*", {"src/net/retry.py", "src/net/http_client.py"}),     # anchored at the root
    ("**/net/*", {"src/net/retry.py", "src/net/http_client.py"}),
    ("src/**/*.py", {"src/net/retry.py", "src/net/http_client.py", "src/store/cache.py",
                     "src/auth/tokens.py"}),
    ("src/store", {"src/store/cache.py"}),                             # a directory: below it
    ("./src/auth/", {"src/auth/tokens.py"}),
    ("/settings.toml", {"settings.toml"}),
])
def test_a_glob_is_read_as_gitignore_reads_it(indexed, glob, expected):
    assert _paths(indexed, glob) == expected


@pytest.mark.parametrize("glob,instead,example", [
    ("net/*", "'**/net/*'", "src/net/http_client.py"),         # anchored: the wider glob
    ("src/*.py", "'src/**/*.py'", "src/auth/tokens.py"),       # '*' stays in a directory
    ("SRC/STORE/", "'src/store/'", "src/store/cache.py"),      # case counts
    ("*.java", "'*.py'", None),                                # what does match here
])
def test_a_glob_no_file_matches_is_refused_with_one_that_does(indexed, glob, instead, example):
    with pytest.raises(PathMatchesNothing) as caught:
        indexed.search("retry", "netkit", path=glob)
    error = caught.value
    assert isinstance(error, InvalidSearch) and isinstance(error, WorkbenchError)
    assert (error.path, error.project, error.argument) == (glob, "netkit", "path")
    message = str(error)
    assert message.startswith(f"no file of snapshot {error.snapshot_id} of netkit matches the "
                              f"path filter {glob!r}; ")
    assert f"path={instead}" in message, message  # the Python face names the argument
    if example:
        assert example in message, message
    glob_said = instead.strip("'")
    assert not indexed.search("retry", "netkit", path=glob_said, k=50).empty


def test_the_refusal_comes_before_indexing_and_the_command_line_names_its_option(
        tmp_path, data_dir):
    bench = Workbench(data_dir)
    bench.map(str(build_known_repo(tmp_path)), name="netkit")
    with pytest.raises(PathMatchesNothing):
        bench.search("retry", "netkit", path="net/*")
    assert bench.index_state("netkit") is None  # nothing was indexed for a glob that fails
    bench.close()
    out = invoke_cli("search", "retry", "-p", "netkit", "--path", "net/*", data_dir=data_dir)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "--path '**/net/*' matches 3 files (src/net/__init__.py, " in out.stderr
    assert "anchored at the repository root" in out.stderr and "indexed" not in out.stderr


@pytest.mark.parametrize("glob", ["", "!src/", "#comment", "["])
def test_a_glob_that_selects_nothing_by_its_form_is_refused_before_any_work(indexed, glob):
    with pytest.raises(InvalidSearch, match="path filter") as caught:
        indexed.search("retry", "netkit", path=glob)
    assert caught.value.argument == "path"


def test_the_help_says_how_a_glob_is_read():
    out = invoke_cli("search", "--help")
    text = " ".join(out.stdout.split())
    assert "read as .gitignore reads it" in text and "'**/attr/*'" in text
