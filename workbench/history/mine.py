"""Mine a repository's history with one streaming ``git log`` process.

One ``git log --numstat -z`` is started per call and its output is parsed as it arrives, so
memory stays bounded by the batch size whatever the length of the history, and the cost stays
close to git's own (no diff objects per commit, unlike PyDriller or GitPython).

Merge policy
------------
Merge commits are recorded in ``commits`` (with all their ``parents`` and ``is_merge=True``)
but contribute **no** rows to ``file_changes``. This is git log's default (made explicit with
``--diff-merges=off`` so no configuration can change it) and it equals PyDriller's per-file
view: its ``Commit.modified_files`` is an empty list for any commit with more than one parent.
PyDriller's commit totals (``insertions``, ``deletions``, ``lines``, ``files``) differ for
merges: they diff a merge against its first parent. No per-commit totals are kept here;
summing a merge's file changes gives 0. Every line a merge brings in was already counted in
the branch commit that wrote it, so per-file line and commit counts are not doubled. The
price is that lines written only while resolving a merge conflict are not attributed to
anyone; the merge itself still counts as a commit of its author (``stats["commits"]``,
knowledge loss).

Ordering, batches and resuming
------------------------------
Commits come oldest first in topological order (``--topo-order --reverse``): a parent is always
yielded before its children. Each :class:`HistoryBatch` carries a ``checkpoint``: the commits
yielded so far (plus the ``since`` commits) that are not a parent of another yielded commit.
Everything yielded so far is an ancestor of the checkpoint, and every commit not yet yielded is
not, so ``mine(repo, since=batch.checkpoint)`` resumes exactly where a stored batch ended. After
a complete run the checkpoint is just the mined ``rev``'s sha, the "last mined sha" for the next
incremental run.

Output tables
-------------
``commits``: sha, author_name, author_email, authored_at, committer_name, committer_email,
committed_at (UTC timestamps, second precision), subject, parents (list of shas), is_merge.
Names and e-mails are as written in the commit, before any ``.mailmap``: readers apply the
``.mailmap`` of the snapshot they answer for (:mod:`workbench.history.mailmap`);
:func:`mine_all` applies the one at ``rev``, as ``git log --use-mailmap`` would.

Shallow repositories
--------------------
In a shallow clone the boundary commits (``$GIT_DIR/shallow``) have no parents in the object
database, and git diffs them against the empty tree, as if they added every file of the
repository. Such a commit is recorded with no parents (as git shows it), **no** file changes,
and ``truncated`` set to :data:`SHALLOW_REASON`: what it changed, and everything before it,
is unknown. Once the clone is deepened, mining it again from those commits replaces them.

Limits
------
git runs through the guarded runner (:class:`workbench.repos.git.Git`): its wall-clock limit
counts git's time only (it stops while a caller stores a batch), its memory limit bounds what
one commit's diff may take. A commit with more than ``max_changes`` changed files is recorded
with the first ``max_changes`` and ``truncated`` set to the reason; git is stopped at once and
started again after that commit, so a tree bomb costs no more than the cap. A commit whose
diff git cannot even compute within its memory limit is recorded with no files and the reason.

``commits`` also has ``truncated``: null, or why the commit's file changes are incomplete.

``file_changes``: sha, path, old_path (the previous path when git detected a rename with
``-M``, else null), added, deleted, binary (numstat reported ``-``: then added and deleted are
0, as in PyDriller). Paths are in the text form of :mod:`workbench.repos.paths` (UTF-8 as it
is; an undecodable byte as ``\\xNN``), the same form the file listing uses, so a file whose
name is not UTF-8 joins its history.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

import pandas as pd
import pyarrow as pa

from workbench.errors import GitTimeout
from workbench.history.errors import HistoryError, MiningCancelled
from workbench.history.mailmap import Mailmap, read_mailmap
from workbench.history.git import (
    check_repository, read_stdout, resolve_commits, run_git, spawn_log, validate_ref,
    validate_sha, with_index_room,
)
from workbench.repos.git import Git, Watchdog, is_memory_problem
from workbench.history.parse import LOG_FORMAT, RawCommit, parse_log
from workbench.repos.paths import path_text
from workbench.repos.shallow import shallow_commits

ProgressCallback = Callable[[int, str], None]
CancelCheck = Callable[[], bool]

_TIMESTAMP = pa.timestamp("s", tz="UTC")
COMMITS_SCHEMA = pa.schema([
    ("sha", pa.string()),
    ("author_name", pa.string()),
    ("author_email", pa.string()),
    ("authored_at", _TIMESTAMP),
    ("committer_name", pa.string()),
    ("committer_email", pa.string()),
    ("committed_at", _TIMESTAMP),
    ("subject", pa.string()),
    ("parents", pa.list_(pa.string())),
    ("is_merge", pa.bool_()),
    ("truncated", pa.string()),
])
FILE_CHANGES_SCHEMA = pa.schema([
    ("sha", pa.string()),
    ("path", pa.string()),
    ("old_path", pa.string()),
    ("added", pa.int64()),
    ("deleted", pa.int64()),
    ("binary", pa.bool_()),
])

#: ``truncated`` of a shallow clone's boundary commit (its parents were not fetched).
SHALLOW_REASON = ("shallow clone boundary: its parents were not fetched, so what it changed "
                  "is unknown; none of its files are recorded")

DEFAULT_BATCH_SIZE = 5000
#: Files of one commit recorded at most (``Config.max_commit_files``).
DEFAULT_MAX_CHANGES = 20_000
_CANCEL_EVERY = 256  # commits between two cancel checks: cheap for callers that hit a database


@dataclass(frozen=True)
class HistoryBatch:
    """A slice of mined history that a caller can store before asking for the next one."""

    commits: pa.Table
    file_changes: pa.Table
    #: Shas to pass as ``since`` to resume right after this batch (see the module docstring).
    checkpoint: tuple[str, ...]
    #: Commits yielded so far in this run, this batch included.
    done: int


def log_arguments(rev_sha: str, since: Sequence[str]) -> list[str]:
    """The ``git log`` argv (after ``git``) that streams ``rev_sha`` minus ``since``'s ancestors."""
    return [
        "log", "--numstat", "-z", "-M", "--use-mailmap", "--diff-merges=off",
        "--topo-order", "--reverse", "--no-color", "--no-ext-diff", "--no-textconv",
        f"--format={LOG_FORMAT}",
        "--end-of-options", rev_sha, *(f"^{sha}" for sha in since), "--",
    ]


def mine(
    repo_path: str | os.PathLike[str],
    since: str | Sequence[str] | None = None,
    rev: str = "HEAD",
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    git: Git | None = None,
    max_changes: int | None = DEFAULT_MAX_CHANGES,
) -> Iterator[HistoryBatch]:
    """Yield the commits reachable from ``rev`` but not from ``since``, in batches.

    ``since`` is the last mined sha (or a previous batch's ``checkpoint``); None mines the whole
    history. ``progress(done, message)`` is called after each batch; ``cancel()`` is polled
    while mining and a true answer stops git and raises :class:`MiningCancelled`. ``git`` is
    the guarded runner (its ``timeout`` and ``memory`` apply to ``git log``); ``max_changes``
    caps the files recorded per commit (see "Limits"). Nothing is yielded when there is
    nothing new. Being a generator, it validates its arguments and raises
    :class:`HistoryError` when iteration starts, not when called; a time-out raises
    :class:`~workbench.errors.GitTimeout`.
    """
    if batch_size < 1:
        raise HistoryError(f"batch_size must be positive, got {batch_size}")
    if max_changes is not None and max_changes < 1:
        raise HistoryError(f"max_changes must be positive, got {max_changes}")
    git = git or Git()
    since_shas = _validate_since(since)
    rev = validate_ref(rev)
    repo = check_repository(repo_path)
    (rev_sha,) = resolve_commits(repo, [rev])
    resolve_commits(repo, since_shas)
    tips = set(since_shas)
    builder = _BatchBuilder(shallow_commits(repo, git))
    done = 0
    _report(progress, 0, f"reading history of {rev}")
    finished = False
    while not finished:  # one git log per stretch between two truncated commits
        finished = True
        with tempfile.TemporaryFile() as stderr:
            process = spawn_log(repo, log_arguments(rev_sha, sorted(tips)), stderr=stderr, git=git)
            watchdog = Watchdog(git.timeout, process.kill)
            try:
                for raw in _parse_or_report(process, stderr, repo, watchdog, max_changes):
                    reason = (f"more than {max_changes} files changed; the first {max_changes} "
                              "are recorded" if raw.truncated else None)
                    sha = builder.add(raw, reason)
                    tips.difference_update(builder.last_parents)
                    tips.add(sha)
                    done += 1
                    batch_full = len(builder) >= batch_size
                    if cancel is not None and (batch_full or done % _CANCEL_EVERY == 0) and cancel():
                        yielded = done - len(builder)
                        raise MiningCancelled(f"mining cancelled after {yielded} commits", os.fspath(repo))
                    if batch_full:
                        watchdog.pause()
                        yield builder.flush(tuple(sorted(tips)), done)
                        _report(progress, done, f"mined {done} commits")
                        watchdog.resume()
                    if raw.truncated:
                        finished = False
                        break
                else:
                    if _check_exit(process, stderr, repo, watchdog, git) == "memory":
                        sha = _record_unlisted(repo, rev_sha, tips, builder, git)
                        tips.difference_update(builder.last_parents)
                        tips.add(sha)
                        done += 1
                        finished = False
            finally:
                watchdog.stop()
                process.close()
    if len(builder):
        yield builder.flush(tuple(sorted(tips)), done)
    _report(progress, done, f"mined {done} commits, done")


def _record_unlisted(repo: Path, rev_sha: str, tips: set[str], builder: "_BatchBuilder",
                     git: Git) -> str:
    """Add the next commit to mine, whose diff git could not compute within its memory limit,
    with no files and the reason; return its sha."""
    git = with_index_room(repo, git)  # a large repository's pack indexes must fit too
    listed = run_git(repo, "rev-list", "--topo-order", "--reverse", "--end-of-options", rev_sha,
                     *(f"^{sha}" for sha in sorted(tips)), "--", git=git).stdout.split()
    if not listed:
        raise HistoryError("git log ran out of memory, yet no commit is left to mine",
                           os.fspath(repo))
    sha = listed[0].decode()
    header = run_git(repo, "log", "-1", "--no-patch", "-z", f"--format={LOG_FORMAT}",
                     "--end-of-options", sha, "--", git=git).stdout
    (raw,) = list(parse_log([header]))
    limit = f"{git.memory / 2**20:.0f} MB" if git.memory else "the memory available"
    builder.add(raw._replace(changes=[]),
                f"git could not list its changed files within {limit} of memory (a tree bomb?); "
                "none are recorded")
    return sha


def mine_all(
    repo_path: str | os.PathLike[str],
    since: str | Sequence[str] | None = None,
    rev: str = "HEAD",
    **options,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mine everything at once and return ``(commits, file_changes)`` DataFrames.

    A convenience for analysis and tests; services that store history should iterate
    :func:`mine` so that progress is recorded batch by batch. Identities are mapped by the
    ``.mailmap`` at ``rev`` (as ``git log --use-mailmap`` shows them).
    """
    batches = list(mine(repo_path, since, rev, **options))
    commits = pa.concat_tables([COMMITS_SCHEMA.empty_table(), *(b.commits for b in batches)])
    changes = pa.concat_tables([FILE_CHANGES_SCHEMA.empty_table(), *(b.file_changes for b in batches)])
    (rev_sha,) = resolve_commits(repo_path, [validate_ref(rev)])
    mailmap = Mailmap(read_mailmap(repo_path, rev_sha, options.get("git")))
    return mailmap.apply(commits.to_pandas()), changes.to_pandas()


def _parse_or_report(process: subprocess.Popen[bytes], stderr: IO[bytes], repo: Path,
                     watchdog: Watchdog, max_changes: int | None) -> Iterator[RawCommit]:
    """Parse git's output; if it is cut short because git failed, report git's error instead."""
    try:
        yield from parse_log(read_stdout(process), max_changes)
    except HistoryError as parse_error:
        try:  # git may still be writing into a pipe nobody reads: do not wait for ever
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise parse_error from None  # the caller's cleanup stops git
        if process.returncode != 0:
            _check_exit(process, stderr, repo, watchdog, None)
        raise


def _check_exit(process: subprocess.Popen[bytes], stderr: IO[bytes], repo: Path,
                watchdog: Watchdog, git: Git | None) -> str | None:
    """``None`` when git log ended well; ``"memory"`` when it ran out of memory (and ``git``
    is given, to go on after that commit); else raise: a time-out as ``GitTimeout``."""
    returncode = process.wait()
    if returncode == 0:
        return None
    if watchdog.expired:
        raise GitTimeout(
            f"mining history timed out after {watchdog.seconds:g} s of git's time, the "
            "wall-clock budget of one git operation; raise WORKBENCH_GIT_TIMEOUT for a very "
            "long history", timeout=watchdog.seconds)
    stderr.seek(0)
    detail = stderr.read().decode(errors="replace").strip()
    if git is not None and is_memory_problem(detail):
        return "memory"
    raise HistoryError(f"git log failed (exit {returncode}): {detail}", os.fspath(repo))


def _validate_since(since: str | Sequence[str] | None) -> list[str]:
    if since is None:
        return []
    if isinstance(since, str):
        return [validate_sha(since)]
    return sorted({validate_sha(sha) for sha in since})


def _report(progress: ProgressCallback | None, done: int, message: str) -> None:
    if progress is not None:
        progress(done, message)


class _Decoder(dict):
    """bytes -> str, remembering the results: names, e-mails and paths repeat a lot."""

    def __missing__(self, value: bytes) -> str:
        if len(self) > 200_000:  # keep memory bounded on huge repositories
            self.clear()
        text = self[value] = value.decode("utf-8", "backslashreplace")
        return text


class _PathDecoder(_Decoder):
    """git path bytes -> the workbench's one text form of paths."""

    def __missing__(self, value: bytes) -> str:
        if len(self) > 200_000:
            self.clear()
        text = self[value] = path_text(value)
        return text


class _BatchBuilder:
    """Rows of the commits parsed since the last flush, turned into columns on flush.

    One tuple per row is cheaper to collect than one append per column, which matters because
    this runs once per commit and per file change while git streams.
    """

    def __init__(self, shallow: frozenset[str] = frozenset()) -> None:
        self.commits: list[tuple] = []
        self.changes: list[tuple] = []
        self.last_parents: list[str] = []
        self.text = _Decoder()
        self.paths = _PathDecoder()
        self.shallow = shallow

    def __len__(self) -> int:
        return len(self.commits)

    def add(self, raw: RawCommit, truncated: str | None = None) -> str:
        sha_b, parents_b, a_name, a_email, a_time, c_name, c_email, c_time, subject = raw.header
        sha = sha_b.decode("ascii")
        parents = parents_b.decode("ascii").split()
        self.last_parents = parents
        if sha in self.shallow:
            raw, truncated = raw._replace(changes=[]), SHALLOW_REASON
        text, paths = self.text, self.paths
        self.commits.append((
            sha, text[a_name], text[a_email], int(a_time), text[c_name], text[c_email], int(c_time),
            subject.decode("utf-8", "backslashreplace"), parents, len(parents) > 1, truncated,
        ))
        append = self.changes.append
        for added, deleted, path, old_path in raw.changes:
            if added == b"-":
                append((sha, paths[path], old_path and paths[old_path], 0, 0, True))
            else:
                append((sha, paths[path], old_path and paths[old_path], int(added), int(deleted), False))
        return sha

    def flush(self, checkpoint: tuple[str, ...], done: int) -> HistoryBatch:
        batch = HistoryBatch(
            commits=_table(self.commits, COMMITS_SCHEMA),
            file_changes=_table(self.changes, FILE_CHANGES_SCHEMA),
            checkpoint=checkpoint,
            done=done,
        )
        self.commits, self.changes = [], []
        return batch


def _table(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    if not rows:
        return schema.empty_table()
    columns = zip(*rows)
    return pa.Table.from_arrays(
        [pa.array(column, type=field.type) for column, field in zip(columns, schema)], schema=schema
    )
