"""A whole map's rows are written while its history's last step runs, in one transaction.

The files, nodes and edges go in as soon as the tables are built; the transaction then waits
for the history's last step (the hotspots' sizes, the owners of current lines) and writes
its metrics and the snapshot's statistics. A failure or a cancel of that step still leaves
no snapshot behind.
"""

from __future__ import annotations

import threading

import pytest

from workbench.errors import JobCancelled, MapError
from workbench.history.service import HistoryService
from workbench.store.snapshots import SnapshotsTable

TABLES = ("files", "nodes", "edges", "file_metrics", "link_records")


def _rows(wb) -> dict[str, int]:
    return {table: wb.store.db.query(f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


def test_the_rows_are_written_before_the_history_is_finished(wb, sample_repo, monkeypatch):
    wb.map(str(sample_repo))  # every file's blame is cached from here on
    writing = threading.Event()
    seen: list[bool] = []
    write, owners = SnapshotsTable.write, HistoryService.owners

    def noted_write(self, **kwargs):
        writing.set()
        return write(self, **kwargs)

    def late_owners(*args, **kwargs):
        # the snapshot's write has begun before the history's last step works out the
        # owners of current lines; written one after the other, the write would start only
        # once that step returned
        seen.append(writing.wait(30))
        return owners(*args, **kwargs)

    monkeypatch.setattr(SnapshotsTable, "write", noted_write)
    monkeypatch.setattr(HistoryService, "owners", staticmethod(late_owners))
    snap = wb.map("shop", force=True)
    assert seen == [True]
    # what the history's step gave is in the same snapshot: its statistics and metrics
    assert snap.stats["commits"] == 2 and snap.stats["files"] > 0
    metrics = wb.store.db.query("SELECT count(*) FROM file_metrics WHERE snapshot_id = ?",
                                [snap.id])[0][0]
    assert metrics > 0


def test_a_map_that_blames_files_with_git_does_so_before_it_holds_the_file(
        wb, sample_repo, monkeypatch):
    """A first map blames its files with git (up to the blame budget, a minute): its
    transaction starts once the last blame has ended, so other processes are not kept from
    the file meanwhile. A re-map's blames are all cached: its rows go in beside the
    history's last step."""
    from workbench.history import blame

    events: list[str] = []
    write, finish, runs = SnapshotsTable.write, HistoryService.finish, blame.blame_runs

    def noted_write(self, **kwargs):
        events.append("write")
        return write(self, **kwargs)

    def noted_finish(self, *args, **kwargs):
        result = finish(self, *args, **kwargs)
        events.append("history finished")
        return result

    def noted_runs(*args, **kwargs):
        found = runs(*args, **kwargs)
        events.append("git blame")
        return found

    monkeypatch.setattr(SnapshotsTable, "write", noted_write)
    monkeypatch.setattr(HistoryService, "finish", noted_finish)
    monkeypatch.setattr(blame, "blame_runs", noted_runs)
    snap = wb.map(str(sample_repo))
    assert "git blame" in events and "write" in events
    assert events.index("write") > max(i for i, e in enumerate(events) if e == "git blame")
    owners = wb.store.db.query("SELECT count(*) FROM file_metrics WHERE snapshot_id = ?"
                               " AND current_owner IS NOT NULL", [snap.id])[0][0]
    assert owners > 0  # the files were blamed, by git
    events.clear()
    wb.map("shop", force=True)  # every blame cached now
    assert "git blame" not in events


def test_a_history_that_fails_after_the_rows_are_written_leaves_no_snapshot(
        wb, sample_repo, monkeypatch):
    wb.map(str(sample_repo))
    before = _rows(wb)
    snapshots = [s.id for s in wb.store.snapshots.list()]

    def failing(self, *args, **kwargs):
        raise RuntimeError("the history's last step broke")

    monkeypatch.setattr(HistoryService, "finish", failing)
    with pytest.raises(MapError, match="the history's last step broke"):
        wb.map("shop", force=True)
    assert _rows(wb) == before
    assert [s.id for s in wb.store.snapshots.list()] == snapshots
    monkeypatch.undo()
    again = wb.map("shop", force=True)  # the next map is whole and complete
    assert again.id not in snapshots and again.stats["commits"] == 2


def test_a_map_cancelled_while_its_history_finishes_leaves_no_snapshot(
        wb, sample_repo, monkeypatch):
    wb.map(str(sample_repo))
    before = _rows(wb)
    finish = HistoryService.finish
    jobs: list = []

    def cancelled_meanwhile(self, *args, **kwargs):
        # the cancel arrives while the snapshot's transaction waits for this step
        wb.cancel(jobs[-1])
        return finish(self, *args, **kwargs)

    monkeypatch.setattr(HistoryService, "finish", cancelled_meanwhile)
    with pytest.raises(JobCancelled):
        wb.map("shop", force=True, wait=True, progress=lambda p: jobs.append(p.job_id))
    assert wb.job(jobs[-1]).status == "cancelled"
    assert _rows(wb) == before
    assert wb.store.projects.get("shop").status == "mapped"
