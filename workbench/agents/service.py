"""``wb.ideas``: ideas, specs, tasks and reviews, and the agents that make them.

>>> idea = wb.ideas.add("shop", "Partial refunds", "Refund part of an order.", run=True)  # doctest: +SKIP
>>> wb.ideas.spec(idea.id).code_areas              # the code it involves, with impact
>>> wb.ideas.tasks("shop")                         # a DataFrame: the plan, its DAG and nodes
>>> wb.ideas.review("shop", head="feature/refunds") # the branch read against the map

Each step is idempotent (an idea keeps its spec, a spec its tasks, an event its review), so
the agents can receive an event more than once. :class:`Agents` subscribes the define, planner
and reviewer agents to ``wb.events`` under the consumer names ``agent.define``,
``agent.planner`` and ``agent.reviewer``; :meth:`Ideas.run` drives one idea through them to
its plan and returns when it is planned (or failed), letting go of the consumers again unless they
were started before (``wb.ideas.agents().start()`` keeps them serving, in a notebook kernel or
a server).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Callable

from ..domain import Idea, Review, Spec, Task
from ..errors import SnapshotNotFound, WorkbenchError
from . import build as _build
from .capture import check_idea
from .errors import AgentError, IdeaNotFound, ReviewError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..facade import Workbench
    from ..snapshot import Snapshot

log = logging.getLogger("workbench.agents")

#: Consumer names of the agents on the event log, and the event types each handles.
CONSUMERS = {"agent.define": ("idea.created",), "agent.planner": ("spec.frozen",),
             "agent.reviewer": ("pr.opened",)}
#: Idea statuses after which nothing more happens to it.
SETTLED = ("planned", "failed")


class Ideas:
    """The idea → spec → tasks → review pipeline of a workbench (``wb.ideas``).

    ``provider`` names the AI provider the define and planner agents use (None: the
    configured default, the extractive one when nothing is configured, which makes them
    rule-based and deterministic).
    """

    def __init__(self, wb: "Workbench", *, provider: str | None = None,
                 model: str | None = None) -> None:
        self._wb = wb
        self.provider_name = provider
        self.model = model
        self._agents: Agents | None = None

    def __repr__(self) -> str:
        return f"<Ideas of {self._wb!r}>"

    def use(self, provider: str | None = None, model: str | None = None) -> "Ideas":
        """Let the agents use ``provider`` (a registered AI provider's name; None: the
        configured default) and ``model``; returns this handle."""
        self.provider_name, self.model = provider, model
        return self

    @property
    def store(self):
        return self._wb.store.ideas

    # -- capture -----------------------------------------------------------------------------

    def add(self, project: str, title: str, text: str = "", *, actor: str = "user",
            source: str | None = None, run: bool = False, timeout: float = 300.0) -> Idea:
        """Store an idea and publish ``idea.created``; with ``run=True`` wait until the agents
        have written its spec and plan (or failed, see ``Idea.error``), ``timeout`` seconds
        at most. ``source`` says which face captured it (``cli``, ``notebook``, ``server``,
        ``webhook`` ...; default: the actor when it names one, else ``user``). Raises
        :class:`InvalidIdea` or :class:`ProjectNotFound` first."""
        from .capture import SOURCES

        if source is None:
            source = actor if actor in SOURCES else "user"
        info = self._wb.store.projects.get(project)
        title, text = check_idea(title, text, actor=actor, source=source)
        idea = self.store.add_idea(info.id, title, text, actor=actor, source=source)
        self._publish("idea.created", {"idea_id": idea.id, "project": info.name,
                                       "title": idea.title}, actor=actor, project=info.name)
        return self.run(idea.id, timeout=timeout) if run else idea

    # -- reads -------------------------------------------------------------------------------

    def get(self, idea_id: int) -> Idea:
        idea = self.store.idea(int(idea_id))
        if idea is None:
            raise IdeaNotFound(f"no idea #{idea_id}; list them with `workbench idea list`",
                               idea_id=idea_id)
        return idea

    def list(self, project: str | None = None) -> "pd.DataFrame":
        """Ideas (of one project, or all): ``id, project, title, status, actor, source,
        spec_id, tasks, created_at, error``."""
        import pandas as pd

        pid = self._wb.store.projects.get(project).id if project else None
        ideas = self.store.ideas(pid)
        specs = {s.idea_id: s.id for s in self.store.specs(pid)}
        counts: dict[int, int] = {}
        for t in self.store.tasks(project_id=pid):
            counts[t.spec_id] = counts.get(t.spec_id, 0) + 1
        rows = [(i.id, i.project, i.title, i.status, i.actor, i.source, specs.get(i.id),
                 counts.get(specs.get(i.id), 0), i.created_at, i.error) for i in ideas]
        return pd.DataFrame(rows, columns=["id", "project", "title", "status", "actor", "source",
                                           "spec_id", "tasks", "created_at", "error"])

    def spec(self, idea_id: int) -> Spec | None:
        """The frozen spec of an idea, or None while it has none."""
        self.get(idea_id)
        return self.store.spec_of_idea(int(idea_id))

    def specs(self, project: str | None = None) -> "pd.DataFrame":
        """Specs as a table: ``id, idea_id, project, problem, goals, requirements, acceptance,
        code_areas`` (node ids), ``author, model, snapshot_id, created_at``."""
        import pandas as pd

        pid = self._wb.store.projects.get(project).id if project else None
        rows = [(s.id, s.idea_id, s.project, s.problem, len(s.goals), len(s.requirements),
                 len(s.acceptance), [a.node for a in s.code_areas], s.author, s.model,
                 s.snapshot_id, s.created_at) for s in self.store.specs(pid)]
        return pd.DataFrame(rows, columns=["id", "idea_id", "project", "problem", "goals",
                                           "requirements", "acceptance", "code_areas", "author",
                                           "model", "snapshot_id", "created_at"])

    def task_list(self, project: str | None = None, *, idea_id: int | None = None) -> list[Task]:
        """Tasks as records (with their dependencies and nodes)."""
        if idea_id is not None:
            spec = self.spec(idea_id)
            return self.store.tasks(spec_id=spec.id) if spec else []
        pid = self._wb.store.projects.get(project).id if project else None
        return self.store.tasks(project_id=pid)

    def tasks(self, project: str | None = None, *, idea_id: int | None = None) -> "pd.DataFrame":
        """Tasks as a table: ``id, project, spec_id, position, title, status, estimate_hours,
        depends_on, touched, impact, branch``; ``impact`` is the number of other files that
        depend on what the task touches (:attr:`Task.impacted_files`, a lower bound when
        :attr:`Task.impact_capped`)."""
        import pandas as pd

        rows = [(t.id, t.project, t.spec_id, t.position, t.title, t.status, t.estimate_hours,
                 list(t.depends_on), list(t.touched), len(t.impacted_files), t.branch)
                for t in self.task_list(project, idea_id=idea_id)]
        return pd.DataFrame(rows, columns=["id", "project", "spec_id", "position", "title",
                                           "status", "estimate_hours", "depends_on", "touched",
                                           "impact", "branch"])

    def task(self, task_id: int) -> Task:
        found = self.store.tasks(ids=[int(task_id)])
        if not found:
            raise IdeaNotFound(f"no task #{task_id}; list them with `workbench tasks -p PROJECT`",
                               task_id=task_id)
        return found[0]

    def reviews(self, project: str | None = None) -> "pd.DataFrame":
        """Reviews as a table: ``id, project, source, number, title, head_ref, head_sha,
        verdict, reasons, tasks, created_at``."""
        import pandas as pd

        pid = self._wb.store.projects.get(project).id if project else None
        rows = [(r.id, r.project, r.source, r.number, r.title, r.head_ref, r.head_sha[:12],
                 r.verdict, "; ".join(r.reasons), list(r.task_ids), r.created_at)
                for r in self.store.reviews(pid)]
        return pd.DataFrame(rows, columns=["id", "project", "source", "number", "title",
                                           "head_ref", "head_sha", "verdict", "reasons", "tasks",
                                           "created_at"])

    def review_record(self, review_id: int) -> Review:
        found = self.store.review(int(review_id))
        if found is None:
            raise IdeaNotFound(f"no review #{review_id}", review_id=review_id)
        return found

    # -- agents ------------------------------------------------------------------------------

    def provider(self):
        """The AI provider the agents use, or None when the ``ai`` part is not installed."""
        try:
            from ..ai.providers import get_provider
        except ImportError:
            return None
        return get_provider(self.provider_name, self._wb.config)

    def _searcher(self, project: str, snap: "Snapshot") -> Callable[[str, int], Any] | None:
        search = getattr(self._wb, "search", None)
        if search is None:
            return None

        def run(query: str, k: int):
            try:
                return search(query, project, k=k, snapshot_id=snap.id, kinds={"code"})
            except WorkbenchError as exc:  # not indexed, say: the map alone finds the areas
                log.info("search unavailable for %s: %s", project, exc)
                return None

        return run

    def define(self, idea_id: int) -> Spec:
        """Write and freeze the spec of an idea (the define agent); publishes ``spec.frozen``
        when it is new. An idea that has a spec returns it."""
        from .define import draft_spec

        idea = self.get(idea_id)
        existing = self.store.spec_of_idea(idea.id)
        if existing is not None:
            return existing
        try:
            snap = self._wb.snapshot(idea.project)
            draft = draft_spec(idea, snap, provider=self.provider(), model=self.model,
                               search=self._searcher(idea.project, snap))
        except WorkbenchError as exc:  # recorded on the idea, and raised
            self.store.set_idea_status(idea.id, "failed", str(exc))
            raise
        spec, created = self.store.add_spec(
            idea.id, snapshot_id=snap.id, problem=draft.problem, goals=draft.goals,
            requirements=draft.requirements, acceptance=draft.acceptance,
            code_areas=draft.code_areas, author=draft.author, model=draft.model)
        if created:
            self._publish("spec.frozen", {"spec_id": spec.id, "idea_id": idea.id},
                          actor="agent", project=idea.project)
        return spec

    def plan(self, spec_id: int) -> list[Task]:
        """Write the tasks of a spec (the planner agent); publishes ``tasks.created`` when they
        are new. A spec that has tasks returns them. Raises :class:`PlanCycle` for a cycle."""
        from .planner import plan

        spec = self.store.spec(int(spec_id))
        if spec is None:
            raise IdeaNotFound(f"no spec #{spec_id}", spec_id=spec_id)
        existing = self.store.tasks(spec_id=spec.id)
        if existing:
            return existing
        idea = self.get(spec.idea_id)
        info = self._wb.store.projects.get(spec.project)
        try:
            snap = (self._wb.snapshot(spec.project, snapshot_id=spec.snapshot_id)
                    if spec.snapshot_id is not None else self._wb.snapshot(spec.project))
            planned = plan(spec, snap, provider=self.provider(), model=self.model,
                           title=idea.title)
        except WorkbenchError as exc:  # recorded on the idea, and raised
            self.store.set_idea_status(idea.id, "failed", str(exc))
            raise
        ids, created = self.store.add_tasks(spec.id, info.id, idea.id,
                                            [t.as_row() for t in planned])
        if created:
            self._publish("tasks.created", {"spec_id": spec.id, "task_ids": ids},
                          actor="agent", project=spec.project)
        return self.store.tasks(spec_id=spec.id)

    def run(self, idea_id: int, *, timeout: float = 300.0) -> Idea:
        """Drive an idea through define and planner; return it planned (or failed).

        With an event log the subscribed agents do the work and this drains events until the
        idea settles; without one, or for an idea that failed before (its events were handled
        already: mapping the project is the usual fix), the steps run here, in order.
        """
        idea = self.get(idea_id)
        if self._events() is None or idea.status == "failed":
            try:
                self.plan(self.define(idea.id).id)
            except WorkbenchError:  # recorded on the idea
                log.info("idea %s failed", idea.id, exc_info=True)
            return self.get(idea.id)
        agents = self.agents()
        started_here = not agents.running
        agents.start()
        deadline = time.monotonic() + timeout
        try:
            while True:
                idea = self.get(idea_id)
                if idea.status in SETTLED or time.monotonic() >= deadline:
                    return idea
                agents.drain(min(5.0, max(0.1, deadline - time.monotonic())))
        finally:
            if started_here:  # let go of the consumers, so that another process can serve them
                agents.stop()

    def agents(self) -> "Agents":
        """The agents of this workbench, subscribed to ``wb.events`` by :meth:`Agents.start`."""
        if self._agents is None:
            self._agents = Agents(self)
        return self._agents

    # -- reviews -----------------------------------------------------------------------------

    def review(self, project: str, head: str, base: str | None = None, *,
               source: str = "user", number: int | None = None, title: str = "",
               url: str | None = None, head_sha: str | None = None,
               event_id: int | None = None, fetch: bool = True) -> Review:
        """Review ``head`` (a branch, tag or commit) against ``base`` (default: the project's
        default branch): map both, diff them from their merge base, check the repository's
        contracts, list the impact and the tasks covered; store the review, mark covered
        tasks ``in_review`` and publish ``pr.reviewed``. An event reviewed before returns its
        review. A GitHub pull request (``source="github"``, ``number`` and ``head_sha``) has
        its head fetched from ``refs/pull/N/head``, so one from a fork is reviewed too."""
        from ..evolution import repository_contracts
        from .reviewer import compare_commits, review_maps

        if not isinstance(head, str) or not head:
            raise ReviewError(f"say what to review in {project}: a branch, tag or commit",
                              project=project)
        if event_id is not None and (done := self.store.review_of_event(event_id)) is not None:
            return done
        wb = self._wb
        info = wb.store.projects.get(project)
        try:
            if fetch and source == "github" and number is not None and head_sha:
                fetch = not self._fetch_pull_request(info, number)
            head_snap = wb.map(info.name, ref=head_sha or head, wait=True, fetch=fetch)
            info = wb.store.projects.get(project)
            repo = wb.clones.path_for(info.name)
            base_ref = base or info.default_branch or "HEAD"
            merge_base, lines = compare_commits(repo, wb.clones.resolve(repo, base_ref),
                                                head_snap.commit, timeout=wb.config.git_timeout)
            base_snap = wb.map(info.name, ref=merge_base, wait=True, fetch=False)
        except WorkbenchError as exc:
            raise ReviewError(f"cannot review {head!r} of {project}: {exc}", project=project,
                              head=head) from exc
        rules = repository_contracts(wb.clones, base_snap) or repository_contracts(wb.clones, head_snap)
        open_tasks = [t for t in self.store.tasks(project_id=info.id) if t.status != "done"]
        result = review_maps(base_snap, head_snap, tasks=open_tasks, rules=rules, lines=lines)
        review, created = self.store.add_review(info.id, {
            "event_id": event_id, "source": source, "number": number, "title": title or head,
            "url": url, "head_ref": head, "head_sha": head_snap.commit, "base_ref": base_ref,
            "base_sha": base_snap.commit, "base_snapshot_id": base_snap.id,
            "head_snapshot_id": head_snap.id, **result.as_row()})
        if created:
            self.store.set_task_status(review.task_ids, "in_review",
                                       only_from=("todo", "in_progress"))
            self._publish("pr.reviewed", {"review_id": review.id, "project": info.name,
                                          "head_sha": review.head_sha, "verdict": review.verdict},
                          actor="agent", project=info.name)
        return review

    def _fetch_pull_request(self, info, number: int) -> bool:
        """Fetch a GitHub pull request's head (from a fork too); False when the remote has
        none (the head may still be a branch of the repository)."""
        from ..errors import GitFailed

        try:
            self._wb.clones.fetch_pull_request(info, number)
            return True
        except GitFailed as exc:
            log.info("no refs/pull/%s/head in %s: %s", number, info.name, exc)
            return False

    def review_event(self, event) -> Review:
        """The reviewer agent's handling of a ``pr.opened`` event."""
        p = event.payload
        return self.review(p["project"], p.get("head_ref") or p.get("head_sha"), p.get("base_ref"),
                           source=p.get("source", "user"), number=p.get("number"),
                           title=p.get("title") or "", url=p.get("url"),
                           head_sha=p.get("head_sha"), event_id=event.id,
                           fetch=p.get("source") != "build")

    # -- build -------------------------------------------------------------------------------

    def build(self, task_id: int) -> "_build.BuildResult":
        """Hand one task to Goose in a worktree of the clone and publish its branch as
        ``pr.opened`` (``source="build"``). Opt-in: raises :class:`BuildDisabled` unless
        ``Config(build_agent=True)``, and for projects registered by agents or webhooks."""
        wb = self._wb
        task = self.task(task_id)
        info = wb.store.projects.get(task.project)
        _build.check_allowed(info, enabled=wb.config.build_agent)
        spec = self.store.spec(task.spec_id)
        if spec is not None and spec.snapshot_id is not None:
            base_sha = wb.snapshot(info.name, snapshot_id=spec.snapshot_id).commit
        else:
            base_sha = wb.snapshot(info.name).commit
        result = _build.build(info, task, spec, repo=wb.clones.path_for(info.name),
                              base_sha=base_sha, worktrees=wb.data_dir / "worktrees",
                              goose=getattr(wb.config, "goose_command", "goose"),
                              timeout=wb.config.build_timeout,
                              push=wb.config.build_push, git_timeout=wb.config.git_timeout)
        self.store.set_task_branch(task.id, result.branch)
        self.store.set_task_status([task.id], "in_progress", only_from=("todo",))
        self._publish("pr.opened", {
            "project": info.name, "number": None, "title": f"Task {task.id}: {task.title}",
            "head_ref": result.branch, "head_sha": result.head_sha,
            "base_ref": info.default_branch or base_sha, "url": None, "source": "build"},
            actor="agent", project=info.name)
        return result

    # -- events ------------------------------------------------------------------------------

    def _events(self):
        """The workbench's event log, or None when this installation has none."""
        try:
            return self._wb.events
        except AttributeError:
            return None

    def _publish(self, type_: str, payload: dict[str, Any], *, actor: str, project: str) -> None:
        events = self._events()
        if events is not None:
            events.publish(type_, payload, actor=actor, project=project)


class Agents:
    """The define, planner and reviewer agents subscribed to ``wb.events``.

    >>> agents = wb.ideas.agents(); agents.start()   # doctest: +SKIP
    >>> agents.drain(5)                              # deliver what is pending, here and now

    Handlers are idempotent (see :class:`Ideas`); a handler that keeps failing ends in the
    event log's dead letters with its error.
    """

    def __init__(self, ideas: Ideas, *, review: bool = True) -> None:
        self.ideas = ideas
        self.review_enabled = review
        self.subscriptions: dict[str, Any] = {}

    def handlers(self) -> dict[str, Callable[[Any], Any]]:
        """Consumer name → handler. Define and planner record a failure that another attempt
        would repeat (a malformed answer, a cycle, a project not mapped) on the idea and
        return; anything else (a model server down, a locked file) raises, so the event log
        retries it and finally keeps it as a dead letter."""
        def settled(step: Callable[[], Any]) -> None:
            try:
                step()
            except (AgentError, SnapshotNotFound) as exc:
                log.info("agent step failed for good: %s", exc)

        found = {"agent.define": lambda e: settled(lambda: self.ideas.define(e.payload["idea_id"])),
                 "agent.planner": lambda e: settled(lambda: self.ideas.plan(e.payload["spec_id"]))}
        if self.review_enabled:
            found["agent.reviewer"] = self.ideas.review_event
        return found

    @property
    def running(self) -> bool:
        return bool(self.subscriptions)

    def start(self) -> "Agents":
        """Subscribe each agent once (its consumer keeps its offset in the event log)."""
        events = self.ideas._events()
        if events is None:
            raise AgentError("this workbench has no event log (workbench.events); run the "
                             "pipeline with wb.ideas.run(idea_id) instead")
        for consumer, handler in self.handlers().items():
            if consumer not in self.subscriptions:
                self.subscriptions[consumer] = events.subscribe(consumer, list(CONSUMERS[consumer]),
                                                                handler)
        return self

    def drain(self, timeout: float = 5.0) -> None:
        """Deliver pending events to the agents now (and what they publish in turn)."""
        self.ideas._events().drain(timeout)

    def stop(self) -> None:
        for sub in self.subscriptions.values():
            for name in ("close", "cancel", "unsubscribe", "stop"):
                if callable(getattr(sub, name, None)):
                    getattr(sub, name)()
                    break
        self.subscriptions.clear()
