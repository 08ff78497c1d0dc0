"""One notion of the current snapshot: the newest full map of the default branch head unless
pinned, the same from the facade, SQL, the CLI, panels and reports; one-off maps (a tag, other
exclusions) never become current; trends and diffs say when they are not like with like."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import commit, git, init_repo, invoke_cli, run_cli, write
from workbench import Workbench
from workbench.widgets import MapView, QueryPanel, Session


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "tidy")
    write(repo, {"tidy/__init__.py": "", "tidy/core.py": "def f():\n    return 1\n",
                 **{f"tests/test_{i}.py": "from tidy import core\n" for i in range(5)}})
    commit(repo, "first", "2026-01-01T10:00:00+00:00")
    git(repo, "tag", "v1")
    write(repo, {"tidy/app.py": "from tidy import core\n"})
    commit(repo, "second", "2026-02-01T10:00:00+00:00")
    return repo


def test_one_off_maps_never_become_current(tmp_path, repo):
    data = tmp_path / "data"
    wb = Workbench(data)
    try:
        head = wb.map(str(repo), name="tidy")
        tag = wb.map("tidy", ref="v1", exclude=["tests/"])     # a tag, with tests excluded
        narrow = wb.map("tidy", exclude=["tests/"])            # the head, other exclusions
        assert len({head.id, tag.id, narrow.id}) == 3

        assert wb.snapshot("tidy").id == head.id
        assert wb.project("tidy").info.last_snapshot_id == head.id
        assert wb.sql("SELECT id FROM latest_snapshots")["id"].tolist() == [head.id]
        chosen = wb.sql("SELECT id, chosen_by FROM current_snapshots")
        assert chosen.values.tolist() == [[head.id, "default branch"]]
        assert Session(wb, project="tidy").snapshot().id == head.id
        assert wb.status()["last_snapshots"]["tidy"]["snapshot_id"] == head.id

        text = head.describe()
        assert text.startswith(f"#{head.id} · main @ {head.commit[:12]}")
        assert "committed 2026-02-01" in text and "default exclusions" in text
        assert text.endswith("current")
        assert "v1" in tag.describe() and "tests/" in tag.describe()
        assert f"not the current snapshot (#{head.id})" in tag.describe()
        assert f"snapshot #{head.id}" in head.summary().to_text()

        # like with like: the tag's map left tests out, so the trend leaves it out and says so
        trend = wb.trend("tidy")
        assert trend["snapshot"].tolist() == [head.id]
        assert f"#{tag.id}" in trend.attrs["note"]
        d = wb.diff("tidy", tag.id, head.id)
        assert "not like with like" in d.note and f"#{tag.id}" in d.note

        # a pin makes another snapshot current everywhere, until unpinned
        wb.pin("tidy", "v1")
        assert wb.snapshot("tidy").id == tag.id
        assert wb.sql("SELECT chosen_by FROM current_snapshots")["chosen_by"].tolist() == ["pinned"]
        assert tag.describe().endswith("current (pinned)")
        wb.pin("tidy", None)
        assert wb.snapshot("tidy").id == head.id

        view, queries = MapView(Session(wb, project="tidy")), QueryPanel(wb, project="tidy")
        for panel in (view, queries):
            assert f"snapshot #{head.id}" in panel.caption().value
        assert f"snapshot #{head.id}" in view.to_html()

        # a new map of the head becomes current; mapping it again does not change that
        write(repo, {"tidy/extra.py": "import tidy.app\n"})
        commit(repo, "third", "2026-03-01T10:00:00+00:00")
        newer = wb.map("tidy")
        assert wb.snapshot("tidy").id == newer.id
        wb.map("tidy", ref="v1", exclude=["tests/"])  # reused; still a one-off
        assert wb.snapshot("tidy").id == newer.id
        current = newer.id
    finally:
        wb.close()

    listing = run_cli("project", "list", data_dir=data)
    assert re.search(rf"^tidy\s+mapped\s+[0-9a-f]{{12}}.*#{current}\b", listing.stdout, re.M), listing.stdout
    status = invoke_cli("status", data_dir=data)
    assert re.search(rf"^\s+tidy\s+.*#{current}\b", status.stdout, re.M), status.stdout
    query = invoke_cli("query", "cycles", "-p", "tidy", data_dir=data)
    assert query.stdout.startswith(f"snapshot #{current} · main @"), query.stdout
    pin = invoke_cli("project", "pin", "tidy", "v1", data_dir=data)
    assert pin.returncode == 0 and "current (pinned)" in pin.stdout
    pinned_row = invoke_cli("project", "list", data_dir=data).stdout.split("\n")[1]
    assert f"#{current}" not in pinned_row and "(pinned)" in pinned_row, pinned_row
    assert invoke_cli("project", "pin", "tidy", "--unpin", data_dir=data).returncode == 0
    diff = invoke_cli("diff", "tidy", "v1", data_dir=data)
    assert diff.stdout.startswith("old #") and f"new #{current}" in diff.stdout


@pytest.mark.slow
def test_the_report_names_its_snapshot(tmp_path, repo):
    with Workbench(tmp_path / "data") as wb:
        head = wb.map(str(repo), name="tidy")
        wb.map("tidy", ref="v1", exclude=["tests/"])
        result = wb.report("tidy")
    html = Path(result.html).read_text()
    assert f"snapshot #{head.id} · main @ {head.commit[:12]}" in html
