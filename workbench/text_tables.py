"""The plain-text tables the command line prints: data frames and fixed listings alike.

One renderer (:func:`table_lines`) lays every table out: columns aligned under their headings
(numbers to the right), two spaces between them, and the whole fitted to the terminal's width
(``shutil.get_terminal_size``: ``$COLUMNS``, else the terminal's) when the output goes to a
terminal or ``COLUMNS`` is set. A table too wide loses width from its widest cells first: a
cut cell ends with ``…``, while the columns that identify a row (ids, names, nodes) stay
whole. Piped into another program without ``COLUMNS``, nothing is cut.

A missing value of a data frame (:func:`table_text`) is shown one way, as an empty cell,
whatever holds it: ``None`` in an object column, ``NaN`` in a float column, ``NaT`` in a time
column, ``<NA>`` in a nullable integer, boolean or string column. (A column whose values are
all present keeps its dtype's formatting.) The fixed listings put ``-`` in a missing cell
themselves.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Between two columns.
GAP = "  "
#: A cut cell ends with this.
ELLIPSIS = "…"
#: A column is cut to no fewer characters than this (or its heading's, when longer).
NARROWEST = 10


def terminal_width() -> int | None:
    """The width tables fit: ``$COLUMNS`` when set, else the terminal's when standard output is
    one; None (no limit) when the output goes to a file or a pipe."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if not sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):  # a replaced or closed stream
        return None
    return shutil.get_terminal_size().columns


def table_lines(headers: Sequence[str] | None, rows: Sequence[Sequence[Any]], *,
                right: Collection[int] = (), keep: Collection[int] = (),
                width: int | None | bool = True, indent: str = "") -> list[str]:
    """The lines of a table: ``headers`` (None: rows only) over ``rows`` of cells (any values,
    shown with ``str``; a line break as a space).

    ``right``: the positions of the columns aligned right (numbers); ``keep``: those never cut
    (ids, names); ``width``: the width to fit, True for :func:`terminal_width`, None for no
    limit; ``indent`` starts every line. Trailing blanks are left off.
    """
    cells = [[" ".join(str(c).splitlines()) if c is not None else "" for c in row] for row in rows]
    titles = list(headers) if headers is not None else None
    count = max([len(titles or ())] + [len(r) for r in cells])
    for row in cells:
        row.extend([""] * (count - len(row)))
    natural = [max([len(titles[i]) if titles and i < len(titles) else 0]
                   + [len(r[i]) for r in cells]) for i in range(count)]
    limit = terminal_width() if width is True else (width or None)
    widths = natural if limit is None else _fitted(natural, titles, keep,
                                                   limit - len(indent) - len(GAP) * (count - 1))
    lines = []
    for row in ([titles + [""] * (count - len(titles))] if titles else []) + cells:
        shown = [_cut(text, w).rjust(w) if i in right else _cut(text, w).ljust(w)
                 for i, (text, w) in enumerate(zip(row, widths))]
        lines.append((indent + GAP.join(shown)).rstrip())
    return lines


def _fitted(natural: list[int], titles: list[str] | None, keep: Collection[int],
            room: int) -> list[int]:
    """Column widths that fit ``room``: the widest cells of the columns not kept lose width
    first (all cut to one width where they pass it), none below :data:`NARROWEST` or its
    heading. When even that does not fit, the table is as narrow as it can be."""
    if sum(natural) <= room:
        return natural
    cuttable = [i for i in range(len(natural)) if i not in keep]
    floor = {i: min(natural[i], max(NARROWEST, len(titles[i]) if titles and i < len(titles)
                                    else 0)) for i in cuttable}
    fixed = sum(w for i, w in enumerate(natural) if i in keep)
    low, high = 0, max((natural[i] for i in cuttable), default=0)
    while low < high:  # the widest cap at which the cut columns fit
        cap = (low + high + 1) // 2
        if fixed + sum(max(floor[i], min(natural[i], cap)) for i in cuttable) <= room:
            low = cap
        else:
            high = cap - 1
    return [natural[i] if i in keep else max(floor[i], min(natural[i], low))
            for i in range(len(natural))]


def clip(line: str, width: int | None | bool = True) -> str:
    """One line of a listing cut to ``width`` (True: :func:`terminal_width`) with ``…``."""
    limit = terminal_width() if width is True else (width or None)
    return line if limit is None else _cut(line, limit)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + ELLIPSIS


def table_text(frame: "pd.DataFrame", *, keep: Collection[str] | None = None,
               width: int | None | bool = True) -> str:
    """``frame`` as a table (:func:`table_lines`), without its index, a missing value as an
    empty cell; numbers aligned right, each column formatted as pandas formats it.

    ``keep``: the columns never cut [the first one, which names the row]; numbers are never
    cut either. ``width`` as for :func:`table_lines`.
    """
    import pandas as pd

    columns = [str(c) for c in frame.columns]
    keep = set(columns[:1] if keep is None else keep)
    shown = [_formatted(frame.iloc[:, i]) for i in range(len(columns))]
    right = [i for i in range(len(columns))
             if pd.api.types.is_numeric_dtype(frame.dtypes.iloc[i])
             and not pd.api.types.is_bool_dtype(frame.dtypes.iloc[i])]
    rows = [list(row) for row in zip(*shown)] if columns else []
    whole = [i for i, c in enumerate(columns) if c in keep or i in right]  # a cut number lies
    return "\n".join(table_lines(columns, rows, right=right, width=width, keep=whole))


def _formatted(values: "pd.Series") -> list[str]:
    """The cells of one column as pandas writes them (a float column with one number of
    decimals), a missing value empty."""
    import pandas as pd

    if values.empty:
        return []
    if (values.isna().any() and not pd.api.types.is_float_dtype(values.dtype)
            and not pd.api.types.is_datetime64_any_dtype(values.dtype)):
        # to_string's na_rep reaches NaN and NaT only: None in an object column prints
        # "None", pd.NA of a nullable column "<NA>"
        values = values.astype(object).where(values.notna(), "")
    text = values.to_frame().to_string(index=False, header=False, na_rep="")
    return [line.strip() for line in text.split("\n")]
