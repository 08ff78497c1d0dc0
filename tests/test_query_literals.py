"""Plain query parameters written as typed literals give what DuckDB's binding gives.

The store writes None, bools, ints, floats, strings, datetimes, dates and lists of strings or
ints into the SQL as literals (DuckDB's client imports pandas to bind any parameter); a value
can never end its literal, and everything else is still bound.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import duckdb
import pytest

from workbench.store.database import Database, inline_parameters

HOSTILE = ["it's", "'); DROP TABLE t; --", "back\\slash\\'", "?", "$1", "-- not a comment",
           "/* nor this */", "line\nbreak\ttab", "ünïcødé ✓", "", "''''", '"quoted"']

VALUES = [None, True, False, 0, -7, 2**31, -(2**63), 2**63 - 1, 1.5, -0.0, 1e-300,
          *HOSTILE, datetime(2024, 1, 2, 3, 4, 5, 678901),
          datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
          datetime(2026, 11, 30, 2, 5, 12, 90447, tzinfo=timezone.utc), date(2024, 2, 29), ["a", "b'c", "?"], [1, 2, 3],
          [1, 2**40], ("x", "y")]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_literal_has_the_bound_value_and_type(value):
    con = duckdb.connect()
    sql = "SELECT ?, typeof(?), '?' AS q -- ?\n"
    inlined = inline_parameters(sql, [value, value])
    assert inlined is not None
    bound = con.execute(sql, [list(value) if isinstance(value, tuple) else value] * 2).fetchall()
    assert con.execute(inlined).fetchall() == bound


@pytest.mark.parametrize("params", [
    ["nul\0byte"], [float("nan")], [float("inf")], [2**64], [b"bytes"], [[]], [[1, "a"]],
    [{"a": 1}], [[True, 1]], [timedelta(1)]], ids=repr)
def test_values_without_a_plain_literal_are_left_to_binding(params):
    assert inline_parameters("SELECT ?", params) is None


@pytest.mark.parametrize("sql, params", [
    ("SELECT ?, ?", [1]), ("SELECT ?", [1, 2]), ("SELECT $1", [1]), ("SELECT 'open", [1]),
    ("SELECT 1 /* open", [1])])
def test_placeholders_that_do_not_match_are_left_to_binding(sql, params):
    assert inline_parameters(sql, params) is None


def test_placeholders_inside_strings_identifiers_and_comments_are_not_replaced():
    sql = "SELECT ? AS \"a?\", 'b?''?' /* ? */, ? -- ?"
    assert inline_parameters(sql, [1, "x"]) == (
        "SELECT 1 AS \"a?\", 'b?''?' /* ? */, 'x'::VARCHAR -- ?")


def test_hostile_strings_round_trip_through_the_store(tmp_path):
    db = Database(tmp_path / "wb.duckdb")
    db.write(lambda cur: cur.execute("CREATE TABLE t (s VARCHAR, n BIGINT)"))
    for i, text in enumerate(HOSTILE):
        db.write(lambda cur, text=text, i=i: cur.execute("INSERT INTO t VALUES (?, ?)", [text, i]))
    rows = db.query("SELECT s FROM t WHERE list_contains(?, s) ORDER BY n", [HOSTILE])
    assert [r[0] for r in rows] == HOSTILE
    assert db.query("SELECT count(*) FROM t WHERE s = ?", ["'); DROP TABLE t; --"]) == [(1,)]
    db.release()
