"""Python syntax newer than the running interpreter, located with tree-sitter's Python grammar.

The map must not depend on which Python runs the workbench. The standard ``ast`` module only
knows the grammar of its own interpreter, so a file written for a newer Python (PEP 695 type
parameters ``class Box[T](Base)``, ``def f[T]()``, ``type Pair[K] = ...``; PEP 701 f-strings
that nest quotes, hold backslashes, comments or line breaks; PEP 696 type parameter
defaults; 3.14's template strings and ``except A, B:``) is a syntax error to it. The
tree-sitter Python grammar (https://github.com/tree-sitter/tree-sitter-python, a compiled
wheel) reads all of these; it is an error-tolerant, iterative C parser, so hostile input
cannot crash or hang it.

:func:`older_source` uses it only to find those constructs and rewrites each into syntax
the running ``ast`` accepts, keeping every line where it was, so the same walker produces
the facts it produces under the newer interpreter (a test compares them with Python 3.13):

* type parameters of a class or function are dropped (the walker never looks into them);
  line breaks inside them move into the parentheses that follow;
* ``type Name[K: bound = default] = value`` becomes ``Name = ((K, bound, default), value)``,
  so the calls in the value, the bounds and the defaults are still seen, in the same order;
* an f-string or t-string this interpreter cannot parse (or an implicit concatenation that
  holds one) becomes the tuple of its replacement fields (format specs' fields included),
  each on its original line;
* ``except A, B:`` becomes ``except (A, B):``.

Only called when ``ast.parse`` has failed, so files of the interpreter's own grammar never
pay for it. The rewritten text is parsed by ``ast`` again: whatever it still rejects is
reported as the syntax error it is.
"""

from __future__ import annotations

import ast
import bisect
import io
import tokenize

_STRINGS = frozenset({"string", "concatenated_string"})
_EXCEPTS = frozenset({"except_clause", "except_group_clause"})
_NOT_EXPRESSIONS = frozenset({"type_conversion", "format_specifier", "comment"})


_LANGUAGE = None


def _parser():
    """A fresh parser (parsers are not shared between threads) of the cached grammar."""
    global _LANGUAGE
    from tree_sitter import Language, Parser

    if _LANGUAGE is None:
        import tree_sitter_python

        _LANGUAGE = Language(tree_sitter_python.language())
    return Parser(_LANGUAGE)


def older_source(data: bytes) -> bytes | None:
    """The source rewritten into this interpreter's grammar, lines kept; None when there is
    nothing newer to rewrite, or the file has errors outside type parameter lists (which the
    grammar reads as errors only because it predates PEP 696 defaults)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    tree = _parser().parse(data)
    rewriter = _Rewriter(data)
    if not rewriter.collect(tree.root_node):
        return None
    return rewriter.render(0, len(data))


class _Rewriter:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0]
        for i, byte in enumerate(data):  # Python's line breaks: \n, \r\n, \r
            if byte == 10 or (byte == 13 and data[i + 1:i + 2] != b"\n"):
                self.starts.append(i + 1)
        self.edits: list[tuple[int, int, object]] = []  # (start, end, bytes or callable)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    # -- rendering ---------------------------------------------------------------------------
    def render(self, start: int, end: int) -> bytes:
        """Bytes of ``[start, end)`` with the outermost rewrites inside it applied."""
        out, at, last_end = [], start, -1
        # insertions before replacements at one offset; of nested replacements, the outermost
        for s, e, r in sorted(self.edits, key=lambda x: (x[0], x[0] != x[1], -x[1])):
            if s >= start and e <= end and s >= last_end and s >= at:
                out.append(self.data[at:s])
                out.append(r(self) if callable(r) else r)
                at = last_end = e
        out.append(self.data[at:end])
        return b"".join(out)

    def placed(self, at_line: int, parts: list[tuple[int, int]], end_line: int) -> bytes:
        """Rendered ``parts`` joined by commas, each on its original line, then line breaks
        up to ``end_line``."""
        out, line = [], at_line
        for s, e in parts:
            out.append(b"\n" * max(0, self.line(s) - line))
            out.append(self.render(s, e) + b",")
            line = max(line, self.line(e))
        out.append(b"\n" * max(0, end_line - line))
        return b"".join(out)

    # -- what to rewrite ---------------------------------------------------------------------
    def collect(self, root) -> bool:
        """Find the rewrites; False when the tree has errors they would not explain."""
        params: list[tuple[int, int]] = []
        errors: list[int] = []
        stack = [root]
        while stack:  # iterative: deep nesting cannot exhaust the stack
            node = stack.pop()
            kind = node.type
            if node.is_error or node.is_missing:
                errors.append(node.start_byte)
                continue
            if kind in ("class_definition", "function_definition"):
                tp = node.child_by_field_name("type_parameters")
                if tp is not None:
                    params.append((tp.start_byte, tp.end_byte))
                    self._drop_type_parameters(tp)
            elif kind == "type_alias_statement":
                self._type_alias(node, params)
            elif kind in _STRINGS:
                self._string(node)
            elif kind in _EXCEPTS:
                self._bare_tuple(node)
            stack.extend(reversed(node.children))
        if any(not any(s <= at < e for s, e in params) for at in errors):
            return False
        return bool(self.edits)

    def _drop_type_parameters(self, tp) -> None:
        s, e = tp.start_byte, tp.end_byte
        breaks = b"\n" * (self.line(e) - self.line(s))
        after = e
        while after < len(self.data) and self.data[after] in b" \t\\\f":
            after += 1
        if self.data[after:after + 1] == b"(":
            self.edits.append((s, e, b""))
            self.edits.append((after + 1, after + 1, breaks))
        else:  # a class without bases: `class A[T]:` -> `class A():`
            self.edits.append((s, e, b"(" + breaks + b")"))

    def _type_alias(self, node, params: list) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        name, tp = left, None
        generic = left.named_children[0] if left.named_children else None
        if generic is not None and generic.type == "generic_type":
            name = generic.named_children[0]
            tp = next((c for c in generic.named_children if c.type == "type_parameter"), None)
        head = self.data[name.start_byte:name.end_byte]
        if tp is not None:
            params.append((tp.start_byte, tp.end_byte))
            inner = _params_as_values(self.data[tp.start_byte + 1:tp.end_byte - 1])
            between = self.data[tp.end_byte:right.start_byte]
        else:
            inner, between = b"", self.data[left.end_byte:right.start_byte]
        lead = b"\n" * (self.line(name.start_byte) - self.line(node.start_byte))
        s, e = node.start_byte, right.end_byte
        self.edits.append((s, e, lambda r: lead + head + b" = ((" + inner + b")," +
                           b"\n" * between.count(b"\n") + r.render(right.start_byte, e) + b")"))

    def _string(self, node) -> None:
        if node.has_error:
            return
        pieces = node.named_children if node.type == "concatenated_string" else [node]
        if not any(self._prefix(p) & {"f", "t"} for p in pieces):
            return
        try:
            ast.parse(self.data[node.start_byte:node.end_byte], mode="eval")
            return  # this interpreter reads it as written
        except (SyntaxError, ValueError):
            pass
        parts = [span for p in pieces for span in _fields(p)]
        s, e = node.start_byte, node.end_byte
        first, last = self.line(s), self.line(e)
        self.edits.append((s, e, lambda r: b"(" + r.placed(first, parts, last) + b")"))

    def _prefix(self, piece) -> set[str]:
        start = piece.children[0] if piece.children else None
        if start is None or start.type != "string_start":
            return set()
        return set(self.data[start.start_byte:start.end_byte].decode("ascii", "replace").lower())

    def _bare_tuple(self, node) -> None:
        """``except A, B:`` (3.14): parenthesise the types."""
        children = node.children
        commas = [c for c in children if c.type == ","]
        if not commas:
            return
        colon = next((c for c in children if c.type == ":"), None)
        exprs = [c for c in children if c.is_named and c.type not in ("block", "comment")
                 and (colon is None or c.end_byte <= colon.start_byte)]
        if exprs:
            self.edits.append((exprs[0].start_byte, exprs[0].start_byte, b"("))
            self.edits.append((exprs[-1].end_byte, exprs[-1].end_byte, b")"))


def _fields(string) -> list[tuple[int, int]]:
    """Spans of the expressions of a string's replacement fields, format specs' included,
    in source order."""
    spans = []
    for child in string.named_children:
        if child.type in ("interpolation", "format_expression"):
            expr = next((c for c in child.named_children if c.type not in _NOT_EXPRESSIONS), None)
            if expr is not None:
                spans.append((expr.start_byte, expr.end_byte))
            for spec in child.named_children:
                if spec.type == "format_specifier":
                    spans.extend(_fields(spec))
    return spans


def _params_as_values(inner: bytes) -> bytes:
    """``K: bound = default, *Ts, **P`` as ``K, bound , default, *Ts,   P``: every name,
    bound and default an element of a tuple, at the same offsets."""
    text = inner.decode("utf-8", "replace")
    out = list(text)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    depth, element_start = 0, True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.OP:
                if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                    element_start = False
                continue
            at = starts[tok.start[0] - 1] + tok.start[1]
            if tok.string in "([{":
                depth += 1
            elif tok.string in ")]}":
                depth -= 1
            elif depth == 0 and tok.string in (":", "=", ","):
                out[at] = ","
                element_start = True
                continue
            elif depth == 0 and element_start and tok.string == "**":
                out[at:at + 2] = "  "
            element_start = False
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return b""
    return "".join(out).encode("utf-8")
