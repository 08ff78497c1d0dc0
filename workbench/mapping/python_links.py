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

import builtins
import posixpath

from ..domain import EdgeKind, NodeKind
from .tables import EdgeSet, NodeSet, ScannedFile, file_node_fields
from .facts import FileFacts
from .pymodules import STDLIB, ImportResolver, module_layout

_BUILTINS = frozenset(dir(builtins))
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
        self.bindings: dict[str, str] = {}
        self.imported: dict[str, tuple[str, str]] = {}
        self.stars: list[str] = []
        exports = facts.extra.get("all")
        self.exports = frozenset(exports) if exports is not None else None


class _Names:
    """Names a module offers, as Python's ``from module import name`` would find them.

    A name is, in this order: a top-level definition of the module, a name it imported
    (followed through chains of re-exports and ``as`` aliases, cycles cut), a submodule,
    or a name a ``from other import *`` brings in (what ``other.__all__`` lists, or its
    public names when it has none).
    """

    def __init__(self, scopes: dict[str, _Scope], lookup: dict[str, str]) -> None:
        self.scopes = scopes
        self.lookup = lookup  # module names and aliases -> module name
        self._cache: dict[tuple[str, str], str | None] = {}

    def export(self, module: str, name: str) -> str | None:
        """The node id ``module.name`` stands for, or None when it is not a mapped node."""
        key = (module, name)
        if key in self._cache:
            return self._cache[key]
        self._cache[key] = None  # a cycle of re-exports resolves to nothing
        found = self._export(module, name)
        self._cache[key] = found
        return found

    def _export(self, module: str, name: str) -> str | None:
        scope = self.scopes.get(module)
        sub = f"{module}.{name}"
        if scope is None:
            return self.lookup.get(sub)
        if name in scope.defs:
            return f"{module}:{name}"
        if name in scope.bindings:
            return scope.bindings[name]
        if name in scope.imported:
            return self.export(*scope.imported[name])
        if sub in self.lookup:
            return self.lookup[sub]
        for star in scope.stars:
            if self.star_exports(star, name):
                found = self.export(star, name)
                if found:
                    return found
        return None

    def star_exports(self, module: str, name: str) -> bool:
        """True when ``from module import *`` binds ``name``."""
        scope = self.scopes.get(module)
        if scope is not None and scope.exports is not None:
            return name in scope.exports
        return not name.startswith("_")


def _absolute_imports(files: list[ScannedFile]):
    """Dotted names the absolute import statements mention: the evidence of the roots."""
    for f in files:
        if f.facts is None:
            continue
        for ref in f.facts.imports:
            if ref.level or not ref.target:
                continue
            yield ref.target
            for name in ref.names:
                if name != "*":
                    yield f"{ref.target}.{name}"


def link_python(files: list[ScannedFile], nodes: NodeSet, edges: EdgeSet) -> dict:
    layout = module_layout([f.path for f in files], _absolute_imports(files))
    module_of = layout.names
    packages = layout.packages
    modules = set(module_of.values())
    resolver = ImportResolver(modules, packages, layout.aliases)
    scopes: dict[str, _Scope] = {}

    for f in files:
        module = module_of.get(f.path)
        if module is None:  # not importable: a file node, by its path
            row = nodes.add(f.path, FILE, posixpath.basename(f.path), **file_node_fields(f))
            row["attrs"]["not_importable"] = layout.unimportable[f.path]
        else:
            kind = PACKAGE if module in packages else MODULE
            row = nodes.add(module, kind, module.rpartition(".")[2], **file_node_fields(f))
            row["depth"] = module.count(".")
        if is_test_path(f.path):
            row["attrs"]["test"] = True
    for f in files:  # every module exists now, so containers can link them in any order
        module = module_of.get(f.path)
        if module is not None:
            _add_containers(module, nodes, edges, modules)
            package = module if module in packages else module.rpartition(".")[0]
        else:
            module = f.path
            package = layout.dir_packages.get(posixpath.dirname(f.path), "")
        if f.facts is not None:
            _add_definitions(module, f, nodes, edges)
            scopes[module] = _Scope(module, f.facts, package)
    for path in layout.unimportable:  # under the package of their directory, when there is one
        package = layout.dir_packages.get(posixpath.dirname(path))
        if package and package in nodes.rows:
            edges.add(package, path, CONTAINS)
            nodes.rows[path]["parent"] = package
            nodes.rows[path]["depth"] = package.count(".") + 1
    containers = {m for m in nodes.rows if nodes.rows[m]["kind"] == PACKAGE}

    for module, scope in scopes.items():
        facts = scope.facts
        test_module = is_test_path(nodes.rows[module]["path"])
        for ref in facts.imports:
            for res in resolver.resolve(module, ref, scope.package):
                if res.internal and res.internal != module:
                    edges.add(module, res.internal, IMPORTS, ref.line, ref.context)
                    if test_module and not nodes.rows[res.internal]["attrs"].get("test"):
                        edges.add(module, res.internal, TESTS, ref.line)
                elif res.external:
                    ext = f"ext:{res.external}"
                    nodes.add(ext, EXTERNAL, res.external,
                              attrs={"stdlib": res.external in STDLIB, "language": "python"})
                    edges.add(module, ext, DEPENDS_ON, ref.line, ref.context)
            _bind(scope, ref, resolver, modules, containers)

    counts = {"calls_resolved": 0, "calls_unresolved": 0, "calls_builtin": 0}
    names = _Names(scopes, resolver.lookup)
    for module, scope in scopes.items():
        _link_bases(scope, names, nodes, edges)
    for module, scope in scopes.items():
        for call in scope.facts.calls:
            caller = f"{module}:{call.caller}" if call.caller else module
            target = _resolve_call(scope, call.caller, call.callee, names, nodes)
            if target is not None:
                counts["calls_resolved"] += 1
                if target != caller:
                    edges.add(caller, target, CALLS, call.line)
            elif call.callee.split(".")[0] in _BUILTINS and not _binds(scope, call.callee.split(".")[0]):
                counts["calls_builtin"] += 1
            else:
                counts["calls_unresolved"] += 1
    return {"modules": len(files), "packages": len(packages), **counts}


def _add_definitions(module: str, f: ScannedFile, nodes: NodeSet, edges: EdgeSet) -> None:
    for d in f.facts.definitions:
        node_id = f"{module}:{d.qualname}"
        parent = f"{module}:{d.parent}" if d.parent else module
        attrs = {k: v for k, v in (("decorators", list(d.decorators)), ("bases", list(d.bases))) if v}
        nodes.add(node_id, CLASS if d.kind == "class" else FUNCTION,
                  d.name, parent=parent, path=f.path, line_start=d.line_start,
                  line_end=d.line_end, language="python", lines=d.line_end - d.line_start + 1,
                  complexity=d.complexity, depth=module.count(".") + 1 + d.qualname.count("."),
                  attrs=attrs)
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
            sub = resolver.internal(f"{base}.{name}")
            if sub is not None:
                scope.bindings[alias or name] = sub
            else:
                scope.imported[alias or name] = (base, name)
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


def _member(owner: str, attr: str, names: _Names, nodes: NodeSet,
            seen: set[str] | None = None) -> str | None:
    """``owner.attr`` where owner is a module or a class node id (bases searched for methods)."""
    if ":" not in owner:  # a module
        sub = f"{owner}.{attr}"
        if sub in nodes.rows and nodes.rows[sub]["kind"] in ("module", "package"):
            return sub
        return names.lookup.get(sub) or names.export(owner, attr)
    candidate = f"{owner}.{attr}"
    if candidate in nodes.rows:
        return candidate
    seen = seen or set()
    if owner in seen:
        return None
    seen.add(owner)
    for base in nodes.rows.get(owner, {}).get("resolved_bases", ()):
        found = _member(base, attr, names, nodes, seen)
        if found:
            return found
    return None


def _lookup(scope: _Scope, caller: str, name: str, names: _Names) -> str | None:
    """A bare name as seen from ``caller``: enclosing scopes, module definitions, imports."""
    parts = caller.split(".") if caller else []
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


def _resolve_call(scope: _Scope, caller: str, callee: str, names: _Names,
                  nodes: NodeSet) -> str | None:
    head, *rest = callee.split(".")
    if head in ("self", "cls") and rest:
        owner = _enclosing_class(scope, caller)
    elif head == "super":
        return None
    else:
        owner = _lookup(scope, caller, head, names)
    if owner is None or owner not in nodes.rows:
        return None
    for attr in rest:
        if nodes.rows[owner]["kind"] == FUNCTION:
            return None  # attribute of a function's result: needs type inference
        owner = _member(owner, attr, names, nodes)
        if owner is None or owner not in nodes.rows:
            return None
    return owner


def _link_bases(scope: _Scope, names: _Names, nodes: NodeSet, edges: EdgeSet) -> None:
    for qualname, d in scope.defs.items():
        if d.kind != "class" or not d.bases:
            continue
        node_id = f"{scope.module}:{qualname}"
        resolved = []
        for base in d.bases:
            target = _resolve_call(scope, d.parent, base, names, nodes)
            if target and nodes.rows[target]["kind"] == CLASS and target != node_id:
                resolved.append(target)
                edges.add(node_id, target, INHERITS, d.line_start)
        nodes.rows[node_id]["resolved_bases"] = tuple(resolved)
