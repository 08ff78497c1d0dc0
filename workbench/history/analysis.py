"""A snapshot's history metrics and change coupling, in this process or in a worker process.

The analysis (:func:`analyse`) is pandas work over every file change of the history: about
nine seconds for a million commits. A map runs it beside the parse and the linking of the
files, but in one process those hold the same GIL, so on a long history it is run in a child
process (``python -m workbench.history.analysis``) instead (:func:`analyse_in_worker`), which
gives it a core of its own. The parent sends what it read from the store (the commits as a
DataFrame, the changes as an Arrow table), the child sends back the two result frames; both
pickled over the child's stdin and stdout, like the parser workers (not ``multiprocessing``,
for the reasons given in :mod:`workbench.mapping.workers`). Both ways run :func:`analyse` on
the same frames, so they give the same result.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from ..store.history import parents_by_sha
from .errors import HistoryError, MiningCancelled
from .mailmap import Mailmap
from .metrics import change_coupling, file_metrics, per_file_changes

#: A history of at least this many commits is analysed in a worker process: starting one
#: (an interpreter and pandas) costs about a second, what ~30,000 commits take to analyse.
WORKER_MIN_COMMITS = 100_000


@dataclass
class AnalysisRequest:
    """What :func:`analyse` reads. ``commits`` is the snapshot's commits with the mailmap
    applied, or an Arrow table to which :func:`analyse` applies ``mailmap`` (the text);
    ``changes`` a DataFrame or an Arrow table. Arrow tables become the DataFrames the store's
    reads give (DuckDB's own conversion). ``parents``: sha -> parent shas, or an Arrow table
    (sha, parents) read into that on first use, or None when no change is a rename (only
    renames look at parents)."""

    commits: object  # pd.DataFrame | pyarrow.Table
    changes: object  # pd.DataFrame | pyarrow.Table
    order: Sequence[str]
    boundary_paths: pd.DataFrame
    parents: object = None  # Mapping[str, Sequence[str]] | pyarrow.Table | None
    present: list[str] | None = None
    mailmap: str = ""


def analyse(request: AnalysisRequest) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(metrics, coupling, commits)``: :func:`~workbench.history.metrics.file_metrics`
    without sizes, :func:`~workbench.history.metrics.change_coupling` with its documented
    thresholds, and the commits as a DataFrame with the mailmap applied."""
    commits = request.commits
    if not isinstance(commits, pd.DataFrame):
        commits = Mailmap(request.mailmap).apply(frame_of(commits))
    changes = frame_of(request.changes)
    parents = request.parents
    if parents is not None and not isinstance(parents, Mapping):  # renames look up a few
        table = parents
        parents = ReadOnFirstUse(lambda: parents_by_sha(table))
    steps = per_file_changes(commits, changes, order=request.order,
                             boundary_paths=request.boundary_paths, parents=parents)
    metrics = file_metrics(commits, changes, order=request.order, present=request.present,
                           prepared=steps)
    # the boundary markers in ``steps`` are not changes
    coupling = change_coupling(commits, changes, order=request.order, prepared=steps)
    return metrics, coupling, commits


def analyse_in_worker(request: AnalysisRequest, cancel: Callable[[], bool] | None = None,
                      *, poll: float = 0.5, let_go: bool = False
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`analyse` in a child process. ``cancel`` is asked every ``poll`` seconds; when
    it says stop, the child is killed and :class:`MiningCancelled` raised. A child that fails
    raises :class:`HistoryError` with the end of its error output. The request is pickled
    straight into the child's stdin (no copy of it is held here); with ``let_go`` its
    commits and changes are dropped from ``request`` once sent, so that the parent does not
    hold them while the child works (a million commits: hundreds of MB)."""
    output: list[bytes] = []
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, "-m", "workbench.history.analysis"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)

        def feed() -> None:  # a thread each way: the request and the result are large
            try:
                pickle.dump(request, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            except OSError:  # the child is gone: its exit status tells why
                pass
            finally:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
                if let_go:
                    request.commits = request.changes = None

        pipes = [threading.Thread(target=feed, daemon=True),
                 threading.Thread(target=lambda: output.append(proc.stdout.read()), daemon=True)]
        for pipe in pipes:
            pipe.start()
        try:
            while True:
                try:
                    proc.wait(timeout=poll)
                    break
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel():
                        raise MiningCancelled("the history analysis was cancelled") from None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pipe in pipes:
                pipe.join()
            proc.stdout.close()
        errors.seek(0)
        err = errors.read()
    out = output[0] if output else b""
    if proc.returncode != 0 or not out:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        if lines:
            why = lines[-1]
        elif proc.returncode < 0:
            why = f"ended by signal {-proc.returncode}"
        else:
            why = "no output"
        raise HistoryError(
            f"analysing the history in a worker process failed (exit status {proc.returncode}):"
            f" {why}. If it ran out of memory, free some or map on a larger machine; to"
            " analyse in the map's own process instead, raise WORKBENCH_HISTORY_WORKER_COMMITS"
            " above the number of commits")
    return pickle.loads(out)


class ReadOnFirstUse(Mapping):
    """A mapping ``read()`` gives, read the first time it is asked (never when nobody asks)."""

    def __init__(self, read: Callable[[], Mapping]) -> None:
        self._read: Callable[[], Mapping] | None = read
        self._data: Mapping | None = None

    def _loaded(self) -> Mapping:
        if self._data is None:
            self._data = self._read()
            self._read = None  # let go of what it read from
        return self._data

    def __getitem__(self, key):
        return self._loaded()[key]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def frame_of(rows) -> pd.DataFrame:
    """An Arrow table as the DataFrame a DuckDB read of the same rows gives (a DataFrame as
    it is)."""
    if isinstance(rows, pd.DataFrame):
        return rows
    import duckdb

    from ..store.database import use_short_utc_name

    with duckdb.connect() as con:
        use_short_utc_name(con)  # the zone the store's connection gives its timestamps
        con.register("arrow_rows", rows)
        return con.execute("SELECT * FROM arrow_rows").df()


def _main() -> None:
    request = pickle.load(sys.stdin.buffer)
    result = analyse(request)
    del request
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
