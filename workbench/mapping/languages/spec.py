"""The table that tells the shared walker what matters in one language's syntax tree.

Every language is described by data, not by its own traversal: which node types define
something (and of what kind), which ones are decision points for cyclomatic complexity,
which ones are comments, imports, calls or the package clause. The few things that need code
(how to read a name, the bases of a class, the targets of an import statement) are small
functions over a single node, built mostly from the helpers at the bottom of this module so
that languages share them instead of copying them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tree_sitter import Node

from ..facts import ImportRef

#: Definition kinds that stand for a type or a container of definitions.
CLASS_KINDS = frozenset(
    {"class", "struct", "interface", "enum", "trait", "module", "object", "record", "type", "union"}
)
#: Definition kinds that have a body of code (and so a complexity).
FUNCTION_KINDS = frozenset({"function", "method"})

NameFn = Callable[[Node], "str | None"]
BasesFn = Callable[[Node], "tuple[str, ...]"]
KindFn = Callable[[Node], "str | None"]
ImportFn = Callable[[Node], "Iterable[ImportRef]"]
TextFn = Callable[[Node], "str | None"]
CollectFn = Callable[[Node, dict], None]


@dataclass(frozen=True)
class DefRule:
    """How one node type becomes a :class:`~workbench.mapping.facts.Definition`.

    ``name`` may return a dotted path (``Server.Start`` for a Go method, ``Widget.draw`` for a
    C++ out-of-line member): the last segment is the name and the rest says which type owns
    it. Returning None skips the node (an anonymous struct used as a parameter type...).
    ``kind`` ``"function"`` becomes ``"method"`` when the function sits in (or names) a type.
    ``refine`` picks the kind from the node itself (Go ``type X struct`` vs ``interface``) and
    may also return None to skip. ``emit=False`` makes a scope only: a Rust ``impl`` block
    gives its methods an owner and its trait to the type, but is no definition itself.
    """

    kind: str
    name: NameFn = None  # type: ignore[assignment]  # filled in __post_init__
    bases: BasesFn | None = None
    refine: KindFn | None = None
    emit: bool = True

    def __post_init__(self) -> None:
        if self.name is None:
            object.__setattr__(self, "name", field_text("name"))


@dataclass(frozen=True)
class LanguageSpec:
    """Everything the walker needs to know about one language."""

    name: str
    definitions: Mapping[str, DefRule]
    #: node types that each add one decision point (if, for, while, catch, ternary...)
    decisions: frozenset[str] = frozenset()
    #: branches of a switch/match/when: one point each unless it is the default branch
    cases: frozenset[str] = frozenset()
    #: binary node types whose operator may be a short-circuit boolean one
    binary: frozenset[str] = frozenset()
    boolean_operators: frozenset[str] = frozenset({"&&", "||"})
    comments: frozenset[str] = frozenset({"comment"})
    imports: Mapping[str, ImportFn] = field(default_factory=dict)
    #: call node type -> field name of its argument list (the callee is the text before it)
    calls: Mapping[str, str] = field(default_factory=dict)
    #: callees that are really imports (``require``) and so are not reported as calls
    ignored_callees: frozenset[str] = frozenset()
    #: node types naming the file's package / namespace
    package: Mapping[str, TextFn] = field(default_factory=dict)
    #: node type -> function recording what the node states into the facts' ``extra`` dict
    #: (a JavaScript file's exports)
    collect: Mapping[str, CollectFn] = field(default_factory=dict)
    #: a function's parameter types, written ``(int,String)``: overloads of one name in one
    #: scope get it appended to their qualname so that each keeps its own node
    signature: TextFn | None = None


# --------------------------------------------------------------------------- node helpers

_WS = re.compile(r"\s+")
_GENERIC = re.compile(r"<[^<>]*>")


def text(node: Node | None) -> str:
    """The source text of ``node`` (decoded leniently), or ``""``."""
    if node is None:
        return ""
    raw = node.text
    return raw.decode("utf-8", "replace") if raw is not None else ""


def clean_type(value: str) -> str:
    """A type as written, without whitespace, generic arguments or pointer/reference marks."""
    value = _WS.sub("", value)
    previous = None
    while previous != value:  # nested generics: Map<K, List<V>>
        previous, value = value, _GENERIC.sub("", value)
    return value.strip("*&?")


def field_text(name: str) -> NameFn:
    """A name function reading the text of the child in field ``name``."""

    def read(node: Node) -> str | None:
        child = node.child_by_field_name(name)
        return text(child) or None if child is not None else None

    return read


def find_child(node: Node | None, *types: str) -> Node | None:
    if node is None:
        return None
    for child in node.named_children:
        if child.type in types:
            return child
    return None


def has_token(node: Node, *tokens: str) -> bool:
    """Whether ``node`` has an anonymous child token spelled as one of ``tokens``."""
    return any(not child.is_named and child.type in tokens for child in node.children)


def types_in(node: Node | None, skip: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The cleaned texts of the named children of ``node`` (a base / interface list)."""
    if node is None:
        return ()
    out = []
    for child in node.named_children:
        if child.type in skip or child.type.endswith("comment"):
            continue
        value = clean_type(text(child))
        if value:
            out.append(value)
    return tuple(out)


def string_value(node: Node | None) -> str | None:
    """The content of a string literal node without its quotes."""
    if node is None:
        return None
    raw = text(node).strip()
    for prefix in ("@", "$"):
        raw = raw.removeprefix(prefix)
    if len(raw) >= 2 and raw[0] in "\"'`<" and raw[-1] in "\"'`>":
        return raw[1:-1]
    return raw or None


def line_of(node: Node) -> int:
    return node.start_point[0] + 1


_PARAMETER_LISTS = frozenset({
    "formal_parameters", "parameter_list", "function_value_parameters", "parameters",
})


def _parameter_list(node: Node) -> Node | None:
    found = node.child_by_field_name("parameters")
    if found is not None:
        return found
    declarator = node.child_by_field_name("declarator")  # C++: int f(int x) { ... }
    for _ in range(16):
        if declarator is None:
            break
        found = declarator.child_by_field_name("parameters")
        if found is not None:
            return found
        declarator = declarator.child_by_field_name("declarator")
    return find_child(node, *_PARAMETER_LISTS)


def parameter_types(node: Node) -> str | None:
    """The parameter types of a function node as ``int,String[]``: whitespace dropped, pointer
    / reference / array marks of a C++ declarator kept; None when there is no parameter list."""
    params = _parameter_list(node)
    if params is None:
        return None
    out: list[str] = []
    previous = None
    for param in params.named_children:
        if param.type.endswith("comment") or param.type in ("attribute_list", "modifiers"):
            continue
        if param.type == "identifier" and previous is not None and previous.type != "parameter":
            continue  # C# ``params int[] rest``: the type and the name sit in the list itself
        previous = param
        kind = param if param.type.endswith("_type") else param.child_by_field_name("type")
        if kind is None:  # Kotlin, Java varargs: a type node beside the name
            kind = next((c for c in param.named_children
                         if c.type.endswith(("type", "type_identifier"))), None)
        written = _WS.sub("", text(kind if kind is not None else param))
        modifiers = [text(c) for c in param.named_children if c.type == "modifier"]
        if modifiers:  # C# ref / out / in change the signature
            written = " ".join(modifiers) + " " + written
        declarator = param.child_by_field_name("declarator")
        if declarator is not None and declarator.type != "identifier":
            written += "".join(ch for ch in text(declarator) if ch in "*&[]")
        if param.type in ("spread_parameter", "variadic_parameter_declaration") or \
                has_token(param, "..."):
            written += "..."
        out.append(written)
    return ",".join(out)
