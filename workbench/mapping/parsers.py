"""Which parser reads which file, and under what name and version its facts are cached.

Python files are read with the standard ``ast`` module (:mod:`.python`; files in a newer
grammar than the interpreter's are first rewritten, :mod:`.python_newer`); JavaScript,
TypeScript, Go, Java, Kotlin, Rust, C, C++, C#, Ruby and PHP with tree-sitter
(:mod:`.languages`). A parser's name and version key the ``file_facts`` cache: bump the
version when the facts it produces for the same bytes change.
"""

from __future__ import annotations

from .facts import FileFacts

#: Files read for import resolution, not parsed (module paths, crate names).
MANIFESTS = frozenset({"go.mod", "Cargo.toml"})


def language_for(path: str) -> str | None:
    """The language of a path by its extension, or None when no parser reads it."""
    if path.endswith(".py"):
        return "python"
    from .languages import language_for_path

    return language_for_path(path)


def known_languages() -> tuple[str, ...]:
    """The names the map gives languages (``files.language``, a search hit's ``language``),
    sorted: ``python`` and the tree-sitter languages of :mod:`.languages`."""
    from .languages.registry import EXTENSIONS

    return tuple(sorted({"python", *EXTENSIONS.values()}))


#: Common spellings of a language besides its name and its file extensions.
LANGUAGE_SPELLINGS = {"c++": "cpp", "c#": "csharp", "golang": "go"}


def language_named(name: str) -> str | None:
    """The map's name for the language a user names, or None when it names none: the name in
    any case (``Python``), a file extension the map reads as that language, with or without
    its dot (``py``, ``.ts``, ``rs``, ``h``: the language :func:`language_for` gives such a
    file), or a common spelling (``c++``, ``c#``, ``golang``)."""
    from .languages.registry import EXTENSIONS

    key = name.strip().lower() if isinstance(name, str) else ""
    if not key:
        return None
    if key in known_languages():
        return key
    if key in LANGUAGE_SPELLINGS:
        return LANGUAGE_SPELLINGS[key]
    ext = key if key.startswith(".") else "." + key
    return "python" if ext == ".py" else EXTENSIONS.get(ext)


def parser_for(language: str) -> tuple[str, int]:
    """(parser name, parser version) for a language: the cache key besides the blob sha."""
    if language == "python":
        from .python import PARSER_NAME, PARSER_VERSION

        return PARSER_NAME, PARSER_VERSION
    from .languages import PARSER_VERSION

    return f"tree-sitter-{language}", PARSER_VERSION


def parse(language: str, data: bytes) -> FileFacts:
    """Parse one file's bytes; never raises for bad content."""
    if language == "python":
        from .python import parse_python

        return parse_python(data)
    from .languages import parse_source

    return parse_source(language, data)
