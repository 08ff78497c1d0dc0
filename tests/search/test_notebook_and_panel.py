"""The search notebook runs headless with papermill; the search panel renders without a frontend,
opens a hit's source and marks its node for the map."""

from __future__ import annotations

import json
import re

import nbformat
import papermill as pm
import pytest

from tests.helpers import ROOT
from workbench.widgets import SearchPanel, Session, WorkbenchApp


def test_the_panel_searches_opens_a_hit_and_marks_its_node(indexed):
    session = Session(indexed, project="netkit")
    panel = SearchPanel(session, k=5)
    assert "no search run" in panel.to_html()
    hits = panel.run("verify_jwt_token", kinds=["code"], mode="text")
    assert hits.iloc[0]["node"] == "auth.tokens:verify_jwt_token"
    assert session.highlight[0] == "auth.tokens:verify_jwt_token"
    assert len(panel.hits.options) == len(hits)
    panel.hits.value = 1  # picking a hit opens it
    assert session.selected == "auth.tokens:verify_jwt_token"
    assert "def verify_jwt_token(token, secret):" in panel.source.value
    lines = panel.open_hit(1)
    assert lines[0] == (5, "def verify_jwt_token(token, secret):")
    html = panel.to_html()
    assert "src/auth/tokens.py" in html and "def verify_jwt_token" in html
    docs = panel.run("installing", kinds=["docs"])
    assert docs.iloc[0]["path"] == "docs/guide.md"
    assert panel.open_hit(1)[0][1].startswith("## Installing")  # a section shows its own text
    panel.run("zzzz_nothing_like_this", mode="text")
    assert "no hits" in panel.to_html() and panel.hits.options == ()


def test_the_panel_shows_errors_as_messages(indexed):
    panel = SearchPanel(Session(indexed, project="netkit"))
    panel.query.value = "   "
    panel.run_button.click()
    assert "give a query" in panel.message.value


def test_the_app_has_a_search_tab(indexed):
    app = WorkbenchApp(indexed, project="netkit")
    assert isinstance(app["search"], SearchPanel)
    assert app.show("search") is app["search"]


@pytest.mark.slow
def test_the_search_notebook_runs_headless(indexed, known_repo, tmp_path):
    out = tmp_path / "search.ipynb"
    indexed.close()
    pm.execute_notebook(str(ROOT / "notebooks" / "search.ipynb"), str(out),
                        parameters={"project": "netkit", "data_dir": str(indexed.data_dir),
                                    "query": "evict the least recently used entry",
                                    "identifier": "LRUCache"},
                        kernel_name="python3", progress_bar=False, cwd=str(ROOT / "notebooks"),
                        store_widget_state=False, execution_timeout=120)
    nb = nbformat.read(str(out), as_version=4)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outs if o.output_type == "error"]
    text = json.dumps(outs)
    for needle in ("chunks indexed", "src/store/cache.py", "store.cache:LRUCache",
                   "Add an LRU cache", "application/vnd.jupyter.widget-view+json"):
        assert needle in text, needle


def test_a_commit_hit_shows_its_sha_not_file_line_numbers(indexed):
    panel = SearchPanel(Session(indexed, project="netkit"))
    hits = panel.run("add an LRU cache", kinds=["commits"], mode="text")
    assert hits.iloc[0]["kind"] == "commits"
    lines = panel.open_hit(1)
    assert lines and all(number is None for number, _ in lines)  # a commit has no file lines
    shown = panel.source.value
    assert f"commit {hits.iloc[0]['commit'][:12]}" in shown and lines[0][1] in shown
    body = re.search(r"<pre[^>]*>(.*)</pre>", shown, re.S).group(1)
    assert not re.search(r"^\s*\d+  ", body, re.M), body  # no "    1  Add an LRU cache"
