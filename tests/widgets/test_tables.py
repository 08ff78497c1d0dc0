"""Readable tables: they scroll inside a frame, long answers are paged, numbers are
right-aligned under right-aligned headers, and cells never wrap one word per line."""

from __future__ import annotations

import re

import pandas as pd

from workbench.widgets import QueryPanel
from workbench.widgets.base import table_html


def test_tables_scroll_page_and_align_numbers():
    frame = pd.DataFrame({"path": [f"src/some/rather/long/path/number_{i}.py" for i in range(90)],
                          "lines": range(90), "ownership": [0.5] * 90,
                          "knowledge_loss": [True, False] * 45,
                          "counts": pd.Series([1, None] * 45, dtype=object)})
    html = table_html(frame, max_rows=25, page=1)
    assert html.startswith("<div class='wb-scroll' style='max-height:360px;max-width:100%;overflow:auto")
    assert "rows 26–50 of 90 (page 2 of 4)" in html
    assert len(re.findall(r"<tr>", html)) == 26  # the header and 25 rows
    heads = dict(re.findall(r"<th class='(wb-\w+)'[^>]*>(\w+)</th>", html)[i][::-1] for i in range(5))
    assert heads == {"path": "wb-text", "lines": "wb-num", "ownership": "wb-num",
                     "knowledge_loss": "wb-text", "counts": "wb-num"}
    assert "text-align:right'>lines</th>" in html and "text-align:right'>25</td>" in html
    assert html.count("white-space:nowrap") == 5 + 25 * 5
    assert "position:sticky" in html  # the header stays in view while the frame scrolls
    assert table_html(frame, max_rows=25, page=99).count("rows 76–90 of 90") == 1


def test_query_answers_are_paged(mapped):
    panel = QueryPanel(mapped, project="shop", max_rows=2)
    frame = panel.run("related", "shop.models", depth=3)
    assert len(frame) > 2
    assert panel.pager.layout.display is None and panel.pager.prev.disabled
    assert f"rows 1–2 of {len(frame)}" in panel.output.value
    panel.pager.next.click()
    assert f"rows 3–{min(4, len(frame))} of {len(frame)}" in panel.output.value
    assert not panel.pager.prev.disabled
    panel.run("related", "shop.models", depth=1)
    assert panel.pager.page == 0
