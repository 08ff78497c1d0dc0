"""Data frames as the plain-text tables the command line prints.

A missing value is shown one way, as an empty cell, whatever holds it: ``None`` in an object
column, ``NaN`` in a float column, ``NaT`` in a time column, ``<NA>`` in a nullable integer,
boolean or string column. (A column whose values are all present keeps its dtype's
formatting.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def table_text(frame: "pd.DataFrame", **options) -> str:
    """``frame.to_string(index=False, na_rep="")`` with ``None`` and ``pd.NA`` shown empty too.

    ``options`` go to :meth:`pandas.DataFrame.to_string` (e.g. ``max_colwidth``).
    """
    import pandas as pd

    shown = frame
    for column in frame.columns:
        values = frame[column]
        if (values.isna().any() and not pd.api.types.is_float_dtype(values.dtype)
                and not pd.api.types.is_datetime64_any_dtype(values.dtype)):
            if shown is frame:
                shown = frame.copy()
            # to_string's na_rep reaches NaN and NaT only: None in an object column prints
            # "None", pd.NA of a nullable column "<NA>"
            shown[column] = values.astype(object).where(values.notna(), "")
    return shown.to_string(index=False, na_rep="", **options)
