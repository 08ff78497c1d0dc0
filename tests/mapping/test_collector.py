"""A map keeps Python's cyclic collector out of its way and gives it back as it was.

The collector is paused while a whole map lists its files (a first full collection of a
process that has just loaded the map's modules walked all of them before the first parse),
what the process holds is frozen out of its sight meanwhile, and the map ends with nothing
frozen and the collector enabled again.
"""

from __future__ import annotations

import gc

from workbench.mapping.service import MapService


def test_a_whole_map_lists_with_the_collector_paused_and_gives_it_back(wb, sample_repo,
                                                                       monkeypatch):
    seen: list[bool] = []
    listed = MapService._list

    def noted(self, repo, commit):
        seen.append(gc.isenabled())
        return listed(self, repo, commit)

    monkeypatch.setattr(MapService, "_list", noted)
    assert gc.isenabled()
    snap = wb.map(str(sample_repo), force=True)
    assert seen == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert snap.stats["files"] > 0


def test_a_map_leaves_a_disabled_collector_disabled(wb, sample_repo):
    gc.disable()
    try:
        wb.map(str(sample_repo), force=True)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
