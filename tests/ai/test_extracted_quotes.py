"""An extracted answer quotes the files' own lines: doctest prompts, blank lines and
citation-like text as written, trimmed only to whole lines and then said to be; a line with a
secret-looking value is never printed."""

from __future__ import annotations

import re

import pytest

from tests.helpers import commit, init_repo, write
from workbench import Workbench

QUOTE_MARGIN = "    "  # what precedes each quoted line

OPS = '''def scale_values(values, factor):
    """Multiply every value by the factor.

    >>> scale_values([1, 2], 3)
    [3, 6]

    The rules of rounding are in docs/rounding.md:99.
    """
    result = [v * factor for v in values]
    return result
'''

SERVICE = '''def connect_service(url):
    """Open the connection to the payment service."""
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    return url, token
'''

ROUNDING = "# Rounding\n\nHalf to even.\n"

_HEADING = re.compile(r"^\d+\. (\S+):(\d+)-(\d+)(.*)$")


@pytest.fixture
def calc(tmp_path, data_dir) -> Workbench:
    repo = init_repo(tmp_path / "calc")
    write(repo, {"calc/__init__.py": "", "calc/ops.py": OPS, "calc/service.py": SERVICE,
                 "docs/rounding.md": ROUNDING})
    commit(repo, "calc")
    bench = Workbench(data_dir, background=False)
    bench.map(str(repo), name="calc")
    yield bench
    bench.close()


def quotes(text: str) -> list[tuple[str, int, int, str, list[str]]]:
    """(path, first, last, what the heading adds, quoted lines without the margin) per
    passage of an extracted answer."""
    found, lines = [], text.splitlines()
    for n, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading is None:
            continue
        body = []
        for quoted in lines[n + 1:]:
            if not quoted.startswith(QUOTE_MARGIN):
                break
            body.append(quoted[len(QUOTE_MARGIN):])
        found.append((heading[1], int(heading[2]), int(heading[3]), heading[4], body))
    return found


def test_a_quote_is_the_files_lines_exactly_and_says_when_it_is_trimmed(calc):
    answer = calc.ask("how does scale_values multiply every value by the factor?", "calc")
    passages = quotes(answer.text)
    source = {"calc/ops.py": OPS, "calc/service.py": SERVICE, "docs/rounding.md": ROUNDING}
    assert passages and passages[0][0] == "calc/ops.py", answer.text
    for path, first, last, said, body in passages:
        lines = source[path].splitlines()
        assert body == lines[first - 1:first - 1 + len(body)], answer.text
        if len(body) < last - first + 1:
            assert f"lines {first}-{first + len(body) - 1} shown" in said, answer.text
        else:
            assert said == "", answer.text
    _, first, _, said, body = passages[0]
    assert ">>> scale_values([1, 2], 3)" in [ln.strip() for ln in body]  # the prompt as written
    assert "" in body  # the blank lines of the docstring are kept
    # citation-like text inside a quote is the file's, neither checked nor marked
    assert "docs/rounding.md:99." in answer.text and "[not in snapshot]" not in answer.text
    assert ("docs/rounding.md", 99, 99) not in {(c.path, c.line_start, c.line_end)
                                                for c in answer.citations}


def test_a_line_holding_a_secret_ends_the_quote_and_is_never_printed(calc):
    answer = calc.ask("how does connect_service open the connection to the payment service?",
                      "calc")
    passage = next(p for p in quotes(answer.text) if p[0] == "calc/service.py")
    path, first, _, said, body = passage
    assert body == SERVICE.splitlines()[first - 1:2]
    assert "line 3 holds a secret-looking value" in said
    assert "ghp_" not in answer.text
    stored = calc.conversation(answer.conversation_id)
    assert not stored["content"].str.contains("ghp_").any()


SIZE = '''class Terminal:
    def console_width(self):
        """The number of columns to draw in.

        Read once, when drawing starts.
        It is never negative.
        Nor is it larger than the screen.
        Terminals differ.
        """
        if self.legacy:
            self.legacy = False
        columns = self.size.width
        return columns
'''


def test_a_trimmed_quote_keeps_the_lines_with_the_questions_words(tmp_path, data_dir):
    """A long passage is quoted from its first line and the run of lines holding the most of
    the question's words, the lines left out between said so, not from its first lines only."""
    repo = init_repo(tmp_path / "term")
    write(repo, {"term/__init__.py": "", "term/size.py": SIZE})
    commit(repo, "term")
    bench = Workbench(data_dir, background=False)
    try:
        bench.map(str(repo), name="term")
        answer = bench.ask("where is the console width computed?", "term")
    finally:
        bench.close()
    heading = next(line for line in answer.text.splitlines()
                   if re.match(r"\d\. term/size.py:2-13 ", line))
    # the earliest run of five lines holding "width", after the signature
    assert heading.endswith("(trimmed: line 2, lines 8-12 shown)"), answer.text
    text = answer.text
    assert "        columns = self.size.width" in text  # margin + the file's line
    assert "  … (lines 3-7 left out)" in text
    assert '"""The number of columns' not in text
