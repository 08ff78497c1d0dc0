"""Module expressions as import-linter writes them, and the closest names for a typo.

A module expression is a dotted name whose segments may be ``*`` (exactly one segment) or
``**`` (one or more segments): ``app.*`` matches ``app.web`` but not ``app.web.views``;
``app.**`` matches both; ``app.**.models`` matches ``app.x.models`` and ``app.x.y.models``.
A wildcard stands for whole segments only (``app.foo*`` is refused), and a ``**`` may not
be followed directly by another wildcard. An import expression is ``importer -> imported``
with a module expression on each side.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache

from .errors import ContractConfigError

#: How many close names an error shows at most.
CLOSEST = 5


def has_wildcard(expression: str) -> bool:
    return "*" in expression


def validate(expression: str, *, field: str = "module") -> str:
    """``expression`` stripped, or :class:`ContractConfigError` when it is not well formed."""
    text = expression.strip()
    parts = text.split(".")
    if not text or any(not p for p in parts):
        raise ContractConfigError(f"{field}: {expression!r} is not a dotted module name")
    previous = ""
    for part in parts:
        if "*" in part and part not in ("*", "**"):
            raise ContractConfigError(
                f"{field}: {expression!r}: a wildcard must stand for a whole name ('*' or '**')")
        if previous == "**" and part in ("*", "**"):
            raise ContractConfigError(f"{field}: {expression!r}: '**' cannot be followed by a wildcard")
        if previous == "*" and part == "**":
            raise ContractConfigError(f"{field}: {expression!r}: '*' cannot be followed by '**'")
        previous = part
    return text


@lru_cache(maxsize=4096)
def _pattern(expression: str) -> re.Pattern[str]:
    pieces = []
    for part in expression.split("."):
        if part == "*":
            pieces.append(r"[^.]+")
        elif part == "**":
            pieces.append(r"[^.]+(?:\.[^.]+)*")
        else:
            pieces.append(re.escape(part))
    return re.compile(r"\.".join(pieces))


def match(expression: str, name: str) -> bool:
    """Whether module ``name`` matches ``expression`` (exact names match only themselves)."""
    if not has_wildcard(expression):
        return name == expression
    return _pattern(expression).fullmatch(name) is not None


def expand(expression: str, names: Iterable[str]) -> list[str]:
    """The names matching ``expression``, sorted."""
    if not has_wildcard(expression):
        return [expression] if expression in set(names) else []
    pattern = _pattern(expression)
    return sorted(n for n in names if pattern.fullmatch(n))


def parse_import(expression: str, *, field: str = "ignore_imports") -> tuple[str, str]:
    """``(importer, imported)`` expressions of ``"a.b -> c.*"``."""
    importer, arrow, imported = expression.partition("->")
    if not arrow:
        raise ContractConfigError(f"{field}: {expression!r} is not of the form 'importer -> imported'")
    return validate(importer, field=field), validate(imported, field=field)


def closest(name: str, names: Iterable[str], n: int = CLOSEST) -> list[str]:
    """Up to ``n`` names most like ``name`` (difflib ratio), for a "did you mean" hint.

    For a wildcard expression the comparison uses the expression with its wildcards replaced
    by the matching names' segments, so ``app.*`` suggests the packages close to ``app``.
    """
    names = sorted(set(names))
    literal = ".".join(p for p in name.split(".") if "*" not in p)
    found = difflib.get_close_matches(literal or name, names, n=n, cutoff=0.6)
    if not found and literal:
        # a misspelt leaf under a right parent: compare the leaves of the parent's children
        parent, _, leaf = literal.rpartition(".")
        kids = [c for c in names if c.rpartition(".")[0] == parent]
        found = difflib.get_close_matches(literal, kids, n=n, cutoff=0.4)
    return found
