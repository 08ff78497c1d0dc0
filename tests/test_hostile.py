"""Hostile input: refused with a clear message and nothing written, or read without harm."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import GIT_ENV, commit, git, init_repo, write
from workbench import Workbench
from workbench.config import Config
from workbench.errors import GitFailed, InvalidRef, RepositoryTooLarge, UnsafeSource
from workbench.mapping.facts import FileFacts
from workbench.mapping.workers import WorkerPool


def _nothing_written(wb: Workbench) -> None:
    for table in ("projects", "jobs", "snapshots", "nodes"):
        assert wb.store.db.query(f"SELECT count(*) FROM {table}") == [(0,)], table


@pytest.mark.parametrize("location", [
    "ext::sh -c touch% /tmp/pwned",
    "fd::17",
    "ssh://-oProxyCommand=touch%20/tmp/pwned/repo",
    "-oProxyCommand=touch /tmp/pwned",
    "--upload-pack=touch /tmp/pwned",
    "https://example.com/$HOME/repo.git",
    "https://example.com/`id`/repo.git",
    "https://user:token@example.com/org/repo.git",
])
def test_hostile_locations_are_refused_before_anything_is_written(wb, location):
    with pytest.raises(UnsafeSource):
        wb.map(location)
    with pytest.raises(UnsafeSource):
        wb.add_project("x", location)
    _nothing_written(wb)


@pytest.mark.parametrize("location", [
    "https://127.0.0.1/org/repo.git",
    "https://127.1/org/repo.git",
    "https://2130706433/org/repo.git",
    "https://0x7f.0.0.1/org/repo.git",
    "https://localhost/org/repo.git",
    "https://api.localhost/org/repo.git",
    "https://169.254.169.254/latest/meta-data.git",
    "https://10.0.0.5/org/repo.git",
    "https://0.0.0.0/org/repo.git",
    "ssh://git@127.0.0.1/org/repo.git",
    "git@169.254.10.1:org/repo.git",
])
@pytest.mark.parametrize("origin", ["agent", "webhook"])
def test_agents_and_webhooks_may_not_name_internal_hosts(wb, location, origin):
    with pytest.raises(UnsafeSource, match="public host"):
        wb.add_project("x", location, origin=origin)
    with pytest.raises(UnsafeSource):
        wb.map(location, origin=origin)
    _nothing_written(wb)
    # a person at the keyboard may (a mirror on this machine is a normal thing to map)
    assert wb.add_project("x", location, origin="user").source == location


def test_agents_and_webhooks_may_not_name_local_paths(wb, sample_repo):
    with pytest.raises(UnsafeSource, match="not a local path"):
        wb.map(str(sample_repo), origin="agent")
    with pytest.raises(UnsafeSource):
        wb.add_project("x", "https://example.com/org/repo.git", origin="robot")
    _nothing_written(wb)
    assert wb.add_project("pub", "https://93.184.215.14/org/repo.git", origin="webhook")


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-u/p", "..", "main..evil", "HEAD@{1}",
                                 "a b", "$(id)", "refs/../../x"])
def test_refs_that_are_not_plain_names_are_refused_before_a_job_exists(wb, sample_repo, ref):
    with pytest.raises(InvalidRef):
        wb.map(str(sample_repo), ref=ref)
    assert wb.store.db.query("SELECT count(*) FROM jobs") == [(0,)]


def _bomb(path: Path, fanout: int = 10, depth: int = 4) -> Path:
    """A repository whose one commit lists fanout**depth files, all the same small blob."""
    repo = init_repo(path)
    env = {**os.environ, **GIT_ENV}

    def run(*args, input=None):
        return subprocess.run(["git", *args], cwd=repo, env=env, input=input, check=True,
                              capture_output=True, text=True).stdout.strip()

    blob = run("hash-object", "-w", "--stdin", input="x = 1\n")
    tree = run("mktree", input="".join(f"100644 blob {blob}\tf{i}.py\n" for i in range(fanout)))
    for _ in range(depth - 1):
        tree = run("mktree", input="".join(f"040000 tree {tree}\td{i}\n" for i in range(fanout)))
    sha = run("commit-tree", tree, "-m", "bomb")
    run("update-ref", "refs/heads/main", sha)
    return repo


def test_a_huge_tree_from_few_objects_is_refused_before_reading(tmp_path):
    repo = _bomb(tmp_path / "bomb")
    objects = subprocess.run(["git", "count-objects", "-v"], cwd=repo, capture_output=True,
                             text=True).stdout
    assert "count: 6" in objects  # 1 blob, 4 trees, 1 commit ... 10,000 files
    wb = Workbench(config=Config(data_dir=tmp_path / "data", max_tree_entries=1000, workers=1))
    with pytest.raises(RepositoryTooLarge, match="more than 1000 files"):
        wb.map(str(repo))
    job = wb.recent_jobs(1)[0]
    assert job.status == "failed" and "max_tree_entries" in job.error
    assert wb.store.db.query("SELECT count(*) FROM snapshots") == [(0,)]
    assert wb.store.db.query("SELECT count(*) FROM file_facts") == [(0,)]


def test_a_tree_over_the_byte_limit_is_refused(tmp_path, sample_repo):
    wb = Workbench(config=Config(data_dir=tmp_path / "data", max_tree_bytes=100, workers=1))
    with pytest.raises(RepositoryTooLarge, match="more than 100 bytes"):
        wb.map(str(sample_repo))
    assert wb.store.db.query("SELECT count(*) FROM snapshots") == [(0,)]
    # the history mined beside the listing stopped with it
    import threading

    assert not [t.name for t in threading.enumerate() if t.name.startswith("workbench-history")]


@pytest.fixture
def tiny_clones_dir(tmp_path: Path):
    clones = tmp_path / "data" / "clones"
    clones.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(clones)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs here ({done.stderr.strip()}); the disk-full "
                    "case needs root or a size-limited file system")
    yield clones
    subprocess.run(["umount", "-l", str(clones)], check=False)


def test_disk_full_during_clone_fails_the_job_and_cleans_up(tmp_path, tiny_clones_dir):
    repo = init_repo(tmp_path / "fat")
    write(repo, {"data.bin": os.urandom(3 << 20), "main.py": "import os\n"})
    commit(repo, "fat")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", max_attempts=1, workers=1))
    with pytest.raises(GitFailed):
        wb.map(str(repo))
    assert list(tiny_clones_dir.iterdir()) == []  # the temp clone is gone
    again = Workbench(tmp_path / "data")  # the database (outside the full disk) is intact
    job = again.recent_jobs(1)[0]
    assert job.status == "failed" and "cloning" in job.error
    assert [p.name for p in again.projects()] == ["fat"]
    assert again.store.db.query("SELECT count(*) FROM snapshots") == [(0,)]


@pytest.fixture
def nasty_repo(tmp_path: Path) -> tuple[Path, Path]:
    """Symlinks to secrets and devices, hostile .gitmodules / .lfsconfig and .gitattributes."""
    marker = tmp_path / "pwned"
    repo = init_repo(tmp_path / "nasty")
    write(repo, {
        "app/main.py": "import os\n\n\ndef main():\n    return os.getcwd()\n",
        ".gitmodules": f'[submodule "x"]\n\tpath = ../../escape\n\turl = ext::sh -c touch% {marker}\n',
        ".lfsconfig": f"[lfs]\n\turl = https://127.0.0.1:1/lfs\n[filter \"lfs\"]\n\tsmudge = touch {marker}\n",
        ".gitattributes": "*.py filter=evil\n",
        "big.py": "x = 1\n" * 400,
        "nul.py": b"x = 1\n\x00\x00\x00\n",
        "nested.py": "x = " + "(" * 5000 + ")" * 5000 + "\n",
        "nested.js": "x = " + "[" * 20000 + "]" * 20000 + ";\n",
        "minified.js": "var a=" + ",".join(f"function f{i}(x){{return x+{i}}}" for i in range(30000)) + ";\n",
    })
    os.symlink("/etc/passwd", repo / "app" / "passwd.py")
    os.symlink(os.path.expanduser("~/.ssh/id_rsa"), repo / "app" / "key.py")
    os.symlink("/dev/urandom", repo / "app" / "random.py")
    os.symlink("../../../../../../etc/shadow", repo / "app" / "shadow.py")
    commit(repo, "nasty")
    return repo, marker


def test_repository_content_is_read_never_honoured(tmp_path, nasty_repo):
    repo, marker = nasty_repo
    wb = Workbench(config=Config(data_dir=tmp_path / "data", max_file_bytes=2000, workers=1))
    snap = wb.map(str(repo))
    assert not marker.exists()  # no hook, filter, submodule or fsmonitor ran
    files = snap.files.set_index("path")
    for link in ("app/passwd.py", "app/key.py", "app/random.py", "app/shadow.py"):
        assert files.loc[link, "reason"] == "symlink (not followed)"
    assert files.loc["big.py", "reason"].startswith("larger than 2000 bytes")
    assert "NUL" in files.loc["nul.py", "reason"]
    clone = wb.clones.path_for("nasty")
    assert not (clone / "modules").exists() and not (tmp_path / "escape").exists()
    nodes = snap.nodes.set_index("path")
    assert nodes.loc["app/passwd.py", "problem"] == "symlink (not followed)"
    for deep in ("nested.py", "nested.js", "minified.js"):  # skipped or parsed, never fatal
        assert deep in files.index
    assert files.loc["minified.js", "reason"].startswith("larger than")
    # no byte of the link targets reached the database
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    tables = [r[0] for r in wb.store.db.query("SELECT table_name FROM duckdb_tables()")]
    for table in tables:
        text = str(wb.store.db.query(f'SELECT * FROM "{table}"'))
        assert secret not in text and "root:x:0:0" not in text, table


def test_deep_nesting_is_recorded_as_a_problem(tmp_path, nasty_repo):
    repo, _ = nasty_repo
    wb = Workbench(config=Config(data_dir=tmp_path / "data", max_file_bytes=2_000_000, workers=1))
    snap = wb.map(str(repo))
    nodes = snap.nodes.set_index("path")
    assert nodes.loc["nested.py", "problem"]  # RecursionError / parser limit, with a reason
    files = snap.files.set_index("path")
    assert files.loc["minified.js", "status"] == "skipped"
    assert files.loc["minified.js", "reason"].startswith("minified or generated (lines average")


def test_a_long_data_line_among_normal_code_is_still_parsed():
    from workbench.mapping.workers import minified_width, parse_blob

    table = "export const TABLE = [" + ", ".join(str(i) for i in range(2000)) + "];\n"
    code = table + "".join(f"export function f{i}(x) {{\n  return x + {i};\n}}\n" for i in range(80))
    assert minified_width(code.encode()) is None
    facts = FileFacts.from_json(parse_blob("sha", "javascript", code.encode())[2])
    assert facts.problem is None and len(facts.definitions) == 80
    bundle = ("!function(){" + "var a=1;" * 400 + "}();\n").encode()
    assert minified_width(bundle) == len(bundle) // 2


def test_a_worker_killed_by_a_signal_costs_only_its_file(tmp_path):
    slow = ("def f(x):\n    return [a + b for a in x for b in x if a]\n" * 60_000).encode()
    requests = [("slow", "python", slow), ("a", "python", b"import os\n"),
                ("b", "python", b"def g():\n    return 1\n")]
    results: dict = {}
    runner = threading.Thread(target=lambda: results.update(WorkerPool(1).parse(requests)))
    runner.start()
    me = os.getpid()
    worker = None
    deadline = time.monotonic() + 30
    while worker is None and time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[-1].split()[1]) == me and b"workbench.mapping.workers" in cmd:
                worker = int(entry.name)
        time.sleep(0.02)
    assert worker is not None
    time.sleep(1.5)  # started, and busy with the slow file
    os.kill(worker, signal.SIGKILL)
    runner.join(60)
    assert "crashed" in results[("slow", "python")]
    from workbench.mapping.facts import FileFacts

    a, b = FileFacts.from_json(results[("a", "python")]), FileFacts.from_json(results[("b", "python")])
    assert a.problem is None and a.imports[0].target == "os"
    assert b.problem is None and b.definitions[0].name == "g"


def test_store_identifiers_come_from_allow_lists(wb):
    with pytest.raises(ValueError, match="cannot update project columns"):
        wb.store.projects.update(1, **{"status = 'x'; DROP TABLE projects; --": "y"})
    with pytest.raises(ValueError, match="unknown health key"):
        wb.store.health.set("x'); DROP TABLE jobs; --", "y")
    from workbench.errors import StoreError

    with pytest.raises(StoreError):
        wb.sql("SELECT * FROM read_csv('/etc/passwd')")


def test_reads_never_hand_out_live_relations(wb):
    from workbench.errors import StoreError

    with pytest.raises(StoreError, match="live DuckDB relation"):
        wb.store.db.read(lambda cur: cur.sql("SELECT 42"))
    assert wb.store.db.read(lambda cur: cur.sql("SELECT 42").fetchall()) == [(42,)]
