"""What the map widget draws, computed from a snapshot without any widget.

A :class:`MapModel` turns a snapshot into *views*: the module graph collapsed onto package
prefixes (the top view), the children of one group (drill-down), or the classes and functions
of one module. A view never holds more than ``max_nodes`` nodes, so a 20,000-node map is
drawn as a few hundred groups and opened on demand.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..domain import FILE_KINDS
from ..graph.views import group_key

if TYPE_CHECKING:  # pragma: no cover
    from ..snapshot import Snapshot

PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
           "#8c8c8c", "#ccb974", "#64b5cd", "#2a9d8f", "#e76f51"]
KIND_COLOURS = {"group": "#4c72b0", "package": "#4c72b0", "module": "#55a868", "file": "#55a868",
                "class": "#dd8452", "function": "#8172b3", "external": "#8c8c8c"}
COLOUR_BY = ("community", "layer", "kind")
#: First path segments of code that supports the project rather than being it (tests,
#: fixtures, examples, docs, benchmarks): the top view shows each as one group, opened on demand.
AUX_ROOTS = frozenset({"test", "tests", "testing", "fixtures", "example", "examples", "docs",
                       "doc", "benchmarks", "bench", "samples", "demo", "demos"})
SIZE_BY = ("pagerank", "lines", "modules")


@dataclass(frozen=True)
class Level:
    """Where a view looks: the top (``focus=None``), a group at ``depth``, or a module."""

    focus: str | None
    depth: int
    module: bool = False

    @property
    def label(self) -> str:
        return self.focus or "(top)"


@dataclass
class View:
    """Nodes (dicts with id, label, x, y, r, colour and metrics) and edges ``[i, j, weight]``."""

    level: Level
    nodes: list[dict[str, Any]]
    edges: list[list[float]]
    total: int
    kind: str = "groups"  # or "definitions"
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [n["id"] for n in self.nodes]


class MapModel:
    """Views of one snapshot for the map widget.

    >>> model = MapModel(snap)                        # doctest: +SKIP
    >>> view = model.view(model.top())                # collapsed to package depth
    >>> view = model.view(model.drill(view.level, "flask.json"))

    ``exclude_contexts`` (names of :class:`~workbench.domain.ImportContext`) leaves imports
    that stand only there out of the edges and layers drawn: ``("type_checking",)`` shows the
    imports that run.
    """

    def __init__(self, snapshot: "Snapshot", *, max_nodes: int = 300,
                 exclude_contexts: tuple[str, ...] = ()) -> None:
        self.snap = snapshot
        self.max_nodes = max_nodes
        self.exclude_contexts = tuple(exclude_contexts)
        self.modules = snapshot.module_graph(exclude_contexts=self.exclude_contexts)
        self.ids = list(self.modules.nodes)
        self.kinds = [self.modules.nodes[m].get("kind") for m in self.ids]
        # the groups need only the file-level nodes' attributes: read those alone, not the
        # whole graph (on a 100,000-file map that is ten times the rows and half a minute)
        files = snapshot.subgraph(node_kinds=sorted(FILE_KINDS), edge_kinds=["contains"])
        self.attrs = {m: files.nodes[m] if m in files else {} for m in self.ids}
        layers = snapshot.layers(exclude_contexts=self.exclude_contexts)
        self.layer = dict(zip(layers["node"], layers["level"])) if not layers.empty else {}
        self.max_layer = max(self.layer.values(), default=0)
        self._keys: dict[Any, list[str]] = {}

    @functools.cached_property
    def graph(self) -> "nx.MultiDiGraph":
        """The snapshot's whole graph, loaded when a module's definitions or a node's
        details are first shown."""
        return self.snap.graph

    # -- levels ---------------------------------------------------------------------------------

    def keys(self, depth: int) -> list[str]:
        """The group each module falls in at ``depth`` (cached)."""
        if depth not in self._keys:
            self._keys[depth] = [group_key(m, k, depth) for m, k in zip(self.ids, self.kinds)]
        return self._keys[depth]

    def top_keys(self, depth: int) -> list[str]:
        """:meth:`keys` for the top view: modules under a tests/examples/docs root
        (:data:`AUX_ROOTS`) stay in one group named by that root, whatever the depth."""
        key = ("top", depth)
        if key not in self._keys:
            self._keys[key] = [aux or k for aux, k in zip(self.aux_roots(), self.keys(depth))]
        return self._keys[key]

    def aux_roots(self) -> list[str | None]:
        """Per module, the first segment of its path when that is a tests/examples/docs root
        (:data:`AUX_ROOTS`), else None. Paths decide, not names: ``examples/tutorial/flaskr``
        is the module ``flaskr``."""
        if "aux" not in self._keys:
            roots = []
            for m in self.ids:
                path = self.attrs[m].get("path")
                first = path.split("/")[0] if isinstance(path, str) and "/" in path else ""
                roots.append(first if first.lower() in AUX_ROOTS else None)
            self._keys["aux"] = roots
        return self._keys["aux"]

    def child_keys(self, level: Level) -> list[str]:
        """The group of each module one level below ``level`` (what its view shows)."""
        if level.focus is None:
            return self.top_keys(level.depth)
        return self.keys(level.depth + 1)

    def top(self) -> Level:
        """The shallowest depth that shows some structure: at least 6 groups (or all modules);
        tests, examples and docs count as one group each."""
        count = 0
        for depth in range(1, 12):
            groups = len(set(self.top_keys(depth)))
            if groups >= 6 or groups == count or groups >= len(self.ids):
                return Level(None, depth)
            count = groups
        return Level(None, 1)

    def members(self, level: Level) -> list[int]:
        """Positions of the modules inside ``level`` (all modules at the top)."""
        if level.focus is None:
            return list(range(len(self.ids)))
        if level.depth == 0:  # a tests/examples/docs group of the top view
            return [i for i, r in enumerate(self.aux_roots()) if r == level.focus]
        keys = self.keys(level.depth)
        return [i for i, k in enumerate(keys) if k == level.focus]

    def drill(self, level: Level, node: str) -> Level:
        """The level that opens ``node`` of the view at ``level``.

        A group opens one segment deeper; a group that is a single module (or a module) opens
        onto its classes and functions.
        """
        if level.module:
            return level
        depth = level.depth if level.focus is None else level.depth + 1
        if level.focus is None and node in set(filter(None, self.aux_roots())):
            depth = 0  # a tests/examples/docs group: its members by path, then by name
        inside = Level(node, depth)
        members = self.members(inside)
        if not members:
            if node in self.graph:
                return Level(node, depth, module=True)
            raise KeyError(f"{node!r} is not on this map")
        deeper = {self.keys(depth + 1)[i] for i in members}
        if deeper == {node} and len(members) == 1:
            return Level(self.ids[members[0]], depth, module=True)
        return inside

    # -- views ------------------------------------------------------------------------------------

    def view(self, level: Level, *, colour_by: str = "community", size_by: str = "pagerank") -> View:
        if level.module:
            return self._definitions(level)
        return self._groups(level, colour_by, size_by)

    def _groups(self, level: Level, colour_by: str, size_by: str) -> View:
        keys = self.child_keys(level)
        members = self.members(level)
        groups: dict[str, list[int]] = {}
        for i in members:
            groups.setdefault(keys[i], []).append(i)
        stats = {}
        for key, idx in groups.items():
            attrs = [self.attrs[self.ids[i]] for i in idx]
            communities = Counter(a.get("community") for a in attrs if _num(a.get("community")) is not None)
            stats[key] = {
                "modules": len(idx),
                "lines": int(sum(_num(a.get("lines")) or 0 for a in attrs)),
                "pagerank": float(sum(_num(a.get("pagerank")) or 0 for a in attrs)),
                "community": int(communities.most_common(1)[0][0]) if communities else -1,
                "layer": int(max((self.layer.get(self.ids[i], 0) for i in idx), default=0)),
                "kind": "group" if len(idx) > 1 or self.ids[idx[0]] != key else
                        (self.kinds[idx[0]] or "module"),
            }
        total = len(stats)
        chosen = sorted(stats, key=lambda k: (-stats[k]["modules"], -stats[k]["pagerank"], k))
        chosen = sorted(chosen[: self.max_nodes])
        for k in chosen:  # importance orders labels: the canvas labels the most important first
            stats[k]["importance"] = round(stats[k]["pagerank"] + 1e-3 * stats[k]["modules"], 6)
            stats[k]["aux"] = level.focus is None and k in set(filter(None, self.aux_roots()))
        notes = [] if total <= self.max_nodes else [
            f"showing the {self.max_nodes} largest of {total} groups; open one to see more"]
        position = {k: n for n, k in enumerate(chosen)}
        member_set = set(members)
        weights: Counter = Counter()
        ids = self.ids
        for u, v, data in self.modules.edges(data=True):
            iu, iv = self._pos(u), self._pos(v)
            if iu not in member_set or iv not in member_set:
                continue
            a, b = keys[iu], keys[iv]
            if a != b and a in position and b in position:
                weights[position[a], position[b]] += data.get("weight", 1)
        del ids
        nodes = [{"id": k, "label": _short(k, level.focus), **stats[k]} for k in chosen]
        edges = [[a, b, w] for (a, b), w in sorted(weights.items())]
        self._style(nodes, colour_by, size_by)
        self._layout(nodes, edges)
        return View(level, nodes, edges, total, "groups", notes)

    def _pos(self, module: str) -> int:
        index = getattr(self, "_index", None)
        if index is None:
            index = self._index = {m: i for i, m in enumerate(self.ids)}
        return index.get(module, -1)

    def _definitions(self, level: Level) -> View:
        module = level.focus or ""
        g = self.graph
        inside = [module]
        frontier = [module]
        while frontier:
            nxt = []
            for n in frontier:
                for _, child, key in g.out_edges(n, keys=True):
                    if key == "contains" and g.nodes[child].get("kind") not in FILE_KINDS:
                        inside.append(child)
                        nxt.append(child)
            frontier = nxt
        inside = inside[: self.max_nodes]
        position = {n: i for i, n in enumerate(inside)}
        outside: dict[str, int] = {}
        edges: Counter = Counter()
        for n in inside:
            for _, other, key, data in g.out_edges(n, keys=True, data=True):
                if key in ("calls", "inherits", "imports", "depends_on"):
                    if other not in position and len(position) < self.max_nodes:
                        position[other] = len(position)
                        outside[other] = 1
                    if other in position:
                        edges[position[n], position[other]] += data.get("weight", 1) or 1
            for other, _, key, data in g.in_edges(n, keys=True, data=True):
                if key in ("calls", "inherits", "imports"):
                    if other not in position and len(position) < self.max_nodes:
                        position[other] = len(position)
                        outside[other] = 1
                    if other in position:
                        edges[position[other], position[n]] += data.get("weight", 1) or 1
            for (a, b) in [(position[n], position[n])]:
                edges.pop((a, b), None)
        order = sorted(position, key=position.get)
        nodes = []
        for n in order:
            a = g.nodes[n]
            kind = a.get("kind") or "node"
            nodes.append({"id": n, "label": _short(n, module), "kind": kind,
                          "lines": int(_num(a.get("lines")) or 0), "modules": 1,
                          "pagerank": float(_num(a.get("pagerank")) or 0),
                          "complexity": _num(a.get("complexity")),
                          "outside": n in outside, "community": -1, "layer": 0})
        for node in nodes:
            base = 4 + 14 * math.sqrt(max(node["lines"], 1) / max(1, max(x["lines"] for x in nodes)))
            node["r"] = round(base if not node["outside"] else 4.0, 2)
            node["color"] = "#c8c8c8" if node["outside"] else KIND_COLOURS.get(node["kind"], "#4c72b0")
        edge_list = [[a, b, w] for (a, b), w in sorted(edges.items()) if a != b]
        self._layout(nodes, edge_list)
        return View(level, nodes, edge_list, len(nodes), "definitions")

    # -- style and layout --------------------------------------------------------------------------

    def _style(self, nodes: list[dict[str, Any]], colour_by: str, size_by: str) -> None:
        if colour_by not in COLOUR_BY:
            raise ValueError(f"colour_by must be one of {', '.join(COLOUR_BY)}, not {colour_by!r}")
        if size_by not in SIZE_BY:
            raise ValueError(f"size_by must be one of {', '.join(SIZE_BY)}, not {size_by!r}")
        top = max((n[size_by] for n in nodes), default=1) or 1
        for n in nodes:
            n["r"] = round(4 + 20 * math.sqrt(max(n[size_by], 0) / top), 2)
            if colour_by == "community":
                n["color"] = PALETTE[n["community"] % len(PALETTE)] if n["community"] >= 0 else "#8c8c8c"
            elif colour_by == "layer":
                n["color"] = _ramp(n["layer"] / self.max_layer if self.max_layer else 0.0)
            else:
                n["color"] = KIND_COLOURS.get(n["kind"], "#4c72b0")

    @staticmethod
    def _layout(nodes: list[dict[str, Any]], edges: list[list[float]]) -> None:
        """Positions in [0, 1] on both axes, filling the canvas (the axes are scaled apart).

        Up to 200 nodes: Kamada-Kawai (Kamada & Kawai 1989) from a spring start, which spreads
        a dense graph evenly instead of a hairball; larger views: Fruchterman-Reingold springs.
        Unconnected nodes are spread on their own, then nodes are nudged apart so that no two
        sit closer than a minimum distance, and each axis is stretched to fill [0, 1].
        """
        n = len(nodes)
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from((a, b) for a, b, _ in edges if a != b)
        if n == 1:
            pos = {0: (0.5, 0.5)}
        else:
            k = 1.6 / math.sqrt(max(n, 1))
            pos = nx.spring_layout(g, k=k, iterations=60 if n < 400 else 30, seed=7)
            if n <= 200:
                try:
                    pos = nx.kamada_kawai_layout(g, pos=pos)
                except Exception:  # noqa: BLE001 - scipy missing or no convergence: springs
                    pass
        xy = [list(pos[i]) for i in range(n)]
        _stretch(xy)
        _spread(xy, min_gap=min(0.06, 0.9 / math.sqrt(max(n, 1))))
        _stretch(xy)
        for node, (x, y) in zip(nodes, xy):
            node["x"], node["y"] = round(x, 4), round(y, 4)

    # -- locating query results ---------------------------------------------------------------------

    def locate(self, view: View, node: str) -> str | None:
        """The node of ``view`` that shows ``node`` (itself, or the group holding its module)."""
        shown = set(view.ids)
        if node in shown:
            return node
        if node not in self.attrs and node not in self.graph:
            try:
                node = self.snap.resolve(node)
            except Exception:  # noqa: BLE001 - not on this map: nothing to mark
                return None
            if node in shown:
                return node
        module = node if node in self.attrs else self.module_of(node)
        if module is None:
            return None
        if module in shown:
            return module
        if view.level.module:
            return None
        i = self._pos(module)
        if i < 0:
            return None
        if view.level.focus is not None and i not in set(self.members(view.level)):
            return None
        key = self.child_keys(view.level)[i]
        return key if key in shown else None

    def module_of(self, node: str) -> str | None:
        """The file-level node holding ``node`` (walking up ``contains`` edges)."""
        g = self.graph
        seen = 0
        while node in g and seen < 50:
            if g.nodes[node].get("kind") in FILE_KINDS:
                return node
            parents = [u for u, _, k in g.in_edges(node, keys=True) if k == "contains"]
            if not parents:
                return None
            node = parents[0]
            seen += 1
        return None


def _stretch(xy: list[list[float]]) -> None:
    """Scale each axis to [0, 1] (a single value: 0.5)."""
    for axis in (0, 1):
        lo = min((p[axis] for p in xy), default=0.0)
        hi = max((p[axis] for p in xy), default=0.0)
        for p in xy:
            p[axis] = 0.5 if hi - lo < 1e-12 else (p[axis] - lo) / (hi - lo)


def _spread(xy: list[list[float]], *, min_gap: float, rounds: int = 30) -> None:
    """Push points apart until none are closer than ``min_gap`` (or ``rounds`` pass); a grid
    of cells keeps each round near linear."""
    for _ in range(rounds):
        cells: dict[tuple[int, int], list[int]] = {}
        for i, (x, y) in enumerate(xy):
            cells.setdefault((int(x / min_gap), int(y / min_gap)), []).append(i)
        moved = False
        for (cx, cy), members in cells.items():
            near = [j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in cells.get((cx + dx, cy + dy), ())]
            for i in members:
                for j in near:
                    if j <= i:
                        continue
                    dx, dy = xy[j][0] - xy[i][0], xy[j][1] - xy[i][1]
                    d = math.hypot(dx, dy)
                    if d >= min_gap:
                        continue
                    if d < 1e-9:
                        angle = (i * 2.399963) % (2 * math.pi)  # golden angle: no pile-ups
                        dx, dy, d = math.cos(angle), math.sin(angle), 1.0
                        push = min_gap / 2
                    else:
                        push = (min_gap - d) / 2
                    ux, uy = dx / d, dy / d
                    xy[i][0] -= ux * push; xy[i][1] -= uy * push
                    xy[j][0] += ux * push; xy[j][1] += uy * push
                    moved = True
        if not moved:
            return


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _short(node: str, focus: str | None) -> str:
    if focus and node != focus and node.startswith(focus) and len(node) > len(focus) + 1:
        return node[len(focus) + 1:]
    return node


def _ramp(t: float) -> str:
    """Blue (bottom layer, imported by others) to orange (top layer, imports others)."""
    a, b = (0x2c, 0x7f, 0xb8), (0xf0, 0x3b, 0x20)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))
