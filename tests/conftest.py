"""Shared fixtures: real git repositories built in temp dirs and a workbench on a temp data dir."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import SAMPLE_V1, commit, git, init_repo, write
from workbench import Workbench

# pytest-xdist's workers run with COLUMNS=80, and the command line fits its tables to $COLUMNS:
# the tests (and the commands they start) print whole cells unless a test sets a width itself
os.environ.pop("COLUMNS", None)


@pytest.fixture(autouse=True)
def _python_face():
    """Each test starts as the Python face: a test that runs the command line in-process
    (click's runner) leaves ``faces.current`` at "cli", which would change the hints of
    whatever test the same process runs next."""
    from workbench import faces

    faces.current = "python"
    yield
    faces.current = "python"


@pytest.fixture
def sample_repo(tmp_path: Path) -> Path:
    """A small repository: src layout, packages, relative imports, a cycle, bad files, a symlink."""
    repo = init_repo(tmp_path / "shop")
    write(repo, {"src/shop/__init__.py": "", "README.md": "# shop\n"})
    commit(repo, "start", "2025-12-01T10:00:00+00:00")
    write(repo, SAMPLE_V1)
    os.symlink("/etc/passwd", repo / "src" / "shop" / "passwd.py")
    commit(repo, "models, service, util", "2026-01-01T10:00:00+00:00")
    git(repo, "tag", "v1")
    return repo


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory) -> Path:
    """A database file with every migration applied, made once per test session."""
    data = tmp_path_factory.mktemp("template") / "data"
    bench = Workbench(data)
    bench.projects()  # opens the file: creates the schema
    bench.close()
    bench.store.db.release()
    return bench.config.database_path


@pytest.fixture
def wb(data_dir: Path, empty_database: Path) -> Workbench:
    """A workbench on a fresh data directory. Its database starts as a copy of the migrated
    empty one (creating the schema costs each test a tenth of a second or more); the tests of
    migrations and of opening databases make their own."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(empty_database, data_dir / empty_database.name)
    bench = Workbench(data_dir)
    yield bench
    bench.close()


@pytest.fixture
def openai_server():
    """A real OpenAI-compatible server on 127.0.0.1 (tests/openai_server.py), scripted per test."""
    from tests.openai_server import OpenAIServer

    server = OpenAIServer().start()
    yield server
    server.stop()
