"""Which nodes a query handles: those at the ends of the edge kinds it follows.

An import path joins modules, so one between two functions is no "no import path" answer but a
question the query cannot take: :class:`~workbench.graph.errors.NodeKindNotHandled` says what
the query follows, what those edges join, and what to ask instead: the module (or class ...)
that holds the node, or the edge kinds that do reach it (``--kinds calls``). The ends of each
edge kind are :data:`~workbench.domain.EDGE_ENDS`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from workbench.domain import DEPENDENCY_KINDS, EDGE_ENDS, EdgeKind, NodeKind
from workbench.faces import hint
from workbench.graph._traverse import IN, bfs
from workbench.graph.errors import NodeKindNotHandled

if TYPE_CHECKING:  # pragma: no cover
    from workbench.graph.index import GraphIndex

_PLURAL = {"class": "classes", "directory": "directories", "external": "external packages"}
_NOUN = {"external": "external package"}
#: The kinds ``contains`` edges lead to from a file: what a module can hold.
_HELD = frozenset({NodeKind.CLASS.value, NodeKind.FUNCTION.value})
_ORDER = [k.value for k in NodeKind]


def leaving(kinds: Iterable[str]) -> frozenset[str] | None:
    """The node kinds edges of ``kinds`` leave; None when one of them joins any kind."""
    return _ends(kinds, (0,))


def reaching(kinds: Iterable[str]) -> frozenset[str] | None:
    """The node kinds edges of ``kinds`` reach; None when one of them joins any kind."""
    return _ends(kinds, (1,))


def _ends(kinds: Iterable[str], sides: Sequence[int]) -> frozenset[str] | None:
    """The node kinds at the ``sides`` (0: where an edge leaves, 1: where it arrives) of edges
    of ``kinds``; None when one of them joins any kind (``contains``)."""
    found: set[str] = set()
    for kind in kinds:
        ends = EDGE_ENDS.get(str(kind))
        if ends is None:
            return None
        for side in sides:
            found |= ends[side]
    return frozenset(found)


def check_paths(index: "GraphIndex", start: int, end: int, kinds: Sequence[str]) -> None:
    """Refuse a path whose ``start`` no edge of ``kinds`` leaves or whose ``end`` none reaches."""
    source_ok, target_ok = leaving(kinds), reaching(kinds)
    wrong = [(p, ok) for p, ok in ((start, source_ok), (end, target_ok))
             if ok is not None and index.node_kind[p] not in ok]
    if wrong:
        source, target = index.node_kind[start], index.node_kind[end]
        instead = [k for k, (out, into) in EDGE_ENDS.items() if source in out and target in into]
        raise _refusal(index, hint("query path", "paths()"), kinds, wrong, instead)


def check_related(index: "GraphIndex", node: int, kinds: Sequence[str] | None,
                  direction: str) -> None:
    """Refuse a neighbourhood over ``kinds`` that no edge of theirs joins to ``node``."""
    if kinds is None:
        return
    sides = {"out": (0,), "in": (1,)}.get(direction, (0, 1))
    ok = _ends(kinds, sides)
    kind = index.node_kind[node]
    if ok is not None and kind not in ok:
        instead = [k for k in EDGE_ENDS if kind in _ends((k,), sides)]
        other = {"out": "in", "in": "out"}.get(direction)
        turn = (f"look the other way ({hint(f'--direction {other}', f'direction={other!r}')})"
                if other and kind in (_ends(kinds, (1 - sides[0],)) or ()) else None)
        raise _refusal(index, hint("query related", "related()"), kinds, [(node, ok)], instead,
                       direction=direction, also=turn)


def check_impact(index: "GraphIndex", node: int, seeds: np.ndarray, kinds: Sequence[str]) -> None:
    """Refuse an impact over ``kinds`` when no edge of theirs reaches ``node`` nor anything of
    ``seeds`` (``node`` and what it holds)."""
    ok = reaching(kinds)
    held = {str(k) for k in index.node_kind[seeds]}
    if ok is not None and not held & ok:
        instead = [k for k, (_, into) in EDGE_ENDS.items() if held & into]
        raise _refusal(index, hint("query impact", "impact()"), kinds, [(node, ok)], instead,
                       direction="in", holds=len(seeds) > 1)


def _refusal(index: "GraphIndex", query: str, kinds: Sequence[str],
             wrong: list[tuple[int, Collection[str]]], instead: list[str], *,
             direction: str = "both", holds: bool = False,
             also: str | None = None) -> NodeKindNotHandled:
    """The error for the nodes ``wrong`` (position, the kinds the query takes there); ``instead``:
    edge kinds that would join them; ``direction``: which ends of the edges the query reads
    (``in`` for impact); ``holds``: the node holds other nodes, none of them handled either;
    ``also``: one more thing to do instead."""
    out, into = leaving(kinds) or frozenset(), reaching(kinds) or frozenset()
    if direction == "out":
        joins = f"leave {_names(out)}"
    elif direction == "in":
        joins = f"reach {_names(into)}"
    elif out == into:
        joins = f"join {_names(out)}"
    else:
        joins = f"lead from {_names(out)} to {_names(into)}"
    said = " and ".join(f"{index.ids[p]} is {_a(index.node_kind[p])}" for p, _ in wrong)
    held = into & _HELD
    if holds and held:
        said += f" holding no {_names(held)}"
    holders = [_holder(index, p, ok) for p, ok in wrong]
    todo = []
    if all(h is not None for h in holders) and len(set(holders)) == len(holders):
        many = len(holders) > 1
        which = _names({index.node_kind[h] for h in holders}, plural=many)
        todo.append(f"ask about the {which} that hold{'' if many else 's'} "
                    f"{'them' if many else 'it'} ({', '.join(index.ids[h] for h in holders)})")
    instead = [k for k in instead if k not in kinds]
    dependencies = [k for k in instead if k in DEPENDENCY_KINDS]
    instead = dependencies or instead
    if also:
        todo.append(also)
    if instead:
        listed = ",".join(instead)
        todo.append(f"follow {listed} edges instead ("
                    + hint(f"--kinds {listed}", f"kinds={tuple(instead)!r}") + ")")
    if not todo:
        todo.append(f"give {_names(wrong[0][1])} instead")
    what = " or ".join(todo)
    return NodeKindNotHandled(
        f"{query} follows {','.join(kinds)} edges, which {joins}; {said}."
        + f" {what[0].upper()}{what[1:]}.",
        node=index.ids[wrong[0][0]], kind=str(index.node_kind[wrong[0][0]]),
        edge_kinds=tuple(kinds), instead=tuple(instead),
        holder=index.ids[holders[0]] if holders[0] is not None else None)


def _holder(index: "GraphIndex", node: int, ok: Collection[str]) -> int | None:
    """The nearest node holding ``node`` (over ``contains`` edges) whose kind is in ``ok``."""
    contains = index.kind_mask((EdgeKind.CONTAINS.value,))
    order = bfs([(index.into, IN)], np.array([node]), contains).order
    return next((int(p) for p in order[1:] if index.node_kind[p] in ok), None)


def _a(kind: str) -> str:
    noun = _NOUN.get(kind, kind)
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _names(kinds: Collection[str], plural: bool = True) -> str:
    words = [(_PLURAL.get(k, f"{k}s") if plural else k) for k in _ORDER if k in kinds]
    words += sorted(k for k in kinds if k not in _ORDER)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
