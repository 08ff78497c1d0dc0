"""What the tools' descriptions tell a model about the store is true of the store: every table
and column they name exists in the schema of a real database, and each filter they state
selects the question's rows."""

from __future__ import annotations

import re

from workbench.ai.tools import TOOL_SPECS, openai_tools

_TABLE = re.compile(r"\b([a-z_]+)\(([a-z_]+(?:, [a-z_]+)*)\)")
_COLUMN = re.compile(r"\b([a-z_]+)\.([a-z_]+)\b")


def _schema(bench) -> dict[str, set[str]]:
    frame = bench.sql("SELECT table_name, column_name FROM information_schema.columns")
    schema: dict[str, set[str]] = {}
    for table, column in frame.itertuples(index=False):
        schema.setdefault(table, set()).add(column)
    return schema


def test_every_table_and_column_a_tool_description_names_is_in_the_schema(shop):
    schema = _schema(shop)
    named = 0
    for tool, text in [(spec["name"], spec["description"]) for spec in TOOL_SPECS]:
        for table, columns in _TABLE.findall(text):
            assert table in schema, f"{tool}: no table {table!r} in the store"
            missing = set(columns.split(", ")) - schema[table]
            assert not missing, f"{tool}: {table} has no column {sorted(missing)}"
            named += 1
        for table, column in _COLUMN.findall(text):
            if table in schema:  # "edges.src": a table's column
                assert column in schema[table], f"{tool}: {table} has no column {column!r}"
        # a table of the store named without its columns would go unchecked
        listed = {t for t, _ in _TABLE.findall(text)} | {t for t, _ in _COLUMN.findall(text)}
        for word in set(re.findall(r"\b[a-z_]+\b", text)) & set(schema):
            assert word in listed or word in {c for cs in schema.values() for c in cs}, (
                f"{tool}: names the table {word!r} without its columns")
    assert named >= 7


def test_each_filter_the_sql_tool_states_selects_the_questions_rows(shop):
    snap = shop.snapshot("shop")
    scope = {"snapshot_id": snap.id, "project_id": snap.info.project_id}
    sql = next(spec["description"] for spec in TOOL_SPECS if spec["name"] == "sql")
    filtered = 0
    for sentence in sql.split(". "):
        by = re.search(r"\bfilter(?:ed)? by ([a-z_]+)", sentence)
        if by is None:
            continue
        for table, columns in _TABLE.findall(sentence):
            assert by[1] in columns.split(", "), f"{table} is said to be filtered by {by[1]}"
            rows = shop.sql(f"SELECT count(*) AS n FROM {table} WHERE {by[1]} = ?",
                            [scope[by[1]]])
            assert rows["n"][0] > 0, f"{table} has no row for {by[1]} = {scope[by[1]]}"
            filtered += 1
    assert filtered >= 7
    assert "snapshot_id" not in _schema(shop)["commits"]  # what the description once claimed


def test_a_models_sql_tool_names_the_ids_of_the_questions_map(shop):
    snap = shop.snapshot("shop")
    sql = next(t["function"]["description"] for t in openai_tools(snap)
               if t["function"]["name"] == "sql")
    assert dict(re.findall(r"\b(snapshot_id|project_id) = (\d+)", sql)) == {
        "snapshot_id": str(snap.id), "project_id": str(snap.info.project_id)}
    assert [t["function"] for t in openai_tools()] == TOOL_SPECS  # no map: the plain tools
