"""A snapshot's history analysis updated from an earlier snapshot's, not recomputed.

The whole analysis (:func:`~.metrics.per_file_changes`, :func:`~.metrics.file_metrics`,
:func:`~.metrics.change_coupling`) reads every change of the history: on a million commits
it takes seconds, for a re-map whose new commits touched one file. When the new snapshot's
commit descends from the earlier one's and the new commits rename nothing, the result is the
earlier one's with three kinds of change, each computed from few rows:

* **the paths the new commits changed** ("touched") get their metrics from all their changes,
  read from the store by path (the changes renames moved to them included);
* **every other path** keeps its totals, authors, main author, ownership, first and last
  change; what depends on the analysis date (the windows, the code age, knowledge loss and
  the name each main author used last) is worked out again from the changes of the last
  ``max(windows)`` days and from the commits;
* **change coupling** keeps the earlier pairs of untouched paths and computes every pair of a
  touched path again, from the whole commits that changed it or any path changed with it.

Renames are placed by the earlier analysis's moves (:class:`AnalysisRecord`): no change of a
new commit moves (the new commits rename nothing and change no path a rename left), and no
older change moves elsewhere than before (no new rename). Where two renames of one path were
made on branches beside each other, which one the earlier analysis followed depends on the
order git listed its history in; the update keeps that choice.

What the update cannot take, the whole analysis does (:func:`why_not`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable, Sequence

import pandas as pd
import pyarrow as pa

from ..membership import contains, positions
from .metrics import (_DAY_US, DEFAULT_WINDOWS, LAST_NAME_ORDER, MAX_CHANGESET_SIZE,
                      MOVE_TABLE, PerFileChanges,
                      _connect, _change_rows, _hotspots, _micros, change_coupling,
                      file_metrics, per_path_changes, window_sums)

#: Columns of a snapshot's stored metrics that the analysis does not make (the owners of
#: current lines come from blame, when the analysis is finished).
OWNER_COLUMNS = ("current_lines", "current_owner", "current_owner_name", "current_ownership",
                 "current_lines_unknown")
#: The shortest history an update starts from: below it the whole analysis is as quick
#: (in-process, median of five: 0.199 s whole against 0.214 s updated at 5,000 commits,
#: 0.285 s against 0.247 s at 20,000, about 7 s against 2 s at a million).
MIN_BASE_COMMITS = 10_000
#: The most new commits an update takes (a bound on what it reads by path and commit); more
#: are analysed whole.
MAX_NEW_COMMITS = 10_000
_COUPLING_TYPES = {"shared": "int64", "revisions_a": "int64", "revisions_b": "int64",
                   "degree": "float64"}


#: The version of the analysis a record was made by: an update starts only from a record of
#: this version (a changed analysis would leave the untouched paths' old values).
ANALYSIS_VERSION = 1


@dataclass(frozen=True)
class AnalysisRecord:
    """What a snapshot's history analysis keeps for the next snapshot's update: the changes
    renames moved (:data:`~.metrics.MOVE_TABLE`), the whole change coupling (the map's
    co-change edges hold only the pairs of files it has) and the shas of the project's
    stored commits outside the snapshot's history (``outside``: another branch's, mapped
    too), which an update leaves out as the whole analysis does; and each identity's latest
    commits in the history (``identities``, :func:`~.commits.latest_of_identities`; None in
    records kept before schema 28), so that an update reads no commit but the new ones for
    the author names."""

    moves: pa.Table
    coupling: pd.DataFrame
    outside: pa.Array
    identities: pa.Table | None = None
    version: int = ANALYSIS_VERSION

    def encode(self) -> tuple[bytes, bytes, bytes, bytes | None]:
        """``(moves, coupling, outside, identities)`` as compressed Arrow IPC streams (the
        last None without identities)."""
        coupling = pa.Table.from_pandas(self.coupling.reset_index(drop=True),
                                        preserve_index=False)
        outside = pa.table({"sha": pa.array(self.outside, pa.string())})
        return (_ipc(self.moves.cast(MOVE_TABLE)), _ipc(coupling), _ipc(outside),
                _ipc(self.identities) if self.identities is not None else None)

    @classmethod
    def decode(cls, moves: bytes, coupling: bytes, outside: bytes,
               identities: bytes | None = None, *, version: int) -> "AnalysisRecord":
        table = _read_ipc(coupling).to_pandas()
        if table.empty:
            table = pd.DataFrame({"path_a": pd.Series(dtype=object),
                                  "path_b": pd.Series(dtype=object),
                                  **{c: pd.Series(dtype=t) for c, t in _COUPLING_TYPES.items()}})
        return cls(_read_ipc(moves).cast(MOVE_TABLE), table.astype(_COUPLING_TYPES),
                   _read_ipc(outside).column("sha").combine_chunks(),
                   _read_ipc(identities) if identities is not None else None, version)


def _ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _read_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def why_not(*, version: int, base_commits: int, base_boundary: bool, same_mailmap: bool,
            new_commits: int, stored_commits: int, expected_commits: int, renamed: bool,
            left_paths_changed: bool) -> str | None:
    """Why the analysis of a snapshot cannot be an update of its base's, or None when it can
    ("" when a short history is analysed whole because that is as quick: nothing to say).

    The new commit descends from the base's (checked before). ``version``: the base
    record's; ``base_commits``: the base's history's commits; ``base_boundary``: the base's
    history is shallow; ``same_mailmap``: both commits have the same ``.mailmap``;
    ``new_commits``: commits reachable from the new commit and not from the base's;
    ``stored_commits``: the project's mined commits, which must be ``expected_commits`` (the
    base's, the new ones and those the base left outside its history), so that what the
    store holds beside the new history is known; ``renamed``: a new commit renames a file;
    ``left_paths_changed``: a new commit changes a path some rename left."""
    if version != ANALYSIS_VERSION:
        return "the earlier analysis was made by another version"
    if base_commits < MIN_BASE_COMMITS:  # a choice of speed, not worth a word to the user
        return ""
    if base_boundary:
        return "the earlier history is shallow"
    if not same_mailmap:
        return "the .mailmap changed"
    if new_commits > MAX_NEW_COMMITS:
        return f"more than {MAX_NEW_COMMITS:,} new commits"
    if stored_commits != expected_commits:
        return ("commits outside this history were mined since the earlier analysis (another"
                " branch's, or commits an amend, rebase or force-push rewrote)")
    if renamed:
        return "a new commit renames a file"
    if left_paths_changed:
        return "a new commit changes a path a rename left"
    return None


def sources(moves: pa.Table, latest: Iterable[str]) -> list[str]:
    """The paths whose changes may end at the ``latest`` paths: those paths and every path a
    moved change of theirs was made at."""
    wanted = sorted(set(latest))
    moved = contains(moves.column("latest"), wanted)
    return sorted(set(wanted) | set(moves.column("path").filter(pa.array(moved)).to_pylist()))


def placed_changes(commits: pa.Table, raw: pa.Table, moves: pa.Table,
                   as_of: pd.Timestamp) -> pa.Table:
    """``raw`` changes (sha, path, old_path, added, deleted) as the analysis counts them:
    one :data:`~.metrics.CHANGE_TABLE` row per (latest path, commit), each change at the
    latest path ``moves`` gives it (its own path when none). ``commits``: every commit of the
    history, as :func:`~.metrics.commit_table` gives them (``seq`` is their row)."""
    raw = _change_rows(raw)
    # the commits of these changes, found by probing the history's shas in a hash table of
    # theirs (few): a join would hash the million commits for each call
    mine = pa.array(positions(commits.column("sha"), raw.column("sha").unique()) >= 0)
    commits = commits.filter(mine)
    moves = moves.cast(MOVE_TABLE)
    moves = moves.filter(pa.array(contains(moves.column("sha"), commits.column("sha"))))
    with _connect(commits=commits, raw=raw, moves=moves) as con:
        con.execute("CREATE TEMP VIEW info AS SELECT sha, t, author, r AS seq FROM commits")
        con.execute("""CREATE TEMP VIEW rows AS
            SELECT f.sha, f.path, f.old_path, f.added, f.deleted, false AS marker, i.seq, i.t,
                   i.author FROM raw f JOIN info i USING (sha)""")
        con.execute("CREATE TEMP TABLE moved AS SELECT i.seq, m.path, m.latest"
                    " FROM moves m JOIN info i USING (sha)")
        return per_path_changes(con, as_of)


def updated_metrics(commits: pa.Table, as_of: pd.Timestamp, base: pd.DataFrame,
                    touched: Sequence[str], touched_changes: pa.Table, recent_changes: pa.Table,
                    *, present: Iterable[str] | None, windows: Sequence[int] = DEFAULT_WINDOWS,
                    knowledge_loss_days: int = 365) -> pd.DataFrame:
    """What :func:`~.metrics.file_metrics` gives for the new history, from the ``base``
    snapshot's metrics (every path, deleted files included).

    ``touched_changes``: every change (:func:`placed_changes`) whose latest path is in
    ``touched``; ``recent_changes``: every change within ``max(windows)`` days of ``as_of``
    (more does no harm)."""
    now = _micros(as_of)
    touched = sorted(set(touched))
    touched_changes = _only(touched_changes, touched)
    # a main author's name and activity are their own commits': only the commits of the
    # touched paths' authors are read for those paths
    theirs = commits.filter(pa.array(contains(commits.column("author"),
                                              touched_changes.column("author").unique())))
    fresh = file_metrics(None, None, present=present,
                         prepared=PerFileChanges(theirs, as_of, touched_changes, set()),
                         windows=windows, knowledge_loss_days=knowledge_loss_days)
    kept = base.loc[~contains(base["path"], touched)].drop(
        columns=[c for c in OWNER_COLUMNS if c in base.columns]).reset_index(drop=True)
    if len(kept):
        sums, columns = window_sums(now, windows)
        with _connect(changes=recent_changes) as con:
            recent = con.execute(f"SELECT path, {', '.join(sums)} FROM changes"
                                 f" WHERE t <= {now} GROUP BY path").to_arrow_table().to_pandas()
        recent = recent.set_index("path")
        for column in columns:
            kept[column] = recent[column].reindex(kept["path"]).fillna(0).astype(
                "int64").to_numpy()
        last = kept["last_changed"]
        stamps = last.dt.tz_convert("UTC").dt.as_unit("us")
        micros = stamps.astype("int64").where(last.notna())
        kept["code_age_days"] = ((now - micros) / _DAY_US).astype("float64")
        names, active = _authors(commits, now, knowledge_loss_days)
        kept["main_author_name"] = kept["main_author"].map(names)
        kept["knowledge_loss"] = (kept["main_author"].notna()
                                  & ~contains(kept["main_author"], active)).astype(bool)
        kept["present"] = (contains(kept["path"], present) if present is not None
                           else pd.Series(pd.NA, index=kept.index, dtype="boolean"))
        kept["first_seen"] = kept["first_seen"].dt.tz_convert("UTC").dt.as_unit("us")
        kept["last_changed"] = stamps
        kept["history_truncated"] = kept["history_truncated"].astype(bool)
        kept = kept[list(fresh.columns)].astype(fresh.dtypes.to_dict())
    result = pd.concat([fresh, kept], ignore_index=True) if len(kept) else fresh
    result = result.sort_values("path", kind="stable", ignore_index=True)
    lines, hotspot = _hotspots(result["commits_total"].set_axis(result["path"]), None)
    result["lines"], result["hotspot"] = lines.to_numpy(), hotspot.to_numpy()
    return result


def _authors(commits: pa.Table, now: int, days: int) -> tuple[pd.Series, list[str]]:
    """Each author's name as :func:`~.metrics.file_metrics` gives it (the one used last up to
    ``now``), and the authors with a commit in the ``days`` up to ``now``: one pass."""
    with _connect(commits=commits) as con:
        rows = con.execute(
            f"SELECT author, arg_max(author_name, {LAST_NAME_ORDER}) AS name,"
            f" {now} - max(t) <= {int(days) * _DAY_US} AS active FROM commits"
            f" WHERE t <= {now} AND author IS NOT NULL GROUP BY author").to_arrow_table()
    frame = rows.to_pandas()
    return (pd.Series(frame["name"].to_numpy(), index=frame["author"].to_numpy()),
            frame.loc[frame["active"].astype(bool), "author"].tolist())


def window_start(as_of: pd.Timestamp, windows: Sequence[int] = DEFAULT_WINDOWS) -> pd.Timestamp:
    """The earliest author date a window of ``windows`` ending at ``as_of`` holds."""
    return as_of - pd.Timedelta(days=max(windows))


def _only(changes: pa.Table, paths: Sequence[str]) -> pa.Table:
    return changes.filter(pa.array(contains(changes.column("path"), paths)))


def coupled_paths(changes: pa.Table, touched: Sequence[str], *,
                  max_changeset_size: int = MAX_CHANGESET_SIZE) -> list[str]:
    """The latest paths changed with a ``touched`` path in a commit change coupling counts
    (of at most ``max_changeset_size`` files), the touched paths included. ``changes``:
    :func:`placed_changes` of whole commits."""
    with _connect(changes=changes, touched=pa.table({"path": pa.array(sorted(set(touched)),
                                                                      pa.string())})) as con:
        return [p for (p,) in con.execute(f"""
            WITH kept AS (SELECT seq FROM changes GROUP BY seq
                          HAVING count(*) <= {int(max_changeset_size)})
            SELECT DISTINCT path FROM changes WHERE seq IN (SELECT seq FROM kept)
            UNION SELECT path FROM touched ORDER BY 1""").fetchall()]


def updated_coupling(base: pd.DataFrame, touched: Sequence[str], coupled_changes: pa.Table,
                     **thresholds) -> pd.DataFrame:
    """What :func:`~.metrics.change_coupling` gives for the new history, from the ``base``
    snapshot's coupling: its pairs of untouched paths, and every pair of a ``touched`` path
    computed again from ``coupled_changes`` (:func:`placed_changes` of every commit that
    changed a touched path or a path changed with one, each commit whole)."""
    touched = sorted(set(touched))
    again = change_coupling(None, None, prepared=PerFileChanges(
        pa.table({}), pd.Timestamp(0, tz="UTC"), coupled_changes, set()), **thresholds)
    again = again.loc[contains(again["path_a"], touched) | contains(again["path_b"], touched)]
    kept = base.loc[~(contains(base["path_a"], touched) | contains(base["path_b"], touched))]
    both = pa.Table.from_pandas(pd.concat([kept, again], ignore_index=True).astype(
        _COUPLING_TYPES), preserve_index=False)
    with _connect(pairs=both) as con:  # the order change_coupling gives
        ordered = con.execute("SELECT path_a, path_b, shared, revisions_a, revisions_b, degree"
                              " FROM pairs ORDER BY degree DESC, shared DESC, path_a, path_b"
                              ).to_arrow_table()
    return ordered.to_pandas().astype(_COUPLING_TYPES)

