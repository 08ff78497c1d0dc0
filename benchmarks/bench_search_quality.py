"""Search quality on a real codebase: recall@5, recall@10 and MRR per mode and per query type.

The labelled queries (``benchmarks/eval/search_queries.toml``, or the set ``--queries`` names,
such as ``search_queries_rich.toml``) are run through ``wb.search`` in modes ``text`` (BM25),
``vector`` and ``hybrid`` on the sdist the set labels (click 8.1.7; rich 13.7.1), committed into
a fresh repository by ``eval_corpus.py`` and mapped and indexed by the workbench. With
``--embedder SPEC``
(e.g. ``model2vec:/path/to/model``, a model already on disk) the vector and hybrid modes are run
again with that embedder.

Halves: queries are numbered in file order from 0; the even ones form half A (the half rules
were tuned on) and the odd ones half B (held out). Every mode is reported on A, B and all.

Scoring (file level; a commit chunk counts for a query labelled with that commit; a query
labelled with ``nodes`` is scored on those definitions instead of its files):
  * recall@k: the share of a query's labelled targets (files, commits) among the paths of its
    first k hits, averaged over queries;
  * MRR: the mean over queries of 1 / rank of the first hit on a labelled target (0 when none is
    in the first k = 10; Voorhees, TREC-8 QA track, 1999);
  * hit@5: the share of queries with a labelled target in the first five hits.

The table is printed as Markdown; everything (per query ranks and top paths) is written as JSON
to ``data/bench/search-quality-<package>-<version>.json``. Nothing is faked: a missing
``wb.search`` or a mode that fails stops the run with the error.

    .venv/bin/python benchmarks/bench_search_quality.py [--embedder SPEC] [--modes text,hybrid]
        [--queries benchmarks/eval/search_queries_rich.toml]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_BENCH_DIR, table  # noqa: E402
from eval_corpus import QUERIES, load_corpus, load_toml, prepare_repo  # noqa: E402

MODES = ("text", "vector", "hybrid")
K = 10
REQUIRED_COLUMNS = {"rank", "score", "kind", "path", "commit", "title", "text"}


@dataclass
class QueryResult:
    id: str
    type: str
    query: str
    targets: list[str]
    found_at_5: list[str]
    found_at_10: list[str]
    first_rank: int | None
    top: list[str]
    seconds: float

    @property
    def recall_5(self) -> float:
        return len(self.found_at_5) / len(self.targets)

    @property
    def recall_10(self) -> float:
        return len(self.found_at_10) / len(self.targets)

    @property
    def reciprocal_rank(self) -> float:
        return 1.0 / self.first_rank if self.first_rank else 0.0


@dataclass
class ModeRun:
    label: str
    mode: str
    embedder: str | None
    results: list[QueryResult] = field(default_factory=list)


def require_search_api(wb) -> None:
    """Stop with a clear message when this checkout has no search (no numbers are invented)."""
    missing = [verb for verb in ("search",) if not callable(getattr(wb, verb, None))]
    if missing:
        raise SystemExit(f"error: this workbench has no {', '.join('wb.' + m for m in missing)}; "
                         "the search quality benchmark needs the search feature")


def target_of(row, query: dict) -> str | None:
    """The labelled target a hit lands on: its node when the query labels nodes, else its file,
    or ``commit:<label>``; None when neither."""
    if "nodes" in query:
        node = row.get("node")
        return node if isinstance(node, str) and node in query["nodes"] else None
    path = row.get("path")
    if isinstance(path, str) and path in query["files"]:
        return path
    kind = str(row.get("kind") or "")
    if kind.startswith("commit"):
        message = " ".join(str(row.get(c) or "") for c in ("title", "text"))
        for label in query.get("commits", []):
            if label.lower() in message.lower():
                return f"commit:{label}"
    return None


def describe(row) -> str:
    path = row.get("path")
    if isinstance(path, str) and path:
        return f"{path}:{row.get('line_start')}"
    return f"commit {str(row.get('commit') or '')[:8]} {str(row.get('title') or '')[:40]}"


def score_query(query: dict, frame, seconds: float) -> QueryResult:
    missing = REQUIRED_COLUMNS - set(frame.columns)
    if missing:
        raise SystemExit(f"error: wb.search returned no column(s) {sorted(missing)}")
    rows = frame.sort_values("rank").head(K).to_dict("records")
    targets = (list(query["nodes"]) if "nodes" in query
               else list(query["files"]) + [f"commit:{c}" for c in query.get("commits", [])])
    found: list[str] = []
    first_rank = None
    found_5: list[str] = []
    for position, row in enumerate(rows, start=1):
        target = target_of(row, query)
        if target is None:
            continue
        first_rank = first_rank or position
        if target not in found:
            found.append(target)
            if position <= 5:
                found_5.append(target)
    return QueryResult(query["id"], query["type"], query["query"], targets, found_5, found,
                       first_rank, [describe(r) for r in rows[:5]], seconds)


def run_mode(wb, project: str, queries: list[dict], mode: str) -> list[QueryResult]:
    wb.search(queries[0]["query"], project, k=K, mode=mode)  # warm: loads the index and model
    results = []
    for query in queries:
        started = time.perf_counter()
        frame = wb.search(query["query"], project, k=K, mode=mode)
        results.append(score_query(query, frame, time.perf_counter() - started))
    return results


def half_of(position: int) -> str:
    """``A`` for the even positions of the query file (tuned on), ``B`` for the odd (held out)."""
    return "A" if position % 2 == 0 else "B"


def summarise(run: ModeRun, kind: str | None, half: str | None = None) -> list:
    chosen = [r for i, r in enumerate(run.results)
              if (kind is None or r.type == kind) and (half is None or half_of(i) == half)]
    n = len(chosen)
    return [run.label, half or "all", kind or "all", n,
            sum(r.recall_5 for r in chosen) / n, sum(r.recall_10 for r in chosen) / n,
            sum(r.reciprocal_rank for r in chosen) / n,
            sum(1 for r in chosen if r.found_at_5) / n,
            f"{statistics.median(r.seconds for r in chosen) * 1000:.0f}"]


def per_query_table(runs: list[ModeRun]) -> str:
    """Queries some mode misses in its first ten hits, or full text ranks above hybrid."""
    by_label = {run.label: {r.id: r for r in run.results} for run in runs}
    headers = ["query", "type"] + [f"{run.label} rank" for run in runs] + ["hybrid top 3"]
    rows = []
    hybrid = next((run for run in runs if run.mode == "hybrid" and run.embedder is None), runs[-1])
    text = by_label.get("text", {})
    for result in hybrid.results:
        ranks = [by_label[run.label][result.id].first_rank for run in runs]
        text_rank = text[result.id].first_rank if result.id in text else None
        worse_than_text = text_rank is not None and (result.first_rank or K + 1) > text_rank
        if None in ranks or worse_than_text:
            rows.append([f"`{result.query}`", result.type]
                        + ["–" if r is None else r for r in ranks]
                        + ["<br>".join(result.top[:3])])
    return table(headers, rows) if rows else "(every query found by every mode)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated modes of wb.search (default: text,vector,hybrid)")
    parser.add_argument("--embedder", action="append", default=[],
                        help="also run vector and hybrid with this embedder spec (repeatable)")
    parser.add_argument("--queries", type=Path, default=QUERIES,
                        help="the labelled set (default: benchmarks/eval/search_queries.toml)")
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--fresh", action="store_true",
                        help="start from an empty workbench data directory")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    from workbench import Workbench

    corpus = load_corpus(args.queries)
    queries = load_toml(args.queries)["query"]
    repo = prepare_repo(corpus, args.bench_dir, args.queries)
    data = args.bench_dir / f"eval-{corpus.label}-workbench"
    if args.fresh and data.exists():
        import shutil

        shutil.rmtree(data)
    project = f"eval-{corpus.label}"

    wb = Workbench(data, background=False)
    require_search_api(wb)
    started = time.perf_counter()
    snap = wb.map(str(repo), name=project)
    map_seconds = time.perf_counter() - started
    setups = [(None, wb)] + [(spec, Workbench(data, background=False,
                                              config=wb.config.with_(embedder=spec)))
                             for spec in args.embedder]
    index_seconds = {}
    for spec, bench in setups:
        if callable(getattr(bench, "index", None)):
            started = time.perf_counter()
            bench.index(project, wait=True)
            index_seconds[spec or "default"] = time.perf_counter() - started

    runs: list[ModeRun] = []
    for spec, bench in setups:
        for mode in modes:
            if spec is not None and mode == "text":
                continue  # full text does not depend on the embedder
            label = mode if spec is None else f"{mode} ({spec})"
            run = ModeRun(label, mode, spec, run_mode(bench, project, queries, mode))
            runs.append(run)
            print(f"{label}: done", file=sys.stderr)

    headers = ["mode", "half", "queries", "n", "recall@5", "recall@10", "MRR", "hit@5", "median ms"]
    rows = [summarise(run, None, half) for half in ("A", "B") for run in runs]
    rows += [summarise(run, kind) for kind in (None, "natural", "identifier") for run in runs]
    counts = {t: sum(1 for q in queries if q["type"] == t) for t in ("natural", "identifier")}
    print(f"\n{corpus.label}: {len(queries)} queries ({counts['natural']} natural language, "
          f"{counts['identifier']} identifiers), snapshot {snap.id if hasattr(snap, 'id') else ''}"
          f" mapped in {map_seconds:.1f} s; index: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in index_seconds.items()) + "\n")
    print(table(headers, rows))
    print("\nQueries missed in the first ten by some mode, or ranked lower by hybrid than by "
          "full text (rank of the first labelled hit; – = not in the first ten):\n")
    print(per_query_table(runs))

    out = args.bench_dir / f"search-quality-{corpus.label}.json"
    out.write_text(json.dumps({
        "corpus": corpus.label, "k": K, "map_seconds": map_seconds,
        "index_seconds": index_seconds,
        "summary": [dict(zip(headers, row)) for row in rows],
        "runs": [{"label": run.label, "mode": run.mode, "embedder": run.embedder,
                  "queries": [{**asdict(r), "recall_5": r.recall_5, "recall_10": r.recall_10,
                               "reciprocal_rank": r.reciprocal_rank} for r in run.results]}
                 for run in runs],
    }, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
