"""Follow renames so that a file's history carries over the paths it had before.

Every file change is mapped to the *latest* path of its lineage. Renames are applied in time
order and only to the changes made before them, so a path that is renamed away and later
reused by a new file keeps the two histories apart:

    a.py edited (1), a.py -> b.py (2), new a.py (3), b.py -> c.py (4)
    => change 1 belongs to c.py, change 3 to a.py.

Chains (``a -> b -> c``) resolve to the end of the chain. Renames made in the same commit are
applied together, so a swap (``a -> b`` and ``b -> a``) does not loop.
"""

from __future__ import annotations

import pandas as pd


def latest_paths(paths: pd.Series, old_paths: pd.Series, seq: pd.Series) -> pd.Series:
    """Map each change to the latest path of its file.

    ``paths``/``old_paths`` are the ``path`` and ``old_path`` columns of file changes (old path
    null unless renamed) and ``seq`` the position in time of each change's commit (commits of
    equal ``seq`` are the same commit). Returns a Series aligned with ``paths``.
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
    result = matched["final"].fillna(matched["path"])
    return pd.Series(result.to_numpy(), index=paths.index, name=paths.name)


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
