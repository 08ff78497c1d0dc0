"""History mining runs git through the guarded runner: a tree bomb in a parent commit is bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from tests.helpers import GIT_ENV, ROOT, commit, init_repo, write
from workbench import Config, Workbench
from workbench.history.mine import mine_all


def _run(repo: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, input=input,
                          check=True, capture_output=True, text=True).stdout.strip()


def bomb_in_parent(path: Path, fanout: int = 10, depth: int = 7) -> Path:
    """HEAD holds one file; its parent's tree lists fanout**depth files (10 million), made of
    depth + 1 objects. Listing HEAD's files is cheap; diffing either commit is not."""
    repo = init_repo(path)
    blob = _run(repo, "hash-object", "-w", "--stdin", input="x = 1\n")
    tree = _run(repo, "mktree", input="".join(f"100644 blob {blob}\tf{i}.py\n" for i in range(fanout)))
    for _ in range(depth - 1):
        tree = _run(repo, "mktree", input="".join(f"040000 tree {tree}\td{i}\n" for i in range(fanout)))
    parent = _run(repo, "commit-tree", tree, "-m", "bomb")
    one = _run(repo, "hash-object", "-w", "--stdin", input="print('hello')\n")
    top = _run(repo, "mktree", input=f"100644 blob {one}\tmain.py\n")
    head = _run(repo, "commit-tree", top, "-p", parent, "-m", "one file")
    _run(repo, "update-ref", "refs/heads/main", head)
    return repo


_MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    from workbench.history.mine import mine_all
    from workbench.repos.git import Git
    started = time.monotonic()
    commits, changes = mine_all(sys.argv[1], git=Git(timeout=120, memory=int(sys.argv[2])))
    print(json.dumps({
        "seconds": time.monotonic() - started,
        "peak_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        # VmHWM, not RUSAGE_SELF: Linux carries ru_maxrss across exec, so this process would
        # report the peak of the (large) test process it was forked from
        "peak_self_mb": int(next(line.split()[1] for line in open("/proc/self/status")
                                 if line.startswith("VmHWM:"))) / 1024,
        "truncated": commits["truncated"].tolist(), "subjects": commits["subject"].tolist(),
        "changes": len(changes)}))
""")


def test_a_tree_bomb_in_a_parent_commit_is_bounded_in_time_and_memory(tmp_path):
    repo = bomb_in_parent(tmp_path / "bomb")
    assert int(_run(repo, "count-objects").split()[0]) == 12  # 2 blobs, 8 trees, 2 commits
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(repo), str(512 << 20)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    print("tree bomb:", result)
    assert result["seconds"] < 90  # about 10 s on the two-core machine, unloaded
    assert result["peak_child_mb"] < 600 and result["peak_self_mb"] < 600
    assert result["subjects"] == ["bomb", "one file"] and result["changes"] == 0
    assert all("memory" in reason for reason in result["truncated"])


def test_a_map_of_the_bomb_records_the_commits_as_truncated(tmp_path):
    repo = bomb_in_parent(tmp_path / "bomb")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, git_timeout=120))
    try:
        snap = wb.map(str(repo))
        assert list(snap.files["path"]) == ["main.py"]
        rows = wb.store.db.query("SELECT subject, truncated FROM commits ORDER BY committed_at, subject")
        assert {subject for subject, _ in rows} == {"bomb", "one file"}
        assert all(reason and "memory" in reason for _, reason in rows)
    finally:
        wb.close()


def test_files_of_one_commit_over_the_cap_are_truncated_and_mining_goes_on(tmp_path):
    repo = init_repo(tmp_path / "wide")
    write(repo, {"a.py": "a = 1\n"})
    commit(repo, "first", "2026-01-01T10:00:00+00:00")
    write(repo, {f"vendor/m{i}.py": f"x = {i}\n" for i in range(50)})
    commit(repo, "vendor import", "2026-01-02T10:00:00+00:00")
    write(repo, {"a.py": "a = 2\n"})
    commit(repo, "after", "2026-01-03T10:00:00+00:00")
    commits, changes = mine_all(repo, max_changes=10)
    assert commits["subject"].tolist() == ["first", "vendor import", "after"]
    reasons = dict(zip(commits["subject"], commits["truncated"]))
    assert pd.isna(reasons["first"]) and pd.isna(reasons["after"])
    assert reasons["vendor import"] == "more than 10 files changed; the first 10 are recorded"
    per_commit = changes.groupby("sha").size()
    sha = dict(zip(commits["subject"], commits["sha"]))
    assert per_commit[sha["vendor import"]] == 10 and per_commit[sha["after"]] == 1
    full, _ = mine_all(repo)
    assert full["truncated"].isna().all()
