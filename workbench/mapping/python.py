"""Python files to :class:`~workbench.mapping.facts.FileFacts`, with the standard ``ast`` module.

Files in a grammar newer than the running interpreter's are first rewritten, lines kept, into
one it reads (:mod:`.python_newer`, located with tree-sitter), so the facts do not depend on which Python
runs the workbench.

What is recorded: classes and functions (methods as ``Class.method``, nested functions as
``outer.inner``) with line ranges, decorators, base classes and cyclomatic complexity; every
import statement, wherever it stands (also inside functions and ``if TYPE_CHECKING:``); call
sites with the callee as written (``self.save``, ``os.path.join``); line counts.

A file that does not parse (syntax error, bad encoding, NUL bytes, nesting deep enough to
raise ``RecursionError``) returns facts with ``problem`` set and the line counts that could be
taken; the caller records the problem on the module node and goes on.
"""

from __future__ import annotations

import ast

from .facts import CallRef, Definition, FileFacts, ImportRef

PARSER_NAME = "python-ast"
PARSER_VERSION = 4  # 4: __all__ recorded; syntax newer than the interpreter read

_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler,
             ast.Assert, ast.comprehension, ast.match_case)


def parse_python(data: bytes) -> FileFacts:
    """Parse one Python source blob. Never raises for bad input."""
    counts = _line_counts(data)
    try:
        tree = ast.parse(data)
    except SyntaxError as exc:
        tree = _parse_newer(data)
        if tree is None:
            return FileFacts("python", **counts, problem=f"syntax error: {exc.msg} (line {exc.lineno})")
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes, undecodable text
        return FileFacts("python", **counts, problem=f"cannot decode: {exc}")
    except (RecursionError, MemoryError) as exc:
        return FileFacts("python", **counts, problem=f"too deeply nested to parse ({type(exc).__name__})")
    try:
        definitions, imports, calls = _walk(tree)
    except (RecursionError, MemoryError) as exc:
        return FileFacts("python", **counts, problem=f"too deeply nested to analyse ({type(exc).__name__})")
    return FileFacts(
        "python",
        **counts,
        definitions=definitions,
        imports=imports,
        calls=calls,
        extra=_module_extra(tree),
    )


def _parse_newer(data: bytes) -> ast.Module | None:
    """The tree of a file written in a newer Python's grammar (see :mod:`.python_newer`), or
    None when it is not valid in that grammar either."""
    from .python_newer import older_source

    try:
        text = older_source(data)
        return None if text is None else ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _module_extra(tree: ast.Module) -> dict:
    """The module docstring's first paragraph, and ``__all__`` when it is written as literals.

    ``extra["all"]`` (list of str) is set when the module's top-level statements give
    ``__all__`` a list or tuple of strings (``=``, then ``+=``, ``.extend``, ``.append``); a
    computed ``__all__`` leaves it unset, which readers take as "every public name".
    """
    extra: dict = {"docstring": (ast.get_docstring(tree) or "").split("\n\n")[0][:300]}
    names: list[str] | None = None
    for stmt in tree.body:
        kind = type(stmt)
        if kind is ast.Assign or kind is ast.AnnAssign:
            targets = stmt.targets if kind is ast.Assign else [stmt.target]
            if not any(type(t) is ast.Name and t.id == "__all__" for t in targets):
                continue
            value, extend = stmt.value, False
        elif kind is ast.AugAssign and type(stmt.target) is ast.Name and stmt.target.id == "__all__":
            value, extend = stmt.value, True
        elif (kind is ast.Expr and type(stmt.value) is ast.Call and len(stmt.value.args) == 1
              and _dotted(stmt.value.func) in ("__all__.extend", "__all__.append")):
            value, extend = stmt.value.args[0], True
            if stmt.value.func.attr == "append":
                value = ast.List([value], ast.Load())
        else:
            continue
        found = _string_list(value) if value is not None else None
        if found is None or (extend and names is None):
            return extra  # computed, or extended before being set: every public name
        names = [*names, *found] if extend else found
    if names is not None:
        extra["all"] = names
    return extra


def _string_list(node: ast.AST) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]
    return None


def _line_counts(data: bytes) -> dict[str, int]:
    """Total, code, comment-only and blank lines.

    A line is a comment line when its first non-blank character is ``#``; docstrings count as
    code. This is a text rule, not a tokenizer: a ``#`` line inside a multi-line string counts
    as a comment, which is rare and keeps counting an order of magnitude cheaper.
    """
    lines = data.decode("utf-8", errors="replace").splitlines()
    blank = comment = 0
    for line in lines:
        stripped = line.lstrip()
        if not stripped:
            blank += 1
        elif stripped[0] == "#":
            comment += 1
    return {"lines": len(lines), "code_lines": len(lines) - blank - comment,
            "comment_lines": comment, "blank_lines": blank}


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for Name/Attribute chains, ``None`` for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:200]
    except Exception:  # pragma: no cover - unparse of odd trees
        return type(node).__name__


_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
_BRANCH_TYPES = frozenset(_BRANCHES)
#: Node types with nothing of interest below them (names, constants, operators, contexts).
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.alias, ast.Pass,
                     ast.Break, ast.Continue, ast.Global, ast.Nonlocal,
                     *ast.operator.__subclasses__(), *ast.unaryop.__subclasses__(),
                     *ast.cmpop.__subclasses__(), *ast.boolop.__subclasses__()})
#: Fields that never hold nodes (names, numbers, flags): not worth a look.
_SCALAR_FIELDS = frozenset({"id", "attr", "name", "arg", "module", "level", "kind", "conversion",
                            "is_async", "type_comment", "ctx", "op", "names"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        fields = _CHILD_FIELDS[node_type] = tuple(
            f for f in node_type._fields if f not in _SCALAR_FIELDS)
    return fields


def _walk(tree: ast.Module) -> tuple[tuple[Definition, ...], tuple[ImportRef, ...], tuple[CallRef, ...]]:
    """One iterative pass: definitions with McCabe complexity, imports and call sites.

    Iterative (an explicit stack), so deeply nested code cannot exhaust the C stack here.
    Complexity is 1 + branch points (if/elif, loops, except, assert, conditional expressions,
    comprehension loops and their ifs, match cases, each extra operand of and/or), counted for
    the innermost enclosing function; nested definitions have their own. Dispatch is on the
    exact node type (set lookups, not ``isinstance`` chains): this loop sees every node of
    every file, and is a third of the time of a cold map.
    """
    defs: list[dict] = []
    imports: list[ImportRef] = []
    calls: list[CallRef] = []
    leaves = _LEAVES
    # (node, qualname of the enclosing scope, index in defs of the enclosing function or -1)
    stack: list[tuple[ast.AST, str, int]] = [(child, "", -1) for child in reversed(tree.body)]
    push = stack.append
    while stack:
        node, scope, owner = stack.pop()
        kind = type(node)
        if kind is ast.ClassDef or kind in _FUNCTIONS:
            qualname = f"{scope}.{node.name}" if scope else node.name
            is_class = kind is ast.ClassDef
            defs.append({
                "kind": "class" if is_class else "function", "name": node.name,
                "qualname": qualname, "parent": scope,
                "line_start": min([node.lineno, *[d.lineno for d in node.decorator_list]]),
                "line_end": node.end_lineno or node.lineno,
                "decorators": tuple(_unparse(d) for d in node.decorator_list),
                "bases": tuple(_dotted(b) or _unparse(b) for b in node.bases) if is_class else (),
                "complexity": None if is_class else 1,
            })
            index = len(defs) - 1
            body_owner = -1 if is_class else index
            outer = [*node.decorator_list, *(node.bases if is_class else ())]
            if not is_class:
                outer += [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]
            for child in reversed(node.body):
                push((child, qualname, body_owner))
            for child in reversed(outer):
                push((child, scope, owner))
            continue
        if owner >= 0:
            if kind in _BRANCH_TYPES:
                defs[owner]["complexity"] += 1 + (len(node.ifs) if kind is ast.comprehension else 0)
            elif kind is ast.BoolOp:
                defs[owner]["complexity"] += len(node.values) - 1
        if kind is ast.Call:
            callee = _dotted(node.func)
            if callee is not None:
                calls.append(CallRef(caller=scope, callee=callee, line=node.lineno))
        elif kind is ast.Import:
            for alias in node.names:
                imports.append(ImportRef(target=alias.name, line=node.lineno,
                                         aliases=(alias.asname,) if alias.asname else ()))
        elif kind is ast.ImportFrom:
            imports.append(ImportRef(
                target=node.module or "", line=node.lineno,
                names=tuple(a.name for a in node.names), level=node.level or 0,
                aliases=tuple(a.asname or "" for a in node.names)
                if any(a.asname for a in node.names) else (),
            ))
        elif kind is ast.Lambda:
            push((node.body, scope, owner))
            continue
        for name in _CHILD_FIELDS.get(kind) or _child_fields(kind):
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if type(item) not in leaves and isinstance(item, ast.AST):
                        push((item, scope, owner))
            elif value is not None and type(value) not in leaves and isinstance(value, ast.AST):
                push((value, scope, owner))
    return (tuple(Definition(**d) for d in defs), tuple(imports), tuple(calls))
