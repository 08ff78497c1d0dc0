"""Scanning a commit: classify its files, reuse stored facts, parse the rest in worker processes.

Files are read from the object database by blob sha, never from a checkout. A symlink is
recorded and not followed, a submodule is not entered, and files over the size limit and
binary files (a NUL byte) are skipped with a reason. Parsing runs in worker processes
(:mod:`.workers`): a parser that crashes its process loses that file, not the map.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ..repos.git import TreeEntry
from ..store.facts import FactKey
from .excludes import Excluder
from .tables import ScannedFile
from .facts import FileFacts
from .parsers import MANIFESTS, language_for, parser_for
from .workers import WorkerPool

Progress = Callable[[int, int | None, str], None]


#: Why a submodule or a symlink is not parsed (what git keeps there says more than any pattern).
SUBMODULE_REASON = "submodule (not initialised)"
SYMLINK_REASON = "symlink (not followed)"


def classify(entries: Iterable[TreeEntry], max_bytes: int,
             excluder: Excluder | None = None) -> list[ScannedFile]:
    """Decide for every tree entry whether it will be parsed, and why not when it will not."""
    files: list[ScannedFile] = []
    for e in entries:
        language = language_for(e.path)
        if e.is_submodule:  # what git keeps there says more than any pattern
            files.append(ScannedFile(e.path, e.blob_sha, None, None, "skipped", SUBMODULE_REASON))
        elif e.is_symlink:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, language, "skipped", SYMLINK_REASON))
        elif excluder is not None and (excluded := excluder.reason(e.path)) is not None:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, language, "ignored", excluded))
        elif language is None:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, None, "ignored", "no parser for this file type"))
        elif e.size is not None and e.size > max_bytes:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, language, "skipped",
                                     f"larger than {max_bytes} bytes ({e.size})"))
        else:
            files.append(ScannedFile(e.path, e.blob_sha, e.size, language, "parsed"))
    return files


@dataclass
class ScanResult:
    files: list[ScannedFile]
    fresh: dict[FactKey, str]
    """Facts parsed by this scan, to be stored with the snapshot."""
    manifests: dict[str, bytes]
    """Contents of go.mod / Cargo.toml files, for import resolution."""


def fact_key(f: ScannedFile) -> FactKey:
    """The parse cache's key of a file's facts: its blob, parser and parser version."""
    parser, version = parser_for(f.language)
    return (f.blob_sha, parser, version)


def scan(
    entries: list[TreeEntry],
    *,
    read_blobs: Callable[[list[str]], Iterable[tuple[str, bytes]]],
    cached: Callable[[list[FactKey]], dict[FactKey, str]],
    max_bytes: int,
    workers: int,
    progress: Progress | None = None,
    memory_limit: int = 2 << 30,
    excluder: Excluder | None = None,
    pool: WorkerPool | None = None,
) -> ScanResult:
    """Classify, look up cached facts, parse what is missing, and attach facts to files.

    With at least ``EARLY_START`` entries, the worker processes start before the files are
    classified and looked up in the cache, so their interpreters start meanwhile (a map whose
    files are all cached then closes them unused). ``pool``: workers the caller started
    earlier still (``workers`` and ``memory_limit`` are then its own); closed at the end.
    """
    if pool is None:
        pool = WorkerPool(workers, memory_limit=memory_limit)
        if len(entries) >= EARLY_START:
            pool.start()
    try:
        files = classify(entries, max_bytes, excluder)
        wanted = [f for f in files if f.status == "parsed"]
        keys = {id(f): fact_key(f) for f in wanted}
        return _scan(files, wanted, keys, entries, read_blobs=read_blobs, cached=cached,
                     max_bytes=max_bytes, progress=progress, excluder=excluder, pool=pool)
    finally:
        pool.close()


#: Entries to map from which parser workers start ahead of the classification.
EARLY_START = 64


def _scan(files: list[ScannedFile], wanted: list[ScannedFile], keys: dict[int, FactKey],
          entries: list[TreeEntry], *, read_blobs, cached, max_bytes: int,
          progress: Progress | None, excluder: Excluder | None, pool: WorkerPool) -> ScanResult:
    known = cached(list(set(keys.values())))
    missing = {(f.blob_sha, f.language) for f in wanted if keys[id(f)] not in known}
    # sha -> every path holding it: two go.mod files with the same bytes are two modules
    manifest_shas: dict[str, list[str]] = {}
    for e in entries:
        if (posixpath.basename(e.path) in MANIFESTS and not e.is_symlink
                and (excluder is None or excluder.reason(e.path) is None)
                and (e.size or 0) <= max_bytes):
            manifest_shas.setdefault(e.blob_sha, []).append(e.path)
    if progress:
        progress(0, len(missing), f"{len(wanted)} files to map, {len(missing)} to parse")
    manifests = {path: data for sha, data in read_blobs(sorted(manifest_shas))
                 for path in manifest_shas[sha]}
    # largest first, so the workers finish together; blobs stream from git as workers free up
    sizes = {(f.blob_sha, f.language): f.size or 0 for f in wanted}
    order = sorted(missing, key=lambda key: (-sizes[key], key))
    languages: dict[str, list[str]] = {}
    for sha, language in order:
        languages.setdefault(sha, []).append(language)

    def requests() -> Iterator[tuple[str, str, bytes]]:
        blobs = read_blobs(list(languages))
        try:
            for sha, data in blobs:
                for language in languages[sha]:
                    yield sha, language, data
        finally:
            close = getattr(blobs, "close", None)
            if close is not None:
                close()  # stop git when parsing stops early (a cancel, an error)

    decoded: dict[FactKey, FileFacts] = {}

    def decode(key: tuple[str, str], raw: str) -> None:
        decoded[(key[0], *parser_for(key[1]))] = FileFacts.from_json(raw)

    parsed = pool.parse(requests(), progress, total=len(order), on_result=decode)
    fresh: dict[FactKey, str] = {}
    for (sha, language), raw in parsed.items():
        fresh[(sha, *parser_for(language))] = raw
    for key, raw in known.items():
        decoded[key] = FileFacts.from_json(raw)
    for f in wanted:
        facts = decoded.get(keys[id(f)])
        if facts is None:
            continue
        if facts.extra.get("skipped"):
            f.status, f.reason = "skipped", facts.problem
        else:
            f.facts = facts
    return ScanResult(files, fresh, manifests)


__all__ = ["scan", "classify", "ScanResult", "language_for"]
