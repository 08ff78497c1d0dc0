"""A file's blame carried forward from an earlier commit's blame through the diffs since.

``git blame`` of a file at a commit with one parent gives the lines its diff against that
parent adds to the commit, and every other line the blame it had in the parent. So when the
commits from a blamed commit ``base`` to ``commit`` form one line of descent (no merges) and
none of them creates or deletes the file, the blame at ``commit`` is the base's blame with
each commit's hunks applied in order: deleted lines dropped, added lines put on the commit.
That takes one ``git log -p`` over those few commits instead of a blame walking the whole
history (seconds per file on a history of a million commits).

The diffs are made with the settings ``git blame`` uses for its own (the default, Myers,
algorithm with the indent heuristic, no context), pinned on both commands so that a user's
``diff.algorithm`` cannot make them differ. Anything else (a merge among the commits, the
file created, deleted or replaced by another kind of entry, output that does not parse) is
left to ``git blame``: :func:`carry` returns None.

Runs are how a blame is kept (:data:`~.blame.BLAME_COLUMNS`' ``runs``): per origin commit,
the file's lines it wrote as a flat list ``[first line, count, first line, count, ...]``,
1-based line numbers of the file at the blamed commit.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Sequence

from ..repos.git import Git
from ..repos.paths import path_bytes

#: Commits from the base beyond which a blame is not carried (each is diffed): ``git blame``.
MAX_CARRIED_COMMITS = 500

#: The diff settings of ``git blame``'s own diffs, given to both commands.
DIFF_SETTINGS = ("-c", "diff.algorithm=default", "-c", "diff.indentHeuristic=true",
                 "-c", "diff.interHunkContext=0")

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_COMMIT_MARK = b"\x00commit "


def line_of_descent(repo: Path, base: str, commit: str, git: Git) -> list[str] | None:
    """The commits from ``base`` (excluded) to ``commit``, oldest first, when each is the only
    parent of the next and ``base`` is the first one's only parent; None otherwise (a merge,
    ``base`` not an ancestor, more than :data:`MAX_CARRIED_COMMITS`, or git failing)."""
    done = git.run_raw(["rev-list", "--parents", f"--max-count={MAX_CARRIED_COMMITS + 1}",
                        commit, f"^{base}"], cwd=repo, what="git rev-list")
    if done.returncode != 0:
        return None
    rows = [line.split() for line in done.stdout.decode("ascii", "replace").splitlines()]
    if not rows or len(rows) > MAX_CARRIED_COMMITS or rows[0][0] != commit:
        return None
    for row, older in zip(rows, rows[1:] + [[base]]):
        if len(row) != 2 or row[1] != older[0]:
            return None
    return [row[0] for row in reversed(rows)]


def expand(runs: dict[str, Sequence[int]]) -> list[str] | None:
    """Per line of the file (0-based), its origin commit; None when the runs leave a gap or
    overlap (not a whole file's blame)."""
    total = sum(int(count) for flat in runs.values() for count in list(flat)[1::2])
    lines: list[str | None] = [None] * total
    for origin, flat in runs.items():
        flat = [int(v) for v in flat]
        for start, count in zip(flat[::2], flat[1::2]):
            if start < 1 or start - 1 + count > total:
                return None
            lines[start - 1:start - 1 + count] = [origin] * count
    if any(line is None for line in lines):
        return None
    return lines  # type: ignore[return-value]


def collapse(lines: Iterable[str]) -> dict[str, list[int]]:
    """The runs of per-line origins: origin -> ``[first line, count, ...]`` (1-based)."""
    runs: dict[str, list[int]] = {}
    previous, start, count = None, 0, 0
    for number, origin in enumerate(lines, 1):
        if origin == previous:
            count += 1
            continue
        if previous is not None:
            runs.setdefault(previous, []).extend((start, count))
        previous, start, count = origin, number, 1
    if previous is not None:
        runs.setdefault(previous, []).extend((start, count))
    return runs


def _patches(out: bytes) -> list[tuple[str, list[tuple[int, int, int]]]] | None:
    """``git log -p -U0`` output of one path: per commit, its hunks ``(old start, old count,
    new count)``; None when a commit creates or deletes the file or the output is unknown."""
    commits: list[tuple[str, list[tuple[int, int, int]]]] = []
    for line in out.split(b"\n"):
        if line.startswith(_COMMIT_MARK):
            commits.append((line[len(_COMMIT_MARK):].decode("ascii"), []))
        elif line.startswith(b"@@ -"):
            match = _HUNK.match(line)
            if match is None or not commits:
                return None
            old_start, old_count, _, new_count = match.groups()
            commits[-1][1].append((int(old_start), 1 if old_count is None else int(old_count),
                                   1 if new_count is None else int(new_count)))
        elif line.startswith((b"new file mode", b"deleted file mode", b"Binary files",
                              b"rename ", b"copy ")):
            return None
    return commits


def apply(lines: list, commit: str, hunks: list[tuple[int, int, int]]) -> list | None:
    """``lines`` (per-line origins) after one commit's hunks, its added lines on ``commit``;
    None when a hunk does not fit the file."""
    out: list[str] = []
    at = 0  # 0-based index of the next old line not yet copied
    for old_start, old_count, new_count in hunks:
        # with no old lines, a hunk inserts after line old_start; else it starts on it
        begin = old_start if old_count == 0 else old_start - 1
        if begin < at or begin + old_count > len(lines):
            return None
        out.extend(lines[at:begin])
        out.extend([commit] * new_count)
        at = begin + old_count
    out.extend(lines[at:])
    return out


def _line_count(repo: Path, blob: str, git: Git) -> int | None:
    """The number of lines git blame counts in a blob (a last line without its newline
    counts); None when git cannot read it."""
    done = git.run_raw(["cat-file", "blob", blob], cwd=repo, what="git cat-file")
    if done.returncode != 0:
        return None
    data = done.stdout
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def carry(repo: Path, base: str, descent: list[str], path: str,
          base_runs: dict[str, Sequence[int]] | None, git: Git,
          base_blob: str | None = None) -> dict[str, list[int]] | None:
    """The runs of ``path``'s blame at ``descent[-1]``, from its blame at ``base``
    (``base_runs``) and the diffs of the commits of ``descent`` (:func:`line_of_descent`)
    that change it; None when that cannot be done (see the module docstring): blame it.

    ``base_runs`` None: the blame at ``base`` (of ``base_blob``) is not known; the result is
    given only when the commits of ``descent`` wrote every line of the file."""
    if base_runs is None:
        count = _line_count(repo, base_blob, git) if base_blob else None
        lines: list[str | None] | None = None if count is None else [None] * count
    else:
        lines = expand(base_runs)
    if lines is None or not descent:
        return None
    done = git.run_raw(["--literal-pathspecs", *DIFF_SETTINGS, "log", "--reverse",
                        "--format=%x00commit %H", "-p", "-U0", "--no-renames", "--text",
                        "--no-color", "--no-ext-diff", "--no-textconv", "--full-history",
                        f"{base}..{descent[-1]}", "--", os.fsdecode(path_bytes(path))],
                       cwd=repo, what="git log")
    if done.returncode != 0:
        return None
    patches = _patches(done.stdout)
    if patches is None:
        return None
    for commit, hunks in patches:
        lines = apply(lines, commit, hunks)
        if lines is None:
            return None
    if any(origin is None for origin in lines):
        return None  # lines from before the base, whose blame is not known
    return collapse(lines)


__all__ = ["DIFF_SETTINGS", "MAX_CARRIED_COMMITS", "apply", "carry", "collapse", "expand",
           "line_of_descent"]
