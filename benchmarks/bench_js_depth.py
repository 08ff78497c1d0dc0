"""How deep the map reads a real JavaScript code base: express 4 from its npm tarball.

Counts what a reader of express checks first: the functions found in ``lib/application.js``
(express writes them as ``app.use = function use(...)``), the call edges of the whole package,
how many calls were resolved / left unresolved, and which external dependencies are Node's
standard library; then the map's wall time and the parser's own time (best of 7 parses).
The tarball is fetched once with ``npm pack express@4`` into
``data/bench/express`` (or give ``--tarball``), unpacked into a fresh git repository and mapped
into a throw-away data directory.

    .venv/bin/python benchmarks/bench_js_depth.py [--tarball express-4.x.tgz] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "data" / "bench" / "express"


def fetch_tarball(spec: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob("express-4*.tgz"))
    if found:
        return found[-1]
    out = subprocess.run(["npm", "pack", spec], cwd=CACHE, check=True, capture_output=True,
                         text=True).stdout.split()
    return CACHE / out[-1]


def make_repo(tarball: Path, where: Path) -> Path:
    repo = where / "express"
    repo.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(repo, filter="data")
    inner = repo / "package"
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x", "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "express"]):
        subprocess.run(["git", *args], cwd=inner, check=True, env=env)
    return inner


def measure(repo: Path, data_dir: Path) -> dict:
    from workbench import Workbench

    wb = Workbench(data_dir)
    try:
        started = time.perf_counter()
        snap = wb.map(str(repo))
        seconds = time.perf_counter() - started
        nodes, edges = snap.nodes, snap.edges
        app = nodes[(nodes["path"] == "lib/application.js") & (nodes["kind"] == "function")]
        ext = nodes[nodes["kind"] == "external"]
        stdlib = ext["attrs"].map(lambda a: bool((json.loads(a) if isinstance(a, str) else a)
                                                 .get("stdlib")))
        stats = snap.stats
        return {
            "seconds": round(seconds, 3),
            "application_js_functions": int(len(app)),
            "call_edges": int((edges["kind"] == "calls").sum()),
            "calls_resolved": stats.get("calls_resolved"),
            "calls_unresolved": stats.get("calls_unresolved"),
            "calls_builtin": stats.get("calls_builtin"),
            "stdlib": sorted(ext[stdlib]["name"]),
            "external": sorted(ext[~stdlib]["name"]),
        }
    finally:
        wb.close()


def parse_seconds(repo: Path, runs: int = 7) -> float:
    """Best time of ``runs`` in-process parses of every JavaScript file (the parser's cost
    alone: the map's wall time on a shared machine is mostly the machine)."""
    from workbench.mapping.languages import language_for_path, parse_source

    files = [(language_for_path(str(p)), p.read_bytes()) for p in sorted(repo.rglob("*"))
             if p.is_file() and ".git" not in p.parts and language_for_path(str(p))]
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for language, data in files:
            parse_source(language, data)
        best = min(best, time.perf_counter() - started)
    return round(best, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="an express npm tarball (default: npm pack)")
    parser.add_argument("--spec", default="express@4")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tarball = args.tarball or fetch_tarball(args.spec)
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            repo = make_repo(tarball, Path(tmp))
            results.append(measure(repo, Path(tmp) / "data"))
            results[-1]["parse_seconds_best"] = parse_seconds(repo)
    last = results[-1]
    last["seconds_median"] = statistics.median(r["seconds"] for r in results)
    last["parse_seconds_best"] = min(r["parse_seconds_best"] for r in results)
    last["tarball"] = tarball.name
    print(json.dumps(last, indent=1))


if __name__ == "__main__":
    main()
