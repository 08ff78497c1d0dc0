"""The map flow: sync the clone, resolve the commit, scan and mine history, build, store.

Everything the map needs is computed before the write, and the write (snapshot row, files,
nodes, edges, per-file metrics, newly parsed facts, job success) is one transaction: a
failure at any step leaves no partial snapshot behind. The database is opened once for the
burst of work after the clone is in sync, not around network transfers.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..config import Config
from ..domain import Project
from ..errors import GitFailed, GitTimeout, InvalidRef, JobCancelled, MapError, WorkbenchError
from ..background import Background
from ..graph._gc import collector_paused, thaw
from ..repos.shallow import shallow_commits
from ..jobs import Job
from ..repos.clones import Clones
from ..repos.sources import split_ancestry
from ..store import Store
from ..store.snapshots import split_import_pairs
from .excludes import Excluder
from .version import MAP_VERSION

if TYPE_CHECKING:  # pragma: no cover
    from ..history.blame import BlameScope
    from ..history.service import HistoryService, PreparedHistory

# The parse, build and history modules (pandas, Arrow, networkx) are imported when a commit is
# mapped, not when an unchanged commit's snapshot is reused.


class _HistoryMiner:
    """Mines a project's new commits on a thread while the map's files are parsed, then
    computes what the snapshot's history metrics need before the parse's answers (see
    :meth:`HistoryService.prepare`).

    Its progress shows once parsing is done (one bar at a time); a failure or cancel in
    either is raised by :meth:`result`, and :meth:`stop` ends mining when parsing failed.
    """

    def __init__(self, history: Callable[[], HistoryService], project_id: int, repo: Path,
                 commit: str, files: Callable[[], dict[str, str]], job: Job,
                 bases: list[int] | None = None) -> None:
        self._job = job
        self._stop = threading.Event()
        self._shown = threading.Event()
        self._course = threading.Event()  # mining is done and the analysis's course known
        self._synced = threading.Event()  # mining is over (done, failed or stopped)
        self._updating = False
        self._added = 0
        self._prepared: PreparedHistory | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(history, project_id, repo, commit, files, bases),
            name=f"workbench-history-{project_id}", daemon=True)
        self._thread.start()

    def _report(self, done: int, total: int | None, message: str) -> None:
        if self._shown.is_set():
            self._job.report(done, total, message)

    def _cancelled(self) -> bool:
        cancelled = getattr(self._job, "cancelled", None)
        return self._stop.is_set() or bool(cancelled and cancelled())

    def _run(self, history: Callable[[], HistoryService], project_id: int, repo: Path,
             commit: str, files: Callable[[], dict[str, str]], bases: list[int] | None
             ) -> None:
        try:
            service = history()
            self._added = service.sync(project_id, repo, commit, self._report,
                                       cancel=self._cancelled)
            self._synced.set()  # (and at the end, when mining failed)
            if not self._cancelled():
                self._prepared = service.prepare(project_id, repo, commit, files=files,
                                                 cancel=self._cancelled, bases=bases,
                                                 on_course=self._on_course)
        except BaseException as exc:  # noqa: BLE001 - handed to the map's thread
            self._error = exc
        finally:
            self._synced.set()
            self._course.set()

    def _on_course(self, updating: bool) -> None:
        self._updating = updating
        self._course.set()

    def course(self) -> bool:
        """Wait until mining is done and the analysis's course is known (showing mining's
        progress meanwhile): True when what is left is an update of an earlier analysis
        (seconds), False for a whole analysis, or when it is already over."""
        if not self._course.is_set():
            self._shown.set()
            self._job.report(0, None, "mining history")
            self._course.wait()
        return self._updating and self._thread.is_alive()

    def wait_until_mined(self) -> None:
        """Wait until mining is over: the blames it found cut short by a shallow clone's
        boundary (one since fetched deeper) are forgotten by then, so the cache read after
        holds none of them."""
        self._synced.wait()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def result(self, *, quiet: bool = False) -> tuple[int, PreparedHistory | None]:
        """Wait for mining and the first step of the analysis to finish: the number of
        commits stored now, and that step's result (None after a cancel). ``quiet``: no
        progress is reported meanwhile (a report writes the job's row, which a transaction
        open meanwhile must not find changed)."""
        if self._thread.is_alive():
            if not quiet:
                self._shown.set()
                self._job.report(0, None, "mining history")
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._added, self._prepared


def _load_map_modules(before_fetch: bool = False) -> None:
    """Import what building a map needs (about a second of a fresh process's time).

    ``before_fetch``: loaded before the fetch of a large clone (:func:`_load_early`): what a
    re-map's threads ask for first comes first. A map needs none of networkx (its Louvain
    is :mod:`.louvain`'s)."""
    import pandas  # noqa: F401

    if before_fetch:
        # what a re-map's threads ask for first once the commit is fetched: the history's
        # (its mining starts with this module) and the plan's (derive; pathspec, whose
        # patterns are compiled when the plan excludes its first path)
        from ..history import service  # noqa: F401
        from . import derive  # noqa: F401
        import pathspec  # noqa: F401
    from . import build  # noqa: F401 - Arrow
    from .metrics import prewarm

    prewarm().join()  # what PageRank imports (scipy)


def _load_early(clones: Clones, project_name: str) -> Background | None:
    """:func:`_load_map_modules` started before the fetch, for a clone whose packs hold
    :data:`~workbench.repos.commit_graph.MIN_PACK_BYTES` or more (or none yet: a first map
    always maps), None for a smaller one.

    A re-map of a large repository otherwise loads them after the fetch, while the history's
    mining, the plan and the base's read wait behind the same modules' import locks: about
    0.7 s of a monorepo re-map's 4-5 s in which no git process ran. Loaded during the fetch
    (git's processes, not this one's, are busy then), they cost the re-map of an unchanged
    commit up to 0.4 s of CPU on a thread nobody waits for, so a small clone, whose re-map
    is a fraction of a second as a command, does not load them early.
    """
    from ..repos.commit_graph import worth_a_commit_graph

    if clones.exists(project_name) and not worth_a_commit_graph(clones.path_for(project_name)):
        return None
    return Background(_load_map_modules, True)


def _blamed_files(files, lines_of: dict[str, int], blame: bool) -> dict[str, str] | None:
    """path -> blob sha of the files whose current lines a map blames (parsed, with lines),
    None when the configuration blames nothing."""
    if not blame:
        return None
    return {f.path: f.blob_sha for f in files if f.status == "parsed" and f.path in lines_of}


#: How a service announces what happened: ``publish(event_type, payload)`` (the facade hands in
#: the event log's publish; a failure to publish never fails the work).
Publish = Callable[[str, dict[str, Any]], None]


def _blame_scope(store: Store, project_id: int, blame: dict[str, str] | None) -> "BlameScope":
    """What a map blames of ``blame`` (path -> blob sha) beside the cache, against the
    project's newest snapshot: its blames are carried forward where they can be; and when
    that snapshot left files unblamed, only the files changed since are blamed, of which
    those whose earlier version was left unblamed only when their blame can be carried (see
    :class:`~workbench.history.blame.BlameScope`). The leftovers are blamed by
    ``complete_blame``, not by every map, so a re-map stays proportional to the change."""
    from ..history.blame import BlameScope

    newest = store.snapshots.newest(project_id) if blame else None
    if newest is None:
        return BlameScope()
    versions = store.snapshots.earlier_versions(newest.id, project_id, blame)
    carried_from = (newest.commit_sha, {path: before for path, before, _ in versions
                                        if before is not None})
    if not newest.stats.get("blame_pending"):
        return BlameScope(carried_from=carried_from)
    return BlameScope(only=frozenset(path for path, _, _ in versions),
                      carry_only=frozenset(path for path, before, blamed in versions
                                           if before is not None and not blamed),
                      carried_from=carried_from)


class MapService:
    def __init__(self, store: Store, clones: Clones, config: Config,
                 publish: Publish | None = None) -> None:
        self.store = store
        self.clones = clones
        self.config = config
        self._history: HistoryService | None = None
        self.publish = publish

    @property
    def history(self) -> "HistoryService":
        if self._history is None:
            from ..history.service import HistoryService

            config = self.config
            self._history = HistoryService(self.store, git_timeout=config.git_timeout,
                                           git_memory=config.history_memory,
                                           max_commit_files=config.max_commit_files,
                                           blame_budget=config.blame_budget,
                                           graph_memory=config.git_memory)
        return self._history

    def run(self, job: Job, project: Project, ref: str | None, *, force: bool = False,
            exclude: Sequence[str] | None = None, fetch: bool = True,
            deepen: int | None = None, unshallow: bool = False) -> dict:
        """Map ``project`` at ``ref``; an unchanged commit reuses its snapshot unless ``force``
        or the exclude patterns (default: the configuration's) differ from its map's. Without
        ``fetch`` an existing clone is mapped as it is (one fetch serves a series of maps).
        ``deepen``/``unshallow`` fetch more of a shallow clone's history first (a commit
        whose history grew is mapped again); :class:`ShallowSource` when nothing older came."""
        started = time.perf_counter()
        excluder = Excluder(self.config.exclude if exclude is None else exclude)
        loading: Background | None = None
        job.report(0, None, "syncing repository")
        self.store.projects.update(project.id, status="syncing")
        try:
            deepening = deepen is not None or unshallow
            if deepening:
                repo, grew = self._deepen(project, deepen, unshallow)
                force = force or grew
            else:
                if fetch:
                    loading = _load_early(self.clones, project.name)
                repo = (self.clones.path_for(project.name)
                        if not fetch and self.clones.exists(project.name)
                        else self.clones.sync_project(project))
            branch = self.clones.default_branch(repo)
            commit = self.clones.resolve(repo, ref)
            # only a map of the default branch head with the configured exclusions may become
            # the project's current snapshot; tags, old commits and one-off exclusions never do
            # a ref counted from another (HEAD~2) names another commit once that one moves:
            # the snapshot is not labelled with it
            given = ((commit if ref is not None and split_ancestry(ref)[1] else ref)
                     or branch or commit)
            default_head = ((ref is None or ref == branch)
                            and excluder.patterns == Excluder(self.config.exclude).patterns)
            # no session around the map: each read and write opens the file for itself (the
            # idle release keeps a burst on one open), so other processes get turns while it
            # parses and mines; only the final snapshot write holds it, briefly
            existing = None if force else next(
                (s for s in self.store.snapshots.of_commit(project.id, commit)
                 if s.parser_version == MAP_VERSION
                 and tuple(s.stats.get("exclude", ())) == excluder.patterns), None)
            if existing is not None:
                result = self._reuse(job, project, branch, commit, existing, given,
                                     default_head)
            else:
                try:
                    with ExitStack() as paused:
                        result = self._map_commit(job, project, repo, branch, ref, commit,
                                                  started, excluder, given, default_head,
                                                  whole=force, loading=loading,
                                                  paused=paused)
                finally:
                    thaw()  # what the map's steps froze (collector_paused)
        except WorkbenchError as exc:
            # loads the history package: not at start
            from ..history.errors import MiningCancelled, ShallowSource

            # refused before anything was mapped (nothing older to fetch, a ref that names no
            # commit, a repository without commits), or cancelled (nothing of the map is
            # stored): the project stays as it was
            refused = isinstance(exc, (ShallowSource, InvalidRef, JobCancelled, MiningCancelled))
            self.store.projects.update(project.id,
                                       status=project.status if refused else "failed")
            raise
        except Exception as exc:
            self.store.projects.update(project.id, status="failed")
            raise MapError(f"mapping {project.name} failed: {exc}", project=project.name) from exc
        except KeyboardInterrupt:
            # nothing was stored (the snapshot is one transaction): the project is as it was,
            # and its job interrupted, to be resumed (see JobRunner)
            self.store.projects.update(project.id, status=project.status)
            raise
        if self.publish is not None:  # the snapshot is stored: announce it (map.completed)
            self.publish("map.completed", {
                "project": project.name, "snapshot_id": int(result["snapshot_id"]),
                "commit": result["commit"], "reused": bool(result.get("reused", False)),
                "job_id": job.id})
        return result

    def complete_blame(self, job: Job, project: Project, snapshot_id: int,
                       budget: float | None = None) -> dict:
        """Blame the parsed files of a stored snapshot that are not blamed yet (a map's budget
        ran out, or an earlier map left them), then fill its current-line owner columns and
        its ``blame_pending`` statistic. ``budget``: seconds, None for no limit.
        Returns ``{"snapshot_id", "files", "blamed_now", "pending"}``."""
        info = self.store.snapshots.get(snapshot_id)
        files = self.store.snapshots.files(snapshot_id)
        parsed = files.loc[files["status"] == "parsed"]
        blame = dict(zip(parsed["path"], parsed["blob_sha"]))
        repo = self.clones.path_for(project.name)
        before = int(info.stats.get("blame_pending", 0))
        job.report(0, before or None, f"blaming the files of snapshot #{snapshot_id}")
        blamed = [0]

        def progress(done: int, total: int) -> None:
            blamed[0] = max(blamed[0], done)
            job.report(done, total, f"blamed {done:,} of {total:,} files")
            job.check_cancel()

        owners, pending = self.history.complete_blame(project.id, repo, info.commit_sha, blame,
                                                      budget=budget, progress=progress)
        if len(owners):
            self.store.history.update_ownership(snapshot_id, owners, pending)
        return {"snapshot_id": snapshot_id, "files": len(blame), "blamed_now": blamed[0],
                "pending": pending}

    def _deepen(self, project: Project, deepen: int | None, unshallow: bool) -> tuple[Path, bool]:
        """Fetch with ``--deepen``/``--unshallow``; ``(clone, whether its history grew)``."""
        existed = self.clones.exists(project.name)
        before = shallow_commits(self.clones.path_for(project.name)) if existed else None
        repo = self.clones.sync_project(project, deepen=deepen, unshallow=unshallow)
        after = shallow_commits(repo)
        asked = '--unshallow' if unshallow else f'--deepen {deepen}'
        if existed and not before and not after:
            from ..history.errors import ShallowSource

            raise ShallowSource(
                f"{asked} had nothing to fetch: the clone of {project.name} holds its whole "
                f"history already (it is not shallow); map it without {asked.split()[0]}")
        if after and (unshallow or after == before):
            from ..history.errors import ShallowSource

            shown = ", ".join(sha[:12] for sha in sorted(after))
            how = (f"`git -C {project.source} fetch --unshallow`" if project.source_kind == "path"
                   else "`git fetch --unshallow` where it is served from")
            raise ShallowSource(
                f"{asked} fetched no older "
                f"history: the source {project.source} is itself shallow at {shown}; deepen it "
                f"there ({how}) or register the project from its complete remote, then map "
                "again")
        return repo, before is not None and after != before

    def _reuse(self, job: Job, project: Project, branch: str | None, commit: str, existing,
               given: str, default_head: bool) -> dict:
        """Maps are immutable per commit: the snapshot we have is the answer. The ref, the
        project's state and the job's success are one transaction (each commit is a write of
        the log to disk)."""
        result = {"snapshot_id": existing.id, "commit": commit, "reused": True, **existing.stats}

        def record(cur) -> None:
            self.store.snapshots.record_ref(cur, existing.id, given, default_head=default_head)
            self.store.projects.update_in(cur, project.id, status="mapped", default_branch=branch)
            job.finish_in(cur, result)

        self.store.db.write(record)
        return result

    def _map_commit(self, job: Job, project: Project, repo: Path, branch: str | None,
                    ref: str | None, commit: str, started: float, excluder: Excluder,
                    given: str, default_head: bool, *, whole: bool = False,
                    loading: Background | None = None,
                    paused: ExitStack | None = None) -> dict:
        """Map ``commit``: derived from the project's last map when it can be (see
        :mod:`.derive`; never when ``whole``), else a whole map. ``loading``: the map's
        modules already loading (:func:`_load_early`). ``paused``: where the cyclic
        collector's pause for a derived map is entered (until the caller closes it)."""
        from .scan import scan
        from .workers import WorkerPool

        # pandas, Arrow and scipy load on a thread while git lists files and the workers
        # parse, instead of delaying the first parse in a fresh process
        if loading is None:
            loading = Background(_load_map_modules)
        self.store.projects.update(project.id, status="mapping", default_branch=branch)
        job.report(0, None, f"listing files at {commit[:12]}")
        # history is mined beside the listing and the parse: git log, git ls-tree and the
        # parser workers overlap (on a monorepo the history is what a re-map waits for last)
        listed: Future = Future()
        # the history's analysis is an update of the newest kept one the commit descends
        # from, when it can be (a whole map asked for is whole in its history too)
        bases = ([] if whole or not self.config.derive_maps
                 else self.store.history.recent_records(project.id))
        miner = _HistoryMiner(lambda: self.history, project.id, repo, commit, listed.result,
                              job, bases)

        def blames_settled() -> None:
            """Before the blame cache is read beside mining: wait for mining when it may
            forget cached blames, as it does for a project mined from a shallow clone whose
            boundary was fetched deeper since (those blames stopped short at it)."""
            from ..history.mine import SHALLOW_REASON

            if self.store.history.marked(project.id, SHALLOW_REASON):
                miner.wait_until_mined()

        # the base a derived map starts from is read beside the history's first steps; when
        # there is one, what changed since its commit is all git is asked (the whole tree is
        # listed only for a whole map: on a monorepo, listing and comparing every file took
        # the map's thread more than a second, whatever the commit changed)
        base_read = None if whole else Background(self._derivation_base, project, excluder)
        if base_read is not None and paused is not None:
            # a derived map's threads (the base's read, the plan, the linking, the history's
            # update) allocate millions of small objects beside a heap that holds the base's
            # link record: each full collection walked all of it (0.3 s of a monorepo's
            # re-map, under contention). Objects are still freed by reference counting; the
            # collector runs again once the map is written, or as soon as it turns out whole.
            paused.enter_context(collector_paused(freeze=True))
        entries = None
        ahead: WorkerPool | None = None
        try:
            planned = None if base_read is None else self._plan(repo, commit, excluder,
                                                                base_read)
            if planned is None or isinstance(planned, str):
                if paused is not None:
                    paused.close()  # a whole map pauses the collector step by step
                # a whole map: its parser workers start while git lists the files
                ahead = WorkerPool(self.config.worker_count,
                                   memory_limit=self.config.worker_memory).start()
                # the exclude patterns compile while git lists the tree, not before the
                # classification the workers wait for; the collector is paused meanwhile,
                # then what the process holds (the modules loaded for the map among it) is
                # out of its sight: its first full collection, walking all of that, took
                # 35-50 ms of a Django map before the first parse
                with collector_paused(freeze=True):
                    compiling = Background(excluder.compile)
                    entries = self._list(repo, commit)
                    compiling.wait()
                    listing = {e.path: e.blob_sha for e in entries}
            else:
                listing = planned.listing()
        except BaseException as exc:
            listed.set_exception(exc)
            miner.stop()
            if ahead is not None:
                ahead.close()
            if base_read is not None:
                base_read.wait()
            raise
        listed.set_result(listing)
        # the base's import edges, where a derived map's structural metrics start from, read
        # while it links: which of them it draws again is known only once it has linked
        base_imports = (None if planned is None or isinstance(planned, str)
                        else Background(self.store.snapshots.import_pairs, base_read.result()[0]))
        # what the map's blames may do, worked out once against the newest snapshot from
        # every listed file (a superset of those blamed), beside the parse
        scoping = Background(_blame_scope, self.store, project.id,
                             listed.result() if self.config.blame else None)

        def scan_entries(chosen):
            nonlocal ahead
            pool, ahead = ahead, None  # the workers started ahead serve one scan
            # the facts of every file (tens of thousands of small records) and then the map's
            # nodes and edges are built without cycles: paused, the collector does not walk
            # the whole heap again and again while they grow (it cost a third of the build)
            with collector_paused(freeze=True):
                return scan(
                    chosen,
                    read_blobs=lambda shas: self.clones.read_blobs(repo, shas),
                    cached=self.store.facts.get_many,
                    max_bytes=self.config.max_file_bytes,
                    workers=self.config.worker_count,
                    memory_limit=self.config.worker_memory,
                    progress=job.report,
                    excluder=excluder,
                    pool=pool,
                )

        early_blame = None
        try:
            derived, why_whole, scanned, early_blame = (
                (None, planned, None, None) if planned is None or isinstance(planned, str)
                else self._derive(project, repo, commit, planned, scan_entries, loading,
                                  scoping, blames_settled))
            if derived is None:
                if paused is not None:
                    paused.close()  # a whole map after all: it pauses the collector by steps
                scanned = scan_entries(entries if entries is not None
                                       else self._list(repo, commit))
            # a cancel asked for while the last files parsed stops here: nothing is stored
            job.check_cancel()
        except BaseException:
            miner.stop()
            if ahead is not None:  # a failure before the scan
                ahead.close()
            for thread in (early_blame, base_imports):
                if thread is not None:
                    thread.wait()
            raise
        fresh = scanned.fresh
        # parse results are a cache keyed by blob: stored in their own short transaction
        # before the snapshot's, so the one that makes the snapshot visible stays small. DuckDB
        # writes them without holding the GIL, beside the history analysis and the build.
        facts_writer = Background(self.store.facts.put_many, fresh)
        blaming: Background | None = None
        measuring: Background | None = None
        settling: Background | None = None
        encoding: Background | None = None
        finishing: Background | None = None  # a whole map's history, beside its write
        known_blame: Background | None = None  # a whole map's cached blames, read early
        tables_built = threading.Event()
        blames_done = threading.Event()  # a whole map's history runs no more git blames

        def cleanup() -> None:
            """What runs on after the map's failure or cancel, stopped or waited for."""
            miner.stop()  # mining and its analysis end with the map (a no-op once finished)
            facts_writer.wait()  # its own failure, if any, matters less than the map's
            if measuring is not None:
                measuring.wait()
            for thread in (settling, encoding, base_imports, finishing, known_blame):
                if thread is not None:
                    thread.wait()
            if blaming is not None:
                tables_built.set()
                blaming.wait()  # a few files' git processes: nothing runs on after the map
            if early_blame is not None:
                early_blame.wait()

        try:
            from ..history.blame import narrow_beside

            loading.result()
            import pandas as pd

            job.report(len(fresh), len(fresh), "building the map")
            from . import derive

            if derived is not None:
                # the few changed files are blamed (git processes) while the history is
                # still analysed: their blame needs the commits only to name their owners
                blame = derived.files.blamed() if self.config.blame else None
                if blame:
                    base_commits = self.store.snapshots.get(derived.base_id).stats.get("commits")
                    if not narrow_beside(int(base_commits or 0)):
                        tables_built.set()
                    def blame_changed():
                        if early_blame is not None:  # the changed files', cached once done
                            early_blame.wait()
                        blames_settled()
                        return self.history.blame(
                            project.id, repo, commit, blame,
                            scope=scoping.result(),
                            budget=self.history.blame_budget, widen=tables_built)

                    blaming = Background(blame_changed)
                # the metrics of the whole import graph on a thread, while the base's edges
                # are copied and the history may still be analysed; the base's when the
                # relinked files import what they did
                def structural():
                    theirs, others = split_import_pairs(base_imports.result(), derived.relinked)
                    if derive.same_imports(derived, theirs):
                        return self.store.snapshots.node_metrics(derived.base_id)
                    return derive.metrics_table(derived, others)

                measuring = Background(structural)
                lines_of = derived.files.lines_of()
                excluded = derived.files.excluded()
                # its rows but the co-change edges do not wait for the history
                with collector_paused(freeze=True):
                    tables = derive.tables(derived)
                linked = None
            else:
                from .build import finish_map, link_map

                files = scanned.files
                lines_of = {f.path: f.facts.lines for f in files if f.facts is not None}
                blame = _blamed_files(files, lines_of, self.config.blame)
                excluded = sum(1 for f in files
                               if f.reason and f.reason.startswith("excluded by"))
                # the files' cached blames are read once mining is over (while the map
                # links, on a short history), not by the history's last step, which the
                # snapshot's transaction waits for
                if blame:
                    def read_known_blame():
                        blames_settled()
                        return self.history.cached_blame(project.id, blame)

                    known_blame = Background(read_known_blame)
                # the files' nodes and edges are linked while the history's first step may
                # still run on the miner's thread: only the co-change edges wait for it
                with collector_paused(freeze=True):
                    linked = link_map(scanned.files, manifests=scanned.manifests)
            job.check_cancel()
        except BaseException:
            cleanup()
            raise

        def begin_settling(quiet: bool = False) -> tuple:
            """Start the history's last step on a thread and, for a whole map, build its
            tables meanwhile: ``(commits mined now, its analysis, the step's thread, the
            tables)``, the tables None for a derived map's (built already)."""
            new_commits, prepared = miner.result(quiet=quiet)
            job.check_cancel()
            sizes = pd.Series(lines_of, dtype="float64")
            # the hotspots' sizes and the blame of current lines (git processes) on a thread,
            # beside the map's tables on this one: one blame process until they are built,
            # when the history is long enough for a blame to hold much memory
            if derived is not None or not narrow_beside(len(prepared.commits)):
                tables_built.set()

            def finish_history():
                try:
                    if early_blame is not None:  # the changed files, blamed into the cache
                        early_blame.wait()
                    if blaming is not None:  # blamed beside the analysis already
                        return self.history.finish(prepared, sizes, blame=blame,
                                                   blame_scope=scoping.result(),
                                                   blamed=blaming.result())
                    return self.history.finish(
                        prepared, sizes, blame=blame, blame_widen=tables_built,
                        blame_scope=scoping.result(), on_blamed=blames_done.set,
                        known_blame=None if known_blame is None else known_blame.result())
                finally:
                    blames_done.set()

            step = Background(finish_history)
            built = opening = None
            try:
                if derived is None:
                    # the snapshot's write follows the tables: the file, let go of while the
                    # map linked (a job keeps it a second at most), opens beside them
                    opening = Background(self.store.db.open_ahead)
                    with collector_paused(freeze=True):
                        built = finish_map(linked, coupling=prepared.coupling)
                    opening.result()
            except BaseException:
                tables_built.set()
                step.wait()
                if opening is not None:
                    opening.wait()
                raise
            tables_built.set()
            return new_commits, prepared, step, built

        def settled(quiet: bool = False) -> tuple:
            """The history's result, ``(commits mined now, its analysis, its result)``, and
            for a whole map its tables (None for a derived map's: built already)."""
            new_commits, prepared, step, built = begin_settling(quiet)
            history = step.result()
            job.check_cancel()
            return new_commits, prepared, history, built

        def statistics(counts: dict, new_commits: int, prepared, history) -> dict:
            return {**counts, "excluded_files": excluded, "exclude": list(excluder.patterns),
                    "parsed_now": len(fresh), "commits": history.commits,
                    "commits_mined_now": new_commits,
                    **({"history_truncated_at": history.truncated_at}
                       if history.truncated_at else {}),
                    **({"blame_pending": history.blame_pending} if history.blame_pending else {}),
                    **({"derived_from": derived.base_id, "relinked": len(derived.relinked)}
                       if derived is not None else {}),
                    **({"history_updated_from": prepared.updated_from}
                       if prepared.updated_from is not None else {}),
                    **({"history_whole_because": prepared.whole_because}
                       if prepared.whole_because else {}),
                    **({"whole_map_because": why_whole} if why_whole else {})}

        result: dict = {}
        settings = derive.map_settings(self.config.max_file_bytes)

        def extra_writes(history, stats: dict, layout: bytes | None):
            def extra(cur, snapshot_id: int) -> None:
                self.store.history.write_metrics(cur, snapshot_id, history.metrics)
                self.store.history.write_mailmap(cur, snapshot_id, history.mailmap)
                if history.record is not None:
                    self.store.history.write_record(cur, snapshot_id, history.record)
                self.store.snapshots.record_ref(cur, snapshot_id, given, default_head=default_head)
                if derived is not None:
                    self.store.links.write(cur, snapshot_id, evidence={
                        "counts": derived.layout.evidence, "choices": derived.layout.choices},
                                           settings=settings, keep_from=derived.base_id,
                                           modules=derive.module_rows(derived.modules),
                                           layout=layout)
                else:
                    self.store.links.write(
                        cur, snapshot_id, evidence=linked.links.evidence, settings=settings,
                        modules=derive.module_rows(derive.record_rows(linked.links)),
                        layout=layout)
                result.update(snapshot_id=snapshot_id, commit=commit, **stats)
                job.finish_in(cur, result)
                self.store.projects.update_in(cur, project.id, status="mapped")
            return extra

        try:
            from ..store.snapshots import MapRest

            if derived is None:
                # the snapshot's rows are written while the history's last step works out
                # the hotspots' sizes and the owners of current lines: the transaction waits
                # for it once they are in, quietly (a progress report would change the job's
                # row under it), as a derived map's does. It starts once that step runs no
                # more git blames (a first map's take up to the blame budget, a minute): the
                # file is not held while git blames.
                new_commits, prepared, finishing, tables = begin_settling()
                facts_writer.result()
                # encoded before the transaction, so that it holds the file no longer for it
                laid_out = linked.links.layout
                layout = laid_out.encode() if laid_out is not None else None
                finished: list = []

                def whole_rest() -> MapRest:
                    if not finished:  # once, however often the transaction is tried
                        history = finishing.result()
                        job.check_cancel()
                        stats = statistics(tables.stats, new_commits, prepared, history)
                        stats["seconds"] = round(time.perf_counter() - started, 3)
                        finished.append(MapRest(stats, extra_writes(history, stats, layout)))
                    return finished[0]

                blames_done.wait()
            else:
                # encoded beside the copy (a fifth of a second on a monorepo's layout)
                encoding = Background(lambda: derived.layout.encode()
                                      if derived.layout is not None else None)

                # an update of the history's analysis takes seconds, as the copy of the
                # base's rows does: the transaction starts beside it and waits for it, quietly
                # (a progress report would change the job's row under it); a whole analysis
                # (a minute on a long history) is waited for before
                beside = miner.course()
                # the blame's owners follow the analysis at once, beside the copy
                settling = Background(settled, True) if beside else None
                kept: list = []

                def rest() -> MapRest:
                    if not kept:  # once, however often the transaction is tried
                        new_commits, prepared, history, _ = (
                            settling.result() if settling is not None else settled())
                        facts_writer.result()  # the parse cache's own transaction
                        stats = statistics({}, new_commits, prepared, history)
                        stats["seconds"] = round(time.perf_counter() - started, 3)
                        kept.append(MapRest(
                            stats, extra_writes(history, stats, encoding.result()),
                            derive.co_change_edges(derived, prepared.coupling)))
                    return kept[0]

                if not beside:
                    rest()
        except BaseException:
            cleanup()
            raise
        job.finishing.set()  # no heartbeat of this job may conflict with its last transaction
        try:
            if derived is not None:
                self.store.snapshots.write_derived(
                    project_id=project.id, ref=ref or branch, commit_sha=commit,
                    parser_version=MAP_VERSION, job_id=job.id, files=tables.files,
                    nodes=tables.nodes, edges=tables.edges, base_id=derived.base_id,
                    relinked=derived.relinked, metrics=measuring.result, counts=tables.stats,
                    rest=rest)
            else:
                self.store.snapshots.write(
                    project_id=project.id, ref=ref or branch, commit_sha=commit,
                    parser_version=MAP_VERSION, job_id=job.id, files=tables.files,
                    nodes=tables.nodes, edges=tables.edges, rest=whole_rest)
        except BaseException:
            cleanup()
            raise
        finally:
            job.finishing.clear()
            if base_imports is not None:  # a whole map after all: read beside it, unused
                base_imports.wait()
        return result

    def _derivation_base(self, project: Project, excluder: Excluder):
        """What a derived map reads of the snapshot it starts from, none of it depending on
        the commit's files: ``(its id, its commit, its link record's settings, the record
        being read, statistics, files)``; None when maps are not derived or there is no
        such snapshot (a first map); why not, when the project's recent maps excluded other
        paths. The record (a row per module, the longest read) is
        read on a thread of its own: only linking needs it, after the plan and the parse."""
        if not self.config.derive_maps:
            return None
        base_id = self.store.links.newest_base(project.id, MAP_VERSION, list(excluder.patterns))
        if base_id is None:
            if self.store.links.newest_base(project.id, MAP_VERSION, None) is not None:
                return "the last maps excluded other paths"
            return None
        info = self.store.snapshots.get(base_id)
        record = Background(self.store.links.read, base_id)
        try:
            return (base_id, info.commit_sha, self.store.links.settings(base_id), record,
                    info.stats, self.store.snapshots.base_files(base_id))
        except BaseException:
            record.wait()
            raise

    def _list(self, repo: Path, commit: str):
        """Every entry of ``commit``'s tree, within the configured limits (a whole map)."""
        return self.clones.tree(repo, commit, max_entries=self.config.max_tree_entries,
                                max_bytes=self.config.max_tree_bytes)

    def _plan(self, repo: Path, commit: str, excluder: Excluder, base_read: Background):
        """The derivation of ``commit``'s map (:func:`.derive.plan`) from the snapshot
        ``base_read`` reads (:meth:`_derivation_base`), from what git says changed since its
        commit: a :class:`~.derive.Plan`, or why a whole map is needed, or None when there is
        nothing to derive from. A derived map keeps the limits on the tree's entries and
        bytes (:class:`RepositoryTooLarge`), counted from the base's files and the change."""
        base = base_read.result()
        if base is None or isinstance(base, str):  # a first map, or why none fits
            return base
        from ..repos.git import too_many_bytes, too_many_entries
        from . import derive

        _, base_commit, settings, record, base_stats, base_files = base
        changes = self.clones.changes(repo, base_commit, commit)
        plan = None
        try:
            plan = derive.plan(record.result, base_files, changes, settings=settings,
                               sizes=lambda shas: self.clones.blob_sizes(repo, shas),
                               max_bytes=self.config.max_file_bytes, excluder=excluder,
                               base_stats=base_stats)
        except GitTimeout:
            raise
        except GitFailed as exc:  # the base's commit is gone from the clone (a force-push)
            return f"the last map's commit cannot be compared with this one ({exc})"
        finally:
            changes.close()  # git stops at the first path added or deleted
            if not isinstance(plan, derive.Plan):
                record.wait()  # no read of the base runs on after its derivation
        if isinstance(plan, str):
            return plan
        max_entries, max_bytes = self.config.max_tree_entries, self.config.max_tree_bytes
        try:
            if max_entries is not None and len(plan.files) > max_entries:
                raise too_many_entries(commit, max_entries)
            if max_bytes is not None and plan.total_bytes > max_bytes:
                raise too_many_bytes(commit, max_bytes)
        except BaseException:
            record.wait()
            raise
        return plan

    def _derive(self, project: Project, repo: Path, commit: str, plan, scan_entries,
                loading: Background, scoping: Background, blames_settled: Callable[[], None]):
        """``(derived map, None, scan of the changed files, their blame)`` when the commit's
        map can be derived as ``plan`` (:meth:`_plan`) says (:mod:`.derive`; ``scoping``: the
        map's :func:`_blame_scope` under way), else ``(None, why not, None, their blame)``.
        The blame (None when nothing is blamed) is of the changed files, started once they
        are known (``blames_settled()`` first: see :meth:`_map_commit`) and left in the
        cache: wait for it before blaming them."""
        from . import derive

        early_blame = None
        if self.config.blame:
            # the changed files' blame (git processes, seconds on a long history) starts now,
            # beside their parse and linking; the map's blame then finds it cached
            from ..history.blame import narrow_beside

            todo = {f.path: f.blob_sha for f in plan.changed if f.status == "parsed"}
            # one git process at a time when a blame holds much memory (see narrow_beside)
            one_at_a_time = (threading.Event()
                             if narrow_beside(int(plan.base_stats.get("commits") or 0))
                             else None)
            if todo:
                def blame_early():
                    blames_settled()
                    return self.history.blame(project.id, repo, commit, todo,
                                              scope=scoping.result(),
                                              budget=self.history.blame_budget,
                                              widen=one_at_a_time)

                early_blame = Background(blame_early)
        try:
            scanned = scan_entries(plan.entries)
            loading.result()
            derived = derive.link(plan, {f.path: f for f in scanned.files},
                                  self.store.facts.get_many)
        except BaseException:
            if early_blame is not None:
                early_blame.wait()  # no git process runs on after the map
            try:
                plan.base()  # nor a read of the base
            except BaseException:  # noqa: BLE001 - the map's own error matters
                pass
            raise
        if isinstance(derived, str):
            # the whole map's scan finds what was just parsed in the cache
            self.store.facts.put_many(scanned.fresh)
            return None, derived, None, early_blame
        return derived, None, scanned, early_blame
