"""A commit's map derived from the last one equals the whole map of that commit, row for row.

Random Python projects (packages, ``__init__`` re-exports, ``from x import *`` with and
without ``__all__``, aliases, classes whose bases come through imports and attribute chains,
calls through modules, classes and bases) get random commits that rewrite some modules; each
commit is mapped by a workbench that derives maps and by one that makes whole maps, each in
its own data directory, and every row of the two snapshots is compared: files, nodes (with
PageRank and communities), edges, the history's per-file metrics, and the statistics.
Commits that add a file or change a file of another language must be whole maps, and say why.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from tests.helpers import commit, init_repo, write
from workbench import Config, Workbench

PACKAGES = ("app", "app.core", "app.api", "lib", "lib.util")


#: Files that are not modules of the packages: a test module, a script beside them, a file
#: no import can name; they import and call like the others.
OTHERS = {"tests.test_app": "tests/test_app.py", "scripts.tool": "scripts/tool.py",
          "app.bump-version": "src/app/bump-version.py"}


def _modules(rng: random.Random) -> list[str]:
    """The project's modules, in the (random) order of their layers."""
    modules = list(PACKAGES)
    for package in PACKAGES:
        for i in range(rng.randint(2, 4)):
            modules.append(f"{package}.m{i}")
    rng.shuffle(modules)
    return modules + list(OTHERS)


def _path(module: str) -> str:
    if module in OTHERS:
        return OTHERS[module]
    parts = module.split(".")
    if module in PACKAGES:
        return "src/" + "/".join(parts) + "/__init__.py"
    return "src/" + "/".join(parts) + ".py"


def _source(rng: random.Random, module: str, modules: list[str],
            bodies: random.Random | None = None) -> str:
    """A module that imports, re-exports, defines and calls at random among ``modules``;
    ``bodies`` (default ``rng``) chooses what the functions' bodies call, so that two
    ``bodies`` give the same module with other bodies: the same surface."""
    bodies = bodies or rng
    names = [f"f{i}" for i in range(4)] + [f"C{i}" for i in range(3)]
    lines: list[str] = []
    local: list[str] = []  # names bound at module level
    aliases: list[str] = []  # names bound to modules
    package = module if module in PACKAGES else module.rpartition(".")[0]
    # names mostly from modules later in the list, as layered code takes them (a cycle of
    # re-exports makes a whole map); modules from anywhere
    modules = [m for m in modules if m not in OTHERS]  # no import names those
    later = modules[modules.index(module) + 1:] if module in modules else modules
    later = later or modules
    for _ in range(rng.randint(1, 5)):
        form = rng.randrange(7)
        other = rng.choice(later if form in (0, 1, 3, 5) and rng.random() < 0.97 else modules)
        name = rng.choice(names)
        if form == 0:
            lines.append(f"from {other} import {name}")
            local.append(name)
        elif form == 1:
            alias = f"{name.lower()}_{rng.randrange(9)}"
            lines.append(f"from {other} import {name} as {alias}")
            local.append(alias)
        elif form == 2:
            alias = f"mod{rng.randrange(9)}"
            lines.append(f"import {other} as {alias}")
            aliases.append(alias)
        elif form == 3:
            lines.append(f"from {other} import *")
        elif form == 4:
            lines.append(f"import {other}")
            aliases.append(other)
        elif form == 5 and other.startswith(package + ".") and other != package:
            rest = other[len(package) + 1:]
            lines.append(f"from .{rest} import {name}")
            local.append(name)
        else:
            sub = rng.choice([m for m in modules if "." in m])
            parent, _, leaf = sub.rpartition(".")
            lines.append(f"from {parent} import {leaf}")
            aliases.append(leaf)
    if rng.random() < 0.4:
        exported = rng.sample(names + local, k=min(3, len(names + local)))
        lines.append(f"__all__ = {sorted(set(exported))!r}")
    lines.append("")
    defined = rng.sample(names, k=rng.randint(1, len(names)))

    def callee() -> str:
        pool = local + defined
        form = bodies.randrange(5)
        if form == 0 and aliases:
            return f"{bodies.choice(aliases)}.{bodies.choice(names)}"
        if form == 1 and aliases:
            return (f"{bodies.choice(aliases)}.{bodies.choice(['C0', 'C1', 'C2'])}"
                    f".method{bodies.randrange(2)}")
        if form == 2 and pool:
            return f"{bodies.choice(pool)}.method{bodies.randrange(2)}"
        if pool:
            return bodies.choice(pool)
        return "print"

    def base() -> str:
        """A base class as written: a name, through a module, or a class's nested class."""
        form = rng.randrange(4)
        if form == 0 and aliases:
            return f"{rng.choice(aliases)}.{rng.choice(['C0', 'C1', 'C2'])}"
        if form == 1 and aliases:
            return f"{rng.choice(aliases)}.{rng.choice(['C0', 'C1', 'C2'])}.Inner"
        pool = local + [d for d in defined if d.startswith("C")]
        if form == 2 and pool:
            return f"{rng.choice(pool)}.Inner"
        return rng.choice(pool) if pool else "object"

    for name in defined:
        if name.startswith("C"):
            bases = [base() for _ in range(rng.randint(0, 2))]
            lines.append(f"class {name}({', '.join(bases)}):" if bases else f"class {name}:")
            # some methods only come from the bases: found there, or not at all
            for m in rng.sample(range(2), k=rng.randint(0, 2)):
                lines.append(f"    def method{m}(self):")
                lines.append(f"        self.method{1 - m}()")
                lines.append(f"        return {callee()}()")
            lines.append("    class Inner:")
            lines.append("        def run(self):")
            lines.append(f"            return {callee()}()")
        else:
            lines.append(f"def {name}():")
            lines.append(f"    {callee()}()")
            lines.append(f"    return {callee()}()")
        lines.append("")
    return "\n".join(lines) + "\n"


def _snapshot_rows(wb: Workbench, snapshot_id: int) -> dict:
    rows = {}
    for table, order in (("nodes", "id"), ("edges", "kind, src, dst"), ("files", "path"),
                         ("file_metrics", "path")):
        rows[table] = wb.store.db.query(
            f"SELECT * EXCLUDE (snapshot_id) FROM {table} WHERE snapshot_id = ? ORDER BY {order}",
            [snapshot_id])
    return rows


_OWN = {"seconds", "derived_from", "relinked", "whole_map_because", "parsed_now",
        "history_updated_from", "history_whole_because"}


def _pair(tmp_path: Path, repo: Path, *, blame: bool = False) -> tuple[Workbench, Workbench]:
    """A workbench that derives maps and one that makes whole maps, the project mapped by both."""
    derived = Workbench(config=Config(data_dir=tmp_path / "derived", blame=blame, workers=1))
    whole = Workbench(config=Config(data_dir=tmp_path / "whole", blame=blame, workers=1,
                                    derive_maps=False))
    for wb in (derived, whole):
        wb.add_project("p", str(repo))
        wb.map("p")
    return derived, whole


def _same_maps(derived: Workbench, whole: Workbench, a, b) -> None:
    rows_a, rows_b = _snapshot_rows(derived, a.id), _snapshot_rows(whole, b.id)
    for table in rows_a:
        assert rows_a[table] == rows_b[table], table
    assert ({k: v for k, v in a.stats.items() if k not in _OWN}
            == {k: v for k, v in b.stats.items() if k not in _OWN})
    # the rows are written in another order; the answers must not depend on it (which of
    # two equally short chains impact shows, centrality's ties)
    snap_a = derived.snapshot("p", snapshot_id=a.id)
    snap_b = whole.snapshot("p", snapshot_id=b.id)
    for module in sorted(snap_b.nodes.query("kind in ('module', 'package')")["id"]):
        assert snap_a.impact(module).equals(snap_b.impact(module)), module
    assert snap_a.centrality().equals(snap_b.centrality())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_derived_maps_equal_whole_maps(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    modules = _modules(rng)
    repo = init_repo(tmp_path / "repo")
    write(repo, {_path(m): _source(rng, m, modules) for m in modules})
    write(repo, {"README.md": "# project\n", "web/app.js": "import x from './y';\nexport function a() { x(); }\n"})
    commit(repo, "first")
    # one seed blames as well: the owners of current lines are compared with the rest
    derived, whole = _pair(tmp_path, repo, blame=seed == 1)
    kinds = []
    for round_ in range(6):
        if round_ == 3:  # a file of another language changes: a whole map, saying why
            write(repo, {"web/app.js": f"export function b{round_}() {{ return 1; }}\n"})
            expect = "web/app.js"
        elif round_ == 5:  # a module is added: a whole map
            write(repo, {"src/lib/added.py": "from app import *\n\n\ndef added():\n    return f0()\n"})
            expect = "added"
        else:
            expect = None
        for m in rng.sample(modules, k=rng.randint(1, 3)):
            write(repo, {_path(m): _source(rng, m, modules)})
        write(repo, {"README.md": f"# project, round {round_}\n"})
        commit(repo, f"round {round_}", date=f"2026-01-{round_ + 2:02d}T12:00:00+00:00")
        a, b = derived.map("p"), whole.map("p")
        if expect is not None:
            assert "derived_from" not in a.stats
            assert expect in a.stats["whole_map_because"]
        kinds.append("derived" if "derived_from" in a.stats else a.stats.get("whole_map_because"))
        assert "derived_from" not in b.stats and "whole_map_because" not in b.stats
        _same_maps(derived, whole, a, b)
    # most commits only rewrote Python modules: those maps were derived
    assert kinds.count("derived") >= 3, kinds


@pytest.mark.parametrize("seed", [4, 5])
def test_a_change_that_keeps_a_modules_surface_links_that_module_alone_again(
        tmp_path: Path, seed: int) -> None:
    """Functions' bodies rewritten, a docstring changed and the lines moved: no other module
    reads any of it, so only the changed modules are linked again, and the map is still the
    whole map row for row. The last round renames a function or class another module
    looked up: that reader is linked again too."""
    rng = random.Random(seed)
    modules = _modules(rng)
    shapes = {m: rng.randrange(1 << 30) for m in modules}  # each module's surface, fixed

    def source(module: str, round_: int) -> str:
        body = _source(random.Random(shapes[module]), module, modules,
                       bodies=random.Random(rng.randrange(1 << 30)))
        return f'"""Round {round_}."""\n' + "\n" * rng.randrange(4) + body

    repo = init_repo(tmp_path / "repo")
    sources = {m: source(m, 0) for m in modules}
    write(repo, {_path(m): text for m, text in sources.items()})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    last = derived.snapshot("p").id
    for round_ in range(1, 6):
        changed = rng.sample(modules, k=rng.randint(1, 3))
        edits = {m: source(m, round_) for m in changed}
        if round_ == 5:  # the last: later rounds would make its old surface again
            # a function or class another module looked up, renamed: that reader is linked
            # again with the module (the record names who looked up what)
            rows = derived.store.links.read(last).modules
            looked_up = sorted(
                (other, name) for m, row in rows.items() for other, _, name in
                (key.rpartition(":") for key in row[4]) if other in sources and other != m
                and re.search(rf"^(def|class) {re.escape(name)}\b", sources[other], re.M))
            other, name = rng.choice(looked_up)
            changed = [other]
            edits = {other: re.sub(rf"^(def|class) {re.escape(name)}\b", rf"\1 {name}_renamed",
                                   sources[other], flags=re.M)}
        sources.update(edits)
        write(repo, {_path(m): text for m, text in edits.items()})
        commit(repo, f"round {round_}", date=f"2026-01-{round_ + 2:02d}T12:00:00+00:00")
        a, b = derived.map("p"), whole.map("p")
        assert "derived_from" in a.stats, a.stats.get("whole_map_because")
        if round_ == 5:
            assert a.stats["relinked"] > len(changed)
        else:
            assert a.stats["relinked"] == len(changed)
        _same_maps(derived, whole, a, b)
        last = a.id


def test_a_changed_surface_links_again_only_the_readers_of_the_names_it_changed(
        tmp_path: Path) -> None:
    """Each reader looks up other names of ``lib.core``; each commit changes some of them
    (a new function, a renamed one, a class's base, an import's binding, ``from x import *``)
    and only the readers of a changed name are linked again, the map still the whole map."""
    core = ("from lib.base import Base, Other\nfrom lib import base as b\n\n\n"
            "def f():\n    return 1\n\n\ndef g():\n    return 2\n\n\n"
            "class C(Base):\n    def own(self):\n        return 3\n")
    readers = {
        "src/app/uses_f.py": "from lib import core\n\n\ndef run():\n    return core.f()\n",
        "src/app/uses_g.py": "from lib import core\n\n\ndef run():\n    return core.g()\n",
        "src/app/uses_method.py": ("import lib.core\n\n\ndef run():\n"
                                   "    return lib.core.C.shared()\n"),
        "src/app/uses_b.py": "from lib import core\n\n\ndef run():\n    return core.b.helper()\n",
    }
    repo = init_repo(tmp_path / "repo")
    write(repo, {"src/lib/__init__.py": "", "src/app/__init__.py": "", "src/lib/core.py": core,
                 "src/lib/base.py": ("class Base:\n    def shared(self):\n        return 0\n\n\n"
                                     "class Other:\n    def shared(self):\n        return 9\n\n\n"
                                     "def helper():\n    return 4\n"),
                 "src/lib/extra.py": "def helper():\n    return 5\n\n\ndef g():\n    return 6\n",
                 **readers})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    steps = [  # (the new core, the readers of what it changed since the last: linked again)
        (core + "\n\ndef h():\n    return 7\n", set()),
        (core.replace("def g():", "def g2():") + "\n\ndef h():\n    return 7\n", {"uses_g"}),
        (core.replace("class C(Base)", "class C(Other)"), {"uses_g", "uses_method"}),
        (core.replace("class C(Other)", "class C(Base)").replace(
            "from lib import base as b", "from lib import extra as b"),
         {"uses_method", "uses_b"}),
        (core.replace("from lib import base as b", "from lib import extra as b")
         + "from lib.extra import *\n", {"uses_f", "uses_g", "uses_method", "uses_b"}),
    ]
    for round_, (text, readers_again) in enumerate(steps, start=1):
        write(repo, {"src/lib/core.py": text})
        commit(repo, f"round {round_}", date=f"2026-01-{round_ + 2:02d}T12:00:00+00:00")
        a, b = derived.map("p"), whole.map("p")
        assert "derived_from" in a.stats, a.stats.get("whole_map_because")
        assert a.stats["relinked"] == 1 + len(readers_again), round_
        _same_maps(derived, whole, a, b)
        rows = derived.store.links.read(a.id).modules
        assert "lib.core:f" in rows["app.uses_f"][4]


def _rounds(tmp_path: Path, first: dict[str, str], rounds: list[dict[str, str]]) -> None:
    """Commit ``first``, then each round's files; each map derived and equal to the whole."""
    repo = init_repo(tmp_path / "repo")
    write(repo, first)
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    for round_, files in enumerate(rounds, start=1):
        write(repo, files)
        commit(repo, f"round {round_}", date=f"2026-01-{round_ + 2:02d}T12:00:00+00:00")
        a, b = derived.map("p"), whole.map("p")
        assert "derived_from" in a.stats, a.stats.get("whole_map_because")
        _same_maps(derived, whole, a, b)


_PACKAGES = {"src/lib/__init__.py": "", "src/app/__init__.py": ""}


@pytest.mark.parametrize("old, new", [
    # the base's nested class appears: a method found through it
    ("class A:\n    pass\n\n\nclass C(A.Inner):\n    pass\n",
     "class A:\n    class Inner:\n        def m(self):\n            return 1\n\n\n"
     "class C(A.Inner):\n    pass\n"),
    # the same, the nested class found through the first class's own base
    ("class P:\n    def Inner(self):\n        return 0\n\n\nclass A(P):\n    pass\n\n\n"
     "class C(A.Inner):\n    pass\n",
     "class P:\n    class Inner:\n        def m(self):\n            return 1\n\n\n"
     "class A(P):\n    pass\n\n\nclass C(A.Inner):\n    pass\n"),
], ids=["a nested class appears", "through the first class's base"])
def test_a_class_whose_dotted_base_is_resolved_in_its_module_changes_with_it(
        tmp_path: Path, old: str, new: str) -> None:
    """``class C(A.Inner)`` is resolved through the module's own classes: a reader of
    ``C.m`` is linked again when any of them changes."""
    _rounds(tmp_path, {**_PACKAGES, "src/lib/core.py": old, "src/app/r.py": (
        "from lib import core\n\n\ndef run():\n    return core.C.m()\n")},
        [{"src/lib/core.py": new}])


@pytest.mark.parametrize("first_change", ["\n\ndef h():\n    return 3\n", "body"],
                         ids=["a new name", "a body"])
def test_a_re_export_nobody_looks_up_in_its_own_module_still_follows_its_source(
        tmp_path: Path, first_change: str) -> None:
    """``core`` re-exports ``f`` from ``other`` and only a reader looks it up: linked again
    alone (a new name, or a body changed), ``core`` still follows ``other``, so a change
    of ``other.f`` links the reader again."""
    core = "from lib.other import f\n\n\ndef g():\n    return 2\n"
    changed = (core.replace("return 2", "return 22") if first_change == "body"
               else core + first_change)
    _rounds(tmp_path, {**_PACKAGES, "src/lib/core.py": core,
                       "src/lib/other.py": "def f():\n    return 1\n",
                       "src/app/r.py": "from lib import core\n\n\ndef run():\n    return core.f()\n"},
            [{"src/lib/core.py": changed}, {"src/lib/other.py": "def f2():\n    return 1\n"}])


def test_a_qualname_defined_twice_is_of_its_first_definitions_kind(tmp_path: Path) -> None:
    """A function ``C`` and then a class ``C``: the node is the first (a function), in a
    derived map as in a whole one, so ``core.C.m()`` stays unresolved."""
    core = "def C():\n    return 0\n\n\nclass C:\n    def m(self):\n        return 1\n"
    reader = "from lib import core\n\n\ndef run():\n    return core.C.m()\n"
    _rounds(tmp_path, {**_PACKAGES, "src/lib/core.py": core, "src/app/r.py": reader},
            [{"src/app/r.py": reader.replace("return core", "x = 1\n    return core")}])


def test_a_modules_changed_names_are_those_a_lookup_may_answer_otherwise() -> None:
    from workbench.mapping.parsers import parse
    from workbench.mapping.python_links import changed_names

    base = (b"import os\nfrom .impl import f as g\nfrom .kinds import Base\n\n\n"
            b"class C(Base):\n    def m(self):\n        return os.sep\n\n\n"
            b"def h():\n    return g()\n")

    def names(text: bytes):
        return changed_names(parse("python", base), parse("python", text))

    assert names(base.replace(b"return g()", b"return g() + 1")) == frozenset()
    assert names(base + b"\n\ndef k():\n    pass\n") == {"k"}
    assert names(base.replace(b"def h():", b"def h2():")) == {"h", "h2"}
    assert names(base.replace(b"f as g", b"f2 as g")) == {"g"}
    assert names(base.replace(b"def m(self)", b"def m2(self)")) == {"C.m", "C.m2"}
    # a class's bases are looked up in the module: a changed binding of one changes it
    assert names(base.replace(b"import Base", b"import Base2 as Base")) == {"Base", "C"}
    assert names(base.replace(b"class C(Base)", b"class C(object)")) == {"C"}
    dotted = base.replace(b"class C(Base)", b"class C(Base.Inner)")
    assert changed_names(parse("python", dotted),
                         parse("python", dotted + b"\n\ndef x():\n    pass\n")) == {"x", "C"}
    assert names(base.replace(b"import os\n", b"import os.path\n")) == {"os"}
    for anything in (base + b"from .more import *\n", base + b"__all__ = ['C']\n",
                     base + b"\ndef (:\n"):
        assert names(anything) is None, anything
    assert changed_names(None, parse("python", base)) is None


def test_a_modules_surface_is_what_other_modules_may_read_of_it() -> None:
    """Bodies, docstrings, comments and lines are not part of it; every name a module
    defines or binds, its bases, decorators, ``__all__`` and its imports are."""
    from workbench.mapping.parsers import parse
    from workbench.mapping.python_links import surface

    base = (b"import os\nfrom .impl import f as g\n__all__ = ['C', 'g']\n\n\n"
            b"class C(Base):\n    @property\n    def m(self):\n        return os.sep\n\n\n"
            b"def h():\n    return g()\n")

    def of(text: bytes):
        return surface(parse("python", text))

    same = [b'"""Docs."""\n# a comment\n\n' + base,
            base.replace(b"return g()", b"return g() + C().m"),
            base.replace(b"return os.sep", b"x = 1\n        return os.path.sep")]
    for text in same:
        assert of(text) == of(base), text
    other = [base.replace(b"class C(Base)", b"class C(Other)"),
             base.replace(b"@property\n    ", b""),
             base.replace(b"['C', 'g']", b"['C']"),
             base.replace(b"f as g", b"f as g, k"),
             base.replace(b"import os\n", b"import os.path\n"),
             base.replace(b"def h():", b"def h2():"),
             base.replace(b"        return os.sep\n", b"        def inner():\n            pass\n"),
             base + b"\ndef (:\n"]
    for text in other:
        assert of(text) != of(base), text
    assert surface(None) is None


def test_an_import_that_moves_a_module_root_makes_a_whole_map(tmp_path: Path) -> None:
    """``lib/pkg/`` is ``pkg`` or ``lib.pkg`` as the code imports it: the one file that
    imports it decides, so changing that import renames every module of the package."""
    repo = init_repo(tmp_path / "repo")
    write(repo, {"lib/pkg/__init__.py": "", "lib/pkg/core.py": "def run():\n    return 1\n",
                 "lib/pkg/extra.py": "from pkg.core import run\n\n\ndef go():\n    return run()\n",
                 "lib/helpers.py": "def help():\n    return 2\n",
                 "app.py": "from pkg.core import run\n\n\ndef main():\n    return run()\n"})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    assert derived.snapshot("p").nodes.query("kind == 'module'")["id"].str.startswith("pkg.").any()
    # the same import, reworded: the root stays, the map is derived
    write(repo, {"app.py": "from pkg.core import run\n\n\ndef main():\n    return run() + 1\n"})
    commit(repo, "same root", date="2026-01-02T12:00:00+00:00")
    a, b = derived.map("p"), whole.map("p")
    assert a.stats.get("derived_from") is not None
    _same_maps(derived, whole, a, b)
    # both imports now name the package from the repository root: every name changes
    write(repo, {"app.py": "from lib.pkg.core import run\n\n\ndef main():\n    return run()\n",
                 "lib/pkg/extra.py": "from lib.pkg.core import run\n\n\ndef go():\n    return run()\n"})
    commit(repo, "other root", date="2026-01-03T12:00:00+00:00")
    a, b = derived.map("p"), whole.map("p")
    assert "derived_from" not in a.stats
    assert a.stats["whole_map_because"] == "changed imports move a module root"
    assert derived.snapshot("p").nodes.query("kind == 'module'")["id"].str.startswith("lib.pkg.").any()
    _same_maps(derived, whole, a, b)


def test_a_derived_map_that_fails_in_its_write_leaves_no_snapshot(tmp_path: Path, monkeypatch) -> None:
    """The derived snapshot's rows, its record and the job's success are one transaction: a
    failure inside it (here a count that raises) stores nothing and reports that failure."""
    from workbench.errors import MapError
    from workbench.store import snapshots

    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "def f():\n    return 1\n",
                 "pkg/b.py": "from pkg.a import f\n\n\ndef g():\n    return f()\n"})
    commit(repo, "first")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", blame=False, workers=1))
    wb.add_project("p", str(repo))
    first = wb.map("p")
    write(repo, {"pkg/a.py": "def f():\n    return 2\n"})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")

    def broken(cur, snapshot_id):
        raise RuntimeError("the disk said no")

    monkeypatch.setattr(snapshots, "map_counts", broken)
    with pytest.raises(MapError, match="the disk said no"):
        wb.map("p")
    counts = {t: wb.store.db.query(f"SELECT count(*) FROM {t} WHERE snapshot_id <> ?",
                                   [first.id])[0][0]
              for t in ("files", "nodes", "edges", "module_links", "link_records", "file_metrics")}
    assert counts == dict.fromkeys(counts, 0)
    assert [s.id for s in wb.store.snapshots.list()] == [first.id]
    monkeypatch.undo()
    again = wb.map("p")  # and the next map derives as if nothing happened
    assert again.stats.get("derived_from") == first.id


def test_a_map_derived_from_one_without_a_kept_layout_works_it_out(tmp_path: Path) -> None:
    """Maps keep their module layout for the next commit's; one made before they did (no
    layout kept) is derived from all the same, its layout worked out from the paths."""
    repo = init_repo(tmp_path / "repo")
    write(repo, {"lib/pkg/__init__.py": "", "lib/pkg/core.py": "def run():\n    return 1\n",
                 "app.py": "from pkg.core import run\n\n\ndef main():\n    return run()\n"})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    first = derived.snapshot("p")
    assert derived.store.links.read(first.id).layout is not None
    derived.store.db.write(lambda cur: cur.execute(
        "UPDATE link_records SET layout = NULL WHERE snapshot_id = ?", [first.id]))
    kept = []
    for round_ in range(2):
        write(repo, {"app.py": f"from pkg.core import run\n\n\ndef main():\n    return run() + {round_}\n"})
        commit(repo, f"round {round_}", date=f"2026-01-0{round_ + 2}T12:00:00+00:00")
        a, b = derived.map("p"), whole.map("p")
        assert a.stats.get("derived_from") is not None
        kept.append(derived.store.links.read(a.id).layout)
        assert kept[-1] is not None
        _same_maps(derived, whole, a, b)
    # worked out again once (the base had none), then kept as its base's bytes
    assert kept[1] == kept[0]


def test_a_derived_map_blames_each_changed_file_once_as_soon_as_it_knows_it(
        tmp_path: Path, monkeypatch) -> None:
    """The changed files' blame starts when the derivation knows them, beside their parse; the
    map's own blame then finds it cached instead of running git again. (A changed file's blame
    is carried forward from the last map's where it can be, else run: either counts.)"""
    import threading

    import workbench.history.blame as blame_module
    import workbench.mapping.derive as derive_module

    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "def a():\n    return 1\n",
                 "pkg/b.py": "from pkg.a import a\n\n\ndef b():\n    return a()\n"})
    commit(repo, "first")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1))
    wb.add_project("p", str(repo))
    wb.map("p")
    blamed: list[str] = []
    started = threading.Event()
    seen_at_link: list[bool] = []
    real, real_carry, real_link = blame_module.blame_runs, blame_module.carry, derive_module.link

    def counted(repo_path, commit_sha, path, git=None):
        blamed.append(path)
        started.set()
        return real(repo_path, commit_sha, path, git)

    def carried(repo_path, base, descent, path, *rest):
        blamed.append(path)
        started.set()
        return real_carry(repo_path, base, descent, path, *rest)

    def link(*args, **kwargs):  # the changed file's blame is under way before linking ends
        seen_at_link.append(started.wait(30))
        return real_link(*args, **kwargs)

    monkeypatch.setattr(blame_module, "blame_runs", counted)
    monkeypatch.setattr(blame_module, "carry", carried)
    monkeypatch.setattr(derive_module, "link", link)
    write(repo, {"pkg/b.py": "from pkg.a import a\n\n\ndef b():\n    return a() + 1\n"})
    commit(repo, "second")
    snap = wb.map("p")
    assert snap.stats.get("derived_from") is not None
    assert blamed == ["pkg/b.py"] and seen_at_link == [True]
    owners = snap.metrics().set_index("path")
    assert owners.loc["pkg/b.py", "current_lines"] == 5


def test_the_summary_counts_the_modules_linked_again_in_words_that_fit_the_count() -> None:
    from workbench.snapshot import map_origin

    assert map_origin({"derived_from": 3, "relinked": 1}) == (
        "derived from snapshot #3: 1 Python module linked again, the other rows kept")
    assert map_origin({"derived_from": 3, "relinked": 0}) == (
        "derived from snapshot #3: 0 Python modules linked again, the other rows kept")
    assert map_origin({"derived_from": 3, "relinked": 1200}) == (
        "derived from snapshot #3: 1,200 Python modules linked again, the other rows kept")


def test_a_map_with_other_exclusions_than_the_last_ones_says_why_it_is_whole(
        tmp_path: Path) -> None:
    """A derived map starts only from a map of the same exclusions; when the project's recent
    maps excluded other paths, the whole map says so, and the next map with the same
    exclusions derives from it."""
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "def f():\n    return 1\n",
                 "vendor/lib.py": "x = 1\n"})
    commit(repo, "first")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", blame=False, workers=1))
    wb.map(str(repo), name="p")
    write(repo, {"pkg/a.py": "def f():\n    return 2\n"})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    other = wb.map("p", exclude=["vendor/"])
    assert other.stats.get("whole_map_because") == "the last maps excluded other paths"
    assert "the last maps excluded other paths" in other.summary().to_text()
    write(repo, {"pkg/a.py": "def f():\n    return 3\n"})
    commit(repo, "third", date="2026-01-03T12:00:00+00:00")
    again = wb.map("p", exclude=["vendor/"])
    assert again.stats.get("derived_from") == other.id


def test_a_line_of_derived_maps_shares_its_root_rows_until_it_wrote_too_many(
        tmp_path: Path, monkeypatch) -> None:
    """A derived map writes only the nodes and edges of its relinked files (and its external
    dependencies) and reads the others from the whole map its line started at; once the
    line's own rows pass their share of the root's, the next map copies every row and starts
    a line of its own. Either way its nodes and edges are a whole map's."""
    from workbench.store import snapshots

    rng = random.Random(7)
    modules = _modules(rng)
    repo = init_repo(tmp_path / "repo")
    write(repo, {_path(m): _source(rng, m, modules) for m in modules})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    db = derived.store.db

    def layout(snapshot_id: int, rows: str, roots: str, view: str) -> tuple:
        """(its root or None, the rows it wrote itself, all its rows)"""
        root = db.query(f"SELECT root_id FROM {roots} WHERE snapshot_id = ?", [snapshot_id])
        own = db.query(f"SELECT count(*) FROM {rows} WHERE snapshot_id = ?", [snapshot_id])
        every = db.query(f"SELECT count(*) FROM {view} WHERE snapshot_id = ?", [snapshot_id])
        return (root[0][0] if root else None, own[0][0], every[0][0])

    first = derived.snapshot("p").id
    seen = {"edge_rows": [], "node_rows": []}
    monkeypatch.setattr(snapshots, "MAX_OWN_SHARE", 1.0)  # a small project's share
    for round_ in range(4):
        if round_ == 2:  # the line has rows of its own now: the next map copies them all
            monkeypatch.setattr(snapshots, "MAX_OWN_SHARE", 0.0)
        for m in rng.sample(modules, k=2):
            write(repo, {_path(m): _source(rng, m, modules)})
        commit(repo, f"round {round_}", date=f"2026-01-{round_ + 2:02d}T12:00:00+00:00")
        a, b = derived.map("p"), whole.map("p")
        assert a.stats.get("derived_from") is not None
        _same_maps(derived, whole, a, b)
        for rows, roots, view in (("edge_rows", "edge_roots", "edges"),
                                  ("node_rows", "node_roots", "nodes")):
            seen[rows].append((a.id, *layout(a.id, rows, roots, view)))
    for rows in seen:
        (_, root1, own1, all1), (_, root2, _, _), (three, root3, own3, all3), \
            (_, root4, own4, all4) = seen[rows]
        assert root1 == first and root2 == first, rows  # shared, their own rows a few
        assert 0 < own1 < all1, rows
        assert root3 is None and own3 == all3, rows  # copied: a line of its own
        assert root4 == three and own4 < all4, rows
