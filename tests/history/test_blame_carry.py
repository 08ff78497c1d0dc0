"""A blame carried forward through the diffs since an earlier commit equals ``git blame``.

Every check compares line by line with ``git blame`` of the same file at the same commit:
random edits made of lines that repeat (blank lines, braces, indented bodies: where a diff
has several equally short answers and only git's own settings give git blame's), files that
lose their last newline or every line, and the same with a user's diff settings that differ
from blame's. What cannot be carried (a merge, a file deleted and added again, a base that
is not an ancestor) is left to ``git blame``.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.helpers import commit, git, init_repo, write
from workbench import Config, Workbench
from workbench.history.blame import blame_runs
from workbench.history.blame_carry import (MAX_CARRIED_COMMITS, carry, collapse, expand,
                                           line_of_descent)
from workbench.repos.git import Git

POOL = ["", "    pass", "def f():", "    return 1", "}", "{", "x = 1", "    if x:",
        "        y()", "#", "\tz", "a\r"]


def _edit(rng: random.Random, lines: list[str]) -> None:
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(lines))
        op = rng.random()
        if op < 0.4:
            lines[at:at] = [rng.choice(POOL) for _ in range(rng.randint(1, 6))]
        elif op < 0.75 and lines:
            del lines[at:at + rng.randint(1, 5)]
        elif lines:
            lines[min(at, len(lines) - 1)] = rng.choice(POOL)


def _text(rng: random.Random, lines: list[str]) -> str:
    return "\n".join(lines) + ("\n" if lines and rng.random() < 0.85 else "")


def _random_rounds(repo: Path, rng: random.Random, rounds: int) -> int:
    """Rounds of 1-3 commits of random edits to f.txt; each round's blame is carried from
    the one before and compared with git blame. Returns how many were carried."""
    tool = Git()
    lines = [rng.choice(POOL) for _ in range(30)]
    write(repo, {"f.txt": _text(rng, lines)})
    head = commit(repo, "start")
    carried = 0
    for n in range(rounds):
        base = head
        for k in range(rng.randint(1, 3)):
            if n % 17 == 16 and k == 0:
                lines.clear()  # every line goes, then comes back
            else:
                _edit(rng, lines)
            write(repo, {"f.txt": _text(rng, lines)})
            head = commit(repo, f"round {n}.{k}")
        descent = line_of_descent(repo, base, head, tool)
        assert descent is not None and descent[-1] == head
        got = carry(repo, base, descent, "f.txt", blame_runs(repo, base, "f.txt", tool), tool)
        assert got is not None, n
        assert expand(got) == expand(blame_runs(repo, head, "f.txt", tool)), n
        carried += 1
    return carried


def test_a_carried_blame_equals_git_blame_over_random_edits(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    assert _random_rounds(repo, random.Random(7), 60) == 60


def test_a_users_diff_settings_do_not_change_the_carried_blame(tmp_path: Path) -> None:
    """The diffs are git blame's own whatever the repository's configuration says."""
    repo = init_repo(tmp_path / "repo")
    git(repo, "config", "diff.algorithm", "histogram")
    git(repo, "config", "diff.indentHeuristic", "false")
    git(repo, "config", "diff.interHunkContext", "4")
    assert _random_rounds(repo, random.Random(11), 25) == 25


def test_runs_expand_and_collapse_both_ways() -> None:
    runs = {"a": [1, 2, 6, 1], "b": [3, 3]}
    assert expand(runs) == ["a", "a", "b", "b", "b", "a"]
    assert collapse(expand(runs)) == runs
    assert expand({"a": [1, 2], "b": [4, 1]}) is None  # line 3 has no origin
    assert expand({"a": [1, 2], "b": [2, 1]}) is None  # overlapping: line 3 has none
    assert expand({}) == [] and collapse([]) == {}


def test_what_cannot_be_carried_is_left_to_git_blame(tmp_path: Path) -> None:
    tool = Git()
    repo = init_repo(tmp_path / "repo")
    write(repo, {"f.txt": "a\nb\nc\n", "g.txt": "g\n"})
    base = commit(repo, "base")
    base_runs = blame_runs(repo, base, "f.txt", tool)
    # a merge among the commits
    git(repo, "checkout", "-q", "-b", "side")
    write(repo, {"g.txt": "g\nside\n"})
    commit(repo, "side")
    git(repo, "checkout", "-q", "main")
    write(repo, {"f.txt": "a\nb\nc\nd\n"})
    commit(repo, "main")
    git(repo, "merge", "-q", "--no-edit", "side")
    assert line_of_descent(repo, base, git(repo, "rev-parse", "HEAD"), tool) is None
    # a base that is not an ancestor
    side = git(repo, "rev-parse", "side")
    assert line_of_descent(repo, side, git(repo, "rev-parse", "HEAD~1"), tool) is None
    # the file deleted and added again: git blame may find where its lines came from
    git(repo, "checkout", "-q", "-b", "again", base)
    (repo / "f.txt").unlink()
    commit(repo, "gone")
    write(repo, {"f.txt": "a\nb\nc\nnew\n"})
    head = commit(repo, "back")
    descent = line_of_descent(repo, base, head, tool)
    assert descent is not None and len(descent) == 2
    assert carry(repo, base, descent, "f.txt", base_runs, tool) is None
    # runs that are not the file's: left to git blame rather than applied
    write(repo, {"f.txt": "a\nb\nc\nnew\nmore\n"})
    later = commit(repo, "more")
    assert carry(repo, head, [later], "f.txt", {"x": [1, 1]}, tool) is None


def test_a_long_line_of_commits_is_not_carried(tmp_path: Path, monkeypatch) -> None:
    import workbench.history.blame_carry as blame_carry

    tool = Git()
    repo = init_repo(tmp_path / "repo")
    write(repo, {"f.txt": "a\n"})
    base = commit(repo, "base")
    for n in range(3):
        write(repo, {"f.txt": f"a\n{n}\n"})
        head = commit(repo, f"c{n}")
    assert line_of_descent(repo, base, head, tool) is not None
    monkeypatch.setattr(blame_carry, "MAX_CARRIED_COMMITS", 2)
    assert line_of_descent(repo, base, head, tool) is None
    assert MAX_CARRIED_COMMITS >= 100


def _files_git_blames(monkeypatch) -> list[str]:
    """The paths ``git blame`` runs on from now on, in order (the real blame still runs)."""
    import workbench.history.blame as blame_module

    blamed: list[str] = []
    real = blame_module.blame_runs

    def counted(repo_path, commit_sha, path, git=None):
        blamed.append(path)
        return real(repo_path, commit_sha, path, git)

    monkeypatch.setattr(blame_module, "blame_runs", counted)
    return blamed


def _blame_rows(wb: Workbench, repo: Path, path: str) -> list[tuple]:
    """The cached blame of ``path``'s content at HEAD, per line: (line, origin)."""
    blob = git(repo, "rev-parse", f"HEAD:{path}")
    rows = wb.store.db.query("SELECT origin_sha, runs FROM blame_lines WHERE path = ?"
                             " AND blob_sha = ?", [path, blob])
    assert rows
    return sorted(
        (start + i, origin) for origin, runs in rows if runs
        for start, count in zip(runs[::2], runs[1::2]) for i in range(count))


def test_a_derived_map_carries_its_changed_files_blame(tmp_path: Path, monkeypatch) -> None:
    """The derived map's blame of an edited file is carried, not run, and its cached rows and
    owners equal those of a whole map of the same commit that ran git blame."""
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "",
                 "pkg/a.py": "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(8))})
    commit(repo, "first")
    wb = Workbench(config=Config(data_dir=tmp_path / "derived", workers=1))
    wb.add_project("p", str(repo))
    wb.map("p")
    blamed = _files_git_blames(monkeypatch)
    source = (repo / "pkg/a.py").read_text().splitlines(keepends=True)
    source[4:8] = ["def g():\n", "    return f0()\n", "\n", "\n"]
    write(repo, {"pkg/a.py": "".join(source)})
    git(repo, "-c", "user.name=Other", "-c", "user.email=other@example.com", "commit", "-qam",
        "second", env={"GIT_AUTHOR_NAME": "Other", "GIT_AUTHOR_EMAIL": "other@example.com"})
    snap = wb.map("p")
    assert snap.stats.get("derived_from") is not None
    assert blamed == []

    whole = Workbench(config=Config(data_dir=tmp_path / "whole", workers=1, derive_maps=False))
    whole.add_project("p", str(repo))
    other = whole.map("p")
    assert "pkg/a.py" in blamed
    assert _blame_rows(wb, repo, "pkg/a.py") == _blame_rows(whole, repo, "pkg/a.py")
    mine = snap.metrics().set_index("path").loc["pkg/a.py"]
    theirs = other.metrics().set_index("path").loc["pkg/a.py"]
    for column in ("current_lines", "current_owner", "current_ownership"):
        assert mine[column] == theirs[column], column
    assert mine["current_lines"] == len(source)


def test_blames_kept_without_their_runs_are_run_again(tmp_path: Path, monkeypatch) -> None:
    """Rows stored before runs were kept cannot be carried: the edited file is blamed."""
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "def a():\n    return 1\n"})
    commit(repo, "first")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1))
    wb.add_project("p", str(repo))
    wb.map("p")
    wb.store.db.write(lambda cur: cur.execute("UPDATE blame_lines SET runs = NULL"))
    blamed = _files_git_blames(monkeypatch)
    write(repo, {"pkg/a.py": "def a():\n    return 2\n"})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    snap = wb.map("p")
    assert snap.stats.get("derived_from") is not None
    assert blamed == ["pkg/a.py"]
    assert snap.metrics().set_index("path").loc["pkg/a.py", "current_lines"] == 2


def test_after_a_map_that_left_files_unblamed_a_re_map_blames_no_whole_history(
        tmp_path: Path, monkeypatch) -> None:
    """A file changed since a map that left it unblamed would need a blame of its whole
    history: it stays unblamed with the others (the ``blame`` verb's work), unless the new
    commits wrote each of its lines, which is carried without git blame."""
    repo = init_repo(tmp_path / "repo")
    for name in ("a", "b", "c"):
        write(repo, {f"pkg/{name}.py": "".join(f"{name}{i} = {i}\n" for i in range(6))})
    commit(repo, "first")
    spent = Workbench(config=Config(data_dir=tmp_path / "data", workers=1, blame_budget=1e-9))
    spent.add_project("p", str(repo))
    assert spent.map("p").stats["blame_pending"] == 3
    spent.close()
    blamed = _files_git_blames(monkeypatch)
    write(repo, {"pkg/a.py": "a0 = 0\na1 = 1\nnew = 2\n", "pkg/b.py": "rewritten = 1\n"})
    commit(repo, "second", date="2026-01-02T12:00:00+00:00")
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1))
    snap = wb.map("p")
    assert blamed == []
    owners = snap.metrics().set_index("path")
    assert snap.stats["blame_pending"] == 2  # a.py (two old lines) and c.py
    assert owners.loc["pkg/b.py", "current_lines"] == 1
    assert owners[["current_owner"]].loc[["pkg/a.py", "pkg/c.py"]].isna().all().all()
    wb.blame("p")
    done = wb.snapshot("p").metrics().set_index("path")
    assert sorted(blamed) == ["pkg/a.py", "pkg/c.py"]
    assert done.loc["pkg/a.py", "current_lines"] == 3


def test_a_file_whose_git_blame_fails_is_left_unblamed_not_kept_empty(tmp_path: Path) -> None:
    """git failing (here: no memory to start under its limit) is no blame of an empty file:
    the file is left out, so a later blame tries again, instead of a cached zero lines."""
    import pandas as pd

    from workbench.history.blame import BLAME_COLUMNS, blame_files

    repo = init_repo(tmp_path / "repo")
    write(repo, {"f.txt": "a\nb\nc\n"})
    head = commit(repo, "one")
    files = {"f.txt": git(repo, "rev-parse", "HEAD:f.txt")}
    nothing = lambda keys: pd.DataFrame(columns=BLAME_COLUMNS)  # noqa: E731
    rows, fresh = blame_files(repo, head, files, cached=nothing, git=Git(memory=1 << 20))
    assert rows.empty and fresh.empty
    rows, fresh = blame_files(repo, head, files, cached=nothing, git=Git())
    assert fresh["lines"].tolist() == [3] and fresh["runs"].tolist() == [[1, 3]]


def test_a_blob_cached_from_another_history_is_blamed_again(tmp_path: Path) -> None:
    """The same content at the same path on commits of another history (a cherry-pick, a
    rebase, an amended author) was blamed on commits this snapshot does not have: the
    cached blame does not fit it, and the file is blamed at the snapshot's commit."""
    repo = init_repo(tmp_path / "repo")
    write(repo, {"pkg/__init__.py": "", "pkg/a.py": "a = 1\n"})
    commit(repo, "first")
    git(repo, "checkout", "-q", "-b", "feat")
    write(repo, {"pkg/c.py": "c = 1\nd = 2\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feat", env={"GIT_AUTHOR_NAME": "Bob",
                                           "GIT_AUTHOR_EMAIL": "bob@example.com"})
    wb = Workbench(config=Config(data_dir=tmp_path / "data", workers=1))
    wb.add_project("p", str(repo))
    wb.map("p", ref="feat")
    git(repo, "checkout", "-q", "main")
    git(repo, "cherry-pick", "feat", env={"GIT_COMMITTER_DATE": "2026-01-03T12:00:00+00:00"})
    picked = git(repo, "rev-parse", "HEAD")
    snap = wb.map("p", ref="main")
    owner = snap.metrics().set_index("path").loc["pkg/c.py"]
    assert owner["current_owner"] == "bob@example.com"
    assert owner["current_lines"] == 2 and owner["current_lines_unknown"] == 0
    assert _blame_rows(wb, repo, "pkg/c.py") == [(1, picked), (2, picked)]
    # the author of the picked commit amended: its content, so the blob, stays the same
    git(repo, "commit", "-q", "--amend", "--no-edit", "--author=Carol <carol@example.com>")
    again = wb.map("p", ref="main")
    owner = again.metrics().set_index("path").loc["pkg/c.py"]
    assert owner["current_owner"] == "carol@example.com"
    assert owner["current_lines_unknown"] == 0


def test_the_map_command_counts_one_file_in_the_singular(tmp_path: Path) -> None:
    from tests.helpers import invoke_cli

    repo = init_repo(tmp_path / "repo")
    write(repo, {"a.py": "a = 1\n"})
    commit(repo, "one")
    done = invoke_cli("map", str(repo), "--name", "p", data_dir=tmp_path / "data",
                      env={"WORKBENCH_BLAME_BUDGET": "0.000000001"})
    assert done.returncode == 0, done.stderr
    assert "parsed 1 file)" in done.stdout
    assert "1 file is not blamed yet" in done.stdout and "blames it" in done.stdout
