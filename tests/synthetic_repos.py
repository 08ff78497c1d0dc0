"""Synthetic repositories shaped like real ones, built locally (no network): a flask-like
package with tests and examples, and a large tree of 5,000 modules."""

from __future__ import annotations

import random
from pathlib import Path

from tests.helpers import commit, init_repo, write

FLASK_MODULES = ["app", "blueprints", "cli", "config", "ctx", "debughelpers", "globals",
                 "helpers", "logging", "scaffold", "sessions", "signals", "templating",
                 "testing", "typing", "views", "wrappers", "json.provider", "json.tag",
                 "sansio.app", "sansio.blueprints", "sansio.scaffold"]


def _module(imports: list[str], name: str, functions: int = 3) -> str:
    body = "".join(f"import {m}\n" for m in imports)
    for i in range(functions):
        body += f"\n\ndef {name}_{i}(x):\n    if x:\n        return x + {i}\n    return {i}\n"
    return body


def flask_like(path: Path, seed: int = 3) -> Path:
    """A package of 25 modules, 40 test modules (with test apps), examples and docs."""
    rng = random.Random(seed)
    repo = init_repo(path)
    files: dict[str, str] = {"src/flask/__init__.py": "from flask import app\n",
                             "src/flask/json/__init__.py": "", "src/flask/sansio/__init__.py": "",
                             "docs/conf.py": "project = 'flask'\n", "README.md": "# flask\n"}
    names = [f"flask.{m}" for m in FLASK_MODULES]
    for i, mod in enumerate(FLASK_MODULES):
        deps = rng.sample(names[:i] or names[:1], k=min(len(names[:i]), rng.randint(1, 5)))
        files[f"src/flask/{mod.replace('.', '/')}.py"] = _module(
            [d for d in deps if d != f"flask.{mod}"], mod.split(".")[-1])
    for i in range(28):
        files[f"tests/test_{i:02d}_{rng.choice(FLASK_MODULES).split('.')[-1]}.py"] = _module(
            ["flask", *rng.sample(names, 3)], f"test_{i}")
    for app in ("blueprintapp", "cliapp", "subdomaintestmodule"):
        files[f"tests/test_apps/{app}/__init__.py"] = _module(["flask"], app)
        for part in ("admin", "frontend", "views"):
            files[f"tests/test_apps/{app}/{part}.py"] = _module(
                [f"tests.test_apps.{app}", "flask.blueprints"], part)
    for example, parts in (("tutorial/flaskr", ("auth", "blog", "db")),
                           ("javascript/js_example", ("views",)), ("celery/task_app", ("tasks", "views"))):
        # each example is its own installable project importing itself by its own name, as
        # flask's examples do (``from flaskr.db import get_db``)
        package = example.split("/")[-1]
        files[f"examples/{example}/__init__.py"] = _module(["flask"], "create_app")
        for part in parts:
            files[f"examples/{example}/{part}.py"] = _module(["flask", package], part)
    write(repo, files)
    commit(repo, "flask-like", "2026-01-01T10:00:00+00:00")
    return repo


def large_tree(path: Path, modules: int = 5000, seed: int = 5) -> Path:
    """``modules`` modules in 10 areas x 10 packages, each importing three others (mostly of
    its own package), with a tests/ tree beside them."""
    rng = random.Random(seed)
    repo = init_repo(path)
    per = max(1, modules // 100)
    names = [f"big.area{a}.pkg{p}.mod{m:03d}" for a in range(10) for p in range(10)
             for m in range(per)]
    files: dict[str, str] = {"big/__init__.py": ""}
    for a in range(10):
        files[f"big/area{a}/__init__.py"] = ""
        for p in range(10):
            files[f"big/area{a}/pkg{p}/__init__.py"] = ""
    for i, name in enumerate(names):
        own = i - i % per
        deps = {names[own + rng.randrange(per)] for _ in range(2)} | {rng.choice(names)}
        deps.discard(name)
        files[name.replace(".", "/") + ".py"] = _module(sorted(deps), "f", functions=1)
    for i in range(40):
        files[f"tests/test_{i:02d}.py"] = _module([rng.choice(names)], "test", functions=1)
    write(repo, files)
    commit(repo, "large", "2026-01-01T10:00:00+00:00")
    return repo
