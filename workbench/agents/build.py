"""The build agent (opt-in): one task handed to Goose in a worktree of the project's clone.

It never runs unless ``Config(build_agent=True)`` (``WORKBENCH_BUILD_AGENT=1``), never for a
project whose location came from an agent or a webhook, and never pushes unless
``build_push`` is set. Steps:

1. ``git worktree add -b workbench/task-<id> <data>/worktrees/<project>-task-<id> <base>``
   on the bare clone (hooks off, as every git command of the workbench), ``<base>`` being the
   commit of the snapshot the task was planned on;
2. ``goose run --no-session --text <instructions>`` in that directory (Goose's headless
   mode: it runs the instructions to completion and exits, keeping no session), with a
   wall-clock limit (``build_timeout``); the command is ``goose_command`` of the configuration;
3. everything Goose changed is committed on the branch (nothing changed is an error), and
   the commit is also kept as ``refs/workbench/task-<id>``: the clone's fetches mirror the
   remote's branches, so an unpushed branch leaves ``refs/heads/`` at the next fetch;
4. the branch is published as ``pr.opened`` with ``source="build"``, so the reviewer maps
   and reviews it like any pull request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..domain import Project, Spec, Task
from ..errors import GitFailed
from ..repos.git import Git
from .errors import BuildDisabled, BuildError

#: Identity of the build agent's commits.
AUTHOR = ("workbench build agent", "build-agent@workbench.invalid")
#: Origins of projects the build agent refuses.
REFUSED_ORIGINS = ("agent", "webhook")


def keep_ref(task_id: int) -> str:
    """The ref of the clone that keeps a build's commit (fetches prune ``refs/heads/``)."""
    return f"refs/workbench/task-{task_id}"


@dataclass(frozen=True)
class BuildResult:
    """A task built on a branch: where, at which commit, and what Goose said (its last lines)."""

    task_id: int
    branch: str
    head_sha: str
    base_sha: str
    worktree: Path
    pushed: bool
    output: str


def instructions(task: Task, spec: Spec | None) -> str:
    """What Goose is told: the task, its nodes, and the spec it belongs to."""
    touched = [f"- {n.node}" + (f" ({n.path})" if n.path else "") for n in task.nodes
               if n.role == "touch"]
    impacted = [n.node for n in task.nodes if n.role == "impact"][:10]
    parts = [f"Task: {task.title}", task.description or ""]
    if touched:
        parts.append("Change these parts of the code:\n" + "\n".join(touched))
    if impacted:
        parts.append("Keep these dependents working: " + ", ".join(impacted))
    if spec is not None:
        parts.append("Spec problem: " + spec.problem)
        if spec.acceptance:
            parts.append("Acceptance criteria:\n" + "\n".join(f"- {a}" for a in spec.acceptance))
    parts.append("Edit the files in this directory only. Do not commit or push: the workbench "
                 "commits your changes on this branch.")
    return "\n\n".join(p for p in parts if p)


def check_allowed(project: Project, *, enabled: bool) -> None:
    if not enabled:
        raise BuildDisabled(
            "the build agent is off (it is opt-in); set WORKBENCH_BUILD_AGENT=1 or "
            "Config(build_agent=True) to let it hand tasks to Goose", project=project.name)
    if project.origin in REFUSED_ORIGINS:
        raise BuildDisabled(
            f"project {project.name!r} was registered by {project.origin!r}: the build agent "
            "only works on projects a person registered", project=project.name)


def build(project: Project, task: Task, spec: Spec | None, *, repo: Path, base_sha: str,
          worktrees: Path, goose: str = "goose", timeout: float = 1800.0,
          push: bool = False, git_timeout: float = 600.0) -> BuildResult:
    """Run the steps of the module docstring up to the commit (publishing is the caller's)."""
    executable = shutil.which(goose)
    if executable is None:
        raise BuildError(f"{goose!r} is not on PATH; install Goose (its `goose` CLI) or set "
                         "WORKBENCH_GOOSE_COMMAND to its path", task_id=task.id)
    git = Git(timeout=git_timeout)
    branch = f"workbench/task-{task.id}"
    where = worktrees / f"{project.name}-task-{task.id}"
    if where.exists():
        raise BuildError(f"task {task.id} was built before in {where}; remove that worktree "
                         f"(`git -C {repo} worktree remove {where}`) and the branch {branch} "
                         "to build it again", task_id=task.id)
    worktrees.mkdir(parents=True, exist_ok=True)
    try:
        git.run(["worktree", "add", "--quiet", "-b", branch, str(where), base_sha], cwd=repo,
                what="creating the build worktree")
    except GitFailed as exc:
        raise BuildError(f"could not create a worktree for task {task.id}: {exc}",
                         task_id=task.id) from exc
    try:
        done = subprocess.run([executable, "run", "--no-session", "--text",
                               instructions(task, spec)], cwd=where,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"Goose did not finish task {task.id} within {timeout:g} s; the "
                         f"worktree {where} keeps what it did", task_id=task.id) from exc
    output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
    if done.returncode != 0:
        raise BuildError(f"Goose failed on task {task.id} (exit {done.returncode}): "
                         f"{output[-500:]}", task_id=task.id)
    if not git.run(["status", "--porcelain"], cwd=where, what="reading the worktree").strip():
        raise BuildError(f"Goose made no change for task {task.id}; nothing to review",
                         task_id=task.id)
    identity = ["-c", f"user.name={AUTHOR[0]}", "-c", f"user.email={AUTHOR[1]}"]
    git.run(["add", "-A"], cwd=where, what="staging Goose's changes")
    git.run([*identity, "commit", "--quiet", "--no-verify", "-m",
             f"Task {task.id}: {task.title}"], cwd=where, what="committing Goose's changes")
    head = git.run(["rev-parse", "HEAD"], cwd=where, what="reading the new commit").strip()
    # fetches prune refs/heads/ to the remote's branches; this ref keeps the commit whatever
    git.run(["update-ref", keep_ref(task.id), head], cwd=repo, what="keeping the build commit")
    if push:
        try:
            git.run(["push", "--quiet", "origin", f"{branch}:{branch}"], cwd=repo,
                    what="pushing the build branch")
        except GitFailed as exc:
            raise BuildError(f"the branch {branch} was built but not pushed: {exc}",
                             task_id=task.id) from exc
    return BuildResult(task.id, branch, head, base_sha, where, push, output)
