"""The batch panel with real papermill runs: the form runs notebooks in the background, runs and
schedules are listed, and every error is a message in the panel."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.batch.conftest import write_notebook
from workbench.widgets import BatchPanel, JobMonitor, Session, WorkbenchApp
from workbench.widgets.batch import file_link

pytestmark = pytest.mark.slow

LONG_AGO = datetime.now(timezone.utc) - timedelta(days=400)  # a yearly schedule is due now


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nbs" / "tiny.ipynb",
                          "name = 'world'\ncount = 1\ndata_dir = None",
                          "print('hello ' + name * count)")


@pytest.fixture
def failing(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nbs" / "failing.ipynb", "x = 1", "y = x + 1",
                          "raise RuntimeError('broken cell')")


def test_the_form_runs_a_notebook_in_the_background(wb, tiny):
    session = Session(wb)
    monitor = JobMonitor(session)
    panel = BatchPanel(session)
    assert "quickstart.ipynb" in panel.notebook.options  # the notebooks/ shelf
    assert "no runs yet" in panel.runs_output.value
    panel.notebook.value = str(tiny)  # rows for the declared parameters, defaults greyed
    assert [(r.name.value, r.value.placeholder) for r in panel.parameter_rows] == [
        ("name", "'world'"), ("count", "1"), ("data_dir", "None")]
    panel.parameter_rows[0].value.value = "ab"
    panel.parameter_rows[1].value.value = "2"  # JSON: the number 2
    panel.run_button.click()
    [job] = [j for j in session.handles]
    assert monitor.rows[job].label.value == f"#{job} batch tiny.ipynb"
    assert "started" in panel.message.value
    session.wait(120)
    assert monitor.rows[job].status.value == "succeeded"
    [run] = panel.runs
    assert run.ok and f"run #{run.id} of <b>tiny.ipynb</b> succeeded" in panel.message.value
    assert run.parameters == {"name": "ab", "count": 2, "data_dir": str(wb.data_dir)}
    assert "hello abab" in run.output_ipynb.read_text()
    html = panel._repr_mimebundle_()["text/html"]
    assert "recent runs (1)" in html and "tiny.ipynb" in html and "succeeded" in html
    assert str(run.output_html) in html and str(run.output_ipynb) in html
    assert json.dumps(run.parameters) in panel.runs_output.value.replace("&quot;", '"')


def test_a_failing_run_shows_its_cell_and_error_not_a_traceback(wb, failing):
    panel = BatchPanel(wb)
    panel.run(failing)
    panel.session.wait(120)
    message = panel.message.value
    assert "in cell 3: RuntimeError: broken cell" in message and "Traceback" not in message
    assert panel.runs[0].status == "failed"
    assert "cell 3: RuntimeError: broken cell" in panel.runs_output.value


def test_schedules_add_run_due_and_remove(wb, tiny):
    panel = BatchPanel(wb)
    panel.notebook.value = str(tiny)
    panel.parameter_rows[0].value.value = "nightly"
    panel.schedule_name.value, panel.cron.value = "nightly", "0 3 * * *"
    panel.add_schedule_button.click()
    assert "added schedule <b>nightly</b>" in panel.message.value
    [s] = panel.schedules
    assert s.parameters["name"] == "nightly" and s.cron == "0 3 * * *"
    assert "nightly" in panel.schedules_output.value and "next due" in panel.schedules_output.value
    assert panel.schedule_choice.options == ("nightly",)
    panel.add_schedule_button.click()
    assert "already exists" in panel.message.value

    wb.batch.add_schedule("yearly", tiny, "@yearly", {"name": "due"}, now=LONG_AGO)
    panel.run_due_button.click()
    panel.session.wait(120)
    assert panel.message.value.startswith("ran 1 due schedule runs")
    assert panel.runs[0].parameters["name"] == "due" and "yearly" in panel.runs_output.value
    panel.run_due_button.click()
    panel.session.wait(60)
    assert panel.message.value == "nothing was due"

    panel.schedule_choice.value = "nightly"
    panel.remove_button.click()
    assert [s.name for s in panel.schedules] == ["yearly"]
    assert "schedules (1)" in panel.to_html() and "nightly" not in panel.schedules_output.value


def test_errors_are_messages(wb, tiny, failing, tmp_path):
    panel = BatchPanel(wb)
    for notebook, fill, button, message in [
        ("", {}, panel.run_button, "choose a notebook"),
        (str(tmp_path / "nope.ipynb"), {}, panel.run_button, "no notebook at"),
        (str(tiny), {"nme": "x"}, panel.run_button, "it accepts name, count, data_dir"),
        (str(tiny), {"not ok": "1"}, panel.run_button, "not a Python identifier"),
        (str(tiny), {}, panel.add_schedule_button, "invalid schedule name"),
    ]:
        panel.notebook.value = notebook
        for name, value in fill.items():
            panel.add_parameter(name, value)
        button.click()
        assert message in panel.message.value, message
    panel.schedule_name.value, panel.cron.value = "bad", "every day"
    panel.parameter_rows = []
    panel.add_schedule_button.click()
    assert "cron expression 'every day' has 2 fields" in panel.message.value.replace("&#x27;", "'")
    assert panel.schedules == [] and panel.runs == []
    panel.remove_button.click()
    assert "choose a schedule" in panel.message.value
    wb.batch.add_schedule("broken", failing, "@yearly", now=LONG_AGO)
    panel.run_due()
    panel.session.wait(120)
    assert "1 of 1 runs failed" in panel.message.value and "broken cell" in panel.message.value


def test_output_links_and_the_app_tab(wb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "runs" / "a.html"
    assert file_link(out, "html") == (f'<a href="runs/a.html" target="_blank" title="{out}">'
                                      "html</a>")
    assert file_link(Path("/elsewhere/b.html"), "html") == "html <code>/elsewhere/b.html</code>"
    assert file_link(None, "html") == ""
    app = WorkbenchApp(wb)
    assert isinstance(app["batch"], BatchPanel) and "Batch runs" in app.to_html()
