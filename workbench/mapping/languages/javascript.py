"""JavaScript, TypeScript and TSX: one rule table, since the TypeScript grammars extend the
JavaScript one (TS adds interfaces, enums, type aliases, namespaces and ``implements``).

Besides declarations, functions are found where JavaScript code usually writes them:

* assigned to a member: ``app.use = function use() {}`` is ``app.use``,
  ``Foo.prototype.bar = ...`` is ``Foo.bar``, ``this.x = () => ...`` is ``x`` of the
  enclosing scope, ``exports.f = ...`` / ``module.exports.f = ...`` is the top-level ``f``;
* the whole export: ``module.exports = function () {}`` is named by the variable it is
  also bound to (``var proto = module.exports = ...``), else by its own name, else ``exports``;
* members of an object literal bound to a name: ``var o = { f() {}, g: () => 1 }`` gives
  ``o.f`` and ``o.g``; in ``module.exports = { ... }`` the members are top-level names;
* class fields holding a function (``handle = () => {}``) and ``export default function``;
* class expressions bound to a name: ``const Foo = class {}``, ``module.exports = class Foo {}``.

A function assigned to two names at once (``res.set = res.header = function () {}``) is one
definition, ``res.header``; ``extra["aliases"]`` maps the other name to it. What a file
exports is recorded in ``extra["exports"]``: exported name -> the local name it
stands for (``""`` is the CommonJS ``module.exports`` value itself, ``"default"`` the ESM
default export). ``require`` calls and ``import`` statements carry the local names they bind
in :attr:`ImportRef.aliases`, aligned with :attr:`ImportRef.names` (``"*"``: the whole module).
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import (DefRule, LanguageSpec, clean_type, has_token, line_of, string_value,
                   text, types_in)

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
    # a method of a class, or of an object literal bound to a name (see the module docstring)
    parent = node.parent
    if parent is not None and parent.type == "class_body":
        return "function"
    return "function" if _object_member_name(node) is not None else None


def _method_name(node: Node) -> str | None:
    parent = node.parent
    if parent is not None and parent.type == "class_body":
        return text(node.child_by_field_name("name")) or None
    return _object_member_name(node)


def _variable_function(node: Node) -> str | None:
    value = node.child_by_field_name("value")
    name = node.child_by_field_name("name")
    if value is None or name is None or name.type != "identifier":
        return None
    return "function" if value.type in _FUNCTION_VALUES else None


# ------------------------------------------------------------ functions held by members

_EXPORT_HEADS = (("module", "exports"), ("exports",))
#: Deepest object-literal nesting whose functions are named (``a.b.c.f``).
_MAX_OBJECT_NESTING = 16
#: Longest chain of assignments followed (``var app = exports = module.exports = {}``).
_MAX_CHAIN = 8


def _member_path(node: Node | None) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]`` (``this`` kept); None for computed or called parts."""
    parts: list[str] = []
    while node is not None:
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is None or prop.type not in ("property_identifier", "private_property_identifier"):
                return None
            parts.append(text(prop))
            node = node.child_by_field_name("object")
        elif node.type in ("identifier", "this"):
            parts.append(text(node))
            break
        elif node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_child(0)
        else:
            return None
    parts.reverse()
    return parts


def _export_member(parts: list[str]) -> list[str] | None:
    """What follows ``module.exports`` / ``exports`` in ``parts``, or None if neither leads."""
    for head in _EXPORT_HEADS:
        if tuple(parts[: len(head)]) == head:
            return parts[len(head):]
    return None


def _local_path(parts: list[str]) -> str | None:
    """The name a member assignment defines: exports and ``this`` dropped, prototypes folded."""
    rest = _export_member(parts)
    if rest is not None:
        parts = rest
    elif parts and parts[0] == "this":
        parts = parts[1:]
    parts = [p for p in parts if p != "prototype"]
    return ".".join(parts) or None


def _bound_variable(node: Node) -> str | None:
    """``proto`` for the value of ``var proto = module.exports = <node>`` (any chain length)."""
    parent = node.parent
    hops = 0
    while parent is not None and parent.type == "assignment_expression":
        hops += 1
        if hops > _MAX_CHAIN:  # a = b = c = ...: real chains are short, and parents cost
            return None
        parent = parent.parent
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            return text(name)
    return None


def _assigned_name(node: Node) -> str | None:
    """The name a value assigned by ``node`` (an assignment_expression) is known by."""
    parts = _member_path(node.child_by_field_name("left"))
    if not parts:
        return None
    if _export_member(parts) == []:  # the whole export: module.exports = ...
        right = node.child_by_field_name("right")
        own = right.child_by_field_name("name") if right is not None else None
        return _bound_variable(node) or (text(own) if own is not None else "") or "exports"
    return _local_path(parts)


def _assignment_kind(node: Node) -> str | None:
    right = node.child_by_field_name("right")
    if right is None or right.type not in _FUNCTION_VALUES:
        return None
    return "function" if _assigned_name(node) else None


def _object_container(obj: Node) -> str | None:
    """The name an object literal is bound to (``""``: the top level, for module.exports).

    Walks up through enclosing literals (``{ a: { b: ... } }`` is ``a`` inside the outer
    one's name), at most :data:`_MAX_OBJECT_NESTING` of them: finding a parent in tree-sitter
    costs time in proportion to the depth, and a function that deep is data, not an API.
    """
    keys: list[str] = []
    while True:
        if len(keys) > _MAX_OBJECT_NESTING:
            return None
        parent = obj.parent
        if parent is None:
            return None
        if parent.type == "pair" and parent.parent is not None \
                and parent.parent.type == "object":
            key = _key_text(parent.child_by_field_name("key"))
            if key is None:
                return None
            keys.append(key)
            obj = parent.parent
            continue
        break
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        base = text(name) if name is not None and name.type == "identifier" else None
    elif parent.type == "assignment_expression":
        parts = _member_path(parent.child_by_field_name("left"))
        if not parts:
            return None
        base = (_bound_variable(parent) or "") if _export_member(parts) == [] else \
            _local_path(parts)
    else:
        return None
    if base is None:
        return None
    return ".".join([base, *reversed(keys)] if base else reversed(keys))


def _key_text(key: Node | None) -> str | None:
    if key is None:
        return None
    if key.type in ("property_identifier", "identifier", "private_property_identifier"):
        return text(key) or None
    if key.type == "string":
        value = string_value(key)
        return value if value and value.replace("_", "a").replace("$", "a").isalnum() else None
    return None


def _object_member_name(node: Node) -> str | None:
    """``o.f`` for a method or function-valued pair ``f`` of an object literal bound to ``o``."""
    obj = node.parent
    if obj is None or obj.type != "object":
        return None
    key = _key_text(node.child_by_field_name("name" if node.type == "method_definition" else "key"))
    container = _object_container(obj)
    if key is None or container is None:
        return None
    return f"{container}.{key}" if container else key


def _pair_kind(node: Node) -> str | None:
    value = node.child_by_field_name("value")
    if value is None or value.type not in _FUNCTION_VALUES:
        return None
    return "function" if _object_member_name(node) is not None else None


def _field_name(node: Node) -> str | None:
    return _key_text(node.child_by_field_name("property") or node.child_by_field_name("name"))


def _field_kind(node: Node) -> str | None:
    value = node.child_by_field_name("value")
    return "function" if value is not None and value.type in _FUNCTION_VALUES else None


def _class_expression_name(node: Node) -> str | None:
    """``Foo`` for ``const Foo = class {}``, ``module.exports = class Foo {}``, ``x.Foo = class {}``."""
    parent = node.parent
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return text(name) if name is not None and name.type == "identifier" else None
    if parent is not None and parent.type == "assignment_expression":
        parts = _member_path(parent.child_by_field_name("left"))
        if parts and _export_member(parts) == []:
            own = node.child_by_field_name("name")
            return _bound_variable(parent) or (text(own) if own is not None else "exports")
        return _local_path(parts) if parts else None
    if parent is not None and parent.type == "export_statement":
        own = node.child_by_field_name("name")
        return text(own) if own is not None else "default"
    return None


def _default_export_kind(node: Node) -> str | None:
    parent = node.parent
    return "function" if parent is not None and parent.type == "export_statement" else None


def _default_export_name(node: Node) -> str | None:
    own = node.child_by_field_name("name")
    return text(own) if own is not None else "default"


# ------------------------------------------------------------------------------ exports

def _record_export(extra: dict, name: str, local: str) -> None:
    extra.setdefault("exports", {}).setdefault(name, local)


def _value_local(value: Node | None, fallback: str) -> str | None:
    """The local name an exported value stands for: a name, a member path, or a function."""
    if value is None:
        return None
    if value.type in _FUNCTION_VALUES or value.type == "class":
        return fallback
    parts = _member_path(value)
    return _local_path(parts) if parts else None


def _assignment_exports(node: Node, extra: dict) -> None:
    parts = _member_path(node.child_by_field_name("left"))
    inner = node.child_by_field_name("right")
    if parts and inner is not None and inner.type == "assignment_expression" \
            and _assignment_kind(inner):
        # res.set = res.header = function header() {}: one function, two names
        alias, target = _assigned_name(node), _assigned_name(inner)
        if alias and target and alias != target:
            extra.setdefault("aliases", {}).setdefault(alias, target)
    rest = _export_member(parts) if parts else None
    if rest is None:
        return
    right = node.child_by_field_name("right")
    hops = 0
    while right is not None and right.type == "assignment_expression" and hops <= _MAX_CHAIN:
        right = right.child_by_field_name("right")  # exports = module.exports = value
        hops += 1
    if right is None:
        return
    if rest:
        local = _value_local(right, ".".join(rest))
        if local:
            _record_export(extra, rest[0] if len(rest) == 1 else ".".join(rest), local)
        return
    if right.type == "object":
        container = _bound_variable(node)
        if container:
            _record_export(extra, "", container)
            return
        for member in right.named_children:
            if member.type == "shorthand_property_identifier":
                _record_export(extra, text(member), text(member))
            elif member.type in ("pair", "method_definition"):
                key = _key_text(member.child_by_field_name(
                    "key" if member.type == "pair" else "name"))
                if key is None:
                    continue
                local = key if member.type == "method_definition" else _value_local(
                    member.child_by_field_name("value"), key)
                if local:
                    _record_export(extra, key, local)
        return
    local = _value_local(right, _assigned_name(node) or "exports")
    if local:
        _record_export(extra, "", _bound_variable(node) or local)


def _statement_exports(node: Node, extra: dict) -> None:
    if node.child_by_field_name("source") is not None:
        return  # a re-export: an import of the other file (see _export_statement)
    default = has_token(node, "default")
    declaration = node.child_by_field_name("declaration")
    value = node.child_by_field_name("value")
    if declaration is not None:
        if declaration.type in ("lexical_declaration", "variable_declaration"):
            for declarator in declaration.named_children:
                name = declarator.child_by_field_name("name")
                if declarator.type == "variable_declarator" and name is not None \
                        and name.type == "identifier":
                    _record_export(extra, text(name), text(name))
        else:
            name = text(declaration.child_by_field_name("name"))
            if name:
                _record_export(extra, "default" if default else name, name)
    elif not default and value is None and node.named_child_count == 1 and \
            node.named_child(0).type == "identifier":  # TypeScript: export = main
        _record_export(extra, "", text(node.named_child(0)))
    elif default and value is None and (
            anonymous := next((c for c in node.named_children if c.type == "class"), None)):
        _record_export(extra, "default", _class_expression_name(anonymous) or "default")
    elif value is not None and default:
        local = _value_local(value, _default_export_name(value) if value.type in
                             _FUNCTION_VALUES else "default")
        if local:
            _record_export(extra, "default", local)
    for part in node.named_children:
        if part.type == "export_clause":
            for spec in part.named_children:
                if spec.type != "export_specifier":
                    continue
                name = text(spec.child_by_field_name("name"))
                alias = text(spec.child_by_field_name("alias")) or name
                if name:
                    _record_export(extra, alias, name)


def _import_names(clause: Node | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(imported names, local names) of an import clause; ``default`` and ``*`` included."""
    if clause is None:
        return (), ()
    names: list[str] = []
    aliases: list[str] = []
    for part in clause.named_children:
        if part.type == "identifier":
            names.append("default")
            aliases.append(text(part))
        elif part.type == "namespace_import":
            names.append("*")
            local = next((c for c in part.named_children if c.type == "identifier"), None)
            aliases.append(text(local))
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type == "import_specifier":
                    name = text(spec.child_by_field_name("name"))
                    names.append(name)
                    aliases.append(text(spec.child_by_field_name("alias")) or name)
    return tuple(names), tuple(aliases)


def _import_statement(node: Node) -> Iterator[ImportRef]:
    target = string_value(node.child_by_field_name("source"))
    required = next((c for c in node.named_children if c.type == "import_require_clause"), None)
    if required is not None:  # TypeScript: import x = require('m')
        target = string_value(required.child_by_field_name("source"))
        local = next((c for c in required.named_children if c.type == "identifier"), None)
        if target:
            yield ImportRef(target=target, line=line_of(node), kind="require", names=("*",),
                            aliases=(text(local),))
        return
    if target:
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        names, aliases = _import_names(clause)
        yield ImportRef(target=target, line=line_of(node), names=names, aliases=aliases)


def _export_statement(node: Node) -> Iterator[ImportRef]:
    """``export ... from``: names taken from the other file, aliases the names exported."""
    target = string_value(node.child_by_field_name("source"))
    if not target:
        return
    names: list[str] = []
    aliases: list[str] = []
    for part in node.named_children:
        if part.type == "export_clause":
            for spec in part.named_children:
                if spec.type == "export_specifier":
                    name = text(spec.child_by_field_name("name"))
                    names.append(name)
                    aliases.append(text(spec.child_by_field_name("alias")) or name)
        elif part.type == "namespace_export":
            local = next((c for c in part.named_children if c.type in ("identifier", "string")),
                         None)
            names.append("*")
            aliases.append(string_value(local) or "" if local is not None else "")
    if not names:  # export * from './x': every name of x, under its own name
        names.append("*")
        aliases.append("")
    yield ImportRef(target=target, line=line_of(node), names=tuple(names), kind="export",
                    aliases=tuple(aliases))


def _required_bindings(call: Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What ``require(...)`` binds: ``x = require(m)`` -> (*, x); ``x = require(m).y`` -> (y, x);
    ``{a, b: c} = require(m)`` -> ((a, b), (a, c)); nothing bound -> ((), ())."""
    node, taken = call, "*"
    parent = node.parent
    if parent is not None and parent.type == "member_expression":
        prop = parent.child_by_field_name("property")
        if prop is None or prop.type != "property_identifier":
            return (), ()
        node, taken, parent = parent, text(prop), parent.parent
    if parent is None:
        return (), ()
    if parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
    elif parent.type == "assignment_expression" and node == parent.child_by_field_name("right"):
        target = parent.child_by_field_name("left")
    else:
        return (), ()
    if target is None:
        return (), ()
    if target.type == "identifier":
        return (taken,), (text(target),)
    if target.type == "object_pattern" and taken == "*":
        names: list[str] = []
        aliases: list[str] = []
        for part in target.named_children:
            if part.type == "shorthand_property_identifier_pattern":
                names.append(text(part))
                aliases.append(text(part))
            elif part.type == "pair_pattern":
                key = _key_text(part.child_by_field_name("key"))
                value = part.child_by_field_name("value")
                if key and value is not None and value.type == "identifier":
                    names.append(key)
                    aliases.append(text(value))
        return tuple(names), tuple(aliases)
    return (), ()


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
        if which == "require":
            names, aliases = _required_bindings(node)
            yield ImportRef(target=target, line=line_of(node), kind="require", names=names,
                            aliases=aliases)
        else:
            yield ImportRef(target=target, line=line_of(node), kind="dynamic_import")


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
            "method_definition": DefRule("function", name=_method_name, refine=_method_kind),
            "variable_declarator": DefRule("function", refine=_variable_function),
            "assignment_expression": DefRule("function", name=_assigned_name,
                                             refine=_assignment_kind),
            "pair": DefRule("function", name=_object_member_name, refine=_pair_kind),
            "field_definition": DefRule("function", name=_field_name, refine=_field_kind),
            "public_field_definition": DefRule("function", name=_field_name, refine=_field_kind),
            "class": DefRule("class", name=_class_expression_name, bases=_class_bases),
            "function_expression": DefRule("function", name=_default_export_name,
                                           refine=_default_export_kind),
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
        calls={"call_expression": "arguments", "new_expression": "arguments"},
        ignored_callees=frozenset({"require", "import"}),
        collect={"assignment_expression": _assignment_exports,
                 "export_statement": _statement_exports},
    )


JAVASCRIPT = _spec("javascript")
TYPESCRIPT = _spec("typescript")
TSX = _spec("tsx")
