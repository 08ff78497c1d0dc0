"""Checking a map against contracts: one row per violation, every contract kept or broken.

:func:`check_graph` takes an :class:`~workbench.contracts.graph.ImportGraph` and a
:class:`~workbench.contracts.config.ContractSet` (or a plain list of contracts, checked on
every module with external packages included). Each contract sees the graph minus its
``ignore_imports`` (import-linter's wildcards; entries that match nothing are an error, a
warning or nothing, by ``unmatched_ignore_imports_alerting``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from . import names as _names
from .config import ContractSet, Options
from ..graph.errors import ContractError
from .errors import UnmatchedIgnore
from .graph import ImportGraph
from .kinds import Contract

#: Columns of the frame of violations.
VIOLATION_COLUMNS = ["contract", "kind", "importer", "imported", "line", "chain", "reason"]
#: Columns that identify a violation across snapshots (lines and chains shift with edits).
VIOLATION_KEY = ["contract", "kind", "importer", "imported"]
#: Columns of ``frame.attrs["contracts"]`` rows: every contract with its verdict.
VERDICT_COLUMNS = ["contract", "id", "kind", "status", "violations", "ignored", "warnings", "guidance"]


def as_set(contracts: ContractSet | Iterable[Contract]) -> ContractSet:
    if isinstance(contracts, ContractSet):
        return contracts
    return ContractSet(tuple(contracts))


def prepare(graph: ImportGraph, options: Options) -> ImportGraph:
    """The graph import-linter would build for ``options``: roots, externals, contexts."""
    if options.root_packages or not options.include_external_packages:
        graph = graph.restricted(options.root_packages, include_external=options.include_external_packages)
    if options.exclude_contexts:
        graph = graph.without_contexts(options.exclude_contexts)
    return graph


def ignored(graph: ImportGraph, contract: Contract) -> tuple[set[tuple[str, str]], list[str]]:
    """The imports ``contract`` ignores, and warnings for entries that match none.

    Raises :class:`UnmatchedIgnore` for such entries when the alerting level is ``error``.
    """
    pairs: set[tuple[str, str]] = set()
    unmatched: list[str] = []
    for expression in contract.ignore_imports:
        importer, imported = _names.parse_import(expression)
        found = {(a, b) for a, b in graph.lines
                 if _names.match(importer, a) and _names.match(imported, b)}
        if not found:
            unmatched.append(expression.strip())
        pairs |= found
    level = contract.unmatched_ignore_imports_alerting
    if unmatched and level == "error":
        pool = [f"{a} -> {b}" for a, b in graph.lines]
        close = sorted({c for e in unmatched for c in _names.closest(" -> ".join(
            p.strip() for p in e.split("->")), pool, 3)})
        raise UnmatchedIgnore(contract.label(), unmatched, close)
    warnings = [f"no import matches ignored import {e}" for e in unmatched] if level == "warn" else []
    return pairs, warnings


def check_graph(graph: ImportGraph, contracts: ContractSet | Iterable[Contract], *,
                errors: str = "raise") -> pd.DataFrame:
    """Violations of ``contracts`` on ``graph``, shortest chains first within each contract.

    Columns: ``contract`` (name), ``kind`` (contract type), ``importer`` and ``imported`` (the
    modules at either end of the offending chain; for an undeclared layer the module and its
    container; for a cycle the first two members), ``line`` (where ``importer`` makes the
    first import of the chain), ``chain`` (module names; two for a direct import) and
    ``reason``. ``frame.attrs["contracts"]`` lists every contract (:data:`VERDICT_COLUMNS`:
    status ``kept`` or ``broken``, count of violations and of ignored imports, warnings,
    and the contract's ``broken_contract_guidance`` when it is broken).
    Raises :class:`~workbench.contracts.errors.NoSuchModule` when a name matches nothing and
    :class:`~workbench.contracts.errors.ContractConfigError` for a malformed contract; with
    ``errors="record"`` such a contract gets status ``error`` (message in ``warnings``) and
    the others are still checked (history: a module that did not exist yet).
    """
    chosen = as_set(contracts)
    base = prepare(graph, chosen.options)
    rows: list[dict[str, Any]] = []
    verdicts = []
    for contract in chosen.contracts:
        try:
            drop, warnings = ignored(base, contract)
            found = contract.violations(base.without(drop) if drop else base, warnings)
        except ContractError as exc:
            if errors != "record":
                raise
            verdicts.append({"contract": contract.label(), "id": contract.id, "kind": contract.type,
                             "status": "error", "violations": 0, "ignored": 0, "warnings": [str(exc)],
                             "guidance": ""})
            continue
        unique: dict[tuple, dict[str, Any]] = {}
        for row in found:
            unique.setdefault((row["importer"], row["imported"], tuple(row["chain"])), row)
        found = sorted(unique.values(), key=lambda r: (len(r["chain"]), r["importer"], r["imported"], r["chain"]))
        rows += found
        verdicts.append({
            "contract": contract.label(), "id": contract.id, "kind": contract.type,
            "status": "broken" if found else "kept", "violations": len(found),
            "ignored": len(drop), "warnings": warnings,
            "guidance": contract.broken_contract_guidance if found else "",
        })
    if graph.ids:
        ids = graph.ids
        for row in rows:
            row["importer"] = ids.get(row["importer"], row["importer"])
            row["imported"] = ids.get(row["imported"], row["imported"])
            row["chain"] = [ids.get(m, m) for m in row["chain"]]
    frame = pd.DataFrame(rows, columns=VIOLATION_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    frame.attrs["contracts"] = verdicts
    frame.attrs["source"] = chosen.source
    return frame


def verdicts(frame: pd.DataFrame) -> pd.DataFrame:
    """Every contract of a checked frame with its status (``kept``/``broken``)."""
    return pd.DataFrame(frame.attrs.get("contracts", []), columns=VERDICT_COLUMNS)


def new_violations(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``new`` that ``old`` did not have, compared by contract, kind and module pair.

    Lines and chains are ignored: they move with unrelated edits. This is the ratchet: keep
    the old result as a baseline and fail only on what was added since.
    """
    known = set(map(tuple, old[VIOLATION_KEY].itertuples(index=False, name=None)))
    fresh = [key not in known for key in new[VIOLATION_KEY].itertuples(index=False, name=None)]
    return new.loc[fresh].reset_index(drop=True)
