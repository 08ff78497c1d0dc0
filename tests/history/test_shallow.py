"""Shallow history: the boundary commit is never credited with files it did not change, the
truncation is said everywhere, and deepening from the source mines what came below."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from tests.history.gitrepo import GitRepo
from workbench import ShallowSource, Workbench
from workbench.history import mine_all
from workbench.history.mine import SHALLOW_REASON

ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "bob@example.com")
CID = ("Cid", "cid@example.com")
DEE = ("Dee", "dee@example.com")


def run(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, check=True, text=True).stdout


@pytest.fixture
def full(tmp_path) -> tuple[GitRepo, dict[str, str]]:
    """c1 Ann adds a.py and b.py; c2 Bob edits a.py; c3 Cid adds c.py and edits b.py;
    c4 Dee edits c.py."""
    repo = GitRepo(tmp_path / "full")
    shas = {}
    repo.write("a.py", "a1\na2\na3\n")
    repo.write("b.py", "b1\n")
    shas["c1"] = repo.commit("one", ANN, "2024-01-01T10:00:00+00:00")
    repo.write("a.py", "a1\nbob\na3\n")
    shas["c2"] = repo.commit("two", BOB, "2024-02-01T10:00:00+00:00")
    repo.write("c.py", "c1\nc2\n")
    repo.write("b.py", "b1\nb2\n")
    shas["c3"] = repo.commit("three", CID, "2024-03-01T10:00:00+00:00")
    repo.write("c.py", "c1\ndee\n")
    shas["c4"] = repo.commit("four", DEE, "2024-04-01T10:00:00+00:00")
    return repo, shas


def shallow_clone(full: GitRepo, dest, depth: int):
    run("clone", "-q", f"--depth={depth}", f"file://{full.path}", str(dest))
    return dest


def test_boundary_commit_is_recorded_without_files(full, tmp_path) -> None:
    repo, shas = full
    clone = shallow_clone(repo, tmp_path / "ci", 2)
    assert run("-C", str(clone), "rev-parse", "--is-shallow-repository").strip() == "true"
    commits, changes = mine_all(clone)
    boundary = commits.set_index("sha").loc[shas["c3"]]
    assert boundary["truncated"] == SHALLOW_REASON and list(boundary["parents"]) == []
    # git itself diffs the boundary against the empty tree: a.py "added" by Cid
    assert "a.py" in run("-C", str(clone), "show", "--format=", "--name-only", shas["c3"])
    assert set(changes["sha"]) == {shas["c4"]}


def test_truncated_history_is_said_and_never_credited(full, tmp_path, wb) -> None:
    repo, shas = full
    clone = shallow_clone(repo, tmp_path / "ci", 2)
    snap = wb.map(str(clone), name="ci")
    assert snap.history_truncated_at == [shas["c3"]]
    note = f"history truncated at {shas['c3'][:12]}"
    assert note in snap.describe() and note in snap.summary().to_text()
    assert wb.status()["history_truncated"] == {"ci": [shas["c3"]]}
    from workbench.widgets import HistoryPanel

    panel = HistoryPanel(wb, project="ci")
    assert note in panel.output.value and note in panel.to_html()
    panel.show("ownership")
    assert "cid@example.com" not in panel.output.value
    panel.deleted.value = True  # deleted files on request: none here
    assert set(panel.result["path"]) == {"a.py", "b.py", "c.py"}
    m = snap.file_metrics.set_index("path")
    assert m["history_truncated"].to_dict() == {"a.py": True, "b.py": True, "c.py": True}
    assert m["first_seen"].isna().all()  # what existed at the boundary has no known start
    assert m.loc["a.py", "commits_total"] == 0 and pd.isna(m.loc["a.py", "main_author"])
    assert m.loc["c.py", "commits_total"] == 1 and m.loc["c.py", "main_author"] == DEE[1]
    assert CID[1] not in set(m["main_author"].dropna()) | set(m["current_owner"].dropna())
    # blame puts a.py's lines on the boundary commit: unknown, not Cid's
    assert m.loc["a.py", "current_lines_unknown"] == 3 and pd.isna(m.loc["a.py", "current_owner"])
    assert m.loc["c.py", "current_owner"] == DEE[1] and m.loc["c.py", "current_lines_unknown"] == 1


def test_deepen_and_unshallow_mine_what_was_below(full, tmp_path, wb, data_dir) -> None:
    repo, shas = full
    clone = shallow_clone(repo, tmp_path / "ci", 2)
    wb.map(str(clone), name="ci")
    with pytest.raises(ShallowSource, match="itself shallow"):
        wb.map("ci", deepen=1)  # the source has nothing older yet
    assert wb.project("ci").info.status == "mapped"  # nothing was mapped, nothing failed
    run("-C", str(clone), "fetch", "-q", "--deepen=1")
    deeper = wb.map("ci", deepen=1)
    assert not deeper.reused and deeper.history_truncated_at == [shas["c2"]]
    m = deeper.file_metrics.set_index("path")
    assert m.loc["c.py", "commits_total"] == 2 and not m.loc["c.py", "history_truncated"]
    assert m.loc["c.py", "first_seen"] == pd.Timestamp("2024-03-01T10:00:00Z")
    assert m.loc["b.py", "commits_total"] == 1 and m.loc["b.py", "history_truncated"]

    run("-C", str(clone), "fetch", "-q", "--unshallow")
    whole = wb.map("ci", unshallow=True)
    assert whole.history_truncated_at == [] and "truncated" not in whole.describe()
    for asked in ({"unshallow": True}, {"deepen": 3}):  # complete now: nothing to fetch
        with pytest.raises(ShallowSource, match="holds its whole history already"):
            wb.map("ci", **asked)
    assert wb.project("ci").info.status == "mapped"
    assert [c for c in whole.commits()["sha"]] == run(
        "-C", str(repo.path), "rev-list", "--topo-order", "--reverse", "HEAD").split()
    # the same numbers as a map of the complete repository made from scratch
    with Workbench(tmp_path / "other") as other:
        direct = other.map(str(repo.path)).file_metrics
    columns = ["path", "commits_total", "churn_total", "main_author", "first_seen",
               "current_owner", "current_lines", "history_truncated"]
    pd.testing.assert_frame_equal(whole.file_metrics[columns].sort_values("path", ignore_index=True),
                                  direct[columns].sort_values("path", ignore_index=True))


def test_a_map_reads_no_blame_that_mining_forgets_while_it_parses(full, tmp_path, wb,
                                                                   monkeypatch) -> None:
    """Mining after an unshallow forgets the blames that stopped at the old boundary; a whole
    map reads the cached blames while it links, so that read waits for mining to end. Here
    mining goes on only once the map links: the read came first, and the boundary's author
    kept the lines."""
    import threading

    from workbench.history.service import HistoryService
    from workbench.mapping import build

    repo, shas = full
    clone = shallow_clone(repo, tmp_path / "ci", 2)
    wb.map(str(clone), name="ci")
    run("-C", str(clone), "fetch", "-q", "--unshallow")
    linking = threading.Event()
    real_sync, real_link = HistoryService.sync, build.link_map

    def late_sync(self, *args, **kwargs):
        assert linking.wait(60), "the map never linked"
        return real_sync(self, *args, **kwargs)

    def link_map(*args, **kwargs):
        linking.set()
        return real_link(*args, **kwargs)

    monkeypatch.setattr(HistoryService, "sync", late_sync)
    monkeypatch.setattr(build, "link_map", link_map)
    whole = wb.map("ci", unshallow=True)
    monkeypatch.undo()
    owners = whole.file_metrics.set_index("path")["current_owner"]
    with Workbench(tmp_path / "other") as other:
        direct = other.map(str(repo.path)).file_metrics.set_index("path")["current_owner"]
    assert owners.sort_index().tolist() == direct.sort_index().tolist()
    assert owners["a.py"] == "ann@example.com"  # a1 and a3 are Ann's, c1's, below the boundary


def test_a_derived_map_reads_no_blame_that_mining_forgets(full, tmp_path, wb, data_dir,
                                                          monkeypatch) -> None:
    """The same for a map derived from the last one: the workbench's clone was deepened by
    hand (`git fetch --unshallow` in it) and the source gained a commit; the map of that
    commit, derived from the shallow one, blames every file from the cache beside mining.
    Here mining goes on only once that read was made (or after three seconds, when the read
    waits for mining): the boundary's author kept lines."""
    import threading

    from workbench.history.service import HistoryService
    from workbench.store.history import HistoryTable

    repo, shas = full
    clone = shallow_clone(repo, tmp_path / "ci", 2)
    wb.map(str(clone), name="ci")
    repo.write("c.py", "c1\ndee\neve\n")
    repo.commit("five", ("Eve", "eve@example.com"), "2024-05-01T10:00:00+00:00")
    run("-C", str(clone), "pull", "-q", "--unshallow")
    run("-C", str(data_dir / "clones" / "ci.git"), "fetch", "-q", "--unshallow")
    read = threading.Event()
    real_sync, real_blame = HistoryService.sync, HistoryTable.blame

    def late_sync(self, *args, **kwargs):
        read.wait(3)
        return real_sync(self, *args, **kwargs)

    def blame(self, *args, **kwargs):
        try:
            return real_blame(self, *args, **kwargs)
        finally:
            read.set()

    monkeypatch.setattr(HistoryService, "sync", late_sync)
    monkeypatch.setattr(HistoryTable, "blame", blame)
    derived = wb.map("ci")
    monkeypatch.undo()
    assert derived.stats.get("derived_from")  # the case at hand: a derived map
    owners = derived.file_metrics.set_index("path")["current_owner"]
    with Workbench(tmp_path / "other") as other:
        direct = other.map(str(repo.path)).file_metrics.set_index("path")["current_owner"]
    assert owners.sort_index().tolist() == direct.sort_index().tolist()
    assert owners["a.py"] == "ann@example.com"
