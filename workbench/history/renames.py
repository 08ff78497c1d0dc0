"""Follow renames so that a file's history carries over the paths it had before.

Every file change is mapped to the *latest* path of its lineage. Renames are applied in time
order and only to the changes made before them, so a path that is renamed away and later
reused by a new file keeps the two histories apart:

    a.py edited (1), a.py -> b.py (2), new a.py (3), b.py -> c.py (4)
    => change 1 belongs to c.py, change 3 to a.py.

Chains (``a -> b -> c``) resolve to the end of the chain. Renames made in the same commit are
applied together, so a swap (``a -> b`` and ``b -> a``) does not loop.

"Before" is the commit graph's, when the graph is given (``shas``, ``parents``, ``position``):
a change also belongs to a rename listed *earlier* in the order when the renaming commit is
not one of its ancestors, i.e. the change was made on a branch beside the rename (merged
after it, the file then carries both). A path reused after a rename is made by a descendant
of the renaming commit, so it stays apart.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..membership import contains


def latest_paths(paths: pd.Series, old_paths: pd.Series, seq: pd.Series, *,
                 shas: pd.Series | None = None, parents: Mapping[str, Sequence[str]] | None = None,
                 position: Mapping[str, int] | None = None) -> pd.Series:
    """Map each change to the latest path of its file.

    ``paths``/``old_paths`` are the ``path`` and ``old_path`` columns of file changes (old path
    null unless renamed) and ``seq`` the position in the order of each change's commit
    (commits of equal ``seq`` are the same commit). With ``shas`` (each change's commit),
    ``parents`` (sha -> parent shas) and ``position`` (sha -> ``seq`` of every commit, merges
    included), changes on a branch beside a rename follow it too (see the module docstring).
    Returns a Series aligned with ``paths``.
    """
    renamed = old_paths.notna()
    if not renamed.any():
        return paths.copy()
    events = pd.DataFrame({"seq": seq[renamed], "old": old_paths[renamed], "new": paths[renamed]})
    events["final"] = _resolve_chains(events)

    # Each change belongs to the first rename of its path that happened strictly after it.
    rows = pd.DataFrame({"seq": seq.to_numpy(), "path": paths.to_numpy(), "row": range(len(paths))})
    matched = pd.merge_asof(
        rows.sort_values("seq", kind="stable"),
        events[["seq", "old", "final"]].rename(columns={"old": "path"}).sort_values("seq", kind="stable"),
        on="seq", by="path", direction="forward", allow_exact_matches=False,
    ).sort_values("row")
    result = matched["final"].fillna(matched["path"]).to_numpy()
    if shas is not None and parents is not None and position is not None:
        events["sha"] = shas[renamed].to_numpy()
        _beside_renames(result, paths.to_numpy(), seq.to_numpy(), shas.to_numpy(), events,
                        parents, position)
    return pd.Series(result, index=paths.index, name=paths.name)


def _beside_renames(result, paths, seq, shas, events: pd.DataFrame,
                    parents: Mapping[str, Sequence[str]], position: Mapping[str, int]) -> None:
    """Send a change to an earlier-listed rename of its path whose commit is not its ancestor.

    Only changes made at a path after (in the order) a rename away from it are looked at: a
    path reused later, or an edit on a branch beside the rename; those are few.
    """
    by_old: dict[str, list[tuple[int, str, str]]] = {}
    for event in events.sort_values("seq", kind="stable").itertuples():
        by_old.setdefault(event.old, []).append((event.seq, event.sha, event.final))
    known: dict[tuple[str, str], bool] = {}
    for row in np.flatnonzero(contains(paths, by_old)):
        path, row_seq, sha = paths[row], seq[row], shas[row]
        for event_seq, event_sha, final in by_old[path]:
            if event_seq >= row_seq:
                break  # the rename after it (already applied), if any
            key = (event_sha, sha)
            if key not in known:
                known[key] = _is_ancestor(event_sha, sha, parents, position)
            if not known[key]:
                result[row] = final
                break


def _is_ancestor(ancestor: str, sha: str, parents: Mapping[str, Sequence[str]],
                 position: Mapping[str, int]) -> bool:
    """Whether ``ancestor`` is reachable from ``sha``, walking parents no further back in the
    order than ``ancestor`` itself."""
    floor = position[ancestor]
    seen = {sha}
    stack = [sha]
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent == ancestor:
                return True
            if parent not in seen and position.get(parent, -1) > floor:
                seen.add(parent)
                stack.append(parent)
    return False


def _resolve_chains(events: pd.DataFrame) -> list[str]:
    """The final path of each rename event, walking events from the newest to the oldest.

    ``following[p]`` holds the final path of whatever is at ``p`` just after the events seen
    so far, i.e. of the earliest already-seen rename away from ``p``. The loop is over renames
    only, which are few next to changes.
    """
    following: dict[str, str] = {}
    finals = pd.Series(index=events.index, dtype=object)
    for _, group in events.sort_values("seq", ascending=False).groupby("seq", sort=False):
        resolved = {idx: following.get(new, new) for idx, new in group["new"].items()}
        for idx, old in group["old"].items():
            following[old] = resolved[idx]
        finals.loc[list(resolved)] = list(resolved.values())
    return finals.tolist()


class ReadOnFirstUse(Mapping):
    """A mapping ``read()`` gives, read the first time it is asked (never when nobody asks):
    the parents and positions of a long history, which rename following looks up only for the
    few commits beside a rename."""

    def __init__(self, read: Callable[[], Mapping]) -> None:
        self._read: Callable[[], Mapping] | None = read
        self._data: Mapping | None = None

    def _loaded(self) -> Mapping:
        if self._data is None:
            self._data = self._read()
            self._read = None  # let go of what it read from
        return self._data

    def __getitem__(self, key):
        return self._loaded()[key]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())
