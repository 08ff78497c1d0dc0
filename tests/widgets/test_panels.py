"""Panels on a real workbench: jobs fill progress bars, buttons call the facade, the map drills."""

from __future__ import annotations

import shutil
import time

import pandas as pd
import pytest

from tests.widgets.conftest import build_repo
from workbench.widgets import (HISTORY_VIEWS, HistoryPanel, JobMonitor, MapView, Panel,
                               ProjectPanel, QueryPanel, Session, StatusDashboard, WorkbenchApp,
                               panel_names, register_panel)
from workbench.widgets import app as app_module


def test_a_map_job_fills_its_progress_bar_from_the_job_thread(wb, shop_repo):
    session = Session(wb)
    monitor = JobMonitor(session)
    seen: list[tuple[float, str]] = []
    handle = session.start_map(str(shop_repo), name="shop")
    row = monitor.rows[handle.id]
    row.bar.observe(lambda c: seen.append((c["new"], row.status.value)), "value")
    row.status.observe(lambda c: seen.append((row.bar.value, c["new"])), "value")
    handle.result(60)
    session.wait(60)
    assert row.status.value == "succeeded" and row.bar.value == 1.0
    assert row.percent.value == "100%" and row.bar.bar_style == "success"
    assert seen and seen[-1] == (1.0, "succeeded")
    assert session.project == "shop" and session.snapshot() is not None  # opened when done
    assert "#%d map shop" % handle.id in monitor.to_html()


def test_a_failed_job_shows_its_error_and_retry_maps_again(wb, tmp_path):
    repo = build_repo(tmp_path / "gone")
    wb.add_project("gone", str(repo))
    shutil.rmtree(repo)
    session = Session(wb)
    monitor = JobMonitor(session)
    handle = session.start_map("gone")
    session.wait(60)
    row = monitor.rows[handle.id]
    assert row.status.value == "failed" and row.bar.bar_style == "danger"
    assert row.error.value and row.retry_button.layout.display != "none"
    build_repo(repo)
    row.retry_button.click()
    retried = max(session.handles)
    assert retried != handle.id
    session.wait(60)
    assert monitor.rows[retried].status.value == "succeeded"
    assert wb.projects()[0].status == "mapped"


def test_project_panel_buttons_call_the_facade(wb, shop_repo):
    panel = ProjectPanel(wb)
    panel.source.value = "-oProxyCommand=x"
    panel.add_button.click()
    assert "error" in panel.message.value and wb.projects() == []
    panel.source.value, panel.name.value = str(shop_repo), "shop"
    panel.add_button.click()
    assert [p.name for p in wb.projects()] == ["shop"]
    row = panel.rows["shop"]
    assert row.map_button.description == "map" and row.open_button.disabled
    row.map_button.click()
    panel.session.wait(60)
    deadline = time.monotonic() + 10
    while panel.rows["shop"].map_button.description != "re-map" and time.monotonic() < deadline:
        time.sleep(0.05)
    row = panel.rows["shop"]
    assert row.status.value == "mapped" and row.commit.value
    panel.session.project = None
    row.open_button.click()
    assert panel.session.project == "shop"
    assert "shop" in panel._repr_mimebundle_()["text/html"]


def test_a_re_map_says_it_was_derived_from_the_last_map(wb, shop_repo):
    from tests.helpers import commit, write

    panel = ProjectPanel(wb)
    panel.source.value, panel.name.value = str(shop_repo), "shop"
    panel.add_map_button.click()
    panel.session.wait(60)
    write(shop_repo, {"src/shop/util/money.py": "def fmt(x):\n    return f'{x:.3f}'\n"})
    commit(shop_repo, "three decimals", "2026-02-01T10:00:00+00:00")
    panel.rows["shop"].map_button.click()
    panel.session.wait(60)
    deadline = time.monotonic() + 10
    while "derived" not in panel.message.value and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "derived from snapshot #1" in panel.message.value, panel.message.value
    assert "Python modules linked again" in panel.message.value


def test_add_and_map_registers_and_maps_in_one_click(wb, shop_repo):
    panel = ProjectPanel(wb)
    panel.source.value = str(shop_repo)
    panel.add_map_button.click()
    panel.session.wait(60)
    assert wb.projects()[0].last_snapshot_id is not None


def test_map_view_collapses_drills_and_shows_details(mapped):
    view = MapView(mapped, project="shop")
    top_ids = [n["id"] for n in view.canvas.nodes]
    assert "shop.util" in top_ids and "shop.models" in top_ids
    assert "shop.util.money" not in top_ids  # collapsed into shop.util
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 and n["r"] > 0 for n in view.canvas.nodes)
    view.select("shop.util")
    assert "(group)" in view.details.value and "shop.util.money" in view.details.value
    view._on_msg(view.canvas, {"event": "open", "id": "shop.util"}, [])  # a double-click
    assert [n["id"] for n in view.canvas.nodes] == ["shop.util", "shop.util.money"]
    view.drill("shop.util.money")
    ids = [n["id"] for n in view.canvas.nodes]
    assert "shop.util.money:fmt" in ids and view.view.kind == "definitions"
    view.select("shop.util.money:fmt")
    details = view.details.value
    assert "src/shop/util/money.py" in details and "def fmt(x):" in details
    assert view.session.selected == "shop.util.money:fmt"
    view.up()
    assert [n["id"] for n in view.canvas.nodes] == ["shop.util", "shop.util.money"]
    view.top_button.click()
    assert [n["id"] for n in view.canvas.nodes] == top_ids
    colours = [n["color"] for n in view.canvas.nodes]
    view.colour_by.value = "kind"
    assert [n["color"] for n in view.canvas.nodes] != colours
    assert "<svg" in view._repr_mimebundle_()["text/html"]


def test_queries_are_tables_and_marked_on_the_map(mapped):
    session = Session(mapped, project="shop")
    view = MapView(session)
    panel = QueryPanel(session)
    impact = panel.run("impact", "shop.models")
    assert "shop.service" in impact["node"].tolist()
    assert "shop.service" in view.canvas.highlight and "shop.models" in view.canvas.highlight
    assert "shop.service" in panel.output.value
    related = panel.run("related", "shop.service", depth=1, direction="out")
    assert set(related["direction"]) == {"out"}
    paths = panel.run("paths", "shop.util.money", target="shop.models")
    assert paths["path"].iloc[0][0] == "shop.util.money" and paths["path"].iloc[0][-1] == "shop.models"
    cycles = panel.run("cycles", "")
    assert len(cycles) == 1 and set(cycles["members"].iloc[0]) == {"shop.service", "shop.util.money"}
    view.select("shop.models")  # a click on the map fills the query form
    assert panel.node.value == "shop.models"
    panel.node.value = "no.such.thing"
    panel.query.value = "impact"
    panel.run_button.click()
    assert "error" in panel.message.value


def test_history_panel_views(mapped):
    panel = HistoryPanel(mapped, project="shop")
    for name in HISTORY_VIEWS:
        frame = panel.show(name)
        assert isinstance(frame, pd.DataFrame), name
    assert panel.show("hotspots")["path"].iloc[0] in {"src/shop/models.py", "src/shop/service.py"}
    pairs = panel.show("co-change")
    assert {"shop.models", "shop.service"} <= set(pairs["a"]) | set(pairs["b"])
    assert "Ada" in panel.show("ownership").to_string()
    map_view = MapView(panel.session)
    panel.show("hotspots")
    assert map_view.canvas.highlight  # hot files are marked on a map of the same session
    with pytest.raises(ValueError, match="choose one of"):
        panel.show("nope")


def test_status_dashboard_and_the_app(mapped):
    dash = StatusDashboard(mapped)
    assert "shop" in dash.output.value and "mapped" in dash.output.value
    app = WorkbenchApp(mapped, project="shop")
    assert list(app.panels) == panel_names()[: len(app.panels)]
    assert app["map"].view is not None
    assert app.show("history") is app["history"] and app.tabs.selected_index == 4
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "Status" in bundle["text/html"]


def test_new_panels_plug_into_the_app(mapped):
    class Hello(Panel):
        title = "Hello"

        def to_html(self) -> str:
            return f"<p>hello {self.session.project}</p>"

    register_panel("hello", Hello)
    try:
        app = WorkbenchApp(mapped, project="shop", panels=["map", "hello"])
        assert "hello shop" in app.to_html()
        with pytest.raises(ValueError, match="already registered"):
            register_panel("hello", Hello)
        with pytest.raises(KeyError, match="known panels: projects"):
            WorkbenchApp(mapped, panels=["nope"])
    finally:
        app_module._PANELS.pop("hello", None)


def test_the_widget_package_exports_what_it_names():
    import workbench.widgets as w

    for name in w.__all__:
        assert getattr(w, name) is not None, name
    panels = {n for n in dir(w) if isinstance(getattr(w, n), type) and issubclass(getattr(w, n), Panel)}
    assert panels <= set(w.__all__)
