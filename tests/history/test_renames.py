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


def test_an_edit_beside_a_rename_follows_it_and_a_reuse_does_not() -> None:
    # c1 adds a; c2 renames a -> b; s1 (a child of c1 only) edits a; m merges; c3 re-creates a
    parents = {"c1": [], "c2": ["c1"], "s1": ["c1"], "m": ["c2", "s1"], "c3": ["m"]}
    position = {"c1": 1, "c2": 2, "s1": 3, "m": 4, "c3": 5}
    frame = pd.DataFrame([("c1", "a", None), ("c2", "b", "a"), ("s1", "a", None), ("c3", "a", None)],
                         columns=["sha", "path", "old_path"])
    seq = frame["sha"].map(position)
    assert latest_paths(frame["path"], frame["old_path"], seq).tolist() == ["b", "b", "a", "a"]
    graph = latest_paths(frame["path"], frame["old_path"], seq, shas=frame["sha"], parents=parents,
                         position=position)
    assert graph.tolist() == ["b", "b", "b", "a"]
