"""A derived map asks git only what changed since its base's commit (``git diff-tree``), never
lists the whole tree: the change it reads is exactly what listing and comparing every file
found, for any path git can hold, and what a derived map cannot take still makes a whole map,
saying why; the limits on a commit's files hold for a derived map as for a whole one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import commit, git, init_repo, write
from tests.mapping.test_derived_maps import _pair, _same_maps
from workbench import Config, Workbench
from workbench.errors import CorruptRepository, GitFailed, RepositoryTooLarge
from workbench.repos.git import NO_MODE, NO_SHA, Git

#: Names git keeps as they are and a careless reader would not: a space, quotes, a
#: backslash, unicode, a newline, and bytes that are not UTF-8 (Latin-1), or that are and
#: read like an escape.
ODD = [b"pkg/with space.py", b'pkg/"quoted".py', b"pkg/back\\slash.py", "pkg/ünï.py".encode(),
       b"pkg/new\nline.py", b"pkg/caf\xe9.py", b"pkg/lit\\xe9.py", b"pkg/tab\there.py"]


def _write_bytes(repo: Path, files: dict[bytes, bytes]) -> None:
    root = os.fsencode(repo)
    for rel, content in files.items():
        full = os.path.join(root, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content)


def _module(i: int, extra: str = "") -> bytes:
    return (f"from pkg.core import run\n\n\ndef f{i}():\n    return run(){extra}\n").encode()


def _odd_repo(path: Path) -> Path:
    repo = init_repo(path)
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n",
                 "app.py": "from pkg.core import run\n\n\ndef main():\n    return run()\n",
                 "README.md": "# odd\n"})
    _write_bytes(repo, {name: _module(i) for i, name in enumerate(ODD)})
    commit(repo, "first")
    return repo


def _ls_tree(repo: Path, commit_sha: str) -> dict[str, tuple[str, str, int | None]]:
    return {e.path: (e.mode, e.blob_sha, e.size) for e in Git().ls_tree(repo, commit_sha)}


def test_the_change_between_two_commits_is_what_their_listings_differ_by(tmp_path: Path) -> None:
    """Every kind of change, on paths of every odd sort: the paths read in the listing's
    text form, the modes and blobs of both sides, the new blobs' sizes as listed."""
    repo = _odd_repo(tmp_path / "repo")
    before = git(repo, "rev-parse", "HEAD")
    _write_bytes(repo, {name: _module(i, " + 1") for i, name in enumerate(ODD)})
    (repo / "pkg" / "core.py").chmod(0o755)  # the mode alone
    os.remove(repo / "README.md")
    (repo / "app.py").unlink()
    os.symlink("pkg/core.py", repo / "app.py")  # a file becomes a symlink
    write(repo, {"docs/new.md": "new\n"})
    after = commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    old, new = _ls_tree(repo, before), _ls_tree(repo, after)
    changes = list(Git().diff_tree(repo, before, after))
    # exactly the paths whose listed mode or blob differ, in the order ls-tree lists them
    differ = [p for p in new if p in old and old[p][:2] != new[p][:2]]
    assert [c.path for c in changes if c.status in "MT"] == differ
    assert {c.path for c in changes if c.status == "A"} == set(new) - set(old) == {"docs/new.md"}
    assert {c.path for c in changes if c.status == "D"} == set(old) - set(new) == {"README.md"}
    for c in changes:
        if c.status in "MT":
            assert (c.old_mode, c.old_sha) == old[c.path][:2]
            assert (c.new_mode, c.new_sha) == new[c.path][:2]
        if c.status == "D":
            assert (c.new_mode, c.new_sha) == (NO_MODE, NO_SHA)
        if c.status == "A":
            assert (c.old_mode, c.old_sha) == (NO_MODE, NO_SHA)
    by_path = {c.path: c for c in changes}
    assert by_path["app.py"].status == "T" and by_path["app.py"].new_mode == "120000"
    assert by_path["pkg/core.py"].old_sha == by_path["pkg/core.py"].new_sha
    assert {"pkg/caf\\xe9.py", "pkg/lit\\x5cxe9.py", "pkg/new\nline.py",
            'pkg/"quoted".py', "pkg/ünï.py"} <= set(by_path)
    # the sizes of the new blobs, without their contents, are those listed
    shas = [c.new_sha for c in changes if c.status != "D"]
    sizes = Git().blob_sizes(repo, shas)
    assert {c.path: sizes[c.new_sha] for c in changes if c.status != "D"} == {
        c.path: new[c.path][2] for c in changes if c.status != "D"}
    with pytest.raises(GitFailed, match="file sizes"):
        Git().blob_sizes(repo, ["0" * 39 + "1"])


def test_reading_the_change_stops_when_the_reader_has_seen_enough(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, {f"d/f{i}.py": "x = 1\n" for i in range(300)})
    before = commit(repo, "first")
    write(repo, {f"d/f{i}.py": "x = 2\n" for i in range(300)})
    after = commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    changes = Git().diff_tree(repo, before, after)
    first = next(changes)
    assert first.status == "M" and first.path.startswith("d/f")
    changes.close()  # git is stopped, nothing waits
    assert len(list(Git().diff_tree(repo, before, after))) == 300
    with pytest.raises(GitFailed):
        list(Git().diff_tree(repo, before, "0" * 40))


def test_a_change_naming_dotgit_is_refused_as_the_listing_refuses_it(tmp_path: Path) -> None:
    from tests.test_corrupt_sources import _with_entry

    repo = _with_entry(tmp_path / "old", ".GIT")
    head = git(repo, "rev-parse", "HEAD")
    with pytest.raises(CorruptRepository, match="'.GIT/config'"):
        list(Git().diff_tree(repo, head + "^", head))


def _listings(monkeypatch) -> list[str]:
    """The commits whose whole tree is listed from now on."""
    listed: list[str] = []
    real = Git.ls_tree

    def ls_tree(self, repo_path, commit_sha, **limits):
        listed.append(commit_sha)
        return real(self, repo_path, commit_sha, **limits)

    monkeypatch.setattr(Git, "ls_tree", ls_tree)
    return listed


def test_a_map_derived_after_edits_of_odd_paths_equals_the_whole_map(tmp_path: Path,
                                                                      monkeypatch) -> None:
    repo = _odd_repo(tmp_path / "repo")
    derived, whole = _pair(tmp_path, repo, blame=True)
    listed = _listings(monkeypatch)
    for round_, names in enumerate([ODD[:3], ODD[3:6], ODD[6:], []]):
        _write_bytes(repo, {name: _module(round_, f" + {round_}") for name in names})
        if round_ == 1:
            (repo / "app.py").chmod(0o755)  # the mode alone: the file is as it was
        if round_ == 2:  # the mode and the contents
            (repo / "pkg" / "__init__.py").chmod(0o755)
            write(repo, {"pkg/__init__.py": "VERSION = 2\n"})
        if round_ == 3:  # what every odd file imports
            write(repo, {"pkg/core.py": "def run():\n    return 3\n"})
        commit(repo, f"round {round_}", date=f"2026-01-0{round_ + 2}T12:00:00+00:00")
        a = derived.map("p")
        assert listed == []  # no listing of the whole tree
        b = whole.map("p")
        listed.clear()
        assert a.stats.get("derived_from") is not None, a.stats.get("whole_map_because")
        assert "whole_map_because" not in a.stats
        _same_maps(derived, whole, a, b)
    paths = set(derived.snapshot("p").files["path"])
    assert {"pkg/caf\\xe9.py", "pkg/new\nline.py", "pkg/with space.py"} <= paths


@pytest.mark.parametrize("change, reason", [
    ("symlink", "app.py changed its kind"),
    ("added", "files were added, removed or renamed"),
    ("deleted", "files were added, removed or renamed"),
    ("renamed", "files were added, removed or renamed"),
    ("odd added", "files were added, removed or renamed"),
])
def test_what_a_derived_map_cannot_take_makes_a_whole_map(tmp_path: Path, change: str,
                                                           reason: str) -> None:
    repo = init_repo(tmp_path / "repo")
    # app.py's bytes are those of a symlink's target: git keeps one blob for both
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n",
                 "app.py": "pkg/core.py", "pkg/other.py": "x = 1\n"})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    write(repo, {"pkg/core.py": "def run():\n    return 2\n"})  # an edit beside it
    if change == "symlink":
        (repo / "app.py").unlink()
        os.symlink("pkg/core.py", repo / "app.py")
    elif change == "added":
        write(repo, {"pkg/more.py": "y = 2\n"})
    elif change == "deleted":
        (repo / "pkg" / "other.py").unlink()
    elif change == "renamed":
        (repo / "pkg" / "other.py").rename(repo / "pkg" / "renamed.py")
    else:
        _write_bytes(repo, {b"pkg/new\nname \xe9.py": b"z = 3\n"})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    a, b = derived.map("p"), whole.map("p")
    assert "derived_from" not in a.stats
    assert a.stats["whole_map_because"] == reason
    _same_maps(derived, whole, a, b)


def test_a_file_that_becomes_a_symlink_to_other_bytes_is_mapped_as_a_whole_map_would(
        tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n",
                 "pkg/tool.py": "from pkg.core import run\n", "tool.sh": "echo hi\n"})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    (repo / "pkg" / "tool.py").unlink()
    os.symlink("core.py", repo / "pkg" / "tool.py")
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    a, b = derived.map("p"), whole.map("p")
    _same_maps(derived, whole, a, b)
    files = derived.snapshot("p").files.set_index("path")
    assert files.loc["pkg/tool.py", "reason"] == "symlink (not followed)"


def test_a_base_commit_that_cannot_be_compared_makes_a_whole_map(tmp_path: Path,
                                                                  monkeypatch) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n"})
    commit(repo, "first")
    derived, whole = _pair(tmp_path, repo)
    write(repo, {"pkg/core.py": "def run():\n    return 2\n"})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")

    def gone(self, repo_path, old, new):
        raise GitFailed("comparing commits failed: fatal: bad object")
        yield  # a generator, as the real one

    monkeypatch.setattr(Git, "diff_tree", gone)
    a, b = derived.map("p"), whole.map("p")
    assert "derived_from" not in a.stats
    assert a.stats["whole_map_because"].startswith("the last map's commit cannot be compared")
    _same_maps(derived, whole, a, b)


def _counted_map(tmp_path: Path, **limits) -> tuple[Path, Workbench]:
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/core.py": "def run():\n    return 1\n",
                 "pkg/b.py": "from pkg.core import run\n"})
    commit(repo, "first")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, blame=False))
    wb.add_project("p", str(repo))
    wb.map("p")
    write(repo, {"pkg/core.py": "def run():\n    return 2\n" + "# more\n" * 20})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    return repo, Workbench(config=Config(data_dir=tmp_path / "data", workers=1, blame=False,
                                         **limits))


@pytest.mark.parametrize("limits, message", [
    ({"max_tree_entries": 2}, "more than 2 files"),
    ({"max_tree_bytes": 100}, "more than 100 bytes"),
])
def test_the_limits_on_a_commits_files_hold_for_a_derived_map(tmp_path: Path, limits: dict,
                                                              message: str, monkeypatch) -> None:
    """The base's count and size, with the change's, give the commit's: over a limit, the
    map is refused before anything is read, as a whole map's listing refuses it."""
    _, wb = _counted_map(tmp_path, **limits)
    first = wb.store.snapshots.list()
    listed = _listings(monkeypatch)
    with pytest.raises(RepositoryTooLarge, match=message):
        wb.map("p")
    assert wb.store.snapshots.list() == first
    assert listed == []  # refused by the derived map's own count
    job = wb.recent_jobs(1)[0]
    assert job.status == "failed"
    import threading

    assert not [t.name for t in threading.enumerate() if t.name.startswith("workbench-history")]


def test_a_derived_map_within_the_limits_counts_the_changed_sizes(tmp_path: Path) -> None:
    repo, _ = _counted_map(tmp_path)
    total = sum(e.size for e in Git().ls_tree(repo, "HEAD"))
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, blame=False,
                                 max_tree_bytes=total, max_tree_entries=3))
    snap = wb.map("p")
    assert snap.stats.get("derived_from") is not None
    # one byte less and the new size is over: the old one would not have been
    write(repo, {"pkg/b.py": "from pkg.core import run  \n"})
    commit(repo, "third", date="2026-01-03T12:00:00+00:00")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, blame=False,
                                 max_tree_bytes=total + 1))
    with pytest.raises(RepositoryTooLarge, match=f"more than {total + 1} bytes"):
        wb.map("p")
