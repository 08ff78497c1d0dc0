"""Ownership of the current lines: which commit each line of a snapshot's file comes from.

``git blame --incremental <commit> -- <path>`` names, for every line of the file at the
commit, the commit that last wrote it (following the file's renames). Blame depends on the
file's content and its history; it is cached per (path, blob sha), so a file unchanged since
the last map is not blamed again ("incremental by blob"). A blob that comes back at the same
path after a revert reuses the blame of its first time, which may credit lines to the earlier
commit that first wrote them instead of the revert.

Lines whose commit is a shallow clone's boundary commit were written at or before it, by
someone unknown: they count as unknown, never for the boundary commit's author.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from ..membership import contains
from ..repos.git import Git
from ..repos.paths import path_bytes

_GROUP = re.compile(rb"^([0-9a-f]{40}) \d+ \d+ (\d+)$", re.MULTILINE)
BLAME_COLUMNS = ["path", "blob_sha", "origin_sha", "lines"]


def blame_lines(repo: str | os.PathLike[str], commit: str, path: str, git: Git | None = None
                ) -> dict[str, int]:
    """origin commit sha -> number of lines of ``path`` at ``commit`` it last wrote.

    ``path`` is in the text form of :mod:`workbench.repos.paths`. A file git cannot blame
    (a submodule, a symlink) gives an empty dict.
    """
    done = (git or Git()).run_raw(
        ["blame", "--incremental", commit, "--", os.fsdecode(path_bytes(path))],
        cwd=repo, what="git blame")
    if done.returncode != 0:
        return {}
    counts: dict[str, int] = {}
    for sha, lines in _GROUP.findall(done.stdout):
        key = sha.decode()
        counts[key] = counts.get(key, 0) + int(lines)
    return counts


#: Commits of history from which a map blames with one process while it builds its tables.
NARROW_FROM_COMMITS = 100_000


def narrow_beside(commits: int) -> bool:
    """Whether a map beside which files are blamed should start one ``git blame`` process, not
    all, until its tables are built (``blame_files``' ``widen``). A blame holds the commits it
    walks, about 0.7 GB per process for a million commits: two of them beside the map's own
    peak passed 4 GB on a monorepo of that size. A short history costs a blame little memory,
    and its map keeps both processes from the start."""
    return commits >= NARROW_FROM_COMMITS


def blame_files(repo: Path, commit: str, files: dict[str, str], *,
                cached: Callable[[list[tuple[str, str]]], pd.DataFrame],
                git: Git | None = None, workers: int = 2, budget: float | None = None,
                only: set[str] | None = None,
                progress: Callable[[int, int], None] | None = None,
                widen: threading.Event | None = None,
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blame of every ``path -> blob sha`` of ``files`` at ``commit``: ``(all rows, new rows)``
    with :data:`BLAME_COLUMNS`; ``cached(keys)`` returns stored rows for (path, blob) keys.
    The files not cached (of them, with ``only``, just the paths in it) are blamed by
    ``workers`` git processes at once, in path order; after ``budget`` seconds no new file
    is started, and the files not reached are absent from both frames (a later call blames
    them). ``progress(done, total)`` follows the files blamed.

    ``widen``: the processes after the first start only once it is set (see
    :func:`narrow_beside`)."""
    keys = sorted(files.items())
    known = cached(keys) if keys else pd.DataFrame(columns=BLAME_COLUMNS)
    have = set(zip(known["path"], known["blob_sha"]))
    missing = [key for key in keys if key not in have and (only is None or key[0] in only)]
    done = [0]

    def one(key: tuple[str, str]) -> list[tuple[str, str, str, int]]:
        path, blob = key
        found = [(path, blob, sha, n) for sha, n in blame_lines(repo, commit, path, git).items()]
        return found or [(path, blob, "", 0)]  # nothing to blame: remembered all the same

    # plain threads, not an executor: a map may run while the interpreter shuts down (a
    # headless script's last job), when executors refuse new work
    rows: list[tuple[str, str, str, int]] = []
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
                rows.extend(found)
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
    rows.sort()
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


__all__ = ["BLAME_COLUMNS", "blame_files", "blame_lines", "current_ownership"]
