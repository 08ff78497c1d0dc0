"""Parser worker processes that isolate crashes to the file that caused them.

Each worker is a plain child process (``python -m workbench.mapping.workers``) that reads
length-prefixed pickled requests on stdin and answers on stdout. We do not use
``multiprocessing``: its spawn and forkserver modes re-run the user's ``__main__`` script in
every worker, and fork is unsafe in a process that has threads (a notebook kernel does).

The parent keeps one thread per worker feeding it one file at a time. When a worker dies (a
segfault in a parser, the memory limit), the file in flight is recorded as "the parser
crashed on this file", a fresh worker is started and the map goes on.
"""

from __future__ import annotations

import gc
import os
import pickle
import struct
import subprocess
import sys
import threading
from typing import Callable, Iterable

_HEADER = struct.Struct("!I")
#: Seconds between the progress reports of a parse. A job writes each report to the
#: database, which opens the file again when it was released meanwhile (about 50 ms of CPU
#: taken from the parser workers on a two-core machine): twice a second is enough for a bar.
PROGRESS_EVERY = 0.5
_COLLECT_EVERY = 200

#: A request: (blob sha, language, bytes); a result: (blob sha, language, facts json).
Request = tuple[str, str, bytes]
Result = tuple[str, str, str]


def parse_blob(sha: str, language: str, data: bytes) -> Result:
    """Parse one blob; the same function runs in workers and (for tests) in-process."""
    from .parsers import parse

    if b"\0" in data:
        return sha, language, _problem_json(language, BINARY, skipped=True)
    if language != "python" and (width := minified_width(data)) is not None:
        return sha, language, _problem_json(
            language, f"minified or generated (lines average {width} bytes)", skipped=True)
    return sha, language, parse(language, data).to_json()


#: A file is minified when its lines average over this many characters and one passes
#: ``_LONGEST``: bundles and ``*.min.js`` files, whose mangled one-letter definitions would
#: only add noise to the map. A data table with one long line among normal ones is parsed.
_AVERAGE = 200
_LONGEST = 1000


def minified_width(data: bytes) -> int | None:
    """The average line length of a minified file, ``None`` for a normal one."""
    if len(data) < _LONGEST:
        return None
    lines = data.count(b"\n") + 1
    average = len(data) // lines
    if average < _AVERAGE or max(map(len, data.split(b"\n"))) < _LONGEST:
        return None
    return average


def _send(stream, obj) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _recv(stream):
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError
    return pickle.loads(payload)


def _limit_memory(max_bytes: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platform without limits
        pass


def worker_main() -> None:
    """Serve parse requests until stdin closes."""
    limit = int(os.environ.get("WORKBENCH_WORKER_MEMORY", "0") or 0)
    if limit:
        _limit_memory(limit)
    sys.setrecursionlimit(10_000)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    from . import python  # noqa: F401 - the Python parser loads while the parent lists files
    # A syntax tree is a burst of acyclic objects freed by reference counting as soon as the
    # file is done; the cycle collector would only rescan them (about a tenth of parse time).
    # Collect now and then for the rare cycle (an exception and its traceback).
    gc.disable()
    served = 0
    while True:
        try:
            sha, language, data = _recv(stdin)
        except EOFError:
            return
        served += 1
        if served % _COLLECT_EVERY == 0:
            gc.collect()
        try:
            result = parse_blob(sha, language, data)
        except MemoryError:
            result = (sha, language, _problem_json(language, "out of memory while parsing"))
        _send(stdout, result)


BINARY = "binary file (contains NUL bytes)"


def _problem_json(language: str, problem: str, *, skipped: bool = False) -> str:
    """Facts for a file that yielded nothing; ``skipped`` marks files that are not source."""
    from .facts import FileFacts

    return FileFacts(language, problem=problem, extra={"skipped": True} if skipped else {}).to_json()


class _Worker:
    def __init__(self, memory_limit: int) -> None:
        env = {**os.environ, "WORKBENCH_WORKER_MEMORY": str(memory_limit)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.mapping.workers"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )

    def send(self, request: Request) -> bool:
        """Queue a request; False when the worker is gone."""
        try:
            _send(self.proc.stdin, request)
            return True
        except (BrokenPipeError, OSError):
            return False

    def receive(self) -> Result | None:
        """The answer to the oldest queued request; None when the worker died first."""
        try:
            return _recv(self.proc.stdout)
        except (EOFError, OSError):
            return None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class WorkerPool:
    """Parse blobs in ``size`` worker processes; crashes cost one file, never the batch.

    :meth:`start` launches the workers ahead of :meth:`parse`, so that their interpreters
    start while the caller is still listing files and looking up cached facts; workers that
    :meth:`parse` does not use are closed when it ends (or by :meth:`close`).
    """

    def __init__(self, size: int, *, memory_limit: int = 2 << 30) -> None:
        self.size = max(1, size)
        self.memory_limit = memory_limit
        self._ready: list[_Worker] = []
        self._ready_lock = threading.Lock()

    def start(self) -> "WorkerPool":
        """Start the workers now (idempotent)."""
        with self._ready_lock:
            while len(self._ready) < self.size:
                self._ready.append(_Worker(self.memory_limit))
        return self

    def _take(self) -> _Worker:
        with self._ready_lock:
            if self._ready:
                return self._ready.pop()
        return _Worker(self.memory_limit)

    def close(self) -> None:
        """Close workers started ahead and not used."""
        with self._ready_lock:
            idle, self._ready = self._ready, []
        for worker in idle:
            worker.close()

    def parse(self, requests: Iterable[Request],
              progress: Callable[[int, int | None, str], None] | None = None,
              *, total: int | None = None,
              on_result: Callable[[tuple[str, str], str], None] | None = None,
              ) -> dict[tuple[str, str], str]:
        """Return ``{(blob sha, language): facts json}`` for every request.

        ``requests`` may be a lazy iterator (blobs streamed from ``git cat-file``): workers
        start at once and pull the next request when they are free, so interpreter start-up
        and reading overlap with parsing. Give the largest files first for an even finish.
        ``total`` is the number of requests, for progress, when ``requests`` has no length.
        ``on_result(key, facts json)`` runs in the feeding thread as each file is done, so
        the parent's own work on a result overlaps with the parsing of the others.
        ``progress`` is called from the calling thread (every :data:`PROGRESS_EVERY` seconds
        while files are done, and once at the end), never from a feeding thread: a report that
        writes to the database (tens of milliseconds when it opens the file) would otherwise
        leave that thread's worker without a file; an exception it raises (a cancel) stops
        the workers at their next file and is raised here.
        """
        if total is None and hasattr(requests, "__len__"):
            total = len(requests)  # type: ignore[arg-type]
        if total == 0:
            self.close()
            return {}
        source = iter(requests)
        results: dict[tuple[str, str], str] = {}
        lock = threading.Lock()
        errors: list[BaseException] = []

        def next_request() -> Request | None:
            with lock:
                if errors:
                    return None
                return next(source, None)

        def handle(sha: str, language: str, facts: str) -> None:
            if on_result is not None:
                on_result((sha, language), facts)
            with lock:
                results[(sha, language)] = facts

        def serve() -> None:
            # One request stays queued in the worker while this thread handles the last
            # answer (decoding it, reporting progress to the database): the worker never
            # waits for its feeder. A crash is charged to the request it was answering.
            worker = self._take()
            try:
                request = next_request()
                sent = request is not None and worker.send(request)
                while request is not None:
                    answer = worker.receive() if sent else None
                    if answer is None:  # the worker died on this request
                        worker.close()
                        worker = _Worker(self.memory_limit)
                        answer = (request[0], request[1],
                                  _problem_json(request[1], "the parser crashed on this file"))
                    following = next_request()
                    sent = following is not None and worker.send(following)
                    handle(*answer)
                    request = following
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                with lock:
                    errors.append(exc)  # the other workers stop at their next request
            finally:
                worker.close()

        size = self.size if total is None else min(self.size, total)
        threads = [threading.Thread(target=serve, name=f"workbench-parse-{i}")
                   for i in range(size)]
        try:
            for t in threads:
                t.start()
            reported = -1
            for t in threads:
                while t.is_alive():
                    t.join(PROGRESS_EVERY)
                    if progress is not None and len(results) != reported and not errors:
                        reported = len(results)
                        try:
                            progress(reported, total, "parsing")
                        except BaseException as exc:  # noqa: BLE001 - a cancel: stop the workers
                            with lock:
                                errors.append(exc)
            if progress is not None and len(results) != reported and not errors:
                progress(len(results), total, "parsing")
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # a generator reading blobs stops its git process
            self.close()
        if errors:
            raise errors[0]
        return results

if __name__ == "__main__":
    worker_main()
    # every answer is flushed: the interpreter's teardown (10-20 ms of freeing what the parse
    # left, and a last collection) is skipped, since the parse waits for the worker to end
    os._exit(0)
