"""The ranking rules on a repository built for them: identifiers find their definition, examples
and tests sink, one file does not fill the top, config sections and prose words are found."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit, init_repo, write
from workbench import Workbench
from workbench.search.chunking import chunk_blob
from workbench.search.ranking import looks_like_identifier
from workbench.search.tokens import code_terms, normalise, query_terms, tokenize

_WIDGET_FUNCS = "\n\n".join(
    f'def widget_{name}(widget):\n    """{text} a widget."""\n    return widget\n'
    for name, text in [("paint", "Paint the colours of"), ("resize", "Resize the frame of"),
                       ("hide", "Hide"), ("show", "Show"), ("move", "Move the frame of"),
                       ("rotate", "Rotate"), ("blink", "Blink")])

RULE_FILES = {
    "src/pager.py": '''"""Long output through a pager."""
import pydoc


def echo_via_pager(text):
    """Show text one screen at a time."""
    pydoc.pager(text)
''',
    "examples/pager_demo.py": '''"""Demo of echo_via_pager."""
from pager import echo_via_pager


def main():
    # echo_via_pager shows a long text; echo_via_pager pages it
    echo_via_pager("line\\n" * 500)
    echo_via_pager("more")
''',
    "docs/pager.md": '''# Pager

Call `echo_via_pager` to page long output. `echo_via_pager` takes a text and
`echo_via_pager` shows it one screen at a time.
''',
    "src/widgets.py": _WIDGET_FUNCS,
    "src/frame.py": '''def draw_widget_frame(widget):
    """Draw the frame around a widget."""
    return widget
''',
    "src/layout.py": '''def place_widget(widget, row):
    """Place a widget in a row of the layout."""
    return widget, row
''',
    "tests/test_widgets.py": '''from widgets import widget_paint


def test_widget_paint():
    assert widget_paint("widget") == "widget"
''',
    "pyproject.toml": '''[build-system]
requires = ["setuptools"]

[project]
name = "ranked"
requires-python = ">=3.9"
dependencies = ["rich"]

[tool.pytest.ini_options]
testpaths = ["tests"]
''',
}


@pytest.fixture
def ranked(wb: Workbench, tmp_path: Path) -> Workbench:
    repo = init_repo(tmp_path / "ranked")
    write(repo, {k: v for k, v in RULE_FILES.items() if not k.startswith("tests/")})
    commit(repo, "Add the pager, the widgets and the packaging metadata")
    write(repo, {k: v for k, v in RULE_FILES.items() if k.startswith("tests/")})
    commit(repo, "Add tests for the widget runner", "2026-01-02T12:00:00+00:00")
    wb.map(str(repo), name="ranked")
    wb.index("ranked", wait=True)
    return wb


def test_an_identifier_finds_its_definition_above_examples_and_docs(ranked):
    for mode in ("text", "hybrid"):
        hits = ranked.search("echo_via_pager", "ranked", mode=mode, k=5)
        assert hits.iloc[0]["node"].endswith(":echo_via_pager"), (mode, hits[["path", "node"]])
    hits = ranked.search("echo_via_pager", "ranked", k=10).set_index("path")
    assert hits.loc["examples/pager_demo.py", "graph"].min() <= 0.5  # sunk, and not lifted
    asked = ranked.search("echo_via_pager example", "ranked", k=10).set_index("path")
    assert asked.loc["examples/pager_demo.py", "graph"].min() >= 1.0  # asked for: not sunk
    with_tests = ranked.search("echo_via_pager", "ranked", k=10, include_tests=True)
    assert with_tests.set_index("path").loc["examples/pager_demo.py", "graph"].min() >= 1.0


def test_one_file_fills_at_most_its_share_of_the_top(ranked):
    for mode in ("text", "vector", "hybrid"):
        hits = ranked.search("widget", "ranked", mode=mode, k=6, kinds=["code"])
        top = list(hits["path"][:4])
        assert top.count("src/widgets.py") <= 2, (mode, top)
        assert {"src/frame.py", "src/layout.py"} <= set(hits["path"]), (mode, list(hits["path"]))
    # with fewer files than k, the rest of a file's chunks still fill the list
    only = ranked.search("widget", "ranked", k=7, path="src/widgets.py", mode="text")
    assert len(only) == 7 and set(only["path"]) == {"src/widgets.py"}


def test_config_sections_and_prose_words_are_found(ranked):
    hits = ranked.search("minimum supported Python version", "ranked", kinds=["config"])
    best = hits.iloc[0]
    assert best["title"] == "pyproject.toml [project]" and best["line_start"] == 4
    assert "requires-python: minimum supported Python version" in best["text"]
    commits = ranked.search("which commit added the test runners", "ranked", kinds=["commits"])
    assert commits.iloc[0]["title"] == "Add tests for the widget runner"


def test_prose_words_are_normalised_and_identifiers_never():
    assert [normalise(w) for w in ("tests", "testing", "runners", "queries", "parsing",
                                   "parse", "classes", "status")] == \
        ["test", "test", "runner", "query", "pars", "pars", "class", "status"]
    assert tokenize("tests of parsing", prose=True) == ["test", "pars"]
    assert tokenize("tests of parsing") == ["tests", "parsing"]
    # identifiers keep their spelling even in prose; code lines are not prose
    assert "get_tests" in tokenize("see get_tests and runTests", prose=True)
    assert "runtests" in tokenize("see get_tests and runTests", prose=True)
    terms = code_terms('def run_tests(items):\n    """Run the tests."""\n    # caching items\n'
                       '    return items\n')
    assert terms.count("items") == 2 and "item" not in terms[:4]
    assert {"test", "cach"} <= set(terms) and "run_tests" in terms
    assert {"tests", "test", "runner"} <= query_terms("tests runner")


def test_identifier_queries():
    for query in ("echo_via_pager", "HttpClient.get", "parseHeaderLine()", "progressbar"):
        assert looks_like_identifier(query), query
    for query in ("open the pager", "echo via pager", "a-b"):
        assert not looks_like_identifier(query), query


def test_setup_cfg_is_chunked_per_section():
    data = (b"[metadata]\nname = demo\n\n[options]\npackages = find:\npython_requires = >=3.8\n"
            b"\n[flake8]\nmax-line-length = 100\n")
    chunks = chunk_blob("setup.cfg", "config", data)
    assert [c.title for c in chunks] == ["setup.cfg [metadata]", "setup.cfg [options]",
                                         "setup.cfg [flake8]"]
    assert [(c.line_start, c.line_end) for c in chunks] == [(1, 3), (4, 7), (8, 9)]
    assert chunks[1].text.endswith("# python_requires: minimum supported Python version")
    whole = chunk_blob("tox.ini", "config", b"[tox]\nenvlist = py39\n")
    assert len(whole) == 1 and whole[0].title == "tox.ini"
