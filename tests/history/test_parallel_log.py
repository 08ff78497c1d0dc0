"""History mined by several git processes at once is the history one ``git log`` gives."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest

from tests.history.conftest import Scenario
from tests.history.gitrepo import GitRepo
from tests.history.test_mine import EXPECTED_CHANGES, EXPECTED_COMMITS, named
from workbench.history import HistoryError, mine, mine_all
from workbench.history import git as history_git
from workbench.history.git import LogProcesses, read_stdout, resolve_commits, spawn_log
from workbench.history.mine import log_arguments


def fast_import_history(path: Path, commits: int = 60) -> Path:
    """A repository with ``commits`` commits on main, a side branch merged back, renames,
    a mailmap, a binary file and one commit of 30 files, written by ``git fast-import``."""
    repo = GitRepo(path)
    lines: list[bytes] = []

    def blob(mark: int, data: bytes) -> None:
        lines.extend([b"blob", b"mark :%d" % mark, b"data %d" % len(data), data])

    def commit(ref: str, n: int, ops: list[bytes], parents: list[str], who: bytes = b"Ann <ann@example.com>") -> None:
        message = b"change %d" % n
        lines.extend([b"commit " + ref.encode(), b"mark :%d" % (100_000 + n),
                      b"author " + who + b" %d +0000" % (1_700_000_000 + n * 60),
                      b"committer " + who + b" %d +0000" % (1_700_000_000 + n * 60),
                      b"data %d" % len(message), message])
        lines.extend(b"from :%d" % (100_000 + p) if i == 0 else b"merge :%d" % (100_000 + p)
                     for i, p in enumerate(parents))
        lines.extend(ops)
        lines.append(b"")

    blob(1, b"Ann <ann@example.com> ann <ann@old.example>\n")
    blob(2, b"\x89PNG\r\n\x1a\n\x00\x00binary")
    commit("refs/heads/main", 1, [b"M 100644 :1 .mailmap", b"M 100644 :2 logo.png"], [])
    previous = 1
    for n in range(2, commits + 1):
        data = b"".join(b"line %d of %d\n" % (i, n) for i in range(n % 7 + 1))
        blob(n + 10, data)
        ops = [b"M 100644 :%d src/mod%d.py" % (n + 10, n % 5)]
        if n % 11 == 0:
            ops.append(b"R src/mod%d.py src/moved%d.py" % ((n + 1) % 5, n))
        if n == commits // 2:
            ops += [b"M 100644 :%d bulk/f%02d.txt" % (n + 10, i) for i in range(30)]
        who = b"ann <ann@old.example>" if n % 3 == 0 else b"Bo <bo@example.com>"
        if n % 10 == 5:  # a side branch from the previous commit, merged by the next one
            commit("refs/heads/side", n, ops, [previous], who)
            continue
        parents = [previous, n - 1] if n % 10 == 6 else [previous]
        commit("refs/heads/main", n, ops, parents, who)
        previous = n
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"\n".join(lines) + b"\n",
                   check=True, capture_output=True)
    repo.git("checkout", "-q", "main")
    return path


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fast_import_history(tmp_path_factory.mktemp("parallel") / "repo")


def log_digest(repo: Path, *, jobs: int, min_piece: int) -> tuple[str, int, str]:
    """(sha1 of the output, return code, kind of run) of the miner's git log through spawn_log."""
    (head,) = resolve_commits(repo, ["HEAD"])
    with tempfile.TemporaryFile() as stderr:
        process = spawn_log(repo, log_arguments(head, []), stderr=stderr, jobs=jobs, min_piece=min_piece)
        try:
            digest = hashlib.sha1()
            for chunk in read_stdout(process):
                digest.update(chunk)
            return digest.hexdigest(), process.wait(), f"{len(process.processes)} left"
        finally:
            process.close()


def test_pieces_write_exactly_the_single_log(scenario: Scenario, history: Path) -> None:
    for repo in (scenario.path, history):
        single = log_digest(repo, jobs=1, min_piece=1)
        assert single[1] == 0
        for jobs, min_piece in ((2, 1), (3, 2), (2, 4), (4, 1)):
            assert log_digest(repo, jobs=jobs, min_piece=min_piece) == single, (repo, jobs, min_piece)


def test_small_histories_keep_one_process(scenario: Scenario) -> None:
    (head,) = resolve_commits(scenario.path, ["HEAD"])
    with tempfile.TemporaryFile() as stderr:
        process = spawn_log(scenario.path, log_arguments(head, []), stderr=stderr, jobs=2, min_piece=5)
        try:
            assert len(process.processes) == 1 and process.processes[0].stdout is not None
            assert b"".join(read_stdout(process)) and process.wait() == 0
        finally:
            process.close()


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mining in pieces of two commits, three processes at a time."""
    monkeypatch.setattr(history_git, "JOBS", 3)
    monkeypatch.setattr(history_git, "MIN_PIECE", 2)


def test_mined_tables_are_those_of_one_process(scenario: Scenario, parallel: None) -> None:
    commits, changes = mine_all(scenario.path)
    commit_rows, change_rows = named(scenario, commits, changes)
    assert commit_rows == EXPECTED_COMMITS  # mailmap, merge with no changes, order
    assert change_rows == EXPECTED_CHANGES  # the rename, the binary file


def table_rows(batches) -> tuple[list, list]:
    commits = pa.concat_tables([b.commits for b in batches]).to_pylist()
    changes = pa.concat_tables([b.file_changes for b in batches]).to_pylist()
    return commits, changes


def test_batches_resume_and_truncate_as_one_process_does(history: Path, monkeypatch) -> None:
    options = dict(batch_size=7, max_changes=10)
    monkeypatch.setattr(history_git, "JOBS", 1)
    alone = list(mine(history, **options))
    monkeypatch.setattr(history_git, "JOBS", 3)
    monkeypatch.setattr(history_git, "MIN_PIECE", 3)
    together = list(mine(history, **options))
    assert [(b.checkpoint, b.done) for b in together] == [(b.checkpoint, b.done) for b in alone]
    assert table_rows(together) == table_rows(alone)
    commits, changes = table_rows(together)
    assert len(commits) == 60 and sum(1 for c in commits if c["is_merge"]) == 6
    assert [c["truncated"] is not None for c in commits].count(True) == 1
    assert any(c["old_path"] for c in changes)  # renames survive the pieces
    assert {c["author_name"] for c in commits} == {"Ann", "Bo", "ann"}  # as written: readers map them
    # resuming from any stored checkpoint gives exactly the rest
    for cut in range(len(together) - 1):
        rest = list(mine(history, since=together[cut].checkpoint, **options))
        assert table_rows(together[:cut + 1])[0] + table_rows(rest)[0] == commits


def test_a_failing_piece_ends_the_stream_and_the_others(tmp_path: Path, monkeypatch) -> None:
    repo = GitRepo(tmp_path / "broken")
    for n in range(12):
        repo.write("a.txt", "".join(f"{i}\n" for i in range(n + 1)))
        repo.commit(f"c{n}", ("Ann", "ann@example.com"), f"2024-01-{n + 1:02d}T00:00:00+00:00")
    blob = repo.git("rev-parse", "HEAD~8:a.txt")  # read by the 4th and 5th commits' diffs
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    (head,) = resolve_commits(repo.path, ["HEAD"])
    with tempfile.TemporaryFile() as stderr:
        process = spawn_log(repo.path, log_arguments(head, []), stderr=stderr, jobs=2, min_piece=2)
        try:
            output = b"".join(read_stdout(process))
            assert process.wait() != 0
            assert all(p.poll() is not None for p in process.processes)
            assert output.count(b"\x1e") <= 4  # nothing after the failed piece
        finally:
            process.close()
    monkeypatch.setattr(history_git, "JOBS", 2)
    monkeypatch.setattr(history_git, "MIN_PIECE", 2)
    with pytest.raises(HistoryError, match="git log failed"):
        list(mine(repo.path))


def test_close_stops_every_process(history: Path) -> None:
    (head,) = resolve_commits(history, ["HEAD"])
    with tempfile.TemporaryFile() as stderr:
        process = spawn_log(history, log_arguments(head, []), stderr=stderr, jobs=3, min_piece=1)
        started = list(process.processes)
        assert 1 <= len(started) <= 9  # at most three per job ahead of the reader
        next(read_stdout(process))
        process.close()
        assert all(p.poll() is not None for p in started)
        assert isinstance(process, LogProcesses) and process.processes == []


def test_only_a_walking_git_log_is_split(history: Path) -> None:
    with tempfile.TemporaryFile() as stderr:
        with pytest.raises(HistoryError, match="walking"):
            spawn_log(history, ["rev-list", "HEAD"], stderr=stderr)


def test_the_memory_limit_leaves_room_for_the_pack_indexes(history: Path) -> None:
    from workbench.history.git import with_index_room
    from workbench.repos.git import Git

    subprocess.run(["git", "-C", str(history), "repack", "-a", "-d", "-q"], check=True)
    indexes = sum(p.stat().st_size for p in (history / ".git" / "objects" / "pack").glob("*.idx"))
    assert indexes > 0
    limited = Git(memory=64 << 20)
    assert with_index_room(history, limited).memory >= (64 << 20) + indexes
    assert limited.memory == 64 << 20  # the caller's runner is left as it was
    unlimited = Git(memory=None)
    assert with_index_room(history, unlimited) is unlimited


def _single_bytes(repo: Path) -> bytes:
    (head,) = resolve_commits(repo, ["HEAD"])
    with tempfile.TemporaryFile() as stderr:
        process = spawn_log(repo, log_arguments(head, []), stderr=stderr, jobs=1)
        try:
            return b"".join(read_stdout(process))
        finally:
            process.close()


@pytest.mark.parametrize("read_first, block", [(0, None), (1, None), (25, None), (0, 600), (1, 150)])
def test_two_ends_join_where_the_newest_first_process_got_to(history: Path, read_first: int,
                                                             block: int | None, monkeypatch) -> None:
    """The reader takes ``read_first`` chunks of the oldest-first process, then waits until the
    newest-first one has written everything: the rest comes from its file, reversed (in
    blocks of about ``block`` bytes: several records each, or one record larger than that)."""
    from workbench.history.git import TwoEnds

    if block is not None:
        monkeypatch.setattr(history_git, "_READ_SIZE", block)
    (head,) = resolve_commits(history, ["HEAD"])
    with tempfile.TemporaryFile() as stderr:
        process = spawn_log(history, log_arguments(head, []), stderr=stderr, jobs=2, min_piece=1)
        try:
            assert isinstance(process, TwoEnds) and len(process.processes) == 2
            backward = process.processes[1]
            chunks = read_stdout(process)
            output = [chunk for _, chunk in zip(range(read_first), chunks)]
            backward.wait(timeout=60)  # the newest-first process has shown the whole history
            output += list(chunks)
            assert process.wait() == 0 and process.processes == []
        finally:
            process.close()
    assert b"".join(output) == _single_bytes(history)


def test_two_ends_of_a_range_since_a_checkpoint(history: Path) -> None:
    """A range with excluded commits is counted before the second process starts; the joined
    output is still that of one ``git log`` of the range."""
    from workbench.history.git import TwoEnds

    (head, since) = resolve_commits(history, ["HEAD", "HEAD~20"])
    outputs = []
    for jobs in (1, 2):
        with tempfile.TemporaryFile() as stderr:
            process = spawn_log(history, log_arguments(head, [since]), stderr=stderr, jobs=jobs,
                                min_piece=2)
            try:
                assert isinstance(process, TwoEnds) == (jobs == 2)
                outputs.append(b"".join(read_stdout(process)))
                assert process.wait() == 0
            finally:
                process.close()
    assert outputs[0] == outputs[1] and outputs[0].count(b"\x1e") >= 20
