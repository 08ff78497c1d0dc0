"""Tag names survive: the ref as given is kept beside the commit, and trends, the changes panel
and its chart show tag, commit date and commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit, git, init_repo, run_cli, write
from workbench import InvalidRef, Workbench
from workbench.widgets import ChangesPanel, Session


@pytest.fixture
def tagged(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "tagged")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "X = 1\n"})
    commit(repo, "one", "2025-03-01T10:00:00+00:00")
    git(repo, "tag", "v1.0")
    write(repo, {"pkg/b.py": "from pkg import a\n"})
    commit(repo, "two", "2025-04-01T10:00:00+00:00")
    git(repo, "tag", "-a", "v2.0", "-m", "two")   # annotated
    git(repo, "tag", "release-2")                 # a second name of the same commit
    write(repo, {"pkg/c.py": "from pkg import b\n"})
    commit(repo, "three", "2025-05-01T10:00:00+00:00")
    return repo


def test_tags_survive_in_snapshots_trends_and_the_panel(tmp_path, tagged):
    with Workbench(tmp_path / "data") as wb:
        wb.add_project("tagged", str(tagged))
        early = wb.map("tagged", ref="v1.0")          # a tag mapped before the history
        snaps = wb.map_history("tagged", tags=True)
        assert [s.id for s in snaps][0] == early.id
        assert set(snaps[1].refs) == {"v2.0", "release-2"}  # both names of the commit
        both = ", ".join(snaps[1].refs)
        assert f"{both} @ " in snaps[1].describe()
        wb.map_history("tagged", every=1)             # the same commits by sha: labels stay
        assert early.refs[0] == "v1.0"
        head = wb.map("tagged")

        trend = wb.trend("tagged")
        assert trend["ref"].tolist()[:2] == ["v1.0", both]
        assert trend["label"].tolist() == ["v1.0", both, "main"]
        assert [f"{d:%Y-%m-%d}" for d in trend["committed_at"]] == [
            "2025-03-01", "2025-04-01", "2025-05-01"]
        assert trend["commit"].tolist()[-1] == head.commit[:12]
        timeline = wb.timeline("tagged")
        assert "v2.0" in timeline["ref"].iloc[1]

        panel = ChangesPanel(Session(wb, project="tagged"))
        frame = panel.trend()
        assert frame["label"].tolist() == ["v1.0", both, "main"]
        assert frame["committed_at"].iloc[0].startswith("2025-03-01")
        html = panel._trend_html()
        assert "<img" in html and "x-axis: the tag or branch of each commit, else its date" in html
        assert any("v2.0" in label for label, _ in panel.new.options)


def test_history_cli_prints_tags_and_dates(tmp_path, tagged):
    data = tmp_path / "data"
    assert run_cli("project", "add", "tagged", str(tagged), data_dir=data).returncode == 0
    out = run_cli("history", "tagged", "--tags", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "v1.0" in out.stdout and "release-2" in out.stdout and "2025-04-01" in out.stdout


def test_tags_of_a_repository_without_tags_say_so(tmp_path, tagged):
    for name in ("v1.0", "v2.0", "release-2"):
        git(tagged, "tag", "-d", name)
    with Workbench(tmp_path / "data") as wb:
        wb.add_project("tagged", str(tagged))
        with pytest.raises(InvalidRef, match="has no tags of commits, so --tags maps nothing"):
            wb.map_history("tagged", tags=True)
