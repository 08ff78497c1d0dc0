"""JavaScript, TypeScript and TSX: one rule table, since the TypeScript grammars extend the
JavaScript one (TS adds interfaces, enums, type aliases, namespaces and ``implements``)."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import DefRule, LanguageSpec, clean_type, line_of, string_value, text, types_in

_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)


def _class_bases(node: Node) -> tuple[str, ...]:
    out: list[str] = []
    for heritage in node.named_children:
        if heritage.type != "class_heritage":
            continue
        for clause in heritage.named_children:
            if clause.type in ("extends_clause", "implements_clause"):
                out.extend(types_in(clause, skip=frozenset({"type_arguments"})))
            else:  # plain JavaScript: ``class A extends B`` has the expression directly
                out.append(clean_type(text(clause)))
    return tuple(b for b in out if b)


def _interface_bases(node: Node) -> tuple[str, ...]:
    out: list[str] = []
    for clause in node.named_children:
        if clause.type == "extends_type_clause":
            out.extend(types_in(clause, skip=frozenset({"type_arguments"})))
    return tuple(out)


def _method_kind(node: Node) -> str | None:
    # object-literal methods are values, not members of a declared type
    parent = node.parent
    return "function" if parent is not None and parent.type == "class_body" else None


def _variable_function(node: Node) -> str | None:
    value = node.child_by_field_name("value")
    name = node.child_by_field_name("name")
    if value is None or name is None or name.type != "identifier":
        return None
    return "function" if value.type in _FUNCTION_VALUES else None


def _import_names(clause: Node | None) -> tuple[str, ...]:
    if clause is None:
        return ()
    names: list[str] = []
    for part in clause.named_children:
        if part.type == "identifier":
            names.append("default")
        elif part.type == "namespace_import":
            names.append("*")
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type == "import_specifier":
                    names.append(text(spec.child_by_field_name("name")))
    return tuple(names)


def _import_statement(node: Node) -> Iterator[ImportRef]:
    target = string_value(node.child_by_field_name("source"))
    if target:
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        yield ImportRef(target=target, line=line_of(node), names=_import_names(clause))


def _export_statement(node: Node) -> Iterator[ImportRef]:
    target = string_value(node.child_by_field_name("source"))
    if not target:
        return
    names: list[str] = []
    for part in node.named_children:
        if part.type == "export_clause":
            names.extend(text(s.child_by_field_name("name")) for s in part.named_children
                         if s.type == "export_specifier")
        elif part.type == "namespace_export":
            names.append("*")
    if not names:
        names.append("*")
    yield ImportRef(target=target, line=line_of(node), names=tuple(names), kind="export")


def _call_import(node: Node) -> Iterator[ImportRef]:
    function = node.child_by_field_name("function")
    if function is None or function.type not in ("identifier", "import"):
        return
    which = text(function)
    if which not in ("require", "import"):
        return
    args = node.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    if first is None or first.type not in ("string", "template_string"):
        return
    target = string_value(first)
    if target and "${" not in target:
        kind = "require" if which == "require" else "dynamic_import"
        yield ImportRef(target=target, line=line_of(node), kind=kind)


def _spec(name: str) -> LanguageSpec:
    class_rule = DefRule("class", bases=_class_bases)
    function_rule = DefRule("function")
    return LanguageSpec(
        name=name,
        definitions={
            "class_declaration": class_rule,
            "abstract_class_declaration": class_rule,
            "function_declaration": function_rule,
            "generator_function_declaration": function_rule,
            "method_definition": DefRule("function", refine=_method_kind),
            "variable_declarator": DefRule("function", refine=_variable_function),
            "interface_declaration": DefRule("interface", bases=_interface_bases),
            "enum_declaration": DefRule("enum"),
            "type_alias_declaration": DefRule("type"),
            "internal_module": DefRule("module"),
        },
        decisions=frozenset({
            "if_statement", "for_statement", "for_in_statement", "while_statement",
            "do_statement", "catch_clause", "ternary_expression",
        }),
        cases=frozenset({"switch_case"}),
        binary=frozenset({"binary_expression"}),
        boolean_operators=frozenset({"&&", "||", "??"}),
        comments=frozenset({"comment", "html_comment"}),
        imports={
            "import_statement": _import_statement,
            "export_statement": _export_statement,
            "call_expression": _call_import,
        },
        calls={"call_expression": "arguments"},
        ignored_callees=frozenset({"require", "import"}),
    )


JAVASCRIPT = _spec("javascript")
TYPESCRIPT = _spec("typescript")
TSX = _spec("tsx")
