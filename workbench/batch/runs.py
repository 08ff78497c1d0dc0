"""Batch runs: a notebook executed headless by papermill, recorded in the ``runs`` table.

A run is checked before anything executes (the notebook exists, parameter names are
identifiers its ``parameters`` cell declares, values are JSON types), queued as a row, marked
running with its output paths, and finished with its duration, or with the failing cell and
error. Outputs go to ``<runs dir>/<notebook stem>/<UTC time>-<notebook name>`` (``.ipynb`` and
``.html``; the runs directory is ``Config.runs_dir``, ``data/runs``); names are reserved with an
exclusive create, so runs at the same moment never collide. An output directory is confined to the runs directory
(see :meth:`BatchRuns.output_dir`) and stored as an absolute path. The database is only
touched in short transactions before and after the notebook executes, never during.
"""

from __future__ import annotations

import json
import keyword
import logging
import math
import os
import re
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import (BatchError, InvalidNotebook, InvalidParameters, NotebookNotFound,
                      OutputOutsideRuns, OutputPathError, ReportError, WorkbenchError)
from ..output_paths import output_dir as ensure_dir
from ..store import Store
from .declared import DATA_DIR_PARAMETER, declared_parameters, refuse_undeclared
from .records import RunInfo, RunStatus, existing_output
from .report import execute_notebook, notebooks_dir, reserve_output

log = logging.getLogger("workbench.batch")


def validate_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters as a plain JSON-ready dict, or :class:`InvalidParameters` saying why not."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise InvalidParameters(
            f"parameters must be a mapping of names to values, not {type(parameters).__name__}")
    checked: dict[str, Any] = {}
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise InvalidParameters(
                f"parameter name {name!r} is not a Python identifier; use letters, digits and "
                "underscores, not starting with a digit", parameter=str(name))
        checked[name] = _json_value(value, name)
    return checked


def parse_parameters(pairs: Iterable[tuple[str, str]],
                     declared: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """``(name, text)`` pairs as a dict, as the CLI's ``-p name value`` and the batch panel
    read them. A parameter the notebook declares with a type (``declared``, from
    :func:`declared_parameters`) is read as that type: ``-p ref 1.0`` stays the string
    ``"1.0"`` for ``ref: "Optional[str]" = None``, ``-p depth x`` for ``depth = 1`` is refused.
    Other values are JSON when they parse (``2``, ``true``, ``null``, ``[1, 2]``, ``"3"``),
    else the plain string."""
    declared = declared or {}
    params: dict[str, Any] = {}
    for name, raw in pairs:
        if name in params:
            raise InvalidParameters(f"parameter {name!r} is given twice", parameter=name)
        params[name] = _typed(name, raw, declared.get(name))
    return params


_TYPES = ("str", "int", "float", "bool", "list", "dict")


def _typed(name: str, raw: str, declared: str | None) -> Any:
    """``raw`` read as the declared type (``"str"``, ``"int | None"``, ...), or as JSON."""
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    if not declared:
        return value
    kinds = [k.strip() for k in declared.replace("Optional[", "").rstrip("]").split("|")]
    if value is None and ("None" in kinds or "Optional[" in declared):
        return None
    for kind in (k for k in kinds if k in _TYPES):
        if kind == "str":
            return value if isinstance(value, str) else raw
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if kind == "list" and isinstance(value, list) or kind == "dict" and isinstance(value, dict):
            return value
    if not any(k in _TYPES for k in kinds):
        return value
    raise InvalidParameters(f"parameter {name} is declared {declared} in the notebook; "
                            f"{raw!r} is not one (give e.g. -p {name} "
                            f"{_EXAMPLES.get(kinds[0], 'VALUE')})", parameter=name)


_EXAMPLES = {"int": "3", "float": "0.5", "bool": "true", "list": "'[1, 2]'",
             "dict": "'{\"a\": 1}'"}


def raise_for_runs(runs: Iterable[RunInfo]) -> None:
    """Raise one :class:`BatchError` naming every failed run among ``runs`` (none: return)."""
    runs = list(runs)
    failed = [r for r in runs if not r.ok]
    if failed:
        raise BatchError(f"{len(failed)} of {len(runs)} runs failed: "
                         + "; ".join(f"#{r.id} ({r.error})" for r in failed))


def _json_value(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidParameters(f"parameter {where} is {value}, which JSON cannot hold",
                                    parameter=where)
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidParameters(
                    f"parameter {where} has the key {key!r}; JSON object keys must be strings",
                    parameter=where)
            out[key] = _json_value(item, f"{where}[{key!r}]")
        return out
    raise InvalidParameters(
        f"parameter {where} is a {type(value).__name__}, not a JSON value; use null, true/false, "
        "a number, a string, a list or an object", parameter=where)


def resolve_notebook(notebook: str | Path) -> Path:
    """An existing ``.ipynb`` by path, or by name in the project's ``notebooks/`` directory."""
    path = Path(notebook).expanduser()
    candidates = [path]
    if not path.is_absolute():  # names relative to notebooks/ (``reports/portfolio_report``)
        try:
            shelf = notebooks_dir()
        except ReportError:
            shelf = None
        if shelf is not None:
            candidates += [shelf / path, shelf / f"{path}.ipynb"]
    for candidate in candidates:
        if candidate.is_file():
            if candidate.suffix != ".ipynb":
                raise NotebookNotFound(f"{candidate} is not a notebook (.ipynb)",
                                       notebook=str(candidate))
            _check_notebook(candidate)
            return candidate.resolve()
    raise NotebookNotFound(
        f"no notebook at {notebook}; give a path to an .ipynb file or the name of one in "
        "notebooks/", notebook=str(notebook))


def _check_notebook(path: Path) -> None:
    """Refuse a file that is no Jupyter notebook (format 4) before a run is recorded or an
    output name reserved: nbformat's own words about it would be the run's error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        why = f"it cannot be read ({exc})"
    except ValueError as exc:
        why = f"it is not JSON ({exc})"
    else:
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            why = "it has no list of cells"
        elif data.get("nbformat") != 4:
            why = f"its format is {data.get('nbformat')!r}, not 4"
        else:
            return
    raise InvalidNotebook(f"{path} is not a Jupyter notebook: {why}; open it in Jupyter and "
                          "save it, or give another file", notebook=str(path))


#: Who asked for a run's output directory: only a person may name one outside the runs dir.
ORIGINS = ("user", "agent", "webhook", "schedule")


def safe_stem(notebook: Path) -> str:
    """The notebook's stem as a directory name: no separators, never ``.``/``..`` or empty
    (``...ipynb`` has the stem ``..``)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", notebook.stem).strip(".-")
    return cleaned[:100] or "notebook"


def runner_id() -> str:
    """Who executes a run or claims a schedule: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class BatchRuns:
    """Executes notebooks and keeps the ``runs`` table up to date."""

    def __init__(self, store: Store, data_dir: Path, *, timeout: float | None = 1800,
                 runs_dir: Path | None = None, heartbeat_interval: float = 5.0) -> None:
        self.store = store
        self.data_dir = Path(data_dir)
        self.runs_dir = Path(runs_dir) if runs_dir is not None else self.data_dir / "runs"
        self.timeout = timeout
        self.heartbeat_interval = heartbeat_interval

    def prepare(self, notebook: str | Path, parameters: Mapping[str, Any] | None
                ) -> tuple[Path, dict[str, Any]]:
        """Check a notebook and its parameters before anything runs (names it does not declare
        are refused: :class:`~workbench.errors.UnknownParameter`); add ``data_dir`` if declared."""
        nb = resolve_notebook(notebook)
        params = validate_parameters(parameters)
        declared = declared_parameters(nb)
        refuse_undeclared(nb, params, declared)
        if DATA_DIR_PARAMETER not in params and DATA_DIR_PARAMETER in declared:
            params[DATA_DIR_PARAMETER] = str(self.data_dir)
        return nb, params

    def run_notebook(self, notebook: str | Path, parameters: Mapping[str, Any] | None = None,
                     *, output_dir: str | Path | None = None, origin: str = "user") -> RunInfo:
        """Run ``notebook`` now with ``parameters``; the returned record says how it went."""
        nb, params = self.prepare(notebook, parameters)
        out_dir = self.output_dir(nb, output_dir, origin=origin)
        run_id = self.store.runs.create(str(nb), params)
        return self.execute(run_id, nb, params, output_dir=out_dir)

    def output_dir_for(self, notebook: Path) -> Path:
        """The default output directory of a notebook: ``<runs dir>/<notebook stem>``."""
        return self.runs_dir.absolute() / safe_stem(notebook)

    def output_dir(self, notebook: Path, output_dir: str | Path | None, *,
                   origin: str = "user") -> Path:
        """Where a run of ``notebook`` writes, as an absolute path, checked before it runs.

        ``None``: :meth:`output_dir_for`. A relative directory lies under the runs directory
        and may not leave it (``../x`` and symlinks out are refused). An absolute directory is
        taken as given only from a person (``origin="user"``); from anything else (an agent, a
        webhook, a schedule) it must lie under the runs directory too. Raises
        :class:`OutputOutsideRuns`. The directory is created here, so one that cannot be is
        refused before a run is recorded (:class:`~workbench.errors.OutputPathError`).
        """
        if origin not in ORIGINS:
            raise BatchError(f"unknown origin {origin!r}; use one of {', '.join(ORIGINS)}")
        if output_dir is None or str(output_dir) == "":
            return ensure_dir(self.output_dir_for(notebook))
        wanted = Path(output_dir).expanduser()
        if wanted.is_absolute() and origin == "user":
            return ensure_dir(Path(os.path.abspath(wanted)))
        root = Path(os.path.realpath(self.runs_dir))
        target = Path(os.path.realpath(root / wanted))
        if not target.is_relative_to(root):
            raise OutputOutsideRuns(
                f"output directory {str(output_dir)!r} would write outside the runs directory "
                f"{root}; give a directory inside it" + (
                    ", or an absolute path of your choosing" if origin == "user" else
                    f" (a location from {'a' if origin == 'schedule' else 'an'} {origin} "
                    "may not name one elsewhere)"),
                output_dir=str(output_dir), runs_dir=str(root))
        return ensure_dir(target)

    def execute(self, run_id: int, notebook: Path, parameters: dict[str, Any], *,
                output_dir: str | Path | None = None) -> RunInfo:
        """Execute a queued run; failures of the notebook are recorded, not raised.

        ``output_dir`` comes from :meth:`output_dir` (checked already); ``None`` is the
        notebook's default under the runs directory. An interruption (Ctrl-C, a second
        SIGTERM to the scheduler) records the run as failed with "interrupted" and propagates.
        """
        out_dir = Path(output_dir).absolute() if output_dir else self.output_dir_for(notebook)
        started = time.monotonic()
        out_nb: Path | None = None
        out_html: Path | None = None
        status, cell, error = RunStatus.FAILED, None, "interrupted"
        beating = threading.Event()
        try:
            out_nb = reserve_output(out_dir, f"{safe_stem(notebook)}.ipynb")
            out_html = out_nb.with_suffix(".html")
            self.store.runs.start(run_id, str(out_nb), str(out_html), runner_id())
            threading.Thread(target=self._beat, args=(run_id, beating), daemon=True,
                             name=f"workbench-run-{run_id}-heartbeat").start()
            execute_notebook(notebook, out_nb, parameters, timeout=self.timeout)
            status, error = RunStatus.SUCCEEDED, None
        except InvalidParameters as exc:  # a schedule's notebook no longer declares a name
            error = str(exc)
        except ReportError as exc:
            cell = exc.fields.get("cell")
            error = (f"{exc.fields['ename']}: {exc.fields['evalue']}"
                     if "ename" in exc.fields else str(exc))
            out_html = _render_html(out_nb)
        except OutputPathError as exc:  # the directory went away or filled up since
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - recorded on the run; "interrupted" is for signals
            error = f"{type(exc).__name__}: {exc}"
        finally:
            beating.set()
            if out_nb is not None and out_nb.exists() and out_nb.stat().st_size == 0:
                out_nb.unlink()  # the kernel never started: no notebook to look at
            self.store.runs.finish(
                run_id, status=status.value, duration_seconds=round(time.monotonic() - started, 3),
                output_ipynb=str(out_nb) if out_nb is not None and out_nb.exists() else None,
                output_html=str(out_html) if out_html is not None and out_html.exists() else None,
                error_cell=cell, error=error,
            )
        return self.get(run_id)

    def _beat(self, run_id: int, stop: threading.Event) -> None:
        """Record that the run is alive every ``heartbeat_interval`` s until ``stop`` is set
        (other hosts can only tell a live run from a dead one by this)."""
        while not stop.wait(self.heartbeat_interval):
            try:
                self.store.runs.heartbeat(run_id)
            except WorkbenchError as exc:  # busy database: the next beat will do
                log.debug("heartbeat of run #%d skipped: %s", run_id, exc)

    def cancel(self, run_id: int, reason: str) -> None:
        """Record a queued run that will not execute as failed, with the reason."""
        self.store.runs.finish(run_id, status=RunStatus.FAILED.value, duration_seconds=None,
                               output_ipynb=None, output_html=None, error=reason)

    def get(self, run_id: int) -> RunInfo:
        row = self.store.runs.get(run_id)
        if row is None:
            raise KeyError(run_id)
        return RunInfo.from_row(row)

    def list(self, limit: int = 20, *, schedule_id: int | None = None) -> list[RunInfo]:
        return [RunInfo.from_row(r) for r in self.store.runs.list(limit=limit, schedule_id=schedule_id)]


def recover_runs(store: Store, *, stale_after: float = 60.0) -> list[int]:
    """Mark runs whose process ended ``interrupted``; return their ids. One query when none.

    A queued or running run is lost when its owner process on this host is gone (or its pid
    was reused: the process start time differs), or, for a run owned by another host, when
    its heartbeat is older than ``stale_after`` seconds (queued runs of other hosts have no
    heartbeat and are left alone). Only outputs that exist stay listed on the run.
    """
    from ..jobs.process import current_owner, owner_alive

    me = current_owner()
    now = datetime.now(timezone.utc)
    lost: list[tuple[int, str | None, str | None]] = []
    for row in store.runs.active():
        owner = (row["pid"], row["hostname"], row["process_started"])
        if owner == me or row["pid"] is None:
            continue  # this process's own runs, or rows from before owners were recorded
        alive = owner_alive(*owner)
        if alive is None:
            if row["status"] != RunStatus.RUNNING.value:
                continue
            beat = row["heartbeat_at"] or row["started_at"] or row["created_at"]
            if beat.tzinfo is None:
                beat = beat.replace(tzinfo=timezone.utc)
            alive = (now - beat).total_seconds() < stale_after
        if not alive:
            lost.append((row["id"], *(str(p) if (p := existing_output(path)) else None
                                      for path in (row["output_ipynb"], row["output_html"]))))
    if lost:
        store.runs.mark_interrupted(
            lost, "interrupted: its process ended while it ran (killed, or the machine stopped); "
                  "run the notebook again")
        log.warning("batch runs %s were interrupted (their process ended)", [r[0] for r in lost])
    return [r[0] for r in lost]


def _render_html(executed: Path | None) -> Path | None:
    """An HTML copy of a notebook that failed part way, when it can be read."""
    if executed is None or not executed.exists() or executed.stat().st_size == 0:
        return None
    try:
        import nbformat
        from nbconvert import HTMLExporter

        html, _ = HTMLExporter().from_notebook_node(nbformat.read(str(executed), as_version=4))
        out = executed.with_suffix(".html")
        out.write_text(html, encoding="utf-8")
        return out
    except Exception:  # noqa: BLE001 - the executed notebook is still there to open
        return None
