"""Readable maps from the model's side: tests, examples and docs are one group each at the top,
the layout fills both axes, and no two nodes sit on top of each other."""

from __future__ import annotations

import itertools
import math

import pytest

from tests.synthetic_repos import flask_like
from workbench.widgets.mapdata import MapModel


@pytest.fixture
def flask_map(wb, tmp_path):
    return wb.map(str(flask_like(tmp_path / "flask")), name="flasky")


def test_support_code_is_grouped_away_from_the_top(flask_map):
    model = MapModel(flask_map)
    top = model.view(model.top())
    ids = set(top.ids)
    assert {"tests", "examples", "docs", "flask.app", "flask.json"} <= ids
    assert not ids & {"flaskr", "js_example", "blueprintapp"}  # inside their groups
    assert len(ids) <= 30
    examples = model.drill(top.level, "examples")
    assert set(model.view(examples).ids) == {"flaskr", "js_example", "task_app"}
    flaskr = model.view(model.drill(examples, "flaskr"))
    assert "flaskr.auth" in flaskr.ids
    assert model.locate(top, "flaskr.auth") == "examples"
    assert model.locate(top, "flask.json.tag") == "flask.json"
    ranked = sorted(top.nodes, key=lambda n: -n["importance"])
    assert ranked[0]["importance"] > ranked[-1]["importance"]


def test_the_layout_fills_both_axes_and_keeps_nodes_apart(flask_map):
    model = MapModel(flask_map)
    view = model.view(model.top())
    xs, ys = [n["x"] for n in view.nodes], [n["y"] for n in view.nodes]
    assert min(xs) == 0 and max(xs) == 1 and min(ys) == 0 and max(ys) == 1
    gap = min(math.hypot(a["x"] - b["x"], a["y"] - b["y"])
              for a, b in itertools.combinations(view.nodes, 2))
    assert gap > 0.03
