"""A query given a node its edge kinds never reach says so, and what to ask instead: an import
path between two functions is no "no import path"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import invoke_cli, mapped_repo
from workbench import Workbench
from workbench.domain import EDGE_ENDS
from workbench.graph.errors import NodeKindNotHandled

FILES = {
    "pkg/__init__.py": "",
    "pkg/low.py": "import json\n\n\nclass Base:\n    pass\n\n\ndef helper():\n    return 1\n",
    "pkg/mid.py": "from pkg.low import Base, helper\n\n\nclass Child(Base):\n    pass\n\n\n"
                  "def work():\n    return helper()\n",
    "pkg/top.py": "from pkg import mid\n\n\ndef main():\n    return mid.work()\n",
    "web/base.ts": "export class Widget {\n  draw(): number { return 1; }\n}\n",
    "web/button.ts": "import { Widget } from './base';\n\nexport class Button extends Widget {\n"
                     "  press(): number { return this.draw(); }\n}\n",
}


@pytest.fixture(scope="module")
def mapped(tmp_path_factory) -> Path:
    return mapped_repo(tmp_path_factory.mktemp("kinds"), FILES, "kinds")


def _error(out) -> str:
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    return lines[0]


def test_an_import_path_between_functions_names_their_modules_and_calls(mapped):
    line = _error(invoke_cli("query", "path", "pkg.top.main", "pkg.low.helper", "-p", "kinds",
                             data_dir=mapped))
    assert line == (
        "error: query path follows imports edges, which join packages, modules and files; "
        "pkg.top:main is a function and pkg.low:helper is a function. Ask about the modules "
        "that hold them (pkg.top, pkg.low) or follow calls edges instead (--kinds calls).")
    modules = invoke_cli("query", "path", "pkg.top", "pkg.low", "-p", "kinds", data_dir=mapped)
    assert modules.stdout.splitlines()[1:] == ["pkg.top -> pkg.mid -> pkg.low"]
    calls = invoke_cli("query", "path", "pkg.top.main", "pkg.low.helper", "-p", "kinds",
                       "--kinds", "calls", data_dir=mapped)
    assert calls.returncode == 0, calls.stderr
    assert calls.stdout.splitlines()[1:] == ["pkg.top:main -> pkg.mid:work -> pkg.low:helper"]
    nothing = invoke_cli("query", "path", "pkg.low.helper", "pkg.top.main", "-p", "kinds",
                         "--kinds", "calls", data_dir=mapped)
    assert nothing.stdout.splitlines()[1:] == ["no path over calls edges"]


def test_one_wrong_end_is_named_alone(mapped):
    line = _error(invoke_cli("query", "path", "pkg.top.main", "pkg.low", "-p", "kinds",
                             data_dir=mapped))
    assert line.endswith("pkg.top:main is a function. Ask about the module that holds it "
                         "(pkg.top).")


def test_python_says_it_with_python_words(mapped):
    snap = Workbench(mapped).snapshot("kinds")
    with pytest.raises(NodeKindNotHandled) as caught:
        snap.paths("pkg.mid.Child", "pkg.low.Base")
    err = caught.value
    assert str(err).startswith("paths() follows imports edges")
    assert "kinds=('calls', 'inherits')" in str(err)
    assert (err.node, err.kind, err.holder, err.instead) == (
        "pkg.mid:Child", "class", "pkg.mid", ("calls", "inherits"))
    assert snap.paths("pkg.mid.Child", "pkg.low.Base", kinds=["inherits"]) == [
        ["pkg.mid:Child", "pkg.low:Base"]]


def test_impact_and_related_refuse_the_same_way(mapped):
    line = _error(invoke_cli("query", "impact", "pkg.low.helper", "--kinds", "imports",
                             "-p", "kinds", data_dir=mapped))
    assert ("query impact follows imports edges, which reach packages, modules and files; "
            "pkg.low:helper is a function. Ask about the module that holds it (pkg.low) or "
            "follow calls edges instead (--kinds calls).") in line
    line = _error(invoke_cli("query", "impact", "pkg.top", "--kinds", "inherits",
                             "-p", "kinds", data_dir=mapped))
    assert "pkg.top is a module holding no classes" in line
    # a module that holds a class: its impact over inheritance is that class's subclasses
    held = invoke_cli("query", "impact", "pkg.low", "--kinds", "inherits", "-p", "kinds",
                      data_dir=mapped)
    assert held.returncode == 0 and "pkg.mid:Child" in held.stdout, held.stderr
    line = _error(invoke_cli("query", "related", "pkg.mid", "--kinds", "inherits",
                             "-p", "kinds", data_dir=mapped))
    assert "query related follows inherits edges, which join classes; pkg.mid is a module" in line
    line = _error(invoke_cli("query", "related", "ext:json", "--kinds", "depends_on",
                             "--direction", "out", "-p", "kinds", data_dir=mapped))
    assert line.endswith("ext:json is an external package. Look the other way "
                         "(--direction in).")
    users = invoke_cli("query", "related", "ext:json", "--kinds", "depends_on",
                       "--direction", "in", "-p", "kinds", data_dir=mapped)
    assert users.returncode == 0 and "pkg.low" in users.stdout, users.stderr


def test_every_edge_of_a_map_joins_the_kinds_queries_expect(mapped):
    """The rule the refusals rest on: no edge of a real map (Python and TypeScript) joins other
    kinds than EDGE_ENDS says, so no refused question had an answer."""
    wb = Workbench(mapped)
    frame = wb.sql("SELECT e.kind, s.kind AS src, d.kind AS dst FROM edges e "
                   "JOIN nodes s ON s.snapshot_id = e.snapshot_id AND s.id = e.src "
                   "JOIN nodes d ON d.snapshot_id = e.snapshot_id AND d.id = e.dst "
                   "GROUP BY ALL")
    seen = set(frame["kind"])
    assert {"imports", "depends_on", "calls", "inherits", "contains"} <= seen, frame
    for kind, src, dst in frame.itertuples(index=False):
        if kind in EDGE_ENDS:
            leaves, reaches = EDGE_ENDS[kind]
            assert src in leaves and dst in reaches, (kind, src, dst)
