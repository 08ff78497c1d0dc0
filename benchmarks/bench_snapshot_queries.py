"""Graph queries on a 100,000-node / 500,000-edge map stored in DuckDB, through the facade.

    .venv/bin/python benchmarks/bench_snapshot_queries.py [--nodes 100000 --edges 500000]

The deterministic synthetic map of ``bench_graph_queries.synthetic_frames`` is written as a
snapshot of a DuckDB file. Then, in a fresh process: the cold load (``Snapshot.graph``: DuckDB →
Arrow → networkx, plus the query index on first use), a warm load (cached), and p50/p95 over
random nodes of ``related(depth=3)``, ``impact``, ``paths``, ``cycles`` and ``collapse(depth=2)``.
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

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERY = """
import json, sys, time, random
import numpy as np
from workbench import Workbench
from workbench.graph.errors import GraphQueryError
wb = Workbench(sys.argv[1])
t = time.perf_counter(); snap = wb.snapshot("synthetic"); snap.index; load = time.perf_counter() - t
t = time.perf_counter(); snap.cycles(); first = time.perf_counter() - t
t = time.perf_counter(); snap.index; warm = time.perf_counter() - t
t = time.perf_counter(); g = snap.graph; graph = time.perf_counter() - t
rng = random.Random(0)
nodes = [n for n, k in g.nodes(data="kind") if k in ("module", "function", "class")]
sample = rng.sample(nodes, int(sys.argv[2]))
modules = [n for n, k in g.nodes(data="kind") if k == "module"]
out = {"load": load, "first": first, "warm": warm, "graph": graph}
def timed(name, fn):
    times, answered, errors = [], 0, 0
    for i, n in enumerate(sample):
        t = time.perf_counter()
        try:
            answer = fn(n, i)
            answered += answer is not None and len(answer) > 0
        except GraphQueryError:
            errors += 1
        times.append(time.perf_counter() - t)
    out[name] = times
    out[name + " answered"] = (answered, errors)
timed("related(depth=3)", lambda n, i: snap.related(n, depth=3))
timed("impact", lambda n, i: snap.impact(n))
# imports point from higher packages to lower ones: ask from the top so that paths exist
timed("paths", lambda n, i: snap.paths(modules[-i - 1], modules[i], limit=3))
timed("cycles", lambda n, i: snap.cycles())
timed("collapse(depth=2)", lambda n, i: snap.collapse(2))
print(json.dumps(out))
"""


def store_synthetic(data_dir: Path, n_nodes: int, n_edges: int) -> float:
    """Write the synthetic map as a real snapshot of project ``synthetic``; seconds it took."""
    try:
        from bench_graph_queries import synthetic_frames
    except ImportError:  # imported as benchmarks.bench_snapshot_queries (the tests)
        from benchmarks.bench_graph_queries import synthetic_frames

    from workbench import Workbench
    from workbench.mapping.build import EDGE_FIELDS, MAP_VERSION, NODE_FIELDS

    nodes, edges = synthetic_frames(n_nodes, n_edges, 0)
    wb = Workbench(data_dir)
    repo = Path(tempfile.mkdtemp()) / "synthetic"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    project = wb.add_project("synthetic", str(repo))
    def column(frame, name, type_):
        if name not in frame:
            return pa.nulls(len(frame), type_)
        return pa.Array.from_pandas(frame[name], type=type_, safe=False)

    node_table = pa.table({name: column(nodes, name, t) for name, t in NODE_FIELDS})
    edge_table = pa.table({name: column(edges, name, t) for name, t in EDGE_FIELDS})
    files = pa.table({"path": pa.array([], pa.string()), "blob_sha": pa.array([], pa.string()),
                      "size": pa.array([], pa.int64()), "language": pa.array([], pa.string()),
                      "status": pa.array([], pa.string()), "reason": pa.array([], pa.string())})
    started = time.perf_counter()
    wb.store.snapshots.write(project_id=project.id, ref=None, commit_sha="0" * 40, parser_version=MAP_VERSION,
                             job_id=None, stats={"nodes": len(nodes), "edges": len(edges)},
                             files=files, nodes=node_table, edges=edge_table)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="wb-graph-bench-"))
    write = store_synthetic(data, args.nodes, args.edges)
    out = subprocess.run([sys.executable, "-c", QUERY, str(data), str(args.samples)],
                         capture_output=True, text=True, check=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    print(f"{args.nodes:,} nodes, {args.edges:,} edges; {args.samples} random nodes; 2 cores\n")
    print("| step | p50 ms | p95 ms | non-empty answers |")
    print("|---|---:|---:|---:|")
    print(f"| write snapshot to DuckDB (one transaction) | {write * 1000:,.0f} | |")
    print(f"| cold load: DuckDB → Arrow → query index | {res['load'] * 1000:,.0f} | |")
    print(f"| first cycles() (strongly connected components) | {res['first'] * 1000:,.0f} | |")
    print(f"| warm load (cached index) | {res['warm'] * 1000:,.3f} | |")
    print(f"| networkx MultiDiGraph, built only when asked (`snap.graph`) | {res['graph'] * 1000:,.0f} | |")
    for name in ("related(depth=3)", "impact", "paths", "cycles", "collapse(depth=2)"):
        times = np.array(res[name]) * 1000
        answered, errors = res[name + " answered"]
        note = f"{answered}/{len(times)}" + (f", {errors} errors" if errors else "")
        print(f"| {name} | {statistics.median(times):,.1f} | {np.percentile(times, 95):,.1f} | {note} |")


if __name__ == "__main__":
    main()
