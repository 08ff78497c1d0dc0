"""Start-up stays light: heavy libraries load only in the commands that use them.

``import workbench``, ``workbench --help``, ``workbench status`` and a re-map of an unchanged
commit must not import pandas, numpy, Arrow, networkx, scipy, the notebook stack, the widgets,
the AI clients or the web server: each of those costs a fresh process tenths of a second
(``python -X importtime`` shows who pulls what). Each check runs in a child process, since this
one has imported everything long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import commit, init_repo, write
from workbench import Workbench

#: Top-level modules none of the light paths may import.
HEAVY = ("pandas", "numpy", "pyarrow", "networkx", "scipy", "papermill", "nbconvert",
         "nbformat", "matplotlib", "tree_sitter", "ipywidgets", "anywidget", "openai",
         "starlette", "uvicorn", "httpx", "mcp", "wordllama", "jupyter_client", "jsonschema",
         "threadpoolctl", "croniter", "tqdm", "git", "pathspec")

CHILD = """
import contextlib, io, json, sys
steps = json.loads(sys.argv[1])
loaded = {}
for name, code in steps:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code)
    loaded[name] = sorted(m for m in %r if m in sys.modules)
print(json.dumps(loaded))
""" % (HEAVY,)


def _loaded(*steps: tuple[str, str]) -> dict[str, list[str]]:
    """Run ``(name, code)`` steps in order in one fresh interpreter; the heavy modules loaded
    after each."""
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(steps)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cli(*args: str) -> str:
    return ("from workbench.cli import main\n"
            f"main({list(args)!r}, standalone_mode=False)")


def test_import_and_help_load_nothing_heavy():
    loaded = _loaded(("import", "import workbench, workbench.errors, workbench.domain"),
                     ("cli", "import workbench.cli"),
                     ("help", _cli("--help")),
                     ("query help", _cli("query", "--help")))
    assert loaded == {"import": [], "cli": [], "help": [], "query help": []}


def test_status_and_a_remap_of_an_unchanged_commit_load_nothing_heavy(tmp_path: Path):
    repo = init_repo(tmp_path / "light")
    write(repo, {"light/__init__.py": "", "light/a.py": "from light import b\n",
                 "light/b.py": "import os\n\n\ndef f():\n    return os.sep\n"})
    commit(repo, "one")
    data = tmp_path / "data"
    wb = Workbench(data)
    snap = wb.map(str(repo), name="light")
    text = snap.summary().to_text()  # computed once, then kept with the snapshot
    wb.close()

    loaded = _loaded(("status", _cli("--data-dir", str(data), "status")),
                     ("re-map", _cli("--data-dir", str(data), "map", "light", "-q")))
    assert loaded == {"status": [], "re-map": []}
    # nor the modules of the other commands
    proc = subprocess.run([sys.executable, "-c", "import sys\n" + _cli("--data-dir", str(data),
                           "status") + "\nprint(sorted(m for m in sys.modules if m.startswith("
                           "'workbench.cli_')))"], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "['workbench.cli_common']", proc.stderr

    # the kept summary is the one computed from the graph
    proc = subprocess.run([sys.executable, "-m", "workbench", "--data-dir", str(data), "map",
                           "light", "-q"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert text.split("\n", 2)[2] in proc.stdout
    assert "light.b" in proc.stdout and "mapped already" in proc.stdout


def test_every_command_module_command_is_reachable_by_its_name():
    import click

    from workbench.cli import COMMANDS, main

    ctx = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name, name
    assert set(COMMANDS) <= set(main.list_commands(ctx))


def test_the_first_command_on_a_new_data_directory_loads_nothing_heavy(tmp_path: Path):
    """The first command makes the database and runs every migration: recording each one
    must not bind parameters through DuckDB's client, which imports pandas to do it."""
    data = tmp_path / "new"
    loaded = _loaded(("status", _cli("--data-dir", str(data), "status")),
                     ("store", "from workbench.store import Store\n"
                               f"Store({str(tmp_path / 'other' / 'wb.duckdb')!r})"
                               ".schema_version()"))
    assert loaded == {"status": [], "store": []}
    assert (tmp_path / "other" / "wb.duckdb").exists()


def test_a_large_clone_loads_what_its_remap_needs_before_the_fetch_and_no_networkx():
    """Before a large clone's fetch a re-map loads the modules its history, plan and linking
    ask for first. No map loads networkx: its communities are the map's own Louvain."""
    loaded = _loaded(
        ("before fetch", "from workbench.mapping.service import _load_map_modules\n"
                         "_load_map_modules(True)\n"
                         "assert 'workbench.history.service' in sys.modules\n"
                         "assert 'workbench.mapping.derive' in sys.modules"),
        ("whole map", "_load_map_modules()"))
    assert "networkx" not in loaded["before fetch"]
    assert {"pandas", "pyarrow", "scipy", "pathspec"} <= set(loaded["before fetch"])
    assert "networkx" not in loaded["whole map"]


def test_a_whole_map_with_communities_loads_no_networkx(tmp_path: Path):
    repo = init_repo(tmp_path / "ring")
    write(repo, {"ring/__init__.py": "", **{f"ring/m{i}.py": f"from ring import m{(i + 1) % 6}\n"
                                             for i in range(6)}})
    commit(repo, "a ring of imports")
    code = ("from workbench import Workbench\n"
            f"wb = Workbench({str(tmp_path / 'data')!r})\n"
            f"snap = wb.map({str(repo)!r}, name='ring')\n"
            "assert snap.nodes['community'].notna().any()\n"
            "wb.close()")
    assert "networkx" not in _loaded(("map", code))["map"]
