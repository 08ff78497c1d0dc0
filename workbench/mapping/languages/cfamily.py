"""C and C++: function definitions (not prototypes), structs / unions / enums / classes with a
body, and ``#include`` lines, split into ``include_local`` (``"x.h"``) and ``include_system``
(``<x.h>``) since the two are looked up differently.

An out-of-line member ``int Widget::draw()`` is reported as method ``Widget.draw`` owned by
``Widget`` (the last scope segment: namespaces are not definitions here).
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import (DefRule, LanguageSpec, clean_type, line_of, parameter_types,
                   string_value, text, types_in)

_NAME_NODES = frozenset({
    "identifier", "field_identifier", "qualified_identifier", "destructor_name",
    "operator_name", "template_function", "type_identifier",
})


def _function_name(node: Node) -> str | None:
    declarator = node.child_by_field_name("declarator")
    # int *(*f)(void), Foo& Foo::operator=(...): walk down the declarator chain
    for _ in range(64):
        if declarator is None or declarator.type in _NAME_NODES:
            break
        declarator = declarator.child_by_field_name("declarator") or (
            declarator.named_child(0) if declarator.named_child_count else None
        )
    if declarator is None or declarator.type not in _NAME_NODES:
        return None
    if declarator.type == "qualified_identifier":
        scope = clean_type(text(declarator.child_by_field_name("scope"))).rsplit("::", 1)[-1]
        name = text(declarator.child_by_field_name("name"))
        name = clean_type(name) if not name.startswith("operator") else name
        return f"{scope}::{name}" if scope else name
    if declarator.type == "template_function":
        return text(declarator.child_by_field_name("name")) or None
    return text(declarator) or None


def _type_name(node: Node) -> str | None:
    if node.child_by_field_name("body") is None:
        return None  # ``struct node *n``: a use, not a definition
    name = node.child_by_field_name("name")
    if name is not None:
        return clean_type(text(name)).rsplit("::", 1)[-1] or None
    parent = node.parent  # typedef struct { ... } pair_t;
    if parent is not None and parent.type == "type_definition":
        return text(parent.child_by_field_name("declarator")) or None
    return None


def _bases(node: Node) -> tuple[str, ...]:
    out: list[str] = []
    for clause in node.named_children:
        if clause.type == "base_class_clause":
            out.extend(types_in(clause, skip=frozenset({"access_specifier", "virtual"})))
    return tuple(out)


def _include(node: Node) -> Iterator[ImportRef]:
    path = node.child_by_field_name("path")
    target = string_value(path)
    if not target:
        return
    kind = "include_system" if path.type == "system_lib_string" else "include_local"
    yield ImportRef(target=target, line=line_of(node), kind=kind)


def _spec(name: str) -> LanguageSpec:
    type_rule = {
        kind: DefRule(kind, name=_type_name, bases=_bases)
        for kind in ("class", "struct", "union", "enum")
    }
    return LanguageSpec(
        signature=parameter_types,
        name=name,
        definitions={
            "function_definition": DefRule("function", name=_function_name),
            "class_specifier": type_rule["class"],
            "struct_specifier": type_rule["struct"],
            "union_specifier": type_rule["union"],
            "enum_specifier": type_rule["enum"],
        },
        decisions=frozenset({
            "if_statement", "for_statement", "for_range_loop", "while_statement",
            "do_statement", "catch_clause", "conditional_expression",
        }),
        cases=frozenset({"case_statement"}),
        binary=frozenset({"binary_expression"}),
        boolean_operators=frozenset({"&&", "||", "and", "or"}),
        imports={"preproc_include": _include},
        calls={"call_expression": "arguments"},
    )


C = _spec("c")
CPP = _spec("cpp")
