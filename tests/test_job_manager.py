"""The job manager: retries with backoff, the dead-letter list, cancel, heartbeat, recovery."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.helpers import ROOT
from workbench import Workbench
from workbench.config import Config
from workbench.errors import DatabaseLocked, GitFailed, GitNetworkError, JobCancelled, JobFailed
from workbench.jobs import interactive_session
from workbench.jobs.process import process_start_time


@pytest.fixture
def fast(data_dir):
    bench = Workbench(config=Config(data_dir=data_dir, retry_delay=0.01, heartbeat_interval=0.1,
                                    job_threads=2, workers=1))
    yield bench
    bench.close()


def test_transient_errors_are_retried_and_every_error_is_kept(fast):
    calls = []

    def flaky(job):
        calls.append(job.attempt)
        if len(calls) == 1:
            raise DatabaseLocked("database is held by another process", path="x")
        if len(calls) == 2:
            raise GitNetworkError("fetching failed (network): Could not resolve host: example.com")
        return {"ok": True}

    handle = fast.jobs.submit("flaky", flaky, max_attempts=3)
    assert handle.result() == {"ok": True} and calls == [1, 2, 3]
    info = fast.job(handle.id)
    assert (info.status, info.attempts) == ("succeeded", 3)
    assert [e["attempt"] for e in info.errors] == [1, 2]
    assert all(e["transient"] for e in info.errors)
    assert "held by another process" in info.errors[0]["error"]


def test_a_job_that_keeps_failing_transiently_is_dead_and_can_be_retried(fast):
    state = {"fail": True}

    def network(job):
        if state["fail"]:
            raise GitNetworkError("cloning timed out after 2 s", timeout=2)
        return {"ok": 1}

    with pytest.raises(GitNetworkError) as err:
        fast.jobs.submit("net", network, max_attempts=3)
    job_id = err.value.job_id
    info = fast.job(job_id)
    assert (info.status, info.attempts, len(info.errors)) == ("dead", 3, 3)
    assert [j.id for j in fast.dead_jobs()] == [job_id]
    assert fast.status()["dead_jobs"][0].id == job_id
    state["fail"] = False
    assert fast.retry(job_id).result() == {"ok": 1}
    info = fast.job(job_id)
    assert info.status == "succeeded" and len(info.errors) == 3  # the history stays


def test_permanent_errors_fail_at_once(fast):
    calls = []

    def bad(job):
        calls.append(1)
        raise GitFailed("cloning failed: not a git repository")

    with pytest.raises(GitFailed):
        fast.jobs.submit("bad", bad, max_attempts=5)
    info = fast.recent_jobs(1)[0]
    assert calls == [1] and (info.status, info.attempts, len(info.errors)) == ("failed", 1, 1)


def test_errors_from_a_background_job_pickle_with_their_fields(fast, tmp_path):
    broken = tmp_path / "broken"
    (broken / ".git").mkdir(parents=True)
    handle = fast.map(str(broken), wait=False)
    with pytest.raises(GitFailed) as err:
        handle.result(timeout=60)
    copy = pickle.loads(pickle.dumps(err.value))
    assert type(copy) is GitFailed and copy.job_id == handle.id == err.value.job_id
    assert copy.status == err.value.status and str(copy) == str(err.value)

    def boom(job):
        raise ValueError("bad thing")

    with pytest.raises(JobFailed) as failed:
        fast.jobs.submit("boom", boom, wait=False).result(timeout=30)
    copy = pickle.loads(pickle.dumps(failed.value))
    assert copy.job_id == failed.value.job_id and "bad thing" in copy.cause


def test_cancel_stops_a_running_job_at_its_next_checkpoint(fast):
    started = threading.Event()

    def long(job):
        for i in range(10_000):
            job.report(i, 10_000, "working")
            started.set()
            time.sleep(0.01)
        return {"finished": True}

    handle = fast.jobs.submit("long", long, wait=False)
    assert started.wait(10)
    fast.cancel(handle.id)
    with pytest.raises(JobCancelled):
        handle.result(timeout=10)
    info = fast.job(handle.id)
    assert info.status == "cancelled" and info.result is None


def test_cancel_from_another_process_is_seen_through_the_row(fast, data_dir):
    started = threading.Event()

    def long(job):
        for i in range(100_000):
            job.report(i, None, "working")
            started.set()
            time.sleep(0.01)

    handle = fast.jobs.submit("long", long, wait=False)
    assert started.wait(10)
    other = Workbench(data_dir)  # as a CLI call would
    other.cancel(handle.id)
    with pytest.raises(JobCancelled):
        handle.result(timeout=20)
    assert fast.job(handle.id).status == "cancelled"


def test_a_cancel_from_another_process_is_seen_by_a_step_that_reports_nothing(fast, data_dir):
    """A map's last steps (linking, the tables, the history's analysis) report no progress,
    only check for a cancel between them: the heartbeat brings another process's cancel."""
    started = threading.Event()
    steps = []

    def build(job):
        job.report(0, None, "building the map")
        started.set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            job.check_cancel()
            steps.append(1)
            time.sleep(0.05)
        return {"finished": True}

    handle = fast.jobs.submit("build", build, wait=False)
    assert started.wait(10)
    other = Workbench(data_dir)  # as `workbench job cancel` would
    other.cancel(handle.id)
    other.close()
    asked = time.monotonic()
    with pytest.raises(JobCancelled):
        handle.result(timeout=30)
    assert time.monotonic() - asked < 10
    assert fast.job(handle.id).status == "cancelled"


def test_a_checkpoint_does_not_open_a_released_file_on_the_jobs_thread(data_dir, monkeypatch):
    """A map lets go of the file while it links; the checkpoint after the linking would open
    it again for the poll (about 0.05 s on the map's thread). A thread of its own opens it and
    reads the row instead, and a cancel it finds stops the job at a later checkpoint."""
    from workbench.jobs import runner
    from workbench.store.database import Database

    monkeypatch.setattr(runner, "CANCEL_POLL", 0.0)
    monkeypatch.setattr(runner, "RELEASED_PROGRESS_INTERVAL", 0.0)
    opened_on: list[str] = []
    real_open = Database._open
    built = threading.Event()  # the job's own end (recording it) may open the file

    def recording_open(self):
        if not built.is_set():
            opened_on.append(threading.current_thread().name)
        return real_open(self)

    monkeypatch.setattr(Database, "_open", recording_open)
    bench = Workbench(config=Config(data_dir=data_dir, heartbeat_interval=60, idle_release=0.01,
                                    job_threads=1, workers=1))
    released, job_thread = threading.Event(), []

    def build(job):
        job_thread.append(threading.current_thread().name)
        deadline = time.monotonic() + 20
        while bench.store.db.is_open and time.monotonic() < deadline:
            time.sleep(0.01)
        opened_on.clear()
        released.set()
        try:
            while time.monotonic() < deadline:
                job.check_cancel()
                time.sleep(0.02)
        finally:
            built.set()
        return {"finished": True}

    handle = bench.jobs.submit("build", build, wait=False)
    try:
        assert released.wait(20)
        other = Workbench(data_dir)  # as `workbench job cancel` would
        other.cancel(handle.id)
        other.close()
        with pytest.raises(JobCancelled):
            handle.result(timeout=30)
        assert opened_on and job_thread[0] not in opened_on
        # the read on its own thread ended with the job: nothing opens the file after it
        assert not [t for t in threading.enumerate()
                    if t.name == f"workbench-job-{handle.id}-cancel"]
    finally:
        bench.close()


def test_a_cancelled_map_leaves_no_snapshot(fast, sample_repo):
    job_ids = []

    def on_progress(p):
        job_ids.append(p.job_id)
        if p.message == "parsing" and p.status == "running":
            fast.cancel(p.job_id)

    with pytest.raises(JobCancelled):
        fast.map(str(sample_repo), progress=on_progress, wait=True)
    assert fast.job(job_ids[0]).status == "cancelled"
    for table in ("snapshots", "nodes", "edges", "files", "file_facts", "file_metrics"):
        assert fast.store.db.query(f"SELECT count(*) FROM {table}") == [(0,)], table
    assert fast.map("shop").id  # the next map works


def test_a_queued_job_cancelled_never_runs(data_dir):
    bench = Workbench(config=Config(data_dir=data_dir, job_threads=1))
    gate = threading.Event()
    ran = []
    first = bench.jobs.submit("block", lambda job: gate.wait(30), wait=False)
    second = bench.jobs.submit("never", lambda job: ran.append(1), wait=False)
    assert bench.job(second.id).status == "queued"
    bench.cancel(second.id)
    gate.set()
    first.result(timeout=30)
    with pytest.raises(JobCancelled):
        second.result(timeout=30)
    assert ran == [] and bench.job(second.id).status == "cancelled"
    bench.close()


def test_running_jobs_keep_a_heartbeat(fast):
    release = threading.Event()
    handle = fast.jobs.submit("slow", lambda job: release.wait(60), wait=False)
    deadline = time.monotonic() + 30
    first = None
    while first is None and time.monotonic() < deadline:  # running, with a first beat
        first = fast.job(handle.id).heartbeat_at
        time.sleep(0.05)
    later = first
    while later == first and time.monotonic() < deadline:
        time.sleep(0.05)
        later = fast.job(handle.id).heartbeat_at
    assert fast.job(handle.id).status == "running"  # beats while working, not at the finish
    assert first is not None and later > first
    release.set()
    handle.result(timeout=30)


def _dead_pid() -> tuple[int, float | None]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    started = process_start_time(proc.pid)
    proc.wait()
    return proc.pid, started


def test_jobs_of_dead_processes_become_interrupted_at_start_up(data_dir):
    wb = Workbench(data_dir)
    pid, started = _dead_pid()
    host = socket.gethostname()
    dead = wb.store.jobs.create("map", None, {}, owner=(pid, host, started))
    wb.store.jobs.start(dead, (pid, host, started))
    queued = wb.store.jobs.create("map", None, {}, owner=(pid, host, started))
    parent = os.getppid()
    alive = wb.store.jobs.create("map", None, {}, owner=(parent, host, process_start_time(parent)))
    wb.store.jobs.start(alive)
    reused = wb.store.jobs.create("map", None, {}, owner=(parent, host, 1.0))  # pid reused
    wb.store.jobs.start(reused)
    far = wb.store.jobs.create("map", None, {}, owner=(1, "another-host", 1.0))
    wb.store.jobs.start(far)
    wb.store.db.write(lambda cur: cur.execute(
        "UPDATE jobs SET heartbeat_at = now() - INTERVAL 10 MINUTE WHERE id = ?", [far]))
    fresh = wb.store.jobs.create("map", None, {}, owner=(1, "another-host", 1.0))
    wb.store.jobs.start(fresh)

    again = Workbench(data_dir)
    assert sorted(again.interrupted) == sorted([dead, queued, reused, far])
    status = {j: again.job(j).status for j in (dead, queued, alive, reused, far, fresh)}
    assert status == {dead: "interrupted", queued: "interrupted", alive: "running",
                      reused: "interrupted", far: "interrupted", fresh: "running"}


def test_headless_is_the_default_and_background_is_opt_in(data_dir, monkeypatch):
    monkeypatch.delenv("WORKBENCH_BACKGROUND", raising=False)
    assert Workbench(data_dir).background is False
    assert Workbench(data_dir, background=True).background is True
    monkeypatch.setenv("WORKBENCH_BACKGROUND", "1")
    assert Workbench(data_dir).background is True
    monkeypatch.setenv("WORKBENCH_BACKGROUND", "0")
    assert interactive_session() is False
    monkeypatch.delenv("WORKBENCH_BACKGROUND")
    assert interactive_session() is False  # pytest: no kernel

    # a real IPython kernel, started as a notebook server starts one
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items()
           if k != "WORKBENCH_BACKGROUND" and not k.startswith("PAPERMILL")}
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    try:
        code = ("import os\nfrom workbench.jobs.process import interactive_session\n"
                "print('interactive', interactive_session())\n"
                "os.environ['PAPERMILL_RUN'] = '1'\n"
                "print('papermill', interactive_session())")
        lines: list[str] = []
        client.execute_interactive(code, timeout=120, output_hook=lambda msg: lines.append(
            msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
        out = "".join(lines)
        assert "interactive True" in out and "papermill False" in out, out
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_headless_process_never_exits_before_its_background_jobs(tmp_path, sample_repo):
    script = tmp_path / "run.py"
    script.write_text(
        "import sys\nfrom workbench import Workbench\n"
        f"wb = Workbench({str(tmp_path / 'data')!r}, background=True)\n"
        f"h = wb.map({str(sample_repo)!r})\n"
        "print('submitted', h.id, flush=True)\n"  # and the script ends here, without waiting
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "WORKBENCH_WORKERS": "1"})
    assert out.returncode == 0, out.stderr
    wb = Workbench(tmp_path / "data")
    job = wb.recent_jobs(1)[0]
    assert job.status == "succeeded" and wb.snapshot("shop").id == job.result["snapshot_id"]


def test_status_reports_health(fast, sample_repo):
    fast.map(str(sample_repo))
    fast.store.db.release()  # the map's log is folded when the file closes
    st = fast.status()
    assert st["schema_version"] >= 6 and st["database_bytes"] > 0
    assert st["last_checkpoint"] is not None and st["disk_free_bytes"] > 0
    assert st["clone_bytes"]["shop"] > 0
    assert st["last_snapshots"]["shop"]["snapshot_id"] == fast.snapshot("shop").id
    assert st["active_jobs"] == [] and st["dead_jobs"] == [] and st["notices"] == []
    assert st["jobs"][0].status == "succeeded"


def test_jobs_from_the_command_line(tmp_path, sample_repo):
    from tests.helpers import run_cli

    data = tmp_path / "data"
    wb = Workbench(data)
    job_id = wb.store.jobs.create("map", None, {}, owner=(1, "elsewhere", 1.0))
    assert "cancel requested" in run_cli("job", "cancel", str(job_id), data_dir=data).stdout
    assert wb.job(job_id).status == "cancelled"
    wb.add_project("shop", str(sample_repo))
    project = wb.project("shop").info
    pid, started = _dead_pid()
    dead = wb.store.jobs.create("map", project.id, {"ref": None, "force": False},
                                owner=(pid, socket.gethostname(), started))
    out = run_cli("job", "resume", data_dir=data)
    assert out.returncode == 0 and f"job #{dead} succeeded" in out.stdout, out.stderr
    failed = run_cli("job", "retry", "999", data_dir=data)
    assert failed.returncode == 1 and "no job #999" in failed.stderr
    again = run_cli("job", "retry", str(dead), data_dir=data)  # it succeeded: nothing to retry
    assert again.returncode == 1 and "only failed" in again.stderr


def test_progress_is_written_less_often_while_the_file_is_released(data_dir):
    from workbench.jobs.runner import RELEASED_PROGRESS_INTERVAL

    bench = Workbench(config=Config(data_dir=data_dir, idle_release=30.0, workers=1))
    bench.jobs.progress_interval = 0.0
    written: list[int] = []
    store_progress = bench.store.jobs.progress

    def counted(job_id, done, total, message):
        written.append(done)
        return store_progress(job_id, done, total, message)

    bench.store.jobs.progress = counted
    seen: list[int] = []

    def work(job):
        bench.store.db.release()  # as after a long parse: the file is closed
        started = time.monotonic()
        for i in range(20):
            job.report(i, 40, "released")
        assert time.monotonic() - started < RELEASED_PROGRESS_INTERVAL
        bench.store.db.query("SELECT 1")  # open again, and kept open (idle_release)
        for i in range(20, 40):
            job.report(i, 40, "open")
        return {}

    try:
        bench.jobs.submit("reports", work, on_progress=lambda p: seen.append(p.done))
        assert seen[:40] == list(range(40))  # every report reaches this process's callback
        assert written == list(range(20, 40))  # none reopened the file; all written while open
    finally:
        bench.close()
