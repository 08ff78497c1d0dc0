"""The public surface and the declared dependencies stay complete and consistent."""

from __future__ import annotations

import re
import tomllib

import yaml

import workbench
from tests.helpers import ROOT


def test_all_names_resolve_and_nothing_public_is_missing():
    for name in workbench.__all__:
        assert getattr(workbench, name) is not None
    from workbench import errors

    error_classes = {n for n, v in vars(errors).items()
                     if isinstance(v, type) and issubclass(v, errors.WorkbenchError)}
    assert error_classes <= set(workbench.__all__)


def test_every_error_is_a_workbench_error_and_is_drawn_in_the_tree():
    from workbench import errors

    doc = errors.__doc__
    for name, value in vars(errors).items():
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == errors.__name__:
            assert issubclass(value, errors.WorkbenchError)
            assert name in doc, f"{name} missing from the tree in workbench.errors"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_mirrors_the_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda_side = {r.replace(" ", "") for r in pip if not r.startswith("-e")}
    assert conda_side == {r.replace(" ", "") for r in project["dependencies"]}


def test_duckdb_and_its_extensions_are_pinned_together():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {_name(d): d.split("==")[1] for d in deps if "==" in d}
    assert {pins[k] for k in ("duckdb", "duckdb-extensions", "duckdb-extension-fts",
                              "duckdb-extension-vss")} == {"1.5.5"}


def test_importing_the_package_is_light():
    import subprocess
    import sys

    code = "import sys, workbench.mapping.workers; print(sorted(m for m in ('duckdb','pandas','networkx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
