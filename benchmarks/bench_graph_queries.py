"""Benchmark the graph query service on a synthetic map of realistic shape.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_graph_queries.py            # 100k nodes, 500k edges
    PYTHONPATH=. python benchmarks/bench_graph_queries.py --nodes 20000 --edges 100000

The map imitates a large layered Python code base: 20 top-level packages in 4 layers, each
with 20 sub-packages of modules; classes, methods and functions inside modules; imports
that mostly point down (within a sub-package, to lower sub-packages, to lower layers, to a
few external libraries) with a small share of upward imports that create cycles; calls
within a module or into imported modules; inheritance. Everything derives from one seed.
:func:`synthetic_frames` returns the ``nodes``/``edges`` tables the store holds, so the
same map can be loaded through DuckDB as well.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from workbench.graph.build import graph_from_frames
from workbench.graph.contracts import Layers, check
from workbench.graph.errors import GraphQueryError
from workbench.graph.index import GraphIndex

TOP_PACKAGES = 20
SUBPACKAGES = 20
LAYER_SIZE = 5  # top packages per layer
EXTERNALS = 50
LOCAL_BACK_SHARE = 0.03  # imports inside a sub-package that point "up": small local cycles
CROSS_BACK_SHARE = 0.0005  # imports to a higher sub-package or layer: rare, but they join cycles


def _ranges_pick(rng: np.random.Generator, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """One random position inside each ``[start, start + count)``; ``-1`` where count is 0."""
    picked = starts + (rng.random(len(starts)) * np.maximum(counts, 1)).astype(np.int64)
    return np.where(counts > 0, picked, -1)


def _group_ranges(owner: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """For items sorted by ``owner``: start and count of each owner's block."""
    counts = np.bincount(owner, minlength=groups)
    return np.concatenate([[0], np.cumsum(counts)[:-1]]), counts


def synthetic_frames(
    n_nodes: int = 100_000, n_edges: int = 500_000, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deterministic synthetic map: ``nodes[id, kind, name, path, line_start, line_end, language]``
    and ``edges[src, dst, kind, weight, line]`` with about ``n_nodes`` nodes and ``n_edges`` edges."""
    rng = np.random.default_rng(seed)
    n_sub = TOP_PACKAGES * SUBPACKAGES
    n_mod = max(n_nodes // 12, n_sub)
    n_cls = n_nodes // 4
    n_fun = n_nodes - TOP_PACKAGES - n_sub - n_mod - n_cls - EXTERNALS

    tops = [f"pkg{t:02d}" for t in range(TOP_PACKAGES)]
    subs = [f"{tops[s // SUBPACKAGES]}.sub{s % SUBPACKAGES:02d}" for s in range(n_sub)]
    mod_sub = np.arange(n_mod) * n_sub // n_mod  # contiguous blocks of modules per sub-package
    sub_start, sub_count = _group_ranges(mod_sub, n_sub)
    mods = [f"{subs[s]}.mod{m - sub_start[s]:03d}" for m, s in enumerate(mod_sub.tolist())]
    exts = [f"ext:lib{e:02d}" for e in range(EXTERNALS)]

    cls_mod = np.sort(rng.integers(0, n_mod, n_cls))
    cls_start, cls_count = _group_ranges(cls_mod, n_mod)
    classes = [f"{mods[m]}:Class{c - cls_start[m]}" for c, m in enumerate(cls_mod.tolist())]
    is_method = rng.random(n_fun) < 0.7
    fun_owner = np.where(is_method, rng.integers(0, n_cls, n_fun), rng.integers(0, n_mod, n_fun))
    fun_mod = np.where(is_method, cls_mod[fun_owner], fun_owner)
    order = np.lexsort((fun_owner, is_method, fun_mod))
    is_method, fun_owner, fun_mod = is_method[order], fun_owner[order], fun_mod[order]
    functions = [
        f"{classes[o]}.method{i}" if m else f"{mods[o]}:func{i}"
        for i, (m, o) in enumerate(zip(is_method.tolist(), fun_owner.tolist()))
    ]
    fun_start, fun_count = _group_ranges(fun_mod, n_mod)

    ids = tops + subs + mods + exts + classes + functions
    kinds = (
        ["package"] * (TOP_PACKAGES + n_sub)
        + ["module"] * n_mod
        + ["external"] * EXTERNALS
        + ["class"] * n_cls
        + ["function"] * n_fun
    )
    n = len(ids)
    o_sub, o_mod, o_ext = TOP_PACKAGES, TOP_PACKAGES + n_sub, TOP_PACKAGES + n_sub + n_mod
    o_cls, o_fun = o_ext + EXTERNALS, o_ext + EXTERNALS + n_cls
    paths = [t.replace(".", "/") + "/__init__.py" for t in tops + subs] + [
        m.replace(".", "/") + ".py" for m in mods
    ]
    starts = rng.integers(1, 400, n)
    nodes = pd.DataFrame(
        {
            "id": ids,
            "kind": kinds,
            "name": [i.rsplit(":", 1)[-1].rsplit(".", 1)[-1] for i in ids],
            "path": paths + [None] * (n - len(paths)),
            "line_start": starts,
            "line_end": starts + rng.integers(1, 80, n),
            "language": ["python"] * n,
        }
    )

    # contains: top -> sub -> module -> class/function; class -> method
    contains_src = np.concatenate(
        [
            np.arange(n_sub) // SUBPACKAGES,
            o_sub + mod_sub,
            o_mod + cls_mod,
            np.where(is_method, o_cls + fun_owner, o_mod + fun_owner),
        ]
    )
    contains_dst = np.concatenate(
        [
            o_sub + np.arange(n_sub),
            o_mod + np.arange(n_mod),
            o_cls + np.arange(n_cls),
            o_fun + np.arange(n_fun),
        ]
    )

    # imports: mostly downward; a small share upward (cycles)
    per_module = rng.poisson(7, n_mod)
    imp_src = np.repeat(np.arange(n_mod), per_module)
    k = len(imp_src)
    sub_of, top_of = mod_sub[imp_src], mod_sub[imp_src] // SUBPACKAGES
    layer_of = top_of // LAYER_SIZE
    choice = rng.random(k)
    back = rng.random(k) < np.where(choice < 0.45, LOCAL_BACK_SHARE, CROSS_BACK_SHARE)
    # 1) same sub-package: a module listed earlier (or later, for back edges)
    same_sub = sub_start[sub_of] + (rng.random(k) * sub_count[sub_of]).astype(np.int64)
    same_sub = np.where(back, same_sub, np.minimum(same_sub, imp_src - 1))
    # 2) a lower sub-package of the same top package
    sub_pos = sub_of % SUBPACKAGES
    other_sub = top_of * SUBPACKAGES + (
        rng.random(k) * np.where(back, SUBPACKAGES, np.maximum(sub_pos, 1))
    ).astype(np.int64)
    in_other_sub = _ranges_pick(rng, sub_start[other_sub], sub_count[other_sub])
    # 3) a lower layer (any layer for back edges)
    lower_layers = np.where(back, TOP_PACKAGES // LAYER_SIZE, np.maximum(layer_of, 1))
    other_top = (rng.random(k) * lower_layers).astype(np.int64) * LAYER_SIZE + rng.integers(0, LAYER_SIZE, k)
    target_sub = other_top * SUBPACKAGES + rng.integers(0, SUBPACKAGES, k)
    in_other_layer = _ranges_pick(rng, sub_start[target_sub], sub_count[target_sub])
    imp_dst = np.select(
        [choice < 0.45, choice < 0.75, choice < 0.95],
        [o_mod + same_sub, o_mod + in_other_sub, o_mod + in_other_layer],
        default=o_ext + rng.integers(0, EXTERNALS, k),
    )
    imp_src = o_mod + imp_src
    keep = (imp_dst >= o_mod) & (imp_dst != imp_src) & ((choice >= 0.45) | (same_sub >= sub_start[sub_of]))
    imp_src, imp_dst = imp_src[keep], imp_dst[keep]
    pairs = pd.DataFrame({"src": imp_src, "dst": imp_dst}).drop_duplicates()
    imp_src, imp_dst = pairs["src"].to_numpy(), pairs["dst"].to_numpy()
    imp_line = pairs.groupby("src").cumcount().to_numpy() + 1

    # inherits: 40% of classes subclass a class of their own module or of a module they import
    imp_start, imp_count = _group_ranges(imp_src - o_mod, n_mod)  # imports are sorted by source
    heirs = np.flatnonzero(rng.random(n_cls) < 0.4)
    base_mod = cls_mod[heirs]
    via_import = _ranges_pick(rng, imp_start[base_mod], imp_count[base_mod])
    imported = np.where(via_import >= 0, imp_dst[np.maximum(via_import, 0)] - o_mod, base_mod)
    base_mod = np.where(
        (rng.random(len(heirs)) < 0.5) & (imported < n_mod) & (imported >= 0), imported, base_mod
    )
    base = _ranges_pick(rng, cls_start[base_mod], cls_count[base_mod])
    ok = (base >= 0) & (base != heirs)
    inh_src, inh_dst = o_cls + heirs[ok], o_cls + base[ok]

    # calls: fill the edge budget; callee in the caller's module or in a module it imports
    budget = max(n_edges - len(contains_src) - len(imp_src) - len(inh_src), 0)
    n_calls = int(budget * 1.4)  # oversample: duplicates are dropped below
    callers = rng.integers(0, n_fun, n_calls)
    caller_mod = fun_mod[callers]
    via_import = _ranges_pick(rng, imp_start[caller_mod], imp_count[caller_mod])
    target_mod = np.where(via_import >= 0, imp_dst[np.maximum(via_import, 0)] - o_mod, caller_mod)
    target_mod = np.where((rng.random(n_calls) < 0.5) & (target_mod < n_mod), target_mod, caller_mod)
    callee = _ranges_pick(rng, fun_start[target_mod], fun_count[target_mod])
    calls = pd.DataFrame({"src": o_fun + callers, "dst": o_fun + callee})
    calls = calls[(callee >= 0) & (callers != callee)].drop_duplicates().iloc[:budget]

    id_array = np.array(ids, dtype=object)
    parts = [
        (contains_src, contains_dst, "contains", np.full(len(contains_src), np.nan)),
        (imp_src, imp_dst, "imports", imp_line.astype(float)),
        (inh_src, inh_dst, "inherits", np.full(len(inh_src), np.nan)),
        (
            calls["src"].to_numpy(),
            calls["dst"].to_numpy(),
            "calls",
            rng.integers(1, 400, len(calls)).astype(float),
        ),
    ]
    edges = pd.concat(
        [
            pd.DataFrame({"src": id_array[s], "dst": id_array[d], "kind": kind, "weight": 1, "line": line})
            for s, d, kind, line in parts
        ],
        ignore_index=True,
    )
    return nodes, edges


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _resolve_quietly(index: GraphIndex, name: str) -> None:
    try:
        index.resolve(name)
    except GraphQueryError:  # an ambiguous suffix is a legitimate answer here
        pass


def _row(name: str, times: list[float]) -> str:
    p50, p95 = np.percentile(times, [50, 95])
    return f"| {name} | {len(times)} | {p50:.1f} | {p95:.1f} | {max(times):.1f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=50, help="random nodes per query")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after loading, as a long-lived service should"
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    nodes, edges = synthetic_frames(args.nodes, args.edges, args.seed)
    t_frames = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    g = graph_from_frames(nodes, edges)
    t_graph = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    index = GraphIndex(g)
    t_index = (time.perf_counter() - t0) * 1000
    if args.gc_freeze:
        gc.freeze()
    counts = edges["kind"].value_counts().to_dict()
    print(f"map: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges {counts}")

    rng = np.random.default_rng(args.seed + 1)
    sample = [index.ids[i] for i in rng.choice(len(index.ids), args.samples, replace=False)]
    module_ids = np.array(list(index.module_graph()), dtype=object)
    sources = [str(m) for m in rng.choice(module_ids, args.samples, replace=False)]
    pairs = []
    for a in sources:
        reach = index.reachable(a, kinds=("imports",), direction="out")
        reach = [index.ids[p] for p in reach[1:] if index.node_kind[p] != "external"]
        if reach:
            pairs.append((a, reach[int(rng.integers(len(reach)))]))

    once = {
        "cycles (first call)": _timed(lambda: index.cycles()),
        "collapse depth=2 (first call)": _timed(lambda: index.collapse(depth=2)),
        "layers (first call)": _timed(lambda: index.layers()),
        "communities (first call)": _timed(lambda: index.communities()),
        "centrality (first call)": _timed(lambda: index.centrality()),
        "check Layers contract (first call)": _timed(
            lambda: check(g, [Layers(["pkg15", "pkg10", "pkg05", "pkg00"])])
        ),
    }
    timings = {
        "related depth=3": [_timed(lambda n=n: index.related(n, depth=3)) for n in sample],
        "related depth=3 imports": [
            _timed(lambda n=n: index.related(n, depth=3, kinds=("imports",))) for n in sources
        ],
        "impact": [_timed(lambda n=n: index.impact(n)) for n in sample],
        "impact of a module": [_timed(lambda n=n: index.impact(n)) for n in sources],
        "paths (limit 10)": [_timed(lambda p=p: index.paths(*p)) for p in pairs],
        "cycles (warm)": [_timed(lambda: index.cycles()) for _ in range(args.samples)],
        "collapse depth=2 (warm)": [_timed(lambda: index.collapse(depth=2)) for _ in range(args.samples)],
        "resolve suffix": [_timed(lambda n=n: _resolve_quietly(index, n.split(".", 1)[-1])) for n in sample],
    }
    print()
    print("| step | runs | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ms in (
        ("synthetic frames", t_frames),
        ("graph_from_frames", t_graph),
        ("GraphIndex build", t_index),
    ):
        print(_row(name, [ms]))
    for name, ms in once.items():
        print(_row(name, [ms]))
    for name, times in timings.items():
        print(_row(name, times))
    sizes = [len(index.impact(n)) for n in sample]
    print(f"\nimpact result sizes (random nodes): median {int(np.median(sizes))}, max {max(sizes)}")
    print(f"cyclic import components: {len(index.cycles())}, largest {index.cycles()['size'].max()}")


if __name__ == "__main__":
    main()
