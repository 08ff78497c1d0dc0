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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_file_metrics_count_as_plain_python_does(seed) -> None:
    """Random histories (authors with and without e-mails, renamed authors, binary changes,
    equal author dates, commits left out of the order): every column as dictionaries count
    it, from the definitions in the module docstring."""
    import random

    rng = random.Random(seed)
    day = 86_400
    start = 1_700_000_000
    people = [("Ann", "ann@x.org"), ("Ann B.", "ann@x.org"), ("Bo", ""), ("Cy", "cy@x.org"),
              ("Di", "di@x.org")]
    paths = [f"pkg/m{i}.py" for i in range(12)]
    commits, changes = [], []
    for n in range(300):
        sha = f"{n:040x}"
        name, email = rng.choice(people)
        when = start + rng.randint(0, 390) * day + rng.choice([0, 0, 3600, 7200])
        commits.append((sha, name, email, pd.Timestamp(when, unit="s", tz="UTC")))
        for path in rng.sample(paths, rng.randint(1, 4)):
            binary = rng.random() < 0.1
            changes.append((sha, path, None, None if binary else rng.randint(0, 9),
                            None if binary else rng.randint(0, 5)))
    # the edges the definitions draw: changes exactly one window before the latest date, two
    # authors tied on lines, commits and date (the e-mail's order decides), one author
    # writing under two names at the latest instant (the later row's name is the one used)
    latest = pd.Timestamp(start + 400 * day, unit="s", tz="UTC")
    for n, (who, ago, path, added) in enumerate([
            (people[3], 30, "pkg/edge.py", 1), (people[2], 90, "pkg/edge.py", 2),
            (people[4], 365, "pkg/edge.py", 4), (people[4], 365, "pkg/tie.py", 3),
            (people[3], 365, "pkg/tie.py", 3), (people[1], 0, "pkg/edge.py", 0),
            (people[0], 0, "pkg/other.py", 0)]):
        sha = f"{1000 + n:040x}"
        commits.append((sha, *who, latest - pd.Timedelta(days=ago)))
        changes.append((sha, path, None, added, 0))
    commit_frame = pd.DataFrame(commits, columns=["sha", "author_name", "author_email", "authored_at"])
    commit_frame["committed_at"] = commit_frame["authored_at"]
    change_frame = pd.DataFrame(changes, columns=["sha", "path", "old_path", "added", "deleted"])
    order = [c[0] for c in commits if int(c[0], 16) >= 1000 or rng.random() > 0.1]
    present = set(rng.sample(paths, 8))
    got = file_metrics(commit_frame, change_frame, order=order, present=present)

    key = {sha: (email or name) for sha, name, email, _ in commits}
    when = {sha: t for sha, _, _, t in commits}
    as_of = max(when.values())
    listed = set(order)
    names: dict[str, tuple] = {}
    for row, (sha, name, email, t) in enumerate(commits):
        if t <= as_of and (key[sha] not in names or (t, row) > names[key[sha]][0]):
            names[key[sha]] = ((t, row), name)
    active = {key[sha] for sha, *_ , t in commits if as_of - t <= pd.Timedelta(days=365)}
    per_path: dict[str, list] = {}
    for sha, path, _, added, deleted in changes:
        if sha in listed:
            per_path.setdefault(path, []).append((sha, added or 0, deleted or 0))
    most = max(len(rows) for rows in per_path.values())
    expected = []
    for path in sorted(per_path):
        rows = per_path[path]
        row = {"path": path}
        for days in (30, 90, 365):
            recent = [r for r in rows if as_of - when[r[0]] <= pd.Timedelta(days=days)]
            row[f"churn_{days}d"] = sum(a + d for _, a, d in recent)
            row[f"commits_{days}d"] = len(recent)
        row.update(churn_total=sum(a + d for _, a, d in rows), commits_total=len(rows),
                   added_total=sum(a for _, a, _ in rows), deleted_total=sum(d for _, _, d in rows),
                   authors=len({key[s] for s, _, _ in rows}))
        by_author: dict[str, list] = {}
        for sha, added, _ in rows:
            entry = by_author.setdefault(key[sha], [0, 0, None])
            entry[0] += added
            entry[1] += 1
            entry[2] = max(entry[2] or when[sha], when[sha])
        main = min(by_author, key=lambda a: (-by_author[a][0], -by_author[a][1],
                                             -by_author[a][2].value, a))
        total_added = sum(v[0] for v in by_author.values())
        share = (by_author[main][0] / total_added if total_added
                 else by_author[main][1] / len(rows))
        last = max(when[s] for s, _, _ in rows)
        row.update(main_author=main, main_author_name=names[main][1], ownership=share,
                   history_truncated=False, first_seen=min(when[s] for s, _, _ in rows),
                   last_changed=last, code_age_days=(as_of - last) / pd.Timedelta(days=1),
                   knowledge_loss=main not in active, hotspot=len(rows) / most,
                   present=path in present)
        expected.append(row)
    columns = list(expected[0])
    assert got[columns].to_dict("records") == expected
    edges = got.set_index("path")
    assert edges.loc["pkg/edge.py", ["commits_30d", "commits_90d", "commits_365d"]].tolist() == [2, 3, 4]
    assert edges.loc["pkg/tie.py", "main_author"] == "cy@x.org"
    assert names["ann@x.org"][1] == "Ann"


def test_one_commit_that_touched_two_former_paths_of_a_file_counts_once() -> None:
    """x and y change together; x is renamed to z, z deleted, y renamed to z: both former
    paths' changes are z's, and the commits that touched both count once for it, with the
    lines of both."""
    day = pd.Timedelta(days=1)
    start = pd.Timestamp("2026-01-01", tz="UTC")
    changes = [("c1", "x", None, 3, 0), ("c1", "y", None, 2, 0),
               ("c2", "x", None, 1, 1), ("c2", "y", None, 4, 0),
               ("c3", "z", "x", 0, 0), ("c4", "z", None, 0, 4), ("c5", "z", "y", 0, 0),
               ("c5", "w", None, 7, 0)]
    shas = ["c1", "c2", "c3", "c4", "c5"]
    commits = pd.DataFrame({"sha": shas, "author_name": "Ann", "author_email": "ann@x.org",
                            "authored_at": [start + i * day for i in range(5)]})
    frame = pd.DataFrame(changes, columns=["sha", "path", "old_path", "added", "deleted"])
    got = by_path(file_metrics(commits, frame, order=shas))
    assert set(got) == {"w", "z"}
    z = got["z"]
    assert (z["commits_total"], z["added_total"], z["deleted_total"]) == (5, 10, 5)
    assert (z["churn_total"], z["commits_30d"]) == (15, 5)
    coupled = change_coupling(commits, frame, order=shas, min_shared=1, min_revisions=1,
                              min_degree=0)
    # z's revisions are its commits, each once
    assert [tuple(r[:5]) for r in coupled.itertuples(index=False)] == [("w", "z", 1, 1, 5)]
