"""Helpers shared by the benchmarks: timed child processes, medians, markdown tables, sdists.

Every measurement runs in a fresh child process so that peak memory (``ru_maxrss`` from
``wait4``: the largest single process, worker processes not added) belongs to that
measurement alone. A Python tool reports its own time of the work (imports excluded); the
whole process's wall time (interpreter start and imports included) is kept beside it, so
tools can be compared either way. Machines are shared and noisy: report medians of several runs, and ratios.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BENCH_DIR = ROOT / "data" / "bench"


@dataclass
class Run:
    seconds: float
    peak_mb: float
    output: str
    process_seconds: float = 0.0
    """Wall time of the whole child process: start-up and imports included."""


def run_timed(code: str, *, env: dict | None = None, cwd: Path | None = None) -> Run:
    """Run Python ``code`` in a child; it prints a JSON line with ``seconds`` for its own timing."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, cwd=cwd)
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark child failed:\n{err[-3000:]}")
    last = [line for line in out.splitlines() if line.startswith("{")]
    seconds = json.loads(last[-1]).get("seconds", wall) if last else wall
    return Run(seconds, usage.ru_maxrss / 1024, out, wall)


def run_command(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None) -> Run:
    """Time an external command (wall clock) with its peak memory."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, cwd=cwd)
    out = proc.stdout.read().decode(errors="replace")
    proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed with status {status}")
    return Run(seconds, usage.ru_maxrss / 1024, out, seconds)


def median(runs: list[Run]) -> tuple[float, float, float]:
    """Median work time, median process wall time, largest peak memory."""
    return (statistics.median(r.seconds for r in runs),
            statistics.median(r.process_seconds for r in runs), max(r.peak_mb for r in runs))


def table(headers: list[str], rows: list[list]) -> str:
    def fmt(v):
        if v is None:
            return ""  # no goal, no peer: an empty cell
        return f"{v:,.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def fetch_sdist(name: str, version: str, bench_dir: Path) -> Path:
    """Download an sdist once into ``bench_dir`` and unpack it; return the unpacked directory."""
    bench_dir.mkdir(parents=True, exist_ok=True)
    target = bench_dir / f"{name}-{version}"
    if target.is_dir():
        return target
    archive = next(bench_dir.glob(f"{name}-{version}.tar.gz"), None)
    if archive is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
                        "--no-deps", "-d", str(bench_dir), f"{name}=={version}"], check=True)
        archive = next(bench_dir.glob(f"{name}-{version}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(bench_dir, filter="data")
    return target


def committed_sdist(name: str, version: str, bench_dir: Path, part: str) -> tuple[Path, Path, bool]:
    """The ``part`` directory of an sdist committed into a fresh repository under ``bench_dir``.

    Returns ``(repository, unpacked sdist, created)``; ``created`` is False when the
    repository was there already (a caller may add further commits only once).
    """
    src = fetch_sdist(name, version, bench_dir)
    repo = bench_dir / f"{name}-{version}-repo"
    if (repo / ".git").is_dir():
        return repo, src, False
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(src / part, repo / part)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"{name} {version} {part}")
    return repo, src, True


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()
