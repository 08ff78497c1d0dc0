"""History as part of a map: mine incrementally into the store, then metrics for one commit.

Mining is resumable: every batch is stored with the checkpoint that continues after it, so a
map interrupted while mining picks up where it stopped next time. Metrics for a snapshot use
exactly the commits reachable from the snapshot's commit, so mapping an old tag after a newer
branch gives that tag's history, not today's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from ..repos.git import Git
from ..store import Store
from .metrics import change_coupling, file_metrics
from .mine import DEFAULT_MAX_CHANGES, mine


@dataclass
class HistoryResult:
    commits: int
    metrics: pd.DataFrame
    coupling: pd.DataFrame


class HistoryService:
    def __init__(self, store: Store, *, git_timeout: float = 600.0,
                 git_memory: int | None = 512 << 20,
                 max_commit_files: int | None = DEFAULT_MAX_CHANGES) -> None:
        self.store = store
        self.git = Git(timeout=git_timeout, memory=git_memory)
        self.max_commit_files = max_commit_files

    def sync(self, project_id: int, repo: Path, commit: str,
             report: Callable[[int, int | None, str], None] | None = None,
             cancel: Callable[[], bool] | None = None, *, batch_size: int = 5000) -> int:
        """Mine the commits reachable from ``commit`` that are not stored yet; return how many.

        Each batch of ``batch_size`` commits is stored with its checkpoint, so a run that is
        cancelled or killed resumes after the last stored batch.
        """
        since, _ = self.store.history.checkpoint(project_id)
        added = 0
        for batch in mine(repo, since=list(since) or None, rev=commit, batch_size=batch_size,
                          progress=(lambda done, msg: report(done, None, msg)) if report else None,
                          cancel=cancel, git=self.git, max_changes=self.max_commit_files):
            self.store.history.store_batch(project_id, batch.commits, batch.file_changes,
                                           batch.checkpoint)
            added = batch.done
        return added

    def analyse(self, project_id: int, repo: Path, commit: str,
                sizes: pd.Series | None = None) -> HistoryResult:
        """Per-file metrics and change coupling over the history of ``commit``."""
        reachable = self.git.run(["rev-list", "--end-of-options", commit], cwd=repo,
                                 what="listing history").split()
        commits, changes = self.store.history.load(project_id, reachable)
        if commits.empty:
            empty = pd.DataFrame()
            return HistoryResult(0, empty, empty)
        metrics = file_metrics(commits, changes, sizes=sizes)
        coupling = change_coupling(commits, changes)  # its documented thresholds
        return HistoryResult(len(commits), metrics, coupling)
