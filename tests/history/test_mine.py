"""The miner against a real repository whose history is known exactly (see conftest)."""

from __future__ import annotations

import pickle
import subprocess
from datetime import datetime, timezone

import pandas as pd
import pytest

from tests.history.conftest import ALICE, BOB, CAROL, Scenario
from tests.history.gitrepo import GitRepo
from workbench.history import HistoryError, MiningCancelled, mine, mine_all
from workbench.history.mine import COMMITS_SCHEMA, FILE_CHANGES_SCHEMA


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def named(scenario: Scenario, commits: pd.DataFrame, changes: pd.DataFrame) -> tuple[list, list]:
    """Rows as plain tuples, with shas replaced by the scenario's commit names."""
    names = {sha: name for name, sha in scenario.shas.items()}
    commit_rows = [
        (names[r.sha], r.author_name, r.author_email, r.authored_at, r.committer_name, r.committer_email,
         r.committed_at, r.subject, [names[p] for p in r.parents], r.is_merge)
        for r in commits.itertuples()
    ]
    change_rows = [
        (names[r.sha], r.path, None if pd.isna(r.old_path) else r.old_path, r.added, r.deleted, r.binary)
        for r in changes.itertuples()
    ]
    return commit_rows, change_rows


EXPECTED_COMMITS = [
    ("c1", *ALICE, utc("2024-01-01T10:00"), *ALICE, utc("2024-01-01T10:00"), "Initial import", [], False),
    # written as alice <alice@old.example>: the .mailmap folds it into Alice
    ("c2", *ALICE, utc("2024-01-05T08:00"), *ALICE, utc("2024-01-05T08:00"), "Extend app", ["c1"], False),
    ("c3", *BOB, utc("2024-02-01T10:00"), *BOB, utc("2024-02-01T10:00"), "Add logo and ünïcode", ["c2"], False),
    ("c4", *BOB, utc("2024-03-01T10:00"), *BOB, utc("2024-03-01T10:00"), "Rename app to main", ["c3"], False),
    ("c6", *ALICE, utc("2024-03-12T10:00"), *ALICE, utc("2024-03-12T10:00"), "Mainline change", ["c4"], False),
    ("c5", *CAROL, utc("2024-03-10T10:00"), *BOB, utc("2024-03-20T10:00"), "Feature line", ["c4"], False),
    ("c7", *ALICE, utc("2024-03-21T10:00"), *ALICE, utc("2024-03-21T10:00"), "Merge feature", ["c6", "c5"], True),
    ("c8", *CAROL, utc("2024-04-01T10:00"), *CAROL, utc("2024-04-01T10:00"), "Nothing changed", ["c7"], False),
    ("c9", *BOB, utc("2024-06-01T10:00"), *BOB, utc("2024-06-01T10:00"), "Polish", ["c8"], False),
]

EXPECTED_CHANGES = [
    ("c1", ".mailmap", None, 1, 0, False),
    ("c1", "src/app.py", None, 3, 0, False),
    ("c2", "docs/read me.md", None, 2, 0, False),
    ("c2", "src/app.py", None, 2, 0, False),
    ("c3", "assets/logo.png", None, 0, 0, True),
    ("c3", "src/ünïcode.py", None, 4, 0, False),
    ("c4", "src/main.py", "src/app.py", 1, 1, False),
    ("c6", "src/main.py", None, 1, 1, False),
    ("c5", "src/main.py", None, 1, 1, False),
    # c7, the merge, has no file changes (merge policy), c8 is empty
    ("c9", "docs/read me.md", None, 1, 1, False),
    ("c9", "src/ünïcode.py", None, 1, 0, False),
]


def test_mines_exact_commits_and_changes(scenario: Scenario) -> None:
    commits, changes = mine_all(scenario.path)
    commit_rows, change_rows = named(scenario, commits, changes)
    assert commit_rows == EXPECTED_COMMITS
    assert change_rows == EXPECTED_CHANGES


def test_tables_follow_the_schemas(scenario: Scenario) -> None:
    (batch,) = list(mine(scenario.path))
    assert batch.commits.schema == COMMITS_SCHEMA
    assert batch.file_changes.schema == FILE_CHANGES_SCHEMA
    assert str(batch.commits.to_pandas()["authored_at"].dtype) == "datetime64[s, UTC]"
    assert batch.checkpoint == (scenario.shas["c9"],)
    assert batch.done == 9


def test_bare_repository_uses_its_mailmap_too(scenario: Scenario, tmp_path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(scenario.path), str(bare)], check=True)
    commits, changes = mine_all(bare)
    assert named(scenario, commits, changes) == (EXPECTED_COMMITS, EXPECTED_CHANGES)


def test_rev_limits_the_history(scenario: Scenario) -> None:
    commits, _ = mine_all(scenario.path, rev="feature")
    assert commits["sha"].tolist() == [scenario.shas[c] for c in ("c1", "c2", "c3", "c4", "c5")]


def test_since_yields_only_new_commits(scenario: Scenario) -> None:
    commits, changes = mine_all(scenario.path, since=scenario.shas["c6"])
    assert commits["sha"].tolist() == [scenario.shas[c] for c in ("c5", "c7", "c8", "c9")]
    assert set(changes["sha"]) == {scenario.shas["c5"], scenario.shas["c9"]}
    assert list(mine(scenario.path, since=scenario.shas["c9"])) == []


def test_incremental_mining_after_new_commits(tmp_path) -> None:
    repo = GitRepo(tmp_path / "grow")
    repo.write("a.txt", "1\n")
    repo.commit("one", ALICE, "2024-01-01T00:00:00+00:00")
    repo.write("a.txt", "1\n2\n")
    repo.commit("two", ALICE, "2024-01-02T00:00:00+00:00")
    first = list(mine(repo.path))
    last_mined = first[-1].checkpoint
    assert last_mined == (repo.head(),)

    repo.write("b.txt", "x\ny\n")
    third = repo.commit("three", BOB, "2024-01-03T00:00:00+00:00")
    repo.write("a.txt", "2\n")
    fourth = repo.commit("four", BOB, "2024-01-04T00:00:00+00:00")
    commits, changes = mine_all(repo.path, since=last_mined[0])
    assert commits["sha"].tolist() == [third, fourth]
    assert changes[["path", "added", "deleted"]].values.tolist() == [["b.txt", 2, 0], ["a.txt", 0, 1]]


def test_checkpoints_resume_without_gaps_or_repeats(scenario: Scenario) -> None:
    everything = [scenario.shas[c] for c in ("c1", "c2", "c3", "c4", "c6", "c5", "c7", "c8", "c9")]
    for batch_size in (1, 2, 4):
        batches = list(mine(scenario.path, batch_size=batch_size))
        assert [sha for b in batches for sha in b.commits["sha"].to_pylist()] == everything
        for index, batch in enumerate(batches):
            rest = [sha for b in batches[index + 1:] for sha in b.commits["sha"].to_pylist()]
            resumed = [sha for b in mine(scenario.path, since=batch.checkpoint) for sha in b.commits["sha"].to_pylist()]
            assert resumed == rest, (batch_size, index)


def test_checkpoint_keeps_open_branches(scenario: Scenario) -> None:
    # topological order yields c6 then c5: after c5 both branch tips are open
    batches = list(mine(scenario.path, batch_size=1))
    by_last = {b.commits["sha"][0].as_py(): b.checkpoint for b in batches}
    assert by_last[scenario.shas["c5"]] == tuple(sorted([scenario.shas["c5"], scenario.shas["c6"]]))
    assert by_last[scenario.shas["c7"]] == (scenario.shas["c7"],)


def test_progress_is_reported(scenario: Scenario) -> None:
    calls: list[tuple[int, str]] = []
    list(mine(scenario.path, batch_size=4, progress=lambda done, message: calls.append((done, message))))
    assert [done for done, _ in calls] == [0, 4, 8, 9]
    assert calls[-1][1] == "mined 9 commits, done"


def test_cancel_stops_mining(scenario: Scenario) -> None:
    seen = []
    with pytest.raises(MiningCancelled, match="after 2 commits"):
        for batch in mine(scenario.path, batch_size=1, cancel=lambda: len(seen) >= 2):
            seen.append(batch)
    assert len(seen) == 2


@pytest.mark.parametrize("since", ["abc", "HEAD", "A" * 40, "-" + "a" * 39, ["0" * 40, "x"]])
def test_since_must_be_full_shas(scenario: Scenario, since) -> None:
    with pytest.raises(HistoryError, match="40-character"):
        list(mine(scenario.path, since=since))


@pytest.mark.parametrize("rev", ["-n1", "--all", "main..feature", "HEAD~1", "main@{1}", "a b", "", "main/"])
def test_rev_must_be_a_plain_ref(scenario: Scenario, rev: str) -> None:
    with pytest.raises(HistoryError, match="plain ref name"):
        list(mine(scenario.path, rev=rev))


def test_unknown_revisions_are_reported(scenario: Scenario) -> None:
    with pytest.raises(HistoryError, match="no commit 'nope'"):
        list(mine(scenario.path, rev="nope"))
    with pytest.raises(HistoryError, match="no commit '0{40}'"):
        list(mine(scenario.path, since="0" * 40))


def test_bad_paths_are_reported(tmp_path) -> None:
    with pytest.raises(HistoryError, match="does not exist") as missing:
        list(mine(tmp_path / "missing"))
    assert missing.value.path == str(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(HistoryError, match="not a git repository"):
        list(mine(tmp_path / "plain"))


def test_repository_without_commits_is_reported(tmp_path) -> None:
    repo = GitRepo(tmp_path / "empty")
    with pytest.raises(HistoryError, match="no commit 'HEAD'"):
        list(mine(repo.path))


def test_errors_pickle_with_their_fields() -> None:
    error = pickle.loads(pickle.dumps(HistoryError("boom", "/some/repo")))
    assert (type(error), error.message, error.path, str(error)) == (HistoryError, "boom", "/some/repo", "boom (/some/repo)")
    cancelled = pickle.loads(pickle.dumps(MiningCancelled("stop")))
    assert (type(cancelled), cancelled.message, cancelled.path) == (MiningCancelled, "stop", None)


def test_odd_paths_and_subjects_survive(tmp_path) -> None:
    repo = GitRepo(tmp_path / "odd")
    odd = ["tab\there.txt", "new\nline.txt", "rec\x1esep.txt", "-dash.txt", "\x1e5\t5\tfake.txt"]
    for name in odd:
        repo.write(name, "x\n")
    sha = repo.commit("subject with \x1e and\ttab", ALICE, "2024-01-01T00:00:00+00:00")
    repo.git("mv", "rec\x1esep.txt", "rec\x1esep2.txt")
    renamed = repo.commit("\x1erename", ALICE, "2024-01-02T00:00:00+00:00")
    commits, changes = mine_all(repo.path)
    assert commits["subject"].tolist() == ["subject with \x1e and\ttab", "\x1erename"]
    assert sorted(changes.loc[changes["sha"] == sha, "path"]) == sorted(odd)
    last = changes.loc[changes["sha"] == renamed]
    assert last[["path", "old_path", "added", "deleted"]].values.tolist() == [["rec\x1esep2.txt", "rec\x1esep.txt", 0, 0]]


def test_git_failure_mid_stream_is_reported(tmp_path) -> None:
    repo = GitRepo(tmp_path / "broken")
    repo.write("a.txt", "1\n")
    repo.commit("one", ALICE, "2024-01-01T00:00:00+00:00")
    repo.write("a.txt", "1\n2\n")
    repo.commit("two", ALICE, "2024-01-02T00:00:00+00:00")
    blob = repo.git("rev-parse", "HEAD:a.txt")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    with pytest.raises(HistoryError, match="git log failed"):
        list(mine(repo.path))


def test_inherited_git_variables_do_not_redirect_git(scenario: Scenario, tmp_path, monkeypatch) -> None:
    other = GitRepo(tmp_path / "other")
    other.write("x.txt", "x\n")
    other.commit("other", BOB, "2024-01-01T00:00:00+00:00")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "1")
    commits, _ = mine_all(scenario.path)
    assert len(commits) == len(EXPECTED_COMMITS)
