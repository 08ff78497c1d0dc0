"""Where each import stands: parsed, stored on edges, and left out of queries on request.

The flask-like package below imports the way flask does: modules that need the application
only for annotations import it under ``if t.TYPE_CHECKING:``. Its only import cycle comes
from those imports, which Python never runs (shown by importing the package in a child
process), so with ``--runtime`` the cycle goes and layering gains levels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import networkx as nx
import pandas as pd
import pytest

from tests.helpers import commit, init_repo, run_cli, write
from workbench.graph.build import graph_from_frames
from workbench.graph.errors import ContextsNotRecorded, UnknownImportContext
from workbench.graph.index import GraphIndex
from workbench.mapping.python import parse_python

FLASKISH = {
    "src/flaskish/__init__.py": (
        "from .app import Flask\nfrom .globals import current_app\nfrom .helpers import send_file\n"),
    "src/flaskish/app.py": (
        "import typing as t\n\nfrom . import globals\nfrom .ctx import AppContext\n"
        "from .sessions import SessionInterface\n\n"
        "if t.TYPE_CHECKING:  # pragma: no cover\n    from .globals import current_app\n"
        "    from .testing import FlaskClient\n\n\n"
        "class Flask:\n    session_interface = SessionInterface()\n\n"
        "    def app_context(self):\n        return AppContext(self)\n"),
    "src/flaskish/ctx.py": (
        "import typing as t\n\nfrom .globals import _cv_app\n\n"
        "if t.TYPE_CHECKING:  # pragma: no cover\n    from .app import Flask\n\n\n"
        "class AppContext:\n    def __init__(self, app: 'Flask'):\n        self.app = app\n"),
    "src/flaskish/globals.py": (
        "import typing as t\nfrom contextvars import ContextVar\n\n"
        "if t.TYPE_CHECKING:  # pragma: no cover\n    from .app import Flask\n"
        "    from .ctx import AppContext\n\n"
        "_cv_app: 'ContextVar[AppContext]' = ContextVar('flask.app_ctx')\ncurrent_app = None\n"),
    "src/flaskish/sessions.py": (
        "import typing as t\n\nfrom .json import dumps\n\n"
        "if t.TYPE_CHECKING:  # pragma: no cover\n    from .app import Flask\n\n\n"
        "class SessionInterface:\n    def save(self, app: 'Flask'):\n        return dumps({})\n"),
    "src/flaskish/json.py": (
        "try:\n    from ujson import dumps as _dumps\nexcept ImportError:\n"
        "    from json import dumps as _dumps\n\n\n"
        "def dumps(obj):\n    from .globals import current_app\n    return _dumps(obj)\n"),
    "src/flaskish/helpers.py": (
        "from .globals import current_app\n\n\n"
        "def send_file(path):\n    from .wrappers import Response\n    return Response(path)\n"),
    "src/flaskish/wrappers.py": (
        "import typing as t\n\nif t.TYPE_CHECKING:\n    from .helpers import send_file\n\n\n"
        "class Response:\n    def __init__(self, body):\n        self.body = body\n"),
    "src/flaskish/testing.py": (
        "from .app import Flask\n\n\nclass FlaskClient:\n    def __init__(self, app: Flask):\n"
        "        self.app = app\n"),
    "web/main.js": "import { helper } from './util.js';\nhelper();\n",
    "web/util.js": "export function helper() { return 1; }\n",
}
CYCLE = {"flaskish.app", "flaskish.ctx", "flaskish.globals", "flaskish.json", "flaskish.sessions",
         "flaskish.testing"}


@pytest.fixture(scope="module")
def flaskish(tmp_path_factory):
    from workbench import Workbench

    root = tmp_path_factory.mktemp("flaskish")
    repo = init_repo(root / "flaskish")
    write(repo, FLASKISH)
    commit(repo, "a flask-like package")
    wb = Workbench(root / "data")
    snap = wb.map(str(repo), name="flaskish")
    yield repo, root / "data", snap
    wb.close()


# -- the parser ----------------------------------------------------------------------------------

PLACES = {
    "module level": ("import m", "import_time"),
    "class body": ("class K:\n    import m", "import_time"),
    "with block": ("with open('x'):\n    import m", "import_time"),
    "if": ("if x:\n    import m", "conditional"),
    "elif": ("if x:\n    pass\nelif y:\n    import m", "conditional"),
    "else": ("if x:\n    pass\nelse:\n    import m", "conditional"),
    "try": ("try:\n    import m\nexcept ImportError:\n    pass", "conditional"),
    "except": ("try:\n    pass\nexcept ImportError:\n    import m", "conditional"),
    "try else": ("try:\n    pass\nexcept ImportError:\n    pass\nelse:\n    import m", "conditional"),
    "finally": ("try:\n    pass\nfinally:\n    import m", "conditional"),
    "for": ("for i in x:\n    import m", "conditional"),
    "for else": ("for i in x:\n    pass\nelse:\n    import m", "conditional"),
    "while": ("while x:\n    import m\n    break", "conditional"),
    "match": ("match x:\n    case 1:\n        import m", "conditional"),
    "class under if": ("if x:\n    class K:\n        import m", "conditional"),
    "function": ("def f():\n    import m", "deferred"),
    "async function": ("async def f():\n    import m", "deferred"),
    "method": ("class K:\n    def f(self):\n        import m", "deferred"),
    "try in function": ("def f():\n    try:\n        import m\n    except ImportError:\n        pass",
                        "deferred"),
    "class in function": ("def f():\n    class K:\n        import m", "deferred"),
    "function under if": ("if x:\n    def f():\n        import m", "deferred"),
    "TYPE_CHECKING": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import m", "type_checking"),
    "typing.TYPE_CHECKING": ("import typing\nif typing.TYPE_CHECKING:\n    import m", "type_checking"),
    "t.TYPE_CHECKING": ("import typing as t\nif t.TYPE_CHECKING:  # pragma: no cover\n    from m import X",
                        "type_checking"),
    "TYPE_CHECKING alias": ("from typing import TYPE_CHECKING as TC\nif TC:\n    import m", "type_checking"),
    "TYPE_CHECKING and": ("if TYPE_CHECKING and sys.version_info >= (3, 11):\n    import m", "type_checking"),
    "elif TYPE_CHECKING": ("if x:\n    pass\nelif TYPE_CHECKING:\n    import m", "type_checking"),
    "else of not TYPE_CHECKING": ("if not TYPE_CHECKING:\n    pass\nelse:\n    import m", "type_checking"),
    "TYPE_CHECKING in a function": ("def f():\n    if TYPE_CHECKING:\n        import m", "type_checking"),
    "function under TYPE_CHECKING": ("if TYPE_CHECKING:\n    def f():\n        import m", "type_checking"),
    "TYPE_CHECKING in a class": ("class K:\n    if TYPE_CHECKING:\n        import m", "type_checking"),
    "TYPE_CHECKING under try": ("try:\n    if TYPE_CHECKING:\n        import m\nexcept ImportError:\n"
                                "    pass", "type_checking"),
    "else of TYPE_CHECKING": ("if TYPE_CHECKING:\n    pass\nelse:\n    import m", "conditional"),
    "not TYPE_CHECKING": ("if not TYPE_CHECKING:\n    import m", "conditional"),
    "TYPE_CHECKING or": ("if TYPE_CHECKING or DEBUG:\n    import m", "conditional"),
    "else of TYPE_CHECKING in a function": ("def f():\n    if TYPE_CHECKING:\n        pass\n    else:\n"
                                            "        import m", "deferred"),
}


@pytest.mark.parametrize("place", list(PLACES))
def test_each_import_records_where_it_stands(place):
    source, expected = PLACES[place]
    refs = [r for r in parse_python(source.encode()).imports if r.target == "m"]
    assert [r.context for r in refs] == [expected], source


def test_contexts_survive_the_facts_cache():
    from workbench.mapping.facts import FileFacts

    facts = parse_python(b"import a\nif TYPE_CHECKING:\n    import b\n")
    again = FileFacts.from_json(facts.to_json())
    assert [(r.target, r.context) for r in again.imports] == [("a", "import_time"), ("b", "type_checking")]
    old = facts.to_object()  # the object form the cache held first
    for ref in old["imports"]:  # facts of a parser that records no context
        del ref["context"]
    assert {r.context for r in FileFacts.from_json(json.dumps(old)).imports} == {"import_time"}


# -- Python's own answer ---------------------------------------------------------------------------

def _run(repo, code: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(repo / "src")}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


def test_what_python_loads_is_what_the_import_time_edges_reach(flaskish):
    repo, _, snap = flaskish
    loaded = _run(repo, """
        import json, sys
        import flaskish
        before = sorted(m for m in sys.modules if m.startswith("flaskish"))
        flaskish.send_file("x")
        after = sorted(m for m in sys.modules if m.startswith("flaskish"))
        print(json.dumps([before, after]))
    """)
    on_import = snap.index.excluding(["type_checking", "deferred"])
    reached = set(on_import.ids[p] for p in on_import.reachable("flaskish", kinds=["imports"]))
    assert set(loaded[0]) == reached  # testing.py: imported by app.py only under TYPE_CHECKING
    assert "flaskish.testing" not in reached
    assert set(loaded[1]) - set(loaded[0]) == {"flaskish.wrappers"}  # the deferred import ran
    assert snap.index.contexts_of("flaskish.helpers", "flaskish.wrappers") == ["deferred"]


# -- the store and the graph --------------------------------------------------------------------

def test_import_edges_carry_their_strongest_context_and_all_of_them(flaskish):
    _, _, snap = flaskish
    edges = snap.edges
    imports = edges[edges.kind.isin(["imports", "depends_on"])]
    attrs = {(r.src, r.dst): json.loads(r.attrs) for r in imports.itertuples()}
    assert all("context" in a and "contexts" in a for a in attrs.values())
    assert attrs["flaskish.app", "flaskish.globals"] == {
        "context": "import_time", "contexts": ["import_time", "type_checking"], "lines": [3, 8]}
    assert attrs["flaskish.ctx", "flaskish.app"]["contexts"] == ["type_checking"]
    assert attrs["flaskish.json", "flaskish.globals"]["context"] == "deferred"
    assert attrs["flaskish.json", "ext:json"]["context"] == "conditional"
    assert attrs["web/main.js", "web/util.js"] == {"context": "import_time", "contexts": ["import_time"]}
    g = snap.graph
    assert g.edges["flaskish.app", "flaskish.globals", "imports"]["context"] == "import_time"
    assert g.edges["flaskish.ctx", "flaskish.app", "imports"]["context"] == "type_checking"
    modules = snap.module_graph()
    assert modules.edges["flaskish.app", "flaskish.globals"]["contexts"] == ["import_time", "type_checking"]
    assert modules.edges["flaskish.globals", "flaskish.app"]["context"] == "type_checking"
    via_graph = GraphIndex(g)  # the networkx graph and the stored tables agree
    assert via_graph.contexts_of("flaskish.app", "flaskish.globals") == ["import_time", "type_checking"]
    assert via_graph.cycles(exclude_contexts=["type_checking"]).empty


def test_the_cycle_comes_only_from_type_checking_imports(flaskish):
    _, _, snap = flaskish
    everything = snap.cycles()
    assert [set(m) for m in everything["members"]] == [CYCLE, {"flaskish.helpers", "flaskish.wrappers"}]
    assert snap.cycles(exclude_contexts=["type_checking"]).empty
    assert snap.cycles(exclude_contexts=("type_checking", "deferred")).empty
    without_deferred = snap.cycles(exclude_contexts=["deferred"])  # helpers -> wrappers is deferred
    assert [set(m) for m in without_deferred["members"]] == [CYCLE - {"flaskish.json"}]


def test_layers_gain_levels_without_type_checking_imports(flaskish):
    _, _, snap = flaskish
    all_levels = dict(zip(*snap.layers().T.values))
    runtime = dict(zip(*snap.layers(exclude_contexts=["type_checking"]).T.values))
    assert len(set(all_levels.values())) == 3  # the cycle's six modules share level 0
    assert {all_levels[m] for m in CYCLE} == {0}
    assert runtime == {"flaskish.globals": 0, "flaskish.wrappers": 0, "flaskish.ctx": 1,
                       "flaskish.helpers": 1, "flaskish.json": 1, "flaskish.sessions": 2,
                       "flaskish.app": 3, "flaskish.testing": 4, "flaskish": 4,
                       "web/util.js": 0, "web/main.js": 1}


def test_impact_and_paths_follow_only_the_imports_asked_for(flaskish):
    _, _, snap = flaskish
    every = set(snap.impact("flaskish.app", kinds=["imports"])["node"])
    runtime = set(snap.impact("flaskish.app", kinds=["imports"], exclude_contexts=["type_checking"])["node"])
    assert {"flaskish.ctx", "flaskish.globals", "flaskish.sessions"} <= every
    assert runtime == {"flaskish", "flaskish.testing"}
    assert snap.paths("flaskish.ctx", "flaskish.app") == [
        ["flaskish.ctx", "flaskish.app"], ["flaskish.ctx", "flaskish.globals", "flaskish.app"]]
    assert snap.paths("flaskish.ctx", "flaskish.app", exclude_contexts=["type_checking"]) == []
    on_call = snap.impact("flaskish.wrappers", kinds=["imports"], exclude_contexts=["type_checking"])
    assert set(on_call["node"]) == {"flaskish", "flaskish.helpers"}
    assert snap.impact("flaskish.wrappers", kinds=["imports"],
                       exclude_contexts=["type_checking", "deferred"]).empty


def test_unknown_contexts_and_unclassified_maps_are_refused(flaskish):
    _, _, snap = flaskish
    with pytest.raises(UnknownImportContext, match="use some of: import_time, conditional"):
        snap.cycles(exclude_contexts=["typechecking"])
    nodes = pd.DataFrame({"id": ["a", "b"], "kind": ["module", "module"], "name": ["a", "b"],
                          "path": ["a.py", "b.py"]})
    edges = pd.DataFrame({"src": ["a", "b"], "dst": ["b", "a"], "kind": ["imports", "imports"],
                          "weight": [1, 1], "line": [1, 1]})
    old = GraphIndex(graph_from_frames(nodes, edges))  # as a map written before contexts
    assert len(old.cycles()) == 1
    with pytest.raises(ContextsNotRecorded, match="map the project again"):
        old.cycles(exclude_contexts=["type_checking"])
    labelled = nx.MultiDiGraph()
    labelled.add_edge("a", "b", key="imports", kind="imports", context="import_time")
    labelled.add_edge("b", "a", key="imports", kind="imports", contexts=["deferred", "type_checking"])
    index = GraphIndex(labelled)
    assert len(index.cycles(exclude_contexts=["type_checking"])) == 1  # deferred still runs
    assert index.cycles(exclude_contexts=["type_checking", "deferred"]).empty


# -- faces --------------------------------------------------------------------------------------

def test_cli_runtime_and_exclude_options(flaskish):
    from click.testing import CliRunner

    from workbench.cli import main

    _, data, _ = flaskish
    runner = CliRunner()

    def cli(*args):
        result = runner.invoke(main, ["--data-dir", str(data), "query", *args, "-p", "flaskish"])
        assert result.exit_code == 0, result.output
        return result.output

    assert "no import cycles" in cli("cycles", "--runtime")
    layers = cli("layers", "--exclude", "type_checking")
    assert " 4" in layers.splitlines()[-1]  # five levels, 0 to 4
    assert "flaskish.testing" in cli("impact", "flaskish.app", "--kinds", "imports")
    assert "flaskish.ctx" not in cli("impact", "flaskish.app", "--kinds", "imports", "--runtime")
    assert "no import path" in cli("path", "flaskish.ctx", "flaskish.app", "--runtime")
    assert "no import path" in cli("path", "flaskish.helpers", "flaskish.wrappers",
                                   "--exclude", "type_checking", "--exclude", "deferred")
    bad = runner.invoke(main, ["--data-dir", str(data), "query", "cycles", "-p", "flaskish",
                               "--exclude", "typing"])
    assert bad.exit_code == 2 and "type_checking" in bad.output


def test_cli_cycles_in_a_real_process(flaskish):
    _, data, _ = flaskish
    runtime = run_cli("query", "cycles", "-p", "flaskish", "--runtime", data_dir=data)
    assert runtime.returncode == 0 and "no import cycles" in runtime.stdout, runtime.stderr


def test_widgets_leave_type_checking_imports_out_on_request(flaskish):
    from workbench.widgets import MapView, QueryPanel, Session
    from workbench.widgets.mapdata import MapModel

    _, data, snap = flaskish
    from workbench import Workbench

    wb = Workbench(data)
    try:
        session = Session(wb, project="flaskish")
        panel = QueryPanel(session)
        assert len(panel.run("cycles")) == 2
        assert panel.run("cycles", exclude_contexts=("type_checking",)).empty
        assert panel.skip_type_checking.value and "without type_checking imports" in panel.message.value
        panel.skip_type_checking.value = False
        assert len(panel.run("cycles")) == 2
        assert max(MapModel(snap).layer.values()) == 2
        assert max(MapModel(snap, exclude_contexts=("type_checking",)).layer.values()) == 4
        view = MapView(session)
        edges = len(view.canvas.edges)
        view.runtime.value = True  # the checkbox redraws the same level from runtime imports
        assert view.model.max_layer == 4 and len(view.canvas.edges) <= edges
    finally:
        wb.close()


def test_sql_sees_where_imports_stand(flaskish):
    from workbench import Workbench

    _, data, snap = flaskish
    with Workbench(data) as wb:
        rows = wb.sql("SELECT importer, imported, context, contexts FROM module_imports"
                      " WHERE snapshot_id = ? AND importer = 'flaskish.app'"
                      " AND imported = 'flaskish.globals'", [snap.id])
        runtime = wb.sql("SELECT count(*) AS n FROM module_imports WHERE snapshot_id = ?"
                         " AND list_has_any(contexts, ['import_time', 'conditional', 'deferred'])",
                         [snap.id])
    assert rows.values.tolist()[0][:3] == ["flaskish.app", "flaskish.globals", "import_time"]
    assert list(rows["contexts"][0]) == ["import_time", "type_checking"]
    assert runtime["n"][0] == 13  # of 19 internal imports, 6 are only for type checkers
