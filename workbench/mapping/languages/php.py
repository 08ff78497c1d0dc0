"""PHP: classes, interfaces, traits, enums, functions and methods; ``use`` of namespaced
names and ``require`` / ``include`` of files.

A path built as ``__DIR__ . '/x.php'`` (or ``dirname(__FILE__) . ...``) is reported as
``./x.php`` so that it resolves relative to the including file, which is what it means.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import DefRule, LanguageSpec, find_child, line_of, string_value, text, types_in

_INCLUDES = {
    "include_expression": "include",
    "include_once_expression": "include",
    "require_expression": "require",
    "require_once_expression": "require",
}
_STRINGS = frozenset({"string", "encapsed_string"})


def _bases(node: Node) -> tuple[str, ...]:
    out: list[str] = []
    for clause in node.named_children:
        if clause.type in ("base_clause", "class_interface_clause"):
            out.extend(types_in(clause))
    return tuple(out)


def _use(node: Node) -> Iterator[ImportRef]:
    group = node.child_by_field_name("body")
    prefix = text(find_child(node, "namespace_name")) if group is not None else ""
    clauses = [c for c in (group or node).named_children if c.type == "namespace_use_clause"]
    for clause in clauses:
        name = find_child(clause, "qualified_name", "name", "namespace_name")
        if name is None:
            continue
        target = "\\".join(p for p in (prefix, text(name).lstrip("\\")) if p)
        alias = clause.child_by_field_name("alias")
        yield ImportRef(target=target, line=line_of(node),
                        names=(text(alias),) if alias is not None else (), kind="use")


def _is_dir_of_file(node: Node) -> bool:
    value = text(node).replace(" ", "")
    return value in ("__DIR__", "dirname(__FILE__)")


def _include(node: Node) -> Iterator[ImportRef]:
    expression = node.named_child(0) if node.named_child_count else None
    if expression is None:
        return
    while expression.type == "parenthesized_expression" and expression.named_child_count:
        expression = expression.named_child(0)
    target = None
    if expression.type in _STRINGS:
        target = string_value(expression)
    elif expression.type == "binary_expression":
        left = expression.child_by_field_name("left")
        right = expression.child_by_field_name("right")
        if (left is not None and right is not None and right.type in _STRINGS
                and _is_dir_of_file(left)):
            rest = string_value(right) or ""
            target = "." + rest if rest.startswith("/") else "./" + rest
    if target and "$" not in target:
        yield ImportRef(target=target, line=line_of(node), kind=_INCLUDES[node.type])


def _namespace(node: Node) -> str | None:
    return text(node.child_by_field_name("name")) or None


_function = DefRule("function")

PHP = LanguageSpec(
    name="php",
    definitions={
        "class_declaration": DefRule("class", bases=_bases),
        "interface_declaration": DefRule("interface", bases=_bases),
        "trait_declaration": DefRule("trait"),
        "enum_declaration": DefRule("enum", bases=_bases),
        "function_definition": _function,
        "method_declaration": _function,
    },
    decisions=frozenset({
        "if_statement", "else_if_clause", "for_statement", "foreach_statement",
        "while_statement", "do_statement", "catch_clause", "conditional_expression",
    }),
    cases=frozenset({"case_statement", "match_conditional_expression"}),
    binary=frozenset({"binary_expression"}),
    boolean_operators=frozenset({"&&", "||", "and", "or", "xor", "??"}),
    imports={"namespace_use_declaration": _use, **{kind: _include for kind in _INCLUDES}},
    calls={
        "function_call_expression": "arguments",
        "member_call_expression": "arguments",
        "nullsafe_member_call_expression": "arguments",
        "scoped_call_expression": "arguments",
        "object_creation_expression": "arguments",
    },
    package={"namespace_definition": _namespace},
)
