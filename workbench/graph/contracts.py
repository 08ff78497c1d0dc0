"""Architecture contracts checked against a map, in the spirit of import-linter.

A contract states which imports may exist between groups of modules; :func:`check` lists
the imports that break it, with the chain of imports for indirect violations so that the
reader sees how the forbidden dependency arises. Groups are named by module id prefixes on
segment boundaries (``app`` covers ``app`` and ``app.web``, not ``apple``); a plain name
also covers the external node ``ext:name``, so third-party imports can be forbidden too.
Contracts are given in code or loaded from TOML::

    [[contracts]]
    type = "layers"            # higher layers first; they may import lower ones only
    layers = ["app", "services", "store"]
    containers = ["pkg"]       # optional: layers are pkg.app, pkg.services, ...

    [[contracts]]
    type = "forbidden"
    source = "store"           # a prefix or a list of prefixes
    forbidden = ["app", "requests"]
    allow_indirect = false     # optional

    [[contracts]]
    type = "independence"
    modules = ["x", "y"]

    [[contracts]]
    type = "acyclic"
    container = "pkg"

Every contract may carry a ``name``; one is derived from its content otherwise. CI can
ratchet: accept today's violations and fail only on :func:`new_violations`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Union

import networkx as nx
import numpy as np
import pandas as pd

from workbench.domain import EdgeKind, external_name
from workbench.graph._traverse import IN, OUT, bfs, path_to_source, shortest_cycle
from workbench.graph.errors import ContractError
from workbench.graph.index import GraphIndex, index_for

#: Columns of the frame :func:`check` returns.
VIOLATION_COLUMNS = ["contract", "kind", "importer", "imported", "line", "chain"]
#: Columns that identify a violation across snapshots (lines and chains shift with edits).
VIOLATION_KEY = ["contract", "kind", "importer", "imported"]
_EXTERNAL_PREFIX = "ext:"


def matches(node_id: str, prefix: str) -> bool:
    """Whether ``node_id`` is ``prefix`` or lies below it on a segment boundary."""
    if node_id.startswith(_EXTERNAL_PREFIX) and not prefix.startswith(_EXTERNAL_PREFIX):
        node_id = external_name(node_id)
    return node_id == prefix or (node_id.startswith(prefix) and node_id[len(prefix)] in ".:/")


def _as_tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


class _Checker:
    """The module graph of one map, with the searches contracts are made of."""

    def __init__(self, index: GraphIndex) -> None:
        self.index = index
        self.imports = index.kind_mask((EdgeKind.IMPORTS.value,))

    def select(self, prefixes: Iterable[str]) -> np.ndarray:
        """Boolean mask of the modules under any of ``prefixes``."""
        prefixes = tuple(prefixes)
        return np.array([any(matches(n, p) for p in prefixes) for n in self.index.ids], dtype=bool)

    def chains(
        self, contract: str, kind: str, sources: np.ndarray, targets: np.ndarray, through: np.ndarray
    ) -> list[dict[str, Any]]:
        """Shortest import chain from each source module to each target module it reaches.

        Chains may only pass through modules where ``through`` is true, so a violation is
        reported once, by the import that actually crosses the boundary. One search backwards
        from all targets first finds the pass-through modules that lead to a target at all;
        per-source searches then only walk those, and sources that import neither a target
        nor such a module (in a healthy code base: nearly all) are not searched.
        """
        index, rows = self.index, []
        leads = bfs([(index.into, IN)], np.flatnonzero(targets), self.imports, expandable=through | targets)
        useful = np.zeros_like(through)
        useful[leads.order] = True
        useful &= through
        candidates = np.flatnonzero(sources)
        origins, neighbours, kinds = index.out.expand(candidates)
        hit = self.imports[kinds] & (targets[neighbours] | useful[neighbours])
        for source in np.unique(origins[hit]).tolist():
            expandable = useful.copy()
            expandable[source] = True
            reached = bfs([(index.out, OUT)], np.array([source]), self.imports, expandable=expandable)
            found = reached.order[targets[reached.order] & (reached.distance > 0)]
            parent = reached.parents_by_node(len(index.ids))
            for target in sorted(found.tolist(), key=index.ids.__getitem__):
                rows.append(self.row(contract, kind, path_to_source(parent, target)[::-1]))
        return rows

    def row(self, contract: str, kind: str, chain: Sequence[int]) -> dict[str, Any]:
        ids = [self.index.ids[p] for p in chain]
        return {
            "contract": contract,
            "kind": kind,
            "importer": ids[0],
            "imported": ids[-1] if ids[0] != ids[-1] else ids[1],
            "line": self.index.line_of(ids[0], ids[1], EdgeKind.IMPORTS.value),
            "chain": ids,
        }


@dataclass(frozen=True)
class Layers:
    """Modules of a higher layer may import lower layers, never the reverse (even indirectly).

    ``layers`` are listed from the highest. Indirect chains are followed through modules
    outside every layer (a chain through a middle layer is reported at the middle layer).
    """

    layers: Sequence[str]
    containers: Sequence[str] = ()
    name: str = ""
    type: ClassVar[str] = "layers"

    def label(self) -> str:
        return self.name or "layers " + " > ".join(self.layers)

    def violations(self, checker: _Checker) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for container in self.containers or ("",):
            full = [f"{container}.{layer}" if container else layer for layer in self.layers]
            masks = [checker.select((layer,)) for layer in full]
            outside = ~np.logical_or.reduce(masks) if masks else np.ones(len(checker.index.ids), bool)
            for low in range(len(masks)):
                for high in range(low):
                    rows += checker.chains(self.label(), self.type, masks[low], masks[high], outside)
        return rows


@dataclass(frozen=True)
class Forbidden:
    """Modules under ``source`` must not import modules under ``forbidden``.

    Indirect imports count unless ``allow_indirect``; chains are followed through any module
    outside both groups.
    """

    source: str | Sequence[str]
    forbidden: str | Sequence[str]
    allow_indirect: bool = False
    name: str = ""
    type: ClassVar[str] = "forbidden"

    def label(self) -> str:
        return (
            self.name
            or f"forbidden {', '.join(_as_tuple(self.source))} -> {', '.join(_as_tuple(self.forbidden))}"
        )

    def violations(self, checker: _Checker) -> list[dict[str, Any]]:
        sources = checker.select(_as_tuple(self.source))
        targets = checker.select(_as_tuple(self.forbidden))
        through = np.zeros_like(sources) if self.allow_indirect else ~(sources | targets)
        return checker.chains(self.label(), self.type, sources, targets, through)


@dataclass(frozen=True)
class Independence:
    """None of ``modules`` may import another of them, directly or through outside modules."""

    modules: Sequence[str]
    name: str = ""
    type: ClassVar[str] = "independence"

    def label(self) -> str:
        return self.name or "independence " + ", ".join(self.modules)

    def violations(self, checker: _Checker) -> list[dict[str, Any]]:
        masks = [checker.select((m,)) for m in self.modules]
        if not masks:
            return []
        outside = ~np.logical_or.reduce(masks)
        rows: list[dict[str, Any]] = []
        for i, own in enumerate(masks):
            others = np.logical_or.reduce([m for j, m in enumerate(masks) if j != i] or [np.zeros_like(own)])
            rows += checker.chains(self.label(), self.type, own, others, outside)
        return rows


@dataclass(frozen=True)
class Acyclic:
    """The modules under ``container`` must not import each other in a cycle.

    One violation per cyclic group of modules, with a shortest cycle as its chain (only
    imports between modules of the container count).
    """

    container: str
    name: str = ""
    type: ClassVar[str] = "acyclic"

    def label(self) -> str:
        return self.name or f"acyclic {self.container}"

    def violations(self, checker: _Checker) -> list[dict[str, Any]]:
        index = checker.index
        inside = checker.select((self.container,))
        members = np.flatnonzero(inside)
        sub = nx.DiGraph()
        origins, targets, kinds = index.out.expand(members)
        keep = inside[targets] & checker.imports[kinds]
        sub.add_edges_from(zip(origins[keep].tolist(), targets[keep].tolist()))
        rows = []
        for component in nx.strongly_connected_components(sub):
            if len(component) == 1 and not sub.has_edge(*(2 * tuple(component))):
                continue
            ordered = sorted(component, key=index.ids.__getitem__)
            successors = {
                u: sorted((v for v in sub.successors(u) if v in component), key=index.ids.__getitem__)
                for u in ordered
            }
            rows.append(checker.row(self.label(), self.type, shortest_cycle(ordered, successors)))
        return sorted(rows, key=lambda r: r["chain"])


Contract = Union[Layers, Forbidden, Independence, Acyclic]
_TYPES: dict[str, type] = {c.type: c for c in (Layers, Forbidden, Independence, Acyclic)}


def check(g: nx.Graph, contracts: Iterable[Contract]) -> pd.DataFrame:
    """Violations of ``contracts`` in map ``g``.

    Columns: ``contract`` (name), ``kind`` (contract type), ``importer`` and ``imported``
    (the modules at either end of the offending chain), ``line`` (where ``importer`` makes
    the first import of the chain) and ``chain`` (module ids; two for a direct import).
    """
    return check_index(index_for(g), contracts)


def check_index(index: GraphIndex, contracts: Iterable[Contract]) -> pd.DataFrame:
    """:func:`check` on a prebuilt :class:`GraphIndex` (no networkx graph needed)."""
    checker = _Checker(index.module_index)
    rows = [row for contract in contracts for row in contract.violations(checker)]
    frame = pd.DataFrame(rows, columns=VIOLATION_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def new_violations(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``new`` that ``old`` did not have, compared by contract, kind and module pair.

    Lines and chains are ignored: they move with unrelated edits. This is the ratchet: keep
    the old result as a baseline and fail only on what was added since.
    """
    known = set(map(tuple, old[VIOLATION_KEY].itertuples(index=False, name=None)))
    fresh = [key not in known for key in new[VIOLATION_KEY].itertuples(index=False, name=None)]
    return new.loc[fresh].reset_index(drop=True)


def contract_from_dict(spec: dict[str, Any]) -> Contract:
    """Build one contract from a TOML/JSON table with a ``type`` key."""
    spec = dict(spec)
    kind = spec.pop("type", None)
    cls = _TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ContractError(f"unknown contract type {kind!r}; expected one of {sorted(_TYPES)}")
    try:
        contract = cls(**spec)
    except TypeError as exc:
        raise ContractError(f"bad {kind} contract {spec!r}: {exc}") from None
    for attr in ("layers", "containers", "modules"):
        if isinstance(getattr(contract, attr, None), str):
            raise ContractError(f"{kind} contract: {attr} must be a list of module prefixes")
    for attr in ("layers", "containers", "modules", "source", "forbidden", "container", "name"):
        value = getattr(contract, attr, "")
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
            raise ContractError(f"{kind} contract: {attr} must be module prefixes (text), "
                                f"got {value!r}")
    return contract


def parse_contracts(text: str) -> list[Contract]:
    """Contracts from TOML text holding ``[[contracts]]`` tables."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"invalid contracts TOML: {exc}") from None
    tables = data.get("contracts", [])
    if not isinstance(tables, list):
        raise ContractError("'contracts' must be an array of tables ([[contracts]])")
    return [contract_from_dict(t) for t in tables]


def load_contracts(path: str | Path) -> list[Contract]:
    """Contracts from a TOML file (see :func:`parse_contracts`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read contracts from {path}: {exc}") from None
    return parse_contracts(text)
