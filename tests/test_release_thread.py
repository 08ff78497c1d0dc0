"""The database lets go of the file when idle with one thread per open, not one per unit of work."""

from __future__ import annotations

import sys
import threading
import time

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
