"""Go: functions, methods (owned by their receiver type), struct / interface / named types.

Go has no inheritance; the nearest thing the language states is embedding, so the embedded
fields of a struct and the embedded interfaces of an interface are reported as its bases.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import DefRule, LanguageSpec, clean_type, line_of, string_value, text

_TYPE_KINDS = {"struct_type": "struct", "interface_type": "interface"}


def _method_name(node: Node) -> str | None:
    name = text(node.child_by_field_name("name"))
    receiver = node.child_by_field_name("receiver")
    owner = ""
    if receiver is not None:
        for param in receiver.named_children:
            if param.type == "parameter_declaration":
                owner = clean_type(text(param.child_by_field_name("type")))
                break
    owner = owner.rsplit(".", 1)[-1]
    return f"{owner}.{name}" if owner and name else name or None


def _type_kind(node: Node) -> str:
    body = node.child_by_field_name("type")
    return _TYPE_KINDS.get(body.type, "type") if body is not None else "type"


def _embedded(node: Node) -> tuple[str, ...]:
    body = node.child_by_field_name("type")
    if body is None:
        return ()
    out: list[str] = []
    if body.type == "struct_type":
        for fields in body.named_children:
            for decl in fields.named_children:
                if decl.type == "field_declaration" and decl.child_by_field_name("name") is None:
                    out.append(clean_type(text(decl.child_by_field_name("type"))))
    elif body.type == "interface_type":
        for elem in body.named_children:
            if elem.type in ("type_elem", "constraint_elem"):
                out.append(clean_type(text(elem)))
    return tuple(b for b in out if b)


def _imports(node: Node) -> Iterator[ImportRef]:
    specs: list[Node] = []
    for child in node.named_children:
        if child.type == "import_spec":
            specs.append(child)
        elif child.type == "import_spec_list":
            specs.extend(c for c in child.named_children if c.type == "import_spec")
    for spec in specs:
        target = string_value(spec.child_by_field_name("path"))
        if target:
            alias = spec.child_by_field_name("name")
            yield ImportRef(target=target, line=line_of(spec),
                            names=(text(alias),) if alias is not None else ())


def _package(node: Node) -> str | None:
    for child in node.named_children:
        if child.type == "package_identifier":
            return text(child)
    return None


def _function_variable(node: Node) -> str | None:
    """``var Handler = func(...) {...}``: one name bound to a function literal."""
    names = [c for c in node.children_by_field_name("name")]
    value = node.child_by_field_name("value")
    if len(names) != 1 or value is None or value.named_child_count != 1:
        return None
    return "function" if value.named_child(0).type == "func_literal" else None


GO = LanguageSpec(
    name="go",
    definitions={
        "function_declaration": DefRule("function"),
        "method_declaration": DefRule("function", name=_method_name),
        "type_spec": DefRule("type", refine=_type_kind, bases=_embedded),
        "var_spec": DefRule("function", refine=_function_variable),
    },
    decisions=frozenset({"if_statement", "for_statement"}),
    cases=frozenset({"expression_case", "type_case", "communication_case"}),
    binary=frozenset({"binary_expression"}),
    imports={"import_declaration": _imports},
    calls={"call_expression": "arguments"},
    package={"package_clause": _package},
)
