"""The DuckDB file: short units of work, one shared instance per process, a cursor per thread.

DuckDB lets one read-write process hold a file at a time. A notebook kernel, a papermill run
and a CLI call must all take turns, so nothing here keeps the file open while idle:

* :meth:`Database.session` opens the file (or joins the connection this process already has
  open), hands the caller its own cursor and closes the file when the last user leaves.
  ``with db.session():`` around a burst of work keeps the file open for the burst only.
* Opening retries "Could not set lock" with exponential backoff (at most 0.1 s apart) up to
  ``lock_timeout`` and then raises :class:`~workbench.errors.DatabaseLocked` naming the file.
* A process waiting for the file announces it (:class:`_Waiting`). A burst that has kept the
  file open for over ``MAX_HOLD`` (1 s) while one waits closes it at its next idle moment and
  waits ``YIELD_AFTER_HOLD`` before opening it again, so that process gets in: no unit of
  work but one large transaction keeps a waiting process out for long
  (``benchmarks/bench_lock_hold.py`` measures it; :meth:`Database.hold_times`). Nobody
  waiting, the burst keeps the file until ``idle_release`` seconds without work.
* :meth:`Database.write` runs a function in one transaction and re-runs it when DuckDB reports
  a write-write conflict, so callers never see ``Conflict on update``.
* Values are always bound as parameters; callers never receive live relations (a relation
  keeps the connection, and with it the lock, alive), only fetched rows or DataFrames.
* The write-ahead log is folded into the file (a checkpoint) only once it holds
  ``WAL_FOLD_BYTES`` or more, when the file is closed: at the idle release that follows a
  job (on the release thread, not while the job's caller waits; between a job's units of
  work only from ``JOB_FOLD_BYTES``), for a waiting process, and at exit; or at
  :meth:`Database.checkpoint` with ``min_wal_bytes``; DuckDB itself checkpoints inside a
  commit only past ``AUTO_CHECKPOINT``. A checkpoint rewrites the
  metadata of every table and costs tens of milliseconds however little changed, while the
  next open replays a log of a few small transactions in a few milliseconds; every commit is
  in the log on disk already, so nothing committed waits on a checkpoint, and every process
  that opens the file sees it. Routine checkpoints do not merge row groups (see
  :data:`ROUTINE_VACUUM_TASKS`); after a deletion of many rows
  :meth:`Database.write_compacting` does.

Extensions (fts, vss) come from the ``duckdb-extension-*`` wheels and load offline; automatic
downloads are switched off.
"""

from __future__ import annotations

import atexit
import collections
import logging
import math
import os
import random
import re
import shutil
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

import duckdb

from ..errors import DatabaseLocked, OutputPathError, StoreError, WorkbenchError, _rebuild
from ..output_paths import output_dir

T = TypeVar("T")

log = logging.getLogger("workbench.store")

_LOCK_MARKERS = ("could not set lock", "conflicting lock")
#: Only DuckDB's replay failure: a WAL named in any other error (permissions, a full disk)
#: holds committed transactions and must stay where it is.
_WAL_MARKERS = ("replaying wal", "corrupt wal")
#: The first entry of a DuckDB WAL: its version record (serialized fields 100 = type 98,
#: 101 = version, then the end-of-object marker).
_WAL_HEADER = re.compile(rb"\x64\x00\x62\x65\x00[\x00-\x7f]\xff\xff", re.DOTALL)
_CONFLICT_MARKERS = ("conflict on", "write-write conflict", "transactioncontext error")


_FATAL_MARKERS = ("database has been invalidated", "fatal error")
_DISK_FULL_MARKERS = ("no space left", "disk full", "disk quota exceeded", "file too large")


def is_fatal_error(exc: BaseException) -> bool:
    """DuckDB gave up on the open database (a failed write or checkpoint, a full disk): every
    later statement on that connection fails until it is opened again."""
    return isinstance(exc, duckdb.FatalException) or (
        isinstance(exc, duckdb.Error) and any(m in str(exc).lower() for m in _FATAL_MARKERS))


def is_disk_full(exc: BaseException) -> bool:
    """A write failed for want of space (ENOSPC, a quota, a file-size limit)."""
    text = str(exc).lower()
    return isinstance(exc, (duckdb.Error, OSError)) and any(m in text for m in _DISK_FULL_MARKERS)


def _fatal_cause(exc: BaseException) -> BaseException | None:
    """``exc`` itself or the DuckDB error it was raised from, when that error is fatal."""
    for candidate in (exc, exc.__cause__):
        if candidate is not None and is_fatal_error(candidate):
            return candidate
    return None


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and any(
        m in str(exc).lower() for m in _LOCK_MARKERS
    )


def is_conflict_error(exc: BaseException) -> bool:
    """A write that lost a race with a concurrent transaction; running it again is safe.

    That includes a duplicate key inserted by a transaction that committed first: on the next
    run the row is visible and ``INSERT OR IGNORE`` / the caller's own check sees it.
    """
    if isinstance(exc, duckdb.ConstraintException) and "duplicate key" in str(exc).lower():
        return True
    return isinstance(exc, duckdb.TransactionException) or (
        isinstance(exc, duckdb.Error) and any(m in str(exc).lower() for m in _CONFLICT_MARKERS)
    )


class _Shared:
    """The one open connection of this process to one file, with its number of users.

    When the last user leaves, the connection is kept for ``idle_release`` seconds and then
    closed: a burst of short units of work (a job's bookkeeping, a CLI command) opens the file
    once instead of once per unit, and an idle process still lets go of it. One release thread
    per open connection keeps that deadline (moved on by every unit of work) and ends when it
    closes the file, instead of a timer thread per unit of work.

    While a job runs here, the file is not idle but between two units of work (a map parsing
    or linking): it is kept until it has been open ``MAX_HOLD`` seconds, and let go of at
    once when another process announces that it waits (checked every ``idle_release``
    seconds). Closing it there only to open it again a few tenths of a second later cost a
    cold map of Django two opens (about 0.05 s of CPU each, one on the map's last steps).
    """

    def __init__(self, path: Path, wal: Path,
                 on_fold: Callable[[duckdb.DuckDBPyConnection], None] | None) -> None:
        self.path = path
        self.wal = wal
        self.on_fold = on_fold
        self.lock = threading.RLock()
        self.connection: duckdb.DuckDBPyConnection | None = None
        self.users = 0
        self.release_at: float | None = None
        #: Seconds between looks for a waiting process while a job keeps the file idle.
        self.poll: float | None = None
        self._wake = threading.Condition(self.lock)
        self._releaser: threading.Thread | None = None
        #: When the open connection was opened (monotonic s), and how long each earlier
        #: one stayed open: the time this process held DuckDB's file lock, newest last.
        self.opened_at: float | None = None
        self.holds: collections.deque[float] = collections.deque(maxlen=10_000)
        #: After letting go of a long hold, this process waits until then before opening the
        #: file again, so a process polling for the lock gets its turn.
        self.yield_until = 0.0
        #: Jobs running in this process (:meth:`Database.folds_deferred`): while any runs, a
        #: close folds only a log of ``JOB_FOLD_BYTES`` or more.
        self.deferring = 0

    def opened(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        self.opened_at = time.monotonic()

    def closed(self) -> None:
        if self.opened_at is not None:
            self.holds.append(time.monotonic() - self.opened_at)
            self.opened_at = None

    def release_later(self, delay: float) -> None:
        if delay <= 0:
            self.close_if_idle()
            return
        with self.lock:
            now = time.monotonic()
            self.release_at = now + delay
            self.poll = None
            if self.deferring and self.opened_at is not None:  # a job's pause: see the class
                self.release_at = max(self.release_at, self.opened_at + MAX_HOLD)
                self.poll = delay
            if self._releaser is None:
                self._releaser = threading.Thread(target=self._release_when_idle, daemon=True,
                                                  name="workbench-db-release")
                self._releaser.start()
            else:
                self._wake.notify()

    def cancel_release(self) -> None:
        with self.lock:
            self.release_at = None

    def _release_when_idle(self) -> None:
        with self.lock:
            try:
                while self.connection is not None:
                    if self.release_at is None:
                        self._wake.wait()
                        continue
                    left = self.release_at - time.monotonic()
                    if left > 0 and self.poll is not None and self.users == 0:
                        self._wake.wait(min(left, self.poll))
                        if (self.users == 0 and self.release_at is not None
                                and self.poll is not None and someone_waits(self.path)):
                            self.close_if_idle()
                            self.yield_until = time.monotonic() + YIELD_AFTER_HOLD
                        continue
                    if left > 0:
                        self._wake.wait(left)
                        continue
                    self.release_at = None
                    if self.users == 0:
                        self.close_if_idle()
            finally:
                self._releaser = None

    def close_if_idle(self, *, routine: bool = True) -> None:
        """Close the connection when nobody uses it, folding a large log first. A
        ``routine`` close (the idle release, a yield to a waiting process) while a job runs
        here folds only from ``JOB_FOLD_BYTES``: the job opens the file again soon."""
        with self.lock:
            if self.users == 0 and self.connection is not None:
                try:
                    fold_large_wal(self.connection, self.wal, self.on_fold,
                                   min_bytes=JOB_FOLD_BYTES if routine and self.deferring
                                   else WAL_FOLD_BYTES)
                finally:
                    self.connection.close()
                    self.connection = None
                    self.closed()
            self.release_at = None
            self._wake.notify_all()


#: Seconds a burst of units of work may keep the file open while another process waits
#: before it is closed at the next idle moment (whatever ``idle_release`` says), and the
#: pause before this process opens it again: the waiting process (polling every 0.1 s at
#: most) gets in.
MAX_HOLD = 1.0
YIELD_AFTER_HOLD = 0.15


#: The size from which the write-ahead log is folded into the database file when a job ends or
#: the file is closed; below it the log stays for the next open to replay. Measured on Django's
#: map (two cores): the log of a re-map of an unchanged commit (about 3.8 KB) adds about 13 ms
#: to the next open, most of it loading the key indexes of the tables it touched, and about
#: 5 ms more for each further re-map in it; a checkpoint costs 40-90 ms however little changed.
#: So the logs of two such jobs are left and the third one's job folds them; a map that stores
#: a snapshot (megabytes) is folded as before.
WAL_FOLD_BYTES = 8 * 1024
#: The size from which the log is folded when the file is let go of in the middle of a job
#: (idle between two of its units of work): below it the fold waits for the job's end. A
#: cold map of Django logs 3 MB of parse results, then links for a few tenths of a second;
#: folding them then took 0.6-0.7 s of CPU and held the file while the map waited to write
#: its snapshot, against 0.02-0.05 s for the next open to replay them. A replay costs about
#: 11 ms per MB (an 11 MB log: 0.12 s, its fold 0.4 s) at every open until the log is
#: folded, and a long job opens the file often: the monorepo's full map (196 opens) spent
#: 36.6 s in them with logs of up to 16 MB left, against 12.9 s when every close folded
#: (and 11.5 s against 24.0 s in its closes). Up to 4 MB a replay costs about what a fold
#: costs however small its log (40-90 ms).
JOB_FOLD_BYTES = 4 * 1024 * 1024


#: Vacuum tasks (merges of row groups with their neighbours) a routine checkpoint may run:
#: none. The store only appends, but for the rare deletions (a project removed, a history
#: mined again), which :meth:`Database.write_compacting` compacts; yet DuckDB's default (100) merged the
#: last row groups of every table a snapshot appended to at each checkpoint, which cost 1-2 s
#: per map on a monorepo of 100,000 files (0.76 s against 0.01 s for one table's copy of
#: 320,000 nodes), however few rows the map had changed.
ROUTINE_VACUUM_TASKS = 0
#: DuckDB's own default, for :meth:`Database.write_compacting`.
COMPACTING_VACUUM_TASKS = 100
#: The log size from which DuckDB checkpoints inside a commit (its default is 16 MB). The
#: log is folded when the file is closed (see ``WAL_FOLD_BYTES``), off the path of the work
#: that wrote it; at 16 MB the last commit of a re-map on a monorepo (a 39 MB log by then)
#: checkpointed inside the map, 0.3 s more before its result came back.
AUTO_CHECKPOINT = "256MB"


#: Seconds a waiting process's announcement stays fresh: it renews it at every try (at most
#: 0.1 s apart), so an older one is of a process that stopped waiting without removing it.
WAITING_FRESH = 2.0
#: Announcements older than this (a process killed while it waited) are removed.
WAITING_STALE = 60.0


class _Waiting:
    """A process's announcement that it waits for the file: an empty file beside it,
    ``<file>.waiting.<pid>.<thread>``, touched at every try and removed when the wait ends.

    A process that held the file for over ``MAX_HOLD`` lets go at its next idle moment and
    pauses ``YIELD_AFTER_HOLD`` before opening it again only when such an announcement is
    fresh (:func:`someone_waits`). Without one nobody needs the turn: closing, folding the
    log and opening the file again, then pausing, cost a re-map of a monorepo 0.2-0.7 s.
    """

    def __init__(self, path: Path) -> None:
        self.marker = path.with_name(
            f"{path.name}.waiting.{os.getpid()}.{threading.get_ident()}")
        self.made = False

    def announce(self) -> None:
        try:
            self.marker.touch()
            self.made = True
        except OSError:  # a read-only directory: the holder pauses as it did without
            pass

    def __enter__(self) -> "_Waiting":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.made:
            self.marker.unlink(missing_ok=True)


def someone_waits(path: Path) -> bool:
    """True when another process (or thread) announced that it waits for ``path`` within
    ``WAITING_FRESH`` seconds, or when that cannot be told (the directory unreadable).
    Stale announcements are removed on the way."""
    prefix, now, fresh = f"{path.name}.waiting.", time.time(), False
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return True
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            age = now - entry.stat().st_mtime
        except OSError:
            continue
        if age <= WAITING_FRESH:
            fresh = True
        elif age > WAITING_STALE:
            try:
                os.unlink(entry.path)
            except OSError:
                pass
    return fresh


def wal_bytes(wal: Path) -> int:
    """The size of a write-ahead log file, 0 when there is none."""
    try:
        return wal.stat().st_size
    except OSError:
        return 0


def fold_large_wal(con: duckdb.DuckDBPyConnection, wal: Path,
                   on_fold: Callable[[duckdb.DuckDBPyConnection], None] | None = None, *,
                   min_bytes: int = WAL_FOLD_BYTES) -> bool:
    """Checkpoint ``con``'s database when its log holds ``min_bytes`` or more (before it is
    closed), then ``on_fold(con)``. A failure is logged and left: the committed work stays in
    the log, which the next open replays. True when a checkpoint ran."""
    if wal_bytes(wal) < min_bytes:
        return False
    try:
        fold(con, on_fold)
    except duckdb.Error as exc:
        log.info("checkpoint before closing %s skipped: %s", wal.with_suffix(""), one_line(exc))
        return False
    return True


def fold(con, on_fold: Callable[[duckdb.DuckDBPyConnection], None] | None) -> None:
    """``CHECKPOINT``, then ``on_fold(con)`` (the store notes when: whichever of a job's
    checkpoint and a close folds the log, ``workbench status`` says so); a failure of the note
    is logged, the fold stands."""
    con.execute("CHECKPOINT")
    if on_fold is not None:
        try:
            on_fold(con)
        except duckdb.Error as exc:
            log.info("noting a checkpoint failed: %s", one_line(exc))


def _close_all() -> None:
    """Close every idle connection at interpreter exit (pending release timers are daemons),
    folding a large write-ahead log into the file first."""
    for shared in list(Database._registry.values()):
        with shared.lock:
            shared.cancel_release()
            if shared.connection is not None:
                try:
                    fold_large_wal(shared.connection, shared.wal, shared.on_fold)
                    shared.connection.close()
                finally:
                    shared.connection = None


_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)


def _literal(value: Any) -> str | None:
    """``value`` as a SQL literal of the type DuckDB gives the same bound parameter, or None
    when it has no such literal here (the value is then bound as usual)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if type(value) is int:
        return str(value) if value in _INT64 else None
    if type(value) is float:
        return f"CAST('{value!r}' AS DOUBLE)" if math.isfinite(value) else None
    if type(value) is str:
        return None if "\0" in value else "'" + value.replace("'", "''") + "'::VARCHAR"
    if type(value) is datetime:  # an instant when it has a zone, as DuckDB binds it
        kind = "TIMESTAMP" if value.tzinfo is None or value.utcoffset() is None else "TIMESTAMPTZ"
        return f"'{value.isoformat()}'::{kind}"
    if type(value) is date:
        return f"'{value.isoformat()}'::DATE"
    if type(value) in (list, tuple) and value:
        if all(type(v) is str for v in value):
            return "[" + ", ".join(_literal(v) or "" for v in value) + "]::VARCHAR[]" \
                if not any("\0" in v for v in value) else None
        if all(type(v) is int for v in value) and all(v in _INT64 for v in value):
            kind = "INTEGER" if all(v in _INT32 for v in value) else "BIGINT"
            return "[" + ", ".join(map(str, value)) + f"]::{kind}[]"
    return None


def inline_parameters(sql: str, params: Sequence[Any]) -> str | None:
    """``sql`` with its ``?`` placeholders replaced by literals of ``params``, or None.

    DuckDB's Python client imports pandas (and numpy) to bind any parameter, which costs a
    light process such as ``workbench status`` about half a second. Plain values (None, bool,
    64-bit int, finite float, str without NUL, datetime, date, non-empty lists of str or int)
    are written as
    typed literals instead: strings quoted with ``'`` doubled (standard SQL strings, where a
    backslash is an ordinary character), so no value can end its literal, and each cast to
    the type a bound parameter would have. Anything else, ``$n`` placeholders, or a count
    that does not match leaves the query to DuckDB's binding (None).
    """
    literals = []
    for value in params:
        literal = _literal(value)
        if literal is None:
            return None
        literals.append(literal)
    out: list[str] = []
    used = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":  # a string literal or a quoted identifier, doubled quotes inside
            end = i + 1
            while True:
                end = sql.find(ch, end)
                if end < 0:
                    return None
                if end + 1 < n and sql[end + 1] == ch:
                    end += 2
                    continue
                break
            out.append(sql[i:end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                return None
            out.append(sql[i:end + 2])
            i = end + 2
        elif ch == "$":
            return None  # $1 / $name parameters (or dollar quoting): DuckDB binds them
        elif ch == "?":
            if used == len(literals):
                return None
            out.append(literals[used])
            used += 1
            i += 1
        else:
            j = i + 1
            while j < n and sql[j] not in "'\"-/$?":
                j += 1
            out.append(sql[i:j])
            i = j
    return "".join(out) if used == len(literals) else None


class _Cursor:
    """A DuckDB cursor whose ``execute`` writes plain parameters as literals
    (:func:`inline_parameters`); everything else is the cursor's own."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    def execute(self, query: str, parameters: Any = None) -> "_Cursor":
        if parameters and not isinstance(parameters, dict):
            inlined = inline_parameters(query, parameters)
            if inlined is not None:
                query, parameters = inlined, None
        if parameters:
            self._cursor.execute(query, parameters)
        else:
            self._cursor.execute(query)
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


#: Names of UTC in the tz database. DuckDB takes the machine's zone (often ``Etc/UTC``) as
#: its ``TimeZone`` and hands timestamps to Python through ``pytz.timezone(name)``, which for
#: any name but ``UTC`` first checks the whole zone list on disk: 600 file opens, 17 ms of
#: each process's first read of a timestamp.
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu",
                        "Etc/UCT", "UCT", "GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0",
                        "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Etc/Greenwich"})


def use_short_utc_name(con: duckdb.DuckDBPyConnection) -> None:
    """Call the session's zone ``UTC`` when it is UTC under another name (same instants and
    offsets; pytz answers ``UTC`` at once). Any other zone is left as it is."""
    zone = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    if zone in _UTC_NAMES and zone != "UTC":
        con.execute("SET GLOBAL TimeZone = 'UTC'")  # cursors are sessions of their own


def _fetched(result: T) -> T:
    """A read's result, refused when it is a live relation (it would keep the file open)."""
    if isinstance(result, duckdb.DuckDBPyRelation):
        raise StoreError("a read returned a live DuckDB relation; fetch rows or a DataFrame "
                         "(a relation keeps the database, and its lock, open)")
    return result


class Database:
    """A DuckDB file used in short units of work.

    >>> db = Database(tmp / "wb.duckdb")           # doctest: +SKIP
    >>> db.write(lambda cur: cur.execute("CREATE TABLE t(x INT)"))  # doctest: +SKIP
    >>> db.read(lambda cur: cur.execute("SELECT 42").fetchone())    # doctest: +SKIP
    (42,)
    """

    _registry: dict[Path, _Shared] = {}
    _registry_lock = threading.Lock()

    def __init__(
        self,
        path: Path | str,
        *,
        lock_timeout: float = 30.0,
        idle_release: float = 0.1,
        extension_dir: Path | str | None = None,
        on_open: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        on_fold: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        origin: str | None = None,
    ) -> None:
        self.path = Path(path).absolute()
        #: How the user named the directory of the file (``--data-dir /x``,
        #: ``WORKBENCH_DATA_DIR='/x'``): the errors about the directory or the file say it first.
        self.origin = origin
        self.lock_timeout = lock_timeout
        self.idle_release = idle_release
        self.extension_dir = Path(extension_dir) if extension_dir else self.path.parent / "extensions"
        self._on_open = on_open
        self._notices: list[tuple[str, str]] = []
        with Database._registry_lock:
            self._shared = Database._registry.setdefault(self.path,
                                                         _Shared(self.path, self.wal_path, on_fold))

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    @property
    def wal_path(self) -> Path:
        """DuckDB's write-ahead log beside the file (``<file>.wal``)."""
        return self.path.with_name(self.path.name + ".wal")

    # -- connections -------------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:  # a data directory that cannot be made says which, why, and who named it
            output_dir(self.path.parent)
            output_dir(self.extension_dir)
        except OutputPathError as exc:
            raise self._named(exc) from None
        config = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "extension_directory": str(self.extension_dir),
        }
        self._check_wal_header()
        con = self._connect(config, read_only=False)
        try:  # the log is folded by size (fold_large_wal), not by every close
            con.execute("PRAGMA disable_checkpoint_on_shutdown")
            # checkpoints do not compact row groups; :meth:`compact` does, after deletions
            con.execute(f"SET GLOBAL max_vacuum_tasks = {ROUTINE_VACUUM_TASKS}")
            con.execute(f"SET GLOBAL checkpoint_threshold = '{AUTO_CHECKPOINT}'")
            use_short_utc_name(con)
        except BaseException:
            con.close()
            raise
        if self._on_open is not None:
            try:
                self._on_open(con)
            except BaseException:
                con.close()
                raise
        return con

    def _connect(self, config: dict[str, Any], *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """``duckdb.connect`` retried with backoff while another process holds the file.

        Gives up after ``lock_timeout`` with :class:`DatabaseLocked`; a WAL DuckDB cannot replay
        is moved aside (read-write opens only); any other failure is a :class:`StoreError`.
        A read-only open also waits while this process holds the file with other settings.
        """
        with _Waiting(self.path) as waiting:
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.01
            while True:
                try:
                    return duckdb.connect(str(self.path), read_only=read_only, config=config)
                except duckdb.Error as exc:
                    busy = is_lock_error(exc) or (
                        read_only and "different configuration" in str(exc).lower())
                    if busy:
                        waiting.announce()  # the holder lets go at its next idle moment
                    if not busy and not read_only and self._set_aside_corrupt_wal(exc):
                        continue
                    if not busy and is_disk_full(exc):
                        raise StoreError(
                            f"cannot open database {self.path}: the disk is full "
                            f"({self.free_space()}; {one_line(exc)}). Committed work is kept "
                            "in the write-ahead log; free space, then run the command again",
                            path=str(self.path), disk_full=True) from exc
                    if not busy:
                        raise self._named(StoreError(
                            f"cannot open database {self.path}: {one_line(exc)}. Check the path "
                            "and its permissions, or choose another data directory",
                            path=str(self.path),
                        )) from exc
                    if time.monotonic() >= deadline:
                        raise DatabaseLocked(
                            f"database {self.path} is held by another process (waited "
                            f"{self.lock_timeout:g} s). Wait for it to finish, or raise "
                            "WORKBENCH_LOCK_TIMEOUT",
                            path=str(self.path),
                            waited=self.lock_timeout,
                        ) from exc
                    time.sleep(delay * (0.5 + random.random()))
                    delay = min(delay * 2, 0.1)

    def _named(self, error: WorkbenchError) -> WorkbenchError:
        """``error``, about the data directory or the file, after :attr:`origin`."""
        if self.origin is None:
            return error
        return _rebuild(type(error), f"{self.origin}: {error.message}",
                        {**error.fields, "origin": self.origin})

    def _check_wal_header(self) -> None:
        """Move a WAL whose header is damaged aside, loudly, before DuckDB opens the file.

        DuckDB reads a WAL whose first entry is not its version record as empty and drops it
        without a word, so the transactions in it would vanish silently; damage further in is
        reported by DuckDB and handled by :meth:`_set_aside_corrupt_wal`. The header checked is
        the serialized WAL_VERSION entry: field 100 (type) = 98, field 101 (version) = a
        varint, end-of-object marker ``ff ff``.
        """
        wal = self.wal_path
        try:
            with open(wal, "rb") as f:
                head = f.read(16)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"cannot read the write-ahead log {wal} ({exc}); check its "
                             "permissions", path=str(self.path)) from exc
        if not head or _WAL_HEADER.match(head):
            return
        self._move_wal_aside(
            f"its header is damaged (starts {head[:8].hex(' ')}, DuckDB would have dropped it "
            "silently)")

    def _set_aside_corrupt_wal(self, exc: BaseException) -> bool:
        """Move a WAL that DuckDB cannot replay to ``<file>.wal.corrupt-<stamp>``, loudly."""
        wal = self.wal_path
        text = str(exc).lower()
        if not wal.exists() or not any(m in text for m in _WAL_MARKERS):
            return False
        self._move_wal_aside(f"it could not be replayed ({one_line(exc)})")
        return True

    def _move_wal_aside(self, why: str) -> None:
        """Rename the WAL to ``<file>.wal.corrupt-<stamp>`` (kept as it was) with a notice.

        The transactions in it are lost to the database (they never reached the file); the
        file itself opens again instead of failing on every start. The notice is logged as a
        warning and recorded in ``store_notices`` for ``workbench status``.
        """
        wal = self.wal_path
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = wal.with_name(f"{wal.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            aside = wal.with_name(f"{wal.name}.corrupt-{stamp}-{n}")
            n += 1
        try:
            wal.rename(aside)
        except OSError as err:
            raise StoreError(f"the write-ahead log of {self.path} is damaged: {why}; it cannot "
                             f"be moved aside ({err}); move it away by hand to open the database",
                             path=str(self.path)) from err
        message = (f"the write-ahead log of {self.path} could not be used: {why}. It was moved "
                   f"to {aside} and the database opened without it. Transactions in it are "
                   "lost; re-run the jobs that were running when the process stopped")
        log.warning(message)
        self._notices.append(("corrupt-wal", message))

    def take_notices(self) -> list[tuple[str, str]]:
        notices, self._notices = self._notices, []
        return notices

    @contextmanager
    def session(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for this thread; the file stays open while any session lasts."""
        with self._session(open_file=True) as cursor:
            yield cursor

    @contextmanager
    def _session(self, *, open_file: bool) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """:meth:`session`; without ``open_file``, a released file is not opened and the
        block gets ``None`` instead of a cursor, as it does when another thread is opening
        or closing the file at that moment (which may wait for another process)."""
        shared = self._shared
        cursor = None
        if shared.lock.acquire(blocking=open_file):
            try:
                if shared.connection is not None or open_file:
                    shared.cancel_release()
                    if shared.connection is None:
                        pause = shared.yield_until - time.monotonic()
                        if pause > 0:
                            time.sleep(pause)
                        shared.opened(self._open())
                    shared.users += 1
                    cursor = _Cursor(shared.connection.cursor())
            finally:
                shared.lock.release()
        if cursor is None:
            yield None
            return
        try:
            yield cursor
        except BaseException as exc:
            fatal = _fatal_cause(exc)
            if fatal is None:
                raise
            self._invalidated(shared)
            raise StoreError(self.fatal_message(fatal), path=str(self.path),
                             disk_full=is_disk_full(fatal)) from exc
        finally:
            try:
                cursor.close()
            except duckdb.Error:
                pass
            finally:
                with shared.lock:
                    shared.users -= 1
                    if shared.users == 0 and shared.connection is not None:
                        held = time.monotonic() - (shared.opened_at or time.monotonic())
                        if held > MAX_HOLD and someone_waits(self.path):
                            # a long burst while another process waits: let it in first
                            shared.close_if_idle()
                            shared.yield_until = time.monotonic() + YIELD_AFTER_HOLD
                        else:
                            shared.release_later(self.idle_release)

    def _invalidated(self, shared: "_Shared") -> None:
        """Drop a connection DuckDB has invalidated, so the next unit of work opens the file
        again (replaying the write-ahead log) instead of failing for good."""
        with shared.lock:
            con, shared.connection = shared.connection, None
            shared.closed()
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass
        log.info("database %s was invalidated by DuckDB; it is opened again on next use",
                    self.path)

    def free_space(self) -> str:
        """Free space on the database's file system, as text (``"12.3 MB free under /x"``)."""
        probe = self.path.parent
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        try:
            free = shutil.disk_usage(probe).free
        except OSError:
            return f"free space under {probe} unknown"
        return f"{free / 1e6:.1f} MB free under {probe}"

    def fatal_message(self, exc: BaseException) -> str:
        """One line for a write DuckDB could not complete: what failed and what to do."""
        first = one_line(exc).split(' Original error: "')[-1].rstrip('"')
        if is_disk_full(exc):
            return (f"the database {self.path} could not be written: the disk is full "
                    f"({self.free_space()}; {first}). Work committed before stays in the "
                    "write-ahead log; free space, then run the command again")
        return (f"the database {self.path} failed and was closed ({first}); it is opened again "
                "on the next command. If this repeats, check the disk and `workbench status`")

    def hold_times(self) -> list[float]:
        """Seconds this process held the file (DuckDB's lock) each time it opened it, oldest
        first (the last 10,000), the current hold included while the file is open."""
        with self._shared.lock:
            current = ([time.monotonic() - self._shared.opened_at]
                       if self._shared.opened_at is not None else [])
            return [*self._shared.holds, *current]

    @property
    def is_open(self) -> bool:
        """True while this process has the file open (in use, or idle before its release)."""
        return self._shared.connection is not None

    def checkpoint(self, *, min_wal_bytes: int = 0) -> bool:
        """Fold the write-ahead log into the file (``CHECKPOINT``) when it holds at least
        ``min_wal_bytes``; True when the checkpoint ran. Errors are raised as for a read."""
        if min_wal_bytes and wal_bytes(self.wal_path) < min_wal_bytes:
            return False

        self.read(lambda cur: fold(cur, self._shared.on_fold))
        return True

    def write_compacting(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """:meth:`write` for a deletion of many rows: its commit and the checkpoint after it
        merge row groups, reclaiming what the deleted rows held (routine checkpoints do not:
        see :data:`ROUTINE_VACUUM_TASKS`; a later checkpoint finds nothing changed to merge).
        A checkpoint DuckDB refuses (another transaction of this process is open) is logged
        and left: what was deleted stays deleted."""
        self.read(lambda cur: cur.execute(
            f"SET GLOBAL max_vacuum_tasks = {COMPACTING_VACUUM_TASKS}"))
        try:
            result = self.write(fn)
            try:
                self.read(lambda cur: fold(cur, self._shared.on_fold))
            except duckdb.Error as exc:
                log.info("compacting %s skipped: %s", self.path, one_line(exc))
            return result
        finally:
            self.read(lambda cur: cur.execute(
                f"SET GLOBAL max_vacuum_tasks = {ROUTINE_VACUUM_TASKS}"))

    def release(self) -> None:
        """Close the file now if no unit of work is running (instead of after the idle delay),
        folding a log of ``WAL_FOLD_BYTES`` or more."""
        with self._shared.lock:
            self._shared.cancel_release()
        self._shared.close_if_idle(routine=False)

    @contextmanager
    def folds_deferred(self) -> Iterator[None]:
        """Around a job: the file let go of between its units of work keeps a log under
        ``JOB_FOLD_BYTES`` for the next open to replay, instead of folding it then. When the
        last such job ends, a log the file was closed with meanwhile is folded on a thread
        of its own (the file is opened for it; the job's caller does not wait, even for
        another process that holds the file); one still open is folded by the idle release
        that follows."""
        shared = self._shared
        with shared.lock:
            shared.deferring += 1
        try:
            yield
        finally:
            with shared.lock:
                shared.deferring -= 1
                left = (shared.deferring == 0 and shared.connection is None
                        and wal_bytes(self.wal_path) >= WAL_FOLD_BYTES)
            if left:
                threading.Thread(target=self._fold_left_log, name="workbench-db-fold",
                                 daemon=True).start()

    def _fold_left_log(self) -> None:
        """Open the file and fold the log a job left in it (see :meth:`folds_deferred`)."""
        try:
            with self.session():
                pass
            self.release()
        except Exception as exc:  # noqa: BLE001 - the log stays; the next close folds it
            log.info("folding the log of %s after a job failed: %s", self.path, exc)

    # -- units of work -----------------------------------------------------------------------

    def open_ahead(self) -> None:
        """Open the file now (when this process let go of it) for a unit of work that is
        moments away: called on a thread of its own, the open (about 0.05 s of CPU) runs
        beside other work instead of at the start of that unit. The file is let go of as
        usual when it stays idle."""
        with self.session():
            pass

    def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``fn(cursor)`` and return what it fetched. ``fn`` must not return a relation."""
        with self.session() as cur:
            result = fn(cur)
        return _fetched(result)

    def read_if_open(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T | None:
        """:meth:`read`, but only while this process has the file open and no other thread
        is opening or closing it: ``None`` (``fn`` not run) otherwise, at once. For a look
        that is not worth opening the file for on the caller's thread (about 0.05 s): a
        job's poll for a cancel request."""
        with self._session(open_file=False) as cur:
            if cur is None:
                return None
            result = fn(cur)
        return _fetched(result)

    def write(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *, attempts: int = 8) -> T:
        """Run ``fn(cursor)`` in one transaction; re-run it on a write-write conflict."""
        delay = 0.01
        for attempt in range(1, attempts + 1):
            with self.session() as cur:
                cur.execute("BEGIN TRANSACTION")
                try:
                    result = fn(cur)
                    cur.execute("COMMIT")
                    return result
                except BaseException as exc:
                    try:
                        cur.execute("ROLLBACK")
                    except duckdb.Error:
                        pass
                    if attempt < attempts and isinstance(exc, duckdb.Error) and is_conflict_error(exc):
                        time.sleep(delay * (0.5 + random.random()))
                        delay = min(delay * 2, 0.5)
                        continue
                    if isinstance(exc, duckdb.Error):
                        raise StoreError(
                            f"database operation failed on {self.path}: {one_line(exc)}",
                            path=str(self.path),
                        ) from exc
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def query_df(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None):
        """Run a read query and return a pandas DataFrame (materialised; no live relation)."""
        return self.read(lambda cur: cur.execute(sql, params or []).df())

    def query(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None) -> list[tuple]:
        return self.read(lambda cur: cur.execute(sql, params or []).fetchall())

    def untrusted_query(self, sql: str, params: list[Any] | tuple[Any, ...] | None = None,
                        *, limit: int | None = 10_000):
        """Run SQL a user or a model wrote: read-only, no file or network access, bounded rows.

        It gets its own read-only DuckDB instance with ``enable_external_access=false`` (so
        ``read_csv``, ``COPY``, ``ATTACH`` and extension installs are refused) and the
        ``lock_timeout`` wait like any other open. Returns a pandas DataFrame.
        """
        if not self.path.exists():
            raise StoreError(f"no database at {self.path} yet; map a project first", path=str(self.path))
        check_read_only_sql(sql)
        config = {"enable_external_access": False, "autoinstall_known_extensions": False,
                  "autoload_known_extensions": False}
        con = self._connect(config, read_only=True)
        try:
            use_short_utc_name(con)  # timestamps in the zone the store's own reads give
            result = con.execute(sql, params or [])
            if result.description is None:
                return None
            frame = result.fetch_df_chunk(limit // 2048 + 1) if limit else result.df()
            return frame.head(limit) if limit else frame
        except duckdb.Error as exc:
            raise StoreError(f"query failed: {one_line(exc)}", path=str(self.path)) from exc
        finally:
            con.close()


#: Statement types SQL from users or models may run: queries (``SELECT``, ``WITH``, ``FROM``,
#: ``SHOW``, ``DESCRIBE``, ``SUMMARIZE``, ``VALUES``, ``PRAGMA show_tables``) and ``EXPLAIN``.
_READ_ONLY_STATEMENTS = ("SELECT", "EXPLAIN")


@contextmanager
def registered(cur: duckdb.DuckDBPyConnection, **tables: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    """Arrow tables (or data frames) visible to ``cur``'s SQL under their keyword names for the
    block, unregistered after it whatever happens: how a gateway joins or inserts a batch in one
    statement instead of row by row. Views on a cursor outlive the statement otherwise."""
    for name, table in tables.items():
        cur.register(name, table)
    try:
        yield cur
    finally:
        for name in tables:
            cur.unregister(name)


def updated(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> int:
    """Run one ``UPDATE`` in the caller's transaction and return how many rows it changed.

    Why not ``UPDATE ... RETURNING``: in DuckDB 1.5 an update with ``RETURNING`` of a row that
    a transaction committed after this one began raises no write-write conflict; it writes the
    row as this transaction's older snapshot had it, and the other change is lost (a job's
    heartbeat, beside its last transaction, set the finished job back to ``running``). A plain
    ``UPDATE`` raises "Conflict on update", which :meth:`Database.write` retries; what the
    caller needs back is read with a ``SELECT`` after it, in the same transaction. DuckDB
    finds such conflicts per column: an update guarded by a column another transaction may
    change meanwhile must write that column too (see ``JobsTable.finish``)."""
    return int(cur.execute(sql, params).fetchone()[0])


@contextmanager
def materialized(cur: duckdb.DuckDBPyConnection, **tables: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    """Arrow tables copied into temporary tables of ``cur`` under their keyword names for the
    block, dropped after it: for joins, where DuckDB 1.5 may push a bloom filter into the scan
    of a registered Arrow table and fail ("Pushdown Filter Type BLOOM_FILTER is not currently
    supported in PyArrow Scans", duckdb/duckdb-python#463)."""
    try:
        for name, table in tables.items():
            with registered(cur, incoming_arrow=table):
                cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM incoming_arrow")
        yield cur
    finally:
        for name in tables:
            try:
                cur.execute(f"DROP TABLE IF EXISTS temp.{name}")
            except duckdb.Error:  # the block failed and took the transaction with it: the
                pass  # error that matters is that one; the next use replaces the table


def check_read_only_sql(sql: str) -> None:
    """Raise :class:`StoreError` unless ``sql`` is one statement, a query.

    A read-only DuckDB connection still lets ``CREATE TEMP TABLE``, ``SET``, ``ATTACH
    ':memory:'`` and ``PIVOT`` (which creates an enum type) through: those are refused here,
    before the database is opened. Parse errors become one-line :class:`StoreError`s too.
    """
    if not isinstance(sql, str) or not sql.strip():
        raise StoreError("no SQL given: pass a SELECT statement")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {one_line(exc)}") from None
    for statement in statements:
        kind = statement.type.name
        if kind not in _READ_ONLY_STATEMENTS:
            raise StoreError(
                f"query refused: a {kind} statement; only queries (SELECT, WITH, FROM, SHOW, "
                "DESCRIBE, EXPLAIN) run here, on a read-only copy of the database", statement=kind)
    if len(statements) > 1:  # only the last one's rows would come back
        raise StoreError(f"query refused: {len(statements)} statements; run one query at a time "
                         "(join them with UNION ALL or a WITH clause to get one result)",
                         statement="several")


def one_line(exc: BaseException) -> str:
    """DuckDB's error text on one line: the message and its hints, without the quoted SQL
    and caret (``LINE 1: SELECT … ^``) that DuckDB adds below it; the line number is kept."""
    kept, where = [], ""
    for line in str(exc).splitlines():
        text = line.strip()
        if not text or set(text) == {"^"}:
            continue
        if text.startswith("LINE ") and ":" in text:
            where = where or f" (at {text.split(':', 1)[0].lower()})"
            continue
        kept.append(text)
    return " ".join(kept) + where


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension shipped as a ``duckdb-extension-<name>`` wheel, offline."""
    try:
        con.execute(f"LOAD {_extension_name(name)}")
        return
    except duckdb.Error:
        pass
    try:
        import duckdb_extensions
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise StoreError(
            "the duckdb-extensions package is missing; run `pip install -e .` in the project"
        ) from exc
    try:
        duckdb_extensions.import_extension(name, con=con)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"DuckDB extension {name!r} is not installed; run `pip install duckdb-extension-{name}`"
            f"=={duckdb.__version__}",
            extension=name,
        ) from exc
    con.execute(f"LOAD {_extension_name(name)}")


def _extension_name(name: str) -> str:
    if not name.isidentifier():
        raise StoreError(f"not an extension name: {name!r}")
    return name


atexit.register(_close_all)
