"""A snapshot's own history out of everything mined for its project.

A project's store holds every commit ever mined for it: other branches, commits newer than an
old snapshot, commits a force-push made unreachable. A snapshot's history is the commits
reachable from its commit through the stored parents, in the commit graph's order: every
parent before its children (as ``git rev-list --topo-order --reverse`` lists them; among
commits not ordered by the graph, the order of a depth-first walk from the snapshot's commit
taking first parents first).
"""

from __future__ import annotations

from typing import Mapping, Sequence


def history_order(parents: Mapping[str, Sequence[str]], tip: str) -> list[str]:
    """Shas reachable from ``tip`` (``tip`` included) through ``parents`` (sha -> parent
    shas), parents before children. Parents that were never mined (beyond a shallow boundary)
    end the walk there. Empty when ``tip`` itself is not mined."""
    if tip not in parents:
        return []
    order: list[str] = []
    seen = {tip}
    stack: list[tuple[str, int]] = [(tip, 0)]
    while stack:  # iterative post-order: a commit is listed once all its parents are
        sha, index = stack[-1]
        commit_parents = parents.get(sha, ())
        if index < len(commit_parents):
            stack[-1] = (sha, index + 1)
            parent = commit_parents[index]
            if parent not in seen and parent in parents:
                seen.add(parent)
                stack.append((parent, 0))
        else:
            stack.pop()
            order.append(sha)
    return order


__all__ = ["history_order"]
