"""The changes panel on a real repository: history mapped in the background, diffs, trends and
contracts, with errors shown as messages."""

from __future__ import annotations

import base64

import pytest

from tests.helpers import git
from workbench.contracts import NoSuchModule
from workbench.widgets import ChangesPanel, JobMonitor, MapView, QueryPanel, Session, WorkbenchApp

FORBIDDEN = '[[contracts]]\ntype = "forbidden"\nsource = "shop.util"\nforbidden = ["shop.service"]\n'
FORBIDDEN_INI = ("[importlinter]\nroot_package = shop\n\n[importlinter:contract:util]\nname = util\n"
                 "type = forbidden\nsource_modules =\n    shop.util\nforbidden_modules =\n    shop.service\n")


def test_history_maps_in_the_background_then_two_snapshots_compare(mapped):
    session = Session(mapped, project="shop")
    shown = session.snapshot_id
    monitor = JobMonitor(session)
    panel = ChangesPanel(session)
    assert len(panel.old.options) == 1 and "1 mapped commit" in panel.message.value
    panel.every.value = 3
    panel.map_button.click()
    [job] = panel.history_jobs
    assert monitor.rows[job].label.value == f"#{job} map_history shop"
    session.wait(60)
    assert monitor.rows[job].status.value == "succeeded" and monitor.rows[job].bar.value == 1.0
    assert "mapped 4 commits of <b>shop</b>" in panel.message.value
    assert session.snapshot_id == shown  # the other panels keep showing what they showed
    ids = [v for _, v in panel.old.options]
    assert len(ids) == 4 and ids[-1] == shown and "main" in panel.old.options[-1][0]
    assert (panel.old.value, panel.new.value) == (ids[-2], ids[-1])  # the two newest

    diff = panel.compare(ids[0], ids[-1])  # the first commit against the newest
    assert "shop.service" in diff.nodes_added["node"].tolist() and len(diff.cycles_new) == 1
    out = panel.diff_output.value
    assert f"nodes added ({len(diff.nodes_added)})" in out and "new cycles (1)" in out
    assert "shop.service, shop.util.money" in out  # cycle members
    assert f"{len(diff.edges_added)} edges added" in panel.message.value
    assert "shop.models" in session.highlight

    view, queries = MapView(session), QueryPanel(session)
    panel.pick.value = "shop.models"  # choosing a changed node selects it everywhere
    assert session.selected == "shop.models" and queries.node.value == "shop.models"
    assert view.canvas.selected == "shop.models"
    html = panel._repr_mimebundle_()["text/html"]
    assert "Changes · shop" in html and "mapped commits (4)" in html
    assert f"nodes added ({len(diff.nodes_added)})" in html and "shop.util.money" in html


def test_trend_and_contracts_say_when_violations_appeared(mapped, shop_repo):
    mapped.map_history("shop", every=1)
    commits = git(shop_repo, "rev-list", "--reverse", "HEAD").split()
    panel = ChangesPanel(mapped, project="shop")
    panel.trend_button.click()
    trend = panel.trend_frame
    assert len(trend) == len(commits) and trend["commit"].tolist() == [c[:12] for c in commits]
    assert trend["import_cycles"].tolist()[:2] == [0, 1] and "committed_at" in trend
    assert "import_cycles" in panel.trend_output.value
    chart = panel.trend_output.value.split('<img src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    assert base64.b64decode(chart)[:8] == b"\x89PNG\r\n\x1a\n"  # a real PNG, one chart per metric
    assert 'alt="metrics per mapped commit: files, modules' in panel.trend_output.value

    panel.contracts.value = FORBIDDEN
    panel.history.value = True
    panel.check_button.click()
    [row] = panel.violations.to_dict("records")
    assert (row["importer"], row["imported"], row["line"]) == ("shop.util.money", "shop.service", 1)
    assert row["import"] == "from ..service import checkout"
    assert row["first_commit"] == commits[1][:12]  # "models, service, util" brought it in
    assert "1 contract violation at #" in panel.message.value
    assert "from ..service import checkout" in panel.check_output.value
    html = panel.to_html()
    assert "violations (1)" in html and commits[1][:12] in html and "import_cycles" in html

    panel.new.value = panel.new.options[0][1]  # shop.util did not exist yet: a name must exist
    with pytest.raises(NoSuchModule, match="'shop.util' matches no module"):
        panel.check()
    panel.new.value = panel.new.options[-1][1]
    panel.check(FORBIDDEN_INI)  # import-linter's own configuration, pasted as it is
    assert panel.violations[["importer", "imported"]].values.tolist() == [["shop.util.money", "shop.service"]]
    assert "1 kept" not in panel.check_output.value and "0 kept, 1 not kept" in panel.check_output.value
    panel.check(FORBIDDEN)
    panel.pick.value = "shop.util.money"
    assert panel.session.selected == "shop.util.money"


def test_errors_are_shown_as_messages(mapped):
    panel = ChangesPanel(mapped, project="shop")
    for field, value, button, message in [
        (panel.contracts, "[[contracts]]\ntype = 'nope'", panel.check_button, "unknown contract type"),
        (panel.contracts, "# nothing here", panel.check_button, "no contracts in the text"),
        # shop has no contracts file of its own
        (panel.contracts, "", panel.check_button, "has no workbench-contracts.toml and no import-linter"),
        (panel.refs, "", panel.map_button, "say which commits"),
        (panel.refs, "-x", panel.map_button, "refused ref"),
    ]:
        field.value = value
        button.click()
        assert message in panel.message.value, message
    panel.refs.value = "no-such-tag"
    panel.map_button.click()
    panel.session.wait(60)
    assert "mapping the history of shop failed" in panel.message.value
    assert "no-such-tag" in panel.message.value and len(panel.old.options) == 1

    empty = ChangesPanel(mapped)
    empty.compare_button.click()
    assert "no project" in empty.message.value
    assert "no project yet" in empty.to_html()


def test_the_app_has_a_changes_tab_that_follows_the_project(mapped, shop_repo):
    app = WorkbenchApp(mapped)
    panel = app["changes"]
    assert isinstance(panel, ChangesPanel) and panel.old.options == ()
    app.session.open("shop")
    assert len(panel.old.options) == 1
    assert "Changes · shop" in app.to_html()
