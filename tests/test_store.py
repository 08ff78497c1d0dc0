"""The DuckDB file: migrations, short units of work, locks held by other processes."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time

import duckdb
import pytest

from workbench.errors import DatabaseLocked, SchemaTooNew, StoreError
from workbench.store import Store
from workbench.store import database
from workbench.store.database import Database, someone_waits
from workbench.store.migrations import LATEST_VERSION, MIGRATIONS, Migration, migrate


def test_new_database_records_every_migration(tmp_path):
    store = Store(tmp_path / "wb.duckdb")
    rows = store.db.query("SELECT version, description FROM schema_version ORDER BY version")
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    assert store.schema_version() == LATEST_VERSION
    tables = {r[0] for r in store.db.query("SELECT table_name FROM information_schema.tables")}
    assert {"projects", "snapshots", "nodes", "edges", "files", "file_facts", "jobs"} <= tables


def test_an_older_database_is_upgraded_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, str(path), migrations=MIGRATIONS[:1])
    con.execute("INSERT INTO projects (name, source, source_kind, clone_path) VALUES ('a', '/x', 'path', '/c')")
    con.close()
    newer = (*MIGRATIONS, Migration(LATEST_VERSION + 1, "add a column",
                                   "ALTER TABLE projects ADD COLUMN note VARCHAR DEFAULT 'n'"))
    con = duckdb.connect(str(path))
    assert migrate(con, str(path), migrations=newer) == LATEST_VERSION + 1
    assert con.execute("SELECT name, note FROM projects").fetchall() == [("a", "n")]
    con.close()


def test_the_edges_of_maps_made_before_they_were_shared_stay_as_they_were(tmp_path):
    """Schema 30 makes ``edges`` a view over ``edge_rows`` (what each snapshot wrote) and the
    roots derived maps share: a map made before it keeps every edge, read and written as
    before."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, str(path), migrations=tuple(m for m in MIGRATIONS if m.version < 30))
    con.execute("INSERT INTO edges (snapshot_id, src, dst, kind, line) VALUES"
                " (4, 'a', 'b', 'imports', 1), (4, 'a', 'a.f', 'contains', NULL),"
                " (5, 'c', 'd', 'co_changes', NULL)")
    assert migrate(con, str(path)) == LATEST_VERSION
    for table in ("edges", "edge_rows"):
        assert con.execute(f"SELECT snapshot_id, src, dst, kind, line FROM {table}"
                           " ORDER BY snapshot_id, dst").fetchall() == [
            (4, "a", "a.f", "contains", None), (4, "a", "b", "imports", 1),
            (5, "c", "d", "co_changes", None)]
    # a map derived from snapshot 4 that linked the file of node 'a' again: its edges are
    # the root's but those leaving 'a' (its containment of what is no class or function
    # stays), and its own
    con.execute("INSERT INTO edge_roots VALUES (6, 4)")
    con.execute("INSERT INTO edge_masks VALUES (6, 'a', 'module')")
    con.execute("INSERT INTO edge_rows (snapshot_id, src, dst, kind) VALUES (6, 'a', 'e', 'imports')")
    assert con.execute("SELECT src, dst, kind FROM edges WHERE snapshot_id = 6 ORDER BY dst"
                       ).fetchall() == [("a", "a.f", "contains"), ("a", "e", "imports")]
    con.execute("INSERT INTO edge_masks VALUES (6, 'a.f', 'function')")
    assert con.execute("SELECT dst FROM edges WHERE snapshot_id = 6").fetchall() == [("e",)]
    con.close()


def test_the_nodes_of_maps_made_before_they_were_shared_stay_as_they_were(tmp_path):
    """Schema 32 makes ``nodes`` a view over ``node_rows`` (what each snapshot wrote) and the
    roots derived maps share: a map made before it keeps every node, read and written as
    before; a derived map reads its root's nodes below the files but those of the Python
    files it masks, and writes its files' nodes and external dependencies itself."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, str(path), migrations=tuple(m for m in MIGRATIONS if m.version < 32))
    con.execute("INSERT INTO nodes (snapshot_id, id, kind, name, path, language, fan_in) VALUES"
                " (4, 'a', 'module', 'a', 'a.py', 'python', 2),"
                " (4, 'a.f', 'function', 'f', 'a.py', 'python', NULL),"
                " (4, 'b', 'module', 'b', 'b.py', 'python', 0),"
                " (4, 'b.C', 'class', 'C', 'b.py', 'python', NULL),"
                " (4, 'docs', 'directory', 'docs', 'docs', NULL, NULL),"
                " (4, 'os', 'external', 'os', NULL, NULL, NULL)")
    columns = [r[0] for r in con.execute("DESCRIBE nodes").fetchall()]
    every = con.execute("SELECT * FROM nodes ORDER BY id").fetchall()
    assert migrate(con, str(path)) == LATEST_VERSION
    assert [r[0] for r in con.execute("DESCRIBE nodes").fetchall()] == columns
    for table in ("nodes", "node_rows"):
        assert con.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() == every
    # a map derived from snapshot 4 that linked a.py again: b's class and the directory are
    # the root's; its files' nodes, a.py's and its external dependencies are its own
    con.execute("INSERT INTO node_roots VALUES (6, 4)")
    con.execute("INSERT INTO node_masks VALUES (6, 'a.py')")
    con.execute("INSERT INTO node_rows (snapshot_id, id, kind, name, path, language, fan_in)"
                " VALUES (6, 'a', 'module', 'a', 'a.py', 'python', 1),"
                " (6, 'a.g', 'function', 'g', 'a.py', 'python', NULL),"
                " (6, 'b', 'module', 'b', 'b.py', 'python', 1),"
                " (6, 'sys', 'external', 'sys', NULL, NULL, NULL)")
    assert con.execute("SELECT id, fan_in FROM nodes WHERE snapshot_id = 6 ORDER BY id"
                       ).fetchall() == [("a", 1), ("a.g", None), ("b", 1), ("b.C", None),
                                        ("docs", None), ("sys", None)]
    con.close()


def test_a_derived_map_shares_the_kinds_of_nodes_the_view_reads_from_its_root():
    """The view of schema 32 names the kinds it does not read from a root; the store's
    writes copy the same kinds (the files' and the external dependencies')."""
    from workbench.domain import FILE_KINDS
    from workbench.store.snapshots import _SHARED_NODES

    view = next(m.sql for m in MIGRATIONS if m.version == 32)
    kept = "('external', " + ", ".join(f"'{k}'" for k in sorted(FILE_KINDS)) + ")"
    assert f"n.kind NOT IN {kept}" in view
    assert _SHARED_NODES == f"kind NOT IN {kept}"


def test_a_migration_numbered_below_the_newest_applied_still_runs(tmp_path):
    """Numbers may be reserved with gaps: a database migrated without one (a branch that had
    not got it yet) still gets it later, although newer versions are applied already."""
    # one below the newest, which does not build on it
    later = sorted(MIGRATIONS, key=lambda m: m.version)[-2]
    path = tmp_path / "gap.duckdb"
    con = duckdb.connect(str(path))
    without = tuple(m for m in MIGRATIONS if m.version != later.version)
    assert migrate(con, str(path), migrations=without) == LATEST_VERSION
    assert later.version not in {r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()}
    assert migrate(con, str(path)) == LATEST_VERSION
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
    assert versions == sorted(m.version for m in MIGRATIONS)  # the gap filled, once
    con.close()


def test_a_database_from_a_newer_workbench_is_refused(tmp_path):
    path = tmp_path / "new.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, str(path))
    con.execute("INSERT INTO schema_version (version, description) VALUES (999, 'future')")
    con.close()
    with pytest.raises(SchemaTooNew, match="upgrade the workbench"):
        Store(path).schema_version()


def _open_elsewhere(path) -> str:
    code = f"import duckdb; duckdb.connect({str(path)!r}).close(); print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or out.stderr.strip().splitlines()[-1]


def test_the_file_is_released_soon_after_a_burst_of_work(tmp_path):
    path = tmp_path / "wb.duckdb"
    held = Store(path, idle_release=60)  # longer than any probe takes to start
    held.schema_version()
    assert "lock" in _open_elsewhere(path).lower()  # still open within the idle delay
    held.db.release()
    store = Store(path, idle_release=0.5)
    store.schema_version()
    deadline = time.monotonic() + 30
    while (answer := _open_elsewhere(path)) != "ok" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert answer == "ok"  # released without any call: nothing held while idle
    store.schema_version()
    store.db.release()  # or released at once
    assert _open_elsewhere(path) == "ok"


HOLDER = textwrap.dedent("""
    import duckdb, sys, time
    con = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
""")


def _hold(path, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_lock_held_past_the_wait_names_the_file(tmp_path):
    path = tmp_path / "wb.duckdb"
    Store(path, idle_release=0).schema_version()
    proc = _hold(path, 10)
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseLocked) as err:
            Store(path, lock_timeout=0.5).schema_version()
        assert time.monotonic() - started < 5
        assert str(path) in str(err.value) and "another process" in str(err.value)
        assert err.value.path == str(path)
    finally:
        proc.kill()
        proc.wait()


def test_a_lock_released_within_the_wait_is_waited_for(tmp_path):
    path = tmp_path / "wb.duckdb"
    Store(path, idle_release=0).schema_version()
    proc = _hold(path, 1.0)
    try:
        assert Store(path, lock_timeout=30).schema_version() == LATEST_VERSION
    finally:
        proc.wait()


def _announcements(path):
    return sorted(path.parent.glob(f"{path.name}.waiting.*"))


def test_a_process_waiting_for_the_file_says_so_until_it_gets_in(tmp_path):
    path = tmp_path / "wb.duckdb"
    Store(path, idle_release=0).schema_version()
    proc = _hold(path, 3.0)
    try:
        result = {}
        waiter = threading.Thread(target=lambda: result.setdefault(
            "version", Store(path, lock_timeout=60).schema_version()))
        waiter.start()
        deadline = time.monotonic() + 30
        while not someone_waits(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_announcements(path)) == 1  # while it waits
        waiter.join(60)
        assert result == {"version": LATEST_VERSION}
        assert _announcements(path) == []  # its wait ended: removed
    finally:
        proc.kill()
        proc.wait()


def test_a_long_hold_lets_go_and_pauses_only_for_a_waiting_process(tmp_path, monkeypatch):
    path = tmp_path / "wb.duckdb"
    db = Database(path, idle_release=60)
    monkeypatch.setattr(database, "MAX_HOLD", 0.0)  # every unit of work is a long hold
    db.query("SELECT 1")
    assert db.is_open and db._shared.yield_until == 0.0  # nobody waits: kept till idle
    (tmp_path / f"{path.name}.waiting.1.2").touch()  # another process waits
    db.query("SELECT 1")
    assert not db.is_open and db._shared.yield_until > time.monotonic() - 1  # its turn
    stale = tmp_path / f"{path.name}.waiting.3.4"
    stale.touch()
    old = time.time() - database.WAITING_STALE - 10
    for marker in _announcements(path):
        os.utime(marker, (old, old))
    assert not someone_waits(path) and _announcements(path) == []  # stale: removed


def test_errors_pickle_with_their_fields():
    err = DatabaseLocked("held", path="/x.duckdb", waited=1.5)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is DatabaseLocked and back.path == "/x.duckdb" and back.waited == 1.5
    assert str(back) == "held"


def test_threads_each_get_a_cursor_and_lose_nothing(tmp_path):
    db = Database(tmp_path / "t.duckdb")
    db.write(lambda cur: cur.execute("CREATE TABLE t (thread INT, i INT)"))

    def work(n):
        for i in range(50):
            db.write(lambda cur: cur.execute("INSERT INTO t VALUES (?, ?)", [n, i]))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.query("SELECT count(*), count(DISTINCT thread) FROM t") == [(400, 8)]


def test_write_conflicts_are_retried(tmp_path):
    db = Database(tmp_path / "c.duckdb")
    db.write(lambda cur: cur.execute("CREATE TABLE counter (id INT PRIMARY KEY, n INT)"))
    db.write(lambda cur: cur.execute("INSERT INTO counter VALUES (1, 0)"))

    def bump():
        for _ in range(25):
            db.write(lambda cur: cur.execute("UPDATE counter SET n = n + 1 WHERE id = 1"), attempts=200)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.query("SELECT n FROM counter") == [(100,)]


def test_a_failed_unit_of_work_leaves_nothing(tmp_path):
    db = Database(tmp_path / "r.duckdb")
    db.write(lambda cur: cur.execute("CREATE TABLE t (x INT)"))

    def half(cur):
        cur.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.write(half)
    with pytest.raises(StoreError):
        db.write(lambda cur: cur.execute("INSERT INTO missing VALUES (1)"))
    assert db.query("SELECT count(*) FROM t") == [(0,)]


WRITER = textwrap.dedent("""
    import sys, time
    from workbench.store.database import Database
    db = Database(sys.argv[1], lock_timeout=60)
    tag, seconds = sys.argv[2], float(sys.argv[3])
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        db.write(lambda cur: cur.execute("INSERT INTO log VALUES (?, ?)", [tag, n]))
        n += 1
    print(n)
""")


@pytest.mark.slow
def test_two_processes_write_one_file_for_seconds_and_lose_nothing(tmp_path):
    path = tmp_path / "shared.duckdb"
    Database(path).write(lambda cur: cur.execute("CREATE TABLE log (writer VARCHAR, n INT)"))
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, "4"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("a", "b")]
    counts = {}
    for tag, proc in zip(("a", "b"), procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        counts[tag] = int(out.strip())
    assert counts["a"] > 0 and counts["b"] > 0
    rows = dict(Database(path).query("SELECT writer, count(*) FROM log GROUP BY writer"))
    assert rows == counts
    distinct = Database(path).query("SELECT count(*) FROM (SELECT DISTINCT writer, n FROM log)")
    assert distinct == [(counts["a"] + counts["b"],)]


def test_utc_under_another_name_is_called_utc_and_other_zones_are_kept(tmp_path):
    """DuckDB takes the machine's zone; pytz answers "UTC" at once but checks every zone
    file for any other name, so UTC's aliases are called UTC (same instants)."""
    import os

    code = ("import sys; from workbench.store.database import Database; "
            "db = Database(sys.argv[1]); "
            "print(db.query(\"SELECT current_setting('TimeZone')\")[0][0], "
            "db.query('SELECT now()')[0][0].utcoffset() is not None)")
    seen = {}
    for zone in ("Etc/UTC", "Europe/Berlin"):
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / f"{zone[:3]}.duckdb")],
                             capture_output=True, text=True, env={**os.environ, "TZ": zone},
                             timeout=120)
        assert out.returncode == 0, out.stderr
        seen[zone] = out.stdout.split()
    assert seen == {"Etc/UTC": ["UTC", "True"], "Europe/Berlin": ["Europe/Berlin", "True"]}


def test_routine_checkpoints_leave_row_groups_and_compaction_merges_them(tmp_path):
    """A map's checkpoint does not merge the row groups it appended to (that cost seconds on a
    monorepo); a compaction after a deletion does, reclaiming what the deleted rows held."""
    from workbench.store.database import Database

    db = Database(tmp_path / "compact.duckdb")

    def row_groups() -> int:
        return db.read(lambda cur: cur.execute(
            "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('t')").fetchone()[0])

    db.write(lambda cur: cur.execute(
        "CREATE TABLE t AS SELECT i AS id, i % 7 AS p, repeat('x', 50) AS s"
        " FROM range(500000) r(i)"))
    db.checkpoint()
    db.write(lambda cur: cur.execute("DELETE FROM t WHERE p NOT IN (2, 3)"))
    db.checkpoint()
    assert row_groups() == 5  # the rows of 500,000 left in their row groups of 122,880
    db.write_compacting(lambda cur: cur.execute("DELETE FROM t WHERE p = 2"))
    assert row_groups() == 1
    assert db.read(lambda cur: cur.execute("SELECT count(*) FROM t").fetchone()[0]) == 71429
    db.write(lambda cur: cur.execute("UPDATE t SET s = 'y' WHERE id = 3"))
    db.checkpoint()  # routine again after the compaction
    assert db.read(lambda cur: cur.execute(
        "SELECT current_setting('max_vacuum_tasks')").fetchone()[0]) == 0


def test_the_parse_cache_answers_the_keys_it_holds_and_an_empty_one_answers_none(tmp_path):
    store = Store(tmp_path / "wb.duckdb")
    a, b = ("a" * 40, "python-ast", 5), ("b" * 40, "python-ast", 5)
    assert store.facts.get_many([a, b]) == {}
    store.facts.put_many({a: '{"x": 1}'})
    assert store.facts.get_many([a, b, a]) == {a: '{"x": 1}'}
    assert store.facts.get_many([("a" * 40, "python-ast", 4)]) == {}  # another parser version
