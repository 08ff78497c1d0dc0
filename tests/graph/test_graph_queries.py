import math

import numpy as np
import pandas as pd
import pytest
from conftest import make_graph, sample_edges, sample_nodes

from workbench.graph import index as index_module
from workbench.graph import queries as q
from workbench.graph.errors import NodeKindNotHandled, NodeNotFound
from workbench.graph.index import GraphIndex


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    return list(frame[list(columns)].itertuples(index=False, name=None))


def test_related_depth_one_both_directions(sample):
    found = q.related(sample, "services.users")
    assert rows(found, "node", "kind", "distance", "via", "parent", "direction") == [
        ("app.web", "module", 1, "imports", "services.users", "in"),
        ("services", "package", 1, "contains", "services.users", "in"),
        ("services.billing", "module", 1, "imports", "services.users", "out"),
        ("services.users:UserService", "class", 1, "contains", "services.users", "out"),
        ("services.users:helper", "function", 1, "contains", "services.users", "out"),
        ("store.db", "module", 1, "imports", "services.users", "out"),
    ]


def test_related_out_only_imports_depth_two(sample):
    found = q.related(sample, "app.web", depth=2, kinds=["imports"], direction="out")
    assert rows(found, "node", "distance", "parent") == [
        ("app.cli", 1, "app.web"),
        ("services.users", 1, "app.web"),
        ("util", 1, "app.web"),
        ("ext:requests", 2, "util"),
        ("services.billing", 2, "services.users"),
        ("store.db", 2, "services.users"),
    ]


def test_related_in_direction_and_depth_limit(sample):
    found = q.related(sample, "store.db:Session.find", depth=2, kinds=("calls",), direction="in")
    assert rows(found, "node", "distance", "direction") == [
        ("services.users:UserService.find", 1, "in"),
        ("services.users:helper", 1, "in"),
        ("app.web:View.get", 2, "in"),
    ]
    assert q.related(sample, "Session.find", depth=0).empty


def test_related_rejects_unknown_direction_and_node(sample):
    with pytest.raises(ValueError):
        q.related(sample, "util", direction="sideways")
    with pytest.raises(NodeNotFound):
        q.related(sample, "nope")


def test_impact_of_a_function_follows_callers(sample):
    found = q.impact(sample, "Session.find")
    assert rows(found, "node", "kind", "distance") == [
        ("services.users:UserService.find", "function", 1),
        ("services.users:helper", "function", 1),
        ("app.web:View.get", "function", 2),
    ]
    assert found["path"].iloc[2] == (
        "app.web:View.get",
        "services.users:UserService.find",
        "store.db:Session.find",
    )


def test_impact_of_a_module_includes_users_of_its_contents(sample):
    found = q.impact(sample, "store.db")
    assert rows(found, "node", "distance") == [
        ("services.users", 1),
        ("services.users:UserService.find", 1),
        ("services.users:helper", 1),
        ("app.web", 2),
        ("app.web:View.get", 2),
        ("services.billing", 2),
        ("app.cli", 3),
        ("helpers", 3),
        ("store.models", 4),
    ]
    paths = dict(zip(found["node"], found["path"]))
    assert paths["store.models"] == (
        "store.models",
        "helpers",
        "services.billing",
        "services.users",
        "store.db",
    )
    assert paths["app.cli"] == ("app.cli", "app.web", "services.users", "store.db")


def test_impact_without_contained_and_by_kind(sample):
    found = q.impact(sample, "store.db", contained=False, kinds=["imports"])
    assert "services.users:helper" not in set(found["node"])
    assert rows(found, "node", "distance")[:1] == [("services.users", 1)]
    inherits = q.impact(sample, "store.models:Model", kinds=["inherits"])
    assert rows(inherits, "node", "distance", "path") == [
        ("services.billing:Invoice", 1, ("services.billing:Invoice", "store.models:Model"))
    ]


def test_paths_shortest_first(sample):
    assert q.paths(sample, "app.cli", "store.models") == [
        ["app.cli", "app.web", "services.users", "store.db", "store.models"]
    ]
    assert q.paths(sample, "app.web", "services.billing", limit=5) == [
        ["app.web", "services.users", "services.billing"],
        ["app.web", "services.users", "store.db", "store.models", "helpers", "services.billing"],
    ]
    assert q.paths(sample, "app.web", "services.billing", limit=1) == [
        ["app.web", "services.users", "services.billing"]
    ]
    assert q.paths(sample, "store.db", "app.web") == []
    assert q.paths(sample, "util", "util") == [["util"]]


def test_cycles_with_shortest_cycle_and_import_lines(sample):
    found = q.cycles(sample)
    assert rows(found, "members", "size", "cycle", "lines") == [
        (
            ["helpers", "services.billing", "services.users", "store.db", "store.models"],
            5,
            ["services.billing", "services.users", "services.billing"],
            [1, 7],
        ),
        (["app.cli", "app.web"], 2, ["app.cli", "app.web", "app.cli"], [2, 9]),
    ]


def test_cycles_report_self_loops_and_other_kinds():
    g = make_graph(
        [("m", "module"), ("m:f", "function"), ("m:g", "function")],
        [("m", "m", "imports", 4), ("m:f", "m:g", "calls", 2), ("m:g", "m:f", "calls", 8)],
    )
    assert rows(q.cycles(g), "members", "size", "cycle", "lines") == [(["m"], 1, ["m", "m"], [4])]
    assert rows(q.cycles(g, kind="calls"), "cycle", "lines") == [(["m:f", "m:g", "m:f"], [2, 8])]
    assert q.cycles(g, kind="inherits").empty


def test_shortest_cycle_is_found_in_a_larger_component():
    # a -> b -> c -> d -> a, plus the shortcut c -> a: the shortest cycle is a, b, c, a.
    g = make_graph(
        [(m, "module") for m in "abcd"],
        [
            ("a", "b", "imports", 1),
            ("b", "c", "imports", 2),
            ("c", "d", "imports", 3),
            ("d", "a", "imports", 4),
            ("c", "a", "imports", 5),
        ],
    )
    assert rows(q.cycles(g), "size", "cycle", "lines") == [(4, ["a", "b", "c", "a"], [1, 2, 5])]


def test_layers_of_the_condensed_import_graph(sample):
    levels = dict(zip(*(q.layers(sample)[c] for c in ("node", "level"))))
    assert levels["util"] == 0
    assert {
        levels[m] for m in ("helpers", "services.billing", "services.users", "store.db", "store.models")
    } == {0}
    assert levels["app.web"] == levels["app.cli"] == 1
    assert "ext:requests" not in levels


def test_layers_chain():
    g = make_graph(
        [(m, "module") for m in ("a", "b", "c", "d")],
        [
            ("a", "b", "imports", 1),
            ("b", "c", "imports", 1),
            ("a", "c", "imports", 2),
            ("d", "c", "imports", 1),
        ],
    )
    assert rows(q.layers(g), "node", "level") == [("c", 0), ("b", 1), ("d", 1), ("a", 2)]


def test_module_graph_lifts_definitions_and_merges_weights():
    g = make_graph(
        [("p", "package"), ("p.a", "module"), ("p.b", "module"), ("p.b:C", "class"), ("ext:x", "external")],
        [
            ("p.a", "p.b", "imports", 3),
            ("p.a", "p.b:C", "imports", 5),
            ("p.a", "ext:x", "imports", 1),
            ("p", "p.a", "contains"),
        ],
    )
    mg = q.module_graph(g)
    assert set(mg.nodes) == {"p", "p.a", "p.b"}
    assert list(mg.edges(data=True)) == [("p.a", "p.b", {"kind": "imports", "weight": 2, "line": 3})]
    assert mg.nodes["p.a"]["path"] == "p/a.py"
    assert set(q.module_graph(g, external=True).edges) == {("p.a", "p.b"), ("p.a", "ext:x")}


def test_collapse_counts_imports_and_modules(sample):
    view = q.collapse(sample, depth=1)
    assert dict(view.nodes(data="size")) == {"app": 3, "helpers": 1, "services": 3, "store": 3, "util": 1}
    assert dict(view.nodes(data="internal_weight")) == {
        "app": 2,
        "helpers": 0,
        "services": 2,
        "store": 1,
        "util": 0,
    }
    assert sorted(view.edges(data="weight")) == [
        ("app", "services", 1),
        ("app", "util", 1),
        ("helpers", "services", 1),
        ("services", "store", 1),
        ("store", "helpers", 1),
    ]


def test_collapse_sums_weights_and_handles_file_paths():
    g = make_graph(
        [
            ("a.x.m1", "module"),
            ("a.x.m2", "module"),
            ("a.y.m3", "module"),
            ("web/src/app.ts", "file"),
            ("web/src/util.ts", "file"),
            ("web/lib/z.ts", "file"),
        ],
        [
            ("a.x.m1", "a.y.m3", "imports", 1),
            ("a.x.m2", "a.y.m3", "imports", 2),
            ("a.x.m1", "a.x.m2", "imports", 3),
            ("web/src/app.ts", "web/lib/z.ts", "imports", 1),
            ("web/src/util.ts", "web/lib/z.ts", "imports", 1),
        ],
    )
    view = q.collapse(g, depth=2)
    assert sorted(view.edges(data="weight")) == [("a.x", "a.y", 2), ("web/src", "web/lib", 2)]
    assert dict(view.nodes(data="size")) == {"a.x": 2, "a.y": 1, "web/lib": 1, "web/src": 2}
    assert sorted(q.collapse(g, depth=1).edges(data="weight")) == []
    with pytest.raises(ValueError):
        q.collapse(g, depth=0)


def test_communities_are_reproducible_and_cover_modules(sample):
    first = q.communities(sample)
    assert first.equals(GraphIndex(sample).communities())
    assert set(first["node"]) == set(q.module_graph(sample))
    assert list(first.columns) == ["node", "community"]
    sizes = first.groupby("community").size().tolist()
    assert sizes == sorted(sizes, reverse=True)


def test_centrality_columns_and_betweenness_limit(sample, monkeypatch):
    table = q.centrality(sample)
    assert list(table.columns) == ["node", "pagerank", "in_degree", "out_degree", "betweenness"]
    by_node = table.set_index("node")
    assert by_node.loc["app.web", "out_degree"] == 3
    assert by_node.loc["services.users", "in_degree"] == 2
    assert math.isclose(table["pagerank"].sum(), 1.0)
    assert table["betweenness"].notna().all()
    monkeypatch.setattr(index_module, "BETWEENNESS_MAX_NODES", 3)
    assert GraphIndex(sample).centrality()["betweenness"].isna().all()


def test_hidden_coupling_keeps_pairs_without_an_import_path(sample):
    pairs = pd.DataFrame(
        {
            "a": ["util.py", "store/db.py", "helpers.py", "missing.py"],
            "b": ["store/models.py", "app/web.py", "util.py", "util.py"],
            "shared": [3, 9, 5, 7],
            "degree": [0.5, 0.9, 0.4, 0.2],
        }
    )
    found = q.hidden_coupling(sample, pairs)
    assert rows(found, "a", "b", "shared", "a_node", "b_node") == [
        ("helpers.py", "util.py", 5, "helpers", "util"),
        ("util.py", "store/models.py", 3, "util", "store.models"),
    ]


def test_module_functions_reuse_the_cached_index(sample):
    assert q.index_for(sample) is q.index_for(sample)
    assert q.collapse(sample, depth=1) is q.collapse(sample, depth=1)


def test_cached_index_does_not_keep_its_graph_alive():
    import gc
    import weakref

    g = make_graph(sample_nodes(), sample_edges())
    q.cycles(g)
    q.module_graph(g)
    ref = weakref.ref(g)
    del g
    gc.collect()
    assert ref() is None


def test_empty_graph():
    import networkx as nx

    g = nx.MultiDiGraph()
    assert q.cycles(g).empty and q.layers(g).empty and q.centrality(g).empty
    assert q.collapse(g, depth=1).number_of_nodes() == 0
    g.add_node("a", kind="module")
    assert q.related(g, "a").empty and q.impact(g, "a").empty
    assert q.paths(g, "a", "a") == [["a"]]


def test_bfs_distances_match_networkx_on_a_random_graph():
    from itertools import islice

    import networkx as nx

    rng = np.random.default_rng(7)
    nodes = [(f"m{i}", "module") for i in range(300)]
    edges = {(int(a), int(b)) for a, b in rng.integers(0, 300, size=(900, 2)) if a != b}
    g = make_graph(nodes, [(f"m{a}", f"m{b}", "imports", 1) for a, b in sorted(edges)])
    plain = nx.DiGraph(g)
    expected = nx.single_source_shortest_path_length(plain.reverse(), "m0")
    found = q.impact(g, "m0", kinds=["imports"])
    assert dict(zip(found["node"], found["distance"])) == {n: d for n, d in expected.items() if n != "m0"}
    for path in found["path"]:
        assert all(plain.has_edge(u, v) for u, v in zip(path, path[1:]))
        assert path[-1] == "m0"
    expected_paths = [list(p) for p in islice(nx.shortest_simple_paths(plain, "m5", "m9"), 3)]
    found_paths = q.paths(g, "m5", "m9", limit=3)
    assert [len(p) for p in found_paths] == [len(p) for p in expected_paths]
    assert all(plain.has_edge(u, v) for p in found_paths for u, v in zip(p, p[1:]))


def test_paths_ties_in_id_order_then_longer_paths():
    # a -> c -> d and a -> b -> d tie; a -> b -> e -> d is longer.
    g = make_graph(
        [(m, "module") for m in "abcde"],
        [
            ("a", "c", "imports", 1),
            ("a", "b", "imports", 2),
            ("c", "d", "imports", 1),
            ("b", "d", "imports", 1),
            ("b", "e", "imports", 2),
            ("e", "d", "imports", 1),
            ("d", "a", "imports", 1),  # a cycle must not produce non-simple paths
        ],
    )
    assert q.paths(g, "a", "d") == [["a", "b", "d"], ["a", "c", "d"], ["a", "b", "e", "d"]]
    assert q.paths(g, "a", "d", limit=2) == [["a", "b", "d"], ["a", "c", "d"]]
    # calls never reach a module: refused with what to follow instead, not an empty answer
    with pytest.raises(NodeKindNotHandled, match=r"d is a module\. Follow imports edges instead"):
        q.paths(g, "a", "d", kinds=["calls"])


def test_a_node_is_found_as_python_spells_it_and_a_path_with_dot_slash(sample):
    assert q.impact(sample, "store.db.Session.find").equals(q.impact(sample, "Session.find"))
    from workbench.graph.lookup import resolve_node

    assert resolve_node(sample, "store.db.Session.find") == "store.db:Session.find"
    assert resolve_node(sample, "services.users.UserService") == "services.users:UserService"
    path = next(d["path"] for n, d in sample.nodes(data=True) if n == "store.db")
    assert resolve_node(sample, f"./{path}") == "store.db"
    with pytest.raises(NodeNotFound):
        resolve_node(sample, "store.db.Nothing")
