"""The thresholds of change coupling (``co_changes``) are the ones the README and the Python
API's docstrings state, and a map uses them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import ROOT, commit, init_repo, write
from workbench.history.metrics import (COUPLING_MIN_DEGREE, COUPLING_MIN_REVISIONS,
                                       COUPLING_MIN_SHARED, MAX_CHANGESET_SIZE)
from workbench.snapshot import Snapshot


def _stated(text: str) -> None:
    text = " ".join(text.split())
    assert f"more than {MAX_CHANGESET_SIZE} files" in text, text
    assert f"together in at least {COUPLING_MIN_SHARED} commits" in text, text
    assert re.search(rf"mean of their revisions \([^)]*\) is at least {COUPLING_MIN_REVISIONS}\b",
                     text), text
    assert f"is at least {COUPLING_MIN_DEGREE:g}" in text, text


def test_the_readme_states_the_thresholds_where_it_describes_co_changes():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("Files changed together become `co_changes`")
    _stated(readme[start:readme.index("\n\n", start)])


def test_the_python_api_states_them():
    _stated(Snapshot.co_changes.__doc__)
    assert "co_changes" in Snapshot.hidden_coupling.__doc__


def _history(repo: Path) -> None:
    """a+b change together 5 times (coupled); c+d 4 times (one short); e+f 4 times and once in a
    commit of 31 files (left out); g+h 4 times and once in a commit of exactly 30 files."""
    n = 0

    def change(*names: str) -> None:
        nonlocal n
        n += 1
        write(repo, {f"pkg/{name}.py": f"x = {n}\n" for name in names})
        commit(repo, f"change {n}", f"2026-01-{n:02d}T10:00:00+00:00")

    write(repo, {"pkg/__init__.py": ""})
    for _ in range(COUPLING_MIN_SHARED - 1):
        change("a", "b")
        change("c", "d")
        change("e", "f")
        change("g", "h")
    change("a", "b")
    change("e", "f", *(f"big{i:02d}" for i in range(MAX_CHANGESET_SIZE - 1)))
    change("g", "h", *(f"wide{i:02d}" for i in range(MAX_CHANGESET_SIZE - 2)))


def test_a_map_keeps_exactly_the_pairs_over_the_thresholds(wb, tmp_path):
    repo = init_repo(tmp_path / "coupled")
    _history(repo)
    pairs = wb.map(str(repo), name="coupled").co_changes()
    found = {(a.split(".")[-1], b.split(".")[-1]) for a, b in zip(pairs["a"], pairs["b"])}
    assert found == {("a", "b"), ("g", "h")}, pairs
    assert pairs["shared"].min() == COUPLING_MIN_SHARED
