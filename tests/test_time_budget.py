"""One wall-clock budget per git operation, kept by every transport, stated truly."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from workbench import Config, Workbench
from workbench.errors import GitNetworkError, GitTimeout, TransientError
from workbench.repos.clones import Clones
from workbench.repos.sources import parse_source


class StalledServer:
    """Accepts TCP connections on 127.0.0.1, optionally sends ``greeting``, then says nothing;
    notes when each client hangs up."""

    def __init__(self, greeting: bytes = b"") -> None:
        self.greeting = greeting
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.closed_at: list[float] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve, daemon=True)]
        self._threads[0].start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            t = threading.Thread(target=self._hold, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            if self.greeting:
                conn.sendall(self.greeting)
            conn.settimeout(0.2)
            while not self._stop.is_set():
                try:
                    if conn.recv(65536) == b"":
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
            self.closed_at.append(time.monotonic())

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self.sock.close()


@pytest.fixture
def silent():
    server = StalledServer()
    yield server
    server.close()


@pytest.fixture
def ssh_banner_then_silence():
    server = StalledServer(b"SSH-2.0-OpenSSH_9.0\r\n")
    yield server
    server.close()


def _wait(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_https_that_accepts_and_never_answers_costs_one_budget(tmp_path, silent):
    clones = Clones(tmp_path / "clones", timeout=3)
    source = parse_source(f"https://127.0.0.1:{silent.port}/repo.git")
    started = time.monotonic()
    with pytest.raises(GitTimeout) as err:
        clones.sync("stalled", source)
    stopped = time.monotonic()
    assert 3 <= stopped - started < 3 + 15
    assert not isinstance(err.value, TransientError)
    assert "timed out after 3 s" in str(err.value) and "not retried" in str(err.value)
    # the transport (git-remote-https, stuck in the TLS handshake) went with git
    assert silent.accepted >= 1
    assert _wait(lambda: len(silent.closed_at) == silent.accepted, timeout=30)
    assert max(silent.closed_at) - stopped < 10
    assert list((tmp_path / "clones").iterdir()) == []


def test_a_map_against_a_stalled_server_is_not_retried(tmp_path, silent):
    wb = Workbench(config=Config(data_dir=tmp_path / "data", git_timeout=3, max_attempts=3,
                                 retry_delay=0, workers=1))
    try:
        started = time.monotonic()
        with pytest.raises(GitTimeout):
            wb.map(f"https://127.0.0.1:{silent.port}/repo.git")
        assert time.monotonic() - started < 3 + 20  # one budget, not three
        job = wb.recent_jobs(1)[0]
        assert job.status == "failed" and job.attempts == 1
    finally:
        wb.close()


def test_ssh_stalled_after_its_banner_fails_within_the_budget_and_says_what_it_saw(
        tmp_path, ssh_banner_then_silence):
    clones = Clones(tmp_path / "clones", timeout=6)
    source = parse_source(f"ssh://git@127.0.0.1:{ssh_banner_then_silence.port}/repo.git")
    started = time.monotonic()
    with pytest.raises((GitNetworkError, GitTimeout)) as err:
        clones.sync("stalled", source)
    elapsed = time.monotonic() - started
    assert elapsed < 6 + 15
    message = str(err.value)
    if isinstance(err.value, GitTimeout):
        assert "timed out after 6 s" in message
    else:  # ssh's own limit (a third of the budget) came first: no claim of 6 s
        assert "6 s" not in message and "timed out" in message.lower(), message
    assert _wait(lambda: len(ssh_banner_then_silence.closed_at) == ssh_banner_then_silence.accepted,
                 timeout=30)
