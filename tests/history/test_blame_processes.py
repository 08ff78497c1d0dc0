"""How many ``git blame`` processes run at once: one until the caller widens, then all."""

from __future__ import annotations

import threading
import time

import pandas as pd

from tests.history.gitrepo import GitRepo
from workbench.history import blame
from workbench.history.blame import BLAME_COLUMNS, NARROW_FROM_COMMITS, blame_files, narrow_beside
from workbench.repos.git import Git

ANN = ("Ann", "ann@example.com")


class CountingGit(Git):
    """Real git, counting the blame processes alive at once (each held a little longer, so
    that two workers left free would overlap)."""

    def __init__(self, widen: threading.Event | None = None, meet: bool = False) -> None:
        super().__init__()
        self.widen = widen
        self.meet = meet  # the first call waits (10 s at most) for a second to start
        self.met = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.peak_narrow = 0  # most at once while ``widen`` was not set
        self.calls = 0

    def run_raw(self, args, **kwargs):
        with self.lock:
            self.running += 1
            self.calls += 1
            if self.widen is None or not self.widen.is_set():
                self.peak_narrow = max(self.peak_narrow, self.running)
            if self.running >= 2:
                self.met.set()
        try:
            if self.meet:
                self.met.wait(10)
            time.sleep(0.15)
            return super().run_raw(args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


def _repo(tmp_path) -> tuple[GitRepo, dict[str, str]]:
    repo = GitRepo(tmp_path / "r")
    for i in range(6):
        repo.write(f"m{i}.py", "".join(f"x{i}_{j} = {j}\n" for j in range(i + 2)))
    repo.commit("start", ANN, "2024-01-01T10:00:00+00:00")
    blobs = dict(line.split("\t")[::-1] for line in
                 (entry.split(" ", 2)[2] for entry in repo.git("ls-tree", "HEAD").splitlines()))
    return repo, blobs


def _none_cached(keys):
    return pd.DataFrame(columns=BLAME_COLUMNS)


def test_one_blame_process_until_widened_and_every_file_blamed(tmp_path) -> None:
    repo, blobs = _repo(tmp_path)
    widen = threading.Event()
    git = CountingGit(widen)
    rows, fresh = blame_files(repo.path, repo.head(), blobs, cached=_none_cached, git=git,
                              workers=2, widen=widen)  # never widened: the first does all
    assert git.peak_narrow == 1 and git.calls == 6
    assert sorted(rows["path"].unique()) == sorted(blobs)
    assert dict(zip(rows["path"], rows["lines"])) == {f"m{i}.py": i + 2 for i in range(6)}

    widen = threading.Event()
    git = CountingGit(widen)
    rows, _ = blame_files(repo.path, repo.head(), blobs, cached=_none_cached, git=git,
                          workers=2, widen=widen,
                          progress=lambda done, total: widen.set() if done == 2 else None)
    assert git.peak_narrow == 1 and git.calls == 6
    assert sorted(rows["path"].unique()) == sorted(blobs)


def test_without_widen_every_process_starts_at_once(tmp_path) -> None:
    """The check above can fail: left free, two processes do overlap."""
    repo, blobs = _repo(tmp_path)
    git = CountingGit(meet=True)
    blame_files(repo.path, repo.head(), blobs, cached=_none_cached, git=git, workers=2)
    assert git.peak_narrow == 2


def test_narrow_from_a_long_history_only() -> None:
    assert not narrow_beside(NARROW_FROM_COMMITS - 1)
    assert narrow_beside(NARROW_FROM_COMMITS)


def test_a_narrowed_map_still_blames_every_file(tmp_path, wb, monkeypatch) -> None:
    """With the narrowing on for any history, the map's blame still covers every parsed file:
    the second process joins once the tables are built."""
    monkeypatch.setattr(blame, "NARROW_FROM_COMMITS", 1)
    repo, blobs = _repo(tmp_path)
    snap = wb.map(str(repo.path))
    assert "blame_pending" not in snap.stats
    metrics = snap.metrics().set_index("path")
    assert metrics.loc[sorted(blobs), "current_owner"].tolist() == [ANN[1]] * 6
    assert metrics.loc[sorted(blobs), "current_lines"].tolist() == [i + 2 for i in range(6)]


def test_git_given_as_a_function_is_asked_for_only_when_a_file_is_blamed(tmp_path) -> None:
    """A map's blames are most often all cached: the git it would blame with (sized by the
    clone's pack indexes, a look at every one of them) is then never made."""
    repo, blobs = _repo(tmp_path)
    made: list[CountingGit] = []

    def make() -> CountingGit:
        made.append(CountingGit())
        return made[-1]

    rows, fresh = blame_files(repo.path, repo.head(), blobs, cached=_none_cached, git=make)
    assert len(made) == 1 and made[0].calls == 6 and len(fresh) == len(rows)
    cached = rows.copy()
    rows, fresh = blame_files(repo.path, repo.head(), blobs, git=make,
                              cached=lambda keys: cached)
    assert len(made) == 1 and fresh.empty
    assert sorted(rows["path"].unique()) == sorted(blobs)
