"""Long functions are chunked in windows: a question about one step finds that step's lines."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import commit, init_repo, write
from workbench import Workbench
from workbench.search.chunking import (FUNCTION_WINDOW, LONG_FUNCTION, Definition, chunk_blob)


def _steps(count: int, lines_each: int) -> list[str]:
    """A function body of ``count`` paragraphs, each a step of ``lines_each`` lines."""
    body = []
    for step in range(count):
        body += [f"    total_{step} = {step}"] * (lines_each - 1) + [""]
    return body


def _function(name: str, body: list[str]) -> list[str]:
    return ["# the long one", f"def {name}(request):", *body, "    return request"]


def test_a_long_function_is_chunked_in_windows_that_cover_it_once():
    lines = ["import os", "", *_function("handle", _steps(12, 9))]
    end = len(lines)
    chunks = chunk_blob("app.py", "code", "\n".join(lines).encode(),
                        [Definition("handle", "function", 4, end)], "module")
    windows = [c for c in chunks if c.symbol == "handle"]
    assert len(windows) > 1
    # contiguous from the comment above the definition to its last line, no line twice
    assert windows[0].line_start == 3 and windows[-1].line_end == end
    for before, after in zip(windows, windows[1:]):
        assert after.line_start == before.line_end + 1
    for window in windows:
        assert window.kind == "code" and window.node_kind == "function"
        assert window.title == "def handle(request):"  # every window says whose lines it holds
        assert window.text == "\n".join(lines[window.line_start - 1:window.line_end])
        assert window.line_end - window.line_start + 1 <= FUNCTION_WINDOW + FUNCTION_WINDOW // 2
    # a window that ends before the function does ends at a paragraph's blank line
    assert all(not lines[w.line_end - 1].strip() for w in windows[:-1])


def test_a_function_up_to_the_threshold_stays_one_chunk():
    def spans(body_lines: int) -> list[tuple[int, int]]:
        lines = _function("f", ["    x = 1"] * body_lines)
        chunks = chunk_blob("app.py", "code", "\n".join(lines).encode(),
                            [Definition("f", "function", 2, len(lines))], "module")
        return [(c.line_start, c.line_end) for c in chunks if c.symbol == "f"]

    # the comment above the definition counts: LONG_FUNCTION lines in all
    assert spans(LONG_FUNCTION - 3) == [(1, LONG_FUNCTION)]
    assert len(spans(LONG_FUNCTION - 2)) == 2


def test_search_cites_the_window_of_the_step_asked_about(tmp_path: Path):
    body = _steps(6, 12)
    step = 4 * 12  # a line of the fifth step
    body[step:step + 3] = ["    # publish the finished snapshot to every subscriber",
                           "    announce_snapshot(request)",
                           "    notify_listeners(request)"]
    repo = init_repo(tmp_path / "long")
    write(repo, {"long/__init__.py": "", "long/flow.py": "\n".join(
        ['"""The request flow."""', "", *_function("run", body)]) + "\n"})
    commit(repo, "one long function")
    wb = Workbench(tmp_path / "data")
    wb.map(str(repo), name="long")
    wb.index("long", wait=True)
    for mode in ("text", "hybrid"):
        hit = wb.search("publish the finished snapshot to subscribers", "long", mode=mode,
                        k=3).iloc[0]
        assert hit["path"] == "long/flow.py" and hit["node"].endswith(":run"), mode
        asked_line = 2 + 2 + step + 1  # docstring, blank, comment, `def`, then the body
        assert hit["line_start"] <= asked_line <= hit["line_end"], (mode, hit)
        assert hit["line_end"] - hit["line_start"] < FUNCTION_WINDOW * 3 // 2
    wb.close()
