"""History as part of a map: mine incrementally into the store, then metrics for one commit.

Mining is resumable: every batch is stored with the checkpoint that continues after it, so a
map interrupted while mining picks up where it stopped next time. Metrics for a snapshot use
exactly the commits reachable from the snapshot's commit, in the commit graph's order, with
the identities of the snapshot's own ``.mailmap``, so mapping an old tag after a newer branch
gives that tag's history, not today's.

Shallow clones: the boundary commits are stored without file changes (see
:mod:`workbench.history.mine`); when the clone has been deepened since, :meth:`sync` mines
again from each former boundary commit down to the new boundary, replacing its row.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from ..background import Background
from ..membership import contains, positions
from ..repos.commit_graph import has_commit_graph, refresh_commit_graph, worth_a_commit_graph
from ..repos.git import Git
from ..repos.shallow import shallow_commits
from ..store import Store
from ..store.history import (ANALYSIS_CHANGE_COLUMNS, ANALYSIS_COMMIT_COLUMNS,
                             HISTORY_VERSION)
from .blame import BlameScope, blame_files, current_ownership
from .commits import HistoryCommits, LoadedCommits, StoredCommits, latest_of_identities
from .git import with_index_room
from .mailmap import Mailmap, read_mailmap
from .renames import ReadOnFirstUse
from .errors import MiningCancelled
from .metrics import (author_names, change_coupling, commit_table, file_metrics,
                      per_file_changes, with_sizes)
from .mine import DEFAULT_MAX_CHANGES, SHALLOW_REASON, mine

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from .incremental import AnalysisRecord


@dataclass
class HistoryResult:
    commits: int
    metrics: pd.DataFrame
    coupling: pd.DataFrame
    #: Shallow boundary commits of the snapshot's history (oldest first): history before
    #: them is unknown. Empty when the history is complete.
    truncated_at: list[str] = field(default_factory=list)
    #: The ``.mailmap`` text at the snapshot's commit ("" when none).
    mailmap: str = ""
    #: Files whose current lines are not blamed yet: the blame budget ran out first.
    blame_pending: int = 0
    #: What the next snapshot's analysis may be updated from (None without history).
    record: "AnalysisRecord | None" = None


class _InOrder:
    """Hands items to ``store`` on a thread of its own, one at a time and in order, so that
    git's output is read and parsed while the batch before is written (DuckDB writes without
    the GIL; on a million commits the writes were a fifth of mining when they took turns).

    At most ``ahead`` items wait. A failure to store stops the work: the next :meth:`put`,
    or leaving the block, raises it. Leaving the block waits for what was handed over, so
    every batch mined before a cancel or failure is stored with its checkpoint as before.
    """

    def __init__(self, store: Callable[[object], None], ahead: int = 2) -> None:
        self._store = store
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="workbench-history-store",
                                        daemon=True)

    def _run(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self._error is None:
                try:
                    self._store(item)
                except BaseException as exc:  # noqa: BLE001 - raised by put() or on exit
                    self._error = exc

    def put(self, item: object) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def __enter__(self) -> "_InOrder":
        self._thread.start()
        return self

    def __exit__(self, kind, error, trace) -> None:
        self._queue.put(_DONE)
        self._thread.join()
        if self._error is not None and error is None:
            raise self._error


_DONE = object()


@dataclass
class Blamed:
    """The blame of a map's files (:meth:`HistoryService.blame`): every row
    (:data:`~.blame.BLAME_COLUMNS`) and how many files are left unblamed."""

    rows: pd.DataFrame
    pending: int


@dataclass
class PreparedHistory:
    """The first step of a snapshot's history analysis (:meth:`HistoryService.prepare`)."""

    project_id: int
    repo: Path
    commit: str
    commits: "HistoryCommits"  # the snapshot's commits, mailmap applied
    metrics: pd.DataFrame  # file_metrics without sizes
    coupling: pd.DataFrame
    mailmap: str = ""
    boundary: list[str] = field(default_factory=list)
    record: "AnalysisRecord | None" = None  # what the next snapshot's update starts from
    #: The snapshot whose analysis this one updated, or None for a whole analysis.
    updated_from: int | None = None
    #: Why the analysis could not be an update of the base it was given (None: it was, or
    #: no base was given).
    whole_because: str | None = None


def _in_order(shas: list[str], order: "pa.Array") -> list[str]:
    """``shas`` sorted by their place in ``order``."""
    if len(shas) > 1:
        at = positions(shas, order)
        shas = [shas[i] for i in np.argsort(at, kind="stable")]
    return shas


class HistoryService:
    def __init__(self, store: Store, *, git_timeout: float = 600.0,
                 git_memory: int | None = 512 << 20,
                 max_commit_files: int | None = DEFAULT_MAX_CHANGES,
                 blame_workers: int = 2, blame_budget: float | None = None,
                 graph_memory: int | None = 2 << 30) -> None:
        self.store = store
        self.git = Git(timeout=git_timeout, memory=git_memory)
        #: writes the clone's commit-graph, which holds every commit at once
        self.graph_git = Git(timeout=git_timeout, memory=graph_memory)
        self.max_commit_files = max_commit_files
        self.blame_workers = blame_workers
        self.blame_budget = blame_budget or None

    def sync(self, project_id: int, repo: Path, commit: str,
             report: Callable[[int, int | None, str], None] | None = None,
             cancel: Callable[[], bool] | None = None, *, batch_size: int = 5000) -> int:
        """Mine the commits reachable from ``commit`` that are not stored yet; return how many.

        Each batch of ``batch_size`` commits is stored with its checkpoint, so a run that is
        cancelled or killed resumes after the last stored batch. History stored in an older
        format is dropped and mined again; former shallow boundaries whose parents are now
        fetched are mined again from there down.
        """
        history = self.store.history
        if history.version(project_id) < HISTORY_VERSION:
            history.forget(project_id)
        since, _ = history.checkpoint(project_id)
        read = tuple(since)
        if since:
            since = self._kept_of(project_id, repo, since)
        if not has_commit_graph(repo) and worth_a_commit_graph(repo):
            # written before mining, while the map's other processes are small (a million
            # commits take about 1.3 GB and a minute); rev-list and blame use it from then on
            refresh_commit_graph(repo, with_index_room(repo, self.graph_git))
        progress = (lambda done, msg: report(done, None, msg)) if report else None
        options = dict(batch_size=batch_size, progress=progress, cancel=cancel, git=self.git,
                       max_changes=self.max_commit_files)
        added = 0
        # each batch says what it continues from: a checkpoint moved meanwhile by another
        # process mining the same commits (two maps at once) makes it leave those out
        continued = [read]

        def store(batch) -> None:
            history.store_batch(project_id, batch.commits, batch.file_changes,
                                batch.checkpoint, after=continued[0])
            continued[0] = tuple(batch.checkpoint)

        with _InOrder(store) as storing:
            for batch in mine(repo, since=list(since) or None, rev=commit, **options):
                storing.put(batch)
                added = batch.done
        deepened = sorted(history.marked(project_id, SHALLOW_REASON) - shallow_commits(repo, self.git))
        if deepened:  # blames that stopped at those commits stopped short
            history.forget_blame_of(project_id, deepened)
        below: list[str] = []
        for boundary in deepened:  # its parents were fetched since it was mined
            for batch in mine(repo, since=below or None, rev=boundary, **options):
                history.store_batch(project_id, batch.commits, batch.file_changes, None,
                                    replace=True)
                added += batch.commits.num_rows
            below.append(boundary)
        if added and has_commit_graph(repo):  # a layer for the new commits, in milliseconds
            refresh_commit_graph(repo, with_index_room(repo, self.graph_git))
        return added

    def _kept_of(self, project_id: int, repo: Path, since) -> list[str]:
        """The commits of ``since`` (a mining checkpoint) that the clone still has. One it lost
        (a deleted or force-pushed branch's, after a gc) stands for its mined parents, so that
        ``git log`` still leaves out everything mined before instead of failing on it."""
        git = with_index_room(repo, self.git)
        wanted, kept, seen, parents = set(since), set(), set(), None
        while wanted:
            seen |= wanted
            done = git.run_raw(["rev-list", "--no-walk", "--ignore-missing", *sorted(wanted)],
                               cwd=repo, what="checking mined commits")
            if done.returncode != 0:
                raise git.failure("checking mined commits",
                                  done.stderr.decode("utf-8", "replace").strip(), done.returncode)
            there = set(done.stdout.decode().split())
            kept |= there
            if parents is None and wanted - there:
                parents = self.store.history.parents(project_id)
            wanted = {p for sha in wanted - there for p in parents.get(sha, ())} - seen
        return sorted(kept)

    def _order(self, repo: Path, commit: str) -> "pa.Array":
        """The commits of ``commit``'s history, parents first (``rev-list --topo-order
        --reverse``), as an Arrow array (a million shas never become Python strings)."""
        import pyarrow as pa

        git = with_index_room(repo, self.git)
        done = git.run_raw(["rev-list", "--topo-order", "--reverse", "--end-of-options", commit],
                           cwd=repo, what="listing history")
        if done.returncode != 0:
            raise git.failure("listing history", done.stderr.decode("utf-8", "replace").strip(),
                              done.returncode)
        return pa.array(done.stdout.split(), pa.binary()).cast(pa.string())

    def _history_of(self, project_id: int, repo: Path, commit: str, *, changes: bool = True):
        """The stored history of ``commit``: its order (:meth:`_order`), its commits with the
        snapshot's ``.mailmap`` applied (:data:`~.metrics.COMMIT_TABLE`), their file changes
        (an Arrow table; None without ``changes``), the ``.mailmap`` text, the shallow
        boundary commits, oldest first, the shas of the stored commits outside it and each
        identity's latest commits (:func:`~.commits.latest_of_identities`; None without
        ``changes``)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        # git lists the order while the store reads every mined commit (a million commits:
        # two seconds each, one after the other before); the commits are then kept to the
        # order, the changes are joined with it by the analysis (:func:`per_file_changes`)
        listing = Background(self._order, repo, commit)
        commits, file_changes = self.store.history.load_arrow(
            project_id, None, changes=changes, commit_columns=ANALYSIS_COMMIT_COLUMNS,
            change_columns=ANALYSIS_CHANGE_COLUMNS)
        order = listing.result()
        mine = contains(commits.column("sha"), order)
        # the stored commits outside this history (another branch's): an update leaves them
        # out as this analysis does (:class:`~.incremental.AnalysisRecord`)
        outside = commits.column("sha").filter(pa.array(~mine)).combine_chunks()
        commits = commits.filter(pa.array(mine))
        mailmap = read_mailmap(repo, commit, self.git)
        marked = commits.filter(pc.equal(commits.column("truncated"), SHALLOW_REASON))
        boundary = _in_order(marked.column("sha").to_pylist(), order)
        identities = latest_of_identities(commits) if changes else None
        return (order, commit_table(Mailmap(mailmap).apply_arrow(commits)), file_changes,
                mailmap, boundary, outside, identities)

    def analyse(self, project_id: int, repo: Path, commit: str,
                sizes: pd.Series | None = None, *, files: dict[str, str] | None = None,
                blame: dict[str, str] | None = None, blame_scope: BlameScope | None = None
                ) -> HistoryResult:
        """Per-file metrics and change coupling over the history of ``commit``.

        ``files`` (path -> blob sha, every file of the snapshot's tree) marks the rows of
        present files; ``blame`` (path -> blob sha) the files whose current lines are blamed
        for ownership of current lines (cached per blob in the store). ``blame_scope``
        (:class:`~.blame.BlameScope`) says which of them are blamed now when not cached,
        within the budget; the others count as pending unless cached (:meth:`complete_blame`
        blames them).
        The two steps :meth:`prepare` and :meth:`finish` in one call.
        """
        prepared = self.prepare(project_id, repo, commit, files=files)
        return self.finish(prepared, sizes, blame=blame, blame_scope=blame_scope)

    def prepare(self, project_id: int, repo: Path, commit: str, *,
                files: dict[str, str] | Callable[[], dict[str, str]] | None = None,
                cancel: Callable[[], bool] | None = None,
                bases: "list[int] | None" = None,
                on_course: Callable[[bool], None] | None = None) -> "PreparedHistory":
        """What :meth:`analyse` computes without the files' sizes and current lines: the
        metrics (hotspots by commits alone until :meth:`finish`) and the change coupling.
        A map runs it beside the parse, which is what yields the sizes. ``files`` may be a
        function giving them, called when the metrics need them (a map starts the analysis
        while git still lists the files).

        The history is read from the store as Arrow tables and analysed by DuckDB
        (:mod:`.metrics`), which runs without holding Python's lock: the map's parse and
        linking go on beside it. ``cancel`` is asked between the steps
        (:class:`MiningCancelled`).

        With ``bases`` (snapshots of the project, newest first), the analysis of the first
        whose commit is an ancestor of ``commit`` is updated with the commits since when it
        can be (:mod:`.incremental`); the result is the same. ``updated_from`` or
        ``whole_because`` of the result says which it was. ``on_course(updating)`` is told
        which it will be as soon as that is known (an update takes seconds where the whole
        analysis of a long history takes a minute)."""
        def check() -> None:
            if cancel is not None and cancel():
                raise MiningCancelled("the history analysis was cancelled")

        whole_because = None
        if bases:
            updated = self._update(project_id, repo, commit, bases, files, check, on_course)
            if isinstance(updated, PreparedHistory):
                return updated
            whole_because = updated or None
        if on_course is not None:
            on_course(False)
        order, commits, changes, mailmap, boundary, outside, identities = self._history_of(
            project_id, repo, commit)
        check()
        if commits.num_rows == 0:
            empty = pd.DataFrame()
            return PreparedHistory(project_id, repo, commit, commits, empty, empty, mailmap)
        boundary_paths = pd.DataFrame(
            [(sha, entry.path) for sha in boundary for entry in self.git.ls_tree(repo, sha)
             if entry.type == "blob"], columns=["sha", "path"])
        # parents are read only when renames send the walk beside them (a few commits)
        parents = ReadOnFirstUse(lambda: self.store.history.parents(project_id))
        steps = per_file_changes(commits, changes, order=order, boundary_paths=boundary_paths,
                                 parents=parents)
        del changes
        check()
        if callable(files):
            files = files()
        metrics = file_metrics(None, None, present=list(files) if files is not None else None,
                               prepared=steps)
        check()
        # the boundary markers in ``steps`` are not changes
        coupling = change_coupling(None, None, prepared=steps)
        from .incremental import AnalysisRecord

        return PreparedHistory(project_id, repo, commit, LoadedCommits(steps.commits), metrics,
                               coupling, mailmap, boundary,
                               AnalysisRecord(steps.moves, coupling, outside, identities),
                               whole_because=whole_because)

    def _update(self, project_id: int, repo: Path, commit: str, bases: list[int], files,
                check: Callable[[], None], on_course: Callable[[bool], None] | None = None
                ) -> "PreparedHistory | str":
        """The analysis of ``commit`` as an update of the first of ``bases`` whose commit is
        an ancestor of it (:mod:`.incremental`), or why it cannot be one (``on_course``: see
        :meth:`prepare`)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from . import incremental as inc

        history = self.store.history
        for base in bases:
            info = self.store.snapshots.get(base)
            new = self._since(repo, info.commit_sha, commit)
            if new is not None:
                break
        else:
            return "the commit does not descend from the last analysed ones"
        record = history.record(base)
        if record is None:
            return "the earlier map kept no history analysis"
        mailmap = read_mailmap(repo, commit, self.git)
        added = history.changes_of(project_id, new)
        touched = sorted(set(added.column("path").to_pylist()))
        renamed = added.column("old_path").null_count < added.num_rows
        # the base's outside commits that the new history took in (a branch merged since)
        # are the new history's; the others stay outside
        merged = contains(record.outside, new)
        outside = record.outside.filter(pa.array(~merged))
        base_commits = int(info.stats.get("commits") or 0)
        why = inc.why_not(
            version=record.version, base_commits=base_commits,
            base_boundary=bool(info.stats.get("history_truncated_at")),
            same_mailmap=mailmap == history.mailmap(base), new_commits=len(new),
            stored_commits=history.commit_count(project_id),
            expected_commits=base_commits + len(new) + len(outside), renamed=renamed,
            left_paths_changed=not renamed and bool(touched)
            and history.left_by_renames(project_id, touched))
        if why is not None:
            return why
        # every commit that changed a touched path (or a path its changes moved from), with
        # all its changes, and the base's metrics: read on threads of their own (DuckDB
        # leaves the interpreter while it reads) beside the new commits' rows, instead of one
        # read after another, each waiting for the map's linking to let go of the interpreter
        moves = record.moves
        sources = inc.sources(moves, touched)
        reading_sources = Background(history.changes_of_commits_at, project_id, sources)
        reading_base = Background(history.metrics_of_every_path, base)
        reading = (reading_sources, reading_base)
        try:
            # as the whole analysis, which keeps to the commit's history, without outside
            # commits; the million commits themselves are not read (see .commits): the names
            # come from the base's identities and the new commits
            if record.identities is not None:
                added_rows = history.commit_rows(project_id, new)
                if pc.any(pc.equal(added_rows.column("truncated"), SHALLOW_REASON)).as_py():
                    return "the history is shallow"
                count = base_commits + len(new)  # the store holds them all (why_not)
                latest = latest_of_identities(pa.concat_tables(
                    [record.identities, added_rows.select(record.identities.column_names)],
                    promote_options="permissive"))
            else:  # a record kept before its identities were
                count, shallow, latest = history.identities(project_id, outside,
                                                            boundary_reason=SHALLOW_REASON)
                if shallow:
                    return "the history is shallow"
                latest = latest_of_identities(latest)
            commits = StoredCommits(history, project_id, mailmap, outside, count, latest)
            check()
            if count == 0:
                return "the history has no commits"
            if on_course is not None:
                on_course(True)
            import pandas as pd

            identities = commits.identities()
            # each identity's latest commit with an author date is among them: so is the latest
            as_of = pd.Timestamp(pc.max(identities.column("t")).as_py(), unit="us", tz="UTC")
            since = history.changes_since(project_id,
                                          inc.window_start(as_of) - pd.Timedelta(days=1))
            of_their_commits = reading_sources.result()
            # the commits of every change read, in one read of the store instead of one per call
            commits.of(pa.concat_arrays([of_their_commits.column("sha").combine_chunks(),
                                         since.column("sha").combine_chunks()]).unique())

            def placed(raw: "pa.Table") -> "pa.Table":
                return inc.placed_changes(commits.of(raw.column("sha").unique()), raw, moves,
                                          as_of)

            # the pairs of the touched paths: every commit that changed one of them, or a path
            # changed with one in a commit coupling counts, each commit with all its changes;
            # read while the metrics are updated
            first = placed(of_their_commits)
            partners = inc.coupled_paths(first, touched)
            reading_partners = Background(history.changes_of_commits_at, project_id,
                                          inc.sources(moves, partners))
            reading += (reading_partners,)
            # the touched paths' own changes are among those of their commits
            touched_changes = placed(of_their_commits.filter(pa.array(
                contains(of_their_commits.column("path"), sources))))
            recent = placed(since)
            if callable(files):
                files = files()
            metrics = inc.updated_metrics(
                identities, as_of, reading_base.result(), touched, touched_changes,
                recent, present=list(files) if files is not None else None)
            check()
            coupled = placed(reading_partners.result())
            coupling = inc.updated_coupling(record.coupling, touched, coupled)
            return PreparedHistory(project_id, repo, commit, commits, metrics, coupling, mailmap,
                                   [], inc.AnalysisRecord(moves, coupling, outside, latest),
                                   updated_from=base)
        finally:
            # an early answer (a shallow history), a cancel or a failure: no read runs on
            for thread in reading:
                thread.wait()

    def _since(self, repo: Path, base: str, commit: str) -> "pa.Array | None":
        """The commits reachable from ``commit`` and not from ``base``, or None when ``base``
        is not an ancestor of ``commit`` (or no longer in the clone: a deleted or force-pushed
        branch's commit, after a gc)."""
        import pyarrow as pa

        git = with_index_room(repo, self.git)
        if base != commit:
            done = git.run_raw(["merge-base", "--is-ancestor", base, commit], cwd=repo,
                               what="comparing commits")
            if done.returncode == 1:
                return None
            if done.returncode != 0 and git.run_raw(
                    ["cat-file", "-e", f"{base}^{{commit}}"], cwd=repo,
                    what="looking for a commit").returncode != 0:
                return None
            if done.returncode != 0:
                raise git.failure("comparing commits",
                                  done.stderr.decode("utf-8", "replace").strip(), done.returncode)
        done = git.run_raw(["rev-list", commit, f"^{base}", "--"], cwd=repo,
                           what="listing new commits")
        if done.returncode != 0:
            raise git.failure("listing new commits", done.stderr.decode("utf-8", "replace").strip(),
                              done.returncode)
        return pa.array(done.stdout.split(), pa.binary()).cast(pa.string())

    def finish(self, prepared: "PreparedHistory", sizes: pd.Series | None = None, *,
               blame: dict[str, str] | None = None, blame_scope: BlameScope | None = None,
               blame_widen: threading.Event | None = None,
               blamed: "Blamed | None" = None,
               known_blame: pd.DataFrame | None = None,
               on_blamed: Callable[[], None] | None = None) -> HistoryResult:
        """The metrics of :meth:`prepare` with ``sizes`` (lines per path) in their hotspots
        and, for the ``blame`` files, the owners of their current lines (see :meth:`analyse`;
        ``blame_widen``: see :func:`~.blame.blame_files`' ``widen``). ``blamed``: those
        files' blame, already made by :meth:`blame` (a map starts it before the history's
        first step ends); else ``known_blame``: their cached blames, read already
        (:meth:`cached_blame`). ``on_blamed()`` is called once no git process is left to run
        (the blames and re-blames done; at once when there are none): what is left takes
        moments."""
        commits, metrics = prepared.commits, prepared.metrics
        if on_blamed is not None and (len(commits) == 0 or not blame):
            on_blamed()
        if len(commits) == 0:
            return HistoryResult(0, metrics, prepared.coupling, mailmap=prepared.mailmap)
        if sizes is not None:
            metrics = with_sizes(metrics, sizes)
        pending = 0
        if blame:
            if blamed is None:
                blamed = self.blame(prepared.project_id, prepared.repo, prepared.commit, blame,
                                    scope=blame_scope, budget=self.blame_budget,
                                    widen=blame_widen, known=known_blame)
            # after a map that left files unblamed, a re-map blames no whole histories
            # (see BlameScope): a blame that fits no more is then left to the blame verb
            blamed = self.refit(prepared.project_id, prepared.repo, prepared.commit, blamed,
                                commits, prepared.boundary, budget=self.blame_budget,
                                blame_now=blame_scope is None or blame_scope.only is None)
            if on_blamed is not None:
                on_blamed()
            owners = self.owners(blamed, commits, prepared.boundary)
            pending = blamed.pending
            metrics = metrics.merge(owners, left_on="path", right_index=True, how="left")
        return HistoryResult(len(commits), metrics, prepared.coupling,
                             truncated_at=prepared.boundary, mailmap=prepared.mailmap,
                             blame_pending=pending, record=prepared.record)

    def blame(self, project_id: int, repo: Path, commit: str, files: dict[str, str], *,
              scope: BlameScope | None = None, budget: float | None = None,
              progress: Callable[[int, int], None] | None = None,
              widen: threading.Event | None = None,
              known: pd.DataFrame | None = None) -> "Blamed":
        """The blame of the current lines of ``files`` (path -> blob sha) at ``commit``: the
        cached blames and new ones (stored), and how many files are left unblamed (``scope``,
        ``budget`` in seconds or None, ``widen``: see :func:`blame_files`). ``known``: the
        cached blames of ``files`` read already (:meth:`cached_blame`).
        Needs no history analysis: a map runs it beside that."""
        rows, fresh = blame_files(repo, commit, files, cached=lambda keys: self.store.history.blame(
            project_id, keys), git=lambda: with_index_room(repo, self.git),
            workers=self.blame_workers,
            budget=budget, scope=scope, progress=progress, widen=widen, known=known)
        self.store.history.put_blame(project_id, fresh)
        return Blamed(rows, len(files) - rows["path"].nunique())

    def cached_blame(self, project_id: int, files: dict[str, str]) -> pd.DataFrame:
        """The cached blames of ``files`` (path -> blob sha), as :meth:`blame` reads them (a
        map reads them while it links, then hands them to :meth:`finish`)."""
        return self.store.history.blame(project_id, sorted(files.items()))

    def refit(self, project_id: int, repo: Path, commit: str, blamed: "Blamed",
              commits: HistoryCommits, boundary: list[str], *, budget: float | None = None,
              blame_now: bool = True, progress: Callable[[int, int], None] | None = None
              ) -> "Blamed":
        """``blamed`` with the cached blames that put lines on commits outside ``commit``'s
        history (``commits``, mailmap applied) forgotten: the same content at the same path
        was blamed on another history (a cherry-pick, a rebase, a force-push that rewrote
        its commits). Those files are blamed again at ``commit`` (within ``budget``) with
        ``blame_now``, else left unblamed (pending)."""
        rows = blamed.rows
        if rows.empty:
            return blamed
        origins = rows.loc[rows["origin_sha"] != "", "origin_sha"].unique()
        if not len(origins):
            return blamed
        seen = contains(origins, commits.of(origins).column("sha"))
        foreign = set(origins[~seen]) - set(boundary)
        if not foreign:
            return blamed
        stale = rows.loc[rows["origin_sha"].isin(foreign), ["path", "blob_sha"]].drop_duplicates()
        keys = list(zip(stale["path"], stale["blob_sha"]))
        self.store.history.forget_blame(project_id, keys)
        kept = rows.loc[~rows["path"].isin(set(stale["path"]))]
        if not blame_now:
            return Blamed(kept.reset_index(drop=True), blamed.pending + len(keys))
        again = self.blame(project_id, repo, commit, dict(keys), budget=budget,
                           progress=progress)
        return Blamed(pd.concat([kept, again.rows], ignore_index=True),
                      blamed.pending + again.pending)

    @staticmethod
    def owners(blamed: "Blamed", commits: HistoryCommits, boundary: list[str]) -> pd.DataFrame:
        """Current-line owner columns per path (index) from ``blamed``; ``commits``: the
        snapshot's (:mod:`.commits`)."""
        rows = blamed.rows
        origins = rows["origin_sha"].unique()
        table = commits.of(origins)
        at = positions(origins, table.column("sha"))
        mined = at >= 0
        unknown = set(boundary) | {sha for sha, hit in zip(origins, mined) if not hit}
        keyed = pd.DataFrame({"sha": origins[mined],
                              "author": table.column("author").take(at[mined]).to_pandas()})
        owners = current_ownership(rows, keyed, unknown)
        owners["current_owner_name"] = owners["current_owner"].map(
            author_names(commits.identities()))
        return owners

    def ownership(self, project_id: int, repo: Path, commit: str, commits: HistoryCommits,
                  blame: dict[str, str], boundary: list[str], *, budget: float | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  widen: threading.Event | None = None) -> tuple[pd.DataFrame, int]:
        """Current-line owner columns per path (index), from cached and new blames of the
        ``blame`` files, and the number of files left
        unblamed (their columns are empty). ``commits``: the snapshot's (:mod:`.commits`).
        ``budget``: seconds, None for no limit. :meth:`blame`, then :meth:`owners`."""
        counted = [0, 0]  # files blamed and to blame by the first step, for the second's

        def first(done: int, total: int) -> None:
            counted[:] = [done, total]
            if progress is not None:
                progress(done, total)

        def second(done: int, total: int) -> None:
            if progress is not None:
                progress(counted[0] + done, counted[1] + total)

        blamed = self.blame(project_id, repo, commit, blame, budget=budget, progress=first,
                            widen=widen)
        blamed = self.refit(project_id, repo, commit, blamed, commits, boundary, budget=budget,
                            progress=second)
        return self.owners(blamed, commits, boundary), blamed.pending

    def complete_blame(self, project_id: int, repo: Path, commit: str, files: dict[str, str],
                       *, budget: float | None = None,
                       progress: Callable[[int, int], None] | None = None
                       ) -> tuple[pd.DataFrame, int]:
        """Blame the files of a stored snapshot that its map left pending: the owner columns
        of every file in ``files`` (path -> blob sha) and how many are still pending after
        ``budget`` seconds (None: no limit)."""
        _, commits, _, _, boundary, _, _ = self._history_of(project_id, repo, commit,
                                                            changes=False)
        if commits.num_rows == 0:
            return pd.DataFrame(), 0
        return self.ownership(project_id, repo, commit, LoadedCommits(commits), files,
                              boundary, budget=budget, progress=progress)
