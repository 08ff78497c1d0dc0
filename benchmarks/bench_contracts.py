"""Contracts against import-linter on real projects' own, unchanged configurations.

For each sdist below (downloaded once with pip into ``--dir``, default ``data/bench/``), the unpacked tree is committed
into a fresh git repository, mapped, and checked twice: by ``workbench check`` with the
repository's own configuration (found as the workbench finds it) and by ``lint-imports``
(import-linter 2.17, no cache) on the same files. Then one import that breaks the first
contract is committed, the commit mapped, and both check again. Reported per project and
state: the verdict of every contract on both sides (the workbench's from ``workbench check``
in a child process), whether they agree, and median wall times over ``--runs``: lint-imports
(a process that builds its graph each time), ``wb.check`` in-process on a freshly opened
workbench (loads the mapped snapshot from DuckDB, then checks), and ``workbench check`` as a
process (most of it is the CLI's start-up on a busy machine).

    .venv/bin/python benchmarks/bench_contracts.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import fetch_sdist, git, table  # noqa: E402

#: (distribution, version, source root for PYTHONPATH, file and line that breaks the first contract)
PROJECTS = [
    ("import_linter", "2.17", "src", "src/importlinter/domain/helpers.py", "import importlinter.cli\n"),
    ("kedro", "1.7.0", ".", "kedro/config/__init__.py", "import kedro.framework.cli\n"),
]
BIN = Path(sys.executable).parent


def lint_imports(repo: Path, path: str) -> tuple[dict[str, str], float]:
    env = {**os.environ, "PYTHONPATH": str(repo / path), "NO_COLOR": "1"}
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "lint-imports"), "--no-cache", "--no-logo"], cwd=repo, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    found = dict((m.group(1), m.group(2).lower()) for m in
                 re.finditer(r"^(.+?) (KEPT|BROKEN)(?: \(.*\))?$", done.stdout, re.MULTILINE))
    if not found:
        raise SystemExit(f"lint-imports failed in {repo}:\n{done.stdout}{done.stderr}")
    return found, took


def workbench_check(data: Path, project: str) -> tuple[dict[str, str], float]:
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "workbench"), "--data-dir", str(data), "check", project],
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    found = dict((m.group(2), m.group(1).lower()) for m in
                 re.finditer(r"^(KEPT|BROKEN|ERROR)\s+(.+?) \[[a-z_]+\](?: \(\d+\))?$", done.stdout, re.MULTILINE))
    if not found:
        raise SystemExit(f"workbench check failed:\n{done.stdout}{done.stderr}")
    return found, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=ROOT / "data" / "bench",
                        help="where the sdists are downloaded once and unpacked")
    args = parser.parse_args()
    from workbench import Workbench

    rows = []
    work = Path(tempfile.mkdtemp(prefix="bench-contracts-"))
    try:
        for name, version, path, breaker, line in PROJECTS:
            source = fetch_sdist(name, version, args.dir)
            repo = work / name
            shutil.copytree(source, repo)
            git(repo, "init", "-q", "-b", "main")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", f"{name} {version} as released")
            data = work / f"data-{name}"
            for state in ("as released", "one import breaks"):
                if state != "as released":
                    target = repo / breaker
                    target.write_text(target.read_text() + line)
                    git(repo, "commit", "-qam", "break the first contract")
                with Workbench(data) as wb:
                    wb.map(str(repo), name=name)
                theirs, ours, t_theirs, t_ours, t_cli = {}, {}, [], [], []
                for _ in range(args.runs):
                    theirs, took = lint_imports(repo, path)
                    t_theirs.append(took)
                    ours, took = workbench_check(data, name)
                    t_cli.append(took)
                    start = time.perf_counter()
                    with Workbench(data) as wb:
                        wb.check(name)
                    t_ours.append(time.perf_counter() - start)
                for contract in sorted(theirs):
                    rows.append([f"{name} {version}", state, contract, theirs[contract],
                                 ours.get(contract, "missing"),
                                 "yes" if theirs[contract] == ours.get(contract) else "NO"])
                rows.append([f"{name} {version}", state, "(seconds: lint-imports / wb.check / workbench check)",
                             f"{statistics.median(t_theirs):.2f}", f"{statistics.median(t_ours):.2f}",
                             f"{statistics.median(t_cli):.2f}"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(["project", "state", "contract", "lint-imports", "workbench", "agree"], rows))


if __name__ == "__main__":
    main()
