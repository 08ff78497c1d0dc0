"""Exploring maps: queries on known answers, SQL agreeing with networkx, diff, contracts, exports."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest

from tests.helpers import commit, git, init_repo, invoke_cli, run_cli, write
from workbench import Workbench
from workbench.errors import ConfigError, WorkbenchError
from workbench.graph.errors import AmbiguousNode, NodeKindNotHandled, NodeNotFound

CONTRACTS = """
[[contracts]]
name = "layered"
type = "layers"
layers = ["app", "services", "store"]

[[contracts]]
name = "store is standalone"
type = "forbidden"
source = "store"
forbidden = ["requests"]
"""

V1 = {
    "app/__init__.py": "",
    "app/web.py": "from services import orders\n\n\ndef page():\n    return orders.list_orders()\n",
    "services/__init__.py": "",
    "services/orders.py": ("from store import db\n\n\ndef list_orders():\n    return db.fetch()\n"
                           "\n\ndef fetch():\n    return list_orders()\n"),
    "store/__init__.py": "",
    "store/db.py": "def fetch():\n    return []\n",
    "workbench-contracts.toml": CONTRACTS,
}


@pytest.fixture
def layered(tmp_path):
    return build_layered(tmp_path)


def build_layered(root):
    """Two tagged commits: clean layers (v1), then the store importing the app (v2)."""
    repo = init_repo(root / "layered")
    write(repo, V1)
    first = commit(repo, "clean layers", "2026-01-01T10:00:00+00:00")
    git(repo, "tag", "v1")
    write(repo, {"store/db.py": "from app import web\n\n\ndef fetch():\n    return []\n",
                 "store/cache.py": "import requests\nfrom store.db import fetch\n"})
    second = commit(repo, "store reaches up", "2026-01-02T10:00:00+00:00")
    git(repo, "tag", "v2")
    return repo, first, second


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    """Both tags mapped once for this module's tests, which only read the maps."""
    root = tmp_path_factory.mktemp("explore")
    repo, _, _ = build_layered(root)
    bench = Workbench(root / "data")
    bench.add_project("layered", str(repo))
    snaps = bench.map_history("layered", tags=True)
    yield bench, snaps
    bench.close()


def test_map_history_maps_each_tag_once(mapped):
    wb, snaps = mapped
    assert [s.commit for s in snaps] == [s.commit for s in wb.map_history("layered", tags=True)]
    assert len(wb.project("layered").snapshots()) == 2
    trend = wb.trend("layered")
    assert trend["import_edges"].tolist() == [2, 4] and trend["import_cycles"].tolist() == [0, 1]


def test_named_queries_on_known_answers(mapped):
    _, (old, new) = mapped
    rel = new.related("orders", depth=1, kinds=["imports"])
    assert sorted(zip(rel["node"], rel["distance"], rel["direction"])) == [
        ("app.web", 1, "in"), ("store.db", 1, "out")]
    imp = old.impact("store.db", kinds=["imports"])
    assert dict(zip(imp["node"], imp["distance"])) == {"services.orders": 1, "app.web": 2}
    assert list(imp.set_index("node").loc["app.web", "path"]) == ["app.web", "services.orders", "store.db"]
    assert new.paths("app.web", "store.db") == [["app.web", "services.orders", "store.db"]]
    cycles = new.cycles()
    assert sorted(cycles["members"].iloc[0]) == ["app.web", "services.orders", "store.db"]
    assert len(cycles["lines"].iloc[0]) == 3
    layers = dict(zip(*old.layers()[["node", "level"]].T.values))
    assert layers["store.db"] == 0 and layers["services.orders"] == 1 and layers["app.web"] == 2


def test_lookup_by_suffix_and_errors(mapped):
    _, (_, new) = mapped
    assert new.resolve("web:page") == "app.web:page"
    assert new.resolve("app/web.py") == "app.web"
    with pytest.raises(AmbiguousNode) as err:
        new.resolve("fetch")
    assert "store.db:fetch" in err.value.candidates
    with pytest.raises(NodeNotFound):
        new.resolve("nothing.like.this")


def test_collapse_aggregates_imports_by_package(mapped):
    _, (_, new) = mapped
    top = new.collapse(depth=1)
    assert {(a, b): d["weight"] for a, b, d in top.edges(data=True)} == {
        ("app", "services"): 1, ("services", "store"): 1, ("store", "app"): 1}
    assert top.nodes["store"]["size"] == 3


@pytest.mark.parametrize("node", ["store.db", "services.orders", "app.web", "store.cache"])
def test_sql_and_networkx_agree(mapped, node):
    wb, (_, new) = mapped
    sql_impact = wb.sql("SELECT node, distance FROM wb_impact(?, ?, ['imports'])", [new.id, node])
    nx_impact = new.impact(node, kinds=["imports"])
    graph_only = {(n, d) for n, d in zip(nx_impact["node"], nx_impact["distance"])}
    assert {tuple(r) for r in sql_impact.itertuples(index=False)} == graph_only
    sql_rel = wb.sql("SELECT node, distance FROM wb_related(?, ?, 2, ['imports', 'calls'])", [new.id, node])
    nx_rel = new.related(node, depth=2, kinds=["imports", "calls"])
    assert {tuple(r) for r in sql_rel.itertuples(index=False)} == set(zip(nx_rel["node"], nx_rel["distance"]))


def test_diff_between_commits(mapped):
    wb, (old, new) = mapped
    d = wb.diff("layered", "v1", "v2")
    assert set(d.nodes_added["node"]) >= {"store.cache", "ext:requests"}
    added = set(map(tuple, d.edges_added[["src", "dst", "kind"]].values))
    assert ("store.db", "app.web", "imports") in added
    assert len(d.cycles_new) == 1 and d.cycles_broken.empty
    assert wb.diff("layered", old.id, old.id).is_empty
    assert wb.diff("layered", np.int64(old.id), np.int64(old.id)).is_empty  # ids from a frame


def test_contracts_from_the_repository_and_the_ratchet(mapped):
    wb, (old, new) = mapped
    assert wb.check("layered", ref="v1").empty
    now = wb.check("layered")
    kinds = set(zip(now["contract"], now["importer"], now["imported"]))
    assert ("layered", "store.db", "app.web") in kinds
    assert ("store is standalone", "store.cache", "ext:requests") in kinds
    row = now[now["importer"] == "store.db"].iloc[0]
    assert row["line"] == 1
    over_time = wb.check("layered", history=True)
    assert set(over_time["first_commit"]) == {new.commit[:12]}


def test_exports_round_trip(mapped, tmp_path):
    _, (_, new) = mapped
    g = new.graph
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        back = reader(new.export(tmp_path / f"map.{fmt}"))
        assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == g.number_of_edges()
    data = json.loads((new.export(tmp_path / "map.json")).read_text())
    back = nx.node_link_graph(data, edges="edges") if "edges" in data else nx.node_link_graph(data)
    assert set(back.nodes) == set(g.nodes)
    dot = new.export(tmp_path / "map.dot", depth=1).read_text()
    assert dot.startswith("digraph") and '"store" -> "app"' in dot
    out = new.export(tmp_path / "parquet", "parquet")
    import pandas as pd

    assert len(pd.read_parquet(out / "nodes.parquet")) == g.number_of_nodes()
    with pytest.raises(ConfigError, match="unknown export format"):
        new.export(tmp_path / "map.xyz")


def test_untrusted_sql_cannot_write_or_read_files(mapped):
    wb, _ = mapped
    from workbench.errors import StoreError

    for statement in ("DELETE FROM nodes", "SELECT * FROM read_csv('/etc/passwd')",
                      "COPY nodes TO '/tmp/nodes.csv'", "INSTALL httpfs"):
        with pytest.raises(StoreError):
            wb.sql(statement)
    assert wb.sql("SELECT count(*) AS n FROM latest_snapshots")["n"].iloc[0] == 1


def test_cli_explore_verbs(tmp_path, layered):
    repo, _, _ = layered
    data = tmp_path / "cli-data"
    assert run_cli("project", "add", "layered", str(repo), data_dir=data).returncode == 0
    hist = invoke_cli("history", "layered", "--tags", data_dir=data)
    assert hist.returncode == 0 and "import_cycles" in hist.stdout
    rel = invoke_cli("query", "related", "orders", "-p", "layered", "--kinds", "imports", data_dir=data)
    assert "store.db" in rel.stdout and "app.web" in rel.stdout
    imp = invoke_cli("query", "impact", "store.db", "-p", "layered", data_dir=data)
    assert "services.orders" in imp.stdout
    assert "app.web -> services.orders -> store.db" in invoke_cli(
        "query", "path", "app.web", "store.db", "-p", "layered", data_dir=data).stdout
    check = invoke_cli("check", "layered", data_dir=data)
    assert check.returncode == 3 and "store.db -> app.web" in check.stdout
    clean = invoke_cli("check", "layered", "--ref", "v1", data_dir=data)
    assert clean.returncode == 0 and "no violations" in clean.stdout
    sql = invoke_cli("sql", "SELECT count(*) AS snapshots FROM snapshots", data_dir=data)
    assert sql.returncode == 0 and "2" in sql.stdout
    diff = invoke_cli("diff", "layered", "v1", "v2", data_dir=data)
    assert "== cycles new: 1" in diff.stdout
    out = invoke_cli("export", "layered", str(tmp_path / "m.graphml"), data_dir=data)
    assert out.returncode == 0 and (tmp_path / "m.graphml").is_file()
    bad = invoke_cli("query", "impact", "fetch", "-p", "layered", data_dir=data)  # two fetch()
    assert bad.returncode == 1 and "ambiguous" in bad.stderr
    for kinds in ("import", ""):  # a typo or nothing: refused, not "nothing depends on it"
        typo = invoke_cli("query", "impact", "store.db", "-p", "layered", "--kinds", kinds, data_dir=data)
        assert typo.returncode == 2 and "unknown edge kind" in typo.stderr, typo.stderr
        assert "Traceback" not in typo.stderr


def test_subgraph_is_filtered_in_sql(mapped):
    _, (_, new) = mapped
    g = new.subgraph(node_kinds=["module", "package"], edge_kinds=["imports"])
    assert {k for _, k in g.nodes(data="kind")} == {"module", "package"}
    assert {k for _, _, k in g.edges(keys=True)} == {"imports"}
    assert g.number_of_edges() == 4 and "app.web:page" not in g


def test_map_history_runs_as_one_job_in_the_background(wb, layered):
    repo, first, second = layered
    wb.add_project("layered", str(repo))
    seen = []
    handle = wb.map_history("layered", every=1, wait=False, progress=lambda p: seen.append(
        (p.done, p.total, p.status)))
    result = handle.result(60)
    assert result["commits"] == [first, second] and len(result["snapshot_ids"]) == 2
    info = wb.job(handle.id)
    assert info.type == "map_history" and info.status == "succeeded"
    assert seen[-1] == (2, 2, "succeeded") and (0, 2, "running") in seen
    maps = [j for j in wb.recent_jobs(10) if j.type == "map"]
    assert len(maps) == 2 and all(j.status == "succeeded" for j in maps)
    timeline = wb.timeline("layered")
    assert timeline.columns.tolist() == ["snapshot", "commit", "ref", "committed_at", "mapped_at"]
    assert timeline["commit"].tolist() == [first, second]
    assert timeline["snapshot"].tolist() == result["snapshot_ids"]
    assert timeline["committed_at"].is_monotonic_increasing


def test_map_history_refuses_a_bad_choice_before_any_job(wb, layered):
    repo, _, _ = layered
    wb.add_project("layered", str(repo))
    for kwargs, message in (({}, "say which commits"), ({"every": 0}, "positive"),
                            ({"refs": ["-x"]}, "refused ref")):
        with pytest.raises(WorkbenchError, match=message):
            wb.map_history("layered", wait=False, **kwargs)
    assert wb.recent_jobs() == []


def test_a_failed_map_history_job_can_be_retried(wb, layered):
    repo, _, second = layered
    wb.add_project("layered", str(repo))
    with pytest.raises(WorkbenchError):
        wb.map_history("layered", refs=["v3"])  # no such tag yet
    failed = wb.recent_jobs(1)[0]
    assert failed.type == "map_history" and failed.status == "failed"
    git(repo, "tag", "v3", second)
    assert wb.retry(failed.id, wait=True).result()["commits"] == [second]
    assert wb.job(failed.id).status == "succeeded"


def test_check_at_a_snapshot_and_over_its_history(mapped):
    wb, (old, new) = mapped
    assert wb.check("layered", snapshot_id=old.id).empty
    assert wb.check("layered", snapshot_id=old.id, history=True).empty
    over_time = wb.check("layered", snapshot_id=new.id, history=True)
    assert set(over_time["first_snapshot"]) == {new.id}


def test_the_impact_of_an_external_package_is_the_modules_that_import_it_and_theirs(tmp_path):
    repo = init_repo(tmp_path / "src")
    write(repo, {"lib/__init__.py": "",
                 "lib/http.py": "import requests\n\n\ndef get(url):\n    return requests.get(url)\n",
                 "lib/api.py": "from lib import http\n\n\ndef fetch():\n    return http.get('x')\n",
                 "app.py": "from lib.api import fetch\n\n\ndef main():\n    return fetch()\n",
                 "quiet.py": "import json\n"})
    commit(repo, "one")
    data = tmp_path / "data"
    snap = Workbench(data).map(repo, name="web")
    found = snap.impact("ext:requests")
    distances = dict(zip(found["node"], found["distance"]))
    assert distances["lib.http"] == 1  # over its depends_on edge
    assert distances["lib.api"] == 2 and distances["app"] == 3
    assert "quiet" not in distances
    # imports, calls and inheritance never reach a package: refused, naming depends_on
    with pytest.raises(NodeKindNotHandled, match="ext:requests is an external package. "
                                                 r"Follow depends_on edges instead"):
        snap.impact("ext:requests", kinds=["imports", "calls", "inherits"])
    out = invoke_cli("query", "impact", "ext:requests", "-p", "web", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "nothing depends on it" not in out.stdout
    assert "lib.http" in out.stdout and "app" in out.stdout
