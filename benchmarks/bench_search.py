"""Search at 100,000 chunks: indexing throughput, warm query latency, incremental re-index.

A deterministic synthetic Python repository (``--files`` modules of one class with five methods
and fifteen functions each, names and docstrings drawn from a fixed vocabulary) is committed
into a fresh git repository under ``data/bench/search-synth/`` and mapped by the workbench. Then:

* **index**: ``wb.index`` from nothing (chunking, BM25 terms, wordllama vectors, stored);
* **queries**: p50/p95 of ``wb.search`` warm (the snapshot's query index already in memory)
  for ``text``, ``vector`` and ``hybrid``, over identifier and natural-language queries; the
  first (cold) query's time is reported beside them;
* **incremental**: one module changed and committed, mapped, then ``wb.index`` of the new
  snapshot (only the changed blob and the new commit are chunked and embedded);
* **peers for the design**: DuckDB's ``fts`` index over the same chunks (pre-tokenised,
  ``stemmer='none'``): build time and p50/p95 of ``match_bm25``; and exact vector search in
  SQL with ``array_cosine_similarity``.

    .venv/bin/python benchmarks/bench_search.py --files 5000 --queries 200
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import DEFAULT_BENCH_DIR, git, table  # noqa: E402

VERBS = ("load save parse render fetch send build merge split check verify encode decode "
         "compress expand flush open close read write update delete create find sort filter "
         "group count hash sign retry schedule cancel resume validate normalise convert format "
         "register resolve index search rank score cache evict refresh import export").split()
NOUNS = ("user account order invoice payment token session request response header cookie "
         "config setting file path record row table column index query result page report "
         "chart metric event message queue job task worker thread lock connection socket "
         "buffer stream packet frame image thumbnail document section paragraph word tree "
         "node edge graph cluster shard replica snapshot commit branch tag author review "
         "comment email address phone country currency price discount cart product stock").split()
ADJ = ("new old cached remote local pending failed expired valid empty large small first "
       "last default secure public private temporary").split()


def _name(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(VERBS), rng.choice(NOUNS), rng.choice(NOUNS)


def _module(i: int, files: int, rng: random.Random) -> str:
    lines = [f'"""Helpers for {rng.choice(ADJ)} {rng.choice(NOUNS)}s and their '
             f'{rng.choice(NOUNS)}s."""', "import json", "import time"]
    for j in rng.sample(range(files), 3):
        lines.append(f"from pkg{j // 100}.mod{j} import helper_{j}")
    lines.append("")
    noun = rng.choice(NOUNS).title()
    lines += ["", f"class {noun}{rng.choice(NOUNS).title()}Store:",
              f'    """Keep {rng.choice(ADJ)} {noun.lower()}s; {rng.choice(VERBS)} them on demand."""', ""]
    for _ in range(5):
        v, a, b = _name(rng)
        lines += [f"    def {v}_{a}(self, {b}, limit=10):",
                  f'        """{v.title()} the {rng.choice(ADJ)} {a} of a {b}."""',
                  f"        items = [x for x in self.{b}s if x.{a} == {b}]",
                  f"        return items[:limit]", ""]
    lines.append(f"def helper_{i}(value):\n    return json.dumps(value)\n")
    for _ in range(14):
        v, a, b = _name(rng)
        adj = rng.choice(ADJ)
        body = [f"def {v}_{adj}_{a}({b}, {a}=None, retries=3):",
                f'    """{v.title()} the {adj} {a} of every {b}, then {rng.choice(VERBS)} the '
                f'{rng.choice(NOUNS)}."""',
                f"    # {rng.choice(VERBS)} before {rng.choice(VERBS)}ing: the {rng.choice(NOUNS)} may be {rng.choice(ADJ)}"]
        for _ in range(rng.randint(2, 6)):
            body.append(f"    {rng.choice(NOUNS)} = {rng.choice(VERBS)}_{rng.choice(NOUNS)}"
                        f"({b}.{rng.choice(NOUNS)}, time.time())")
        body += [f"    return {a}", ""]
        lines += body
    return "\n".join(lines) + "\n"


def build_repo(root: Path, files: int, seed: int = 7) -> Path:
    """The synthetic repository (built once per ``files``), one commit."""
    target = root / f"search-synth-f{files}-s{seed}-v1"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    rng = random.Random(seed)
    for i in range(files):
        path = target / f"pkg{i // 100}" / f"mod{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        if i % 100 == 0:
            (path.parent / "__init__.py").write_text(f'"""Package {i // 100}."""\n')
        path.write_text(_module(i, files, rng))
    (target / "README.md").write_text("# synthetic\n\n## Usage\n\nImport the helpers.\n")
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "synthetic modules")
    (target / ".complete").write_text("")
    return target


def queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        v, a, b = _name(rng)
        if i % 2:
            out.append(f"{v}_{rng.choice(ADJ)}_{a}")
        else:
            out.append(f"how do we {v} the {rng.choice(ADJ)} {a} of a {b}")
    return out


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000)


def fts_peer(wb, snapshot_id: int, qs: list[str]) -> dict:
    """DuckDB fts over the same chunks, pre-tokenised; its build time and query latency."""
    import duckdb

    from workbench.search.indexer import bm25_text  # noqa: F401 - same text as indexed
    from workbench.search.tokens import tokenize
    from workbench.store import load_extension

    rows = wb.store.db.query(
        "SELECT c.id, coalesce(c.symbol || chr(10), '') || c.text FROM files f JOIN chunks c"
        " ON c.blob_sha = f.blob_sha WHERE f.snapshot_id = ?", [snapshot_id])
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "fts.duckdb"),
                             config={"autoinstall_known_extensions": False,
                                     "autoload_known_extensions": False})
        load_extension(con, "fts")
        con.execute("CREATE TABLE docs (id BIGINT, body VARCHAR)")
        import pyarrow as pa

        con.register("incoming", pa.table({"id": [r[0] for r in rows],
                                           "body": [" ".join(tokenize(r[1])) for r in rows]}))
        con.execute("INSERT INTO docs SELECT * FROM incoming")
        started = time.perf_counter()
        con.execute("PRAGMA create_fts_index('docs', 'id', 'body', stemmer='none', "
                    "stopwords='none', ignore='', strip_accents=0, lower=0, overwrite=1)")
        build = time.perf_counter() - started
        times = []
        for q in qs:
            terms = " ".join(tokenize(q))
            t = time.perf_counter()
            con.execute("SELECT id, s FROM (SELECT id, fts_main_docs.match_bm25(id, ?) AS s"
                        " FROM docs) WHERE s IS NOT NULL ORDER BY s DESC LIMIT 10",
                        [terms]).fetchall()
            times.append(time.perf_counter() - t)
        con.close()
    return {"build": build, "query": percentiles(times), "docs": len(rows)}


def sql_vectors(wb, table: str, qs: list[str], embedder) -> tuple[float, float]:
    times = []
    dim = embedder.dim
    for q in qs:
        v = embedder.embed([q])[0].tolist()
        t = time.perf_counter()
        wb.store.db.query(f"SELECT chunk_id, array_cosine_similarity(vector, ?::FLOAT[{dim}]) AS s"
                          f" FROM {table} ORDER BY s DESC LIMIT 10", [v])
        times.append(time.perf_counter() - t)
    return percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000, help="synthetic modules (about 22 chunks each)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--no-peers", action="store_true", help="skip the fts and SQL-vector peers")
    parser.add_argument("--peer-queries", type=int, default=20, help="queries timed per peer")
    args = parser.parse_args()

    from workbench import Workbench
    from workbench.search.embedders import get_embedder, table_name

    repo_src = build_repo(args.bench_dir / "search-synth", args.files)
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    repo = work / "repo"
    shutil.copytree(repo_src, repo)
    out: dict = {}
    with Workbench(work / "data", background=False) as wb:
        t = time.perf_counter()
        snap = wb.map(str(repo), name="synth")
        out["map_s"] = time.perf_counter() - t
        t = time.perf_counter()
        first = wb.index("synth", wait=True)
        out["index_s"] = time.perf_counter() - t
        out["chunks"] = first["chunks"]
        qs = queries(args.queries)
        lat = {}
        for mode in ("text", "vector", "hybrid"):
            t = time.perf_counter()
            wb.search(qs[0], "synth", mode=mode)
            cold = time.perf_counter() - t
            for q in qs[:10]:  # warm-up
                wb.search(q, "synth", mode=mode)
            times = []
            for q in qs:
                t = time.perf_counter()
                wb.search(q, "synth", mode=mode)
                times.append(time.perf_counter() - t)
            lat[mode] = (*percentiles(times), cold)
        out["latency"] = lat
        # the in-memory part of a hybrid query alone: BM25, cosine, fusion, graph re-rank
        import numpy as np

        from workbench.search.embedders import get_embedder as _embedder

        embedder = _embedder(None, wb.config)
        index = wb._searcher.snapshot_index(snap.info, embedder)
        mask = np.ones(index.n, dtype=bool)
        times = []
        for q in qs:
            t = time.perf_counter()
            index.rank(mask, k=10, mode="hybrid", bm25=index.bm25(q),
                       cosine=index.cosine(embedder.embed([q])[0]), include_tests=False)
            times.append(time.perf_counter() - t)
        out["in_memory_hybrid"] = percentiles(times)

        # incremental: one module changed
        target = repo / "pkg0" / "mod1.py"
        target.write_text(target.read_text() + "\n\ndef freshly_added_helper():\n    return 1\n")
        git(repo, "commit", "-qam", "one more helper")
        t = time.perf_counter()
        wb.map("synth")
        out["map_next_s"] = time.perf_counter() - t
        t = time.perf_counter()
        second = wb.index("synth", wait=True)
        out["index_next_s"] = time.perf_counter() - t
        out["index_next"] = second
        t = time.perf_counter()
        hit = wb.search("freshly_added_helper", "synth", k=1)
        out["first_query_next_s"] = time.perf_counter() - t
        assert hit.iloc[0]["path"] == "pkg0/mod1.py", hit
        if not args.no_peers:
            out["fts"] = fts_peer(wb, snap.id, qs[:args.peer_queries])
            embedder = get_embedder(None, wb.config)
            out["sql_vectors"] = sql_vectors(wb, table_name(embedder.name, embedder.dim),
                                             qs[:args.peer_queries], embedder)
    shutil.rmtree(work, ignore_errors=True)

    n = out["chunks"]
    print(f"\n{n:,} chunks from {args.files:,} modules; map {out['map_s']:.1f} s\n")
    rows = [["index from nothing (chunk, BM25 terms, wordllama vectors, store)",
             f"{out['index_s']:.1f} s", f"{n / out['index_s']:,.0f} chunks/s"]]
    for mode, (p50, p95, cold) in out["latency"].items():
        rows.append([f"wb.search mode={mode}, warm", f"p50 {p50:.1f} ms / p95 {p95:.1f} ms",
                     f"first query (loads the index) {cold:.2f} s"])
    p50, p95 = out["in_memory_hybrid"]
    rows.append(["hybrid ranking in memory only (BM25 + cosine + fusion + graph)",
                 f"p50 {p50:.1f} ms / p95 {p95:.1f} ms", "no DataFrame, no database"])
    import os

    rows.append(["load average during the run (1 / 5 / 15 min)",
                 " / ".join(f"{x:.1f}" for x in os.getloadavg()), "2 cores"])
    nxt = out["index_next"]
    rows.append(["next commit (one module changed): wb.index",
                 f"{out['index_next_s']:.2f} s",
                 f"{nxt['files_chunked']} file, {nxt['commits_chunked']} commit, "
                 f"{nxt['chunked_now']} chunks embedded (map of it {out['map_next_s']:.1f} s)"])
    rows.append(["next commit: first wb.search (loads its index)",
                 f"{out['first_query_next_s']:.2f} s", ""])
    if "fts" in out:
        f = out["fts"]
        rows.append(["peer: DuckDB fts create_fts_index (pre-tokenised, stemmer none)",
                     f"{f['build']:.1f} s", f"match_bm25 p50 {f['query'][0]:.1f} ms / "
                     f"p95 {f['query'][1]:.1f} ms"])
        p50, p95 = out["sql_vectors"]
        rows.append(["peer: DuckDB array_cosine_similarity top 10 (exact)",
                     f"p50 {p50:.1f} ms / p95 {p95:.1f} ms", ""])
    print(table(["measurement", "time", "notes"], rows))
    print(json.dumps({k: v for k, v in out.items() if k != "index_next"}, default=str))


if __name__ == "__main__":
    main()
