"""Per-file metrics and change coupling on the known repository (see conftest)."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from tests.history.conftest import Scenario
from workbench.history.metrics import change_coupling, file_metrics
from workbench.history.mine import COMMITS_SCHEMA, FILE_CHANGES_SCHEMA, mine_all

SIZES = pd.Series({"src/main.py": 6, "src/ünïcode.py": 5, "docs/read me.md": 2})


@pytest.fixture(scope="module")
def history(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    return mine_all(scenario.path)


def by_path(frame: pd.DataFrame) -> dict[str, dict]:
    return {row["path"]: row for row in frame.to_dict("records")}


def test_counts_and_churn_per_window(history) -> None:
    metrics = file_metrics(*history)  # as of the latest author date, 2024-06-01 10:00 UTC
    assert metrics["path"].tolist() == [".mailmap", "assets/logo.png", "docs/read me.md", "src/main.py", "src/ünïcode.py"]
    columns = ["churn_30d", "commits_30d", "churn_90d", "commits_90d", "churn_365d", "commits_365d",
               "churn_total", "commits_total", "added_total", "deleted_total"]
    assert metrics.set_index("path")[columns].to_dict("index") == {
        ".mailmap": dict(zip(columns, [0, 0, 0, 0, 1, 1, 1, 1, 1, 0])),
        "assets/logo.png": dict(zip(columns, [0, 0, 0, 0, 0, 1, 0, 1, 0, 0])),
        "docs/read me.md": dict(zip(columns, [2, 1, 2, 1, 4, 2, 4, 2, 3, 1])),
        # src/app.py's history carries over; the merge adds nothing; c4 is 92 days old
        "src/main.py": dict(zip(columns, [0, 0, 4, 2, 11, 5, 11, 5, 8, 3])),
        "src/ünïcode.py": dict(zip(columns, [1, 1, 1, 1, 5, 2, 5, 2, 5, 0])),
    }


def test_authors_ownership_and_age(history) -> None:
    rows = by_path(file_metrics(*history))
    main = rows["src/main.py"]
    # Alice (two identities folded by .mailmap) added 3 + 2 + 1 of 8 lines; Bob and Carol 1 each
    assert (main["authors"], main["main_author"], main["main_author_name"], main["ownership"]) == (
        3, "alice@example.com", "Alice", 0.75)
    assert main["first_seen"] == pd.Timestamp("2024-01-01T10:00", tz="UTC")
    assert main["last_changed"] == pd.Timestamp("2024-03-12T10:00", tz="UTC")
    assert main["code_age_days"] == 81.0
    readme = rows["docs/read me.md"]
    assert (readme["authors"], readme["main_author"], readme["ownership"]) == (2, "alice@example.com", pytest.approx(2 / 3))
    # nobody added a line to the binary file: ownership falls back to commits
    logo = rows["assets/logo.png"]
    assert (logo["main_author"], logo["ownership"], logo["code_age_days"]) == ("bob@example.com", 1.0, 121.0)
    assert not any(row["knowledge_loss"] for row in rows.values())


def test_knowledge_loss_as_of_a_later_date(history) -> None:
    # Alice's last commit (the merge) is 2024-03-21, more than 365 days before; Bob's 2024-06-01
    metrics = file_metrics(*history, as_of=datetime(2025, 4, 1, tzinfo=timezone.utc))
    assert metrics.set_index("path")["knowledge_loss"].to_dict() == {
        ".mailmap": True, "assets/logo.png": False, "docs/read me.md": True,
        "src/main.py": True, "src/ünïcode.py": False,
    }
    assert metrics.set_index("path").loc["src/main.py", "commits_365d"] == 0


def test_as_of_in_the_past_ignores_later_changes(history) -> None:
    metrics = file_metrics(*history, as_of="2024-02-15")  # naive: taken as UTC
    assert metrics.set_index("path")["commits_total"].to_dict() == {
        ".mailmap": 1, "assets/logo.png": 1, "docs/read me.md": 1, "src/main.py": 2, "src/ünïcode.py": 1,
    }


def test_hotspots(history) -> None:
    with_sizes = file_metrics(*history, sizes=SIZES).set_index("path")
    assert with_sizes["lines"].to_dict() == {
        ".mailmap": 0, "assets/logo.png": 0, "docs/read me.md": 2, "src/main.py": 6, "src/ünïcode.py": 5}
    assert with_sizes["hotspot"].to_dict() == pytest.approx({
        ".mailmap": 0.0, "assets/logo.png": 0.0, "docs/read me.md": 2 / 5 * 2 / 6,
        "src/main.py": 1.0, "src/ünïcode.py": 2 / 5 * 5 / 6})
    without = file_metrics(*history).set_index("path")
    assert without["hotspot"].to_dict() == pytest.approx({
        ".mailmap": 0.2, "assets/logo.png": 0.2, "docs/read me.md": 0.4, "src/main.py": 1.0, "src/ünïcode.py": 0.4})
    assert without["lines"].isna().all()


def test_change_coupling(history) -> None:
    coupling = change_coupling(*history, min_shared=1, min_revisions=1, min_degree=0)
    assert coupling.values.tolist() == [
        ["assets/logo.png", "src/ünïcode.py", 1, 1, 2, pytest.approx(1 / 1.5)],
        ["docs/read me.md", "src/ünïcode.py", 1, 2, 2, 0.5],
        [".mailmap", "src/main.py", 1, 1, 5, pytest.approx(1 / 3)],
        ["docs/read me.md", "src/main.py", 1, 2, 5, pytest.approx(1 / 3.5)],
    ]


def test_change_coupling_thresholds(history) -> None:
    assert change_coupling(*history, min_shared=1, min_revisions=1, min_degree=0.5)["degree"].tolist() == pytest.approx([1 / 1.5, 0.5])
    assert change_coupling(*history, min_shared=1, min_revisions=3, min_degree=0)[["path_a", "path_b"]].values.tolist() == [
        [".mailmap", "src/main.py"], ["docs/read me.md", "src/main.py"]]
    assert change_coupling(*history, min_shared=2, min_revisions=1, min_degree=0).empty
    # every commit touching two files is "too large": the pairs vanish, as do their revisions
    assert change_coupling(*history, min_shared=1, min_revisions=1, min_degree=0, max_changeset_size=1).empty


def test_empty_history() -> None:
    commits, changes = COMMITS_SCHEMA.empty_table().to_pandas(), FILE_CHANGES_SCHEMA.empty_table().to_pandas()
    metrics = file_metrics(commits, changes)
    assert metrics.empty and {"path", "hotspot", "knowledge_loss"} <= set(metrics.columns)
    assert change_coupling(commits, changes).empty


def test_naive_timestamps_from_a_store_are_taken_as_utc(history) -> None:
    commits, changes = history
    naive = commits.assign(
        authored_at=commits["authored_at"].dt.tz_localize(None),
        committed_at=commits["committed_at"].dt.tz_localize(None),
    )
    pd.testing.assert_frame_equal(file_metrics(naive, changes), file_metrics(commits, changes))


@pytest.mark.parametrize("max_size", [1, 2, 3, 30])
def test_change_coupling_counts_pairs_as_plain_python_does(max_size) -> None:
    """Random changesets of one to five files: the pairs, their shared commits and revisions
    (counted on the commits small enough to keep) as dictionaries count them."""
    import random
    from collections import Counter
    from itertools import combinations

    from workbench.history.metrics import PerFileChanges

    rng = random.Random(7)
    rows = []
    for commit in range(400):
        for path in rng.sample([f"f{i:02d}.py" for i in range(25)], rng.randint(1, 5)):
            rows.append((f"{commit:040x}", path))
    rng.shuffle(rows)
    changes = pd.DataFrame(rows, columns=["sha", "path"])
    by_commit: dict[str, list[str]] = {}
    for sha, path in rows:
        by_commit.setdefault(sha, []).append(path)
    kept = [sorted(paths) for paths in by_commit.values() if len(paths) <= max_size]
    revisions = Counter(p for paths in kept for p in paths)
    shared = Counter(pair for paths in kept for pair in combinations(paths, 2))
    expected = sorted(
        ((a, b, n, revisions[a], revisions[b], n / ((revisions[a] + revisions[b]) / 2))
         for (a, b), n in shared.items() if n >= 2),
        key=lambda r: (-r[5], -r[2], r[0], r[1]))
    got = change_coupling(None, None, prepared=PerFileChanges(None, None, changes, set()),
                          min_shared=2, min_revisions=1, min_degree=0, max_changeset_size=max_size)
    assert len(expected) > 0 or max_size == 1
    assert [(*r[:5], round(r[5], 12)) for r in got.itertuples(index=False)] == [
        (*r[:5], round(r[5], 12)) for r in expected]
