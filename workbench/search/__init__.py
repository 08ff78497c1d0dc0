"""Code search: chunks of code, docs, config and commit messages, ranked by full text, vectors
and the map's graph.

* :mod:`.chunking` splits blobs (along the map's definitions, document sections, whole small
  config files) and commits into chunks; chunks are keyed by blob sha, so a blob is chunked and
  embedded once for every snapshot and project that holds it.
* :mod:`.tokens` is the code-aware tokeniser behind BM25 (identifiers split on camelCase,
  snake_case and dots, the whole identifier kept, no stemming).
* :mod:`.embedders` is the embedder port and its registry (offline default ``wordllama``).
* :mod:`.indexer` builds a snapshot's index as a resumable ``index`` job.
* :mod:`.ranking` and :mod:`.service` answer queries: BM25 and exact cosine search over a
  per-process cache of the snapshot's index, reciprocal rank fusion, then a graph re-rank.

Nothing here imports numpy or pandas at module top, so ``import workbench`` stays light.
"""
