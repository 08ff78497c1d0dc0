"""The clone's commit-graph: written on the first map of a large clone, extended after
fetches, and the map is the same with it as without it."""

from __future__ import annotations

import pandas as pd

from tests.history.gitrepo import GitRepo
from workbench import Workbench
from workbench.repos import commit_graph

ANN = ("Ann", "ann@example.com")
BOB = ("Bob", "bob@example.com")


def _branchy_repo(path) -> GitRepo:
    """Edits on two branches, a rename on one of them, a merge: order matters for renames."""
    repo = GitRepo(path)
    repo.write("pkg/a.py", "def a():\n    return 1\n")
    repo.write("pkg/b.py", "import pkg.a\n")
    repo.commit("start", ANN, "2024-01-01T10:00:00+00:00")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("pkg/a.py", "def a():\n    return 2\n")
    repo.commit("side edit", BOB, "2024-01-03T10:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.git("mv", "pkg/a.py", "pkg/core.py")
    repo.write("pkg/b.py", "import pkg.core\n")
    repo.commit("rename", ANN, "2024-01-02T10:00:00+00:00")
    repo.merge("side", "merge side", ANN, "2024-01-04T10:00:00+00:00",
               {"pkg/core.py": "def a():\n    return 2\n"})
    for i in range(3):
        repo.write("pkg/b.py", f"import pkg.core\nX = {i}\n")
        repo.commit(f"edit {i}", BOB, f"2024-01-0{5 + i}T10:00:00+00:00")
    return repo


def _graph_layers(clone) -> list[str]:
    chain = clone / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    return chain.read_text().split() if chain.exists() else []


def test_a_clone_gets_a_commit_graph_and_the_map_is_unchanged(tmp_path, monkeypatch) -> None:
    repo = _branchy_repo(tmp_path / "repo")
    with Workbench(tmp_path / "plain") as plain:  # small packs: git without the graph
        without = plain.map(str(repo.path), name="r")
        assert _graph_layers(plain.clones.path_for("r")) == []

    monkeypatch.setattr(commit_graph, "MIN_PACK_BYTES", 0)  # as if the history were long
    with Workbench(tmp_path / "graphed") as graphed:
        first = graphed.map(str(repo.path), name="r")
        clone = graphed.clones.path_for("r")
        assert len(_graph_layers(clone)) == 1
        # git answers the same with the graph: history order, metrics, ownership by blame
        assert first.commits()["sha"].tolist() == without.commits()["sha"].tolist()
        columns = ["path", "commits_total", "churn_total", "main_author", "first_seen",
                   "current_owner", "current_lines"]
        pd.testing.assert_frame_equal(
            first.file_metrics[columns].sort_values("path", ignore_index=True),
            without.file_metrics[columns].sort_values("path", ignore_index=True))
        assert first.file_metrics.set_index("path").loc["pkg/core.py", "commits_total"] == 3  # merges count no changes

        repo.write("pkg/b.py", "import pkg.core\nX = 9\n")
        repo.commit("one more", ANN, "2024-01-09T10:00:00+00:00")
        graphed.map("r")
        assert len(_graph_layers(clone)) == 2  # a layer with the new commit only
        again = graphed.map("r", force=True)  # nothing new: nothing written
        assert len(_graph_layers(clone)) == 2
        assert again.commits()["sha"].iloc[-1] == repo.head()
