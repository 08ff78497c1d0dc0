"""A Dask scheduler that restarts in the middle of a portfolio run: its lost tasks are
retried, and no job is left recorded ``running`` once the run returns."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from tests.helpers import tiny_repositories, wait_until  # noqa: E402
from workbench import Workbench  # noqa: E402
from workbench.config import Config  # noqa: E402

pytestmark = pytest.mark.slow
DEADLINE = 180.0
DASK = str(Path(sys.executable).parent / "dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scheduler(port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                             "--no-dashboard"], stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _worker(address: str, log: Path) -> subprocess.Popen:
    # no nanny (one interpreter, not two) and the workbench imported while the worker starts
    return subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny",
                             "--no-dashboard", "--host", "127.0.0.1",
                             "--preload", "workbench.portfolio.remote"],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)




def test_a_scheduler_restart_leaves_no_job_lost_and_running(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = tmp_path / "dask.log"
    scheduler = _scheduler(port, log)
    workers = [_worker(address, log)]
    try:
        repos = tiny_repositories(tmp_path / "repos", 2)
        config = Config(data_dir=tmp_path / "data", worker_dir=str(tmp_path / "workers"),
                        retry_delay=0.2, max_attempts=4)
        wb = Workbench(config=config, executor=address, background=False)
        client = wb.executor.client
        client.wait_for_workers(1, timeout=DEADLINE)
        outcome: dict = {}
        runner = threading.Thread(target=lambda: outcome.update(
            run=wb.map_all([str(r) for r in repos], retries=0)))
        runner.start()
        wait_until(lambda: any(keys for keys in client.processing().values()),
               "a map task to start", timeout=DEADLINE)
        scheduler.kill()
        scheduler.wait()
        # as a supervisor would: the scheduler again at its address, and a worker (a worker
        # stops when it loses its scheduler); the client reconnects by itself
        scheduler = _scheduler(port, log)
        workers.append(_worker(address, log))
        runner.join(DEADLINE)
        assert not runner.is_alive(), "the portfolio run did not return"
        rows = outcome["run"].summary
        jobs = [wb.job(int(i)) for i in rows["job_id"]]
        assert not [j.id for j in jobs if j.status in ("running", "queued")]
        assert {j.status for j in jobs} <= {"succeeded", "dead"}
        lost = [j for j in jobs if j.attempts > 1]
        assert lost, "no task was lost: the scheduler went down after the run"
        assert all("dropped task" in (j.error or "") for j in lost)
        assert all(j.status == "succeeded" for j in jobs), rows.to_string()
        wb.close()
    finally:
        for proc in (*workers, scheduler):
            proc.kill()
            proc.wait()
