"""Indexing costs only what changed: blobs are chunked once, commits once, and an interrupted
index resumes where it stopped."""

from __future__ import annotations

import pytest

from tests.helpers import commit, write
from tests.search.conftest import FILES
from workbench.errors import JobCancelled
from workbench.search import indexer
from workbench.search.chunking import CHUNKER_VERSION



def _indexable(wb, snapshot_id):
    from workbench.search.chunking import file_kind

    files = wb.store.search.snapshot_files(snapshot_id)
    return {sha for p, lang, st, sha in zip(files["path"], files["language"], files["status"],
                                            files["blob_sha"])
            if file_kind(p, lang if isinstance(lang, str) else None, st)}


def test_a_one_file_commit_chunks_one_blob_and_one_commit(wb, known_repo):
    first_snap = wb.map(str(known_repo), name="netkit")
    first = wb.index("netkit", wait=True)
    assert first["files_chunked"] == len(_indexable(wb, first_snap.id))
    assert first["commits_chunked"] == 2 and first["chunks"] == first["chunked_now"]
    again = wb.index("netkit", wait=True)
    assert (again["files_chunked"], again["commits_chunked"], again["chunked_now"],
            again["embedded_now"]) == (0, 0, 0, 0)

    write(known_repo, {"src/store/cache.py": FILES["src/store/cache.py"]
                       + "\n\ndef clear_cache(cache):\n    cache.items.clear()\n"})
    commit(known_repo, "Clear a cache", "2026-01-03T10:00:00+00:00")
    second_snap = wb.map("netkit")
    second = wb.index("netkit", wait=True)
    assert (second["files_chunked"], second["commits_chunked"]) == (1, 1)
    assert second["chunked_now"] == second["embedded_now"] < 10
    assert second["chunks"] == first["chunks"] + 2  # clear_cache and the commit

    # unchanged files keep their chunks: the same rows serve both snapshots
    old = wb.search("retry_with_backoff", "netkit", snapshot_id=first_snap.id, mode="text", k=1)
    new = wb.search("retry_with_backoff", "netkit", snapshot_id=second_snap.id, mode="text", k=1)
    assert old.iloc[0]["chunk_id"] == new.iloc[0]["chunk_id"]

    hit = wb.search("clear_cache", "netkit", k=1).iloc[0]
    assert hit["node"] == "store.cache:clear_cache" and hit["line_start"] == 19
    before = wb.search("clear_cache", "netkit", snapshot_id=first_snap.id, mode="text", k=50)
    assert "store.cache:clear_cache" not in set(before["node"])
    commits = wb.search("clear a cache", "netkit", snapshot_id=first_snap.id, kinds=["commits"],
                        k=10)
    assert not any(t.startswith("Clear a cache") for t in commits["title"])  # a later commit


def test_an_interrupted_index_resumes_where_it_stopped(wb, known_repo, monkeypatch):
    monkeypatch.setattr(indexer, "FILE_BATCH", 2)
    snap = wb.map(str(known_repo), name="netkit")
    total = len(_indexable(wb, snap.id))
    seen = []

    def cancel_after_two_batches(p):
        seen.append(p.done)
        if p.message.startswith("chunking") and p.done >= 4:
            wb.cancel(p.job_id)

    with pytest.raises(JobCancelled):
        wb.index("netkit", wait=True, progress=cancel_after_two_batches)
    assert wb.index_state("netkit") is None
    stored = len(wb.store.search.chunked(sorted(_indexable(wb, snap.id)), 0, CHUNKER_VERSION))
    assert stored == 4  # two batches of two files were stored before the cancel
    job = wb.recent_jobs(1)[0]
    assert job.type == "index" and job.status == "cancelled"
    wb.retry(job.id, wait=True)  # the index job rebuilt from its row
    result = wb.job(job.id).result
    assert result["files_chunked"] == total - 4
    assert wb.search("LRUCache", "netkit").iloc[0]["path"] == "src/store/cache.py"
