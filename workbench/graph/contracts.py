"""Architecture contracts checked against a map (the engine is :mod:`workbench.contracts`).

This module keeps the graph-side entry points: :func:`check` on a networkx map,
:func:`check_index` on a prebuilt :class:`~workbench.graph.index.GraphIndex`, and the readers
of contract files. Groups are named by module names; a name covers its descendants on
segment boundaries (``app`` covers ``app.web``, not ``apple``), and a plain name also covers
the external package of that name. See :mod:`workbench.contracts` for the contract types and
import-linter's configuration files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import networkx as nx
import pandas as pd

from workbench.contracts import (VIOLATION_COLUMNS, VIOLATION_KEY, Acyclic, AcyclicSiblings,
                                 Contract, ContractSet, Forbidden, ImportGraph, Independence,
                                 Layers, PrivateModules, Protected, contract_from_dict,
                                 new_violations, verdicts)
from workbench.contracts import config as _config
from workbench.contracts.check import check_graph
from workbench.domain import external_name
from workbench.graph.index import GraphIndex, index_for

__all__ = [
    "VIOLATION_COLUMNS", "VIOLATION_KEY", "Acyclic", "AcyclicSiblings", "Contract", "ContractSet",
    "Forbidden", "Independence", "Layers", "PrivateModules", "Protected", "check", "check_index",
    "contract_from_dict", "load_contracts", "matches", "new_violations", "parse_contracts", "verdicts",
]
_EXTERNAL_PREFIX = "ext:"


def matches(node_id: str, prefix: str) -> bool:
    """Whether ``node_id`` is ``prefix`` or lies below it on a segment boundary."""
    if node_id.startswith(_EXTERNAL_PREFIX) and not prefix.startswith(_EXTERNAL_PREFIX):
        node_id = external_name(node_id)
    return node_id == prefix or (node_id.startswith(prefix) and node_id[len(prefix)] in ".:/")


def check(g: nx.Graph, contracts: ContractSet | Iterable[Contract]) -> pd.DataFrame:
    """Violations of ``contracts`` in map ``g`` (see :func:`workbench.contracts.check_graph`)."""
    return check_index(index_for(g), contracts)


def check_index(index: GraphIndex, contracts: ContractSet | Iterable[Contract], *,
                contexts: Mapping[tuple[str, str], str] | None = None,
                errors: str = "raise") -> pd.DataFrame:
    """:func:`check` on a prebuilt :class:`GraphIndex` (no networkx graph needed).

    ``contexts`` maps (importer, imported) module ids to the strongest context of the imports
    between them (needed only by contracts that leave some contexts out).
    """
    graph = ImportGraph.from_index(index.module_index, contexts)
    return check_graph(graph, contracts, errors=errors)


def parse_contracts(text: str) -> ContractSet:
    """Contracts from the workbench's TOML text (top-level options and ``[[contracts]]``)."""
    return _config.parse_workbench_toml(text)


def load_contracts(path: str | Path) -> ContractSet:
    """Contracts from a file: workbench TOML, pyproject.toml, setup.cfg or .importlinter."""
    return _config.load(path)
