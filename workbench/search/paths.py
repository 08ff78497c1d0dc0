"""The ``path`` filter of search: a glob read as a line of ``.gitignore`` reads it.

That is how ripgrep's ``--glob`` and the map's own ``--exclude`` patterns read a glob, so one
pattern means the same everywhere:

- ``*`` matches within one path segment, ``?`` one character, ``[abc]`` one of a set, and
  ``**`` any number of directories (``src/**/*.py``);
- a pattern without a slash, or with one only at its end, matches at any depth: ``*.py``,
  ``conftest.py``, ``tests/`` (a directory named ``tests`` anywhere);
- a pattern with a slash at its start or in its middle is anchored at the repository root:
  ``src/attr/*``, ``/setup.py``; ``**/attr/*`` finds a directory ``attr`` at any depth;
- a pattern that matches a directory matches every file below it (``src/attr`` and
  ``src/attr/*`` hold ``src/attr/sub/x.py``);
- a leading ``./`` is dropped (as git's pathspecs allow); case counts, as in git.

A pattern that matches no file of the snapshot is refused with :class:`PathMatchesNothing`,
whose message gives a pattern that would match (:func:`suggestion`), rather than answered
with "no hits".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..faces import hint
from .errors import InvalidSearch, PathMatchesNothing

#: Files a message lists of those the pattern it suggests matches.
_SHOWN = 3


def _cleaned(glob: str) -> str:
    text = glob.strip() if isinstance(glob, str) else ""
    while text.startswith("./"):
        text = text[2:]
    return text


def path_regex(glob: str) -> re.Pattern[str]:
    """The expression a path matches when ``glob`` selects it; :class:`InvalidSearch` for a
    glob that selects nothing by its form (blank, a comment, negated, malformed)."""
    import pathspec

    text = _cleaned(glob)
    try:
        pattern = pathspec.GitIgnoreSpec.from_lines([text]).patterns[0] if text else None
    except ValueError as exc:  # GitIgnorePatternError
        raise InvalidSearch(f"the path filter {glob!r} is not a glob git reads ({exc}); "
                            "write one such as '*.py', 'src/' or '**/tests/*'",
                            argument="path") from None
    if pattern is None or pattern.include is None or pattern.regex is None:
        raise InvalidSearch(f"the path filter {glob!r} is no glob (blank, a comment, or an "
                            "unclosed '['); write one such as '*.py', 'src/' or '**/tests/*'",
                            argument="path")
    if not pattern.include:
        raise InvalidSearch(f"the path filter {glob!r} is negated, so it keeps no file; give "
                            "the files to keep, such as '*.py' or 'src/'", argument="path")
    return pattern.regex


def matching(paths: Iterable[str], glob: str) -> set[str]:
    """The ``paths`` that ``glob`` selects."""
    regex = path_regex(glob)
    return {p for p in paths if isinstance(p, str) and regex.match(p)}


def _option(glob: str) -> str:
    return hint(f"--path {glob!r}", f"path={glob!r}")


def suggestion(glob: str, paths: Iterable[str]) -> str:
    """What to write instead of ``glob``, which selects none of ``paths``: a glob like it
    that matches (at any depth when a slash anchored it at the root, across directories
    where a ``*`` stayed in one, in the files' case), else globs that match files here."""
    paths = sorted({p for p in paths if isinstance(p, str)})
    text = _cleaned(glob)
    tries = _wider(text)
    if text.lower() != text:
        case = "case counts, as in git"
        tries += [(text.lower(), case)] + [(w, f"{case}; {why}") for w, why in _wider(
            text.lower())]
    for wider, why in tries:
        found = sorted(matching(paths, wider))
        if found:
            shown = ", ".join(found[:_SHOWN]) + (", ..." if len(found) > _SHOWN else "")
            return (f"{why}: {_option(wider)} matches {len(found)} "
                    f"file{'s' if len(found) > 1 else ''} ({shown})")
    return _examples(paths)


def _wider(text: str) -> list[tuple[str, str]]:
    """Globs like ``text`` that reach further, each with the rule of .gitignore it eases:
    at any depth (a slash anchors a pattern at the root) and below any directory (``*``
    stays in one)."""
    stem = text.rstrip("/")
    if "/" not in stem:
        return []
    anchored = "a pattern with a slash is anchored at the repository root, as in .gitignore"
    tries = [] if text.startswith("**/") else [("**/" + text.lstrip("/"), anchored)]
    head, _, last = stem.rpartition("/")
    if head.strip("/") and not head.endswith("**"):
        deeper = f"{head}/**/{last}" + ("/" if text.endswith("/") else "")
        tries.append((deeper, "'*' matches within one directory and '**' across any number, "
                              "as in .gitignore"))
        if not text.startswith(("**/", "/")):
            tries.append(("**/" + deeper, f"{anchored}, and '*' stays within one directory"))
    return tries


def nothing_matches(glob: str, paths: Iterable[str], *, project: str,
                    snapshot_id: int) -> PathMatchesNothing:
    """The error for ``glob``, which matches none of the snapshot's file ``paths``."""
    return PathMatchesNothing(
        f"no file of snapshot {snapshot_id} of {project} matches the path filter {glob!r}; "
        f"{suggestion(glob, paths)}", argument="path", path=glob, project=project,
        snapshot_id=snapshot_id)


def _examples(paths: list[str]) -> str:
    """Globs that match files of ``paths``: the commonest extension, the top directories."""
    counts: dict[str, int] = {}
    for p in paths:
        name = p.rsplit("/", 1)[-1].strip(".")
        if "." in name:
            ext = name.rsplit(".", 1)[-1]
            counts[ext] = counts.get(ext, 0) + 1
    examples = [f"*.{max(sorted(counts), key=counts.__getitem__)}"] if counts else []
    tops: dict[str, int] = {}
    for p in paths:
        if "/" in p:
            tops[p.split("/", 1)[0] + "/"] = tops.get(p.split("/", 1)[0] + "/", 0) + 1
    examples += sorted(tops, key=lambda top: (-tops[top], top))[:2]
    if not examples:
        return "the snapshot has no files to search"
    return "globs that match files here: " + " or ".join(_option(e) for e in examples)


__all__ = ["matching", "nothing_matches", "path_regex", "suggestion"]
