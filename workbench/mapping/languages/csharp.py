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
