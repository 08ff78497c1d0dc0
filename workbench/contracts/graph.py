"""The import graph contracts are checked on: modules, external packages and direct imports.

Built from a map's module index (:meth:`ImportGraph.from_index`) or from plain edges
(tests). Modules are named as Python names them (``pkg.sub.mod``; other files by their
repository path); external packages by their top-level name (``requests``), as grimp squashes
them. Searches visit neighbours in name order, so every chain is the same on every run and a
shortest one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..domain import EdgeKind, NodeKind, external_name

#: Strength order of import contexts (the import classification of the map).
CONTEXTS = ("import_time", "conditional", "deferred", "type_checking")


def is_in(name: str, package: str) -> bool:
    """``name`` is ``package`` or lies below it (``.`` for modules, ``/`` for file paths)."""
    return name == package or (name.startswith(package) and name[len(package)] in "./")


def parent_of(name: str) -> str:
    return name.rpartition(".")[0]


@dataclass
class ImportGraph:
    """Direct imports between named modules.

    ``internal``: modules of the analysed code; ``external``: squashed external packages;
    ``lines[(importer, imported)]``: sorted line numbers of the import statements;
    ``contexts[(importer, imported)]``: the strongest context of those statements.
    """

    internal: set[str]
    external: set[str] = field(default_factory=set)
    lines: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    contexts: dict[tuple[str, str], str] = field(default_factory=dict)
    #: map node ids of external packages whose name here differs (``requests`` -> ``ext:requests``)
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._out: dict[str, list[str]] | None = None
        self._into: dict[str, list[str]] | None = None

    # -- construction --------------------------------------------------------------------

    @classmethod
    def from_edges(cls, modules: Iterable[str], imports: Iterable[tuple[str, str, int | None]],
                   external: Iterable[str] = (), contexts: Mapping[tuple[str, str], str] | None = None,
                   ) -> "ImportGraph":
        lines: dict[tuple[str, str], set[int]] = {}
        for a, b, line in imports:
            lines.setdefault((a, b), set())
            if line is not None:
                lines[(a, b)].add(int(line))
        return cls(set(modules), set(external), {k: tuple(sorted(v)) for k, v in lines.items()},
                   dict(contexts or {}))

    @classmethod
    def from_index(cls, index, contexts: Mapping[tuple[str, str], str] | None = None) -> "ImportGraph":
        """From a :class:`~workbench.graph.index.GraphIndex` of a module graph (externals kept).

        ``contexts`` maps (importer id, imported id) of the map to the strongest import
        context; missing pairs count as import-time.
        """
        kinds = index.node_kind
        internal_ids = {i for i, k in zip(index.ids, kinds) if k != NodeKind.EXTERNAL.value}
        names: dict[str, str] = {}
        external: set[str] = set()
        for node, kind in zip(index.ids, kinds):
            if kind == NodeKind.EXTERNAL.value:
                plain = external_name(node).split(".")[0]
                name = node if plain in internal_ids else plain
                names[node] = name
                external.add(name)
            else:
                names[node] = node
        codes = [index._codes.get(k) for k in (EdgeKind.IMPORTS.value, EdgeKind.DEPENDS_ON.value)]
        lines: dict[tuple[str, str], set[int]] = {}
        ctx: dict[tuple[str, str], str] = {}
        ids = index.ids
        for s, d, k, ln in zip(index.edge_src.tolist(), index.edge_dst.tolist(),
                               index.edge_kind.tolist(), index.edge_line.tolist()):
            if k not in codes:
                continue
            a, b = names[ids[s]], names[ids[d]]
            if a in external:
                continue
            lines.setdefault((a, b), set())
            if ln == ln:  # not NaN
                lines[(a, b)].add(int(ln))
            if contexts:
                found = contexts.get((ids[s], ids[d]))
                if found:
                    old = ctx.get((a, b))
                    ctx[(a, b)] = found if old is None else min(old, found, key=CONTEXTS.index)
        ids = {name: node for node, name in names.items() if name != node}
        return cls(internal_ids, external, {k: tuple(sorted(v)) for k, v in lines.items()}, ctx, ids)

    # -- views -----------------------------------------------------------------------------

    @property
    def modules(self) -> set[str]:
        return self.internal | self.external

    def restricted(self, roots: Iterable[str], *, include_external: bool) -> "ImportGraph":
        """The graph of the modules under ``roots`` (as import-linter's root packages)."""
        roots = tuple(roots)
        internal = {m for m in self.internal if any(is_in(m, r) for r in roots)} if roots else set(self.internal)
        # imports of internal modules outside the roots become imports of external packages
        external: set[str] = set(self.external) if include_external else set()
        lines: dict[tuple[str, str], tuple[int, ...]] = {}
        for (a, b), ln in self.lines.items():
            if a not in internal:
                continue
            if b not in internal:
                if not include_external:
                    continue
                if b in self.internal:
                    b = b.split(".")[0]
                    external.add(b)
                elif b not in self.external:
                    continue
            lines[(a, b)] = tuple(sorted(set(lines.get((a, b), ())) | set(ln)))
        contexts = {k: v for k, v in self.contexts.items() if k in lines}
        return ImportGraph(internal, external, lines, contexts, self.ids)

    def without(self, pairs: Iterable[tuple[str, str]]) -> "ImportGraph":
        drop = set(pairs)
        return ImportGraph(self.internal, self.external,
                           {k: v for k, v in self.lines.items() if k not in drop},
                           {k: v for k, v in self.contexts.items() if k not in drop}, self.ids)

    def without_contexts(self, contexts: Iterable[str]) -> "ImportGraph":
        """Imports whose every statement is in one of ``contexts`` left out."""
        leave = set(contexts)
        return self.without(k for k in self.lines if self.contexts.get(k, "import_time") in leave)

    def _adjacency(self) -> None:
        out: dict[str, list[str]] = {}
        into: dict[str, list[str]] = {}
        for a, b in sorted(self.lines):
            out.setdefault(a, []).append(b)
            into.setdefault(b, []).append(a)
        self._out, self._into = out, into

    def imported_by(self, name: str) -> list[str]:
        if self._out is None:
            self._adjacency()
        return self._out.get(name, [])  # type: ignore[union-attr]

    def importers_of(self, name: str) -> list[str]:
        if self._into is None:
            self._adjacency()
        return self._into.get(name, [])  # type: ignore[union-attr]

    def exists(self, name: str) -> bool:
        """``name`` is a module, or a namespace above some module (``web/src``, ``ns``)."""
        return name in self.internal or name in self.external or any(
            is_in(m, name) for m in self.internal)

    def descendants(self, name: str) -> list[str]:
        return sorted(m for m in self.modules if m != name and is_in(m, name))

    def package(self, name: str) -> set[str]:
        """``name`` and its descendants (external packages have none)."""
        if name in self.external:
            return {name}
        return {m for m in self.internal if is_in(m, name)}

    def children(self, name: str) -> list[str]:
        return sorted(m for m in self.internal if parent_of(m) == name)

    def line(self, importer: str, imported: str) -> int | None:
        found = self.lines.get((importer, imported))
        return found[0] if found else None

    # -- searches ----------------------------------------------------------------------------

    def reach(self, starts: Iterable[str]) -> set[str]:
        """Every module some module of ``starts`` imports, directly or not."""
        seen: set[str] = set()
        todo = deque(sorted(set(starts)))
        while todo:
            for b in self.imported_by(todo.popleft()):
                if b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen

    def chains_from(self, start: str, targets: set[str], blocked: set[str]) -> dict[str, list[str]]:
        """A shortest chain from ``start`` to each module of ``targets`` it reaches.

        Chains do not pass through modules of ``blocked`` or of ``targets``. Neighbours are
        visited in name order, so among equally short chains the one found is always the same.
        """
        parent: dict[str, str] = {start: start}
        found: dict[str, list[str]] = {}
        todo = deque([start])
        while todo:
            node = todo.popleft()
            for b in self.imported_by(node):
                if b in parent:
                    continue
                parent[b] = node
                if b in targets:
                    chain = [b]
                    while chain[-1] != start:
                        chain.append(parent[chain[-1]])
                    found[b] = chain[::-1]
                elif b not in blocked:
                    todo.append(b)
        return found
