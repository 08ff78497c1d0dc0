"""Java and Kotlin: classes, interfaces, enums, records / objects, their methods, the
``package`` declaration and ``import`` statements (static and wildcard ones included)."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import (DefRule, LanguageSpec, clean_type, find_child, has_token,
                   line_of, parameter_types, text, types_in)

_COMMENTS = frozenset({"line_comment", "block_comment"})
_SKIP_IN_TYPES = frozenset({"type_arguments"})


# ------------------------------------------------------------------------------------ Java

def _java_bases(node: Node) -> tuple[str, ...]:
    out: list[str] = []
    superclass = node.child_by_field_name("superclass")
    if superclass is not None:
        out.extend(types_in(superclass, _SKIP_IN_TYPES))
    for clause in node.named_children:
        if clause.type in ("super_interfaces", "extends_interfaces"):
            out.extend(types_in(find_child(clause, "type_list"), _SKIP_IN_TYPES))
    return tuple(out)


def _java_import(node: Node) -> Iterator[ImportRef]:
    path = find_child(node, "scoped_identifier", "identifier")
    if path is None:
        return
    wildcard = find_child(node, "asterisk") is not None
    kind = "static" if has_token(node, "static") else "import"
    yield ImportRef(target=text(path), line=line_of(node), names=("*",) if wildcard else (),
                    kind=kind)


def _java_package(node: Node) -> str | None:
    return text(find_child(node, "scoped_identifier", "identifier")) or None


_java_type = DefRule("class", bases=_java_bases)

JAVA = LanguageSpec(
    signature=parameter_types,
    name="java",
    definitions={
        "class_declaration": _java_type,
        "interface_declaration": DefRule("interface", bases=_java_bases),
        "enum_declaration": DefRule("enum", bases=_java_bases),
        "record_declaration": DefRule("record", bases=_java_bases),
        "annotation_type_declaration": DefRule("interface"),
        "method_declaration": DefRule("function"),
        "constructor_declaration": DefRule("function"),
    },
    decisions=frozenset({
        "if_statement", "for_statement", "enhanced_for_statement", "while_statement",
        "do_statement", "catch_clause", "ternary_expression",
    }),
    cases=frozenset({"switch_label"}),
    binary=frozenset({"binary_expression"}),
    comments=_COMMENTS,
    imports={"import_declaration": _java_import},
    calls={"method_invocation": "arguments", "object_creation_expression": "arguments"},
    package={"package_declaration": _java_package},
)


# ---------------------------------------------------------------------------------- Kotlin

def _kotlin_class_kind(node: Node) -> str:
    if has_token(node, "interface"):
        return "interface"
    modifiers = find_child(node, "modifiers")
    if modifiers is not None and any(
        m.type == "class_modifier" and text(m) == "enum" for m in modifiers.named_children
    ):
        return "enum"
    return "class"


def _kotlin_bases(node: Node) -> tuple[str, ...]:
    specifiers = find_child(node, "delegation_specifiers")
    out: list[str] = []
    for spec in specifiers.named_children if specifiers is not None else ():
        # ``: Base()`` is a constructor invocation, ``: Iface`` a bare type
        target = find_child(spec, "user_type") or find_child(
            find_child(spec, "constructor_invocation", "explicit_delegation"), "user_type"
        )
        if target is not None:
            out.append(clean_type(text(target)))
    return tuple(out)


def _companion_name(node: Node) -> str:
    return text(node.child_by_field_name("name")) or "Companion"


def _kotlin_import(node: Node) -> Iterator[ImportRef]:
    path = find_child(node, "qualified_identifier", "identifier")
    if path is None:
        return
    wildcard = has_token(node, "*")
    yield ImportRef(target=text(path), line=line_of(node), names=("*",) if wildcard else ())


def _kotlin_package(node: Node) -> str | None:
    return text(find_child(node, "qualified_identifier", "identifier")) or None


KOTLIN = LanguageSpec(
    signature=parameter_types,
    name="kotlin",
    definitions={
        "class_declaration": DefRule("class", refine=_kotlin_class_kind, bases=_kotlin_bases),
        "object_declaration": DefRule("object", bases=_kotlin_bases),
        "companion_object": DefRule("object", name=_companion_name, bases=_kotlin_bases),
        "function_declaration": DefRule("function"),
        "secondary_constructor": DefRule("function", name=lambda node: "constructor"),
        "anonymous_initializer": DefRule("function", name=lambda node: "init"),
    },
    decisions=frozenset({
        "if_expression", "for_statement", "while_statement", "do_while_statement",
        "catch_block",
    }),
    cases=frozenset({"when_entry"}),
    binary=frozenset({"binary_expression"}),
    boolean_operators=frozenset({"&&", "||", "?:"}),
    comments=_COMMENTS,
    imports={"import": _kotlin_import},
    calls={"call_expression": "value_arguments"},
    package={"package_header": _kotlin_package},
)
