"""A search over a snapshot finds the commits of its history only: not an unmerged branch's
commits that ``review`` mined into the same project, even when they are older than the
snapshot's commit; a merged branch's commits and the snapshot's own are found."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit, git, init_repo, write
from workbench.search.embedders import get_embedder
from workbench.search.service import SearchService

ZEBRA = "Zebra stripes for the app"
MERGED = "Giraffe necks in the merged branch"
LATER = "More util on the main line"


@pytest.fixture
def branched(wb, tmp_path: Path):
    """``tiny``: main mapped and indexed, ``feature`` (one unmerged commit) reviewed, then a
    merged branch and one more commit on main mapped; returns (wb, main's snapshot, feature's
    commit)."""
    repo = init_repo(tmp_path / "tiny")
    write(repo, {"app.py": "def f():\n    return 1\n"})
    commit(repo, "first", "2026-01-01T10:00:00+00:00")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"app.py": "def f():\n    return 1\n# zebra\n"})
    zebra = commit(repo, ZEBRA, "2026-01-02T10:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    wb.map(str(repo), name="tiny")
    wb.index("tiny", wait=True)
    wb.ideas.review("tiny", "feature")  # maps feature: its commit is mined into the project

    git(repo, "checkout", "-q", "-b", "side")
    write(repo, {"side.py": "def giraffe():\n    return 3\n"})
    commit(repo, MERGED, "2026-01-03T10:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge side", "side",
        env={"GIT_AUTHOR_DATE": "2026-01-04T10:00:00+00:00",
             "GIT_COMMITTER_DATE": "2026-01-04T10:00:00+00:00"})
    write(repo, {"app.py": "def f():\n    return 1\n\n\ndef g():\n    return 2\n"})
    commit(repo, LATER, "2026-01-05T10:00:00+00:00")
    snap = wb.map("tiny")
    assert snap.commit != zebra and zebra not in set(snap.history_order())
    assert zebra in set(wb.store.history.commits(snap.info.project_id)["sha"])  # mined
    return wb, snap, zebra


def _commits(frame) -> list[str]:
    return [c for c in frame["commit"] if isinstance(c, str)]


def test_an_unmerged_branch_commit_is_not_found_in_the_default_branch(branched):
    wb, snap, zebra = branched
    for mode in ("text", "vector", "hybrid"):
        hits = wb.search("zebra stripes", "tiny", kinds=["commits"], mode=mode, k=50)
        assert zebra not in _commits(hits), mode
        assert ZEBRA not in set(hits["title"]), mode
    every = wb.search("zebra stripes for the app", "tiny", k=100)  # all kinds together
    assert zebra not in _commits(every)
    assert zebra not in _commits(wb.project("tiny").search("zebra", kinds=["commits"], k=50))
    # the commits of its history: main's own, and the merged branch's
    history = set(snap.history_order())
    found = set(_commits(wb.search("stripes necks util first merge", "tiny", kinds=["commits"],
                                   mode="text", k=50)))
    assert found == history and len(found) == 4  # first, side, its merge, later
    merged = wb.search("giraffe necks", "tiny", kinds=["commits"], mode="text", k=1).iloc[0]
    assert merged["title"].startswith(MERGED)
    # the snapshot's query index holds its history's commits only, and its count says so
    index = SearchService(wb.store).snapshot_index(snap.info, get_embedder(None, wb.config))
    assert set(index.meta["commit"].dropna()) == history
    assert wb.index("tiny", wait=True)["chunks"] == index.n


def test_the_branch_snapshot_finds_its_own_commit(branched):
    wb, snap, zebra = branched
    feature = wb.snapshot("tiny", "feature")
    assert feature.commit == zebra
    hits = wb.search("zebra stripes", "tiny", snapshot_id=feature.id, kinds=["commits"],
                     mode="text", k=5)
    assert _commits(hits)[0] == zebra
    later = wb.search("more util main line", "tiny", snapshot_id=feature.id, kinds=["commits"],
                      mode="text", k=50)
    assert not any(t.startswith(LATER) for t in later["title"])


def test_ask_sends_no_passage_of_a_commit_outside_the_snapshot(branched):
    wb, snap, zebra = branched
    record = wb.show_context("when were the zebra stripes added?", "tiny", budget=4000)
    passages = [item.text for item in record.items if item.kind == "passage"]
    assert passages and not any(zebra[:12] in t or ZEBRA in t for t in passages)
