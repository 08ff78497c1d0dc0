"""History service: mine a repository's commits and file changes, then derive behaviour metrics.

:mod:`~workbench.history.mine` streams ``git log`` into pyarrow batches;
:mod:`~workbench.history.metrics` turns the resulting DataFrames into per-file metrics and
change coupling. Storage is the store layer's job: this package only returns tables.

The names below load their modules on first use (PEP 562), so importing a light submodule
such as :mod:`~workbench.history.errors` does not load pandas and Arrow.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "HistoryError": "errors", "MiningCancelled": "errors",
    "change_coupling": "metrics", "file_metrics": "metrics",
    "HistoryBatch": "mine", "mine": "mine", "mine_all": "mine",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
