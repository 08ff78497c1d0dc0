"""Context packing: the budget holds, ranking decides, the result is deterministic."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench.ai.context import SEARCH_COLUMNS, ContextBuilder, lexical_search
from workbench.ai.service import file_reader
from workbench.ai.tokens import count_tokens


def hits(*rows):
    """A search result in wb.search's shape: (path, start, end, node, score, text)."""
    frame = []
    for rank, (path, start, end, node, score, text) in enumerate(rows, 1):
        frame.append({**{c: None for c in SEARCH_COLUMNS}, "rank": rank, "score": score,
                      "kind": "code", "path": path, "line_start": start, "line_end": end,
                      "node": node, "text": text})
    return pd.DataFrame(frame, columns=SEARCH_COLUMNS)


@pytest.fixture
def builder(shop):
    snap = shop.snapshot("shop")
    read = file_reader(shop, snap)
    calls = []

    def search(question, k):
        calls.append((question, k))
        return hits(
            ("src/shop/util/money.py", 4, 6, "shop.util.money:fmt", 3.0, read("src/shop/util/money.py")),
            ("src/shop/service.py", 5, 8, "shop.service:checkout", 2.0, "def checkout(total):\n" * 3),
            ("src/shop/models.py", 6, 10, "shop.models:Order", 1.0, "class Order:\n" * 200),
        )

    b = ContextBuilder(snap, search=search, read_file=read)
    b.calls = calls
    return b


@pytest.mark.parametrize("budget", [0, 50, 200, 400, 800, 3000])
def test_the_budget_is_never_exceeded(builder, budget):
    packed = builder.build("how is money formatted?", budget=budget, window=8192)
    record = packed.record
    assert record.tokens <= budget
    assert record.tokens == sum(i.tokens for i in record.included)
    assert count_tokens(packed.blocks) <= budget + 2 * len(record.included)  # joins only
    assert record.budget == budget


def test_ranking_orders_passages_and_outline(builder):
    record = builder.build("how is money formatted?", budget=3000, window=8192).record
    passages = [i for i in record.items if i.kind == "passage"]
    assert [i.path for i in passages] == ["src/shop/util/money.py", "src/shop/service.py",
                                          "src/shop/models.py"]
    assert [i.score for i in passages] == [3.0, 2.0, 1.0]
    assert passages[0].included and passages[0].reason.startswith("search hit #1")
    assert passages[2].line_end - passages[2].line_start < 80  # long passages are cut
    facts = [i for i in record.items if i.kind == "fact"]
    assert facts[0].node == "shop.util.money:fmt" and "shop.service:checkout" in facts[0].text
    outline = [i for i in record.items if i.kind == "outline"][0]
    assert outline.included and "PageRank" in outline.reason
    # without hits the most referenced symbol leads; personalised towards a hit, the hit does
    plain = builder.ranked_signatures(None)
    assert plain[0][0].startswith("src/shop/models.py:") and "class Order" in plain[0][2]
    one = hits(("src/shop/util/money.py", 4, 6, "shop.util.money:fmt", 1.0, "x"))
    ranked = builder.ranked_signatures(one)
    assert ranked[0][0].startswith("src/shop/util/money.py:4") and "def fmt(x):" in ranked[0][2]


def test_a_small_budget_keeps_the_best_and_records_the_rest(builder):
    record = builder.build("how is money formatted?", budget=250, window=8192).record
    included = [i for i in record.items if i.included]
    left = [i for i in record.items if not i.included]
    assert included[0].path == "src/shop/util/money.py"
    assert left and all("over budget" in i.reason for i in left)


def test_the_outline_binary_search_fills_what_is_left(builder):
    builder.search = lambda q, k: hits()
    count = {}
    for budget in (100, 150, 5000):
        record = builder.build("q", budget=budget, window=8192).record
        outline = [i for i in record.items if i.kind == "outline"][0]
        count[budget] = int(outline.reason.split()[1])
        assert outline.tokens <= budget and record.tokens == outline.tokens
    assert 0 < count[100] < count[150] < count[5000] == 7


def test_packing_is_deterministic(builder):
    first = builder.build("how is money formatted?", budget=900, window=8192)
    second = builder.build("how is money formatted?", budget=900, window=8192)
    assert first.blocks == second.blocks and first.record == second.record


def test_show_context_and_the_lexical_fallback(shop):
    record = shop.show_context("format money with two decimals", "shop", budget=1500)
    assert record.search == "index"  # wb.search, on the index built with the template
    text = record.to_text()
    assert "src/shop/util/money.py:4-6" in text and "✓" in text
    frame = record.frame()
    assert list(frame.columns) == ["kind", "location", "node", "score", "tokens", "included",
                                   "reason"]
    snap = shop.snapshot("shop")
    found = lexical_search(snap, file_reader(shop, snap), "checkout", 5)
    assert found.iloc[0]["node"] == "shop.service:checkout"
    assert "tests/test_service.py" not in found["path"].tolist()  # tests left out by default
    assert list(found.columns) == SEARCH_COLUMNS


def test_the_context_shows_as_a_summary_and_prints_in_full(shop):
    record = shop.show_context("format money with two decimals", "shop", budget=1500)
    shown = repr(record)
    passages = [i for i in record.included if i.kind == "passage"]
    assert len(passages) >= 1 and passages[0].text not in shown  # no raw passage text
    assert len(shown) < 600, shown
    assert shown.startswith("<ContextRecord 'format money with two decimals' in shop")
    assert f"sent {len(passages)} passage" in shown
    assert f"{record.tokens} of 1500 tokens, window {record.window}" in shown
    assert f"sources {passages[0].location}" in shown and ".to_text()" in shown
    full = record.to_text()
    assert all((i.location or i.node or "") in full for i in record.items)


def test_an_index_search_is_used_when_present(shop, monkeypatch):
    asked = []

    def search(query, project, *, k=10, snapshot_id=None, **kw):
        asked.append((query, project, k, snapshot_id))
        return hits(("src/shop/models.py", 6, 10, "shop.models:Order", 9.0, "class Order:"))

    monkeypatch.setattr(shop, "search", search, raising=False)
    record = shop.show_context("orders", "shop")
    assert record.search == "index" and asked[0][:2] == ("orders", "shop")
    assert record.items[0].path == "src/shop/models.py"


def test_an_edge_between_two_hits_is_stated_once(builder):
    """checkout calls fmt: both are hits, and the edge is in the first one's facts only."""
    record = builder.build("how is money formatted?", budget=3000, window=8192).record
    facts = [i for i in record.items if i.kind == "fact"]
    assert [f.node for f in facts[:2]] == ["shop.util.money:fmt", "shop.service:checkout"]
    said = [line for f in facts for line in f.text.splitlines() if " calls " in line
            and "checkout" in line and "fmt" in line and "money" in line]
    assert len(said) == 1, [f.text for f in facts]
