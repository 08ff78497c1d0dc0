"""A snapshot's own history out of everything mined for its project.

A project's store holds every commit ever mined for it: other branches, commits newer than an
old snapshot, commits a force-push made unreachable. A snapshot's history is the commits
reachable from its commit through the stored parents, in the commit graph's order: every
parent before its children (as ``git rev-list --topo-order --reverse`` lists them; among
commits not ordered by the graph, the order of a depth-first walk from the snapshot's commit
taking first parents first).

A set of commits (the mapped ones of a project) is put oldest first the same way
(:func:`oldest_first`): every ancestor before its descendants, whatever their clocks say (a
rebase or a script gives many commits the same time, a committer's clock can go backwards); the
commit time only decides between commits of which neither is an ancestor of the other.

What reads only the set of a snapshot's commits, not their order (search over commit messages),
takes :func:`history_shas`: the same commits, found by a compiled walk over the stored
``(sha, parents)`` table (under a second for a million commits, where reading them into Python
dicts and walking those takes four).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa


def history_order(parents: Mapping[str, Sequence[str]], tip: str) -> list[str]:
    """Shas reachable from ``tip`` (``tip`` included) through ``parents`` (sha -> parent
    shas), parents before children. Parents that were never mined (beyond a shallow boundary)
    end the walk there. Empty when ``tip`` itself is not mined."""
    return _walk(parents, [tip])


def history_shas(parents: "pa.Table", tip: str) -> "pa.Array":
    """The shas of :func:`history_order` in no particular order, from a ``(sha, parents)``
    table (:meth:`~workbench.store.history.HistoryTable.parents_table`), as an Arrow string
    array: ``tip`` and every mined commit reachable from it through mined parents. Empty when
    ``tip`` itself is not mined."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    from ..membership import positions

    shas = parents.column("sha").combine_chunks().cast(pa.string())
    start = pc.index(shas, pa.scalar(tip, pa.string())).as_py()  # a scan: no hash set of them all
    if start < 0:
        return pa.array([], pa.string())
    lists = parents.column("parents").combine_chunks()
    child = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    parent = positions(pc.list_flatten(lists), shas)
    mined = parent >= 0  # parents never mined (beyond a shallow boundary) end the walk there
    n = len(shas)
    edges = csr_matrix((np.ones(int(mined.sum()), np.int8), (child[mined], parent[mined])),
                       shape=(n, n))
    return shas.take(pa.array(breadth_first_order(edges, start, directed=True,
                                                  return_predecessors=False)))


def _walk(parents: Mapping[str, Sequence[str]], tips: Iterable[str]) -> list[str]:
    """Shas reachable from any of ``tips`` (those mined) through ``parents``, parents before
    children: :func:`history_order` of several tips at once, each commit listed once."""
    order: list[str] = []
    seen: set[str] = set()
    for tip in tips:
        if tip in seen or tip not in parents:
            continue
        seen.add(tip)
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


def oldest_first(parents: Mapping[str, Sequence[str]], shas: Sequence[str],
                 key: Callable[[str], Any] | None = None) -> list[str]:
    """``shas`` (distinct commits) oldest first: every one after those of them that are its
    ancestors through ``parents`` (sha -> parent shas), however their times compare. Among
    the commits whose listed ancestors are all listed already, the next is the one with the
    smallest ``key(sha)`` (say, its commit time), then the earliest in ``shas``. A commit
    missing from ``parents`` (never mined) is ordered by ``key`` alone."""
    wanted = {sha: 1 << n for n, sha in enumerate(shas)}
    # ancestors-or-self among ``shas`` of every commit of their histories, as bits, parents
    # before children; a commit with one parent shares its parent's number (no copy)
    reach: dict[str, int] = {}
    for sha in _walk(parents, shas):
        bits = wanted.get(sha, 0)
        for parent in parents.get(sha, ()):
            above = reach.get(parent, 0)
            if above:
                bits = above if not bits else bits | above
        if bits:
            reach[sha] = bits
    before = [reach.get(sha, 0) & ~bit for sha, bit in wanted.items()]
    rank = (lambda n: (key(shas[n]), n)) if key is not None else (lambda n: n)
    left = list(range(len(shas)))
    done = 0
    order: list[str] = []
    while left:
        ready = [n for n in left if not before[n] & ~done]
        # the graph has no cycle, so one commit at least is ready
        pick = min(ready, key=rank)
        left.remove(pick)
        done |= 1 << pick
        order.append(shas[pick])
    return order


__all__ = ["history_order", "history_shas", "oldest_first"]
