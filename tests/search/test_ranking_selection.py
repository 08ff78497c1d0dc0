"""Which hits make the first k, on a repository built for it: a long file does not bury its
best definitions, the list for k is the start of the list for any larger k, and a definition
the query names (``Console``, ``Console.print``, ``console:Console``) comes before its
callers and namesakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import commit, init_repo, write
from workbench import Workbench
from workbench.search.ranking import FILE_DECAY, FILE_DECAY_FLOOR, _diversify
from workbench.search.tokens import qualified_names

_FILLER = "\n".join(f"    step_{i} = widget_{i}(value)" for i in range(30))

SELECTION_FILES = {
    # one long module: three strong answers for "report html", and a class that is Console
    "src/app/console.py": '''"""The console: writing to a terminal and saving what was written."""


class Console:
    """A high level console interface: print renderables, capture them, export them."""

    def __init__(self, width=80):
        self.width = width
        self.lines = []

    def print(self, *objects, sep=" ", end="\\n"):
        """Print objects to the console, wrapped to its width."""
        text = sep.join(str(o) for o in objects)
        self.lines.append(text + end)
        return len(self.lines)

    def export_html(self, inline_styles=False):
        """Export the report as html: the html report of everything printed, as an html page."""
        return "<html>" + "".join(self.lines) + "</html>"

    def save_html(self, path):
        """Save the html report to a file: the html report of everything printed."""
        with open(path, "w") as handle:
            handle.write(self.export_html())

    def report_html(self):
        """The html report of the console: a report in html."""
        return self.export_html()
''',
    "src/app/jupyter.py": '''"""Notebook output."""


def print(*args, **kwargs):
    """Print to the notebook."""
    return args
''',
    "src/app/errors.py": '''"""Errors."""


class ConsoleError(Exception):
    """A console error: the console failed, the console said no, console console."""
''',
    "src/app/status.py": '''"""A status line."""


class Status:
    """A status line on a console."""

    @property
    def console(self):
        """The console of the status."""
        return self._console
''',
    "src/app/table.py": '''"""Tables."""


def header(text, console):
    """Print a header."""
    console.print()
    console.print(text)
    console.print()
''',
}
for _n in range(8):  # weak candidates in other files: one mention each, in a long body
    SELECTION_FILES[f"src/app/part_{_n}.py"] = (
        f'def part_{_n}(value):\n    """Part {_n} of the widget, its report is elsewhere."""\n'
        f"{_FILLER}\n    return html_{_n}(value)\n")


@pytest.fixture
def selection(wb: Workbench, tmp_path: Path) -> Workbench:
    repo = init_repo(tmp_path / "selection")
    write(repo, SELECTION_FILES)
    commit(repo, "Add the console, the notebook output and the parts")
    wb.map(str(repo), name="selection")
    wb.index("selection", wait=True)
    return wb


def _nodes(wb: Workbench, query: str, **options) -> list:
    return list(wb.search(query, "selection", kinds=["code"], **options)["node"])


def test_a_long_file_keeps_its_strong_hits_above_much_weaker_ones(selection):
    strong = {"app.console:Console.export_html", "app.console:Console.save_html",
              "app.console:Console.report_html"}
    for mode in ("text", "hybrid"):
        top = _nodes(selection, "html report", mode=mode, k=5)
        assert strong <= set(top), (mode, top)
        assert top.index("app.console:Console.report_html") < 3, (mode, top)


def test_the_first_k_hits_are_the_start_of_any_longer_list(selection):
    for query in ("html report", "console", "print the widget report"):
        for mode in ("text", "vector", "hybrid"):
            longest = selection.search(query, "selection", mode=mode, k=40)
            for k in (1, 3, 5, 10):
                hits = selection.search(query, "selection", mode=mode, k=k)
                assert list(hits["chunk_id"]) == list(longest["chunk_id"][:k]), (query, mode, k)
            scores = list(longest["score"])
            assert scores == sorted(scores, reverse=True), (query, mode)


def test_near_equal_hits_of_one_file_give_way_and_better_ones_do_not():
    keys = np.array([7, 7, 7, 8, 9])
    # near-equal scores: the second and third chunk of file 7 follow the other files
    order, demoted = _diversify(np.array([1.0, 0.99, 0.98, 0.97, 0.96]), keys)
    assert order.tolist() == [0, 3, 4, 1, 2]
    assert demoted.tolist() == sorted(demoted.tolist(), reverse=True)
    # a chunk of file 7 scoring more than twice another file's stays above it
    order, _ = _diversify(np.array([1.0, 0.99, 0.98, 0.4, 0.3]), keys)
    assert order.tolist() == [0, 1, 2, 3, 4]
    # demotion grows with each chunk of the file already listed, to at most the floor
    _, demoted = _diversify(np.array([1.0, 1.0, 1.0, 1.0]), np.zeros(4, dtype=np.int64))
    assert demoted.tolist() == pytest.approx([1.0, FILE_DECAY, max(FILE_DECAY ** 2,
                                                                   FILE_DECAY_FLOOR),
                                              FILE_DECAY_FLOOR])


def test_a_qualified_name_finds_the_definition_it_ends(selection):
    for mode in ("text", "hybrid"):
        assert _nodes(selection, "Console.print", mode=mode, k=3)[0] == \
            "app.console:Console.print", mode
        assert _nodes(selection, "jupyter.print", mode=mode, k=3)[0] == "app.jupyter:print"
        for query in ("console:Console", "app.console:Console", "console.Console"):
            assert _nodes(selection, query, mode=mode, k=3)[0] == "app.console:Console", \
                (mode, query)
        # a sentence naming the method finds it first too
        assert _nodes(selection, "where is Console.export_html called", mode=mode,
                      k=3)[0] == "app.console:Console.export_html", mode
    assert qualified_names("see Console.print, app.console:Console and ns::Type") == \
        ["Console.print", "app.console.Console", "ns.Type"]
    assert qualified_names("print the console") == []


def test_a_name_finds_the_definition_so_named_first(selection):
    for mode in ("text", "hybrid"):
        classes = _nodes(selection, "Console", mode=mode, k=3, node_kind="class")
        assert classes[0] == "app.console:Console", (mode, classes)
        # the name as spelt: the class Console before the property console
        hits = _nodes(selection, "Console", mode=mode, k=5)
        assert hits.index("app.console:Console") < hits.index("app.status:Status.console")
        assert _nodes(selection, "console", mode=mode, k=3)[0] == "app.status:Status.console"


def test_vector_mode_with_no_kept_chunk_holding_a_vector_finds_nothing(selection):
    """The chunks a filter keeps may have no vector (none of them embedded): vector mode then
    has no candidates and answers nothing, where hybrid and text modes still rank by text."""
    from workbench.search import service

    selection.search("console", "selection", mode="vector", k=3)  # the index, loaded
    index = list(service._cache.values())[-1]
    index.has_vector = np.zeros(index.n, dtype=bool)
    everything = np.ones(index.n, dtype=bool)
    cosine = np.zeros(index.n, dtype=np.float32)
    ranked = index.rank(everything, k=5, mode="vector", bm25=None, cosine=cosine,
                        include_tests=True)
    assert len(ranked.rows) == 0
    hybrid = index.rank(everything, k=5, mode="hybrid", bm25=index.bm25("console"),
                        cosine=cosine, include_tests=True, query="console")
    assert len(hybrid.rows) == 5
