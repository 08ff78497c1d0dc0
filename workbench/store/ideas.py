"""Reads and writes of the idea → spec → tasks pipeline and of pull request reviews.

Tables: ``ideas``, ``specs`` (one per idea, frozen once written), ``tasks`` with
``task_dependencies`` (task → task it waits for) and ``task_nodes`` (the map nodes a task
touches or may break), and ``reviews``. Writes that make one step of the pipeline are one
transaction each and idempotent: writing a spec for an idea that has one, or tasks for a spec
that has some, returns what is there (agents receive events at least once).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..domain import CodeArea, Idea, Review, Spec, Task, TaskNode
from .database import Database

_IDEA = ("SELECT i.id, p.name, i.title, i.text, i.actor, i.source, i.status, i.created_at, i.error"
         " FROM ideas i JOIN projects p ON p.id = i.project_id")
_SPEC = ("SELECT s.id, s.idea_id, p.name, s.snapshot_id, s.problem, s.goals, s.requirements,"
         " s.acceptance, s.code_areas, s.author, s.model, s.created_at FROM specs s"
         " JOIN ideas i ON i.id = s.idea_id JOIN projects p ON p.id = i.project_id")
_TASK = ("SELECT t.id, t.spec_id, p.name, t.position, t.title, t.description, t.estimate_hours,"
         " t.status, t.branch, t.created_at FROM tasks t JOIN projects p ON p.id = t.project_id")
_REVIEW_COLUMNS = ("id", "project", "source", "number", "title", "url", "head_ref", "head_sha",
                   "base_ref", "base_sha", "base_snapshot_id", "head_snapshot_id", "verdict",
                   "reasons", "counts", "changed", "violations", "impact", "task_ids",
                   "created_at")
_REVIEW = ("SELECT r.id, p.name, r.source, r.number, r.title, r.url, r.head_ref, r.head_sha,"
           " r.base_ref, r.base_sha, r.base_snapshot_id, r.head_snapshot_id, r.verdict,"
           " r.reasons, r.counts, r.changed, r.violations, r.impact, r.task_ids, r.created_at"
           " FROM reviews r JOIN projects p ON p.id = r.project_id")

#: Fields of a code area as stored in ``specs.code_areas`` (a JSON list of objects).
_AREA_FIELDS = tuple(CodeArea.__dataclass_fields__)


def _area(data: dict[str, Any]) -> CodeArea:
    values = {k: data.get(k) for k in _AREA_FIELDS}
    values["impact"] = tuple(values.get("impact") or ())
    values["impact_count"] = int(values.get("impact_count") or 0)
    values["score"] = float(values.get("score") or 0.0)
    return CodeArea(**values)


def _spec(row: tuple) -> Spec:
    (sid, idea_id, project, snapshot_id, problem, goals, reqs, acceptance, areas, author, model,
     created) = row
    return Spec(id=sid, idea_id=idea_id, project=project, snapshot_id=snapshot_id,
                problem=problem, goals=tuple(json.loads(goals)),
                requirements=tuple(json.loads(reqs)), acceptance=tuple(json.loads(acceptance)),
                code_areas=tuple(_area(a) for a in json.loads(areas)), author=author,
                model=model, created_at=created)


def _review(row: tuple) -> Review:
    data = dict(zip(_REVIEW_COLUMNS, row))
    for key in ("reasons", "changed", "violations", "impact", "task_ids"):
        data[key] = tuple(json.loads(data[key]))
    data["counts"] = json.loads(data["counts"])
    return Review(**data)


class IdeasTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- ideas -----------------------------------------------------------------------------------

    def add_idea(self, project_id: int, title: str, text: str, *, actor: str, source: str) -> Idea:
        new_id = self.db.write(lambda cur: cur.execute(
            "INSERT INTO ideas (project_id, title, text, actor, source) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id", [project_id, title, text, actor, source]).fetchone()[0])
        return self.idea(new_id)

    def idea(self, idea_id: int) -> Idea | None:
        rows = self.db.query(f"{_IDEA} WHERE i.id = ?", [idea_id])
        return Idea(*rows[0]) if rows else None

    def ideas(self, project_id: int | None = None) -> list[Idea]:
        if project_id is None:
            return [Idea(*r) for r in self.db.query(f"{_IDEA} ORDER BY i.id")]
        return [Idea(*r) for r in self.db.query(f"{_IDEA} WHERE i.project_id = ? ORDER BY i.id",
                                                [project_id])]

    def set_idea_status(self, idea_id: int, status: str, error: str | None = None) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE ideas SET status = ?, error = ?, updated_at = now() WHERE id = ?",
            [status, error, idea_id]))

    # -- specs -----------------------------------------------------------------------------------

    def add_spec(self, idea_id: int, *, snapshot_id: int | None, problem: str,
                 goals: Iterable[str], requirements: Iterable[str], acceptance: Iterable[str],
                 code_areas: Iterable[CodeArea], author: str, model: str | None
                 ) -> tuple[Spec, bool]:
        """Freeze the spec of an idea; ``(spec, created)``. An idea that has a spec keeps it."""
        areas = [{k: getattr(a, k) for k in _AREA_FIELDS} for a in code_areas]
        for a in areas:
            a["impact"] = list(a["impact"])

        def insert(cur) -> tuple[int, bool]:
            found = cur.execute("SELECT id FROM specs WHERE idea_id = ?", [idea_id]).fetchone()
            if found:
                return found[0], False
            sid = cur.execute(
                "INSERT INTO specs (idea_id, snapshot_id, problem, goals, requirements, acceptance,"
                " code_areas, author, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [idea_id, snapshot_id, problem, json.dumps(list(goals)),
                 json.dumps(list(requirements)), json.dumps(list(acceptance)), json.dumps(areas),
                 author, model]).fetchone()[0]
            cur.execute("UPDATE ideas SET status = 'specified', error = NULL, updated_at = now()"
                        " WHERE id = ?", [idea_id])
            return sid, True

        sid, created = self.db.write(insert)
        return self.spec(sid), created

    def spec(self, spec_id: int) -> Spec | None:
        rows = self.db.query(f"{_SPEC} WHERE s.id = ?", [spec_id])
        return _spec(rows[0]) if rows else None

    def spec_of_idea(self, idea_id: int) -> Spec | None:
        rows = self.db.query(f"{_SPEC} WHERE s.idea_id = ?", [idea_id])
        return _spec(rows[0]) if rows else None

    def specs(self, project_id: int | None = None) -> list[Spec]:
        where, params = ("WHERE i.project_id = ?", [project_id]) if project_id is not None else ("", [])
        return [_spec(r) for r in self.db.query(f"{_SPEC} {where} ORDER BY s.id", params)]

    # -- tasks -----------------------------------------------------------------------------------

    def add_tasks(self, spec_id: int, project_id: int, idea_id: int,
                  tasks: list[dict[str, Any]]) -> tuple[list[int], bool]:
        """Write a spec's plan in one transaction; ``(task ids, created)``.

        Each task is ``{"title", "description", "estimate_hours", "depends_on": [positions],
        "nodes": [TaskNode]}``; ``depends_on`` names earlier entries of ``tasks`` by index. A
        spec that has tasks keeps them (their ids are returned).
        """
        def insert(cur) -> tuple[list[int], bool]:
            found = cur.execute("SELECT id FROM tasks WHERE spec_id = ? ORDER BY position",
                                [spec_id]).fetchall()
            if found:
                return [r[0] for r in found], False
            ids: list[int] = []
            for position, task in enumerate(tasks):
                ids.append(cur.execute(
                    "INSERT INTO tasks (spec_id, project_id, position, title, description,"
                    " estimate_hours) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    [spec_id, project_id, position, task["title"], task.get("description", ""),
                     task.get("estimate_hours")]).fetchone()[0])
            deps = [(ids[i], ids[d]) for i, t in enumerate(tasks) for d in t.get("depends_on", ())]
            if deps:
                cur.executemany("INSERT INTO task_dependencies VALUES (?, ?)", deps)
            nodes = [(ids[i], n.node, n.kind, n.path, n.role, n.distance)
                     for i, t in enumerate(tasks) for n in _unique_nodes(t.get("nodes", ()))]
            if nodes:
                cur.executemany("INSERT INTO task_nodes VALUES (?, ?, ?, ?, ?, ?)", nodes)
            cur.execute("UPDATE ideas SET status = 'planned', error = NULL, updated_at = now()"
                        " WHERE id = ?", [idea_id])
            return ids, True

        return self.db.write(insert)

    def tasks(self, *, project_id: int | None = None, spec_id: int | None = None,
              ids: Iterable[int] | None = None) -> list[Task]:
        clauses, params = [], []
        if project_id is not None:
            clauses.append("t.project_id = ?")
            params.append(project_id)
        if spec_id is not None:
            clauses.append("t.spec_id = ?")
            params.append(spec_id)
        if ids is not None:
            ids = list(ids)
            if not ids:
                return []
            clauses.append(f"t.id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""

        def read(cur):
            rows = cur.execute(f"{_TASK} {where} ORDER BY t.spec_id, t.position", params).fetchall()
            task_ids = [r[0] for r in rows]
            deps: dict[int, list[int]] = {}
            nodes: dict[int, list[TaskNode]] = {}
            if task_ids:
                marks = ", ".join("?" * len(task_ids))
                for tid, dep in cur.execute(
                        f"SELECT task_id, depends_on FROM task_dependencies WHERE task_id IN ({marks})"
                        " ORDER BY depends_on", task_ids).fetchall():
                    deps.setdefault(tid, []).append(dep)
                for tid, node, kind, path, role, distance in cur.execute(
                        f"SELECT task_id, node, kind, path, role, distance FROM task_nodes"
                        f" WHERE task_id IN ({marks}) ORDER BY role DESC, distance NULLS FIRST, node",
                        task_ids).fetchall():
                    nodes.setdefault(tid, []).append(TaskNode(node, kind, path, role, distance))
            return [Task(tid, spec, project, pos, title, desc, est, status,
                         tuple(deps.get(tid, ())), tuple(nodes.get(tid, ())), branch, created)
                    for tid, spec, project, pos, title, desc, est, status, branch, created in rows]

        return self.db.read(read)

    def set_task_status(self, task_ids: Iterable[int], status: str, *,
                        only_from: Iterable[str] | None = None) -> None:
        """Move tasks to ``status`` (only those now in one of ``only_from`` when given)."""
        ids = list(task_ids)
        if not ids:
            return
        sql = (f"UPDATE tasks SET status = ?, updated_at = now() WHERE id IN "
               f"({', '.join('?' * len(ids))})")
        params: list[Any] = [status, *ids]
        if only_from is not None:
            states = list(only_from)
            sql += f" AND status IN ({', '.join('?' * len(states))})"
            params.extend(states)
        self.db.write(lambda cur: cur.execute(sql, params))

    def set_task_branch(self, task_id: int, branch: str) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE tasks SET branch = ?, updated_at = now() WHERE id = ?", [branch, task_id]))

    # -- reviews ---------------------------------------------------------------------------------

    def add_review(self, project_id: int, values: dict[str, Any]) -> tuple[Review, bool]:
        """Store a review; ``(review, created)``. A review of the same event is not repeated."""
        json_keys = ("reasons", "counts", "changed", "violations", "impact", "task_ids")
        columns = ["project_id", *values]
        params = [project_id, *(json.dumps(v, default=str) if k in json_keys else v
                                for k, v in values.items())]

        def insert(cur) -> tuple[int, bool]:
            event_id = values.get("event_id")
            if event_id is not None:
                found = cur.execute("SELECT id FROM reviews WHERE event_id = ?", [event_id]).fetchone()
                if found:
                    return found[0], False
            rid = cur.execute(
                f"INSERT INTO reviews ({', '.join(columns)}) VALUES "
                f"({', '.join('?' * len(columns))}) RETURNING id", params).fetchone()[0]
            return rid, True

        rid, created = self.db.write(insert)
        return self.review(rid), created

    def review(self, review_id: int) -> Review | None:
        rows = self.db.query(f"{_REVIEW} WHERE r.id = ?", [review_id])
        return _review(rows[0]) if rows else None

    def review_of_event(self, event_id: int) -> Review | None:
        rows = self.db.query(f"{_REVIEW} WHERE r.event_id = ?", [event_id])
        return _review(rows[0]) if rows else None

    def reviews(self, project_id: int | None = None) -> list[Review]:
        where, params = ("WHERE r.project_id = ?", [project_id]) if project_id is not None else ("", [])
        return [_review(r) for r in self.db.query(f"{_REVIEW} {where} ORDER BY r.id", params)]

    # -- projects --------------------------------------------------------------------------------

    @staticmethod
    def delete_project(cur, project_id: int) -> None:
        """Delete a project's ideas, specs, tasks and reviews inside the caller's transaction."""
        tasks = "SELECT id FROM tasks WHERE project_id = ?"
        cur.execute(f"DELETE FROM task_dependencies WHERE task_id IN ({tasks})", [project_id])
        cur.execute(f"DELETE FROM task_nodes WHERE task_id IN ({tasks})", [project_id])
        cur.execute("DELETE FROM tasks WHERE project_id = ?", [project_id])
        cur.execute("DELETE FROM specs WHERE idea_id IN (SELECT id FROM ideas WHERE project_id = ?)",
                    [project_id])
        cur.execute("DELETE FROM ideas WHERE project_id = ?", [project_id])
        cur.execute("DELETE FROM reviews WHERE project_id = ?", [project_id])


def _unique_nodes(nodes: Iterable[TaskNode]) -> list[TaskNode]:
    seen: dict[tuple[str, str], TaskNode] = {}
    for n in nodes:
        seen.setdefault((n.node, n.role), n)
    return list(seen.values())
