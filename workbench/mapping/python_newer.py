"""Python syntax newer than the running interpreter, read with LibCST's grammar.

The map must not depend on which Python runs the workbench. The standard ``ast`` module only
knows the grammar of its own interpreter, so a file written for a newer Python (PEP 695 type
parameters ``class Box[T](Base)``, ``def f[T]()``, ``type Pair[K] = ...``; PEP 701 f-strings
that nest quotes, hold backslashes, comments or line breaks; PEP 696 type parameter
defaults; template strings and ``except A, B:`` of 3.14) is a syntax error to it. LibCST
(https://github.com/Instagram/LibCST) parses every grammar from Python 3.0 to the newest.

:func:`older_source` uses LibCST only to find those constructs and rewrites each into
syntax the running ``ast`` accepts, keeping every line where it was, so the same walker
produces the same facts it would produce under the newer interpreter:

* type parameters of a class or function are dropped (the walker never looks into them);
  line breaks inside them move into the parentheses that follow;
* ``type Name[params] = value`` becomes ``Name = (bound, default, ..., value)``, so the calls
  in the value and in the parameters' bounds and defaults are still seen, in the same order;
* an f-string or t-string this interpreter cannot parse (or an implicit concatenation that
  holds one) becomes the tuple of its replacement fields (format specs' fields included),
  each on its original line;
* ``except A, B:`` becomes ``except (A, B):``.

Only called when ``ast.parse`` has failed, so files of the interpreter's own grammar never
pay for it.
"""

from __future__ import annotations

import ast


def older_source(data: bytes) -> str | None:
    """The source rewritten into this interpreter's grammar, lines kept; None when LibCST
    cannot parse it either (a real syntax error) or it holds nothing to rewrite."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        module = cst.parse_module(data)
        text = data.decode(module.encoding)
    except Exception:  # LibCST's ParserSyntaxError, and undecodable text
        return None
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return _Rewriter(cst, text, positions).run(module)


def _line_starts(text: str) -> list[int]:
    """Offsets where each line begins, with Python's line breaks (``\\n``, ``\\r\\n``, ``\\r``)."""
    starts = [0]
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\r":
            if i + 1 < n and text[i + 1] == "\n":
                i += 1
            starts.append(i + 1)
        elif ch == "\n":
            starts.append(i + 1)
        i += 1
    return starts


class _Rewriter:
    def __init__(self, cst, text: str, positions) -> None:
        self.cst = cst
        self.text = text
        self.positions = positions
        self.starts = _line_starts(text)
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement), outermost only

    def run(self, module) -> str | None:
        self._collect(module)
        if not self.edits:
            return None
        return self.render(0, len(self.text))

    # -- positions ---------------------------------------------------------------------------
    def span(self, node) -> tuple[int, int]:
        r = self.positions[node]
        return (self.starts[r.start.line - 1] + r.start.column,
                self.starts[r.end.line - 1] + r.end.column)

    def line(self, offset: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:  # last line start <= offset
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def render(self, start: int, end: int) -> str:
        """Text of ``[start, end)`` with the rewrites that fall inside it applied."""
        out, at = [], start
        for s, e, replacement in self._edits_within(start, end):
            out.append(self.text[at:s])
            out.append(replacement(self) if callable(replacement) else replacement)
            at = e
        out.append(self.text[at:end])
        return "".join(out)

    def _edits_within(self, start: int, end: int):
        chosen, last_end = [], -1
        # insertions before replacements at one offset; of nested replacements, the outermost
        for s, e, r in sorted(self.edits, key=lambda x: (x[0], x[0] != x[1], -x[1])):
            if s >= start and e <= end and s >= last_end:
                chosen.append((s, e, r))
                last_end = e
        return chosen

    def placed(self, at_line: int, parts: list[tuple[int, int]], end_line: int) -> str:
        """Rendered ``parts`` (spans) joined by commas, each starting on its own original line,
        then line breaks up to ``end_line``."""
        out, line = [], at_line
        for s, e in parts:
            target = self.line(s)
            out.append("\n" * max(0, target - line))
            out.append(self.render(s, e) + ",")
            line = max(line, self.line(e))
        out.append("\n" * max(0, end_line - line))
        return "".join(out)

    # -- what to rewrite ---------------------------------------------------------------------
    def _collect(self, module) -> None:
        cst = self.cst
        for node in _walk(module):
            if isinstance(node, (cst.ClassDef, cst.FunctionDef)) and node.type_parameters:
                self._drop_type_parameters(node.type_parameters)
            elif isinstance(node, cst.TypeAlias):
                self._type_alias(node)
            elif isinstance(node, (cst.FormattedString, cst.TemplatedString,
                                   cst.ConcatenatedString)):
                self._string(node)
            elif isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)):
                kind = node.type
                if isinstance(kind, cst.Tuple) and not kind.lpar:
                    s, e = self.span(kind)
                    self.edits.append((s, s, "("))
                    self.edits.append((e, e, ")"))

    def _drop_type_parameters(self, params) -> None:
        s, e = self.span(params)
        breaks = self.line(e) - self.line(s)
        after = e
        while after < len(self.text) and self.text[after] in " \t\\\f":
            after += 1
        if after < len(self.text) and self.text[after] == "(":
            self.edits.append((s, e, ""))
            self.edits.append((after + 1, after + 1, "\n" * breaks))
        else:  # a class without bases: `class A[T]:` -> `class A():`
            self.edits.append((s, e, "(" + "\n" * breaks + ")"))

    def _type_alias(self, node) -> None:
        s, e = self.span(node)[0], self.span(node.value)[1]  # a trailing `;` stays
        parts = []
        if node.type_parameters:
            for param in node.type_parameters.params:
                bound = getattr(param.param, "bound", None)
                for expr in (bound, param.default):
                    if expr is not None:
                        parts.append(self.span(expr))
        parts.append(self.span(node.value))
        name = node.name.value
        start_line, end_line = self.line(s), self.line(e)
        self.edits.append((s, e, lambda r: f"{name} = (" + r.placed(start_line, parts, end_line) + ")"))

    def _string(self, node) -> None:
        s, e = self.span(node)
        try:
            ast.parse(self.text[s:e].strip(), mode="eval")
            return  # this interpreter reads it as written
        except SyntaxError:
            pass
        parts = [self.span(expr) for expr in _fields(self.cst, _pieces(self.cst, node))]
        start_line, end_line = self.line(s), self.line(e)
        self.edits.append((s, e, lambda r: "(" + r.placed(start_line, parts, end_line) + ")"))


def _pieces(cst, node) -> list:
    """The content parts of a string, or of every string an implicit concatenation joins."""
    if isinstance(node, cst.ConcatenatedString):
        return [*_pieces(cst, node.left), *_pieces(cst, node.right)]
    return list(getattr(node, "parts", ()))


def _fields(cst, parts) -> list:
    """The expressions of an f-string's (or t-string's) replacement fields, format specs
    included, in source order."""
    found = []
    for part in parts:
        if isinstance(part, (cst.FormattedStringExpression, cst.TemplatedStringExpression)):
            found.append(part.expression)
            if part.format_spec:
                found.extend(_fields(cst, part.format_spec))
    return found


def _walk(node):
    """Every node below ``node`` (iterative: deeply nested sources cannot exhaust the stack)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
