"""Ruby: classes (with their superclass), modules, instance and singleton methods.

Ruby has no import statement: ``require`` / ``require_relative`` / ``load`` are ordinary
method calls, recognised here when they have no receiver and a literal string argument.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import DefRule, LanguageSpec, line_of, string_value, text, types_in

_REQUIRES = {"require": "require", "require_relative": "require_relative", "load": "require"}


def _superclass(node: Node) -> tuple[str, ...]:
    return types_in(node.child_by_field_name("superclass"))


def _require(node: Node) -> Iterator[ImportRef]:
    if node.child_by_field_name("receiver") is not None:
        return
    kind = _REQUIRES.get(text(node.child_by_field_name("method")))
    args = node.child_by_field_name("arguments")
    if kind is None or args is None or not args.named_child_count:
        return
    first = args.named_child(0)
    if first.type != "string" or any(c.type == "interpolation" for c in first.named_children):
        return
    target = string_value(first)
    if target:
        yield ImportRef(target=target, line=line_of(node), kind=kind)


def _defined_method(node: Node) -> str | None:
    """``dyn`` for ``define_method(:dyn) do ... end``: a method named by a literal symbol."""
    if text(node.child_by_field_name("method")) != "define_method":
        return None
    if node.child_by_field_name("block") is None:
        return None
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    if first is None or first.type != "simple_symbol":
        return None
    return text(first).lstrip(":") or None


def _defined_method_kind(node: Node) -> str | None:
    return "function" if _defined_method(node) else None


RUBY = LanguageSpec(
    name="ruby",
    definitions={
        "class": DefRule("class", bases=_superclass),
        "module": DefRule("module"),
        "method": DefRule("function"),
        "singleton_method": DefRule("function"),
        "call": DefRule("function", name=_defined_method, refine=_defined_method_kind),
    },
    decisions=frozenset({
        "if", "elsif", "unless", "while", "until", "for", "if_modifier", "unless_modifier",
        "while_modifier", "until_modifier", "rescue", "rescue_modifier", "conditional",
    }),
    cases=frozenset({"when", "in_clause"}),
    binary=frozenset({"binary"}),
    boolean_operators=frozenset({"&&", "||", "and", "or"}),
    imports={"call": _require},
    calls={"call": "arguments"},
    ignored_callees=frozenset(_REQUIRES),
)
