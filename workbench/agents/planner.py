"""The planner agent: a spec becomes tasks whose dependencies form a validated DAG.

Each task names the nodes it touches (``role="touch"``) and what may break through them
(``role="impact"``: the transitive dependents, with their distance), so a pull request can
later be matched to the tasks it covers.

Rules (the extractive provider, or none): a spec with no code area gets one task, to find
the code (it says how to name it), and nothing else; otherwise one task per code area,
changing the lower one first when one area depends on another; a task to update the dependents of an area that has
any; a last task for the tests, after every change. Estimates in hours grow with the size of
the node and its impact set (1 h + 1 h per 80 lines + 15 min per dependent file, at most 16 h).
With a chat provider the plan is asked for as schema-validated JSON; its dependencies and
nodes are checked the same way (an unknown node or a cycle is sent back as malformed).

The DAG is checked with networkx; a cycle is refused with :class:`~.errors.PlanCycle`, naming
the tasks around it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import networkx as nx

from ..domain import CodeArea, Spec, TaskNode
from ..graph.errors import GraphQueryError
from ..idea_records import IMPACT_PER_TASK  # dependents listed as impact per task
from ..snapshot import Snapshot
from .areas import covering_tests, file_dependents, how_to_name_code, impact_rows
from .define import is_rule_based
from .errors import PlanCycle
from .structured import ask_json

#: At most this many tasks in a plan.
MAX_TASKS = 20

PLAN_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["tasks"], "additionalProperties": False,
    "properties": {"tasks": {"type": "array", "minItems": 1, "maxItems": MAX_TASKS, "items": {
        "type": "object", "required": ["key", "title", "estimate_hours", "depends_on", "nodes"],
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string", "minLength": 1, "maxLength": 40},
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string", "maxLength": 2000},
            "estimate_hours": {"type": "number", "minimum": 0, "maximum": 200},
            "depends_on": {"type": "array", "maxItems": MAX_TASKS,
                           "items": {"type": "string", "maxLength": 40}},
            "nodes": {"type": "array", "maxItems": 10,
                      "items": {"type": "string", "minLength": 1, "maxLength": 300}},
        }}}},
}


@dataclass(frozen=True)
class PlannedTask:
    """A task before it is stored; ``depends_on`` holds indexes of earlier tasks of the plan."""

    title: str
    description: str
    estimate_hours: float
    depends_on: tuple[int, ...] = ()
    nodes: tuple[TaskNode, ...] = field(default_factory=tuple)

    def as_row(self) -> dict[str, Any]:
        return {"title": self.title, "description": self.description,
                "estimate_hours": self.estimate_hours, "depends_on": list(self.depends_on),
                "nodes": list(self.nodes)}


def check_dag(titles: Sequence[str], depends_on: Sequence[Sequence[int]]) -> list[int]:
    """A topological order of tasks ``0..n-1`` (ties kept in their given order).

    Raises :class:`PlanCycle` naming the tasks around a cycle, or for a dependency on a task
    that is not in the plan or on itself.
    """
    g = nx.DiGraph()
    g.add_nodes_from(range(len(titles)))
    for task, deps in enumerate(depends_on):
        for dep in deps:
            if not 0 <= dep < len(titles):
                raise PlanCycle(f"task {titles[task]!r} depends on task #{dep}, which is not in "
                                "the plan; fix the dependencies", cycle=())
            g.add_edge(dep, task)
    try:
        loop = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return list(nx.lexicographical_topological_sort(g))
    names = [titles[u] for u, _ in loop] + [titles[loop[0][0]]]
    raise PlanCycle("task dependencies form a cycle: " + " → ".join(repr(n) for n in names)
                    + "; remove one of these dependencies", cycle=tuple(names))


def in_order(tasks: list[PlannedTask]) -> list[PlannedTask]:
    """The tasks in a validated topological order, ``depends_on`` renumbered to match."""
    order = check_dag([t.title for t in tasks], [t.depends_on for t in tasks])
    where = {old: new for new, old in enumerate(order)}
    return [PlannedTask(t.title, t.description, t.estimate_hours,
                        tuple(sorted(where[d] for d in t.depends_on)), t.nodes)
            for t in (tasks[i] for i in order)]


def plan(spec: Spec, snap: Snapshot, *, provider=None, model: str | None = None,
         attempts: int = 2, title: str = "") -> list[PlannedTask]:
    """The tasks of ``spec`` on ``snap``, in topological order (rule-based unless
    ``provider`` is a chat provider)."""
    if is_rule_based(provider):
        return in_order(rule_plan(spec, snap, title=title))
    return in_order(_model_plan(spec, snap, provider, model=model, attempts=attempts))


def _impact_nodes(snap: Snapshot, touched: list[str]) -> list[TaskNode]:
    return [TaskNode(n, k, None, "impact", d)
            for n, k, d in impact_rows(snap, touched, limit=IMPACT_PER_TASK)]


def _touch(snap: Snapshot, node: str, info) -> TaskNode:
    kind = info.at[node, "kind"] if node in info.index else None
    path = info.at[node, "path"] if node in info.index else None
    return TaskNode(node, kind if isinstance(kind, str) else None,
                    path if isinstance(path, str) else None, "touch", 0)


def _hours(value: float) -> float:
    return min(16.0, math.ceil(value * 2) / 2)


def _short(node: str) -> str:
    return node.split(":", 1)[1] if ":" in node else node


def rule_plan(spec: Spec, snap: Snapshot, *, title: str = "") -> list[PlannedTask]:
    """The rule-based plan of a spec (see the module docstring); not yet ordered."""
    info = snap.nodes.set_index("id")
    areas: list[CodeArea] = list(spec.code_areas)
    goal = title or spec.problem.split(".")[0]
    if not areas:
        return [PlannedTask(f"Find the code for: {goal}", "No code was found for this idea in "
                            "the map, so no change is planned; " + how_to_name_code(snap)
                            + ".", 2.0)]
    tasks: list[PlannedTask] = []
    change_of: dict[str, int] = {}
    dependents = {a.node: file_dependents(snap, a.node) for a in areas}
    file_users = {a.node: file_dependents(snap, a.node.split(":", 1)[0]) for a in areas}
    for area in areas:
        lines = (area.line_end or 0) - (area.line_start or 0) + 1 if area.line_start else 40
        estimate = _hours(1 + lines / 80 + 0.25 * min(area.impact_count, 20))
        touched = [area.node]
        tasks.append(PlannedTask(
            f"Change {_short(area.node)} ({area.path or area.node})",
            f"{area.reason}. Located at {area.path}:{area.line_start or ''}; "
            f"{area.impact_count} file(s) depend on it.",
            estimate, (), (*(_touch(snap, n, info) for n in touched),
                           *_impact_nodes(snap, touched))))
        change_of[area.node] = len(tasks) - 1
    # an area that depends on another changes after it
    area_files = {a.node: a.node.split(":", 1)[0] for a in areas}
    for a in areas:
        deps = tuple(sorted(change_of[b.node] for b in areas
                            if b.node != a.node and area_files[a.node] in file_users[b.node]
                            and area_files[b.node] not in file_users[a.node]))
        i = change_of[a.node]
        tasks[i] = PlannedTask(tasks[i].title, tasks[i].description, tasks[i].estimate_hours,
                               deps, tasks[i].nodes)
    area_nodes = {area_files[a.node] for a in areas}
    for area in areas:
        others = [d for d in dependents[area.node] if d not in area_nodes][:5]
        if not others:
            continue
        tasks.append(PlannedTask(
            f"Update the dependents of {_short(area.node)}",
            f"Check and adapt {', '.join(others)}"
            f"{' and more' if len(dependents[area.node]) > len(others) else ''} after the change.",
            _hours(0.5 + 0.5 * len(others)), (change_of[area.node],),
            (*(_touch(snap, n, info) for n in others), *_impact_nodes(snap, others))))
    tests = sorted({t for a in areas for t in covering_tests(snap, a.node)})
    tasks.append(PlannedTask(
        f"Tests for: {goal}",
        ("Extend " + ", ".join(tests) if tests else "Add tests") + " to cover: "
        + "; ".join(spec.acceptance[:4]),
        _hours(1 + 0.5 * len(areas)), tuple(range(len(tasks))),
        tuple(_touch(snap, t, info) for t in tests)))
    return tasks


def _model_plan(spec: Spec, snap: Snapshot, provider, *, model: str | None,
                attempts: int) -> list[PlannedTask]:
    info = snap.nodes.set_index("id")
    listing = "\n".join(f"- {a.node} ({a.path}; {a.impact_count} dependent files)"
                        for a in spec.code_areas) or "(none)"
    messages = [
        {"role": "system", "content": (
            "You plan the work of a software spec as tasks. Answer with one JSON object "
            "{\"tasks\": [...]}; each task has a short unique key, a title, a description, "
            "estimate_hours, depends_on (keys of tasks that must be done first; no cycles) and "
            "nodes (ids of map nodes it changes, from the code areas or the map).")},
        {"role": "user", "content": (
            f"Problem: {spec.problem}\nGoals:\n" + "\n".join(f"- {g}" for g in spec.goals)
            + "\nRequirements:\n" + "\n".join(f"- {r}" for r in spec.requirements)
            + "\nAcceptance criteria:\n" + "\n".join(f"- {a}" for a in spec.acceptance)
            + f"\nCode areas:\n{listing}")},
    ]

    def check(data: dict[str, Any]) -> str | None:
        keys = [t["key"] for t in data["tasks"]]
        if len(set(keys)) != len(keys):
            return "task keys must be unique"
        for t in data["tasks"]:
            missing = [d for d in t["depends_on"] if d not in keys]
            if missing:
                return f"task {t['key']!r} depends on unknown keys {missing}"
            for node in t["nodes"]:
                try:
                    snap.resolve(node)
                except GraphQueryError:
                    return f"task {t['key']!r} names node {node!r}, which is not in the map"
        try:
            check_dag(keys, [[keys.index(d) for d in t["depends_on"]] for t in data["tasks"]])
        except PlanCycle as exc:
            return str(exc)
        return None

    answer = ask_json(provider, messages, PLAN_SCHEMA, name="plan", model=model,
                      attempts=attempts, check=check)
    items = answer.data["tasks"]
    keys = [t["key"] for t in items]
    tasks = []
    for t in items:
        touched = list(dict.fromkeys(snap.resolve(n) for n in t["nodes"]))
        tasks.append(PlannedTask(
            t["title"], t.get("description", ""), float(t["estimate_hours"]),
            tuple(keys.index(d) for d in t["depends_on"]),
            (*(_touch(snap, n, info) for n in touched), *_impact_nodes(snap, touched))))
    return tasks
