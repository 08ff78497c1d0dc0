"""Portfolio panel: every project's current map, the executor, and "map all" with one bar."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .base import Panel, error_html, esc, table_html


class PortfolioPanel(Panel):
    """All projects at once: ``wb.map_all()`` behind a button, its aggregated progress, and the
    summary of the last run beside every project's current snapshot.

    >>> PortfolioPanel(wb)      # doctest: +SKIP
    """

    title = "Portfolio"

    def __init__(self, target=None, *, project: str | None = None, **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.map_button = widgets.Button(description="map all", icon="play",
                                         layout=widgets.Layout(width="10em"))
        self.force = widgets.Checkbox(description="force", value=False, indent=False)
        self.bar = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="20em"))
        self.line = widgets.HTML("")
        self.message = widgets.HTML("")
        self.output = widgets.HTML("")
        self.run = None
        self._thread: threading.Thread | None = None
        self.map_button.on_click(lambda _: self._guard(self.start))
        self.children = [widgets.HBox([self.map_button, self.force, self.bar]), self.line,
                         self.message, self.output]
        self.refresh()

    def start(self) -> threading.Thread:
        """Map every registered project in the background; returns the thread running it."""
        if self._thread is not None and self._thread.is_alive():
            raise ValueError("a portfolio run is under way; wait for it to finish")
        self.message.value = ""

        def progress(p) -> None:  # on job threads: widget values are plain traitlets sets
            self.bar.max = max(1, p.total or 1)
            self.bar.value = p.done
            self.line.value = esc(p.message)

        def work() -> None:
            try:
                self.run = self.wb.map_all(force=self.force.value, progress=progress)
            except Exception as exc:  # noqa: BLE001 - shown in the panel
                self.message.value = error_html(exc)
            self.session._on_kernel_thread(self.refresh)

        self._thread = threading.Thread(target=work, name="workbench-portfolio", daemon=True)
        self._thread.start()
        return self._thread

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a run started here (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
        self.session.drain()

    def refresh(self) -> None:
        self.output.value = self.to_html()

    def frame(self) -> pd.DataFrame:
        """One row a project: name, status, current snapshot, commit, mapped_at, and from the
        last run here its status, attempts, seconds and worker."""
        rows = [(p.name, p.status, p.last_snapshot_id, (p.last_commit or "")[:12] or None,
                 p.last_mapped_at) for p in self.wb.projects()]
        frame = pd.DataFrame(rows, columns=["project", "status", "snapshot", "commit",
                                            "mapped_at"])
        if self.run is not None:
            last = self.run.summary[["project", "status", "attempts", "seconds", "worker",
                                     "error"]].rename(columns={"status": "last_run"})
            frame = frame.merge(last, on="project", how="left")
        return frame

    def to_html(self) -> str:
        try:
            where = self.wb.executor.describe()
        except Exception as exc:  # noqa: BLE001 - an unreachable scheduler is shown, not raised
            where = {"executor": self.wb.config.executor, "workers": "?", "threads": "?",
                     "address": f"unreachable: {exc}"}
        head = (f"<h4>Portfolio</h4><p>executor <b>{esc(where['executor'])}</b>"
                f"{' at <code>' + esc(where['address']) + '</code>' if where.get('address') else ''}"
                f" · {esc(where['workers'])} workers, {esc(where['threads'])} threads</p>")
        tail = ""
        if self.run is not None:
            tail = (f"<p>last run: {len(self.run.summary) - len(self.run.failed)}/"
                    f"{len(self.run.summary)} mapped in {self.run.seconds:.1f} s</p>")
        return head + table_html(self.frame(), empty="no projects: add some first") + tail
