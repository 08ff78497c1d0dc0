"""The batch, schedule and scheduler commands, run as real child processes."""

from __future__ import annotations

import re

import pytest

from tests.batch.conftest import write_notebook
from tests.helpers import invoke_cli, run_cli

pytestmark = pytest.mark.slow


def _one_error_line(out, message):
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], out.stderr


def test_batch_run_and_list(tmp_path, tiny):
    data = tmp_path / "data"
    out = run_cli("batch", "run", str(tiny), "-p", "name", "cli", "-p", "count", "2",
                  data_dir=data)
    assert out.returncode == 0, out.stderr
    assert re.match(r"run #1 succeeded in [\d.]+ s", out.stdout)
    html = out.stdout.strip().splitlines()[-1].split()[-1]
    assert html.endswith("-tiny.html") and (data / "runs" / "tiny").is_dir()
    listing = run_cli("batch", "list", data_dir=data)
    assert re.search(r"^1\s+succeeded\s+.*tiny\.ipynb\s+\S+\.html$", listing.stdout, re.M), listing.stdout


def test_a_failing_batch_run_is_one_error_line_and_listed(tmp_path, failing):
    data = tmp_path / "data"
    out = run_cli("batch", "run", str(failing), data_dir=data)
    _one_error_line(out, "run #1 of failing.ipynb failed in cell 3: RuntimeError: broken cell")
    listing = run_cli("batch", "list", data_dir=data)
    assert "failed" in listing.stdout and "cell 3: RuntimeError: broken cell" in listing.stdout


@pytest.mark.parametrize("text, why", [
    ("not json\n", "it is not JSON"),
    ("{}", "it has no list of cells"),
    ('{"cells": [], "nbformat": 3}', "its format is 3, not 4"),
])
def test_a_file_that_is_no_notebook_is_refused_before_a_run_is_recorded(tmp_path, text, why):
    bad = tmp_path / "bad.ipynb"
    bad.write_text(text)
    data = tmp_path / "data"
    out = run_cli("batch", "run", str(bad), data_dir=data)
    _one_error_line(out, f"{bad} is not a Jupyter notebook: {why}")
    assert not (data / "runs").exists()  # no output name reserved
    assert run_cli("batch", "list", data_dir=data).stdout.startswith("no runs yet")


def test_what_the_kernel_process_writes_to_stderr_stays_off_the_commands(tmp_path):
    # the kernel's own stderr (teardown races with tracebacks, say) is not the user's output
    noisy = write_notebook(tmp_path / "nbs" / "noisy.ipynb",
                           "import sys\nprint('kernel noise', file=sys.__stderr__, flush=True)",
                           "raise RuntimeError('broken cell')")
    out = run_cli("batch", "run", str(noisy), data_dir=tmp_path / "data")
    _one_error_line(out, "run #1 of noisy.ipynb failed in cell 2: RuntimeError: broken cell")
    assert "kernel noise" not in out.stdout + out.stderr


@pytest.mark.parametrize("args, message", [
    (["batch", "run", "{nb}", "-p", "bad-name", "1"], "parameter name 'bad-name' is not a Python identifier"),
    (["batch", "run", "system_map_report", "-p", "projct", "shop"],
     "notebook system_map_report.ipynb has no parameter 'projct' (did you mean 'project'?); "
     "it accepts project, ref, data_dir"),
    (["schedule", "add", "n", "{nb}", "--cron", "0 3 * * *", "-p", "nme", "x"],
     "notebook tiny.ipynb has no parameter 'nme' (did you mean 'name'?); "
     "it accepts name, count, data_dir"),
    (["schedule", "add", "n", "{nb}", "--cron", "0 25 * * *"], "invalid cron expression '0 25 * * *'"),
    (["schedule", "add", "n", "{nb}", "--cron", "daily"], "has 1 fields; it needs 5"),
    (["schedule", "remove", "ghost"], "no schedule named 'ghost'"),
])
def test_user_errors_are_one_clear_line(tmp_path, tiny, args, message):
    data = tmp_path / "data"
    out = run_cli(*[a.replace("{nb}", str(tiny)) for a in args], data_dir=data)
    _one_error_line(out, message)
    assert run_cli("batch", "list", data_dir=data).stdout.startswith("no runs yet")
    assert not (data / "runs").exists()


@pytest.mark.parametrize("args, message", [
    (["batch", "run", "nowhere.ipynb"], "no notebook at nowhere.ipynb"),
    (["batch", "run", "nowhere"], "no notebook at nowhere"),
    (["schedule", "add", "n", "nowhere", "--cron", "0 3 * * *"], "no notebook at nowhere"),
    (["batch", "run", "{txt}"], "is not a notebook (.ipynb)"),
])
def test_a_notebook_that_is_not_there_is_a_usage_error(tmp_path, args, message):
    """As the README's exit codes say: a file given as input that is not there is exit 2,
    like a missing argument, and the line names the help to read."""
    data = tmp_path / "data"
    (tmp_path / "notes.txt").write_text("{}")
    out = run_cli(*[a.replace("{txt}", str(tmp_path / "notes.txt")) for a in args], data_dir=data)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    command = " ".join(["workbench", *args[:2]])
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], out.stderr
    assert lines[0].endswith(f"(see {command} --help)"), out.stderr
    assert run_cli("batch", "list", data_dir=data).stdout.startswith("no runs yet")
    assert "no schedules yet" in run_cli("schedule", "list", data_dir=data).stdout


def test_a_shipped_notebook_runs_with_its_declared_parameters_and_no_warning(tmp_path,
                                                                            sample_repo):
    """``ref`` (``Optional[str]``) and ``data_dir`` (filled in) are parameters papermill
    recognises: it warns about none of them."""
    data = tmp_path / "data"
    assert run_cli("map", str(sample_repo), "--name", "shop", data_dir=data).returncode == 0
    out = run_cli("batch", "run", "system_map_report", "-p", "project", "shop", "-p", "ref",
                  "null", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert re.match(r"run #1 succeeded in [\d.]+ s", out.stdout)
    assert "Passed unknown parameter" not in out.stdout + out.stderr


def test_schedule_add_list_run_due_remove(tmp_path, tiny):
    data = tmp_path / "data"
    out = run_cli("schedule", "add", "nightly", str(tiny), "--cron", "0 3 * * *",
                  "-p", "name", "n", "--catch-up", "skip", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert re.match(r"added schedule nightly \(0 3 \* \* \*, catch-up skip\); next run "
                    r"\d{4}-\d\d-\d\d 03:00:00 UTC", out.stdout)
    listing = invoke_cli("schedule", "list", data_dir=data).stdout
    assert re.search(r"^nightly\s+0 3 \* \* \*\s+skip\s+\S+ 03:00:00\s+-\s+tiny\.ipynb", listing, re.M)
    assert '"name": "n"' in listing
    due = invoke_cli("schedule", "run-due", data_dir=data)
    assert due.returncode == 0 and due.stdout.strip() == "nothing due"
    assert invoke_cli("schedule", "remove", "nightly", data_dir=data).stdout.strip() == "removed schedule nightly"
    assert invoke_cli("schedule", "list", data_dir=data).stdout.startswith("no schedules yet")
