"""Reads and writes of mined history: ``commits``, ``file_changes``, ``history_state``, ``file_metrics``.

History belongs to a project, not to a snapshot: it is mined once, incrementally, and each
batch is stored together with the checkpoint that resumes right after it, so an interrupted
mining run loses nothing and repeats nothing. Behavioural metrics are computed per snapshot
(over the commits reachable from the snapshot's commit) and stored with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .database import Database

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

COMMIT_COLUMNS = ("sha", "author_name", "author_email", "authored_at", "committer_name",
                  "committer_email", "committed_at", "subject", "parents", "is_merge", "truncated")
CHANGE_COLUMNS = ("sha", "path", "old_path", "added", "deleted", '"binary"')
METRIC_COLUMNS = (
    "path", "churn_30d", "commits_30d", "churn_90d", "commits_90d", "churn_365d", "commits_365d",
    "churn_total", "commits_total", "added_total", "deleted_total", "authors", "main_author",
    "main_author_name", "ownership", "first_seen", "last_changed", "code_age_days",
    "knowledge_loss", "lines", "hotspot",
)


class HistoryTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def checkpoint(self, project_id: int) -> tuple[tuple[str, ...], int]:
        rows = self.db.query(
            "SELECT checkpoint, commits FROM history_state WHERE project_id = ?", [project_id])
        return (tuple(rows[0][0]), int(rows[0][1])) if rows else ((), 0)

    def store_batch(self, project_id: int, commits: pa.Table, changes: pa.Table,
                    checkpoint: tuple[str, ...]) -> None:
        """One transaction: the batch's commits, their file changes and the new checkpoint."""

        def insert(cur):
            for table, data, columns in (("commits", commits, COMMIT_COLUMNS),
                                         ("file_changes", changes, CHANGE_COLUMNS)):
                cur.register("incoming", data)
                try:
                    cols = ", ".join(columns)
                    cur.execute(f"INSERT INTO {table} (project_id, {cols}) SELECT ?, {cols} FROM incoming",
                                [project_id])
                finally:
                    cur.unregister("incoming")
            cur.execute(
                "INSERT INTO history_state (project_id, checkpoint, commits) VALUES (?, ?, ?)"
                " ON CONFLICT (project_id) DO UPDATE SET checkpoint = excluded.checkpoint,"
                " commits = history_state.commits + excluded.commits, updated_at = now()",
                [project_id, list(checkpoint), commits.num_rows],
            )

        self.db.write(insert)

    def load(self, project_id: int, shas: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Commits and file changes of a project, limited to ``shas`` when given."""
        import pyarrow as pa

        wanted = pa.table({"sha": pa.array(shas or [], pa.string())})

        def fetch(cur):
            join = ""
            if shas is not None:
                cur.register("wanted_shas", wanted)
                join = " JOIN wanted_shas USING (sha)"
            try:
                c = cur.execute(f"SELECT {', '.join(COMMIT_COLUMNS)} FROM commits{join}"
                                " WHERE project_id = ?", [project_id]).df()
                f = cur.execute(f"SELECT {', '.join(CHANGE_COLUMNS)} FROM file_changes{join}"
                                " WHERE project_id = ?", [project_id]).df()
                return c, f
            finally:
                if shas is not None:
                    cur.unregister("wanted_shas")

        return self.db.read(fetch)

    def commit_times(self, project_id: int, shas: list[str]) -> dict[str, object]:
        """Committer dates of the given commits (those mined so far)."""
        rows = self.db.query(
            "SELECT sha, committed_at FROM commits WHERE project_id = ? AND list_contains(?, sha)",
            [project_id, shas])
        return dict(rows)

    def metrics(self, snapshot_id: int) -> pd.DataFrame:
        return self.db.query_df(
            f"SELECT {', '.join(METRIC_COLUMNS)} FROM file_metrics WHERE snapshot_id = ?"
            " ORDER BY hotspot DESC NULLS LAST, path", [snapshot_id])

    def commits(self, project_id: int) -> pd.DataFrame:
        return self.db.query_df(
            f"SELECT {', '.join(COMMIT_COLUMNS)} FROM commits WHERE project_id = ?"
            " ORDER BY committed_at, sha", [project_id])

    def file_changes(self, project_id: int) -> pd.DataFrame:
        return self.db.query_df(
            f"SELECT {', '.join(CHANGE_COLUMNS)} FROM file_changes WHERE project_id = ?",
            [project_id])

    @staticmethod
    def write_metrics(cur, snapshot_id: int, metrics: pd.DataFrame) -> None:
        """Insert a snapshot's per-file metrics inside the snapshot's own transaction."""
        if metrics.empty:
            return
        import pyarrow as pa

        table = pa.Table.from_pandas(metrics[list(METRIC_COLUMNS)], preserve_index=False)
        cur.register("incoming_metrics", table)
        try:
            cols = ", ".join(METRIC_COLUMNS)
            cur.execute(f"INSERT INTO file_metrics (snapshot_id, {cols}) SELECT ?, {cols}"
                        " FROM incoming_metrics", [snapshot_id])
        finally:
            cur.unregister("incoming_metrics")

