"""Python files to :class:`~workbench.mapping.facts.FileFacts`, with the standard ``ast`` module.

Files in a grammar newer than the running interpreter's are first rewritten, lines kept, into
one it reads (:mod:`.python_newer`, located with tree-sitter), so the facts do not depend on which Python
runs the workbench.

What is recorded: classes and functions (methods as ``Class.method``, nested functions as
``outer.inner``) with line ranges, decorators, base classes and cyclomatic complexity; every
import statement, wherever it stands, with where it stands (its ``context``, below); call
sites with the callee as written (``self.save``, ``os.path.join``); line counts.

Import contexts (:class:`~workbench.domain.ImportContext`), from the statement's position:

* ``type_checking`` -- under ``if TYPE_CHECKING:`` (the name, a module-level alias such as
  ``from typing import TYPE_CHECKING as TC``, or any ``x.TYPE_CHECKING`` such as
  ``typing.TYPE_CHECKING``; also ``if TYPE_CHECKING and ...:`` and the ``else`` of
  ``if not TYPE_CHECKING:``), at any depth: the statement never runs;
* ``deferred`` -- otherwise inside a function or lambda, however nested: it runs when called;
* ``conditional`` -- otherwise under ``if``/``elif``/``else``, ``match``, ``for``/``while``
  or ``try``/``except``/``else``/``finally`` (the ``else`` of ``if TYPE_CHECKING:`` included);
* ``import_time`` -- everything else: module level, class bodies, ``with`` blocks.

The weakest enclosing construct decides (type_checking < deferred < conditional <
import_time), so an import in a function under ``if TYPE_CHECKING:`` is ``type_checking`` and
one under ``try:`` in a function is ``deferred``.

A file that does not parse (syntax error, bad encoding, NUL bytes, nesting deep enough to
raise ``RecursionError``) returns facts with ``problem`` set and the line counts that could be
taken; the caller records the problem on the module node and goes on.
"""

from __future__ import annotations

import ast

from .facts import CallRef, Definition, FileFacts, ImportRef

PARSER_NAME = "python-ast"
PARSER_VERSION = 5  # 5: imports carry their context; __all__ recorded; syntax newer than the interpreter read

#: Import contexts by rank: a nested construct can only weaken a statement's context.
_CONTEXTS = ("import_time", "conditional", "deferred", "type_checking")
_IMPORT_TIME, _CONDITIONAL, _DEFERRED, _TYPE_CHECKING = range(4)
#: Statements whose bodies run only under a condition (or may be cut short by an exception).
_CONDITIONAL_STMTS = frozenset({ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try,
                                *([ast.TryStar] if hasattr(ast, "TryStar") else []), ast.Match})

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


def _node_types(base: type) -> set[type]:
    found = {base}
    for sub in base.__subclasses__():
        found |= _node_types(sub)
    return found


def _child_fields(node_type: type) -> tuple[str, ...]:
    return tuple(f for f in node_type._fields if f not in _SCALAR_FIELDS)


#: Every syntax node type worth a look: one set lookup answers "is it a node, and not a
#: leaf?" for each child (a field may also hold a name, ``None`` or a list).
_WALKED = frozenset(_node_types(ast.AST) - _LEAVES)
#: Node types the walk does more with than visit their children.
_ROLES = frozenset({ast.ClassDef, *_FUNCTIONS, ast.Call, ast.Import, ast.ImportFrom, ast.Lambda,
                    ast.BoolOp, *_BRANCHES, *_CONDITIONAL_STMTS})
_FIELDS: dict[type, tuple[str, ...]] = {t: _child_fields(t) for t in _node_types(ast.AST)}
#: The plain node types with one field that may hold nodes (``Attribute.value``,
#: ``Expr.value``, ``keyword.value``, ``Tuple.elts``...): a third of the nodes the walk sees,
#: taken before anything else.
_ONE_FIELD: dict[type, tuple[str]] = {t: f for t, f in _FIELDS.items()
                                      if len(f) == 1 and t not in _ROLES and t in _WALKED}


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
    walked, one_field, fields_of = _WALKED, _ONE_FIELD, _FIELDS
    conditional_stmts = _CONDITIONAL_STMTS
    guard_names = _guard_names(tree)
    # (node, qualname of the enclosing scope, index in defs of the enclosing function or -1,
    #  import context rank of the position)
    stack: list[tuple[ast.AST, str, int, int]] = [
        (child, "", -1, _IMPORT_TIME) for child in reversed(tree.body)]
    push = stack.append
    while stack:
        node, scope, owner, ctx = stack.pop()
        kind = type(node)
        fields = one_field.get(kind)  # a plain node's one field: nothing else to do
        branches = None
        if fields is None:
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
                body_ctx = ctx if is_class or ctx >= _DEFERRED else _DEFERRED
                outer = [*node.decorator_list, *(node.bases if is_class else ())]
                if not is_class:
                    outer += [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]
                for child in reversed(node.body):
                    push((child, qualname, body_owner, body_ctx))
                for child in reversed(outer):
                    push((child, scope, owner, ctx))
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
                                             aliases=(alias.asname,) if alias.asname else (),
                                             context=_CONTEXTS[ctx]))
            elif kind is ast.ImportFrom:
                imports.append(ImportRef(
                    target=node.module or "", line=node.lineno,
                    names=tuple(a.name for a in node.names), level=node.level or 0,
                    aliases=tuple(a.asname or "" for a in node.names)
                    if any(a.asname for a in node.names) else (),
                    context=_CONTEXTS[ctx],
                ))
            elif kind is ast.Lambda:
                push((node.body, scope, owner, ctx if ctx >= _DEFERRED else _DEFERRED))
                continue
            if kind in conditional_stmts:
                branches = _branch_contexts(node, kind, ctx, guard_names)
            fields = fields_of.get(kind) or _child_fields(kind)
        for name in fields:
            value = getattr(node, name)
            child_ctx = ctx if branches is None else branches.get(name, ctx)
            if type(value) is list:
                for item in value:
                    if type(item) in walked:
                        push((item, scope, owner, child_ctx))
            elif type(value) in walked:
                push((value, scope, owner, child_ctx))
    return (tuple(Definition(**d) for d in defs), tuple(imports), tuple(calls))


def _guard_names(tree: ast.Module) -> frozenset[str]:
    """``TYPE_CHECKING`` and the names it is imported under at module level
    (``from typing import TYPE_CHECKING as TC``)."""
    names = {"TYPE_CHECKING"}
    for node in tree.body:
        if type(node) is ast.ImportFrom:
            names.update(a.asname for a in node.names if a.name == "TYPE_CHECKING" and a.asname)
    return frozenset(names)


def _branch_contexts(node: ast.AST, kind: type, ctx: int, guard_names: frozenset[str]) -> dict[str, int]:
    """The import context of each branch field of a conditional statement (by field name).

    Its bodies are at least ``conditional``; its own expressions (an ``if``'s test, a loop's
    iterable, a ``match`` subject) are not listed and keep ``ctx``. An ``if`` guarded by
    ``TYPE_CHECKING`` (see :func:`_type_checking_guard`) makes its guarded branch
    ``type_checking`` instead.
    """
    inner = ctx if ctx >= _CONDITIONAL else _CONDITIONAL
    body_ctx = else_ctx = inner
    if kind is ast.If:
        guard = _type_checking_guard(node.test, guard_names)
        if guard > 0:
            body_ctx = _TYPE_CHECKING
        elif guard < 0:
            else_ctx = _TYPE_CHECKING
    return {"body": body_ctx, "handlers": body_ctx, "finalbody": body_ctx, "cases": body_ctx,
            "orelse": else_ctx}


def _type_checking_guard(test: ast.AST, names: frozenset[str]) -> int:
    """``1`` when an ``if``'s body runs only for type checkers, ``-1`` when its ``else`` does, else 0.

    ``TYPE_CHECKING`` (or a module-level alias of it, in ``names``) and
    ``anything.TYPE_CHECKING`` are true only for type checkers; ``not`` swaps the branches;
    ``A and B`` guards its body when one operand does, ``A or B`` its ``else`` when one
    operand guards an ``else``.
    """
    kind = type(test)
    if kind is ast.Name:
        return 1 if test.id in names else 0
    if kind is ast.Attribute:
        return 1 if test.attr == "TYPE_CHECKING" else 0
    if kind is ast.UnaryOp and type(test.op) is ast.Not:
        return -_type_checking_guard(test.operand, names)
    if kind is ast.BoolOp:
        guards = [_type_checking_guard(v, names) for v in test.values]
        if type(test.op) is ast.And:
            return 1 if 1 in guards else 0
        return -1 if -1 in guards else 0
    return 0
