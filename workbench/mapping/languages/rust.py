"""Rust: functions, structs, enums, unions, traits, inline modules, and ``impl`` blocks.

An ``impl`` block is a scope, not a definition: the functions inside become methods of the
implemented type, and ``impl Trait for Type`` adds ``Trait`` to the bases of ``Type`` when
that type is defined in the same file (the language states it there, not on the struct).
``use`` trees are flattened to one :class:`ImportRef` per path prefix; ``mod x;`` is an import
of kind ``"mod"`` since it pulls a file into the crate.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from ..facts import ImportRef
from .spec import DefRule, LanguageSpec, clean_type, line_of, text, types_in


def _type_name(node: Node | None) -> str:
    """``Thing`` for ``Thing<T>``, ``a::Thing`` or ``&mut Thing``."""
    if node is None:
        return ""
    value = clean_type(text(node)).lstrip("&").removeprefix("mut").removeprefix("dyn")
    return value.rsplit("::", 1)[-1]


def _impl_name(node: Node) -> str | None:
    return _type_name(node.child_by_field_name("type")) or None


def _impl_trait(node: Node) -> tuple[str, ...]:
    trait = node.child_by_field_name("trait")
    return (_type_name(trait),) if trait is not None else ()


def _trait_bounds(node: Node) -> tuple[str, ...]:
    bounds = node.child_by_field_name("bounds")
    return tuple(b for b in types_in(bounds) if not b.startswith("'"))


def _module_kind(node: Node) -> str | None:
    # ``mod x;`` is a reference to another file (an import); ``mod x { }`` defines a module
    return "module" if node.child_by_field_name("body") is not None else None


def _flatten(node: Node, prefix: str, out: dict[str, list[str]]) -> None:
    """Collect ``prefix -> [names]`` from a use tree, with a stack rather than recursion."""
    stack = [(node, prefix)]
    while stack:
        current, base = stack.pop()
        kind = current.type
        if kind == "scoped_use_list":
            path = text(current.child_by_field_name("path"))
            joined = "::".join(p for p in (base, path) if p)
            items = current.child_by_field_name("list")
            if items is not None:
                stack.append((items, joined))
        elif kind == "use_list":
            for child in reversed(current.named_children):
                stack.append((child, base))
        elif kind == "use_wildcard":
            path = text(current.named_child(0)) if current.named_child_count else ""
            out.setdefault("::".join(p for p in (base, path) if p), []).append("*")
        elif kind == "use_as_clause":
            path = text(current.child_by_field_name("path"))
            _add_path(base, path, out)
        elif kind in ("scoped_identifier", "identifier", "crate", "self", "super"):
            _add_path(base, text(current), out)


def _add_path(base: str, path: str, out: dict[str, list[str]]) -> None:
    if base:
        # an item of a list: ``a::{b, c::d}`` -> a: [b], a::c: [d]
        head, _, last = path.rpartition("::")
        out.setdefault("::".join(p for p in (base, head) if p), []).append(last)
    else:
        out.setdefault(path, [])


def _use(node: Node) -> Iterator[ImportRef]:
    argument = node.child_by_field_name("argument")
    if argument is None:
        return
    groups: dict[str, list[str]] = {}
    _flatten(argument, "", groups)
    for target, names in groups.items():
        if target:
            yield ImportRef(target=target, line=line_of(node), names=tuple(names), kind="use")


def _mod(node: Node) -> Iterator[ImportRef]:
    if node.child_by_field_name("body") is None:
        name = text(node.child_by_field_name("name"))
        if name:
            yield ImportRef(target=name, line=line_of(node), kind="mod")


def _extern_crate(node: Node) -> Iterator[ImportRef]:
    name = text(node.child_by_field_name("name"))
    if name:
        yield ImportRef(target=name, line=line_of(node), kind="extern_crate")


RUST = LanguageSpec(
    name="rust",
    definitions={
        "function_item": DefRule("function"),
        "function_signature_item": DefRule("function"),
        "struct_item": DefRule("struct"),
        "enum_item": DefRule("enum"),
        "union_item": DefRule("union"),
        "trait_item": DefRule("trait", bases=_trait_bounds),
        "mod_item": DefRule("module", refine=_module_kind),
        "impl_item": DefRule("class", name=_impl_name, bases=_impl_trait, emit=False),
    },
    decisions=frozenset({"if_expression", "for_expression", "while_expression"}),
    cases=frozenset({"match_arm"}),
    binary=frozenset({"binary_expression"}),
    comments=frozenset({"line_comment", "block_comment"}),
    imports={"use_declaration": _use, "mod_item": _mod, "extern_crate_declaration": _extern_crate},
    calls={"call_expression": "arguments"},
)
