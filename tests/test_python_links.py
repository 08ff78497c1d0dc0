"""Python, deeper: static call resolution, inheritance, tests edges and structural metrics."""

from __future__ import annotations

import pytest

from tests.helpers import commit, init_repo, write

SOURCES = {
    "pkg/__init__.py": "",
    "pkg/base.py": (
        "class Base:\n"
        "    def save(self):\n"
        "        return self.validate()\n"
        "\n"
        "    def validate(self):\n"
        "        return True\n"
    ),
    "pkg/models.py": (
        "from .base import Base\n"
        "from . import helpers\n"
        "import pkg.helpers as h\n"
        "\n"
        "\n"
        "class User(Base):\n"
        "    def create(self):\n"
        "        helpers.log('x')\n"
        "        h.log('y')\n"
        "        self.save()\n"
        "        return User.build()\n"
        "\n"
        "    @classmethod\n"
        "    def build(cls):\n"
        "        return cls()\n"
        "\n"
        "\n"
        "def make():\n"
        "    u = User()\n"
        "    u.create()\n"
        "    print(len([]))\n"
        "    return missing()\n"
    ),
    "pkg/helpers.py": "def log(msg):\n    return fmt(msg)\n\n\ndef fmt(m):\n    return m\n",
    "tests/test_models.py": "from pkg.models import make\n\n\ndef test_make():\n    assert make()\n",
}


@pytest.fixture
def snap(wb, tmp_path):
    repo = init_repo(tmp_path / "calls")
    write(repo, SOURCES)
    commit(repo, "calls")
    return wb.map(str(repo))


def _edges(snap, kind):
    e = snap.edges
    return {(r.src, r.dst): r.weight for r in e[e.kind == kind].itertuples()}


def test_calls_are_resolved_statically(snap):
    assert _edges(snap, "calls") == {
        ("pkg.base:Base.save", "pkg.base:Base.validate"): 1,
        ("pkg.models:User.create", "pkg.helpers:log"): 2,
        ("pkg.models:User.create", "pkg.base:Base.save"): 1,   # inherited method via self.
        ("pkg.models:User.create", "pkg.models:User.build"): 1,
        ("pkg.models:make", "pkg.models:User"): 1,
        ("pkg.helpers:log", "pkg.helpers:fmt"): 1,
        ("tests.test_models:test_make", "pkg.models:make"): 1,
    }
    s = snap.stats
    assert (s["calls_resolved"], s["calls_unresolved"], s["calls_builtin"]) == (8, 3, 2)


def test_inheritance_and_tests_edges(snap):
    assert _edges(snap, "inherits") == {("pkg.models:User", "pkg.base:Base"): 1}
    assert _edges(snap, "tests") == {("tests.test_models", "pkg.models"): 1}
    assert _edges(snap, "imports") == {
        ("pkg.models", "pkg.base"): 1, ("pkg.models", "pkg.helpers"): 2,
        ("tests.test_models", "pkg.models"): 1,
    }
    nodes = snap.nodes.set_index("id")
    assert '"decorators":["classmethod"]' in nodes.loc["pkg.models:User.build", "attrs"]


def test_structural_metrics_are_columns(snap, wb):
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["pkg.models", ["fan_in", "fan_out", "depth"]].tolist() == [1, 2, 1]
    assert nodes.loc["pkg.helpers", ["fan_in", "fan_out"]].tolist() == [1, 0]
    assert nodes.loc["pkg.models:User.create", "depth"] == 3
    files = nodes[nodes.kind.isin(["module", "package"]) & nodes.path.notna()]
    assert abs(files["pagerank"].sum() - 1.0) < 1e-6
    assert files["pagerank"].idxmax() == "pkg.models"  # imported by the test, imports the rest
    assert files["community"].notna().all()
    # queryable in SQL
    top = wb.store.db.query(
        "SELECT id, complexity FROM nodes WHERE snapshot_id = ? AND kind = 'function'"
        " ORDER BY complexity DESC, id LIMIT 1", [snap.id])
    assert top == [("tests.test_models:test_make", 2)]  # an assert is a branch
    code = nodes.loc["pkg.helpers", ["lines", "code_lines", "blank_lines", "comment_lines"]].tolist()
    assert code == [6, 4, 2, 0]


def test_multi_language_repository(wb, tmp_path):
    repo = init_repo(tmp_path / "poly")
    write(repo, {
        "web/src/app.ts": "import { fmt } from './util';\nimport React from 'react';\nexport class App extends Base {}\nclass Base {}\n",
        "web/src/util.ts": "export function fmt(x: number): string {\n  return x > 0 ? 'p' : 'n';\n}\n",
        "go.mod": "module example.com/poly\n\ngo 1.22\n",
        "cmd/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"example.com/poly/lib"\n)\n\nfunc main() { fmt.Println(lib.Hello()) }\n',
        "lib/lib.go": 'package lib\n\nfunc Hello() string { return "hi" }\n',
        "native/x.c": '#include "x.h"\n#include <stdio.h>\nint main(void) { return 0; }\n',
        "native/x.h": "int main(void);\n",
    })
    commit(repo, "poly")
    snap = wb.map(str(repo))
    assert snap.stats["languages"] == {"c": 2, "go": 2, "typescript": 2}
    imports = _edges(snap, "imports")
    assert imports == {("web/src/app.ts", "web/src/util.ts"): 1, ("cmd/main.go", "lib/lib.go"): 1,
                       ("native/x.c", "native/x.h"): 1}
    deps = _edges(snap, "depends_on")
    assert set(deps) == {("web/src/app.ts", "ext:npm:react"), ("cmd/main.go", "ext:go:fmt"),
                         ("native/x.c", "ext:c:stdio.h")}
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["web/src/util.ts:fmt", ["kind", "line_start", "line_end", "complexity"]].tolist() == [
        "function", 1, 3, 2]
    assert nodes.loc["web/src/", "kind"] == "directory"
    assert nodes.loc["web/src/app.ts", "parent"] == "web/src/"
    assert _edges(snap, "inherits") == {("web/src/app.ts:App", "web/src/app.ts:Base"): 1}
    ext = snap.external_dependencies().set_index("name")
    assert bool(ext.loc["fmt", "stdlib"]) and bool(ext.loc["stdio.h", "stdlib"]) and not ext.loc["react", "stdlib"]


def test_builtin_calls_do_not_depend_on_the_host(tmp_path):
    """A kernel adds names to builtins before the workbench is imported (IPython: display,
    get_ipython): a map made there counts calls of such names, undefined in the code, as
    unresolved, as the command line does."""
    import json
    import subprocess
    import sys

    repo = init_repo(tmp_path / "host")
    write(repo, {"nb.py": "def show(x):\n    display(x)\n    get_ipython()\n    return len(x)\n"})
    commit(repo, "host")
    script = (
        "import builtins, json, sys\n"
        "if sys.argv[1] == 'kernel':\n"
        "    builtins.display = print\n"
        "    builtins.get_ipython = lambda: None\n"
        "from workbench import Workbench\n"
        "stats = Workbench(sys.argv[2]).map(sys.argv[3], name=sys.argv[1]).stats\n"
        "print(json.dumps([stats[k] for k in ('calls_resolved', 'calls_unresolved',"
        " 'calls_builtin')]))\n")
    counts = {}
    for host in ("plain", "kernel"):
        out = subprocess.run([sys.executable, "-c", script, host, str(tmp_path / "data"),
                              str(repo)], capture_output=True, text=True, check=True)
        counts[host] = json.loads(out.stdout.splitlines()[-1])
    assert counts == {"plain": [0, 2, 1], "kernel": [0, 2, 1]}


def test_builtin_names_are_a_fresh_interpreters():
    """The fixed set is what a fresh interpreter (with ``site``) binds in builtins."""
    import subprocess
    import sys

    from workbench.mapping.python_builtins import BUILTIN_NAMES

    out = subprocess.run([sys.executable, "-c", "import builtins; print(*dir(builtins))"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert BUILTIN_NAMES == frozenset(out)


@pytest.mark.parametrize("nested_first", [True, False])
def test_a_callee_resolves_per_caller_where_the_caller_matters(wb, tmp_path, nested_first):
    """A module resolves a callee once for all its callers, except where the caller changes
    the answer: a name some function nests a definition of, and ``self``/``cls``. Each
    caller still gets its own edge, whichever caller comes first."""
    outer = ("def outer():\n"
             "    def helper():\n"
             "        return 2\n"
             "    return helper()\n\n\n")
    plain = "def plain():\n    return helper() + other()\n\n\n"
    source = ("def helper():\n    return 1\n\n\ndef other():\n    return 3\n\n\n"
              + (outer + plain if nested_first else plain + outer)
              + "def again():\n    return other()\n\n\n"
              + "class A:\n    def run(self):\n        return 1\n\n    def go(self):\n"
                "        return self.run()\n\n\n"
              + "class B:\n    def run(self):\n        return 2\n\n    def go(self):\n"
                "        return self.run()\n")
    repo = init_repo(tmp_path / "order")
    write(repo, {"pkg/__init__.py": "", "pkg/m.py": source})
    commit(repo, "order")
    snap = wb.map(str(repo))
    assert _edges(snap, "calls") == {
        ("pkg.m:outer", "pkg.m:outer.helper"): 1,
        ("pkg.m:plain", "pkg.m:helper"): 1,
        ("pkg.m:plain", "pkg.m:other"): 1,
        ("pkg.m:again", "pkg.m:other"): 1,
        ("pkg.m:A.go", "pkg.m:A.run"): 1,
        ("pkg.m:B.go", "pkg.m:B.run"): 1,
    }
    assert snap.stats["calls_resolved"] == 6
