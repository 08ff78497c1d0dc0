"""Import cycles are shown as cycles: a real shortest one, once round, never members in
alphabetical order joined as if they were an import path."""

from __future__ import annotations

import pytest

from tests.helpers import commit, init_repo, write

# pkg.a imports pkg.c, pkg.c imports pkg.b, pkg.b imports pkg.a: alphabetical order
# (a -> b -> c) runs against every import. In the other group, w -> x -> w is the shortest of
# several cycles through w, x, y, z.
FILES = {
    "pkg/__init__.py": "",
    "pkg/a.py": "from pkg import c\n",
    "pkg/b.py": "import os\n\nfrom pkg import a\n",
    "pkg/c.py": "from . import b\n",
    "loop/__init__.py": "",
    "loop/w.py": "from loop import x\n",
    "loop/x.py": "from loop import w\nfrom loop import y\n",
    "loop/y.py": "from loop import z\n",
    "loop/z.py": "from loop import w\n",
}


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    from workbench import Workbench

    root = tmp_path_factory.mktemp("cycles")
    repo = init_repo(root / "cyclic")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "", "pkg/b.py": "", "pkg/c.py": ""})
    commit(repo, "no cycle yet", "2026-01-01T10:00:00+00:00")
    write(repo, FILES)
    commit(repo, "cycles", "2026-01-02T10:00:00+00:00")
    wb = Workbench(root / "data")
    wb.add_project("cyclic", str(repo))
    before, after = wb.map_history("cyclic", every=1)
    yield wb, root / "data", before, after
    wb.close()


def test_cycles_are_real_shortest_cycles_once_round(mapped):
    _, _, _, snap = mapped
    found = snap.cycles()
    assert [(sorted(m), c, lines) for m, c, lines in zip(found["members"], found["cycle"], found["lines"])] == [
        (["loop.w", "loop.x", "loop.y", "loop.z"], ["loop.w", "loop.x", "loop.w"], [1, 1]),
        (["pkg.a", "pkg.b", "pkg.c"], ["pkg.a", "pkg.c", "pkg.b", "pkg.a"], [1, 1, 3]),
    ]
    imports = {(u, v) for u, v, k in snap.graph.edges(keys=True) if k == "imports"}
    for cycle in found["cycle"]:  # every hop is an import of the map
        assert cycle[0] == cycle[-1] and len(set(cycle)) == len(cycle) - 1
        assert all(hop in imports for hop in zip(cycle, cycle[1:]))


def test_the_cli_prints_each_cycle_once_round(mapped):
    from click.testing import CliRunner

    from workbench.cli import main

    _, data, _, _ = mapped
    result = CliRunner().invoke(main, ["--data-dir", str(data), "query", "cycles", "-p", "cyclic"])
    assert result.exit_code == 0, result.output
    rows = result.output.splitlines()[2:]
    assert rows[0].split() == ["4", "loop.w", "->", "loop.x", "->", "loop.w", "1,", "1"]
    assert rows[1].split() == ["3", "pkg.a", "->", "pkg.c", "->", "pkg.b", "->", "pkg.a", "1,", "1,", "3"]
    # four modules beside a two-module cycle: the footer says what each column counts
    assert rows[2] == ("(modules: all that import each other, directly or not; "
                       "cycle: one shortest cycle among them)")


def test_the_summary_shows_a_cycle_as_a_path(mapped):
    _, _, _, snap = mapped
    summary = snap.summary()
    assert summary.cycles == [["loop.w", "loop.x", "loop.y", "loop.z"], ["pkg.a", "pkg.b", "pkg.c"]]
    assert summary.cycle_paths == [["loop.w", "loop.x", "loop.w"], ["pkg.a", "pkg.c", "pkg.b", "pkg.a"]]
    text = summary.to_text()
    assert "import cycles                2   (2 without type-checking imports)" in text
    assert "      4 modules: loop.w -> loop.x -> loop.w\n" in text
    assert "      3 modules: pkg.a -> pkg.c -> pkg.b -> pkg.a" in text
    assert "pkg.a -> pkg.b" not in text


def test_a_new_cycle_in_a_diff_comes_with_its_path(mapped):
    wb, _, before, after = mapped
    d = wb.diff("cyclic", before.id, after.id)
    assert d.cycles_new["cycle"].tolist() == [["loop.w", "loop.x", "loop.w"],
                                              ["pkg.a", "pkg.c", "pkg.b", "pkg.a"]]
    assert d.cycles_broken.empty and list(d.cycles_broken.columns) == ["members", "size", "cycle"]


def test_the_cli_diff_shows_new_cycles_as_paths(mapped):
    from click.testing import CliRunner

    from workbench.cli import main

    _, data, before, after = mapped
    result = CliRunner().invoke(main, ["--data-dir", str(data), "diff", "cyclic",
                                       str(before.id), str(after.id)])
    assert result.exit_code == 0, result.output
    assert "== cycles new: 2" in result.output
    assert "pkg.a -> pkg.c -> pkg.b -> pkg.a" in result.output


def test_the_summary_shortens_a_long_cycle_and_names_the_query_with_all_of_it(tmp_path):
    from workbench import Workbench

    repo = init_repo(tmp_path / "ring")
    ring = 40  # every module imports the next: the one cycle is 40 modules round
    write(repo, {"ring/__init__.py": "",
                 **{f"ring/m{i:02d}.py": f"from ring import m{(i + 1) % ring:02d}\n"
                    for i in range(ring)}})
    commit(repo, "a ring")
    wb = Workbench(tmp_path / "data")
    try:
        snap = wb.map(str(repo), name="ring")
        assert len(snap.summary().cycle_paths[0]) == ring + 1  # the whole cycle is kept
        line = [x for x in snap.summary().to_text().splitlines() if " modules: ring" in x][0]
        assert line.startswith("     40 modules: ring.m00 -> ring.m01 -> ")
        assert line.endswith(" -> ring.m39 -> ring.m00 (all of it: workbench query cycles -p ring)")
        assert "... 31 more ..." in line and "ring.m20" not in line and len(line) < 250
    finally:
        wb.close()


def test_the_summary_says_which_cycles_only_deferred_imports_close(tmp_path):
    """A cycle closed only by an import inside a function breaks no import: the summary
    says how many are left without those, as `query cycles --runtime --exclude deferred`
    counts them."""
    from workbench import Workbench

    repo = init_repo(tmp_path / "lazy")
    write(repo, {"app/__init__.py": "",
                 "app/facade.py": "from app import service\n",
                 "app/service.py": "def run():\n    from app import facade\n    return facade\n",
                 "app/a.py": "from app import b\n", "app/b.py": "from app import a\n"})
    commit(repo, "a lazy cycle and an eager one")
    with Workbench(tmp_path / "data") as wb:
        snap = wb.map(str(repo), name="lazy")
        summary = snap.summary()
        assert (summary.runtime_cycles, summary.on_import_cycles) == (2, 1)
        assert ("import cycles                2   (2 without type-checking imports, "
                "1 when deferred imports are left out too)") in summary.to_text()
        assert len(snap.cycles(exclude_contexts=("type_checking", "deferred"))) == 1
    with Workbench(tmp_path / "data") as wb:  # the summary kept in the store says the same
        assert wb.snapshot("lazy").summary().to_text() == summary.to_text()


def test_leaving_deferred_imports_out_can_split_a_cycle_in_two(tmp_path):
    """Two load-time cycles joined only by imports inside functions are one group with
    them and two without: the count is of groups, not a subset."""
    from workbench import Workbench

    repo = init_repo(tmp_path / "split")
    write(repo, {"app/__init__.py": "",
                 "app/a.py": "from app import b\ndef f():\n    from app import c\n",
                 "app/b.py": "from app import a\n",
                 "app/c.py": "from app import d\ndef g():\n    from app import a\n",
                 "app/d.py": "from app import c\n"})
    commit(repo, "two cycles joined lazily")
    with Workbench(tmp_path / "data") as wb:
        summary = wb.map(str(repo), name="split").summary()
    assert (len(summary.cycles), summary.runtime_cycles, summary.on_import_cycles) == (1, 1, 2)
    assert "(1 without type-checking imports, 2 when deferred imports are left out too)" in (
        summary.to_text())
