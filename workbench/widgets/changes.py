"""Changes panel: architecture over time -- diff two snapshots, map more commits, metric trends
and contracts with the snapshot where each violation first appeared."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..domain import FINISHED_STATUSES
from ..errors import WorkbenchError
from ..contracts.config import parse_text
from .base import Panel, error_html, esc, snapshot_caption, table_html
from .charts import small_multiples

#: The parts of a diff in the order shown, with their headings.
DIFF_PARTS = (
    ("nodes_added", "nodes added"), ("nodes_removed", "nodes removed"),
    ("edges_added", "edges added"), ("edges_removed", "edges removed"),
    ("cycles_new", "new cycles"), ("cycles_broken", "broken cycles"),
    ("moved", "moved definitions"), ("metrics_changed", "changed metrics"),
)

WHEN = "%Y-%m-%d %H:%M"

#: Diff parts with at most this many rows are shown unfolded.
OPEN_ROWS = 12

CONTRACTS_HINT = """[[contracts]]        # empty: the repository's own contracts file
type = "layers"      # forbidden, independence, protected, private_modules, acyclic_siblings, acyclic
layers = ["app", "services", "store"]
# or paste an import-linter configuration ([importlinter] INI or [tool.importlinter] TOML)"""



def _split_refs(text: str) -> list[str]:
    return [r for r in text.replace(",", " ").split() if r]


def _date(value: Any, form: str = "%Y-%m-%d") -> str:
    return "?" if value is None or pd.isna(value) else pd.Timestamp(value).strftime(form)


def _named(ref: Any, commit: str) -> bool:
    """Whether a snapshot's ref is a name (a branch or tag), not its commit id."""
    return bool(ref) and isinstance(ref, str) and not (len(ref) >= 7 and commit.startswith(ref))


def snapshot_label(row: Any) -> str:
    """``#id commit refs · date`` for a row of ``wb.timeline()`` (refs that are names)."""
    names = ", ".join(n for n in str(row.ref or "").split(", ") if _named(n, row.commit))
    ref = f" {names}" if names else ""
    return f"#{row.snapshot} {row.commit[:10]}{ref} · {_date(row.committed_at)}"


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Commit ids cut to 12 characters, refs only where they are names, no mapping time."""
    if frame.empty:
        return frame
    readable = frame.assign(
        ref=[", ".join(n for n in str(r or "").split(", ") if _named(n, c))
             for r, c in zip(frame["ref"], frame["commit"])],
        commit=frame["commit"].str[:12]).drop(columns="mapped_at")
    if "committed_at" in readable:
        readable["committed_at"] = readable["committed_at"].map(lambda v: _date(v, WHEN))
    return readable


def _shown(part: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A diff part ready to read: cycle members as a list and one cycle as a path, metric
    changes by size of change."""
    if frame.empty:
        return frame
    if part.startswith("cycles"):
        shown = frame.assign(members=frame["members"].map(", ".join))
        if "cycle" in shown:
            shown["cycle"] = shown["cycle"].map(" -> ".join)
        return shown
    if part == "metrics_changed":
        number = lambda col: pd.to_numeric(frame[col], errors="coerce")  # noqa: E731
        change = number("new") - number("old")
        return (frame.assign(change=change).sort_values("change", key=abs, ascending=False,
                                                        na_position="last", kind="stable")
                .reset_index(drop=True))
    return frame


def _diff_nodes(diff) -> list[str]:
    """The nodes a diff touches, most telling first (added, in new cycles, moved, removed)."""
    nodes = [*diff.nodes_added["node"], *(n for m in diff.cycles_new["members"] for n in m),
             *diff.moved["new_node"], *diff.edges_added["src"], *diff.nodes_removed["node"],
             *diff.metrics_changed["node"]]
    return list(dict.fromkeys(nodes))


class ChangesPanel(Panel):
    """Architecture over time for the session's project.

    >>> panel = ChangesPanel(wb, project="flask")    # doctest: +SKIP
    >>> panel.map_history(every=100)                 # background job; the job monitor shows it
    >>> panel.compare()                              # the two newest snapshots (or give ids)
    >>> panel.trend()                                # metrics per mapped commit, oldest first
    >>> panel.check(toml_text, history=True)         # violations, with where each appeared

    Choosing a node under *select* (nodes of the diff or of the violations) selects it in the
    other panels of the session: the map shows it, the query panel fills it in.
    """

    title = "Changes"

    def __init__(self, target=None, *, project: str | None = None, max_rows: int = 50,
                 **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.max_rows = max_rows
        self.timeline: pd.DataFrame = pd.DataFrame()
        self.diff = None
        self.diff_between: tuple[int, int] | None = None
        self.trend_frame: pd.DataFrame | None = None
        self.violations: pd.DataFrame | None = None
        self.history_jobs: set[int] = set()
        wide = widgets.Layout(width="24em")
        self.old = widgets.Dropdown(description="from", layout=wide)
        self.new = widgets.Dropdown(description="to", layout=wide)
        self.compare_button = widgets.Button(description="compare", icon="exchange",
                                             button_style="primary",
                                             layout=widgets.Layout(width="8em"))
        self.refs = widgets.Text(placeholder="refs: v1.0 v2.0 main~50 (or every N / tags)",
                                 description="map at", layout=widgets.Layout(width="26em"))
        self.every = widgets.BoundedIntText(0, min=0, max=1_000_000, description="every",
                                            layout=widgets.Layout(width="10em"))
        self.tags = widgets.Checkbox(False, description="every tag", indent=False,
                                     layout=widgets.Layout(width="7em"))
        self.limit = widgets.BoundedIntText(50, min=1, max=10_000, description="at most",
                                            layout=widgets.Layout(width="10em"))
        self.map_button = widgets.Button(description="map history", icon="history",
                                         layout=widgets.Layout(width="10em"))
        self.trend_button = widgets.Button(description="trend", icon="line-chart",
                                           layout=widgets.Layout(width="7em"))
        self.contracts = widgets.Textarea(placeholder=CONTRACTS_HINT,
                                          layout=widgets.Layout(width="46em", height="8em"))
        self.history = widgets.Checkbox(False, description="first seen over history", indent=False,
                                        layout=widgets.Layout(width="14em"))
        self.check_button = widgets.Button(description="check", icon="check",
                                           layout=widgets.Layout(width="7em"))
        self.pick = widgets.Select(options=[], rows=6, description="select",
                                   layout=widgets.Layout(width="36em"))
        self.message = widgets.HTML("")
        self.diff_output = widgets.HTML("")
        self.trend_output = widgets.HTML("")
        self.check_output = widgets.HTML("")
        self.compare_button.on_click(lambda _: self._guard(self.compare))
        self.map_button.on_click(lambda _: self._guard(self.map_history))
        self.trend_button.on_click(lambda _: self._guard(self.trend))
        self.check_button.on_click(lambda _: self._guard(self.check))
        self.pick.observe(self._on_pick, "value")
        self.children = [
            self.caption(),
            widgets.HBox([self.old, self.new, self.compare_button]), self.message, self.pick,
            self.diff_output,
            widgets.HTML("<b>Map more commits</b>"),
            widgets.HBox([self.refs, self.every, self.tags, self.limit, self.map_button]),
            widgets.HBox([widgets.HTML("<b>Trend</b>"), self.trend_button]), self.trend_output,
            widgets.HTML("<b>Contracts</b> (checked at the <i>to</i> snapshot)"), self.contracts,
            widgets.HBox([self.history, self.check_button]), self.check_output,
        ]
        self.session.observe(lambda _: self._clear(), "project")
        self.session.observe(lambda _: self._guard(self.refresh), "snapshot_id")
        self.session.on_job(self._on_job)
        self._guard(self.refresh)

    def _project(self) -> str:
        if self.session.project is None:
            raise WorkbenchError("no project: open or map a project first")
        return self.session.project

    def _clear(self) -> None:
        """Another project: forget what was shown for the last one."""
        self.diff = self.diff_between = self.trend_frame = self.violations = None
        self.diff_output.value = self.trend_output.value = self.check_output.value = ""
        self._offer([])
        self.message.value = ""
        self._guard(self.refresh)

    # -- snapshots -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the project's snapshots; keep the chosen pair when both still exist, else
        choose the two newest."""
        if self.session.project is None:
            self.timeline = pd.DataFrame()
            self.old.options = self.new.options = []
            self.message.value = "<i>no project yet: open or map one</i>"
            return
        self.timeline = self.wb.timeline(self.session.project)
        options = [(snapshot_label(r), int(r.snapshot)) for r in self.timeline.itertuples()]
        ids = [v for _, v in options]
        keep = (self.old.value, self.new.value)
        self.old.options, self.new.options = options, options
        if keep[0] in ids and keep[1] in ids and (keep[0] != keep[1] or len(ids) < 2):
            self.old.value, self.new.value = keep
        elif ids:
            self.old.value, self.new.value = ids[max(0, len(ids) - 2)], ids[-1]
        if len(ids) < 2:
            self.message.value = (f"<b>{esc(self.session.project)}</b> has {len(ids)} mapped "
                                  "commit(s): map more below to compare them")

    # -- verbs (the buttons call these) -----------------------------------------------------------

    def compare(self, old: int | None = None, new: int | None = None):
        """Diff snapshot ``old`` against ``new`` (ids; default: the dropdowns) and show it."""
        project = self._project()
        self.fill(old=None if old is None else int(old), new=None if new is None else int(new))
        if self.old.value is None or self.new.value is None:
            raise WorkbenchError(f"{project} has no snapshots yet: map it first")
        self.diff = self.wb.diff(project, self.old.value, self.new.value)
        self.diff_between = (self.old.value, self.new.value)
        counts = ", ".join(f"{len(getattr(self.diff, p))} {h}" for p, h in DIFF_PARTS)
        self.message.value = f"{esc(self._between())}: {esc(counts)}"
        self.diff_output.value = self._diff_html()
        nodes = _diff_nodes(self.diff)
        self._offer(nodes)
        self.session.highlight = nodes[:50]
        return self.diff

    def map_history(self, refs: list[str] | str | None = None, every: int | None = None,
                    tags: bool | None = None, limit: int | None = None):
        """Map the project at ``refs``, every ``every``-th commit or every tag (default: the
        form) in the background; returns the job handle. The lists refresh when it is done."""
        project = self._project()
        self.fill(refs=refs if refs is None or isinstance(refs, str) else " ".join(refs),
                  every=every, tags=tags, limit=limit)
        handle = self.session.start_map_history(
            project, refs=_split_refs(self.refs.value) or None, every=self.every.value or None,
            tags=self.tags.value, limit=self.limit.value)
        self.history_jobs.add(handle.id)
        self.message.value = f"mapping the history of <b>{esc(project)}</b> (job {handle.id})"
        return handle

    def trend(self) -> pd.DataFrame:
        """Metrics per mapped commit, oldest first (with the commit date), shown as a table;
        with contracts typed in, also their violations and broken contracts per commit."""
        text = self.contracts.value.strip()
        raw = self.wb.trend(self._project(), contracts=parse_text(text) if text else None)
        frame = _readable(raw)
        frame.attrs["note"] = raw.attrs.get("note", "")
        self.trend_frame = frame
        self.trend_output.value = self._trend_html()
        return frame

    def check(self, contracts: str | None = None, history: bool | None = None) -> pd.DataFrame:
        """Check contracts (workbench TOML or an import-linter configuration, INI or TOML;
        default: the text area, empty: the repository's own file) at the *to* snapshot; with
        ``history`` also say where each violation appeared and how each contract trended."""
        project = self._project()
        self.fill(contracts=contracts, history=history)
        text = self.contracts.value.strip()
        rules = parse_text(text) if text else None
        if rules is not None and not len(rules):
            raise ValueError("no contracts in the text (leave it empty for the repository's own "
                             "workbench-contracts.toml or import-linter configuration)")
        frame = self.wb.check(project, rules, snapshot_id=self.new.value,
                              history=self.history.value)
        sid = self.new.value
        frame.insert(frame.columns.get_loc("line") + 1, "import",
                     [self._line_text(sid, node, line)
                      for node, line in zip(frame["importer"], frame["line"])])
        self.violations = frame
        self.message.value = (f"{len(frame)} contract violation{'' if len(frame) == 1 else 's'}"
                              f" at {esc(self._label(sid))}")
        self.check_output.value = self._violations_html()
        self._offer(list(dict.fromkeys([*frame["importer"], *frame["imported"]])))
        return frame

    # -- view ---------------------------------------------------------------------------------------

    def _line_text(self, snapshot_id: int | None, node: str, line: Any) -> str:
        """The source text of ``line`` in module ``node`` (the import that breaks a contract)."""
        if line is None or pd.isna(line):
            return ""
        try:
            lines = dict(self.wb.source(self._project(), node, snapshot_id=snapshot_id,
                                        limit=int(line)))
        except WorkbenchError:
            return ""
        return lines.get(int(line), "").strip()

    def _offer(self, nodes: list[str]) -> None:
        self.pick.options = nodes[:500]
        self.pick.value = None

    def _on_pick(self, change) -> None:
        if change["new"]:
            self.session.selected = change["new"]

    def _on_job(self, p, label: str) -> None:
        if p.job_id not in self.history_jobs or p.status not in FINISHED_STATUSES:
            return
        info = self.wb.job(p.job_id)
        if p.status != "succeeded":
            self.message.value = error_html(WorkbenchError(
                f"mapping the history of {label} {p.status}: {info.error or info.message}"))
            return
        commits = len((info.result or {}).get("commits", []))
        self.message.value = f"mapped {commits} commits of <b>{esc(label)}</b> (job {p.job_id})"
        if label == self.session.project:
            self._guard(self.refresh)
            if self.trend_frame is not None:
                self._guard(self.trend)

    def _label(self, snapshot_id: int | None) -> str:
        return dict((v, k) for k, v in self.new.options).get(snapshot_id, str(snapshot_id))

    def _between(self) -> str:
        old, new = self.diff_between or (None, None)
        return f"{self._label(old)} → {self._label(new)}"

    def _diff_html(self) -> str:
        """A part per foldable section headed by its count; short parts start open."""
        if self.diff is None:
            return ""
        note = getattr(self.diff, "note", "")
        sections = [f"<pre class='wb-note' style='white-space:pre-wrap;margin:2px 0'>{esc(note)}</pre>"
                    if note else ""]
        for part, heading in DIFF_PARTS:
            frame = getattr(self.diff, part)
            opened = " open" if 0 < len(frame) <= OPEN_ROWS else ""
            sections.append(
                f"<details{opened}><summary><b>{esc(heading)} ({len(frame)})</b></summary>"
                + table_html(_shown(part, frame), max_rows=self.max_rows, empty=f"no {heading}")
                + "</details>")
        return "".join(sections)

    def _trend_html(self) -> str:
        frame = self.trend_frame
        metrics = [c for c in frame.columns
                   if c not in ("snapshot", "commit", "ref", "committed_at", "label")]
        chart = small_multiples(frame, "label" if "label" in frame else "commit", metrics,
                                title="metrics per mapped commit")
        note = frame.attrs.get("note")
        note = ("<p><small>x-axis: the tag or branch of each commit, else its date"
                + (f"; {esc(note)}" if note else "") + "</small></p>")
        return note + chart + table_html(frame, max_rows=self.max_rows, empty="no snapshots")

    def _violations_html(self) -> str:
        v = self.violations
        where = " (with the snapshot where each first appeared)" if "first_commit" in v else ""
        verdicts = pd.DataFrame(v.attrs.get("contracts", []))
        kept = int((verdicts["status"] == "kept").sum()) if not verdicts.empty else 0
        parts = [f"<h5>contracts: {kept} kept, {len(verdicts) - kept} not kept</h5>",
                 table_html(verdicts, max_rows=self.max_rows, empty="no contracts")]
        if v.attrs.get("trend"):
            trend = pd.DataFrame(v.attrs["trend"]).pivot_table(
                index=["snapshot", "commit"], columns="contract", values="violations",
                aggfunc="sum", sort=False).reset_index()
            parts += ["<h5>violations per mapped commit</h5>",
                      table_html(trend, max_rows=self.max_rows, empty="")]
        return "".join(parts) + f"<h5>violations ({len(v)}){where}</h5>" + table_html(
            v, max_rows=self.max_rows, empty="no violations")

    def to_html(self) -> str:
        project = self.session.project
        if project is None:
            return "<h4>Changes</h4><p><i>no project yet</i></p>"
        parts = [f"<h4>Changes · {esc(project)}</h4>", snapshot_caption(self.session),
                 f"<h5>mapped commits ({len(self.timeline)})</h5>",
                 table_html(_readable(self.timeline), max_rows=self.max_rows,
                            empty="no snapshots yet")]
        if self.diff is not None:
            parts += [f"<h5>diff {esc(self._between())}</h5>", self._diff_html()]
        if self.trend_frame is not None:
            parts += ["<h5>trend</h5>", self._trend_html()]
        if self.violations is not None:
            parts += ["<h5>contracts</h5>", self._violations_html()]
        return "".join(parts)
