"""A snapshot's query index in memory: BM25 over hashed terms, exact cosine search over
vectors, score fusion weighted by the kind of query, a graph re-rank and per-file
diversification.

* **BM25** (Robertson and Zaragoza 2009; ``k1=1.2, b=0.75``, idf ``ln(1 + (N - df + 0.5) /
  (df + 0.5))`` as in Lucene) over the snapshot's chunks. A chunk that defines a name the query
  spells out whole (``retry_with_backoff``, ``HttpClient.get``) has its BM25 score doubled:
  the definition outranks the places that use the name (the last part of a qualified name
  that names a definition counts only where the query spells it alone too). The stored term ids and counts are
  loaded once per snapshot into a column-major sparse matrix of precomputed term weights, so
  a query adds up a few columns.
* **Vectors**: unit vectors in one ``(n, d)`` float32 array; a query is one matrix-vector
  product (BLAS ``sgemv`` on one thread; exact, no approximate index).
* **Fusion** (hybrid): a weighted CombSUM (Fox and Shaw 1994) of normalised scores over the
  union of each list's best :data:`DEPTH` rows: BM25 divided by the best BM25 score, cosine
  min-max normalised between the best and the :data:`DEPTH`-th best cosine (Lee 1997), both in
  [0, 1]; ``w * bm25 + (1 - w) * cosine`` with ``w`` = :data:`TEXT_WEIGHT_IDENTIFIER` (0.8)
  for a query that is one identifier (:func:`looks_like_identifier`) and :data:`TEXT_WEIGHT`
  (0.5) for words. Unlike reciprocal rank fusion (Cormack, Clarke and Buettcher 2009, used
  before), the fused score keeps each list's margins: a definition BM25 scores far above the
  rest stays first, and a chunk only the vectors find keeps its cosine instead of one rank.
* **Graph re-rank**: the fused score is multiplied by ``1 + 0.02 c`` where ``c`` in [0, 1]
  mixes the PageRank of the chunk's file and the fan-in of its node (central code rises), plus
  ``0.02`` when its node or file is a neighbour (calls, imports, inherits, tests) of one of
  the five best hits or shares their file. Both only break near-ties: a hit 5 % behind
  another is never lifted over it. Tests, vendored code and examples get no lift.
* **Named definitions** (text and hybrid): a chunk whose qualified name (``pkg.mod:Class.meth``
  read as ``pkg.mod.Class.meth``) ends with a qualified name of the query (``Class.meth``,
  ``mod.func``, ``mod:Class``), or, for a query that is one identifier, whose own name is it,
  gains once the best score of the candidates, twice when the letter case matches too
  (:meth:`SnapshotIndex.names`): ``Console.print`` puts ``Console.print`` before every other
  ``print`` and before its callers, and ``Console`` the class before the property ``console``.
* **Sinking**: tests and vendored code, and examples (``examples/``, ``demo/``, ``samples/``,
  ``tutorials/``, and code under ``docs/``) score half unless ``include_tests``; examples
  also stay up when the query names them ("example", "demo", "sample", "tutorial").
* **Diversification** (maximal marginal relevance, Carbonell and Goldstein 1998, with "same
  file" as the similarity): the ``j``-th best chunk of a file (from 0; a commit counts as its
  own file) has its score multiplied by ``max(FILE_DECAY ** j, FILE_DECAY_FLOOR)`` (0.7, then
  0.5), in vector mode its margin over the :data:`DEPTH`-th best cosine. Near-equal chunks of
  one file make way for other files; a chunk is never put below one scoring less than half
  its own. The order is one sort that does not depend on ``k`` (:func:`_diversify`): the first
  ``k`` hits are the start of any longer list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .tokens import identifiers, qualified_names, query_terms, term_id

K1, B = 1.2, 0.75
DEFINITION_BOOST = 2.0
DEPTH = 100
TEXT_WEIGHT = 0.5
TEXT_WEIGHT_IDENTIFIER = 0.8
CENTRALITY_WEIGHT = 0.02
NEIGHBOUR_BOOST = 0.02
SINK = 0.5
STRONG_HITS = 5
FILE_DECAY = 0.7
FILE_DECAY_FLOOR = 0.5
MAX_GRAPH = 1.0 + CENTRALITY_WEIGHT + NEIGHBOUR_BOOST

_TEST_PATH = re.compile(r"(?:^|/)(?:tests?|testing|spec|__tests__)/|(?:^|/)test_[^/]*$"
                        r"|_test\.[a-z]+$|\.(?:test|spec)\.[a-z]+$|(?:^|/)conftest\.py$")
_VENDORED_PATH = re.compile(r"(?:^|/)(?:vendor|vendored|_vendor|third_party|thirdparty|"
                            r"node_modules|external|extern)/")
_EXAMPLE_PATH = re.compile(r"(?:^|/)(?:examples?|demos?|samples?|tutorials?)/", re.IGNORECASE)
_DOCS_PATH = re.compile(r"(?:^|/)(?:docs?|documentation)/", re.IGNORECASE)
_ASKS_FOR_EXAMPLES = re.compile(r"\b(?:examples?|demos?|samples?|tutorials?)\b", re.IGNORECASE)
_IDENTIFIER_QUERY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)*"
                               r"(?:\(\))?")


def looks_like_identifier(query: str) -> bool:
    """True for a query that is one name as code spells it (``echo_via_pager``,
    ``HttpClient.get``, ``parseHeaderLine()``, ``progressbar``): one word, no spaces."""
    return bool(_IDENTIFIER_QUERY.fullmatch(query.strip()))


def wants_examples(query: str) -> bool:
    """True when the query names examples, demos, samples or tutorials."""
    return bool(_ASKS_FOR_EXAMPLES.search(query))


@dataclass
class Ranked:
    """Candidate positions (into the index's rows) with their score parts, best first."""

    rows: np.ndarray
    score: np.ndarray
    bm25: np.ndarray
    vector: np.ndarray
    graph: np.ndarray

    def head(self, k: int) -> "Ranked":
        """The first ``k``."""
        return Ranked(self.rows[:k], self.score[:k], self.bm25[:k], self.vector[:k],
                      self.graph[:k])


def _list_parts(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    arr = column.combine_chunks()
    return arr.offsets.to_numpy(), arr.values.to_numpy(zero_copy_only=False)


class SnapshotIndex:
    """Everything a query needs about one snapshot's chunks, in memory.

    Built from :meth:`workbench.store.search.SearchTable.load`; ``meta`` is a DataFrame with
    one row per chunk (``chunk_id, kind, path, line_start, line_end, node, node_kind,
    language, commit, title``).
    """

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        chunks = tables["chunks"]
        self.n = n = chunks.num_rows
        self.ids = chunks.column("id").to_numpy()
        import pandas as pd

        meta = chunks.select(["id", "kind", "path", "line_start", "line_end", "symbol",
                              "node_kind", "language", "title", "file_node",
                              "commit_sha"]).to_pandas()
        node = meta["file_node"].where(meta["symbol"].isna(),
                                       meta["file_node"] + ":" + meta["symbol"])
        meta["node"] = node
        meta = meta.rename(columns={"id": "chunk_id", "commit_sha": "commit"})
        codes, symbols = pd.factorize(meta["symbol"])  # NaN -> -1
        symbols = np.asarray(symbols, dtype=object).tolist()
        names = np.array([term_id(s.rsplit(".", 1)[-1].lower()) for s in symbols] + [0],
                         np.uint32)
        spelt = np.array([term_id(s.rsplit(".", 1)[-1]) for s in symbols] + [0], np.uint32)
        whole = np.array([term_id(s.lower()) for s in symbols] + [0], np.uint32)
        self.name_ids, self.symbol_ids = names[codes], whole[codes]
        self.spelt_name_ids = spelt[codes]  # the name as the code spells it, case kept
        # the last part of a module's name (``console`` for ``rich.console``), for the chunks
        # of a file's top level: what a qualified name such as ``console.Console`` ends in
        modules = meta["file_node"].where(meta["symbol"].isna() & (meta["kind"] == "code"))
        codes, tails = pd.factorize(modules)
        tails = [term_id(str(t).rsplit(".", 1)[-1].lower()) for t in tails] + [0]
        self.module_name_ids = np.array(tails, np.uint32)[codes]
        self.meta = meta.drop(columns=["symbol"])
        # the result's columns as arrays, taken row by row at query time (no DataFrame take)
        self.columns = {c: (meta[c].astype("Int64").array if c in ("line_start", "line_end")
                            else meta[c].to_numpy())
                        for c in ("chunk_id", "kind", "path", "line_start", "line_end", "node",
                                  "node_kind", "language", "commit", "title")}
        # the texts of hits, without a read: a scan of the chunks table for ten ids took
        # about 100 ms at 100,000 chunks (the texts take about a third of the vectors' memory)
        self.texts = chunks.column("text").combine_chunks()
        codes, paths = pd.factorize(meta["path"])  # a flag per distinct path, not per chunk
        paths = pd.Series(paths, dtype=object)
        tests = np.append(paths.str.contains(_TEST_PATH).to_numpy(dtype=bool), False)
        vendored = np.append(paths.str.contains(_VENDORED_PATH).to_numpy(dtype=bool), False)
        examples = np.append(paths.str.contains(_EXAMPLE_PATH).to_numpy(dtype=bool), False)
        in_docs = np.append(paths.str.contains(_DOCS_PATH).to_numpy(dtype=bool), False)
        self.is_test, self.is_vendored = tests[codes], vendored[codes]
        # example code, and code kept beside the documentation (a copy of an example)
        self.is_example = examples[codes] | (in_docs[codes] & (meta["kind"] == "code").to_numpy())
        # diversification key: the file, or the row itself for a chunk without a path (commit)
        self.file_key = np.where(codes >= 0, codes, -1 - np.arange(n)).astype(np.int64)
        self._sinks: dict[str, np.ndarray] = {}
        self._build_bm25(chunks)
        self._build_vectors(chunks)
        self._build_graph(tables["nodes"], tables["edges"], meta)

    # -- building ---------------------------------------------------------------------------------

    def _build_bm25(self, chunks: pa.Table) -> None:
        from scipy import sparse

        offsets, terms = _list_parts(chunks.column("terms"))
        _, counts = _list_parts(chunks.column("counts"))
        lengths = chunks.column("length").to_numpy().astype(np.float32)
        n = self.n
        import pandas as pd

        if len(terms) == 0 or n == 0:
            self.vocab = pd.Index(np.zeros(0, np.uint32))
            self.postings = sparse.csc_matrix((max(n, 0), 0), dtype=np.float32)
            return

        inverse, vocab = pd.factorize(terms)  # hashing, not sorting: O(n)
        df = np.bincount(inverse, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = float(lengths.mean()) or 1.0
        dl = np.repeat(lengths, np.diff(offsets))
        tf = counts.astype(np.float32)
        weights = idf[inverse] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))
        csr = sparse.csr_matrix((weights, inverse.astype(np.int32), offsets.astype(np.int64)),
                                shape=(n, len(vocab)))
        self.vocab = pd.Index(vocab)
        self.postings = csr.tocsc()

    def _build_vectors(self, chunks: pa.Table) -> None:
        column = chunks.column("vector").combine_chunks()
        dim = column.type.list_size if pa.types.is_fixed_size_list(column.type) else 0
        self.dim = dim
        self.vectors = np.zeros((self.n, max(dim, 1)), dtype=np.float32)
        self.has_vector = np.zeros(self.n, dtype=bool)
        if not dim or self.n == 0:
            return
        valid = pc.invert(column.is_null()).to_numpy(zero_copy_only=False)
        if valid.all():  # the usual case: no copy into a zero matrix
            flat = column.flatten().to_numpy(zero_copy_only=False)
            self.vectors = np.ascontiguousarray(flat.reshape(-1, dim), dtype=np.float32)
        elif valid.any():
            flat = column.filter(pa.array(valid)).flatten().to_numpy(zero_copy_only=False)
            self.vectors[valid] = flat.reshape(-1, dim)
        self.has_vector = valid

    def _build_graph(self, nodes: pa.Table, edges: pa.Table, meta) -> None:
        from scipy import sparse

        import pandas as pd

        ids = pd.Index(nodes.column("id").to_pandas())
        first = ~ids.duplicated()  # ids are unique per snapshot; a duplicate would break lookups
        nodes = nodes.filter(pa.array(first))
        index = ids[first]
        m = len(index)
        self.node_row = index.get_indexer(meta["node"]).astype(np.int64)
        self.file_row = index.get_indexer(meta["file_node"]).astype(np.int64)
        pagerank = np.nan_to_num(nodes.column("pagerank").to_numpy(zero_copy_only=False)
                                 .astype(np.float64), nan=0.0)
        fan_in = np.nan_to_num(nodes.column("fan_in").to_numpy(zero_copy_only=False)
                               .astype(np.float64), nan=0.0)
        pr = pagerank / pagerank.max() if m and pagerank.max() > 0 else np.zeros(m)
        fi = np.log1p(fan_in) / np.log1p(fan_in.max()) if m and fan_in.max() > 0 else np.zeros(m)
        own = np.where(self.node_row >= 0, fi[np.maximum(self.node_row, 0)], 0.0)
        files = np.where(self.file_row >= 0, pr[np.maximum(self.file_row, 0)], 0.0)
        self.centrality = (0.5 * files + 0.5 * own).astype(np.float32)
        src = index.get_indexer(edges.column("src").to_pandas()).astype(np.int64)
        dst = index.get_indexer(edges.column("dst").to_pandas()).astype(np.int64)
        keep = (src >= 0) & (dst >= 0)
        src, dst = src[keep], dst[keep]
        data = np.ones(2 * len(src), dtype=np.int8)
        self.adjacency = sparse.csr_matrix(
            (data, (np.concatenate([src, dst]), np.concatenate([dst, src]))), shape=(m, m))
        self.m = m

    # -- scoring ----------------------------------------------------------------------------------

    def bm25(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros where no term matches)."""
        scores = np.zeros(self.n, dtype=np.float32)
        if not len(self.vocab):
            return scores
        wanted = np.array(sorted({term_id(t) for t in query_terms(query)}), dtype=np.uint32)
        if not len(wanted):
            return scores
        pos = self.vocab.get_indexer(wanted)
        pos = pos[pos >= 0]
        ptr, idx, data = self.postings.indptr, self.postings.indices, self.postings.data
        for col in pos:  # a column's rows are distinct: a plain fancy add is exact
            s, e = ptr[col], ptr[col + 1]
            scores[idx[s:e]] += data[s:e]
        scores[self.defines(query) & (scores > 0)] *= DEFINITION_BOOST
        return scores

    def defines(self, query: str) -> np.ndarray:
        """Which chunks define a name ``query`` spells out whole (``HttpClient.get``, ``get``).

        The last part of a qualified name that names a definition (``print`` of
        ``Console.print``) counts only where the query spells it alone too: ``Console.print``
        is not every ``print``."""
        words = identifiers(query)
        qualified = [q.lower() for q in qualified_names(query) if self._qualified(q)[0].any()]
        tails = {q.rsplit(".", 1)[-1] for q in qualified}
        alone = {w.lower() for w in re.findall(r"(?<![.:\w])\w+(?![.:\w])", query)}
        named = np.array([term_id(w) for w in words if w not in tails or w in alone],
                         dtype=np.uint32)
        if not len(named):
            return np.zeros(self.n, dtype=bool)
        return np.isin(self.name_ids, named) | np.isin(self.symbol_ids, named)

    def names(self, query: str) -> np.ndarray:
        """Per row, how exactly ``query`` names the chunk's definition: 0 not at all; 1 when a
        qualified name in the query (``Console.print``, ``console.Console``,
        ``rich.console:Console``) is the end of the chunk's qualified name, or the query is
        one identifier that is the chunk's own name, letter case aside; 2 when the case
        matches too (``Console`` names the class ``Console`` before the property
        ``console``)."""
        lift = np.zeros(self.n, dtype=np.float32)
        qualified = qualified_names(query)
        for name in qualified:
            ignoring_case, exact = self._qualified(name)
            lift[ignoring_case] = np.maximum(lift[ignoring_case], 1.0)
            lift[exact] = 2.0
        if not qualified and looks_like_identifier(query):
            name = query.strip().removesuffix("()")
            named = self.name_ids == term_id(name.lower())
            lift[named] = 1.0
            lift[named & (self.spelt_name_ids == term_id(name))] = 2.0
        return lift

    def _qualified(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows whose qualified name (``rich.console:Console.print``, read as
        ``rich.console.Console.print``) ends with the dotted ``name`` at a part's boundary:
        letter case aside, and as spelt."""
        tail = term_id(name.rsplit(".", 1)[-1].lower())
        rows = np.flatnonzero((self.name_ids == tail) | (self.module_name_ids == tail))
        ignoring_case = np.zeros(self.n, dtype=bool)
        exact = np.zeros(self.n, dtype=bool)
        suffix, nodes = "." + name, self.columns["node"]
        for row in rows.tolist():
            node = nodes[row]
            if not isinstance(node, str):
                continue
            dotted = "." + node.replace(":", ".")
            if dotted.lower().endswith(suffix.lower()):
                ignoring_case[row] = True
                exact[row] = dotted.endswith(suffix)
        return ignoring_case, exact

    def cosine(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every chunk's vector with a unit query vector (0 without one):
        one float32 matrix-vector product (BLAS ``sgemv``) on one BLAS thread; on a busy
        machine a second thread waits for a core longer than it saves (measured: p95 79 ms with
        two threads, 31 ms with one, at 101,229 x 256)."""
        if not self.dim or self.n == 0:
            return np.zeros(self.n, dtype=np.float32)
        query = np.ascontiguousarray(query_vector, dtype=np.float32)
        with _one_blas_thread():
            return self.vectors @ query

    def sink(self, include_tests: bool, query: str = "") -> np.ndarray:
        """Per-row factor: :data:`SINK` for tests and vendored code, and for examples unless
        ``include_tests`` or the query asks for examples (:func:`wants_examples`); else 1.
        The three possible arrays are built once per index."""
        key = "none" if include_tests else "examples kept" if wants_examples(query) else "all"
        factor = self._sinks.get(key)
        if factor is None:
            factor = np.ones(self.n, dtype=np.float32)
            if key != "none":
                factor[self.is_test | self.is_vendored] = SINK
            if key == "all":
                factor[self.is_example] = SINK
            self._sinks[key] = factor
        return factor

    def rank(self, mask: np.ndarray, *, k: int, mode: str, bm25: np.ndarray | None,
             cosine: np.ndarray | None, include_tests: bool, query: str = "",
             depth: int = DEPTH) -> Ranked:
        """The best ``k`` rows under ``mask`` for ``mode`` (``text``, ``vector``, ``hybrid``),
        each chunk's score demoted by :data:`FILE_DECAY` for every better chunk of its file
        (:func:`_diversify`).

        ``bm25`` and ``cosine`` are the full per-row arrays from :meth:`bm25` and
        :meth:`cosine` (None for a mode that does not use them); ``query`` chooses the fusion
        weights and whether examples sink (see the module docstring). The order does not
        depend on ``k``: the first ``k`` hits are the first ``k`` of any longer list. Each
        list gives its best ``max(depth, 4 k)`` candidates, more while a chunk past them could
        still score above the ``k``-th hit (the threshold test of Fagin, Lotem and Naor 2003:
        no chunk outside both lists scores more than their last ones)."""
        pool = max(depth, 4 * k)
        named = self.names(query) if bm25 is not None else np.zeros(self.n, np.float32)
        while True:
            ranked, bound = self._rank_pool(mask, mode=mode, bm25=bm25, cosine=cosine,
                                            named=named, include_tests=include_tests,
                                            query=query, depth=depth, pool=pool)
            if bound <= 0 or (len(ranked.rows) >= k and ranked.score[k - 1] > bound):
                return ranked.head(k)
            pool *= 4

    def _rank_pool(self, mask: np.ndarray, *, mode: str, bm25: np.ndarray | None,
                   cosine: np.ndarray | None, named: np.ndarray, include_tests: bool,
                   query: str, depth: int, pool: int) -> tuple[Ranked, float]:
        """Every candidate of each list's best ``pool`` rows and of the definitions the query
        names (``named``, from :meth:`names`), ranked; and the most a chunk left out could
        score (0 when no list was cut)."""
        sink = self.sink(include_tests, query)
        text_rows = vector_rows = named_rows = np.zeros(0, dtype=np.int64)
        margin_floor = 0.0
        text_cut = vector_cut = False
        if bm25 is not None:
            matching = np.flatnonzero(mask & (bm25 > 0))
            text_rows, text_cut = _top_of(matching, bm25, pool), len(matching) > pool
            named_rows = matching[named[matching] > 0]
        if cosine is not None:
            candidates = np.where(mask & self.has_vector, cosine, -np.inf)
            vector_rows = _top(candidates, pool)
            vector_cut = int(np.isfinite(candidates).sum()) > pool
            # the depth-th best cosine (of fewer candidates, the last): what cosines are
            # measured from; none when no kept chunk has a vector
            depth_floor = (float(cosine[vector_rows[min(depth, len(vector_rows)) - 1]])
                           if len(vector_rows) else 0.0)
        if mode in ("text", "vector"):
            rows, values = (text_rows, bm25) if mode == "text" else (vector_rows, cosine)
            cut = text_cut if mode == "text" else vector_cut
            bound = float(values[rows[-1]]) if cut else 0.0
            rows = np.union1d(rows, named_rows) if mode == "text" else rows
            if mode == "vector":  # cosines are compared by their margin over the depth-th
                margin_floor = depth_floor
            base = values[rows].astype(np.float64)
            graph = sink[rows].astype(np.float64)
        else:
            rows = np.union1d(np.union1d(text_rows, vector_rows), named_rows)
            base = np.zeros(len(rows), dtype=np.float64)
            weight = TEXT_WEIGHT_IDENTIFIER if looks_like_identifier(query) else TEXT_WEIGHT
            bound = 0.0
            if len(text_rows):
                top = float(bm25[text_rows[0]])
                base += weight * bm25[rows] / top
                if text_cut:  # below the vectors' floor (depth <= pool), a chunk has bm25 alone
                    bound = MAX_GRAPH * weight * float(bm25[text_rows[-1]]) / top
            if len(vector_rows):
                # normalised between the best and the depth-th best cosine, whatever the pool
                top = float(cosine[vector_rows[0]])
                floor = depth_floor
                if top > floor:
                    base += (1 - weight) * np.clip((cosine[rows] - floor) / (top - floor),
                                                   0.0, 1.0)
                else:  # one candidate, or all alike: each is the best the vectors have
                    base += (1 - weight) * np.isin(rows, vector_rows)
            graph = self._graph_factor(rows, base) * sink[rows]
        score = base * graph
        if len(named_rows) and len(score):  # the definitions the query names, in their tiers
            score = score + named[rows] * score.max()
        # a row that scores nothing (the last of the vectors' candidates, matching no word;
        # a vector pointing away from the query) is no hit, however few the filters leave
        scored = score > 0
        rows, score, graph = rows[scored], score[scored], graph[scored]
        order, score = _diversify(score, self.file_key[rows], margin_floor)
        rows = rows[order]
        nan = np.full(len(rows), np.nan, dtype=np.float32)
        return Ranked(rows=rows, score=score,
                      bm25=bm25[rows] if bm25 is not None else nan,
                      vector=cosine[rows] if cosine is not None else nan,
                      graph=graph[order]), bound

    def _graph_factor(self, rows: np.ndarray, base: np.ndarray) -> np.ndarray:
        """``1 + CENTRALITY_WEIGHT c + NEIGHBOUR_BOOST [near a strong hit]`` per row; tests,
        vendored code and examples get no lift (their sink applies on top, in :meth:`rank`)."""
        lifted = ~(self.is_test[rows] | self.is_vendored[rows] | self.is_example[rows])
        factor = 1.0 + CENTRALITY_WEIGHT * self.centrality[rows].astype(np.float64) * lifted
        if not len(rows) or not self.m:
            return factor
        strong = rows[np.argsort(-base, kind="stable")[:STRONG_HITS]]
        seeds = np.unique(np.concatenate([self.node_row[strong], self.file_row[strong]]))
        seeds = seeds[seeds >= 0]
        if not len(seeds):
            return factor
        near = np.zeros(self.m, dtype=bool)
        near[seeds] = True
        near[self.adjacency[seeds].indices] = True
        hit = (near[np.maximum(self.node_row[rows], 0)] & (self.node_row[rows] >= 0)) | \
              (near[np.maximum(self.file_row[rows], 0)] & (self.file_row[rows] >= 0))
        return factor + np.where(hit & lifted, NEIGHBOUR_BOOST, 0.0)


_blas = None


def _one_blas_thread():
    """A context limiting BLAS to one thread (threadpoolctl; its controller is built once)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def _diversify(score: np.ndarray, keys: np.ndarray,
               floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``score`` in the order of their demoted scores, and those scores: the
    ``j``-th best chunk of a file (``keys``: a file, or a commit on its own; from 0) scores
    ``floor + (score - floor) * max(FILE_DECAY ** j, FILE_DECAY_FLOOR)`` (a score at or
    below ``floor`` is kept as it is).

    This is maximal marginal relevance (Carbonell and Goldstein 1998) with "same file" as the
    similarity and a penalty that grows with each chunk of the file already listed, made
    multiplicative so that it means the same for BM25 and fused scores (``floor`` 0) and for
    cosines (their margin over a floor), and bounded so that a chunk is never put below one
    scoring less than ``FILE_DECAY_FLOOR`` of its own. Picking the
    best demoted score one at a time is the same as sorting by it (a file's next chunk always
    scores less than its last), so the order is one sort, for any ``k``: a second and a third
    chunk of one file take their place among near-equal hits of other files, while a chunk
    scoring well above the others stays above them, whatever its file. Ties keep the order
    of ``score``'s positions."""
    if not len(score):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    order = np.argsort(-score, kind="stable")
    ranked_keys = keys[order]
    by_key = np.argsort(ranked_keys, kind="stable")  # each file's chunks, best first
    sorted_keys = ranked_keys[by_key]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    within = np.empty(len(order), dtype=np.int64)
    within[by_key] = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts,
                                                                             len(order)]))
    ranked = score[order]
    factor = np.maximum(FILE_DECAY ** within, FILE_DECAY_FLOOR)
    demoted = np.where(ranked > floor, floor + (ranked - floor) * factor, ranked)
    final = np.argsort(-demoted, kind="stable")
    return order[final], demoted[final]


def _top_of(rows: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """Those of ``rows`` with the ``n`` highest ``scores``, best first (ties by row)."""
    if len(rows) <= n:
        return rows[np.argsort(-scores[rows], kind="stable")]
    part = rows[np.argpartition(-scores[rows], n - 1)[:n]]
    part.sort()
    return part[np.argsort(-scores[part], kind="stable")]


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` highest finite scores, best first."""
    finite = np.isfinite(scores)
    count = int(finite.sum())
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    n = min(n, count)
    part = np.argpartition(-np.where(finite, scores, -np.inf), n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]
