"""How long one map holds the database file, and how long another process waits meanwhile.

    .venv/bin/python benchmarks/bench_lock_hold.py [--runs 3]

The repository is SQLAlchemy 2.0.36's PyPI sdist (``pip download --no-binary :all: --no-deps
sqlalchemy==2.0.36`` into ``data/bench``) committed on top of the synthetic history of
``synth_repo.py`` (20,000 commits, 2,000 files), so the map parses a real, large Python
package and mines a long history. DuckDB lets one process hold the file at a time; the
workbench opens it per unit of work and lets go when idle (``Database.hold_times()`` records
each hold). While the map runs, a second process opens the database and lists projects every
0.2 s, as ``workbench project list`` would, and records how long each call takes.

Prints the longest hold, the median hold, the number of holds, the map's wall time and the
other process's longest and median wait, as medians over ``--runs`` maps (machines are noisy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from _common import DEFAULT_BENCH_DIR, fetch_sdist, git  # noqa: E402
from synth_repo import SynthSpec, ensure_repo  # noqa: E402

#: The other process: list projects every 0.2 s until told to stop; print each call's seconds.
READER = """
import json, sys, time
from pathlib import Path
from workbench.store import Store
store = Store(Path(sys.argv[1]), lock_timeout=600)
stop = Path(sys.argv[2])
waits = []
while not stop.exists():
    started = time.monotonic()
    store.projects.list()
    store.db.release()
    waits.append(time.monotonic() - started)
    time.sleep(0.2)
print(json.dumps(waits))
"""


def bench_repo(bench_dir: Path) -> Path:
    """The synthetic history with SQLAlchemy's sdist committed on top (built once)."""
    target = bench_dir / "lock-hold" / "sqlalchemy-2.0.36-synth"
    if (target / ".complete").exists():
        return target
    history = ensure_repo(bench_dir / "history-synth", SynthSpec())
    sdist = fetch_sdist("sqlalchemy", "2.0.36", bench_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["rm", "-rf", str(target)], check=True)
    subprocess.run(["git", "clone", "-q", str(history), str(target)], check=True)
    subprocess.run(["cp", "-r", f"{sdist}/.", str(target / "sqlalchemy")], check=True)
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "SQLAlchemy 2.0.36 sources")
    (target / ".git" / "info" / "exclude").write_text(".complete\n")
    (target / ".complete").write_text("ok\n")
    return target


def one_map(repo: Path) -> dict:
    from workbench import Config, Workbench

    with tempfile.TemporaryDirectory(prefix="wb-lock-") as tmp:
        data = Path(tmp) / "data"
        wb = Workbench(config=Config(data_dir=data))
        stop = Path(tmp) / "stop"
        reader = subprocess.Popen([sys.executable, "-c", READER, str(wb.store.path), str(stop)],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)  # the reader is up before the map starts
        started = time.monotonic()
        snap = wb.map(str(repo))
        seconds = time.monotonic() - started
        holds = wb.store.db.hold_times()
        wb.close()
        stop.touch()
        waits = json.loads(reader.communicate(timeout=600)[0])
        return {"map_s": seconds, "longest_hold_s": max(holds), "median_hold_s": statistics.median(holds),
                "holds": len(holds), "reader_longest_s": max(waits),
                "reader_median_s": statistics.median(waits), "reader_calls": len(waits),
                "files": snap.stats.get("files"), "commits": snap.stats.get("commits")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    args = parser.parse_args()
    repo = bench_repo(args.bench_dir)
    results = []
    for run in range(args.runs):
        results.append(one_map(repo))
        print(f"run {run + 1}: {json.dumps(results[-1])}", file=sys.stderr, flush=True)
    med = {key: statistics.median(r[key] for r in results) for key in results[0]
           if isinstance(results[0][key], (int, float))}
    print(f"SQLAlchemy 2.0.36 sdist on a 20,000-commit synthetic history; medians of {args.runs} maps\n")
    print("| measure | seconds |")
    print("|---|---:|")
    print(f"| map, wall time (clone, parse, history, store) | {med['map_s']:.1f} |")
    print(f"| longest hold of the database file by the map's process | **{med['longest_hold_s']:.2f}** |")
    print(f"| median hold ({med['holds']:.0f} holds) | {med['median_hold_s']:.3f} |")
    print(f"| another process listing projects meanwhile: longest call | {med['reader_longest_s']:.2f} |")
    print(f"| another process listing projects meanwhile: median call | {med['reader_median_s']:.3f} |")


if __name__ == "__main__":
    main()
