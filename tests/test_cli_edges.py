"""The command line says what it did: cut tables say so, values keep their types, finished
jobs are not "cancel requested", schedules and projects are named, reused maps are not new,
and hints name what the caller can type (a flag on the command line, an argument in Python)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, commit, git, init_repo, invoke_cli, run_cli, write
from workbench import Workbench
from workbench.batch.runs import declared_parameters, parse_parameters
from workbench.errors import InvalidParameters, ProjectExists


@pytest.fixture
def grown(tmp_path: Path) -> Path:
    """v1: a small package; v2: sixty more modules importing its core."""
    repo = init_repo(tmp_path / "grown")
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "def f():\n    return 1\n",
                 "pkg/app.py": "from pkg import core\n"})
    commit(repo, "v1", "2026-01-01T10:00:00+00:00")
    git(repo, "tag", "v1")
    write(repo, {f"pkg/m{i:02d}.py": "from pkg import core\n" for i in range(60)})
    commit(repo, "v2", "2026-02-01T10:00:00+00:00")
    git(repo, "tag", "v2")
    return repo


def test_diff_counts_cut_sections_and_leaves_derived_noise_out(tmp_path, grown):
    data = tmp_path / "data"
    assert run_cli("map", str(grown), "--name", "grown", "--ref", "v1", "-q", data_dir=data).returncode == 0
    assert invoke_cli("map", "grown", "--ref", "v2", "-q", data_dir=data).returncode == 0
    out = invoke_cli("diff", "grown", "v1", "v2", "--limit", "5", data_dir=data)
    assert out.returncode == 0, out.stderr
    header = next(line for line in out.stdout.splitlines() if line.startswith("== nodes added"))
    assert header.startswith("== nodes added: 6") and "(first 5 shown; --limit 0 shows all)" in header
    section = out.stdout.split("== nodes added")[1].split("==")[0]
    assert sum(1 for line in section.splitlines() if "pkg.m" in line) == 5
    everything = invoke_cli("diff", "grown", "v1", "v2", "--limit", "0", data_dir=data).stdout
    section = everything.split("== nodes added")[1].split("==")[0]
    assert sum(1 for line in section.splitlines() if "pkg.m" in line) == 60
    metrics = everything.split("== metrics changed")[1]
    assert "pagerank" not in metrics and "community" not in metrics
    fan_in = next(line for line in metrics.splitlines() if "pkg.core" in line and "fan_in" in line)
    assert fan_in.split()[-2:] == ["1", "61"], fan_in  # counts, not 1.0 / 61.0
    derived = invoke_cli("diff", "grown", "v1", "v2", "--derived", "--limit", "0", data_dir=data).stdout
    assert "pagerank" in derived.split("== metrics changed")[1]


def test_parameters_are_typed_by_the_notebook():
    report = declared_parameters(ROOT / "notebooks" / "system_map_report.ipynb")
    assert report["ref"] == "Optional[str]" and report["project"] == "str"
    assert parse_parameters([("ref", "1.0")], report) == {"ref": "1.0"}  # a tag named 1.0
    assert parse_parameters([("ref", "null")], report) == {"ref": None}
    assert parse_parameters([("project", "123")], report) == {"project": "123"}
    system_map = declared_parameters(ROOT / "notebooks" / "system_map.ipynb")
    assert parse_parameters([("depth", "3")], system_map) == {"depth": 3}
    with pytest.raises(InvalidParameters, match="declared int"):
        parse_parameters([("depth", "deep")], system_map)
    graph = declared_parameters(ROOT / "notebooks" / "graph_queries.ipynb")
    assert parse_parameters([("history_every", "5")], graph) == {"history_every": 5}
    assert parse_parameters([("extra", "1.0")], graph) == {"extra": 1.0}  # undeclared: JSON


def test_cli_types_p_values_before_running(tmp_path):
    out = run_cli("batch", "run", "system_map.ipynb", "-p", "depth", "deep", data_dir=tmp_path / "d")
    assert out.returncode == 1 and "declared int" in out.stderr and "-p depth 3" in out.stderr


def test_cancel_status_reuse_schedules_and_hints(tmp_path, grown):
    data = tmp_path / "data"
    first = run_cli("map", str(grown), "--name", "grown", "-q", data_dir=data)
    assert first.returncode == 0 and "stored in" in first.stdout
    again = run_cli("map", "grown", "-q", data_dir=data)
    assert again.returncode == 0
    assert "mapped already" in again.stdout and "stored in" not in again.stdout
    assert "nothing parsed" in again.stdout

    cancel = run_cli("job", "cancel", "1", data_dir=data)
    assert cancel.returncode == 1
    assert "job #1 already succeeded; nothing to cancel" in cancel.stderr
    assert "cancel requested" not in cancel.stdout + cancel.stderr

    wb = Workbench(data)
    try:
        schedule = wb.batch.add_schedule("nightly", "system_map_report.ipynb", "0 3 * * *",
                                         {"project": "grown"})
        wb.store.runs.create(str(ROOT / "notebooks" / "system_map_report.ipynb"),
                             {"project": "grown"}, schedule_id=schedule.id)
        job = wb.store.jobs.create("map", wb.project("grown").info.id, {})
        wb.store.jobs.mark_interrupted([job])
        with pytest.raises(ProjectExists) as exc:
            wb.add_project("grown", str(grown))
        assert "name=" in str(exc.value) and "--name" not in str(exc.value)
        assert "wb.map('grown')" in str(exc.value)
    finally:
        wb.close()
    listing = run_cli("batch", "list", data_dir=data)
    assert "nightly" in listing.stdout and "SCHEDULE" in listing.stdout

    status = run_cli("status", data_dir=data)
    assert status.returncode == 0
    jobs = [line for line in status.stdout.splitlines() if line.strip().startswith("#1 ")]
    assert jobs and all("grown" in line for line in jobs), status.stdout
    assert "`workbench job resume`" in status.stdout + status.stderr
    assert "resume_interrupted" not in status.stdout + status.stderr

    dup = run_cli("project", "add", "grown", str(grown), data_dir=data)
    assert dup.returncode == 1 and "--name" in dup.stderr and "name=..." not in dup.stderr


def test_a_failed_query_prints_its_error_alone(tmp_path, grown):
    """The snapshot's line comes with the answer: a script reading the standard output of a
    query that fails gets nothing, and the error on its own line says what to do."""
    data = tmp_path / "data"
    assert invoke_cli("map", str(grown), "--name", "grown", "-q", data_dir=data).returncode == 0
    (tmp_path / "a-file").write_text("")
    for args in (("query", "impact", "pkg.nothing:f", "-p", "grown"),
                 ("query", "path", "pkg.app", "pkg.nothing", "-p", "grown"),
                 ("export", "grown", str(tmp_path / "a-file" / "map.json"))):
        failed = invoke_cli(*args, data_dir=data)
        assert failed.returncode != 0 and failed.stdout == "", (args, failed.stdout)
        assert failed.stderr.startswith("error: "), failed.stderr
    answered = invoke_cli("query", "impact", "pkg.core", "-p", "grown", data_dir=data)
    assert answered.returncode == 0
    first, second = answered.stdout.splitlines()[:2]
    assert first.startswith("snapshot #1") and second.split()[:2] == ["node", "kind"]
    missing = invoke_cli("diff", "grown", "999", data_dir=data)
    assert missing.returncode != 0
    assert "no snapshot with id 999; `workbench project show NAME` lists" in missing.stderr
