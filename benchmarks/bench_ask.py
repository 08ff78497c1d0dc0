"""Asking: how close the token estimate is to real tokenizers, and what building context costs.

1. Token estimate: :func:`workbench.ai.tokens.count_tokens` against OpenAI's ``cl100k_base``
   and ``o200k_base`` (the larger of the two, from the ``bpe-openai`` package, which ships
   the vocabularies) on every ``.py`` and ``.md`` file of this repository's ``workbench``
   package and README plus the installed ``networkx`` and ``openai`` packages (files of 300
   characters or more). Reported: the smallest, median and overall ratio estimate / real
   (1.0 or more: never under), and time per MB for the estimate and the real encoders.
2. Context: this repository mapped and indexed into a temporary data directory, then
   ``wb.show_context`` (search, graph facts, PageRank outline, packing) and an extractive
   ``wb.ask`` (the same plus the conversation written) for a few questions at two budgets;
   medians over ``--runs`` after one warm-up.

    .venv/bin/python benchmarks/bench_ask.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import table  # noqa: E402

QUESTIONS = ("Where is the database schema migrated?", "How are failed jobs retried?",
             "Which function parses Python imports?", "How does the CLI print errors?")


def corpus() -> list[str]:
    import networkx
    import openai

    files = sorted((ROOT / "workbench").rglob("*.py")) + [ROOT / "README.md"]
    for package in (networkx, openai):
        files += sorted(Path(package.__file__).parent.rglob("*.py"))
    texts = [f.read_text(errors="replace") for f in files]
    return [t for t in texts if len(t) >= 300]


def bench_tokens() -> str:
    import bpe_openai

    from workbench.ai.tokens import count_tokens

    encoders = [bpe_openai.get_encoding("cl100k_base"), bpe_openai.get_encoding("o200k_base")]
    texts = corpus()
    started = time.perf_counter()
    estimates = [count_tokens(t) for t in texts]
    est_seconds = time.perf_counter() - started
    started = time.perf_counter()
    reals = [max(len(e.encode(t, disallowed_special=())) for e in encoders) for t in texts]
    real_seconds = time.perf_counter() - started
    ratios = [e / r for e, r in zip(estimates, reals)]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    rows = [[len(texts), f"{mb:.1f}", f"{min(ratios):.2f}", f"{statistics.median(ratios):.2f}",
             f"{sum(estimates) / sum(reals):.2f}", f"{est_seconds / mb:.2f}",
             f"{real_seconds / mb:.2f}"]]
    return table(["files", "MB", "min estimate/real", "median", "overall",
                  "estimate s/MB", "cl100k+o200k s/MB"], rows)


def bench_context(runs: int) -> str:
    from workbench import Workbench

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        wb = Workbench(Path(tmp) / "data", background=False)
        wb.map(str(ROOT), name="workbench")
        wb.index("workbench")
        nodes = len(wb.snapshot("workbench").nodes)
        for budget in (2000, 8000):
            shown, asked, tokens = [], [], []
            for i in range(runs + 1):
                for q in QUESTIONS:
                    t0 = time.perf_counter()
                    record = wb.show_context(q, "workbench", budget=budget)
                    t1 = time.perf_counter()
                    wb.ask(q, "workbench", budget=budget, provider="extractive")
                    t2 = time.perf_counter()
                    if i:  # the first round warms caches
                        shown.append(t1 - t0)
                        asked.append(t2 - t1)
                        tokens.append(record.tokens)
            rows.append([budget, nodes, f"{statistics.median(shown) * 1000:.0f}",
                         f"{statistics.median(asked) * 1000:.0f}",
                         f"{statistics.median(tokens):.0f}"])
        wb.close()
    return table(["budget (tokens)", "map nodes", "show_context p50 ms",
                  "extractive ask p50 ms", "context tokens p50"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("Token estimate against cl100k_base / o200k_base\n")
    print(bench_tokens())
    print("\nContext on this repository\n")
    print(bench_context(args.runs))


if __name__ == "__main__":
    main()
