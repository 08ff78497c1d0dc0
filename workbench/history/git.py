"""Running git on repositories we do not trust, for history mining.

Every git process goes through the one guarded runner, :class:`workbench.repos.git.Git`: the
same hardened settings (no hooks, external diff or textconv drivers, fsmonitor or prompts),
environment scrubbing, protocol allow-list, wall-clock limit, memory limit and output limit
as clones and fetches. Revisions given by callers are validated before they reach a command
line and are passed after ``--end-of-options`` so they are never read as options.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import time
from pathlib import Path
from typing import IO, Iterator, Sequence

from workbench.errors import GitFailed
from workbench.history.errors import HistoryError
from workbench.repos.git import Git

_SHA_RE = re.compile(r"[0-9a-f]{40}")
# A plain ref name: what `git check-ref-format` allows, minus anything revision syntax would
# interpret (ranges, reflog and peel suffixes, wildcards, leading dashes).
_REF_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+@-]*")

def validate_sha(value: str, what: str = "since") -> str:
    """Return ``value`` if it is a full lowercase 40-hex object name, else raise."""
    if not isinstance(value, str) or not _SHA_RE.fullmatch(value):
        raise HistoryError(f"{what} must be a full 40-character hexadecimal commit sha, got {value!r}")
    return value


def validate_ref(value: str) -> str:
    """Return ``value`` if it is a plain ref name (``HEAD``, ``main``, ``origin/dev``, a sha)."""
    if (
        not isinstance(value, str)
        or not _REF_RE.fullmatch(value)
        or ".." in value
        or value.endswith((".", "/", ".lock"))
        or "@{" in value
        or "//" in value
    ):
        raise HistoryError(f"rev must be a plain ref name, got {value!r}")
    return value


def check_repository(repo_path: str | os.PathLike[str]) -> Path:
    """Return the repository path if git recognises it (bare or not), else raise."""
    path = Path(repo_path)
    if not path.is_dir():
        raise HistoryError("repository path does not exist or is not a directory", str(path))
    result = run_git(path, "rev-parse", "--git-dir", check=False)
    if result.returncode != 0:
        raise HistoryError("not a git repository", str(path))
    return path


def resolve_commits(repo_path: str | os.PathLike[str], revs: Sequence[str]) -> list[str]:
    """Resolve already-validated revisions to commit shas, raising a clear error for each miss."""
    shas = []
    # rev-parse takes no --end-of-options in every git we support: the callers' validation
    # (no leading "-") is what keeps a revision from being read as an option here.
    for rev in revs:
        result = run_git(repo_path, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        if result.returncode != 0:
            raise HistoryError(f"no commit {rev!r} in the repository", os.fspath(repo_path))
        shas.append(result.stdout.decode().strip())
    return shas


def run_git(repo_path: str | os.PathLike[str], *args: str, check: bool = True,
            git: Git | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a short git command to completion through the guarded runner (``git``, default
    :class:`Git` with its default limits); with ``check`` a failure raises HistoryError."""
    result = (git or Git()).run_raw(list(args), cwd=repo_path, what=f"git {args[0]}")
    if check and result.returncode != 0:
        raise HistoryError(
            f"git {args[0]} failed: {result.stderr.decode(errors='replace').strip()}", os.fspath(repo_path)
        )
    return result


def spawn_git(repo_path: str | os.PathLike[str], *args: str, stderr: IO[bytes],
              git: Git | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running git command whose stdout the caller streams (and whose wall-clock
    limit the caller keeps), through the guarded runner.

    ``stderr`` should be a file, not a pipe: nobody reads it while stdout streams, and a full
    stderr pipe would stall git.
    """
    try:
        return (git or Git()).spawn(list(args), cwd=repo_path, stderr=stderr)
    except GitFailed as exc:
        raise HistoryError(f"cannot run git: {exc}", os.fspath(repo_path)) from exc


_PIPE_SIZE = 1 << 20
_READ_SIZE = 1 << 20
_SMALL_READ = 64 << 10
_PAUSE = 0.004


def read_stdout(process: subprocess.Popen[bytes]) -> Iterator[bytes]:
    """Yield ``process``'s stdout in chunks until it closes.

    ``git log`` flushes after every commit, so reading as eagerly as possible wakes the reader
    for every few hundred bytes. The pipe is enlarged (where Linux allows) and, after a small
    read, the reader pauses a few milliseconds so the next read takes many commits at once:
    git never waits on a 1 MiB pipe in that time, and the reader's share of the CPU drops.
    """
    assert process.stdout is not None
    fd = process.stdout.fileno()
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_SIZE)
    except OSError:  # not Linux, or above /proc/sys/fs/pipe-max-size: keep the default
        pass
    while chunk := os.read(fd, _READ_SIZE):
        yield chunk
        if len(chunk) < _SMALL_READ:
            time.sleep(_PAUSE)
