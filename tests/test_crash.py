"""Crash consistency: a process killed mid-map, and a write-ahead log that cannot be replayed."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT, commit, init_repo, write
from workbench import Workbench
from workbench.config import Config


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[-1].split()[1])
        if ppid == pid:
            found.append((int(entry.name), cmdline))
    return found


@pytest.fixture
def big_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "big")
    body = "".join(f"def f{i}(x):\n    return [y * {i} for y in range(x) if y % 3]\n\n" for i in range(60))
    write(repo, {f"pkg/m{i:04d}.py": f"import os\nimport pkg.m{(i + 1) % 1500:04d}\n{body}"
                 for i in range(1500)})
    commit(repo, "many modules")
    return repo


def test_sigkill_in_the_middle_of_a_map_leaves_no_partial_snapshot(tmp_path, big_repo):
    data = tmp_path / "data"
    # blame left out: a git process per file, and not what a crash is about
    env = {**os.environ, "WORKBENCH_WORKERS": "1", "WORKBENCH_BLAME": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "--data-dir", str(data), "map", "-q",
                             str(big_repo)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    parsing = False
    while time.monotonic() < deadline and proc.poll() is None:
        if any("workbench.mapping.workers" in cmd for _, cmd in _children(proc.pid)):
            parsing = True  # a parser worker runs: the job is in the middle of parsing
            time.sleep(0.5)
            break
        time.sleep(0.02)
    assert parsing and proc.poll() is None, "the map ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)  # orphaned parser workers see their stdin close and exit

    wb = Workbench(config=Config(data_dir=data, blame=False))  # opens, upgrades nothing, recovers
    job = wb.recent_jobs(1)[0]
    assert job.status == "interrupted" and job.id in wb.interrupted
    for table in ("snapshots", "nodes", "edges", "files", "file_metrics"):
        assert wb.store.db.query(f"SELECT count(*) FROM {table}") == [(0,)], table
    # the same map, resumed, finishes (reusing the clone and any mined history)
    [handle] = wb.resume_interrupted(wait=True)
    assert handle.id == job.id and wb.job(job.id).status == "succeeded"
    assert wb.store.db.query("SELECT count(*) FROM snapshots") == [(1,)]
    assert wb.snapshot("big").stats["modules"] >= 1500


def _mapped_then_edited(tmp_path: Path):
    """A workbench whose project "p" is mapped, and one more commit that a map derives:
    ``(workbench, first snapshot)``."""
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "def f():\n    return 1\n"})
    commit(repo, "first")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", blame=False, workers=1))
    first = wb.map(str(repo), name="p")
    write(repo, {"pkg/a.py": "def f():\n    return 2\n"})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    return wb, first


def test_ctrl_c_in_a_map_interrupts_its_job_and_leaves_the_project_as_it_was(tmp_path,
                                                                           monkeypatch):
    """Ctrl-C (KeyboardInterrupt) while a derived map writes its snapshot: nothing of it is
    stored, the project is as before the map (not stuck "mapping"), and the job is
    interrupted, not failed, so a resume finishes it."""
    from workbench.store.snapshots import SnapshotsTable

    wb, first = _mapped_then_edited(tmp_path)

    def stopped(self, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SnapshotsTable, "write_derived", stopped)
    with pytest.raises(KeyboardInterrupt):
        wb.map("p")
    monkeypatch.undo()
    job = wb.recent_jobs(1)[0]
    assert job.status == "interrupted" and "resume" in job.message
    assert wb.store.projects.get("p").status == "mapped"
    assert [s.id for s in wb.store.snapshots.list()] == [first.id]
    [handle] = wb.resume_interrupted(wait=True)
    assert handle.id == job.id and wb.job(job.id).status == "succeeded"
    assert wb.snapshot("p").stats.get("derived_from") == first.id


def test_a_cancelled_map_leaves_the_project_as_it_was(tmp_path, monkeypatch):
    """A map cancelled while it writes its snapshot stores nothing of it: its job is
    cancelled and its project keeps the status it had (not "failed")."""
    from workbench.errors import JobCancelled
    from workbench.store.snapshots import SnapshotsTable

    wb, first = _mapped_then_edited(tmp_path)
    write_derived = SnapshotsTable.write_derived

    def cancelled(self, **kwargs):
        wb.cancel(wb.recent_jobs(1)[0].id)
        return write_derived(self, **kwargs)

    monkeypatch.setattr(SnapshotsTable, "write_derived", cancelled)
    with pytest.raises(JobCancelled):
        wb.map("p")
    assert wb.recent_jobs(1)[0].status == "cancelled"
    assert wb.store.projects.get("p").status == "mapped"
    assert [s.id for s in wb.store.snapshots.list()] == [first.id]


_WRITER = textwrap.dedent("""
    import os, sys
    import duckdb
    from workbench.store import Store
    store = Store(sys.argv[1])
    store.projects.add("before", "/x", "path", "/x.git")   # checkpointed below
    store.db.read(lambda cur: cur.execute("CHECKPOINT"))
    store.db.release()
    con = duckdb.connect(sys.argv[1])
    con.execute("SET checkpoint_threshold = '1GB'")
    con.execute("INSERT INTO projects (name, source, source_kind, clone_path) "
                "SELECT 'p' || range, '/y', 'path', '/y.git' FROM range(2000)")
    os._exit(0)  # no checkpoint: the rows live in the WAL only
""")


def _db_with_wal(data: Path) -> Path:
    data.mkdir(parents=True)
    db = data / "workbench.duckdb"
    subprocess.run([sys.executable, "-c", _WRITER, str(db)], check=True, cwd=ROOT)
    wal = db.with_name(db.name + ".wal")
    assert wal.stat().st_size > 10_000
    return wal


def test_a_corrupt_wal_is_moved_aside_loudly(tmp_path, caplog):
    data = tmp_path / "data"
    wal = _db_with_wal(data)
    raw = wal.read_bytes()
    wal.write_bytes(raw[:200] + os.urandom(4000) + raw[4200:])
    with caplog.at_level(logging.WARNING, logger="workbench.store"):
        wb = Workbench(config=Config(data_dir=data))
        names = [p.name for p in wb.projects()]
    assert names == ["before"]  # the database opened; the WAL's transactions are gone
    aside = list(data.glob("workbench.duckdb.wal.corrupt-*"))
    assert len(aside) == 1 and aside[0].stat().st_size == len(raw)
    assert any("could not be replayed" in r.message for r in caplog.records)
    notices = wb.status()["notices"]
    assert notices[0]["kind"] == "corrupt-wal" and str(aside[0]) in notices[0]["message"]
    # and the next start is a normal start, not a crash loop
    assert [p.name for p in Workbench(data).projects()] == ["before"]
    out = subprocess.run([sys.executable, "-m", "workbench", "--data-dir", str(data), "status"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "NOTICE" in out.stdout and "corrupt-wal" in out.stdout


def test_a_truncated_wal_opens(tmp_path):
    data = tmp_path / "data"
    wal = _db_with_wal(data)
    raw = wal.read_bytes()
    wal.write_bytes(raw[: len(raw) // 2])
    wb = Workbench(data)
    names = {p.name for p in wb.projects()}
    assert "before" in names  # whatever the WAL still proves is kept; nothing crashes
    assert wb.status()["schema_version"] >= 6
