"""Build a snapshot's search index: chunk new blobs and commits, embed them, store them.

The ``index`` job (registered with the job runner like ``map``) works in batches; each batch
of chunks, vectors and sources is one short transaction, so a cancelled or interrupted job
keeps what it stored and a second run skips every blob already chunked (resumable). A blob is
chunked and embedded once: a new commit of a mapped project costs only its changed files and
new commits. Line ranges of definitions come from the snapshot's nodes, not from a new parse.
The commits indexed are those of the snapshot's history (:func:`~.service.snapshot_history`),
not another branch's that the project's store also holds.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterable

import pyarrow as pa

from ..domain import FILE_KINDS
from ..membership import contains
from ..store.search import BLOB, CHUNK_SCHEMA
from .chunking import CHUNKER_VERSION, Chunk, Definition, chunk_blob, chunk_commit, file_kind
from .embedders import Embedder, get_embedder, table_name
from .errors import SearchError
from .service import snapshot_history
from .tokens import term_counts

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..config import Config
    from ..domain import Project
    from ..jobs import Job
    from ..repos.clones import Clones
    from ..store import Store

FILE_BATCH = 200
COMMIT_BATCH = 2_000


def bm25_text(chunk: Chunk) -> str:
    """What BM25 and the embedder read of a chunk: its symbol (qualified name), then its text."""
    return f"{chunk.symbol}\n{chunk.text}" if chunk.symbol else chunk.text


def _rows(chunks: list[tuple[str | None, int | None, str | None, Chunk]]) -> pa.Table:
    """Arrow rows of ``(blob sha, project id, commit sha, chunk)``."""
    cols: dict[str, list[Any]] = {name: [] for name in CHUNK_SCHEMA.names}
    for blob, project_id, commit, c in chunks:
        terms, counts, length = term_counts(bm25_text(c), c.kind)
        for name, value in (("blob_sha", blob), ("project_id", project_id),
                            ("commit_sha", commit), ("chunker_version", CHUNKER_VERSION),
                            ("kind", c.kind), ("symbol", c.symbol), ("node_kind", c.node_kind),
                            ("line_start", c.line_start), ("line_end", c.line_end),
                            ("title", c.title), ("text", c.text), ("terms", terms),
                            ("counts", counts), ("length", length)):
            cols[name].append(value)
    return pa.table(cols, schema=CHUNK_SCHEMA)


class IndexService:
    """Chunks, BM25 terms and vectors of snapshots (see the module docstring)."""

    def __init__(self, store: "Store", clones: "Clones", config: "Config") -> None:
        self.store = store
        self.clones = clones
        self.config = config

    def embedder(self) -> Embedder:
        return get_embedder(None, self.config)

    def run(self, job: "Job", project: "Project", snapshot_id: int) -> dict[str, Any]:
        """Index one snapshot; returns ``{snapshot_id, embedder, chunks, chunked_now,
        embedded_now, files_chunked, commits_chunked, seconds}``."""
        started = time.perf_counter()
        job.report(0, None, "loading the embedder")
        embedder = self.embedder()
        with self.store.db.session():  # one connection for the whole burst of small reads
            return self._run(job, project, snapshot_id, embedder, started)

    def _run(self, job: "Job", project: "Project", snapshot_id: int, embedder: Embedder,
             started: float) -> dict[str, Any]:
        table = table_name(embedder.name, embedder.dim)
        search = self.store.search
        search.ensure_embedder(embedder.name, embedder.dim, table)

        files = search.snapshot_files(snapshot_id)
        files["kind"] = [file_kind(p, lang if isinstance(lang, str) else None, s)
                         for p, lang, s in zip(files["path"], files["language"], files["status"])]
        files = files[files["kind"].notna()].drop_duplicates("blob_sha")
        done = search.chunked(files["blob_sha"].tolist(), BLOB, CHUNKER_VERSION)
        todo = files[~contains(files["blob_sha"], done)]
        history = snapshot_history(self.store, self.store.snapshots.get(snapshot_id))
        commits = search.commits_to_chunk(project.id, CHUNKER_VERSION, history)
        total = len(todo) + len(commits)
        chunked_now = embedded_now = 0
        if len(todo):
            chunked_now += self._index_files(job, project, snapshot_id, todo, embedder, table,
                                             total)
        embedded_now += chunked_now
        if len(commits):
            n = self._index_commits(job, project, commits, embedder, table, len(todo), total)
            chunked_now += n
            embedded_now += n
        job.check_cancel()
        missing = search.unembedded(snapshot_id, project.id, CHUNKER_VERSION, history, table)
        for s in range(0, len(missing), 1_000):  # chunks stored before under another embedder
            job.report(s, len(missing), f"embedding {len(missing)} chunks for {embedder.name}")
            job.check_cancel()
            part = missing.iloc[s:s + 1_000]
            texts = [f"{sym}\n{text}" if isinstance(sym, str) else text
                     for sym, text in zip(part["symbol"], part["text"])]
            search.store_vectors(table, part["id"].tolist(), embedder.embed(texts))
            embedded_now += len(part)
        count = search.count(snapshot_id, project.id, CHUNKER_VERSION, history)
        seconds = round(time.perf_counter() - started, 3)
        search.mark_indexed(snapshot_id, embedder.name, chunks=count, chunked_now=chunked_now,
                            embedded_now=embedded_now, seconds=seconds, job_id=job.id,
                            chunker_version=CHUNKER_VERSION)
        job.report(total, total, f"indexed {count} chunks")
        return {"snapshot_id": snapshot_id, "embedder": embedder.name, "chunks": count,
                "chunked_now": chunked_now, "embedded_now": embedded_now,
                "files_chunked": int(len(todo)), "commits_chunked": int(len(commits)),
                "seconds": seconds}

    def _index_files(self, job: "Job", project: "Project", snapshot_id: int,
                     todo: "pd.DataFrame", embedder: Embedder, table: str, total: int) -> int:
        if not self.clones.exists(project.name):
            raise SearchError(f"project {project.name!r} has no clone to read files from; run "
                              f"`workbench map {project.name}` first", project=project.name)
        repo = self.clones.path_for(project.name)
        defs = self.store.search.definitions(snapshot_id, todo["path"].tolist())
        by_path: dict[str, list[Definition]] = {}
        file_nodes: dict[str, str] = {}
        for node_id, kind, path, start, end in zip(defs["id"], defs["kind"], defs["path"],
                                                   defs["line_start"], defs["line_end"]):
            if kind in FILE_KINDS:
                file_nodes.setdefault(path, kind)
            elif ":" in node_id and start == start and end == end:  # NaN/NA-safe
                try:
                    by_path.setdefault(path, []).append(
                        Definition(node_id.split(":", 1)[1], kind, int(start), int(end)))
                except (TypeError, ValueError):
                    continue
        stored = 0
        rows = list(todo.itertuples(index=False))
        for s in range(0, len(rows), FILE_BATCH):
            job.report(s, total, "chunking and embedding files")
            job.check_cancel()
            batch = rows[s:s + FILE_BATCH]
            blobs = dict(self.clones.read_blobs(repo, [r.blob_sha for r in batch]))
            chunks: list[tuple[str | None, int | None, str | None, Chunk]] = []
            sources = []
            for r in batch:
                found = chunk_blob(r.path, r.kind, blobs.get(r.blob_sha, b""),
                                   by_path.get(r.path, ()), file_nodes.get(r.path))
                chunks.extend((r.blob_sha, None, None, c) for c in found)
                sources.append((r.blob_sha, BLOB, CHUNKER_VERSION, len(found)))
            stored += self._store(chunks, sources, embedder, table)
        return stored

    def _index_commits(self, job: "Job", project: "Project", commits: "pd.DataFrame",
                       embedder: Embedder, table: str, offset: int, total: int) -> int:
        stored = 0
        for s in range(0, len(commits), COMMIT_BATCH):
            job.report(offset + s, total, "indexing commit messages")
            job.check_cancel()
            part = commits.iloc[s:s + COMMIT_BATCH]
            chunks = []
            sources = []
            for sha, subject, paths in zip(part["sha"], part["subject"], part["paths"]):
                # a commit without file changes (a merge) has no list of paths, but NA
                touched: Iterable[str] = paths if hasattr(paths, "__len__") and len(paths) else ()
                chunks.append((None, project.id, sha, chunk_commit(subject, touched)))
                sources.append((sha, project.id, CHUNKER_VERSION, 1))
            stored += self._store(chunks, sources, embedder, table)
        return stored

    def _store(self, chunks, sources, embedder: Embedder, table: str) -> int:
        import numpy as np

        rows = _rows(chunks)
        texts = [bm25_text(c) for *_, c in chunks]
        vectors = embedder.embed(texts) if texts else np.zeros((0, embedder.dim), np.float32)
        return self.store.search.store_batch(rows, sources, vectors, table)
