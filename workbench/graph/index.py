"""``GraphIndex``: everything a query needs about one snapshot graph, built once.

Snapshot graphs are immutable, so the expensive part of a query -- turning networkx's
dict-of-dicts into arrays, finding strongly connected components, aggregating the module
graph -- is done once per graph and kept here; each query is then a numpy BFS or a lookup.
Callers that hold a graph for a while (the API's snapshot cache) keep its ``GraphIndex``;
:func:`index_for` does that for the plain functions of :mod:`workbench.graph.queries`.

Requires scipy (strongly connected components; networkx's PageRank needs it as well).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from itertools import islice
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from workbench.domain import DEPENDENCY_KINDS, FILE_KINDS, EdgeKind, NodeKind
from workbench.graph import node_kinds, views
from workbench.graph._cache import PerGraphCache
from workbench.graph._gc import collector_paused
from workbench.graph._traverse import IN, OUT, Adjacency, Reached, bfs, shortest_cycle
from workbench.graph.errors import ContextsNotRecorded
from workbench.graph.import_contexts import (IMPORT_EDGE_KINDS, bits_from_attrs, bits_of,
                                             exclusion_bits, names_of)
from workbench.graph.lookup import NameIndex, name_index

Direction = Literal["both", "out", "in"]

#: Edge kinds that stand for import statements and record where they stand.
IMPORT_KINDS: tuple[str, ...] = IMPORT_EDGE_KINDS
#: Edge kinds through which one node depends on another (used by ``impact``).
#: Betweenness is O(V·E); above this many modules it is skipped (reported as NaN).
BETWEENNESS_MAX_NODES = 2000
#: Seed of Louvain community detection, so that communities are stable across runs.
COMMUNITY_SEED = 42


class GraphIndex:
    """Array form of one snapshot graph plus lazily computed, cached derived structures.

    Build it once per graph (``GraphIndex(g)``) and keep it while the graph lives. Node
    arguments of the query methods accept anything :func:`~workbench.graph.lookup.resolve_node`
    accepts (exact id, file path or unique suffix).

    ``exclude_contexts`` of ``impact``, ``paths``, ``cycles``, ``layers`` and ``module_graph``
    leaves out import edges all of whose statements stand in those contexts
    (:class:`~workbench.domain.ImportContext`, e.g. ``("type_checking",)`` for the imports
    that run); :meth:`excluding` gives the index of what remains, for any other question.
    """

    def __init__(self, g: nx.Graph) -> None:
        # No reference to ``g`` is kept: the per-graph cache holds graphs weakly, and an
        # index pointing back at its graph would keep every cached graph alive.
        ids = list(g.nodes)
        pos = {n: i for i, n in enumerate(ids)}
        holds = FILE_KINDS | {NodeKind.EXTERNAL.value}
        with collector_paused():
            src, dst, kinds, weight, line, contexts = _edge_table(g, pos)
        self._setup(
            ids, pos,
            np.array([d.get("kind") for _, d in g.nodes(data=True)], dtype=object),
            name_index(g),
            {n: dict(d) for n, d in g.nodes(data=True) if d.get("kind") in holds},
            np.asarray(src, dtype=np.int32), np.asarray(dst, dtype=np.int32),
            np.asarray(kinds, dtype=object), np.asarray(weight, dtype=np.float64),
            np.asarray(line, dtype=np.float64),
            np.fromiter((bits_of(c) for c in contexts), dtype=np.uint8, count=len(contexts)),
        )

    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, edges: pd.DataFrame) -> "GraphIndex":
        """Build the index straight from the store's node and edge tables, without networkx.

        Same result as ``GraphIndex(graph_from_frames(nodes, edges))`` for the queries, at a
        fraction of the cost: a large map can be queried before (or without) building its
        ``MultiDiGraph``. Edge endpoints missing from ``nodes`` are dropped. Import contexts
        are read from a ``context_bits`` column (see :mod:`~workbench.graph.import_contexts`),
        an ``attrs`` column (the store's JSON text) or ``contexts``/``context`` columns, when
        the frame has one.
        """
        self = cls.__new__(cls)
        ids = nodes["id"].astype(object).tolist()
        pos = {n: i for i, n in enumerate(ids)}
        index = pd.Index(ids)
        src = index.get_indexer(edges["src"])
        dst = index.get_indexer(edges["dst"])
        keep = (src >= 0) & (dst >= 0)
        kinds = nodes["kind"].astype(object).to_numpy()
        holds = FILE_KINDS | {NodeKind.EXTERNAL.value}
        file_rows = nodes[nodes["kind"].isin(list(holds))]
        file_attrs = {
            row["id"]: {k: v for k, v in row.items() if k != "id" and not _missing(v)}
            for row in file_rows.to_dict("records")
        }
        paths = {n: a["path"] for n, a in file_attrs.items()
                 if a.get("kind") in FILE_KINDS and isinstance(a.get("path"), str)}
        self._setup(
            ids, pos, kinds, NameIndex(ids, paths), file_attrs,
            src[keep].astype(np.int32), dst[keep].astype(np.int32),
            edges["kind"].astype(object).to_numpy()[keep],
            pd.to_numeric(edges["weight"], errors="coerce").to_numpy(dtype=np.float64)[keep],
            pd.to_numeric(edges["line"], errors="coerce").to_numpy(dtype=np.float64)[keep],
            _frame_contexts(edges)[keep],
        )
        return self

    def _setup(self, ids: list[str], pos: dict[str, int], node_kind: np.ndarray, names: NameIndex,
               file_attrs: dict[str, dict], src: np.ndarray, dst: np.ndarray, kinds: np.ndarray,
               weight: np.ndarray, line: np.ndarray, contexts: np.ndarray) -> None:
        self.ids = ids
        self.id_array = np.array(ids, dtype=object)
        self.pos = pos
        self.node_kind = node_kind
        self.id_rank = np.empty(len(ids), dtype=np.int64)  # sort key: position in id order
        self.id_rank[np.argsort(self.id_array, kind="stable")] = np.arange(len(ids))
        self.names = names
        self._file_attrs = file_attrs
        codes, edge_kinds = pd.factorize(kinds, sort=True)
        self.edge_kinds = [str(k) for k in edge_kinds]
        self._codes = {k: i for i, k in enumerate(self.edge_kinds)}
        self.edge_src = src
        self.edge_dst = dst
        self.edge_kind = np.asarray(codes, dtype=np.int16)
        self.edge_weight = np.nan_to_num(weight, nan=1.0)
        self.edge_line = line  # None became NaN
        self.edge_contexts = contexts  # bit sets of import contexts (import_contexts.BITS), 0 = none
        self.out = Adjacency.from_edges(len(ids), self.edge_src, self.edge_dst, self.edge_kind)
        self.into = self.out.reversed()
        self._derived: dict[tuple[Any, ...], Any] = {}

    # -- helpers -----------------------------------------------------------------------------

    def _memo(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """Derived structures are computed on first use and kept for the life of the index."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def resolve(self, name: str) -> str:
        """The node id ``name`` stands for (see :func:`~workbench.graph.lookup.resolve_node`)."""
        return self.names.resolve(name)

    def kind_mask(self, kinds: Iterable[str] | None) -> np.ndarray:
        """Boolean mask over edge-kind codes; ``None`` allows every kind."""
        if kinds is None:
            return np.ones(max(len(self.edge_kinds), 1), dtype=bool)
        if isinstance(kinds, str):
            kinds = (kinds,)
        mask = np.zeros(max(len(self.edge_kinds), 1), dtype=bool)
        for k in kinds:
            code = self._codes.get(str(k))
            if code is not None:
                mask[code] = True
        return mask

    def _adjacencies(self, direction: Direction) -> list[tuple[Adjacency, int]]:
        if direction not in ("both", "out", "in"):
            raise ValueError(f"direction must be 'both', 'out' or 'in', not {direction!r}")
        chosen = []
        if direction in ("both", "out"):
            chosen.append((self.out, OUT))
        if direction in ("both", "in"):
            chosen.append((self.into, IN))
        return chosen

    def _hits(self, reached: Reached) -> np.ndarray:
        """Indices into ``reached`` of the non-source nodes, ordered by distance, then id."""
        hits = np.flatnonzero(reached.distance > 0)
        return hits[np.lexsort((self.id_rank[reached.order[hits]], reached.distance[hits]))]

    def _frame(self, reached: Reached, hits: np.ndarray) -> pd.DataFrame:
        """The columns every BFS result starts with: ``node``, ``kind``, ``distance``."""
        order = reached.order[hits]
        return pd.DataFrame(
            {
                "node": self.id_array[order],
                "kind": self.node_kind[order],
                "distance": reached.distance[hits].astype(np.int64),
            }
        )

    def _chains(self, reached: Reached, hits: np.ndarray) -> list[tuple[str, ...]]:
        """For each hit, the ids along the BFS tree from it back to its source.

        Ancestors are looked up column by column for all hits at once; ``hits`` come ordered
        by distance, so each block of equal distance is zipped, column by column, into tuples
        of its exact path length. Tuples on purpose, built without intermediate lists: the
        garbage collector stops tracking tuples of strings, whereas tens of thousands of
        fresh lists per query keep triggering full collections that walk every dict of a
        large map (pauses of 300 ms).
        """
        if not len(hits):
            return []
        parent = reached.parents_by_node(len(self.ids))
        distance = reached.distance[hits]
        steps = [reached.order[hits]]
        for _ in range(int(distance.max())):
            steps.append(np.where(steps[-1] >= 0, parent[np.maximum(steps[-1], 0)], -1))
        table = np.column_stack(steps)
        chains: list[tuple[str, ...]] = []
        bounds = np.flatnonzero(np.diff(distance)) + 1
        for start, end in zip([0, *bounds.tolist()], [*bounds.tolist(), len(hits)]):
            columns = [self.id_array[table[start:end, j]].tolist() for j in range(int(distance[start]) + 1)]
            chains.extend(zip(*columns))
        return chains

    def line_of(self, u: str, v: str, kind: str) -> int | None:
        """The ``line`` attribute of edge ``u -> v`` of ``kind`` (``None`` if absent)."""
        code = self._codes.get(kind)
        if code is None:
            return None
        found = self.out.edges_between(self.pos[u], self.pos[v], code)
        line = self.edge_line[found[0]] if len(found) else np.nan
        return None if np.isnan(line) else int(line)

    def contexts_of(self, u: str, v: str, kind: str = EdgeKind.IMPORTS.value) -> list[str]:
        """Where the statements of edge ``u -> v`` of ``kind`` stand, strongest first
        (``[]`` when the edge is absent or records nothing)."""
        code = self._codes.get(kind)
        if code is None:
            return []
        found = self.out.edges_between(self.pos[u], self.pos[v], code)
        return names_of(int(self.edge_contexts[found[0]])) if len(found) else []

    def excluding(self, contexts: Iterable[str] | str | None) -> GraphIndex:
        """The index of this map without the import edges whose statements all stand in
        ``contexts`` (names of :class:`~workbench.domain.ImportContext`); ``self`` for none.

        Nodes and positions stay the same. Kept per set of contexts for the life of the index.
        Raises :class:`~workbench.graph.errors.UnknownImportContext` for an unknown name and
        :class:`~workbench.graph.errors.ContextsNotRecorded` when import edges record no
        context (a map written before imports were classified).
        """
        bits = exclusion_bits(contexts)
        if not bits:
            return self
        return self._memo(("excluding", bits), lambda: self._without_contexts(bits))

    def _without_contexts(self, bits: int) -> GraphIndex:
        imports = self.kind_mask(IMPORT_KINDS)[self.edge_kind]
        unrecorded = int(np.count_nonzero(imports & (self.edge_contexts == 0)))
        if unrecorded:
            raise ContextsNotRecorded(unrecorded)
        keep = ~imports | ((self.edge_contexts & np.uint8(~bits & 0xFF)) != 0)
        sub = GraphIndex.__new__(GraphIndex)
        sub._setup(self.ids, self.pos, self.node_kind, self.names, self._file_attrs,
                   self.edge_src[keep], self.edge_dst[keep],
                   np.array(self.edge_kinds, dtype=object)[self.edge_kind[keep]],
                   self.edge_weight[keep], self.edge_line[keep], self.edge_contexts[keep])
        return sub

    # -- traversals --------------------------------------------------------------------------

    def related(
        self,
        node: str,
        *,
        depth: int = 1,
        kinds: Iterable[str] | None = None,
        direction: Direction = "both",
    ) -> pd.DataFrame:
        """Nodes within ``depth`` hops of ``node`` over edges of ``kinds``.

        Columns: ``node``, ``kind`` (node kind), ``distance`` (hops), ``via`` (edge kind of
        the hop that first reached it), ``parent`` (the node it was reached from) and
        ``direction`` (``"out"`` if ``parent -> node``, ``"in"`` if ``node -> parent``).
        Sorted by distance, then id. ``kinds`` that never join a node of ``node``'s kind (in
        ``direction``) raise :class:`~workbench.graph.errors.NodeKindNotHandled`.
        """
        start = self.pos[self.resolve(node)]
        node_kinds.check_related(self, start, None if kinds is None else _listed(kinds), direction)
        reached = bfs(self._adjacencies(direction), np.array([start]), self.kind_mask(kinds), max_depth=depth)
        hits = self._hits(reached)
        frame = self._frame(reached, hits)
        frame["via"] = np.array(self.edge_kinds, dtype=object)[reached.via[hits]]
        frame["parent"] = self.id_array[reached.parent[hits]]
        frame["direction"] = np.where(reached.direction[hits] == OUT, "out", "in")
        return frame

    def _descendants(self, start: int) -> np.ndarray:
        contains = self.kind_mask((EdgeKind.CONTAINS.value,))
        return bfs([(self.out, OUT)], np.array([start]), contains).order

    def impact(
        self,
        node: str,
        *,
        kinds: Iterable[str] = DEPENDENCY_KINDS,
        contained: bool = True,
        exclude_contexts: Iterable[str] = (),
    ) -> pd.DataFrame:
        """Everything that depends on ``node``, transitively, over edges of ``kinds``.

        With ``contained`` (the default) a dependency on anything ``node`` contains counts
        too: callers of a class's methods are impacted by a change to the class. Columns:
        ``node``, ``kind``, ``distance`` (edges to the nearest dependency target) and ``path``
        (one shortest chain ``(node, ..., target)`` following the dependency edges). Sorted by
        distance, then id. The target and what it contains are not listed. Import edges whose
        statements all stand in ``exclude_contexts`` are not followed. ``kinds`` that reach
        neither ``node`` nor anything it contains (imports and a function) raise
        :class:`~workbench.graph.errors.NodeKindNotHandled`.
        """
        if exclude_contexts:
            return self.excluding(exclude_contexts).impact(node, kinds=kinds, contained=contained)
        start = self.pos[self.resolve(node)]
        seeds = self._descendants(start) if contained else np.array([start])
        node_kinds.check_impact(self, start, seeds, _listed(kinds))
        reached = bfs([(self.into, IN)], seeds, self.kind_mask(kinds))
        hits = self._hits(reached)
        frame = self._frame(reached, hits)
        frame["path"] = pd.Series(self._chains(reached, hits), dtype=object)
        return frame

    def paths(
        self,
        a: str,
        b: str,
        *,
        kinds: Iterable[str] = (EdgeKind.IMPORTS.value,),
        limit: int = 10,
        exclude_contexts: Iterable[str] = (),
    ) -> list[list[str]]:
        """Up to ``limit`` simple paths ``a -> ... -> b`` over edges of ``kinds``, shortest first.

        The shortest paths are read off the BFS distances to ``b`` (each step must get one hop
        closer), which costs a handful of array lookups per path; ties are in id order. Only
        when there are fewer than ``limit`` of them are longer paths looked for, with Yen's
        algorithm (networkx ``shortest_simple_paths``) on the subgraph of nodes that are both
        reachable from ``a`` and reach ``b`` -- no other node can lie on such a path. Import
        edges whose statements all stand in ``exclude_contexts`` are not followed. An ``a``
        that no edge of ``kinds`` leaves, or a ``b`` none reaches (an import path between two
        functions), raises :class:`~workbench.graph.errors.NodeKindNotHandled`, which names
        the modules holding them and the kinds that do join them.
        """
        if exclude_contexts:
            return self.excluding(exclude_contexts).paths(a, b, kinds=kinds, limit=limit)
        start, end = self.pos[self.resolve(a)], self.pos[self.resolve(b)]
        node_kinds.check_paths(self, start, end, _listed(kinds))
        if start == end or limit <= 0:
            return [[self.ids[start]]] if start == end and limit > 0 else []
        mask = self.kind_mask(kinds)
        backward = bfs([(self.into, IN)], np.array([end]), mask)
        to_end = np.full(len(self.ids), -1, dtype=np.int64)
        to_end[backward.order] = backward.distance
        if to_end[start] < 0:
            return []
        found = self._shortest_paths(start, to_end, mask, limit)
        if len(found) < limit:
            shortest = len(found[0])
            found += [
                p for p in self._simple_paths(start, end, backward.order, mask, limit) if len(p) > shortest
            ]
        return [[self.ids[p] for p in path] for path in found[:limit]]

    def _shortest_paths(
        self, start: int, to_end: np.ndarray, mask: np.ndarray, limit: int
    ) -> list[list[int]]:
        """Up to ``limit`` paths from ``start`` along which ``to_end`` drops by one per hop."""
        found: list[list[int]] = []
        path = [start]

        def walk(u: int) -> None:
            if to_end[u] == 0:
                found.append(list(path))
                return
            _, targets, kinds = self.out.expand(np.array([u]))
            closer = np.unique(targets[mask[kinds] & (to_end[targets] == to_end[u] - 1)])
            for v in closer[np.argsort(self.id_rank[closer])].tolist():
                if len(found) >= limit:
                    return
                path.append(v)
                walk(v)
                path.pop()

        walk(start)
        return found

    def _simple_paths(
        self, start: int, end: int, reach_end: np.ndarray, mask: np.ndarray, limit: int
    ) -> list[list[int]]:
        """Yen's k shortest simple paths, on the nodes between ``start`` and ``end`` only."""
        forward = bfs([(self.out, OUT)], np.array([start]), mask).order
        between = np.intersect1d(forward, reach_end, assume_unique=True)
        allowed = np.zeros(len(self.ids), dtype=bool)
        allowed[between] = True
        origins, targets, edge_kinds = self.out.expand(between)
        keep = allowed[targets] & mask[edge_kinds]
        sub = nx.DiGraph()
        sub.add_edges_from(zip(origins[keep].tolist(), targets[keep].tolist()))
        return list(islice(nx.shortest_simple_paths(sub, start, end), limit))

    def reachable(self, node: str, *, kinds: Iterable[str], direction: Direction = "out") -> np.ndarray:
        """Positions of every node reachable from ``node`` (itself included)."""
        start = self.pos[self.resolve(node)]
        return bfs(self._adjacencies(direction), np.array([start]), self.kind_mask(kinds)).order

    # -- cycles ------------------------------------------------------------------------------

    def components(self, kinds: tuple[str, ...]) -> list[np.ndarray]:
        """Strongly connected components over edges of ``kinds`` that contain a cycle.

        That is components of more than one node, and single nodes with a self-loop; each is
        an array of node positions sorted by id.
        """
        return self._memo(("components", tuple(kinds)), lambda: self._components(tuple(kinds)))

    def _components(self, kinds: tuple[str, ...]) -> list[np.ndarray]:
        mask = self.kind_mask(kinds)[self.edge_kind]
        src, dst = self.edge_src[mask], self.edge_dst[mask]
        n = len(self.ids)
        matrix = csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
        _, labels = connected_components(matrix, directed=True, connection="strong")
        sizes = np.bincount(labels, minlength=1)
        cyclic = sizes > 1
        cyclic[labels[src[src == dst]]] = True
        members = np.flatnonzero(cyclic[labels])
        groups = pd.Series(members).groupby(labels[members]).apply(list)
        return sorted(
            (np.array(sorted(g, key=self.ids.__getitem__)) for g in groups),
            key=lambda arr: (-len(arr), self.ids[arr[0]]),
        )

    def _cycle_through(self, members: np.ndarray, mask: np.ndarray) -> list[int]:
        inside = np.zeros(len(self.ids), dtype=bool)
        inside[members] = True
        origins, targets, kinds = self.out.expand(members)
        keep = inside[targets] & mask[kinds]
        successors: dict[int, list[int]] = {}
        for u, v in zip(origins[keep].tolist(), targets[keep].tolist()):
            successors.setdefault(u, []).append(v)
        for targets_of in successors.values():
            targets_of.sort(key=self.ids.__getitem__)
        return shortest_cycle(members.tolist(), successors)

    def _cycles(self, kind: str) -> pd.DataFrame:
        rows = []
        mask = self.kind_mask((kind,))
        for members in self.components((kind,)):
            cycle = [self.ids[p] for p in self._cycle_through(members, mask)]
            rows.append(
                {
                    "members": [self.ids[p] for p in members],
                    "size": len(members),
                    "cycle": cycle,
                    "lines": [self.line_of(u, v, kind) for u, v in zip(cycle, cycle[1:])],
                }
            )
        return pd.DataFrame(rows, columns=["members", "size", "cycle", "lines"])

    def cycles(self, *, kind: str = EdgeKind.IMPORTS.value,
               exclude_contexts: Iterable[str] = ()) -> pd.DataFrame:
        """One row per cyclic strongly connected component over ``kind`` edges.

        Columns: ``members`` (sorted ids), ``size``, ``cycle`` (one shortest cycle,
        ``[m0, m1, ..., m0]``) and ``lines`` (the ``line`` attribute of each hop of ``cycle``,
        i.e. where ``m_i`` imports ``m_i+1``). Largest components first. Import edges whose
        statements all stand in ``exclude_contexts`` do not count.
        """
        if exclude_contexts:
            return self.excluding(exclude_contexts).cycles(kind=kind)
        return self._memo(("cycles", kind), lambda: self._cycles(kind)).copy()

    # -- module-level views ------------------------------------------------------------------

    def _module_view(self, external: bool) -> tuple[nx.DiGraph, views.EdgeArrays]:
        return self._memo(("modules", external), lambda: self._build_module_view(external))

    def _build_module_view(self, external: bool) -> tuple[nx.DiGraph, views.EdgeArrays]:
        owner = self._owners(external)
        # imports of external packages are stored as depends_on edges; with externals they count
        kinds = (EdgeKind.IMPORTS.value,) + ((EdgeKind.DEPENDS_ON.value,) if external else ())
        imports = self.kind_mask(kinds)[self.edge_kind]
        src, dst = owner[self.edge_src[imports]], owner[self.edge_dst[imports]]
        self_loop = self.edge_src[imports] == self.edge_dst[imports]
        keep = (src >= 0) & (dst >= 0) & ((src != dst) | self_loop)
        modules = np.flatnonzero(owner == np.arange(len(self.ids)))
        local = np.full(len(self.ids), -1, dtype=np.int64)
        local[modules] = np.arange(len(modules))
        edges = views.aggregate(
            local[src[keep]], local[dst[keep]], self.edge_weight[imports][keep], self.edge_line[imports][keep],
            self.edge_contexts[imports][keep],
        )
        module_ids = self.id_array[modules]
        named = edges.assign(src=module_ids[edges["src"].to_numpy()], dst=module_ids[edges["dst"].to_numpy()])
        graph = views.module_digraph([(self.ids[p], self._file_attrs[self.ids[p]]) for p in modules], named)
        arrays = views.EdgeArrays(
            edges["src"].to_numpy(),
            edges["dst"].to_numpy(),
            edges["weight"].to_numpy(),
            edges["line"].to_numpy(),
        )
        return graph, arrays

    def _owners(self, external: bool) -> np.ndarray:
        """Position of the file-level node holding each node (``-1`` for none)."""
        owner = np.full(len(self.ids), -1, dtype=np.int64)
        kinds = self.node_kind
        own = np.isin(kinds, list(FILE_KINDS) + ([NodeKind.EXTERNAL.value] if external else []))
        owner[own] = np.flatnonzero(own)
        for p in np.flatnonzero(~own & (kinds != NodeKind.EXTERNAL.value)).tolist():
            module = self.pos.get(self.ids[p].split(":", 1)[0])
            if module is not None and own[module]:
                owner[p] = module
        return owner

    def module_graph(self, *, external: bool = False,
                     exclude_contexts: Iterable[str] = ()) -> nx.DiGraph:
        """File-level nodes (packages, modules, files) and the imports between them.

        Import edges from or to definitions are lifted to the file that holds them; parallel
        imports are merged (``weight`` summed, ``line`` = first import line, ``context`` the
        strongest and ``contexts`` all of their contexts). With ``external``, ``ext:`` nodes
        are kept as import targets. Import edges whose statements all stand in
        ``exclude_contexts`` are left out. Frozen: do not modify.
        """
        if exclude_contexts:
            return self.excluding(exclude_contexts).module_graph(external=external)
        return self._module_view(external)[0]

    def collapse(self, *, depth: int = 2) -> nx.DiGraph:
        """The module graph collapsed to id prefixes of ``depth`` segments.

        See :func:`workbench.graph.views.collapse_modules`; frozen: do not modify.
        """
        return self._memo(
            ("collapse", depth), lambda: views.collapse_modules(*self._module_view(False), depth)
        )

    @cached_property
    def _layers(self) -> pd.DataFrame:
        graph = self.module_graph()
        dag = nx.condensation(graph)
        level: dict[int, int] = {}
        for comp in reversed(list(nx.topological_sort(dag))):
            level[comp] = 1 + max((level[s] for s in dag.successors(comp)), default=-1)
        mapping = dag.graph["mapping"]
        frame = pd.DataFrame({"node": list(mapping), "level": [level[mapping[n]] for n in mapping]})
        return frame.sort_values(["level", "node"], ignore_index=True)

    def layers(self, *, exclude_contexts: Iterable[str] = ()) -> pd.DataFrame:
        """Level of each module in the condensed import graph: ``node``, ``level``.

        Level 0 modules import nothing internal; every other module sits one level above the
        highest module it imports. Modules of one import cycle share a level. Import edges
        whose statements all stand in ``exclude_contexts`` do not count.
        """
        if exclude_contexts:
            return self.excluding(exclude_contexts).layers()
        return self._layers.copy()

    def _communities(self, seed: int) -> pd.DataFrame:
        undirected = self.module_graph().to_undirected()
        found = nx.community.louvain_communities(undirected, weight="weight", seed=seed)
        ordered = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
        rows = [(n, i) for i, members in enumerate(ordered) for n in members]
        return pd.DataFrame(rows, columns=["node", "community"])

    def communities(self, *, seed: int = COMMUNITY_SEED) -> pd.DataFrame:
        """Louvain communities of the (undirected, weighted) module graph: ``node``, ``community``.

        Communities are numbered from the largest; a fixed ``seed`` makes them reproducible.
        """
        return self._memo(("communities", seed), lambda: self._communities(seed)).copy()

    @cached_property
    def _centrality(self) -> pd.DataFrame:
        graph = self.module_graph()
        nodes = list(graph)
        pagerank = nx.pagerank(graph, weight="weight") if nodes else {}
        if len(nodes) <= BETWEENNESS_MAX_NODES:
            betweenness = nx.betweenness_centrality(graph)
        else:
            betweenness = dict.fromkeys(nodes, np.nan)
        frame = pd.DataFrame(
            {
                "node": nodes,
                "pagerank": [pagerank[n] for n in nodes],
                "in_degree": [graph.in_degree(n) for n in nodes],
                "out_degree": [graph.out_degree(n) for n in nodes],
                "betweenness": [betweenness[n] for n in nodes],
            }
        )
        return frame.sort_values(["pagerank", "node"], ascending=[False, True], ignore_index=True)

    def centrality(self) -> pd.DataFrame:
        """Per module: ``pagerank`` (weighted), ``in_degree``/``out_degree`` (modules), ``betweenness``.

        Betweenness costs O(V·E), so it is computed only for module graphs of at most
        :data:`BETWEENNESS_MAX_NODES` nodes and is ``NaN`` above that.
        """
        return self._centrality.copy()

    @cached_property
    def module_index(self) -> GraphIndex:
        """A :class:`GraphIndex` of the module graph (externals included), for contracts."""
        return GraphIndex(self.module_graph(external=True))

    def hidden_coupling(self, co_change_pairs: pd.DataFrame) -> pd.DataFrame:
        """Co-changing file pairs with no import path between them in either direction.

        ``co_change_pairs`` has columns ``a``, ``b`` (node ids or file paths), ``shared`` and
        ``degree``. Pairs whose files are not file-level nodes of the map are dropped (nothing
        can be said about them). Returns the kept rows with ``a_node``/``b_node`` (resolved
        ids), sorted by ``shared`` descending.
        """
        modules = self.module_index
        a_pos = [modules.file_position(x) for x in co_change_pairs["a"].tolist()]
        b_pos = [modules.file_position(x) for x in co_change_pairs["b"].tolist()]
        imports = (EdgeKind.IMPORTS.value,)
        linked: list[bool] = []
        reach: dict[int, np.ndarray] = {}
        for a, b in zip(a_pos, b_pos):
            if a < 0 or b < 0:
                linked.append(True)
                continue
            if a not in reach:
                seen = np.zeros(len(modules.ids), dtype=bool)
                for direction in ("out", "in"):
                    seen[modules.reachable(modules.ids[a], kinds=imports, direction=direction)] = True
                reach[a] = seen
            linked.append(bool(reach[a][b]))
        keep = ~np.array(linked, dtype=bool)
        result = co_change_pairs.loc[keep].copy()
        result["a_node"] = modules.id_array[np.array(a_pos, dtype=np.int64)[keep]]
        result["b_node"] = modules.id_array[np.array(b_pos, dtype=np.int64)[keep]]
        return result.sort_values("shared", ascending=False, kind="stable", ignore_index=True)

    def file_position(self, name: str) -> int:
        """Position of the node whose id or file path is exactly ``name``; ``-1`` if none."""
        p = self.pos.get(name)
        if p is None:
            p = self.pos.get(self.names.by_path(name) or "", -1)
        return p


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _listed(kinds: Iterable[str] | str) -> tuple[str, ...]:
    """Edge kinds as a tuple of names (one name alone too)."""
    return (kinds,) if isinstance(kinds, str) else tuple(str(k) for k in kinds)


def _edge_table(g: nx.Graph, pos: dict[str, int]) -> tuple[tuple, ...]:
    """Columns ``(src, dst, kind, weight, line, contexts)`` of every edge, endpoints as positions.

    ``contexts`` is the edge's ``contexts`` data (a list of names), else its ``context``.

    The kind is the ``kind`` attribute, else the multigraph key. One comprehension over
    ``g.adjacency()`` and one transpose: at half a million edges every Python call per
    edge shows, so there are as few as possible.
    """
    if g.is_multigraph():
        rows = [
            (pu, pos[v], d.get("kind", key), d.get("weight"), d.get("line"),
             d.get("contexts") or d.get("context"))
            for u, nbrs in g.adjacency()
            for pu in (pos[u],)
            for v, keyed in nbrs.items()
            for key, d in keyed.items()
        ]
    else:
        rows = [
            (pu, pos[v], d.get("kind", ""), d.get("weight"), d.get("line"),
             d.get("contexts") or d.get("context"))
            for u, nbrs in g.adjacency()
            for pu in (pos[u],)
            for v, d in nbrs.items()
        ]
    return tuple(zip(*rows)) if rows else ((), (), (), (), (), ())


def _frame_contexts(edges: pd.DataFrame) -> np.ndarray:
    """Per row of an edge frame, the bit set of its import contexts (0 where none is given):
    from a ``context_bits`` column (already bit sets), the JSON ``attrs`` text, or
    ``contexts``/``context`` columns of names."""
    if "context_bits" in edges.columns:
        return edges["context_bits"].to_numpy(dtype=np.uint8)
    if "attrs" in edges.columns:
        return bits_from_attrs(pa.array(edges["attrs"], type=pa.string(), from_pandas=True))
    for column in ("contexts", "context"):
        if column in edges.columns:
            return np.fromiter((bits_of(v) for v in edges[column].tolist()), dtype=np.uint8,
                               count=len(edges))
    return np.zeros(len(edges), dtype=np.uint8)


_indexes: PerGraphCache[GraphIndex] = PerGraphCache(GraphIndex)


def index_for(g: nx.Graph) -> GraphIndex:
    """The cached :class:`GraphIndex` of ``g`` (built on first use)."""
    return _indexes.get(g)
