"""Fixtures of the event tests: a real redis-server of our own, and a workbench per backend."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from workbench import Workbench
from workbench.config import Config

BACKENDS = ["duckdb", "redis"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_server_binary() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """``redis://127.0.0.1:PORT/0`` of a redis-server started for this test session (no
    persistence, in a temp dir) and stopped after it."""
    binary = _redis_server_binary()
    if binary is None:
        pytest.skip("redis-server is not installed: `make test` installs Debian's redis-server "
                    "when run as root (apt-get install redis-server)")
    pytest.importorskip("redis", reason="the redis package is missing: pip install -e '.[dev]'")
    import redis

    where = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = open(where / "redis.log", "wb")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(where), "--save", "", "--appendonly", "no", "--daemonize", "no"],
                            stdout=log, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"redis-server did not start: {(where / 'redis.log').read_text()}")
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def events_url(backend: str, request) -> str:
    """The WORKBENCH_EVENTS value for a backend, with a key prefix of the test's own."""
    if backend == "duckdb":
        return "duckdb"
    return f"{request.getfixturevalue('redis_url')}?prefix=t{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=BACKENDS)
def events_backend(request) -> str:
    return events_url(request.param, request)


def open_bench(data_dir: Path, events: str, **changes) -> Workbench:
    """A workbench whose event log polls often (tests wait on other processes' events)."""
    config = Config(data_dir=data_dir, events=events, events_poll_interval=0.05, **changes)
    return Workbench(config=config, background=True)


@pytest.fixture
def ewb(data_dir: Path, events_backend: str):
    bench = open_bench(data_dir, events_backend)
    bench.events.retry_delay = 0.001
    yield bench
    bench.close()
