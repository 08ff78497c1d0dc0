"""Run a parameterised notebook headless with papermill and keep an HTML copy.

The executed notebook and its HTML rendering go to ``data/runs/<project>/<UTC time>-<name>``.
Widget state is not stored in the outputs (``store_widget_state=False``). A failing cell
becomes a :class:`~workbench.errors.ReportError` that names the cell and its error; a parameter
the notebook does not declare is refused before the kernel starts
(:class:`~workbench.errors.UnknownParameter`), since papermill would only warn about it.

Kernels talk over Unix sockets in a private temporary directory, not TCP ports: jupyter_client
picks "free" ports and the kernel binds them later, so batch runs started at the same moment in
separate processes could pick the same port and one kernel would die at start-up.

The kernel's own stderr goes to a log in that directory, not to the caller's: a kernel that
stops after a failing cell can log a teardown race with its traceback, which is noise beside
the one error line a failed run gives. A kernel that cannot start has its log's last lines in
the error instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ReportError
from ..output_paths import output_dir as ensure_dir, refusal
from .declared import DATA_DIR_PARAMETER, declared_parameters, refuse_undeclared

REPORT_NOTEBOOK = "system_map_report.ipynb"


def notebooks_dir() -> Path:
    """The project's ``notebooks/`` directory (beside the package in a checkout)."""
    env = os.environ.get("WORKBENCH_NOTEBOOKS_DIR")
    here = Path(env) if env else Path(__file__).resolve().parents[2] / "notebooks"
    if not here.is_dir():
        raise ReportError(
            f"notebook directory {here} not found; run from a checkout of the workbench or set "
            "WORKBENCH_NOTEBOOKS_DIR"
        )
    return here


@dataclass(frozen=True)
class ReportResult:
    notebook: Path
    html: Path
    seconds: float

    def __str__(self) -> str:
        return str(self.html)


def reserve_output(output_dir: Path, notebook_name: str) -> Path:
    """A new, unique ``<UTC time>-<notebook_name>`` path in ``output_dir``, created empty.

    The file is created exclusively (``O_EXCL``), so runs started at the same moment, in
    threads or in separate processes, never write to the same output. A directory that cannot
    be created or written raises :class:`~workbench.errors.OutputPathError`.
    """
    output_dir = ensure_dir(output_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    base, suffix = Path(notebook_name).stem, Path(notebook_name).suffix or ".ipynb"
    for n in range(1, 1000):
        candidate = output_dir / f"{stamp}-{base}{'' if n == 1 else f'-{n}'}{suffix}"
        try:
            fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        except OSError as exc:  # no permission, no space ...
            raise refusal(exc, candidate) from None
        os.close(fd)
        return candidate
    raise ReportError(f"cannot find a free output name for {notebook_name} in {output_dir}")


def run_notebook(notebook: Path, output_dir: Path, parameters: dict[str, Any],
                 *, timeout: float | None = 1800) -> ReportResult:
    """Execute ``notebook`` with ``parameters`` into ``output_dir``; return the written paths."""
    if not notebook.is_file():
        raise ReportError(f"notebook {notebook} does not exist", notebook=str(notebook))
    refuse_undeclared(notebook, parameters)  # before an output name is reserved
    return execute_notebook(notebook, reserve_output(output_dir, notebook.name), parameters,
                            timeout=timeout)


class _TeardownNoise:
    """Keeps the kernel client's teardown races off stderr while a notebook runs.

    When a kernel stops (above all after a failing cell, on a busy machine), a message can
    still reach the client's ZMQ stream after its channel closed: tornado then logs the
    stream callback's exception with its traceback at ERROR ("Uncaught exception in
    ZMQStream callback"). The run's outcome reaches the user through the executed notebook
    and the run record, so these two loggers are raised to CRITICAL for the run only."""

    NAMES = ("tornado.general", "tornado.application")
    _lock = threading.Lock()
    _running = 0  # runs at once (job threads): the last to end restores the levels
    _levels: dict[str, int] = {}

    def __init__(self) -> None:
        cls = type(self)
        with cls._lock:
            if cls._running == 0:
                cls._levels = {name: logging.getLogger(name).level for name in self.NAMES}
                for name in self.NAMES:
                    logging.getLogger(name).setLevel(logging.CRITICAL)
            cls._running += 1

    def restore(self) -> None:
        cls = type(self)
        with cls._lock:
            cls._running -= 1
            if cls._running == 0:
                for name, level in cls._levels.items():
                    logging.getLogger(name).setLevel(level)


def execute_notebook(notebook: Path, out_nb: Path, parameters: dict[str, Any],
                     *, timeout: float | None = 1800) -> ReportResult:
    """Execute ``notebook`` into ``out_nb`` (and an ``.html`` beside it) with papermill.

    A failing cell raises :class:`ReportError` with ``cell`` (1-based, in the source
    notebook), ``ename`` and ``evalue``; the executed notebook up to the failure stays at
    ``out_nb``. A parameter the notebook does not declare raises
    :class:`~workbench.errors.UnknownParameter` before the kernel starts.
    """
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    if not notebook.is_file():
        raise ReportError(f"notebook {notebook} does not exist", notebook=str(notebook))
    refuse_undeclared(notebook, parameters)
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    logging.getLogger("papermill").setLevel(logging.WARNING)
    sockets = tempfile.mkdtemp(prefix="wbk-")
    kernel_log = Path(sockets) / "kernel.log"
    quiet = _TeardownNoise()
    try:
        # Runs may execute on job threads of a user's kernel: nothing here may touch this
        # process's working directory or environment (papermill's ``cwd`` would chdir it).
        # The kernel starts in the notebook's directory (nbclient's resources path), and
        # the flag that makes a headless run wait for its jobs is set inside the kernel.
        pm.execute_notebook(
            str(notebook), str(out_nb), parameters=parameters, progress_bar=False,
            kernel_name="python3", execution_timeout=timeout,
            resources={"metadata": {"path": str(notebook.parent)}},
            store_widget_state=False, config=_kernel_config(Path(sockets), kernel_log),
            extra_arguments=[
                "--IPKernelApp.exec_lines=import os; "
                "os.environ.setdefault('WORKBENCH_BACKGROUND', '0')",
                # shutdown interrupts the kernel first; if a message is still in hand it
                # logs "KeyboardInterrupt caught in kernel" at ERROR: noise on our stderr.
                # Failures reach the user through the executed notebook and the run record.
                "--IPKernelApp.log_level=CRITICAL",
            ],
        )
    except pm.PapermillExecutionError as exc:
        cell, first_line = _source_cell(out_nb, exc.cell_index)
        raise ReportError(
            f"notebook {notebook.name} failed in cell {cell} ({first_line!r}): "
            f"{exc.ename}: {exc.evalue}; the executed notebook is at {out_nb}",
            notebook=str(out_nb), cell=cell, ename=exc.ename, evalue=exc.evalue,
        ) from None
    except Exception as exc:  # kernel could not start, bad parameters ...
        raise ReportError(f"running notebook {notebook.name} failed: {exc}"
                          f"{_log_tail(kernel_log)}", notebook=str(notebook)) from exc
    finally:
        quiet.restore()
        shutil.rmtree(sockets, ignore_errors=True)
    out_html = out_nb.with_suffix(".html")
    try:
        html, _ = HTMLExporter().from_notebook_node(nbformat.read(str(out_nb), as_version=4))
        out_html.write_text(html, encoding="utf-8")
    except Exception as exc:  # noqa: BLE001 - the notebook ran; only its HTML copy failed
        raise ReportError(f"notebook {notebook.name} ran, but its HTML copy failed: {exc}; "
                          f"the executed notebook is at {out_nb}", notebook=str(out_nb)) from exc
    seconds = (datetime.now(timezone.utc) - started).total_seconds()
    return ReportResult(out_nb, out_html, round(seconds, 2))


def _kernel_config(sockets: Path, kernel_log: Path) -> Any:
    """Kernel manager settings: IPC sockets under ``sockets`` where the OS has them, and the
    kernel's stderr into ``kernel_log``.

    The socket paths are derived from the connection file, which is private to this run, so
    concurrent runs can never collide (TCP ports are chosen before they are bound: a race).
    """
    from traitlets.config import Config

    from .kernel import LoggedKernelManager

    managed = {"NotebookClient": {"kernel_manager_class": LoggedKernelManager},
               "LoggedKernelManager": {"stderr_path": str(kernel_log)}}
    if os.name != "posix":
        return Config(managed)
    return Config({**managed, "KernelManager": {
        "transport": "ipc", "connection_file": str(sockets / "kernel.json")}})


def _log_tail(log: Path, lines: int = 5) -> str:
    """``"; the kernel said: ..."`` with the last ``lines`` lines of ``log``, or ``""``."""
    try:
        said = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return "; the kernel said: " + " | ".join(said) if said else ""


def _source_cell(executed: Path, index: int) -> tuple[int, str]:
    """1-based position of a failing cell in the *source* notebook (papermill adds a cell)."""
    import nbformat

    try:
        nb = nbformat.read(str(executed), as_version=4)
    except Exception:  # noqa: BLE001 - the error message still has papermill's numbers
        return index + 1, ""
    # papermill's index counts the executed cells before it marks the error with extra cells
    cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    injected = sum(1 for c in cells[:index]
                   if "injected-parameters" in c.metadata.get("tags", []))
    source = cells[index].source if index < len(cells) else ""
    return index - injected + 1, source.strip().splitlines()[0][:80] if source.strip() else ""


def run_report(data_dir: Path, project: str, *, ref: str | None = None,
               output_dir: str | Path | None = None, notebook: str | Path | None = None,
               runs_dir: Path | None = None) -> ReportResult:
    """Run the system map report (or ``notebook``) for ``project`` stored under ``data_dir``.

    Outputs go to ``output_dir`` (a person's choice) or ``<runs_dir>/<project>``
    (``runs_dir`` defaults to ``data_dir/runs``). The notebook gets ``project``; ``data_dir``
    and an unset ``ref`` only when its parameters cell declares them, so a notebook of one's own
    needs to declare no more than it uses (a ``ref`` it does not declare is refused)."""
    nb = Path(notebook) if notebook else notebooks_dir() / REPORT_NOTEBOOK
    runs = Path(runs_dir) if runs_dir is not None else Path(data_dir) / "runs"
    out = Path(output_dir).absolute() if output_dir else runs.absolute() / project
    declared = declared_parameters(nb)
    parameters: dict[str, Any] = {"project": project}
    if ref is not None or "ref" in declared:
        parameters["ref"] = ref
    if DATA_DIR_PARAMETER in declared:
        parameters[DATA_DIR_PARAMETER] = str(data_dir)
    return run_notebook(nb, out, parameters)
