"""The workbench's verdicts agree with import-linter's (``lint-imports``, the oracle).

One small package exercises every contract type and option; the same files are committed to a
git repository, mapped, and checked by the workbench with the same configuration file that
``lint-imports`` reads. Kept/broken verdicts must be equal contract by contract, and for broken
contracts the first import of every chain lint-imports prints must be one the workbench
reports too. Configurations that import-linter refuses (a missing module, an unmatched ignore)
must be refused by the workbench as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contracts.oracle import lint_imports
from tests.helpers import commit, init_repo, write
from workbench import Workbench
from workbench.graph.errors import ContractError

PACKAGE = {
    "shop/__init__.py": "",
    "shop/web/__init__.py": "",
    "shop/web/views.py": "import requests\nfrom shop.services import orders\nfrom shop.api import _internal\n",
    "shop/api/__init__.py": "",
    "shop/api/_internal.py": "import json\n",
    "shop/api/public.py": "from shop.api import _internal\nfrom shop.services import billing\n",
    "shop/services/__init__.py": "",
    "shop/services/orders.py": "from shop.store import db\nfrom shop.services import billing\n",
    "shop/services/billing.py": "import shop.services.orders\n",
    "shop/store/__init__.py": "",
    "shop/store/db.py": "import json\nfrom shop.utils import helpers\n",
    "shop/store/cache.py": "",
    "shop/utils/__init__.py": "",
    "shop/utils/helpers.py": "from shop.web import views\n",
    "shop/secret/__init__.py": "",
    "shop/secret/a.py": "from shop.secret import b\n",
    "shop/secret/b.py": "",
    "shop/secret/_keys/__init__.py": "",
    "shop/secret/_keys/vault.py": "from shop.secret._keys import store\n",
    "shop/secret/_keys/store.py": "",
    "shop/typed.py": (
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from shop.web import views\n"),
}

VALID = """
[importlinter]
root_package = shop
include_external_packages = True

[importlinter:contract:layers-indirect]
name = layers through utils
type = layers
layers =
    shop.web
    shop.services
    shop.store

[importlinter:contract:layers-ignored]
name = layers with the cross import ignored
type = layers
layers =
    shop.web
    shop.services
    shop.store
ignore_imports =
    shop.utils.* -> shop.web.**

[importlinter:contract:layers-containers]
name = layers in a container, exhaustive
type = layers
containers =
    shop
layers =
    web | api
    services
    (absent)
    store
    utils
exhaustive = true
exhaustive_ignores =
    secret

[importlinter:contract:layers-not-exhaustive]
name = layers in a container, a missing child
type = layers
containers =
    shop
layers =
    web : api
    services
exhaustive = true

[importlinter:contract:layers-siblings]
name = independent siblings
type = layers
layers =
    shop.web | shop.secret
    shop.store

[importlinter:contract:layers-joined]
name = non-independent siblings
type = layers
layers =
    shop.secret : shop.utils
    shop.store.cache

[importlinter:contract:forbidden-indirect]
name = store must not reach web
type = forbidden
source_modules =
    shop.store
forbidden_modules =
    shop.web

[importlinter:contract:forbidden-direct]
name = store may reach web indirectly
type = forbidden
source_modules =
    shop.store
forbidden_modules =
    shop.web
allow_indirect_imports = True

[importlinter:contract:forbidden-overlap]
name = the package may use its own secret
type = forbidden
source_modules =
    shop
forbidden_modules =
    shop.secret

[importlinter:contract:forbidden-modules]
name = a must not import b, as modules
type = forbidden
source_modules =
    shop.secret.a
forbidden_modules =
    shop.secret.b
as_packages = False

[importlinter:contract:forbidden-external]
name = no requests in web
type = forbidden
source_modules =
    shop.web
forbidden_modules =
    requests

[importlinter:contract:forbidden-wild]
name = api children must not reach services
type = forbidden
source_modules =
    shop.api.*
forbidden_modules =
    shop.services.**

[importlinter:contract:independence-broken]
name = web and store independent
type = independence
modules =
    shop.web
    shop.store

[importlinter:contract:independence-kept]
name = secret and api independent
type = independence
modules =
    shop.secret
    shop.api

[importlinter:contract:protected]
name = internal api protected
type = protected
protected_modules =
    shop.api._internal
allowed_importers =
    shop.api.public

[importlinter:contract:protected-packages]
name = secret protected as a package
type = protected
protected_modules =
    shop.secret
allowed_importers =
    shop.web

[importlinter:contract:private]
name = private modules everywhere
type = private_modules

[importlinter:contract:private-scoped]
name = private modules of secret
type = private_modules
packages_with_private_modules =
    shop.secret

[importlinter:contract:acyclic-deep]
name = acyclic siblings
type = acyclic_siblings
ancestors =
    shop

[importlinter:contract:acyclic-shallow]
name = acyclic siblings of services only
type = acyclic_siblings
ancestors =
    shop.services
depth = 0

[importlinter:contract:acyclic-skip]
name = acyclic siblings of secret
type = acyclic_siblings
ancestors =
    shop.secret
skip_descendants =
    shop.secret._keys

[importlinter:contract:ignore-warn]
name = an unmatched ignore only warns
type = independence
modules =
    shop.secret
    shop.api
ignore_imports =
    shop.secret.nothing -> shop.api
unmatched_ignore_imports_alerting = warn
"""

REFUSED = {
    "missing layer": """
[importlinter]
root_package = shop

[importlinter:contract:x]
name = misspelt layer
type = layers
layers =
    shop.web
    shop.servces
""",
    "missing source": """
[importlinter]
root_package = shop

[importlinter:contract:x]
name = misspelt source
type = forbidden
source_modules =
    shop.stor
forbidden_modules =
    shop.web
""",
    "unmatched ignore": """
[importlinter]
root_package = shop

[importlinter:contract:x]
name = unmatched ignore
type = independence
modules =
    shop.secret
    shop.api
ignore_imports =
    shop.secret.a -> shop.api.publc
""",
    "missing container layer": """
[importlinter]
root_package = shop

[importlinter:contract:x]
name = layer missing from a container
type = layers
containers =
    shop
layers =
    web
    nothing
""",
}


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    root = tmp_path_factory.mktemp("agree")
    repo = init_repo(root / "shop")
    write(repo, PACKAGE)
    commit(repo, "shop")
    bench = Workbench(root / "data")
    bench.map(str(repo), name="shop")
    yield repo, bench
    bench.close()


def workbench_verdicts(bench: Workbench, config: Path) -> tuple[dict, dict]:
    frame = bench.check("shop", config)
    verdicts = {v["contract"]: v["status"] for v in frame.attrs["contracts"]}
    links = {}
    for row in frame.itertuples():
        if len(row.chain) > 1:
            plain = [m.removeprefix("ext:") for m in row.chain[:2]]
            links.setdefault(row.contract, set()).add(tuple(plain))
    return verdicts, links


def test_every_contract_type_and_option_agrees_with_lint_imports(mapped, tmp_path):
    repo, bench = mapped
    config = repo / "contracts.ini"
    config.write_text(VALID)
    oracle = lint_imports(repo, str(config))
    assert oracle["error"] is None, oracle["output"]
    ours, links = workbench_verdicts(bench, config)
    assert ours == oracle["verdicts"]
    # both sides break and keep contracts, so the comparison can fail either way
    assert {"kept", "broken"} <= set(ours.values())
    for name, pairs in oracle["direct"].items():
        assert pairs <= links.get(name, set()), name


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_configurations_lint_imports_refuses_are_refused(mapped, case):
    repo, bench = mapped
    config = repo / f"{case.replace(' ', '-')}.ini"
    config.write_text(REFUSED[case])
    oracle = lint_imports(repo, str(config))
    assert oracle["verdicts"] == {} and oracle["error"], oracle["output"]
    with pytest.raises(ContractError) as caught:
        bench.check("shop", config)
    assert "closest" in str(caught.value)


TYPED = """
[importlinter]
root_package = shop
exclude_type_checking_imports = {flag}

[importlinter:contract:typed]
name = typed stays away from web
type = forbidden
source_modules =
    shop.typed
forbidden_modules =
    shop.web

[importlinter:contract:typed-layers]
name = typed below web
type = layers
layers =
    shop.web
    shop.typed
"""


@pytest.mark.parametrize("flag, expected", [("False", "broken"), ("True", "kept")])
def test_exclude_type_checking_imports_agrees_with_lint_imports(mapped, flag, expected):
    repo, bench = mapped
    config = repo / f"typed-{flag}.ini"
    config.write_text(TYPED.format(flag=flag))
    oracle = lint_imports(repo, str(config))
    ours, _ = workbench_verdicts(bench, config)
    assert ours == oracle["verdicts"] == {"typed stays away from web": expected, "typed below web": expected}


PYPROJECT = """
[project]
name = "shop"

[tool.importlinter]
root_packages = ["shop"]
include_external_packages = true

[[tool.importlinter.contracts]]
id = "layers"
name = "toml layers"
type = "layers"
containers = "shop"
layers = ["web", "services", "store"]
ignore_imports = ["shop.**.helpers -> shop.web.views"]

[[tool.importlinter.contracts]]
name = "toml forbidden"
type = "forbidden"
source_modules = ["shop.api.*"]
forbidden_modules = ["json", "shop.store"]
allow_indirect_imports = true

[[tool.importlinter.contracts]]
name = "toml acyclic"
type = "acyclic_siblings"
ancestors = ["shop.*"]
depth = 1
"""


def test_pyproject_configuration_agrees_with_lint_imports(mapped):
    repo, bench = mapped
    config = repo / "pyproject.toml"
    config.write_text(PYPROJECT)
    oracle = lint_imports(repo, str(config))
    ours, _ = workbench_verdicts(bench, config)
    assert ours == oracle["verdicts"] == {"toml layers": "kept", "toml forbidden": "broken",
                                          "toml acyclic": "broken"}
