"""The report notebook runs headless with papermill on a real kernel."""

from __future__ import annotations

import json
import logging
import re

import nbformat
import papermill as pm
import pytest

from tests.helpers import ROOT, run_cli
from workbench.batch.declared import declared_parameters
from workbench.batch.report import run_report
from workbench.errors import ReportError, UnknownParameter

pytestmark = pytest.mark.slow


def test_report_runs_and_writes_notebook_and_html(wb, sample_repo, caplog):
    wb.map(str(sample_repo), name="shop")
    with caplog.at_level(logging.WARNING):
        result = wb.report("shop")
    assert "Passed unknown parameter" not in caplog.text  # project, ref and data_dir are declared
    assert result.notebook.parent == wb.data_dir / "runs" / "shop"
    nb = nbformat.read(str(result.notebook), as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "shop.service -> shop.util.money -> shop.service" in outputs
    assert "image/png" in outputs  # the plot rendered
    assert "error" not in {o.get("output_type") for c in nb.cells for o in c.get("outputs", [])}
    assert "widgets" not in nb.metadata
    html = result.html.read_text()
    assert "<html" in html and "shop.models" in html


def test_report_of_an_unmapped_project_says_how_to_fix(wb, sample_repo):
    wb.add_project("shop", str(sample_repo))
    with pytest.raises(Exception) as err:
        wb.report("shop")
    assert "workbench map shop" in str(err.value)


def test_a_failing_notebook_names_the_cell(wb, sample_repo, tmp_path):
    wb.map(str(sample_repo), name="shop")
    bad = nbformat.v4.new_notebook()
    bad.cells = [nbformat.v4.new_code_cell("project = None", metadata={"tags": ["parameters"]}),
                 nbformat.v4.new_code_cell("x = 1"),
                 nbformat.v4.new_code_cell("raise RuntimeError('broken cell')")]
    bad.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "bad.ipynb"
    nbformat.write(bad, str(path))
    with pytest.raises(ReportError) as err:
        wb.report("shop", notebook=path)
    assert err.value.cell == 3 and "broken cell" in str(err.value)


def test_a_report_notebook_gets_only_what_it_declares(wb, tmp_path):
    own = tmp_path / "own.ipynb"
    own_nb = nbformat.v4.new_notebook()
    own_nb.cells = [nbformat.v4.new_code_cell("project = None", metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell("print(project)")]
    own_nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
    nbformat.write(own_nb, str(own))
    with pytest.raises(UnknownParameter, match="has no parameter 'ref'; it accepts project"):
        run_report(wb.data_dir, "shop", ref="v1", notebook=own)  # a ref it would ignore
    assert not (wb.data_dir / "runs").exists()  # refused before an output was reserved


def test_papermill_recognises_every_declared_parameter():
    """Papermill's own reading of a parameters cell does not understand ``"str | None"``
    annotations; it warns "Passed unknown parameter" about such a parameter on every run."""
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        inferred = pm.inspect_notebook(str(path))
        assert set(inferred) == set(declared_parameters(path)), path
    report = pm.inspect_notebook(str(ROOT / "notebooks" / "system_map_report.ipynb"))
    assert report["ref"]["inferred_type_name"] == "Optional[str]"  # the type stays visible


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell():
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        assert all(not c.get("outputs") and not c.get("execution_count") for c in nb.cells if c.cell_type == "code"), path
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), path


def test_report_from_the_cli(tmp_path, sample_repo):
    data = tmp_path / "data"
    assert run_cli("map", str(sample_repo), "--name", "shop", data_dir=data).returncode == 0
    out = run_cli("report", "shop", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "Passed unknown parameter" not in out.stdout + out.stderr
    html = out.stdout.strip().splitlines()[-1].split()[-1]
    assert html.endswith(".html") and (data / "runs" / "shop").is_dir()


def test_the_readme_lists_every_notebook_with_its_parameters():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| `([\w/]+\.ipynb)` \| ([^|]*) \|", readme, re.M)}
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        name = path.relative_to(ROOT / "notebooks").as_posix()
        assert name in rows, f"{name} is missing from the README's notebook table"
        listed = set(re.findall(r"`(\w+)`", rows[name]))
        assert listed == set(declared_parameters(path)), name


def test_a_notebook_run_before_make_demo_says_to_run_it(tmp_path):
    data = tmp_path / "data"
    with pytest.raises(pm.PapermillExecutionError) as caught:
        pm.execute_notebook(str(ROOT / "notebooks" / "search.ipynb"), str(tmp_path / "out.ipynb"),
                            parameters={"data_dir": str(data)}, kernel_name="python3",
                            progress_bar=False, cwd=str(ROOT / "notebooks"),
                            store_widget_state=False, execution_timeout=120)
    message = str(caught.value)
    assert "ProjectNotFound" in message and "make demo" in message
    assert "`project` parameter" in message and "workbench project add" not in message


def test_every_notebook_on_the_demo_project_checks_it_first():
    from workbench.faces import DEMO_PROJECT

    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        if f'project = "{DEMO_PROJECT}"' not in params.source:
            continue
        opening = next(c.source for c in nb.cells
                       if c.cell_type == "code" and "wb = Workbench(data_dir)" in c.source)
        after = opening.split("wb = Workbench(data_dir)\n", 1)[1]
        assert after.startswith("project = notebook_project(wb, project)"), path


def test_notebook_project_names_the_fix_for_the_demo_project(wb, sample_repo):
    from workbench.errors import ProjectNotFound
    from workbench.faces import notebook_project

    with pytest.raises(ProjectNotFound, match=r"Run `make demo` in the checkout first") as caught:
        notebook_project(wb, "workbench")
    assert "`-p project NAME`" in str(caught.value) and "Projects here" not in str(caught.value)
    assert notebook_project(wb, "elsewhere") == "elsewhere"  # the facade's own error follows
    wb.add_project("shop", str(sample_repo))
    with pytest.raises(ProjectNotFound, match="Projects here: shop; pass one as the `project`"):
        notebook_project(wb, "workbench")
    assert notebook_project(wb, "shop") == "shop"
