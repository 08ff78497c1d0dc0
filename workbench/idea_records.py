"""Records of the idea → spec → tasks → review pipeline (:mod:`workbench.agents`).

They are re-exported by :mod:`workbench.domain` (``from workbench.domain import Idea`` works)
but created only when the pipeline is used, not by every command's start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

@dataclass(frozen=True)
class Idea:
    """Something someone wants done in a project; ``status`` is ``new``, ``specified``,
    ``planned`` or ``failed`` (``error`` says why)."""

    id: int
    project: str
    title: str
    text: str
    actor: str
    source: str
    status: str
    created_at: datetime
    error: str | None = None


@dataclass(frozen=True)
class CodeArea:
    """A part of the map a spec involves: a node, why it was chosen, and what depends on it.

    ``found_by`` is ``search`` (hybrid search), ``map`` (names in the map), ``search+map``
    (both), ``named`` (the idea names it: its path, id, or its name spelled as code) or
    ``model``;
    ``impact`` holds the first dependents (file-level nodes), ``impact_count`` all of them.
    """

    node: str
    kind: str | None
    path: str | None
    line_start: int | None
    line_end: int | None
    score: float
    found_by: str
    reason: str
    impact_count: int = 0
    impact: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpecDraft:
    """What a spec says: problem, goals, requirements, acceptance criteria and the code areas
    involved (with their impact), and who wrote it (``rules`` or a provider, with its model)."""

    problem: str
    goals: tuple[str, ...]
    requirements: tuple[str, ...]
    acceptance: tuple[str, ...]
    code_areas: tuple[CodeArea, ...]
    author: str
    model: str | None = None


@dataclass(frozen=True, kw_only=True)
class Spec(SpecDraft):
    """An idea's spec as stored, frozen once written, at snapshot ``snapshot_id``."""

    id: int
    idea_id: int
    project: str
    snapshot_id: int | None
    created_at: datetime


#: Impacted nodes a task keeps at most, nearest first (the planner's cut).
IMPACT_PER_TASK = 30


@dataclass(frozen=True)
class TaskNode:
    """A node a task touches (``role="touch"``) or may break (``role="impact"``, with its
    distance in dependency edges)."""

    node: str
    kind: str | None
    path: str | None
    role: str
    distance: int | None = None


@dataclass(frozen=True)
class Task:
    """One step of a plan; ``depends_on`` lists task ids that must be done first."""

    id: int
    spec_id: int
    project: str
    position: int
    title: str
    description: str
    estimate_hours: float | None
    status: str
    depends_on: tuple[int, ...]
    nodes: tuple[TaskNode, ...]
    branch: str | None
    created_at: datetime

    @property
    def touched(self) -> tuple[str, ...]:
        return tuple(n.node for n in self.nodes if n.role == "touch")

    @property
    def impacted(self) -> tuple[str, ...]:
        return tuple(n.node for n in self.nodes if n.role == "impact")

    @property
    def impacted_files(self) -> tuple[str, ...]:
        """The files (file-level node ids, ``pkg.mod``) of the impacted nodes, nearest first,
        the files the task touches left out: the unit of a spec's code area's impact
        (``CodeArea.impact_count``). A task keeps at most
        :data:`IMPACT_PER_TASK` impacted nodes (see
        :attr:`impact_capped`)."""
        own = {n.split(":", 1)[0] for n in self.touched}
        files: dict[str, None] = {}
        for node in self.impacted:
            file = node.split(":", 1)[0]
            if file not in own:
                files.setdefault(file)
        return tuple(files)

    @property
    def impact_capped(self) -> bool:
        """Whether the impacted nodes were cut at the planner's limit: more depend on it."""
        return len(self.impacted) >= IMPACT_PER_TASK


@dataclass(frozen=True)
class ReviewFindings:
    """What a review found: its verdict (``ok``, ``attention``, ``blocked``) and reasons, the
    diff's counts, the changed nodes, new contract violations, the impact set (files) and the
    tasks the change covers."""

    verdict: str
    reasons: tuple[str, ...]
    counts: dict[str, int]
    changed: tuple[str, ...]
    violations: tuple[dict[str, Any], ...]
    impact: tuple[str, ...]
    task_ids: tuple[int, ...]

    def as_row(self) -> dict[str, Any]:
        """The findings as the store's columns (tuples as lists)."""
        return {"verdict": self.verdict, "reasons": list(self.reasons), "counts": self.counts,
                "changed": list(self.changed), "violations": list(self.violations),
                "impact": list(self.impact), "task_ids": list(self.task_ids)}


@dataclass(frozen=True, kw_only=True)
class Review(ReviewFindings):
    """A pull request reviewed against the map: its findings, what was compared (refs,
    commits, snapshots) and where the request came from."""

    id: int
    project: str
    source: str
    number: int | None
    title: str
    url: str | None
    head_ref: str | None
    head_sha: str
    base_ref: str | None
    base_sha: str
    base_snapshot_id: int
    head_snapshot_id: int
    created_at: datetime
