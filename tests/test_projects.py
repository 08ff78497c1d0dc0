"""Registering, listing, showing and removing projects."""

from __future__ import annotations

import pytest

from tests.helpers import init_repo, write, commit
from workbench.errors import InvalidProjectName, ProjectExists, ProjectNotFound, UnsafeSource


def test_add_list_show(wb, sample_repo):
    p = wb.add_project("shop", str(sample_repo))
    assert (p.name, p.source_kind, p.source, p.status) == ("shop", "path", str(sample_repo), "registered")
    assert [x.name for x in wb.projects()] == ["shop"]
    assert wb.project("shop").info.id == p.id
    assert wb.project("shop").snapshots() == []


def test_duplicates_and_bad_names_are_refused(wb, sample_repo):
    wb.add_project("shop", str(sample_repo))
    with pytest.raises(ProjectExists, match="already exists"):
        wb.add_project("shop", str(sample_repo))
    with pytest.raises(InvalidProjectName):
        wb.add_project("../shop", str(sample_repo))
    with pytest.raises(UnsafeSource):
        wb.add_project("evil", "ext::sh -c id")
    assert [x.name for x in wb.projects()] == ["shop"]


def test_unknown_project_lists_the_known_ones(wb, sample_repo):
    wb.add_project("shop", str(sample_repo))
    with pytest.raises(ProjectNotFound, match="Known projects: shop"):
        wb.project("nope")


def test_remove_deletes_rows_and_clone_and_leaves_others(wb, sample_repo, tmp_path):
    other = init_repo(tmp_path / "other")
    write(other, {"o.py": "import os\n"})
    commit(other, "o")
    wb.map(str(sample_repo), name="shop")
    kept = wb.map(str(other), name="other")
    clone = wb.clones.path_for("shop")
    assert clone.is_dir()
    wb.remove_project("shop")
    assert not clone.exists()
    assert [p.name for p in wb.projects()] == ["other"]
    db = wb.store.db
    assert db.query("SELECT count(*) FROM snapshots")[0][0] == 1
    assert db.query("SELECT DISTINCT snapshot_id FROM nodes") == [(kept.id,)]
    assert db.query("SELECT count(*) FROM jobs WHERE project_id NOT IN (SELECT id FROM projects)") == [(0,)]
    assert wb.snapshot("other").stats["modules"] == 1
    assert wb.clones.path_for("other").is_dir()


def test_map_by_path_registers_once_and_reuses(wb, sample_repo):
    a = wb.map(str(sample_repo))
    b = wb.map(str(sample_repo))
    assert a.info.project == b.info.project == "shop"
    assert len(wb.projects()) == 1
    assert wb.project("shop").info.status == "mapped"
    assert wb.project("shop").info.default_branch == "main"
