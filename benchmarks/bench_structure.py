"""Structure benchmark: the Django package mapped by the workbench, grimp and pydeps, one run.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/bench_structure.py [--runs 3] [--django 5.2.8]

The Django sdist is downloaded once into ``data/bench/`` and its ``django/`` package is
committed into a fresh git repository (a second commit changes one file). Measured, each in a
fresh process, median of ``--runs``:

* workbench cold map (clone, parse every file in worker processes, imports, definitions, calls,
  inheritance, metrics, stored in a new DuckDB file);
* workbench warm re-map of the same commit (facts cached by blob: nothing parsed);
* workbench map of the next commit (one changed file parsed);
* ``grimp.build_graph('django', cache_dir=None)`` (imports only);
* ``pydeps django --no-output --show-deps --max-bacon 0`` (imports only).

Then the internal module-to-module import edges of the workbench and grimp are compared:
all of them, and the imports that run (the workbench without ``type_checking`` imports,
grimp with ``exclude_type_checking_imports=True``). ``--compare-only`` skips the timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_BENCH_DIR, committed_sdist, git, median, run_command, run_timed, table  # noqa: E402

MAP = """
import json, sys, time
from workbench import Workbench
wb = Workbench({data!r})
if {cold_cache!r}:  # keep the clone, forget every parse result: a cold structural map
    wb.store.db.write(lambda cur: cur.execute("DELETE FROM file_facts"))
t = time.perf_counter()
snap = wb.map({repo!r}, name="django", ref={ref!r}, force={force!r})
print(json.dumps({{"seconds": time.perf_counter() - t, "stats": snap.stats}}))
"""

GRIMP = """
import json, sys, time
sys.path.insert(0, {src!r})
import grimp
t = time.perf_counter()
g = grimp.build_graph("django", cache_dir=None)
print(json.dumps({{"seconds": time.perf_counter() - t, "modules": len(g.modules)}}))
"""


def prepare_repo(version: str, bench_dir: Path) -> tuple[Path, str, str, Path]:
    repo, src, created = committed_sdist("django", version, bench_dir, "django")
    if created:
        target = repo / "django" / "utils" / "text.py"
        target.write_text(target.read_text() + "\n\ndef _bench_marker():\n    return None\n")
        git(repo, "commit", "-q", "-am", "change one file")
    first = git(repo, "rev-parse", "HEAD~1")
    second = git(repo, "rev-parse", "HEAD")
    return repo, first, second, src


def workbench_map(repo: Path, ref: str, data: Path, *, force: bool = False,
                  cold_cache: bool = False) -> object:
    return run_timed(MAP.format(data=str(data), repo=str(repo), ref=ref, force=force,
                                cold_cache=cold_cache))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--django", default="5.2.8")
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--compare-only", action="store_true",
                        help="only compare the import edges with grimp's (no timings)")
    args = parser.parse_args()
    repo, first, second, src = prepare_repo(args.django, args.bench_dir)
    if args.compare_only:
        compare_edges(repo, first)
        return
    rows, results = [], {}

    cold, structural, rebuilt, warm, nxt = [], [], [], [], []
    for _ in range(args.runs):
        data = Path(tempfile.mkdtemp(prefix="wb-bench-"))
        cold.append(workbench_map(repo, first, data))
        structural.append(workbench_map(repo, first, data, force=True, cold_cache=True))
        rebuilt.append(workbench_map(repo, first, data, force=True))
        warm.append(workbench_map(repo, first, data))
        nxt.append(workbench_map(repo, second, data))
        shutil.rmtree(data)
    stats = json.loads([line for line in cold[-1].output.splitlines() if line.startswith("{")][-1])["stats"]
    results["workbench first map: clone + parse all + history + store"] = median(cold)
    results["workbench cold structural map (clone kept, parse cache empty)"] = median(structural)
    results["workbench rebuild, same commit (--force, every blob cached)"] = median(rebuilt)
    results["workbench re-map, same commit (fetch, snapshot reused)"] = median(warm)
    results["workbench map, next commit (1 file changed)"] = median(nxt)

    grimp_runs = [run_timed(GRIMP.format(src=str(repo))) for _ in range(args.runs)]
    results["grimp build_graph (imports only)"] = median(grimp_runs)
    pydeps = shutil.which("pydeps") or str(Path(sys.executable).parent / "pydeps")
    pydeps_runs = [run_command([pydeps, "django", "--no-output", "--show-deps", "--max-bacon", "0",
                                "--no-config"], cwd=repo) for _ in range(max(1, args.runs))]
    results["pydeps (imports only)"] = median(pydeps_runs)

    grimp_s = results["grimp build_graph (imports only)"][0]
    for name, (seconds, process, peak) in results.items():
        rows.append([name, seconds, process, peak, seconds / grimp_s])
    print(f"Django {args.django}: {stats['modules']} modules, {stats['classes']} classes, "
          f"{stats['functions']} functions, {stats['import_edges']} import edges, "
          f"{stats['call_edges']} call edges; 2 cores, median of {args.runs} runs\n")
    print(table(["tool / run", "seconds", "process s (with start-up)", "largest process MB",
                 "× grimp"], rows))
    print()
    compare_edges(repo, first)


COMPARE = """
import json, sys, tempfile
sys.path.insert(0, {src!r})
import grimp
from workbench import Workbench

def pairs(g):
    return {{(m, i) for m in g.modules for i in g.find_modules_directly_imported_by(m)}}

def compared(ours, theirs):
    return {{"both": len(ours & theirs), "only_workbench": sorted(ours - theirs)[:15],
            "only_grimp": sorted(theirs - ours)[:15], "n_only_workbench": len(ours - theirs),
            "n_only_grimp": len(theirs - ours), "grimp": len(theirs), "workbench": len(ours)}}

wb = Workbench(tempfile.mkdtemp())
snap = wb.map({repo!r}, name="django", ref={ref!r})
e = snap.edges
imports = e[e.kind == "imports"]
ours = {{(r.src, r.dst) for r in imports.itertuples()}}
ours_running = {{(r.src, r.dst) for r in imports.itertuples()
                 if set(json.loads(r.attrs)["contexts"]) != {{"type_checking"}}}}
print(json.dumps({{
    "all": compared(ours, pairs(grimp.build_graph("django", cache_dir=None))),
    "runtime": compared(ours_running, pairs(grimp.build_graph(
        "django", cache_dir=None, exclude_type_checking_imports=True))),
}}))
"""


def compare_edges(repo: Path, ref: str) -> None:
    out = run_timed(COMPARE.format(src=str(repo), repo=str(repo), ref=ref)).output
    found = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    for name, res in (("Internal import edges", found["all"]),
                      ("Without type-checking imports", found["runtime"])):
        agree = res["both"] / max(res["grimp"], res["workbench"], 1)
        print(f"{name}: workbench {res['workbench']}, grimp {res['grimp']}, "
              f"in both {res['both']} ({agree:.1%} of the larger set)")
        print(f"  only in workbench ({res['n_only_workbench']}): {res['only_workbench']}")
        print(f"  only in grimp ({res['n_only_grimp']}): {res['only_grimp']}")


if __name__ == "__main__":
    main()
