"""The map's modules start loading before the fetch for a large clone, once per map."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench.mapping.service as service
import workbench.repos.commit_graph as commit_graph
from tests.helpers import commit, init_repo, write
from workbench import Workbench


def test_the_map_modules_load_during_the_fetch_of_a_large_clone_only(tmp_path: Path, monkeypatch):
    loads: list[str] = []

    class Recording(service.Background):
        """Notes each start of the loading, in the caller's thread (so nothing is missed)."""

        def __init__(self, fn, *args):
            if fn is service._load_map_modules:
                loads.append("load")
            super().__init__(fn, *args)

    monkeypatch.setattr(service, "Background", Recording)
    repo = init_repo(tmp_path / "small")
    write(repo, {"small/__init__.py": "", "small/a.py": "from small import b\n",
                 "small/b.py": "import os\n"})
    commit(repo, "one")
    wb = Workbench(tmp_path / "data")

    # a first map (no clone yet) loads them before the clone, and only then
    wb.map(str(repo), name="small")
    assert loads == ["load"]
    assert service._load_early(wb.clones, "small") is None  # a few kilobytes of packs

    # an unchanged commit of a small clone loads nothing (the start-up guard's case)
    wb.map("small")
    assert loads == ["load"]

    # a clone past the threshold loads them before its fetch, even for an unchanged commit
    monkeypatch.setattr(commit_graph, "MIN_PACK_BYTES", 1)
    wb.map("small")
    assert loads == ["load", "load"]

    # and a new commit's map uses that loading instead of starting a second one
    write(repo, {"small/c.py": "from small import a\n"})
    commit(repo, "two")
    snap = wb.map("small")
    assert loads == ["load", "load", "load"]
    assert "c" in set(snap.nodes["name"])
    wb.close()


def test_a_whole_maps_workers_start_before_the_listing_and_end_with_a_refused_one(
        tmp_path: Path, monkeypatch):
    import psutil

    from workbench import Config
    from workbench.errors import RepositoryTooLarge
    from workbench.mapping import workers
    from workbench.repos.clones import Clones

    steps: list[str] = []
    start, tree = workers.WorkerPool.start, Clones.tree

    def recorded_start(self):
        steps.append("workers")
        return start(self)

    def recorded_tree(self, *args, **kwargs):
        steps.append("listing")
        return tree(self, *args, **kwargs)

    monkeypatch.setattr(workers.WorkerPool, "start", recorded_start)
    monkeypatch.setattr(Clones, "tree", recorded_tree)
    repo = init_repo(tmp_path / "repo")
    write(repo, {f"pkg/m{i}.py": f"X = {i}\n" for i in range(5)})
    commit(repo, "one")

    wb = Workbench(tmp_path / "data")
    wb.map(str(repo), name="repo")
    assert steps[:2] == ["workers", "listing"]  # a first map is whole

    steps.clear()
    refusing = Workbench(config=Config(data_dir=tmp_path / "data", max_tree_entries=2))
    with pytest.raises(RepositoryTooLarge):
        refusing.map("repo", force=True)
    assert steps[:2] == ["workers", "listing"]
    # the workers started for the refused listing were closed with it
    left = [p for p in psutil.Process().children(recursive=True)
            if "workbench.mapping.workers" in " ".join(p.cmdline())]
    assert left == []
