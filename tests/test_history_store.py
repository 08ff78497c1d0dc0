"""History mined with the map: stored incrementally, metrics per snapshot, co-change edges."""

from __future__ import annotations

import pytest

from tests.helpers import commit, git, init_repo, write


@pytest.fixture
def coupled_repo(tmp_path):
    """a.py and b.py always change together (never import each other); c.py alone."""
    repo = init_repo(tmp_path / "coupled")
    for i in range(6):
        write(repo, {"a.py": f"A = {i}\n", "b.py": f"B = {i}\n"})
        commit(repo, f"a and b {i}", f"2026-01-0{i + 1}T10:00:00+00:00")
    write(repo, {"c.py": "import a\n" * 3})
    commit(repo, "c", "2026-01-08T10:00:00+00:00")
    return repo


def test_commits_and_changes_are_stored(wb, coupled_repo):
    snap = wb.map(str(coupled_repo))
    assert snap.stats["commits"] == 7 and snap.stats["commits_mined_now"] == 7
    pid = wb.project("coupled").info.id
    commits = wb.store.history.commits(pid)
    assert len(commits) == 7 and commits["subject"].iloc[-1] == "c"
    changes = wb.store.history.file_changes(pid)
    assert len(changes) == 13 and int(changes["added"].sum()) == 15


def test_mining_is_incremental(wb, coupled_repo):
    wb.map(str(coupled_repo))
    write(coupled_repo, {"c.py": "import b\n"})
    commit(coupled_repo, "c again", "2026-01-09T10:00:00+00:00")
    snap = wb.map("coupled")
    assert snap.stats["commits_mined_now"] == 1 and snap.stats["commits"] == 8
    pid = wb.project("coupled").info.id
    checkpoint, count = wb.store.history.checkpoint(pid)
    assert checkpoint == (git(coupled_repo, "rev-parse", "HEAD"),) and count == 8


def test_an_older_ref_gets_its_own_history(wb, coupled_repo):
    wb.map(str(coupled_repo))
    old = wb.map("coupled", ref=git(coupled_repo, "rev-parse", "HEAD~3"))
    assert old.stats["commits"] == 4  # only commits reachable from that commit
    assert old.stats["commits_mined_now"] == 0


def test_file_metrics_and_hotspots(wb, coupled_repo):
    snap = wb.map(str(coupled_repo))
    m = snap.file_metrics.set_index("path")
    assert m.loc["a.py", ["commits_total", "churn_total", "authors"]].tolist() == [6, 11, 1]
    assert m.loc["c.py", "commits_total"] == 1
    assert m.loc["a.py", "main_author"] == "ada@example.com" and m.loc["a.py", "ownership"] == 1.0
    hot = snap.hotspots(3)
    assert hot["path"].iloc[0] in ("a.py", "b.py") and hot["hotspot"].iloc[0] > hot["hotspot"].iloc[-1]
    # queryable in SQL, joined to the map by path
    rows = wb.store.db.query(
        "SELECT n.id, m.commits_total FROM nodes n JOIN file_metrics m"
        " ON m.snapshot_id = n.snapshot_id AND m.path = n.path"
        " WHERE n.snapshot_id = ? AND n.kind = 'module' ORDER BY n.id", [snap.id])
    assert rows == [("a", 6), ("b", 6), ("c", 1)]


def test_co_change_edges_and_hidden_coupling(wb, coupled_repo):
    snap = wb.map(str(coupled_repo))
    co = snap.co_changes()
    assert co[["a", "b", "shared"]].values.tolist() == [["a", "b", 6]]
    assert co["degree"].iloc[0] == 1.0
    hidden = snap.hidden_coupling()
    assert hidden[["a_node", "b_node"]].values.tolist() == [["a", "b"]]  # no import between them


def test_forks_share_parse_results(wb, coupled_repo, tmp_path):
    import subprocess

    fork = tmp_path / "fork"
    subprocess.run(["git", "clone", "-q", str(coupled_repo), str(fork)], check=True)
    first = wb.map(str(coupled_repo))
    second = wb.map(str(fork), name="fork")
    assert first.stats["parsed_now"] == 3 and second.stats["parsed_now"] == 0


def test_interrupted_mining_resumes_without_gaps_or_repeats(wb, coupled_repo):
    from workbench.history.errors import MiningCancelled
    from workbench.history.service import HistoryService
    from workbench.repos.sources import parse_source

    project = wb.add_project("coupled", str(coupled_repo))
    repo = wb.clones.sync("coupled", parse_source(str(coupled_repo)))
    head = git(coupled_repo, "rev-parse", "HEAD")
    history = HistoryService(wb.store)
    calls = {"n": 0}

    def cancel_after_first_batch():
        calls["n"] += 1
        return calls["n"] > 1

    with pytest.raises(MiningCancelled):
        history.sync(project.id, repo, head, cancel=cancel_after_first_batch, batch_size=3)
    _, stored = wb.store.history.checkpoint(project.id)
    assert 0 < stored < 7  # the first batch is kept
    assert history.sync(project.id, repo, head) == 7 - stored
    commits = wb.store.history.commits(project.id)
    assert len(commits) == 7 and commits["sha"].is_unique


def test_a_failed_batch_write_stops_mining_and_keeps_the_batches_before_it(wb, coupled_repo,
                                                                           monkeypatch):
    """Batches are written on a thread beside the mining: a write that fails stops it with
    that error, and what was written before stays, so the next sync resumes after it."""
    from workbench.history.service import HistoryService
    from workbench.repos.sources import parse_source

    project = wb.add_project("coupled", str(coupled_repo))
    repo = wb.clones.sync("coupled", parse_source(str(coupled_repo)))
    head = git(coupled_repo, "rev-parse", "HEAD")
    table = wb.store.history
    real = table.store_batch
    written = []

    def fail_second(*args, **kwargs):
        if written:
            raise OSError("disk full")
        real(*args, **kwargs)
        written.append(args[1].num_rows)

    monkeypatch.setattr(table, "store_batch", fail_second)
    with pytest.raises(OSError, match="disk full"):
        HistoryService(wb.store).sync(project.id, repo, head, batch_size=2)
    monkeypatch.setattr(table, "store_batch", real)
    _, stored = table.checkpoint(project.id)
    assert stored == written[0] == 2
    assert HistoryService(wb.store).sync(project.id, repo, head) == 7 - stored
    assert wb.store.history.commits(project.id)["sha"].is_unique


def test_two_maps_mining_the_same_commits_at_once_store_each_once(wb, coupled_repo,
                                                                  monkeypatch):
    """Two processes mapping a project at once read the same checkpoint and mine the same new
    commits: the second's batches leave out what the first stored meanwhile (its changes
    too), and the checkpoints of both stand, so no analysis counts a change twice."""
    from workbench.history.service import HistoryService
    from workbench.repos.sources import parse_source

    project = wb.add_project("coupled", str(coupled_repo))
    repo = wb.clones.sync("coupled", parse_source(str(coupled_repo)))
    head = git(coupled_repo, "rev-parse", "HEAD")
    older = git(coupled_repo, "rev-parse", "HEAD~3")
    table = wb.store.history
    HistoryService(wb.store).sync(project.id, repo, older)
    stale = table.checkpoint(project.id)  # what the second process read
    assert HistoryService(wb.store).sync(project.id, repo, head, batch_size=2) == 3
    real = table.checkpoint
    monkeypatch.setattr(table, "checkpoint", lambda project_id: stale)
    HistoryService(wb.store).sync(project.id, repo, head, batch_size=2)
    monkeypatch.setattr(table, "checkpoint", real)
    commits = table.commits(project.id)
    assert len(commits) == 7 and commits["sha"].is_unique
    changes = wb.store.db.query(
        "SELECT sha, path, count(*) FROM file_changes WHERE project_id = ?"
        " GROUP BY ALL HAVING count(*) > 1", [project.id])
    assert changes == []
    checkpoint, counted = table.checkpoint(project.id)
    assert counted == 7 and head in checkpoint
    assert HistoryService(wb.store).sync(project.id, repo, head) == 0
