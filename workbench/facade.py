"""The one API every face uses: notebooks, widgets, the CLI and batch runs."""

from __future__ import annotations

import functools
import logging
import numbers
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .batch.runs import recover_runs
from .config import UNSET, Config, data_dir_origin
from .domain import JobInfo, Project
from .errors import (ConfigError, ProjectNotFound, SnapshotNotFound, UnsafeSource,
                     WorkbenchError)
from .jobs import JobHandle, JobRunner, Progress, interactive_session
from .mapping.service import MapService
from .repos.clones import Clones
from .repos.credentials import credentials_for
from .repos.sources import Source, parse_source, validate_name, validate_ref
from .snapshot import Snapshot
from .store import Store

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .search.indexer import IndexService
    from .search.service import SearchService

    from .ai.records import Answer, ContextRecord
    from .ai.service import AskService
    from .batch.report import ReportResult
    from .agents.service import Ideas
    from .batch.service import BatchService
    from .events import Event, EventLog
    from .portfolio.service import Portfolio, PortfolioRun

log = logging.getLogger("workbench")


class Workbench:
    """The door to the workbench: projects, maps, snapshots and reports in one DuckDB file.

    >>> wb = Workbench("data")                              # doctest: +SKIP
    >>> snap = wb.map("https://github.com/pallets/flask")   # doctest: +SKIP
    >>> print(snap.summary().to_text())                     # doctest: +SKIP
    >>> snap.graph.number_of_nodes()                        # doctest: +SKIP
    >>> wb.project("flask").snapshots()                     # doctest: +SKIP

    Nothing holds the database open between calls, so a notebook, a papermill run and the CLI
    can share one data directory.

    Jobs run in the background (``map`` returns a handle) when ``background=True``, or by
    default in an interactive notebook kernel; under papermill, the CLI or a script they run
    in the caller's thread, so a headless run never ends before its jobs do. Opening a
    workbench marks jobs whose process died ``interrupted`` (see :meth:`resume_interrupted`).
    """

    def __init__(self, data_dir: str | Path | None = None, *, config: Config | None = None,
                 lock_timeout: float = UNSET, git_timeout: float = UNSET,
                 background: bool | None = None, recover: bool = True,
                 executor: Any = None) -> None:
        self.config = config or Config.from_env(
            data_dir=data_dir, lock_timeout=lock_timeout, git_timeout=git_timeout,
            executor=executor if isinstance(executor, str) else None,
        )
        from .jobs.executors import open_executor

        #: Where jobs' work runs (:mod:`workbench.jobs.executors`): ``executor=`` (a name, a
        #: scheduler address, ``local-cluster[:N]``, a ``distributed.Client`` or cluster),
        #: else ``WORKBENCH_EXECUTOR``, else local threads.
        try:
            self.executor = open_executor(
                self.config.executor if executor is None else executor,
                threads=self.config.job_threads)
        except WorkbenchError as exc:
            named = exc if executor is not None else self.config.named("executor", exc)
            if named is exc:
                raise
            raise named from exc  # WORKBENCH_EXECUTOR's value: the error says so
        self.store = Store(self.config.database_path, lock_timeout=self.config.lock_timeout,
                           idle_release=self.config.idle_release,
                           origin=data_dir_origin(self.config, given=data_dir is not None
                                                  or config is not None))
        self.clones = Clones(self.config.clones_dir, timeout=self.config.git_timeout,
                             memory=self.config.git_memory)
        cfg = self.config
        self._events: "EventLog | None" = None
        self._events_lock = threading.Lock()
        self.jobs = JobRunner(self.store, threads=cfg.job_threads, max_attempts=cfg.max_attempts,
                              retry_delay=cfg.retry_delay,
                              heartbeat_interval=cfg.heartbeat_interval,
                              stale_after=cfg.stale_after, on_failure=self._job_failed)
        self.background = interactive_session() if background is None else bool(background)
        self._index_service: IndexService | None = None
        self._search_service: SearchService | None = None
        self._mapper = MapService(self.store, self.clones, self.config, publish=self._announce)
        self.jobs.register("map", self._map_work_from_row, resumable=True)
        self.jobs.register("map_history", self._history_work_from_row)
        self.jobs.register("blame", self._blame_work_from_row)
        self.jobs.register("index", self._index_work_from_row, resumable=True)
        self.interrupted: list[int] = self.jobs.recover() if recover else []
        #: Batch runs found interrupted (their process ended) when this workbench opened.
        self.interrupted_runs: list[int] = (
            recover_runs(self.store, stale_after=cfg.stale_after) if recover else [])

    @property
    def _indexer(self) -> "IndexService":
        if self._index_service is None:  # the search modules load Arrow and numpy
            from .search.indexer import IndexService

            self._index_service = IndexService(self.store, self.clones, self.config)
        return self._index_service

    @property
    def _searcher(self) -> "SearchService":
        if self._search_service is None:
            from .search.service import SearchService

            self._search_service = SearchService(self.store)
        return self._search_service

    def __repr__(self) -> str:
        return f"Workbench({str(self.config.data_dir)!r})"

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    # -- projects ------------------------------------------------------------------------------

    def add_project(self, name: str | None, source: str, *, origin: str = "user",
                    token_env: str | None = None, username: str | None = None) -> Project:
        """Register a repository (https/ssh URL or local path) under a validated, unique name.

        ``origin`` says who asked: ``"user"``, or ``"agent"`` / ``"webhook"``, whose locations
        must be https URLs of public hosts; it is stored, and every clone and fetch of such a
        project checks the host's addresses again and pins git to them (DNS rebinding).

        A private https repository names the environment variable that holds its token in
        ``token_env`` (and the user name sent with it in ``username``, ``x-access-token`` by
        default). Only the name is stored; the token is read when git clones or fetches, so it
        must be set then, in the process that maps. Only ``origin="user"`` may name one.
        """
        parsed = parse_source(source, origin=origin)
        credentials = credentials_for(parsed, token_env, username, origin=origin)
        name = validate_name(name or parsed.default_name)
        return self.store.projects.add(
            name, parsed.display, parsed.kind, str(self.clones.path_for(name)),
            token_env=credentials.token_env if credentials else None,
            username=credentials.username if credentials else None, origin=origin)

    def set_credentials(self, name: str, token_env: str | None,
                        username: str | None = None) -> Project:
        """Name (or, with ``token_env=None``, forget) the variable holding a project's token.

        The clone and its snapshots stay; the next fetch uses the new variable.
        """
        project = self.store.projects.get(name)
        credentials = credentials_for(Source(project.source_kind, project.source), token_env,
                                      username)
        self.store.projects.update(
            project.id, token_env=credentials.token_env if credentials else None,
            username=credentials.username if credentials else None)
        return self.store.projects.get(name)

    def projects(self) -> list[Project]:
        return self.store.projects.list()

    def project(self, name: str) -> "ProjectHandle":
        return ProjectHandle(self, self.store.projects.get(name))

    def remove_project(self, name: str) -> None:
        """Delete a project's rows and its clone; other projects are untouched."""
        project = self.store.projects.get(name)
        self.store.projects.remove(project.id)
        self.clones.remove(project.name)

    def resolve_project(self, target: "str | os.PathLike[str]", *, name: str | None = None,
                        origin: str = "user") -> Project:
        """A registered project by name, or the project registered for a URL/path (added if
        new); a path may be given as a ``pathlib.Path``."""
        target = os.fspath(target)
        if name is None and (found := self.store.projects.find(target)) is not None:
            return found
        if name is not None and (found := self.store.projects.find(name)) is not None:
            source = parse_source(target)
            if source.display != found.source:
                raise ProjectNotFound(
                    f"project {name!r} is registered for {found.source}, not {source.display}; "
                    "choose another --name",
                    project=name,
                )
            return found
        try:
            source = parse_source(target, origin=origin)
        except UnsafeSource as err:
            if name is None and str(err).startswith("no repository at") \
                    and "/" not in target and "\\" not in target \
                    and not target.startswith((".", "~")):
                # a bare word: more likely a project name mistyped than a directory
                from .suggest import did_you_mean

                close = did_you_mean(target, (p.name for p in self.store.projects.list()))
                raise ProjectNotFound(
                    f"no project named {target!r} and no repository at that path.{close} "
                    "`workbench project list` shows the projects (or give a URL or path)",
                    project=target,
                ) from err
            raise
        existing = self.store.projects.find_by_source(source.display)
        if existing is not None and name is None:
            return existing
        return self.add_project(name, target, origin=origin)

    # -- maps ---------------------------------------------------------------------------------

    def map(self, target: "str | os.PathLike[str]", *, name: str | None = None,
            ref: str | None = None,
            progress: Callable[[Progress], None] | None = None, wait: bool | None = None,
            force: bool = False, origin: str = "user",
            exclude: "list[str] | tuple[str, ...] | None" = None,
            fetch: bool = True, deepen: int | None = None,
            unshallow: bool = False) -> "Snapshot | JobHandle":
        """Map a repository at ``ref`` (default: its default branch head).

        ``target`` is a project name, or a URL/path that is registered first when new. The
        clone is fetched first; a commit that already has a snapshot returns it (maps are
        immutable per commit) unless ``force=True`` rebuilds it from the cached parse results.
        Returns the snapshot, or with ``wait=False`` a :class:`JobHandle` whose ``result()`` is
        the job's result record. ``wait`` defaults to ``not background``. ``exclude`` replaces
        the configured gitignore-style patterns of files left out (default: vendored and
        minified code; ``()`` maps every file); a commit mapped with other patterns is mapped
        again. ``fetch=False`` maps the clone as it is, without asking the remote (it is cloned
        when there is none yet). A shallow clone's history (a ``--depth`` source) is truncated:
        ``deepen=N`` fetches N more commits below its boundary, ``unshallow=True`` all of it;
        :class:`ShallowSource` when the source has nothing older.
        """
        from .mapping.excludes import normalise

        if ref is not None:
            validate_ref(ref)
        patterns = None if exclude is None else list(normalise(exclude))
        if wait is None:
            wait = not self.background
        project = self.resolve_project(target, name=name, origin=origin)

        params: dict[str, Any] = {"ref": ref, "force": force}
        if patterns is not None:
            params["exclude"] = patterns
        if not fetch:
            params["fetch"] = False
        if deepen is not None:
            if isinstance(deepen, bool) or not isinstance(deepen, int) or deepen < 1:
                raise ConfigError(f"deepen must be a positive number of commits, got {deepen!r}")
            params["deepen"] = deepen
        if unshallow:
            params["unshallow"] = True
        work = self._map_work(project, params)
        handle = self.jobs.submit("map", work, project_id=project.id,
                                  params=params, on_progress=progress,
                                  wait=wait)
        if not wait:
            return handle
        result = handle.result()
        # the job's own snapshot, of this project: read without looking the project up again
        snap = Snapshot(self.store, self.store.snapshots.get(int(result["snapshot_id"])))
        snap.reused = bool(result.get("reused"))  # an existing map answered: nothing was built
        return snap

    def snapshot(self, project: str, ref: str | None = None, *, snapshot_id: int | None = None
                 ) -> Snapshot:
        """The project's current snapshot (see :meth:`pin`), the newest of ``ref``'s commit when
        given, or a given id."""
        info = self.store.projects.get(project)
        if snapshot_id is not None:
            snap = self.store.snapshots.get(snapshot_id)
            if snap.project_id != info.id:
                raise SnapshotNotFound(f"snapshot {snapshot_id} does not belong to {project!r}")
            return Snapshot(self.store, snap)
        commit = None
        if ref is not None:
            validate_ref(ref)
            if not self.clones.exists(info.name):
                raise SnapshotNotFound(f"project {project!r} has not been mapped yet; run "
                                       f"`workbench map {project}`", project=project)
            commit = self.clones.resolve(self.clones.path_for(info.name), ref)
        snap = self.store.snapshots.latest(info.id, commit_sha=commit, prefer_ref=info.default_branch)
        if snap is None:
            at = f" at {ref}" if ref else ""
            raise SnapshotNotFound(
                f"project {project!r} has no snapshot{at}; run `workbench map {project}"
                f"{' --ref ' + ref if ref else ''}` first",
                project=project,
            )
        return Snapshot(self.store, snap)

    def pin(self, project: str, snapshot: int | str | None) -> Snapshot | None:
        """Make a snapshot (an id, or a mapped ref) the project's current one: what panels,
        notebooks, reports, ``query`` and ``status`` show until unpinned (``snapshot=None``).
        Unpinned, the current snapshot is the newest map of the default branch head made with
        the configured exclusions; maps of tags, old commits or other exclusions never
        become current by themselves."""
        info = self.store.projects.get(project)
        snap = None if snapshot is None else self._snapshot_of(project, snapshot)
        self.store.snapshots.pin(info.id, None if snap is None else snap.id)
        return snap

    def blame(self, project: str, ref: str | None = None, *, budget: float | None = None,
              progress: Callable[[Progress], None] | None = None,
              wait: bool = True) -> "dict[str, int] | JobHandle":
        """Finish ownership of current lines for the project's current snapshot (or ``ref``'s):
        blame its files that no map blamed yet (the first map spends at most
        ``WORKBENCH_BLAME_BUDGET`` seconds, later maps blame only what they changed), then fill
        the snapshot's ``current_owner`` columns. ``budget``: seconds, None for no limit; files
        blamed before it ran out are kept. Returns ``{"snapshot_id", "files", "blamed_now",
        "pending"}``, or with ``wait=False`` a :class:`JobHandle` at once."""
        info = self.store.projects.get(project)
        snap = self.snapshot(project, ref)
        params = {"snapshot_id": snap.id, "budget": budget}
        handle = self.jobs.submit("blame", self._blame_work(info, params), project_id=info.id,
                                  params=params, on_progress=progress, wait=wait)
        return handle.result() if wait else handle

    def _blame_work(self, project: Project, params: dict[str, Any]):
        return lambda job: self._mapper.complete_blame(job, project, int(params["snapshot_id"]),
                                                       params.get("budget"))

    def _blame_work_from_row(self, info: JobInfo):
        return self._blame_work(self.store.projects.get_by_id(info.project_id), info.params)

    # -- architecture over time ------------------------------------------------------------------

    def map_history(self, project: str, *, refs: list[str] | None = None, every: int | None = None,
                    tags: bool = False, limit: int = 50,
                    progress: Callable[[Progress], None] | None = None,
                    wait: bool = True) -> "list[Snapshot] | JobHandle":
        """Map a project at several commits: ``refs``, every tag, or every Nth commit.

        One ``map_history`` job maps the commits one after another (each as a ``map`` job of its
        own, run inside it); its progress counts commits. Returns the snapshots, oldest commit
        first as :meth:`timeline` orders them (ancestors before descendants, whatever the order
        asked for), or with ``wait=False`` a :class:`JobHandle` at once, whose ``result()`` is
        ``{"snapshot_ids": [...], "commits": [...]}``. Which commits to map is checked before
        the job starts; the clone is fetched inside it.
        """
        from . import evolution

        info = self.store.projects.get(project)
        evolution.check_selection(refs=refs, every=every, tags=tags)
        params = {"refs": list(refs) if refs else None, "every": every, "tags": bool(tags),
                  "limit": limit}
        handle = self.jobs.submit("map_history", self._history_work(info, **params),
                                  project_id=info.id, params=params, on_progress=progress,
                                  wait=wait)
        if not wait:
            return handle
        return [self.snapshot(info.name, snapshot_id=i) for i in handle.result()["snapshot_ids"]]

    def _history_work(self, info: Project, refs: list[str] | None, every: int | None,
                      tags: bool, limit: int):
        from . import evolution

        def work(job):
            job.report(0, None, "syncing repository")
            repo = self.clones.sync_project(info)
            named = evolution.commits_with_names(self.clones, repo, refs=refs, every=every,
                                                 tags=tags, limit=limit)
            commits = [sha for sha, _ in named]
            ids = []
            for i, (sha, names) in enumerate(named):
                step = f"commit {i + 1}/{len(commits)} {sha[:12]}"
                job.report(i, len(commits), step)

                def inner(p: Progress, i=i, step=step) -> None:
                    if p.status == "running":  # a cancel of this job stops the map it runs
                        job.report(i, len(commits), f"{step}: {p.message}")

                # a commit that already has a map reuses it; the rest parse only changed files
                # one fetch (above) serves every commit of the series
                # mapped under its name (a tag keeps its label), further names recorded too
                snap = self.map(info.name, ref=names[0] if names else sha, progress=inner,
                                wait=True, fetch=False)
                self.store.snapshots.add_refs(snap.id, names[1:])
                ids.append(snap.id)
            job.report(len(commits), len(commits), f"mapped {len(commits)} commits")
            # oldest first by the commit graph, as the timeline lists them (refs come as
            # given, tags by their dates: neither need follow the graph)
            snapshot_of = dict(zip(commits, ids))
            order, _ = self._oldest_first(info.id, sorted(commits, key=snapshot_of.get))
            return {"snapshot_ids": [snapshot_of[sha] for sha in order], "commits": order}

        return work

    def _history_work_from_row(self, info: JobInfo):
        project = self.store.projects.get_by_id(info.project_id)
        return self._history_work(project, **info.params)

    def timeline(self, project: str):
        """A project's mapped commits, oldest first, each with its newest snapshot: a DataFrame of
        ``snapshot, commit, ref, committed_at, mapped_at`` (``ref``: every name the snapshot was
        mapped as, tags included, comma separated). Oldest first is the commit graph's order:
        every commit after its ancestors, whatever the commit times; the commit time, then the
        snapshot id, only orders commits of which neither is an ancestor of the other."""
        import pandas as pd

        order = self._commit_order(project)
        refs = self.store.snapshots.refs([s.id for s, _ in order])
        rows = [(s.id, s.commit, ", ".join(refs.get(s.id) or [s.info.ref or ""]), when,
                 s.info.mapped_at) for s, when in order]
        return pd.DataFrame(rows,
                            columns=["snapshot", "commit", "ref", "committed_at", "mapped_at"])

    def diff(self, project: str, old: str | int, new: str | int | None = None, *,
             derived: bool = False):
        """What changed between two snapshots (ids, or refs that have been mapped); PageRank
        and community changes only with ``derived=True``."""
        from . import evolution

        return evolution.diff(self._snapshot_of(project, old), self._snapshot_of(project, new),
                              derived=derived)  # says when their exclusions differ

    def trend(self, project: str, snapshots: list[Snapshot] | None = None, *, contracts=None):
        """Metrics per snapshot of a project, oldest first. Unless ``snapshots`` are given, one
        per mapped commit in :meth:`timeline`'s order, mapped with the current snapshot's
        exclusions (like with like: the frame's ``attrs["note"]`` names snapshots left out for
        other exclusions).

        ``contracts`` (as :meth:`check` takes them; ``True``: the repository's own) adds
        ``contract_violations`` and ``contracts_broken`` per snapshot (a contract naming a
        module a commit did not have yet counts as not broken there)."""
        from . import evolution

        if snapshots is not None:
            frame = evolution.trend(snapshots)
        else:
            frame = evolution.comparable_trend(self._commit_order(project), self.snapshot(project))
        if contracts is None or contracts is False or frame.empty:
            return frame
        rules = self._contracts(project, self.snapshot(project), None if contracts is True else contracts)
        snaps = [self.snapshot(project, snapshot_id=int(sid)) for sid in frame["snapshot"]]
        return evolution.with_contracts(frame, snaps, rules)

    def check(self, project: str, contracts=None, *, ref: str | None = None,
              snapshot_id: int | None = None, history: bool = False, only: "list[str] | tuple[str, ...]" = ()):
        """Contract violations of a project's snapshot (the newest, at ``ref``, or an id).

        ``contracts`` is a file (workbench TOML, or import-linter's pyproject.toml, setup.cfg,
        .importlinter), a :class:`~workbench.contracts.ContractSet`, a list of contracts, or
        None for the repository's own (``workbench-contracts.toml``, else import-linter's
        configuration). ``frame.attrs["contracts"]`` lists every contract kept or broken.
        ``only``: check just the contracts with these ids (or names), as lint-imports'
        ``--contract``. With ``history=True`` the snapshots of the project up to
        the one checked are checked too, in :meth:`timeline`'s order (ancestors first, whatever
        the commit times), and each violation says in which snapshot and commit it first
        appeared.
        """
        from . import evolution

        snap = self.snapshot(project, ref, snapshot_id=snapshot_id)
        rules = self._contracts(project, snap, contracts)
        if only:
            from .contracts.config import select

            rules = select(rules, only)
        if not history:
            return snap.check(rules)
        ordered = self._snapshots_in_commit_order(project)
        commits = [s.commit for s in ordered]
        if snap.commit in commits:  # history up to the snapshot checked, which ends it
            ordered = ordered[:commits.index(snap.commit)] + [snap]
        return evolution.violations_over_time(ordered, rules)

    def _contracts(self, project: str, snap: Snapshot, contracts):
        """Contracts from a file, a ContractSet or a list; None: the repository's own."""
        from . import evolution
        from .graph import contracts as _contracts

        if contracts is None:
            rules = evolution.repository_contracts(self.clones, snap)
            if not rules:
                from .graph.errors import ContractError

                raise ContractError(
                    f"no contracts given, and {project} at {snap.commit[:12]} has no "
                    f"{evolution.CONTRACTS_FILE} and no import-linter configuration (setup.cfg, "
                    ".importlinter, pyproject.toml); pass a file (see README, Contracts)")
        elif isinstance(contracts, (str, Path)):
            rules = _contracts.load_contracts(contracts)
        elif isinstance(contracts, _contracts.ContractSet):
            rules = contracts
        else:
            rules = list(contracts)
        return rules

    def sql(self, query: str, params: list | None = None, *, limit: int | None = 10_000):
        """Run read-only SQL on the database (no file or network access); returns a DataFrame."""
        return self.store.db.untrusted_query(query, params, limit=limit)

    def _snapshots_in_commit_order(self, project: str) -> list[Snapshot]:
        """One snapshot per mapped commit (the newest), oldest commit first."""
        return [snap for snap, _ in self._commit_order(project)]

    def _commit_order(self, project: str) -> list[tuple[Snapshot, Any]]:
        """(snapshot, commit time) per mapped commit (its newest snapshot), oldest commit first
        (:meth:`_oldest_first`)."""
        info = self.store.projects.get(project)
        newest: dict[str, Snapshot] = {}
        for s in self.store.snapshots.list(info.id):  # by id: the newest of a commit stays
            newest[s.commit_sha] = Snapshot(self.store, s)
        by_id = sorted(newest.values(), key=lambda s: s.id)
        order, times = self._oldest_first(info.id, [s.commit for s in by_id])
        return [(newest[sha], times.get(sha)) for sha in order]

    def _oldest_first(self, project_id: int, shas: list[str]) -> tuple[list[str], dict[str, Any]]:
        """``shas`` (distinct commits) in the commit graph's order, and their commit times:
        ancestors before descendants through the mined history's parents, whatever their times
        (equal ones after a rebase or a script, a clock that went backwards); only between
        commits of which neither is an ancestor of the other does the older commit time come
        first, then the earlier in ``shas`` (see :func:`~.history.scope.oldest_first`)."""
        from .history.scope import oldest_first

        times = self.store.history.commit_times(project_id, shas)
        if len(shas) < 2:
            return list(shas), times
        parents = self.store.history.parents(project_id)
        # commits never mined (no time) first, as before; times of one column compare
        return oldest_first(parents, shas, key=lambda sha: (
            times.get(sha) is not None, times.get(sha) or 0)), times

    def _snapshot_of(self, project: str, ref: str | int | None) -> Snapshot:
        number = isinstance(ref, numbers.Integral) and not isinstance(ref, bool)  # numpy ints too
        if number or (isinstance(ref, str) and ref.isdigit() and len(ref) < 7):
            return self.snapshot(project, snapshot_id=int(ref))
        return self.snapshot(project, ref)

    def source(self, project: str, node: str, *, snapshot_id: int | None = None,
               context: int = 0, limit: int = 200) -> list[tuple[int, str]]:
        """Numbered source lines of a node (its line span widened by ``context``, at most
        ``limit`` lines), read from the project's clone at the snapshot's blob.

        A node without a file (a package directory, an external dependency) has no lines.
        """
        snap = self.snapshot(project, snapshot_id=snapshot_id)
        rows = self.store.db.query(
            "SELECT path, line_start, line_end FROM nodes WHERE snapshot_id = ? AND id = ?",
            [snap.id, snap.resolve(node)])
        attrs = dict(zip(("path", "line_start", "line_end"), rows[0])) if rows else {}
        path = attrs.get("path")
        if not isinstance(path, str) or not path:
            return []
        files = snap.files
        shas = files.loc[files["path"] == path, "blob_sha"].tolist()
        if not shas or not self.clones.exists(snap.info.project):
            return []
        blobs = dict(self.clones.read_blobs(self.clones.path_for(snap.info.project), shas[:1]))
        text = blobs.get(shas[0], b"").decode("utf-8", errors="replace").splitlines()
        first = max(1, _line(attrs.get("line_start"), 1) - context)
        last = min(len(text), _line(attrs.get("line_end"), len(text)) + context)
        last = min(last, first + limit - 1)
        return [(n, text[n - 1]) for n in range(first, last + 1)]

    # -- asking the codebase ---------------------------------------------------------------------

    @property
    def ai(self) -> "AskService":
        """Providers, context, conversations (:class:`workbench.ai.service.AskService`)."""
        if getattr(self, "_ai", None) is None:
            from .ai.service import AskService

            self._ai = AskService(self)
        return self._ai

    def ask(self, question: str, project: str, *, conversation: int | None = None,
            provider: str | None = None, model: str | None = None, budget: int | None = None,
            on_delta: Callable[[str], None] | None = None) -> "Answer":
        """Answer a question about a project's current snapshot (:meth:`snapshot`), with
        checked citations.

        The context (ranked outline, search hits, their graph neighbourhood) is packed into
        ``budget`` tokens within the model's window (the extractive provider, which asks no
        model, packs a fixed 8,192 tokens); ``on_delta`` receives the text as it streams;
        ``conversation`` continues one. ``provider``/``model`` default to the project's
        default, then configuration, then ``extractive`` (no model). The exchange is stored.
        :class:`~workbench.ai.errors.BudgetTooSmall` refuses a budget under 1, or one too small
        for any passage that matched when the provider takes no tools (it names one that
        fits), or a question that leaves no room for one (it names the window that applies).
        """
        return self.ai.ask(question, project, conversation=conversation, provider=provider,
                           model=model, budget=budget, on_delta=on_delta)

    def show_context(self, question: str, project: str, *, budget: int = 4000) -> "ContextRecord":
        """The context ``ask`` would send for ``question`` (``.to_text()``, ``.frame()``)."""
        return self.ai.context(question, project, budget=budget)

    def models(self) -> "pd.DataFrame":
        """Every configured provider's models: provider, model, context_window, tools, default."""
        return self.ai.models()

    def set_default_model(self, project: str, model: str | None,
                          provider: str | None = None) -> dict:
        """The provider and model ``ask`` uses for a project unless told (``provider:model``;
        a prefix that names no provider is refused with
        :class:`~workbench.ai.errors.NoProvider` unless the whole reads as one model name,
        such as ``llama3:8b``: see :meth:`workbench.ai.service.AskService.set_default`)."""
        return self.ai.set_default(project, model, provider)

    def conversations(self, project: str) -> "pd.DataFrame":
        """A project's conversations, newest first: id, title, provider, model, messages."""
        return self.ai.conversations(project)

    def conversation(self, conversation_id: int) -> "pd.DataFrame":
        """A conversation's messages, oldest first, with citations, context and tool calls."""
        return self.ai.conversation(conversation_id)
    # -- search ---------------------------------------------------------------------------------

    def index(self, project: str, *, snapshot_id: int | None = None, wait: bool | None = None,
              progress: Callable[[Progress], None] | None = None) -> "dict | JobHandle":
        """Build the search index of a snapshot (the current one unless ``snapshot_id``) as an
        ``index`` job: chunks of its files and of the project's commits, their BM25 terms and
        vectors from the configured embedder. Blobs and commits chunked before are skipped, so a
        new commit costs its changed files, and an interrupted job resumes where it stopped.

        Returns the job's result ``{snapshot_id, embedder, chunks, chunked_now, embedded_now,
        files_chunked, commits_chunked, seconds}``, or with ``wait=False`` a :class:`JobHandle`.
        Raises :class:`~workbench.search.errors.EmbedderUnavailable` when the embedder cannot run.
        """
        snap = self.snapshot(project, snapshot_id=snapshot_id)
        if wait is None:
            wait = not self.background
        params = {"snapshot_id": snap.id}
        info = self.store.projects.get(project)
        handle = self.jobs.submit("index", self._index_work(info, params), project_id=info.id,
                                  params=params, on_progress=progress, wait=wait)
        return handle.result() if wait else handle

    def index_state(self, project: str, *, snapshot_id: int | None = None) -> dict | None:
        """How a snapshot's search index was built for the configured embedder, or None when it
        was not: ``{chunks, chunked_now, embedded_now, seconds, job_id, built_at}``."""
        snap = self.snapshot(project, snapshot_id=snapshot_id)
        return self._searcher.index_state(snap.id, self._indexer.embedder())

    def search(self, query: str, project: str, *, k: int = 10, snapshot_id: int | None = None,
               kinds=None, language: str | None = None, path: str | None = None,
               node_kind: str | None = None, include_tests: bool = False,
               mode: str = "hybrid"):
        """Search a project's snapshot (the newest unless ``snapshot_id``) for ``query``.

        ``kinds`` limits hits to ``{"code", "docs", "config", "commits"}``; ``language`` (a
        language the map reads, in any case, or its file extension: ``"python"``, ``"py"``,
        ``"ts"``), ``path`` (a glob read as ``.gitignore`` reads it: ``"*.py"`` at any depth,
        ``"src/attr/*"`` from the root, ``"**/attr/*"``; see :mod:`workbench.search.paths`)
        and ``node_kind``
        (``function``, methods included, ``class``, ``module``, ``package`` or ``file``)
        filter them; tests and vendored code rank lower unless
        ``include_tests``. ``mode`` is ``"hybrid"`` (BM25 and vectors fused by weighted scores,
        re-ranked by the graph), ``"text"`` (BM25) or ``"vector"``. A snapshot searched for the
        first time is indexed first (:meth:`index`, waited for).

        Returns a DataFrame with columns ``rank, score, kind, path, line_start, line_end, node,
        node_kind, language, commit, title, preview, text, bm25, vector, graph, chunk_id``
        (path, lines and node are null for commits; commit is null for files). Raises
        :class:`~workbench.search.errors.InvalidSearch`, naming the allowed values, for a bad
        query or filter, before any indexing, and its
        :class:`~workbench.search.errors.PathMatchesNothing` for a ``path`` no file of the
        snapshot matches (with a glob that does).
        """
        from .search.service import check_filters

        check_filters(query, k=k, kinds=kinds, mode=mode, language=language,
                      node_kind=node_kind, path=path)  # before any indexing
        embedder = self._indexer.embedder()
        with self.store.db.session():  # one connection for the few reads of a search
            snap = self.snapshot(project, snapshot_id=snapshot_id)
            state = self._searcher.index_state(snap.id, embedder)
            if state is None:
                # before any indexing (an indexed search checks it when no chunk matches)
                self._searcher.check_path(snap.info, path)
                self.index(project, snapshot_id=snap.id, wait=True)
            return self._searcher.search(snap.info, embedder, query, k=k, kinds=kinds,
                                         language=language, path=path, node_kind=node_kind,
                                         include_tests=include_tests, mode=mode, state=state)

    def check_search_path(self, project: str, path: str | None, *,
                          snapshot_id: int | None = None) -> None:
        """Refuse a search ``path`` glob that matches no file of the project's snapshot (the
        current one unless ``snapshot_id``) with
        :class:`~workbench.search.errors.PathMatchesNothing`, which gives a glob that does;
        :meth:`search` checks the same, before any indexing."""
        self._searcher.check_path(self.snapshot(project, snapshot_id=snapshot_id).info, path)

    def _index_work(self, project: Project, params: dict[str, Any]):
        return lambda job: self._indexer.run(job, project, int(params["snapshot_id"]))

    def _index_work_from_row(self, info: JobInfo):
        return self._index_work(self.store.projects.get_by_id(info.project_id), info.params)

    # -- jobs, status, reports -----------------------------------------------------------------

    def job(self, job_id: int) -> JobInfo:
        return self.store.jobs.get(job_id)

    def recent_jobs(self, limit: int = 20) -> list[JobInfo]:
        return self.store.jobs.list(limit=limit)

    def dead_jobs(self, limit: int = 100) -> list[JobInfo]:
        """The dead-letter list: jobs whose transient errors outlasted every attempt."""
        return self.store.jobs.with_status("dead", limit=limit)

    def cancel(self, job_id: int) -> JobInfo:
        """Ask a job (of any process) to stop at its next checkpoint; nothing half-written stays."""
        return self.jobs.cancel(job_id)

    def retry(self, job_id: int, *, wait: bool | None = None,
              progress: Callable[[Progress], None] | None = None) -> JobHandle:
        """Run a failed, dead, cancelled or interrupted job again; its earlier errors are kept."""
        return self.jobs.retry(job_id, wait=not self.background if wait is None else wait,
                               on_progress=progress)

    def resume_interrupted(self, *, wait: bool | None = None) -> list[JobHandle]:
        """Run interrupted maps again: mined history resumes from its checkpoint and parse
        results already stored are reused, so only the remaining work is done."""
        return self.jobs.resume_interrupted(wait=not self.background if wait is None else wait)

    def _map_work_from_row(self, info: JobInfo):
        return self._map_work(self.store.projects.get_by_id(info.project_id), info.params)

    def _map_work(self, project: Project, params: dict[str, Any]):
        """The work of a map job from its stored parameters (the same for a retry)."""
        if self.executor.remote:  # mapped on a cluster worker, ingested here
            return self.portfolio.remote_map_work(project, params)
        options = {k: params[k] for k in ("exclude", "fetch", "deepen", "unshallow") if k in params}
        return lambda job: self._mapper.run(job, project, params.get("ref"),
                                            force=bool(params.get("force")), **options)

    # -- portfolios ---------------------------------------------------------------------------

    @functools.cached_property
    def portfolio(self) -> "Portfolio":
        """Many repositories at once over the executor (see :mod:`workbench.portfolio`)."""
        from .portfolio.service import Portfolio

        return Portfolio(self)

    def map_all(self, projects: "list[str] | None" = None, *, ref: str | None = None,
                force: bool = False, retries: int = 1,
                progress: Callable[[Progress], None] | None = None) -> "PortfolioRun":
        """Map many repositories at once (names, URLs or paths; None: every registered
        project) on the executor: local threads, or a Dask cluster whose workers write
        Parquet that this process ingests. Failed repositories run again up to ``retries``
        times; ``progress`` gets one aggregated :class:`Progress`. Returns a
        :class:`~workbench.portfolio.service.PortfolioRun` (``.summary`` DataFrame,
        ``.to_text()``); one repository's failure is in its row, never raised."""
        return self.portfolio.map_all(projects, ref=ref, force=force, retries=retries,
                                      progress=progress)

    def report_all(self, projects: "list[str] | None" = None, *,
                   progress: Callable[[Progress], None] | None = None) -> "pd.DataFrame":
        """Run the report notebook of each project in parallel on the executor; a DataFrame
        ``project, status, job_id, html, seconds, error``."""
        return self.portfolio.report_all(projects, progress=progress)

    def parquet_sql(self, table: str) -> str:
        """``read_parquet(...)`` over one table exported by cluster workers under the data
        root (``nodes``, ``edges``, ``files``, ``commits`` ...), to query in place."""
        from .portfolio.parquet import parquet_sql

        return parquet_sql(self.config.parquet_root, table)

    # -- events --------------------------------------------------------------------------------

    @property
    def events(self) -> "EventLog":
        """The event log (``publish``, ``subscribe``, ``read``, ``replay``, ``dead_letters``,
        ``retry_dead_letter``, ``drain``): in the database file, or on the Redis server
        ``WORKBENCH_EVENTS`` names. Opened on first use; closed with the workbench."""
        with self._events_lock:
            if self._events is None:
                from .events import open_event_log

                self._events = open_event_log(self.config, self.store)
            return self._events

    def github_webhook(self, event: str, delivery: str | None, payload: Any) -> dict[str, Any]:
        """Handle a GitHub delivery whose signature was checked (see
        :mod:`workbench.events.github`): ``push`` publishes ``repo.pushed`` and queues a map,
        ``pull_request`` publishes ``pr.opened``, an issue labelled ``idea`` becomes an idea
        (``idea.created``); a repeated delivery id is a no-op. Returns
        ``{"status": "processed"|"ignored"|"duplicate", "reason", "events", "job"}``."""
        from .events.github import GitHubWebhooks

        hooks = GitHubWebhooks(self.store, self.events, self.projects,
                               lambda name: self.map(name, wait=False).id,
                               capture=lambda project, title, text: self.ideas.add(
                                   project, title, text, actor="webhook").id)
        return hooks.handle(event, delivery, payload).to_dict()

    def _announce(self, type: str, payload: dict[str, Any]) -> "Event | None":
        """Publish an event of the workbench's own work; a failure is logged, never raised
        (the work it reports is stored already)."""
        try:
            return self.events.publish(type, payload, actor="workbench")
        except Exception as exc:  # noqa: BLE001 - see above
            log.warning("could not publish %s: %s", type, exc)
            return None

    def _job_failed(self, job_id: int, type: str, status: str, error: str) -> None:
        payload = {"job_id": job_id, "type": type, "error": error[:2000], "status": status}
        try:  # the project the job worked on, so that its failure is listed under it
            project_id = self.store.jobs.get(job_id).project_id
            if project_id is not None:
                payload["project"] = self.store.projects.get_by_id(project_id).name
        except WorkbenchError:  # the job or its project is gone: the event says what it can
            pass
        self._announce("job.failed", payload)

    def status(self) -> dict[str, Any]:
        """Health and contents at a glance (``workbench status`` prints it).

        Keys: ``data_dir``, ``database``, ``database_bytes`` (file plus WAL), ``wal_bytes``,
        ``schema_version``, ``last_checkpoint``, ``disk_free_bytes`` (under the data dir),
        ``notices`` (e.g. a corrupt WAL moved aside), ``projects`` (each with its last
        snapshot), ``last_snapshots`` ({project: {snapshot_id, commit, mapped_at}}),
        ``clone_bytes`` ({project: bytes}), ``history_truncated`` ({project: shallow boundary
        shas of its last snapshot's history}, only projects whose history is truncated), ``active_jobs``, ``jobs`` (recent), ``dead_jobs``,
        ``interrupted_runs`` (batch runs whose process ended, newest first, as ``RunInfo``).
        """
        from . import health

        return health.status(self.store, self.clones, self.config.data_dir)

    def report(self, project: str, *, ref: str | None = None, output_dir: str | Path | None = None,
               notebook: str | Path | None = None) -> "ReportResult":
        """Execute the system map report notebook for a project; returns the output paths."""
        from .batch.report import run_report

        self.snapshot(project, ref)  # fail early, with the fix, when there is nothing to report
        return run_report(self.data_dir, project, ref=ref, output_dir=output_dir, notebook=notebook,
                          runs_dir=self.config.runs_dir)

    @property
    def batch(self) -> "BatchService":
        """Batch notebook runs and their cron schedules: ``wb.batch.run(...)``, ``wb.batch.run_due()``."""
        from .batch.service import BatchService

        return BatchService(self.store, self.data_dir, jobs=self.jobs,
                            runs_dir=self.config.runs_dir,
                            heartbeat_interval=self.config.heartbeat_interval)

    @functools.cached_property
    def ideas(self) -> "Ideas":
        """Ideas, specs, tasks and pull request reviews, and the agents that make them:
        ``wb.ideas.add(project, title, text, run=True)``, ``wb.ideas.tasks(project)``."""
        from .agents.service import Ideas

        return Ideas(self)

    def close(self) -> None:
        """Wait for this workbench's background jobs, stop its event subscriptions, release the
        pool and the database file."""
        self.jobs.shutdown(wait=True)
        self.executor.close()
        with self._events_lock:
            events, self._events = self._events, None
        if events is not None:
            events.close()
        self.store.db.release()

    def __enter__(self) -> "Workbench":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _line(value: Any, default: int) -> int:
    """A line number from a node attribute that may be missing (None, NaN or NA)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class ProjectHandle:
    """One registered project with its own verbs: ``map``, ``snapshot``, ``snapshots``,
    ``search``, ``ask``, ``conversations``."""

    def __init__(self, wb: Workbench, info: Project) -> None:
        self._wb = wb
        self.info = info

    def __repr__(self) -> str:
        return f"<Project {self.info.name} {self.info.source}>"

    @property
    def name(self) -> str:
        return self.info.name

    def map(self, ref: str | None = None, **kwargs) -> Snapshot:
        return self._wb.map(self.info.name, ref=ref, **kwargs)

    def snapshot(self, ref: str | None = None) -> Snapshot:
        return self._wb.snapshot(self.info.name, ref)

    def snapshots(self):
        return self._wb.store.snapshots.list(self.info.id)

    def index(self, **kwargs):
        """Build this project's search index (see :meth:`Workbench.index`)."""
        return self._wb.index(self.info.name, **kwargs)

    def search(self, query: str, **kwargs):
        """Search this project (see :meth:`Workbench.search`); a DataFrame of hits."""
        return self._wb.search(query, self.info.name, **kwargs)

    def ask(self, question: str, **kwargs) -> "Answer":
        """Ask about this project (see :meth:`Workbench.ask`); an answer with checked citations."""
        return self._wb.ask(question, self.info.name, **kwargs)

    def conversations(self) -> "pd.DataFrame":
        return self._wb.conversations(self.info.name)

    def remove(self) -> None:
        self._wb.remove_project(self.info.name)

__all__ = ["Workbench", "ProjectHandle", "Source"]
