"""A mapped commit as people use it: tables, a networkx graph and a summary.

Snapshots are immutable, so the graph built for one is cached in the process (keyed by
database file and snapshot id) and rebuilt from DuckDB through Arrow when missing.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from .domain import FILE_KINDS, EdgeKind, SnapshotInfo
from .store import Store

_CACHE: "OrderedDict[tuple[str, int], nx.MultiDiGraph]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 8


def build_graph(nodes, edges) -> nx.MultiDiGraph:
    """A ``MultiDiGraph`` from Arrow node and edge tables; edge keys are edge kinds."""
    g = nx.MultiDiGraph()
    ncols = nodes.to_pydict()
    names = [c for c in ncols if c != "id"]
    for i, node_id in enumerate(ncols["id"]):
        attrs = {c: ncols[c][i] for c in names if ncols[c][i] is not None and c != "attrs"}
        raw = ncols["attrs"][i] if "attrs" in ncols else None
        if raw:
            attrs.update({k: v for k, v in json.loads(raw).items() if k not in attrs})
        g.add_node(node_id, **attrs)
    e = edges.to_pydict()
    g.add_edges_from(
        (s, d, k, {"kind": k, "weight": w, **({"line": ln} if ln is not None else {})})
        for s, d, k, w, ln in zip(e["src"], e["dst"], e["kind"], e["weight"], e["line"])
    )
    return g


@dataclass(frozen=True)
class Summary:
    """The headline of a map: counts, most imported modules and import cycles."""

    project: str
    commit: str
    stats: dict
    most_imported: pd.DataFrame = field(repr=False)
    cycles: list[list[str]] = field(repr=False)

    def to_text(self) -> str:
        s = self.stats
        lines = [
            f"Project {self.project} at {self.commit[:12]}",
            f"  files                  {s.get('files', 0):>7}   (python {s.get('python_files', 0)}, "
            f"skipped {s.get('skipped_files', 0)}, parse problems {s.get('parse_problems', 0)})",
            f"  modules                {s.get('modules', 0):>7}   (packages {s.get('packages', 0)})",
            f"  classes                {s.get('classes', 0):>7}",
            f"  functions              {s.get('functions', 0):>7}",
            f"  internal import edges  {s.get('import_edges', 0):>7}",
            f"  external dependencies  {s.get('external_dependencies', 0):>7}   "
            f"(+ {s.get('stdlib_dependencies', 0)} standard library modules)",
            "  most imported modules:",
        ]
        if self.most_imported.empty:
            lines.append("    (no internal imports)")
        for row in self.most_imported.itertuples():
            lines.append(f"    {row.importers:>4}  {row.module}")
        lines.append(f"  import cycles          {len(self.cycles):>7}")
        for cycle in self.cycles[:5]:
            lines.append("    " + " -> ".join([*cycle, cycle[0]]))
        return "\n".join(lines)


class Snapshot:
    """One mapped commit. ``nodes``/``edges``/``files`` are DataFrames; ``graph`` a MultiDiGraph."""

    def __init__(self, store: Store, info: SnapshotInfo) -> None:
        self._store = store
        self.info = info

    def __repr__(self) -> str:
        return f"<Snapshot {self.info.id} of {self.info.project} at {self.info.commit_sha[:12]}>"

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def commit(self) -> str:
        return self.info.commit_sha

    @property
    def stats(self) -> dict:
        return dict(self.info.stats)

    @property
    def nodes(self) -> pd.DataFrame:
        return self._store.snapshots.nodes(self.id)

    @property
    def edges(self) -> pd.DataFrame:
        return self._store.snapshots.edges(self.id)

    @property
    def files(self) -> pd.DataFrame:
        return self._store.snapshots.files(self.id)

    @property
    def graph(self) -> nx.MultiDiGraph:
        key = (str(self._store.path), self.id)
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
        g = build_graph(*self._store.snapshots.arrow(self.id))
        with _CACHE_LOCK:
            _CACHE[key] = g
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return g

    def import_graph(self) -> nx.DiGraph:
        """Internal module-to-module imports as a plain ``DiGraph`` (weight = import statements)."""
        g = self.graph
        dg = nx.DiGraph()
        dg.add_nodes_from(n for n, k in g.nodes(data="kind") if k in FILE_KINDS and g.nodes[n].get("path"))
        for s, d, k, w in g.edges(keys=True, data="weight"):
            if k == EdgeKind.IMPORTS.value:
                dg.add_edge(s, d, weight=w)
        return dg

    def most_imported(self, n: int = 5) -> pd.DataFrame:
        dg = self.import_graph()
        rows = sorted(((dg.in_degree(m), m) for m in dg.nodes), key=lambda t: (-t[0], t[1]))
        rows = [(m, c) for c, m in rows if c > 0][:n]
        return pd.DataFrame(rows, columns=["module", "importers"])

    def import_cycles(self) -> list[list[str]]:
        """Each strongly connected group of modules that import each other, sorted members."""
        dg = self.import_graph()
        groups = [sorted(c) for c in nx.strongly_connected_components(dg) if len(c) > 1]
        return sorted(groups, key=lambda c: (-len(c), c))

    def external_dependencies(self) -> pd.DataFrame:
        nodes = self.nodes
        ext = nodes[nodes["kind"] == "external"].copy()
        edges = self.edges
        uses = edges[edges["kind"] == EdgeKind.DEPENDS_ON.value].groupby("dst").size()
        ext["importers"] = ext["id"].map(uses).fillna(0).astype(int)
        ext["stdlib"] = ext["attrs"].map(lambda a: bool(json.loads(a).get("stdlib")) if a else False)
        return ext[["name", "stdlib", "importers"]].sort_values(
            ["stdlib", "importers", "name"], ascending=[True, False, True]).reset_index(drop=True)

    def summary(self, top: int = 5) -> Summary:
        return Summary(self.info.project, self.commit, self.stats, self.most_imported(top),
                       self.import_cycles())
