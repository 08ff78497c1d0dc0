"""Scanning a commit: classify its files, reuse stored facts, parse the rest in worker processes.

Files are read from the object database by blob sha, never from a checkout. A symlink is
recorded and not followed, a submodule is not entered, and files over the size limit and
binary files (a NUL byte) are skipped with a reason. Parsing runs in worker processes
(:mod:`.workers`): a parser that crashes its process loses that file, not the map.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable

from ..repos.git import TreeEntry
from .build import ScannedFile
from .facts import FileFacts
from .python import PARSER_NAME, PARSER_VERSION
from .workers import WorkerPool

Progress = Callable[[int, int | None, str], None]

_LANGUAGES = {".py": "python"}


def language_for(path: str) -> str | None:
    return _LANGUAGES.get(os.path.splitext(path)[1].lower())


def classify(entries: Iterable[TreeEntry], max_bytes: int) -> list[ScannedFile]:
    """Decide for every tree entry whether it will be parsed, and why not when it will not."""
    files: list[ScannedFile] = []
    for e in entries:
        language = language_for(e.path)
        if e.is_submodule:
            files.append(ScannedFile(e.path, e.blob_sha, None, None, "skipped", "submodule (not initialised)"))
        elif e.is_symlink:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, language, "skipped", "symlink (not followed)"))
        elif language is None:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, None, "ignored", "no parser for this file type"))
        elif e.size is not None and e.size > max_bytes:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, language, "skipped",
                                     f"larger than {max_bytes} bytes ({e.size})"))
        else:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, language, "parsed"))
    return files


def scan(
    entries: list[TreeEntry],
    *,
    read_blobs: Callable[[list[str]], Iterable[tuple[str, bytes]]],
    cached: Callable[[list[str]], dict[str, str]],
    max_bytes: int,
    workers: int,
    progress: Progress | None = None,
) -> tuple[list[ScannedFile], dict[str, str]]:
    """Return scanned files and the facts newly parsed (``{blob_sha: json}``) to store."""
    files = classify(entries, max_bytes)
    wanted = [f for f in files if f.status == "parsed"]
    known = cached([f.blob_sha for f in wanted])
    missing = sorted({f.blob_sha for f in wanted if f.blob_sha not in known})
    if progress:
        progress(0, len(missing), f"{len(wanted)} files to map, {len(missing)} to parse")
    blobs = list(read_blobs(missing))
    parsed = WorkerPool(workers).parse(blobs, progress)
    fresh = {sha: facts for sha, (_, facts) in parsed.items()}
    all_facts = {**known, **fresh}
    for f in wanted:
        if f.blob_sha in all_facts:
            facts = FileFacts.from_json(all_facts[f.blob_sha])
            if facts.extra.get("skipped"):
                f.status, f.reason = "skipped", facts.problem
            else:
                f.facts = facts
    return files, fresh


__all__ = ["scan", "classify", "PARSER_NAME", "PARSER_VERSION", "language_for"]
