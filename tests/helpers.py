"""Helpers for the tests: real git repositories built in temp dirs, and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, env: dict | None = None) -> str:
    full_env = {**os.environ, **GIT_ENV, **(env or {})}
    return subprocess.run(["git", *args], cwd=repo, env=full_env, check=True,
                          capture_output=True, text=True).stdout.strip()


def write(repo: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def commit(repo: Path, message: str, date: str = "2026-01-01T12:00:00+00:00") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message,
        env={"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    return git(repo, "rev-parse", "HEAD")


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


SAMPLE_V1 = {
    "README.md": "# shop\n",
    "src/shop/__init__.py": '"""The shop package."""\nfrom .models import Order\n',
    "src/shop/models.py": (
        "import json\nimport requests\nfrom dataclasses import dataclass\n\n\n"
        "@dataclass\nclass Order:\n    total: int\n\n    def to_json(self):\n"
        "        return json.dumps({'total': self.total})\n\n\n"
        "class PaidOrder(Order):\n    def pay(self):\n        if self.total > 0:\n"
        "            return True\n        return False\n"
    ),
    "src/shop/service.py": (
        "from . import models\nfrom .models import Order, PaidOrder\nfrom shop.util.money import fmt\n\n\n"
        "def checkout(total):\n    order = Order(total)\n    return fmt(order.total)\n"
    ),
    "src/shop/util/__init__.py": "",
    "src/shop/util/money.py": "from ..service import checkout\n\n\ndef fmt(x):\n    return f'{x:.2f}'\n",
    "src/shop/sansio/parse.py": "import shop.models\n\n\ndef parse(s):\n    return s\n",
    "src/shop/broken.py": "def oops(:\n    pass\n",
    "src/shop/latin.py": b"# no coding cookie\nname = '\xe9t\xe9'\n",
    "src/shop/blob.py": b"\x00\x01\x02binary\x00",
    "tests/test_service.py": "from shop.service import checkout\nimport pytest\n\n\ndef test_checkout():\n    assert checkout(1) == '1.00'\n",
    "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
}



def mapped_repo(root: Path, files: dict[str, str | bytes], name: str, *,
                repo_name: str = "src") -> Path:
    """A one-commit repository of ``files`` at ``root / repo_name``, mapped as project ``name``
    into ``root / "data"``; returns that data directory."""
    from workbench import Workbench

    repo = init_repo(root / repo_name)
    write(repo, files)
    commit(repo, "one")
    wb = Workbench(root / "data")
    try:
        wb.map(repo, name=name)
    finally:
        wb.close()
    return root / "data"


def tiny_repositories(root: Path, count: int = 5) -> list[Path]:
    """``count`` one-commit repositories, each a package importing ``os``: load fodder."""
    repos = []
    for i in range(count):
        repo = init_repo(root / f"src{i}")
        write(repo, {f"pkg{i}/__init__.py": "",
                     f"pkg{i}/core.py": f"import os\n\n\ndef f():\n    return {i}\n"})
        commit(repo, "one")
        repos.append(repo)
    return repos


def run_cli(*args: str, data_dir: Path | None = None, cwd: Path | None = None,
            input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real ``workbench`` command in a child process."""
    full_env = {**os.environ, **(env or {})}
    cmd = [sys.executable, "-m", "workbench"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    return subprocess.run([*cmd, *args], cwd=cwd or ROOT, env=full_env, input=input,
                          capture_output=True, text=True, timeout=300)


def invoke_cli(*args: str, data_dir: Path | None = None, input: str | None = None,
               env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the ``workbench`` command in this process (click's test runner): the same command
    line, exit code and output as :func:`run_cli` without a new interpreter, for tests whose
    subject is not the process boundary."""
    from click.testing import CliRunner

    from workbench import faces
    from workbench.cli import main

    full = [*(["--data-dir", str(data_dir)] if data_dir is not None else []), *args]
    before = faces.current
    try:
        result = CliRunner().invoke(main, full, input=input, env=env, catch_exceptions=False)
    finally:
        faces.current = before  # the command line sets it for its own process
    return subprocess.CompletedProcess(["workbench", *full], result.exit_code,
                                       result.stdout, result.stderr)


def wait_until(check, what: str, timeout: float = 120.0, interval: float = 0.05):
    """Poll ``check()`` until it returns something truthy and return that; AssertionError
    naming ``what`` after ``timeout`` seconds (generous: the suite runs on busy machines)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
