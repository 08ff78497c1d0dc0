"""History service: mine a repository's commits and file changes, then derive behaviour metrics.

:mod:`~workbench.history.mine` streams ``git log`` into pyarrow batches;
:mod:`~workbench.history.metrics` turns the resulting DataFrames into per-file metrics and
change coupling. Storage is the store layer's job: this package only returns tables.
"""

from workbench.history.errors import HistoryError, MiningCancelled
from workbench.history.metrics import change_coupling, file_metrics
from workbench.history.mine import HistoryBatch, mine, mine_all

__all__ = [
    "HistoryBatch", "HistoryError", "MiningCancelled", "change_coupling", "file_metrics", "mine", "mine_all",
]
