"""Tables the command line prints: a missing value is one empty cell, however it is held."""

from __future__ import annotations

import re

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
