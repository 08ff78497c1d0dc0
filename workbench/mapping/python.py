"""Python files to :class:`~workbench.mapping.facts.FileFacts`, with the standard ``ast`` module.

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
import io
import tokenize

from .facts import CallRef, Definition, FileFacts, ImportRef

PARSER_NAME = "python-ast"
PARSER_VERSION = 2

_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler,
             ast.Assert, ast.comprehension, ast.match_case)


def parse_python(data: bytes) -> FileFacts:
    """Parse one Python source blob. Never raises for bad input."""
    counts = _line_counts(data)
    try:
        tree = ast.parse(data, type_comments=False)
    except SyntaxError as exc:
        return FileFacts("python", **counts, problem=f"syntax error: {exc.msg} (line {exc.lineno})")
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes, undecodable text
        return FileFacts("python", **counts, problem=f"cannot decode: {exc}")
    except (RecursionError, MemoryError) as exc:
        return FileFacts("python", **counts, problem=f"too deeply nested to parse ({type(exc).__name__})")
    try:
        visitor = _Visitor()
        visitor.visit(tree)
    except (RecursionError, MemoryError) as exc:
        return FileFacts("python", **counts, problem=f"too deeply nested to analyse ({type(exc).__name__})")
    return FileFacts(
        "python",
        **counts,
        definitions=tuple(visitor.definitions),
        imports=tuple(visitor.imports),
        calls=tuple(visitor.calls),
        extra={"docstring": (ast.get_docstring(tree) or "").split("\n\n")[0][:300]},
    )


def _line_counts(data: bytes) -> dict[str, int]:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    blank = sum(1 for line in lines if not line.strip())
    comment_lines: set[int] = set()
    code_lines: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comment_lines.add(tok.start[0])
            elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                  tokenize.DEDENT, tokenize.ENDMARKER):
                code_lines.update(range(tok.start[0], tok.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError, RecursionError, MemoryError):
        return {"lines": len(lines), "code_lines": len(lines) - blank, "comment_lines": 0,
                "blank_lines": blank}
    comment_only = len(comment_lines - code_lines)
    return {"lines": len(lines), "code_lines": len(code_lines), "comment_lines": comment_only,
            "blank_lines": blank}


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


def _complexity(fn: ast.AST) -> int:
    """McCabe complexity: 1 + branch points, not counting nested definitions."""
    score = 1
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, _BRANCHES):
            score += 1
            if isinstance(node, ast.comprehension):
                score += len(node.ifs)
        elif isinstance(node, ast.BoolOp):
            score += len(node.values) - 1
        stack.extend(ast.iter_child_nodes(node))
    return score


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.scope: list[str] = []
        self.definitions: list[Definition] = []
        self.imports: list[ImportRef] = []
        self.calls: list[CallRef] = []

    def _define(self, node, kind: str, bases: tuple[str, ...] = ()) -> None:
        parent = ".".join(self.scope)
        qualname = f"{parent}.{node.name}" if parent else node.name
        self.definitions.append(
            Definition(
                kind=kind,
                name=node.name,
                qualname=qualname,
                line_start=min([node.lineno, *[d.lineno for d in node.decorator_list]]),
                line_end=node.end_lineno or node.lineno,
                parent=parent,
                decorators=tuple(_unparse(d) for d in node.decorator_list),
                bases=bases,
                complexity=_complexity(node) if kind == "function" else None,
            )
        )
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = tuple(_dotted(b) or _unparse(b) for b in node.bases)
        self._define(node, "class", bases)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._define(node, "function")

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.append(ImportRef(target=alias.name, line=node.lineno,
                                          aliases=(alias.asname,) if alias.asname else ()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.imports.append(
            ImportRef(
                target=node.module or "",
                line=node.lineno,
                names=tuple(a.name for a in node.names),
                level=node.level or 0,
                aliases=tuple(a.asname or "" for a in node.names)
                if any(a.asname for a in node.names) else (),
            )
        )

    def visit_Call(self, node: ast.Call) -> None:
        callee = _dotted(node.func)
        if callee is not None:
            self.calls.append(CallRef(caller=".".join(self.scope), callee=callee, line=node.lineno))
        self.generic_visit(node)
