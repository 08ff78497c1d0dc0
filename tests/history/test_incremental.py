"""A re-map's history analysis, updated from the earlier map's, equals the whole analysis.

Each case maps a history, adds commits, maps again (the analysis updated from the first
map's) and maps the same commit whole (``force``): the per-file metrics of every path, deleted
ones included, and the whole change coupling must be the same, value for value.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from tests.helpers import invoke_cli
from tests.history.gitrepo import GitRepo
from workbench import Workbench

ANN = ("Ann", "ann@example.com")
ANN_OLD = ("ann", "ann@old.example")
BOB = ("Bob", "bob@example.com")
CAROL = ("Carol", "carol@example.com")
PEOPLE = (ANN, ANN_OLD, BOB, CAROL)


def day(n: int, hour: int = 10) -> str:
    """An author date ``n`` days after 2022-01-01."""
    return (pd.Timestamp("2022-01-01T00:00:00+00:00") + pd.Timedelta(days=n, hours=hour)
            ).isoformat()


def lines(tag: str, n: int) -> str:
    return "".join(f"{tag} {i}\n" for i in range(n))


def build_history(repo: GitRepo, seed: int = 7) -> int:
    """Two years of history with renames (a chain, a rename beside an edit on a branch, a path
    reused), a mailmap, a binary file, a deletion, a commit of 40 files and files changed
    together often enough to couple. Returns the last day used."""
    rng = random.Random(seed)
    repo.write(".mailmap", "Ann <ann@example.com> ann <ann@old.example>\n")
    core = [f"pkg/core{i}.py" for i in range(6)]
    for path in core:
        repo.write(path, lines(path, 5))
    repo.write("pkg/old_name.py", lines("old", 8))
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    repo.write("doomed.txt", lines("doomed", 3))
    repo.commit("start", ANN, day(0))
    n = 1
    for round_ in range(14):  # pairs of core files changed together, by turns
        a, b = rng.sample(core, 2) if round_ % 2 else core[:2]  # core0 and core1 couple
        repo.write(a, lines(f"{a}{round_}", 5 + round_))
        repo.write(b, lines(f"{b}{round_}", 4 + round_))
        repo.commit(f"pair {round_}", rng.choice(PEOPLE), day(n))
        n += rng.randint(5, 40)
    repo.git("mv", "pkg/old_name.py", "pkg/mid_name.py")
    repo.commit("rename once", BOB, day(n))
    n += 3
    repo.git("checkout", "-q", "-b", "side")
    repo.write("pkg/mid_name.py", lines("side", 9))
    repo.commit("edit beside a rename", CAROL, day(n))
    repo.git("checkout", "-q", "main")
    repo.git("mv", "pkg/mid_name.py", "pkg/new_name.py")
    repo.commit("rename again", ANN, day(n + 1))
    repo.git("merge", "-q", "--no-edit", "-X", "theirs", "side",
             env={"GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": ANN[1],
                  "GIT_AUTHOR_DATE": day(n + 2), "GIT_COMMITTER_DATE": day(n + 2),
                  "GIT_COMMITTER_NAME": "Ann", "GIT_COMMITTER_EMAIL": ANN[1]})
    n += 5
    repo.write("pkg/old_name.py", lines("reused", 2))  # the first path again, a new file
    repo.git("rm", "-q", "doomed.txt")
    repo.commit("reuse a path, delete a file", BOB, day(n))
    n += 10
    for i in range(40):  # too many files for coupling to count
        repo.write(f"gen/g{i}.py", lines(f"g{i}", 2))
    repo.write(core[0], lines("mass", 30))
    repo.commit("generate", CAROL, day(n))
    for round_ in range(10):
        a = rng.choice(core)
        repo.write(a, lines(f"late{a}{round_}", 7 + round_))
        repo.write("pkg/new_name.py", lines(f"late{round_}", 3 + round_))
        repo.commit(f"late {round_}", rng.choice(PEOPLE), day(n))
        n += rng.randint(1, 60)
    return n


def compare(wb: Workbench, updated, whole) -> None:
    stats = updated.stats
    assert stats.get("history_updated_from") is not None, stats.get("history_whole_because")
    assert "history_updated_from" not in whole.stats
    got = updated.metrics(deleted=True).sort_values("path", ignore_index=True)
    want = whole.metrics(deleted=True).sort_values("path", ignore_index=True)
    pd.testing.assert_frame_equal(got, want)
    got_pairs = wb.store.history.record(updated.id).coupling
    want_pairs = wb.store.history.record(whole.id).coupling
    pd.testing.assert_frame_equal(got_pairs, want_pairs)
    assert len(want_pairs), "the history couples no files: the case checks nothing"


def map_a_side_branch(wb: Workbench, repo: GitRepo, branch: str, path: str, who, when) -> str:
    """One commit on a new branch, mapped (its commit is mined into the project's history);
    main checked out again. Returns the commit."""
    repo.git("checkout", "-q", "-b", branch)
    repo.write(path, lines(branch, 4))
    sha = repo.commit(f"on {branch}", who, when)
    repo.git("checkout", "-q", "main")
    wb.map("p", ref=sha)
    return sha


@pytest.fixture(autouse=True)
def short_histories_update(monkeypatch):
    """These histories are short: let them be updated, as a long one is."""
    import workbench.history.incremental as incremental

    monkeypatch.setattr(incremental, "MIN_BASE_COMMITS", 0)


@pytest.fixture
def history(tmp_path) -> tuple[GitRepo, int]:
    repo = GitRepo(tmp_path / "repo")
    return repo, build_history(repo)


def test_one_more_commit_to_a_coupled_file(wb, history) -> None:
    repo, n = history
    wb.map(str(repo.path), name="p")
    repo.write("pkg/core1.py", lines("next", 12))
    repo.write("pkg/core2.py", lines("next", 3))
    repo.commit("one more", BOB, day(n + 1))
    updated = wb.map("p")
    assert "its history's analysis updated from snapshot #1's" in updated.summary().to_text()
    whole = wb.map("p", force=True)
    pairs = wb.store.history.record(whole.id).coupling
    assert "pkg/core1.py" in set(pairs["path_a"]) | set(pairs["path_b"])
    compare(wb, updated, whole)


def test_a_merged_branch_a_new_file_a_deletion_and_a_backdated_commit(wb, history) -> None:
    repo, n = history
    wb.map(str(repo.path), name="p")
    repo.git("checkout", "-q", "-b", "topic")
    for i in range(6):
        repo.write("pkg/core3.py", lines(f"topic{i}", 4 + i))
        repo.write("pkg/fresh.py", lines(f"fresh{i}", 2 + i))
        repo.commit(f"topic {i}", ANN_OLD, day(n + 2 + i))
    repo.git("checkout", "-q", "main")
    repo.git("rm", "-q", "pkg/core4.py")
    repo.commit("drop core4", CAROL, day(n + 1))
    # authored long before everything else (a rebase keeps author dates)
    repo.write("pkg/core5.py", lines("backdated", 6))
    repo.commit("old work", ("Dan", "dan@example.com"), day(3))
    repo.git("merge", "-q", "--no-edit", "topic",
             env={"GIT_AUTHOR_NAME": "Bob", "GIT_AUTHOR_EMAIL": BOB[1],
                  "GIT_AUTHOR_DATE": day(n + 20), "GIT_COMMITTER_DATE": day(n + 20),
                  "GIT_COMMITTER_NAME": "Bob", "GIT_COMMITTER_EMAIL": BOB[1]})
    compare(wb, wb.map("p"), wb.map("p", force=True))


def test_a_commit_a_year_later_moves_every_window(wb, history) -> None:
    repo, n = history
    wb.map(str(repo.path), name="p")
    repo.write("pkg/new_name.py", lines("much later", 5))  # a file renames moved changes to
    repo.commit("a year on", CAROL, day(n + 400))
    compare(wb, wb.map("p"), wb.map("p", force=True))


def test_updates_follow_one_another(wb, history) -> None:
    repo, n = history
    wb.map(str(repo.path), name="p")
    for i in range(3):
        repo.write(f"pkg/core{i}.py", lines(f"step{i}", 9))
        repo.write("pkg/core5.py", lines(f"step{i}", 3))
        repo.commit(f"step {i}", BOB, day(n + 1 + i))
        updated = wb.map("p")
    assert wb.store.history.record(updated.stats["history_updated_from"]) is not None
    compare(wb, updated, wb.map("p", force=True))


def test_a_record_kept_without_identities_is_updated_from_the_store(wb, history) -> None:
    """A record kept before schema 28 has no identities: the update reads each identity's
    latest commits from the store instead, and the result is the same; its own record has
    them."""
    repo, n = history
    first = wb.map(str(repo.path), name="p")
    assert wb.store.history.record(first.id).identities is not None
    wb.store.db.write(lambda cur: cur.execute(
        "UPDATE history_records SET identities = NULL WHERE snapshot_id = ?", [first.id]))
    repo.write("pkg/core3.py", lines("again", 4))
    repo.commit("again", ("Ann Again", ANN[1]), day(n + 1))
    updated = wb.map("p")
    compare(wb, updated, wb.map("p", force=True))
    kept = wb.store.history.record(updated.id).identities
    assert "Ann Again" in kept.column("author_name").to_pylist()


def test_a_derived_maps_write_runs_beside_the_update_and_its_failure_stores_nothing(
        wb, history, monkeypatch) -> None:
    """A derived map's transaction starts while its history's update still runs and waits
    for it inside: the update's last step here waits until the write has begun, then fails.
    Nothing of the map is stored, and the next map derives and updates as before."""
    import threading

    import workbench.history.incremental as incremental
    from workbench.errors import WorkbenchError
    from workbench.store.snapshots import SnapshotsTable

    repo, n = history
    first = wb.map(str(repo.path), name="p")
    repo.write("pkg/core2.py", lines("beside", 6))
    repo.commit("beside", BOB, day(n + 1))
    writing, seen = threading.Event(), []
    write_derived, updated_coupling = SnapshotsTable.write_derived, incremental.updated_coupling

    def write(self, **kwargs):
        writing.set()
        return write_derived(self, **kwargs)

    def broken(*args, **kwargs):
        seen.append(writing.wait(timeout=60))
        raise RuntimeError("the analysis broke")

    monkeypatch.setattr(SnapshotsTable, "write_derived", write)
    monkeypatch.setattr(incremental, "updated_coupling", broken)
    with pytest.raises(WorkbenchError, match="the analysis broke"):
        wb.map("p")
    assert seen == [True]
    assert [s.id for s in wb.store.snapshots.list()] == [first.id]
    for table in ("files", "nodes", "edges", "file_metrics", "history_records", "module_links"):
        assert wb.store.db.query(f"SELECT count(*) FROM {table} WHERE snapshot_id <> ?",
                                 [first.id])[0][0] == 0, table
    monkeypatch.setattr(incremental, "updated_coupling", updated_coupling)
    updated = wb.map("p")
    assert updated.stats.get("derived_from") == first.id
    compare(wb, updated, wb.map("p", force=True))


@pytest.mark.parametrize("later", ["parent", "child"])
def test_an_authors_name_at_one_instant_is_the_later_committed_ones(wb, history, later) -> None:
    """Two commits of one author at the same author date under two names (a rebase keeps
    author dates): the name is the one on the commit with the later commit date, whichever
    was made or mined first, in the whole analysis and in an update alike."""
    repo, n = history
    wb.map(str(repo.path), name="p")
    names = {"parent": "Robert", "child": "Bobby"}
    early, late = day(n + 1, hour=11), day(n + 1, hour=12)
    for step, who in (("parent", "Robert"), ("child", "Bobby")):
        repo.write("pkg/bobs.py", lines(step, 20 if step == "parent" else 30))
        repo.commit(f"{step} by {who}", (who, BOB[1]), day(n + 1),
                    commit_date=late if step == later else early)
    updated = wb.map("p")
    whole = wb.map("p", force=True)
    compare(wb, updated, whole)
    for snap in (updated, whole):
        row = snap.metrics().set_index("path").loc["pkg/bobs.py"]
        assert row["main_author"] == BOB[1]
        assert row["main_author_name"] == names[later]
        assert row["current_owner_name"] == names[later]


@pytest.mark.parametrize("case", ["rename", "left path", "mailmap", "older commit"])
def test_what_an_update_cannot_take_is_analysed_whole(wb, history, case) -> None:
    repo, n = history
    first = wb.map(str(repo.path), name="p")
    if case == "rename":
        repo.git("mv", "pkg/core2.py", "pkg/core2b.py")
    elif case == "left path":  # a path a rename left, made again
        repo.write("pkg/mid_name.py", lines("again", 2))
    elif case == "mailmap":
        repo.write(".mailmap", "Bob <bob@example.com> Carol <carol@example.com>\n")
    ref = repo.git("rev-parse", "HEAD~3") if case == "older commit" else None
    if ref is None:
        repo.commit(case, ANN, day(n + 1))
    wb.close()  # the command line's map, in this process, on the same data
    mapped = invoke_cli("map", "p", *(["--ref", ref] if ref else []), data_dir=wb.data_dir)
    assert mapped.returncode == 0, mapped.stderr
    snap = wb.snapshot("p", ref)
    assert snap.id != first.id and "history_updated_from" not in snap.stats
    why = snap.stats["history_whole_because"]
    assert f"its history analysed whole: {why}" in mapped.stdout
    whole = wb.map("p", ref=snap.commit, force=True)
    got = snap.metrics(deleted=True).sort_values("path", ignore_index=True)
    pd.testing.assert_frame_equal(got, whole.metrics(deleted=True).sort_values(
        "path", ignore_index=True))


def test_a_whole_map_keeps_its_record_and_forgetting_history_drops_it(wb, history) -> None:
    repo, _ = history
    snap = wb.map(str(repo.path), name="p")
    record = wb.store.history.record(snap.id)
    assert record is not None and record.moves.num_rows > 0  # the renamed files' changes
    moved = set(record.moves.column("latest").to_pylist())
    assert moved == {"pkg/new_name.py"}
    wb.store.history.forget(wb.project("p").info.id)
    assert wb.store.history.record(snap.id) is None


def test_another_branchs_commits_in_the_store_or_too_many_new_ones_mean_a_whole_analysis(
        wb, history, monkeypatch) -> None:
    import workbench.history.incremental as incremental

    repo, n = history
    wb.map(str(repo.path), name="p")
    branch = map_a_side_branch(wb, repo, "elsewhere", "pkg/core1.py", BOB, day(n + 1))
    repo.write("pkg/core2.py", lines("main again", 4))
    repo.commit("on main", ANN, day(n + 2))
    snap = wb.map("p")
    assert snap.stats["history_whole_because"] == (
        "commits outside this history were mined since the earlier analysis (another"
        " branch's, or commits an amend, rebase or force-push rewrote)")
    # that whole analysis keeps the branch's commit as outside its history: the next map
    # is updated from it, leaving the commit out as a whole analysis does
    assert wb.store.history.record(snap.id).outside.to_pylist() == [branch]
    repo.write("pkg/core1.py", lines("main once more", 6))
    repo.commit("on main again", BOB, day(n + 3))
    updated = wb.map("p")
    assert updated.stats.get("history_updated_from") == snap.id
    compare(wb, updated, wb.map("p", force=True))

    monkeypatch.setattr(incremental, "MAX_NEW_COMMITS", 1)
    for i in range(2):
        repo.write("pkg/core3.py", lines(f"more {i}", 4))
        repo.commit(f"more {i}", ANN, day(n + 4 + i))
    snap = wb.map("p")
    assert snap.stats["history_whole_because"] == "more than 1 new commits"

    monkeypatch.setattr(incremental, "ANALYSIS_VERSION", incremental.ANALYSIS_VERSION + 1)
    repo.write("pkg/core3.py", lines("another version", 4))
    repo.commit("another version", ANN, day(n + 7))
    snap = wb.map("p")
    assert snap.stats["history_whole_because"] == "the earlier analysis was made by another version"


def test_a_short_history_is_analysed_whole(wb, history, monkeypatch) -> None:
    import workbench.history.incremental as incremental

    monkeypatch.setattr(incremental, "MIN_BASE_COMMITS", 10_000)
    repo, n = history
    wb.map(str(repo.path), name="p")
    repo.write("pkg/core1.py", lines("next", 12))
    repo.commit("one more", BOB, day(n + 1))
    snap = wb.map("p")  # a whole analysis, as quick there: the summary does not dwell on it
    assert "history_updated_from" not in snap.stats and "history_whole_because" not in snap.stats
    assert "its history" not in snap.summary().to_text()


def test_a_branch_merged_after_it_was_mapped_is_taken_in(wb, history) -> None:
    repo, n = history
    wb.map(str(repo.path), name="p")
    map_a_side_branch(wb, repo, "side2", "pkg/core4.py", CAROL, day(n + 1))
    repo.write("pkg/core5.py", lines("main", 5))
    repo.commit("main work", ANN, day(n + 2))
    whole = wb.map("p")  # the side commit is outside this history: a whole analysis
    assert whole.stats.get("history_whole_because")
    repo.git("merge", "-q", "--no-edit", "side2",
             env={"GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": ANN[1],
                  "GIT_AUTHOR_DATE": day(n + 3), "GIT_COMMITTER_DATE": day(n + 3),
                  "GIT_COMMITTER_NAME": "Ann", "GIT_COMMITTER_EMAIL": ANN[1]})
    merged = wb.map("p")  # the outside commit is now the history's own
    assert merged.stats.get("history_updated_from") == whole.id
    assert wb.store.history.record(merged.id).outside.to_pylist() == []
    compare(wb, merged, wb.map("p", force=True))


def test_an_earlier_map_whose_commit_the_clone_lost_is_analysed_whole(wb, tmp_path) -> None:
    import subprocess

    repo = GitRepo(tmp_path / "lost")
    repo.write("a.py", lines("a", 3))
    repo.commit("one", ANN, day(0))
    wb.map(str(repo.path), name="p")
    repo.git("checkout", "-q", "-b", "topic")
    repo.write("b.py", lines("b", 3))
    repo.commit("topic", BOB, day(1))
    topic = wb.map("p", ref="topic")  # the newest analysis is the branch's
    # the branch is deleted, its ref pruned from the clone and its commit collected
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "topic")
    clone = str(wb.clones.path_for("p"))
    for args in (["update-ref", "-d", "refs/heads/topic"],
                 ["reflog", "expire", "--expire=now", "--all"], ["gc", "-q", "--prune=now"]):
        subprocess.run(["git", "-C", clone, *args], check=True, capture_output=True)
    assert subprocess.run(["git", "-C", clone, "cat-file", "-e", f"{topic.commit}^{{commit}}"],
                          capture_output=True).returncode != 0
    repo.write("a.py", lines("a2", 4))
    repo.commit("two", ANN, day(2))
    snap = wb.map("p")  # the lost commit's analysis is no base; the map does not fail
    assert snap.stats.get("history_updated_from") != topic.id
    whole = wb.map("p", force=True)
    got = snap.metrics(deleted=True).sort_values("path", ignore_index=True)
    pd.testing.assert_frame_equal(got, whole.metrics(deleted=True).sort_values(
        "path", ignore_index=True))
