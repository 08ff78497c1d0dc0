"""Answer searches: filters, ranking and the result table.

A snapshot's commits are the commits of its history (:func:`snapshot_history`: reachable from
its commit through the mined parents, as its history metrics count them), not every commit
mined for its project: ``review`` mines an unmerged branch's commits, and a search of the
default branch never finds them.

A snapshot's query index (:class:`~workbench.search.ranking.SnapshotIndex`: BM25 weights,
vectors, graph, the chunks' metadata and texts) is built from the store on first use and kept per process (keyed by database file, snapshot, embedder and the
index's build time), like the graph cache; snapshots are immutable, so it is rebuilt only when
the snapshot is indexed again (another embedder, a resumed build).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from ..domain import NodeKind
from .chunking import CHUNKER_VERSION, KINDS
from .embedders import Embedder, table_name
from .errors import IndexMissing, InvalidSearch
from .paths import matching, nothing_matches, path_regex

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

    from ..domain import SnapshotInfo
    from ..store import Store
    from .ranking import SnapshotIndex

MODES = ("hybrid", "text", "vector")
COLUMNS = ["rank", "score", "kind", "path", "line_start", "line_end", "node", "node_kind",
           "language", "commit", "title", "preview", "text", "bm25", "vector", "graph",
           "chunk_id"]
CACHE_SIZE = 3
PREVIEW_CHARS = 160

_cache: "OrderedDict[tuple, SnapshotIndex]" = OrderedDict()
_cache_lock = threading.Lock()
_build_locks: dict[tuple, threading.Lock] = {}


def preview(text: str, kind: str = "code") -> str:
    """The first lines of a chunk that say something, on one line (at most 160 characters);
    a commit's changed files (``kind`` "commits": the lines after its ``files:`` line) count
    as one line."""
    lines = [ln.strip() for ln in (text or "").splitlines()]
    lines = [ln for ln in lines if ln]
    if kind == "commits" and "files:" in lines:
        at = lines.index("files:")
        lines[at:] = ["files: " + ", ".join(lines[at + 1:])]
    out = " | ".join(lines[:3])
    return out if len(out) <= PREVIEW_CHARS else out[:PREVIEW_CHARS - 1] + "…"


#: The node kinds a chunk can carry (``node_kind``): definitions and whole files. A method is
#: a ``function`` (its node is ``module:Class.method``); directories and external packages
#: have no chunks.
NODE_KINDS = (NodeKind.FUNCTION.value, NodeKind.CLASS.value, NodeKind.MODULE.value,
              NodeKind.PACKAGE.value, NodeKind.FILE.value)
#: What a user may mean by a node kind the map does not have, and the kind to search instead.
NODE_KIND_HINTS = {"method": "methods are stored as kind 'function': use 'function' (a "
                             "method's node is module:Class.method)"}


class Filters(NamedTuple):
    """A search's checked arguments: the stripped query, the kinds as a set (None: all), the
    map's name for the language and the node kind (None: any)."""

    query: str
    kinds: set[str] | None
    language: str | None
    node_kind: str | None


def check_filters(query: str, *, k: int = 10, kinds: Iterable[str] | str | None = None,
                  mode: str = "hybrid", language: str | None = None,
                  node_kind: str | None = None, path: str | None = None) -> Filters:
    """Validate a search's arguments before any work; :class:`InvalidSearch` (its ``argument``
    names the one at fault) lists the allowed values.

    Every filter that takes a value from a known set is checked against it: ``kinds``
    (:data:`KINDS`), ``mode`` (:data:`MODES`), ``node_kind`` (:data:`NODE_KINDS`, as stored)
    and ``language`` (the map's language names, in any case, or a file extension or common
    spelling of one: ``py``, ``ts``, ``c++``; see
    :func:`~workbench.mapping.parsers.language_named`). A filter none of the ``kinds`` can
    pass is refused too, since it could only answer "no hits": ``language`` and ``node_kind``
    without ``code`` (only code has a language and a node), ``path`` with ``commits`` alone,
    and a ``path`` glob that by its form selects no file (:func:`~.paths.path_regex`).
    """
    from ..mapping.parsers import known_languages, language_named

    if not isinstance(query, str) or not query.strip():
        raise InvalidSearch("give a query: words, an identifier or a question",
                            argument="query")
    from .tokens import nothing_to_search

    if (why := nothing_to_search(query)) is not None:
        raise InvalidSearch(why, argument="query")
    if mode not in MODES:
        raise InvalidSearch(f"mode must be one of {', '.join(MODES)}, not {mode!r}",
                            argument="mode")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1 or k > 1000:
        raise InvalidSearch(f"k must be a whole number from 1 to 1000, not {k!r}", argument="k")
    wanted = None
    if kinds is not None:
        wanted = {kinds} if isinstance(kinds, str) else set(kinds)
        unknown = wanted - set(KINDS)
        if unknown or not wanted:
            raise InvalidSearch(f"kinds must be among {', '.join(KINDS)}; got "
                                f"{', '.join(sorted(map(str, unknown))) or 'none'}",
                                argument="kinds")
    named = None
    if language is not None:
        named = language_named(language)
        if named is None:
            raise InvalidSearch(f"language must be one of {', '.join(known_languages())} (any "
                                f"case, or a file extension such as py, ts or rs), not "
                                f"{language!r}", argument="language")
    if node_kind is not None and node_kind not in NODE_KINDS:
        hint = NODE_KIND_HINTS.get(str(node_kind).strip().lower())
        raise InvalidSearch(f"node kind must be one of {', '.join(NODE_KINDS)}, not "
                            f"{node_kind!r}" + (f"; {hint}" if hint else ""),
                            argument="node_kind")
    if wanted is not None and "code" not in wanted:
        asked = ", ".join(k for k in KINDS if k in wanted)
        for argument, value, what in (("language", language, "a language"),
                                      ("node_kind", node_kind, "a node kind")):
            if value is not None:
                raise InvalidSearch(f"only code has {what}, and the kinds searched are {asked}: "
                                    f"search code too, or drop the {what[2:]} filter",
                                    argument=argument)
    if wanted == {"commits"} and path is not None:
        raise InvalidSearch("commits have no path: search code, docs or config too, or drop "
                            "the path filter", argument="path")
    if path is not None:
        path_regex(path)  # a glob that cannot select a file is refused here (.paths)
    return Filters(query.strip(), wanted, named, node_kind)


def empty_result() -> "pd.DataFrame":
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def snapshot_history(store: "Store", snap: "SnapshotInfo") -> "pa.Array":
    """The shas of the commits of ``snap``'s history, from the store's parents (one read and
    one walk per call; see :func:`~workbench.history.scope.history_shas`): the commits whose
    messages its index holds and its searches find."""
    from ..history.scope import history_shas

    return history_shas(store.history.parents_table(snap.project_id), snap.commit_sha)


class SearchService:
    def __init__(self, store: "Store") -> None:
        self.store = store

    def index_state(self, snapshot_id: int, embedder: Embedder) -> dict[str, Any] | None:
        """The snapshot's index for ``embedder`` (see :meth:`SearchTable.index_state`), or None
        when it was never built or was built by another chunker version: its chunks are not
        the ones a search reads, so it is as good as missing and is built again."""
        state = self.store.search.index_state(snapshot_id, embedder.name)
        if state is None or state.get("chunker_version") != CHUNKER_VERSION:
            return None
        return state

    def check_path(self, snap: "SnapshotInfo", path: str | None) -> None:
        """:class:`~.errors.PathMatchesNothing` when the glob ``path`` matches no file of the
        snapshot (see :mod:`.paths`), with a glob that would."""
        if path is None:
            return
        files = self.store.snapshots.files(snap.id)["path"].tolist()
        if not matching(files, path):
            raise nothing_matches(path, files, project=snap.project, snapshot_id=snap.id)

    def snapshot_index(self, snap: "SnapshotInfo", embedder: Embedder,
                       state: dict[str, Any] | None = None) -> "SnapshotIndex":
        """The cached query index of a snapshot (``state`` from :meth:`index_state` when the
        caller has it); :class:`IndexMissing` when it was never built."""
        from .ranking import SnapshotIndex

        state = state or self.index_state(snap.id, embedder)
        if state is None:
            raise IndexMissing(
                f"snapshot {snap.id} of {snap.project} has no search index for {embedder.name}; "
                f"run `workbench index {snap.project}` (or wb.index({snap.project!r}))",
                project=snap.project, snapshot_id=snap.id, embedder=embedder.name)
        key = (str(self.store.path), snap.id, embedder.name, str(state["built_at"]))
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
            lock = _build_locks.setdefault(key, threading.Lock())
        with lock:  # one build per key; other threads wait for it
            with _cache_lock:
                if key in _cache:
                    return _cache[key]
            tables = self.store.search.load(snap.id, snap.project_id, CHUNKER_VERSION,
                                            snapshot_history(self.store, snap),
                                            table_name(embedder.name, embedder.dim))
            index = SnapshotIndex(tables)
            with _cache_lock:
                _cache[key] = index
                while len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
                _build_locks.pop(key, None)
            return index

    def search(self, snap: "SnapshotInfo", embedder: Embedder, query: str, *, k: int = 10,
               kinds=None, language: str | None = None, path: str | None = None,
               node_kind: str | None = None, include_tests: bool = False,
               mode: str = "hybrid", state: dict[str, Any] | None = None) -> "pd.DataFrame":
        """The best ``k`` chunks of a snapshot for ``query`` as a DataFrame of :data:`COLUMNS`."""
        import numpy as np

        query, wanted, language, node_kind = check_filters(
            query, k=k, kinds=kinds, mode=mode, language=language, node_kind=node_kind,
            path=path)
        index = self.snapshot_index(snap, embedder, state)
        if index.n == 0:
            return empty_result()
        meta = index.meta
        mask = np.ones(index.n, dtype=bool)
        if wanted is not None:
            mask &= meta["kind"].isin(wanted).to_numpy()
        if language:
            mask &= (meta["language"].fillna("").str.lower() == language).to_numpy()
        if path is not None:
            chosen = matching(meta["path"].dropna().unique(), path)
            if not chosen:
                self.check_path(snap, path)
            mask &= meta["path"].isin(chosen).to_numpy()
        if node_kind:
            mask &= (meta["node_kind"] == node_kind).to_numpy()
        if not mask.any():
            return empty_result()
        bm25 = index.bm25(query) if mode in ("text", "hybrid") else None
        cosine = None
        if mode in ("vector", "hybrid"):
            cosine = index.cosine(embedder.embed([query])[0])
        ranked = index.rank(mask, k=k, mode=mode, bm25=bm25, cosine=cosine,
                            include_tests=include_tests, query=query)
        if not len(ranked.rows):
            return empty_result()
        import pandas as pd

        rows = ranked.rows
        columns = {name: values[rows] for name, values in index.columns.items()}
        text = [t or "" for t in index.texts.take(rows).to_pylist()]
        previews = [preview(t, kind) for t, kind in zip(text, columns["kind"])]
        columns.update(text=text, preview=previews,
                       rank=np.arange(1, len(rows) + 1), score=ranked.score.astype(float),
                       bm25=ranked.bm25.astype(float), vector=ranked.vector.astype(float),
                       graph=ranked.graph.astype(float))
        frame = pd.DataFrame(columns)
        return frame[COLUMNS]
