"""Corrupt or unsafe objects in a source: one clear error, never retried as a network fault."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import GIT_ENV, commit, init_repo, write
from workbench import Config, Workbench
from workbench.errors import CorruptRepository, GitNetworkError, TransientError
from workbench.repos.git import Git


def _run(repo: Path, *args: str, input: str | bytes | None = None) -> str:
    text = not isinstance(input, bytes)
    out = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, input=input,
                         check=True, capture_output=True, text=text).stdout
    return (out if text else out.decode()).strip()


def _with_entry(path: Path, name: str) -> Path:
    """A repository whose second commit's root tree has an entry ``name`` (a directory
    holding a config that would run a command if it were ever honoured)."""
    repo = init_repo(path)
    write(repo, {"app/main.py": "import os\n"})
    commit(repo, "clean")
    cfg = _run(repo, "hash-object", "-w", "--stdin", input="[core]\n\tfsmonitor = touch pwned\n")
    inner = _run(repo, "mktree", input=f"100644 blob {cfg}\tconfig\n")
    top = _run(repo, "ls-tree", "HEAD")
    raw = b"".join(
        f"{mode} {entry_name}".encode() + b"\0" + bytes.fromhex(sha)
        for mode, entry_name, sha in sorted(
            [(line.split()[0].lstrip("0"), line.split("\t")[1], line.split()[2])
             for line in top.splitlines()] + [("40000", name, inner)],
            key=lambda e: e[1] + "/"))
    tree = _run(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", input=raw)
    sha = _run(repo, "commit-tree", tree, "-p", "HEAD", "-m", f"adds {name}")
    _run(repo, "update-ref", "refs/heads/main", sha)
    return repo


def _assert_refused_once(wb: Workbench, location: str, fragment: str) -> None:
    with pytest.raises(CorruptRepository) as err:
        wb.map(location)
    assert not isinstance(err.value, (GitNetworkError, TransientError))
    message = str(err.value)
    assert fragment in message and "will not be retried" in message, message
    job = wb.recent_jobs(1)[0]
    assert job.status == "failed" and job.attempts == 1, job
    assert wb.store.db.query("SELECT count(*) FROM snapshots") == [(0,)]


@pytest.mark.parametrize("name, fragment", [(".git", "hasDotgit"), ("..", "hasDotdot"),
                                            (".", "hasDot")])
def test_trees_naming_dotdot_or_dotgit_are_refused_on_clone(tmp_path, name, fragment):
    repo = _with_entry(tmp_path / "evil", name)
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, max_attempts=3,
                                 retry_delay=0))
    _assert_refused_once(wb, str(repo), fragment)
    assert not (tmp_path / "data" / "clones" / "evil.git").exists()
    assert not (tmp_path / "pwned").exists()


def _padded_tree(repo: Path, tree: str, parent: str) -> str:
    """A commit whose root tree writes its directory mode as ``040000``."""
    inner = _run(repo, "rev-parse", f"{tree}:pkg")
    raw = b"040000 pkg\0" + bytes.fromhex(inner)  # the padded mode git itself never writes
    padded = _run(repo, "hash-object", "-t", "tree", "-w", "--literally", "--stdin", input=raw)
    return _run(repo, "commit-tree", padded, "-p", parent, "-m", "written by an old tool")


def _odd_header(repo: Path, tree: str, parent: str, ident: str) -> str:
    """A commit whose author and committer lines read ``ident``."""
    raw = (f"tree {tree}\nparent {parent}\nauthor {ident}\ncommitter {ident}\n\n"
           "written by an old tool\n")
    return _run(repo, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=raw)


@pytest.mark.parametrize("quirk", ["zeroPaddedFilemode", "badTimezone", "missingSpaceBeforeDate"])
def test_formatting_quirks_of_old_histories_are_mapped(tmp_path, quirk):
    """Old tools wrote directory modes as ``040000`` (flask's history has such a tree), time
    zones of the wrong width and dates glued to the e-mail: fsck flags them, but they are
    formatting quirks, not dangers, so the clone goes through and the history is mined."""
    repo = init_repo(tmp_path / "old")
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "def f():\n    return 1\n"})
    commit(repo, "clean")
    tree, parent = _run(repo, "rev-parse", "HEAD^{tree}"), _run(repo, "rev-parse", "HEAD")
    sha = {"zeroPaddedFilemode": lambda: _padded_tree(repo, tree, parent),
           "badTimezone": lambda: _odd_header(repo, tree, parent, "Ann <a@x> 1700000000 +05"),
           "missingSpaceBeforeDate": lambda: _odd_header(repo, tree, parent,
                                                         "Ann <a@x>1700000000 +0000"),
           }[quirk]()
    _run(repo, "update-ref", "refs/heads/main", sha)
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=repo, capture_output=True, text=True)
    assert quirk in fsck.stdout + fsck.stderr  # what the check would refuse
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, blame=False))
    snap = wb.map(str(repo))
    assert snap.commit == sha and "pkg.core" in set(snap.nodes["id"])
    assert snap.stats["commits"] == 2


def test_a_corrupt_object_is_one_clear_error_not_a_network_retry(tmp_path):
    repo = init_repo(tmp_path / "rotten")
    write(repo, {"a.py": "x = 1\n", "b.py": "y = 2\n"})
    commit(repo, "one")
    loose = repo / ".git" / "objects" / _run(repo, "rev-parse", "HEAD:b.py")[:2]
    obj = loose / _run(repo, "rev-parse", "HEAD:b.py")[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"not a zlib stream")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, max_attempts=3,
                                 retry_delay=0))
    _assert_refused_once(wb, str(repo), "corrupt")


def test_a_bad_tree_already_in_a_clone_is_refused_when_listed(tmp_path):
    """Clones made before the transfer checks: listing the commit's files refuses it."""
    repo = _with_entry(tmp_path / "old", ".GIT")
    head = _run(repo, "rev-parse", "HEAD")
    with pytest.raises(CorruptRepository, match="'.GIT/config'"):
        Git().ls_tree(repo, head)
    assert [e.path for e in Git().ls_tree(repo, head + "^")] == ["app/main.py"]
