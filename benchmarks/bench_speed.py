"""Speed at both ends: the command's start-up and the cold structural map of Django.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/bench_speed.py [--runs 5] [--django 5.2.8] [--baseline PYTHON]

Each measurement is a whole fresh process, median of ``--runs``, peers and floors in the same
run:

* ``workbench --help``, ``workbench status`` and ``workbench map django --ref C`` of a commit
  mapped already (fetch, snapshot reused, summary printed), beside grimp's whole process
  (``import grimp; grimp.build_graph("django")``, the import graph of the same package);
* the cold structural map of Django's package (clone kept, parse cache emptied,
  ``map(force=True)``), its own time measured inside the process, beside the floor: a bare
  single-core ``ast.parse`` + ``ast.walk`` of the same ``.py`` files in a fresh process; the
  fold of the map's write-ahead log into the file, which runs when the file is released
  after the map returned (at exit in a command), is timed on its own;
* the workbench's bytecode is compiled first (``compileall``), as a wheel install and any
  Python run without ``PYTHONDONTWRITEBYTECODE`` leave it: otherwise every fresh process
  compiles the modules it imports from source again (about 0.15 s of ``status``);
* the map's output hashed (nodes and edges, every column, in a fixed order) in each run; with
  ``--baseline`` (another checkout's Python, e.g. ``../other/.venv/bin/python``) the same map
  made by that version is hashed too, so a speed-up that changes the map shows.

``--timeline N`` instead maps cold N times and prints where each map's time went: when each
of its steps started and ended (seconds from the map's start) on which thread, the full
collections of Python's cyclic collector, and the CPU of the process and of its children.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_BENCH_DIR, run_timed, table  # noqa: E402
from bench_structure import MAP, prepare_repo  # noqa: E402

# appended to bench_structure's MAP script (``wb``, ``snap`` in scope)
HASH = """
# the map's write-ahead log is folded into the file when the file is released, after the
# map has returned: timed here on its own, at once (at the end of a process it runs at
# exit; left to the idle release, it would run while the map is hashed below)
t = time.perf_counter()
wb.store.db.release()
fold = time.perf_counter() - t
if {summary!r}:
    snap.summary()  # what `workbench map` prints, kept with the snapshot
import hashlib
digest = hashlib.sha256()
for table, order in (("nodes", "id"), ("edges", "kind, src, dst")):
    rows = wb.store.db.query(f"SELECT * EXCLUDE (snapshot_id) FROM {{table}}"
                             f" WHERE snapshot_id = ? ORDER BY {{order}}", [snap.id])
    digest.update(repr(rows).encode())
print(json.dumps({{"hash": digest.hexdigest()[:16], "fold": fold}}))
"""


# Before start-up was made lazy, `from workbench import Workbench` loaded the map's modules
# (pandas, Arrow, networkx, scipy) before the clock started; they load first here too, so the
# cold map's own time compares like with like (a notebook kernel has them loaded as well,
# networkx among them for the graph views, though a map no longer needs it).
PRELOAD = """
import workbench.mapping.build, workbench.mapping.scan, workbench.history.service
import networkx.algorithms.community, scipy.sparse
"""


def map_script(data: Path, repo: Path, ref: str, *, cold: bool, force: bool,
               summary: bool) -> str:
    """A map in a fresh process printing its time, then the hash of the map it made."""
    return (PRELOAD + MAP.format(data=str(data), repo=str(repo), ref=ref, force=force,
                                 cold_cache=cold)
            + HASH.format(summary=summary))


FLOOR = """
import ast, json, pathlib, time
files = sorted(pathlib.Path({src!r}).rglob("*.py"))
data = [p.read_bytes() for p in files]
t = time.perf_counter()
nodes = 0
for blob in data:
    for _ in ast.walk(ast.parse(blob)):
        nodes += 1
print(json.dumps({{"seconds": time.perf_counter() - t, "files": len(data), "nodes": nodes}}))
"""

GRIMP = """
import sys
sys.path.insert(0, {src!r})
import grimp
grimp.build_graph("django", cache_dir=None)
"""


# the steps of a cold map timed by --timeline: (module, qualified name)
STEPS = [
    ("workbench.mapping.service", "MapService._list"),
    ("workbench.mapping.scan", "classify"),
    ("workbench.store.facts", "FactsTable.get_many"),
    ("workbench.mapping.workers", "WorkerPool.parse"),
    ("workbench.store.facts", "FactsTable.put_many"),
    ("workbench.mapping.build", "link_map"),
    ("workbench.mapping.build", "finish_map"),
    ("workbench.history.service", "HistoryService.sync"),
    ("workbench.history.service", "HistoryService.prepare"),
    ("workbench.history.service", "HistoryService.finish"),
    ("workbench.store.snapshots", "SnapshotsTable.write"),
]

TIMELINE = """
import functools, gc, importlib, json, resource, threading, time
origin = [0.0]
marks, pauses = [], []
def wrap(module, name):
    owner = importlib.import_module(module)
    *path, last = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    fn = getattr(owner, last)
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            marks.append((began - origin[0], time.perf_counter() - origin[0], name,
                          threading.current_thread().name))
    setattr(owner, last, timed)
for module, name in {steps!r}:
    wrap(module, name)
from workbench import Workbench
wb = Workbench({data!r})
wb.store.db.write(lambda cur: cur.execute("DELETE FROM file_facts"))
started = {{}}
def collected(phase, info):
    if info["generation"] == 2:
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            began = started.pop("t")
            pauses.append((began - origin[0], time.perf_counter() - began))
gc.callbacks.append(collected)
before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
origin[0] = time.perf_counter()
wb.map({repo!r}, name="django", ref={ref!r}, force=True)
seconds = time.perf_counter() - origin[0]
after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = [round(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime, 3) for a, b in zip(after, before)]
print(json.dumps({{"seconds": seconds, "marks": sorted(marks), "cpu": cpu,
                  "full_collections": [(round(a, 3), round(b * 1000, 1)) for a, b in pauses]}}))
"""


def show_timeline(run: dict) -> None:
    """One cold map's steps, as ``--timeline`` prints them."""
    print(f"cold map {run['seconds']:.3f} s; CPU: process {run['cpu'][0]:.3f} s, "
          f"children {run['cpu'][1]:.3f} s; full collections (start s, ms): "
          f"{run['full_collections'] or 'none'}")
    print(table(["step", "thread", "start s", "end s", "seconds"],
                [[name, thread, began, ended, ended - began]
                 for began, ended, name, thread in run["marks"]]))
    print()


def whole_process(cmd: list[str], *, cwd: Path | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - started


def json_out(run) -> dict:
    """Every JSON line a child printed, merged."""
    merged: dict = {}
    for line in run.output.splitlines():
        if line.startswith("{"):
            merged.update(json.loads(line))
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--django", default="5.2.8")
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--baseline", help="another checkout's Python: its map is hashed too")
    parser.add_argument("--timeline", type=int, metavar="N",
                        help="only map cold N times and print where each map's time went")
    args = parser.parse_args()
    repo, first, _, _ = prepare_repo(args.django, args.bench_dir)
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "workbench", quiet=1)
    data = Path(tempfile.mkdtemp(prefix="wb-speed-"))
    exe = str(Path(sys.executable).parent / "workbench")
    first_map = json_out(run_timed(map_script(data, repo, first, cold=False, force=False,
                                              summary=True)))
    if args.timeline:
        for _ in range(args.timeline):
            show_timeline(json_out(run_timed(PRELOAD + TIMELINE.format(
                steps=STEPS, data=str(data), repo=str(repo), ref=first))))
        shutil.rmtree(data, ignore_errors=True)
        return

    startup = {"help": [], "status": [], "remap": [], "grimp": []}
    cold, folds, floor, hashes = [], [], [], {first_map["hash"]}
    for _ in range(args.runs):
        startup["help"].append(whole_process([exe, "--help"]))
        startup["status"].append(whole_process([exe, "--data-dir", str(data), "status"]))
        startup["remap"].append(whole_process([exe, "--data-dir", str(data), "map", "django",
                                               "--ref", first, "-q"]))
        startup["grimp"].append(whole_process([sys.executable, "-c", GRIMP.format(src=str(repo))]))
        # the summary `workbench map` prints is computed after the timed map, as it is there
        run = json_out(run_timed(map_script(data, repo, first, cold=True, force=True,
                                            summary=True)))
        cold.append(run["seconds"])
        folds.append(run["fold"])
        hashes.add(run["hash"])
        floor.append(json_out(run_timed(FLOOR.format(src=str(repo / "django")))))
    baseline = None
    if args.baseline:
        other = Path(tempfile.mkdtemp(prefix="wb-speed-base-"))
        out = subprocess.run([args.baseline, "-c", map_script(
            other, repo, first, cold=False, force=False, summary=False)],
            capture_output=True, text=True, cwd=other)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        baseline = json.loads(lines[-1])["hash"] if lines else out.stderr[-500:]
        shutil.rmtree(other, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in startup.items()}
    floor_s = statistics.median(f["seconds"] for f in floor)
    cold_s = statistics.median(cold)

    def met(seconds: float, goal: float) -> str:
        return "yes" if seconds <= goal else "**no**"

    rows = [
        ["`workbench --help` (whole process)", med["help"], 0.25, met(med["help"], 0.25),
         med["help"] / med["grimp"]],
        ["`workbench status` (whole process)", med["status"], 0.40, met(med["status"], 0.40),
         med["status"] / med["grimp"]],
        ["re-map, unchanged commit (`workbench map django --ref C -q`, whole process)",
         med["remap"], 0.40, met(med["remap"], 0.40), med["remap"] / med["grimp"]],
        ["peer: grimp `build_graph('django')` (whole process)", med["grimp"], None, None, 1.0],
    ]
    print(f"Django {args.django}; {os.cpu_count()} cores; median of {args.runs} runs; "
          f"load average at the end {os.getloadavg()[0]:.1f}\n")
    print(table(["start-up", "seconds", "goal s", "met", "× grimp process"], rows))
    print()
    print(table(["cold structural map", "seconds", "goal s", "met", "× floor"], [
        ["workbench cold structural map (clone kept, parse cache empty)", cold_s, 1.2,
         met(cold_s, 1.2), cold_s / floor_s],
        [f"floor: `ast.parse` + `ast.walk` of the {floor[0]['files']} .py files, one core",
         floor_s, None, None, 1.0],
        ["not in the map's time: its log folded into the file at the next release",
         statistics.median(folds), None, None, statistics.median(folds) / floor_s],
    ]))
    print("\nThe floor is one core's speed at the moment of the run: on a shared machine the "
          "cold map's\nseconds move with it, and its ratio to the floor is the steadier figure "
          "(README, Benchmarks).")
    print()
    print(f"map hashes: {sorted(hashes)} ({'unchanged across runs' if len(hashes) == 1 else 'DIFFER'})")
    if baseline is not None:
        same = hashes == {baseline}
        print(f"baseline ({args.baseline}) hash: {baseline} -> {'same map' if same else 'DIFFERENT map'}")


if __name__ == "__main__":
    main()
