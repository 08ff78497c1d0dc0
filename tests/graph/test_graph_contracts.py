import pytest
from conftest import make_graph

from workbench.graph.contracts import (
    VIOLATION_COLUMNS,
    Acyclic,
    Forbidden,
    Independence,
    Layers,
    check,
    load_contracts,
    matches,
    new_violations,
    parse_contracts,
)
from workbench.graph.errors import ContractError

MODULES = [
    "pkg",
    "pkg.app",
    "pkg.app.views",
    "pkg.services",
    "pkg.services.users",
    "pkg.store",
    "pkg.store.db",
    "pkg.utils",
]
IMPORTS = [
    ("pkg.app.views", "pkg.services.users", 1),
    ("pkg.services.users", "pkg.store.db", 2),
    ("pkg.store.db", "pkg.app.views", 3),  # direct layer violation
    ("pkg.store.db", "pkg.utils", 4),
    ("pkg.utils", "pkg.services.users", 5),  # ... makes store -> utils -> services indirect
    ("pkg.utils", "ext:requests", 6),
    ("pkg.app.views", "pkg.utils", 7),
]


def build(extra=()):
    nodes = [(m, "package" if m.count(".") < 2 and m != "pkg.utils" else "module") for m in MODULES]
    nodes.append(("ext:requests", "external"))
    return make_graph(nodes, [(a, b, "imports", line) for a, b, line in [*IMPORTS, *extra]])


def rows(frame):
    return list(frame[["importer", "imported", "line", "chain"]].itertuples(index=False, name=None))


def test_prefix_matching_on_segment_boundaries():
    assert matches("pkg.app", "pkg.app")
    assert matches("pkg.app.views", "pkg.app")
    assert matches("pkg.app:View", "pkg.app")
    assert matches("web/src/a.ts", "web/src")
    assert not matches("pkg.apple", "pkg.app")
    assert matches("ext:requests", "requests")
    assert matches("ext:requests", "ext:requests")
    assert not matches("ext:requests", "ext:req")


def test_layers_direct_and_indirect_violations():
    found = check(build(), [Layers(["pkg.app", "pkg.services", "pkg.store"])])
    assert list(found.columns) == VIOLATION_COLUMNS
    assert set(found["contract"]) == {"layers pkg.app > pkg.services > pkg.store"}
    assert set(found["kind"]) == {"layers"}
    assert rows(found) == [
        ("pkg.store.db", "pkg.app.views", 3, ["pkg.store.db", "pkg.app.views"]),
        ("pkg.store.db", "pkg.services.users", 4, ["pkg.store.db", "pkg.utils", "pkg.services.users"]),
    ]


def test_layers_inside_containers_match_full_names():
    by_container = check(build(), [Layers(["app", "services", "store"], containers=["pkg"], name="L")])
    plain = check(build(), [Layers(["pkg.app", "pkg.services", "pkg.store"], name="L")])
    assert by_container.equals(plain)


def test_layers_allow_downward_imports():
    g = make_graph(
        [("a.x", "module"), ("b.y", "module"), ("c.z", "module")],
        [("a.x", "b.y", "imports", 1), ("b.y", "c.z", "imports", 1), ("a.x", "c.z", "imports", 2)],
    )
    assert check(g, [Layers(["a", "b", "c"])]).empty


def test_forbidden_direct_indirect_and_external():
    g = build()
    found = check(g, [Forbidden(source="pkg.store", forbidden="requests")])
    assert rows(found) == [("pkg.store.db", "ext:requests", 4, ["pkg.store.db", "pkg.utils", "ext:requests"])]
    assert found["kind"].tolist() == ["forbidden"]
    assert check(g, [Forbidden(source="pkg.store", forbidden="requests", allow_indirect=True)]).empty
    direct = check(g, [Forbidden(source=["pkg.utils"], forbidden=["requests", "pkg.app"], name="no-net")])
    assert rows(direct) == [
        ("pkg.utils", "ext:requests", 6, ["pkg.utils", "ext:requests"]),
        (
            "pkg.utils",
            "pkg.app.views",
            5,
            ["pkg.utils", "pkg.services.users", "pkg.store.db", "pkg.app.views"],
        ),
    ]
    assert set(direct["contract"]) == {"no-net"}


def test_independence_both_ways():
    found = check(build(), [Independence(["pkg.app", "pkg.store"])])
    assert rows(found) == [  # shortest chains first
        ("pkg.store.db", "pkg.app.views", 3, ["pkg.store.db", "pkg.app.views"]),
        ("pkg.app.views", "pkg.store.db", 1, ["pkg.app.views", "pkg.services.users", "pkg.store.db"]),
    ]


def test_acyclic_reports_one_shortest_cycle_per_component():
    found = check(build(), [Acyclic("pkg")])
    assert rows(found) == [
        (
            "pkg.app.views",
            "pkg.services.users",
            1,
            ["pkg.app.views", "pkg.services.users", "pkg.store.db", "pkg.app.views"],
        )
    ]
    assert check(build(), [Acyclic("pkg.app")]).empty
    self_import = check(build([("pkg.utils", "pkg.utils", 9)]), [Acyclic("pkg.utils")])
    assert rows(self_import) == [("pkg.utils", "pkg.utils", 9, ["pkg.utils", "pkg.utils"])]


def test_contracts_from_toml(tmp_path):
    text = """
[[contracts]]
name = "layered"
type = "layers"
layers = ["app", "services", "store"]
containers = ["pkg"]

[[contracts]]
type = "forbidden"
source = "pkg.store"
forbidden = ["requests"]
allow_indirect = true

[[contracts]]
type = "independence"
modules = ["pkg.app", "pkg.store"]

[[contracts]]
type = "acyclic"
container = "pkg"
"""
    path = tmp_path / "contracts.toml"
    path.write_text(text)
    contracts = load_contracts(path)
    assert list(contracts) == [
        Layers(("app", "services", "store"), containers=("pkg",), name="layered"),
        Forbidden(source=("pkg.store",), forbidden=("requests",), allow_indirect=True),
        Independence(("pkg.app", "pkg.store")),
        Acyclic("pkg"),
    ]
    found = check(build(), contracts)
    assert found.groupby("kind", sort=False).size().to_dict() == {
        "layers": 2,
        "independence": 2,
        "acyclic": 1,
    }


@pytest.mark.parametrize(
    "text",
    [
        '[[contracts]]\ntype = "onion"\n',
        '[[contracts]]\ntype = "layers"\n',
        '[[contracts]]\ntype = "layers"\nlayers = "app"\n',
        '[[contracts]]\ntype = "acyclic"\ncontainer = "x"\ncolour = "red"\n',
        "contracts = 3\n",
        "[[contracts]\n",
        '[[contracts]]\ntype = "layers"\nlayers = [1, 2]\n',
        '[[contracts]]\ntype = "forbidden"\nsource = 5\nforbidden = ["x"]\n',
        '[[contracts]]\ntype = ["layers"]\n',
    ],
)
def test_malformed_contracts_are_rejected(text):
    with pytest.raises(ContractError):
        parse_contracts(text)


def test_an_unreadable_contracts_file_is_a_contract_error(tmp_path):
    from workbench.graph.contracts import load_contracts

    (tmp_path / "c.toml").write_bytes(b"\xff\xfe not text")
    for path in (tmp_path / "missing.toml", tmp_path / "c.toml"):
        with pytest.raises(ContractError, match="cannot read contracts"):
            load_contracts(path)


def test_ratchet_reports_only_new_violations():
    contracts = [Layers(["pkg.app", "pkg.services", "pkg.store"])]
    baseline = check(build(), contracts)
    # Same violations on shifted lines, plus a new one: services imports app.
    shifted = [(a, b, line + 10) for a, b, line in IMPORTS]
    nodes = [(m, "module") for m in MODULES] + [("ext:requests", "external")]
    later = make_graph(
        nodes, [(a, b, "imports", line) for a, b, line in [*shifted, ("pkg.services.users", "pkg.app", 1)]]
    )
    fresh = new_violations(baseline, check(later, contracts))
    assert rows(fresh) == [("pkg.services.users", "pkg.app", 1, ["pkg.services.users", "pkg.app"])]
    assert new_violations(baseline, baseline).empty
