"""A full disk after a successful snapshot: say what was saved and what failed, and recover."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import commit, init_repo, run_cli, write
from workbench import Config, Workbench
from workbench.store.database import WAL_FOLD_BYTES
from workbench.errors import StoreError


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the disk-full case "
                    "needs root")


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs as the data directory (clones elsewhere), filled to a chosen free space."""
    mounted = []

    def make(name: str) -> Path:
        data = tmp_path / name
        _mount_tmpfs(data, "16m")
        mounted.append(data)
        (tmp_path / f"{name}-clones").mkdir()
        (data / "clones").symlink_to(tmp_path / f"{name}-clones", target_is_directory=True)
        return data

    yield make
    for data in mounted:
        subprocess.run(["umount", "-l", str(data)], check=False)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = init_repo(tmp_path_factory.mktemp("src") / "wide")
    write(repo, {f"m{i}.py": f"import os\nfrom m{i // 2} import f\n\n\ndef g{i}(x):\n    return f(x) + {i}\n"
                 for i in range(300)})
    commit(repo, "wide")
    return repo


def _fill(data: Path, leave: int) -> Path:
    """Take all free space under ``data`` but ``leave`` bytes."""
    import shutil

    filler = data / "filler"
    free = shutil.disk_usage(data).free
    with open(filler, "wb") as out:
        out.truncate(0)
        out.write(b"\0" * max(0, free - leave))
    return filler


def test_a_checkpoint_on_a_full_disk_keeps_the_snapshot_and_the_connection_recovers(small_disk, repo):
    hit = []
    for leave_kb in range(7000, 4000, -500):  # the first size where the checkpoint fails
        data = small_disk(f"d{leave_kb}")
        Workbench(data).close()  # the empty database, checkpointed, before the disk fills
        filler = _fill(data, leave_kb * 1024)
        wb = Workbench(config=Config(data_dir=data, workers=1))
        try:
            snap = wb.map(str(repo))
        except StoreError as exc:  # the snapshot itself did not fit: said clearly
            assert "disk is full" in str(exc) and "FATAL" not in str(exc).split("(")[0]
            wb.close()
            continue
        # a job's caller does not wait for the fold; the command line folds at once
        wb.store.health.checkpoint(min_wal_bytes=WAL_FOLD_BYTES)
        problem = wb.store.health.problem
        if problem is None:
            wb.close()
            continue
        assert "saved in the write-ahead log" in problem and "disk is full" in problem
        assert "MB free under" in problem
        filler.unlink()  # free space: the invalidated connection is replaced on next use
        assert [s.id for s in wb.project("wide").snapshots()] == [snap.id]
        assert wb.store.health.checkpoint() and wb.store.health.problem is None
        wb.close()
        hit.append(leave_kb)
        break
    assert hit, "no free-space setting made the checkpoint fail"


def test_the_cli_says_what_was_saved_and_never_prints_a_raw_duckdb_error(small_disk, repo):
    seen = set()
    for leave_kb in range(7000, 4000, -500):
        data = small_disk(f"c{leave_kb}")
        run_cli("status", data_dir=data)
        _fill(data, leave_kb * 1024)
        done = run_cli("map", str(repo), data_dir=data)
        assert "unexpected" not in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 1), done.stderr
        lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) <= 1
        if done.returncode == 1 and "saved in the write-ahead log" in done.stderr:
            assert "snapshot #1 of wide saved" in done.stdout
            assert "Free space" in lines[0]
            seen.add("checkpoint")
            break
        seen.add("other")
    assert "checkpoint" in seen
