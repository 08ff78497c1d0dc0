"""History that tells the truth about the snapshot: its files, owners of the lines there now,
its own .mailmap, renames in the commit graph's order, and its own commits only."""

from __future__ import annotations

import subprocess
from collections import Counter

import pandas as pd
import pytest

from tests.history.gitrepo import GitRepo
from workbench import Workbench
from workbench.history.mailmap import Mailmap

ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "bob@example.com")


def git_out(repo: GitRepo, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo.path), *args], capture_output=True, check=True,
                          text=True).stdout


def blame_owners(repo: GitRepo, path: str) -> Counter:
    """Lines per author e-mail of ``path`` at HEAD, as git blame says."""
    out = git_out(repo, "blame", "--line-porcelain", "HEAD", "--", path)
    return Counter(line.split(" ", 1)[1].strip("<>") for line in out.splitlines()
                   if line.startswith("author-mail "))


def test_views_show_the_snapshots_files_and_owners_of_current_lines(tmp_path, wb) -> None:
    repo = GitRepo(tmp_path / "own")
    repo.write("gone.py", "".join(f"g{i}\n" for i in range(50)))
    repo.write("keep.py", "".join(f"ann{i}\n" for i in range(10)))
    repo.commit("start", ANN, "2024-01-01T10:00:00+00:00")
    for i in range(3):  # the busiest file of the history, deleted later
        repo.write("gone.py", "".join(f"g{i}{j}\n" for j in range(50)))
        repo.commit(f"churn {i}", ANN, f"2024-01-0{i + 2}T10:00:00+00:00")
    repo.git("rm", "-q", "gone.py")
    repo.write("keep.py", "ann0\nann1\n" + "".join(f"bob{i}\n" for i in range(6)))
    repo.commit("rewrite", BOB, "2024-02-01T10:00:00+00:00")
    snap = wb.map(str(repo.path))

    assert snap.file_metrics["path"].tolist() == ["keep.py"]
    assert snap.hotspots()["path"].tolist() == ["keep.py"]
    everything = snap.metrics(deleted=True).set_index("path")
    assert everything["present"].to_dict() == {"keep.py": True, "gone.py": False}

    keep = everything.loc["keep.py"]
    assert (keep["main_author"], keep["ownership"]) == (ANN[1], pytest.approx(10 / 16))
    owners = blame_owners(repo, "keep.py")
    assert owners == {BOB[1]: 6, ANN[1]: 2}
    assert keep["current_owner"] == BOB[1] and keep["current_owner_name"] == "Bob"
    assert keep["current_ownership"] == pytest.approx(6 / 8) and keep["current_lines"] == 8



def test_blame_beyond_its_budget_is_finished_by_the_blame_verb(tmp_path, data_dir) -> None:
    """A first map whose blame budget is spent leaves the rest unblamed and says how many; a
    re-map blames only the file it changed (it stays proportional to the change), and
    ``blame`` (the verb) finishes the rest in place, on the same snapshot."""
    from tests.helpers import invoke_cli
    from workbench.config import Config

    repo = GitRepo(tmp_path / "budget")
    for name in ("a.py", "b.py", "c.py"):
        repo.write(name, "".join(f"{name}{i}\n" for i in range(5)))
    repo.commit("start", ANN, "2024-01-01T10:00:00+00:00")
    spent = Workbench(config=Config.from_env(data_dir=data_dir, blame_budget=1e-9))
    try:
        snap = spent.map(str(repo.path))
        assert snap.stats["blame_pending"] == 3
        assert snap.file_metrics["current_owner"].isna().all()
    finally:
        spent.close()
    repo.write("a.py", "changed by bob\n")
    repo.commit("edit a", ("Bob", "bob@example.com"), "2024-01-02T10:00:00+00:00")
    budgeted = Workbench(config=Config.from_env(data_dir=data_dir))  # 60 s to spend
    try:
        again = budgeted.map("budget")
        owners = again.file_metrics.set_index("path")["current_owner"]
        assert owners["a.py"] == "bob@example.com"
        assert owners[["b.py", "c.py"]].isna().all()
        assert again.stats["blame_pending"] == 2

        from workbench.widgets import HistoryPanel

        panel = HistoryPanel(budgeted, project="budget")
        assert "2 files are not blamed yet" in panel.output.value
        assert panel.blame_button.layout.display == ""
        panel.blame_rest().result(timeout=120)  # the session drains: the panel is refreshed
        panel.show("ownership")
        assert "not blamed yet" not in panel.output.value
        assert panel.blame_button.layout.display == "none"
        assert set(panel.result["current_owner"]) == {"bob@example.com", ANN[1]}
        done = budgeted.snapshot("budget")
        assert done.id == again.id and "blame_pending" not in done.stats
        assert done.file_metrics.set_index("path")["current_owner"].to_dict() == {
            "a.py": "bob@example.com", "b.py": ANN[1], "c.py": ANN[1]}
    finally:
        budgeted.close()
    out = invoke_cli("blame", "budget", "-q", data_dir=data_dir)  # nothing left: a no-op
    assert out.returncode == 0, out.stderr
    assert f"snapshot #{again.id}: blamed 0 more of 3 files; every file is blamed" in out.stdout
    out = invoke_cli("blame", "nosuch", data_dir=data_dir)
    assert out.returncode == 1 and "nosuch" in out.stderr and "Traceback" not in out.stderr


MAILMAP_CASES = [
    "Proper Ann <ann@example.com>\n",
    "<ann@new.example> <ANN@example.com>\n",
    "Proper Ann <ann@new.example> <ann@example.com>\n",
    "# comment\nAnn Two <ann2@example.com> ann <ann@example.com>\n"
    "Ann One <ann1@example.com> <ann@example.com>\n",
    "Bee <bee@example.com> BOB <bob@example.com>\nBee Simple <bob@example.com>\n",
    "  Spaced Name   <ann@example.com>   trailing words\n<>\nbroken <line\n",
]


@pytest.mark.parametrize("text", MAILMAP_CASES)
def test_mailmap_maps_as_git_does(tmp_path, text) -> None:
    repo = GitRepo(tmp_path / "mm")
    people = [ANN, ("ann", "ann@example.com"), ("ANN", "Ann@Example.com"), BOB,
              ("bob", "bob@example.com"), ("Cy", "cy@example.com")]
    for i, who in enumerate(people):
        repo.commit(f"c{i}", who, f"2024-01-0{i + 1}T10:00:00+00:00")
    repo.write(".mailmap", text)
    repo.commit("mailmap", ("Cy", "cy@example.com"), "2024-01-09T10:00:00+00:00")
    raw = git_out(repo, "log", "--reverse", "--format=%an%x00%ae%x00%aN%x00%aE").splitlines()
    mailmap = Mailmap(text)
    for line in raw:
        name, email, git_name, git_email = line.split("\0")
        assert mailmap.map(name, email) == (git_name, git_email), line


def test_identities_follow_the_snapshots_mailmap(tmp_path, wb) -> None:
    repo = GitRepo(tmp_path / "people")
    repo.write("a.txt", "1\n")
    repo.commit("one", ("bob", "bob@old.example"), "2024-01-01T10:00:00+00:00")
    repo.write("a.txt", "1\n2\n")
    first = repo.commit("two", BOB, "2024-01-02T10:00:00+00:00")
    before = wb.map(str(repo.path), name="people")
    assert before.file_metrics.set_index("path").loc["a.txt", "authors"] == 2

    repo.write(".mailmap", "Bob <bob@example.com> <bob@old.example>\n")
    repo.commit("mailmap", ANN, "2024-01-03T10:00:00+00:00")
    after = wb.map("people")
    assert after.stats["commits_mined_now"] == 1  # the first two were mined before the .mailmap
    m = after.file_metrics.set_index("path")
    assert m.loc["a.txt", "authors"] == 1 and m.loc["a.txt", "main_author"] == BOB[1]
    assert set(after.commits()["author_email"]) == {BOB[1], ANN[1]}
    # the first snapshot keeps its own answer
    assert wb.snapshot("people", first).file_metrics.set_index("path").loc["a.txt", "authors"] == 2
    assert set(before.commits()["author_email"]) == {"bob@old.example", BOB[1]}
    # and mining in another order gives the same answer
    with Workbench(tmp_path / "fresh") as other:
        fresh = other.map(str(repo.path)).file_metrics
    pd.testing.assert_frame_equal(fresh[["path", "authors", "main_author"]],
                                  after.file_metrics[["path", "authors", "main_author"]])


def test_renames_follow_the_graph_not_the_clock(tmp_path, wb) -> None:
    repo = GitRepo(tmp_path / "skew")
    repo.write("old.txt", "".join(f"line {i}\n" for i in range(20)))
    repo.commit("add", ANN, "2024-03-01T10:00:00+00:00")
    repo.write("old.txt", "".join(f"line {i}\n" for i in range(21)))
    repo.commit("edit", ANN, "2024-03-02T10:00:00+00:00")
    repo.git("mv", "old.txt", "new.txt")
    # the renaming commit's clock is behind its parents' (committer date before theirs)
    repo.commit("rename", BOB, "2024-02-01T10:00:00+00:00", commit_date="2024-02-01T10:00:00+00:00")
    repo.write("new.txt", "".join(f"line {i}\n" for i in range(22)))
    repo.commit("edit again", BOB, "2024-03-05T10:00:00+00:00")
    snap = wb.map(str(repo.path))
    m = snap.metrics(deleted=True).set_index("path")
    follow = git_out(repo, "log", "--follow", "--format=%H", "--", "new.txt").split()
    assert list(m.index) == ["new.txt"]  # no phantom old.py
    assert m.loc["new.txt", "commits_total"] == len(follow) == 4


def test_an_edit_beside_a_rename_follows_it(tmp_path, wb) -> None:
    repo = GitRepo(tmp_path / "beside")
    repo.write("x.txt", "".join(f"{i}\n" for i in range(20)))
    repo.commit("add", ANN, "2024-01-01T10:00:00+00:00")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("x.txt", "".join(f"{i}\n" for i in range(20)) + "side\n")
    repo.commit("edit on a branch", BOB, "2024-01-02T10:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.git("mv", "x.txt", "y.txt")
    repo.commit("rename on main", ANN, "2024-01-03T10:00:00+00:00")
    repo.git("merge", "-q", "--no-edit", "side",
             env={"GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": ANN[1],
                  "GIT_COMMITTER_NAME": "Ann", "GIT_COMMITTER_EMAIL": ANN[1]})
    repo.write("x.txt", "a new file at the old path\n")  # reused: its own history
    repo.commit("reuse", BOB, "2024-01-05T10:00:00+00:00")
    # the graph order lists the branch's edit after the rename
    subjects = git_out(repo, "log", "--topo-order", "--reverse", "--format=%s").splitlines()
    assert subjects.index("edit on a branch") > subjects.index("rename on main")
    m = wb.map(str(repo.path)).metrics(deleted=True).set_index("path")
    follow = git_out(repo, "log", "--follow", "--format=%H", "--", "y.txt").split()
    assert m.loc["y.txt", "commits_total"] == len(follow) == 3
    assert m.loc["y.txt", "authors"] == 2
    assert m.loc["x.txt", "commits_total"] == 1  # the reused path


def two_commits(path) -> tuple[GitRepo, str, str]:
    """A repository of two commits by Ann, a day apart, changing ``a.txt``."""
    repo = GitRepo(path)
    repo.write("a.txt", "1\n")
    first = repo.commit("one", ANN, "2024-01-01T10:00:00+00:00")
    repo.write("a.txt", "2\n")
    return repo, first, repo.commit("two", ANN, "2024-01-02T10:00:00+00:00")


def test_commits_are_the_snapshots_history_parents_first(tmp_path, wb) -> None:
    repo, c1, c2 = two_commits(tmp_path / "scope")
    old = wb.map(str(repo.path), name="scope")
    repo.git("checkout", "-q", "-b", "side", c1)
    repo.write("b.txt", "side\n")
    repo.commit("side", BOB, "2023-12-01T10:00:00+00:00")  # older clock than its parent
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side",
             env={"GIT_AUTHOR_NAME": "Ann", "GIT_AUTHOR_EMAIL": ANN[1],
                  "GIT_COMMITTER_NAME": "Ann", "GIT_COMMITTER_EMAIL": ANN[1]})
    repo.write("a.txt", "3\n")
    repo.commit("three", ANN, "2024-01-04T10:00:00+00:00")
    new = wb.map("scope")
    # a force-push drops "three": the rewritten main has another commit on the merge
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.write("a.txt", "3 again\n")
    repo.commit("three, rewritten", ANN, "2024-01-05T10:00:00+00:00")
    rewritten = wb.map("scope")

    for snap in (old, new, rewritten):
        expected = git_out(repo, "rev-list", "--topo-order", "--reverse", snap.commit).split()
        commits = snap.commits()
        assert sorted(commits["sha"]) == sorted(expected)
        position = {sha: i for i, sha in enumerate(commits["sha"])}
        assert all(position[p] < position[sha] for sha, parents in
                   zip(commits["sha"], commits["parents"]) for p in parents)
        assert set(snap.file_changes()["sha"]) <= set(expected)
    assert old.commits()["sha"].tolist() == [c1, c2]
    assert new.commit not in set(rewritten.commits()["sha"])  # unreachable after the push


def test_history_stored_in_the_older_format_is_mined_again(tmp_path, wb) -> None:
    repo = GitRepo(tmp_path / "older")
    repo.write("a.txt", "1\n")
    repo.commit("one", ("bob", "bob@old.example"), "2024-01-01T10:00:00+00:00")
    repo.write(".mailmap", "Bob <bob@example.com> <bob@old.example>\n")
    repo.commit("two", BOB, "2024-01-02T10:00:00+00:00")
    wb.map(str(repo.path), name="older")
    pid = wb.project("older").info.id
    # as a database from before migration 17 holds it: identities already mailmapped
    wb.store.db.write(lambda cur: cur.execute(
        "UPDATE history_state SET version = 1 WHERE project_id = ?", [pid]))
    wb.store.db.write(lambda cur: cur.execute(
        "UPDATE commits SET author_email = 'bob@example.com' WHERE project_id = ?", [pid]))
    again = wb.map("older", force=True)
    assert again.stats["commits_mined_now"] == 2
    stored = wb.store.history.commits(pid)
    assert sorted(stored["author_email"]) == ["bob@example.com", "bob@old.example"]  # as written
    assert set(again.commits()["author_email"]) == {"bob@example.com"}  # mapped when read


def test_a_commit_the_clone_lost_after_a_force_push_does_not_stop_later_maps(tmp_path, wb) -> None:
    repo, c1, dropped = two_commits(tmp_path / "lost")
    wb.map(str(repo.path), name="lost")
    # a force-push drops "two"; in time the clone's gc removes it
    repo.git("reset", "-q", "--hard", c1)
    repo.write("a.txt", "2 again\n")
    repo.commit("two, rewritten", ANN, "2024-01-03T10:00:00+00:00")
    wb.map("lost")
    clone = wb.clones.path_for("lost")
    for args in (["reflog", "expire", "--expire=now", "--all"], ["gc", "-q", "--prune=now"]):
        subprocess.run(["git", "-C", str(clone), *args], check=True, capture_output=True)
    assert subprocess.run(["git", "-C", str(clone), "cat-file", "-e", f"{dropped}^{{commit}}"],
                          capture_output=True).returncode != 0
    repo.write("a.txt", "3\n")
    repo.commit("three", BOB, "2024-01-04T10:00:00+00:00")
    snap = wb.map("lost")
    assert sorted(snap.commits()["sha"]) == sorted(git_out(repo, "rev-list", "HEAD").split())
    assert snap.stats["commits_mined_now"] == 1
