"""Small charts as inline PNG ``<img>`` HTML: the same markup serves a live widget and the
HTML fallback in papermill outputs.

Figures are drawn with matplotlib's object API on the Agg canvas, never through ``pyplot``:
no global figure state, nothing shown twice by the inline backend, safe from any thread.
"""

from __future__ import annotations

import base64
import io
from typing import Sequence

import pandas as pd


def small_multiples(frame: pd.DataFrame, x: str, columns: Sequence[str], *,
                    title: str = "", per_row: int = 4) -> str:
    """One small line chart per column of ``frame`` against ``x`` (an ``<img>`` tag).

    Each metric gets its own y axis (modules and call edges differ by orders of magnitude);
    ``""`` when there is nothing to draw (fewer than two rows, or no numeric column).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    shown = [c for c in columns if c in frame and pd.api.types.is_numeric_dtype(frame[c])
             and frame[c].notna().any()]
    if len(frame) < 2 or not shown:
        return ""
    rows = -(-len(shown) // per_row)
    cols = min(per_row, len(shown))
    fig = Figure(figsize=(2.6 * cols, 1.9 * rows), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    labels = [str(v) for v in frame[x]]
    positions = range(len(frame))
    for i, column in enumerate(shown):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.plot(positions, frame[column], marker="o", markersize=3, linewidth=1.4)
        ax.set_title(column.replace("_", " "), fontsize=9)
        ax.tick_params(labelsize=7)
        step = max(1, len(labels) // 4)
        ax.set_xticks(list(positions)[::step], labels[::step], rotation=30, ha="right")
        ax.grid(alpha=0.3)
        if pd.api.types.is_integer_dtype(frame[column]):
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.25 cycles
    if title:
        fig.suptitle(title, fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = f"{title or 'trend'}: " + ", ".join(shown)
    return f'<img src="data:image/png;base64,{data}" alt="{alt}" style="max-width:100%">'


__all__ = ["small_multiples"]
