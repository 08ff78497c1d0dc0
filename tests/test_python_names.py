"""Python names as Python resolves them: re-exports, syntax newer than the interpreter, module names.

Each kind has a small repository built here; where it helps, the repository's own code is run
with the interpreter to show what Python itself binds, and the map must say the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import commit, init_repo, write
from workbench import Workbench


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    wb = Workbench(tmp_path_factory.mktemp("data"))
    yield wb
    wb.close()


def _map(bench: Workbench, root: Path, files: dict[str, str]):
    repo = init_repo(root)
    write(repo, files)
    commit(repo, "layout")
    return repo, bench.map(str(repo))


def _mapped(name: str, files: dict[str, str]):
    """A module-scoped fixture: the repository ``files`` committed and mapped once."""
    @pytest.fixture(scope="module")
    def fixture(bench, tmp_path_factory):
        return _map(bench, tmp_path_factory.mktemp(name) / name, files)
    return fixture


def _edges(snap, kind: str, src: str | None = None) -> dict[tuple[str, str], int]:
    e = snap.edges[snap.edges.kind == kind]
    if src is not None:
        e = e[e.src == src]
    return {(r.src, r.dst): r.weight for r in e.itertuples()}


def _python(repo: Path, code: str, *, path: str = "", script: str | None = None,
            ok: bool = True) -> str:
    """Run ``code`` (or the file ``script``) with the repository root as the current
    directory, ``path`` as PYTHONPATH; stdout, or stderr when ``ok`` is False (it must fail)."""
    args = [sys.executable, script] if script else [sys.executable, "-c", code]
    done = subprocess.run(args, cwd=repo, capture_output=True, text=True, timeout=60,
                          env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": path})
    assert (done.returncode == 0) == ok, done.stderr
    return done.stdout if ok else done.stderr


# --- names re-exported by a package -------------------------------------------------------

REEXPORTS = {
    "pkg/__init__.py": (
        "from pkg.impl import target_fn\n"
        "from .impl import Base as PublicBase\n"
        "from .star import *\n"
        "from . import chain\n"
        "from .chain import renamed\n"
        "from .deep import *\n"
        "from .main import main\n"
        "__all__ = ['target_fn', 'PublicBase', 'starred', 'renamed', 'chain', 'deep_fn']\n"
    ),
    "pkg/impl.py": (
        "def target_fn():\n    return 1\n\n\n"
        "class Base:\n    def hello(self):\n        return 'hi'\n"
    ),
    "pkg/star.py": (
        "__all__ = ['starred']\n\n\n"
        "def starred():\n    return 2\n\n\n"
        "def hidden():\n    return 3\n"
    ),
    "pkg/main.py": "def main():\n    return 6\n",
    "pkg/chain.py": "from .impl import target_fn as renamed\n",
    "pkg/deep/__init__.py": "from .inner import *\n",
    "pkg/deep/inner.py": "def deep_fn():\n    return 4\n\n\ndef _private():\n    return 5\n",
    "pkg/cyc_a.py": "from pkg.cyc_b import loop\n",
    "pkg/cyc_b.py": "from pkg.cyc_a import loop\n\n\ndef use():\n    return loop()\n",
    "app/__init__.py": "",
    "app/use.py": (
        "from pkg import target_fn, PublicBase, starred, renamed, deep_fn\n"
        "import pkg\n\n\n"
        "class Child(PublicBase):\n    pass\n\n\n"
        "class Grand(pkg.PublicBase):\n    pass\n\n\n"
        "def run():\n"
        "    return (target_fn(), pkg.target_fn(), starred(), renamed(), pkg.chain.renamed(),\n"
        "            deep_fn(), pkg.deep_fn(), Child().hello())\n"
    ),
    "app/cli.py": "from pkg import main\nimport pkg\n\n\ndef run():\n    return main() + pkg.main()\n",
    "app/use_star.py": (
        "from pkg import *\n\n\n"
        "def run():\n    return target_fn() + starred() + deep_fn()\n\n\n"
        "def missing():\n    return hidden()\n"
    ),
}


reexports = _mapped("reexports", REEXPORTS)


def _truth(repo: Path, module: str, names: list[str]) -> dict[str, str]:
    """What each name of ``module`` is, by Python: ``defining.module:Qualname``."""
    code = (f"import json, {module} as m\n"
            f"print(json.dumps({{n: f'{{getattr(m, n).__module__}}:{{getattr(m, n).__qualname__}}'"
            f" for n in {names!r} if hasattr(m, n)}}))")
    return json.loads(_python(repo, code))


def test_calls_follow_reexports_to_the_definition(reexports):
    repo, snap = reexports
    truth = _truth(repo, "app.use", ["target_fn", "PublicBase", "starred", "renamed", "deep_fn"])
    assert truth == {"target_fn": "pkg.impl:target_fn", "PublicBase": "pkg.impl:Base",
                     "starred": "pkg.star:starred", "renamed": "pkg.impl:target_fn",
                     "deep_fn": "pkg.deep.inner:deep_fn"}
    calls = _edges(snap, "calls", "app.use:run")
    assert calls == {
        ("app.use:run", "pkg.impl:target_fn"): 4,   # direct, pkg., alias chain, pkg.chain.
        ("app.use:run", "pkg.star:starred"): 1,
        ("app.use:run", "pkg.deep.inner:deep_fn"): 2,  # star of a star, and pkg.deep_fn
        ("app.use:run", "app.use:Child"): 1,
    }
    assert not any(dst in ("pkg", "pkg.chain", "pkg.deep") for _, dst in calls)


def test_a_name_the_package_binds_over_its_submodule_of_that_name(reexports):
    repo, snap = reexports
    # pkg/__init__.py rebinds `main` (first the submodule pkg.main) to the function in it
    assert _truth(repo, "app.cli", ["main"]) == {"main": "pkg.main:main"}
    assert _edges(snap, "calls", "app.cli:run") == {("app.cli:run", "pkg.main:main"): 2}


def test_star_imports_follow_all_and_public_names(reexports):
    repo, snap = reexports
    truth = _truth(repo, "app.use_star", ["target_fn", "starred", "deep_fn", "hidden", "PublicBase"])
    assert "hidden" not in truth  # not in pkg.__all__ (nor in pkg.star.__all__)
    assert _edges(snap, "calls", "app.use_star:run") == {
        ("app.use_star:run", truth["target_fn"]): 1,
        ("app.use_star:run", truth["starred"]): 1,
        ("app.use_star:run", truth["deep_fn"]): 1,
    }
    assert _edges(snap, "calls", "app.use_star:missing") == {}


def test_inheritance_and_impact_follow_reexports(reexports):
    repo, snap = reexports
    assert _edges(snap, "inherits") == {("app.use:Child", "pkg.impl:Base"): 1,
                                        ("app.use:Grand", "pkg.impl:Base"): 1}
    assert _python(repo, "import app.use as u; print(u.Grand.__mro__[1].__module__)").strip() == "pkg.impl"
    impacted = set(snap.impact("pkg.impl:target_fn")["node"])
    assert {"app.use:run", "app.use_star:run"} <= impacted
    assert "app.use:Child" in set(snap.impact("pkg.impl:Base")["node"])


def test_module_import_edges_keep_their_meaning(reexports):
    _, snap = reexports
    # `from pkg import target_fn` imports the package (as grimp counts it), not pkg.impl
    assert _edges(snap, "imports", "app.use") == {("app.use", "pkg"): 2}
    assert ("pkg", "pkg.impl") in _edges(snap, "imports", "pkg")


def test_a_cycle_of_reexports_resolves_to_nothing(reexports):
    _, snap = reexports
    assert _edges(snap, "calls", "pkg.cyc_b:use") == {}
    assert snap.stats["calls_unresolved"] >= 1


# --- syntax newer than the interpreter ----------------------------------------------------

NEWER = (
    '"""Generic containers."""\n'
    'import os\n'
    'from typing import Callable\n'
    '\n'
    '\n'
    'class Base:\n'
    '    items: dict = {}\n'
    '\n'
    '\n'
    'class Box[T](Base):\n'
    '    def get[U: (int, str) = int](self, key: U) -> T:\n'
    '        return self.items[f"{key["name"]}"]\n'
    '\n'
    '    def label(self):\n'
    '        return f"{"-".join(str(v) for v in self.items) if self.items else \'none\'}"\n'
    '\n'
    '\n'
    'class Tagged[T = int, *Ts = *tuple[int, ...], **P = [int]](\n'
    '    Base,\n'
    '):\n'
    '    pass\n'
    '\n'
    '\n'
    'class Free[\n'
    '    K,\n'
    '    V,\n'
    ']:\n'
    '    def walk(self):\n'
    '        return sorted(self.items)\n'
    '\n'
    '\n'
    'type Pair[K: make_bound() = default()] = tuple[K, K]\n'
    'type Alias = Callable[[int], list[str]]; flag = os.getenv("X")\n'
    '\n'
    '\n'
    'def first[T](xs: list[T]) -> T:\n'
    '    return next(iter(xs))\n'
    '\n'
    '\n'
    'def report(rows):\n'
    '    return f"""{\n'
    '        len(rows)  # counted\n'
    '    } rows, {", ".join(map(str, rows)):>{os.get_terminal_size().columns}}"""\n'
    '\n'
    '\n'
    'def multi(x):\n'
    "    return f'{x\n"
    '        + compute(x) if x and x > 1 else 0}\' + f"{\'\\n\'.join(x)}" "tail" f\'{f\'{f\'{deep(x)}\'}\'}\'\n'
    '\n'
    '\n'
    '@decorate(f"{nested()}")\n'
    'def decorated():\n'
    '    pass\n'
)
NEWER_314 = (
    "def render(name, items):\n"
    "    try:\n"
    "        page = t\"<p>{escape(name)}</p>{count(items):>{width()}}\"\n"
    "    except ValueError, TypeError:\n"
    "        page = fallback()\n"
    "    return page\n"
)
#: The facts of one file computed by another interpreter, loading only the parser's modules.
FACTS_OF = (
    "import importlib.util, sys, types\n"
    "d = sys.argv[1]\n"
    "pkg = types.ModuleType('wbm'); pkg.__path__ = [d]; sys.modules['wbm'] = pkg\n"
    "spec = importlib.util.spec_from_file_location('wbm.python', d + '/python.py')\n"
    "mod = importlib.util.module_from_spec(spec); sys.modules['wbm.python'] = mod\n"
    "spec.loader.exec_module(mod)\n"
    "print(mod.parse_python(sys.stdin.buffer.read()).to_json())\n"
)


def _python_313() -> str | None:
    """An interpreter of Python 3.13 or newer on this machine (pyenv's, or on PATH)."""
    import glob
    import shutil

    for candidate in [*sorted(glob.glob("/root/.pyenv/versions/3.1[3-9]*/bin/python"), reverse=True),
                      *(shutil.which(n) for n in ("python3.14", "python3.13"))]:
        if candidate and subprocess.run(
                [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 13))"],
                capture_output=True).returncode == 0:
            return candidate
    return None


#: CRLF line ends, `type` also as a plain name, a type alias over several lines.
NEWER_CRLF = (
    'import os\r\ntype = 5\r\nprint(type(1))\r\nclass A[T](\r\n    os.PathLike):\r\n'
    '    def m[U](self):\r\n        return f"{os.sep.join(["a", "b"])}"\r\n'
    'type X[\r\n  T: foo()\r\n] = bar(\r\n)\r\nmatch x:\r\n    case {"k": v}:\r\n        pass\r\n'
)


#: Facts of NEWER and NEWER_CRLF as Python 3.13 parses them, by test id.
NEWER_FACTS = Path(__file__).with_name("newer_syntax_facts.json")


@pytest.mark.parametrize(("source_id", "source"),
                         [("pep695-696-701", NEWER), ("crlf", NEWER_CRLF)],
                         ids=["pep695-696-701", "crlf"])
def test_newer_syntax_gives_the_facts_the_newer_python_gives(source_id, source):
    import ast

    from workbench.mapping.python import parse_python

    if sys.version_info < (3, 12):
        with pytest.raises(SyntaxError):
            ast.parse(source)
    ours = parse_python(source.encode())
    assert ours.problem is None
    if source is NEWER:
        assert [d.qualname for d in ours.definitions] == [
            "Base", "Box", "Box.get", "Box.label", "Tagged", "Free", "Free.walk", "first",
            "report", "multi", "decorated"]
        assert {c.callee for c in ours.calls} >= {"make_bound", "default", "compute", "deep", "len"}
    # The facts Python 3.13's own ``ast`` gives for these files, recorded with
    # /root/.pyenv/versions/3.13.0/bin/python by FACTS_OF; compared afresh where such an
    # interpreter is present, so a change to the walker cannot leave the record stale unseen.
    recorded = json.loads(NEWER_FACTS.read_text())[source_id]
    assert ours.to_object() == recorded
    newer = _python_313()
    if newer is not None:
        mapping = Path(__file__).resolve().parents[1] / "workbench" / "mapping"
        done = subprocess.run([newer, "-c", FACTS_OF, str(mapping)], input=source.encode(),
                              capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        from workbench.mapping.facts import FileFacts

        assert FileFacts.from_json(done.stdout).to_object() == recorded


def test_python_314_template_strings_and_bare_except_tuples():
    from workbench.mapping.python import parse_python

    facts = parse_python(NEWER_314.encode())
    assert facts.problem is None
    assert sorted((c.callee, c.line) for c in facts.calls) == [
        ("count", 3), ("escape", 3), ("fallback", 5), ("width", 3)]
    assert facts.definitions[0].complexity == 2  # one except clause


def test_a_real_syntax_error_stays_a_problem():
    from workbench.mapping.python import parse_python

    assert parse_python(b"class Box[T](Base:\n    pass\n").problem.startswith("syntax error")
    assert parse_python(b"x = f'{'\n").problem.startswith("syntax error")


def test_newer_syntax_maps_its_imports_definitions_and_inheritance(layout):
    repo, snap = layout
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["shapes.box", "problem"] is None
    assert {"shapes.box:Box", "shapes.box:Box.area", "shapes.box:measure"} <= set(nodes.index)
    assert _edges(snap, "inherits", "shapes.box:Box") == {("shapes.box:Box", "shapes.base:Shape"): 1}
    assert _edges(snap, "imports", "shapes.box") == {("shapes.box", "shapes.base"): 1}
    assert _edges(snap, "calls", "shapes.box:Box.area") == {
        ("shapes.box:Box.area", "shapes.box:measure"): 1}
    newer = _python_313()
    if newer is not None:  # the interpreter agrees on the base class
        out = subprocess.run([newer, "-c", "import shapes.box as b; print(b.Box.__mro__[1])"],
                             cwd=repo, capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "<class 'shapes.base.Shape'>", out.stderr


# --- module names by Python's import rules --------------------------------------------------

LAYOUT = {
    # (a) a regular package inside a root directory that is not a package
    "top/a.py": "import top.b\nfrom top.b import x\n\nVALUE = top.b.x.f()\n",
    "top/b/__init__.py": "",
    "top/b/x.py": "def f():\n    return 'x'\n",
    # (b) a file name Python cannot import beside the module it looks like a child of
    "config/__init__.py": "",
    "config/settings.py": "example = 1\n",
    "config/settings.example.py": "from config.settings import example\nimport os\n\n\ndef show():\n    return example\n",
    "app/__init__.py": "",
    "app/views.py": "from config.settings import example\nfrom config import settings\n",
    # a module shadowed by the regular package of the same name beside it
    "config/db.py": "def old():\n    return 'module'\n",
    "config/db/__init__.py": "def new():\n    return 'package'\n",
    "app/data.py": "import config.db\n\n\ndef use():\n    return config.db.new()\n",
    # namespace packages (no __init__.py anywhere)
    "ns/part/mod.py": "def g():\n    return 1\n",
    "ns/user.py": "from ns.part.mod import g\n\n\ndef h():\n    return g()\n",
    # syntax newer than the interpreter (PEP 695, 696, 701)
    "shapes/__init__.py": "",
    "shapes/base.py": "class Shape:\n    def area(self):\n        return 0\n",
    "shapes/box.py": (
        "from shapes.base import Shape\n\n\n"
        "class Box[T: (int, float) = int](Shape):\n"
        '    def area(self) -> T:\n        return super().area() + measure(f"{self.w["x"]}")\n\n\n'
        "type Sides[K] = tuple[K, K]\n\n\n"
        "def measure[N](n: N) -> N:\n    return n\n"
    ),
}


layout = _mapped("layout", LAYOUT)


def test_a_package_in_a_plain_directory_is_named_from_the_root(layout):
    repo, snap = layout
    assert _python(repo, "import top.a, top.b; print(top.b.__name__, top.a.VALUE)").split() == ["top.b", "x"]
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["top.b", "path"] == "top/b/__init__.py"
    assert nodes.loc["top", "kind"] == "package"  # a namespace package
    assert "b" not in nodes.index and "ext:top" not in nodes.index
    assert _edges(snap, "imports", "top.a") == {("top.a", "top.b"): 1, ("top.a", "top.b.x"): 1}
    assert _edges(snap, "calls", "top.a") == {("top.a", "top.b.x:f"): 1}


def test_a_file_python_cannot_import_is_a_file_node_that_captures_nothing(layout):
    repo, snap = layout
    err = _python(repo, "import config.settings.example", ok=False)
    assert "ModuleNotFoundError" in err and "is not a package" in err
    nodes = snap.nodes.set_index("id")
    node = nodes.loc["config/settings.example.py"]
    assert node["kind"] == "file" and node["parent"] == "config"
    assert "not importable" in json.loads(node["attrs"])["not_importable"]
    assert "config.settings.example" not in nodes.index
    assert _edges(snap, "imports", "app.views") == {("app.views", "config.settings"): 2}
    assert not any(dst == "config/settings.example.py" for _, dst in _edges(snap, "imports"))
    # its own imports and definitions are still mapped
    assert _edges(snap, "imports", "config/settings.example.py") == {
        ("config/settings.example.py", "config.settings"): 1}
    assert "config/settings.example.py:show" in nodes.index


def test_a_module_beside_a_package_of_its_name_is_shadowed(layout):
    repo, snap = layout
    assert _python(repo, "import app.data; print(app.data.use())").strip() == "package"
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["config.db", "path"] == "config/db/__init__.py"
    node = nodes.loc["config/db.py"]
    assert node["kind"] == "file" and "has the same name" in json.loads(node["attrs"])["not_importable"]
    assert _edges(snap, "imports", "app.data") == {("app.data", "config.db"): 1}
    assert _edges(snap, "calls", "app.data:use") == {("app.data:use", "config.db:new"): 1}


def test_namespace_packages(layout):
    repo, snap = layout
    assert _python(repo, "import ns.user; print(ns.user.h(), ns.__path__._path)").startswith("1 ")
    nodes = snap.nodes.set_index("id")
    assert json.loads(nodes.loc["ns.part", "attrs"]) == {"namespace": True}
    assert _edges(snap, "imports", "ns.user") == {("ns.user", "ns.part.mod"): 1}
    assert _edges(snap, "calls", "ns.user:h") == {("ns.user:h", "ns.part.mod:g"): 1}


ROOTS = {
    # several src/ roots; one namespace package (company) spread over two of them
    "services/api/src/api/__init__.py": "",
    "services/api/src/api/app.py": (
        "from api.routes import route\nfrom company.shared import util\n\n\n"
        "def serve():\n    return route() + util()\n"),
    "services/api/src/api/routes.py": "def route():\n    return 1\n",
    "libs/shared/src/company/shared/__init__.py": "def util():\n    return 2\n",
    "libs/other/src/company/other/__init__.py": "from company.shared import util\n",
    # a package its scripts import as a sibling (the script's directory is on sys.path),
    # and the tests import from the repository root: one module, two names
    "scripts/run_deploy.py": "from deploy.steps import go\n\nprint(go())\n",
    "scripts/deploy/__init__.py": "",
    "scripts/deploy/steps.py": "def go():\n    return 'deployed'\n",
    "tests/test_deploy.py": "import scripts.deploy.steps\n\n\ndef test_go():\n    assert scripts.deploy.steps.go()\n",
    # a project directory: setup.py beside its package does not make it a namespace portion
    "packages/alpha/setup.py": "from setuptools import setup\n",
    "packages/alpha/alpha/__init__.py": "from .core import VERSION\n",
    "packages/alpha/alpha/core.py": "VERSION = '1'\n",
    # a directory no import statement can name is a root, even beside plain modules
    "my-tool/cli.py": "import sys\n",
    "my-tool/mytool/__init__.py": "from .core import run\n",
    "my-tool/mytool/core.py": "def run():\n    return 'ran'\n",
    "my-tool/bump-version.py": "import cli\n",
}


roots = _mapped("roots", ROOTS)


def test_several_src_roots_and_a_namespace_across_them(roots):
    repo, snap = roots
    path = "services/api/src:libs/shared/src:libs/other/src"
    out = _python(repo, "import api.app, company.other; print(api.app.serve(), company.other.util.__module__)",
                  path=path)
    assert out.split() == ["3", "company.shared"]
    nodes = snap.nodes.set_index("id")
    assert {"api", "api.app", "api.routes", "company.shared", "company.other"} <= set(nodes.index)
    assert json.loads(nodes.loc["company", "attrs"]) == {"namespace": True}
    assert _edges(snap, "imports", "api.app") == {("api.app", "api.routes"): 1,
                                                  ("api.app", "company.shared"): 1}
    assert _edges(snap, "imports", "company.other") == {("company.other", "company.shared"): 1}
    assert _edges(snap, "calls", "api.app:serve") == {("api.app:serve", "api.routes:route"): 1,
                                                      ("api.app:serve", "company.shared:util"): 1}


def test_one_module_reached_by_the_names_each_root_gives_it(roots):
    repo, snap = roots
    assert _python(repo, "", script="scripts/run_deploy.py").strip() == "deployed"
    assert _python(repo, "import tests.test_deploy as t; t.test_go(); print('ok')").strip() == "ok"
    nodes = snap.nodes.set_index("id")
    # the name the code uses most: `from deploy.steps import go`
    assert nodes.loc["deploy.steps", "path"] == "scripts/deploy/steps.py"
    assert _edges(snap, "imports", "scripts.run_deploy") == {("scripts.run_deploy", "deploy.steps"): 1}
    assert _edges(snap, "imports", "tests.test_deploy") == {("tests.test_deploy", "deploy.steps"): 1}
    assert _edges(snap, "calls", "tests.test_deploy:test_go") == {
        ("tests.test_deploy:test_go", "deploy.steps:go"): 1}
    assert not {"ext:deploy", "ext:scripts"} & set(nodes.index)


@pytest.mark.parametrize("root, package, code, printed", [
    ("packages/alpha", "alpha", "import alpha; print(alpha.VERSION)", "1"),  # setup.py beside it
    ("my-tool", "mytool", "import mytool; print(mytool.run())", "ran"),  # no import names my-tool
], ids=["project-directory", "not-an-identifier"])
def test_directories_that_are_roots(roots, root, package, code, printed):
    repo, snap = roots
    assert _python(repo, code, path=root).strip() == printed
    nodes = snap.nodes.set_index("id")
    assert nodes.loc[f"{package}.core", "path"] == f"{root}/{package}/core.py"
    assert _edges(snap, "imports", package) == {(package, f"{package}.core"): 1}


def test_a_directory_that_is_no_identifier_is_the_root_of_the_files_below_it(roots):
    repo, snap = roots
    assert _python(repo, "import cli; print(cli.__name__)", path="my-tool").strip() == "cli"
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["cli", "path"] == "my-tool/cli.py"
    assert not any(i.startswith("my-tool.") for i in nodes.index)
    # a file whose name is no identifier is a file node saying why; its imports still resolve
    node = nodes.loc["my-tool/bump-version.py"]
    assert node["kind"] == "file"
    assert "not a Python identifier" in json.loads(node["attrs"])["not_importable"]
    assert _edges(snap, "imports", "my-tool/bump-version.py") == {("my-tool/bump-version.py", "cli"): 1}


@pytest.mark.parametrize("path, name", [
    ("my-tool/cli.py", "cli"),
    ("my-tool/sub/x.py", "sub.x"),
    ("pkg/__init__.py", "pkg"),
    ("pkg/my-data/load.py", "load"),  # inside a package, the directory still cuts the name
    (".github/scripts/check.py", "scripts.check"),
    ("tools/2fa/run.py", "run"),
    ("tools/class/run.py", "run"),  # a keyword cannot be imported either
])
def test_names_never_pass_through_a_directory_that_is_no_identifier(path, name):
    from workbench.mapping.pymodules import module_layout
    assert module_layout(sorted({path, "pkg/__init__.py"})).names[path] == name


@pytest.mark.parametrize("path", ["caf\\xe9.py", "lib/my-script.py", "lib/2fa.py", "lib/import.py",
                                  "my-tool/also-bad.py"])
def test_a_file_name_that_is_no_identifier_is_not_importable(path):
    from workbench.mapping.pymodules import module_layout
    layout = module_layout([path])
    assert path not in layout.names
    assert "not a Python identifier" in layout.unimportable[path]


def test_a_django_migration_stays_a_module_importlib_loads_by_name():
    from workbench.mapping.pymodules import module_layout
    layout = module_layout(["app/__init__.py", "app/migrations/0001_initial.py",
                            "app/migrations/__init__.py", "app/scripts/0001_initial.py"])
    assert layout.names["app/migrations/0001_initial.py"] == "app.migrations.0001_initial"
    assert "app/scripts/0001_initial.py" in layout.unimportable


def test_the_init_of_a_directory_that_is_no_identifier_is_not_importable():
    from workbench.mapping.pymodules import module_layout
    layout = module_layout(["my-tool/__init__.py", "my-tool/core.py"])
    assert layout.names == {"my-tool/core.py": "core"}
    assert "'my-tool' is not a valid package name" in layout.unimportable["my-tool/__init__.py"]


def test_two_roots_giving_one_name_keep_no_impossible_name():
    from workbench.mapping.pymodules import module_layout
    layout = module_layout(["tool-a/cli.py", "tool-b/cli.py"])
    assert layout.names == {"tool-a/cli.py": "cli"}
    assert "another file has the module name 'cli'" in layout.unimportable["tool-b/cli.py"]
