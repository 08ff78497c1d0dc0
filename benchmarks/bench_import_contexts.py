"""Import classification on flask: what leaving type-checking (and deferred) imports out changes.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/bench_import_contexts.py [--flask 3.0.3] [--runs 5]

Flask's sdist is downloaded once into ``data/bench/`` and its ``src/`` committed into a fresh
git repository. In a child process the workbench maps it and reports, for all imports, the
imports that run (``--runtime``: no ``type_checking``) and those that run on import (no
``type_checking`` nor ``deferred``): internal import edges, cycles (groups and the largest),
layer levels, and the warm median time of ``cycles`` / ``layers`` with the exclusion. Then the
internal module-to-module import edges are compared with grimp's, with and without
``exclude_type_checking_imports``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_BENCH_DIR, committed_sdist, run_timed, table  # noqa: E402

MEASURE = """
import json, statistics, sys, tempfile, time
sys.path.insert(0, {src!r})
import grimp
from workbench import Workbench
from workbench.graph.index import GraphIndex

def pairs(g):
    return {{(m, i) for m in g.modules for i in g.find_modules_directly_imported_by(m)}}

wb = Workbench(tempfile.mkdtemp())
snap = wb.map({repo!r}, name="flask")
imports = snap.edges[snap.edges.kind == "imports"]
contexts = [set(json.loads(a)["contexts"]) for a in imports["attrs"]]
rows = []
for label, excluded in (("all imports", ()), ("--runtime (no type_checking)", ("type_checking",)),
                        ("on import (no type_checking, deferred)", ("type_checking", "deferred"))):
    cycles = snap.cycles(exclude_contexts=excluded)
    layers = snap.layers(exclude_contexts=excluded)
    times = []
    for _ in range({runs}):  # first answer of a fresh index: the exclusion, cycles and layers
        index = GraphIndex(snap.graph)
        t = time.perf_counter()
        index.excluding(excluded).cycles(); index.excluding(excluded).layers()
        times.append(time.perf_counter() - t)
    rows.append([label, sum(1 for c in contexts if c - set(excluded)), len(cycles),
                 int(cycles["size"].max()) if len(cycles) else 0,
                 int(layers["level"].max()) + 1 if len(layers) else 0,
                 statistics.median(times) * 1000,
                 " -> ".join(cycles["cycle"][0]) if len(cycles) else "-"])
graph = grimp.build_graph("flask", cache_dir=None)
seen = set(graph.modules)  # grimp leaves namespace packages (flask.sansio) out: compare the rest
ours = {{(r.src, r.dst) for r in imports.itertuples() if r.src in seen and r.dst in seen}}
running = {{(r.src, r.dst) for r, c in zip(imports.itertuples(), contexts)
           if r.src in seen and r.dst in seen and c != {{"type_checking"}}}}
theirs = pairs(graph)
theirs_running = pairs(grimp.build_graph("flask", cache_dir=None, exclude_type_checking_imports=True))
print(json.dumps({{"rows": rows, "unseen": len(imports) - len(ours),
                  "compare": [[len(ours), len(theirs), len(ours & theirs)],
                              [len(running), len(theirs_running), len(running & theirs_running)]],
                  "only": [sorted(ours ^ theirs)[:10], sorted(running ^ theirs_running)[:10]]}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flask", default="3.0.3")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    args = parser.parse_args()
    repo, _, _ = committed_sdist("flask", args.flask, args.bench_dir, "src")
    out = run_timed(MEASURE.format(src=str(repo / "src"), repo=str(repo), runs=args.runs)).output
    res = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    print(f"flask {args.flask}: internal imports by where they stand; times: median of {args.runs}\n")
    print(table(["imports counted", "import edges", "cycle groups", "largest group", "layer levels",
                 "first cycles + layers ms", "a shortest cycle of the largest group"], res["rows"]))
    print(f"\n{res['unseen']} import edges touch modules grimp does not list (namespace packages); "
          "the rest:")
    for name, (ours, theirs, both), only in zip(
            ("all imports", "without type-checking imports"), res["compare"], res["only"]):
        print(f"grimp, {name}: workbench {ours}, grimp {theirs}, in both {both}; differing: {only}")


if __name__ == "__main__":
    main()
