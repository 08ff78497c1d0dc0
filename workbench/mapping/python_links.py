"""Python files into the map: modules, definitions, imports, calls, inheritance and tests.

Calls are resolved statically and only where the answer is certain from the code: names
defined in the module or an enclosing scope, imported names (``from x import f``, ``import a.b
as c``) followed through the packages that re-export them (chains of ``from .impl import f``,
``as`` aliases, ``from .impl import *`` limited by ``__all__``) to the definition itself,
``self.``/``cls.`` methods of the enclosing class (and of its bases found in the map),
and attribute chains through modules and classes (``mod.Class.method``). Everything else —
calls on objects whose type would need inference — is counted as unresolved, never guessed;
calls to builtins are counted apart.
"""

from __future__ import annotations

import posixpath

from dataclasses import dataclass, field
from typing import Callable

from ..domain import EdgeKind, NodeKind
from .tables import EdgeSet, NodeSet, ScannedFile, file_node_fields
from .facts import FileFacts
from .pymodules import STDLIB, ImportResolver, ModuleLayout, module_layout
from .python_builtins import BUILTIN_NAMES as _BUILTINS

# plain strings: these are read in the hottest loops of mapping, where Enum lookups show
IMPORTS, TESTS, DEPENDS_ON, CALLS, CONTAINS, INHERITS = (
    EdgeKind.IMPORTS.value, EdgeKind.TESTS.value, EdgeKind.DEPENDS_ON.value,
    EdgeKind.CALLS.value, EdgeKind.CONTAINS.value, EdgeKind.INHERITS.value)
PACKAGE, MODULE, CLASS, FUNCTION, EXTERNAL, FILE = (
    NodeKind.PACKAGE.value, NodeKind.MODULE.value, NodeKind.CLASS.value,
    NodeKind.FUNCTION.value, NodeKind.EXTERNAL.value, NodeKind.FILE.value)


def is_test_path(path: str) -> bool:
    """Test modules by the conventions pytest and unittest discover."""
    name = posixpath.basename(path)
    parts = path.split("/")[:-1]
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(p in ("tests", "test", "testing") for p in parts))


class _Scope:
    """What names mean inside one module: its definitions, its imports and what it re-exports.

    ``bindings`` maps a local name to a node id known when the import is read (a module, or
    a module's definition); ``imported`` maps a local name to ``(module, name)`` for
    ``from module import name`` where ``name`` is not a submodule, followed later through
    re-exports; ``stars`` are the internal modules of ``from module import *``; ``exports``
    is the literal ``__all__`` (None when the module has none).
    """

    def __init__(self, module: str, facts: FileFacts, package: str) -> None:
        self.module = module
        self.package = package  # the package relative imports start from
        self.facts = facts
        self.defs = {d.qualname: d for d in facts.definitions}
        # the names defined inside another definition: only they can be found in a caller's
        # enclosing scopes (most calls look a name up in the module's names straight away)
        self.nested = {q.rpartition(".")[2] for q in self.defs if "." in q}
        # the kind of a qualname's first definition: its node's, which a whole link reads
        # (NodeSet.add keeps the first row), where ``defs`` holds the last definition
        self.kinds: dict[str, str] = {}
        for d in facts.definitions:
            self.kinds.setdefault(d.qualname, d.kind)
        self.bindings: dict[str, str] = {}
        self.imported: dict[str, tuple[str, str]] = {}
        self.stars: list[str] = []
        exports = facts.extra.get("all")
        self.exports = frozenset(exports) if exports is not None else None


def surface(facts: FileFacts | None) -> tuple | None:
    """What linking another module may read of this module's facts (None: no facts).

    Another module's lookups go through a module's :class:`_Scope` only: its definitions
    (which names exist, of what kind, nested where, with which bases and decorators), its
    import statements (the names they bind, re-export or bring in with ``*``) and its literal
    ``__all__``. Lines, sizes, complexity, the docstring and the calls a module makes itself
    are read only when the module itself is linked. So two versions of a file with the same
    surface (a function's body changed, a comment added, the lines moved) leave every other
    module's links as they were. Its parse ``problem`` is part of it: a file that stops or
    starts parsing changes it.
    """
    if facts is None:
        return None
    return (
        tuple((d.kind, d.name, d.qualname, d.parent, d.decorators, d.bases)
              for d in facts.definitions),
        tuple((i.target, i.names, i.level, i.kind, i.aliases, i.context) for i in facts.imports),
        facts.extra.get("all"), facts.problem)


def changed_names(old: FileFacts | None, new: FileFacts | None) -> frozenset[str] | None:
    """The names of a module another module's lookup may find answered otherwise in ``new``
    than in ``old`` facts: top-level names and qualnames (``Class.method``), as
    :attr:`PythonLinks.read_names` keys them; None when any name may be (either has no
    facts, the parse problem, the literal ``__all__`` or a ``from x import *`` differs).

    A module's answer for a name is made of the definitions at that qualname and the import
    statements binding that name (in order), as :class:`_Names` reads them; a class's bases
    are resolved in the module's scope, so a class whose bases name a changed name changes
    too, and a class whose bases are dotted (``A.Inner``: resolved through the module's own
    classes and their bases) changes with any change of the module. What the answer then
    follows into other modules (re-exports, stars, bases) is their ``follows``, not this.
    A set that leaves out a name whose answer changed would leave a reader's edges stale:
    each change of a definition or of a binding counts.
    """
    if old is None or new is None or old.problem != new.problem:
        return None
    if old.extra.get("all") != new.extra.get("all"):
        return None
    (stars_before, parts_before), (stars_after, parts_after) = _name_parts(old), _name_parts(new)
    if stars_before != stars_after:
        return None
    changed = {name for name in parts_before.keys() | parts_after.keys()
               if parts_before.get(name) != parts_after.get(name)}
    if not changed:
        return frozenset()
    for facts in (old, new):  # a class whose bases are looked up through a changed name
        for d in facts.definitions:
            if d.kind == "class" and d.qualname not in changed and any(
                    "." in base or _looked_up_as(d.parent, base) & changed
                    for base in d.bases):
                changed.add(d.qualname)
    return frozenset(changed)


def _name_parts(facts: FileFacts) -> tuple[tuple, dict[str, list]]:
    """``(the star imports, name -> what makes its answer)`` of one module's facts."""
    parts: dict[str, list] = {}
    stars = []
    for d in facts.definitions:
        parts.setdefault(d.qualname, []).append(
            ("def", d.kind, d.name, d.parent, d.decorators, d.bases))
    for ref in facts.imports:
        where = (ref.target, ref.level, ref.kind)
        if ref.names:
            aliases = ref.aliases or ("",) * len(ref.names)
            for name, alias in zip(ref.names, aliases):
                if name == "*":
                    stars.append(where)
                else:
                    parts.setdefault(alias or name, []).append(("from", *where, name))
        elif ref.aliases:
            parts.setdefault(ref.aliases[0], []).append(("as", *where))
        elif ref.target:
            parts.setdefault(ref.target.split(".")[0], []).append(("import", *where))
    return tuple(stars), parts


def _looked_up_as(parent: str, name: str) -> set[str]:
    """The qualnames a bare ``name`` is looked up at from inside ``parent`` (see
    :func:`_lookup`): each enclosing scope's, then the module's top level."""
    found = {name}
    parts = parent.split(".") if parent else []
    while parts:
        found.add(".".join([*parts, name]))
        parts.pop()
    return found


class NotDerivable(Exception):
    """A partial link met what only a whole link answers the same way (a cycle of re-exports
    or bases, whose answers depend on the order modules are linked in)."""


_PENDING = object()  # an answer being worked out: met again, it is a cycle


class _Names:
    """Names a module offers, as Python's ``from module import name`` would find them.

    A name is, in this order: a top-level definition of the module, a name it imported
    (followed through chains of re-exports and ``as`` aliases, cycles cut), a submodule,
    or a name a ``from other import *`` brings in (what ``other.__all__`` lists, or its
    public names when it has none). Each step into another module's names is recorded in
    the linker's ``follows``.
    """

    def __init__(self, linker: "_Linker", lookup: dict[str, str]) -> None:
        self.linker = linker
        self.lookup = lookup  # module names and aliases -> module name
        self._cache: dict[tuple[str, str], object] = {}

    def export(self, module: str, name: str) -> str | None:
        """The node id ``module.name`` stands for, or None when it is not a mapped node."""
        key = (module, name)
        found = self._cache.get(key, None)
        if found is _PENDING:
            self.linker.cycle(module)
            return None  # a cycle of re-exports resolves to nothing
        if found is not None or key in self._cache:
            return found  # type: ignore[return-value]
        self._cache[key] = _PENDING
        found = self._export(module, name)
        self._cache[key] = found
        return found

    def _export(self, module: str, name: str) -> str | None:
        linker = self.linker
        scope = linker.scope(module)
        sub = f"{module}.{name}"
        if scope is None:
            return self.lookup.get(sub)
        if name in scope.defs:
            return f"{module}:{name}"
        if name in scope.bindings:
            return scope.bindings[name]
        if name in scope.imported:
            other = scope.imported[name]
            linker.follow(module, other[0])
            return self.export(*other)
        if sub in self.lookup:
            return self.lookup[sub]
        for star in scope.stars:
            linker.follow(module, star)
            if self.star_exports(star, name):
                found = self.export(star, name)
                if found:
                    return found
        return None

    def star_exports(self, module: str, name: str) -> bool:
        """True when ``from module import *`` binds ``name``."""
        scope = self.linker.scope(module)
        if scope is not None and scope.exports is not None:
            return name in scope.exports
        return not name.startswith("_")


def _absolute_imports(files: list[ScannedFile]):
    """Dotted names the absolute import statements mention: the evidence of the roots."""
    for f in files:
        if f.facts is not None:
            yield from absolute_imports(f.facts)


def absolute_imports(facts: FileFacts):
    """The dotted names one file's absolute import statements mention."""
    for ref in facts.imports:
        if ref.level or not ref.target:
            continue
        yield ref.target
        for name in ref.names:
            if name != "*":
                yield f"{ref.target}.{name}"


@dataclass
class PythonLinks:
    """What linking Python files read across modules, kept with a snapshot so that the next
    commit's map can link again only the modules whose answers may have changed
    (:mod:`.derive`).

    Two relations between module ids, because what a module reads of another is not all
    that other module read:

    * ``follows``: the modules whose facts a module's own names and bases are made of: the
      next step of a chain of re-exports (``from .impl import f``, ``import *``), and what
      resolving its classes' bases read. A module's names depend on everything it follows,
      transitively.
    * ``reads``: the modules a module's imports, calls and bases looked names up in
      (``mod.f()``, ``Class.method``): its edges depend on those modules' names (so on what
      they follow, transitively), not on what their own calls resolved to.

    ``read_names``: module id -> the names its ``reads`` looked up, as ``other:qualname``
    keys (``other:f`` for ``other.f``, ``other:Class`` and ``other:Class.method`` for a
    class's member): a changed module's readers that looked up none of its
    :func:`changed_names` keep their answers.
    ``calls``: module id -> (resolved, unresolved, builtin) call counts; ``cycles``: modules
    where a chain of re-exports or bases came back to itself (answers there depend on the
    order of linking); ``evidence``: the layout's :attr:`~ModuleLayout.evidence` and
    :attr:`~ModuleLayout.choices` (``{"counts": ..., "choices": ...}``).
    """

    reads: dict[str, set[str]] = field(default_factory=dict)
    follows: dict[str, set[str]] = field(default_factory=dict)
    read_names: dict[str, set[str]] = field(default_factory=dict)
    calls: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    cycles: set[str] = field(default_factory=set)
    evidence: dict = field(default_factory=dict)
    #: the module layout the link named the files by (kept so that a derived map reads it
    #: back instead of working it out again)
    layout: ModuleLayout | None = None


class _Linker:
    """One link of Python modules: every file (``facts_of`` None), or a part of them with the
    facts of the others read on first use through ``facts_of(module id)``."""

    def __init__(self, layout: ModuleLayout, nodes: NodeSet, edges: EdgeSet,
                 facts_of: Callable[[str], FileFacts | None] | None = None,
                 avoid: frozenset[str] = frozenset()) -> None:
        self.layout = layout
        self.nodes, self.edges = nodes, edges
        self.module_of = layout.names
        self.modules = set(layout.names.values())
        self.packages = layout.packages
        self.resolver = ImportResolver(self.modules, self.packages, layout.aliases)
        self.path_of = layout.paths()
        self.namespaces = {
            parent for m in self.modules
            for parent in _parents(m) if parent not in self.modules}
        self.containers = self.packages | self.namespaces
        self.scopes: dict[str, _Scope] = {}
        self.names = _Names(self, self.resolver.lookup)
        self.record = PythonLinks(evidence={"counts": dict(layout.evidence),
                                            "choices": layout.choices}, layout=layout)
        self._facts_of = facts_of
        self._avoid = avoid  # modules a partial link may not read (cycles of the whole link)
        self._bases: dict[str, object] = {}
        # whose answer is being worked out, and which relation its reads go to
        self._reader: list[tuple[str, dict[str, set[str]]]] = []

    # -- what one module reads of another --------------------------------------------------

    def follow(self, module: str, other: str) -> None:
        """``module``'s names are made of ``other``'s (a step of a chain of re-exports)."""
        if other != module:
            self.record.follows.setdefault(module, set()).add(other)

    def _note(self, other: str, *names: str) -> None:
        """The answer being worked out looked ``names`` (qualnames) up in ``other``."""
        if self._reader:
            module, relation = self._reader[-1]
            if other != module:
                relation.setdefault(module, set()).add(other)
                if relation is self.record.reads:
                    self.record.read_names.setdefault(module, set()).update(
                        f"{other}:{name}" for name in names)

    def cycle(self, module: str) -> None:
        self.record.cycles.add(module)
        if self._reader:
            self.record.cycles.add(self._reader[-1][0])
        if self._facts_of is not None:
            raise NotDerivable(f"a cycle of re-exports or bases through {module}")

    def scope(self, module: str) -> "_Scope | None":
        scope = self.scopes.get(module)
        if scope is None and self._facts_of is not None and module in self.path_of:
            if module in self._avoid:
                raise NotDerivable(f"{module} is in a cycle of re-exports or bases")
            facts = self._facts_of(module)
            if facts is not None:
                scope = self.scopes[module] = self._new_scope(module, facts)
        return scope

    def kind_of(self, node_id: str) -> str | None:
        """The kind of the node ``node_id`` (None: no such node)."""
        row = self.nodes.rows.get(node_id)
        if row is not None:
            return row["kind"]
        if self._facts_of is None:
            return None
        module, colon, qualname = node_id.rpartition(":")
        if colon and module in self.path_of:
            scope = self.scope(module)
            kind = scope.kinds.get(qualname) if scope is not None else None
            return None if kind is None else CLASS if kind == "class" else FUNCTION
        if node_id in self.modules:
            return PACKAGE if node_id in self.packages else MODULE
        if node_id in self.layout.unimportable:
            return FILE
        return PACKAGE if node_id in self.namespaces else None

    def bases_of(self, class_id: str) -> tuple[str, ...]:
        """The classes of the map ``class_id`` names as its bases, in order; worked out on
        first use, so that a base's own bases are known whichever module comes first."""
        found = self._bases.get(class_id)
        if found is _PENDING:
            self.cycle(class_id.rpartition(":")[0])
            return ()
        if found is not None:
            return found  # type: ignore[return-value]
        module, _, qualname = class_id.rpartition(":")
        scope = self.scope(module)
        d = scope.defs.get(qualname) if scope is not None else None
        if d is None or d.kind != "class" or not d.bases:
            self._bases[class_id] = ()
            return ()
        self._bases[class_id] = _PENDING
        self._reader.append((module, self.record.follows))
        try:
            resolved = []
            for base in d.bases:
                target = self.resolve_call(scope, d.parent, base)
                if target and target != class_id and self.kind_of(target) == CLASS:
                    resolved.append(target)
        finally:
            self._reader.pop()
        found = self._bases[class_id] = tuple(resolved)
        return found

    # -- the phases ----------------------------------------------------------------------

    def _new_scope(self, module: str, facts: FileFacts) -> "_Scope":
        if module in self.modules:
            package = module if module in self.packages else module.rpartition(".")[0]
        else:
            package = self.layout.dir_packages.get(posixpath.dirname(module), "")
        scope = _Scope(module, facts, package)
        for ref in facts.imports:
            _bind(scope, ref, self.resolver, self.modules, self.containers)
        return scope

    def module_id(self, path: str) -> str:
        return self.module_of.get(path, path)

    def link(self, files: list[ScannedFile], *, whole: bool) -> None:
        """Nodes and edges of ``files`` (every Python file of the map when ``whole``; else
        only the edges that leave their own nodes are drawn)."""
        nodes, edges, layout = self.nodes, self.edges, self.layout
        for f in files:
            module = self.module_of.get(f.path)
            if module is None:  # not importable: a file node, by its path
                row = nodes.add(f.path, FILE, posixpath.basename(f.path), **file_node_fields(f))
                row["attrs"]["not_importable"] = layout.unimportable[f.path]
            else:
                kind = PACKAGE if module in self.packages else MODULE
                row = nodes.add(module, kind, module.rpartition(".")[2], **file_node_fields(f))
                row["depth"] = module.count(".")
            if is_test_path(f.path):
                row["attrs"]["test"] = True
        for f in files:  # every module exists now, so containers can link them in any order
            module = self.module_of.get(f.path)
            if module is not None:
                if whole:
                    _add_containers(module, nodes, edges, self.modules)
                elif "." in module:
                    nodes.rows[module]["parent"] = module.rpartition(".")[0]
            else:
                module = f.path
            if f.facts is not None:
                _add_definitions(module, f, nodes, edges)
                self.scopes[module] = self._new_scope(module, f.facts)
        # not importable: under the package of its directory, when there is one
        for path in (layout.unimportable if whole else
                     [f.path for f in files if f.path in layout.unimportable]):
            package = layout.dir_packages.get(posixpath.dirname(path))
            if package and (package in self.modules or package in self.namespaces):
                if whole:
                    edges.add(package, path, CONTAINS)
                nodes.rows[path]["parent"] = package
                nodes.rows[path]["depth"] = package.count(".") + 1
        linked = [self.module_id(f.path) for f in files if f.facts is not None]

        for module in linked:
            scope = self.scopes[module]
            test_module = is_test_path(self.path_of[module])
            for ref in scope.facts.imports:
                for res in self.resolver.resolve(module, ref, scope.package):
                    if res.internal and res.internal != module:
                        edges.add(module, res.internal, IMPORTS, ref.line, ref.context)
                        if test_module and not is_test_path(self.path_of[res.internal]):
                            edges.add(module, res.internal, TESTS, ref.line)
                    elif res.external:
                        ext = f"ext:{res.external}"
                        nodes.add(ext, EXTERNAL, res.external,
                                  attrs={"stdlib": res.external in STDLIB, "language": "python"})
                        edges.add(module, ext, DEPENDS_ON, ref.line, ref.context)

        for module in linked:
            scope = self.scopes[module]
            for qualname, d in scope.defs.items():
                if d.kind == "class" and d.bases:
                    node_id = f"{module}:{qualname}"
                    for target in self.bases_of(node_id):
                        edges.add(node_id, target, INHERITS, d.line_start)
        for module in linked:
            scope = self.scopes[module]
            self._reader.append((module, self.record.reads))
            resolved = unresolved = builtin = 0
            # a callee whose first name is not bound in a nested scope, nor self or cls,
            # resolves alike from every caller of the module: once (half of Django's calls
            # repeat one of the module's; what the answer read is noted the first time)
            answers: dict[str, str | None] = {}
            nested = scope.nested
            for call in scope.facts.calls:
                callee = call.callee
                head = callee.partition(".")[0]
                if head in nested or head == "self" or head == "cls":
                    target = self.resolve_call(scope, call.caller, callee)
                else:
                    target = answers.get(callee, _UNKNOWN)
                    if target is _UNKNOWN:
                        target = answers[callee] = self.resolve_call(scope, call.caller, callee)
                if target is not None:
                    resolved += 1
                    caller = f"{module}:{call.caller}" if call.caller else module
                    if target != caller:
                        edges.add(caller, target, CALLS, call.line)
                    continue
                if head in _BUILTINS and not _binds(scope, head):
                    builtin += 1
                else:
                    unresolved += 1
            self._reader.pop()
            self.record.calls[module] = (resolved, unresolved, builtin)

    def member(self, owner: str, attr: str, seen: set[str] | None = None) -> str | None:
        """``owner.attr`` where owner is a module or a class node id (bases searched for
        methods)."""
        if ":" not in owner:  # a module: what it binds the name to, else its submodule
            self._note(owner, attr)
            return self.names.export(owner, attr)
        module, _, qualname = owner.rpartition(":")
        # the member itself, else the class's bases (resolved from its definition)
        self._note(module, qualname, f"{qualname}.{attr}")
        candidate = f"{owner}.{attr}"
        if self.kind_of(candidate) is not None:
            return candidate
        seen = seen or set()
        if owner in seen:
            return None
        seen.add(owner)
        for base in self.bases_of(owner):
            found = self.member(base, attr, seen)
            if found:
                return found
        return None

    def resolve_call(self, scope: "_Scope", caller: str, callee: str) -> str | None:
        head, *rest = callee.split(".")
        if head in ("self", "cls") and rest:
            owner = _enclosing_class(scope, caller)
        elif head == "super":
            return None
        else:
            owner = _lookup(scope, caller, head, self.names)
        if owner is None or self.kind_of(owner) is None:
            return None
        for attr in rest:
            if self.kind_of(owner) == FUNCTION:
                return None  # attribute of a function's result: needs type inference
            owner = self.member(owner, attr)
            if owner is None or self.kind_of(owner) is None:
                return None
        return owner


#: Not worked out yet (None is an answer: the call does not resolve).
_UNKNOWN = object()


def _parents(module: str):
    parent = module.rpartition(".")[0]
    while parent:
        yield parent
        parent = parent.rpartition(".")[0]


def link_python(files: list[ScannedFile], nodes: NodeSet, edges: EdgeSet
                ) -> tuple[dict, PythonLinks]:
    """Link every Python file of a map (see the module docstring) into ``nodes`` and
    ``edges``. Returns the statistics (modules, packages, calls resolved, unresolved and
    builtin) and what the link read across modules (:class:`PythonLinks`)."""
    layout = module_layout([f.path for f in files], _absolute_imports(files))
    linker = _Linker(layout, nodes, edges)
    linker.link(files, whole=True)
    counts = {"calls_resolved": 0, "calls_unresolved": 0, "calls_builtin": 0}
    for resolved, unresolved, builtin in linker.record.calls.values():
        counts["calls_resolved"] += resolved
        counts["calls_unresolved"] += unresolved
        counts["calls_builtin"] += builtin
    return ({"modules": len(files), "packages": len(layout.packages), **counts},
            linker.record)


def link_python_part(layout: ModuleLayout, files: list[ScannedFile], nodes: NodeSet,
                     edges: EdgeSet, facts_of: Callable[[str], FileFacts | None],
                     avoid: frozenset[str] = frozenset()) -> PythonLinks:
    """Link only ``files`` of a map whose module layout is ``layout``: their nodes, and the
    edges that leave them, as :func:`link_python` of the whole map draws them, reading the
    other modules' facts through ``facts_of(module id)`` as their names are followed.
    Returns what the part read; raises :class:`NotDerivable` when it meets a cycle of
    re-exports or bases, or reads a module of ``avoid``."""
    linker = _Linker(layout, nodes, edges, facts_of=facts_of, avoid=avoid)
    linker.link(files, whole=False)
    return linker.record


def _add_definitions(module: str, f: ScannedFile, nodes: NodeSet, edges: EdgeSet) -> None:
    """A node for each class and function of ``f``, contained in its parent (the module or
    the enclosing definition). Rows are written directly, as :meth:`NodeSet.add` would (the
    first writer of an id wins): this runs for every definition of a map, after its parse."""
    rows, path, prefix = nodes.rows, f.path, f"{module}:"
    depth = module.count(".") + 1
    for d in f.facts.definitions:
        qualname = d.qualname
        node_id = prefix + qualname
        parent = prefix + d.parent if d.parent else module
        if node_id not in rows:
            attrs = {}
            if d.decorators:
                attrs["decorators"] = list(d.decorators)
            if d.bases:
                attrs["bases"] = list(d.bases)
            rows[node_id] = {
                "id": node_id, "kind": CLASS if d.kind == "class" else FUNCTION,
                "name": d.name, "parent": parent, "path": path, "line_start": d.line_start,
                "line_end": d.line_end, "language": "python",
                "lines": d.line_end - d.line_start + 1, "complexity": d.complexity,
                "depth": depth + qualname.count("."), "attrs": attrs}
        edges.add(parent, node_id, CONTAINS)


def _add_containers(module: str, nodes: NodeSet, edges: EdgeSet, modules: set[str]) -> None:
    """Link ``a.b.c`` under ``a.b`` under ``a``; parents that are not files become namespace packages."""
    child, parent = module, module.rpartition(".")[0]
    while parent:
        if parent not in modules:
            nodes.add(parent, PACKAGE, parent.rpartition(".")[2], language="python",
                      depth=parent.count("."), attrs={"namespace": True})
        if (parent, child, CONTAINS) in edges:
            return
        edges.add(parent, child, CONTAINS)
        nodes.rows[child]["parent"] = parent
        child, parent = parent, parent.rpartition(".")[0]


def _bind(scope: _Scope, ref, resolver: ImportResolver, modules: set[str],
          containers: set[str]) -> None:
    """Record what the names one import statement introduces point at."""
    if ref.names:
        base = resolver.from_module(scope.package, ref)
        if base is None:
            return
        aliases = ref.aliases or ("",) * len(ref.names)
        for name, alias in zip(ref.names, aliases):
            if name == "*":
                if base != scope.module:
                    scope.stars.append(base)
                continue
            local = alias or name
            # `from pkg import main` is the attribute `main` of pkg when pkg binds it (a
            # function re-exported from the submodule pkg.main), the submodule otherwise:
            # followed later (_Names.export), except from the module itself.
            sub = resolver.internal(f"{base}.{name}") if base == scope.module else None
            if sub is not None:
                scope.bindings[local] = sub
                scope.imported.pop(local, None)
            else:
                scope.imported[local] = (base, name)
                scope.bindings.pop(local, None)
    elif ref.aliases:  # import a.b as x: x is the module a.b itself
        internal = resolver.internal(ref.target)
        if internal is not None:
            scope.bindings[ref.aliases[0]] = internal
    else:
        head = ref.target.split(".")[0]
        if head in modules or head in containers:
            scope.bindings.setdefault(head, head)


def _binds(scope: _Scope, name: str) -> bool:
    """True when an import of the module binds ``name`` (shadowing a builtin of that name)."""
    return name in scope.bindings or name in scope.imported


def _lookup(scope: _Scope, caller: str, name: str, names: _Names) -> str | None:
    """A bare name as seen from ``caller``: enclosing scopes, module definitions, imports."""
    parts = caller.split(".") if caller and name in scope.nested else []
    while parts:
        candidate = ".".join([*parts, name])
        if candidate in scope.defs:
            return f"{scope.module}:{candidate}"
        parts.pop()
    return names.export(scope.module, name)


def _enclosing_class(scope: _Scope, caller: str) -> str | None:
    parts = caller.split(".")
    while parts:
        qual = ".".join(parts)
        d = scope.defs.get(qual)
        if d is not None and d.kind == "class":
            return f"{scope.module}:{qual}"
        parts.pop()
    return None


