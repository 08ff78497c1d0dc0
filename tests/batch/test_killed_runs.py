"""A batch run whose process is killed is recovered as ``interrupted``, like a map."""

from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta, timezone

import subprocess
import sys

from tests.helpers import ROOT, run_cli, wait_until
from workbench import Workbench




def _running(data_dir):
    wb = Workbench(data_dir, recover=False)
    try:
        return [r for r in wb.batch.runs() if r.status == "running"]
    finally:
        wb.close()


def test_a_killed_batch_run_is_interrupted_and_shown(data_dir, sleepy):
    Workbench(data_dir).close()  # the database exists before the run starts
    # its own process group, so the notebook kernel it started can be cleaned up afterwards
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "--data-dir", str(data_dir), "batch", "run",
         str(sleepy), "-p", "seconds", "600"], cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        (run,) = wait_until(lambda: _running(data_dir), "the run to start", interval=0.2)
        os.kill(proc.pid, signal.SIGKILL)  # the runner alone, as the OOM killer would
        proc.wait(timeout=60)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the orphaned kernel too
        except ProcessLookupError:
            pass
        proc.wait(timeout=60)
    wb = Workbench(data_dir)
    try:
        assert wb.interrupted_runs == [run.id]
        after = wb.batch.get_run(run.id)
        assert after.status == "interrupted" and "process ended" in after.error
        assert after.output_html is None  # never written, so not listed
        assert after.output_ipynb is None or after.output_ipynb.stat().st_size > 0
        assert [r.id for r in wb.status()["interrupted_runs"]] == [run.id]
    finally:
        wb.close()
    listed = run_cli("batch", "list", data_dir=data_dir)
    assert listed.returncode == 0 and "interrupted" in listed.stdout
    assert ".html" not in listed.stdout
    status = run_cli("status", data_dir=data_dir)
    assert status.returncode == 0 and f"#{run.id}" in status.stdout.split("interrupted batch runs:")[1]


def test_a_run_of_another_host_is_interrupted_only_when_its_heartbeat_is_stale(data_dir, tiny):
    wb = Workbench(data_dir)
    old = datetime.now(timezone.utc) - timedelta(minutes=10)
    ids = []
    for beat in (old, datetime.now(timezone.utc)):
        run_id = wb.store.runs.create(str(tiny), {})
        wb.store.db.write(lambda cur, run_id=run_id, beat=beat: cur.execute(
            "UPDATE runs SET status = 'running', started_at = ?, heartbeat_at = ?,"
            " hostname = 'elsewhere.example', pid = 1, process_started = 1 WHERE id = ?",
            [beat, beat, run_id]))
        ids.append(run_id)
    wb.close()
    again = Workbench(data_dir)
    try:
        assert again.interrupted_runs == [ids[0]]
        assert [again.batch.get_run(i).status for i in ids] == ["interrupted", "running"]
    finally:
        again.close()
