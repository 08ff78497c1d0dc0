"""Source lines of a node through the facade, and the mined history on a snapshot."""

from __future__ import annotations


def test_source_lines_of_a_node_come_from_the_clone(wb, sample_repo):
    wb.map(str(sample_repo), name="shop")
    lines = wb.source("shop", "shop.models:PaidOrder")
    assert lines[0] == (14, "class PaidOrder(Order):") and lines[-1][0] == 18
    assert wb.source("shop", "shop.models:PaidOrder", context=2)[0][0] == 12
    assert len(wb.source("shop", "shop.models", limit=3)) == 3
    assert wb.source("shop", "shop.sansio") == []  # a namespace package has no file


def test_snapshot_commits_and_file_changes(wb, sample_repo):
    snap = wb.map(str(sample_repo), name="shop")
    commits = snap.commits()
    assert len(commits) == 2 and commits["committed_at"].is_monotonic_increasing
    changes = snap.file_changes()
    assert "src/shop/models.py" in set(changes["path"])
    assert set(changes["sha"]) <= set(commits["sha"])
