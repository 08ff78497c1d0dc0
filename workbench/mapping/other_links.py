"""Files of the tree-sitter languages into the map: directories, files, definitions, imports,
calls and inheritance.

Node ids are repository paths (``web/src/app.ts``), definitions ``path:Qualname``, and
directories ``path/``. Imports are resolved by :class:`~workbench.mapping.languages.Resolver`
to files of the same snapshot (an ``imports`` edge to each file of an imported Go package,
Java wildcard or C# namespace) or to an external package (a ``depends_on`` edge to
``ext:ecosystem:name``; Node's built-in modules are ``ext:node:fs``, the standard library).
Calls are resolved by :class:`~workbench.mapping.languages.calls.CallLinker`. A base class
named in a declaration is linked with an ``inherits`` edge when exactly one class of that
name exists in the same language.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict

from ..domain import EdgeKind, NodeKind, external_id
from .languages.runtimes import is_standard_library, node_builtin
from .tables import EdgeSet, NodeSet, ScannedFile, file_node_fields

_FUNCTION_KINDS = frozenset({"function", "method"})
# plain strings: read once per file, definition and import below, where Enum lookups show
IMPORTS, DEPENDS_ON, CONTAINS, INHERITS, CALLS = (
    EdgeKind.IMPORTS.value, EdgeKind.DEPENDS_ON.value, EdgeKind.CONTAINS.value,
    EdgeKind.INHERITS.value, EdgeKind.CALLS.value)
DIRECTORY, FILE, FUNCTION, CLASS, EXTERNAL = (
    NodeKind.DIRECTORY.value, NodeKind.FILE.value, NodeKind.FUNCTION.value,
    NodeKind.CLASS.value, NodeKind.EXTERNAL.value)
_JS = frozenset({"javascript", "typescript", "tsx"})


def _directory_id(directory: str) -> str:
    return directory + "/"


def _add_directories(path: str, nodes: NodeSet, edges: EdgeSet) -> str | None:
    """Create the directory chain of ``path``; return the id of its directory (None at the root)."""
    directory = posixpath.dirname(path)
    if not directory:
        return None
    child_id = None
    parent_of_file = _directory_id(directory)
    while directory:
        dir_id = _directory_id(directory)
        fresh = dir_id not in nodes
        nodes.add(dir_id, DIRECTORY, posixpath.basename(directory), path=directory,
                  depth=directory.count("/"))
        if child_id is not None:
            edges.add(dir_id, child_id, CONTAINS)
            nodes.rows[child_id]["parent"] = dir_id
        if not fresh:
            break
        child_id, directory = dir_id, posixpath.dirname(directory)
    return parent_of_file


def _external(language: str, ref, name: str) -> tuple[str, str, bool]:
    """(node id, name, stdlib) of the external dependency an import names."""
    if language in _JS:
        builtin = node_builtin(ref.target)
        if builtin is not None:
            return f"ext:node:{builtin}", builtin, True
    return external_id(language, name), name, is_standard_library(language, ref.kind, name)


def link_other_languages(files: list[ScannedFile], nodes: NodeSet, edges: EdgeSet,
                         manifests: dict[str, bytes]) -> dict:
    if not files:
        return {"files": 0}
    from .languages import Resolver

    parsed = {f.path: f.facts for f in files if f.facts is not None}
    resolver = Resolver([f.path for f in files], parsed, manifests)
    classes_by_name: dict[tuple[str, str], list[str]] = defaultdict(list)

    known = nodes.rows  # read once per definition: the dict, not NodeSet.__contains__
    for f in files:
        path, depth = f.path, f.path.count("/")
        row = nodes.add(path, FILE, posixpath.basename(path), **file_node_fields(f))
        row["depth"] = depth
        parent = _add_directories(path, nodes, edges)
        if parent is not None:
            row["parent"] = parent
            edges.add(parent, path, CONTAINS)
        if f.facts is None:
            continue
        for d in f.facts.definitions:
            node_id = f"{path}:{d.qualname}"
            kind = FUNCTION if d.kind in _FUNCTION_KINDS else CLASS
            owner = f"{path}:{d.parent}" if d.parent else path
            if owner not in known:  # a member of a type declared elsewhere (Go methods, C++ out-of-line)
                owner = path
            attrs = {"type": d.kind, "bases": list(d.bases)} if d.bases else {"type": d.kind}
            nodes.add(node_id, kind, d.name, parent=owner, path=path, line_start=d.line_start,
                      line_end=d.line_end, language=f.language,
                      lines=d.line_end - d.line_start + 1, complexity=d.complexity,
                      depth=depth + 1 + d.qualname.count("."), attrs=attrs)
            edges.add(owner, node_id, CONTAINS)
            if kind == CLASS:
                classes_by_name[(f.language, d.name)].append(node_id)

    resolutions: dict[str, list] = {}
    for f in files:
        if f.facts is None:
            continue
        pairs = resolutions[f.path] = []
        for ref in f.facts.imports:
            res = resolver.resolve(f.language, f.path, ref)
            pairs.append((ref, res))
            targets = res.files or ((res.internal,) if res.internal else ())
            if targets:
                for target in targets:  # every file of a package, namespace or wildcard
                    if target != f.path:
                        edges.add(f.path, target, IMPORTS, ref.line)
            elif res.external:
                ext, name, stdlib = _external(f.language, ref, res.external)
                nodes.add(ext, EXTERNAL, name,
                          attrs={"stdlib": stdlib, "language": f.language})
                edges.add(f.path, ext, DEPENDS_ON, ref.line)
        for d in f.facts.definitions:
            for base in d.bases:
                short = base.split("<")[0].split("::")[-1].split(".")[-1].split("\\")[-1].strip()
                targets = classes_by_name.get((f.language, short), [])
                if len(targets) == 1 and targets[0] != f"{f.path}:{d.qualname}":
                    edges.add(f"{f.path}:{d.qualname}", targets[0], INHERITS, d.line_start)
    counts = _link_calls(files, resolutions, nodes, edges)
    return {"files": len(files), **counts}


def _link_calls(files: list[ScannedFile], resolutions: dict[str, list], nodes: NodeSet,
                edges: EdgeSet) -> dict[str, int]:
    from .languages.calls import CallLinker

    parsed = [(f.path, f.language, f.facts) for f in files if f.facts is not None]
    linker = CallLinker(parsed, resolutions)
    counts = {"calls_resolved": 0, "calls_unresolved": 0, "calls_builtin": 0}
    calls, known = CALLS, nodes.rows
    for path, _, facts in parsed:
        for call in facts.calls:
            caller = f"{path}:{call.caller}" if call.caller else path
            if caller not in known:
                caller = path
            found = linker.resolve(path, call.caller, call.callee)
            if found == "builtin":
                counts["calls_builtin"] += 1
                continue
            targets = [t for t in found or () if t in known]
            if not targets:
                counts["calls_unresolved"] += 1
                continue
            counts["calls_resolved"] += 1
            for target in targets:
                if target != caller:
                    edges.add(caller, target, calls, call.line)
    return counts
