import math

from conftest import make_graph, sample_edges, sample_nodes

from workbench.graph.diff import diff


def rows(frame, *columns):
    return list(frame[list(columns)].itertuples(index=False, name=None))


def test_identical_maps_have_an_empty_diff(sample):
    other = make_graph(sample_nodes(), sample_edges())
    assert diff(sample, other).is_empty


def test_diff_reports_nodes_edges_cycles_metrics_and_moves(sample):
    nodes = [n for n in sample_nodes() if n[0] != "services.users:helper"]
    nodes += [("store.db:helper", "function"), ("app.api", "module")]
    edges = [
        e
        for e in sample_edges()
        if e[:3]
        not in {
            ("services.billing", "services.users", "imports"),  # breaks users <-> billing
            ("services.users", "services:helper", "contains"),
            ("services.users:helper", "store.db:Session.find", "calls"),
            ("services.users", "services.users:helper", "contains"),
        }
    ]
    edges += [
        ("store.db", "store.db:helper", "contains"),
        ("app.api", "app.web", "imports", 1),
        ("app.web", "app.api", "imports", 2),  # grows the app cycle
        ("util", "helpers", "imports", 5),
    ]
    new = make_graph(nodes, edges)
    sample.nodes["util"]["complexity"] = 3
    new.nodes["util"]["complexity"] = 5
    new.nodes["util"]["line_start"] = 99  # positions are not metrics
    new.nodes["store.db"]["churn"] = 1.5

    d = diff(sample, new)
    assert rows(d.nodes_added, "node", "kind") == [("app.api", "module"), ("store.db:helper", "function")]
    assert rows(d.nodes_removed, "node", "kind") == [("services.users:helper", "function")]
    assert rows(d.edges_added, "src", "dst", "kind") == [
        ("app.api", "app.web", "imports"),
        ("app.web", "app.api", "imports"),
        ("store.db", "store.db:helper", "contains"),
        ("util", "helpers", "imports"),
    ]
    assert rows(d.edges_removed, "src", "dst", "kind") == [
        ("services.billing", "services.users", "imports"),
        ("services.users", "services.users:helper", "contains"),
        ("services.users:helper", "store.db:Session.find", "calls"),
    ]
    # The 5-module component lost services.users; the app cycle grew by app.api.
    assert rows(d.cycles_new, "members", "size") == [(["app.api", "app.cli", "app.web"], 3)]
    assert rows(d.cycles_broken, "members", "size") == [
        (["helpers", "services.billing", "services.users", "store.db", "store.models"], 5)
    ]
    metrics = rows(d.metrics_changed, "node", "metric", "old", "new")
    assert [m[:2] for m in metrics] == [("store.db", "churn"), ("util", "complexity")]
    assert math.isnan(metrics[0][2]) and metrics[0][3] == 1.5  # absent before: NaN
    assert metrics[1][2:] == (3, 5)
    assert rows(d.moved, "qualname", "kind", "old_node", "new_node") == [
        ("helper", "function", "services.users:helper", "store.db:helper")
    ]
    assert not d.is_empty


def test_ambiguous_moves_are_not_guessed():
    old = make_graph([("a", "module"), ("a:f", "function"), ("b:f", "function")], [])
    new = make_graph([("a", "module"), ("c:f", "function"), ("d:f", "function")], [])
    assert diff(old, new).moved.empty
