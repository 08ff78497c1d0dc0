"""End-to-end benchmark: ``workbench map`` of the synthetic 20,000-commit repository from a file URL.

    .venv/bin/python benchmarks/bench_end_to_end.py [--runs 3]

Each run starts from an empty data directory and runs the real CLI in a fresh process:
clone (``--no-local``, like a remote), list and parse files, mine the whole history, compute
behavioural and structural metrics, store everything in one DuckDB file. The repository is the
one ``bench_history.py`` builds (``benchmarks/synth_repo.py``, cached under ``data/bench``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_BENCH_DIR, run_command  # noqa: E402
from synth_repo import SynthSpec, ensure_repo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR / "history-synth")
    args = parser.parse_args()
    repo = ensure_repo(args.bench_dir, SynthSpec())
    workbench = str(Path(sys.executable).parent / "workbench")
    runs, stats = [], {}
    for _ in range(args.runs):
        data = Path(tempfile.mkdtemp(prefix="wb-e2e-"))
        runs.append(run_command([workbench, "--data-dir", str(data), "map", f"file://{repo}",
                                 "--name", "synth", "--quiet"]))
        stats = json.loads(run_command([sys.executable, "-c", (
            "import json,sys; from workbench import Workbench;"
            "print(json.dumps(Workbench(sys.argv[1]).snapshot('synth').stats))"), str(data)]).output)
        shutil.rmtree(data)
    seconds = statistics.median(r.seconds for r in runs)
    peak = max(r.peak_mb for r in runs)
    print(f"synthetic repository: {stats['commits']:,} commits, {stats['files']:,} files at HEAD, "
          f"{stats['co_change_edges']:,} co-change pairs kept; median of {args.runs} runs, 2 cores\n")
    print("| step | seconds | commits/s | peak MB |")
    print("|---|---:|---:|---:|")
    print(f"| `workbench map file://…` (clone, parse, history, metrics, store) | {seconds:.2f} | "
          f"{stats['commits'] / seconds:,.0f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
