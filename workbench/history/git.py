"""Running git on repositories we do not trust, for history mining.

Every git process goes through the one guarded runner, :class:`workbench.repos.git.Git`: the
same hardened settings (no hooks, external diff or textconv drivers, fsmonitor or prompts),
environment scrubbing, protocol allow-list, wall-clock limit, memory limit and output limit
as clones and fetches. Revisions given by callers are validated before they reach a command
line and are passed after ``--end-of-options`` so they are never read as options.
"""

from __future__ import annotations

import copy
import fcntl
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

from workbench.errors import GitFailed
from workbench.history.errors import HistoryError
from workbench.repos.git import Git

_SHA_RE = re.compile(r"[0-9a-f]{40}")
# A plain ref name: what `git check-ref-format` allows, minus anything revision syntax would
# interpret (ranges, reflog and peel suffixes, wildcards, leading dashes).
_REF_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+@-]*")

def validate_sha(value: str, what: str = "since") -> str:
    """Return ``value`` if it is a full lowercase 40-hex object name, else raise."""
    if not isinstance(value, str) or not _SHA_RE.fullmatch(value):
        raise HistoryError(f"{what} must be a full 40-character hexadecimal commit sha, got {value!r}")
    return value


def validate_ref(value: str) -> str:
    """Return ``value`` if it is a plain ref name (``HEAD``, ``main``, ``origin/dev``, a sha)."""
    if (
        not isinstance(value, str)
        or not _REF_RE.fullmatch(value)
        or ".." in value
        or value.endswith((".", "/", ".lock"))
        or "@{" in value
        or "//" in value
    ):
        raise HistoryError(f"rev must be a plain ref name, got {value!r}")
    return value


def check_repository(repo_path: str | os.PathLike[str]) -> Path:
    """Return the repository path if git recognises it (bare or not), else raise."""
    path = Path(repo_path)
    if not path.is_dir():
        raise HistoryError("repository path does not exist or is not a directory", str(path))
    result = run_git(path, "rev-parse", "--git-dir", check=False)
    if result.returncode != 0:
        raise HistoryError("not a git repository", str(path))
    return path


def resolve_commits(repo_path: str | os.PathLike[str], revs: Sequence[str]) -> list[str]:
    """Resolve already-validated revisions to commit shas, raising a clear error for each miss."""
    shas = []
    # rev-parse takes no --end-of-options in every git we support: the callers' validation
    # (no leading "-") is what keeps a revision from being read as an option here.
    for rev in revs:
        result = run_git(repo_path, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        if result.returncode != 0:
            raise HistoryError(f"no commit {rev!r} in the repository", os.fspath(repo_path))
        shas.append(result.stdout.decode().strip())
    return shas


def run_git(repo_path: str | os.PathLike[str], *args: str, check: bool = True,
            git: Git | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a short git command to completion through the guarded runner (``git``, default
    :class:`Git` with its default limits); with ``check`` a failure raises HistoryError."""
    result = (git or Git()).run_raw(list(args), cwd=repo_path, what=f"git {args[0]}")
    if check and result.returncode != 0:
        raise HistoryError(
            f"git {args[0]} failed: {result.stderr.decode(errors='replace').strip()}", os.fspath(repo_path)
        )
    return result


def spawn_git(repo_path: str | os.PathLike[str], *args: str, stderr: IO[bytes],
              git: Git | None = None) -> subprocess.Popen[bytes]:
    """Start a long-running git command whose stdout the caller streams (and whose wall-clock
    limit the caller keeps), through the guarded runner.

    ``stderr`` should be a file, not a pipe: nobody reads it while stdout streams, and a full
    stderr pipe would stall git.
    """
    try:
        return (git or Git()).spawn(list(args), cwd=repo_path, stderr=stderr)
    except GitFailed as exc:
        raise HistoryError(f"cannot run git: {exc}", os.fspath(repo_path)) from exc


_PIPE_SIZE = 1 << 20
_READ_SIZE = 1 << 20
_SMALL_READ = 64 << 10
_PAUSE = 0.004


def read_stdout(process: "subprocess.Popen[bytes] | LogProcesses") -> Iterator[bytes]:
    """Yield ``process``'s stdout in chunks until it closes (for :class:`LogProcesses`, the
    output of all its pieces in order).

    ``git log`` flushes after every commit, so reading as eagerly as possible wakes the reader
    for every few hundred bytes. The pipe is enlarged (where Linux allows) and, after a small
    read, the reader pauses a few milliseconds so the next read takes many commits at once:
    git never waits on a 1 MiB pipe in that time, and the reader's share of the CPU drops.
    """
    if isinstance(process, LogProcesses):
        return process.chunks()
    return _read_pipe(process)


def _read_pipe(process: subprocess.Popen[bytes]) -> Iterator[bytes]:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_SIZE)
    except OSError:  # not Linux, or above /proc/sys/fs/pipe-max-size: keep the default
        pass
    while chunk := os.read(fd, _READ_SIZE):
        yield chunk
        if len(chunk) < _SMALL_READ:
            time.sleep(_PAUSE)


# -- one history, several git processes ---------------------------------------------------------

#: Git processes of a parallel ``git log``; None: :func:`default_jobs`.
JOBS: int | None = None
#: Fewest commits one ``git log`` process of a parallel run is given: below twice this, one
#: process mines the whole range (starting more would cost more than it saves).
MIN_PIECE = 400
#: Most commits one process is given: many pieces even out slow stretches between processes.
MAX_PIECE = 20_000
#: Pieces per process at least, for the same reason.
PIECES_PER_JOB = 4
_SHA_LINE = 41  # "<40 hex>\n", one line of `git rev-list`
_FOLLOW_PAUSE = 0.005
#: Pieces started but not yet read, per job at most: bounds the disk their output takes when
#: the reader is slower than git (a caller storing a batch).
_AHEAD = 3


def default_jobs() -> int:
    """Git processes a parallel ``git log`` uses: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def spawn_log(repo_path: str | os.PathLike[str], args: Sequence[str], *, stderr: IO[bytes],
              git: Git | None = None, jobs: int | None = None,
              min_piece: int | None = None) -> "LogProcesses":
    """Start ``git <args>`` (a ``git log --topo-order --reverse ... --end-of-options REVS --``)
    as one or several git processes whose output, read with :func:`read_stdout`, is byte for
    byte what the single ``git log`` would write.

    With two jobs and at least ``2 * min_piece`` commits to show, two processes show the
    history from both ends and meet where they meet (:class:`TwoEnds`): the work is shared
    evenly whatever each commit costs, and nothing is listed beforehand. With more jobs, one
    ``git rev-list`` lists the commits in the log's order, the list is cut into contiguous
    pieces, and each piece is shown by ``git log --no-walk=unsorted --stdin`` (the same
    options, the piece's ids on stdin), ``jobs`` processes at a time, each writing to a file
    of its own that is read in piece order. Every per-commit option (``--numstat``, ``-M``,
    ``--use-mailmap``, ``--diff-merges``, the format) applies to each commit alone, so the
    pieces together are the single stream. ``jobs`` defaults to :data:`JOBS`,
    ``min_piece`` to :data:`MIN_PIECE`. Raises :class:`HistoryError` when git cannot start
    or ``args`` is not such a ``git log``.
    """
    args = list(args)
    if not args or args[0] != "log" or "--end-of-options" not in args or "--no-walk" in args:
        raise HistoryError(f"spawn_log needs a walking `git log ... --end-of-options REVS`, got {args[:3]}")
    git = with_index_room(repo_path, git or Git())
    jobs = max(1, jobs or JOBS or default_jobs())
    min_piece = MIN_PIECE if min_piece is None else max(1, min_piece)
    if jobs == 1:
        return LogProcesses.single(spawn_git(repo_path, *args, stderr=stderr, git=git))
    split = args.index("--end-of-options")
    options, revs = args[1:split], args[split + 1:]
    walk = [option for option in options if option in _WALK_OPTIONS]
    if jobs == 2 and "--reverse" in options:
        forward = spawn_git(repo_path, *args, stderr=stderr, git=git)
        # A whole history (no ^excluded commits) is long as a rule: the second starts at once,
        # as each walks the whole range for --topo-order before its first record and the count
        # would delay that walk. A range since a checkpoint is short as a rule (every re-map):
        # counted first, so that it costs no second process. Only the start differs.
        both = None if any(rev.startswith("^") for rev in revs) else TwoEnds(
            repo_path, args, stderr, git, forward)
        try:  # enough commits for two? rev-list stops counting at the threshold
            count = int(run_git(repo_path, "rev-list", "--count", f"--max-count={2 * min_piece}",
                                "--end-of-options", *revs, git=git).stdout or 0)
        except BaseException:
            if both is not None:
                both.close()
            Git.kill(forward)
            forward.wait()
            raise
        if count < 2 * min_piece:
            return both.alone() if both is not None else LogProcesses.single(forward)
        return both or TwoEnds(repo_path, args, stderr, git, forward)
    shown = [option for option in options if option not in _WALK_OPTIONS]
    listed = run_git(repo_path, "rev-list", *walk, "--end-of-options", *revs, git=git).stdout
    count = len(listed) // _SHA_LINE
    if count < 2 * min_piece:
        return LogProcesses.single(spawn_git(repo_path, *args, stderr=stderr, git=git))
    size = max(min_piece, min(MAX_PIECE, -(-count // (jobs * PIECES_PER_JOB))))
    pieces = [listed[start * _SHA_LINE:(start + size) * _SHA_LINE] for start in range(0, count, size)]
    command = ["log", *shown, "--no-walk=unsorted", "--stdin"]
    return LogProcesses(lambda piece: _spawn_piece(repo_path, command, piece, stderr, git),
                        pieces, jobs)


#: ``git log`` options that choose and order the commits: given to ``rev-list``, not to pieces.
_WALK_OPTIONS = frozenset({"--topo-order", "--reverse", "--date-order", "--author-date-order"})


#: Files git maps whole whatever its pack window settings: pack indexes and their companions.
_MAPPED_WHOLE = ("pack/*.idx", "pack/*.rev", "pack/*.bitmap", "info/commit-graph",
                 "info/commit-graphs/*", "pack/multi-pack-index")


def with_index_room(repo_path: str | os.PathLike[str], git: Git) -> Git:
    """``git`` with its memory limit raised by the size of the files git maps whole (pack
    indexes, bitmaps, commit-graph), so the limit still bounds what one commit's diff may take
    however large the repository: a million-commit repository's pack index alone is about
    250 MB, and git cannot even list the commits of a repository whose indexes do not fit
    (``packfile ... cannot be mapped``). Without a limit, ``git`` itself."""
    if git.memory is None:
        return git
    root = Path(repo_path)
    objects = root / "objects" if (root / "objects").is_dir() else root / ".git" / "objects"
    mapped = sum(path.stat().st_size for pattern in _MAPPED_WHOLE for path in objects.glob(pattern))
    if not mapped:
        return git
    roomy = copy.copy(git)
    roomy.memory = git.memory + mapped
    return roomy


def _spawn_piece(repo_path: str | os.PathLike[str], command: list[str], piece: bytes,
                 stderr: IO[bytes], git: Git) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    """Start the ``git log --stdin`` of one piece; its ids come from a file, its output goes
    to one (so it never waits for the reader). Returns the process and its output file."""
    with tempfile.TemporaryFile() as ids:
        ids.write(piece)
        ids.seek(0)
        output = tempfile.TemporaryFile()
        try:
            process = (git or Git()).spawn(command, cwd=repo_path, stdin=ids, stdout=output,
                                           stderr=stderr)
        except GitFailed as exc:
            output.close()
            raise HistoryError(f"cannot run git: {exc}", os.fspath(repo_path)) from exc
    return process, output


class _Piece:
    __slots__ = ("process", "output", "offset")

    def __init__(self, process: subprocess.Popen[bytes], output: IO[bytes] | None) -> None:
        self.process, self.output, self.offset = process, output, 0


class LogProcesses:
    """The git processes of one :func:`spawn_log`, seen as one process by their reader.

    The subset of :class:`subprocess.Popen` that mining uses: :meth:`poll`, :meth:`wait`,
    :attr:`returncode`, :meth:`kill`, :meth:`close` (also as ``stdout.close()``). The return
    code is that of the first piece that failed (the reader stops at the end of its output,
    as it would at the end of a single failed ``git log``; later pieces are stopped), else 0.
    """

    def __init__(self, start: Callable[[bytes], tuple[subprocess.Popen[bytes], IO[bytes] | None]],
                 pieces: list[bytes], jobs: int) -> None:
        self._start = start
        self._waiting = list(reversed(pieces))  # pop() takes the next one
        self._jobs = jobs
        self._running: list[_Piece] = []  # started and not read to the end, in piece order
        self._closed = False
        self.returncode: int | None = None
        self.stdout = self  # mining closes ``process.stdout`` when done
        self._fill()

    @classmethod
    def single(cls, process: subprocess.Popen[bytes]) -> "LogProcesses":
        """One ordinary ``git log`` whose stdout is a pipe."""
        self = cls.__new__(cls)
        self._start, self._waiting, self._jobs, self._closed = None, [], 1, False
        self._running = [_Piece(process, None)]
        self.returncode = None
        self.stdout = self
        return self

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        """The git processes started and not yet read to the end (piece order)."""
        return [piece.process for piece in self._running]

    def _fill(self) -> None:
        """Start pieces until ``jobs`` of them are running (finished ones do not count)."""
        busy = sum(1 for piece in self._running if piece.process.poll() is None)
        while (self._waiting and busy < self._jobs and not self._closed
               and len(self._running) < self._jobs * _AHEAD):
            process, output = self._start(self._waiting.pop())
            self._running.append(_Piece(process, output))
            busy += 1

    def chunks(self) -> Iterator[bytes]:
        """The output of every piece in order, in chunks, as it is written."""
        while self._running and not self._closed:
            piece = self._running[0]
            if piece.output is None:
                yield from _read_pipe(piece.process)
                code = piece.process.wait()
            else:
                while True:
                    done = piece.process.poll() is not None  # before reading: nothing missed
                    chunk = os.pread(piece.output.fileno(), _READ_SIZE, piece.offset)
                    if chunk:
                        piece.offset += len(chunk)
                        yield chunk
                        self._fill()
                    elif done:
                        break
                    else:
                        time.sleep(_FOLLOW_PAUSE)
                        self._fill()
                code = piece.process.returncode
                piece.output.close()
            self._running.pop(0)
            if code != 0:
                self.returncode = code
                self.kill()
                return
            self._fill()
        if not self._running and not self._waiting and self.returncode is None:
            self.returncode = 0

    def poll(self) -> int | None:
        """The return code once every piece has been read or one failed, else None."""
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the processes still running (without reading them); their return code.

        Raises :class:`subprocess.TimeoutExpired` after ``timeout`` seconds. A reader that
        stopped early leaves pieces unread: their processes are waited for, and the first
        failure among them (else 0) is the answer.
        """
        if self.returncode is not None and not self._running:
            return self.returncode
        deadline = None if timeout is None else time.monotonic() + timeout
        for piece in list(self._running):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            code = piece.process.wait(left)  # raises TimeoutExpired
            if code != 0 and self.returncode in (None, 0):
                self.returncode = code
        if self.returncode is None:
            self.returncode = 0 if not self._waiting else -9
        return self.returncode

    def kill(self) -> None:
        """Stop every process (and its process group); start no more pieces."""
        self._waiting.clear()
        for piece in self._running:
            Git.kill(piece.process)
        for piece in self._running:
            piece.process.wait()

    def close(self) -> None:
        """Stop what still runs and release the pipes and files."""
        if self._closed:
            return
        self._closed = True
        for piece in self._running:
            if piece.process.poll() is None:
                Git.kill(piece.process)
                piece.process.wait()
            if piece.output is not None:
                piece.output.close()
            elif piece.process.stdout is not None:
                piece.process.stdout.close()
        self._running.clear()
        self._waiting.clear()


class TwoEnds(LogProcesses):
    """One history shown by two ``git log`` processes working towards each other.

    The first is the single ``git log`` itself (oldest commit first), read from its pipe; the
    second is the same command without ``--reverse`` (newest first) writing to a file. The
    reader passes the first one's records on until it comes to a commit the second has
    written in full; there both are stopped and the second's records follow, in reverse order
    (each record is one commit's bytes, whatever the process that wrote it). So the two
    always share the work evenly, whatever each commit costs, with no list of commits made
    beforehand and one git start each. Neither record nor byte order differs from the single
    ``git log``. When the second fails it is left out; when the first fails, the stream ends
    where a single ``git log`` would have ended, with its return code. The second's file
    holds at most the newer part of the history's output.
    """

    def __init__(self, repo_path: str | os.PathLike[str], args: list[str], stderr: IO[bytes],
                 git: Git, forward: subprocess.Popen[bytes]) -> None:
        """``forward`` is ``git <args>`` started already (its stdout a pipe)."""
        backward = [arg for arg in args if arg != "--reverse"]
        self._start, self._waiting, self._jobs, self._closed = None, [], 2, False
        self.returncode = None
        self.stdout = self
        self._forward = forward
        self._output = tempfile.TemporaryFile()
        try:
            self._backward: subprocess.Popen[bytes] | None = git.spawn(
                backward, cwd=repo_path, stdout=self._output, stderr=stderr)
        except GitFailed:
            self._backward = None  # the first one mines alone
        self._running = [_Piece(self._forward, None)]
        if self._backward is not None:
            self._running.append(_Piece(self._backward, self._output))

    def chunks(self) -> Iterator[bytes]:
        """The first process's output up to where the second's begins, then the second's."""
        from workbench.history.parse import RecordScanner

        assert self._forward.stdout is not None
        fd = self._forward.stdout.fileno()
        try:
            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_SIZE)
        except OSError:
            pass
        forward, backward = RecordScanner(), _Backward(self._output)
        passed: set[bytes] = set()  # commits the first process has shown
        held = b""  # read from the first process, not passed on yet (an unfinished token)
        while not self._closed:
            chunk = os.read(fd, _READ_SIZE)
            if not chunk:
                break
            starts = forward.feed(chunk)
            if self._backward is not None:
                backward.read(self._backward.poll() is not None and self._backward.returncode == 0)
                if backward.records and backward.last_sha in passed:
                    self._stop_backward()  # it reached what was shown: no use any more
            data, base = held + chunk, forward.offset - len(held) - len(chunk)
            for offset, sha in starts:
                index = backward.index.get(sha)
                if index is not None:  # the rest is written already
                    yield data[:offset - base]
                    self._stop_forward()
                    yield from backward.records_from(index)
                    self._finish(0)
                    return
                passed.add(sha)
            cut = forward.settled - base
            held = data[cut:]
            if cut:
                yield data[:cut]
            if len(chunk) < _SMALL_READ:
                time.sleep(_PAUSE)
        if held:
            yield held
        if self._closed:
            return
        self._finish(self._forward.wait())

    def alone(self) -> LogProcesses:
        """The first process by itself, the second stopped (a history too short to share)."""
        self._stop_backward()
        self._output.close()
        return LogProcesses.single(self._forward)

    def _stop_forward(self) -> None:
        Git.kill(self._forward)
        self._forward.wait()

    def _stop_backward(self) -> None:
        if self._backward is not None:
            Git.kill(self._backward)
            self._backward.wait()
            self._running = [piece for piece in self._running if piece.process is not self._backward]
            self._backward = None

    def _finish(self, code: int) -> None:
        self._stop_backward()
        self.returncode = code
        self._running = []
        self._output.close()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the first process (the second is stopped); the stream's return code."""
        if self.returncode is not None:
            return self.returncode
        self._stop_backward()
        code = self._forward.wait(timeout)  # raises TimeoutExpired
        self.returncode = code
        return code

    def kill(self) -> None:
        """Stop both processes."""
        self._stop_backward()
        self._stop_forward()

    def close(self) -> None:
        """Stop what still runs and release the pipe and the file."""
        if self._closed:
            return
        self._closed = True
        self.kill()
        if self._forward.stdout is not None:
            self._forward.stdout.close()
        self._output.close()
        self._running = []


class _Backward:
    """The records the newest-first process has written in full, read from its file."""

    def __init__(self, output: IO[bytes]) -> None:
        from workbench.history.parse import RecordScanner

        self._file = output
        self._scanner = RecordScanner()
        self._starts: list[int] = []  # where each record begins, newest commit first
        self._shas: list[bytes] = []
        #: sha -> position in the file's order, of every record written in full
        self.index: dict[bytes, int] = {}
        self._end: int | None = None  # where the last record ends, once the process is done

    @property
    def records(self) -> int:
        return len(self.index)

    @property
    def last_sha(self) -> bytes:
        """The oldest commit written in full so far."""
        return self._shas[len(self.index) - 1]

    def read(self, finished: bool) -> None:
        """Take in what the process wrote since the last call (``finished``: it ended well)."""
        while True:
            chunk = os.pread(self._file.fileno(), _READ_SIZE, self._scanner.offset)
            if not chunk:
                break
            for offset, sha in self._scanner.feed(chunk):
                self._starts.append(offset)
                self._shas.append(sha)
        complete = len(self._starts) - 1  # a record is whole once the next one has begun
        if finished and self._scanner.settled == self._scanner.offset and self._starts:
            complete, self._end = len(self._starts), self._scanner.offset
        for position in range(len(self.index), max(complete, 0)):
            self.index[self._shas[position]] = position

    def records_from(self, index: int) -> Iterator[bytes]:
        """Records ``index`` down to the first in the file: oldest first, as ``--reverse``,
        several records a chunk (blocks of about :data:`_READ_SIZE` bytes)."""
        fd = self._file.fileno()
        end = self._starts[index + 1] if index + 1 < len(self._starts) else self._end
        assert end is not None
        while index >= 0:
            first = index  # a block of records of about _READ_SIZE bytes
            while first > 0 and end - self._starts[first - 1] <= _READ_SIZE:
                first -= 1
            base = self._starts[first]
            block = os.pread(fd, end - base, base)
            bounds = [start - base for start in self._starts[first:index + 1]] + [end - base]
            # one chunk per block, not per record: after the join the parser is all that runs
            yield b"".join([block[bounds[n]:bounds[n + 1]] for n in range(len(bounds) - 2, -1, -1)])
            end, index = base, first - 1
