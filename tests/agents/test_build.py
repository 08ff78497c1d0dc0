"""The build agent: opt-in, refused for agents' and webhooks' projects, and a real run of a
stand-in ``goose`` executable (a script on PATH that edits a file) in a worktree of the clone."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.agents.conftest import IDEA_TEXT, IDEA_TITLE
from tests.helpers import git
from workbench import Config, Workbench
from workbench.agents.build import check_allowed
from workbench.agents.errors import BuildDisabled, BuildError

STAND_IN = """#!/bin/sh
# a stand-in for Goose: records its arguments, then edits the refund like a model would
printf '%s\\n' "$@" > "$GOOSE_LOG"
[ "$1" = run ] && [ "$2" = --no-session ] && [ "$3" = --text ] || exit 64
sed -i 's/def refund(self, order):/def refund(self, order, amount=None):/' shop/payments.py
echo "goose: done"
"""


@pytest.fixture
def goose(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "goose"
    script.write_text(STAND_IN)
    script.chmod(0o755)
    log = tmp_path / "goose.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GOOSE_LOG", str(log))
    return log


def _planned(wb, shop_repo):
    wb.map(str(shop_repo), name="shop")
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    return next(t for t in wb.ideas.task_list(idea_id=idea.id) if "refund" in t.title)


def test_the_build_agent_is_off_by_default(wb, shop_repo, goose):
    task = _planned(wb, shop_repo)
    with pytest.raises(BuildDisabled, match="WORKBENCH_BUILD_AGENT=1"):
        wb.ideas.build(task.id)
    assert not goose.exists() and not (wb.data_dir / "worktrees").exists()


def test_projects_from_agents_and_webhooks_are_refused(wb, shop_repo):
    project = wb.add_project("shop", str(shop_repo))
    check_allowed(project, enabled=True)
    for origin in ("agent", "webhook"):
        with pytest.raises(BuildDisabled, match=f"registered by '{origin}'"):
            check_allowed(replace(project, origin=origin), enabled=True)


def test_a_task_is_built_by_goose_in_a_worktree_and_reviewed(tmp_path, shop_repo, goose):
    data = tmp_path / "data"
    wb = Workbench(data, config=Config(data_dir=data, build_agent=True))
    try:
        task = _planned(wb, shop_repo)
        result = wb.ideas.build(task.id)
        assert result.branch == f"workbench/task-{task.id}" and not result.pushed
        assert result.worktree == data / "worktrees" / f"shop-task-{task.id}"
        assert "goose: done" in result.output
        told = goose.read_text()
        assert told.startswith("run\n--no-session\n--text\nTask: Change PaymentGateway.refund")
        assert "shop.payments:PaymentGateway.refund" in told
        clone = wb.clones.path_for("shop")
        assert git(clone, "rev-parse", result.branch) == result.head_sha
        assert "amount=None" in git(clone, "show", f"{result.head_sha}:shop/payments.py")
        assert git(clone, "log", "-1", "--format=%an|%s", result.head_sha) == (
            f"workbench build agent|Task {task.id}: {task.title}")
        assert git(shop_repo, "branch", "--list", "workbench/*") == ""  # nothing pushed
        built = wb.ideas.task(task.id)
        assert built.branch == result.branch and built.status == "in_progress"

        review = wb.ideas.review("shop", result.branch, head_sha=result.head_sha, source="build",
                                 fetch=False)
        assert review.verdict == "ok" and task.id in review.task_ids
        assert wb.ideas.task(task.id).status == "in_review"

        with pytest.raises(BuildError, match="built before"):
            wb.ideas.build(task.id)
        wb.map("shop")  # a fetch mirrors the remote's branches: the commit stays kept
        assert git(clone, "rev-parse", f"refs/workbench/task-{task.id}") == result.head_sha
    finally:
        wb.close()


def test_goose_that_changes_nothing_or_fails_is_an_error(tmp_path, shop_repo, goose):
    data = tmp_path / "data"
    wb = Workbench(data, config=Config(data_dir=data, build_agent=True))
    try:
        task = _planned(wb, shop_repo)
        idle = goose.parent / "bin" / "goose"
        idle.write_text("#!/bin/sh\nexit 0\n")
        with pytest.raises(BuildError, match="made no change"):
            wb.ideas.build(task.id)
        assert wb.ideas.task(task.id).status == "todo" and wb.ideas.task(task.id).branch is None
        other = next(t for t in wb.ideas.task_list("shop") if t.id != task.id)
        idle.write_text("#!/bin/sh\necho 'no provider configured' >&2\nexit 2\n")
        with pytest.raises(BuildError, match="exit 2.*no provider configured"):
            wb.ideas.build(other.id)
    finally:
        wb.close()


def test_the_build_flags_come_from_the_environment():
    from workbench.errors import ConfigError

    on = Config.from_env({"WORKBENCH_BUILD_AGENT": "1"})
    assert on.build_agent is True and on.build_push is False
    assert Config.from_env({}).build_agent is False
    assert Config.from_env({"WORKBENCH_BUILD_AGENT": "no"}).build_agent is False
    with pytest.raises(ConfigError, match="yes/no"):
        Config.from_env({"WORKBENCH_BUILD_PUSH": "maybe"})
