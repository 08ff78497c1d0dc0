"""Tables the command line prints: a missing value is one empty cell, however it is held."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pandas as pd
import pytest

from tests.helpers import invoke_cli
from workbench.text_tables import table_text

MISSING = re.compile(r"\b(None|NaN|nan|NaT)\b|<NA>")


@pytest.mark.parametrize("column", [
    ["ana", None],  # inferred as a string column
    pd.Series(["ana", None], dtype=object),  # an object column (the owner of one snapshot)
    ["ana", np.nan],  # the same column after a merge (another snapshot)
    pd.array(["ana", None], dtype="string"),
    pd.array([3, None], dtype="Int64"),
    pd.array([True, None], dtype="boolean"),
    [1.5, np.nan],
    [pd.Timestamp("2026-01-01"), pd.NaT],
    pd.array([pd.Timestamp("2026-01-01", tz="UTC"), pd.NaT]),
], ids=["none", "object-none", "nan", "string", "Int64", "boolean", "float", "time", "time-tz"])
def test_a_missing_value_is_an_empty_cell(column):
    frame = pd.DataFrame({"path": ["a.py", "b.py"], "current_owner": column})
    text = table_text(frame)
    assert not MISSING.search(text), text
    assert text.splitlines()[2].rstrip() == "b.py"
    assert list(frame["path"]) == ["a.py", "b.py"]  # the caller's frame is not changed


def test_query_hotspots_shows_no_missing_marker(tmp_path, sample_repo):
    data = tmp_path / "data"
    assert invoke_cli("map", str(sample_repo), "--name", "shop", "-q", data_dir=data).returncode == 0
    out = invoke_cli("query", "hotspots", "-p", "shop", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "current_owner" in out.stdout and not MISSING.search(out.stdout), out.stdout
    header, *rows = out.stdout.splitlines()[1:]
    at = header.split().index("lines")
    assert rows and all(row.split()[at].isdigit() for row in rows), out.stdout  # 11, not 11.0


def test_query_problems_lists_the_files_not_read_whole(tmp_path, sample_repo):
    data = tmp_path / "data"
    mapped = invoke_cli("map", str(sample_repo), "--name", "shop", data_dir=data)
    assert "skipped 2, parse problems 2" in mapped.stdout, mapped.stdout
    out = invoke_cli("query", "problems", "-p", "shop", data_dir=data)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].split() == ["path", "language", "status", "problem"]
    assert [line.split()[0] for line in lines[2:]] == [
        "src/shop/blob.py", "src/shop/passwd.py", "src/shop/broken.py", "src/shop/latin.py"]
    assert not MISSING.search(out.stdout), out.stdout


# -- one renderer for every table: aligned, fitted to the terminal, ids whole ------------------

from workbench.text_tables import table_lines, terminal_width  # noqa: E402


def test_a_wide_table_is_cut_to_the_width_with_an_ellipsis_keeping_ids_whole():
    rows = [["pkg.mod:a_rather_long_function_name", "function", 3, "x <- " * 30],
            ["pkg.b", "module", 12, "short"]]
    lines = table_lines(["node", "kind", "distance", "path"], rows, right=(2,), keep=(0,),
                        width=70)
    assert all(len(line) <= 70 for line in lines) and len(lines[1]) == 70, lines
    assert lines[1].startswith("pkg.mod:a_rather_long_function_name  function")
    assert lines[1].endswith("…") and lines[2].endswith("short")
    at = lines[0].index("distance")  # numbers to the right, under their heading
    assert lines[1][at:at + 8] == "       3" and lines[2][at:at + 8] == "      12"
    assert lines[0].index("path") == lines[1].index("x <-") == lines[2].index("short")


def test_columns_line_up_whatever_the_length_of_a_value():
    lines = table_lines(["NAME", "CRON", "NOTEBOOK"],
                        [["a-schedule-name-longer-than-twenty", "@daily", "a.ipynb"],
                         ["x", "0 3 * * *", "b.ipynb"]], width=None)
    at = lines[0].index("NOTEBOOK")
    assert [line[at:] for line in lines[1:]] == ["a.ipynb", "b.ipynb"]
    assert lines[0].index("CRON") == lines[1].index("@daily") == lines[2].index("0 3")


def test_nothing_is_cut_when_it_fits_or_no_width_is_known(monkeypatch):
    rows = [["a" * 200, "b" * 200]]
    assert table_lines(None, rows, width=None) == ["a" * 200 + "  " + "b" * 200]
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert terminal_width() is None  # not a terminal
    monkeypatch.setenv("COLUMNS", "50")
    assert terminal_width() == 50
    assert max(map(len, table_lines(["x", "y"], rows))) == 50


def test_numbers_and_kept_columns_are_never_cut():
    frame = pd.DataFrame({"path": ["src/a/very/long/path/to/a/module.py"],
                          "hotspot": [0.123456], "owner": ["someone with a long name"]})
    text = table_text(frame, width=40)
    row = text.splitlines()[1]
    assert row.startswith("src/a/very/long/path/to/a/module.py  0.123456")
    assert "someone with a long name" not in text and row.endswith("…")


@pytest.fixture
def deep(tmp_path):
    """A chain of modules whose impact paths are long, and a project with a long source path."""
    from tests.helpers import mapped_repo

    return mapped_repo(tmp_path, {"pkg/__init__.py": "", "pkg/m0.py": "X = 0\n",
                                  **{f"pkg/m{i}.py": f"from pkg import m{i - 1}\n"
                                     for i in range(1, 12)}},
                       "deep", repo_name="source-of-a-project-with-a-long-path-" + "x" * 30)


def test_query_impact_fits_the_terminal(deep):
    wide = invoke_cli("query", "impact", "pkg.m0", "-p", "deep", data_dir=deep)
    assert max(len(line) for line in wide.stdout.splitlines()[1:]) > 80  # the paths are long
    out = invoke_cli("query", "impact", "pkg.m0", "-p", "deep", data_dir=deep,
                     env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    header, *rows = out.stdout.splitlines()[1:]  # under the line naming the snapshot
    assert header.split() == ["node", "kind", "distance", "path"]
    assert all(len(line) <= 80 for line in [header, *rows]), out.stdout
    assert [r.split()[0] for r in rows][-1] == "pkg.m11"  # the node: whole
    assert rows[-1].endswith("…") and "pkg.m11 <- pkg.m10 <-" in rows[-1]


def test_the_listings_fit_and_align(deep):
    listing = invoke_cli("project", "list", data_dir=deep, env={"COLUMNS": "72"})
    header, row = listing.stdout.splitlines()[:2]
    assert len(header) <= 72 and len(row) <= 72 and row.endswith("…"), listing.stdout
    assert row.index("mapped") == header.index("STATUS") and row.split()[0] == "deep"
    assert invoke_cli("schedule", "add", "a-schedule-name-longer-than-twenty", "quickstart",
                      "--cron", "@daily", data_dir=deep).returncode == 0
    assert invoke_cli("schedule", "add", "x", "system_map_report", "--cron", "0 3 * * *",
                      "-p", "project", "deep", data_dir=deep).returncode == 0
    header, *rows = invoke_cli("schedule", "list", data_dir=deep).stdout.splitlines()
    for column in ("CRON", "CATCH-UP", "NEXT DUE (UTC)", "LAST RUN", "NOTEBOOK", "PARAMETERS"):
        at = header.index(column)
        assert all(row[at - 2:at] == "  " and row[at] != " " for row in rows), (column, rows)
    fitted = invoke_cli("schedule", "list", data_dir=deep, env={"COLUMNS": "120"}).stdout
    assert all(len(line) <= 120 for line in fitted.splitlines()), fitted
    assert "a-schedule-name-longer-than-twenty" in fitted and "…" in fitted
