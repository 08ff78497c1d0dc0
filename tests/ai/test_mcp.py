"""``workbench mcp`` over stdio, driven by the mcp package's own client."""

from __future__ import annotations

import shlex
import sys

from tests.ai.mcp_client import mcp_calls
from tests.helpers import run_cli


def command(data_dir, *extra: str) -> str:
    return shlex.join([sys.executable, "-m", "workbench", "--data-dir", str(data_dir), "mcp",
                       *extra])


def test_the_map_tools_over_stdio(shop, data_dir):
    shop.close()
    names, results = mcp_calls(command(data_dir, "-p", "shop"), [
        ("search", {"query": "format money"}),
        ("related", {"node": "shop.service:checkout"}),
        ("impact", {"node": "shop.util.money:fmt"}),
        ("source", {"path": "src/shop/util/money.py", "line_start": 4, "line_end": 6}),
        ("sql", {"query": "SELECT count(*) AS n FROM projects"}),
        ("sql", {"query": "DELETE FROM projects"}),
        ("path", {"source": "shop.service", "target": "shop.util.money"}),
        ("hotspots", {"n": 3}),
        ("projects", {}),
    ])
    assert names == ["hotspots", "impact", "path", "projects", "related", "search", "source",
                     "sql"]
    texts = [t for _, t in results]
    errors = [err for err, _ in results]
    assert errors == [False] * 5 + [True] + [False] * 3  # only the refused DELETE failed
    assert "src/shop/util/money.py:4-6" in texts[0]
    assert "shop.util.money:fmt" in texts[1]
    assert "shop.service:checkout" in texts[2]
    assert "def fmt(x):" in texts[3] and texts[3].startswith("<<<DATA")
    assert " n\n 1" in texts[4].replace("  ", " ")
    assert "error:" in texts[5]  # read-only: the DELETE is refused
    assert "shop.service -> shop.util.money" in texts[6]
    assert "money.py" in texts[7]
    assert texts[8].startswith("shop\t")
    assert "ghp_abcdefghijklmnop" not in "".join(texts)


def test_without_a_project_the_tools_take_one(shop, data_dir):
    shop.close()
    _, results = mcp_calls(command(data_dir), [
        ("search", {"query": "checkout"}),
        ("search", {"query": "checkout", "project": "shop"}),
        ("search", {"query": "checkout", "project": "nope"})])
    assert results[0][0] and "name the project" in results[0][1]
    assert not results[1][0] and "src/shop/service.py" in results[1][1]
    assert results[2][0] and "error" in results[2][1] and "nope" in results[2][1]


def test_a_server_for_one_project_refuses_others(shop, data_dir):
    shop.close()
    out = run_cli("mcp", "-p", "nope", data_dir=data_dir)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith("error: no project named 'nope'"), out.stderr
    _, results = mcp_calls(command(data_dir, "-p", "shop"), [
        ("search", {"query": "checkout", "project": "elsewhere"}),
        ("search", {"query": "checkout", "project": "shop"})])
    assert results[0][0] and "serves project 'shop' only" in results[0][1]
    assert not results[1][0] and "src/shop/service.py" in results[1][1]


def test_a_source_range_that_ends_before_it_starts_is_refused() -> None:
    from workbench.ai.tools import MapTools

    text = "".join(f"line {n}\n" for n in range(1, 21))
    tools = MapTools(None, search=None, read_file=lambda p: text if p == "f.py" else None,
                     sql=None)
    refused = tools.call("source", {"path": "f.py", "line_start": 12, "line_end": 3})
    assert tools.records[-1].error is not None
    assert "line_end 3 is before line_start 12" in refused
    shown = tools.call("source", {"path": "f.py", "line_start": 3, "line_end": 3})
    assert tools.records[-1].error is None and "f.py:3\n" in shown and "line 3" in shown


def test_source_of_a_file_it_cannot_show_says_it_may_be_binary() -> None:
    from workbench.ai.tools import MapTools

    tools = MapTools(None, search=None, read_file=lambda p: None, sql=None)
    refused = tools.call("source", {"path": "docs/logo.png"})
    assert tools.records[-1].error is not None
    assert "no text file 'docs/logo.png'" in refused and "binary" in refused


def test_counts_below_one_and_an_empty_query_are_refused_and_large_counts_capped() -> None:
    from workbench.ai.tools import MapTools

    asked: list[int] = []

    class Snap:  # what the tools read of a snapshot, for these calls
        def hotspots(self, n):
            import pandas as pd

            asked.append(n)
            return pd.DataFrame(columns=["path", "hotspot", "commits_total", "lines",
                                         "authors", "main_author"])

        def related(self, node, depth):
            asked.append(depth)

    tools = MapTools(Snap(), search=lambda q, k: asked.append(k), read_file=None, sql=None)
    for name, arguments, said in (("hotspots", {"n": -1}, "n must be at least 1, got -1"),
                                  ("search", {"query": "x", "k": 0}, "k must be at least 1"),
                                  ("search", {"query": "  "}, "the query is empty"),
                                  ("related", {"node": "m", "depth": -1}, "depth must be at least 1")):
        answer = tools.call(name, arguments)
        assert tools.records[-1].error is not None and said in answer, (name, answer)
    tools.call("hotspots", {"n": 500})
    assert asked == [50]  # capped at what the tool gives, no error
