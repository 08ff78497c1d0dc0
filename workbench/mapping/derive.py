"""A commit's map derived from the map of an earlier commit, when only Python files changed.

A whole map reads every file's facts, links every module and writes every row: half a
minute for a monorepo of 100,000 files, whatever the commit changed. When the new commit has
the same paths as a stored map made the same way (same map version, exclusions and size
limit) and changed only the contents of Python files (and of files no parser reads), the
new map is the old one with these Python modules linked again:

* the files whose contents changed, and, for those whose surface changed (what other
  modules may read of them: :func:`~.python_links.surface`; a function's body or a
  docstring is not part of it), every module whose rows may read them, by the record each
  map keeps (:class:`~.python_links.PythonLinks`): the modules whose names or bases are
  made, through any chain of re-exports, of a changed module's (``follows``, followed
  backwards), and those whose imports, calls or bases looked a name up in one of those
  (``reads``, one step back); of a changed module's own readers, only those that looked up
  one of its changed names (:func:`~.python_links.changed_names`: a name defined, bound
  by an import or given bases otherwise);
* their facts and those of the modules their names lead into are read from the parse
  cache, only as far as the names lead;
* the module layout is the old one when the changed imports leave every choice of a module
  root as it was (:attr:`~.pymodules.ModuleLayout.choices`), else the map is made whole;
* the structural metrics (fan-in/out, PageRank, communities) are computed again over the
  whole import graph, the old edges read from the store in the order they were drawn, so
  the numbers are those of a whole map;
* every other row is copied from the old map by the store in SQL.

What changed is asked of git (``git diff-tree`` between the base's commit and the new one,
:meth:`~workbench.repos.clones.Clones.changes`), and only the changed files are classified:
the new commit's tree is never listed, nor its files compared one by one, and the files the
map keeps stay columns of the base's rows (:class:`FileRows`), not a Python object each. On a
monorepo of 100,000 files that is the difference between two seconds of the map's
thread, holding the GIL the history's analysis needs, and a tenth of one.

Anything else (a path added, removed or renamed; a file of another language or a manifest
changed; a changed import that moves a module root; a cycle of re-exports or bases on the
way; more than :data:`MAX_SHARE` of the modules of a large map to link again) makes a whole
map, and the map's statistics say which and why (``derived_from`` / ``whole_map_because``).
A test maps random commits both ways and compares every row.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..repos.git import TreeChange, TreeEntry
from ..store.facts import FactKey
from ..store.links import LinkRecord
from .build import add_co_changes
from .excludes import Excluder
from .facts import FileFacts
from .metrics import structural_metrics
from .parsers import MANIFESTS
from .pymodules import ModuleLayout, import_prefixes, module_layout, root_choices
from .python_links import (NotDerivable, PythonLinks, absolute_imports, changed_names,
                           link_python_part, surface)
from .scan import SUBMODULE_REASON, SYMLINK_REASON, classify, fact_key
from .tables import EdgeSet, MapTables, NodeSet, ScannedFile

#: Above this share of the Python modules to link again (and :data:`MIN_REFUSED` modules),
#: a whole map is made instead: it costs about as much, and reads no facts one by one.
MAX_SHARE = 0.25
MIN_REFUSED = 1_000

def map_settings(max_file_bytes: int) -> dict:
    """What a map depends on beside its files, exclusions and code (a map is derived only
    from one made with the same), as kept in ``link_records.settings``."""
    return {"max_file_bytes": int(max_file_bytes)}


#: The files of a map as a derivation reads and writes them: the store's ``files`` columns,
#: and ``lines``, those of the file-level node of a file with facts (NULL for the others).
FILE_SCHEMA = pa.schema([("path", pa.string()), ("blob_sha", pa.string()), ("size", pa.int64()),
                         ("language", pa.string()), ("status", pa.string()),
                         ("reason", pa.string()), ("lines", pa.int64())])


class FileRows:
    """A map's files as columns (``table``: :data:`FILE_SCHEMA`, in the commit's order: that
    of ``git ls-tree``), found by path.

    A monorepo has a hundred thousand files and a commit changes a few: the files a derived
    map keeps are never made into Python objects one by one (a :class:`ScannedFile` each
    cost a third of a second of the map's thread, holding the GIL the history's analysis
    needs). ``paths`` (the path column as a list) and ``row`` (path -> row) are what finding
    a path takes."""

    def __init__(self, table: pa.Table, paths: list[str] | None = None,
                 row: dict[str, int] | None = None, changed: list[int] | None = None) -> None:
        self.table = table.select(FILE_SCHEMA.names).cast(FILE_SCHEMA).combine_chunks()
        self.paths = self.table.column("path").to_pylist() if paths is None else paths
        self.row = {path: i for i, path in enumerate(self.paths)} if row is None else row
        #: the rows :meth:`replaced` put in (ascending): those not the base map's
        self.changed = changed or []

    def __len__(self) -> int:
        return len(self.paths)

    def file(self, path: str) -> ScannedFile:
        """The file at ``path`` (its facts not read); KeyError when there is none."""
        return self.files([path])[path]

    def files(self, paths: Iterable[str]) -> dict[str, ScannedFile]:
        """path -> the file there (as :meth:`file`) for ``paths``, their rows taken at once (a
        derivation reads thousands: an Arrow scalar per value took a fifth of a second)."""
        paths = list(dict.fromkeys(paths))
        names = ("blob_sha", "size", "language", "status", "reason")
        taken = self.table.select(list(names)).take(
            pa.array([self.row[path] for path in paths], pa.int64())).to_pydict()
        return {path: ScannedFile(path, *values)
                for path, values in zip(paths, zip(*(taken[name] for name in names)))}

    def total_bytes(self) -> int:
        """The files' sizes added up, as ``ls-tree`` counts them (a submodule's as 0)."""
        return int(pc.sum(self.table.column("size")).as_py() or 0)

    def _where(self, mask) -> list:
        return self.table.column("path").filter(mask).to_pylist()

    def python(self) -> list[str]:
        """The paths of the Python files that are mapped (not ignored), in order."""
        t = self.table
        return self._where(pc.and_(pc.equal(t.column("language"), "python"),
                                   pc.not_equal(t.column("status"), "ignored")))

    def others(self) -> list[str]:
        """The paths of the mapped files of other languages, in order."""
        t = self.table
        return self._where(pc.and_(pc.not_equal(t.column("language"), "python"),
                                   pc.not_equal(t.column("status"), "ignored")))

    def blobs(self) -> dict[str, str]:
        """path -> blob sha of every file."""
        return dict(zip(self.paths, self.table.column("blob_sha").to_pylist()))

    def lines_of(self) -> dict[str, int]:
        """path -> lines of every file with facts."""
        t = self.table.filter(pc.is_valid(self.table.column("lines")))
        return dict(zip(t.column("path").to_pylist(), t.column("lines").to_pylist()))

    def blamed(self) -> dict[str, str]:
        """path -> blob sha of the files a map blames: parsed, with lines (as
        :func:`~workbench.mapping.service._blamed_files` chooses them)."""
        t = self.table
        t = t.filter(pc.and_(pc.equal(t.column("status"), "parsed"),
                             pc.is_valid(t.column("lines"))))
        return dict(zip(t.column("path").to_pylist(), t.column("blob_sha").to_pylist()))

    def excluded(self) -> int:
        """How many files the exclusion patterns left out."""
        reason = self.table.column("reason")
        return int(pc.sum(pc.fill_null(pc.starts_with(reason, "excluded by"), False)).as_py()
                   or 0)

    def files_table(self) -> pa.Table:
        """The store's ``files`` rows (:func:`~.build.files_table`'s columns)."""
        return self.table.drop_columns(["lines"])

    def changed_table(self) -> pa.Table:
        """:meth:`files_table`'s rows that :meth:`replaced` put in: a derived map writes
        those, and copies the base's for the others."""
        return self.files_table().take(pa.array(self.changed, pa.int64()))

    def replaced(self, files: Iterable[ScannedFile]) -> "FileRows":
        """These rows with those of ``files`` (at paths they have) put in their place, with
        the lines of their facts."""
        chosen = sorted(((self.row[f.path], f) for f in files), key=lambda pair: pair[0])
        if not chosen:
            return self
        mask = np.zeros(len(self.paths), dtype=bool)
        mask[[i for i, _ in chosen]] = True
        new = {
            "blob_sha": [f.blob_sha for _, f in chosen], "size": [f.size for _, f in chosen],
            "language": [f.language for _, f in chosen], "status": [f.status for _, f in chosen],
            "reason": [f.reason for _, f in chosen],
            "lines": [f.facts.lines if f.facts is not None else None for _, f in chosen]}
        mask_array = pa.array(mask)
        columns = [self.table.column("path")]
        for field in list(FILE_SCHEMA)[1:]:
            columns.append(pc.replace_with_mask(self.table.column(field.name).chunk(0),
                                                mask_array, pa.array(new[field.name],
                                                                     field.type)))
        return FileRows(pa.Table.from_arrays(columns, schema=FILE_SCHEMA), self.paths, self.row,
                        [i for i, _ in chosen])


@dataclass
class Plan:
    """A derivation that passed the checks on paths and kinds of files: the base map's files,
    and those of the new commit whose contents changed (classified; facts still to come)."""

    base: Callable[[], LinkRecord]  # the base's record (which may still be being read)
    files: FileRows  # the base map's files, which are the new commit's paths
    changed: list[ScannedFile]
    entries: list[TreeEntry]  # the changed files' entries at the new commit, to be scanned
    old: dict[str, ScannedFile]  # the changed files as the base map has them
    base_stats: dict
    total_bytes: int  # the new commit's files' sizes added up, as ``ls-tree -l`` counts them

    def listing(self) -> dict[str, str]:
        """path -> blob sha of every file of the new commit (what listing it would give)."""
        blobs = self.files.blobs()
        blobs.update((e.path, e.blob_sha) for e in self.entries)
        return blobs


@dataclass
class DerivedMap:
    """The rows a derived map draws again, and what it keeps of its base."""

    base_id: int
    files: FileRows  # every file of the new commit, with the lines of those with facts
    relinked: list[str]  # Python paths, in the map's order
    nodes: NodeSet  # the relinked files' nodes, and the external dependencies they name
    edges: EdgeSet  # the edges leaving those nodes
    layout: ModuleLayout
    calls: tuple[int, int, int]  # calls resolved, unresolved, builtin (every language)
    modules: dict[str, tuple]  # module_links rows (see LinkRecord.modules)


def plan(base: Callable[[], LinkRecord], base_files: pa.Table,
         changes: Iterable[TreeChange], *, settings: dict,
         sizes: Callable[[list[str]], dict[str, int]], max_bytes: int,
         excluder: Excluder | None, base_stats: dict) -> Plan | str:
    """The derivation of the map of a commit from a base map, or why there is none.

    ``base``: its link record, not needed before linking (the longest read of the base, a
    row per module: it goes on beside the plan and the parse); ``settings``: the record's
    (:func:`map_settings`); ``base_files``: :meth:`~workbench.store.snapshots.SnapshotsTable.base_files`;
    ``changes``: what differs between the base's commit and the new one
    (:meth:`~workbench.repos.clones.Clones.changes`), read up to the first path added or
    deleted; ``sizes``: sha -> size of blobs (asked once, for the changed contents);
    ``base_stats``: the base snapshot's statistics. Only the changed files are looked at:
    the others are the base's, as it classified them."""
    if settings != map_settings(max_bytes):
        return "the size limit changed since the last map"
    modified: list[TreeChange] = []
    for change in changes:
        if change.status not in ("M", "T"):
            return "files were added, removed or renamed"
        modified.append(change)
    files = FileRows(base_files)
    if any(c.path not in files.row for c in modified):
        return "files were added, removed or renamed"
    old = {c.path: files.file(c.path) for c in modified}
    sized = sizes([c.new_sha for c in modified
                   if c.new_sha != old[c.path].blob_sha and c.new_mode != "160000"])
    changed: list[ScannedFile] = []
    entries: list[TreeEntry] = []
    total = files.total_bytes()
    for c in modified:
        before = old[c.path]
        if c.new_sha == before.blob_sha:
            # the same bytes are classified the same, unless git's mode for them changed
            e = c.entry(before.size)
            if (e.is_symlink != (before.reason == SYMLINK_REASON)
                    or e.is_submodule != (before.reason == SUBMODULE_REASON)):
                return f"{e.path} changed its kind"
            continue  # as the base map had it, after its facts were read
        e = c.entry(None if c.new_mode == "160000" else sized[c.new_sha])
        f = classify([e], max_bytes, excluder)[0]
        if posixpath.basename(f.path) in MANIFESTS:
            return f"the manifest {f.path} changed"
        if f.language is not None and f.language != "python" and "ignored" not in (
                f.status, before.status):
            return f"{f.path} ({f.language}) changed"
        if (f.status == "ignored") != (before.status == "ignored"):
            return f"{f.path} is mapped differently"
        changed.append(f)
        entries.append(e)
        total += (e.size or 0) - (before.size or 0)
    return Plan(base, files, changed, entries, {f.path: old[f.path] for f in changed},
                base_stats, total)


def link(plan: Plan, scanned: dict[str, ScannedFile],
         cached: Callable[[Iterable[FactKey]], dict[FactKey, str]]) -> DerivedMap | str:
    """Link the modules the changed files may affect (``scanned``: the changed files with
    their new facts), or say why a whole map is needed."""
    base = plan.base()
    files = plan.files
    python = files.python()
    changed_py = [f for f in plan.changed if f.language == "python" and f.status != "ignored"]
    # the import evidence of the module roots, counted again: its choices must stay
    weighed, choices = base.evidence["counts"], base.evidence["choices"]
    evidence = Counter(weighed)
    old_facts = _facts(cached, [plan.old[f.path] for f in changed_py])
    reweighed = False  # whether any changed file's imports weigh otherwise
    for f in changed_py:
        if plan.old[f.path].status == "parsed" and f.path not in old_facts:
            return f"the parse cache no longer holds the facts of {f.path}"
        now, before = (_weighed(scanned[f.path].facts, weighed),
                       _weighed(old_facts.get(f.path), weighed))
        if now != before:
            evidence.update(now)
            evidence.subtract(before)
            reweighed = True
    # the choices of every root, weighed again (0.1 s on a monorepo) only when they may move
    if reweighed and root_choices(choices, evidence) != root_choices(choices, weighed):
        return "changed imports move a module root"
    # the same paths and choices make the same layout: the base's, read back, when kept
    layout = (ModuleLayout.decode(base.layout, weighed, choices, evidence)
              if base.layout is not None else module_layout(python, evidence=dict(evidence)))
    module_of = layout.names
    modules = base.modules
    start = {module_of.get(f.path, f.path) for f in changed_py}
    # a changed module whose surface is the same (a function's body, a docstring, lines
    # moved) changes no other module's links: only it is linked again; one whose surface
    # changed, the links of those that read the names it changed
    spreading = {}
    for f in changed_py:
        old, new = old_facts.get(f.path), scanned[f.path].facts
        if f.path not in old_facts or surface(old) != surface(new):
            spreading[module_of.get(f.path, f.path)] = changed_names(old, new)
    affected = _affected(spreading, modules) | start
    if len(affected) > max(MAX_SHARE * len(python), MIN_REFUSED):
        return f"{len(affected):,} of {len(python):,} Python modules to link again"
    cycles = frozenset(m for m, row in modules.items() if row[3])
    follows = {m: row[1] for m, row in modules.items() if row[1]}
    looked_up = {other for m in affected if m in modules for other in modules[m][0]}
    followed = _closure(affected | looked_up, follows)
    if followed & cycles:
        return "a cycle of re-exports or bases is on the way"

    path_of = layout.paths()
    # the base's rows of the files the names will most likely be followed into (the files
    # linked again among them), taken at once
    kept = files.files(path for m in followed if m in path_of
                       and (path := path_of[m]) not in scanned)

    def current(path: str) -> ScannedFile:
        """The file at ``path`` in the new commit (the base's when it did not change)."""
        if path in scanned:
            return scanned[path]
        return kept[path] if path in kept else files.file(path)

    # the facts the names will most likely be followed into, read at once
    wanted = [current(path_of[m]) for m in followed if m in path_of]
    known = _facts(cached, [f for f in wanted if f.path not in scanned])

    def facts_of(module: str) -> FileFacts | None:
        path = path_of[module]
        if path in scanned:
            return scanned[path].facts
        if path not in known:
            f = current(path)
            known.update(_facts(cached, [f]))
            if path not in known and f.status == "parsed":
                raise NotDerivable(f"the parse cache no longer holds the facts of {path}")
        return known.get(path)

    # the files are in the commit's order, the Python files' among them
    relinked = sorted((path_of[m] for m in affected if m in path_of), key=files.row.__getitem__)
    nodes, edges = NodeSet(), EdgeSet()
    try:
        part: list[ScannedFile] = []
        for path in relinked:
            f = current(path)
            if path not in scanned and f.status == "parsed":
                f = ScannedFile(f.path, f.blob_sha, f.size, f.language, f.status, f.reason,
                                facts_of(module_of.get(path, path)))
            part.append(f)
        record = link_python_part(layout, part, nodes, edges, facts_of, avoid=cycles)
    except NotDerivable as exc:
        return str(exc)
    # calls: the other languages' as the base counted them, Python's module by module
    keys = ("calls_resolved", "calls_unresolved", "calls_builtin")
    calls = [int(plan.base_stats.get(k, 0)) for k in keys]
    for module, (_, _, counts, *_) in modules.items():
        for i in range(3):
            calls[i] -= counts[i]
            if module not in affected:
                calls[i] += counts[i]
    for counts in record.calls.values():
        for i in range(3):
            calls[i] += counts[i]
    # the new record: the relinked modules' rows as this link made them; modules it only
    # followed names through keep their rows, with what this link saw them read added
    rows = {}
    for module in affected:
        if module in path_of:
            # what it follows keeps the base's steps too: a whole link records a step of a
            # re-export when any module looks the name up, and the modules that looked it up
            # in the base are not all linked again (a step it no longer takes only spreads a
            # later change further than needed)
            before = modules[module][1] if module in modules else ()
            rows[module] = (sorted(record.reads.get(module, ())),
                            sorted({*before, *record.follows.get(module, ())}),
                            record.calls.get(module, (0, 0, 0)), False,
                            sorted(record.read_names.get(module, ())))
    for module, more in record.follows.items():
        if module not in rows:
            reads, before, counts, cycle, names = modules.get(
                module, ([], [], (0, 0, 0), False, []))
            rows[module] = (sorted(reads), sorted({*before, *more}), counts, cycle, names)
    return DerivedMap(base.snapshot_id, files.replaced(scanned.values()), relinked, nodes,
                      edges, layout, (calls[0], calls[1], calls[2]), rows)


def _facts(cached, files: list[ScannedFile]) -> dict[str, FileFacts]:
    """Facts of ``files`` from the parse cache, by path (those not cached are left out)."""
    wanted = [f for f in files if f.status == "parsed"]
    raw = cached([fact_key(f) for f in wanted])
    found = {}
    for f in wanted:
        text = raw.get(fact_key(f))
        if text is not None:
            facts = FileFacts.from_json(text)
            if not facts.extra.get("skipped"):
                found[f.path] = facts
    return found


def _weighed(facts: FileFacts | None, weighed: dict[str, int]) -> Counter:
    """How often one file's absolute imports use each of the ``weighed`` names."""
    if facts is None or not weighed:
        return Counter()
    return Counter(n for n in import_prefixes(absolute_imports(facts)) if n in weighed)


def _affected(changed: dict[str, frozenset[str] | None], modules: dict) -> set[str]:
    """The modules whose rows may change when the facts of ``changed`` do (module -> its
    :func:`~.python_links.changed_names`, None for any): those whose names or bases are
    made, through any chain, of a changed module's (``follows``, backwards), those that
    looked a name up in one of them (``reads``, one step back), and those that looked up a
    changed name of a changed module (``read_names``; any name, in rows kept without)."""
    if not changed:  # no changed surface: nothing spreads (a pass over every module saved)
        return set()
    followers: dict[str, set[str]] = {}
    for module, row in modules.items():
        for other in row[1]:
            followers.setdefault(other, set()).add(module)
    # a module that follows a changed one may answer any of its own names otherwise
    anything = {m for m, names in changed.items() if names is None}
    for module, names in changed.items():
        if names is not None:
            anything.update(followers.get(module, ()))
    names_changed = _closure(anything, followers)
    some = {m: names for m, names in changed.items()
            if names is not None and m not in names_changed}
    # the readers in one pass, without an index of every read (on a monorepo's 50,000
    # modules and 95,000 reads, half the time)
    affected = names_changed | set(some)
    for module, row in modules.items():
        reads = row[0]
        if not names_changed.isdisjoint(reads):
            affected.add(module)
        elif some and not some.keys().isdisjoint(reads) and _read_changed(row[4], some):
            affected.add(module)
    return affected


def _read_changed(read_names: list[str] | None, some: dict[str, frozenset[str]]) -> bool:
    """Whether a module's ``read_names`` (None: not kept) hold a changed name of ``some``."""
    if read_names is None:
        return True
    for key in read_names:
        module, _, name = key.rpartition(":")
        names = some.get(module)
        if names is not None and name in names:
            return True
    return False


def _closure(start: set[str], step: dict) -> set[str]:
    seen = set(start)
    todo = list(start)
    while todo:
        for nxt in step.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def file_nodes(derived: DerivedMap) -> list[str]:
    """The file-level node ids of the map in the order a whole map adds them: Python files
    first, then the files of other languages, each in the commit's order."""
    names = derived.layout.names
    return [names.get(path, path) for path in derived.files.python()] + derived.files.others()


def same_imports(derived: DerivedMap, old_pairs: pa.Table) -> bool:
    """Whether the relinked files import what they imported in the base map, in the same
    order (``old_pairs``: the base's import edges leaving them): then the import graph, and
    so every structural metric, is the base's."""
    new = [(src, dst) for (src, dst, kind) in derived.edges.rows if kind == "imports"]
    old = list(zip(old_pairs.column("src").to_pylist(), old_pairs.column("dst").to_pylist()))
    return sorted(new, key=lambda p: p[0]) == sorted(old, key=lambda p: p[0])


def metrics_table(derived: DerivedMap, base_pairs: pa.Table) -> pa.Table:
    """fan_in, fan_out, pagerank and community of every file-level node of the derived map:
    the base's import edges but those of the relinked files, and theirs, in the order a
    whole map would have drawn them (each source's edges together, sources in node order).
    The base's edges stay Arrow strings: :func:`~.metrics.structural_metrics` matches them
    to the files without a Python object per edge."""
    files = pa.array(file_nodes(derived), pa.string())
    new = [(s, d) for s, d, kind in derived.edges.rows if kind == "imports"]

    def drawn(column: str, end: int) -> pa.ChunkedArray:
        return pa.chunked_array([*base_pairs.column(column).cast(pa.string()).chunks,
                                 pa.array([pair[end] for pair in new], pa.string())], pa.string())

    fan_in, fan_out, rank, community = structural_metrics(files, drawn("src", 0), drawn("dst", 1))
    return pa.table({
        "id": files,
        "fan_in": pa.array(fan_in, pa.int32()), "fan_out": pa.array(fan_out, pa.int32()),
        "pagerank": pa.array(rank, pa.float64()), "community": pa.array(community, pa.int32()),
    })


def module_rows(modules: dict[str, tuple]) -> pa.Table:
    """The ``module_links`` rows of ``modules`` (module -> (reads, follows, calls, cycle,
    read names or None))."""
    names = list(modules)
    return pa.table({
        "module": pa.array(names, pa.string()),
        "reads": pa.array([sorted(modules[m][0]) for m in names], pa.list_(pa.string())),
        "follows": pa.array([sorted(modules[m][1]) for m in names], pa.list_(pa.string())),
        "calls_resolved": pa.array([modules[m][2][0] for m in names], pa.int32()),
        "calls_unresolved": pa.array([modules[m][2][1] for m in names], pa.int32()),
        "calls_builtin": pa.array([modules[m][2][2] for m in names], pa.int32()),
        "cycle": pa.array([modules[m][3] for m in names], pa.bool_()),
        "read_names": pa.array([None if modules[m][4] is None else sorted(modules[m][4])
                                for m in names], pa.list_(pa.string())),
    })


def record_rows(record: PythonLinks) -> dict[str, tuple]:
    """A whole link's record as ``module_links`` rows (see :func:`module_rows`)."""
    rows: dict[str, tuple] = {}
    for module in {*record.reads, *record.follows, *record.calls, *record.cycles}:
        rows[module] = (sorted(record.reads.get(module, ())),
                        sorted(record.follows.get(module, ())),
                        record.calls.get(module, (0, 0, 0)), module in record.cycles,
                        sorted(record.read_names.get(module, ())))
    return rows


def tables(derived: DerivedMap) -> MapTables:
    """The rows a derived map writes itself (the changed files; the relinked files' nodes
    and the edges leaving them) and the counts its rows do not tell (see
    :meth:`~workbench.store.snapshots.SnapshotsTable.write_derived`); its co-change edges
    come with the history (:func:`co_change_edges`)."""
    resolved, unresolved, builtin = derived.calls
    stats = {"packages": len(derived.layout.packages), "calls_resolved": resolved,
             "calls_unresolved": unresolved, "calls_builtin": builtin}
    return MapTables(files=derived.files.changed_table(), nodes=derived.nodes.table(),
                     edges=derived.edges.table(), stats=stats)


def co_change_edges(derived: DerivedMap, coupling) -> pa.Table:
    """The ``co_changes`` edges of ``coupling`` (path_a, path_b, shared, degree) between the
    derived map's files, as the edge rows a whole map ends with
    (:meth:`~workbench.store.snapshots.SnapshotsTable.write_derived` writes them last)."""
    edges = EdgeSet()
    if coupling is not None and len(coupling):
        names = derived.layout.names
        by_path = {path: names.get(path, path) for path in derived.files.python()}
        by_path.update((path, path) for path in derived.files.others())
        add_co_changes(by_path, edges, coupling)
    return edges.table()
