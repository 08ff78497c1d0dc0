"""Oldest first means the commit graph's order: every commit after its ancestors, whatever the
commit times say (a rebase or a script gives commits the same time; a committer's clock can
go backwards). The commit time only decides between commits of which neither is an ancestor
of the other. The trend of ``check --history``, the commit where a violation first appeared,
the metrics trend, the timeline and ``map_history`` all follow it."""

from __future__ import annotations

import pytest

from tests.helpers import run_cli
from tests.history.gitrepo import GitRepo
from workbench.history.scope import oldest_first

ANN = ("Ann", "ann@example.com")

CONTRACTS = """
[[contracts]]
name = "cart standalone"
type = "forbidden"
source = "shop.cart"
forbidden = ["shop.util"]

[[contracts]]
name = "web apart"
type = "forbidden"
source = "shop.web"
forbidden = ["shop.util"]
"""

CLEAN = {
    "shop/__init__.py": "", "shop/util.py": "", "shop/cart.py": "", "shop/web.py": "",
    "workbench-contracts.toml": CONTRACTS,
}
CART = {"shop/cart.py": "from shop import util\n"}  # breaks "cart standalone"
WEB = {"shop/web.py": "from shop import util\n"}    # breaks "web apart"


def _commit(repo: GitRepo, files: dict[str, str], message: str, when: str) -> str:
    for path, text in files.items():
        repo.write(path, text)
    return repo.commit(message, ANN, when)


def _mapped(tmp_path, repo: GitRepo, refs: list[str]):
    from workbench import Workbench

    bench = Workbench(tmp_path / "data")
    bench.add_project("shop", str(repo.path))
    bench.map_history("shop", refs=refs)
    bench.map("shop")  # the head of main, mapped already: its snapshot becomes the current one
    return bench


def _trend_commits(frame) -> list[str]:
    """The commits of a checked history's trend, in the order listed."""
    return list(dict.fromkeys(row["commit"] for row in frame.attrs["trend"]))


def _first(frame) -> dict[str, str]:
    return {row.contract: row.first_commit for row in frame.itertuples()}


def test_commits_of_the_same_time_come_after_their_parents(tmp_path) -> None:
    """Three commits of one second, mapped newest first (so the newest has the first
    snapshot): the violation present since the root commit first appeared there."""
    repo = GitRepo(tmp_path / "shop")
    same = "2026-01-01T10:00:00+00:00"
    root = _commit(repo, {**CLEAN, **CART}, "root with the cart importing util", same)
    child = _commit(repo, {"shop/extra.py": ""}, "child", same)
    grandchild = _commit(repo, WEB, "web imports util", same)
    oldest = [root[:12], child[:12], grandchild[:12]]
    with _mapped(tmp_path, repo, [grandchild, child, root]) as bench:
        frame = bench.check("shop", history=True)
        assert _trend_commits(frame) == oldest
        assert _first(frame) == {"cart standalone": root[:12], "web apart": grandchild[:12]}
        assert [c[:12] for c in bench.timeline("shop")["commit"]] == oldest
        assert bench.trend("shop")["commit"].tolist() == oldest
        # the newest snapshot is the grandchild's: it ends the history and is checked
        assert frame.attrs["trend"][-1]["commit"] == grandchild[:12]
        assert [s.commit[:12] for s in bench.map_history("shop", refs=[child, grandchild, root])] == oldest


def test_a_child_committed_before_its_parent_still_comes_after_it(tmp_path) -> None:
    """The committer clock goes backwards: each commit is a day older than its parent."""
    repo = GitRepo(tmp_path / "shop")
    root = _commit(repo, CLEAN, "root, clean", "2026-01-03T10:00:00+00:00")
    child = _commit(repo, CART, "cart imports util", "2026-01-02T10:00:00+00:00")
    grandchild = _commit(repo, WEB, "web imports util", "2026-01-01T10:00:00+00:00")
    oldest = [root[:12], child[:12], grandchild[:12]]
    with _mapped(tmp_path, repo, [root, child, grandchild]) as bench:
        frame = bench.check("shop", history=True)
        assert _trend_commits(frame) == oldest
        assert _first(frame) == {"cart standalone": child[:12], "web apart": grandchild[:12]}
        counts = {(r["commit"], r["contract"]): r["violations"] for r in frame.attrs["trend"]}
        assert [counts[(c, "cart standalone")] for c in oldest] == [0, 1, 1]
        assert bench.trend("shop", contracts=True)["contract_violations"].tolist() == [0, 1, 2]
        assert [c[:12] for c in bench.timeline("shop")["commit"]] == oldest


def test_times_order_only_commits_that_are_not_ancestors_of_one_another(tmp_path) -> None:
    """A branch and the main line beside it are ordered by their times; their merge, made
    with a clock behind both, comes after both, and the root before everything."""
    repo = GitRepo(tmp_path / "shop")
    root = _commit(repo, CLEAN, "root, clean", "2026-01-05T10:00:00+00:00")
    repo.git("checkout", "-q", "-b", "side")
    side = _commit(repo, CART, "cart imports util", "2026-01-06T10:00:00+00:00")
    repo.git("checkout", "-q", "main")
    main = _commit(repo, WEB, "web imports util", "2026-01-07T10:00:00+00:00")
    merge = repo.merge("side", "merge side", ANN, "2026-01-01T10:00:00+00:00", {})
    oldest = [root[:12], side[:12], main[:12], merge[:12]]
    with _mapped(tmp_path, repo, [merge, main, side, root]) as bench:
        frame = bench.check("shop", history=True)
        assert _trend_commits(frame) == oldest
        assert _first(frame) == {"cart standalone": side[:12], "web apart": main[:12]}
        assert [c[:12] for c in bench.timeline("shop")["commit"]] == oldest


def test_the_command_line_trend_lists_the_root_commit_first(tmp_path) -> None:
    repo = GitRepo(tmp_path / "shop")
    same = "2026-01-01T10:00:00+00:00"
    root = _commit(repo, {**CLEAN, **CART}, "root with the cart importing util", same)
    child = _commit(repo, {"shop/extra.py": ""}, "child", same)
    _mapped(tmp_path, repo, [child, root]).close()
    done = run_cli("check", "shop", "--history", data_dir=tmp_path / "data")
    assert done.returncode == 3, done.stderr
    trend = done.stdout.split("== trend", 1)[1]
    assert trend.index(root[:12]) < trend.index(child[:12])
    violation = next(line for line in trend.splitlines() if "shop.cart -> shop.util" in line)
    assert violation.split()[-1] == root[:12]  # first_commit


@pytest.mark.parametrize("given", [["c", "b", "a"], ["b", "a", "c"], ["a", "c", "b"]])
def test_oldest_first_follows_ancestry_before_any_key(given) -> None:
    parents = {"a": [], "b": ["a"], "c": ["b"]}
    newest_key = {"a": 3, "b": 2, "c": 1}  # every clock behind its parent's
    assert oldest_first(parents, given, key=newest_key.get) == ["a", "b", "c"]


def test_oldest_first_orders_unrelated_commits_by_key_then_as_given() -> None:
    # r -> x -> m, r -> y -> m; z unrelated (another root); w never mined
    parents = {"r": [], "x": ["r"], "y": ["r"], "m": ["x", "y"], "z": []}
    times = {"r": 5, "x": 7, "y": 6, "m": 0, "z": 6, "w": 1}
    assert oldest_first(parents, ["m", "x", "y", "r", "z", "w"], key=times.get) == \
        ["w", "r", "y", "z", "x", "m"]
    assert oldest_first(parents, ["m", "z", "y", "x", "r"], key=lambda sha: 0) == \
        ["z", "r", "y", "x", "m"]
    # ancestry through commits that are not in the set still counts
    assert oldest_first(parents, ["m", "r"], key=times.get) == ["r", "m"]
