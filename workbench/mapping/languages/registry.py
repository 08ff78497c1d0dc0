"""Which language a path is written in, and the tree-sitter parser for it.

Grammar wheels are imported only when a file of that language is first parsed: a repository
with no Kotlin in it never pays for loading the Kotlin grammar, and importing this package
stays cheap for the processes that only need :func:`language_for_path`. Parsers are cached
per process (a :class:`tree_sitter.Parser` is not safe to share between threads, so the cache
is per thread as well).
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from tree_sitter import Language, Parser

    from .spec import LanguageSpec

#: Bump whenever the facts produced for the same bytes change (new fields, fixed rules...),
#: so that cached ``file_facts`` rows are recomputed.
PARSER_VERSION: int = 3  # 2: minified files are skipped; 3: JS member functions + exports, overloads

#: File extension (lower case, with the dot) -> language name.
EXTENSIONS: dict[str, str] = {
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".cs": "csharp",
    ".rb": "ruby",
    ".php": "php",
    ".kt": "kotlin", ".kts": "kotlin",
}

# language -> (grammar module, function returning the language pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "java": ("tree_sitter_java", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "csharp": ("tree_sitter_c_sharp", "language"),
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "kotlin": ("tree_sitter_kotlin", "language"),
}

# language -> (module of this package holding its rules, attribute name of the spec)
_SPECS: dict[str, tuple[str, str]] = {
    "javascript": ("javascript", "JAVASCRIPT"),
    "typescript": ("javascript", "TYPESCRIPT"),
    "tsx": ("javascript", "TSX"),
    "go": ("golang", "GO"),
    "java": ("jvm", "JAVA"),
    "kotlin": ("jvm", "KOTLIN"),
    "rust": ("rust", "RUST"),
    "c": ("cfamily", "C"),
    "cpp": ("cfamily", "CPP"),
    "csharp": ("csharp", "CSHARP"),
    "ruby": ("ruby", "RUBY"),
    "php": ("php", "PHP"),
}

SUPPORTED_LANGUAGES: frozenset[str] = frozenset(_GRAMMARS)

_languages: dict[str, "Language"] = {}
_lock = threading.Lock()
_local = threading.local()


def language_for_path(path: str) -> str | None:
    """The language of ``path`` judged by its extension, or None when not supported here."""
    ext = os.path.splitext(path)[1].lower()
    return EXTENSIONS.get(ext)


def get_language(language: str) -> "Language":
    """The tree-sitter Language for ``language``, loading its grammar wheel on first use."""
    lang = _languages.get(language)
    if lang is None:
        if language not in _GRAMMARS:
            raise ValueError(f"unsupported language: {language!r}")
        from tree_sitter import Language

        module_name, func = _GRAMMARS[language]
        module = importlib.import_module(module_name)
        with _lock:
            lang = _languages.setdefault(language, Language(getattr(module, func)()))
    return lang


def get_parser(language: str) -> "Parser":
    """A parser for ``language``, cached per thread."""
    cache: dict[str, "Parser"] | None = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    parser = cache.get(language)
    if parser is None:
        from tree_sitter import Parser

        parser = cache[language] = Parser(get_language(language))
    return parser


def get_spec(language: str) -> "LanguageSpec":
    """The extraction rules for ``language`` (see :mod:`.spec`)."""
    if language not in _SPECS:
        raise ValueError(f"unsupported language: {language!r}")
    module_name, attr = _SPECS[language]
    module = importlib.import_module(f"{__package__}.{module_name}")
    return getattr(module, attr)
