"""Numbered schema migrations, recorded in ``schema_version``.

A database written by an older workbench opens and is upgraded in one transaction per
migration; a database written by a newer one is refused rather than touched. Append new
migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..errors import SchemaTooNew


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "projects, snapshots, files, nodes, edges, file facts, jobs",
        """
        CREATE SEQUENCE projects_id_seq;
        CREATE TABLE projects (
            id BIGINT PRIMARY KEY DEFAULT nextval('projects_id_seq'),
            name VARCHAR NOT NULL UNIQUE,
            source VARCHAR NOT NULL,
            source_kind VARCHAR NOT NULL,
            default_branch VARCHAR,
            clone_path VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'registered',
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE SEQUENCE snapshots_id_seq;
        CREATE TABLE snapshots (
            id BIGINT PRIMARY KEY DEFAULT nextval('snapshots_id_seq'),
            project_id BIGINT NOT NULL,
            ref VARCHAR,
            commit_sha VARCHAR NOT NULL,
            mapped_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            parser_version INTEGER NOT NULL,
            job_id BIGINT,
            stats JSON
        );
        CREATE TABLE files (
            snapshot_id BIGINT NOT NULL,
            path VARCHAR NOT NULL,
            blob_sha VARCHAR NOT NULL,
            size BIGINT,
            language VARCHAR,
            status VARCHAR NOT NULL,
            reason VARCHAR
        );
        CREATE TABLE nodes (
            snapshot_id BIGINT NOT NULL,
            id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            parent VARCHAR,
            path VARCHAR,
            line_start INTEGER,
            line_end INTEGER,
            language VARCHAR,
            lines INTEGER,
            problem VARCHAR,
            attrs JSON
        );
        CREATE TABLE edges (
            snapshot_id BIGINT NOT NULL,
            src VARCHAR NOT NULL,
            dst VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            weight INTEGER NOT NULL DEFAULT 1,
            line INTEGER,
            attrs JSON
        );
        CREATE TABLE file_facts (
            blob_sha VARCHAR NOT NULL,
            parser VARCHAR NOT NULL,
            parser_version INTEGER NOT NULL,
            facts JSON NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (blob_sha, parser, parser_version)
        );
        CREATE SEQUENCE jobs_id_seq;
        CREATE TABLE jobs (
            id BIGINT PRIMARY KEY DEFAULT nextval('jobs_id_seq'),
            type VARCHAR NOT NULL,
            project_id BIGINT,
            params JSON,
            status VARCHAR NOT NULL,
            progress_done BIGINT NOT NULL DEFAULT 0,
            progress_total BIGINT,
            message VARCHAR,
            attempts INTEGER NOT NULL DEFAULT 0,
            error VARCHAR,
            result JSON,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            heartbeat_at TIMESTAMPTZ
        );
        """,
    ),
    Migration(
        2,
        "structural metrics on nodes",
        """
        ALTER TABLE nodes ADD COLUMN code_lines INTEGER;
        ALTER TABLE nodes ADD COLUMN comment_lines INTEGER;
        ALTER TABLE nodes ADD COLUMN blank_lines INTEGER;
        ALTER TABLE nodes ADD COLUMN complexity INTEGER;
        ALTER TABLE nodes ADD COLUMN fan_in INTEGER;
        ALTER TABLE nodes ADD COLUMN fan_out INTEGER;
        ALTER TABLE nodes ADD COLUMN pagerank DOUBLE;
        ALTER TABLE nodes ADD COLUMN community INTEGER;
        ALTER TABLE nodes ADD COLUMN depth INTEGER;
        """,
    ),
    Migration(
        3,
        "mined history and behavioural metrics per snapshot",
        """
        CREATE TABLE commits (
            project_id BIGINT NOT NULL,
            sha VARCHAR NOT NULL,
            author_name VARCHAR,
            author_email VARCHAR,
            authored_at TIMESTAMPTZ,
            committer_name VARCHAR,
            committer_email VARCHAR,
            committed_at TIMESTAMPTZ,
            subject VARCHAR,
            parents VARCHAR[],
            is_merge BOOLEAN
        );
        CREATE TABLE file_changes (
            project_id BIGINT NOT NULL,
            sha VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            old_path VARCHAR,
            added BIGINT,
            deleted BIGINT,
            "binary" BOOLEAN
        );
        CREATE TABLE history_state (
            project_id BIGINT PRIMARY KEY,
            checkpoint VARCHAR[] NOT NULL,
            commits BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE file_metrics (
            snapshot_id BIGINT NOT NULL,
            path VARCHAR NOT NULL,
            churn_30d BIGINT, commits_30d BIGINT,
            churn_90d BIGINT, commits_90d BIGINT,
            churn_365d BIGINT, commits_365d BIGINT,
            churn_total BIGINT, commits_total BIGINT,
            added_total BIGINT, deleted_total BIGINT,
            authors BIGINT,
            main_author VARCHAR, main_author_name VARCHAR,
            ownership DOUBLE,
            first_seen TIMESTAMPTZ, last_changed TIMESTAMPTZ,
            code_age_days DOUBLE,
            knowledge_loss BOOLEAN,
            lines DOUBLE,
            hotspot DOUBLE
        );
        """,
    ),
    Migration(
        4,
        "views and table macros for querying maps in plain SQL",
        """
        CREATE VIEW latest_snapshots AS
            SELECT p.name AS project, s.*
            FROM snapshots s JOIN projects p ON p.id = s.project_id
            WHERE s.id = (SELECT max(id) FROM snapshots x WHERE x.project_id = s.project_id);
        CREATE VIEW map_nodes AS
            SELECT p.name AS project, s.commit_sha, n.*
            FROM nodes n JOIN snapshots s ON s.id = n.snapshot_id JOIN projects p ON p.id = s.project_id;
        CREATE VIEW map_edges AS
            SELECT p.name AS project, s.commit_sha, e.*
            FROM edges e JOIN snapshots s ON s.id = e.snapshot_id JOIN projects p ON p.id = s.project_id;
        CREATE VIEW module_imports AS
            SELECT snapshot_id, src AS importer, dst AS imported, weight, line
            FROM edges WHERE kind = 'imports';
        CREATE VIEW file_hotspots AS
            SELECT n.snapshot_id, n.id AS node, m.*
            FROM file_metrics m JOIN nodes n ON n.snapshot_id = m.snapshot_id AND n.path = m.path
            WHERE n.kind IN ('module', 'package', 'file');
        CREATE MACRO wb_related(snap, start_node, max_depth, edge_kinds) AS TABLE
            WITH RECURSIVE walk(node, distance) USING KEY (node) AS (
                SELECT start_node, 0
                UNION
                SELECT nb.node, w.distance + 1
                FROM walk w
                JOIN (SELECT src AS here, dst AS node FROM edges
                        WHERE snapshot_id = snap AND list_contains(edge_kinds, kind)
                      UNION ALL
                      SELECT dst AS here, src AS node FROM edges
                        WHERE snapshot_id = snap AND list_contains(edge_kinds, kind)) nb
                  ON nb.here = w.node
                LEFT JOIN recurring.walk seen ON seen.node = nb.node
                WHERE seen.node IS NULL AND w.distance < max_depth
            )
            SELECT node, distance FROM walk WHERE distance > 0;
        CREATE MACRO wb_impact(snap, target_node, edge_kinds) AS TABLE
            WITH RECURSIVE walk(node, distance) USING KEY (node) AS (
                SELECT target_node, 0
                UNION
                SELECT e.src, w.distance + 1
                FROM walk w
                JOIN edges e ON e.snapshot_id = snap AND e.dst = w.node
                    AND list_contains(edge_kinds, e.kind)
                LEFT JOIN recurring.walk seen ON seen.node = e.src
                WHERE seen.node IS NULL
            )
            SELECT node, distance FROM walk WHERE distance > 0;
        CREATE MACRO wb_dependencies(snap, source_node, edge_kinds) AS TABLE
            WITH RECURSIVE walk(node, distance) USING KEY (node) AS (
                SELECT source_node, 0
                UNION
                SELECT e.dst, w.distance + 1
                FROM walk w
                JOIN edges e ON e.snapshot_id = snap AND e.src = w.node
                    AND list_contains(edge_kinds, e.kind)
                LEFT JOIN recurring.walk seen ON seen.node = e.dst
                WHERE seen.node IS NULL
            )
            SELECT node, distance FROM walk WHERE distance > 0;
        """,
    ),
    Migration(
        5,
        "batch runs and their schedules",
        """
        CREATE SEQUENCE schedules_id_seq;
        CREATE TABLE schedules (
            id BIGINT PRIMARY KEY DEFAULT nextval('schedules_id_seq'),
            name VARCHAR NOT NULL UNIQUE,
            notebook VARCHAR NOT NULL,
            parameters JSON NOT NULL,
            cron VARCHAR NOT NULL,
            enabled BOOLEAN NOT NULL DEFAULT true,
            catch_up VARCHAR NOT NULL DEFAULT 'latest',
            next_due TIMESTAMPTZ NOT NULL,
            last_run_id BIGINT,
            claimed_by VARCHAR,
            claimed_at TIMESTAMPTZ,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE SEQUENCE runs_id_seq;
        CREATE TABLE runs (
            id BIGINT PRIMARY KEY DEFAULT nextval('runs_id_seq'),
            notebook VARCHAR NOT NULL,
            parameters JSON NOT NULL,
            status VARCHAR NOT NULL,
            schedule_id BIGINT,
            scheduled_for TIMESTAMPTZ,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            started_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            duration_seconds DOUBLE,
            output_ipynb VARCHAR,
            output_html VARCHAR,
            error_cell INTEGER,
            error VARCHAR,
            runner VARCHAR
        );
        """,
    ),
    Migration(
        6,
        "robust jobs: attempts' errors, owner process, cancel flag; store health notes",
        """
        ALTER TABLE jobs ADD COLUMN max_attempts INTEGER DEFAULT 1;
        ALTER TABLE jobs ADD COLUMN errors JSON DEFAULT '[]';
        ALTER TABLE jobs ADD COLUMN pid INTEGER;
        ALTER TABLE jobs ADD COLUMN hostname VARCHAR;
        ALTER TABLE jobs ADD COLUMN process_started DOUBLE;
        ALTER TABLE jobs ADD COLUMN cancel_requested BOOLEAN DEFAULT false;
        CREATE TABLE store_health (
            key VARCHAR PRIMARY KEY,
            value VARCHAR,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE SEQUENCE store_notices_id_seq;
        CREATE TABLE store_notices (
            id BIGINT PRIMARY KEY DEFAULT nextval('store_notices_id_seq'),
            noted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            kind VARCHAR NOT NULL,
            message VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        7,
        "projects name the environment variable holding their token (never the token)",
        """
        ALTER TABLE projects ADD COLUMN token_env VARCHAR;
        ALTER TABLE projects ADD COLUMN username VARCHAR;
        """,
    ),
    Migration(
        8,
        "who gave a project's location (agents' and webhooks' are pinned when git connects)",
        """
        ALTER TABLE projects ADD COLUMN origin VARCHAR DEFAULT 'user';
        """,
    ),
    Migration(
        13,
        "batch runs record their owner process and a heartbeat (a killed run is interrupted)",
        """
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        ALTER TABLE runs ADD COLUMN hostname VARCHAR;
        ALTER TABLE runs ADD COLUMN process_started DOUBLE;
        ALTER TABLE runs ADD COLUMN heartbeat_at TIMESTAMPTZ;
        """,
    ),
    Migration(
        14,
        "mined commits say why their file changes are incomplete (over the cap, out of memory)",
        """
        ALTER TABLE commits ADD COLUMN truncated VARCHAR;
        """,
    ),
)

LATEST_VERSION = max(m.version for m in MIGRATIONS)


def current_version(cur: duckdb.DuckDBPyConnection) -> int:
    cur.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, description VARCHAR,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    row = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, path: str = "", migrations=MIGRATIONS) -> int:
    """Bring the schema to the newest version; return the version now in force.

    Every migration not yet recorded in ``schema_version`` is applied, in order of version,
    including one numbered below the newest applied (versions may be numbered with gaps
    and filled in later); each runs in its own transaction.
    """
    cur = con.cursor()
    try:
        version = current_version(cur)
        applied = {row[0] for row in cur.execute("SELECT version FROM schema_version").fetchall()}
        newest = max((m.version for m in migrations), default=0)
        if version > newest:
            raise SchemaTooNew(
                f"database {path} has schema version {version}, newer than this workbench "
                f"knows ({newest}); upgrade the workbench package to open it",
                path=path,
                version=version,
            )
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in applied:
                continue
            cur.execute("BEGIN TRANSACTION")
            try:
                for statement in _statements(migration.sql):
                    cur.execute(statement)
                cur.execute(
                    "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                    [migration.version, migration.description],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            version = max(version, migration.version)
        return version
    finally:
        cur.close()


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]
