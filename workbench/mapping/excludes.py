"""Which files of a commit are left out of the map: vendored and generated code by default.

Third-party code copied into a repository (``node_modules/``, Go's and PHP's ``vendor/``,
``third_party/``) and bundles (``*.min.js``) are not the project's architecture: they swell the
map and its graphs with modules nobody here owns. Patterns are gitignore-style (``pathspec``):
``vendor/`` matches a directory of that name at any depth, ``!keep/vendor/`` takes a path back,
a leading ``/`` anchors a pattern at the repository root.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable

from ..errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pathspec

#: Left out unless a map says otherwise (``exclude=()`` maps everything).
DEFAULT_EXCLUDES: tuple[str, ...] = (
    "node_modules/", "bower_components/", "jspm_packages/",
    "vendor/", "vendors/", "third_party/", "third-party/", "thirdparty/", "3rdparty/",
    "*.min.js", "*.min.mjs",
)


def normalise(patterns: Iterable[str] | str | None) -> tuple[str, ...]:
    """A tuple of non-blank patterns; a comma-separated string is split (``none``: empty)."""
    if patterns is None:
        return DEFAULT_EXCLUDES
    if isinstance(patterns, str):
        if patterns.strip().lower() == "none":
            return ()
        patterns = patterns.split(",")
    cleaned = tuple(p.strip() for p in patterns if p and p.strip())
    if cleaned != DEFAULT_EXCLUDES:  # the defaults are valid: a re-map need not compile them
        _spec(cleaned)  # refuse a bad pattern before any work starts
    return cleaned


@lru_cache(maxsize=32)
def _spec(patterns: tuple[str, ...]) -> "pathspec.GitIgnoreSpec":
    import pathspec  # compiled when a commit is mapped, not when its snapshot is reused

    try:
        return pathspec.GitIgnoreSpec.from_lines(patterns)
    except (ValueError, TypeError) as exc:  # GitIgnorePatternError is a ValueError
        raise ConfigError(f"invalid exclude pattern in {list(patterns)!r}: {exc}; use "
                          "gitignore-style patterns such as 'vendor/' or '*.min.js'") from None


_GROUP_NAME = re.compile(r"\(\?P<[^>]+>")


@lru_cache(maxsize=32)
def _any_match(patterns: tuple[str, ...]) -> "re.Pattern[str] | None":
    """One regular expression that finds a path any of the patterns finds, or None when the
    patterns' expressions cannot be joined.

    pathspec tries each pattern in turn (about 10 µs per path and pattern, a second for a
    monorepo's 100,000 paths with the default patterns); nearly every path matches none of
    them, and for those the joined expression answers at once. Only a path it finds is
    weighed pattern by pattern, by pathspec's rules. Group names are dropped so that the
    patterns' expressions, which all name their directory mark alike, can be joined.
    """
    regexes = [p.regex for p in _spec(patterns).patterns
               if p.include is not None and p.regex is not None]
    flags = {regex.flags for regex in regexes}
    if not regexes or len(flags) != 1 or not all(isinstance(r.pattern, str) for r in regexes):
        return None
    try:
        return re.compile("|".join(f"(?:{_GROUP_NAME.sub('(?:', r.pattern)})" for r in regexes),
                          flags.pop())
    except re.error:  # back-references to a group name, or flags in the middle
        return None


class Excluder:
    """Answers "is this path left out, and by which pattern?" for one set of patterns."""

    def __init__(self, patterns: Iterable[str] | str | None = None) -> None:
        self.patterns = normalise(patterns)
        self._spec: "pathspec.GitIgnoreSpec | None" = None  # compiled on first use
        self._any: "re.Pattern[str] | None" = None
        self._normalize: Callable[[str], str] = str

    def compile(self) -> "Excluder":
        """Import pathspec and compile the patterns now (about 20 ms in a fresh process), as
        the first :meth:`reason` would: a whole map does it while git lists the tree, so
        that the files' classification, which the parser workers wait for, does not."""
        if self.patterns and self._spec is None:
            from pathspec.util import normalize_file

            any_match = _any_match(self.patterns)
            self._normalize = normalize_file  # the form of the path pathspec itself matches
            self._any = any_match
            self._spec = _spec(self.patterns)  # set last: reason() tests it alone
        return self

    def reason(self, path: str) -> str | None:
        """``excluded by 'vendor/'`` for a path a pattern leaves out, else ``None``."""
        if not self.patterns:
            return None
        if self._spec is None:
            self.compile()
        if self._any is not None and self._any.search(self._normalize(path)) is None:
            return None  # no pattern matches: pathspec would say the same
        result = self._spec.check_file(path)
        if not result.include:
            return None
        return f"excluded by {self.patterns[result.index]!r}"


__all__ = ["DEFAULT_EXCLUDES", "Excluder", "normalise"]
