"""Citations: ``path:line`` ranges found in an answer, checked against the snapshot's files.

A citation is valid when the snapshot has a file at that path and the range lies within its
line count (lines counted from the blob the snapshot maps). An invented citation is kept with
``valid=False`` and marked in the answer's text, so it is never shown as real.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .records import Citation

# a path with a directory or an extension, then :line or :line-line (also "lines 3–9" dashes)
_CITE = re.compile(
    r"(?<![\w/.\-])((?:[\w.\-]+/)*[\w.\-]+\.[A-Za-z0-9]{1,10}|(?:[\w.\-]+/)+[\w.\-]+)"
    r":(\d{1,7})(?:\s?[-–]\s?(\d{1,7}))?(?![\d])")
INVALID_MARK = " [not in snapshot]"


def find_citations(text: str) -> list[tuple[str, int, int, int, int]]:
    """(path, start, end, span_start, span_end) per citation in ``text``, in order."""
    found = []
    for m in _CITE.finditer(text):
        path = m.group(1).strip("./") if m.group(1).startswith("./") else m.group(1)
        start = int(m.group(2))
        end = int(m.group(3)) if m.group(3) else start
        found.append((path, start, end, m.start(), m.end()))
    return found


def check_citations(text: str, line_count: Callable[[str], int | None], *,
                    quoted: str | None = None) -> tuple[str, list[Citation]]:
    """The citations in ``text``, each checked, and the text with invalid ones marked.

    ``line_count(path)`` gives the number of lines of a file in the snapshot, or None when the
    snapshot has no such file. Repeated citations are listed once. Lines that start with
    ``quoted`` are quotations of repository text, shown as the files have them: what looks
    like a citation there is the source's own text, neither listed nor marked.
    """
    citations: list[Citation] = []
    seen: set[tuple[str, int, int]] = set()
    marks: list[int] = []
    for path, start, end, begin, stop in find_citations(text):
        if quoted and text.startswith(quoted, text.rfind("\n", 0, begin) + 1):
            continue
        lines = line_count(path)
        valid = lines is not None and 1 <= start <= end <= max(lines, 1)
        if not valid:
            marks.append(stop)
        if (path, start, end) not in seen:
            seen.add((path, start, end))
            citations.append(Citation(path, start, end, valid))
    for stop in reversed(marks):
        text = text[:stop] + INVALID_MARK + text[stop:]
    return text, citations


def cite(path: str, start: int | None, end: int | None) -> str:
    """The canonical form ``path:start-end``, ``path:line`` for one line (as a
    :class:`~.records.Citation` prints), ``path`` alone without lines."""
    if start is None:
        return path
    if end is None or end == start:
        return f"{path}:{start}"
    return f"{path}:{start}-{end}"


def unique(citations: Iterable[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in citations:
        if (c.path, c.line_start, c.line_end) not in seen:
            seen.add((c.path, c.line_start, c.line_end))
            out.append(c)
    return out
