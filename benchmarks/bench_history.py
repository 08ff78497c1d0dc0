"""Benchmark the history miner against raw ``git log --numstat`` and PyDriller.

    PYTHONPATH=. python benchmarks/bench_history.py [--data-dir data/bench/history-synth]
        [--runs 5] [--pydriller-runs 1] [--commits 20000] [--files 2000] [--repo PATH]

Builds (once, cached under ``--data-dir``) a synthetic repository, or takes the existing
repository ``--repo`` (a clone of Flask or Django, bare or not), then times:

* the floor: ``git log --numstat`` written to /dev/null, and the miner's exact ``git log``
  command written to /dev/null (what the parser adds is the difference);
* the workbench miner, consuming every batch, with its default number of git processes (one
  per CPU) and with one git process;
* PyDriller, iterating ``Repository(path).traverse_commits()`` and summing the added and
  deleted lines of every modified file (skipped when PyDriller is not installed).

Prints medians, commits per second and ratios as a markdown table, and checks that the
miner's totals (commits, file changes, added, deleted) equal PyDriller's.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from synth_repo import SynthSpec, ensure_repo  # noqa: E402
from workbench.history import git as history_git  # noqa: E402
from workbench.history.git import default_jobs, resolve_commits  # noqa: E402
from workbench.history.mine import log_arguments, mine  # noqa: E402
from workbench.repos.commit_graph import has_commit_graph  # noqa: E402
from workbench.repos.git import Git  # noqa: E402

Totals = tuple[int, int, int, int]  # commits, file changes, added, deleted


@dataclass
class Timings:
    """Wall-clock and CPU seconds (this process plus its children: git) of each run."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    result: Totals | None = None


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_runs(contenders: dict[str, Callable[[], Totals | None]], runs: int) -> dict[str, Timings]:
    """Run the contenders round-robin, so that a noisy spell on the machine hits all alike."""
    timings = {label: Timings() for label in contenders}
    for run in range(runs):
        for label, func in contenders.items():
            cpu, started = _cpu_seconds(), time.perf_counter()
            result = func()
            record = timings[label]
            record.wall.append(time.perf_counter() - started)
            record.cpu.append(_cpu_seconds() - cpu)
            record.result = result
            print(f"  {label} run {run + 1}/{runs}: {record.wall[-1]:.2f}s wall, {record.cpu[-1]:.2f}s cpu",
                  file=sys.stderr, flush=True)
    return timings


def git_to_devnull(argv: list[str], cwd: Path | None = None) -> None:
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=Git().env(), cwd=cwd)


def workbench_totals(repo: Path, jobs: int | None = None) -> Totals:
    history_git.JOBS = jobs
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


def load() -> str:
    """The load average (1, 5, 15 minutes): the machine's other work shares the cores."""
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench/history-synth"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pydriller-runs", type=int, default=1)
    parser.add_argument("--commits", type=int, default=SynthSpec.commits)
    parser.add_argument("--files", type=int, default=SynthSpec.files)
    parser.add_argument("--repo", type=Path, help="an existing repository instead of the synthetic one")
    args = parser.parse_args()

    started = time.perf_counter()
    if args.repo is not None:
        repo = args.repo.resolve()
    else:
        repo = ensure_repo(args.data_dir, SynthSpec(commits=args.commits, files=args.files))
    print(f"repository {repo} ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    load_before = load()
    (head,) = resolve_commits(repo, ["HEAD"])

    jobs = default_jobs()
    floor_label, ours_label, pydriller_label = (
        "git log --numstat > /dev/null (floor)", f"workbench mine(), {jobs} git processes",
        "PyDriller traverse_commits()")
    single_label = "workbench mine(), 1 git process"
    timings = time_runs({
        floor_label: lambda: git_to_devnull(["git", "-C", str(repo), "log", "--numstat"]),
        "miner's git log command > /dev/null": lambda: git_to_devnull(
            Git(memory=512 << 20).command(log_arguments(head, [])), cwd=repo),
        ours_label: lambda: workbench_totals(repo),
        single_label: lambda: workbench_totals(repo, jobs=1),
    }, args.runs)
    try:
        import pydriller  # noqa: F401
    except ImportError:
        print("PyDriller not installed: skipped", file=sys.stderr)
    else:
        if args.pydriller_runs > 0:
            timings.update(time_runs({pydriller_label: lambda: pydriller_totals(repo)}, args.pydriller_runs))

    ours = timings[ours_label].result
    theirs = timings[pydriller_label].result if pydriller_label in timings else None
    assert ours is not None
    wall = {label: statistics.median(t.wall) for label, t in timings.items()}
    cpu = {label: statistics.median(t.cpu) for label, t in timings.items()}
    what = f"Repository {repo.name}" if args.repo else f"Synthetic repository ({args.files:,} files)"
    graph = "with" if has_commit_graph(repo) else "without"
    print(f"\n{what} ({graph} a commit-graph): {ours[0]:,} commits, {ours[1]:,} file changes; "
          f"medians of {args.runs} runs (PyDriller: {args.pydriller_runs}); {jobs} CPUs; "
          f"load average {load_before} at the start, {load()} at the end\n")
    print("| what | wall s | commits/s | wall × floor | cpu s | cpu × floor |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label in timings:
        print(f"| {label} | {wall[label]:.2f} | {ours[0] / wall[label]:,.0f} | {wall[label] / wall[floor_label]:.2f} "
              f"| {cpu[label]:.2f} | {cpu[label] / cpu[floor_label]:.2f} |")
    ratio = wall[ours_label] / wall[floor_label]
    print(f"\nworkbench / floor: {ratio:.2f} wall, "
          f"{cpu[ours_label] / cpu[floor_label]:.2f} cpu (target ≤ 0.65 wall on two cores: "
          f"{'met' if ratio <= 0.65 else 'not met'})")
    single = timings[single_label].result
    print(f"totals of {jobs} processes equal to one process's: {ours == single} {ours}")
    if ours != single:
        return 1
    if theirs is not None:
        print(f"PyDriller / workbench: {wall[pydriller_label] / wall[ours_label]:.1f} wall")
        print("\n| totals | commits | file changes | added | deleted |")
        print("| --- | ---: | ---: | ---: | ---: |")
        print("| workbench | " + " | ".join(f"{n:,}" for n in ours) + " |")
        print("| PyDriller | " + " | ".join(f"{n:,}" for n in theirs) + " |")
        print(f"\ntotals equal: {ours == theirs}")
        return 0 if ours == theirs else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
