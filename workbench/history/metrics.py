"""Behavioural metrics per file, computed from mined history.

Inputs are the ``commits`` and ``file_changes`` DataFrames of :mod:`workbench.history.mine`
or the same columns read back from the store, as DataFrames or Arrow tables: commits need sha,
author_name, author_email and authored_at (naive timestamps are taken as UTC); file changes
need sha, path, old_path, added and deleted. The grouping, joining and counting run in an
in-memory DuckDB over the inputs as they are (Arrow tables are scanned in place), on every
core and without holding Python's lock; only rename following (:mod:`.renames`) looks at rows
in Python, and only at the rows of renamed paths.

Definitions
-----------
* **Time.** Activity is dated by the *author* date (when the work was done; rebases and
  cherry-picks keep it). ``as_of`` defaults to the latest author date; changes after ``as_of``
  are ignored. A window of N days is ``[as_of - N days, as_of]``.
* **Paths.** Renames are followed (:mod:`workbench.history.renames`): every change counts for
  the latest path of its file. Renames are applied in ``order``, the commit graph's order
  (parents before children, ``git rev-list --topo-order --reverse``), never by date: a commit
  whose clock is behind its parent's still comes after it, and an edit made on a branch beside
  a rename (merged after it) follows the rename. Without ``order`` the commits are taken in
  the order given.
* **Present files.** ``present`` (the paths of the snapshot's tree) marks each row ``present``;
  rows for files deleted before the snapshot are kept with ``present`` false, and views show
  present files unless asked for deleted ones.
* **Shallow history.** ``boundary_paths`` (sha, path: the files in the tree of each shallow
  boundary commit) marks the files that existed at the boundary: ``history_truncated`` is true
  and ``first_seen`` is unknown (null) for them, since their changes before it are unknown.
  A file of the boundary that never changed after it still gets a row, with zero commits.
* **Authors** are identified by their (mailmapped) e-mail, or their name when the e-mail is
  empty.
* **churn** = added + deleted lines; **commits** = commits that changed the file. Merges carry
  no file changes (see the merge policy in :mod:`workbench.history.mine`) so they count for
  neither. Binary changes count as commits with zero churn.
* **main_author** is the author who added the most lines to the file (ties: more commits, then
  the most recent, then the e-mail's sort order); **ownership** is the main author's share of
  all lines added to the file. For a file nobody added a line to (binary, emptied) both are
  taken over commits instead of lines. **main_author_name** is the name the main author used
  last up to ``as_of`` (of two commits at the same instant, the later one in the input).
* **code_age_days**: days from the last change to ``as_of``; **first_seen**/**last_changed**:
  author dates of the first and last change.
* **knowledge_loss**: the main author made no commit at all in the repository in the
  ``knowledge_loss_days`` (365) days up to ``as_of``.
* **hotspot** = (commits / max commits) × (lines / max lines), both over all files listed.
  ``sizes`` gives lines per (current) path; a path missing from it scores 0 (usually deleted).
  Without ``sizes`` the size factor is 1, so the hotspot is the normalised commit count.

Change coupling follows code-maat's ``coupling`` analysis: commits touching more than
``max_changeset_size`` files (30) are dropped first (mass reformatting, vendoring), then for
every pair of files changed together ``degree = shared / mean(revisions_a, revisions_b)``,
where the revisions are counted on the commits kept. A pair is kept when the two files changed
together in at least 5 commits, their mean revisions are at least 5 and the degree is at least
0.3 (:data:`COUPLING_MIN_SHARED`, :data:`COUPLING_MIN_REVISIONS`,
:data:`COUPLING_MIN_DEGREE`, as code-maat's defaults ``--min-shared-revs``, ``--min-revs`` and
``--min-coupling`` 30 %). code-maat prints the degree in percent; here it is a fraction in
[0, 1].
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.history.renames import ReadOnFirstUse, latest_paths
from workbench.membership import contains

DEFAULT_WINDOWS: tuple[int, ...] = (30, 90, 365)
#: Change coupling leaves out commits of more files than this (see the module docstring).
MAX_CHANGESET_SIZE = 30
#: A pair of files is coupled (a ``co_changes`` edge) when they changed together in at least
#: this many of the commits kept,
COUPLING_MIN_SHARED = 5
#: the mean of their revisions (commits kept that changed each) is at least this many,
COUPLING_MIN_REVISIONS = 5
#: and their degree of coupling (shared / mean revisions) is at least this.
COUPLING_MIN_DEGREE = 0.3
#: A day in microseconds. Times are compared as integer microseconds since the epoch (UTC):
#: a window's edge is exact, and no session time zone or daylight-saving shift enters.
_DAY_US = 86_400_000_000
_UNIT_MICROS = {"s": 1_000_000, "ms": 1_000, "us": 1}

#: The commits as the analysis reads them (:func:`commit_table`): ``author`` is the author key
#: (the mailmapped e-mail, or the name when the e-mail is empty), ``t`` the author date and
#: ``c`` the commit date in UTC microseconds (null when unknown), ``r`` the row's place in the
#: input, or the number the store gave it
#: (:meth:`~workbench.store.history.HistoryTable.commit_rows`).
#: The name an author used last is that of their commit with the greatest ``(t, c, sha)``:
#: a rebase keeps the author date and moves the commit date.
COMMIT_TABLE = pa.schema([("sha", pa.string()), ("author", pa.string()),
                          ("author_name", pa.string()), ("t", pa.int64()), ("c", pa.int64()),
                          ("r", pa.int64())])
#: The order of an author's commits that picks the name they used last (see COMMIT_TABLE).
LAST_NAME_ORDER = "(t, c, sha)"
#: One row per (latest path, commit), what :func:`per_file_changes` hands to the metrics:
#: ``seq`` stands for the commit (its place in the order).
CHANGE_TABLE = pa.schema([("path", pa.string()), ("added", pa.int64()), ("deleted", pa.int64()),
                          ("churn", pa.int64()), ("t", pa.int64()), ("author", pa.string()),
                          ("seq", pa.int64())])
#: The changes renames moved: (commit, path as changed, latest path).
MOVE_TABLE = pa.schema([("sha", pa.string()), ("path", pa.string()), ("latest", pa.string())])
_RAW_CHANGES = pa.schema([("sha", pa.string()), ("path", pa.string()),
                          ("old_path", pa.string()), ("added", pa.int64()),
                          ("deleted", pa.int64())])


_DATABASE: duckdb.DuckDBPyConnection | None = None
_DATABASE_LOCK = threading.Lock()


def _connect(**tables: Any) -> duckdb.DuckDBPyConnection:
    """A connection of its own to the process's in-memory DuckDB, with ``tables`` (Arrow
    tables or DataFrames) registered under their names: scanned where they are, not copied
    in. Its views and temporary tables end with it. The database is made once (about 20 ms)
    and shared: a small history's whole analysis takes less."""
    global _DATABASE
    with _DATABASE_LOCK:
        if _DATABASE is None:
            # results come back in the order their queries ask for, no other: DuckDB need
            # not keep rows in their input order, which holds memory on a million rows
            _DATABASE = duckdb.connect(config={"preserve_insertion_order": False})
        con = _DATABASE.cursor()
    for name, table in tables.items():
        con.register(name, table)
    return con


def _paths(values: Iterable[str]) -> pa.Table:
    return pa.table({"path": pa.array(sorted(values), pa.string())})


def _micros(stamp: pd.Timestamp) -> int:
    """Microseconds since the epoch (``Timestamp.value`` counts nanoseconds)."""
    return int(stamp.value) // 1_000


def _as_times(table: pa.Table, *columns: str) -> pa.Table:
    """``table`` with ``columns`` (UTC microsecond counts) as UTC timestamps."""
    for column in columns:
        at = table.schema.get_field_index(column)
        table = table.set_column(at, column, table.column(column).cast(pa.int64()).cast(
            pa.timestamp("us", tz="UTC")))
    return table


def commit_table(commits: Any) -> pa.Table:
    """``commits`` in the form the analysis reads (:data:`COMMIT_TABLE`).

    ``commits``: a DataFrame or an Arrow table with sha, author_name, author_email,
    authored_at and, when known, committed_at (naive times are taken as UTC) and ``r``, or a
    table already in this form (returned as it is). A missing author date stays missing:
    the commit is in no window."""
    if isinstance(commits, pa.Table) and commits.schema.equals(COMMIT_TABLE):
        return commits
    if commits is None or len(commits) == 0:
        return COMMIT_TABLE.empty_table()
    if isinstance(commits, pd.DataFrame):
        def utc(column: str) -> pa.Array:
            stamps = pd.to_datetime(commits[column])
            stamps = (stamps.dt.tz_localize("UTC") if stamps.dt.tz is None
                      else stamps.dt.tz_convert("UTC"))
            return pa.array(stamps.dt.as_unit("us"), from_pandas=True)

        commits = pa.table({
            "sha": pa.array(commits["sha"], pa.string(), from_pandas=True),
            "author_name": pa.array(commits["author_name"], pa.string(), from_pandas=True),
            "author_email": pa.array(commits["author_email"], pa.string(), from_pandas=True),
            "authored_at": utc("authored_at"),
            **({"committed_at": utc("committed_at")} if "committed_at" in commits else {})})
    names = commits.column_names
    committed = (_stamp_micros(commits.column("committed_at")) if "committed_at" in names
                 else pa.nulls(len(commits), pa.int64()))
    rows = (commits.column("r").cast(pa.int64()) if "r" in names
            else pa.array(np.arange(len(commits)), pa.int64()))
    # the author key: the (mailmapped) e-mail, or the name when the e-mail is empty
    email = pc.fill_null(commits.column("author_email").cast(pa.string()), "")
    name = commits.column("author_name").cast(pa.string())
    arrays = {"sha": commits.column("sha").cast(pa.string()),
              "author": pc.if_else(pc.not_equal(email, ""), email, name), "author_name": name}
    return pa.table({**arrays, "t": _stamp_micros(commits.column("authored_at")),
                     "c": committed, "r": rows}, schema=COMMIT_TABLE)


def _stamp_micros(stamps: Any) -> Any:
    """Arrow timestamps (any unit, any zone) as int64 UTC microseconds."""
    if pa.types.is_null(stamps.type):
        return pa.nulls(len(stamps), pa.int64())
    unit = stamps.type.unit
    if unit == "ns":  # git's dates are whole seconds: nothing is lost
        stamps = pc.cast(stamps, pa.timestamp("us", stamps.type.tz), safe=False)
        unit = "us"
    return pc.multiply(stamps.cast(pa.timestamp(unit)).cast(pa.int64()), _UNIT_MICROS[unit])


def _change_rows(file_changes: Any) -> pa.Table:
    """The raw file changes (sha, path, old_path, added, deleted) as Arrow; a DataFrame's
    NaN counts (binary changes) become nulls."""
    columns = [field.name for field in _RAW_CHANGES]
    if file_changes is None or len(file_changes) == 0:
        return _RAW_CHANGES.empty_table()
    if isinstance(file_changes, pd.DataFrame):
        table = pa.Table.from_pandas(file_changes[columns], preserve_index=False)
    else:
        table = file_changes.select(columns)
    return pa.table([table.column(f.name).cast(f.type) for f in _RAW_CHANGES],
                    schema=_RAW_CHANGES)


def file_metrics(
    commits: Any,
    file_changes: Any,
    as_of: datetime | pd.Timestamp | None = None,
    sizes: pd.Series | None = None,
    *,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    knowledge_loss_days: int = 365,
    order: Sequence[str] | None = None,
    present: Iterable[str] | None = None,
    boundary_paths: pd.DataFrame | None = None,
    prepared: "PerFileChanges | None" = None,
) -> pd.DataFrame:
    """One row per file (latest path) with the metrics described in the module docstring.

    Columns: path, churn_{N}d and commits_{N}d for each window, churn_total, commits_total,
    added_total, deleted_total, authors, main_author, main_author_name, ownership,
    history_truncated, first_seen, last_changed (``datetime64[us, UTC]``), code_age_days,
    knowledge_loss, lines, hotspot, present (null without ``present``). Sorted by path.
    ``prepared`` (from :func:`per_file_changes` with the same arguments) skips the shared
    first step.
    """
    if prepared is None:
        prepared = per_file_changes(commits, file_changes, as_of, order=order,
                                    boundary_paths=boundary_paths)
    now = _micros(prepared.as_of)
    sums, window_columns = window_sums(now, windows)
    counts = [*window_columns, "churn_total", "commits_total", "added_total", "deleted_total",
              "authors"]
    sql = f"""
    WITH per_path AS (
        SELECT path, {', '.join(sums)}, sum(churn) AS churn_total, count(*) AS commits_total,
               sum(added) AS added_total, sum(deleted) AS deleted_total,
               min(t) AS first_t, max(t) AS last_t
        FROM changes GROUP BY path),
    per_author AS (
        SELECT path, author, sum(added) AS added, count(*) AS commits, max(t) AS last_t
        FROM changes WHERE author IS NOT NULL GROUP BY path, author),
    -- a path's authors are its groups above: a second DISTINCT count of a million rows
    -- cost as much as the rest of the paths' sums
    authored AS (SELECT path, count(*) AS authors FROM per_author GROUP BY path),
    main AS (
        SELECT path, author,
               CASE WHEN sum(added) OVER whole > 0 THEN added::DOUBLE / sum(added) OVER whole
                    ELSE commits::DOUBLE / sum(commits) OVER whole END AS ownership
        FROM per_author WINDOW whole AS (PARTITION BY path)
        QUALIFY row_number() OVER (PARTITION BY path ORDER BY added DESC, commits DESC,
                                   last_t DESC, author) = 1),
    dated AS (SELECT author, author_name, sha, t, c FROM commits
              WHERE t <= {now} AND author IS NOT NULL),
    names AS (SELECT author, arg_max(author_name, {LAST_NAME_ORDER}) AS name FROM dated
              GROUP BY author),
    active AS (SELECT DISTINCT author FROM dated
               WHERE {now} - t <= {int(knowledge_loss_days) * _DAY_US}),
    everything AS (SELECT path FROM per_path UNION SELECT path FROM truncated)
    SELECT e.path, {', '.join(f'coalesce({"au" if c == "authors" else "p"}.{c}, 0)::BIGINT AS {c}'
                              for c in counts)},
           m.author AS main_author, n.name AS main_author_name, m.ownership,
           tr.path IS NOT NULL AS history_truncated,
           CASE WHEN tr.path IS NULL THEN p.first_t END AS first_seen, p.last_t AS last_changed,
           ({now} - p.last_t)::DOUBLE / {_DAY_US} AS code_age_days,
           m.author IS NOT NULL AND a.author IS NULL AS knowledge_loss
    FROM everything e
    LEFT JOIN per_path p USING (path)
    LEFT JOIN authored au USING (path)
    LEFT JOIN main m USING (path)
    LEFT JOIN names n ON n.author = m.author
    LEFT JOIN active a ON a.author = m.author
    LEFT JOIN truncated tr USING (path)
    ORDER BY e.path"""
    with _connect(changes=prepared.changes, commits=prepared.commits,
                  truncated=_paths(prepared.truncated)) as con:
        result = _as_times(con.execute(sql).to_arrow_table(), "first_seen",
                           "last_changed").to_pandas()
    for column in ("history_truncated", "knowledge_loss"):
        result[column] = result[column].astype(bool)
    result["ownership"] = result["ownership"].astype("float64")
    result["code_age_days"] = result["code_age_days"].astype("float64")
    lines, hotspot = _hotspots(result["commits_total"].set_axis(result["path"]), sizes)
    result["lines"], result["hotspot"] = lines.to_numpy(), hotspot.to_numpy()
    if present is not None:
        result["present"] = contains(result["path"], present)
    else:
        result["present"] = pd.Series(pd.NA, index=result.index, dtype="boolean")
    return result


def window_sums(now: int, windows: Sequence[int]) -> tuple[list[str], list[str]]:
    """The SQL aggregates of the window columns over a ``changes`` table (path, churn, t)
    grouped by path, for an analysis date ``now`` (UTC microseconds), and their names."""
    sums, columns = [], []
    for days in windows:
        recent = f"{now} - t <= {int(days) * _DAY_US}"
        sums += [f"sum(churn) FILTER (WHERE {recent}) AS churn_{days}d",
                 f"count(*) FILTER (WHERE {recent}) AS commits_{days}d"]
        columns += [f"churn_{days}d", f"commits_{days}d"]
    return sums, columns


def change_coupling(
    commits: Any,
    file_changes: Any,
    as_of: datetime | pd.Timestamp | None = None,
    *,
    min_shared: int = COUPLING_MIN_SHARED,
    min_revisions: int = COUPLING_MIN_REVISIONS,
    min_degree: float = COUPLING_MIN_DEGREE,
    max_changeset_size: int = MAX_CHANGESET_SIZE,
    order: Sequence[str] | None = None,
    prepared: "PerFileChanges | None" = None,
) -> pd.DataFrame:
    """Pairs of files changed in the same commits, as in code-maat's ``coupling`` analysis.

    Returns path_a < path_b, shared, revisions_a, revisions_b, degree; kept when ``shared >=
    min_shared`` (5), ``mean(revisions) >= min_revisions`` (5) and ``degree >= min_degree``
    (0.3), counted on the commits of at most ``max_changeset_size`` (30) files. Sorted by
    degree, then shared revisions, descending. ``prepared``: as in :func:`file_metrics`
    (boundary markers in it do not count); its ``changes`` need only path and sha (or seq).
    """
    if prepared is None:
        prepared = per_file_changes(commits, file_changes, as_of, order=order)
    changes = prepared.changes
    names = changes.schema.names if isinstance(changes, pa.Table) else list(changes.columns)
    commit = "seq" if "seq" in names else "sha"  # an integer stands for the commit when given
    sql = f"""
    WITH kept AS (
        SELECT {commit} AS sha, path FROM changes
        WHERE {commit} IN (SELECT {commit} FROM changes GROUP BY {commit}
                           HAVING count(*) <= {int(max_changeset_size)})),
    revisions AS (SELECT path, count(*) AS n FROM kept GROUP BY path),
    pairs AS (
        SELECT a.path AS path_a, b.path AS path_b, count(*) AS shared
        FROM kept a JOIN kept b ON a.sha = b.sha AND a.path < b.path GROUP BY ALL),
    scored AS (
        SELECT path_a, path_b, shared, ra.n AS revisions_a, rb.n AS revisions_b,
               (ra.n + rb.n)::DOUBLE / 2 AS mean_revisions
        FROM pairs JOIN revisions ra ON ra.path = path_a JOIN revisions rb ON rb.path = path_b)
    SELECT path_a, path_b, shared, revisions_a, revisions_b,
           shared::DOUBLE / mean_revisions AS degree
    FROM scored
    WHERE shared >= ? AND mean_revisions >= ? AND shared::DOUBLE / mean_revisions >= ?
    ORDER BY degree DESC, shared DESC, path_a, path_b"""
    with _connect(changes=prepared.changes) as con:
        coupling = con.execute(sql, [min_shared, min_revisions, min_degree]).to_arrow_table()
    return coupling.to_pandas().astype({"shared": "int64", "revisions_a": "int64",
                                        "revisions_b": "int64", "degree": "float64"})


@dataclass(frozen=True)
class PerFileChanges:
    """The first step :func:`file_metrics` and :func:`change_coupling` share, done once."""

    commits: pa.Table  # every commit given, as :func:`commit_table` gives them
    as_of: pd.Timestamp
    changes: pa.Table  # one row per (latest path, commit): :data:`CHANGE_TABLE`
    truncated: set[str]  # latest paths of the files present at a shallow boundary
    #: (sha, path, latest) of every change whose latest path is not its path
    #: (:data:`MOVE_TABLE`): what an update of the analysis needs to place older changes
    moves: pa.Table | None = None


def per_file_changes(commits: Any, file_changes: Any,
                     as_of: datetime | pd.Timestamp | None = None, *,
                     order: Sequence[str] | None = None,
                     boundary_paths: pd.DataFrame | None = None,
                     parents: Mapping[str, Sequence[str]] | None = None) -> PerFileChanges:
    """Changes per latest path and commit, renames followed, up to ``as_of``: the input of
    :func:`file_metrics` and :func:`change_coupling` (pass it as their ``prepared``).

    ``commits``/``file_changes``: DataFrames or Arrow tables (see the module docstring).
    With ``order``, only its commits count, in its order, and renames are followed in the
    commit graph: its parents come from ``parents`` (sha -> parent shas; looked up only for
    commits beside a rename) or else from a ``parents`` column of ``commits``. A commit that
    touched two former paths of one file counts once for it. ``file_changes`` has one row
    per commit and path, as git lists a commit's changes."""
    table = commit_table(commits)
    if as_of is not None:
        stamp = pd.Timestamp(as_of)
        as_of = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    elif table.num_rows and pc.max(table.column("t")).is_valid:
        as_of = pd.Timestamp(pc.max(table.column("t")).as_py(), unit="us", tz="UTC")
    else:
        as_of = pd.Timestamp.now(tz="UTC")
    if parents is None and isinstance(commits, pd.DataFrame) and "parents" in commits:
        parents = _BySha(commits["sha"], commits["parents"], list)
    boundary = (pa.table({"sha": pa.array(boundary_paths["sha"], pa.string()),
                          "path": pa.array(boundary_paths["path"], pa.string())})
                if boundary_paths is not None and not boundary_paths.empty
                else pa.table({"sha": pa.array([], pa.string()), "path": pa.array([], pa.string())}))
    with _connect(commits=table, raw=_change_rows(file_changes), boundary=boundary) as con:
        # ``seq``: a commit's place in the order (or in the input without one); only its
        # ranking matters, and it stands for the commit in every grouping (an integer key)
        if order is not None:
            listed = order if isinstance(order, pa.Array) else pa.array(list(order), pa.string())
            con.register("ordering", pa.table({"sha": listed,
                                               "pos": pa.array(np.arange(len(listed)))}))
            con.execute("CREATE TEMP VIEW info AS SELECT c.sha, c.t, c.author, o.pos AS seq"
                        " FROM commits c JOIN ordering o USING (sha)")
        else:
            con.execute("CREATE TEMP VIEW info AS SELECT sha, t, author, r AS seq FROM commits")
        marked = boundary.num_rows > 0
        markers = ("UNION ALL SELECT b.sha, b.path, NULL, 0, 0, true, i.seq, i.t, i.author"
                   " FROM boundary b JOIN info i USING (sha)") if marked else ""
        con.execute(f"""CREATE TEMP VIEW rows AS
            SELECT f.sha, f.path, f.old_path, f.added, f.deleted, false AS marker, i.seq, i.t,
                   i.author FROM raw f JOIN info i USING (sha) {markers}""")
        con.register("moved", _moved(con, graph=order is not None and parents is not None,
                                     parents=parents))
        truncated = {path for (path,) in con.execute(
            f"SELECT DISTINCT final FROM ({_LATEST}) WHERE marker").fetchall()} if marked else set()
        changes = per_path_changes(con, as_of)
        moves = con.execute("SELECT i.sha, m.path, m.latest FROM moved m JOIN info i USING (seq)"
                            " ORDER BY i.sha, m.path").to_arrow_table().cast(MOVE_TABLE)
    return PerFileChanges(table, as_of, changes, truncated, moves)


#: Each row's latest path: its own, unless ``moved`` (seq, path, latest) says otherwise.
_LATEST = ("SELECT coalesce(m.latest, r.path) AS final, r.* FROM rows r"
           " LEFT JOIN moved m ON m.seq = r.seq AND m.path = r.path")


def per_path_changes(con: duckdb.DuckDBPyConnection, as_of: pd.Timestamp) -> pa.Table:
    """:data:`CHANGE_TABLE` rows, one per (latest path, commit), of the ``rows`` view (sha,
    path, old_path, added, deleted, marker, seq, t, author) of ``con`` moved by its ``moved``
    table (seq, path, latest): the rows up to ``as_of``, boundary markers left out."""
    # a commit has one row per path, so two rows meet at one latest path only where a
    # rename moved one of them: only the (latest path, commit) pairs that moved rows go
    # to are grouped; every other row already stands alone for its pair
    return con.execute(f"""
        WITH meet AS (SELECT DISTINCT latest AS final, seq FROM moved),
        placed AS (SELECT * FROM ({_LATEST}) WHERE NOT marker AND t <= {_micros(as_of)})
        SELECT final AS path, coalesce(added, 0) AS added, coalesce(deleted, 0) AS deleted,
               coalesce(added, 0) + coalesce(deleted, 0) AS churn, t, author, seq
        FROM placed p ANTI JOIN meet USING (final, seq)
        UNION ALL
        SELECT final AS path,
               coalesce(sum(added), 0) AS added, coalesce(sum(deleted), 0) AS deleted,
               coalesce(sum(added), 0) + coalesce(sum(deleted), 0) AS churn,
               min(t) AS t, min(author) AS author, seq
        FROM placed p SEMI JOIN meet USING (final, seq)
        GROUP BY final, seq""").to_arrow_table().cast(CHANGE_TABLE)


def _moved(con: duckdb.DuckDBPyConnection, *, graph: bool,
           parents: Mapping[str, Sequence[str]] | None) -> pa.Table:
    """(seq, path, latest) for the change rows of ``rows`` whose latest path is not their
    path (a row's latest path depends on its commit and path alone).

    Only a row at a path some rename left, or a rename itself, can move: those rows (few)
    go through :func:`~workbench.history.renames.latest_paths`; with ``graph``, beside the
    renames in the commit graph (the positions of the commits are read on first use)."""
    none = pa.table({"seq": pa.array([], pa.int64()), "path": pa.array([], pa.string()),
                     "latest": pa.array([], pa.string())})
    if not con.execute("SELECT count(*) FROM raw WHERE old_path IS NOT NULL").fetchone()[0]:
        return none
    involved = con.execute(
        "SELECT DISTINCT sha, path, old_path, seq FROM rows WHERE old_path IS NOT NULL"
        " OR path IN (SELECT old_path FROM raw WHERE old_path IS NOT NULL)"
        " ORDER BY seq, path, old_path").to_arrow_table().to_pandas()
    options = {}
    if graph:
        options = dict(parents=parents, shas=involved["sha"],
                       position=ReadOnFirstUse(lambda: _positions(con)))
    latest = latest_paths(involved["path"], involved["old_path"], involved["seq"], **options)
    changed = (latest != involved["path"]).to_numpy()
    return pa.table({"seq": pa.array(involved["seq"].to_numpy()[changed], pa.int64()),
                     "path": pa.array(involved["path"].to_numpy()[changed], pa.string()),
                     "latest": pa.array(latest.to_numpy()[changed], pa.string())})


def _positions(con: duckdb.DuckDBPyConnection) -> "_BySha":
    """sha -> place in the order, of every listed commit."""
    frame = con.execute("SELECT sha, seq FROM info").to_arrow_table().to_pandas()
    return _BySha(frame["sha"], frame["seq"], int)


class _BySha(Mapping):
    """sha -> one value of each commit's row, looked up on demand: rename following asks
    about the few commits beside a rename, so a dict over every commit (a million of them)
    would be built for nothing. ``convert`` turns the stored value into the answer; None
    values (a root commit's missing parents) count as absent."""

    def __init__(self, shas: pd.Series, values: pd.Series, convert) -> None:
        self._row = pd.Index(shas.to_numpy())
        self._values = values.to_numpy()
        self._convert = convert

    def __getitem__(self, sha: str):
        found = self._row.get_indexer([sha])[0]
        value = self._values[found] if found >= 0 else None
        if value is None or (not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value)):
            raise KeyError(sha)
        return self._convert(value)

    def __iter__(self):
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


def author_names(commits: Any, as_of: datetime | pd.Timestamp | None = None) -> pd.Series:
    """The name each author key used last up to ``as_of`` (default: the latest author date),
    indexed by author key. ``commits``: as :func:`commit_table` takes them."""
    table = commit_table(commits)
    bound = f"WHERE t <= {_micros(pd.Timestamp(as_of))}" if as_of is not None else ""
    with _connect(commits=table) as con:
        names = con.execute(
            f"SELECT author, arg_max(author_name, {LAST_NAME_ORDER}) AS name FROM commits {bound}"
            " GROUP BY author HAVING author IS NOT NULL ORDER BY author").to_arrow_table()
    return pd.Series(names.column("name").to_pandas().to_numpy(),
                     index=pd.Index(names.column("author").to_pandas(), name="author"),
                     name="author_name")


def with_sizes(metrics: pd.DataFrame, sizes: pd.Series) -> pd.DataFrame:
    """``metrics`` (from :func:`file_metrics` without sizes) with the ``lines`` and
    ``hotspot`` columns ``file_metrics(..., sizes=sizes)`` would have given (a map learns the
    sizes from the parse, after the history's metrics are computed)."""
    lines, hotspot = _hotspots(metrics["commits_total"].set_axis(metrics["path"]), sizes)
    return metrics.assign(lines=lines.to_numpy(), hotspot=hotspot.to_numpy())


def _hotspots(commit_counts: pd.Series, sizes: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """``(lines, hotspot)`` per path (see the module docstring)."""
    max_commits = commit_counts.max()
    frequency = commit_counts / max_commits if max_commits else commit_counts * 0.0
    if sizes is None:
        return pd.Series(np.nan, index=commit_counts.index), frequency.astype(float)
    lines = sizes.reindex(commit_counts.index).fillna(0).astype("int64")
    max_lines = lines.max()
    size_factor = lines / max_lines if max_lines else lines * 0.0
    return lines, (frequency * size_factor).astype(float)
