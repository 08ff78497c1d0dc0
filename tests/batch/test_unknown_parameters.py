"""A parameter the notebook does not declare is refused before anything runs or is recorded.

Papermill itself only warns ("Passed unknown parameter") and runs the notebook on its defaults,
so ``-p projct shop`` would report on the default project and be recorded as a success.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.batch.conftest import write_notebook
from workbench.errors import InvalidParameters, UnknownParameter, WorkbenchError

LONG_AGO = datetime.now(timezone.utc) - timedelta(days=400)  # a yearly schedule is due now


def test_a_typo_names_the_notebook_the_closest_name_and_what_it_accepts(wb):
    with pytest.raises(UnknownParameter) as err:
        wb.batch.run("system_map_report", {"projct": "shop"})
    assert str(err.value) == ("notebook system_map_report.ipynb has no parameter 'projct' "
                              "(did you mean 'project'?); it accepts project, ref, data_dir")
    assert isinstance(err.value, InvalidParameters) and isinstance(err.value, WorkbenchError)
    assert err.value.unknown == ["projct"] and err.value.closest == {"projct": "project"}
    assert err.value.accepted == ["project", "ref", "data_dir"]
    assert wb.batch.runs() == [] and not (wb.data_dir / "runs").exists()


def test_every_unknown_name_is_named_and_nothing_is_queued_in_the_background(wb, tiny):
    with pytest.raises(UnknownParameter) as err:
        wb.batch.start(tiny, {"name": "ok", "cuont": 2, "zzz": 1})
    assert "has no parameters 'cuont' (did you mean 'count'?), 'zzz'; " \
           "it accepts name, count, data_dir" in str(err.value)
    assert wb.batch.runs() == [] and wb.recent_jobs() == []


def test_a_notebook_that_declares_nothing_accepts_nothing(wb, tmp_path):
    bare = write_notebook(tmp_path / "nbs" / "bare.ipynb", "# no parameters", "print(1)")
    with pytest.raises(UnknownParameter, match="it accepts none"):
        wb.batch.run(bare, {"project": "shop"})
    assert wb.batch.runs() == []


def test_a_schedule_with_an_unknown_parameter_is_refused_when_added(wb, tiny):
    with pytest.raises(UnknownParameter, match=r"'nme' \(did you mean 'name'\?\)"):
        wb.batch.add_schedule("nightly", tiny, "0 3 * * *", {"nme": "x"})
    assert wb.batch.schedules() == []


def test_a_schedule_whose_notebook_dropped_a_parameter_fails_without_running(wb, tmp_path):
    notebook = write_notebook(tmp_path / "nbs" / "renamed.ipynb", "name = 'x'", "print(name)")
    wb.batch.add_schedule("yearly", notebook, "@yearly", {"name": "due"}, now=LONG_AGO)
    write_notebook(notebook, "names = 'x'", "print(names)")  # edited after the schedule
    [run] = wb.batch.run_due()
    assert run.status == "failed" and run.output_ipynb is None and run.error_cell is None
    assert run.error == ("notebook renamed.ipynb has no parameter 'name' "
                         "(did you mean 'names'?); it accepts names")

