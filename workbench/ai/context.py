"""The context builder: what the model is shown for a question, packed into a token budget.

Three kinds of material, in this order, each with a share of the budget that passes on what
it does not use:

1. **passages** (``PASSAGE_SHARE``): the top search hits (``wb.search``, or the built-in
   lexical search when the project has no search index), each as a data block headed by its
   ``path:line`` range, best first, until the share is spent;
2. **facts** (``FACT_SHARE``): the graph neighbourhood of the hits' nodes (what they call,
   import, inherit; what calls, imports, tests them), one line per edge;
3. **outline**: signatures of the map ranked by PageRank over its calls, imports and
   inheritance (personalised towards the hits), in the spirit of Aider's repository map
   (Aider-AI/aider ``aider/repomap.py``): a binary search finds how many of the top-ranked
   signatures fit what is left.

Every candidate is recorded in the :class:`~workbench.ai.records.ContextRecord`: included or
left out, its score and reason, its tokens (estimated by :mod:`workbench.ai.tokens`). The
result is deterministic for a given snapshot, question and budget.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .citations import cite
from .records import ContextItem, ContextRecord
from .safety import data_block
from .tokens import count_tokens

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..snapshot import Snapshot

PASSAGE_SHARE = 0.6
FACT_SHARE = 0.15
FACTS_PER_NODE = 10
MAX_PASSAGE_LINES = 80
SEARCH_K = 12
RANK_KINDS = ("calls", "imports", "inherits")
MAX_OUTLINE = 400  # signatures considered for the outline at most
SEARCH_COLUMNS = ["rank", "score", "kind", "path", "line_start", "line_end", "node", "node_kind",
                  "language", "commit", "title", "preview", "text", "bm25", "vector", "graph",
                  "chunk_id"]
SearchFn = Callable[[str, int], "pd.DataFrame"]
ReadFn = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Packed:
    """A built context: its record, and the text of the data blocks sent (in order)."""

    record: ContextRecord
    blocks: str


def _int(value: Any) -> int | None:
    try:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text and text != "<NA>" else None


#: A passage's place: (path, first line, last line).
Location = tuple[str, int | None, int | None]
_SUBJECT = "_subject"


def _subject_first(hits: "pd.DataFrame", subject: Location | None) -> "pd.DataFrame":
    """``hits`` with the one at ``subject`` first (marked in ``_SUBJECT``), when it is
    there; else ``hits`` as they are. A hit is the subject's when it starts at the same line
    of the same file: the subject's last line is where its passage was cut
    (:data:`MAX_PASSAGE_LINES`), not always the hit's."""
    if subject is None or hits.empty or "path" not in hits.columns:
        return hits
    path, start, _ = subject
    at = [i for i, row in enumerate(hits.to_dict("records"))
          if _str(row.get("path")) == path and _int(row.get("line_start")) == start]
    if not at:
        return hits
    order = [at[0], *(i for i in range(len(hits)) if i != at[0])]
    moved = hits.iloc[order].reset_index(drop=True)
    moved[_SUBJECT] = [True] + [False] * (len(moved) - 1)
    return moved


class ContextBuilder:
    """Builds the context of questions about one snapshot.

    ``search(question, k)`` returns a DataFrame with (at least) the columns of ``wb.search``
    (``score, kind, path, line_start, line_end, node, text``); ``read_file(path)`` returns a
    file's text at the snapshot (None when it has none).
    """

    def __init__(self, snapshot: "Snapshot", *, search: SearchFn, read_file: ReadFn,
                 project: str | None = None, search_name: str = "search") -> None:
        self.snapshot = snapshot
        self.search = search
        self.read_file = read_file
        self.project = project or snapshot.info.project
        self.search_name = search_name
        self._tables: dict[str, "pd.DataFrame"] = {}

    def _table(self, name: str) -> "pd.DataFrame":
        if name not in self._tables:
            self._tables[name] = getattr(self.snapshot, name)
        return self._tables[name]

    # -- the whole -----------------------------------------------------------------------------

    def build(self, question: str, *, budget: int, window: int, k: int = SEARCH_K,
              search_for: str | None = None, subject: Location | None = None) -> Packed:
        """The context for ``question`` within ``budget`` tokens (never more); its passages
        are searched with ``search_for`` when given (a follow-up's text with the question it
        follows), else with the question. ``subject`` (path, first line, last line): the
        passage a follow-up refers back to ("and who calls it?"), ranked first when the
        search finds it, so that its graph facts come first too."""
        budget = max(0, int(budget))
        items: list[ContextItem] = []
        blocks: list[str] = []
        hits = _subject_first(self.search(search_for or question, k), subject)
        used = 0

        share = int(budget * PASSAGE_SHARE)
        for item, block in self._passages(hits):
            if used + item.tokens <= share:
                used += item.tokens
                items.append(item)
                blocks.append(block)
            else:
                items.append(_left_out(item))

        share = used + int(budget * FACT_SHARE)
        for item, block in self._facts(hits):
            if used + item.tokens <= min(share, budget):
                used += item.tokens
                items.append(item)
                blocks.append(block)
            else:
                items.append(_left_out(item))

        outline = self._outline(hits, budget - used)
        if outline is not None:
            item, block = outline
            if item.included:
                used += item.tokens
                blocks.append(block)
            items.append(item)
        record = ContextRecord(question, self.project, self.snapshot.id, budget, used, window,
                               tuple(items), self.search_name, searched_for=search_for or "")
        return Packed(record, "\n\n".join(blocks))

    # -- passages ------------------------------------------------------------------------------

    def _passages(self, hits: "pd.DataFrame"):
        seen: set[tuple] = set()
        for row in hits.to_dict("records"):
            path, text = _str(row.get("path")), _str(row.get("text"))
            start, end = _int(row.get("line_start")), _int(row.get("line_end"))
            kind = _str(row.get("kind")) or "code"
            if not text:
                continue
            key = (path, start, end, row.get("commit"))
            if key in seen:
                continue
            seen.add(key)
            lines = text.splitlines()
            if len(lines) > MAX_PASSAGE_LINES:
                text = "\n".join(lines[:MAX_PASSAGE_LINES])
                if start is not None:
                    end = start + MAX_PASSAGE_LINES - 1
            if path:
                source = cite(path, start, end)
            else:
                source = f"commit {(_str(row.get('commit')) or '')[:12]}"
            block = data_block(text, source=source, kind=kind)
            score = float(row.get("score") or 0.0)
            reason = f"search hit #{_int(row.get('rank')) or len(seen)} ({kind})"
            if row.get(_SUBJECT) is True:
                reason += ", first: the previous answer's subject, which the question refers to"
            item = ContextItem("passage", block, count_tokens(block), score, reason,
                               path, start, end, _str(row.get("node")))
            yield item, block

    # -- graph facts ---------------------------------------------------------------------------

    def _facts(self, hits: "pd.DataFrame"):
        nodes: list[tuple[str, float]] = []
        for row in hits.to_dict("records"):
            node = _str(row.get("node"))
            if node and node not in {n for n, _ in nodes}:
                nodes.append((node, float(row.get("score") or 0.0)))
        where = self._locations()
        done: set[str] = set()
        stated: set[tuple[str, str, str]] = set()  # an edge between two hits is said once
        for node, score in nodes[:6]:
            if node in done:
                continue
            done.add(node)
            try:
                near = self.snapshot.related(node, depth=1)
            except Exception:  # noqa: BLE001 - a hit's node the map does not know: no facts
                continue
            lines = []
            for r in near.to_dict("records"):
                if r["via"] == "contains" and r["direction"] == "out":
                    continue  # members are in the outline
                other = r["node"]
                edge = ((node, r["via"], other) if r["direction"] == "out"
                        else (other, r["via"], node))
                if edge in stated:
                    continue
                loc = where.get(other)
                at = f" ({loc})" if loc else ""
                if r["direction"] == "out":
                    lines.append((f"{node} {r['via']} {other}{at}", edge))
                else:
                    lines.append((f"{other}{at} {r['via']} {node}", edge))
            if not lines:
                continue
            kept = sorted(lines)[:FACTS_PER_NODE]
            stated.update(edge for _, edge in kept)
            lines = [line for line, _ in kept]
            block = data_block("\n".join(lines), source=node, kind="facts")
            yield ContextItem("fact", block, count_tokens(block), score,
                              f"graph neighbourhood of a hit ({len(lines)} edges)",
                              node=node), block

    def _locations(self) -> dict[str, str]:
        if not hasattr(self, "_where"):
            nodes = self._table("nodes")
            where = {}
            for node, path, start, end in nodes[["id", "path", "line_start", "line_end"]
                                                ].itertuples(index=False):
                path = _str(path)
                if path:
                    where[node] = cite(path, _int(start), _int(end))
            self._where = where
        return self._where

    # -- the ranked outline --------------------------------------------------------------------

    def ranked_signatures(self, hits: "pd.DataFrame | None" = None, *,
                          limit: int = MAX_OUTLINE) -> list[tuple[str, float, str]]:
        """(location, rank, signature) of the map's classes and functions (modules when there
        are none), best first, at most ``limit``: PageRank over calls, imports and inheritance,
        personalised towards the hits' nodes and files."""
        return self._signatures(self._ranked(hits)[:limit])

    def _signatures(self, ranked: list[tuple]) -> list[tuple[str, float, str]]:
        prefetch = getattr(self.read_file, "prefetch", None)
        if prefetch is not None:  # one git process for every file the outline quotes
            prefetch([r[2] for r in ranked])
        return [(cite(path, start, end), rank, self._signature(node, kind, path, start))
                for node, kind, path, start, end, rank in ranked]

    def _ranked(self, hits: "pd.DataFrame | None") -> list[tuple]:
        """(node, kind, path, start, end, rank) of the outline's candidates, best first."""
        import networkx as nx

        nodes = self._table("nodes")
        edges = self._table("edges")
        g = nx.DiGraph()
        g.add_nodes_from(nodes["id"].tolist())
        for src, dst, weight in edges[edges["kind"].isin(RANK_KINDS)][
                ["src", "dst", "weight"]].itertuples(index=False):
            w = float(weight or 1)
            if g.has_edge(src, dst):
                g[src][dst]["weight"] += w
            else:
                g.add_edge(src, dst, weight=w)
        for src, dst in edges[edges["kind"] == "contains"][["src", "dst"]].itertuples(index=False):
            for a, b in ((src, dst), (dst, src)):  # rank flows between a file and its parts
                if not g.has_edge(a, b):
                    g.add_edge(a, b, weight=0.2)
        personal = None
        if hits is not None and len(hits):
            personal = {}
            paths = {path: node for node, path, kind in
                     nodes[["id", "path", "kind"]].itertuples(index=False)
                     if kind in ("module", "package") and _str(path)}
            for score, node, path in hits[["score", "node", "path"]].itertuples(index=False):
                weight = max(float(score or 0.0), 0.01)
                for key in (_str(node), paths.get(_str(path) or "")):
                    if key and key in g:
                        personal[key] = personal.get(key, 0.0) + weight
            personal = personal or None
        if g.number_of_nodes() == 0:
            return []
        rank = nx.pagerank(g, weight="weight", personalization=personal)
        symbols = nodes[nodes["kind"].isin(("class", "function"))]
        if symbols.empty:
            symbols = nodes[nodes["kind"] == "module"]
        out = []
        for node, kind, path, start, end in symbols[
                ["id", "kind", "path", "line_start", "line_end"]].itertuples(index=False):
            path = _str(path)
            if path:
                out.append((node, kind, path, _int(start), _int(end), rank.get(node, 0.0)))
        out.sort(key=lambda t: (-t[5], t[2], t[3] or 0, t[0]))
        return out

    def _signature(self, node: str, kind: str, path: str, start: int | None) -> str:
        text = self._text(path)
        name = node.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        if text is not None and start is not None:
            lines = text.splitlines()
            for ln in lines[start - 1:start + 3]:
                if name in ln:
                    return ln.strip()[:160]
            if 0 < start <= len(lines):
                return lines[start - 1].strip()[:160]
        return f"{kind} {node}"

    def _text(self, path: str) -> str | None:
        cache = self.__dict__.setdefault("_texts", {})
        if path not in cache:
            cache[path] = self.read_file(path)
        return cache[path]

    def _outline(self, hits: "pd.DataFrame", room: int):
        candidates = self._ranked(hits)
        if not candidates:
            return None
        # no more signatures than could fit at a few tokens each: the binary search stays cheap
        ranked = self._signatures(candidates[:min(MAX_OUTLINE, max(1, room // 6))])
        total = len(candidates)

        def render(n: int) -> str:
            by_file: dict[str, list[tuple[int, str]]] = {}
            for loc, _rank, sig in ranked[:n]:
                path, _, lines = loc.partition(":")
                first = int(lines.split("-")[0]) if lines else 0
                by_file.setdefault(path, []).append((first, f"{lines:>9} │ {sig}"))
            body = []
            for path in sorted(by_file):
                body.append(f"{path}:")
                body.extend(f"  {line}" for _, line in sorted(by_file[path]))
            return data_block("\n".join(body), source="map outline", kind="outline")

        lo, hi = 0, len(ranked)  # the largest n whose rendering fits (binary search, as Aider)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_tokens(render(mid)) <= room:
                lo = mid
            else:
                hi = mid - 1
        if lo == 0:
            text = render(1)
            return _left_out(ContextItem("outline", text, count_tokens(text), ranked[0][1],
                                         f"no room for the outline ({total} signatures)")), ""
        text = render(lo)
        item = ContextItem("outline", text, count_tokens(text), ranked[lo - 1][1],
                           f"top {lo} of {total} signatures by PageRank")
        return item, text


def _left_out(item: ContextItem) -> ContextItem:
    from dataclasses import replace

    return replace(item, included=False, reason=f"{item.reason}; left out: over budget")


# -- the built-in lexical search (used when the project has no search index) ---------------------

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_STOP = frozenset("the a an and or of to in is it for on with as by be this that what where "
                  "which how does do are from at not self def return import class none true "
                  "false if else".split())
TEXT_SUFFIXES = (".md", ".rst", ".txt", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".json")
WINDOW_LINES = 40
MAX_FILE_CHARS = 400_000


def terms(text: str) -> list[str]:
    """Lower-cased word pieces (identifiers split at case changes and underscores), no stopwords."""
    return [w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 1]


def lexical_search(snapshot: "Snapshot", read_file: ReadFn, question: str, k: int = SEARCH_K,
                   *, include_tests: bool = False) -> "pd.DataFrame":
    """BM25 (Robertson et al.) over the snapshot's classes, functions, module heads and text
    files, by identifier pieces; a DataFrame with ``wb.search``'s columns, best first.

    A stand-in for the search index: it reads the files each time, so it suits small and
    medium repositories.
    """
    import pandas as pd

    wanted = Counter(terms(question))
    chunks = _chunks(snapshot, read_file, include_tests)
    if not wanted or not chunks:
        return pd.DataFrame(columns=SEARCH_COLUMNS)
    docs = [Counter(terms(c["node"] or "") * 3 + terms(c["path"]) * 2 + terms(c["text"]))
            for c in chunks]
    n = len(docs)
    avg = sum(sum(d.values()) for d in docs) / n or 1.0
    df = Counter(t for d in docs for t in set(d) if t in wanted)
    scores = []
    for i, d in enumerate(docs):
        length = sum(d.values())
        s = 0.0
        for t in wanted:
            f = d.get(t, 0)
            if f:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * length / avg))
        if s > 0:
            scores.append((s, i))
    scores.sort(key=lambda t: (-t[0], chunks[t[1]]["path"], chunks[t[1]]["line_start"] or 0))
    rows = []
    for rank, (s, i) in enumerate(scores[:k], 1):
        c = chunks[i]
        rows.append({**{col: None for col in SEARCH_COLUMNS}, **c, "rank": rank, "score": s,
                     "bm25": s, "preview": c["text"][:120]})
    return pd.DataFrame(rows, columns=SEARCH_COLUMNS)


def _chunks(snapshot: "Snapshot", read_file: ReadFn, include_tests: bool) -> list[dict]:
    nodes = snapshot.nodes
    files = snapshot.files
    chunks: list[dict] = []
    texts: dict[str, list[str]] = {}

    def lines_of(path: str) -> list[str]:
        if path not in texts:
            text = read_file(path) or ""
            texts[path] = text[:MAX_FILE_CHARS].splitlines()
        return texts[path]

    def is_test(path: str) -> bool:
        return bool(re.search(r"(^|/)(tests?|spec)(/|$)|(^|/)test_[^/]*$|_test\.\w+$", path))

    prefetch = getattr(read_file, "prefetch", None)
    if prefetch is not None:  # one git process for the whole tree
        mapped = set(nodes["path"].dropna())
        prefetch([p for p in files["path"].tolist()
                  if p.lower().endswith(TEXT_SUFFIXES) or p in mapped])
    covered: dict[str, list[tuple[int, int]]] = {}
    for r in nodes[nodes["kind"].isin(("class", "function"))][
            ["id", "kind", "path", "line_start", "line_end", "language"]].to_dict("records"):
        path, start, end = _str(r["path"]), _int(r["line_start"]), _int(r["line_end"])
        if not path or start is None or (is_test(path) and not include_tests):
            continue
        end = end or start
        if end - start > MAX_PASSAGE_LINES:  # a big class: its head; its methods are chunks too
            end = start + 15
        text = "\n".join(lines_of(path)[start - 1:end])
        covered.setdefault(path, []).append((start, end))
        chunks.append({"kind": "code", "path": path, "line_start": start, "line_end": end,
                       "node": r["id"], "node_kind": r["kind"], "language": _str(r["language"]),
                       "text": text})
    for r in nodes[nodes["kind"].isin(("module", "package"))][
            ["id", "kind", "path", "language"]].to_dict("records"):
        path = _str(r["path"])
        if not path or (is_test(path) and not include_tests):
            continue
        lines = lines_of(path)
        if not lines:
            continue
        first_def = min((s for s, _ in covered.get(path, [])), default=len(lines) + 1)
        end = max(1, min(len(lines), first_def - 1, WINDOW_LINES))
        text = "\n".join(lines[:end])
        if text.strip():
            chunks.append({"kind": "code", "path": path, "line_start": 1, "line_end": end,
                           "node": r["id"], "node_kind": r["kind"],
                           "language": _str(r["language"]), "text": text})
    for r in files[["path", "status"]].to_dict("records"):
        path = r["path"]
        if not path.lower().endswith(TEXT_SUFFIXES) or (is_test(path) and not include_tests):
            continue
        lines = lines_of(path)
        kind = "docs" if path.lower().endswith((".md", ".rst", ".txt")) else "config"
        for start in range(0, len(lines), WINDOW_LINES):
            text = "\n".join(lines[start:start + WINDOW_LINES])
            if text.strip():
                chunks.append({"kind": kind, "path": path, "line_start": start + 1,
                               "line_end": min(len(lines), start + WINDOW_LINES), "node": None,
                               "node_kind": None, "language": None, "text": text})
    return chunks
