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

from importlib import import_module
from typing import Any

#: name -> submodule; imported on first use, so that the errors load without pandas
_EXPORTS = {
    "VERDICT_COLUMNS": "check", "VIOLATION_COLUMNS": "check", "VIOLATION_KEY": "check",
    "check_graph": "check", "new_violations": "check", "verdicts": "check",
    "CONFIG_FILES": "config", "WORKBENCH_FILE": "config", "ContractSet": "config",
    "Options": "config", "contract_from_dict": "config", "find_in": "config", "load": "config",
    "parse_text": "config",
    "ContractConfigError": "errors", "NoSuchModule": "errors", "UnmatchedIgnore": "errors",
    "ImportGraph": "graph",
    "Acyclic": "kinds", "AcyclicSiblings": "kinds", "Contract": "kinds", "Forbidden": "kinds",
    "Independence": "kinds", "Layers": "kinds", "PrivateModules": "kinds", "Protected": "kinds",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
