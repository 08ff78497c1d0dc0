"""File names that are not UTF-8: one text form in the listing, the history, the store and
messages, read back to the bytes git has."""

from __future__ import annotations

import os
import random
import subprocess

import pytest

from tests.history.conftest import ALICE, BOB
from tests.history.gitrepo import GitRepo
from workbench.history import mine_all
from workbench.repos.paths import path_bytes, path_text

LATIN1 = b"caf\xe9.py"          # a Latin-1 byte: not UTF-8
RENAMED = b"d\xe9j\xe0/vu.py"    # renamed into a directory that is not UTF-8 either
LITERAL = b"back\\xe9.py"       # valid UTF-8 whose text could be read as an escape


def git_paths(repo: GitRepo, *args: str) -> list[bytes]:
    out = subprocess.run(["git", "-C", str(repo.path), *args], capture_output=True,
                         check=True).stdout
    return [p for p in out.split(b"\0") if p]


@pytest.fixture
def odd_repo(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "odd")
    root = os.fsencode(repo.path)
    with open(os.path.join(root, LATIN1), "wb") as f:
        f.write(b"import os\n\n\ndef brew():\n    return os.sep\n")
    with open(os.path.join(root, LITERAL), "wb") as f:
        f.write(b"X = 1\n")
    repo.commit("add", ALICE, "2024-01-01T10:00:00+00:00")
    with open(os.path.join(root, LATIN1), "ab") as f:
        f.write(b"\n\ndef pour():\n    return 2\n")
    repo.commit("edit", BOB, "2024-01-02T10:00:00+00:00")
    os.mkdir(os.path.join(root, b"d\xe9j\xe0"))
    repo.git("mv", os.fsdecode(LATIN1), os.fsdecode(RENAMED))
    repo.commit("move", BOB, "2024-01-03T10:00:00+00:00")
    return repo


def test_text_form_is_readable_and_reads_back_to_the_bytes() -> None:
    assert path_text(LATIN1) == "caf\\xe9.py"
    assert path_text("ünï/ok.py".encode()) == "ünï/ok.py"
    assert path_text(LITERAL) == "back\\x5cxe9.py"  # never taken for the Latin-1 name
    rng = random.Random(7)
    alphabet = b"\\x5cae\xe9\xc3\xa9\x80/"
    for _ in range(20_000):
        raw = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 10)))
        text = path_text(raw)
        assert path_bytes(text) == raw
        text.encode("utf-8")  # storable and printable: no lone surrogates


def test_history_uses_the_listing_form(odd_repo: GitRepo) -> None:
    _, changes = mine_all(odd_repo.path)
    # git's own bytes for every path it logged, in the one text form
    logged = git_paths(odd_repo, "log", "--name-only", "-z", "--format=", "--no-renames")
    assert set(changes["path"]) | set(changes["old_path"].dropna()) == {path_text(p) for p in logged}
    moved = changes.loc[changes["old_path"].notna()].iloc[0]
    assert (path_bytes(moved["old_path"]), path_bytes(moved["path"])) == (LATIN1, RENAMED)


def test_file_maps_joins_its_history_and_is_shown_readably(wb, odd_repo: GitRepo) -> None:
    snap = wb.map(str(odd_repo.path))
    listed = git_paths(odd_repo, "ls-files", "-z")
    assert sorted(snap.files["path"]) == sorted(path_text(p) for p in listed)
    assert {path_bytes(p) for p in snap.files["path"]} == set(listed)
    moved = path_text(RENAMED)
    node = snap.nodes.loc[snap.nodes["path"] == moved]
    assert not node.empty and set(node["kind"]) >= {"module", "function"}
    metrics = snap.file_metrics.set_index("path")
    # git log --follow counts the file's three commits across the rename
    follow = subprocess.run(["git", "-C", str(odd_repo.path), "log", "--follow", "--format=%H",
                             "--", os.fsdecode(RENAMED)], capture_output=True, check=True).stdout
    assert metrics.loc[moved, "commits_total"] == len(follow.split()) == 3
    assert metrics.loc[moved, "current_lines"] == 9  # blamed through the bytes git knows
    assert path_text(LITERAL) in metrics.index
    assert "caf\\xe9.py" not in metrics.index  # the old name joined the new one
