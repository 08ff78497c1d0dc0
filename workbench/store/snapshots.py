"""Reads and writes of snapshots and their maps (``snapshots``, ``files``, ``nodes``, ``edges``).

A snapshot is written in one transaction together with its files, nodes and edges, so a
reader sees either the whole map or nothing of it. Bulk rows go in as Arrow tables.

``edges`` is a view (schema 30): a whole map's edges are its own rows of ``edge_rows``; a
map derived from an earlier one (:meth:`SnapshotsTable.write_derived`) writes only the edges
its relinked files draw and reads the rest from the whole map at the start of its line (its
root, ``edge_roots``), leaving out those that leave the root's nodes of every file linked
again since (``edge_masks``). A monorepo's re-map after one commit then writes some 20,000
edges instead of copying 875,000.

``nodes`` is such a view too (schema 32), over ``node_rows``: a derived map writes the nodes
of its files (their metrics change with any import: PageRank, communities), those of its
relinked files and its external dependencies, and reads the others (classes, functions,
directories) from its root (``node_roots``) but those of the Python files linked again along
its line (``node_masks``). A monorepo's re-map then writes 100,000 nodes instead of 315,000.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..domain import FILE_KINDS, SnapshotInfo
from ..errors import SnapshotNotFound
from .database import Database, materialized, registered

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

NODE_COLUMNS = ("id", "kind", "name", "parent", "path", "line_start", "line_end", "language",
                "lines", "code_lines", "comment_lines", "blank_lines", "complexity", "fan_in",
                "fan_out", "pagerank", "community", "depth", "problem", "attrs")
EDGE_COLUMNS = ("src", "dst", "kind", "weight", "line", "attrs")
FILE_COLUMNS = ("path", "blob_sha", "size", "language", "status", "reason")

_SELECT = (
    "SELECT s.id, s.project_id, p.name, s.ref, s.commit_sha, s.mapped_at, s.stats, s.parser_version"
    " FROM snapshots s JOIN projects p ON p.id = s.project_id"
)


@dataclass
class MapRest:
    """What a map writes once its history is analysed, inside the transaction that writes
    its rows (:meth:`SnapshotsTable.write`, :meth:`SnapshotsTable.write_derived`): the
    snapshot's statistics (a derived map's without its counts), ``extra_writes(cur,
    snapshot_id)`` (or None), and a derived map's co-change edges (``EDGE_COLUMNS``; a whole
    map's are among its edges)."""

    stats: dict[str, Any]
    extra_writes: "Callable[[Any, int], None] | None" = None
    edges: "pa.Table | None" = None


#: Ids of the base snapshot's nodes of the Python files in ``{table}`` (a derived map's
#: relinked files): the sources of the edges it draws again. Parameter: the base's id.
_RELINKED_IDS = ("SELECT n.id, n.kind FROM nodes n JOIN {table} r ON n.path = r.path"
                 " WHERE n.snapshot_id = ? AND n.language = 'python'")

#: The table of the edges each snapshot wrote itself (``edges`` is the view over it).
EDGE_ROWS = "edge_rows"
#: The table of the nodes each snapshot wrote itself (``nodes`` is the view over it).
NODE_ROWS = "node_rows"

#: A derived map shares its root's edges (and nodes) while the edges (nodes) its base wrote
#: itself stay within this share of the root's; past it, the map copies every edge (node)
#: and starts a line of its own, so that reads of a long line's maps do not slow down.
MAX_OWN_SHARE = 0.25

#: The kinds of the nodes a derived map shares with its root (the view ``node_layers`` of
#: schema 32 reads no others from it): neither files nor external dependencies.
_SHARED_NODES = ("kind NOT IN ('external', "
                 + ", ".join(f"'{kind}'" for kind in sorted(FILE_KINDS)) + ")")


#: The nodes of a snapshot whose file was parsed with a problem (a syntax error, bytes that
#: are no text, a name no import can give): a skipped file's node carries why it was skipped,
#: and counts as skipped, not here. Parameters: the snapshot's id, twice.
_PARSE_PROBLEM = ("problem IS NOT NULL AND problem <> '' AND (path IS NULL OR path NOT IN ("
                  "SELECT path FROM files WHERE snapshot_id = ? AND status = 'skipped'))")


def _line(cur, rows: str, roots: str, base_id: int,
          shared: str = "true") -> tuple[int | None, int, bool]:
    """Where a map derived from ``base_id`` stands in its line, for the rows of the table
    ``rows`` that ``roots`` shares (those where ``shared`` holds): ``(the base's root or
    None when the base is a whole map, the root it would share, whether it shares it)``. It
    shares it while the rows the base wrote itself stay within :data:`MAX_OWN_SHARE` of the
    root's."""
    root = cur.execute(f"SELECT root_id FROM {roots} WHERE snapshot_id = ?",
                       [base_id]).fetchone()
    if root is None:
        return None, base_id, True
    root_id = int(root[0])
    own, whole = cur.execute(
        f"SELECT (SELECT count(*) FROM {rows} WHERE snapshot_id = $base AND {shared}),"
        f" (SELECT count(*) FROM {rows} WHERE snapshot_id = $root AND {shared})",
        {"base": base_id, "root": root_id}).fetchone()
    return root_id, root_id, own <= MAX_OWN_SHARE * whole


def _derived_edges(cur, snapshot_id: int, base_id: int) -> None:
    """The edges a map derived from ``base_id`` keeps of it, but for the co-change edges and
    those drawn again from the relinked files (the temporary table ``relinked``): shared
    with the root of the base's line (the base itself when it is a whole map) where the
    line's own rows stay small (:func:`_line`), else copied."""
    root, root_id, shared = _line(cur, EDGE_ROWS, "edge_roots", base_id)
    if shared:
        cur.execute("INSERT INTO edge_roots (snapshot_id, root_id) VALUES (?, ?)",
                    [snapshot_id, root_id])
        # the root's nodes of every file linked again along the line, this one's added
        cur.execute(
            "INSERT INTO edge_masks (snapshot_id, id, kind) SELECT ?, id, any_value(kind) FROM"
            " (SELECT id, kind FROM edge_masks WHERE snapshot_id = ?"
            f"  UNION ALL {_RELINKED_IDS.format(table='relinked')}) GROUP BY id",
            [snapshot_id, base_id, root_id])
        if root is None:
            return  # every edge of the base is the root's, read through the view
    # the base's edges (its own rows only, when the root's are shared), those of the files
    # linked again left out; a package's containment of its modules is the layout's, not
    # its own code's
    edge_cols = ", ".join(EDGE_COLUMNS)
    cur.execute(
        f"WITH old_ids AS ({_RELINKED_IDS.format(table='relinked')})"
        f" INSERT INTO {EDGE_ROWS} (snapshot_id, {edge_cols}) SELECT ?, {edge_cols}"
        " FROM edge_layers WHERE snapshot_id = ? AND layer >= ? AND kind <> 'co_changes'"
        " AND (src NOT IN (SELECT id FROM old_ids) OR (kind = 'contains' AND dst"
        "      NOT IN (SELECT id FROM old_ids WHERE kind IN ('class', 'function'))))"
        " ORDER BY layer, seq", [base_id, snapshot_id, base_id, 1 if shared else 0])


def _derived_nodes(cur, snapshot_id: int, base_id: int) -> int | None:
    """Share the nodes below the files of the root of the base's line with a map derived
    from ``base_id`` (the temporary table ``relinked``: its relinked files) where the line's
    own rows of them stay small (:func:`_line`). Returns the first layer of the base's nodes
    below its files (in ``node_layers``) the map must copy, or None when it copies none: 1
    when it shares the root's but the base wrote some of its own, 0 when it copies them all."""
    root, root_id, shared = _line(cur, NODE_ROWS, "node_roots", base_id, _SHARED_NODES)
    if not shared:
        return 0
    cur.execute("INSERT INTO node_roots (snapshot_id, root_id) VALUES (?, ?)",
                [snapshot_id, root_id])
    # the Python files linked again along the line, this one's added
    cur.execute("INSERT INTO node_masks (snapshot_id, path) SELECT ?, path FROM"
                " (SELECT path FROM node_masks WHERE snapshot_id = ?"
                "  UNION SELECT path FROM relinked) ORDER BY path", [snapshot_id, base_id])
    return None if root is None else 1


def map_counts(cur, snapshot_id: int) -> dict[str, Any]:
    """The headline counts of a stored map (those of ``build.finish_map`` that its rows
    tell): files, languages, kinds of nodes and edges, dependencies, problems."""
    languages = dict(cur.execute(
        "SELECT language, count(*) FROM files WHERE snapshot_id = ? AND language IS NOT NULL"
        " AND status <> 'ignored' GROUP BY language ORDER BY language", [snapshot_id]).fetchall())
    files, skipped = cur.execute(
        "SELECT count(*), count(*) FILTER (WHERE status = 'skipped') FROM files"
        " WHERE snapshot_id = ?", [snapshot_id]).fetchone()
    edge_kinds = dict(cur.execute("SELECT kind, count(*) FROM edges WHERE snapshot_id = ?"
                                  " GROUP BY kind", [snapshot_id]).fetchall())
    # the nodes in one read (of a derived map's, the view joins its root's)
    classes, functions, external, stdlib, problems = cur.execute(
        "SELECT count(*) FILTER (WHERE kind = 'class'), count(*) FILTER (WHERE kind = 'function'),"
        " count(*) FILTER (WHERE kind = 'external' AND NOT coalesce("
        "   CAST(json_extract(attrs, '$.stdlib') AS BOOLEAN), false)),"
        " count(*) FILTER (WHERE kind = 'external' AND coalesce("
        "   CAST(json_extract(attrs, '$.stdlib') AS BOOLEAN), false)),"
        f" count(*) FILTER (WHERE {_PARSE_PROBLEM})"
        " FROM nodes WHERE snapshot_id = ?", [snapshot_id, snapshot_id]).fetchone()
    return {
        "files": files, "python_files": languages.get("python", 0),
        "source_files": sum(languages.values()), "languages": languages,
        "modules": sum(languages.values()),
        "classes": classes, "functions": functions,
        "import_edges": edge_kinds.get("imports", 0), "call_edges": edge_kinds.get("calls", 0),
        "inherits_edges": edge_kinds.get("inherits", 0), "tests_edges": edge_kinds.get("tests", 0),
        "co_change_edges": edge_kinds.get("co_changes", 0),
        "external_dependencies": external, "stdlib_dependencies": stdlib,
        "parse_problems": problems, "skipped_files": skipped,
    }


def _info(row: tuple) -> SnapshotInfo:
    stats = json.loads(row[6]) if row[6] else {}
    return SnapshotInfo(*row[:6], stats=stats, parser_version=row[7])


class SnapshotsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def write(
        self,
        *,
        project_id: int,
        ref: str | None,
        commit_sha: str,
        parser_version: int,
        job_id: int | None,
        files: pa.Table,
        nodes: pa.Table,
        edges: pa.Table,
        stats: dict[str, Any] | None = None,
        extra_writes: "Callable[[Any, int], None] | None" = None,
        rest: "Callable[[], MapRest] | None" = None,
    ) -> int:
        """Store a whole map in one transaction and return the new snapshot id.

        ``stats`` and ``extra_writes(cur, snapshot_id)`` are given, or ``rest()`` gives them
        (:class:`MapRest`, its ``edges`` unused): it is called inside the transaction once
        the files, nodes and edges are written, and may wait for the map's history, which
        is analysed meanwhile. Called again if the transaction is tried again: it should
        keep its result."""

        def insert(cur) -> int:
            snapshot_id = cur.execute(
                "INSERT INTO snapshots (project_id, ref, commit_sha, parser_version, job_id, stats)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [project_id, ref, commit_sha, parser_version, job_id,
                 json.dumps(stats if rest is None else {})],
            ).fetchone()[0]
            for table, data, columns in (
                ("files", files, FILE_COLUMNS),
                (NODE_ROWS, nodes, NODE_COLUMNS),
                (EDGE_ROWS, edges, EDGE_COLUMNS),
            ):
                cur.register("incoming", data)
                try:
                    cols = ", ".join(columns)
                    cur.execute(
                        f"INSERT INTO {table} (snapshot_id, {cols}) SELECT ?, {cols} FROM incoming",
                        [snapshot_id],
                    )
                finally:
                    cur.unregister("incoming")
            later = None if rest is None else rest()
            if later is not None:
                cur.execute("UPDATE snapshots SET stats = ? WHERE id = ?",
                            [json.dumps(later.stats), snapshot_id])
            extra = extra_writes if later is None else later.extra_writes
            if extra is not None:
                extra(cur, snapshot_id)
            return snapshot_id

        return self.db.write(insert)

    def get(self, snapshot_id: int) -> SnapshotInfo:
        rows = self.db.query(f"{_SELECT} WHERE s.id = ?", [snapshot_id])
        if not rows:
            raise SnapshotNotFound(f"no snapshot with id {snapshot_id}; `workbench project show "
                                   "NAME` lists a project's snapshots", snapshot_id=snapshot_id)
        return _info(rows[0])

    def latest(self, project_id: int, *, commit_sha: str | None = None,
               prefer_ref: str | None = None) -> SnapshotInfo | None:
        """The project's current snapshot (:meth:`current`), or with ``commit_sha`` the newest
        snapshot of that commit, those mapped at ``prefer_ref`` first."""
        if not commit_sha:
            return self.current(project_id)
        rows = self.db.query(
            f"{_SELECT} WHERE s.project_id = ? AND s.commit_sha = ?"
            " ORDER BY (s.ref IS NOT DISTINCT FROM ?) DESC, s.id DESC LIMIT 1",
            [project_id, commit_sha, prefer_ref])
        return _info(rows[0]) if rows else None

    def current(self, project_id: int) -> SnapshotInfo | None:
        """The snapshot that stands for the project (the ``current_snapshots`` view): the pinned
        one, else the newest map of the default branch head made with the configured
        exclusions (maps of tags, old commits or other exclusions never become current), else
        the newest snapshot when no such map exists. None before the first map."""
        rows = self.db.query(
            f"{_SELECT} WHERE s.id = (SELECT id FROM current_snapshots WHERE project_id = ?)",
            [project_id])
        return _info(rows[0]) if rows else None

    def current_id(self, project_id: int) -> tuple[int, str] | None:
        """``(id, chosen_by)`` of the current snapshot (:meth:`current`, :meth:`chosen_by`)
        in one read of the view; None before the first map."""
        rows = self.db.query("SELECT id, chosen_by FROM current_snapshots WHERE project_id = ?",
                             [project_id])
        return (int(rows[0][0]), rows[0][1]) if rows else None

    def chosen_by(self, project_id: int) -> str | None:
        """Why the current snapshot is current: ``pinned``, ``default branch`` or ``newest map
        (none of the default branch head)``."""
        rows = self.db.query("SELECT chosen_by FROM current_snapshots WHERE project_id = ?",
                             [project_id])
        return rows[0][0] if rows else None

    def newest(self, project_id: int) -> SnapshotInfo | None:
        """The project's most recently stored snapshot (any ref), or None before its first map."""
        rows = self.db.query(f"{_SELECT} WHERE s.project_id = ? ORDER BY s.id DESC LIMIT 1",
                             [project_id])
        return _info(rows[0]) if rows else None

    def earlier_versions(self, snapshot_id: int, project_id: int, files: dict[str, str]
                         ) -> list[tuple[str, str | None, bool]]:
        """For the paths of ``files`` (path -> blob sha) whose content the snapshot did not
        have: ``(path, the blob the snapshot had there or None, whether that blob's blame is
        cached)``."""
        import pyarrow as pa

        given = pa.table({"path": pa.array(list(files), pa.string()),
                          "blob_sha": pa.array(list(files.values()), pa.string())})

        def compare(cur):
            with registered(cur, given_files=given):
                return cur.execute(
                    "WITH changed AS (SELECT g.path, f.blob_sha AS before FROM given_files g"
                    "  LEFT JOIN files f ON f.snapshot_id = ? AND f.path = g.path"
                    "  WHERE f.blob_sha IS DISTINCT FROM g.blob_sha)"
                    " SELECT c.path, c.before, count(b.path) > 0 FROM changed c"
                    " LEFT JOIN blame_lines b ON b.project_id = ? AND b.path = c.path"
                    "  AND b.blob_sha = c.before"
                    " GROUP BY c.path, c.before", [snapshot_id, project_id]).fetchall()

        return [(path, before, bool(blamed)) for path, before, blamed in self.db.read(compare)]

    # -- a map derived from an earlier one (workbench.mapping.derive) --------------------

    def base_files(self, snapshot_id: int) -> "pa.Table":
        """The snapshot's files (``FILE_COLUMNS``) with the lines of their file-level node
        (``lines``; NULL without facts), in the order they were written (the commit's, as
        ``git ls-tree`` lists it): what a derived map keeps of the files it does not link
        again, in the order it writes them."""

        def fetch(cur):
            return cur.execute(
                "SELECT f.path, f.blob_sha, f.size, f.language, f.status, f.reason,"
                " n.lines FROM files f LEFT JOIN nodes n"
                " ON n.snapshot_id = f.snapshot_id AND n.path = f.path"
                " AND n.kind IN ('module', 'package', 'file')"
                " WHERE f.snapshot_id = ? ORDER BY f.rowid", [snapshot_id]).to_arrow_table()

        return self.db.read(fetch)

    def import_pairs(self, snapshot_id: int) -> "pa.Table":
        """The snapshot's ``imports`` edges in the order they were drawn: ``src``, ``dst``
        and ``src_path``, the path of the Python file the edge leaves (null for another
        language's). A derived map reads them while it links, before it knows which files
        it links again; :func:`split_import_pairs` then sets theirs apart."""
        return self.db.read(lambda cur: cur.execute(
            "SELECT e.src, e.dst, n.path AS src_path FROM edge_layers e"
            " LEFT JOIN nodes n ON n.snapshot_id = ? AND n.id = e.src"
            "  AND n.language = 'python'"
            " WHERE e.snapshot_id = ? AND e.kind = 'imports' ORDER BY e.layer, e.seq",
            [snapshot_id, snapshot_id]).to_arrow_table())

    def node_metrics(self, snapshot_id: int) -> "pa.Table":
        """id, fan_in, fan_out, pagerank, community of the snapshot's file-level nodes."""
        return self.db.read(lambda cur: cur.execute(
            "SELECT id, fan_in, fan_out, pagerank, community FROM nodes WHERE snapshot_id = ?"
            " AND kind IN ('module', 'package', 'file') AND path IS NOT NULL",
            [snapshot_id]).to_arrow_table())

    def write_derived(self, *, base_id: int, project_id: int, ref: str | None, commit_sha: str,
                      parser_version: int, job_id: int | None, files: pa.Table,
                      relinked: list[str], nodes: pa.Table, edges: pa.Table,
                      metrics: "Callable[[], pa.Table]", counts: dict[str, Any],
                      rest: "Callable[[], MapRest]") -> int:
        """Store a map derived from snapshot ``base_id`` in one transaction and return its id.

        ``files`` are the rows of the files whose contents changed; the others' are the
        base's. The rows of the Python files ``relinked`` (their nodes, and the edges leaving
        them) are ``nodes`` and ``edges``; every other node is the base's, with ``metrics()``
        (id, fan_in, fan_out, pagerank, community) for every file-level node, called once
        the files, the edges and the nodes that take no metrics are written (a map computes
        them meanwhile); the file-level nodes are written last. The other nodes and edges are
        shared with the base's line or copied in SQL (:func:`_derived_nodes`,
        :func:`_derived_edges`). External dependencies are kept while an edge still reaches
        them: each map writes its own.

        ``rest()`` gives what depends on the map's history (:class:`MapRest`): it is
        called inside the transaction once those rows are written, and may wait for the
        analysis, which runs meanwhile (on a monorepo the copy takes seconds, as long as the
        analysis). Its co-change edges are written, the map's counts (:func:`map_counts`,
        merged with ``counts``) added to its ``stats``, then ``extra_writes(cur, id)`` runs.
        Called again if the transaction is tried again: it should keep its result.
        """
        import pyarrow as pa

        relinked_table = pa.table({"path": pa.array(relinked, pa.string())})
        node_cols = ", ".join(NODE_COLUMNS)
        edge_cols = ", ".join(EDGE_COLUMNS)
        metric_cols = ("fan_in", "fan_out", "pagerank", "community")
        from_base = ", ".join(f"m.{c}" if c in metric_cols else f"n.{c}" for c in NODE_COLUMNS)
        # the nodes below the files (classes, functions, directories) have no metrics
        no_metrics = ", ".join(f"NULL AS {c}" if c in metric_cols else f"n.{c}"
                               for c in NODE_COLUMNS)
        file_kinds = ", ".join(f"'{kind}'" for kind in sorted(FILE_KINDS))
        # the base's nodes the map copies (from the first layer _derived_nodes gives)
        base_nodes = ("FROM node_layers n {join} WHERE n.snapshot_id = ? AND n.layer >= ?"
                      " AND n.kind <> 'external' AND n.kind {test} (" + file_kinds + ")"
                      " AND NOT coalesce(n.language = 'python'"
                      "                  AND n.path IN (SELECT path FROM relinked), false)"
                      " ORDER BY n.layer, n.seq")
        new_nodes = ("FROM new_nodes n {join} WHERE n.kind <> 'external'"
                     " AND n.kind {test} (" + file_kinds + ")")

        def insert(cur) -> int:
            snapshot_id = cur.execute(
                "INSERT INTO snapshots (project_id, ref, commit_sha, parser_version, job_id, stats)"
                " VALUES (?, ?, ?, ?, ?, '{}') RETURNING id",
                [project_id, ref, commit_sha, parser_version, job_id]).fetchone()[0]
            with materialized(cur, incoming_files=files, relinked=relinked_table,
                              new_nodes=nodes, new_edges=edges):
                # the base's files, the changed ones' rows in their place: copied in the
                # database (100,000 rows from Arrow cost the commit a quarter of a second)
                changed = ", ".join(f"CASE WHEN c.path IS NULL THEN f.{col} ELSE c.{col} END"
                                    for col in FILE_COLUMNS[1:])
                cur.execute(f"INSERT INTO files (snapshot_id, {', '.join(FILE_COLUMNS)})"
                            f" SELECT ?, f.path, {changed} FROM files f"
                            " LEFT JOIN incoming_files c ON c.path = f.path"
                            " WHERE f.snapshot_id = ? ORDER BY f.rowid", [snapshot_id, base_id])
                _derived_edges(cur, snapshot_id, base_id)
                cur.execute(f"INSERT INTO {EDGE_ROWS} (snapshot_id, {edge_cols})"
                            f" SELECT ?, {edge_cols} FROM new_edges", [snapshot_id])
                # the metrics may still be computed while the files and edges are written,
                # and the nodes that take none: the external dependencies an edge still
                # reaches, and those below the files (on a monorepo two thirds of the rows)
                cur.execute(
                    f"INSERT INTO {NODE_ROWS} (snapshot_id, {node_cols})"
                    f" SELECT ?, {node_cols} FROM ("
                    f"  SELECT {node_cols}, 0 AS first FROM nodes"
                    "   WHERE snapshot_id = ? AND kind = 'external'"
                    f"  UNION ALL SELECT {node_cols}, 1 AS first FROM new_nodes"
                    "   WHERE kind = 'external') x"
                    " WHERE id IN (SELECT dst FROM edges WHERE snapshot_id = ?)"
                    " QUALIFY row_number() OVER (PARTITION BY id ORDER BY first) = 1",
                    [snapshot_id, base_id, snapshot_id])
                copied = _derived_nodes(cur, snapshot_id, base_id)
                into_nodes = f"INSERT INTO {NODE_ROWS} (snapshot_id, {node_cols}) SELECT ?, "
                if copied is not None:
                    cur.execute(into_nodes + no_metrics + " "
                                + base_nodes.format(join="", test="NOT IN"),
                                [snapshot_id, base_id, copied])
                cur.execute(into_nodes + no_metrics + " "
                            + new_nodes.format(join="", test="NOT IN"), [snapshot_id])
                # the files' nodes, every one with the metrics computed meanwhile
                with materialized(cur, node_metrics=metrics()):
                    join = "LEFT JOIN node_metrics m ON m.id = n.id"
                    cur.execute(into_nodes + from_base + " "
                                + base_nodes.format(join=join, test="IN"),
                                [snapshot_id, base_id, 0])
                    cur.execute(into_nodes + from_base + " "
                                + new_nodes.format(join=join, test="IN"), [snapshot_id])
            # the structural counts: the co-change edges come next, between files only
            counted = map_counts(cur, snapshot_id)
            later = rest()
            with registered(cur, co_change_edges=later.edges):
                cur.execute(f"INSERT INTO {EDGE_ROWS} (snapshot_id, {edge_cols})"
                            f" SELECT ?, {edge_cols} FROM co_change_edges", [snapshot_id])
            counted["co_change_edges"] = later.edges.num_rows
            stats = dict(later.stats)
            stats.update(counted, **counts)
            cur.execute("UPDATE snapshots SET stats = ? WHERE id = ?",
                        [json.dumps(stats), snapshot_id])
            if later.extra_writes is not None:
                later.extra_writes(cur, snapshot_id)
            return snapshot_id

        return self.db.write(insert)

    def of_commit(self, project_id: int, commit_sha: str) -> list[SnapshotInfo]:
        """Every snapshot of one commit, newest first."""
        rows = self.db.query(f"{_SELECT} WHERE s.project_id = ? AND s.commit_sha = ?"
                             " ORDER BY s.id DESC", [project_id, commit_sha])
        return [_info(r) for r in rows]

    def summary(self, snapshot_id: int, version: int) -> tuple[list, list] | None:
        """The stored summary of a snapshot, ``(most_imported, cycles)``, or None: the most
        imported modules as ``[module, importers]`` pairs (most first) and the import cycles
        as lists of members, as :meth:`put_summary` stored them under ``version``."""
        rows = self.db.query("SELECT most_imported, cycles FROM snapshot_summaries"
                             " WHERE snapshot_id = ? AND version = ?", [snapshot_id, version])
        return (json.loads(rows[0][0]), json.loads(rows[0][1])) if rows else None

    def put_summary(self, snapshot_id: int, version: int, most_imported: list,
                    cycles: list) -> None:
        """Keep a snapshot's summary (maps are immutable: it never goes stale)."""
        self.db.write(lambda cur: cur.execute(
            "INSERT OR IGNORE INTO snapshot_summaries (snapshot_id, version, most_imported, cycles)"
            " VALUES (?, ?, ?, ?)", [snapshot_id, version, json.dumps(most_imported),
                                     json.dumps(cycles)]))

    @staticmethod
    def record_ref(cur, snapshot_id: int, ref: str, *, default_head: bool) -> None:
        """Note that ``ref`` (as the user gave it) was mapped to ``snapshot_id``; a map of the
        default branch head with the configured exclusions is a ``default_head`` one, a
        candidate for current."""
        cur.execute("INSERT INTO snapshot_refs (snapshot_id, ref, default_head) VALUES (?, ?, ?)",
                    [snapshot_id, ref, default_head])

    def add_refs(self, snapshot_id: int, refs: list[str]) -> None:
        """Record further names of a snapshot (more tags on its commit); never current ones."""
        if refs:
            self.db.write(lambda cur: [self.record_ref(cur, snapshot_id, r, default_head=False)
                                       for r in refs])

    def refs(self, snapshot_ids: list[int]) -> dict[int, list[str]]:
        """The refs each snapshot was mapped as, first given first (no duplicates)."""
        if not snapshot_ids:
            return {}
        rows = self.db.query(
            "SELECT snapshot_id, ref, min(recorded_at) AS first FROM snapshot_refs"
            " WHERE list_contains(?, snapshot_id) GROUP BY snapshot_id, ref"
            " ORDER BY snapshot_id, first", [list(snapshot_ids)])
        found: dict[int, list[str]] = {}
        for sid, ref, _ in rows:
            found.setdefault(sid, []).append(ref)
        return found

    def pin(self, project_id: int, snapshot_id: int | None) -> None:
        """Make ``snapshot_id`` the project's current snapshot until unpinned (None)."""

        def work(cur):
            cur.execute("DELETE FROM project_pins WHERE project_id = ?", [project_id])
            if snapshot_id is not None:
                cur.execute("INSERT INTO project_pins (project_id, snapshot_id) VALUES (?, ?)",
                            [project_id, snapshot_id])

        self.db.write(work)

    def list(self, project_id: int | None = None) -> list[SnapshotInfo]:
        if project_id is None:
            rows = self.db.query(f"{_SELECT} ORDER BY s.id")
        else:
            rows = self.db.query(f"{_SELECT} WHERE s.project_id = ? ORDER BY s.id", [project_id])
        return [_info(r) for r in rows]

    def nodes(self, snapshot_id: int) -> pd.DataFrame:
        cols = ", ".join(NODE_COLUMNS)
        return self.db.query_df(
            f"SELECT {cols} FROM nodes WHERE snapshot_id = ? ORDER BY id", [snapshot_id]
        )

    def edges(self, snapshot_id: int) -> pd.DataFrame:
        cols = ", ".join(EDGE_COLUMNS)
        return self.db.query_df(
            f"SELECT {cols} FROM edges WHERE snapshot_id = ? ORDER BY kind, src, dst",
            [snapshot_id],
        )

    def problems(self, snapshot_id: int) -> pd.DataFrame:
        """The files the map could not read whole (see :meth:`Snapshot.problems`): ``path,
        language, status, problem``, skipped files first, then by path."""
        return self.db.query_df(
            "SELECT path, language, status, reason AS problem FROM files"
            " WHERE snapshot_id = ? AND status = 'skipped'"
            " UNION ALL"
            " SELECT path, any_value(language), 'parsed', any_value(problem) FROM nodes"
            f" WHERE snapshot_id = ? AND path IS NOT NULL AND {_PARSE_PROBLEM} GROUP BY path"
            " ORDER BY status DESC, path", [snapshot_id, snapshot_id, snapshot_id])

    def files(self, snapshot_id: int) -> pd.DataFrame:
        cols = ", ".join(FILE_COLUMNS)
        return self.db.query_df(
            f"SELECT {cols} FROM files WHERE snapshot_id = ? ORDER BY path", [snapshot_id]
        )

    def arrow(self, snapshot_id: int, *, node_kinds: list[str] | None = None,
              edge_kinds: list[str] | None = None) -> tuple[pa.Table, pa.Table]:
        """Nodes and edges as Arrow tables, the fast path for building a graph.

        ``node_kinds`` / ``edge_kinds`` filter in SQL, so a slice of a large map (say modules
        and imports only) is read without loading the rest; edges keep both ends in the slice.
        """

        def fetch(cur):
            n_where, n_params = "snapshot_id = ?", [snapshot_id]
            if node_kinds is not None:
                n_where += " AND list_contains(?, kind)"
                n_params.append(list(node_kinds))
            # in id order, not the order the rows were written in: a graph's answers (which of
            # two equally short chains a query shows) then depend on the map alone, the same
            # for a whole map and for one derived from the last (copied rows come first there)
            n = cur.execute(
                f"SELECT {', '.join(NODE_COLUMNS)} FROM nodes WHERE {n_where} ORDER BY id",
                n_params).to_arrow_table()
            e_where, e_params = "e.snapshot_id = ?", [snapshot_id]
            if edge_kinds is not None:
                e_where += " AND list_contains(?, e.kind)"
                e_params.append(list(edge_kinds))
            if node_kinds is not None:
                e_where += (" AND EXISTS (SELECT 1 FROM nodes a WHERE a.snapshot_id = e.snapshot_id"
                            " AND a.id = e.src AND list_contains(?, a.kind))"
                            " AND EXISTS (SELECT 1 FROM nodes b WHERE b.snapshot_id = e.snapshot_id"
                            " AND b.id = e.dst AND list_contains(?, b.kind))")
                e_params += [list(node_kinds), list(node_kinds)]
            cols = ", ".join(f"e.{c}" for c in EDGE_COLUMNS)
            e = cur.execute(f"SELECT {cols} FROM edges e WHERE {e_where}", e_params).to_arrow_table()
            return n, e

        return self.db.read(fetch)


def split_import_pairs(pairs: "pa.Table", paths: list[str]) -> "tuple[pa.Table, pa.Table]":
    """(src, dst) of :meth:`SnapshotsTable.import_pairs`' edges, in their order: those leaving
    the Python files ``paths``, and all the others."""
    import pyarrow as pa
    import pyarrow.compute as pc

    theirs = pc.fill_null(pc.is_in(pairs.column("src_path"),
                                   value_set=pa.array(paths, pa.string())), False)
    pairs = pairs.select(["src", "dst"])
    return pairs.filter(theirs), pairs.filter(pc.invert(theirs))

