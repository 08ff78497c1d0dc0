"""Batch runs in the background: checked and recorded first, executed as jobs of the runner."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import ROOT
from workbench.batch.service import BatchService
from workbench.errors import BatchError, InvalidParameters, NotebookNotFound, RunFailed

pytestmark = pytest.mark.slow


def test_start_records_the_run_then_executes_it_as_a_job(wb, tiny):
    seen = []
    handle = wb.batch.start(tiny, {"name": "bg"}, progress=lambda p: seen.append(p.status))
    run_id = handle.info().params["run_id"]
    assert wb.batch.get_run(run_id).status in ("queued", "running", "succeeded")
    assert handle.result(120) == {"run_id": run_id, "status": "succeeded"}
    run = wb.batch.get_run(run_id)
    assert run.ok and run.parameters == {"name": "bg", "data_dir": str(wb.data_dir)}
    assert run.output_html.is_file()
    job = wb.job(handle.id)
    assert job.type == "batch" and job.status == "succeeded" and seen[-1] == "succeeded"


def test_a_failing_background_run_fails_its_job_naming_the_cell(wb, failing):
    handle = wb.batch.start(failing)
    with pytest.raises(RunFailed, match="in cell 3: RuntimeError: broken cell"):
        handle.result(120)
    job = wb.job(handle.id)
    assert job.status == "failed" and "broken cell" in job.error
    run = wb.batch.get_run(handle.info().params["run_id"])
    assert run.status == "failed" and run.error_cell == 3


def test_bad_input_starts_nothing(wb, tiny, tmp_path):
    with pytest.raises(InvalidParameters):
        wb.batch.start(tiny, {"not ok": 1})
    with pytest.raises(NotebookNotFound):
        wb.batch.start(tmp_path / "nope.ipynb")
    assert wb.batch.runs() == [] and wb.recent_jobs() == []
    with pytest.raises(BatchError, match="job runner"):
        BatchService(wb.store, wb.data_dir).start(tiny)


def test_start_due_runs_the_due_schedules_in_a_job(wb, tiny, failing):
    long_ago = datetime.now(timezone.utc) - timedelta(days=400)
    wb.batch.add_schedule("yearly", tiny, "@yearly", {"name": "due"}, now=long_ago)
    handle = wb.batch.start_due()
    [run_id] = handle.result(120)["run_ids"]
    assert wb.batch.get_run(run_id).ok and wb.job(handle.id).type == "batch_due"
    assert wb.batch.start_due().result(60) == {"run_ids": []}  # nothing is due twice
    wb.batch.add_schedule("broken", failing, "@yearly", now=long_ago)
    with pytest.raises(BatchError, match="1 of 1 runs failed"):
        wb.batch.start_due().result(120)


def test_notebooks_and_their_declared_parameters(wb, tiny):
    shelf = wb.batch.notebooks()
    assert shelf["quickstart.ipynb"] == ROOT / "notebooks" / "quickstart.ipynb"
    assert shelf["reports/portfolio_report.ipynb"].is_file()
    assert wb.batch.parameters_of(tiny) == {"name": "'world'", "count": "1", "data_dir": "None"}
    assert "project" in wb.batch.parameters_of("graph_queries")
    with pytest.raises(NotebookNotFound):
        wb.batch.parameters_of("no_such_notebook")
