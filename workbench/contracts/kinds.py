"""The contract types: import-linter's six and the workbench's own ``acyclic``.

Each contract is a frozen dataclass whose fields carry import-linter's option names, and whose
:meth:`violations` takes an :class:`~workbench.contracts.graph.ImportGraph` (the ignored
imports already removed) and returns one row per violation. Rows of indirect violations
carry the whole chain, a shortest one, the same on every run. Semantics follow
import-linter's documentation (https://import-linter.readthedocs.io, "Contract types"); the
only deliberate difference is that a name or pattern that matches no module is an error
(:class:`~workbench.contracts.errors.NoSuchModule`, with the closest names) wherever
import-linter would let it pass as "kept".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import names as _names
from .errors import ContractConfigError, NoSuchModule
from .graph import ImportGraph, is_in, parent_of


def _tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True, kw_only=True)
class _Contract:
    """Options every contract type shares (import-linter's "options used by multiple contracts")."""

    name: str = ""
    id: str = ""
    ignore_imports: Sequence[str] = ()
    unmatched_ignore_imports_alerting: str = "error"
    broken_contract_guidance: str = ""
    type: ClassVar[str] = ""

    def label(self) -> str:
        return self.name or self.id or self.type

    # -- helpers for subclasses --------------------------------------------------------------

    def resolve(self, graph: ImportGraph, expression: str, *, what: str = "module",
                universe: Iterable[str] | None = None) -> list[str]:
        """The modules ``expression`` names; :class:`NoSuchModule` (closest names) if none."""
        pool = graph.modules if universe is None else set(universe)
        found = _names.expand(expression, pool)
        if not found and not _names.has_wildcard(expression) and any(is_in(m, expression) for m in pool):
            found = [expression]  # a namespace above modules of the map
        if not found:
            raise NoSuchModule(self.label(), expression, _names.closest(expression, pool), what=what)
        return found

    def row(self, graph: ImportGraph, chain: Sequence[str], reason: str,
            imported: str | None = None) -> dict[str, Any]:
        chain = list(chain)
        return {
            "contract": self.label(), "kind": self.type, "importer": chain[0],
            "imported": imported if imported is not None else chain[-1],
            "line": graph.line(chain[0], chain[1]) if len(chain) > 1 else None,
            "chain": chain, "reason": reason,
        }

    def chain_rows(self, graph: ImportGraph, downstream: set[str], upstream: set[str],
                   blocked: set[str], reason: str) -> list[dict[str, Any]]:
        """A row per (module of ``downstream``, module of ``upstream``) joined by a chain.

        Chains start at a module of ``downstream``, end at one of ``upstream`` and pass only
        through modules outside ``blocked``, ``downstream`` and ``upstream``.
        """
        stop = blocked | downstream | upstream
        # one search from the whole group first: most groups reach nothing they must not
        reached: set[str] = set()
        todo = deque(sorted(downstream))
        seen = set(downstream)
        while todo:
            for b in graph.imported_by(todo.popleft()):
                if b in upstream:
                    reached.add(b)
                elif b not in seen and b not in stop:
                    seen.add(b)
                    todo.append(b)
        if not reached:
            return []
        rows = []
        for start in sorted(downstream):
            for target, chain in sorted(graph.chains_from(start, upstream, stop).items()):
                rows.append(self.row(graph, chain, reason))
        return rows


def _shortest_cycle(members: set[str], successors) -> list[str]:
    """A shortest cycle through the smallest-named member (name order breaks ties)."""
    start = min(members)
    parent = {start: start}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for b in successors(node):
            if b not in members:
                continue
            if b == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(parent[chain[-1]])
                return chain[::-1] + [start]
            if b not in parent:
                parent[b] = node
                todo.append(b)
    return [start, start]


def _components(nodes: Iterable[str], successors) -> list[set[str]]:
    """Strongly connected components with a cycle (Tarjan, iterative), in name order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(successors(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for b in it:
                if b not in index:
                    index[b] = low[b] = counter
                    counter += 1
                    stack.append(b)
                    on.add(b)
                    work.append((b, iter(successors(b))))
                    advanced = True
                    break
                if b in on:
                    low[node] = min(low[node], index[b])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    b = stack.pop()
                    on.discard(b)
                    group.add(b)
                    if b == node:
                        break
                if len(group) > 1 or node in successors(node):
                    found.append(group)
    return sorted(found, key=min)


@dataclass(frozen=True)
class Layer:
    """One entry of ``layers``: sibling modules, independent (``a | b``) or not (``a : b``)."""

    modules: tuple[str, ...]
    optional: tuple[bool, ...]
    independent: bool = True

    @classmethod
    def parse(cls, text: str) -> "Layer":
        if not isinstance(text, str) or not text.strip():
            raise ContractConfigError(f"layers: {text!r} is not a layer (a module name, or names "
                                      "joined by ' | ' or ' : ')")
        if "|" in text and ":" in text:
            raise ContractConfigError(f"layers: {text!r} mixes '|' and ':'; use one separator per layer")
        sep = "|" if "|" in text else ":"
        parts = [p.strip() for p in text.split(sep)]
        modules, optional = [], []
        for part in parts:
            opt = part.startswith("(") and part.endswith(")")
            modules.append(_names.validate(part[1:-1] if opt else part, field="layers"))
            optional.append(opt)
        if len(set(modules)) != len(modules):
            raise ContractConfigError(f"layers: {text!r} repeats a module")
        return cls(tuple(modules), tuple(optional), independent=sep == "|" or len(parts) == 1)


@dataclass(frozen=True)
class Layers(_Contract):
    """Higher layers may import lower ones, never the reverse, directly or through others.

    ``layers`` are listed from the highest; an entry may hold siblings (``a | b`` must not
    import each other, ``a : b`` may) and a name in parentheses is optional (allowed to be
    missing). With ``containers`` the layer names are relative to each container and each
    container is checked on its own; ``exhaustive`` also requires every child of a container
    to be a layer or in ``exhaustive_ignores``. Chains are followed through modules outside
    every layer (a chain through a middle layer is reported at the middle layer).
    """

    layers: Sequence[str]
    containers: Sequence[str] = ()
    exhaustive: bool = False
    exhaustive_ignores: Sequence[str] = ()
    type: ClassVar[str] = "layers"

    def label(self) -> str:
        return self.name or self.id or "layers " + " > ".join(self.layers)

    def parsed(self) -> list[Layer]:
        layers = [Layer.parse(text) for text in self.layers]
        seen: list[str] = [m for layer in layers for m in layer.modules]
        if len(set(seen)) != len(seen):
            raise ContractConfigError(f"contract {self.label()!r}: a module is in more than one layer")
        for a in seen:
            for b in seen:
                if a != b and is_in(b, a):
                    raise ContractConfigError(
                        f"contract {self.label()!r}: layer {a!r} contains layer {b!r}")
        if self.exhaustive and not self.containers:
            raise ContractConfigError(f"contract {self.label()!r}: exhaustive needs containers")
        return layers

    def violations(self, graph: ImportGraph, warnings: list[str] | None = None) -> list[dict[str, Any]]:
        layers = self.parsed()
        containers: list[str] = []
        for expression in self.containers:
            containers += self.resolve(graph, expression, what="container", universe=graph.internal)
        rows: list[dict[str, Any]] = []
        for container in sorted(set(containers)) or [""]:
            full: list[list[str]] = []
            for layer in layers:
                present = []
                for tail, optional in zip(layer.modules, layer.optional):
                    module = f"{container}.{tail}" if container else tail
                    if graph.exists(module):
                        present.append(module)
                    elif not optional:
                        where = f" in container {container!r}" if container else ""
                        pool = graph.children(container) if container else graph.modules
                        raise NoSuchModule(self.label(), module, _names.closest(module, pool),
                                           what=f"layer{where}")
                full.append(present)
            packages = {m: graph.package(m) for group in full for m in group}
            everything = set().union(*packages.values()) if packages else set()
            for low in range(len(full)):
                for high in range(low):
                    for lo in full[low]:
                        for hi in full[high]:
                            rows += self.chain_rows(graph, packages[lo], packages[hi], everything,
                                                    f"{lo} is below {hi}")
            for layer, group in zip(layers, full):
                if layer.independent:
                    for a in group:
                        for b in group:
                            if a != b:
                                rows += self.chain_rows(graph, packages[a], packages[b], everything,
                                                        f"{a} and {b} are independent")
            if self.exhaustive and container:
                declared = {m for layer in layers for m in layer.modules} | set(self.exhaustive_ignores)
                for child in graph.children(container):
                    if child.rpartition(".")[2] not in declared:
                        rows.append(self.row(graph, [child], "not declared as a layer",
                                             imported=container))
        return rows


@dataclass(frozen=True)
class Forbidden(_Contract):
    """Modules of ``source`` must not import modules of ``forbidden``, directly or not.

    ``as_packages`` (default) makes each name cover its descendants; pairs that overlap (the
    same module, or one inside the other as packages) are skipped, as import-linter does.
    ``allow_indirect`` checks direct imports only. Forbidden names outside the root packages
    are external packages (top-level names only). Chains pass through any module outside the
    two packages of the pair.
    """

    source: str | Sequence[str]
    forbidden: str | Sequence[str]
    allow_indirect: bool = False
    as_packages: bool = True
    type: ClassVar[str] = "forbidden"

    def label(self) -> str:
        return self.name or self.id or (
            f"forbidden {', '.join(_tuple(self.source))} -> {', '.join(_tuple(self.forbidden))}")

    def violations(self, graph: ImportGraph, warnings: list[str] | None = None) -> list[dict[str, Any]]:
        sources: list[str] = []
        for expression in _tuple(self.source):
            sources += self.resolve(graph, expression, what="source module", universe=graph.internal)
        targets: list[str] = []
        for expression in _tuple(self.forbidden):
            internal = _names.expand(expression, graph.internal)
            if internal:
                targets += internal
                continue
            if not _names.has_wildcard(expression) and "." in expression and \
                    expression.split(".")[0] in graph.external:
                raise ContractConfigError(
                    f"contract {self.label()!r}: forbidden module {expression!r}: only whole "
                    f"external packages can be forbidden ({expression.split('.')[0]!r})")
            if not _names.has_wildcard(expression) and "." not in expression \
                    and expression not in graph.modules:
                # an external package nobody imports yet: a ban ahead of time, unless it
                # looks like a typo of a name the map has
                close = _names.closest(expression, graph.modules)
                if close:
                    raise NoSuchModule(self.label(), expression, close, what="forbidden module")
                if warnings is not None:
                    warnings.append(f"no module imports {expression}")
                continue
            targets += self.resolve(graph, expression, what="forbidden module")
        rows: list[dict[str, Any]] = []
        for s in sorted(set(sources)):
            for f in sorted(set(targets)):
                if s == f or (self.as_packages and (is_in(s, f) or is_in(f, s))):
                    continue
                down = graph.package(s) if self.as_packages else {s}
                up = graph.package(f) if self.as_packages else {f}
                if self.allow_indirect:
                    rows += [self.row(graph, [a, b], f"{s} must not import {f}")
                             for a in sorted(down) for b in graph.imported_by(a) if b in up]
                else:
                    rows += self.chain_rows(graph, down, up, set(), f"{s} must not import {f}")
        return rows


@dataclass(frozen=True)
class Independence(_Contract):
    """None of ``modules`` may import another of them, directly or through outside modules."""

    modules: Sequence[str]
    type: ClassVar[str] = "independence"

    def label(self) -> str:
        return self.name or self.id or "independence " + ", ".join(self.modules)

    def violations(self, graph: ImportGraph, warnings: list[str] | None = None) -> list[dict[str, Any]]:
        members: list[str] = []
        for expression in self.modules:
            members += self.resolve(graph, expression)
        members = sorted(set(members))
        packages = {m: graph.package(m) for m in members}
        everything = set().union(*packages.values()) if packages else set()
        rows: list[dict[str, Any]] = []
        for a in members:
            for b in members:
                if a != b and not is_in(a, b) and not is_in(b, a):
                    rows += self.chain_rows(graph, packages[a], packages[b], everything,
                                            f"{a} and {b} are independent")
        return rows


@dataclass(frozen=True)
class Protected(_Contract):
    """Only ``allowed_importers`` may import ``protected_modules`` directly.

    With ``as_packages`` (default) both cover their descendants, and the modules of a
    protected package may import each other. Indirect imports are not checked.
    """

    protected_modules: Sequence[str]
    allowed_importers: Sequence[str]
    as_packages: bool = True
    type: ClassVar[str] = "protected"

    def violations(self, graph: ImportGraph, warnings: list[str] | None = None) -> list[dict[str, Any]]:
        allowed: set[str] = set()
        for expression in self.allowed_importers:
            for m in self.resolve(graph, expression, what="allowed importer", universe=graph.internal):
                allowed |= graph.package(m) if self.as_packages else {m}
        rows: list[dict[str, Any]] = []
        for expression in self.protected_modules:
            for top in self.resolve(graph, expression, what="protected module"):
                protected = graph.package(top) if self.as_packages else {top}
                for m in sorted(protected):
                    for importer in graph.importers_of(m):
                        if importer not in allowed and importer not in protected:
                            rows.append(self.row(graph, [importer, m], f"{top} is protected"))
        return rows


def _private(segment: str) -> bool:
    return segment.startswith("_") and not (segment.startswith("__") and segment.endswith("__"))


@dataclass(frozen=True)
class PrivateModules(_Contract):
    """A module named with a leading underscore may be imported only from inside its parent.

    The innermost private module of an imported name decides (``foo.green._x.y`` may be
    imported only from inside ``foo.green``); top-level modules are never private; dunder
    names are not private. ``packages_with_private_modules`` limits the check to private
    modules inside those packages. Direct imports only.
    """

    packages_with_private_modules: Sequence[str] = ()
    type: ClassVar[str] = "private_modules"

    def violations(self, graph: ImportGraph, warnings: list[str] | None = None) -> list[dict[str, Any]]:
        if self.packages_with_private_modules:
            scope: set[str] = set()
            for expression in self.packages_with_private_modules:
                for m in self.resolve(graph, expression, what="package"):
                    if any(_private(p) for p in m.split(".")):
                        raise ContractConfigError(
                            f"contract {self.label()!r}: {m!r} is private or inside a private "
                            "module; list an ancestor that is not private")
                    scope |= graph.package(m)
        else:
            scope = graph.modules
        rows: list[dict[str, Any]] = []
        for imported in sorted(scope):
            parts = imported.split(".")
            inner = next((i for i in range(len(parts) - 1, 0, -1) if _private(parts[i])), None)
            if inner is None:
                continue
            parent = ".".join(parts[:inner])
            for importer in graph.importers_of(imported):
                if not is_in(importer, parent):
                    rows.append(self.row(graph, [importer, imported], f"private to {parent}"))
        return rows


@dataclass(frozen=True)
class AcyclicSiblings(_Contract):
    """The children of each of ``ancestors`` must not depend on each other in a cycle.

    A child depends on a sibling when any module inside it imports any module inside the
    sibling. Each generation below is checked too, ``depth`` generations deep (0: the
    children only; default 10), except below ``skip_descendants``. One violation per group
    of siblings in a cycle, with a shortest cycle of siblings as its chain.
    """

    ancestors: Sequence[str]
    depth: int = 10
    skip_descendants: Sequence[str] = ()
    type: ClassVar[str] = "acyclic_siblings"

    def violations(self, graph: ImportGraph, warnings: list[str] | None = None) -> list[dict[str, Any]]:
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 0:
            raise ContractConfigError(f"contract {self.label()!r}: depth must be an integer >= 0")
        if set(self.ancestors) & set(self.skip_descendants):
            raise ContractConfigError(f"contract {self.label()!r}: a module is both an ancestor "
                                      "and a skipped descendant")
        ancestors = sorted({m for e in self.ancestors for m in self.resolve(graph, e, what="ancestor")})
        skip = {m for e in self.skip_descendants for m in self.resolve(graph, e, what="skipped descendant")}
        sibling_edges: dict[str, dict[str, set[str]]] = {}
        for a, b in graph.lines:
            pa, pb = a.split("."), b.split(".")
            common = 0
            while common < min(len(pa), len(pb)) and pa[common] == pb[common]:
                common += 1
            # every shared proper ancestor sees an edge between the children holding a and b
            for k in range(1, common + 1):
                if k >= len(pa) or k >= len(pb):
                    break
                package = ".".join(pa[:k])
                ca, cb = ".".join(pa[:k + 1]), ".".join(pb[:k + 1])
                if ca != cb:
                    sibling_edges.setdefault(package, {}).setdefault(ca, set()).add(cb)
        rows: list[dict[str, Any]] = []

        def visit(package: str, remaining: int) -> None:
            children = graph.children(package)
            edges = sibling_edges.get(package, {})
            if len(children) >= 2 and edges:
                succ = lambda n: sorted(edges.get(n, ()))  # noqa: E731
                for group in _components(edges, succ):
                    chain = _shortest_cycle(group, succ)
                    rows.append(self.row(graph, chain, f"cycle between children of {package}",
                                         imported=chain[1]))
            if remaining:
                for child in children:
                    if child not in skip:
                        visit(child, remaining - 1)

        for ancestor in ancestors:
            visit(ancestor, self.depth)
        return rows


@dataclass(frozen=True)
class Acyclic(_Contract):
    """The modules under ``container`` must not import each other in a cycle (workbench's own).

    One violation per group of modules in a cycle, with a shortest cycle as its chain (only
    imports between modules of the container count).
    """

    container: str
    type: ClassVar[str] = "acyclic"

    def label(self) -> str:
        return self.name or self.id or f"acyclic {self.container}"

    def violations(self, graph: ImportGraph, warnings: list[str] | None = None) -> list[dict[str, Any]]:
        inside = graph.package(self.resolve(graph, self.container, what="container")[0])
        succ = lambda n: [b for b in graph.imported_by(n) if b in inside]  # noqa: E731
        rows = []
        for group in _components(inside, succ):
            chain = _shortest_cycle(group, succ)
            rows.append(self.row(graph, chain, f"import cycle in {self.container}", imported=chain[1]))
        return rows


Contract = Layers | Forbidden | Independence | Protected | PrivateModules | AcyclicSiblings | Acyclic
TYPES: dict[str, type] = {c.type: c for c in
                          (Layers, Forbidden, Independence, Protected, PrivateModules, AcyclicSiblings, Acyclic)}
