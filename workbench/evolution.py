"""Architecture over time: map a project at many commits, diff maps, trends, contract ratchets.

Each mapped commit is an immutable snapshot, so history questions are questions across
snapshots: what changed between two (:func:`diff`), how metrics moved (:func:`trend`), and when
each contract violation first appeared (:func:`violations_over_time`). Mapping many commits
is cheap after the first: parse results are cached per blob, so each further commit parses only
the files it changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from .errors import ConfigError
from .graph import contracts as _contracts
from .graph.diff import MapDiff
from .graph.diff import diff as _diff
from .repos.clones import Clones
from .repos.sources import validate_ref
from .snapshot import Snapshot

#: Trend columns taken from a snapshot's stats.
TREND_STATS = ("files", "modules", "classes", "functions", "import_edges", "call_edges",
               "external_dependencies", "commits", "parse_problems")

#: File in the analysed repository that holds its contracts (``[[contracts]]`` TOML).
CONTRACTS_FILE = "workbench-contracts.toml"


def commits_to_map(clones: Clones, repo: Path, *, refs: Iterable[str] | None = None,
                   every: int | None = None, tags: bool = False, limit: int = 50) -> list[str]:
    """The commits to map, oldest first: explicit refs, every tag, or every Nth commit.

    ``every`` walks the first-parent history of HEAD and always ends with HEAD itself.
    """
    refs = list(refs) if refs else None
    check_selection(refs=refs, every=every, tags=tags)
    git = clones.git()
    if refs:
        return [clones.resolve(repo, r) for r in refs]
    if tags:
        # one git call, tags peeled to their commits (names git accepts need no validation)
        listing = git.run(["for-each-ref", "--sort=creatordate",
                           "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname)",
                           "refs/tags"], cwd=repo, what="listing tags")
        commits: list[str] = []
        for line in listing.splitlines():
            kind, sha, peeled_kind, peeled = (line.split() + ["", ""])[:4]
            commit = sha if kind == "commit" else peeled if peeled_kind == "commit" else None
            if commit and commit not in commits:
                commits.append(commit)
        return commits[-limit:]
    if every:
        shas = git.run(["rev-list", "--first-parent", "--reverse", "--end-of-options", "HEAD"],
                       cwd=repo, what="listing commits").split()
        picked = shas[::every]
        if shas and picked[-1] != shas[-1]:
            picked.append(shas[-1])
        return picked[-limit:]
    raise AssertionError("unreachable: check_selection refuses an empty choice")


def check_selection(*, refs: Iterable[str] | None = None, every: int | None = None,
                    tags: bool = False) -> None:
    """Refuse a choice of commits that names none, a bad ref, or a step below one (before any
    git work is done)."""
    if refs:
        for ref in refs:
            validate_ref(ref)
        return
    if tags:
        return
    if every is not None and every < 1:
        raise ConfigError("--every must be a positive number of commits")
    if not every:
        raise ConfigError("say which commits to map: refs, tags=True or every=N")


def diff(old: Snapshot, new: Snapshot) -> MapDiff:
    """Nodes and edges added and removed, new and broken cycles, changed metrics, moves."""
    return _diff(old.graph, new.graph)


def trend(snapshots: list[Snapshot], metrics: Iterable[str] = TREND_STATS) -> pd.DataFrame:
    """One row per snapshot (in the order given): commit, date, the chosen stats, cycles."""
    rows = []
    for snap in snapshots:
        row = {"snapshot": snap.id, "commit": snap.commit[:12], "ref": snap.info.ref,
               "mapped_at": snap.info.mapped_at}
        row.update({m: snap.stats.get(m) for m in metrics})
        cycles = snap.cycles()
        row["import_cycles"] = len(cycles)
        row["modules_in_cycles"] = int(cycles["size"].sum()) if not cycles.empty else 0
        rows.append(row)
    return pd.DataFrame(rows)


def repository_contracts(clones: Clones, snap: Snapshot) -> list[_contracts.Contract]:
    """Contracts from ``workbench-contracts.toml`` at the snapshot's commit (empty if none)."""
    repo = clones.path_for(snap.info.project)
    files = snap.files
    match = files[files["path"] == CONTRACTS_FILE]
    if match.empty:
        return []
    sha = match["blob_sha"].iloc[0]
    data = dict(clones.read_blobs(repo, [sha]))[sha]
    return _contracts.parse_contracts(data.decode("utf-8", errors="replace"))


def violations_over_time(snapshots: list[Snapshot],
                         contracts: list[_contracts.Contract]) -> pd.DataFrame:
    """Violations of the newest snapshot, each with the first snapshot (oldest first) that had it."""
    first_seen: dict[tuple, tuple[int, str]] = {}
    latest = pd.DataFrame(columns=[*_contracts.VIOLATION_COLUMNS])
    for snap in snapshots:
        found = snap.check(contracts)
        for key in found[_contracts.VIOLATION_KEY].itertuples(index=False, name=None):
            first_seen.setdefault(key, (snap.id, snap.commit[:12]))
        latest = found
    keys = list(latest[_contracts.VIOLATION_KEY].itertuples(index=False, name=None))
    latest = latest.copy()
    latest["first_snapshot"] = [first_seen[k][0] for k in keys]
    latest["first_commit"] = [first_seen[k][1] for k in keys]
    return latest
