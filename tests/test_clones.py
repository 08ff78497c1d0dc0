"""The clone path is hardened: no hooks, no submodules, no prompts, wall-clock limits."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time

import pytest

from tests.helpers import commit, git, init_repo, invoke_cli, write
from workbench.errors import GitFailed, SourceGone
from workbench.repos.clones import Clones
from workbench.repos.git import Git, NetworkOptions
from workbench.repos.sources import parse_source


def test_local_paths_are_cloned_not_opened_in_place(wb, sample_repo):
    snap = wb.map(str(sample_repo))
    clone = wb.clones.path_for("shop")
    assert (clone / "HEAD").is_file() and not (clone / "src").exists()  # bare: no checkout
    # --no-local: objects were copied, not hard-linked or shared through alternates
    assert not (clone / "objects" / "info" / "alternates").exists()
    assert snap.commit == git(sample_repo, "rev-parse", "HEAD")


def test_fetch_picks_up_new_commits(wb, sample_repo):
    first = wb.map(str(sample_repo))
    write(sample_repo, {"src/shop/extra.py": "import shop.models\n"})
    new = commit(sample_repo, "extra")
    second = wb.map("shop")
    assert second.commit == new != first.commit
    assert "shop.extra" in set(second.nodes["id"])


def test_fetch_false_maps_the_clone_as_it_is(wb, sample_repo):
    first = wb.map(str(sample_repo))
    write(sample_repo, {"src/shop/extra.py": "import shop.models\n"})
    new = commit(sample_repo, "extra")
    assert wb.map("shop", fetch=False).commit == first.commit  # the remote was not asked
    assert wb.map("shop").commit == new


def test_git_variables_of_the_calling_process_never_redirect_the_clone(wb, tmp_path, sample_repo,
                                                                       monkeypatch):
    """Run from inside a git hook, GIT_DIR and friends name another repository: ignored."""
    decoy = init_repo(tmp_path / "decoy")
    write(decoy, {"decoy.py": "x = 1\n"})
    commit(decoy, "decoy")
    monkeypatch.setenv("GIT_DIR", str(decoy / ".git"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.hookspath'='/nonexistent'")
    snap = wb.map(str(sample_repo))
    monkeypatch.delenv("GIT_DIR")
    assert snap.commit == git(sample_repo, "rev-parse", "HEAD") != git(decoy, "rev-parse", "HEAD")
    assert "decoy.py" not in set(snap.files["path"])


def test_hooks_from_user_config_never_run(tmp_path, sample_repo, monkeypatch):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    marker = tmp_path / "hook-ran"
    for name in ("reference-transaction", "post-checkout", "post-merge"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
        hook.chmod(0o755)
    cfg = tmp_path / "gitconfig"
    cfg.write_text(f"[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    # the hook is real: plain git runs it
    subprocess.run(["git", "clone", "-q", "--bare", "--no-local", str(sample_repo), str(tmp_path / "plain")],
                   check=True, capture_output=True)
    assert marker.exists()
    marker.unlink()
    clones = Clones(tmp_path / "clones")
    clones.sync("shop", parse_source(str(sample_repo)))
    assert not marker.exists()


def test_submodules_are_never_initialised(wb, tmp_path, sample_repo):
    parent = init_repo(tmp_path / "parent")
    write(parent, {"main.py": "import os\n"})
    commit(parent, "base")
    git(parent, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sample_repo), "vendor/shop")
    commit(parent, "add submodule")
    snap = wb.map(str(parent), name="parent")
    files = snap.files.set_index("path")
    assert files.loc["vendor/shop", "reason"] == "submodule (not initialised)"
    assert not any(p.startswith("vendor/shop/") for p in files.index)
    assert not (wb.clones.path_for("parent") / "modules").exists()


def test_a_failed_clone_leaves_nothing_behind(wb, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".git").mkdir()  # looks like a repository, is not one
    with pytest.raises(GitFailed):
        wb.map(str(broken), name="broken")
    assert not wb.clones.root.exists() or list(wb.clones.root.iterdir()) == []
    job = wb.recent_jobs(1)[0]
    assert job.status == "failed" and "cloning" in job.error
    assert wb.store.db.query("SELECT count(*) FROM snapshots") == [(0,)]


@pytest.fixture
def stalled_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    conns = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(server.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield server.getsockname()[1]
    stop.set()
    t.join()
    for c in conns:
        c.close()
    server.close()


def test_a_stalled_server_hits_the_wall_clock_limit(tmp_path, stalled_server):
    clones = Clones(tmp_path / "clones", timeout=2)
    source = parse_source(f"https://127.0.0.1:{stalled_server}/repo.git")
    started = time.monotonic()
    with pytest.raises(GitFailed, match="timed out after 2 s"):
        clones.sync("stalled", source)
    assert time.monotonic() - started < 20
    assert list((tmp_path / "clones").iterdir()) == []


def test_git_refuses_ext_transport_even_if_validation_were_bypassed(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(GitFailed):
        Git(timeout=30).run(["clone", "--", f"ext::sh -c touch% {marker}", str(tmp_path / "x")])
    assert not marker.exists()


def test_no_terminal_prompt_for_credentials(tmp_path):
    env = Git().env()
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert "BatchMode=yes" in env["GIT_SSH_COMMAND"] or os.environ.get("GIT_SSH_COMMAND")
    assert env["GIT_LFS_SKIP_SMUDGE"] == "1"


def test_the_time_limit_of_reading_blobs_counts_gits_time_not_the_readers(tmp_path):
    """Parsing a stream of blobs may take longer than git_timeout; git itself may not."""
    repo = init_repo(tmp_path / "r")
    # larger than a pipe's buffer together, so git is still writing while the reader works
    files = {f"m{i}.py": f"x = {i}\n" * 40_000 for i in range(3)}
    write(repo, files)
    commit(repo, "three files")
    shas = git(repo, "rev-parse", "HEAD:m0.py", "HEAD:m1.py", "HEAD:m2.py").split()
    read = []
    for sha, data in Git(timeout=3).read_blobs(repo / ".git", shas):
        read.append(data.decode())
        time.sleep(1.5)  # 4.5 s of "parsing" in all, past the 3 s limit git itself has
    assert read == list(files.values())


def test_a_deleted_clone_is_named_and_a_map_clones_it_again(wb, sample_repo, tmp_path):
    with pytest.raises(GitFailed, match="no such directory") as failed:
        Git().run(["status"], cwd=tmp_path / "gone")
    assert "install git" not in str(failed.value)
    first = wb.map(str(sample_repo))
    import shutil

    shutil.rmtree(wb.clones.path_for("shop"))
    again = wb.map("shop")
    assert again.commit == first.commit


def test_a_moved_or_deleted_local_source_says_so_and_what_to_do(tmp_path):
    """The project's path lost its .git, then went away: named, with the commands to recover."""
    repo = init_repo(tmp_path / "gone")
    write(repo, {"a.py": "x = 1\n"})
    commit(repo, "one")
    data = tmp_path / "data"
    assert invoke_cli("map", str(repo), "-q", data_dir=data).returncode == 0
    import shutil

    shutil.rmtree(repo / ".git")
    result = invoke_cli("map", "gone", data_dir=data)
    assert result.returncode == 1, result.stderr
    line = result.stderr.strip()
    assert line.startswith("error: ") and len(line.splitlines()) == 1, line
    assert f"{repo}, is no longer a git repository" in line
    assert "`workbench project remove gone`" in line and "`workbench map NEW_PATH --name gone`" in line
    assert "the repository exists" not in line
    repo.rename(tmp_path / "elsewhere")
    result = invoke_cli("map", "gone", data_dir=data)
    assert result.returncode == 1 and f"{repo}, no longer exists" in result.stderr
    assert "project remove" in invoke_cli("project", "remove", "--help").stdout  # a real command


def test_a_deleted_source_is_a_git_failure_from_python(wb, sample_repo):
    wb.map(str(sample_repo))
    sample_repo.rename(sample_repo.with_name("moved"))
    with pytest.raises(SourceGone, match="no longer exists") as gone:
        wb.map("shop")
    assert isinstance(gone.value, GitFailed) and gone.value.project == "shop"


def test_git_failures_keep_gits_own_lines_not_its_advice(wb, sample_repo):
    """Git's last lines are advice ("... and the repository exists."); its fatal lines say what
    went wrong."""
    wb.map(str(sample_repo))
    import shutil

    shutil.rmtree(sample_repo / ".git")
    (sample_repo / ".git").mkdir()  # looks like a repository, is not one
    with pytest.raises(GitFailed) as failed:
        wb.map("shop")
    message = str(failed.value)
    assert not isinstance(failed.value, SourceGone)
    assert f"'{sample_repo}' does not appear to be a git repository; " \
           "Could not read from remote repository." in message, message
    assert "access rights" not in message and "the repository exists" not in message


def test_gits_lines_stay_redacted(tmp_path):
    secret = "tok-3f9a2c"
    with pytest.raises(GitFailed) as failed:
        Git(timeout=30, allow_file_protocol=True).run(
            ["ls-remote", "--", str(tmp_path / f"x-{secret}")], what="listing",
            options=NetworkOptions(secrets=(secret,)))
    message = str(failed.value)
    assert secret not in message and "x-***' does not appear to be a git repository" in message
