"""Cron expressions are validated with a clear error; missed occurrences follow the policy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from workbench.batch.schedules import MAX_CATCH_UP, ON_TIME, plan, validate_cron
from workbench.errors import InvalidParameters, InvalidSchedule, ScheduleExists, ScheduleNotFound


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("expr, message", [
    ("61 * * * *", "out of range"),
    ("0 3 * *", "has 4 fields; it needs 5"),
    ("0 3 * * * 10", "has 6 fields; it needs 5"),
    ("", "has 0 fields"),
    ("every day", "has 2 fields"),
    ("a b c d e", "invalid cron expression"),
    ("0 0 30 2 *", "invalid cron expression"),  # never happens
    ("@sometimes", "unknown cron alias"),
])
def test_bad_cron_expressions_are_refused_clearly(expr, message):
    with pytest.raises(InvalidSchedule) as err:
        validate_cron(expr)
    assert message in str(err.value)
    if "alias" not in message:
        assert "e.g. '0 3 * * *'" in str(err.value)


def test_good_cron_expressions_are_normalised():
    assert validate_cron("  0  3 * *   1-5 ") == "0 3 * * 1-5"
    assert validate_cron("@Daily") == "@daily"
    assert validate_cron("*/5 * * * *") == "*/5 * * * *"


def test_nothing_due_before_next_due():
    assert plan("0 3 * * *", t("2026-01-02 03:00"), t("2026-01-02 02:59"), "latest") == (
        [], t("2026-01-02 03:00"))


@pytest.mark.parametrize("policy", ["latest", "skip", "all"])
def test_an_occurrence_found_on_time_runs_once_under_every_policy(policy):
    runs, following = plan("0 3 * * *", t("2026-01-02 03:00"), t("2026-01-02 03:04"), policy)
    assert runs == [t("2026-01-02 03:00")] and following == t("2026-01-03 03:00")


def test_latest_runs_once_for_many_missed_and_continues_from_now():
    runs, following = plan("0 3 * * *", t("2026-01-02 03:00"), t("2026-01-06 12:00"), "latest")
    assert runs == [t("2026-01-06 03:00")] and following == t("2026-01-07 03:00")


def test_skip_runs_nothing_for_missed_occurrences():
    runs, following = plan("0 3 * * *", t("2026-01-02 03:00"), t("2026-01-06 12:00"), "skip")
    assert runs == [] and following == t("2026-01-07 03:00")
    # a single occurrence found later than ON_TIME is missed as well
    late = t("2026-01-02 03:00") + ON_TIME + timedelta(seconds=1)
    assert plan("0 3 * * *", t("2026-01-02 03:00"), late, "skip")[0] == []


def test_all_runs_each_missed_occurrence_oldest_first():
    runs, following = plan("0 3 * * *", t("2026-01-02 03:00"), t("2026-01-04 12:00"), "all")
    assert runs == [t("2026-01-02 03:00"), t("2026-01-03 03:00"), t("2026-01-04 03:00")]
    assert following == t("2026-01-05 03:00")


def test_all_is_bounded_to_the_newest_ten():
    runs, following = plan("0 * * * *", t("2026-01-01 00:00"), t("2026-01-03 00:30"), "all")
    assert len(runs) == MAX_CATCH_UP == 10
    assert runs[0] == t("2026-01-02 15:00") and runs[-1] == t("2026-01-03 00:00")
    assert following == t("2026-01-03 01:00")


def test_add_schedule_validates_everything_and_stores_nothing_when_bad(wb, tiny):
    with pytest.raises(InvalidSchedule, match="has 4 fields"):
        wb.batch.add_schedule("nightly", tiny, "0 3 * *")
    with pytest.raises(InvalidSchedule, match="catch-up policy 'some'"):
        wb.batch.add_schedule("nightly", tiny, "0 3 * * *", catch_up="some")
    with pytest.raises(InvalidSchedule, match="invalid schedule name"):
        wb.batch.add_schedule("bad name", tiny, "0 3 * * *")
    with pytest.raises(InvalidParameters):
        wb.batch.add_schedule("nightly", tiny, "0 3 * * *", {"a b": 1})
    assert wb.batch.schedules() == []


def test_add_list_remove(wb, tiny):
    s = wb.batch.add_schedule("nightly", tiny, "0 3 * * *", {"name": "x"},
                              now=t("2026-03-01 04:00"))
    assert s.next_due == t("2026-03-02 03:00") and s.catch_up == "latest" and s.enabled
    assert s.parameters == {"name": "x", "data_dir": str(wb.data_dir)}
    assert s.notebook == str(tiny.resolve())
    with pytest.raises(ScheduleExists, match="already exists"):
        wb.batch.add_schedule("nightly", tiny, "@hourly")
    wb.batch.add_schedule("hourly", tiny, "@hourly", catch_up="skip")
    assert [x.name for x in wb.batch.schedules()] == ["hourly", "nightly"]
    wb.batch.remove_schedule("nightly")
    with pytest.raises(ScheduleNotFound, match="Known schedules: hourly"):
        wb.batch.remove_schedule("nightly")
    assert wb.batch.run_due(t("2026-03-01 05:00")) == []  # nothing due yet: nothing ran
