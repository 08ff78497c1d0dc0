"""Shallow repositories: which commits are the boundary of the history that was fetched.

A ``git clone --depth N`` (what most CI checkouts give) keeps the ids of its boundary commits
in ``$GIT_DIR/shallow``: their parents were not fetched, so git shows them as root commits
("grafted") and diffs them against the empty tree, as if they added every file that existed
then. What such a commit really changed, and who wrote anything before it, is unknown.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .git import Git

_SHA = re.compile(r"[0-9a-f]{40}")


def shallow_commits(repo: str | os.PathLike[str], git: Git | None = None) -> frozenset[str]:
    """The boundary commits of a shallow repository (bare or not); empty when it is complete."""
    done = (git or Git()).run_raw(["rev-parse", "--git-path", "shallow"], cwd=repo,
                                  what="finding the shallow file")
    if done.returncode != 0:
        return frozenset()
    path = Path(done.stdout.decode().strip())
    if not path.is_absolute():
        path = Path(repo) / path
    try:
        text = path.read_text("ascii", "replace")
    except (FileNotFoundError, NotADirectoryError):
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if _SHA.fullmatch(line.strip()))


def truncation_note(boundary: list[str]) -> str:
    """``history truncated at 1a2b3c4d5e6f (shallow clone)`` for a history's boundary commits."""
    shown = ", ".join(sha[:12] for sha in boundary[:3]) + (" ..." if len(boundary) > 3 else "")
    return f"history truncated at {shown} (shallow clone)"


__all__ = ["shallow_commits", "truncation_note"]
