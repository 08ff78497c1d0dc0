"""Status dashboard: where the data lives, the projects and the recent jobs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..domain import FINISHED_STATUSES
from .base import Panel, esc, table_html


class StatusDashboard(Panel):
    """``wb.status()`` at a glance, with a refresh button.

    >>> StatusDashboard(wb)      # doctest: +SKIP
    """

    title = "Status"

    def __init__(self, target=None, *, project: str | None = None, **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.status: dict[str, Any] = {}
        self.refresh_button = widgets.Button(description="refresh", icon="refresh",
                                             layout=widgets.Layout(width="8em"))
        self.output = widgets.HTML("")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.children = [self.refresh_button, self.output]
        self.session.on_job(lambda p, _: p.status in FINISHED_STATUSES and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.status = self.wb.status()
        self.output.value = self.to_html()

    def to_html(self) -> str:
        s = self.status or self.wb.status()
        projects, jobs = s["projects"], s["jobs"]
        by_status = Counter(p.status for p in projects)
        job_status = Counter(j.status for j in jobs)
        cards = [("projects", len(projects)), ("mapped", by_status.get("mapped", 0)),
                 ("database", f'{s["database_bytes"] / 1e6:.1f} MB'),
                 ("schema", s["schema_version"]), ("running jobs", job_status.get("running", 0)),
                 ("failed jobs", job_status.get("failed", 0))]
        card_html = "".join(
            f'<div style="display:inline-block;margin:0 10px 6px 0;padding:6px 10px;border:1px solid #ddd;'
            f'border-radius:4px"><div style="font-size:18px"><b>{esc(v)}</b></div>'
            f'<div style="color:#666">{esc(k)}</div></div>' for k, v in cards)
        names = {p.id: p.name for p in projects}
        pframe = pd.DataFrame([(p.name, p.status, (p.last_commit or "")[:12], p.last_snapshot_id,
                                p.last_mapped_at) for p in projects],
                              columns=["project", "status", "commit", "snapshot", "mapped_at"])
        jframe = pd.DataFrame([(j.id, j.type, names.get(j.project_id), j.status, j.message,
                                (j.error or "").splitlines()[0][:120] if j.error else "",
                                j.created_at) for j in jobs],
                              columns=["job", "type", "project", "status", "message", "error", "created"])
        return (f"<h4>Status</h4><p>data directory <code>{esc(s['data_dir'])}</code></p>{card_html}"
                "<h5>Projects</h5>" + table_html(pframe, empty="no projects") +
                "<h5>Recent jobs</h5>" + table_html(jframe, empty="no jobs"))
