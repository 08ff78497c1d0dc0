"""Numbered schema migrations, recorded in ``schema_version``.

A database written by an older workbench opens and is upgraded in one transaction per
migration; a database written by a newer one is refused rather than touched. Append new
migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..errors import SchemaTooNew
from .database import inline_parameters


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
        9,
        "search: chunks with their BM25 terms, which blobs and commits are chunked, embedders,"
        " per-snapshot index state",
        """
        CREATE SEQUENCE chunks_id_seq;
        CREATE TABLE chunks (
            id BIGINT PRIMARY KEY,
            blob_sha VARCHAR,
            project_id BIGINT,
            commit_sha VARCHAR,
            chunker_version INTEGER NOT NULL,
            kind VARCHAR NOT NULL,
            symbol VARCHAR,
            node_kind VARCHAR,
            line_start INTEGER,
            line_end INTEGER,
            title VARCHAR,
            text VARCHAR NOT NULL,
            terms UINTEGER[] NOT NULL,
            counts USMALLINT[] NOT NULL,
            length INTEGER NOT NULL
        );
        CREATE TABLE chunk_sources (
            source VARCHAR NOT NULL,
            project_id BIGINT NOT NULL,
            chunker_version INTEGER NOT NULL,
            chunks INTEGER NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (source, project_id, chunker_version)
        );
        CREATE TABLE search_embedders (
            name VARCHAR PRIMARY KEY,
            dim INTEGER NOT NULL,
            table_name VARCHAR NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE search_indexes (
            snapshot_id BIGINT NOT NULL,
            embedder VARCHAR NOT NULL,
            chunks BIGINT NOT NULL,
            chunked_now BIGINT NOT NULL,
            embedded_now BIGINT NOT NULL,
            seconds DOUBLE,
            job_id BIGINT,
            built_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (snapshot_id, embedder)
        );
        """,
    ),
    Migration(
        10,
        "conversations with the codebase: messages, their context and tool calls; model defaults",
        """
        CREATE SEQUENCE conversations_id_seq;
        CREATE TABLE conversations (
            id BIGINT PRIMARY KEY DEFAULT nextval('conversations_id_seq'),
            project_id BIGINT NOT NULL,
            title VARCHAR NOT NULL,
            provider VARCHAR,
            model VARCHAR,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE SEQUENCE messages_id_seq;
        CREATE TABLE messages (
            id BIGINT PRIMARY KEY DEFAULT nextval('messages_id_seq'),
            conversation_id BIGINT NOT NULL,
            role VARCHAR NOT NULL,
            content VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'complete',
            provider VARCHAR,
            model VARCHAR,
            snapshot_id BIGINT,
            latency_seconds DOUBLE,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            context JSON,
            tool_calls JSON,
            citations JSON,
            extracted BOOLEAN NOT NULL DEFAULT false,
            error VARCHAR,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE model_defaults (
            project_id BIGINT PRIMARY KEY,
            provider VARCHAR NOT NULL,
            model VARCHAR,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        11,
        "events: the event log, durable consumers, dead letters, webhook deliveries",
        """
        CREATE SEQUENCE events_id_seq;
        CREATE TABLE events (
            id BIGINT PRIMARY KEY,
            type VARCHAR NOT NULL,
            payload JSON NOT NULL,
            actor VARCHAR NOT NULL,
            project VARCHAR,
            created_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE consumers (
            name VARCHAR PRIMARY KEY,
            acked_id BIGINT NOT NULL DEFAULT 0,
            lease_owner VARCHAR,
            lease_until TIMESTAMPTZ,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE SEQUENCE dead_letters_id_seq;
        CREATE TABLE dead_letters (
            id BIGINT PRIMARY KEY DEFAULT nextval('dead_letters_id_seq'),
            consumer VARCHAR NOT NULL,
            event_id BIGINT NOT NULL,
            event_type VARCHAR NOT NULL,
            attempts INTEGER NOT NULL,
            error VARCHAR NOT NULL,
            status VARCHAR NOT NULL DEFAULT 'dead',
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE webhook_deliveries (
            delivery_id VARCHAR PRIMARY KEY,
            source VARCHAR NOT NULL,
            event VARCHAR,
            repository VARCHAR,
            status VARCHAR NOT NULL,
            detail VARCHAR,
            event_ids JSON,
            received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            finished_at TIMESTAMPTZ
        );
        """,
    ),
    Migration(
        12,
        "ideas, specs, tasks with their dependencies and the nodes they touch, pull request reviews",
        """
        CREATE SEQUENCE ideas_id_seq;
        CREATE TABLE ideas (
            id BIGINT PRIMARY KEY DEFAULT nextval('ideas_id_seq'),
            project_id BIGINT NOT NULL,
            title VARCHAR NOT NULL,
            text VARCHAR NOT NULL DEFAULT '',
            actor VARCHAR NOT NULL DEFAULT 'user',
            source VARCHAR NOT NULL DEFAULT 'user',
            status VARCHAR NOT NULL DEFAULT 'new',
            error VARCHAR,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE SEQUENCE specs_id_seq;
        CREATE TABLE specs (
            id BIGINT PRIMARY KEY DEFAULT nextval('specs_id_seq'),
            idea_id BIGINT NOT NULL UNIQUE,
            snapshot_id BIGINT,
            problem VARCHAR NOT NULL,
            goals JSON NOT NULL,
            requirements JSON NOT NULL,
            acceptance JSON NOT NULL,
            code_areas JSON NOT NULL,
            author VARCHAR NOT NULL,
            model VARCHAR,
            status VARCHAR NOT NULL DEFAULT 'frozen',
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE SEQUENCE tasks_id_seq;
        CREATE TABLE tasks (
            id BIGINT PRIMARY KEY DEFAULT nextval('tasks_id_seq'),
            spec_id BIGINT NOT NULL,
            project_id BIGINT NOT NULL,
            position INTEGER NOT NULL,
            title VARCHAR NOT NULL,
            description VARCHAR NOT NULL DEFAULT '',
            estimate_hours DOUBLE,
            status VARCHAR NOT NULL DEFAULT 'todo',
            branch VARCHAR,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            UNIQUE (spec_id, position)
        );
        CREATE TABLE task_dependencies (
            task_id BIGINT NOT NULL,
            depends_on BIGINT NOT NULL,
            PRIMARY KEY (task_id, depends_on)
        );
        CREATE TABLE task_nodes (
            task_id BIGINT NOT NULL,
            node VARCHAR NOT NULL,
            kind VARCHAR,
            path VARCHAR,
            role VARCHAR NOT NULL,
            distance INTEGER,
            PRIMARY KEY (task_id, node, role)
        );
        CREATE SEQUENCE reviews_id_seq;
        CREATE TABLE reviews (
            id BIGINT PRIMARY KEY DEFAULT nextval('reviews_id_seq'),
            project_id BIGINT NOT NULL,
            event_id BIGINT UNIQUE,
            source VARCHAR NOT NULL DEFAULT 'user',
            number BIGINT,
            title VARCHAR NOT NULL DEFAULT '',
            url VARCHAR,
            head_ref VARCHAR,
            head_sha VARCHAR NOT NULL,
            base_ref VARCHAR,
            base_sha VARCHAR NOT NULL,
            base_snapshot_id BIGINT NOT NULL,
            head_snapshot_id BIGINT NOT NULL,
            verdict VARCHAR NOT NULL,
            reasons JSON NOT NULL,
            counts JSON NOT NULL,
            changed JSON NOT NULL,
            violations JSON NOT NULL,
            impact JSON NOT NULL,
            task_ids JSON NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        13,
        "search chunks without a primary-key index: DuckDB rewrote the whole index at every"
        " checkpoint (seconds per job at 100,000 chunks); ids come from their sequence",
        """
        CREATE TABLE chunks_v13 (
            id BIGINT NOT NULL,
            blob_sha VARCHAR,
            project_id BIGINT,
            commit_sha VARCHAR,
            chunker_version INTEGER NOT NULL,
            kind VARCHAR NOT NULL,
            symbol VARCHAR,
            node_kind VARCHAR,
            line_start INTEGER,
            line_end INTEGER,
            title VARCHAR,
            text VARCHAR NOT NULL,
            terms UINTEGER[] NOT NULL,
            counts USMALLINT[] NOT NULL,
            length INTEGER NOT NULL
        );
        INSERT INTO chunks_v13 SELECT id, blob_sha, project_id, commit_sha, chunker_version, kind,
            symbol, node_kind, line_start, line_end, title, text, terms, counts, length
            FROM chunks ORDER BY id;
        DROP TABLE chunks;
        ALTER TABLE chunks_v13 RENAME TO chunks;
        """,
    ),
    Migration(
        14,
        "one current snapshot per project: refs as given, pins, current_snapshots",
        """
        CREATE TABLE snapshot_refs (
            snapshot_id BIGINT NOT NULL,
            ref VARCHAR NOT NULL,
            default_head BOOLEAN NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        INSERT INTO snapshot_refs (snapshot_id, ref, default_head, recorded_at)
            SELECT s.id, coalesce(s.ref, s.commit_sha),
                   s.ref IS NOT NULL AND s.ref IS NOT DISTINCT FROM p.default_branch, s.mapped_at
            FROM snapshots s JOIN projects p ON p.id = s.project_id;
        CREATE TABLE project_pins (
            project_id BIGINT PRIMARY KEY,
            snapshot_id BIGINT NOT NULL,
            pinned_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE VIEW current_snapshots AS
            WITH heads AS (
                SELECT s.project_id, r.snapshot_id,
                       row_number() OVER (PARTITION BY s.project_id
                                          ORDER BY r.recorded_at DESC, r.snapshot_id DESC) AS rn
                FROM snapshot_refs r JOIN snapshots s ON s.id = r.snapshot_id
                WHERE r.default_head),
            newest AS (SELECT project_id, max(id) AS snapshot_id FROM snapshots GROUP BY project_id)
            SELECT p.name AS project, s.*,
                   CASE WHEN pin.snapshot_id IS NOT NULL THEN 'pinned'
                        WHEN h.snapshot_id IS NOT NULL THEN 'default branch'
                        ELSE 'newest map (none of the default branch head)' END AS chosen_by
            FROM projects p
            LEFT JOIN project_pins pin ON pin.project_id = p.id
            LEFT JOIN heads h ON h.project_id = p.id AND h.rn = 1
            LEFT JOIN newest n ON n.project_id = p.id
            JOIN snapshots s ON s.id = coalesce(pin.snapshot_id, h.snapshot_id, n.snapshot_id);
        DROP VIEW latest_snapshots;
        CREATE VIEW latest_snapshots AS SELECT * EXCLUDE (chosen_by) FROM current_snapshots;
        """,
    ),
    Migration(
        15,
        "batch runs record their owner process and a heartbeat (a killed run is interrupted)",
        """
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        ALTER TABLE runs ADD COLUMN hostname VARCHAR;
        ALTER TABLE runs ADD COLUMN process_started DOUBLE;
        ALTER TABLE runs ADD COLUMN heartbeat_at TIMESTAMPTZ;
        """,
    ),
    Migration(
        16,
        "mined commits say why their file changes are incomplete (over the cap, out of memory)",
        """
        ALTER TABLE commits ADD COLUMN truncated VARCHAR;
        """,
    ),
    Migration(
        17,
        "history that tells the truth about the snapshot: identities as written (each snapshot's"
        " .mailmap applied when read), shallow boundaries, present files, ownership of current"
        " lines",
        """
        ALTER TABLE history_state ADD COLUMN version INTEGER DEFAULT 1;
        ALTER TABLE file_metrics ADD COLUMN present BOOLEAN;
        ALTER TABLE file_metrics ADD COLUMN history_truncated BOOLEAN;
        ALTER TABLE file_metrics ADD COLUMN current_lines BIGINT;
        ALTER TABLE file_metrics ADD COLUMN current_owner VARCHAR;
        ALTER TABLE file_metrics ADD COLUMN current_owner_name VARCHAR;
        ALTER TABLE file_metrics ADD COLUMN current_ownership DOUBLE;
        ALTER TABLE file_metrics ADD COLUMN current_lines_unknown BIGINT;
        CREATE TABLE snapshot_mailmaps (
            snapshot_id BIGINT PRIMARY KEY,
            content VARCHAR NOT NULL
        );
        CREATE TABLE blame_lines (
            project_id BIGINT NOT NULL,
            path VARCHAR NOT NULL,
            blob_sha VARCHAR NOT NULL,
            origin_sha VARCHAR NOT NULL,
            lines BIGINT NOT NULL
        );
        """,
    ),
    Migration(
        19,
        "module_imports shows where each import stands (context, contexts; NULL in older maps)",
        """
        CREATE OR REPLACE VIEW module_imports AS
            SELECT snapshot_id, src AS importer, dst AS imported, weight, line,
                   json_extract_string(attrs, '$.context') AS context,
                   CAST(json_extract(attrs, '$.contexts') AS VARCHAR[]) AS contexts
            FROM edges WHERE kind = 'imports';
        """,
    ),
    Migration(
        22,
        "a snapshot's summary (most imported modules, import cycles) kept once computed",
        """
        CREATE TABLE snapshot_summaries (
            snapshot_id BIGINT NOT NULL,
            version INTEGER NOT NULL,
            most_imported JSON NOT NULL,
            cycles JSON NOT NULL,
            computed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (snapshot_id, version)
        );
        """,
    ),
    Migration(
        23,
        "parse results written in the compact list form (FileFacts.to_json, format 2): a"
        " workbench that reads only the object form refuses the file instead of misreading them",
        """
        COMMENT ON TABLE file_facts IS 'facts: the JSON of FileFacts.to_json (a list led by its
        format number, 2) or, cached before schema 23, the object form (both are read)';
        """,
    ),
    Migration(
        24,
        "what linking a snapshot's Python modules read across modules, so that the next"
        " commit's map can link again only what may have changed (NULL for older maps)",
        """
        CREATE TABLE link_records (
            snapshot_id BIGINT PRIMARY KEY,
            evidence JSON NOT NULL,
            settings JSON NOT NULL
        );
        CREATE TABLE module_links (
            snapshot_id BIGINT NOT NULL,
            module VARCHAR NOT NULL,
            reads VARCHAR[] NOT NULL,
            follows VARCHAR[] NOT NULL,
            calls_resolved INTEGER NOT NULL,
            calls_unresolved INTEGER NOT NULL,
            calls_builtin INTEGER NOT NULL,
            cycle BOOLEAN NOT NULL
        );
        """,
    ),
    Migration(
        25,
        "the module layout of a snapshot's Python files, kept with its link record so that"
        " the next commit's map reads it back instead of working it out (NULL for older maps)",
        "ALTER TABLE link_records ADD COLUMN layout BLOB",
    ),
    Migration(
        26,
        "what a snapshot's history analysis keeps for the next commit's update: the changes"
        " renames moved, the whole change coupling and the stored commits outside its history,"
        " as Arrow streams, with the version of the analysis (none for older maps)",
        """
        CREATE TABLE history_records (
            snapshot_id BIGINT PRIMARY KEY,
            version INTEGER NOT NULL,
            moves BLOB NOT NULL,
            coupling BLOB NOT NULL,
            outside BLOB NOT NULL
        );
        """,
    ),
    Migration(
        27,
        "where each origin's lines of a cached blame are ([first line, count, ...]), so that"
        " the next commit's map carries the blame forward through the diff (NULL for older rows)",
        "ALTER TABLE blame_lines ADD COLUMN runs INTEGER[]",
    ),
    Migration(
        28,
        "each identity's latest commits in a snapshot's history, kept with its analysis record"
        " so that the next commit's update reads only the new commits for the author names"
        " (NULL for older records)",
        "ALTER TABLE history_records ADD COLUMN identities BLOB",
    ),
    Migration(
        29,
        "a snapshot's module layout no longer repeats the import evidence and root choices its"
        " link record keeps, so that a derived map keeps its base's layout bytes as they are"
        " (older bytes are still read; a workbench before this version cannot read the new)",
        "COMMENT ON COLUMN link_records.layout IS 'zlib-compressed JSON: [names, aliases,"
        " unimportable, packages, dir_packages] (the import evidence and root choices are"
        " in evidence)'",
    ),
    Migration(
        30,
        "a derived map shares its edges with the whole map it comes from instead of copying"
        " them: edge_rows holds what each snapshot wrote, edge_roots names the whole map a"
        " derived one reads the rest from, edge_masks the nodes (of the files linked again"
        " since) whose edges it leaves out; edges is the view that joins them, as before",
        """
        ALTER TABLE edges RENAME TO edge_rows;
        CREATE TABLE edge_roots (
            snapshot_id BIGINT PRIMARY KEY,
            root_id BIGINT NOT NULL
        );
        CREATE TABLE edge_masks (
            snapshot_id BIGINT NOT NULL,
            id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL
        );
        CREATE VIEW edge_layers AS
            SELECT snapshot_id, src, dst, kind, weight, line, attrs, 1 AS layer, rowid AS seq
            FROM edge_rows
            UNION ALL
            SELECT r.snapshot_id, e.src, e.dst, e.kind, e.weight, e.line, e.attrs, 0, e.rowid
            FROM edge_roots r JOIN edge_rows e ON e.snapshot_id = r.root_id
            LEFT JOIN edge_masks src_mask
                ON src_mask.snapshot_id = r.snapshot_id AND src_mask.id = e.src
            LEFT JOIN edge_masks dst_mask
                ON dst_mask.snapshot_id = r.snapshot_id AND dst_mask.id = e.dst
                AND dst_mask.kind IN ('class', 'function')
            WHERE e.kind <> 'co_changes'
              AND (src_mask.id IS NULL OR (e.kind = 'contains' AND dst_mask.id IS NULL));
        CREATE VIEW edges AS
            SELECT snapshot_id, src, dst, kind, weight, line, attrs FROM edge_layers;
        """,
    ),
    Migration(
        31,
        "the chunker version a snapshot's search index was built with, so that an index built"
        " before the chunks changed shape is built again on the next search instead of finding"
        " none of the current chunks (NULL for older rows: built again)",
        "ALTER TABLE search_indexes ADD COLUMN chunker_version INTEGER",
    ),
    Migration(
        32,
        "a derived map shares the nodes below its files with the whole map it comes from, as"
        " its edges: node_rows holds what each snapshot wrote (a derived map: its files' nodes,"
        " whose metrics change with any import, its relinked files' and its external"
        " dependencies), node_roots names the whole map a derived one reads the others from,"
        " node_masks the Python files linked again since (whose nodes it leaves out); nodes"
        " is the view that joins them, as before",
        """
        ALTER TABLE nodes RENAME TO node_rows;
        CREATE TABLE node_roots (
            snapshot_id BIGINT PRIMARY KEY,
            root_id BIGINT NOT NULL
        );
        CREATE TABLE node_masks (
            snapshot_id BIGINT NOT NULL,
            path VARCHAR NOT NULL
        );
        CREATE VIEW node_layers AS
            SELECT snapshot_id, id, kind, name, parent, path, line_start, line_end, language,
                   lines, problem, attrs, code_lines, comment_lines, blank_lines, complexity,
                   fan_in, fan_out, pagerank, community, depth, 1 AS layer, rowid AS seq
            FROM node_rows
            UNION ALL
            SELECT r.snapshot_id, n.id, n.kind, n.name, n.parent, n.path, n.line_start,
                   n.line_end, n.language, n.lines, n.problem, n.attrs, n.code_lines,
                   n.comment_lines, n.blank_lines, n.complexity, n.fan_in, n.fan_out,
                   n.pagerank, n.community, n.depth, 0, n.rowid
            FROM node_roots r JOIN node_rows n ON n.snapshot_id = r.root_id
            LEFT JOIN node_masks k ON k.snapshot_id = r.snapshot_id AND k.path = n.path
            WHERE n.kind NOT IN ('external', 'file', 'module', 'package')
              AND (k.path IS NULL OR n.language IS DISTINCT FROM 'python');
        CREATE VIEW nodes AS
            SELECT snapshot_id, id, kind, name, parent, path, line_start, line_end, language,
                   lines, problem, attrs, code_lines, comment_lines, blank_lines, complexity,
                   fan_in, fan_out, pagerank, community, depth
            FROM node_layers;
        """,
    ),
    Migration(
        33,
        "the names each module's reads looked up (other:qualname), so that a changed module's"
        " readers that looked up none of its changed names are not linked again (NULL for"
        " older rows: every reader is)",
        "ALTER TABLE module_links ADD COLUMN read_names VARCHAR[]",
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


def applied_versions(cur: duckdb.DuckDBPyConnection) -> set[int]:
    return {int(v) for (v,) in cur.execute("SELECT version FROM schema_version").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection, path: str = "", migrations=MIGRATIONS) -> int:
    """Bring the schema to the newest version; return the version now in force."""
    cur = con.cursor()
    try:
        version = current_version(cur)
        applied = applied_versions(cur)
        newest = max((m.version for m in migrations), default=0)
        if version > newest:
            raise SchemaTooNew(
                f"database {path} has schema version {version}, newer than this workbench "
                f"knows ({newest}); upgrade the workbench package to open it",
                path=path,
                version=version,
            )
        # every migration not recorded yet, in order: a number left free by one line of
        # development and filled by another is applied too, not skipped for being lower
        upgraded = False
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version in applied:
                continue
            cur.execute("BEGIN TRANSACTION")
            try:
                for statement in _statements(migration.sql):
                    cur.execute(statement)
                # as literals: DuckDB imports pandas to bind any parameter (half a second of
                # the first command on a new data directory)
                cur.execute(inline_parameters(
                    "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                    [migration.version, migration.description]))
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            version = max(version, migration.version)
            upgraded = True
        if upgraded:  # schema changes go into the file, not into a log every open replays
            try:
                cur.execute("CHECKPOINT")
            except duckdb.Error:  # committed in the log all the same; the next fold takes it
                pass
        return version
    finally:
        cur.close()


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]
