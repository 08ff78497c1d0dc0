"""Contract semantics on small import graphs (no map needed): each rule as import-linter
documents it, wildcards, ignored imports, typos refused with the closest names, and chains
that are the same on every run, shortest first."""

from __future__ import annotations

import random

import pytest

from workbench.contracts import (Acyclic, AcyclicSiblings, ContractConfigError, ContractSet,
                                 Forbidden, ImportGraph, Independence, Layers, NoSuchModule,
                                 Options, PrivateModules, Protected, UnmatchedIgnore, check_graph)
from workbench.contracts import config, names

MODULES = ["app", "app.web", "app.web.views", "app.services", "app.services.orders",
           "app.store", "app.store.db", "app.utils", "app.secret", "app.secret.a", "app.secret.b"]
IMPORTS = [
    ("app.web.views", "app.services.orders", 1),
    ("app.services.orders", "app.store.db", 2),
    ("app.store.db", "app.utils", 3),
    ("app.utils", "app.web.views", 4),
    ("app.secret.a", "app.secret.b", 5),
    ("app.web.views", "requests", 6),
]


def graph(extra=(), contexts=None):
    return ImportGraph.from_edges(MODULES, [*IMPORTS, *extra], external=["requests"], contexts=contexts)


def status(frame):
    return {v["contract"]: v["status"] for v in frame.attrs["contracts"]}


def test_wildcards_stand_for_whole_segments():
    pool = ["a", "a.b", "a.b.c", "a.x.c", "a.b.d.c", "ab"]
    assert names.expand("a.*", pool) == ["a.b"]
    assert names.expand("a.*.c", pool) == ["a.b.c", "a.x.c"]
    assert names.expand("a.**", pool) == ["a.b", "a.b.c", "a.b.d.c", "a.x.c"]
    assert names.expand("a.**.c", pool) == ["a.b.c", "a.b.d.c", "a.x.c"]
    for bad in ("a.b*", "a.**.*", "a.*.**", "a..b", ""):
        with pytest.raises(ContractConfigError):
            names.validate(bad)


def test_forbidden_overlap_is_skipped_as_import_linter_does():
    # the package may import its own secret: the pair overlaps, nothing to check
    found = check_graph(graph(), [Forbidden("app", "app.secret", name="own")])
    assert found.empty and status(found) == {"own": "kept"}
    # as modules, a named pair is checked
    found = check_graph(graph(), [Forbidden("app.secret.a", "app.secret.b", as_packages=False, name="m")])
    assert found[["importer", "imported"]].values.tolist() == [["app.secret.a", "app.secret.b"]]
    # siblings through a wildcard: app.secret matches app.* too but is skipped with itself
    found = check_graph(graph(), [Forbidden("app.secret", "app.*", name="w")])
    assert found.empty


def test_forbidden_indirect_direct_and_external():
    found = check_graph(graph(), [Forbidden("app.store", "app.web", name="f")])
    assert found["chain"].tolist() == [["app.store.db", "app.utils", "app.web.views"]]
    assert found["line"].tolist() == [3]
    assert check_graph(graph(), [Forbidden("app.store", "app.web", allow_indirect=True)]).empty
    ext = check_graph(graph(), [Forbidden("app.web", "requests", name="e")])
    assert ext["chain"].tolist() == [["app.web.views", "requests"]]
    # a package nobody imports is a ban ahead of time (warned), a near name is a typo
    ahead = check_graph(graph(), [Forbidden("app.web", "django", name="d")])
    assert ahead.attrs["contracts"][0]["warnings"] == ["no module imports django"]
    with pytest.raises(NoSuchModule, match="requests"):
        check_graph(graph(), [Forbidden("app.web", "reqeusts")])
    with pytest.raises(NoSuchModule, match="'app.web.\\*.x' matches no module"):
        check_graph(graph(), [Forbidden("app.web.*.x", "app.store")])  # import-linter: kept
    with pytest.raises(NoSuchModule, match="closest existing: app.store"):
        check_graph(graph(), [Protected(["app.secret"], ["app.stor"])])  # import-linter: kept
    with pytest.raises(ContractConfigError, match="whole external packages"):
        check_graph(graph(), [Forbidden("app.web", "requests.adapters")])


def test_chains_are_shortest_and_the_same_whatever_the_edge_order():
    extra = [("app.store.db", "app.z1", 7), ("app.z1", "app.z2", 8), ("app.z2", "app.web.views", 9),
             ("app.store.db", "app.m", 10), ("app.m", "app.web.views", 11),
             ("app.store.db", "app.k", 12), ("app.k", "app.web.views", 13)]
    mods = MODULES + ["app.z1", "app.z2", "app.m", "app.k"]
    answers = set()
    for seed in range(6):
        edges = [*IMPORTS, *extra]
        random.Random(seed).shuffle(edges)
        g = ImportGraph.from_edges(random.Random(seed).sample(mods, len(mods)), edges, external=["requests"])
        found = check_graph(g, [Forbidden("app.store", "app.web")])
        answers.add(tuple(map(tuple, found["chain"])))
    assert answers == {(("app.store.db", "app.k", "app.web.views"),)}


def test_layers_independent_and_joined_siblings_optional_and_exhaustive():
    g = graph([("app.secret.b", "app.utils", 9)])
    contracts = [
        Layers(["web", "services", "store"], containers=["app"], name="plain"),
        Layers(["web | secret", "store"], containers=["app"], name="indep"),
        Layers(["web : secret", "(missing)", "store"], containers=["app"], name="joined"),
        Layers(["web", "services", "store", "utils"], containers=["app"], exhaustive=True,
               exhaustive_ignores=["secret"], name="exhaustive"),
        Layers(["web", "services", "store"], containers=["app"], exhaustive=True, name="undeclared"),
    ]
    found = check_graph(g, contracts)
    assert status(found) == {"plain": "broken", "indep": "broken", "joined": "broken",
                             "exhaustive": "broken", "undeclared": "broken"}
    undeclared = found[(found["contract"] == "undeclared") & (found["reason"] == "not declared as a layer")]
    assert sorted(undeclared["importer"]) == ["app.secret", "app.utils"]
    # secret -> utils -> web: independent siblings break, joined ones only by the lower layer
    indep = found[found["contract"] == "indep"]
    assert ["app.secret.b", "app.utils", "app.web.views"] in indep["chain"].tolist()
    with pytest.raises(NoSuchModule, match="closest existing: app.services"):
        check_graph(g, [Layers(["app.web", "app.servces"])])
    with pytest.raises(ContractConfigError, match="mixes"):
        check_graph(g, [Layers(["web | a : b"], containers=["app"])])
    with pytest.raises(ContractConfigError, match="exhaustive needs containers"):
        check_graph(g, [Layers(["app.web"], exhaustive=True)])


def test_independence_protected_and_private_modules():
    g = ImportGraph.from_edges(
        ["foo", "foo.public", "foo._private", "foo._private.green", "foo.green", "foo.green._private",
         "foo.green._private.red", "foo.blue", "foo.public.blue", "foo._private._green"],
        [("foo.public", "foo._private", 1), ("foo.green", "foo.green._private", 2),
         ("foo.public.blue", "foo._private.green", 3), ("foo.blue", "foo.green._private", 4),
         ("foo.blue", "foo._private._green", 5), ("foo.blue", "foo.green._private.red", 6)])
    found = check_graph(g, [PrivateModules(name="p")])
    # import-linter's table: the last three are refused, the first three allowed
    assert sorted(map(tuple, found[["importer", "imported"]].values.tolist())) == [
        ("foo.blue", "foo._private._green"), ("foo.blue", "foo.green._private"),
        ("foo.blue", "foo.green._private.red")]
    scoped = check_graph(g, [PrivateModules(packages_with_private_modules=["foo.blue"])])
    assert scoped.empty
    with pytest.raises(ContractConfigError, match="private"):
        check_graph(g, [PrivateModules(packages_with_private_modules=["foo._private"])])
    prot = check_graph(g, [Protected(["foo.green"], ["foo.public"], name="pr")])
    assert sorted(prot["importer"]) == ["foo.blue", "foo.blue"]  # green may import its own
    only = check_graph(g, [Protected(["foo.green"], ["foo.public"], as_packages=False)])
    assert only.empty  # nobody imports foo.green itself
    ind = check_graph(graph(), [Independence(["app.web", "app.store"], name="i")])
    assert sorted(ind["importer"]) == ["app.store.db", "app.web.views"]


def test_acyclic_siblings_depth_and_skipped_descendants():
    g = ImportGraph.from_edges(
        ["p", "p.a", "p.a.x", "p.a.y", "p.b", "p.b.z"],
        [("p.a.x", "p.b.z", 1), ("p.b.z", "p.a.y", 2), ("p.a.x", "p.a.y", 3), ("p.a.y", "p.a.x", 4)])
    deep = check_graph(g, [AcyclicSiblings(["p"], name="deep")])
    assert sorted(deep["reason"]) == ["cycle between children of p", "cycle between children of p.a"]
    assert deep["chain"].tolist()[0] in (["p.a", "p.b", "p.a"], ["p.a.x", "p.a.y", "p.a.x"])
    shallow = check_graph(g, [AcyclicSiblings(["p"], depth=0)])
    assert shallow["reason"].tolist() == ["cycle between children of p"]
    skipped = check_graph(g, [AcyclicSiblings(["p"], skip_descendants=["p.a"])])
    assert skipped["reason"].tolist() == ["cycle between children of p"]
    assert check_graph(g, [Acyclic("p.b")]).empty
    with pytest.raises(NoSuchModule):
        check_graph(g, [AcyclicSiblings(["p.c.*"])])


def test_ignore_imports_with_wildcards_and_unmatched_alerting():
    layered = dict(layers=["app.web", "app.services", "app.store"])
    assert check_graph(graph(), [Layers(**layered)]).shape[0] == 1
    for pattern in ("app.utils -> app.web.views", "app.* -> app.web.*", "app.** -> app.web.**"):
        kept = check_graph(graph(), [Layers(**layered, ignore_imports=[pattern], name="L")])
        assert status(kept) == {"L": "kept"}, pattern
        assert kept.attrs["contracts"][0]["ignored"] == 1
    with pytest.raises(UnmatchedIgnore, match="app.utils -> app.web.views"):
        check_graph(graph(), [Layers(**layered, ignore_imports=["app.utils -> app.web.view"])])
    # the hint reads right in an INI file as in TOML: no quotes to copy into the INI
    with pytest.raises(UnmatchedIgnore, match="set unmatched_ignore_imports_alerting to warn"):
        check_graph(graph(), [Layers(**layered, ignore_imports=["app.utils -> app.web.view"])])
    warned = check_graph(graph(), [Layers(**layered, ignore_imports=["app.x -> app.y"],
                                          unmatched_ignore_imports_alerting="warn")])
    assert warned.attrs["contracts"][0]["warnings"] == ["no import matches ignored import app.x -> app.y"]
    quiet = check_graph(graph(), [Layers(**layered, ignore_imports=["app.x -> app.y"],
                                         unmatched_ignore_imports_alerting="none")])
    assert quiet.attrs["contracts"][0]["warnings"] == []


def test_roots_and_left_out_contexts():
    contexts = {("app.utils", "app.web.views"): "type_checking"}
    g = graph([("tests.test_x", "app.web.views", 1)], contexts=contexts)
    g.internal.add("tests.test_x")
    layered = Layers(["app.web", "app.services", "app.store"], name="L")
    assert status(check_graph(g, [layered])) == {"L": "broken"}
    runtime = ContractSet((layered,), Options(("app",), True, ("type_checking",)))
    assert status(check_graph(g, runtime)) == {"L": "kept"}
    # modules outside the roots are not checked, and their names are not offered
    rooted = ContractSet((Forbidden("tests", "app.web"),), Options(("app",), True))
    with pytest.raises(NoSuchModule):
        check_graph(g, rooted)


INI = """
[importlinter]
root_packages =
    app
include_external_packages = True
exclude_type_checking_imports = True

[importlinter:contract:no-web]
name = store does not use web
type = forbidden
source_modules =
    app.store
# a comment line inside a list
forbidden_modules =
    app.web
allow_indirect_imports = true
"""


def test_import_linter_ini_toml_and_the_workbench_toml(tmp_path):
    for name in ("setup.cfg", ".importlinter"):
        (tmp_path / name).write_text(INI)
        found = config.load(tmp_path / name)
        assert found.options == Options(("app",), True, ("type_checking",))
        (contract,) = found.contracts
        assert (contract.id, contract.name, contract.source, contract.forbidden, contract.allow_indirect) == (
            "no-web", "store does not use web", ("app.store",), ("app.web",), True)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_package = "app"\n\n[[tool.importlinter.contracts]]\nid = "x"\n'
        'name = "ind"\ntype = "independence"\nmodules = ["app.web", "app.store"]\n')
    found = config.load(tmp_path / "pyproject.toml")
    assert found.options.root_packages == ("app",) and found.options.include_external_packages is False
    assert found.contracts[0] == Independence(("app.web", "app.store"), name="ind", id="x")
    toml = config.parse_text('exclude_contexts = ["deferred"]\n[[contracts]]\ntype = "protected"\n'
                             'protected_modules = ["app.secret"]\nallowed_importers = ["app"]\n')
    assert toml.options.exclude_contexts == ("deferred",)
    assert isinstance(toml.contracts[0], Protected)
    assert config.parse_text(INI).contracts[0].id == "no-web"
    # the repository's files, in import-linter's order after the workbench's own
    files = {"setup.cfg": b"[metadata]\nname = x\n", ".importlinter": INI.encode()}
    assert config.find_in(files.get).source == ".importlinter"


@pytest.mark.parametrize("text, hint", [
    ('[[contracts]]\ntype = "layer"\nlayers = ["a"]\n', "did you mean layers"),
    ('[[contracts]]\ntype = "forbidden"\nsource_module = ["a"]\nforbidden_modules = ["b"]\n',
     "did you mean source_modules"),
    ('[[contracts]]\ntype = "layers"\nlayers = ["a"]\nexhaustiv = true\n', "did you mean exhaustive"),
    ('[[contracts]]\ntype = "forbidden"\nsource_modules = ["a"]\nforbidden_modules = ["b"]\n'
     'as_packages = "maybe"\n', "true or false"),
    ('[[contracts]]\ntype = "independence"\nmodules = ["a"]\nunmatched_ignore_imports_alerting = "loud"\n',
     "error, warn, none"),
    ('root_pakages = ["a"]\n', "did you mean root_packages"),
    ('[[contracts]]\ntype = "acyclic_siblings"\nancestors = ["a"]\ndepth = "deep"\n', "integer"),
])
def test_nothing_passes_by_typo_in_the_configuration(text, hint):
    with pytest.raises(ContractConfigError, match=hint):
        config.parse_text(text)


def test_an_ini_without_root_package_and_custom_types_are_refused():
    with pytest.raises(ContractConfigError, match="root_package"):
        config.parse_ini("[importlinter]\n\n[importlinter:contract:a]\nname = a\ntype = independence\nmodules = a\n")
    with pytest.raises(ContractConfigError, match="custom contract types"):
        config.parse_ini("[importlinter]\nroot_package = a\ncontract_types =\n    x: pkg.X\n")


def test_contracts_chosen_by_id_or_name():
    found = config.parse_text(INI.replace("[importlinter:contract:no-web]", "[importlinter:contract:a]\n"
                                          "name = a\ntype = independence\nmodules =\n    app.web\n"
                                          "    app.store\n\n[importlinter:contract:no-web]"))
    assert [c.id for c in config.select(found, ["no-web"]).contracts] == ["no-web"]
    assert [c.id for c in config.select(found, ["a", "store does not use web"]).contracts] == ["a", "no-web"]
    with pytest.raises(ContractConfigError, match="did you mean no-web"):
        config.select(found, ["no-wbe"])
