"""A small hand-built map whose query answers are worked out in the tests.

Modules and imports (line numbers in brackets)::

    app.cli -> app.web [2]          app.web -> app.cli [9]        (cycle of 2)
    app.web -> services.users [3]   app.web -> util [4]
    services.users -> store.db [5]  services.users -> services.billing [7]
    services.billing -> services.users [1]                          (cycle of 2 inside 5)
    store.db -> store.models [2]    store.models -> helpers [3]
    helpers -> services.billing [6] util -> ext:requests [1]

Calls: ``View.get -> UserService.find -> Session.find``, ``helper -> Session.find``;
``Invoice`` inherits ``Model``.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest

from workbench.graph.build import graph_from_frames

PACKAGES = ["app", "services", "store"]
MODULES = [
    "app.web",
    "app.cli",
    "services.users",
    "services.billing",
    "store.db",
    "store.models",
    "util",
    "helpers",
]
DEFINITIONS = [
    ("app.web:View", "class"),
    ("app.web:View.get", "function"),
    ("services.users:UserService", "class"),
    ("services.users:UserService.find", "function"),
    ("services.users:helper", "function"),
    ("services.billing:Invoice", "class"),
    ("store.db:Session", "class"),
    ("store.db:Session.find", "function"),
    ("store.models:Model", "class"),
]
IMPORTS = [
    ("app.cli", "app.web", 2),
    ("app.web", "app.cli", 9),
    ("app.web", "services.users", 3),
    ("app.web", "util", 4),
    ("services.users", "store.db", 5),
    ("services.users", "services.billing", 7),
    ("services.billing", "services.users", 1),
    ("store.db", "store.models", 2),
    ("store.models", "helpers", 3),
    ("helpers", "services.billing", 6),
    ("util", "ext:requests", 1),
]
CALLS = [
    ("app.web:View.get", "services.users:UserService.find"),
    ("services.users:UserService.find", "store.db:Session.find"),
    ("services.users:helper", "store.db:Session.find"),
]


def _path(node_id: str, kind: str) -> str | None:
    if kind == "package":
        return node_id.replace(".", "/") + "/__init__.py"
    if kind == "module":
        return node_id.replace(".", "/") + ".py"
    return None


def make_graph(nodes: list[tuple[str, str]], edges: list[tuple]) -> nx.MultiDiGraph:
    """Build a map from ``(id, kind)`` nodes and ``(src, dst, kind[, line])`` edges."""
    node_frame = pd.DataFrame(
        {
            "id": [n for n, _ in nodes],
            "kind": [k for _, k in nodes],
            "name": [n.rsplit(":", 1)[-1].rsplit(".", 1)[-1] for n, _ in nodes],
            "path": [_path(n, k) for n, k in nodes],
            "line_start": [1] * len(nodes),
            "line_end": [10] * len(nodes),
            "language": ["python"] * len(nodes),
        }
    )
    edge_frame = pd.DataFrame(
        {
            "src": [e[0] for e in edges],
            "dst": [e[1] for e in edges],
            "kind": [e[2] for e in edges],
            "weight": [1] * len(edges),
            "line": [e[3] if len(e) > 3 else None for e in edges],
        }
    )
    return graph_from_frames(node_frame, edge_frame)


def sample_nodes() -> list[tuple[str, str]]:
    return (
        [(p, "package") for p in PACKAGES]
        + [(m, "module") for m in MODULES]
        + DEFINITIONS
        + [("ext:requests", "external")]
    )


def sample_edges() -> list[tuple]:
    contains = [(m.split(".")[0], m, "contains") for m in MODULES if "." in m]
    contains += [
        (d.rsplit(".", 1)[0] if "." in d.split(":")[1] else d.split(":")[0], d, "contains")
        for d, _ in DEFINITIONS
    ]
    return (
        contains
        + [(a, b, "imports", line) for a, b, line in IMPORTS]
        + [(a, b, "calls", 10) for a, b in CALLS]
        + [("services.billing:Invoice", "store.models:Model", "inherits", 3)]
    )


@pytest.fixture
def sample() -> nx.MultiDiGraph:
    return make_graph(sample_nodes(), sample_edges())
