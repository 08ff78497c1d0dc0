"""Mapping a real repository: nodes, edges, problems and what is skipped, stored atomically."""

from __future__ import annotations

import json

import pytest
import pyarrow as pa

from tests.helpers import commit, git, init_repo, write
from workbench.errors import EmptyRepository, InvalidRef, StoreError
from workbench.mapping.pymodules import ImportResolver, module_names
from workbench.mapping.facts import ImportRef
from workbench.mapping.python import parse_python


@pytest.fixture
def snap(wb, sample_repo):
    return wb.map(str(sample_repo), name="shop")


def test_summary_counts(snap):
    s = snap.stats
    assert (s["files"], s["python_files"], s["modules"], s["packages"]) == (13, 11, 11, 2)
    assert (s["classes"], s["functions"], s["import_edges"]) == (2, 6, 6)
    assert (s["external_dependencies"], s["stdlib_dependencies"]) == (2, 2)
    # broken.py and latin.py; the skipped binary file and symlink count once, as skipped
    assert s["skipped_files"] == 2 and s["parse_problems"] == 2


def test_modules_classes_and_functions_with_line_ranges(snap):
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["shop", "kind"] == "package"
    assert nodes.loc["shop.sansio", "kind"] == "package"  # namespace package, no __init__
    assert json.loads(nodes.loc["shop.sansio", "attrs"]) == {"namespace": True}
    assert nodes.loc["shop.sansio.parse", "path"] == "src/shop/sansio/parse.py"
    order = nodes.loc["shop.models:Order"]
    assert (order["kind"], order["line_start"], order["line_end"]) == ("class", 6, 11)
    assert json.loads(order["attrs"])["decorators"] == ["dataclass"]
    paid = nodes.loc["shop.models:PaidOrder"]
    assert json.loads(paid["attrs"])["bases"] == ["Order"]
    pay = nodes.loc["shop.models:PaidOrder.pay"]
    assert (pay["kind"], pay["line_start"], pay["line_end"], pay["parent"]) == (
        "function", 15, 18, "shop.models:PaidOrder")
    assert pay["complexity"] == 2
    assert nodes.loc["tests.test_service:test_checkout", "kind"] == "function"


def test_contains_edges_form_the_tree(snap):
    edges = snap.edges
    contains = set(map(tuple, edges[edges.kind == "contains"][["src", "dst"]].values))
    assert {("shop", "shop.models"), ("shop.models", "shop.models:PaidOrder"),
            ("shop.models:PaidOrder", "shop.models:PaidOrder.pay"), ("shop", "shop.sansio"),
            ("shop.sansio", "shop.sansio.parse"), ("shop", "shop.util"),
            ("shop.util", "shop.util.money"), ("tests", "tests.test_service")} <= contains
    g = snap.graph
    parents = [p for p, _, k in g.in_edges("shop.models:PaidOrder.pay", keys=True) if k == "contains"]
    assert parents == ["shop.models:PaidOrder"]


def test_import_edges_resolve_absolute_relative_and_package_imports(snap):
    edges = snap.edges
    imports = {(r.src, r.dst): (r.weight, r.line) for r in edges[edges.kind == "imports"].itertuples()}
    assert imports == {
        ("shop", "shop.models"): (1, 2),                 # from .models import Order (in __init__)
        ("shop.service", "shop.models"): (2, 1),         # from . import models; from .models import ...
        ("shop.service", "shop.util.money"): (1, 3),     # absolute import through src/ layout
        ("shop.util.money", "shop.service"): (1, 1),     # from ..service import checkout
        ("shop.sansio.parse", "shop.models"): (1, 1),    # import shop.models
        ("tests.test_service", "shop.service"): (1, 1),
    }
    deps = {(r.src, r.dst) for r in edges[edges.kind == "depends_on"].itertuples()}
    assert deps == {("shop.models", "ext:json"), ("shop.models", "ext:requests"),
                    ("shop.models", "ext:dataclasses"), ("tests.test_service", "ext:pytest")}


def test_summary_reports_most_imported_and_cycles(snap):
    summary = snap.summary()
    assert summary.most_imported.values.tolist() == [
        ["shop.models", 3], ["shop.service", 2], ["shop.util.money", 1]]
    assert summary.cycles == [["shop.service", "shop.util.money"]]
    text = summary.to_text()
    assert "import cycles                1" in text and "shop.models" in text


def test_bad_files_are_recorded_and_the_map_goes_on(snap):
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["shop.broken", "problem"].startswith("syntax error")
    assert "utf-8" in nodes.loc["shop.latin", "problem"]
    assert nodes.loc["shop.blob", "problem"] == "binary file (contains NUL bytes)"
    assert nodes.loc["shop.passwd", "problem"] == "symlink (not followed)"
    files = snap.files.set_index("path")
    assert files.loc["src/shop/passwd.py", "status"] == "skipped"
    assert files.loc["logo.png", "status"] == "ignored"
    assert files.loc["src/shop/blob.py", "status"] == "skipped"


def test_the_symlink_target_is_never_read(snap):
    assert not any("root:" in str(v) for v in snap.nodes.values.ravel())


def test_deep_nesting_and_nul_bytes_do_not_crash_the_parser():
    deep = parse_python(b"x = " + b"(" * 100_000 + b")" * 100_000)
    assert deep.problem and ("nested" in deep.problem or "syntax" in deep.problem)
    assert parse_python(b"a = 1\x00").problem
    assert parse_python("π = 1\n".encode("utf-16")).problem


def test_large_files_are_skipped_with_a_reason(tmp_path, data_dir, sample_repo):
    from workbench import Config, Workbench

    write(sample_repo, {"src/shop/huge.py": "x = 1\n" * 400})
    commit(sample_repo, "huge")
    wb = Workbench(config=Config(data_dir=data_dir, max_file_bytes=1000))
    snap = wb.map(str(sample_repo))
    node = snap.nodes.set_index("id").loc["shop.huge"]
    assert node["problem"] == "larger than 1000 bytes (2400)"


def test_mapping_the_same_commit_again_parses_nothing(wb, sample_repo):
    first = wb.map(str(sample_repo))
    again = wb.map(str(sample_repo))
    assert first.stats["parsed_now"] == 10  # every regular .py blob, the binary one included
    assert again.id == first.id  # the commit's map already exists
    assert wb.recent_jobs(1)[0].result["reused"] is True
    rebuilt = wb.map(str(sample_repo), force=True)
    assert rebuilt.id != first.id and rebuilt.commit == first.commit
    assert rebuilt.stats["parsed_now"] == 0  # every blob's facts came from the cache
    assert rebuilt.stats["import_edges"] == first.stats["import_edges"]
    assert wb.store.facts.count() == 10


def test_the_next_commit_parses_only_changed_blobs(wb, sample_repo):
    wb.map(str(sample_repo))
    write(sample_repo, {"src/shop/util/money.py": "def fmt(x):\n    return str(x)\n"})
    commit(sample_repo, "no more cycle")
    snap = wb.map(str(sample_repo))
    assert snap.stats["parsed_now"] == 1
    assert snap.summary().cycles == []


def test_map_a_given_ref_or_commit(wb, sample_repo):
    first_commit = git(sample_repo, "rev-list", "--max-parents=0", "HEAD")
    old = wb.map(str(sample_repo), ref=first_commit)
    assert old.commit == first_commit and old.stats["modules"] == 1
    tagged = wb.map("shop", ref="v1")
    assert tagged.commit == git(sample_repo, "rev-parse", "v1")
    assert wb.snapshot("shop", "v1").id == tagged.id
    with pytest.raises(InvalidRef, match="does not name a commit"):
        wb.map("shop", ref="no-such-branch")
    with pytest.raises(InvalidRef):
        wb.map("shop", ref="--output=/tmp/x")
    # a ref refused is no failed map: the project keeps its status and its snapshot
    assert wb.store.projects.get("shop").status == "mapped"


def test_a_ref_with_ancestry_operators_maps_that_ancestor(wb, sample_repo):
    head = wb.map(str(sample_repo))
    parent = git(sample_repo, "rev-parse", "HEAD~1")
    older = wb.map("shop", ref="HEAD~1")
    assert older.commit == parent and older.id != head.id
    assert wb.map("shop", ref="HEAD^").id == older.id  # the same commit: reused
    assert wb.snapshot("shop", "HEAD~1").id == older.id
    # labelled by its commit: HEAD~1 names another commit once HEAD moves
    assert wb.store.snapshots.refs([older.id])[older.id] == [parent]
    back = int(git(sample_repo, "rev-list", "--count", "--first-parent", "HEAD")) - 1
    with pytest.raises(InvalidRef, match=f"HEAD has {back} commits? before it along first "
                                         f"parents, so HEAD~{back} is the furthest back"):
        wb.map("shop", ref=f"HEAD~{back + 1}")
    with pytest.raises(InvalidRef, match=f"HEAD~{back} is the first commit, it has no parent"):
        wb.map("shop", ref=f"HEAD~{back}^")
    with pytest.raises(InvalidRef, match=r"HEAD \([0-9a-f]{12}\) has 1 parent, so it has no "
                                         r"parent 2 \(it is not a merge\)"):
        wb.map("shop", ref="HEAD^2")
    with pytest.raises(InvalidRef, match="before '~'"):
        wb.map("shop", ref="~1")


def test_a_repository_without_commits_says_so_and_is_not_retried(wb, tmp_path):
    empty = init_repo(tmp_path / "empty")
    with pytest.raises(EmptyRepository, match="has no commits yet"):
        wb.map(str(empty))
    assert wb.store.projects.get("empty").status != "failed"
    run = wb.map_all(["empty"], retries=2)
    assert run.failed == ["empty"] and list(run.summary["attempts"]) == [1]
    assert "no commits yet" in run.summary.loc[0, "error"]


def test_a_failed_snapshot_write_leaves_no_partial_snapshot(wb, sample_repo):
    snap = wb.map(str(sample_repo))
    before = wb.store.db.query("SELECT count(*) FROM snapshots")[0][0]
    nodes_before = wb.store.db.query("SELECT count(*) FROM nodes")[0][0]
    n, e = wb.store.snapshots.arrow(snap.id)
    files = pa.table({"path": ["a"], "blob_sha": ["b"], "size": [1], "language": [None],
                      "status": ["parsed"], "reason": [None]})

    def explode(cur, snapshot_id):
        raise StoreError("disk full (simulated by the test's own write hook)")

    with pytest.raises(StoreError):
        wb.store.snapshots.write(project_id=1, ref=None, commit_sha="0" * 40, parser_version=1,
                                 job_id=None, stats={}, files=files, nodes=n, edges=e,
                                 extra_writes=explode)
    assert wb.store.db.query("SELECT count(*) FROM snapshots")[0][0] == before
    assert wb.store.db.query("SELECT count(*) FROM nodes")[0][0] == nodes_before


def test_graph_has_kinds_as_edge_keys(snap):
    g = snap.graph
    assert g.edges["shop.service", "shop.models", "imports"]["weight"] == 2
    assert g.nodes["shop.models:Order"]["kind"] == "class"
    assert snap.graph is g  # cached per snapshot


def test_packages_listed_after_their_modules_are_linked(wb, tmp_path):
    from tests.helpers import init_repo

    repo = init_repo(tmp_path / "mig")
    write(repo, {"app/__init__.py": "", "app/migrations/__init__.py": "",
                 "app/migrations/0001_initial.py": "from app import models\n", "app/models.py": ""})
    commit(repo, "migrations sort before __init__")
    snap = wb.map(str(repo))
    nodes = snap.nodes.set_index("id")
    assert nodes.loc["app.migrations.0001_initial", "parent"] == "app.migrations"
    assert nodes.loc["app.migrations", "parent"] == "app"


def test_module_naming_rules():
    names = module_names(["src/flask/__init__.py", "src/flask/app.py", "src/flask/sansio/app.py",
                          "tests/test_app.py", "setup.py", "lib/pkg/__init__.py", "lib/pkg/x.py",
                          "other/pkg/__init__.py", "docs/conf.py"])
    assert names == {
        "src/flask/__init__.py": "flask", "src/flask/app.py": "flask.app",
        "src/flask/sansio/app.py": "flask.sansio.app", "tests/test_app.py": "tests.test_app",
        "setup.py": "setup", "lib/pkg/__init__.py": "pkg", "lib/pkg/x.py": "pkg.x",
        "other/pkg/__init__.py": "other.pkg", "docs/conf.py": "docs.conf",
    }


def test_import_resolution_rules():
    r = ImportResolver({"a", "a.b", "a.b.c", "tests.helpers", "tests.test_x"}, {"a", "a.b"})
    res = lambda imp, ref: [(x.internal, x.external) for x in r.resolve(imp, ref)]  # noqa: E731
    assert res("a.b.c", ImportRef("a.b.c.d.e", 1)) == [("a.b.c", None)]
    assert res("a.b.c", ImportRef("", 1, names=("c",), level=1)) == [("a.b.c", None)]
    assert res("a.b.c", ImportRef("", 1, names=("x",), level=2)) == [("a", None)]
    assert res("a", ImportRef("b", 1, names=("c", "zzz"), level=1)) == [("a.b.c", None), ("a.b", None)]
    assert res("tests.test_x", ImportRef("helpers", 1)) == [("tests.helpers", None)]
    assert res("a", ImportRef("numpy.linalg", 1)) == [(None, "numpy")]
    # inside a regular package, `import c` is never the sibling a.b.c (no implicit relative imports)
    assert res("a.b.x", ImportRef("c", 1)) == [(None, "c")]


def test_an_npm_package_and_a_python_module_of_one_name_stay_two_dependencies(wb, tmp_path):
    repo = init_repo(tmp_path / "mixed")
    write(repo, {"app/ids.py": "import uuid\n", "web/ids.js": "import { v4 } from 'uuid';\n"})
    commit(repo, "both kinds of uuid")
    snap = wb.map(str(repo))
    ext = snap.nodes[snap.nodes["kind"] == "external"].set_index("id")
    assert ext.loc["ext:uuid", "name"] == ext.loc["ext:npm:uuid", "name"] == "uuid"
    assert snap.stats["external_dependencies"] == 1 and snap.stats["stdlib_dependencies"] == 1
    from workbench.graph.contracts import matches
    assert matches("ext:npm:uuid", "uuid") and matches("ext:uuid", "uuid")


def test_problems_lists_what_the_summary_counts(snap):
    problems = snap.problems()
    assert list(problems.columns) == ["path", "language", "status", "problem"]
    rows = {r.path: (r.status, r.problem) for r in problems.itertuples()}
    assert set(rows) == {"src/shop/blob.py", "src/shop/passwd.py", "src/shop/broken.py",
                         "src/shop/latin.py"}
    assert rows["src/shop/blob.py"][0] == "skipped" and "binary" in rows["src/shop/blob.py"][1]
    assert rows["src/shop/broken.py"][0] == "parsed" and rows["src/shop/broken.py"][1]
    assert list(problems["status"]).count("skipped") == snap.stats["skipped_files"]
    assert list(problems["status"]).count("parsed") == snap.stats["parse_problems"]
