"""The database lets go of the file when idle with one thread per open, not one per unit of work."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from tests.helpers import ROOT
from workbench.store import database
from workbench.store.database import Database


def test_units_of_work_start_no_thread_each(tmp_path):
    db = Database(tmp_path / "x.duckdb", idle_release=30)
    started: set[int] = set()

    def seen(frame, event, arg):  # installed in every thread started from now on
        started.add(threading.get_ident())
        sys.setprofile(None)

    threading.setprofile(seen)
    try:
        for _ in range(200):
            assert db.read(lambda cur: cur.execute("SELECT 42").fetchone()) == (42,)
            db.write(lambda cur: cur.execute("CREATE TABLE IF NOT EXISTS t (x INT)"))
    finally:
        threading.setprofile(None)
    assert len(started) == 1  # the one release thread of this open
    assert db._shared.connection is not None  # kept open for the burst ...
    db.release()
    deadline = time.monotonic() + 30
    while db._shared._releaser is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert db._shared.connection is None and db._shared._releaser is None  # ... then let go


def test_the_file_is_released_after_the_idle_delay(tmp_path):
    db = Database(tmp_path / "y.duckdb", idle_release=0.2)
    db.read(lambda cur: cur.execute("SELECT 1").fetchone())
    deadline = time.monotonic() + 30
    while db._shared.connection is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert db._shared.connection is None
    import duckdb

    duckdb.connect(str(tmp_path / "y.duckdb")).close()  # another user may open it now


def test_a_jobs_pause_keeps_the_file_until_the_longest_hold(tmp_path, monkeypatch):
    """Between two units of work of a job (a map parsing, then linking) the file stays open
    while nobody waits, instead of being closed after ``idle_release`` and opened again."""
    monkeypatch.setattr(database, "MAX_HOLD", 60.0)  # the cap is the next test's concern
    db = Database(tmp_path / "j.duckdb", idle_release=0.05)
    with db.folds_deferred():  # what the job runner wraps around every job
        db.read(lambda cur: cur.execute("SELECT 1").fetchone())
        time.sleep(1.0)  # twenty idle delays
        kept = db.is_open
        db.read(lambda cur: cur.execute("SELECT 2").fetchone())
    assert kept
    assert len(db.hold_times()) == 1  # one open for the whole job
    db.release()


def test_a_jobs_pause_ends_at_the_longest_hold(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "MAX_HOLD", 0.3)
    db = Database(tmp_path / "k.duckdb", idle_release=0.05)
    with db.folds_deferred():
        db.read(lambda cur: cur.execute("SELECT 1").fetchone())
        deadline = time.monotonic() + 30
        while db.is_open and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not db.is_open


#: Another process opening the file (announcing that it waits while it cannot) and reading.
OTHER = """
import sys, time
from workbench.store.database import Database
started = time.monotonic()
Database(sys.argv[1], lock_timeout=60).read(lambda cur: cur.execute("SELECT 1").fetchone())
print(f"{time.monotonic() - started:.3f}")
"""


def test_a_waiting_process_gets_the_file_during_a_jobs_pause(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "MAX_HOLD", 600.0)  # only the waiting lets the file go
    path = tmp_path / "w.duckdb"
    db = Database(path, idle_release=0.05)
    with db.folds_deferred():
        db.write(lambda cur: cur.execute("CREATE TABLE t (x INT)"))
        assert db.is_open
        other = subprocess.run([sys.executable, "-c", OTHER, str(path)], capture_output=True,
                               text=True, timeout=120, cwd=ROOT)
        assert other.returncode == 0, other.stderr
        # it got in well before its 60 s timeout, while this job's file would be kept for 600 s
        assert float(other.stdout) < 50
        db.read(lambda cur: cur.execute("SELECT count(*) FROM t").fetchone())
    db.release()


def test_opening_ahead_opens_a_released_file_and_lets_go_of_it_when_idle(tmp_path):
    db = Database(tmp_path / "ahead.duckdb", idle_release=0.1)
    db.write(lambda cur: cur.execute("CREATE TABLE t (x INT)"))
    db.release()
    assert not db.is_open
    db.open_ahead()
    assert db.is_open  # the next unit of work finds it open
    assert db.read(lambda cur: cur.execute("SELECT count(*) FROM t").fetchone()) == (0,)
    deadline = time.monotonic() + 30
    while db.is_open and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not db.is_open  # idle again: let go of as after any unit of work
