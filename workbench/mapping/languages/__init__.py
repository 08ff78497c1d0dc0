"""Facts for the non-Python languages of a repository, read with tree-sitter.

The public surface is small on purpose: :func:`language_for_path` says whether a file is one
of ours, :func:`parse_source` turns its bytes into :class:`~workbench.mapping.facts.FileFacts`,
and :class:`Resolver` later maps each import to a file of the same snapshot (or names the
external package). Grammar wheels load lazily, on the first file of their language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registry import PARSER_VERSION, SUPPORTED_LANGUAGES, language_for_path

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..facts import FileFacts
    from .resolve import Resolution, Resolver

__all__ = [
    "PARSER_VERSION",
    "SUPPORTED_LANGUAGES",
    "Resolution",
    "Resolver",
    "language_for_path",
    "parse_source",
]


def parse_source(language: str, data: bytes) -> "FileFacts":
    """Parse ``data`` as ``language``; never raises for bad content (see :mod:`.base`)."""
    from .base import parse_source as _parse

    return _parse(language, data)


def __getattr__(name: str) -> Any:
    # Resolver and Resolution live in .resolve; import it only when asked for
    if name in ("Resolver", "Resolution"):
        from . import resolve

        return getattr(resolve, name)
    raise AttributeError(name)
