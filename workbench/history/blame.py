"""Ownership of the current lines: which commit each line of a snapshot's file comes from.

``git blame --incremental <commit> -- <path>`` names, for every line of the file at the
commit, the commit that last wrote it (following the file's renames). Blame depends on the
file's content and its history; it is cached per (path, blob sha), so a file unchanged since
the last map is not blamed again ("incremental by blob"). A blob that comes back at the same
path after a revert reuses the blame of its first time, which may credit lines to the earlier
commit that first wrote them instead of the revert.

A changed file whose blame at the project's last map is cached has it carried forward
through the new commits' diffs instead (:mod:`.blame_carry`), where they allow it: the cache
keeps each origin's line runs for that, not only its line count.

Lines whose commit is a shallow clone's boundary commit were written at or before it, by
someone unknown: they count as unknown, never for the boundary commit's author.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from ..membership import contains
from ..repos.git import Git
from ..repos.paths import path_bytes
from .blame_carry import DIFF_SETTINGS, carry, line_of_descent

_GROUP = re.compile(rb"^([0-9a-f]{40}) \d+ (\d+) (\d+)$", re.MULTILINE)
#: A blame row: the file's ``lines`` that ``origin_sha`` last wrote, and where they are
#: (``runs``: ``[first line, count, ...]``, 1-based; None in rows stored before it was kept).
BLAME_COLUMNS = ["path", "blob_sha", "origin_sha", "lines", "runs"]


def blame_runs(repo: str | os.PathLike[str], commit: str, path: str, git: Git | None = None
               ) -> dict[str, list[int]] | None:
    """origin commit sha -> the lines of ``path`` at ``commit`` it last wrote, as runs
    ``[first line, count, first line, count, ...]`` (1-based, in the order git reports them);
    an empty file gives an empty dict.

    ``path`` is in the text form of :mod:`workbench.repos.paths`. None when git fails (out
    of memory under ``WORKBENCH_GIT_MEMORY``, a corrupt object): nothing is known, and
    nothing may be kept as the file's blame; a later map or ``workbench blame`` tries again.
    """
    done = (git or Git()).run_raw(
        [*DIFF_SETTINGS, "blame", "--incremental", commit, "--", os.fsdecode(path_bytes(path))],
        cwd=repo, what="git blame")
    if done.returncode != 0:
        return None
    runs: dict[str, list[int]] = {}
    for sha, first, count in _GROUP.findall(done.stdout):
        runs.setdefault(sha.decode(), []).extend((int(first), int(count)))
    return runs


def _rows(path: str, blob: str, runs: dict[str, list[int]]) -> list[tuple]:
    """Blame rows of one file; a file with nothing to blame is remembered all the same."""
    return ([(path, blob, sha, sum(flat[1::2]), flat) for sha, flat in runs.items()]
            or [(path, blob, "", 0, [])])


def _base_runs(known: pd.DataFrame) -> dict[str, dict[str, list[int]]]:
    """path -> origin -> runs of cached blame rows, for the paths whose every row has runs."""
    found: dict[str, dict[str, list[int]]] = {}
    broken: set[str] = set()
    for path, origin, runs in zip(known["path"], known["origin_sha"], known["runs"]):
        if runs is None or runs is pd.NA or (isinstance(runs, float) and runs != runs):
            broken.add(path)
        elif origin:
            found.setdefault(path, {})[origin] = [int(v) for v in runs]
        else:
            found.setdefault(path, {})
    return {path: runs for path, runs in found.items() if path not in broken}


#: Commits of history from which a map blames with one process while it builds its tables.
NARROW_FROM_COMMITS = 100_000


def narrow_beside(commits: int) -> bool:
    """Whether a map beside which files are blamed should start one ``git blame`` process, not
    all, until its tables are built (``blame_files``' ``widen``). A blame holds the commits it
    walks, about 0.7 GB per process for a million commits: two of them beside the map's own
    peak passed 4 GB on a monorepo of that size. A short history costs a blame little memory,
    and its map keeps both processes from the start."""
    return commits >= NARROW_FROM_COMMITS


@dataclass(frozen=True)
class BlameScope:
    """Which of a map's uncached files it blames now (:func:`blame_files`).

    ``only``: the paths it may blame (None: every file). ``carry_only``: of those, the paths
    whose blame may only be carried (:mod:`.blame_carry`), never run: after a map that left
    files unblamed, a changed file whose earlier version was one of them would need a blame
    of its whole history, which is the ``blame`` verb's work, not a re-map's; it is carried
    when the new commits wrote each of its lines, else left unblamed with the others.
    ``carried_from``: ``(an earlier blamed commit, path -> blob sha there)``.
    """

    only: frozenset[str] | None = None
    carry_only: frozenset[str] = frozenset()
    carried_from: tuple[str, dict[str, str]] | None = None


def blame_files(repo: Path, commit: str, files: dict[str, str], *,
                cached: Callable[[list[tuple[str, str]]], pd.DataFrame],
                git: Git | Callable[[], Git] | None = None, workers: int = 2,
                budget: float | None = None,
                scope: BlameScope | None = None,
                progress: Callable[[int, int], None] | None = None,
                widen: threading.Event | None = None,
                known: pd.DataFrame | None = None,
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blame of every ``path -> blob sha`` of ``files`` at ``commit``: ``(all rows, new rows)``
    with :data:`BLAME_COLUMNS`; ``cached(keys)`` returns stored rows for (path, blob) keys.
    The files not cached (of them, with ``scope``, just those it allows) are blamed by
    ``workers`` git processes at once, in path order; after ``budget`` seconds no new file
    is started, and the files not reached are absent from both frames (a later call blames
    them). ``progress(done, total)`` follows the files blamed. ``git`` may be a function
    giving it, called only when a file is to be blamed or carried (all cached: never).
    ``known``: what ``cached`` gives for the keys of ``files``, read already.

    ``widen``: the processes after the first start only once it is set (see
    :func:`narrow_beside`).

    With ``scope.carried_from``, a file whose blame at that commit is cached with its runs
    has it carried forward (:func:`~.blame_carry.carry`) instead of blamed, when the commits
    between allow it."""
    keys = sorted(files.items())
    if known is None:
        known = cached(keys) if keys else pd.DataFrame(columns=BLAME_COLUMNS)
    have = set(zip(known["path"], known["blob_sha"]))
    scope = scope or BlameScope()
    missing = [key for key in keys if key not in have
               and (scope.only is None or key[0] in scope.only)]
    done = [0]
    if callable(git):
        git = git() if missing else None
    git = git or Git()
    base_runs: dict[str, dict[str, list[int]] | None] = {}
    descent: list[str] | None = None
    if scope.carried_from is not None and missing:
        base, base_blobs = scope.carried_from
        earlier = sorted((path, base_blobs[path]) for path, _ in missing if path in base_blobs)
        if earlier:
            base_runs = dict.fromkeys((path for path, _ in earlier
                                       if path in scope.carry_only), None)
            base_runs.update(_base_runs(cached(earlier)))
        if base_runs:
            descent = line_of_descent(repo, base, commit, git)

    def one(key: tuple[str, str]) -> list[tuple] | None:
        path, blob = key
        if descent is not None and path in base_runs:
            base, base_blobs = scope.carried_from
            runs = carry(repo, base, descent, path, base_runs[path], git, base_blobs[path])
            if runs is not None:
                return _rows(path, blob, runs)
        if path in scope.carry_only:
            return None  # left unblamed (see BlameScope)
        runs = blame_runs(repo, commit, path, git)
        return None if runs is None else _rows(path, blob, runs)  # None: left unblamed

    # plain threads, not an executor: a map may run while the interpreter shuts down (a
    # headless script's last job), when executors refuse new work
    rows: list[tuple] = []
    pending = iter(missing)
    lock = threading.Lock()
    errors: list[BaseException] = []
    taken = [0]

    deadline = time.monotonic() + budget if budget else None

    def work(first: bool) -> None:
        if not first and widen is not None:
            # no process at all when the first took every file before the widening
            while not widen.wait(0.2):
                with lock:
                    if taken[0] >= len(missing) or errors:
                        return
        while not errors:
            if deadline is not None and time.monotonic() > deadline:
                return
            with lock:
                key = next(pending, None)
                taken[0] += key is not None
            if key is None:
                return
            try:
                found = one(key)
            except BaseException as exc:  # noqa: BLE001 - raised by the caller below
                errors.append(exc)
                return
            with lock:
                rows.extend(found or ())
                done[0] += 1
                count = done[0]
            if progress is not None:
                progress(count, len(missing))

    threads = [threading.Thread(target=work, args=(n == 0,), name="workbench-blame", daemon=True)
               for n in range(max(1, min(workers, len(missing))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    rows.sort(key=lambda row: row[:3])
    fresh = pd.DataFrame(rows, columns=BLAME_COLUMNS)
    both = pd.concat([known[BLAME_COLUMNS], fresh], ignore_index=True) if len(known) else fresh
    return both, fresh


def current_ownership(blame: pd.DataFrame, commits: pd.DataFrame,
                      unknown: Iterable[str] = ()) -> pd.DataFrame:
    """Per path: current_lines, current_owner (author key with the most current lines; ties:
    the key's sort order), current_ownership (their share of all current lines),
    current_lines_unknown (lines from the ``unknown`` commits: shallow boundaries, or commits
    not mined). ``commits`` needs sha and ``author`` (the author key)."""
    columns = ["current_lines", "current_owner", "current_ownership", "current_lines_unknown"]
    blame = blame.loc[blame["lines"] > 0]
    if blame.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="path"))
    authors = commits.set_index("sha")["author"]
    lines = blame.assign(author=blame["origin_sha"].map(authors))
    lines.loc[contains(lines["origin_sha"], unknown), "author"] = None
    total = lines.groupby("path")["lines"].sum()
    missing = lines.loc[lines["author"].isna()].groupby("path")["lines"].sum()
    known = lines.dropna(subset=["author"]).groupby(["path", "author"], as_index=False)["lines"].sum()
    known = known.sort_values(["path", "lines", "author"], ascending=[True, False, True])
    top = known.drop_duplicates("path").set_index("path")
    result = pd.DataFrame(index=total.index)
    result["current_lines"] = total.astype("int64")
    result["current_owner"] = top["author"]
    result["current_ownership"] = (top["lines"] / total).reindex(total.index)
    result["current_lines_unknown"] = missing.reindex(total.index).fillna(0).astype("int64")
    return result


__all__ = ["BLAME_COLUMNS", "BlameScope", "blame_files", "blame_runs", "current_ownership"]
