"""Reads and writes of the ``projects`` table."""

from __future__ import annotations

from ..domain import Project
from ..errors import ProjectExists, ProjectNotFound
from ..faces import hint
from .database import Database

_COLUMNS = (
    "p.id, p.name, p.source, p.source_kind, p.default_branch, p.clone_path, p.status, "
    "p.created_at, s.id, s.commit_sha, s.mapped_at, p.token_env, p.username, "
    "p.origin"
)
_FROM = "FROM projects p LEFT JOIN current_snapshots s ON s.project_id = p.id"
#: How many registered names an unknown project's error lists.
KNOWN_LISTED = 20


def _project(row: tuple) -> Project:
    return Project(*row)


class ProjectsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, name: str, source: str, source_kind: str, clone_path: str, *,
            token_env: str | None = None, username: str | None = None,
            origin: str = "user") -> Project:
        """Insert a project; ``token_env`` is a variable's name, never a secret."""

        def insert(cur):
            held = cur.execute("SELECT source FROM projects WHERE name = ?", [name]).fetchone()
            if held:
                # the name may be held by a source whose first map failed (a mistyped URL):
                # say which, and how to let go of it, not only how to map it again
                raise ProjectExists(
                    f"a project named {name!r} already exists for {held[0]}; choose another "
                    "name with " + hint(
                        f"--name, map it again with `workbench map {name}`, or forget it with "
                        f"`workbench project remove {name}`",
                        f"name=..., map it again with wb.map({name!r}), or forget it with "
                        f"wb.remove_project({name!r})"),
                    project=name,
                )
            cur.execute(
                "INSERT INTO projects (name, source, source_kind, clone_path, token_env, username,"
                " origin) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [name, source, source_kind, clone_path, token_env, username, origin],
            )

        self.db.write(insert)
        return self.get(name)

    def get(self, name: str) -> Project:
        rows = self.db.query(f"SELECT {_COLUMNS} {_FROM} WHERE p.name = ?", [name])
        if not rows:
            raise ProjectNotFound(
                f"no project named {name!r}.{self.known_hint(name)} Add one with "
                "`workbench project add NAME URL_OR_PATH`",
                project=name,
            )
        return _project(rows[0])

    def known_hint(self, name: str) -> str:
        """What to say of the registered projects when ``name`` is none of them: the closest
        names first (`` Did you mean 'shop'?``), then the known ones (the first
        :data:`KNOWN_LISTED`)."""
        from ..suggest import did_you_mean

        known = [p.name for p in self.list()]
        if not known:
            return " No project is registered yet."
        more = (f" and {len(known) - KNOWN_LISTED} more (`workbench project list`)"
                if len(known) > KNOWN_LISTED else "")
        return (f"{did_you_mean(name, known)} Known projects: "
                f"{', '.join(known[:KNOWN_LISTED])}{more}.")

    def get_by_id(self, project_id: int) -> Project:
        rows = self.db.query(f"SELECT {_COLUMNS} {_FROM} WHERE p.id = ?", [project_id])
        if not rows:
            raise ProjectNotFound(f"no project with id {project_id} (was it removed?)",
                                  project_id=project_id)
        return _project(rows[0])

    def find(self, name: str) -> Project | None:
        rows = self.db.query(f"SELECT {_COLUMNS} {_FROM} WHERE p.name = ?", [name])
        return _project(rows[0]) if rows else None

    def find_by_source(self, source: str) -> Project | None:
        rows = self.db.query(f"SELECT {_COLUMNS} {_FROM} WHERE p.source = ? ORDER BY p.id", [source])
        return _project(rows[0]) if rows else None

    def list(self) -> list[Project]:
        return [_project(r) for r in self.db.query(f"SELECT {_COLUMNS} {_FROM} ORDER BY p.name")]

    def update(self, project_id: int, **values) -> None:
        self.db.write(lambda cur: self.update_in(cur, project_id, **values))

    @staticmethod
    def update_in(cur, project_id: int, **values) -> None:
        """:meth:`update` inside the caller's transaction (with the work it records)."""
        allowed = {"status", "default_branch", "token_env", "username"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot update project columns {sorted(unknown)}")
        sets = ", ".join(f"{k} = ?" for k in values)
        cur.execute(f"UPDATE projects SET {sets}, updated_at = now() WHERE id = ?",
                    [*values.values(), project_id])

    def remove(self, project_id: int) -> None:
        """Delete the project and everything mapped from it, in one transaction."""
        from .ideas import IdeasTable  # the pipeline's tables, loaded when needed

        def delete(cur):
            snaps = "SELECT id FROM snapshots WHERE project_id = ?"
            for table in ("edge_rows", "edge_roots", "edge_masks", "node_rows", "node_roots",
                          "node_masks", "files",
                          "file_metrics", "snapshot_mailmaps",
                          "search_indexes", "snapshot_summaries", "link_records", "module_links",
                          "history_records"):
                cur.execute(f"DELETE FROM {table} WHERE snapshot_id IN ({snaps})", [project_id])
            cur.execute(f"DELETE FROM snapshot_refs WHERE snapshot_id IN ({snaps})", [project_id])
            cur.execute("DELETE FROM project_pins WHERE project_id = ?", [project_id])
            cur.execute("DELETE FROM snapshots WHERE project_id = ?", [project_id])
            cur.execute("DELETE FROM jobs WHERE project_id = ?", [project_id])
            # commit chunks go; blob chunks (project_id NULL) are shared by every project
            for table in ("commits", "file_changes", "history_state", "blame_lines", "chunk_sources",
                          "chunks"):
                cur.execute(f"DELETE FROM {table} WHERE project_id = ?", [project_id])
            IdeasTable.delete_project(cur, project_id)
            cur.execute("DELETE FROM messages WHERE conversation_id IN"
                        " (SELECT id FROM conversations WHERE project_id = ?)", [project_id])
            for table in ("conversations", "model_defaults"):
                cur.execute(f"DELETE FROM {table} WHERE project_id = ?", [project_id])
            cur.execute("DELETE FROM projects WHERE id = ?", [project_id])

        self.db.write_compacting(delete)  # what the deleted rows held, reclaimed
