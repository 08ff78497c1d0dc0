"""Notebooks and parameters are checked before anything runs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.helpers import ROOT
from workbench.batch.runs import parse_parameters, validate_parameters
from workbench.errors import InvalidParameters, NotebookNotFound, WorkbenchError


def test_json_values_under_identifier_names_pass():
    params = {"project": "flask", "n": 3, "ratio": 0.5, "on": True, "ref": None,
              "tags": ("a", "b"), "limits": {"depth": [1, 2]}}
    assert validate_parameters(params) == {**params, "tags": ["a", "b"]}
    assert validate_parameters(None) == {}


@pytest.mark.parametrize("name", ["1x", "with space", "a-b", "", "class", "x;import os"])
def test_parameter_names_must_be_identifiers(name):
    with pytest.raises(InvalidParameters, match="not a Python identifier"):
        validate_parameters({name: 1})


@pytest.mark.parametrize("value, where", [
    ({1, 2}, "x is a set"), (b"raw", "x is a bytes"), (object(), "x is a object"),
    (math.nan, "x is nan"), ([1, {"k": math.inf}], "x[1]['k'] is inf"),
    ({1: "a"}, "key 1"), ({"d": {2.5: 0}}, "key 2.5"),
])
def test_parameter_values_must_be_json(value, where):
    with pytest.raises(InvalidParameters) as err:
        validate_parameters({"x": value})
    assert where in str(err.value)
    assert isinstance(err.value, WorkbenchError)


def test_not_a_mapping_is_refused():
    with pytest.raises(InvalidParameters, match="mapping"):
        validate_parameters([("a", 1)])


def test_bad_parameters_run_nothing(wb, tiny):
    with pytest.raises(InvalidParameters):
        wb.batch.run(tiny, {"ok": 1, "not ok": 2})
    with pytest.raises(InvalidParameters):
        wb.batch.run(tiny, {"when": {1, 2}})
    assert wb.batch.runs() == []
    assert not (wb.data_dir / "runs").exists()


def test_a_missing_notebook_runs_nothing(wb, tmp_path):
    with pytest.raises(NotebookNotFound, match="no notebook at"):
        wb.batch.run(tmp_path / "nope.ipynb")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(NotebookNotFound, match="not a notebook"):
        wb.batch.run(tmp_path / "notes.txt")
    assert wb.batch.runs() == []


def test_notebooks_are_found_by_their_name_under_notebooks(monkeypatch, tmp_path):
    from workbench.batch.runs import resolve_notebook

    monkeypatch.chdir(tmp_path)  # nothing of that name here: the shelf answers
    shelf = ROOT / "notebooks"
    for name in ("reports/portfolio_report.ipynb", "reports/portfolio_report", "quickstart"):
        found = resolve_notebook(name)
        assert found.parent.is_relative_to(shelf) and found.stem == Path(name).stem, name


def test_cli_values_are_json_or_plain_strings():
    assert parse_parameters((("n", "3"), ("flag", "true"), ("none", "null"), ("s", "hello"),
                             ("quoted", '"3"'), ("lst", "[1, 2]"), ("obj", '{"a": 1}'),
                             ("path", "data/x.csv"))) == {
        "n": 3, "flag": True, "none": None, "s": "hello", "quoted": "3", "lst": [1, 2],
        "obj": {"a": 1}, "path": "data/x.csv"}
    with pytest.raises(InvalidParameters, match="given twice"):
        parse_parameters((("n", "1"), ("n", "2")))
