"""Python files into the map: modules, definitions, imports, calls, inheritance and tests.

Calls are resolved statically and only where the answer is certain from the code: names
defined in the module or an enclosing scope, imported names (``from x import f``, ``import a.b
as c``), ``self.``/``cls.`` methods of the enclosing class (and of its bases found in the map),
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
from .pymodules import STDLIB, ImportResolver, module_names

_BUILTINS = frozenset(dir(builtins))
# plain strings: these are read in the hottest loops of mapping, where Enum lookups show
IMPORTS, TESTS, DEPENDS_ON, CALLS, CONTAINS, INHERITS = (
    EdgeKind.IMPORTS.value, EdgeKind.TESTS.value, EdgeKind.DEPENDS_ON.value,
    EdgeKind.CALLS.value, EdgeKind.CONTAINS.value, EdgeKind.INHERITS.value)
PACKAGE, MODULE, CLASS, FUNCTION, EXTERNAL = (
    NodeKind.PACKAGE.value, NodeKind.MODULE.value, NodeKind.CLASS.value,
    NodeKind.FUNCTION.value, NodeKind.EXTERNAL.value)


def is_test_path(path: str) -> bool:
    """Test modules by the conventions pytest and unittest discover."""
    name = posixpath.basename(path)
    parts = path.split("/")[:-1]
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(p in ("tests", "test", "testing") for p in parts))


class _Scope:
    """What names mean inside one module: its definitions and its imports."""

    def __init__(self, module: str, facts: FileFacts) -> None:
        self.module = module
        self.facts = facts
        self.defs = {d.qualname: d for d in facts.definitions}
        self.bindings: dict[str, str] = {}  # local name -> node id (module or definition)


def link_python(files: list[ScannedFile], nodes: NodeSet, edges: EdgeSet) -> dict:
    names = module_names([f.path for f in files])
    packages = {names[f.path] for f in files if f.path.endswith("__init__.py")}
    modules = set(names.values())
    resolver = ImportResolver(modules, packages)
    scopes: dict[str, _Scope] = {}

    for f in files:
        module = names[f.path]
        kind = PACKAGE if module in packages else MODULE
        row = nodes.add(module, kind, module.rpartition(".")[2], **file_node_fields(f))
        row["depth"] = module.count(".")
        if is_test_path(f.path):
            row["attrs"]["test"] = True
    for f in files:  # every module exists now, so containers can link them in any order
        module = names[f.path]
        _add_containers(module, nodes, edges, modules)
        if f.facts is not None:
            _add_definitions(module, f, nodes, edges)
            scopes[module] = _Scope(module, f.facts)

    for module, scope in scopes.items():
        facts = scope.facts
        test_module = is_test_path(nodes.rows[module]["path"])
        for ref in facts.imports:
            for res in resolver.resolve(module, ref):
                if res.internal and res.internal != module:
                    edges.add(module, res.internal, IMPORTS, ref.line, ref.context)
                    if test_module and not nodes.rows[res.internal]["attrs"].get("test"):
                        edges.add(module, res.internal, TESTS, ref.line)
                    _bind(scope, ref, res.internal, modules, scopes)
                elif res.external:
                    ext = f"ext:{res.external}"
                    nodes.add(ext, EXTERNAL, res.external,
                              attrs={"stdlib": res.external in STDLIB, "language": "python"})
                    edges.add(module, ext, DEPENDS_ON, ref.line, ref.context)

    counts = {"calls_resolved": 0, "calls_unresolved": 0, "calls_builtin": 0}
    for module, scope in scopes.items():
        _link_bases(scope, scopes, nodes, edges)
    for module, scope in scopes.items():
        for call in scope.facts.calls:
            caller = f"{module}:{call.caller}" if call.caller else module
            target = _resolve_call(scope, call.caller, call.callee, scopes, nodes)
            if target is not None:
                counts["calls_resolved"] += 1
                if target != caller:
                    edges.add(caller, target, CALLS, call.line)
            elif call.callee.split(".")[0] in _BUILTINS and call.callee.split(".")[0] not in scope.bindings:
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


def _bind(scope: _Scope, ref, internal: str, modules: set[str], scopes: dict[str, _Scope]) -> None:
    """Record what the names an import statement introduces point at."""
    if ref.names:
        aliases = ref.aliases or ("",) * len(ref.names)
        for name, alias in zip(ref.names, aliases):
            if name == "*":
                continue
            local = alias or name
            sub = f"{internal}.{name}"
            if sub in modules:
                scope.bindings[local] = sub
            elif internal in scopes and name in scopes[internal].defs:
                scope.bindings[local] = f"{internal}:{name}"
            elif internal in scopes and name in scopes[internal].bindings:
                scope.bindings[local] = scopes[internal].bindings[name]  # re-export (one level)
            else:
                scope.bindings.setdefault(local, internal)
    elif ref.aliases:  # import a.b as x: x is the module a.b itself
        if ref.target == internal:
            scope.bindings[ref.aliases[0]] = internal
    else:
        head = ref.target.split(".")[0]
        if head in modules:
            scope.bindings.setdefault(head, head)


def _member(owner: str, attr: str, scopes: dict[str, _Scope], nodes: NodeSet,
            seen: set[str] | None = None) -> str | None:
    """``owner.attr`` where owner is a module or a class node id (bases searched for methods)."""
    if ":" not in owner:  # a module
        sub = f"{owner}.{attr}"
        if sub in nodes.rows and nodes.rows[sub]["kind"] in ("module", "package"):
            return sub
        scope = scopes.get(owner)
        if scope is None:
            return None
        if attr in scope.defs:
            return f"{owner}:{attr}"
        return scope.bindings.get(attr)
    candidate = f"{owner}.{attr}"
    if candidate in nodes.rows:
        return candidate
    seen = seen or set()
    if owner in seen:
        return None
    seen.add(owner)
    for base in nodes.rows.get(owner, {}).get("resolved_bases", ()):
        found = _member(base, attr, scopes, nodes, seen)
        if found:
            return found
    return None


def _lookup(scope: _Scope, caller: str, name: str) -> str | None:
    """A bare name as seen from ``caller``: enclosing scopes, module definitions, imports."""
    parts = caller.split(".") if caller else []
    while parts:
        candidate = ".".join([*parts, name])
        if candidate in scope.defs:
            return f"{scope.module}:{candidate}"
        parts.pop()
    if name in scope.defs:
        return f"{scope.module}:{name}"
    return scope.bindings.get(name)


def _enclosing_class(scope: _Scope, caller: str) -> str | None:
    parts = caller.split(".")
    while parts:
        qual = ".".join(parts)
        d = scope.defs.get(qual)
        if d is not None and d.kind == "class":
            return f"{scope.module}:{qual}"
        parts.pop()
    return None


def _resolve_call(scope: _Scope, caller: str, callee: str, scopes: dict[str, _Scope],
                  nodes: NodeSet) -> str | None:
    head, *rest = callee.split(".")
    if head in ("self", "cls") and rest:
        owner = _enclosing_class(scope, caller)
    elif head == "super":
        return None
    else:
        owner = _lookup(scope, caller, head)
    if owner is None or owner not in nodes.rows:
        return None
    for attr in rest:
        if nodes.rows[owner]["kind"] == FUNCTION:
            return None  # attribute of a function's result: needs type inference
        owner = _member(owner, attr, scopes, nodes)
        if owner is None or owner not in nodes.rows:
            return None
    return owner


def _link_bases(scope: _Scope, scopes: dict[str, _Scope], nodes: NodeSet, edges: EdgeSet) -> None:
    for qualname, d in scope.defs.items():
        if d.kind != "class" or not d.bases:
            continue
        node_id = f"{scope.module}:{qualname}"
        resolved = []
        for base in d.bases:
            target = _resolve_call(scope, d.parent, base, scopes, nodes)
            if target and nodes.rows[target]["kind"] == CLASS and target != node_id:
                resolved.append(target)
                edges.add(node_id, target, INHERITS, d.line_start)
        nodes.rows[node_id]["resolved_bases"] = tuple(resolved)
