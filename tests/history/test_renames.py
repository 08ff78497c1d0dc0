"""Rename following on hand-made change lists."""

from __future__ import annotations

import pandas as pd

from workbench.history.renames import latest_paths


def follow(rows: list[tuple[int, str, str | None]]) -> list[str]:
    frame = pd.DataFrame(rows, columns=["seq", "path", "old_path"])
    return latest_paths(frame["path"], frame["old_path"], frame["seq"]).tolist()


def test_chain_resolves_to_the_latest_path() -> None:
    rows = [(1, "a", None), (2, "b", "a"), (3, "b", None), (4, "c", "b"), (5, "c", None)]
    assert follow(rows) == ["c"] * 5


def test_reused_path_keeps_histories_apart() -> None:
    rows = [(1, "a", None), (2, "b", "a"), (3, "a", None), (4, "c", "b"), (5, "a", None)]
    assert follow(rows) == ["c", "c", "a", "c", "a"]


def test_swap_in_one_commit_does_not_loop() -> None:
    rows = [(1, "a", None), (1, "b", None), (2, "b", "a"), (2, "a", "b"), (3, "a", None)]
    assert follow(rows) == ["b", "a", "b", "a", "a"]


def test_no_renames_and_unsorted_input() -> None:
    assert follow([(2, "x", None), (1, "y", None)]) == ["x", "y"]
    rows = [(4, "c", "b"), (1, "a", None), (2, "b", "a")]
    assert follow(rows) == ["c", "c", "c"]
