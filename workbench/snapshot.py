"""A mapped commit as people use it: tables, a networkx graph, named queries and a summary.

Snapshots are immutable, so the graph built for one is cached in the process (keyed by
database file and snapshot id) and rebuilt from DuckDB through Arrow when missing. Queries
delegate to :mod:`workbench.graph` (a :class:`~workbench.graph.index.GraphIndex` is built
once per cached graph); node arguments accept a qualified name, a unique suffix of one
(``app:Flask.run``) or a file path.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .domain import DEPENDENCY_KINDS, EXPORT_FORMATS, EdgeKind, SnapshotInfo
from .errors import WorkbenchError
from .graph.errors import ContextsNotRecorded
from .repos.shallow import truncation_note
from .store import Store

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx
    import pandas as pd

    from .graph import contracts as _contracts
    from .graph.index import GraphIndex

# networkx, pandas and the graph modules are imported where they are used: a snapshot's
# summary (what `workbench map` prints) needs none of them once it is stored.



class _LRU:
    """A small thread-safe LRU of per-snapshot objects (graphs, query indexes)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, build):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = build()  # outside the lock: building a large map takes seconds
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


#: Version of what :meth:`Snapshot.summary` keeps in the store: bump it when the way the most
#: imported modules or the import cycles are computed changes.
SUMMARY_VERSION = 2
#: How many of the most imported modules the stored summary keeps.
_SUMMARY_TOP = 20

_GRAPHS = _LRU(8)
_INDEXES = _LRU(8)



def build_graph(nodes, edges) -> "nx.MultiDiGraph":
    """A ``MultiDiGraph`` from Arrow node and edge tables; edge keys are edge kinds.

    The JSON ``attrs`` column (decorators, bases, namespace, stdlib, co-change degree ...) is
    spread into the node and edge attribute dicts.
    """
    node_attrs = nodes.column("attrs").to_pylist() if "attrs" in nodes.column_names else []
    edge_attrs = edges.column("attrs").to_pylist() if "attrs" in edges.column_names else []
    node_frame = nodes.drop_columns(["attrs"]).to_pandas() if node_attrs else nodes.to_pandas()
    edge_frame = edges.drop_columns(["attrs"]).to_pandas() if edge_attrs else edges.to_pandas()
    from .graph.build import graph_from_frames

    g = graph_from_frames(node_frame, edge_frame)
    for node_id, raw in zip(node_frame["id"].tolist(), node_attrs):
        if raw:
            data = g.nodes[node_id]
            for key, value in json.loads(raw).items():
                data.setdefault(key, value)
    for src, dst, kind, raw in zip(edge_frame["src"].tolist(), edge_frame["dst"].tolist(),
                                   edge_frame["kind"].tolist(), edge_attrs):
        if raw:
            data = g.edges[src, dst, kind]
            for key, value in json.loads(raw).items():
                data.setdefault(key, value)
    return g


@dataclass(frozen=True)
class Summary:
    """The headline of a map: counts, most imported modules and import cycles.

    ``cycles`` holds each group of modules that import each other (members sorted, largest
    group first), ``cycle_paths`` one shortest cycle through each group (``[a, b, a]``, same
    order), and ``runtime_cycles`` how many groups remain among the imports that run (without
    ``if TYPE_CHECKING:`` imports; ``None`` for maps that do not record it), and
    ``on_import_cycles`` how many groups there are when deferred imports (inside functions)
    are left out too, among the imports that run on import: a cycle closed only by deferred
    imports breaks no import. Leaving edges out can split a group, so that count can exceed
    ``runtime_cycles``.
    """

    project: str
    commit: str
    stats: dict
    top_imported: tuple[tuple[str, int], ...] = field(repr=False)
    """``(module, importers)`` pairs, most imported first."""
    cycles: list[list[str]] = field(repr=False)
    snapshot: str = ""
    """Which snapshot this is (:meth:`Snapshot.describe`)."""
    cycle_paths: list[list[str]] = field(default_factory=list, repr=False)
    runtime_cycles: int | None = None
    on_import_cycles: int | None = None

    @property
    def most_imported(self) -> "pd.DataFrame":
        """The most imported modules: a DataFrame of ``module, importers``."""
        import pandas as pd

        return pd.DataFrame(list(self.top_imported), columns=["module", "importers"])

    def to_text(self) -> str:
        s = self.stats
        langs = ", ".join(f"{k} {v}" for k, v in s.get("languages", {}).items()) or "none"
        lines = [
            f"Project {self.project} at {self.commit[:12]}",
            *([f"  snapshot {self.snapshot}"] if self.snapshot else []),
            *([f"  {origin}"] if (origin := map_origin(s)) else []),
            f"  files                  {s.get('files', 0):>7}   (source: {langs}; skipped "
            f"{s.get('skipped_files', 0)}, parse problems {s.get('parse_problems', 0)}"
            + (f", excluded {s['excluded_files']}" if s.get("excluded_files") else "") + ")",
            f"  modules                {s.get('modules', 0):>7}   (packages {s.get('packages', 0)})",
            f"  classes                {s.get('classes', 0):>7}",
            f"  functions              {s.get('functions', 0):>7}",
            f"  internal import edges  {s.get('import_edges', 0):>7}",
            f"  call edges             {s.get('call_edges', 0):>7}   (unresolved calls "
            f"{s.get('calls_unresolved', 0)})",
            f"  external dependencies  {s.get('external_dependencies', 0):>7}   "
            f"(+ {s.get('stdlib_dependencies', 0)} standard library modules)",
            f"  commits                {s.get('commits', 0):>7}   (co-change pairs "
            f"{s.get('co_change_edges', 0)})",
            *([f"  {truncation_note(s['history_truncated_at'])}: authors, first seen, ages and"
               " counts cover only the commits after it; deepen with `workbench map "
               f"{self.project} --deepen N` or `--unshallow`"]
              if s.get("history_truncated_at") else []),
            "  most imported modules:",
        ]
        if not self.top_imported:
            lines.append("    (no internal imports)")
        for module, importers in self.top_imported:
            lines.append(f"    {importers:>4}  {module}")
        runtime = ("" if self.runtime_cycles is None or not self.cycles
                   else f"   ({self.runtime_cycles} without type-checking imports")
        if runtime and self.on_import_cycles not in (None, self.runtime_cycles):
            runtime += f", {self.on_import_cycles} when deferred imports are left out too"
        runtime += ")" if runtime else ""
        lines.append(f"  import cycles          {len(self.cycles):>7}{runtime}")
        paths = self.cycle_paths if len(self.cycle_paths) == len(self.cycles) else [None] * len(self.cycles)
        for members, path in list(zip(self.cycles, paths))[:5]:
            # one real shortest cycle, once round; without it the members, never as a path
            shown = (_shortened(path, " -> ", tail=2) if path
                     else "members " + _shortened(members, ", ", tail=0))
            if len(path or members) > _SHOWN_IN_A_CYCLE:
                shown += f" (all of it: workbench query cycles -p {self.project})"
            lines.append(f"    {len(members):>3} modules: {shown}")
        return "\n".join(lines)


#: Modules of one cycle a summary shows; a longer one is shortened in the middle.
_SHOWN_IN_A_CYCLE = 10


def _shortened(names: list[str], sep: str, *, tail: int) -> str:
    """``names`` joined, or the first and the last ``tail`` of them around how many are left
    out when there are more than :data:`_SHOWN_IN_A_CYCLE`."""
    if len(names) <= _SHOWN_IN_A_CYCLE:
        return sep.join(names)
    head = _SHOWN_IN_A_CYCLE - tail
    left_out = len(names) - _SHOWN_IN_A_CYCLE
    return sep.join([*names[:head], f"... {left_out} more ...", *names[len(names) - tail:]])


def map_origin(stats: dict) -> str | None:
    """How a map was made, when a summary should say it: derived from an earlier snapshot
    (and how much was linked again), or a whole map where one could have been derived (and
    why not), and whether its history's analysis was updated from an earlier snapshot's (or
    why not); None for a first map or a forced one."""
    history = None
    if stats.get("history_updated_from") is not None:
        history = f"its history's analysis updated from snapshot #{stats['history_updated_from']}'s"
    elif stats.get("history_whole_because"):
        history = f"its history analysed whole: {stats['history_whole_because']}"
    if "derived_from" in stats:
        relinked = stats.get("relinked", 0)
        made = (f"derived from snapshot #{stats['derived_from']}: {relinked:,} Python "
                f"module{'' if relinked == 1 else 's'} linked again, the other rows kept")
    elif stats.get("whole_map_because"):
        made = f"a whole map, not derived from the last one: {stats['whole_map_because']}"
    else:
        return history
    return f"{made}; {history}" if history else made


def describe_exclusions(patterns) -> str:
    """A snapshot's exclusion patterns in words, compared with the defaults."""
    from .mapping.excludes import DEFAULT_EXCLUDES

    if patterns is None or tuple(patterns) == tuple(DEFAULT_EXCLUDES):
        return "default exclusions"
    if not patterns:
        return "no exclusions"
    extra = [p for p in patterns if p not in DEFAULT_EXCLUDES]
    if extra and len(extra) + len(DEFAULT_EXCLUDES) == len(patterns):
        return "default exclusions + " + ", ".join(extra)
    return "excluding " + ", ".join(patterns)


class Snapshot:
    """One mapped commit. ``nodes``/``edges``/``files`` are DataFrames; ``graph`` a MultiDiGraph."""

    def __init__(self, store: Store, info: SnapshotInfo) -> None:
        self._store = store
        self.info = info
        self.reused = False
        """True when ``Workbench.map`` answered with a map stored earlier (nothing was built)."""

    def __repr__(self) -> str:
        return f"<Snapshot {self.info.id} of {self.info.project} at {self.info.commit_sha[:12]}>"

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def commit(self) -> str:
        return self.info.commit_sha

    @property
    def stats(self) -> dict:
        return dict(self.info.stats)

    # -- which snapshot this is -------------------------------------------------------------------

    @property
    def refs(self) -> list[str]:
        """Every ref this snapshot was mapped as (branch, tag, commit as given), first first."""
        return self._store.snapshots.refs([self.id]).get(self.id) or [self.info.ref or self.commit]

    @property
    def committed_at(self):
        """The commit's date (from the mined history), or None when it is not mined."""
        return self._store.history.commit_times(self.info.project_id, [self.commit]).get(self.commit)

    @property
    def exclusions(self) -> str:
        """``default exclusions``, ``no exclusions`` or ``excluding PATTERN, ...``."""
        return describe_exclusions(self.stats.get("exclude"))

    @property
    def is_current(self) -> bool:
        """Whether this is the project's current snapshot (what panels and reports show
        unless told otherwise; see ``Workbench.current``)."""
        current = self._store.snapshots.current(self.info.project_id)
        return current is not None and current.id == self.id

    def describe(self) -> str:
        """Which snapshot this is, in one line: id, refs, commit, commit and map dates,
        exclusions, and whether it is the project's current one, e.g.
        ``#12 · 3.0.0, main @ 1a2b3c4d5e6f · committed 2024-05-01 · mapped 2024-06-01 10:00 ·
        default exclusions · current``."""
        committed = self.committed_at
        names = [r for r in self.refs if not (len(r) >= 7 and self.commit.startswith(r))]
        parts = [f"#{self.id}", f"{', '.join(names)} @ {self.commit[:12]}" if names
                 else self.commit[:12],
                 f"committed {committed:%Y-%m-%d}" if committed is not None else "commit date unknown",
                 f"mapped {self.info.mapped_at:%Y-%m-%d %H:%M}", self.exclusions]
        if self.history_truncated_at:
            parts.append(truncation_note(self.history_truncated_at))
        current = self._store.snapshots.current_id(self.info.project_id)
        if current is not None and current[0] == self.id:
            parts.append("current (pinned)" if current[1] == "pinned" else "current")
        elif current is not None:
            parts.append(f"not the current snapshot (#{current[0]})")
        return " · ".join(parts)

    # -- tables ---------------------------------------------------------------------------------

    @property
    def nodes(self) -> pd.DataFrame:
        return self._store.snapshots.nodes(self.id)

    @property
    def edges(self) -> pd.DataFrame:
        return self._store.snapshots.edges(self.id)

    @property
    def files(self) -> pd.DataFrame:
        return self._store.snapshots.files(self.id)

    @property
    def file_metrics(self) -> pd.DataFrame:
        """Behavioural metrics of the snapshot's files (churn, authors, ownership by lines
        added and of current lines, age, hotspot ...); :meth:`metrics` with ``deleted=True``
        adds files deleted before the snapshot."""
        return self._store.history.metrics(self.id)

    def problems(self) -> pd.DataFrame:
        """The files the map could not read whole: what the summary counts as skipped and as
        parse problems. Columns: ``path``, ``language``, ``status`` (``skipped``: not parsed,
        e.g. a binary file or a symlink; ``parsed``: parsed with a problem, e.g. a syntax error
        or bytes that are no text, what came before it kept) and ``problem`` (why), skipped
        files first, then by path."""
        return self._store.snapshots.problems(self.id)

    def metrics(self, *, deleted: bool = False) -> pd.DataFrame:
        """Per-file metrics, hottest first: the snapshot's files, and with ``deleted`` also
        the files its history deleted (``present`` false)."""
        return self._store.history.metrics(self.id, deleted=deleted)

    @property
    def history_truncated_at(self) -> list[str]:
        """The shallow boundary commits of this snapshot's history (what came before them is
        unknown); empty when its history is complete."""
        return list(self.stats.get("history_truncated_at") or ())

    def history_order(self) -> list[str]:
        """Shas of the snapshot's history (commits reachable from its commit among those
        mined), parents before children."""
        from .history.scope import history_order

        return history_order(self._store.history.parents(self.info.project_id), self.commit)

    def commits(self) -> pd.DataFrame:
        """The commits of the snapshot's history (sha, author, time, message ...), parents
        before children; identities mapped by the ``.mailmap`` at the snapshot's commit."""
        from .history.mailmap import Mailmap

        order = self.history_order()
        commits, _ = self._store.history.load(self.info.project_id, order)
        commits = Mailmap(self._store.history.mailmap(self.id)).apply(commits)
        position = {sha: i for i, sha in enumerate(order)}
        return (commits.assign(_order=commits["sha"].map(position)).sort_values("_order")
                .drop(columns="_order").reset_index(drop=True))

    def file_changes(self) -> pd.DataFrame:
        """Per commit of the snapshot's history and file: lines added and deleted (the raw
        material of churn), in the order of :meth:`commits`."""
        order = self.history_order()
        _, changes = self._store.history.load(self.info.project_id, order)
        position = {sha: i for i, sha in enumerate(order)}
        return (changes.assign(_order=changes["sha"].map(position))
                .sort_values(["_order", "path"], kind="stable")
                .drop(columns="_order").reset_index(drop=True))

    # -- the graph ------------------------------------------------------------------------------

    @property
    def graph(self) -> "nx.MultiDiGraph":
        def load() -> "nx.MultiDiGraph":
            return build_graph(*self._store.snapshots.arrow(self.id))

        return _GRAPHS.get((str(self._store.path), self.id), load)

    def subgraph(self, *, node_kinds: Iterable[str] | None = None,
                 edge_kinds: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """A graph of a slice of the map, filtered in SQL before it is built (not cached).

        ``snap.subgraph(node_kinds=["module", "package"], edge_kinds=["imports"])`` reads only
        the module import graph of a large map.
        """
        return build_graph(*self._store.snapshots.arrow(
            self.id, node_kinds=list(node_kinds) if node_kinds is not None else None,
            edge_kinds=list(edge_kinds) if edge_kinds is not None else None))

    @property
    def index(self) -> "GraphIndex":
        """The query index, built straight from the stored tables (no networkx graph needed)."""
        def load() -> "GraphIndex":
            from .graph.import_contexts import bits_from_attrs
            from .graph.index import GraphIndex

            nodes, edges = self._store.snapshots.arrow(self.id)
            edge_frame = edges.drop_columns(["attrs"]).to_pandas()
            edge_frame["context_bits"] = bits_from_attrs(edges.column("attrs"), edges.column("kind"))
            return GraphIndex.from_frames(nodes.drop_columns(["attrs"]).to_pandas(), edge_frame)

        return _INDEXES.get((str(self._store.path), self.id), load)

    def resolve(self, name: str) -> str:
        """The node id for a qualified name, a unique suffix of one, or a file path."""
        return self.index.resolve(name)

    def related(self, node: str, *, depth: int = 1, kinds: Iterable[str] | None = None,
                direction: str = "both") -> pd.DataFrame:
        """Neighbourhood of ``node`` to ``depth`` hops: node, kind, distance, via, parent, direction.

        ``kinds`` that never join a node of ``node``'s kind (inheritance and a module) raise
        :class:`~workbench.graph.errors.NodeKindNotHandled`, saying what to ask instead."""
        return self.index.related(node, depth=depth, kinds=kinds, direction=direction)

    def impact(self, node: str, *, kinds: Iterable[str] = DEPENDENCY_KINDS,
               exclude_contexts: Iterable[str] = (), contained: bool = True) -> pd.DataFrame:
        """Everything that depends on ``node``, transitively: node, kind, distance, path.

        With ``contained`` (the default) what depends on anything ``node`` contains counts
        too (the callers of a module's functions); without, only what depends on ``node``
        itself (a module's importers). ``exclude_contexts`` (names of :class:`~workbench.domain.ImportContext`) leaves out
        import edges whose statements all stand there: ``("type_checking",)`` follows only
        imports that run, ``("type_checking", "deferred")`` only those that run on import.
        ``kinds`` that reach neither ``node`` nor anything it contains (imports alone and a
        function) raise :class:`~workbench.graph.errors.NodeKindNotHandled`.
        """
        return self.index.impact(node, kinds=tuple(kinds), exclude_contexts=exclude_contexts,
                                 contained=contained)

    def paths(self, source: str, target: str, *, kinds: Iterable[str] = ("imports",),
              limit: int = 10, exclude_contexts: Iterable[str] = ()) -> list[list[str]]:
        """Import chains from ``source`` to ``target``, shortest first (``exclude_contexts``
        as for :meth:`impact`); ``kinds=["calls"]``: call chains between functions.

        Imports join modules (packages, files): a ``source`` or ``target`` no edge of
        ``kinds`` can leave or reach (an import path between two functions) raises
        :class:`~workbench.graph.errors.NodeKindNotHandled`, naming the modules that hold them
        and the edge kinds that do join them, instead of answering "no path"."""
        return self.index.paths(source, target, kinds=tuple(kinds), limit=limit,
                                exclude_contexts=exclude_contexts)

    def cycles(self, *, kind: str = EdgeKind.IMPORTS.value,
               exclude_contexts: Iterable[str] = ()) -> pd.DataFrame:
        """Strongly connected groups: members, size, one shortest cycle (``[a, b, a]``) and
        its import lines (``exclude_contexts`` as for :meth:`impact`)."""
        return self.index.cycles(kind=kind, exclude_contexts=exclude_contexts)

    def layers(self, *, exclude_contexts: Iterable[str] = ()) -> pd.DataFrame:
        """Level of each module (``node``, ``level``; 0 = imports nothing internal), from the
        import edges left after ``exclude_contexts`` (as for :meth:`impact`)."""
        return self.index.layers(exclude_contexts=exclude_contexts)

    def communities(self) -> pd.DataFrame:
        return self.index.communities()

    def centrality(self) -> pd.DataFrame:
        return self.index.centrality()

    def module_graph(self, *, external: bool = False,
                     exclude_contexts: Iterable[str] = ()) -> nx.DiGraph:
        """File-level nodes and the imports between them as a plain ``DiGraph`` (weight =
        import statements, ``context``/``contexts`` where they stand); with ``external`` the
        ``ext:`` dependencies they import too (``exclude_contexts`` as for :meth:`impact`)."""
        return self.index.module_graph(external=external, exclude_contexts=exclude_contexts)

    def collapse(self, depth: int = 2) -> nx.DiGraph:
        """The module graph aggregated to packages/directories ``depth`` segments deep."""
        return self.index.collapse(depth=depth)

    def hotspots(self, n: int = 20, *, deleted: bool = False) -> pd.DataFrame:
        """Files by hotspot score (change frequency × size), with churn, authors and owners
        (by lines added, and of the current lines); deleted files only with ``deleted``."""
        m = self.metrics(deleted=deleted)
        cols = ["path", "hotspot", "commits_total", "churn_total", "lines", "authors",
                "main_author", "ownership", "current_owner", "current_ownership",
                "code_age_days", "knowledge_loss"]
        if m.empty:
            import pandas as pd

            return pd.DataFrame(columns=cols)
        # stored as a float beside the hotspot score; a count of lines reads as one (11, not 11.0)
        return m[cols].head(n).reset_index(drop=True).astype({"lines": "Int64"})

    def co_changes(self) -> pd.DataFrame:
        """Pairs of files that changed together (a, b, shared commits, degree of coupling),
        most shared commits first.

        Commits of more than 30 files are left out (mass reformatting, vendoring); of the
        rest, a pair is listed when the two files changed together in at least 5 commits, the
        mean of their revisions (the commits that changed each) is at least 5, and the degree
        (shared / mean revisions) is at least 0.3 (code-maat's ``coupling`` analysis;
        :data:`~workbench.history.metrics.COUPLING_MIN_SHARED` and its neighbours)."""
        import pandas as pd

        rows = self._store.db.query(
            "SELECT src, dst, weight, CAST(json_extract(attrs, '$.degree') AS DOUBLE) FROM edges"
            " WHERE snapshot_id = ? AND kind = ?", [self.id, EdgeKind.CO_CHANGES.value])
        return pd.DataFrame(rows, columns=["a", "b", "shared", "degree"]).sort_values(
            ["shared", "a", "b"], ascending=[False, True, True], ignore_index=True)

    def hidden_coupling(self) -> pd.DataFrame:
        """Co-changing files (:meth:`co_changes`, with its thresholds) with no import path
        between them, in either direction."""
        return self.index.hidden_coupling(self.co_changes())

    def check(self, contracts: "str | Path | _contracts.ContractSet | Iterable[_contracts.Contract]",
              *, errors: str = "raise") -> pd.DataFrame:
        """Contract violations with import chains; ``frame.attrs["contracts"]`` gives every
        contract's verdict (kept / broken). ``contracts``: a file (workbench TOML, pyproject.toml,
        setup.cfg, .importlinter), a :class:`~workbench.contracts.ContractSet` or contracts.
        ``errors="record"`` turns a contract that cannot be checked here (a module missing at
        this commit) into status ``error`` instead of raising."""
        from .graph import contracts as _contracts

        if isinstance(contracts, (str, Path)):
            contracts = _contracts.load_contracts(contracts)
        chosen = contracts if isinstance(contracts, _contracts.ContractSet) else list(contracts)
        leave = chosen.options.exclude_contexts if isinstance(chosen, _contracts.ContractSet) else ()
        # imports whose every statement stands in a left-out context (e.g. type_checking)
        # are dropped from the index; ContextsNotRecorded for a map older than the classification
        index = self.index.excluding(leave) if leave else self.index
        return _contracts.check_index(index, chosen, errors=errors)

    def most_imported(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` modules imported by the most files: ``module, importers``."""
        import pandas as pd

        return pd.DataFrame(self._top_imported(n), columns=["module", "importers"])

    def _top_imported(self, n: int | None = None) -> list[tuple[str, int]]:
        dg = self.module_graph()
        rows = sorted(((dg.in_degree(m), m) for m in dg.nodes if dg.nodes[m].get("path")),
                      key=lambda t: (-t[0], t[1]))
        return [(m, c) for c, m in rows if c > 0][:n]

    def import_cycles(self) -> list[list[str]]:
        """Each group of files that import each other, members sorted, largest group first
        (:meth:`cycles` has one shortest cycle through each)."""
        cycles = self.cycles()
        groups = [sorted(m) for m in cycles["members"]] if not cycles.empty else []
        return sorted(groups, key=lambda c: (-len(c), c))

    def external_dependencies(self) -> pd.DataFrame:
        import pandas as pd

        rows = self._store.db.query(
            "SELECT n.name, coalesce(CAST(json_extract(n.attrs, '$.stdlib') AS BOOLEAN), false),"
            " (SELECT count(*) FROM edges e WHERE e.snapshot_id = n.snapshot_id AND e.dst = n.id"
            "  AND e.kind = ?) FROM nodes n WHERE n.snapshot_id = ? AND n.kind = 'external'",
            [EdgeKind.DEPENDS_ON.value, self.id])
        frame = pd.DataFrame(rows, columns=["name", "stdlib", "importers"])
        return frame.sort_values(["stdlib", "importers", "name"], ascending=[True, False, True],
                                 ignore_index=True)

    def summary(self, top: int = 5) -> Summary:
        """Counts, the ``top`` most imported modules and the import cycles.

        The modules and cycles are computed from the map's graph once per snapshot and kept in
        the store (``snapshot_summaries``), so the summary of a map made before (a re-map of
        an unchanged commit) loads neither the graph nor pandas.
        """
        kept = self._store.snapshots.summary(self.id, SUMMARY_VERSION)
        if kept is None or top > _SUMMARY_TOP:
            imported = self._top_imported(max(top, _SUMMARY_TOP))
            cycles = self._summary_cycles()
            if kept is None:
                try:
                    self._store.snapshots.put_summary(self.id, SUMMARY_VERSION, imported, cycles)
                except WorkbenchError:  # a busy or full database: computed again next time
                    pass
        else:
            imported, cycles = kept
        return Summary(self.info.project, self.commit, self.stats,
                       tuple((str(m), int(c)) for m, c in imported[:top]),
                       [list(g) for g in cycles["groups"]], self.describe(),
                       cycle_paths=[list(p) for p in cycles["paths"]],
                       runtime_cycles=cycles["runtime"],
                       on_import_cycles=cycles.get("on_import"))

    def _summary_cycles(self) -> dict:
        """``{"groups": members sorted, largest first; "paths": one shortest cycle through
        each; "runtime": groups without type-checking imports, or None; "on_import": groups
        when deferred imports are left out too, or None}``."""
        cycles = self.cycles()
        rows = sorted(zip(cycles["members"], cycles["cycle"]), key=lambda r: (-len(r[0]), sorted(r[0])))
        try:
            runtime: int | None = len(self.cycles(exclude_contexts=("type_checking",)))
            on_import: int | None = (len(self.cycles(exclude_contexts=("type_checking", "deferred")))
                                     if runtime else 0)
        except ContextsNotRecorded:  # a map from before imports were classified
            runtime = on_import = None
        return {"groups": [sorted(m) for m, _ in rows], "paths": [list(c) for _, c in rows],
                "runtime": runtime, "on_import": on_import}

    # -- exports --------------------------------------------------------------------------------

    def export(self, path: str | Path, format: str | None = None, *, depth: int = 2) -> Path:
        """Write the map as GraphML, GEXF, node-link JSON, Graphviz DOT (collapsed) or Parquet
        (a directory holding ``nodes.parquet`` and ``edges.parquet``); an existing file is
        replaced. A path that cannot be written raises
        :class:`~workbench.errors.OutputPathError` naming it and what to do."""
        from .errors import ConfigError
        from .graph import export as _export
        from .output_paths import output_dir, output_file, writing

        path = Path(path)
        fmt = (format or path.suffix.lstrip(".")).lower()
        if fmt not in EXPORT_FORMATS:
            raise ConfigError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
        with writing(path):
            target = output_dir(path) if fmt == "parquet" else output_file(path)
            if fmt == "graphml":
                _export.write_graphml(self.graph, target)
            elif fmt == "gexf":
                _export.write_gexf(self.graph, target)
            elif fmt == "json":
                _export.write_node_link_json(self.graph, target)
            elif fmt == "dot":
                target.write_text(_export.collapsed_dot(self.graph, depth=depth,
                                                        name=self.info.project))
            else:
                self.nodes.to_parquet(target / "nodes.parquet", index=False)
                self.edges.to_parquet(target / "edges.parquet", index=False)
        return path


__all__ = ["Snapshot", "Summary", "build_graph", "EXPORT_FORMATS"]
