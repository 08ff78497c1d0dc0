"""`make lab` starts JupyterLab on 127.0.0.1 with a token, as root and as a normal user."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.split(":")
            if int(hexport, 16) == port and state == "0A":
                found.add(addr)
    return found


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=3).status
    except urllib.error.HTTPError as exc:
        return exc.code


def _run_make_lab(tmp_path: Path, user: str | None) -> None:
    port, token = _free_port(), "t" + os.urandom(12).hex()
    venv = Path(sys.prefix)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o777)
    os.chmod(runtime, 0o777)
    env = {**os.environ, "JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(runtime),
           "JUPYTER_CONFIG_DIR": str(runtime / "config"), "HOME": str(runtime)}
    # -o: the environment is installed already (the stamp would reinstall when older)
    command = ["make", "-C", str(ROOT), "-o", f"{venv}/.installed", "lab", f"VENV={venv}",
               f"LAB_PORT={port}", "--no-print-directory"]
    if user is not None:
        command = ["runuser", "-u", user, "--", "env",
                   *[f"{k}={v}" for k, v in env.items() if k in (
                       "JUPYTER_TOKEN", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "HOME",
                       "PATH")], *command]
    log_path = tmp_path / f"lab-{user or 'me'}.log"
    log = log_path.open("w")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while _listening_addresses(port) == set() or _status(f"{base}/api/status?token={token}") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make lab did not serve on {base}:\n{log_path.read_text()}")
            time.sleep(0.3)
        assert _status(f"{base}/api/status") == 403  # the token is required
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        text = log_path.read_text()
        assert "Running as root is not recommended" not in text
        assert re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=", text), text
        contents = urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5).read()
        assert b"quickstart.ipynb" in contents  # it serves notebooks/
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        log.close()


@pytest.mark.timeout(180)
def test_make_lab_binds_loopback_with_a_token(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    _run_make_lab(tmp_path, None)  # as root too, when the suite runs as root
