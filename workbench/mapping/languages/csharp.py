"""C#: types (class, struct, interface, enum, record), their methods and constructors,
local functions, ``using`` directives and the (first) namespace of the file."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import (DefRule, LanguageSpec, find_child, has_token, line_of,
                   parameter_types, text, types_in)


def _bases(node: Node) -> tuple[str, ...]:
    return types_in(find_child(node, "base_list"), skip=frozenset({"argument_list"}))


def _using(node: Node) -> Iterator[ImportRef]:
    alias = node.child_by_field_name("name")
    target = None
    for child in node.named_children:
        if child.type in ("qualified_name", "identifier", "generic_name") and (
            alias is None or child.id != alias.id
        ):
            target = child
    if target is None:
        return
    kind = "static" if has_token(node, "static") else "import"
    yield ImportRef(target=text(target), line=line_of(node),
                    names=(text(alias),) if alias is not None else (), kind=kind)


def _operator_name(node: Node) -> str | None:
    symbol = text(node.child_by_field_name("operator"))
    return f"operator{symbol}" if symbol else None


def _accessor_name(node: Node) -> str | None:
    """``get_Count`` / ``set_Count``: the names the compiler gives a property's accessors."""
    keyword = text(node.child_by_field_name("name")) or (
        node.children[0].type if node.child_count else "")
    owner = node.parent.parent if node.parent is not None else None
    prop = text(owner.child_by_field_name("name")) if owner is not None else ""
    if not keyword or not prop or node.child_by_field_name("body") is None and not any(
            c.type == "arrow_expression_clause" for c in node.named_children):
        return None  # an auto-property { get; set; } has no code of its own
    return f"{keyword}_{prop}"


def _namespace(node: Node) -> str | None:
    return text(node.child_by_field_name("name")) or None


_type = DefRule("class", bases=_bases)
_function = DefRule("function")

CSHARP = LanguageSpec(
    signature=parameter_types,
    name="csharp",
    definitions={
        "class_declaration": _type,
        "struct_declaration": DefRule("struct", bases=_bases),
        "interface_declaration": DefRule("interface", bases=_bases),
        "enum_declaration": DefRule("enum", bases=_bases),
        "record_declaration": DefRule("record", bases=_bases),
        "record_struct_declaration": DefRule("record", bases=_bases),
        "method_declaration": _function,
        "constructor_declaration": _function,
        "destructor_declaration": _function,
        "local_function_statement": _function,
        "operator_declaration": DefRule("function", name=_operator_name),
        "accessor_declaration": DefRule("function", name=_accessor_name),
    },
    decisions=frozenset({
        "if_statement", "for_statement", "foreach_statement", "while_statement",
        "do_statement", "catch_clause", "conditional_expression",
    }),
    cases=frozenset({"switch_section", "switch_expression_arm"}),
    binary=frozenset({"binary_expression"}),
    boolean_operators=frozenset({"&&", "||", "??"}),
    imports={"using_directive": _using},
    calls={"invocation_expression": "arguments", "object_creation_expression": "arguments"},
    package={"namespace_declaration": _namespace,
             "file_scoped_namespace_declaration": _namespace},
)
