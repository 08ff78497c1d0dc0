"""Schedules run each due occurrence exactly once, in one process or several at once."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.batch.conftest import start_cli
from workbench import Workbench

pytestmark = pytest.mark.slow


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def long_ago() -> datetime:
    """A start from which a yearly schedule is due now and not again for months."""
    return datetime.now(timezone.utc) - timedelta(days=400)


def test_run_due_runs_each_due_schedule_once_with_its_policy(wb, tiny):
    wb.batch.add_schedule("latest", tiny, "0 3 * * *", {"name": "L"}, now=t("2026-01-01 12:00"))
    wb.batch.add_schedule("skip", tiny, "0 3 * * *", {"name": "S"}, catch_up="skip",
                          now=t("2026-01-01 12:00"))
    wb.batch.add_schedule("all", tiny, "0 3 * * *", {"name": "A"}, catch_up="all",
                          now=t("2026-01-01 12:00"))
    wb.batch.add_schedule("later", tiny, "0 3 * * *", now=t("2026-01-10 12:00"))

    runs = wb.batch.run_due(t("2026-01-04 12:00"))  # 2nd, 3rd and 4th at 03:00 were missed
    by_schedule = {s.name: s for s in wb.batch.schedules()}
    assert [(r.parameters["name"], r.scheduled_for) for r in runs] == [
        ("L", t("2026-01-04 03:00")),
        ("A", t("2026-01-02 03:00")), ("A", t("2026-01-03 03:00")), ("A", t("2026-01-04 03:00")),
    ]
    assert {r.status for r in runs} == {"succeeded"}
    assert all(r.schedule_id == by_schedule[{"L": "latest", "A": "all"}[r.parameters["name"]]].id
               for r in runs)
    assert {s.name: s.next_due for s in by_schedule.values()} == {
        "latest": t("2026-01-05 03:00"), "skip": t("2026-01-05 03:00"),
        "all": t("2026-01-05 03:00"), "later": t("2026-01-11 03:00")}
    assert by_schedule["latest"].last_run_id == runs[0].id
    assert by_schedule["all"].last_run_id == runs[-1].id and by_schedule["skip"].last_run_id is None
    assert wb.batch.run_due(t("2026-01-04 12:00")) == []  # nothing runs twice

    on_time = wb.batch.run_due(t("2026-01-05 03:01"))  # every policy runs an on-time occurrence
    assert sorted(r.parameters.get("name") for r in on_time) == ["A", "L", "S"]
    assert len(wb.batch.runs(50)) == 7
    assert [r.parameters["name"] for r in wb.batch.runs(schedule="skip")] == ["S"]


def test_a_failing_scheduled_run_is_recorded_and_the_schedule_moves_on(wb, failing):
    wb.batch.add_schedule("bad", failing, "@daily", now=t("2026-01-01 12:00"))
    [run] = wb.batch.run_due(t("2026-01-02 00:05"))
    assert run.status == "failed" and run.error_cell == 3 and "broken cell" in run.error
    assert wb.batch.schedule("bad").next_due == t("2026-01-03 00:00")


def test_concurrent_claims_in_threads_have_one_winner(wb, tiny):
    """Threads share the database: DuckDB reports a conflict, which means 'claimed already'."""
    s = wb.batch.add_schedule("once", tiny, "@hourly", now=t("2026-01-01 00:30"))
    store = wb.store
    barrier = threading.Barrier(8)
    results = []

    def claim():
        barrier.wait()
        results.append(store.schedules.claim(
            s.id, s.next_due, t("2026-01-01 02:00"), threading.current_thread().name,
            lambda cur: [store.runs.create(s.notebook, s.parameters, schedule_id=s.id, cur=cur)]))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    winners = [r for r in results if r is not None]
    assert len(results) == 8 and len(winners) == 1 and len(winners[0]) == 1
    assert [r.id for r in wb.batch.runs()] == winners[0]
    assert wb.batch.schedule("once").next_due == t("2026-01-01 02:00")


def _add_due(data_dir, tiny, names):
    wb = Workbench(data_dir)
    for name in names:
        wb.batch.add_schedule(name, tiny, "0 0 1 1 *", {"name": name}, now=long_ago())
    assert len(wb.store.schedules.due(datetime.now(timezone.utc))) == len(names)
    return wb


def test_two_run_due_processes_run_each_schedule_once(data_dir, tiny):
    wb = _add_due(data_dir, tiny, ["a", "b", "c"])
    procs = [start_cli("schedule", "run-due", data_dir=data_dir) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    runs = wb.batch.runs()
    assert sorted(r.parameters["name"] for r in runs) == ["a", "b", "c"]
    assert {r.status for r in runs} == {"succeeded"} and len({r.output_ipynb for r in runs}) == 3
    assert all(s.next_due > datetime.now(timezone.utc) for s in wb.batch.schedules())
    assert sum(o[0].count("succeeded") for o in outs) == 3


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_two_scheduler_processes_run_each_schedule_once_and_stop_on_sigterm(data_dir, tiny):
    wb = _add_due(data_dir, tiny, ["x", "y"])
    procs = [start_cli("scheduler", "--poll", "1", data_dir=data_dir) for _ in range(2)]
    try:
        assert _wait_for(lambda: [r.status for r in wb.batch.runs()] == ["succeeded"] * 2)
        time.sleep(2)  # both schedulers poll again: nothing more runs
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("scheduler stopped" in err for _, err in outs)
    assert "Traceback" not in "".join(err for _, err in outs)
    runs = wb.batch.runs()
    assert sorted(r.parameters["name"] for r in runs) == ["x", "y"]


def test_sigterm_lets_the_current_run_finish(data_dir, sleepy):
    wb = Workbench(data_dir)
    wb.batch.add_schedule("nap", sleepy, "0 0 1 1 *", {"seconds": 3}, now=long_ago())
    proc = start_cli("scheduler", "--poll", "1", data_dir=data_dir)
    try:
        assert _wait_for(lambda: [r.status for r in wb.batch.runs()] == ["running"])
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopping after the current run" in err and "scheduler stopped" in err
    [run] = wb.batch.runs()
    assert run.status == "succeeded" and run.output_html.is_file()


def test_run_forever_stops_when_the_event_is_set(wb, tiny):
    wb.batch.add_schedule("soon", tiny, "0 0 1 1 *", now=long_ago())
    stop = threading.Event()
    worker = threading.Thread(target=wb.batch.run_forever, kwargs={"poll_seconds": 0.5,
                                                                   "stop_event": stop})
    worker.start()
    assert _wait_for(lambda: [r.status for r in wb.batch.runs()] == ["succeeded"], 60)
    stop.set()
    worker.join(10)
    assert not worker.is_alive() and len(wb.batch.runs()) == 1


def test_a_second_sigterm_interrupts_the_run_and_records_it(data_dir, sleepy):
    wb = Workbench(data_dir)
    wb.batch.add_schedule("long-nap", sleepy, "0 0 1 1 *", {"seconds": 60}, now=long_ago())
    proc = start_cli("scheduler", "--poll", "1", data_dir=data_dir)
    try:
        assert _wait_for(lambda: [r.status for r in wb.batch.runs()] == ["running"])
        time.sleep(1.0)  # the kernel is executing the sleep
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "error: interrupted", err
    [run] = wb.batch.runs()
    assert run.status == "failed" and run.error == "interrupted" and run.duration_seconds < 30
