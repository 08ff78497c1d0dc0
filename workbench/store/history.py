"""Reads and writes of mined history: ``commits``, ``file_changes``, ``history_state``, ``file_metrics``.

History belongs to a project, not to a snapshot: it is mined once, incrementally, and each
batch is stored together with the checkpoint that resumes right after it, so an interrupted
mining run loses nothing and repeats nothing. Behavioural metrics are computed per snapshot
(over the commits reachable from the snapshot's commit) and stored with it.

Commits keep identities as written; each snapshot's ``.mailmap`` text is stored with it
(``snapshot_mailmaps``) and applied when its history is read. ``history_state.version`` is
the format of the stored history (:data:`HISTORY_VERSION`): history stored in an older format
is mined again. A shallow clone's boundary commits are stored with ``truncated`` =
:data:`~workbench.history.mine.SHALLOW_REASON`; once the clone is deepened they are mined
again, with what is below them. ``blame_lines`` caches ``git blame`` per
(path, blob): the commit each current line comes from.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Sequence

from .database import Database, registered

#: Format of stored history: 1 = identities mailmapped when mined (before migration 17);
#: 2 = identities as written, paths in the text form of :mod:`workbench.repos.paths`,
#: shallow boundaries without file changes.
HISTORY_VERSION = 2

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

COMMIT_COLUMNS = ("sha", "author_name", "author_email", "authored_at", "committer_name",
                  "committer_email", "committed_at", "subject", "parents", "is_merge", "truncated")
CHANGE_COLUMNS = ("sha", "path", "old_path", "added", "deleted", '"binary"')
#: What a snapshot's history metrics, coupling and ownership read of its commits and changes.
ANALYSIS_COMMIT_COLUMNS = ("sha", "author_name", "author_email", "authored_at", "committed_at",
                           "truncated")
ANALYSIS_CHANGE_COLUMNS = ("sha", "path", "old_path", "added", "deleted")
METRIC_COLUMNS = (
    "path", "churn_30d", "commits_30d", "churn_90d", "commits_90d", "churn_365d", "commits_365d",
    "churn_total", "commits_total", "added_total", "deleted_total", "authors", "main_author",
    "main_author_name", "ownership", "first_seen", "last_changed", "code_age_days",
    "knowledge_loss", "lines", "hotspot", "present", "history_truncated", "current_lines",
    "current_owner", "current_owner_name", "current_ownership", "current_lines_unknown",
)


def _rows_sql(table: str, columns: Sequence[str], by_shas: bool) -> str:
    """The read of a project's ``commits`` or ``file_changes`` rows, limited to the shas of a
    registered ``wanted_shas`` table with ``by_shas``; one parameter, the project id."""
    join = " JOIN wanted_shas USING (sha)" if by_shas else ""
    return f"SELECT {', '.join(columns)} FROM {table}{join} WHERE project_id = ?"


#: The shas of each identity's latest commits among ``{commits}`` (a relation with
#: :data:`ANALYSIS_COMMIT_COLUMNS`): per author name and e-mail as written, the commit with the
#: greatest (author date, commit date, sha) and the greatest of those with an author date.
#: ``.mailmap`` maps an identity as a whole, so every author's last name and last activity
#: under any mailmap come out of these as out of all the commits (DuckDB orders a missing
#: date last: hence the second).
LATEST_OF_IDENTITIES = (
    "SELECT DISTINCT sha FROM (SELECT"
    " arg_max(sha, (authored_at, committed_at, sha)) AS last,"
    " arg_max(sha, (authored_at, committed_at, sha)) FILTER (WHERE authored_at IS NOT NULL)"
    "  AS dated"
    " FROM {commits} GROUP BY author_name, author_email)"
    " CROSS JOIN LATERAL (SELECT unnest([last, dated]) AS sha) WHERE sha IS NOT NULL")


def _sha_array(shas) -> "pa.Array":
    """``shas`` (a list, None, or an Arrow array) as an Arrow string array."""
    import pyarrow as pa
    if isinstance(shas, (pa.Array, pa.ChunkedArray)):
        return shas.cast(pa.string())
    return pa.array(list(shas or []), pa.string())


def _in(cur, wanted: "pa.Table", run):
    """``run(cur)`` with ``wanted`` (a table of paths) registered as ``wanted_paths``."""
    with registered(cur, wanted_paths=wanted):
        return run(cur)


def _registered_read(cur, tables: dict, sql: str, params: list) -> "pa.Table":
    """``sql`` run with ``tables`` registered, as an Arrow table."""
    with registered(cur, **tables):
        return cur.execute(sql, params).to_arrow_table()


def parents_by_sha(table: "pa.Table") -> dict[str, list[str]]:
    """sha -> parent shas from a (sha, parents) table (:meth:`HistoryTable.parents_table`)."""
    shas = table.column("sha").to_pylist()
    parents = table.column("parents").to_pylist()
    return {sha: list(p or ()) for sha, p in zip(shas, parents)}


class HistoryTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def checkpoint(self, project_id: int) -> tuple[tuple[str, ...], int]:
        rows = self.db.query(
            "SELECT checkpoint, commits FROM history_state WHERE project_id = ?", [project_id])
        return (tuple(rows[0][0]), int(rows[0][1])) if rows else ((), 0)

    def version(self, project_id: int) -> int:
        """The format of a project's stored history (:data:`HISTORY_VERSION` when none)."""
        rows = self.db.query("SELECT version FROM history_state WHERE project_id = ?", [project_id])
        return int(rows[0][0] or 1) if rows else HISTORY_VERSION

    def marked(self, project_id: int, reason: str) -> set[str]:
        """Shas of the stored commits whose ``truncated`` is ``reason``."""
        rows = self.db.query("SELECT sha FROM commits WHERE project_id = ? AND truncated = ?",
                             [project_id, reason])
        return {sha for (sha,) in rows}

    def forget(self, project_id: int) -> None:
        """Drop a project's mined history (to mine it again in the current format)."""

        def delete(cur):
            for table in ("commits", "file_changes", "history_state", "blame_lines"):
                cur.execute(f"DELETE FROM {table} WHERE project_id = ?", [project_id])
            # their moves name changes of the history dropped
            cur.execute("DELETE FROM history_records WHERE snapshot_id IN"
                        " (SELECT id FROM snapshots WHERE project_id = ?)", [project_id])

        self.db.write_compacting(delete)  # what the deleted rows held, reclaimed

    def store_batch(self, project_id: int, commits: pa.Table, changes: pa.Table,
                    checkpoint: tuple[str, ...] | None, *, replace: bool = False,
                    after: tuple[str, ...] | None = None) -> None:
        """One transaction: the batch's commits, their file changes and the new checkpoint
        (``None``: keep the stored one). With ``replace``, rows already stored for the batch's
        commits are deleted first (mining again below a deepened shallow boundary).

        ``after``: the checkpoint the batch continues from. When the stored one is another,
        another process mined since this one read it (two maps of the project at once): the
        batch's commits stored meanwhile are left out, with their changes, and the stored
        checkpoint is kept beside the batch's (both name mined commits), so no commit is
        stored twice, which would count its changes twice in every analysis after."""
        import pyarrow.compute as pc

        def insert(cur):
            rows, moved, point = commits, changes, checkpoint
            if replace:
                with registered(cur, replaced=rows.select(["sha"])):
                    for table in ("commits", "file_changes"):
                        cur.execute(f"DELETE FROM {table} WHERE project_id = ? AND sha IN"
                                    " (SELECT sha FROM replaced)", [project_id])
            if after is not None and point is not None:
                row = cur.execute("SELECT checkpoint FROM history_state WHERE project_id = ?",
                                  [project_id]).fetchone()
                stored = tuple(row[0]) if row else ()
                if set(stored) != set(after):  # rare: the one case that probes the commits
                    with registered(cur, incoming=rows.select(["sha"])):
                        seen = cur.execute(
                            "SELECT i.sha FROM incoming i JOIN commits c ON c.sha = i.sha"
                            " WHERE c.project_id = ?", [project_id]).to_arrow_table()
                    if seen.num_rows:
                        known = seen.column("sha")
                        rows = rows.filter(pc.invert(pc.is_in(rows.column("sha"),
                                                              value_set=known)))
                        moved = moved.filter(pc.invert(pc.is_in(moved.column("sha"),
                                                                value_set=known)))
                    point = tuple(sorted({*stored, *point}))
            for table, data, columns in (("commits", rows, COMMIT_COLUMNS),
                                         ("file_changes", moved, CHANGE_COLUMNS)):
                with registered(cur, incoming=data):
                    cols = ", ".join(columns)
                    cur.execute(f"INSERT INTO {table} (project_id, {cols}) SELECT ?, {cols} FROM incoming",
                                [project_id])
            if point is None:
                cur.execute("UPDATE history_state SET updated_at = now() WHERE project_id = ?",
                            [project_id])
                return
            cur.execute(
                "INSERT INTO history_state (project_id, checkpoint, commits, version)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (project_id) DO UPDATE SET checkpoint = excluded.checkpoint,"
                " commits = history_state.commits + excluded.commits, updated_at = now()",
                [project_id, list(point), rows.num_rows, HISTORY_VERSION],
            )

        self.db.write(insert)

    def load(self, project_id: int, shas: "list[str] | pa.Array | None" = None, *,
             changes: bool = True,
             commit_columns: Sequence[str] = COMMIT_COLUMNS,
             change_columns: Sequence[str] = CHANGE_COLUMNS) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Commits and file changes of a project, limited to ``shas`` when given; without
        ``changes`` the second frame is empty. ``commit_columns``/``change_columns``: the
        columns read (on a million commits, the parents lists alone take seconds to become
        Python objects; :data:`ANALYSIS_COMMIT_COLUMNS` are what the metrics read)."""
        import pyarrow as pa

        wanted = pa.table({"sha": _sha_array(shas)})

        def fetch(cur):
            by_shas = shas is not None
            with registered(cur, **({"wanted_shas": wanted} if by_shas else {})):
                c = cur.execute(_rows_sql("commits", commit_columns, by_shas),
                                [project_id]).df()
                f = cur.execute(_rows_sql("file_changes", change_columns, by_shas)
                                + ("" if changes else " AND false"), [project_id]).df()
                return c, f

        return self.db.read(fetch)

    def load_arrow(self, project_id: int, shas: "list[str] | pa.Array | None", *,
                   changes: bool = True, commit_columns: Sequence[str] = COMMIT_COLUMNS,
                   change_columns: Sequence[str] = CHANGE_COLUMNS) -> tuple["pa.Table", "pa.Table | None"]:
        """What :meth:`load` reads for ``shas`` (a list or an Arrow array; None: every mined
        commit of the project), as Arrow tables: no Python object is made (the history
        analysis reads them in DuckDB). Without ``changes`` the second is None."""
        import pyarrow as pa

        wanted = pa.table({"sha": _sha_array(shas)})
        reads = [("commits", commit_columns)] + ([("file_changes", change_columns)] if changes else [])

        def fetch(cur):
            with registered(cur, wanted_shas=wanted):
                return [cur.execute(_rows_sql(table, columns, shas is not None),
                                    [project_id]).to_arrow_table()
                        for table, columns in reads]

        tables = self.db.read(fetch)
        return tables[0], (tables[1] if changes else None)

    def commit_rows(self, project_id: int, shas: "list[str] | pa.Array",
                    outside: "pa.Array | None" = None) -> "pa.Table":
        """The stored commits among ``shas`` but those of ``outside``:
        :data:`ANALYSIS_COMMIT_COLUMNS` and ``r``, the row's number in the table (a key of the
        commit, not its place in an order)."""
        import pyarrow as pa

        columns = ", ".join(f"c.{c}" for c in ANALYSIS_COMMIT_COLUMNS)
        return self.db.read(lambda cur: _registered_read(
            cur, {"wanted_shas": pa.table({"sha": _sha_array(shas)}),
                  "outside_shas": pa.table({"sha": _sha_array(outside)})},
            f"SELECT {columns}, c.rowid AS r FROM commits c WHERE c.project_id = ?"
            " AND c.sha IN (SELECT sha FROM wanted_shas)"
            " AND c.sha NOT IN (SELECT sha FROM outside_shas)", [project_id]))

    def identities(self, project_id: int, outside: "pa.Array | None" = None, *,
                   boundary_reason: str) -> tuple[int, bool, "pa.Table"]:
        """What a history's author names and activity are worked out from, without reading
        every commit: ``(commits, shallow, rows)`` for the project's stored commits but those
        of ``outside``. ``commits`` counts them, ``shallow`` says whether one is marked
        ``boundary_reason`` (``truncated``: a shallow clone's boundary), and ``rows`` (as
        :meth:`commit_rows`) are each identity's latest commits (:data:`LATEST_OF_IDENTITIES`)."""
        import pyarrow as pa

        def fetch(cur):
            with registered(cur, outside_shas=pa.table({"sha": _sha_array(outside)})):
                kept = "project_id = ? AND sha NOT IN (SELECT sha FROM outside_shas)"
                counted = cur.execute(
                    "SELECT count(*), coalesce(bool_or(truncated = ?), false) FROM commits"
                    f" WHERE {kept}", [boundary_reason, project_id]).fetchone()
                latest = cur.execute(LATEST_OF_IDENTITIES.format(
                    commits=f"(SELECT * FROM commits WHERE {kept})"), [project_id]
                ).to_arrow_table()
            return int(counted[0]), bool(counted[1]), latest.column("sha")

        count, shallow, latest = self.db.read(fetch)
        return count, shallow, self.commit_rows(project_id, latest)

    def commit_count(self, project_id: int) -> int:
        """How many commits of the project are mined (any branch's)."""
        return int(self.db.query("SELECT count(*) FROM commits WHERE project_id = ?",
                                 [project_id])[0][0])

    def left_by_renames(self, project_id: int, paths: list[str]) -> bool:
        """Whether a mined rename moved a file away from one of ``paths``."""
        import pyarrow as pa

        wanted = pa.table({"path": pa.array(paths, pa.string())})
        return bool(self.db.read(lambda cur: _in(cur, wanted, lambda c: c.execute(
            "SELECT count(*) FROM file_changes WHERE project_id = ? AND old_path IN"
            " (SELECT path FROM wanted_paths)", [project_id]).fetchone()[0])))

    def changes_of_commits_at(self, project_id: int, paths: list[str]) -> "pa.Table":
        """Every mined change of each commit that changed one of ``paths``."""
        return self._changes(project_id, paths, (
            "sha IN (SELECT sha FROM file_changes WHERE project_id = $project"
            " AND path IN (SELECT path FROM wanted_paths))"))

    def changes_of(self, project_id: int, shas: "list[str] | pa.Array") -> "pa.Table":
        """The mined changes (:data:`ANALYSIS_CHANGE_COLUMNS`) of the commits ``shas``."""
        import pyarrow as pa

        columns = ", ".join(ANALYSIS_CHANGE_COLUMNS)
        return self.db.read(lambda cur: _registered_read(
            cur, {"wanted_shas": pa.table({"sha": _sha_array(shas)})},
            f"SELECT {columns} FROM file_changes WHERE project_id = ?"
            " AND sha IN (SELECT sha FROM wanted_shas)", [project_id]))

    def changes_since(self, project_id: int, start) -> "pa.Table":
        """The mined changes of the commits authored at ``start`` (a UTC timestamp) or later."""
        return self.db.read(lambda cur: cur.execute(
            f"SELECT {', '.join('f.' + c for c in ANALYSIS_CHANGE_COLUMNS)} FROM file_changes f"
            " JOIN commits c ON c.project_id = f.project_id AND c.sha = f.sha"
            " WHERE f.project_id = $project AND c.authored_at >= $start",
            {"project": project_id, "start": start}).to_arrow_table())

    def _changes(self, project_id: int, paths: list[str], where: str) -> "pa.Table":
        import pyarrow as pa

        wanted = pa.table({"path": pa.array(paths, pa.string())})
        return self.db.read(lambda cur: _in(cur, wanted, lambda c: c.execute(
            f"SELECT {', '.join(ANALYSIS_CHANGE_COLUMNS)} FROM file_changes"
            f" WHERE project_id = $project AND {where}", {"project": project_id}
        ).to_arrow_table()))

    @staticmethod
    def write_record(cur, snapshot_id: int, record) -> None:
        """Keep a snapshot's :class:`~workbench.history.incremental.AnalysisRecord`, inside
        the snapshot's own transaction."""
        moves, coupling, outside, identities = record.encode()
        cur.execute("INSERT INTO history_records (snapshot_id, version, moves, coupling, outside,"
                    " identities) VALUES (?, ?, ?, ?, ?, ?)",
                    [snapshot_id, record.version, moves, coupling, outside, identities])

    def record(self, snapshot_id: int):
        """A snapshot's :class:`~workbench.history.incremental.AnalysisRecord`, or None for a
        snapshot mapped without one (before schema 26, or without history)."""
        rows = self.db.query("SELECT version, moves, coupling, outside, identities"
                             " FROM history_records WHERE snapshot_id = ?", [snapshot_id])
        if not rows:
            return None
        from ..history.incremental import AnalysisRecord

        version, moves, coupling, outside, identities = rows[0]
        return AnalysisRecord.decode(bytes(moves), bytes(coupling), bytes(outside),
                                     bytes(identities) if identities is not None else None,
                                     version=int(version))

    def recent_records(self, project_id: int, limit: int = 5) -> list[int]:
        """The newest ``limit`` snapshots of the project whose history analysis is kept,
        newest first (one of a commit each)."""
        rows = self.db.query(
            "SELECT max(s.id) AS id FROM snapshots s JOIN history_records r"
            " ON r.snapshot_id = s.id WHERE s.project_id = ? GROUP BY s.commit_sha"
            " ORDER BY id DESC LIMIT ?", [project_id, limit])
        return [int(r[0]) for r in rows]

    def parents_table(self, project_id: int) -> "pa.Table":
        """sha, parents of every mined commit of the project, as an Arrow table
        (:meth:`parents` as a dict)."""
        return self.db.read(lambda cur: cur.execute(
            "SELECT sha, parents FROM commits WHERE project_id = ?", [project_id]
        ).to_arrow_table())

    def commit_times(self, project_id: int, shas: list[str]) -> dict[str, object]:
        """Committer dates of the given commits (those mined so far)."""
        rows = self.db.query(
            "SELECT sha, committed_at FROM commits WHERE project_id = ? AND list_contains(?, sha)",
            [project_id, shas])
        return dict(rows)

    def metrics(self, snapshot_id: int, *, deleted: bool = False) -> pd.DataFrame:
        """A snapshot's per-file metrics, hottest first: the files of its tree, and with
        ``deleted`` also files deleted before it (``present`` false)."""
        where = "" if deleted else " AND present IS DISTINCT FROM false"
        return self.db.query_df(
            f"SELECT {', '.join(METRIC_COLUMNS)} FROM file_metrics WHERE snapshot_id = ?{where}"
            " ORDER BY hotspot DESC NULLS LAST, path", [snapshot_id])

    def metrics_of_every_path(self, snapshot_id: int) -> pd.DataFrame:
        """A snapshot's per-file metrics, deleted files included, in no order (read as Arrow:
        a fifth of :meth:`metrics`' time on 100,000 files)."""
        return self.db.read(lambda cur: cur.execute(
            f"SELECT {', '.join(METRIC_COLUMNS)} FROM file_metrics WHERE snapshot_id = ?",
            [snapshot_id]).to_arrow_table()).to_pandas()

    def commits(self, project_id: int) -> pd.DataFrame:
        """Every commit mined for the project (any snapshot's), by committer date."""
        return self.db.query_df(
            f"SELECT {', '.join(COMMIT_COLUMNS)} FROM commits WHERE project_id = ?"
            " ORDER BY committed_at, sha", [project_id])

    def file_changes(self, project_id: int) -> pd.DataFrame:
        return self.db.query_df(
            f"SELECT {', '.join(CHANGE_COLUMNS)} FROM file_changes WHERE project_id = ?",
            [project_id])

    def parents(self, project_id: int) -> dict[str, list[str]]:
        """sha -> parent shas of every mined commit of the project."""
        return parents_by_sha(self.parents_table(project_id))

    @staticmethod
    def write_mailmap(cur, snapshot_id: int, text: str) -> None:
        """Keep the ``.mailmap`` text of a snapshot's commit, inside the snapshot's transaction."""
        if text:
            cur.execute("INSERT INTO snapshot_mailmaps (snapshot_id, content) VALUES (?, ?)",
                        [snapshot_id, text])

    def mailmap(self, snapshot_id: int) -> str:
        rows = self.db.query("SELECT content FROM snapshot_mailmaps WHERE snapshot_id = ?",
                             [snapshot_id])
        return rows[0][0] if rows else ""

    def blame(self, project_id: int, keys: list[tuple[str, str]]) -> pd.DataFrame:
        """Cached blame of (path, blob sha) pairs: path, blob_sha, origin_sha, lines, runs
        (:data:`~workbench.history.blame.BLAME_COLUMNS`)."""
        import pyarrow as pa

        wanted = pa.table({"path": pa.array([k[0] for k in keys], pa.string()),
                           "blob_sha": pa.array([k[1] for k in keys], pa.string())})

        def fetch(cur):
            with registered(cur, wanted_blobs=wanted):
                return cur.execute(
                    "SELECT b.path, b.blob_sha, b.origin_sha, b.lines, b.runs FROM blame_lines b"
                    " JOIN wanted_blobs w ON w.path = b.path AND w.blob_sha = b.blob_sha"
                    " WHERE b.project_id = ?", [project_id]).df()

        return self.db.read(fetch)

    def forget_blame(self, project_id: int, keys: list[tuple[str, str]]) -> None:
        """Drop the cached blames of (path, blob sha) pairs."""
        if not keys:
            return
        import pyarrow as pa

        gone = pa.table({"path": pa.array([k[0] for k in keys], pa.string()),
                         "blob_sha": pa.array([k[1] for k in keys], pa.string())})

        def delete(cur):
            with registered(cur, forgotten_blobs=gone):
                cur.execute("DELETE FROM blame_lines WHERE project_id = ? AND (path, blob_sha) IN"
                            " (SELECT path, blob_sha FROM forgotten_blobs)", [project_id])

        self.db.write(delete)

    def forget_blame_of(self, project_id: int, origins: list[str]) -> None:
        """Drop cached blames that put lines on ``origins`` (former shallow boundary commits,
        blamed while their parents were missing)."""
        self.db.write(lambda cur: cur.execute(
            "DELETE FROM blame_lines WHERE project_id = ? AND (path, blob_sha) IN"
            " (SELECT path, blob_sha FROM blame_lines WHERE project_id = ?"
            "  AND list_contains(?, origin_sha))", [project_id, project_id, origins]))

    def put_blame(self, project_id: int, rows: pd.DataFrame) -> None:
        """Store new blame rows (path, blob_sha, origin_sha, lines, runs) in one transaction."""
        if rows.empty:
            return
        import pyarrow as pa

        table = pa.Table.from_pandas(rows[["path", "blob_sha", "origin_sha", "lines", "runs"]],
                                     preserve_index=False,
                                     schema=pa.schema([("path", pa.string()),
                                                       ("blob_sha", pa.string()),
                                                       ("origin_sha", pa.string()),
                                                       ("lines", pa.int64()),
                                                       ("runs", pa.list_(pa.int32()))]))

        def insert(cur):
            with registered(cur, incoming_blame=table):
                cur.execute("INSERT INTO blame_lines"
                            " (project_id, path, blob_sha, origin_sha, lines, runs)"
                            " SELECT ?, path, blob_sha, origin_sha, lines, runs FROM incoming_blame",
                            [project_id])

        self.db.write(insert)

    def update_ownership(self, snapshot_id: int, owners: pd.DataFrame, pending: int) -> None:
        """Fill a stored snapshot's current-line owner columns from ``owners`` (index: path;
        the ``current_*`` columns of :data:`METRIC_COLUMNS`) and set its ``blame_pending``
        statistic, in one transaction."""
        import pyarrow as pa

        columns = [c for c in METRIC_COLUMNS if c.startswith("current_")]
        table = pa.Table.from_pandas(owners.reindex(columns=columns).rename_axis("path")
                                     .reset_index(), preserve_index=False)

        def update(cur) -> None:
            with registered(cur, incoming_owners=table):
                assign = ", ".join(f"{c} = o.{c}" for c in columns)
                cur.execute(f"UPDATE file_metrics SET {assign} FROM incoming_owners o"
                            " WHERE file_metrics.snapshot_id = ? AND file_metrics.path = o.path",
                            [snapshot_id])
            row = cur.execute("SELECT stats FROM snapshots WHERE id = ?", [snapshot_id]).fetchone()
            stats = json.loads(row[0]) if row and row[0] else {}
            stats.pop("blame_pending", None)
            if pending:
                stats["blame_pending"] = pending
            cur.execute("UPDATE snapshots SET stats = ? WHERE id = ?",
                        [json.dumps(stats), snapshot_id])

        self.db.write(update)

    @staticmethod
    def write_metrics(cur, snapshot_id: int, metrics: pd.DataFrame) -> None:
        """Insert a snapshot's per-file metrics inside the snapshot's own transaction."""
        if metrics.empty:
            return
        import pyarrow as pa

        # one thread: a pool of converter threads for 100,000 rows is slower than none when
        # other threads of the map hold the GIL
        table = pa.Table.from_pandas(metrics.reindex(columns=list(METRIC_COLUMNS)),
                                     preserve_index=False, nthreads=1)
        with registered(cur, incoming_metrics=table):
            cols = ", ".join(METRIC_COLUMNS)
            cur.execute(f"INSERT INTO file_metrics (snapshot_id, {cols}) SELECT ?, {cols}"
                        " FROM incoming_metrics", [snapshot_id])

