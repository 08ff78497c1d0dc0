""""Did you mean ...?" for a mistyped name: a command, a subcommand, a project.

One wording everywhere, the one click gives a mistyped option::

    >>> did_you_mean("serch", ["search", "serve", "status"])
    " Did you mean 'search'?"
    >>> did_you_mean("xyz", ["search"])
    ''
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: How alike a name must be to be offered (difflib's ratio; 0.6 is difflib's own default).
CUTOFF = 0.6


def close_names(name: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` closest to ``name``, closest first."""
    return difflib.get_close_matches(name, list(names), n=n, cutoff=CUTOFF)


def did_you_mean(name: str, names: Iterable[str], n: int = 3) -> str:
    """`` Did you mean 'x'?`` (or ``one of: 'x', 'y'``) for the names closest to ``name``;
    empty when none is close. Starts with a space, to follow a sentence."""
    close = close_names(name, names, n)
    if not close:
        return ""
    listed = ", ".join(repr(c) for c in close)
    return f" Did you mean {listed}?" if len(close) == 1 else f" Did you mean one of: {listed}?"
