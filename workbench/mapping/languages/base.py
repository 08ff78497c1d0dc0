"""The shared walker: one pass over a tree-sitter tree turns it into :class:`FileFacts`.

The walk is iterative (a tree cursor plus a depth counter), never recursive, so a file with
thousands of nested brackets cannot exhaust Python's stack. Scopes are tracked as a stack of
frames tagged with the depth of their node: entering a node at depth ``d`` closes every frame
at depth ``>= d``, which is all the bookkeeping a pre-order walk needs.

Parsing never raises for bad input. tree-sitter recovers from syntax errors, so the facts
of a broken file hold what was recognised and ``problem`` names the lines with errors.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from tree_sitter import Node

from ..facts import CallRef, Definition, FileFacts, ImportRef
from .registry import get_parser, get_spec
from .spec import CLASS_KINDS, FUNCTION_KINDS, DefRule, LanguageSpec

#: How many syntax error lines ``problem`` names before it stops counting.
_MAX_ERROR_LINES = 5
#: Longest callee expression kept for a call site.
_MAX_CALLEE = 120
#: Branch keywords that mark the default arm of a switch/when/case.
_DEFAULT_TOKENS = frozenset({"default", "else"})
#: Deepest syntax level where definitions and collected facts are read. tree-sitter finds a
#: node's parent by walking down from the root, so a rule that looks at parents costs time in
#: proportion to the depth; real code sits far above this level, hostile nesting below it.
_MAX_RULE_DEPTH = 256
#: Kinds whose functions are methods; functions of a module / namespace stay functions.
_METHOD_OWNERS = CLASS_KINDS - {"module"}


@dataclass
class _Frame:
    depth: int
    qualname: str
    kind: str
    record: dict | None  # the definition being built, None for scope-only frames


@dataclass
class _Collector:
    """Mutable state of one walk; turned into frozen facts at the end."""

    spec: LanguageSpec
    frames: list[_Frame] = field(default_factory=list)
    definitions: list[dict] = field(default_factory=list)
    imports: list[ImportRef] = field(default_factory=list)
    calls: list[CallRef] = field(default_factory=list)
    comments: list[tuple[int, int]] = field(default_factory=list)
    error_lines: set[int] = field(default_factory=set)
    extra: dict = field(default_factory=dict)
    # id(definition record) -> parameter types, for languages with overloading
    signatures: dict[int, str | None] = field(default_factory=dict)
    # type qualname -> bases stated elsewhere (Rust ``impl Trait for Type``)
    implemented: dict[str, list[str]] = field(default_factory=dict)
    failure: str | None = None

    def function_frame(self) -> _Frame | None:
        for frame in reversed(self.frames):
            if frame.kind in FUNCTION_KINDS:
                return frame
        return None


def parse_source(language: str, data: bytes) -> FileFacts:
    """Parse ``data`` as ``language`` and report what it defines, imports and calls.

    Never raises for any content: syntax errors yield partial facts with ``problem`` set.
    Raises ``ValueError`` only for a language that is not supported.
    """
    spec = get_spec(language)
    parser = get_parser(language)
    try:
        tree = parser.parse(data)
    except Exception as exc:  # pragma: no cover - tree-sitter does not raise on content
        lines, code, comment, blank = count_lines(data, [])
        return FileFacts(language=language, lines=lines, code_lines=code, comment_lines=comment,
                         blank_lines=blank, problem=f"parser failed: {type(exc).__name__}")
    root = tree.root_node
    state = _Collector(spec)
    _walk(root, state, track_errors=root.has_error)
    lines, code, comment, blank = count_lines(data, state.comments)
    problem = None
    if root.has_error:
        problem = _describe_errors(state.error_lines or _innermost_errors(root))
    if state.failure is not None:
        note = f"extraction skipped a node: {state.failure}"
        problem = f"{problem}; {note}" if problem else note
    definitions = _finish_definitions(state)
    calls = _overloaded_callers(state)  # after the overloads got their names
    return FileFacts(
        language=language,
        lines=lines,
        code_lines=code,
        comment_lines=comment,
        blank_lines=blank,
        definitions=definitions,
        imports=tuple(state.imports),
        calls=tuple(calls),
        problem=problem,
        extra=state.extra,
    )


def _walk(root: Node, state: _Collector, track_errors: bool) -> None:
    spec = state.spec
    definitions, decisions, cases = spec.definitions, spec.decisions, spec.cases
    binary = spec.binary
    comments, imports, calls, package = spec.comments, spec.imports, spec.calls, spec.package
    collect = spec.collect
    frames = state.frames
    cursor = root.walk()
    depth = 0
    while True:
        node = cursor.node
        kind = node.type
        while frames and frames[-1].depth >= depth:
            frames.pop()
        descend = True
        if track_errors and (node.is_error or node.is_missing):
            state.error_lines.add(node.start_point[0] + 1)
        if kind in comments:
            state.comments.append((node.start_byte, node.end_byte))
            descend = False
        elif node.is_named:  # keywords share names with nodes in some grammars (Ruby ``if``)
            try:
                rule = definitions.get(kind) if depth <= _MAX_RULE_DEPTH else None
                if rule is not None:
                    _define(node, rule, depth, state)
                if kind in decisions or (kind in cases and not _is_default(node)) or (
                    kind in binary and _is_boolean(node, spec.boolean_operators)
                ):
                    frame = state.function_frame()
                    if frame is not None and frame.record is not None:
                        frame.record["complexity"] += 1
                handler = imports.get(kind)
                if handler is not None:
                    state.imports.extend(handler(node))
                args_field = calls.get(kind)
                if args_field is not None:
                    _call(node, args_field, state)
                collector = collect.get(kind) if depth <= _MAX_RULE_DEPTH else None
                if collector is not None:
                    collector(node, state.extra)
                reader = package.get(kind)
                if reader is not None and "package" not in state.extra:
                    value = reader(node)
                    if value:
                        state.extra["package"] = value
            except Exception as exc:  # a rule tripped on an odd (recovered) tree: skip node
                if state.failure is None:
                    state.failure = f"{type(exc).__name__} at line {node.start_point[0] + 1}"
        if descend and cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
            depth -= 1


def _define(node: Node, rule: DefRule, depth: int, state: _Collector) -> None:
    kind = rule.refine(node) if rule.refine is not None else rule.kind
    if kind is None:
        return
    written = rule.name(node)
    if not written:
        return
    written = written.replace("::", ".")
    owner, _, name = written.rpartition(".")
    enclosing = state.frames[-1].qualname if state.frames else ""
    parent = ".".join(part for part in (enclosing, owner) if part)
    qualname = f"{parent}.{name}" if parent else name
    if kind == "function" and (owner or (state.frames and state.frames[-1].kind in _METHOD_OWNERS)):
        kind = "method"
    bases = rule.bases(node) if rule.bases is not None else ()
    if not rule.emit:
        if bases:
            state.implemented.setdefault(qualname, []).extend(bases)
        # a scope: its children are owned by the type it names
        state.frames.append(_Frame(depth, qualname, "class", None))
        return
    record = dict(kind=kind, name=name, qualname=qualname, parent=parent,
                  line_start=node.start_point[0] + 1, line_end=_last_line(node),
                  bases=tuple(bases), complexity=1 if kind in FUNCTION_KINDS else None)
    if kind in FUNCTION_KINDS and state.spec.signature is not None:
        state.signatures[id(record)] = state.spec.signature(node)
    state.definitions.append(record)
    state.frames.append(_Frame(depth, qualname, kind, record))


def _split_overloads(state: _Collector) -> None:
    """Give each overload of a function name its own qualname: ``Widget.draw(int,String)``.

    Only names defined more than once in one scope change; a definition nested in an overload
    (a local class, a lambda assigned to a name) follows its owner's new name, and so do the
    callers of the calls made inside it. Overloads whose parameter types read the same (C
    preprocessor variants) are numbered instead: ``f``, ``f#2``.
    """
    records = state.definitions
    groups: dict[str, list[dict]] = {}
    for record in records:
        if record["kind"] in FUNCTION_KINDS:
            groups.setdefault(record["qualname"], []).append(record)
    renames: list[tuple[str, str, int, int]] = []  # (old, new, first line, last line)
    for qualname, group in groups.items():
        if len(group) < 2:
            continue
        seen: dict[str, int] = {}
        for index, record in enumerate(group):
            signature = state.signatures.get(id(record))
            new = f"{qualname}({signature})" if signature is not None else qualname
            seen[new] = seen.get(new, 0) + 1
            if seen[new] > 1 or (signature is None and index):
                new = f"{new}#{index + 1}"
            if new != qualname:
                renames.append((qualname, new, record["line_start"], record["line_end"]))
                record["qualname"] = new
    if not renames:
        return
    state.extra.setdefault("_renames", renames)
    starts = [record["line_start"] for record in records]  # pre-order: never decreasing
    for old, new, first, last in renames:
        prefix = old + "."
        for index in range(bisect_left(starts, first), bisect_right(starts, last)):
            record = records[index]
            if record["qualname"].startswith(prefix):
                record["qualname"] = new + record["qualname"][len(old):]
            if record["parent"] == old or record["parent"].startswith(prefix):
                record["parent"] = new + record["parent"][len(old):]


def _overloaded_callers(state: _Collector) -> list[CallRef]:
    """The calls with their callers renamed after :func:`_split_overloads`."""
    renames = state.extra.pop("_renames", None)
    if not renames:
        return state.calls
    by_old: dict[str, list[tuple[str, int, int]]] = {}
    for old, new, first, last in renames:
        by_old.setdefault(old, []).append((new, first, last))
    out = []
    for call in state.calls:
        caller = call.caller
        head = caller
        while head and caller == call.caller:  # the caller, then its enclosing names
            for new, first, last in by_old.get(head, ()):
                if first <= call.line <= last:
                    caller = new + caller[len(head):]
                    break
            head = head.rpartition(".")[0]
        out.append(CallRef(caller=caller, callee=call.callee, line=call.line) if caller !=
                   call.caller else call)
    return out


def _finish_definitions(state: _Collector) -> tuple[Definition, ...]:
    _split_overloads(state)
    out = []
    for raw in state.definitions:
        extra_bases = state.implemented.get(raw["qualname"])
        if extra_bases:
            raw["bases"] = tuple(dict.fromkeys((*raw["bases"], *extra_bases)))
        out.append(Definition(**raw))
    return tuple(out)


def _last_line(node: Node) -> int:
    """1-based last line of ``node``; a node ending at column 0 ends on the line before."""
    row, column = node.end_point
    if column == 0 and row > node.start_point[0]:
        return row
    return row + 1


def _is_default(node: Node) -> bool:
    if not node.child_count:
        return False
    first = node.children[0]
    if first.type in _DEFAULT_TOKENS:
        return True
    # Rust / C# ``_ => ...``: the pattern is a lone wildcard
    pattern = node.named_child(0)
    return pattern is not None and pattern.text == b"_"


def _is_boolean(node: Node, operators: frozenset[str]) -> bool:
    operator = node.child_by_field_name("operator")
    if operator is not None:
        return operator.type in operators
    return any(not child.is_named and child.type in operators for child in node.children)


def _call(node: Node, args_field: str, state: _Collector) -> None:
    args = node.child_by_field_name(args_field)
    if args is None:
        args = next((c for c in node.named_children if c.type == args_field), None)
    if args is not None:
        end = args.start_byte
    else:  # no argument list (Ruby ``x.each { }``, Kotlin trailing lambda): end at the name
        head = (node.child_by_field_name("method") or node.child_by_field_name("name")
                or node.child_by_field_name("function") or node.named_child(0))
        end = head.end_byte if head is not None else node.end_byte
    raw = node.text[: end - node.start_byte] if node.text is not None else b""
    callee = " ".join(raw.decode("utf-8", "replace").split())
    if not callee or len(callee) > _MAX_CALLEE:
        callee = callee[:_MAX_CALLEE]
    if not callee or callee in state.spec.ignored_callees:
        return
    frame = state.function_frame()
    state.calls.append(CallRef(caller=frame.qualname if frame else "", callee=callee,
                               line=node.start_point[0] + 1))


#: Every byte to a space except the newline (a table for ``bytes.translate``: C speed).
_BLANK_BUT_NEWLINES = bytes(0x0A if b == 0x0A else 0x20 for b in range(256))


def count_lines(data: bytes, comments: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    """(total, code, comment, blank) line counts; they always add up to the total.

    A comment line holds nothing but comments and whitespace; a blank line only whitespace
    (even inside a block comment); every other line is code.
    """
    if not data:
        return 0, 0, 0, 0
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    total = len(lines)
    blank = sum(1 for line in lines if not line.strip())
    if not comments:
        return total, total - blank, 0, blank
    stripped = bytearray(data)
    for start, end in comments:  # blanked, newlines kept so that line numbers stay put
        stripped[start:end] = data[start:end].translate(_BLANK_BUT_NEWLINES)
    comment = 0
    for before, after in zip(lines, bytes(stripped).split(b"\n")):
        if before.strip() and not after.strip():
            comment += 1
    return total, total - blank - comment, comment, blank


def _innermost_errors(root: Node) -> set[int]:
    """Lines of the innermost nodes flagged ``has_error``.

    Some grammars (Kotlin's external scanner) flag a node as erroneous without any ERROR or
    MISSING node below it; this finds where, following only the flagged branches.
    """
    lines: set[int] = set()
    stack = [root]
    while stack and len(lines) <= _MAX_ERROR_LINES:
        node = stack.pop()
        flagged = [child for child in node.children if child.has_error]
        if flagged:
            stack.extend(reversed(flagged))
        else:
            lines.add(node.start_point[0] + 1)
    return lines


def _describe_errors(lines: set[int]) -> str:
    if not lines:
        return "syntax errors"
    ordered = sorted(lines)
    shown = ", ".join(str(n) for n in ordered[:_MAX_ERROR_LINES])
    more = f" (+{len(ordered) - _MAX_ERROR_LINES} more)" if len(ordered) > _MAX_ERROR_LINES else ""
    noun = "line" if len(ordered) == 1 else "lines"
    return f"syntax errors at {noun} {shown}{more}"
