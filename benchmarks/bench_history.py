"""Benchmark the history miner against raw ``git log --numstat`` and PyDriller.

    PYTHONPATH=. python benchmarks/bench_history.py [--data-dir data/bench/history-synth]
        [--runs 5] [--pydriller-runs 1] [--commits 20000] [--files 2000]

Builds (once, cached under ``--data-dir``) a synthetic repository, then times:

* the floor: ``git log --numstat`` written to /dev/null, and the miner's exact ``git log``
  command written to /dev/null (what the parser adds is the difference);
* the workbench miner, consuming every batch;
* PyDriller, iterating ``Repository(path).traverse_commits()`` and summing the added and
  deleted lines of every modified file (skipped when PyDriller is not installed).

Prints medians, commits per second and ratios as a markdown table, and checks that the
miner's totals (commits, file changes, added, deleted) equal PyDriller's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from synth_repo import SynthSpec, ensure_repo  # noqa: E402
from workbench.history.git import git_command, git_env, resolve_commits  # noqa: E402
from workbench.history.mine import log_arguments, mine  # noqa: E402

Totals = tuple[int, int, int, int]  # commits, file changes, added, deleted


def time_runs(label: str, runs: int, func: Callable[[], Totals | None]) -> tuple[list[float], Totals | None]:
    timings, result = [], None
    for run in range(runs):
        started = time.perf_counter()
        result = func()
        timings.append(time.perf_counter() - started)
        print(f"  {label} run {run + 1}/{runs}: {timings[-1]:.2f}s", file=sys.stderr, flush=True)
    return timings, result


def git_to_devnull(argv: list[str]) -> None:
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=git_env())


def workbench_totals(repo: Path) -> Totals:
    commits = changes = added = deleted = 0
    for batch in mine(repo):
        commits += batch.commits.num_rows
        changes += batch.file_changes.num_rows
        added += sum(batch.file_changes["added"].to_pylist())
        deleted += sum(batch.file_changes["deleted"].to_pylist())
    return commits, changes, added, deleted


def pydriller_totals(repo: Path) -> Totals:
    from pydriller import Repository

    commits = changes = added = deleted = 0
    for commit in Repository(str(repo)).traverse_commits():
        commits += 1
        for modified in commit.modified_files:
            changes += 1
            added += modified.added_lines
            deleted += modified.deleted_lines
    return commits, changes, added, deleted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench/history-synth"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pydriller-runs", type=int, default=1)
    parser.add_argument("--commits", type=int, default=SynthSpec.commits)
    parser.add_argument("--files", type=int, default=SynthSpec.files)
    args = parser.parse_args()

    started = time.perf_counter()
    repo = ensure_repo(args.data_dir, SynthSpec(commits=args.commits, files=args.files))
    print(f"repository {repo} ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    (head,) = resolve_commits(repo, ["HEAD"])

    rows: dict[str, list[float]] = {}
    rows["git log --numstat > /dev/null (floor)"], _ = time_runs(
        "floor", args.runs, lambda: git_to_devnull(["git", "-C", str(repo), "log", "--numstat"]))
    rows["miner's git log command > /dev/null"], _ = time_runs(
        "miner command", args.runs, lambda: git_to_devnull(git_command(repo, *log_arguments(head, []))))
    rows["workbench mine()"], ours = time_runs("workbench", args.runs, lambda: workbench_totals(repo))
    theirs = None
    try:
        import pydriller  # noqa: F401
    except ImportError:
        print("PyDriller not installed: skipped", file=sys.stderr)
    else:
        if args.pydriller_runs > 0:
            rows["PyDriller traverse_commits()"], theirs = time_runs(
                "pydriller", args.pydriller_runs, lambda: pydriller_totals(repo))

    assert ours is not None
    medians = {label: statistics.median(timings) for label, timings in rows.items()}
    floor = medians["git log --numstat > /dev/null (floor)"]
    ours_median = medians["workbench mine()"]
    print(f"\nSynthetic repository: {ours[0]} commits, {args.files} files, {ours[1]} file changes "
          f"(median of {args.runs} runs; PyDriller {args.pydriller_runs})\n")
    print("| what | median s | commits/s | × floor |")
    print("| --- | ---: | ---: | ---: |")
    for label, median in medians.items():
        print(f"| {label} | {median:.2f} | {ours[0] / median:,.0f} | {median / floor:.2f} |")
    print(f"\nworkbench / floor = {ours_median / floor:.2f} (target ≤ 1.25)")
    if theirs is not None:
        print(f"PyDriller / workbench = {medians['PyDriller traverse_commits()'] / ours_median:.1f}")
        print("\n| totals | commits | file changes | added | deleted |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print("| workbench | " + " | ".join(f"{n:,}" for n in ours) + " |")
        print("| PyDriller | " + " | ".join(f"{n:,}" for n in theirs) + " |")
        print(f"\ntotals equal: {ours == theirs}")
        return 0 if ours == theirs else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
