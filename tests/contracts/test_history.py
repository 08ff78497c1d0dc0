"""Contracts of every type over a project's history: the repository's own import-linter
configuration is found, each violation says in which commit it first appeared, and the trend
counts violations per contract and commit (a contract naming a module that did not exist
yet is an error at that commit, not a failure of the whole history)."""

from __future__ import annotations

import pytest

from tests.helpers import commit, git, init_repo, run_cli, write

CONFIG = """
[importlinter]
root_package = shop
include_external_packages = True

[importlinter:contract:layers]
name = layered
type = layers
layers =
    shop.web
    shop.services
    shop.store

[importlinter:contract:forbidden]
name = store without web
type = forbidden
source_modules =
    shop.store
forbidden_modules =
    shop.web
    requests

[importlinter:contract:independence]
name = web and store independent
type = independence
modules =
    shop.web
    shop.store

[importlinter:contract:protected]
name = db protected
type = protected
protected_modules =
    shop.store.db
allowed_importers =
    shop.services

[importlinter:contract:private]
name = private modules
type = private_modules

[importlinter:contract:acyclic]
name = acyclic siblings
type = acyclic_siblings
ancestors =
    shop

[importlinter:contract:api]
name = api is independent of store
type = independence
modules =
    shop.api
    shop.store
"""

START = {
    "shop/__init__.py": "",
    "shop/web/__init__.py": "", "shop/web/views.py": "from shop.services import orders\n",
    "shop/services/__init__.py": "", "shop/services/orders.py": "from shop.store import db\n",
    "shop/store/__init__.py": "", "shop/store/db.py": "", "shop/store/_pool.py": "",
    ".importlinter": CONFIG,
}
BREAK = {  # store imports web: layers, forbidden and independence break; siblings cycle
    "shop/store/db.py": "from shop.web import views\n",
    "shop/api/__init__.py": "", "shop/api/routes.py": "import json\n",
}
MORE = {  # web reaches into the store's private pool and the protected db; requests in store
    "shop/web/views.py": "from shop.services import orders\nfrom shop.store import _pool, db\n",
    "shop/store/db.py": "from shop.web import views\nimport requests\n",
}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    from workbench import Workbench

    root = tmp_path_factory.mktemp("history")
    repo = init_repo(root / "shop")
    write(repo, START)
    commit(repo, "start", "2026-01-01T10:00:00+00:00")
    write(repo, BREAK)
    commit(repo, "store uses web", "2026-01-02T10:00:00+00:00")
    write(repo, MORE)
    commit(repo, "web reaches into the store", "2026-01-03T10:00:00+00:00")
    shas = git(repo, "rev-list", "--reverse", "HEAD").split()
    bench = Workbench(root / "data")
    bench.add_project("shop", str(repo))
    snaps = bench.map_history("shop", refs=shas)
    yield bench, snaps, root
    bench.close()


def test_every_contract_type_over_history(history):
    bench, snaps, _ = history
    frame = bench.check("shop", history=True)  # the repository's own .importlinter
    first = {(r.contract, r.importer, r.imported): r.first_commit for r in frame.itertuples()}
    second, third = snaps[1].commit[:12], snaps[2].commit[:12]
    assert first[("layered", "shop.store.db", "shop.web.views")] == second
    assert first[("store without web", "shop.store.db", "shop.web.views")] == second
    assert first[("store without web", "shop.store.db", "ext:requests")] == third
    assert first[("web and store independent", "shop.store.db", "shop.web.views")] == second
    assert first[("web and store independent", "shop.web.views", "shop.store.db")] == snaps[0].commit[:12]
    assert first[("db protected", "shop.web.views", "shop.store.db")] == third
    assert first[("private modules", "shop.web.views", "shop.store._pool")] == third
    assert {c for (c, *_), when in first.items() if when == second} >= {"acyclic siblings"}
    trend = {(t["commit"], t["contract"]): (t["status"], t["violations"]) for t in frame.attrs["trend"]}
    start = snaps[0].commit[:12]
    assert {c: s for (when, c), (s, _) in trend.items() if when == start} == {
        "layered": "kept", "store without web": "kept", "web and store independent": "broken",
        "db protected": "kept", "private modules": "kept", "acyclic siblings": "kept",
        "api is independent of store": "error"}  # shop.api did not exist yet
    assert trend[(third, "store without web")] == ("broken", 2)
    assert all(trend[(third, c)][0] == "broken" for c in
               ("layered", "web and store independent", "db protected", "private modules", "acyclic siblings"))
    assert trend[(third, "api is independent of store")][0] == "kept"
    verdicts = {v["contract"]: v["status"] for v in frame.attrs["contracts"]}
    assert verdicts["api is independent of store"] == "kept" and verdicts["layered"] == "broken"


def test_the_metrics_trend_counts_violations_per_commit(history):
    bench, snaps, _ = history
    trend = bench.trend("shop", contracts=True)
    assert trend["commit"].tolist() == [s.commit[:12] for s in snaps]
    assert trend["contracts_broken"].tolist() == [1, 4, 6]  # independence; + layers, forbidden, acyclic; + protected, private
    violations = trend["contract_violations"].tolist()
    assert violations[0] < violations[1] < violations[2]
    assert "contract_violations" not in bench.trend("shop")


def test_check_on_the_command_line_lists_every_contract(history):
    bench, _, root = history
    done = run_cli("check", "shop", "--history", data_dir=root / "data")
    assert done.returncode == 3, done.stderr
    assert "KEPT    api is independent of store [independence]" in done.stdout
    assert "BROKEN  private modules [private_modules] (1)" in done.stdout
    assert "contracts: 1 kept, 6 broken" in done.stdout
    assert "== trend" in done.stdout
    typo = root / "typo.ini"
    typo.write_text(CONFIG.replace("    shop.services\n    shop.store\n", "    shop.servics\n    shop.store\n", 1))
    done = run_cli("check", "shop", "--contracts", str(typo), data_dir=root / "data")
    assert done.returncode != 0 and done.returncode != 3
    assert "'shop.servics' matches no module; closest existing: shop.services" in done.stderr + done.stdout
