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

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from typing import Callable, Iterable

_HEADER = struct.Struct("!I")

#: A request: (blob sha, language, bytes); a result: (blob sha, language, facts json).
Request = tuple[str, str, bytes]
Result = tuple[str, str, str]


def parse_blob(sha: str, language: str, data: bytes) -> Result:
    """Parse one blob; the same function runs in workers and (for tests) in-process."""
    from .parsers import parse

    if b"\0" in data:
        return sha, language, _problem_json(language, BINARY, skipped=True)
    return sha, language, parse(language, data).to_json()


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
    while True:
        try:
            sha, language, data = _recv(stdin)
        except EOFError:
            return
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

    def ask(self, request: Request) -> Result:
        _send(self.proc.stdin, request)
        return _recv(self.proc.stdout)

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
    """Parse blobs in ``size`` worker processes; crashes cost one file, never the batch."""

    def __init__(self, size: int, *, memory_limit: int = 2 << 30) -> None:
        self.size = max(1, size)
        self.memory_limit = memory_limit

    def parse(self, requests: Iterable[Request],
              progress: Callable[[int, int | None, str], None] | None = None
              ) -> dict[tuple[str, str], str]:
        """Return ``{(blob sha, language): facts json}`` for every request."""
        items = list(requests)
        results: dict[tuple[str, str], str] = {}
        if not items:
            return results
        todo: queue.Queue = queue.Queue()
        for item in items:
            todo.put(item)
        lock = threading.Lock()
        errors: list[BaseException] = []

        def serve() -> None:
            worker = _Worker(self.memory_limit)
            try:
                while True:
                    try:
                        request = todo.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        sha, language, facts = worker.ask(request)
                    except (EOFError, BrokenPipeError, OSError):
                        worker.close()
                        sha, language = request[0], request[1]
                        facts = _problem_json(language, "the parser crashed on this file")
                        worker = _Worker(self.memory_limit)
                    with lock:
                        results[(sha, language)] = facts
                        done = len(results)
                    if progress is not None:
                        progress(done, len(items), "parsing")
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
                errors.append(exc)
                while True:  # stop the other workers too (a cancel raised in progress)
                    try:
                        todo.get_nowait()
                    except queue.Empty:
                        break
            finally:
                worker.close()

        threads = [threading.Thread(target=serve, name=f"workbench-parse-{i}")
                   for i in range(min(self.size, len(items)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results


if __name__ == "__main__":
    worker_main()
