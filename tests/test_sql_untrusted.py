"""SQL from users and models: only queries run, and errors come back on one line."""

from __future__ import annotations

import pytest

from tests.helpers import run_cli
from workbench import Workbench
from workbench.errors import StoreError


@pytest.fixture
def data(tmp_path, sample_repo):
    data = tmp_path / "data"
    bench = Workbench(data)
    bench.add_project("shop", str(sample_repo))
    bench.close()
    return data


@pytest.mark.parametrize("statement, kind", [
    ("CREATE TEMP TABLE scratch AS SELECT 1 AS x", "CREATE"),
    ("SELECT 1; CREATE TEMP TABLE scratch (x INT)", "CREATE"),
    ("CREATE TEMP MACRO twice(x) AS x * 2", "CREATE"),
    ("SET threads = 1", "SET"),
    ("ATTACH ':memory:' AS scratch", "ATTACH"),
    ("PIVOT projects ON name", "CREATE"),
    ("INSERT INTO projects (name) VALUES ('x')", "INSERT"),
])
def test_only_queries_run_on_the_read_only_connection(data, statement, kind):
    wb = Workbench(data)
    try:
        with pytest.raises(StoreError, match=f"a {kind} statement"):
            wb.sql(statement)
        assert wb.sql("SELECT count(*) AS n FROM projects")["n"].iloc[0] == 1
        assert wb.sql("SHOW TABLES") is not None
        assert not wb.sql("EXPLAIN SELECT 1").empty
    finally:
        wb.close()


@pytest.mark.parametrize("statement, expected", [
    ("SELEC 1", "Parser Error"),
    ("SELECT * FROM no_such_table", "Catalog Error"),
    ("SELECT nme FROM projects", "Binder Error"),
    ("SELECT 1 +", "Parser Error"),
    ("CREATE TEMP TABLE t AS SELECT 1", "CREATE statement"),
    # several queries: only the last one's rows would come back, so none runs
    ("select 1; select 2", "2 statements; run one query at a time"),
])
def test_cli_sql_errors_are_one_line(data, statement, expected):
    result = run_cli("sql", statement, data_dir=data)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert expected in lines[0] and "^" not in lines[0]
