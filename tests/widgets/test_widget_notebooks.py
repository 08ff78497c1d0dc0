"""Every notebook runs headless with papermill on a real kernel against a small real repository."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from tests.helpers import ROOT
from tests.widgets.conftest import build_repo
from workbench import Workbench
from workbench.batch.report import run_notebook
from workbench.errors import ReportError

pytestmark = pytest.mark.slow

NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> dict:
    """One repository mapped once for all notebooks of this module."""
    tmp = tmp_path_factory.mktemp("notebooks")
    repo = build_repo(tmp / "shop")
    data = tmp / "data"
    with Workbench(data) as wb:
        wb.map(str(repo), name="shop")
    return {"repo": repo, "data": data, "tmp": tmp}


def execute(name: str, parameters: dict, out_dir: Path) -> nbformat.NotebookNode:
    out = out_dir / name.replace("/", "-")
    pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters,
                        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOKS),
                        store_widget_state=False, execution_timeout=120)
    return nbformat.read(str(out), as_version=4)


def outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


@pytest.mark.parametrize("name, extra, expect", [
    ("quickstart.ipynb", {"project": "shop"}, ["shop.util", "<svg", "Batch runs"]),
    ("system_map.ipynb", {"project": "shop"}, ["shop.util", "Map of shop"]),
    ("graph_queries.ipynb", {"project": "shop", "node": "shop.models", "history_every": 3},
     ["shop.util.money", "shop.service", "mapped commits (4)", "nodes added (", "import_cycles"]),
    ("history_and_hotspots.ipynb", {"project": "shop"}, ["src/shop/models.py", "image/png"]),
    ("reports/portfolio_report.ipynb", {}, ["shop", "image/png"]),
])
def test_notebook_runs_headless(shop, tmp_path, name, extra, expect):
    params = {"data_dir": str(shop["data"]), **extra}
    if name == "quickstart.ipynb":
        params["repository"] = str(shop["repo"])
    nb = execute(name, params, tmp_path)
    outs = outputs(nb)
    assert not [o for o in outs if o.output_type == "error"]
    text = json.dumps(outs)
    for needle in expect:
        assert needle in text, needle
    widgets = [o for o in outs if WIDGET_VIEW in o.get("data", {})]
    assert widgets, name  # every notebook here shows at least one panel
    assert all("text/html" in o["data"] for o in widgets)  # a fallback without a frontend
    assert "widgets" not in nb.metadata  # no widget state kept in the output


def test_quickstart_maps_a_new_repository_in_the_background(tmp_path):
    repo = build_repo(tmp_path / "fresh")
    data = tmp_path / "data"
    nb = execute("quickstart.ipynb", {"repository": str(repo), "data_dir": str(data)}, tmp_path)
    assert "Project fresh at" in json.dumps(outputs(nb))
    with Workbench(data) as wb:
        job = wb.recent_jobs(1)[0]
        assert job.type == "map" and job.status == "succeeded"


def test_a_raising_notebook_fails_naming_the_cell(shop, tmp_path):
    source = nbformat.read(str(NOTEBOOKS / "quickstart.ipynb"), as_version=4)
    failing = next(i for i, c in enumerate(source.cells, 1) if "session.start_map(" in c.source)
    with pytest.raises(ReportError) as err:
        run_notebook(NOTEBOOKS / "quickstart.ipynb", tmp_path / "runs",
                     {"repository": str(tmp_path / "missing"), "data_dir": str(shop["data"])},
                     timeout=120)
    assert err.value.cell == failing
    assert f"cell {failing} ('handle = session.start_map(" in str(err.value)
    assert "no repository at" in str(err.value)
