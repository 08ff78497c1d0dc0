"""What ownership of the current lines (``git blame``, cached per blob) costs a map.

    PYTHONPATH=. python benchmarks/bench_blame.py REPOSITORY [--runs 3]

Maps REPOSITORY (a path; it is cloned like any source) into fresh data directories and times,
median of ``--runs``:

* a first map without blame (``blame=False``);
* a first map with blame (every parsed file blamed);
* a map of the same commit again (``force=True``) with blame: every blame comes from the
  cache, so this is what an unchanged file costs on later maps.

Prints a markdown table with the medians and the ratio to the first column.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from workbench import Config, Workbench  # noqa: E402


def one_run(repo: str, blame: bool) -> tuple[float, float | None, int]:
    """(first map seconds, forced re-map seconds or None, files blamed)."""
    with tempfile.TemporaryDirectory(prefix="bench-blame-") as data:
        with Workbench(config=Config(data_dir=Path(data), blame=blame)) as wb:
            started = time.perf_counter()
            snap = wb.map(repo)
            first = time.perf_counter() - started
            blamed = int(snap.file_metrics["current_lines"].notna().sum())
            again = None
            if blame:
                started = time.perf_counter()
                wb.map(snap.info.project, force=True)
                again = time.perf_counter() - started
    return first, again, blamed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repository")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    without = [one_run(args.repository, False)[0] for _ in range(args.runs)]
    runs = [one_run(args.repository, True) for _ in range(args.runs)]
    base = statistics.median(without)
    with_blame = statistics.median(r[0] for r in runs)
    cached = statistics.median(r[1] for r in runs)
    print(f"{args.repository}: {runs[0][2]} files blamed, medians of {args.runs} runs\n")
    print("| map | seconds | ratio |\n|---|---|---|")
    print(f"| first map, no blame | {base:.2f} | 1.00 |")
    print(f"| first map, blame | {with_blame:.2f} | {with_blame / base:.2f} |")
    print(f"| same commit again (force), blames cached | {cached:.2f} | {cached / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
