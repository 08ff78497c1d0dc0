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

from .errors import ConfigError, InvalidRef
from .graph import contracts as _contracts
from .graph.diff import MapDiff
from .graph.diff import diff as _diff
from .repos.clones import Clones
from .repos.sources import validate_ref
from .snapshot import Snapshot

#: Trend columns taken from a snapshot's stats.
TREND_STATS = ("files", "modules", "classes", "functions", "import_edges", "call_edges",
               "external_dependencies", "commits", "parse_problems")

#: The workbench's own contracts file in the analysed repository (``[[contracts]]`` TOML);
#: import-linter's files are read too (see :func:`repository_contracts`).
CONTRACTS_FILE = "workbench-contracts.toml"


def commits_to_map(clones: Clones, repo: Path, *, refs: Iterable[str] | None = None,
                   every: int | None = None, tags: bool = False, limit: int = 50) -> list[str]:
    """The commits to map, oldest first: explicit refs, every tag, or every Nth commit.

    ``every`` walks the first-parent history of HEAD and always ends with HEAD itself.
    """
    return [sha for sha, _ in commits_with_names(clones, repo, refs=refs, every=every,
                                                 tags=tags, limit=limit)]


def commits_with_names(clones: Clones, repo: Path, *, refs: Iterable[str] | None = None,
                       every: int | None = None, tags: bool = False, limit: int = 50
                       ) -> list[tuple[str, list[str]]]:
    """:func:`commits_to_map`, each commit with the names it is mapped as: the refs as given,
    every tag on it (oldest tag first), or none for every Nth commit."""
    refs = list(refs) if refs else None
    check_selection(refs=refs, every=every, tags=tags)
    git = clones.git()
    if refs:
        named: dict[str, list[str]] = {}
        for r in refs:
            named.setdefault(clones.resolve(repo, r), []).append(r)
        return list(named.items())
    if tags:
        # one git call, tags peeled to their commits (names git accepts need no validation)
        listing = git.run(["for-each-ref", "--sort=creatordate",
                           "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) "
                           "%(refname:strip=2)", "refs/tags"], cwd=repo, what="listing tags")
        commits: dict[str, list[str]] = {}
        for line in listing.splitlines():
            parts = line.split()
            kind, sha = parts[0], parts[1]
            if kind == "commit":
                commit, name = sha, parts[2] if len(parts) > 2 else ""
            else:  # an annotated tag: peeled kind and object, then the name
                peeled_kind, peeled = (parts[2:4] + ["", ""])[:2]
                commit = peeled if peeled_kind == "commit" else None
                name = parts[4] if len(parts) > 4 else ""
            if commit:
                commits.setdefault(commit, []).extend([name] if name else [])
        if not commits:
            raise InvalidRef("the repository has no tags of commits, so --tags maps nothing; "
                             "tag releases there (`git tag v1.0`) or choose commits with "
                             "--every N or --ref REF", ref="tags")
        return list(commits.items())[-limit:]
    if every:
        shas = git.run(["rev-list", "--first-parent", "--reverse", "--end-of-options", "HEAD"],
                       cwd=repo, what="listing commits").split()
        picked = shas[::every]
        if shas and picked[-1] != shas[-1]:
            picked.append(shas[-1])
        return [(sha, []) for sha in picked[-limit:]]
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


def diff(old: Snapshot, new: Snapshot, *, derived: bool = False) -> MapDiff:
    """Nodes and edges added and removed, new and broken cycles, changed metrics, moves
    (PageRank and community changes only with ``derived``). ``note`` says which snapshots
    were compared, and warns when they were mapped with different exclusions (then files
    left out of one appear as added or removed)."""
    d = _diff(old.graph, new.graph, derived=derived)
    note = f"old {old.describe()}\nnew {new.describe()}"
    if old.stats.get("exclude") != new.stats.get("exclude"):
        note += (f"\nwarning: not like with like: old has {old.exclusions}, new has "
                 f"{new.exclusions}; files left out of one count as added or removed")
    object.__setattr__(d, "note", note)
    return d


def trend(snapshots: list[Snapshot], metrics: Iterable[str] = TREND_STATS) -> pd.DataFrame:
    """One row per snapshot (in the order given): ``snapshot, commit`` (12 characters),
    ``ref`` (the names it was mapped as: tags and branches, comma separated; empty for a bare
    commit), ``committed_at``, ``label`` (the ref, else the commit date, else the commit: what
    a chart's x-axis shows), ``mapped_at``, ``exclusions``, the chosen stats, and cycles."""
    rows = []
    for snap in snapshots:
        names = ", ".join(r for r in snap.refs if not _is_commit_id(r, snap.commit))
        when = snap.committed_at
        label = names or (f"{pd.Timestamp(when):%Y-%m-%d}" if when is not None else snap.commit[:12])
        row = {"snapshot": snap.id, "commit": snap.commit[:12], "ref": names,
               "committed_at": when, "label": label, "mapped_at": snap.info.mapped_at,
               "exclusions": snap.exclusions}
        row.update({m: snap.stats.get(m) for m in metrics})
        cycles = snap.cycles()
        row["import_cycles"] = len(cycles)
        row["modules_in_cycles"] = int(cycles["size"].sum()) if not cycles.empty else 0
        rows.append(row)
    return pd.DataFrame(rows)


def comparable_trend(ordered: list[tuple[Snapshot, object]], current: Snapshot) -> pd.DataFrame:
    """:func:`trend` of one snapshot per commit (oldest commit first), choosing per commit a
    snapshot mapped with ``current``'s exclusions and leaving out commits that have none;
    ``attrs["note"]`` names what was left out."""
    want = current.stats.get("exclude")
    chosen, left_out = [], []
    for snap, _when in ordered:
        if snap.stats.get("exclude") == want:
            chosen.append(snap)
            continue
        same = [s for s in snap._store.snapshots.of_commit(snap.info.project_id, snap.commit)
                if s.stats.get("exclude") == want]
        if same:
            chosen.append(Snapshot(snap._store, same[0]))
        else:
            left_out.append(snap)
    frame = trend(chosen)
    frame.attrs["note"] = (
        f"like with like: snapshots mapped with {current.exclusions}; left out "
        + ", ".join(f"#{s.id} ({s.exclusions})" for s in left_out)) if left_out else ""
    return frame


def with_contracts(frame: pd.DataFrame, snapshots: list[Snapshot], contracts) -> pd.DataFrame:
    """``frame`` (a :func:`trend`, one row per snapshot in ``snapshots``' order) with
    ``contract_violations`` and ``contracts_broken`` of ``contracts`` at each snapshot."""
    counts = []
    for snap in snapshots:
        verdicts = snap.check(contracts, errors="record").attrs.get("contracts", [])
        counts.append((sum(v["violations"] for v in verdicts),
                       sum(v["status"] == "broken" for v in verdicts)))
    frame = frame.copy()
    frame["contract_violations"] = [c[0] for c in counts]
    frame["contracts_broken"] = [c[1] for c in counts]
    return frame


def _is_commit_id(ref: str, commit: str) -> bool:
    """Whether a ref is (a prefix of) the commit's id rather than a name."""
    return len(ref) >= 7 and commit.startswith(ref.lower())


def repository_contracts(clones: Clones, snap: Snapshot) -> "_contracts.ContractSet | None":
    """Contracts of the repository at the snapshot's commit: ``workbench-contracts.toml``, else
    import-linter's ``setup.cfg``, ``.importlinter`` or ``pyproject.toml`` (None if none)."""
    from .contracts import config as _config

    repo = clones.path_for(snap.info.project)
    files = snap.files
    shas = dict(zip(files["path"], files["blob_sha"]))

    def read(name: str) -> bytes | None:
        sha = shas.get(name)
        return None if sha is None else dict(clones.read_blobs(repo, [sha]))[sha]

    return _config.find_in(read)


def violations_over_time(snapshots: list[Snapshot], contracts) -> pd.DataFrame:
    """Violations of the newest snapshot, each with the first snapshot (oldest first) that had it.

    Columns: those of :func:`Snapshot.check` plus ``first_snapshot`` and ``first_commit``.
    ``frame.attrs["trend"]``: one row per (snapshot, contract) with ``snapshot``, ``commit``,
    ``contract``, ``kind``, ``status`` (kept, broken, or error where a named module did not
    exist yet) and ``violations``, oldest first; ``attrs["contracts"]`` the newest verdicts.
    """
    first_seen: dict[tuple, tuple[int, str]] = {}
    latest = pd.DataFrame(columns=[*_contracts.VIOLATION_COLUMNS])
    trend: list[dict] = []
    for n, snap in enumerate(snapshots):
        newest = n == len(snapshots) - 1
        found = snap.check(contracts, errors="raise" if newest else "record")
        for key in found[_contracts.VIOLATION_KEY].itertuples(index=False, name=None):
            first_seen.setdefault(key, (snap.id, snap.commit[:12]))
        trend += [{"snapshot": snap.id, "commit": snap.commit[:12], "contract": v["contract"],
                   "kind": v["kind"], "status": v["status"], "violations": v["violations"]}
                  for v in found.attrs.get("contracts", [])]
        latest = found
    keys = list(latest[_contracts.VIOLATION_KEY].itertuples(index=False, name=None))
    verdicts = latest.attrs.get("contracts", [])
    latest = latest.copy()
    latest["first_snapshot"] = [first_seen[k][0] for k in keys]
    latest["first_commit"] = [first_seen[k][1] for k in keys]
    latest.attrs["contracts"] = verdicts
    latest.attrs["trend"] = trend
    return latest
