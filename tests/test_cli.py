"""The ``workbench`` command, run as a real child process."""

from __future__ import annotations

import re
import pytest

from tests.helpers import ROOT, invoke_cli, run_cli

def _walk(group, prefix=()):
    """Every command of the CLI, found from the click group itself (so none can be missed)."""
    import click

    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # commands loaded on first use included
        cmd = group.get_command(ctx, name)
        path = (*prefix, name)
        yield list(path), cmd
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, path)


def _commands():
    from workbench.cli import main

    return [([], main), *_walk(main)]


@pytest.mark.parametrize("command", [c for c, _ in _commands()], ids=lambda c: " ".join(c) or "workbench")
def test_every_command_has_help(command):
    cmd = dict((tuple(c), k) for c, k in _commands())[tuple(command)]
    assert (cmd.help or "").strip(), f"{command} has no help text"
    for param in cmd.params:
        if param.param_type_name == "option" and not param.hidden and param.name not in ("help",):
            assert (param.help or "").strip(), f"{command} option {param.name} has no help"


@pytest.mark.parametrize("command", [["map"], ["query", "impact"], ["schedule", "add"]])
def test_help_runs_in_a_real_process(command):
    out = run_cli(*command, "--help")
    assert out.returncode == 0 and "Usage:" in out.stdout, out.stderr


def test_readme_documents_every_command():
    import click

    readme = (ROOT / "README.md").read_text()
    for command, cmd in _commands()[1:]:
        if isinstance(cmd, click.Group):
            continue
        assert f"workbench {' '.join(command)}" in readme, f"README lacks `workbench {' '.join(command)}`"


def test_map_list_show_status_remove(tmp_path, sample_repo):
    data = tmp_path / "data"
    out = run_cli("map", str(sample_repo), "--name", "shop", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "modules                     11" in out.stdout
    assert "shop.service -> shop.util.money -> shop.service" in out.stdout
    assert re.search(r"parsed \d+ files\)", out.stdout), out.stdout
    again = run_cli("map", "shop", "--force", data_dir=data)  # every file's facts are cached
    assert "parsed 0 files: the parse cache had every file's facts)" in again.stdout, again.stdout
    listing = run_cli("project", "list", data_dir=data)
    assert re.search(r"^shop\s+mapped\s+[0-9a-f]{12}", listing.stdout, re.M), listing.stdout
    show = run_cli("project", "show", "shop", data_dir=data)
    assert "snapshots:      2" in show.stdout and "default branch: main" in show.stdout
    status = run_cli("status", data_dir=data)
    from workbench.store.migrations import LATEST_VERSION

    assert f"schema v{LATEST_VERSION}" in status.stdout and re.search(r"#\d+\s+map\s+succeeded", status.stdout)
    removed = run_cli("project", "remove", "shop", "--yes", data_dir=data)
    assert removed.returncode == 0 and "removed project shop" in removed.stdout
    assert "no projects yet" in run_cli("project", "list", data_dir=data).stdout


def test_the_data_dir_comes_from_the_environment(tmp_path, sample_repo):
    data = tmp_path / "envdata"
    out = run_cli("project", "add", "shop", str(sample_repo), env={"WORKBENCH_DATA_DIR": str(data)})
    assert out.returncode == 0, out.stderr
    assert (data / "workbench.duckdb").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["map", "ext::sh -c id"], "remote-helper transports"),
        (["map", "https://user:hunter2@example.com/x.git"], "--token-env VAR"),
        (["map", "/no/such/dir"], "no repository at"),
        (["map", "ghost"], "no project named 'ghost' and no repository at that path"),
        (["project", "show", "ghost"], "no project named 'ghost'"),
        (["project", "add", "bad name", "."], "invalid project name"),
        (["report", "ghost"], "no project named 'ghost'"),
    ],
)
def test_user_errors_are_one_clear_line(tmp_path, args, message):
    out = run_cli(*args, data_dir=tmp_path / "data")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], out.stderr
    assert "hunter2" not in out.stderr


@pytest.mark.parametrize(
    "args, message, command",
    [
        (["query", "cycles", "shop", "--exclude", "bogus"], "'bogus' is not one of", "workbench query cycles"),
        (["check", "shop", "--contracts", "/no/such/contracts.toml"], "does not exist", "workbench check"),
        (["map", "--from", "/no/such/list.txt"], "does not exist", "workbench map"),
        (["batch", "run", "/no/such/notebook.ipynb"], "no notebook at /no/such/notebook.ipynb",
         "workbench batch run"),
        (["schedule", "add", "nightly", "no_such_notebook", "--cron", "0 3 * * *"],
         "no notebook at no_such_notebook", "workbench schedule add"),
        (["map", "--bogus"], "No such option '--bogus'", "workbench map"),
        (["project", "frobnicate"], "No such command 'frobnicate'", "workbench project"),
        (["project", "add"], "Missing argument 'NAME'", "workbench project add"),
        (["project", "credentials", "shop"], "give either --token-env VAR or --clear", "workbench project credentials"),
        (["query", "related", "shop.cart", "-p", "shop", "--depth", "-1"],
         "Invalid value for '--depth': -1 is not in the range x>=1", "workbench query related"),
        (["history", "shop", "--every", "0"], "Invalid value for '--every': 0 is not in the range x>=1",
         "workbench history"),
        (["history", "shop"], "say which commits to map: --every N, --tags or --ref REF", "workbench history"),
        (["map", "shop", "--deepen", "0"], "0 is not in the range x>=1", "workbench map"),
        (["map", "shop", "--exclude", "!"], "Invalid value for '--exclude': invalid exclude pattern",
         "workbench map"),
        (["events", "tail", "--count", "0"], "0 is not in the range x>=1", "workbench events tail"),
        (["scheduler", "--poll", "0"], "0.0 is not in the range x>0", "workbench scheduler"),
        (["job", "cancel", "0"], "0 is not in the range x>=1", "workbench job cancel"),
        (["ask", " ", "-p", "shop"], "Invalid value for 'QUESTION': is empty", "workbench ask"),
        (["map", "--all", "--executor", "bogus"], "Invalid value for '--executor': unknown executor 'bogus'",
         "workbench map"),
        (["events", "retry", "0"], "0 is not in the range x>=1", "workbench events retry"),
        (["batch", "run", "report", "-p", "project"], "Option '-p' requires 2 arguments",
         "workbench batch run"),
        (["schedule", "add", "n", "report", "--cron"], "Option '--cron' requires an argument",
         "workbench schedule add"),
        (["events", "tail", "--count"], "Option '--count' requires an argument",
         "workbench events tail"),
        (["map", "--name"], "Option '--name' requires an argument", "workbench map"),
    ],
)
def test_usage_errors_are_one_clear_line_with_the_help_to_read(tmp_path, args, message, command):
    out = invoke_cli(*args, data_dir=tmp_path / "data")
    assert out.returncode == 2
    assert "Usage:" not in out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], out.stderr
    assert lines[0].endswith(f"(see {command} --help)")


def test_every_count_depth_limit_seconds_and_id_has_a_minimum():
    """A count, depth, limit or number of seconds below what makes sense, or an id below 1
    (no row has one), is a usage error (exit 2) found by click, never a silent empty answer
    or a "not found" from deeper down."""
    import click

    loose = []
    for command, cmd in _commands():
        for param in cmd.params:
            if not isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
                continue
            if not isinstance(param.type, (click.IntRange, click.FloatRange)) or param.type.min is None:
                loose.append(f"workbench {' '.join(command)} {param.opts[0]}")
    assert not loose, f"numbers without a minimum: {loose}"


def test_a_usage_error_in_a_real_process_names_the_workbench_command(tmp_path):
    out = run_cli("query", "cycles", "shop", "--exclude", "bogus", data_dir=tmp_path / "data")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: Invalid value for '--exclude': 'bogus' is not one of 'import_time', 'conditional', "
        "'deferred', 'type_checking'. (see workbench query cycles --help)"]


def test_bad_ref_and_duplicate_are_refused(tmp_path, sample_repo):
    data = tmp_path / "data"
    assert run_cli("project", "add", "shop", str(sample_repo), data_dir=data).returncode == 0
    dup = run_cli("project", "add", "shop", str(sample_repo), data_dir=data)
    assert dup.returncode == 1 and "already exists" in dup.stderr
    bad = run_cli("map", "shop", "--ref", "--output=/tmp/x", data_dir=data)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    bad = run_cli("map", "shop", "--ref=-u/p", data_dir=data)
    assert bad.returncode == 1 and "refused ref" in bad.stderr


def test_a_locked_database_is_a_clear_error(tmp_path, sample_repo):
    import subprocess
    import sys

    data = tmp_path / "data"
    assert run_cli("project", "add", "shop", str(sample_repo), data_dir=data).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('x', flush=True); time.sleep(30)",
         str(data / "workbench.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        holder.stdout.readline()
        out = run_cli("project", "list", data_dir=data, env={"WORKBENCH_LOCK_TIMEOUT": "0.5"})
        assert out.returncode == 1
        assert "held by another process" in out.stderr and "Traceback" not in out.stderr
    finally:
        holder.kill()
        holder.wait()


def test_a_name_held_by_a_failed_first_map_says_which_source_holds_it_and_how_to_let_go(tmp_path):
    from tests.helpers import commit, init_repo, write

    data = tmp_path / "data"
    empty = init_repo(tmp_path / "a" / "x")  # no commit: its first map fails
    failed = invoke_cli("map", str(empty), data_dir=data)
    assert failed.returncode != 0
    real = init_repo(tmp_path / "b" / "x")
    write(real, {"m.py": "def f():\n    return 1\n"})
    commit(real, "one")
    taken = invoke_cli("map", str(real), data_dir=data)
    assert taken.returncode == 1
    assert str(empty) in taken.stderr and "`workbench project remove x`" in taken.stderr
    assert invoke_cli("project", "remove", "x", "--yes", data_dir=data).returncode == 0
    again = invoke_cli("map", str(real), data_dir=data)
    assert again.returncode == 0, again.stderr
