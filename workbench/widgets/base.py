"""What every panel shares: a session (workbench, current project and snapshot, selection,
background jobs) and a ``Panel`` base class that renders an HTML fallback without a frontend.

A panel is an ``ipywidgets.VBox``. In JupyterLab the widget view renders; in a headless run
(papermill, nbconvert) the output also carries ``text/html`` from :meth:`Panel.to_html`, which
nbconvert shows when no widget state is stored (the batch runner stores none).
"""

from __future__ import annotations

import html
import logging
import math
import queue
import sys
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

import ipywidgets as widgets
import pandas as pd
import traitlets

from ..errors import WorkbenchError
from ..jobs import Progress

if TYPE_CHECKING:  # pragma: no cover
    from ..facade import Workbench
    from ..jobs import JobHandle
    from ..snapshot import Snapshot

log = logging.getLogger(__name__)

JobListener = Callable[[Progress, str], None]


class Session(traitlets.HasTraits):
    """The state panels share: which project and snapshot, what is selected and highlighted.

    >>> session = Session(Workbench("data"), project="flask")   # doctest: +SKIP
    >>> session.start_map("flask")                              # a JobHandle; kernel stays free
    >>> session.snapshot()                                      # the snapshot shown now

    Jobs started here (:meth:`start_map`, :meth:`start_map_history`, or any job through
    :meth:`track`) report progress to every listener added with :meth:`on_job`
    (``listener(progress, label)``, the label being the project name for map jobs), from the
    job's thread; :meth:`job_kind` says what the job does.
    """

    project = traitlets.Unicode(None, allow_none=True)
    snapshot_id = traitlets.Int(None, allow_none=True)
    selected = traitlets.Unicode(None, allow_none=True)
    highlight = traitlets.List(traitlets.Unicode())
    #: Counts in-place updates of the shown snapshot (a finished ``blame``): panels observe it.
    refreshed = traitlets.Int(0)

    def __init__(self, wb: "Workbench", *, project: str | None = None) -> None:
        super().__init__()
        self.wb = wb
        self.handles: dict[int, "JobHandle"] = {}
        self.kinds: dict[int, str] = {}
        self._seen: set[int] = set()
        self._listeners: list[JobListener] = []
        self._snapshot: "Snapshot | None" = None
        self._lock = threading.Lock()
        self._pending: queue.SimpleQueue = queue.SimpleQueue()
        if project is not None:
            self.open(project)

    @classmethod
    def of(cls, target: "Session | Workbench | str | None", project: str | None = None) -> "Session":
        """A session from a session (kept), a workbench, or a data directory (None = default)."""
        if isinstance(target, Session):
            if project is not None and project != target.project:
                target.open(project)
            return target
        from ..facade import Workbench

        wb = target if isinstance(target, Workbench) else Workbench(target)
        return cls(wb, project=project)

    # -- project and snapshot --------------------------------------------------------------------

    def open(self, project: str, snapshot_id: int | None = None) -> None:
        """Show ``project`` (its current snapshot, or ``snapshot_id``) in every panel."""
        info = self.wb.project(project).info  # raises ProjectNotFound with the fix
        sid = snapshot_id if snapshot_id is not None else info.last_snapshot_id
        with self.hold_trait_notifications():
            self.selected = None
            self.highlight = []
            self.project = project
            self.snapshot_id = sid

    def snapshot(self) -> "Snapshot | None":
        """The snapshot panels show, or None when the project has not been mapped."""
        if self.project is None or self.snapshot_id is None:
            return None
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.id != self.snapshot_id:
                snap = self.wb.snapshot(self.project, snapshot_id=self.snapshot_id)
                self._snapshot = snap
            return snap

    # -- background jobs -------------------------------------------------------------------------

    def on_job(self, listener: JobListener) -> None:
        self._listeners.append(listener)

    def start_map(self, project: str, *, ref: str | None = None, force: bool = False,
                  name: str | None = None) -> "JobHandle":
        """Map ``project`` (a name, URL or path) in the background (``wb.map(wait=False)``);
        listeners see its progress and, when it succeeds, the session shows the new snapshot."""
        label = self.wb.resolve_project(project, name=name).name  # registers a new URL/path
        return self.track("map", label, lambda progress: self.wb.map(
            label, ref=ref, force=force, wait=False, progress=progress))

    def start_map_history(self, project: str, *, refs: list[str] | None = None,
                          every: int | None = None, tags: bool = False,
                          limit: int = 50) -> "JobHandle":
        """Map ``project`` at several commits in the background (``wb.map_history(wait=False)``);
        listeners see its progress. The session keeps showing the snapshot it shows."""
        return self.track("map_history", project, lambda progress: self.wb.map_history(
            project, refs=refs, every=every, tags=tags, limit=limit, wait=False,
            progress=progress))

    def start_blame(self, project: str) -> "JobHandle":
        """Blame the files of ``project``'s current snapshot that no map blamed yet, in the
        background (``wb.blame(wait=False)``); when it succeeds the session reloads the
        snapshot, so panels show the filled owner columns."""
        return self.track("blame", project, lambda progress: self.wb.blame(
            project, wait=False, progress=progress))

    def track(self, kind: str, label: str,
              start: Callable[[Callable[[Progress], None]], "JobHandle"]) -> "JobHandle":
        """Start a background job and report its progress to the listeners under ``label``.

        ``start(progress)`` starts the job with ``progress`` as its callback and returns its
        handle (for example ``lambda progress: wb.batch.start(nb, progress=progress)``);
        :meth:`job_kind` tells listeners the ``kind`` of each job.
        """
        def progress(p: Progress) -> None:  # on the job's thread
            self._on_kernel_thread(self._job_progress, p, label, kind)

        handle = start(progress)
        handle.after_result = self.drain  # result() returns with the session up to date
        self.kinds[handle.id] = kind
        self.handles[handle.id] = handle
        if handle.id not in self._seen:  # the job may have reported already
            self._dispatch(Progress(handle.id, 0, None, "queued", "queued"), label)
        return handle

    def job_kind(self, job_id: int) -> str | None:
        """What a job started here does (``map``, ``map_history``, ``batch`` ...), or None."""
        return self.kinds.get(job_id)

    def _job_progress(self, p: Progress, label: str, kind: str) -> None:
        self.kinds[p.job_id] = kind
        self._seen.add(p.job_id)
        snapshot = Progress(p.job_id, p.done, p.total, p.message, p.status)
        self._dispatch(snapshot, label)
        if p.status == "succeeded" and kind == "map":
            try:
                result = self.wb.job(p.job_id).result or {}
            except WorkbenchError:
                log.exception("reading the result of job %s", p.job_id)
                return
            if result.get("snapshot_id") is not None and self.project in (None, label):
                self.open(label, result["snapshot_id"])
        if p.status == "succeeded" and kind == "blame" and self.project == label:
            with self._lock:
                self._snapshot = None  # its owner columns and statistics changed in place
            self.refreshed += 1

    def _dispatch(self, p: Progress, label: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(p, label)
            except Exception:  # noqa: BLE001 - a broken view must not fail the job
                log.exception("job listener %r failed", listener)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for every job this session started (for scripts and tests)."""
        for handle in list(self.handles.values()):
            try:
                handle.result(timeout)
            except Exception:  # noqa: BLE001 - failures are shown by the job monitor
                pass
        self.drain()

    def _on_kernel_thread(self, fn: Callable[..., Any], *args: Any) -> None:
        """Call ``fn(*args)`` on the kernel's thread (see :func:`_kernel_loop`): queued
        here, run by the kernel's IOLoop or by :meth:`drain`, whichever comes first."""
        loop = _kernel_loop() if threading.current_thread() is not threading.main_thread() else None
        if loop is None:
            fn(*args)
            return
        self._pending.put((fn, args))
        loop.add_callback(self.drain)

    def drain(self) -> None:
        """Run the updates job threads queued for the kernel's thread, in order (called on it:
        by the kernel's IOLoop, by :meth:`wait`, and when a tracked job's ``result()`` returns)."""
        if threading.current_thread() is not threading.main_thread():
            return
        while True:
            try:
                fn, args = self._pending.get_nowait()
            except queue.Empty:
                return
            fn(*args)


def _kernel_loop():
    """The IOLoop of the IPython kernel this process runs, or None outside a kernel.

    Widget state (traitlets, ipywidgets) must change on the kernel's thread, not on a job's
    thread, or the front end may see updates out of order; ``add_callback`` is thread-safe."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None) if ipython is not None else None
    kernel = getattr(get(), "kernel", None) if get is not None else None
    return getattr(kernel, "io_loop", None)


class Panel(widgets.VBox):
    """Base of every panel: a VBox bound to a :class:`Session` with an HTML fallback.

    Subclasses build their children in ``__init__``, redraw in :meth:`refresh` and describe
    themselves for headless output in :meth:`to_html`.
    """

    title = "Panel"

    def __init__(self, target: "Session | Workbench | str | None" = None, *,
                 project: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = Session.of(target, project)
        self.add_class("wb-panel")

    @property
    def wb(self) -> "Workbench":
        return self.session.wb

    def refresh(self) -> None:
        """Re-read what the panel shows from the workbench."""

    def caption(self) -> widgets.HTML:
        """A line naming the snapshot the panel shows (id, refs, commit, dates, exclusions,
        current or not), kept up to date as the session changes snapshot."""
        if getattr(self, "_caption", None) is None:
            self._caption = widgets.HTML(snapshot_caption(self.session))
            self._caption.add_class("wb-snapshot")
            self.session.observe(lambda _: setattr(self._caption, "value",
                                                   snapshot_caption(self.session)),
                                 ["project", "snapshot_id"])
        return self._caption

    def _guard(self, action: Callable[[], Any]) -> None:
        """Run what a button asks for; a user error (a :class:`WorkbenchError` or
        ``ValueError``) is shown in the panel's ``message`` widget, never as a traceback."""
        try:
            action()
        except (WorkbenchError, ValueError) as exc:
            self.message.value = error_html(exc)

    def fill(self, **fields: Any) -> None:
        """Set form widgets by attribute name (``fill(node="x")`` sets ``self.node.value``);
        None leaves a field as it is. Verbs take their arguments this way."""
        for name, value in fields.items():
            if value is not None:
                getattr(self, name).value = value

    def to_html(self) -> str:
        return f"<h4>{esc(self.title)}</h4>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        try:
            bundle["text/html"] = f'<div class="wb-fallback">{self.to_html()}</div>'
        except Exception as exc:  # noqa: BLE001 - the fallback never hides the widget
            bundle["text/html"] = f"<p>{esc(self.title)}: {esc(str(exc))}</p>"
        bundle.setdefault("text/plain", f"<{type(self).__name__}>")
        return bundle


# -- small rendering helpers ------------------------------------------------------------------------

def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


#: Rows a table shows at once; longer answers are paged (see :class:`Pager`).
PAGE_ROWS = 25
#: Height of the frame a table scrolls in, in pixels (wide tables scroll sideways in it too).
TABLE_HEIGHT = 360

_CELL = "white-space:nowrap;padding:2px 8px;border-bottom:1px solid #eee;"


def _cell(value: Any, escape: bool) -> str:
    if isinstance(value, (list, tuple)):
        value = " → ".join(map(str, value))
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.strftime("%Y-%m-%d %H:%M")
    return esc(value) if escape else str(value)


def _numeric(series: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)) \
        or (series.dtype == object and series.dropna().map(
            lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()
            and series.notna().any())


def table_html(frame: pd.DataFrame, *, max_rows: int = 50, empty: str = "nothing to show",
               raw: tuple[str, ...] = (), page: int = 0, height: int = TABLE_HEIGHT) -> str:
    """A DataFrame as a compact HTML table that stays readable.

    Rows ``page * max_rows`` up to ``max_rows`` more are shown (with ``rows 1–25 of 90``
    when cut); the table scrolls inside a frame at most ``height`` px tall and as wide as the
    output (cells never wrap, the header stays on top); numeric columns and their headers are
    right-aligned (class ``wb-num``). Text is escaped, except in the ``raw`` columns, which
    hold HTML (links, say).
    """
    if frame is None or frame.empty:
        return f"<p><i>{esc(empty)}</i></p>"
    total = len(frame)
    pages = max(1, -(-total // max_rows))
    page = min(max(page, 0), pages - 1)
    start = page * max_rows
    shown = frame.iloc[start:start + max_rows]
    numeric = {col: _numeric(frame[col]) for col in frame.columns}
    head = "".join(
        f"<th class='{'wb-num' if numeric[c] else 'wb-text'}' style='{_CELL}position:sticky;"
        f"top:0;background:#f5f6f8;text-align:{'right' if numeric[c] else 'left'}'>{esc(c)}</th>"
        for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(
            f"<td class='{'wb-num' if numeric[c] else 'wb-text'}' style='{_CELL}"
            f"text-align:{'right' if numeric[c] else 'left'}'>{_cell(v, c not in raw)}</td>"
            for c, v in zip(frame.columns, row)) + "</tr>"
        for row in shown.itertuples(index=False, name=None))
    table = (f"<div class='wb-scroll' style='max-height:{height}px;max-width:100%;overflow:auto;"
             f"border:1px solid #e3e3e3'><table class='wb-table' style='border-collapse:collapse;"
             f"font-size:12px'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
    if total > max_rows:
        table += (f"<p class='wb-rows'><i>rows {start + 1}–{start + len(shown)} of {total}"
                  + (f" (page {page + 1} of {pages})" if pages > 1 else "") + "</i></p>")
    return table


class Pager(widgets.HBox):
    """Previous / next buttons over a table shown ``rows`` at a time in an HTML widget.

    >>> pager = Pager(output, rows=25)      # doctest: +SKIP
    >>> pager.show(frame)                   # page 1; the buttons page through it
    """

    def __init__(self, output: widgets.HTML, *, rows: int = PAGE_ROWS,
                 empty: str = "nothing to show") -> None:
        self.output, self.rows, self.empty = output, rows, empty
        self.frame: pd.DataFrame | None = None
        self.page = 0
        self.prev = widgets.Button(description="previous", icon="arrow-left",
                                   layout=widgets.Layout(width="8em"))
        self.next = widgets.Button(description="next", icon="arrow-right",
                                   layout=widgets.Layout(width="8em"))
        self.label = widgets.HTML("")
        self.prev.on_click(lambda _: self.turn(-1))
        self.next.on_click(lambda _: self.turn(1))
        super().__init__([self.prev, self.label, self.next])
        self.add_class("wb-pager")
        self.layout.display = "none"

    @property
    def pages(self) -> int:
        return 1 if self.frame is None else max(1, -(-len(self.frame) // self.rows))

    def show(self, frame: pd.DataFrame | None, page: int = 0) -> None:
        self.frame = frame
        self.turn(page - self.page if frame is not None else 0, absolute=page)

    def turn(self, step: int, *, absolute: int | None = None) -> None:
        """Show the page ``step`` pages on (or page number ``absolute``, from 0)."""
        target = absolute if absolute is not None else self.page + step
        self.page = min(max(target, 0), self.pages - 1)
        self.output.value = table_html(self.frame, max_rows=self.rows, page=self.page,
                                       empty=self.empty)
        self.prev.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        self.label.value = f"<span style='padding:0 8px'>page {self.page + 1} of {self.pages}</span>"
        self.layout.display = None if self.pages > 1 else "none"


def snapshot_caption(session: Session) -> str:
    """HTML naming the session's snapshot: ``flask · snapshot #12 · 3.0.0 @ 1a2b… · …``."""
    try:
        snap = session.snapshot()
    except WorkbenchError as exc:
        return error_html(exc)
    if snap is None:
        return "<small><i>no snapshot yet</i></small>"
    return (f"<small style='color:#555'>{esc(session.project)} · snapshot "
            f"{esc(snap.describe())}</small>")


def error_html(exc: BaseException) -> str:
    return f'<span style="color:#b00020">error: {esc(exc)}</span>'


class Throttle:
    """True at most every ``interval`` seconds per key, and always for the last update."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self._last: dict[Any, float] = {}

    def __call__(self, key: Any, final: bool = False) -> bool:
        now = time.monotonic()
        if final or now - self._last.get(key, 0.0) >= self.interval:
            self._last[key] = now
            return True
        return False
