"""Split blobs and commits into the chunks search ranks.

* **code** (a file the map parsed): one chunk per definition the map found, along its nodes'
  line ranges (no second parse): a function or method whole, with the comment lines right
  above it, or in windows past :data:`LONG_FUNCTION` lines (:func:`_function_windows`); a
  class as its header, docstring and attributes up to its first method (the
  methods are chunks of their own, and their names are listed in the class's chunk); and the
  file's top level (imports, constants, module docstring, lines outside any definition) in
  windows of at most :data:`WINDOW` lines.
* **docs** (Markdown, reStructuredText, plain text): one chunk per section, a heading and the
  lines up to the next heading; long sections in windows.
* **config** (TOML, YAML, JSON, INI, Dockerfile ...): files of at most
  :data:`CONFIG_MAX_BYTES` (lock files and generated data say little, and are skipped); a TOML
  or INI file (``setup.cfg``, ``tox.ini``, ``pyproject.toml``) with two or more ``[section]``
  headers is one chunk per section, titled ``file [section]``, any other file one chunk.
  A config chunk, or a chunk of ``setup.py``, that sets a standard packaging key gets a last
  comment line saying what the key means in words (:data:`PACKAGING_KEYS`:
  ``python_requires`` -> "minimum supported Python version"), so a question in words finds it.
* **commits**: the subject and the paths the commit touched.

A chunk of a blob depends on the blob's bytes and the map's line ranges for them only, so it
is stored once per blob sha and :data:`CHUNKER_VERSION` (bump it when chunks change shape).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Iterable, Sequence

from ..source_text import decode_source

#: 3: a Python file's text is decoded with its declared encoding (PEP 263), not always UTF-8
#: 4: a function longer than LONG_FUNCTION lines in windows
CHUNKER_VERSION = 4
WINDOW = 80
#: A function longer than this many lines is chunked in windows of about FUNCTION_WINDOW.
LONG_FUNCTION = 60
FUNCTION_WINDOW = 40
MAX_CHARS = 12_000
CONFIG_MAX_BYTES = 16_000
KINDS = ("code", "docs", "config", "commits")

DOC_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".txt": "text",
                ".adoc": "text"}
CONFIG_SUFFIXES = {".toml", ".yaml", ".yml", ".json", ".ini", ".cfg", ".conf", ".properties"}
CONFIG_NAMES = {"Dockerfile", "Makefile", "Procfile", "Containerfile", "Justfile", "setup.cfg",
                "tox.ini", ".gitignore", ".dockerignore", ".editorconfig", ".env.example",
                "MANIFEST.in"}
SECTIONED_SUFFIXES = {".toml", ".ini", ".cfg"}
_SECTION = re.compile(r"^\s*\[\[?\s*([^\[\]\n]+?)\s*\]\]?\s*(?:[#;].*)?$")
# standard packaging keys (setuptools, PEP 621) and what they mean, in the words people ask with
PACKAGING_KEYS = {
    "python_requires": "minimum supported Python version",
    "requires-python": "minimum supported Python version",
    "install_requires": "runtime dependencies, required packages",
    "dependencies": "runtime dependencies, required packages",
    "extras_require": "optional dependencies, extras",
    "optional-dependencies": "optional dependencies, extras",
    "console_scripts": "command line entry points, scripts",
    "entry_points": "command line entry points, plugins",
}
_PACKAGING_KEY = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, PACKAGING_KEYS))
                            + r")(?![\w-])\s*[=:]")
_CONFIG_SKIP = {"package-lock.json", "yarn.lock", "poetry.lock", "Cargo.lock", "uv.lock",
                "pnpm-lock.yaml", "composer.lock", "Gemfile.lock"}


@dataclass(frozen=True)
class Definition:
    """A definition the map found in a file: its node id after ``:`` and its line span."""

    symbol: str
    kind: str
    line_start: int
    line_end: int


@dataclass(frozen=True)
class Chunk:
    """One searchable piece. Lines are 1-based and inclusive; ``symbol`` is the node id's part
    after ``:`` (None for a file's top level, a section, a config file or a commit)."""

    kind: str
    line_start: int | None
    line_end: int | None
    symbol: str | None
    node_kind: str | None
    title: str
    text: str


def file_kind(path: str, language: str | None, status: str) -> str | None:
    """``code``, ``docs``, ``config`` or None (not indexed) for a file of a snapshot."""
    if status == "parsed" and language:
        return "code"
    if status not in ("parsed", "ignored"):
        return None  # binary, too large, excluded, unreadable
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot > 0 else ""
    if suffix in DOC_SUFFIXES or name.upper().startswith(("README", "CHANGELOG", "CHANGES")):
        return "docs"
    if name in _CONFIG_SKIP:
        return None
    if suffix in CONFIG_SUFFIXES or name in CONFIG_NAMES:
        return "config"
    return None


def chunk_blob(path: str, kind: str, data: bytes, definitions: Sequence[Definition] = (),
               file_node_kind: str | None = None) -> list[Chunk]:
    """The chunks of one file's bytes (``kind`` from :func:`file_kind`)."""
    if b"\x00" in data[:8000]:
        return []
    text = decode_source(path, data)
    lines = text.splitlines()
    if kind == "code":
        chunks = chunk_code(lines, definitions, file_node_kind)
        if PurePosixPath(path).name == "setup.py":
            chunks = [_with_key_meanings(c) for c in chunks]
        return chunks
    if kind == "docs":
        style = DOC_SUFFIXES.get(PurePosixPath(path).suffix.lower(), "markdown")
        return chunk_document(lines, style)
    if kind == "config":
        if len(data) > CONFIG_MAX_BYTES or not text.strip():
            return []
        return [_with_key_meanings(c) for c in chunk_config(path, lines, text)]
    return []


def chunk_config(path: str, lines: Sequence[str], text: str) -> list[Chunk]:
    """A config file whole, or per ``[section]`` for TOML and INI files with two or more."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(path).suffix.lower()
    starts: list[tuple[int, str]] = []
    if suffix in SECTIONED_SUFFIXES:
        starts = [(i + 1, m.group(1)) for i, line in enumerate(lines)
                  if (m := _SECTION.match(line))]
    if len(starts) < 2:
        return [Chunk("config", 1, max(1, len(lines)), None, None, name, text[:MAX_CHARS])]
    if starts[0][0] > 1:
        starts.insert(0, (1, ""))
    chunks = []
    for i, (start, section) in enumerate(starts):
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else len(lines)
        body = _body(lines, start, end)
        if body.strip():
            title = f"{name} [{section}]" if section else name
            chunks.append(Chunk("config", start, end, None, None, title[:120], body))
    return chunks


def _with_key_meanings(chunk: Chunk) -> Chunk:
    """The chunk with a last comment line giving the meaning of the packaging keys it sets."""
    keys = list(dict.fromkeys(m.group(1) for m in _PACKAGING_KEY.finditer(chunk.text)))
    if not keys:
        return chunk
    meanings = "; ".join(f"{key}: {PACKAGING_KEYS[key]}" for key in keys)
    return replace(chunk, text=(chunk.text + f"\n# {meanings}")[:MAX_CHARS + 200])


def _title(line: str) -> str:
    return line.strip()[:120]


def _body(lines: Sequence[str], start: int, end: int) -> str:
    return "\n".join(lines[start - 1:end])[:MAX_CHARS]


def _lead_comments(lines: Sequence[str], start: int, floor: int) -> int:
    """Move a definition's first line up over the comment lines right above it."""
    while start - 1 > floor and lines[start - 2].lstrip().startswith(("#", "//", "/*", "*")):
        start -= 1
    return start


def _function_windows(lines: Sequence[str], start: int, end: int) -> list[tuple[int, int]]:
    """The line ranges a function's chunks cover: the whole function up to
    :data:`LONG_FUNCTION` lines, else windows of about :data:`FUNCTION_WINDOW` lines, each
    ending at a blank line where one is near (a paragraph of the body), none of them empty.

    A long function is several steps; whole, the few lines a question is about weigh little
    in its BM25 length and its vector, and a citation of it names hundreds of lines. Every
    window keeps the function's symbol, which the index reads before the text.
    """
    if end - start + 1 <= LONG_FUNCTION:
        return [(start, end)]
    windows: list[tuple[int, int]] = []
    first = start
    while first <= end:
        last = min(end, first + FUNCTION_WINDOW - 1)
        if end - last < FUNCTION_WINDOW // 2:  # no short tail: the last window takes it
            last = end
        else:
            blank = next((k for k in range(last, last - FUNCTION_WINDOW // 4, -1)
                          if not lines[k - 1].strip()), None)
            last = blank if blank is not None else last
        if any(lines[k - 1].strip() for k in range(first, last + 1)):
            windows.append((first, last))
        first = last + 1
    return windows


def chunk_code(lines: Sequence[str], definitions: Sequence[Definition],
               file_node_kind: str | None) -> list[Chunk]:
    n = len(lines)
    defs = sorted((d for d in definitions if d.line_start and d.line_end
                   and 1 <= d.line_start <= n), key=lambda d: (d.line_start, -d.line_end))
    chunks: list[Chunk] = []
    covered = [False] * (n + 2)
    inside_function: list[Definition] = []  # definitions nested in a function are part of it
    for i, d in enumerate(defs):
        end = min(d.line_end, n)
        if any(f.line_start <= d.line_start and end <= f.line_end for f in inside_function):
            continue
        start = _lead_comments(lines, d.line_start, 0)
        header = next((ln for ln in lines[d.line_start - 1:end]
                       if ln.strip() and not ln.lstrip().startswith(("@", "#", "//"))), "")
        if d.kind == "class":
            children = [c for c in defs[i + 1:] if c.line_start <= end
                        and c.symbol.startswith(d.symbol + ".")]
            own_end = end
            if children:
                own_end = max(d.line_start, _lead_comments(lines, children[0].line_start,
                                                           d.line_start) - 1)
            text = _body(lines, start, own_end)
            direct = [c.symbol[len(d.symbol) + 1:] for c in children
                      if "." not in c.symbol[len(d.symbol) + 1:]]
            if direct:
                text += "\n# members: " + ", ".join(direct)
            for k in range(start, own_end + 1):
                covered[k] = True
            chunks.append(Chunk("code", start, own_end, d.symbol, d.kind, _title(header), text))
        else:
            inside_function.append(Definition(d.symbol, d.kind, d.line_start, end))
            for k in range(start, end + 1):
                covered[k] = True
            for first, last in _function_windows(lines, start, end):
                chunks.append(Chunk("code", first, last, d.symbol, d.kind, _title(header),
                                    _body(lines, first, last)))
    for d in defs:  # everything a class spans (its methods included) is covered
        if d.kind == "class":
            for k in range(d.line_start, min(d.line_end, n) + 1):
                covered[k] = True
    rest = [k for k in range(1, n + 1) if not covered[k]]
    top: list[Chunk] = []
    for w in range(0, len(rest), WINDOW):
        window = [k for k in rest[w:w + WINDOW]]
        text = "\n".join(lines[k - 1] for k in window)
        if len(text.strip()) < 3:
            continue
        filled = [k for k in window if lines[k - 1].strip()]
        window = [k for k in window if filled[0] <= k <= filled[-1]]
        text = "\n".join(lines[k - 1] for k in window)
        first = next((lines[k - 1] for k in window if lines[k - 1].strip()), "")
        top.append(Chunk("code", window[0], window[-1], None, file_node_kind, _title(first),
                         text[:MAX_CHARS]))
    return top + chunks


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+_:.])\1{2,}\s*$")


def _section_starts(lines: Sequence[str], style: str) -> list[tuple[int, str]]:
    """(1-based line, heading) of each section start."""
    starts: list[tuple[int, str]] = []
    fenced = False
    for i, line in enumerate(lines):
        if style == "markdown":
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            m = None if fenced else _MD_HEADING.match(line)
            if m:
                starts.append((i + 1, m.group(2)))
        elif style == "rst":
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if (line.strip() and _RST_UNDERLINE.match(nxt) and len(nxt.strip()) >= len(line.strip())
                    and not _RST_UNDERLINE.match(line)):
                above = i - 1 if i > 0 and _RST_UNDERLINE.match(lines[i - 1]) else i
                starts.append((above + 1, line.strip()))
    return starts


def chunk_document(lines: Sequence[str], style: str) -> list[Chunk]:
    """Sections of a Markdown or reStructuredText document (plain text: windows)."""
    n = len(lines)
    starts = _section_starts(lines, style)
    if not starts or starts[0][0] > 1:
        first = next((ln for ln in lines if ln.strip()), "")
        starts.insert(0, (1, first.strip()))
    chunks: list[Chunk] = []
    for i, (start, heading) in enumerate(starts):
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else n
        for w in range(start, end + 1, WINDOW):
            last = min(end, w + WINDOW - 1)
            text = _body(lines, w, last)
            if len(text.strip()) < 3:
                continue
            chunks.append(Chunk("docs", w, last, None, None, heading[:120], text))
    return chunks


def chunk_commit(subject: str, paths: Iterable[str]) -> Chunk:
    """A commit's subject and the paths it touched (at most 200 listed)."""
    touched = sorted(set(p for p in paths if p))
    listed = "\n".join(touched[:200]) + (f"\n... {len(touched) - 200} more" if len(touched) > 200 else "")
    return Chunk("commits", None, None, None, None, (subject or "")[:120],
                 f"{subject or ''}\n\nfiles:\n{listed}"[:MAX_CHARS])
