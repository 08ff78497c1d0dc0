"""Behavioural metrics per file, computed from mined history.

Inputs are the ``commits`` and ``file_changes`` DataFrames of :mod:`workbench.history.mine`
or the same columns read back from the store: commits need sha, author_name, author_email,
authored_at and committed_at (naive timestamps are taken as UTC); file changes need sha, path,
old_path, added and deleted. Everything is vectorised pandas.

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
  taken over commits instead of lines.
* **code_age_days**: days from the last change to ``as_of``; **first_seen**/**last_changed**:
  author dates of the first and last change.
* **knowledge_loss**: the main author made no commit at all in the repository in the
  ``knowledge_loss_days`` (365) days up to ``as_of``.
* **hotspot** = (commits / max commits) × (lines / max lines), both over all files listed.
  ``sizes`` gives lines per (current) path; a path missing from it scores 0 (usually deleted).
  Without ``sizes`` the size factor is 1, so the hotspot is the normalised commit count.

Change coupling follows code-maat's ``coupling`` analysis: commits touching more than
``max_changeset_size`` files are dropped first (mass reformatting, vendoring), then for every
pair of files changed together ``degree = shared / mean(revisions_a, revisions_b)``, where the
revisions are counted on the commits kept. code-maat prints the degree in percent; here it is
a fraction in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from workbench.history.renames import latest_paths
from workbench.membership import contains, positions

DEFAULT_WINDOWS: tuple[int, ...] = (30, 90, 365)
_DAY = pd.Timedelta(days=1)


def file_metrics(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
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
    first_seen, last_changed, code_age_days, knowledge_loss, lines, hotspot, present (null
    without ``present``), history_truncated. Sorted by path. ``prepared`` (from
    :func:`per_file_changes` with the same arguments) skips the shared first step.
    """
    if prepared is None:
        prepared = per_file_changes(commits, file_changes, as_of, order=order,
                                    boundary_paths=boundary_paths)
    commits, as_of = prepared.commits, prepared.as_of
    changes, truncated = prepared.changes, prepared.truncated
    by_path = changes.groupby("path", sort=True)
    paths = set(changes["path"].unique().tolist()) | truncated
    result = pd.DataFrame(index=pd.Index(sorted(paths), name="path"))

    age_days = (as_of - changes["time"]) / _DAY
    for days in windows:
        recent = changes.loc[age_days <= days]
        result[f"churn_{days}d"] = recent.groupby("path")["churn"].sum()
        result[f"commits_{days}d"] = recent.groupby("path").size()
    result["churn_total"] = by_path["churn"].sum()
    result["commits_total"] = by_path.size()
    result["added_total"] = by_path["added"].sum()
    result["deleted_total"] = by_path["deleted"].sum()
    result = result.fillna(0).astype("int64")

    result["authors"] = by_path["author"].nunique().reindex(result.index).fillna(0).astype("int64")
    main = _main_authors(changes)
    result["main_author"] = main["author"]
    result["main_author_name"] = main["author"].map(author_names(commits, as_of))
    result["ownership"] = main["ownership"]
    result["history_truncated"] = contains(result.index, truncated)
    result["first_seen"] = by_path["time"].min().reindex(result.index).where(
        ~result["history_truncated"])
    result["last_changed"] = by_path["time"].max()
    result["code_age_days"] = (as_of - result["last_changed"]) / _DAY
    active = _authors_active_since(commits, as_of, knowledge_loss_days)
    result["knowledge_loss"] = result["main_author"].notna() & ~contains(result["main_author"], active)
    result["lines"], result["hotspot"] = _hotspots(result["commits_total"], sizes)
    if present is not None:
        result["present"] = contains(result.index, present)
    else:
        result["present"] = pd.Series(pd.NA, index=result.index, dtype="boolean")
    return result.reset_index()


def change_coupling(
    commits: pd.DataFrame,
    file_changes: pd.DataFrame,
    as_of: datetime | pd.Timestamp | None = None,
    *,
    min_shared: int = 5,
    min_revisions: int = 5,
    min_degree: float = 0.3,
    max_changeset_size: int = 30,
    order: Sequence[str] | None = None,
    prepared: "PerFileChanges | None" = None,
) -> pd.DataFrame:
    """Pairs of files changed in the same commits, as in code-maat's ``coupling`` analysis.

    Returns path_a < path_b, shared, revisions_a, revisions_b, degree; kept when ``shared >=
    min_shared``, ``mean(revisions) >= min_revisions`` and ``degree >= min_degree``. Sorted by
    degree, then shared revisions, descending. ``prepared``: as in :func:`file_metrics`
    (boundary markers in it do not count).
    """
    columns = ["path_a", "path_b", "shared", "revisions_a", "revisions_b", "degree"]
    if prepared is None:
        prepared = per_file_changes(commits, file_changes, as_of, order=order)
    changes = prepared.changes
    # one factorisation of the commits serves both the changeset sizes and the pairing (a
    # group-by of a million shas for the sizes, then a second factorisation, took a second)
    sha_codes, _ = pd.factorize(changes["sha"])
    small = (np.bincount(sha_codes) <= max_changeset_size)[sha_codes]
    changes, sha_codes = changes.loc[small], sha_codes[small]
    if changes.empty:
        return pd.DataFrame(columns=columns)

    path_codes, path_names = pd.factorize(changes["path"], sort=True)
    revisions = np.bincount(path_codes, minlength=len(path_names))
    slim = pd.DataFrame({"sha": sha_codes, "file": path_codes})
    pairs = slim.merge(slim, on="sha", suffixes=("_a", "_b"))
    pairs = pairs.loc[pairs["file_a"] < pairs["file_b"]]
    shared = pairs.groupby(["file_a", "file_b"]).size().rename("shared").reset_index()

    revisions_a = revisions[shared["file_a"].to_numpy()]
    revisions_b = revisions[shared["file_b"].to_numpy()]
    mean_revisions = (revisions_a + revisions_b) / 2
    coupling = pd.DataFrame({
        "path_a": path_names[shared["file_a"].to_numpy()],
        "path_b": path_names[shared["file_b"].to_numpy()],
        "shared": shared["shared"].to_numpy(),
        "revisions_a": revisions_a,
        "revisions_b": revisions_b,
        "degree": shared["shared"].to_numpy() / mean_revisions,
    })
    keep = (
        (coupling["shared"] >= min_shared)
        & (mean_revisions >= min_revisions)
        & (coupling["degree"] >= min_degree)
    )
    return (
        coupling.loc[keep]
        .sort_values(["degree", "shared", "path_a", "path_b"], ascending=[False, False, True, True])
        .reset_index(drop=True)
    )


def _in_utc(commits: pd.DataFrame) -> pd.DataFrame:
    """``commits`` with tz-aware UTC ``authored_at``/``committed_at`` (naive ones taken as UTC)."""
    converted = {}
    for column in ("authored_at", "committed_at"):
        times = pd.to_datetime(commits[column])
        converted[column] = times.dt.tz_localize("UTC") if times.dt.tz is None else times.dt.tz_convert("UTC")
    return commits.assign(**converted)


def _as_of(commits: pd.DataFrame, as_of: datetime | pd.Timestamp | None) -> pd.Timestamp:
    """``as_of`` as a UTC timestamp; naive datetimes are taken as UTC."""
    if as_of is None:
        return commits["authored_at"].max() if len(commits) else pd.Timestamp.now(tz="UTC")
    stamp = pd.Timestamp(as_of)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def author_key(frame: pd.DataFrame) -> pd.Series:
    """Who wrote each commit: the (mailmapped) e-mail, or the name when the e-mail is empty."""
    email = frame["author_email"].fillna("")
    return email.where(email != "", frame["author_name"])


@dataclass(frozen=True)
class PerFileChanges:
    """The first step :func:`file_metrics` and :func:`change_coupling` share, done once."""

    commits: pd.DataFrame  # with UTC times
    as_of: pd.Timestamp
    changes: pd.DataFrame  # one row per (latest path, commit), see _changes_per_file_and_commit
    truncated: set[str]  # latest paths of the files present at a shallow boundary


def per_file_changes(commits: pd.DataFrame, file_changes: pd.DataFrame,
                     as_of: datetime | pd.Timestamp | None = None, *,
                     order: Sequence[str] | None = None,
                     boundary_paths: pd.DataFrame | None = None,
                     parents: Mapping[str, Sequence[str]] | None = None) -> PerFileChanges:
    """Changes per latest path and commit, renames followed, up to ``as_of``: the input of
    :func:`file_metrics` and :func:`change_coupling` (pass it as their ``prepared``).

    With ``order``, renames are followed in the commit graph: its parents come from
    ``parents`` (sha -> parent shas; looked up only for commits beside a rename) or else
    from a ``parents`` column of ``commits``."""
    commits = _in_utc(commits)
    as_of = _as_of(commits, as_of)
    changes, truncated = _changes_per_file_and_commit(commits, file_changes, as_of, order,
                                                      boundary_paths, parents)
    return PerFileChanges(commits, as_of, changes, truncated)


def _changes_per_file_and_commit(
    commits: pd.DataFrame, file_changes: pd.DataFrame, as_of: pd.Timestamp,
    order: Sequence[str] | None = None, boundary_paths: pd.DataFrame | None = None,
    parents: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pd.DataFrame, set[str]]:
    """One row per (latest path, commit) up to ``as_of``: sha, path, added, deleted, churn,
    time, author; and the latest paths of the files in ``boundary_paths``. A commit that
    touched two former paths of one file counts once."""
    info = commits.assign(author=author_key(commits))[["sha", "authored_at", "author"]]
    if order is not None:  # the commits in the order, those not in it dropped
        at = positions(info["sha"], order)
        listed = np.flatnonzero(at >= 0)
        info = info.iloc[listed[np.argsort(at[listed], kind="stable")]]
    info = info.rename(columns={"authored_at": "time"}).reset_index(drop=True)
    info["seq"] = np.arange(len(info))
    changes = file_changes[["sha", "path", "old_path", "added", "deleted"]].assign(marker=False)
    if boundary_paths is not None and not boundary_paths.empty:
        markers = boundary_paths[["sha", "path"]].assign(old_path=None, added=0, deleted=0,
                                                         marker=True)
        changes = pd.concat([changes, markers], ignore_index=True)
    changes = _with_commit_columns(changes, info)
    graph = {}
    if parents is None and "parents" in commits:
        parents = _BySha(commits["sha"], commits["parents"], list)
    if order is not None and parents is not None:
        graph = dict(parents=parents, position=_BySha(info["sha"], info["seq"], int),
                     shas=changes["sha"])
    changes["path"] = latest_paths(changes["path"], changes["old_path"], changes["seq"], **graph)
    truncated = set(changes.loc[changes["marker"].astype(bool), "path"])
    changes = changes.loc[~changes["marker"].astype(bool) & (changes["time"] <= as_of)]
    per_commit = changes.groupby(["path", "sha"], as_index=False, sort=False).agg(
        added=("added", "sum"), deleted=("deleted", "sum"), time=("time", "first"), author=("author", "first")
    )
    per_commit["churn"] = per_commit["added"] + per_commit["deleted"]
    return per_commit, truncated


def _with_commit_columns(changes: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """``changes.merge(info, on="sha", how="inner")`` for commits of one row each: the rows of
    ``changes`` whose commit ``info`` has, in their order, with ``info``'s other columns. Each
    row's commit is found in Arrow's hash table (pandas factorised both sides' million shas:
    about a second); duplicated commits take pandas' merge."""
    if not info["sha"].is_unique:
        return changes.merge(info, on="sha", how="inner")
    at = positions(changes["sha"], info["sha"])
    kept = np.flatnonzero(at >= 0)
    left = changes.iloc[kept].reset_index(drop=True)
    right = info.drop(columns="sha").iloc[at[kept]].reset_index(drop=True)
    return pd.concat([left, right], axis=1)


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


def _main_authors(changes: pd.DataFrame) -> pd.DataFrame:
    """Per path: the main author and their ownership share (see the module docstring)."""
    per_author = changes.groupby(["path", "author"], as_index=False).agg(
        added=("added", "sum"), commits=("sha", "size"), last=("time", "max")
    )
    per_author = per_author.sort_values(
        ["path", "added", "commits", "last", "author"], ascending=[True, False, False, False, True]
    )
    totals = per_author.groupby("path")[["added", "commits"]].transform("sum")
    by_lines = totals["added"] > 0
    share = np.where(
        by_lines, per_author["added"] / totals["added"].where(by_lines, 1),
        per_author["commits"] / totals["commits"],
    )
    per_author["ownership"] = share
    # With no line added, rank by commits: "added" is 0 for everyone, so the sort above already
    # puts the author with most commits first.
    return per_author.drop_duplicates("path").set_index("path")[["author", "ownership"]]


def author_names(commits: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """The name each author key used last up to ``as_of``."""
    dated = commits.loc[commits["authored_at"] <= as_of].assign(author=author_key(commits))
    latest = dated.sort_values("authored_at", kind="stable").drop_duplicates("author", keep="last")
    return latest.set_index("author")["author_name"]


def _authors_active_since(commits: pd.DataFrame, as_of: pd.Timestamp, days: int) -> pd.Index:
    recent = commits.loc[(commits["authored_at"] <= as_of) & (as_of - commits["authored_at"] <= days * _DAY)]
    return pd.Index(author_key(recent).unique())


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
