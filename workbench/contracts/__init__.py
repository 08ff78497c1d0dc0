"""Architecture contracts at import-linter's level, checked against a map.

import-linter's configuration (``.importlinter``, ``setup.cfg``, ``[tool.importlinter]``
in ``pyproject.toml``) is read unchanged, as is the workbench's ``workbench-contracts.toml``;
every import-linter contract type and option is checked as import-linter documents it (see
the README, "Contracts"), plus the workbench's ``acyclic``. A name that matches no module is
an error with the closest names, never a silent "kept". Over history, each violation says
when it first appeared.

Modules: :mod:`.names` (wildcard expressions, closest names), :mod:`.graph` (the import
graph and its deterministic searches), :mod:`.kinds` (the contract types), :mod:`.config`
(reading files), :mod:`.check` (running them).
"""

from .check import VERDICT_COLUMNS, VIOLATION_COLUMNS, VIOLATION_KEY, check_graph, new_violations, verdicts
from .config import CONFIG_FILES, WORKBENCH_FILE, ContractSet, Options, contract_from_dict, find_in, load
from .errors import ContractConfigError, NoSuchModule, UnmatchedIgnore
from .graph import ImportGraph
from .kinds import (Acyclic, AcyclicSiblings, Contract, Forbidden, Independence, Layers,
                    PrivateModules, Protected)

__all__ = [
    "VERDICT_COLUMNS", "VIOLATION_COLUMNS", "VIOLATION_KEY", "check_graph", "new_violations",
    "verdicts", "CONFIG_FILES", "WORKBENCH_FILE", "ContractSet", "Options", "contract_from_dict",
    "find_in", "load", "ContractConfigError", "NoSuchModule", "UnmatchedIgnore", "ImportGraph",
    "Acyclic", "AcyclicSiblings", "Contract", "Forbidden", "Independence", "Layers",
    "PrivateModules", "Protected",
]
