"""Schedules: notebooks run by cron expression (UTC), each due occurrence exactly once.

Any number of schedulers may run at once (``workbench scheduler`` processes, cron calling
``workbench schedule run-due``, threads): a due schedule is *claimed* before it runs, in one
transaction that moves its ``next_due`` on only if it still holds the value the claimant read
(see :meth:`SchedulesTable.claim`). Whoever loses the claim skips the schedule.

Occurrences missed while no scheduler ran are handled by the schedule's catch-up policy:

``latest`` (default)
    run once, for the newest missed occurrence, then continue from now;
``skip``
    run nothing for missed occurrences; only an occurrence that is on time (at most
    ``ON_TIME`` late) runs;
``all``
    run every missed occurrence, oldest first, at most ``MAX_CATCH_UP`` (the newest ones).
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from croniter import CroniterError, croniter

from ..errors import BatchError, InvalidSchedule, WorkbenchError
from ..store import Store
from .records import CatchUp, RunInfo, ScheduleInfo
from .runs import BatchRuns, runner_id

log = logging.getLogger("workbench.batch")

#: The most missed occurrences the ``all`` policy runs at once.
MAX_CATCH_UP = 10
#: How late an occurrence may be found and still count as on time (``skip`` policy).
ON_TIME = timedelta(minutes=10)

_ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def utc(value: datetime | None = None) -> datetime:
    """``value`` as an aware UTC time (naive values are taken as UTC); now when ``None``."""
    if value is None:
        return datetime.now(timezone.utc)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def validate_cron(expression: str) -> str:
    """A normalised 5-field cron expression (or ``@daily`` ...), or :class:`InvalidSchedule`."""
    expr = " ".join(str(expression).split())
    example = "e.g. '0 3 * * *' for 03:00 UTC every day"
    if expr.startswith("@"):
        if expr.lower() not in _ALIASES:
            raise InvalidSchedule(
                f"unknown cron alias {expr!r}; known: {', '.join(sorted(_ALIASES))}", cron=expr)
        expr = expr.lower()
    elif len(expr.split()) != 5:
        raise InvalidSchedule(
            f"cron expression {expr!r} has {len(expr.split())} fields; it needs 5 (minute hour "
            f"day-of-month month day-of-week), {example}", cron=expr)
    try:
        croniter(expr, datetime.now(timezone.utc)).get_next(datetime)
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidSchedule(f"invalid cron expression {expr!r}: {exc}; {example}",
                              cron=expr) from None
    return expr


def validate_catch_up(policy: str | CatchUp) -> str:
    value = policy.value if isinstance(policy, CatchUp) else str(policy)
    if value not in {p.value for p in CatchUp}:
        raise InvalidSchedule(f"unknown catch-up policy {value!r}; use latest, skip or all",
                              catch_up=value)
    return value


def validate_schedule_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidSchedule(
            f"invalid schedule name {name!r}: use up to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit", schedule=str(name))
    return name


def next_after(expr: str, moment: datetime) -> datetime:
    """The first occurrence strictly after ``moment``."""
    return utc(croniter(expr, utc(moment)).get_next(datetime))


def latest_at_or_before(expr: str, moment: datetime) -> datetime:
    """The newest occurrence at or before ``moment``."""
    return utc(croniter(expr, utc(moment) + timedelta(microseconds=1)).get_prev(datetime))


def plan(expr: str, next_due: datetime, now: datetime, policy: str
         ) -> tuple[list[datetime], datetime]:
    """For a schedule due at ``next_due``, the occurrences to run at ``now`` and the new next_due."""
    now, next_due = utc(now), utc(next_due)
    following = next_after(expr, now)
    if next_due > now:
        return [], next_due
    latest = max(latest_at_or_before(expr, now), next_due)
    if policy == CatchUp.SKIP.value:
        return ([latest] if now - latest <= ON_TIME else []), following
    if policy == CatchUp.ALL.value:
        missed = [latest]
        it = croniter(expr, latest)
        while len(missed) < MAX_CATCH_UP:
            previous = utc(it.get_prev(datetime))
            if previous < next_due:
                break
            missed.append(previous)
        return sorted(missed), following
    return [latest], following


class Schedules:
    """Add, list and remove schedules; run what is due; or keep running as a scheduler."""

    def __init__(self, store: Store, runs: BatchRuns) -> None:
        self.store = store
        self.runs = runs

    def add(self, name: str, notebook: str | Path, cron: str,
            parameters: Mapping[str, Any] | None = None, catch_up: str | CatchUp = "latest",
            *, now: datetime | None = None) -> ScheduleInfo:
        """Register a schedule; its first run is the first occurrence after ``now``."""
        name = validate_schedule_name(name)
        expr = validate_cron(cron)
        policy = validate_catch_up(catch_up)
        nb, params = self.runs.prepare(notebook, parameters)
        row = self.store.schedules.add(name, str(nb), params, expr, policy,
                                       next_after(expr, utc(now)))
        return ScheduleInfo.from_row(row)

    def list(self) -> list[ScheduleInfo]:
        return [ScheduleInfo.from_row(r) for r in self.store.schedules.list()]

    def get(self, name: str) -> ScheduleInfo:
        return ScheduleInfo.from_row(self.store.schedules.get(name))

    def remove(self, name: str) -> None:
        self.store.schedules.remove(name)

    def next_due(self) -> datetime | None:
        value = self.store.schedules.next_due()
        return utc(value) if value is not None else None

    def run_due(self, now: datetime | None = None, *, stop: threading.Event | None = None
                ) -> list[RunInfo]:
        """Claim and run every schedule due at ``now``; return the runs this caller executed."""
        now = utc(now)
        executed: list[RunInfo] = []
        for row in self.store.schedules.due(now):
            if stop is not None and stop.is_set():
                break
            schedule = ScheduleInfo.from_row(row)
            occurrences, following = plan(schedule.cron, schedule.next_due, now, schedule.catch_up)
            notebook = Path(schedule.notebook)

            def queue(cur, schedule=schedule, occurrences=occurrences):
                return [self.store.runs.create(schedule.notebook, schedule.parameters,
                                               schedule_id=schedule.id, scheduled_for=when, cur=cur)
                        for when in occurrences]

            run_ids = self.store.schedules.claim(schedule.id, schedule.next_due, following,
                                                 runner_id(), queue)
            if run_ids is None:
                log.debug("schedule %s was claimed by another scheduler", schedule.name)
                continue
            if not run_ids:
                log.info("schedule %s: missed occurrences skipped; next at %s", schedule.name,
                         following.isoformat())
            for i, run_id in enumerate(run_ids):
                if stop is not None and stop.is_set():
                    for left in run_ids[i:]:
                        self.runs.cancel(left, "cancelled: the scheduler stopped before it ran")
                    break
                log.info("schedule %s: run #%d of %s", schedule.name, run_id, notebook.name)
                try:
                    run = self.runs.execute(run_id, notebook, schedule.parameters)
                except BaseException:  # interrupted: the claimed runs after it will not run
                    for left in run_ids[i + 1:]:
                        self.runs.cancel(left, "cancelled: the scheduler was interrupted")
                    raise
                log.info("schedule %s: run #%d %s in %.1f s%s", schedule.name, run.id, run.status,
                         run.duration_seconds or 0.0,
                         f" (cell {run.error_cell}: {run.error})" if run.error else "")
                executed.append(run)
        return executed

    def run_forever(self, poll_seconds: float = 30.0, stop_event: threading.Event | None = None,
                    *, handle_signals: bool = True) -> None:
        """Run due schedules until ``stop_event`` is set (or SIGTERM/SIGINT arrives).

        Between rounds it sleeps until the next due time, at most ``poll_seconds`` (schedules
        added by other processes are seen within one poll). The first SIGTERM or SIGINT lets the
        current run finish and stops; a second one interrupts the run (recorded as failed).
        """
        if poll_seconds <= 0:
            raise BatchError(f"poll interval must be > 0 seconds, got {poll_seconds}")
        stop = stop_event if stop_event is not None else threading.Event()
        previous: dict[int, Any] = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            def on_signal(signum, frame):
                if stop.is_set():
                    raise KeyboardInterrupt
                log.info("%s received; stopping after the current run (send again to interrupt)",
                         signal.Signals(signum).name)
                stop.set()

            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, on_signal)
        log.info("scheduler started (poll every %g s)", poll_seconds)
        try:
            while not stop.is_set():
                wait = poll_seconds
                try:
                    self.run_due(stop=stop)
                    upcoming = self.next_due()
                    if upcoming is not None:
                        wait = min(poll_seconds, (upcoming - utc()).total_seconds())
                except WorkbenchError as exc:  # e.g. the database is busy: try again next round
                    log.warning("scheduler round failed: %s", exc)
                except Exception:  # noqa: BLE001 - a long-running service logs and carries on
                    log.exception("scheduler round failed unexpectedly; retrying in %g s",
                                  poll_seconds)
                stop.wait(max(wait, 0.2))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("scheduler stopped")
