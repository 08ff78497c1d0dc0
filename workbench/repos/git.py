"""Git, hardened: every git process of the workbench — clone, fetch, listing and reading files,
mining history — is started by :meth:`Git.spawn`, with the same limits and settings that keep a
repository we only want to read from running code, prompting or exhausting the machine.

* ``core.hooksPath`` points at an empty directory, so no hook ever runs;
* ``core.symlinks=false``, ``core.fsmonitor=false``, submodules never recursed into;
* Git LFS smudging is off (``GIT_LFS_SKIP_SMUDGE``, filter overrides), so ``.lfsconfig`` is inert;
* only the https and ssh transports (and ``file`` for local sources) are allowed
  (``GIT_ALLOW_PROTOCOL``), so ``ext::`` and ``fd::`` are refused by git too;
* objects are checked as they arrive (``transfer.fsckObjects``): a corrupt object, or a tree
  with an entry named ``.``, ``..`` or ``.git``, refuses the clone or fetch
  (:class:`~workbench.errors.CorruptRepository`, never retried), and listing a commit's files
  refuses such entries too (clones made before the checks); three formatting quirks of old
  tools that real histories carry (zero-padded tree modes, as in flask's; a malformed time
  zone; no space before a date) are let through;
* no terminal prompts (``GIT_TERMINAL_PROMPT=0``, ssh ``BatchMode``);
* one wall-clock budget per git operation (``timeout`` seconds), kept for every transport: git
  starts in a process group of its own and the whole group — ``git-remote-https`` stuck in a
  TLS handshake, ``ssh`` stalled after its banner, ``index-pack`` — is killed when the budget
  is spent (:class:`~workbench.errors.GitTimeout`, not retried: a second attempt would spend a
  second budget); ssh's connect and http's low-speed limits fit inside the budget, so their own
  errors come first and say what they saw, and no message claims a time that did not pass;
* every process has an address-space limit (``RLIMIT_AS``, ``memory`` bytes, set by the shell's
  ``ulimit -v`` before git starts; pack windows are kept small to fit), so a "tree bomb" — a
  few kilobytes of objects that expand to millions of paths — ends in "out of memory"
  (:class:`~workbench.errors.RepositoryTooLarge`) instead of taking the host's memory;
* :meth:`Git.run` stops git once its output passes ``max_output`` bytes; streaming readers cap
  their own units (entries and bytes of a tree, files of one commit while mining);
* inherited variables that redirect git (``GIT_DIR``, ``GIT_CONFIG_*``, ``GIT_EXTERNAL_DIFF``,
  replace refs, ...) are dropped;
* arguments that come from users sit after ``--`` or ``--end-of-options``.

A network command (clone, fetch) may add settings, environment and secrets for that one process
through :class:`NetworkOptions` — the askpass answers of :mod:`.credentials`, for instance.
Errors become :class:`~workbench.errors.GitFailed` with credentials and those secrets redacted;
a refused or missing login becomes :class:`~workbench.errors.AuthenticationFailed`.
"""

from __future__ import annotations

import functools
import os
import re
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from ..errors import (AuthenticationFailed, CorruptRepository, GitFailed, GitNetworkError,
                      GitTimeout, RepositoryTooLarge)
from .paths import path_text
from .sources import redact

_EMPTY_HOOKS = Path(tempfile.gettempdir()) / "workbench-empty-hooks"


def _hardening_config() -> list[str]:
    _EMPTY_HOOKS.mkdir(exist_ok=True)
    settings = {
        "core.hooksPath": str(_EMPTY_HOOKS),
        "core.symlinks": "false",
        "core.fsmonitor": "false",
        "core.quotePath": "false",
        "protocol.ext.allow": "never",
        "protocol.fd.allow": "never",
        "submodule.recurse": "false",
        "fetch.recurseSubmodules": "false",
        "http.lowSpeedLimit": "1000",
        "filter.lfs.smudge": "",
        "filter.lfs.process": "",
        "filter.lfs.required": "false",
        "credential.interactive": "false",
        "gc.auto": "0",
        "transfer.fsckObjects": "true",
        "fetch.fsck.hasDot": "error",
        "fetch.fsck.hasDotdot": "error",
        "fetch.fsck.hasDotgit": "error",
        # formatting quirks of old tools, found in real histories (flask's has zero-padded
        # tree modes): harmless to a reader that goes through git, so they do not refuse it
        "fetch.fsck.zeroPaddedFilemode": "ignore",
        "fetch.fsck.badTimezone": "ignore",
        "fetch.fsck.missingSpaceBeforeDate": "ignore",
        "advice.detachedHead": "false",
        "log.showSignature": "false",
        "diff.external": "",
        "core.pager": "cat",
        "core.packedGitWindowSize": "32m",
        "core.packedGitLimit": "256m",
        "core.deltaBaseCacheLimit": "64m",
    }
    args: list[str] = []
    for key, value in settings.items():
        args += ["-c", f"{key}={value}"]
    return args


_NETWORK_MARKERS = (
    "could not resolve host", "connection timed out", "connection refused", "connection reset",
    "operation timed out", "timed out", "network is unreachable", "temporary failure in name",
    "the remote end hung up unexpectedly", "early eof", "rpc failed", "ssl_connect",
    "gnutls_handshake", "failed to connect",
    "http/2 stream", "transfer closed", "operation too slow",
)


def git_says(stderr: str, most: int = 3) -> str:
    """What git's error text says, in one line: its first ``fatal:`` and ``error:`` lines (at
    most ``most``, without the prefix, joined by ``; ``), else its last line. The advice git
    prints after them ("Please make sure you have the correct access rights / and the
    repository exists.") is left out; ``""`` for no text."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said: list[str] = []
    for line in lines:
        prefix, _, rest = line.partition(":")
        if prefix.lower() in ("fatal", "error") and rest.strip() and rest.strip() not in said:
            said.append(rest.strip())
    return "; ".join(said[:most]) if said else (lines[-1] if lines else "")


def is_network_problem(stderr: str) -> bool:
    """Does git's error text show a network problem (worth retrying) rather than a bad repo?"""
    text = stderr.lower()
    return any(marker in text for marker in _NETWORK_MARKERS)


#: What git says about a corrupt or unsafe object (checked before the network markers: a
#: remote that dies on a corrupt object also makes the client report "early EOF").
_CORRUPTION_MARKERS = (
    "fsck error", "is corrupt", "corruption", "inflate:", "unable to unpack", "hash mismatch",
    "sha1 mismatch", "bad object", "invalid object", "did not receive expected object",
    "object file", "packed object", "hasdot", "badtree", "badobject", "missing blob",
    "missing tree", "missing commit", "bad tree object",
)


def corruption_detail(stderr: str) -> str | None:
    """The line of git's error text that names a corrupt or unsafe object, else ``None``.

    fsck's own verdict (``error: object …: hasDotgit: contains '.git'``) is preferred to the
    lines git prints as it gives up (``fatal: fetch-pack: invalid index-pack output``).
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    hits = [line for line in lines if any(m in line.lower() for m in _CORRUPTION_MARKERS)]
    if not hits:
        return None
    fsck = [line for line in hits if line.lower().startswith(("error: object", "remote: fatal"))]
    return (fsck or hits)[0].removeprefix("remote: ")


_AUTH_MARKERS = (
    "authentication failed", "could not read username", "could not read password",
    "invalid username or password", "http basic: access denied",
)


def is_auth_problem(stderr: str) -> bool:
    """Did the server refuse the credentials, or want some git could not give?"""
    text = stderr.lower()
    return any(marker in text for marker in _AUTH_MARKERS)


#: Variables that would point git at another repository, index, object store, history or
#: settings, or make it run a program (set when the workbench runs inside a git hook, say);
#: never passed on. ``GIT_CONFIG_KEY_<n>``/``GIT_CONFIG_VALUE_<n>`` go too.
_REDIRECTING_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG",
                    "GIT_CONFIG_COUNT", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_EXTERNAL_DIFF",
                    "GIT_DIFF_OPTS", "GIT_PAGER", "GIT_EDITOR", "GIT_REPLACE_REF_BASE",
                    "GIT_GRAFT_FILE", "GIT_SHALLOW_FILE", "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR",
                    "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM")
_REDIRECTING_PREFIXES = ("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_")

#: Address-space limit of one git process unless configured (``Config.git_memory``).
DEFAULT_GIT_MEMORY = 2 << 30
#: Stdout bytes :meth:`Git.run` accepts from one command.
DEFAULT_MAX_OUTPUT = 512 << 20

_MEMORY_MARKERS = ("out of memory", "cannot allocate memory", "unable to create thread",
                   "mmap failed")


def is_memory_problem(stderr: str) -> bool:
    """Did git stop because its memory limit was reached?"""
    text = stderr.lower()
    return any(marker in text for marker in _MEMORY_MARKERS)


@dataclass(frozen=True)
class NetworkOptions:
    """What one network command (clone, fetch) adds to the hardened defaults.

    ``config`` becomes ``-c key=value`` after the hardening settings (so it wins over them);
    ``env`` is set in that git process only; every string in ``secrets`` is redacted from git's
    output before it reaches an error; ``auth_hint`` ends the message of an
    :class:`AuthenticationFailed`.
    """

    config: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    auth_hint: str = ""

    def __add__(self, other: "NetworkOptions") -> "NetworkOptions":
        return NetworkOptions({**self.config, **other.config}, {**self.env, **other.env},
                              (*self.secrets, *other.secrets),
                              other.auth_hint or self.auth_hint)


@functools.lru_cache(maxsize=1)
def git_version() -> tuple[int, ...]:
    """The installed git's version, e.g. ``(2, 39, 5)``; ``()`` when it cannot be told."""
    try:
        out = subprocess.run(["git", "version"], capture_output=True, text=True, timeout=30,
                             env={**os.environ, "LC_ALL": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(part) for part in match.groups() if part is not None) if match else ()


class Watchdog:
    """Calls ``on_expire`` once ``seconds`` of running time pass; :meth:`pause` stops the clock.

    One thread for the whole stream (a ``threading.Timer`` per blob would start thousands).
    It sleeps until the deadline it last worked out; a pause only moves the deadline later,
    so :meth:`resume` wakes it only when it found the clock stopped and sleeps without one
    (a wake-up per blob took the interpreter from the map's other threads about a thousand
    times a map).
    """

    def __init__(self, seconds: float, on_expire) -> None:
        self.seconds = seconds
        self.expired = False
        self._left = seconds
        self._since: float | None = time.monotonic()
        self._stopped = False
        self._parked = False  # waiting, with no deadline, for the clock to run again
        self._cond = threading.Condition()
        self._on_expire = on_expire
        threading.Thread(target=self._run, name="workbench-git-watchdog", daemon=True).start()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                if self._since is None:
                    self._parked = True
                    self._cond.wait()
                    self._parked = False
                    continue
                remaining = self._left - (time.monotonic() - self._since)
                if remaining <= 0:
                    self.expired = True
                    self._on_expire()
                    return
                self._cond.wait(remaining)

    def pause(self) -> None:
        with self._cond:
            if self._since is not None:
                self._left -= time.monotonic() - self._since
                self._since = None

    def resume(self) -> None:
        with self._cond:
            self._since = time.monotonic()
            if self._parked:
                self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()


@dataclass(frozen=True)
class TreeEntry:
    """One entry of ``git ls-tree -r -l``: a file, a symlink or a submodule at a commit."""

    mode: str
    type: str
    blob_sha: str
    size: int | None
    path: str
    """The path in the text form of :mod:`workbench.repos.paths` (valid UTF-8, reversible)."""

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_submodule(self) -> bool:
        return self.type == "commit"


#: The mode and object name git gives the missing side of an added or deleted path.
NO_MODE = "000000"
NO_SHA = "0" * 40


@dataclass(frozen=True)
class TreeChange:
    """One path that differs between two commits (``git diff-tree -r --raw``, renames not
    looked for): ``status`` is git's letter (``M`` contents or mode, ``T`` kind: file,
    symlink or submodule, ``A`` added, ``D`` deleted); the modes and object names of both
    sides are :data:`NO_MODE` and :data:`NO_SHA` where a side has none."""

    status: str
    old_mode: str
    new_mode: str
    old_sha: str
    new_sha: str
    path: str
    """The path in the text form of :mod:`workbench.repos.paths`, checked as
    :meth:`Git.ls_tree` checks its entries."""

    def entry(self, size: int | None) -> TreeEntry:
        """The path's entry at the new commit, as :meth:`Git.ls_tree` would list it
        (``size``: its blob's, None for a submodule)."""
        kind = "commit" if self.new_mode == "160000" else "blob"
        return TreeEntry(self.new_mode, kind, self.new_sha, size, self.path)


_UNSAFE_NAMES = frozenset({"", ".", "..", ".git"})


def _check_entry_path(path: str, commit: str) -> None:
    """Refuse a tree entry whose path has a component ``.``, ``..`` or ``.git`` (any case), or
    is absolute: git itself never writes one, and a checkout would leave the tree with it."""
    wrapped = f"/{path}/"
    if "/." not in wrapped and "//" not in wrapped:
        return  # no component is empty or starts with a dot (the common case, checked fast)
    for part in path.split("/"):
        if part.lower() in _UNSAFE_NAMES:
            raise CorruptRepository(
                f"commit {commit[:12]} has a tree entry {path!r} (a path component "
                f"{part!r}); such trees are refused. Remove the commit from the source",
                commit=commit, path=path)


def too_many_entries(commit: str, limit: int) -> RepositoryTooLarge:
    """The refusal of a commit with more than ``limit`` files (``max_tree_entries``)."""
    return RepositoryTooLarge(
        f"commit {commit[:12]} has more than {limit} files; refused before reading any "
        "(raise max_tree_entries / WORKBENCH_MAX_TREE_ENTRIES if the repository is trusted)",
        commit=commit, limit=limit, what="entries")


def too_many_bytes(commit: str, limit: int) -> RepositoryTooLarge:
    """The refusal of a commit whose files add up to more than ``limit`` bytes
    (``max_tree_bytes``)."""
    return RepositoryTooLarge(
        f"files at commit {commit[:12]} add up to more than {limit} bytes; refused before "
        "reading any (raise max_tree_bytes / WORKBENCH_MAX_TREE_BYTES if the repository is "
        "trusted)", commit=commit, limit=limit, what="bytes")


class Git:
    """Starts every git process with the hardened settings, environment and limits.

    ``timeout`` is the wall-clock limit of one command in seconds; ``memory`` the address-space
    limit of the git process in bytes (``None``: none); ``max_output`` the stdout bytes
    :meth:`run` accepts.
    """

    def __init__(self, *, timeout: float = 600.0, allow_file_protocol: bool = False,
                 memory: int | None = DEFAULT_GIT_MEMORY,
                 max_output: int = DEFAULT_MAX_OUTPUT) -> None:
        self.timeout = timeout
        self.allow_file_protocol = allow_file_protocol
        self.memory = memory
        self.max_output = max_output

    def env(self, options: NetworkOptions | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if key not in _REDIRECTING_ENV and not key.startswith(_REDIRECTING_PREFIXES)}
        env.update(
            {
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_LFS_SKIP_SMUDGE": "1",
                "GIT_ALLOW_PROTOCOL": "https:ssh" + (":file" if self.allow_file_protocol else ""),
                "SSH_ASKPASS_REQUIRE": "never",
                "GIT_OPTIONAL_LOCKS": "0",
                "GIT_NO_REPLACE_OBJECTS": "1",
                "GIT_PAGER": "cat",
                "LC_ALL": "C",
                "LANGUAGE": "C",
            }
        )
        # ssh's ConnectTimeout covers the TCP connect and the banner exchange; the server-alive
        # probes end a session that stalls later; both well inside the operation's budget
        step = max(1, min(30, int(self.timeout // 3)))
        env.setdefault("GIT_SSH_COMMAND", f"ssh -o BatchMode=yes -o ConnectTimeout={step} "
                                          f"-o ServerAliveInterval={step} -o ServerAliveCountMax=2")
        if options is not None:
            env.update(options.env)
        return env

    def command(self, args: Sequence[str], options: NetworkOptions | None = None) -> list[str]:
        """The argv of ``git <args>``: hardening settings, the command's own, the memory limit."""
        extra: list[str] = []
        for key, value in (options.config if options else {}).items():
            extra += ["-c", f"{key}={value}"]
        low_speed = ["-c", f"http.lowSpeedTime={max(1, min(60, int(self.timeout // 2)))}"]
        argv = ["git", "--no-pager", *_hardening_config(), *low_speed, *extra, *args]
        if self.memory is None:
            return argv
        # the limit is set by the shell that then becomes git (exec): no Python runs between
        # fork and exec, which preexec_fn would need (unsafe with threads)
        return ["/bin/sh", "-c", f'ulimit -v {max(1, self.memory // 1024)} 2>/dev/null; '
                'exec "$0" "$@"', *argv]

    def spawn(self, args: Sequence[str], *, cwd: Path | str | None = None,
              options: NetworkOptions | None = None, stdin=subprocess.DEVNULL,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE) -> subprocess.Popen:
        """Start ``git <args>`` with the hardened settings, environment and memory limit.

        The caller reads its output and keeps the wall-clock limit (:meth:`run` does both).
        Raises :class:`GitFailed` when git cannot be started.
        """
        try:
            return subprocess.Popen(self.command(args, options), cwd=cwd, env=self.env(options),
                                    stdin=stdin, stdout=stdout, stderr=stderr,
                                    start_new_session=True)
        except OSError as exc:
            if cwd is not None and not os.path.isdir(cwd):  # not git's fault: where it runs
                raise GitFailed(f"cannot run git in {cwd}: no such directory (a clone that "
                                "was moved or deleted); map the project again to clone it "
                                "anew") from exc
            raise GitFailed(f"cannot run git ({exc}); install git or put it on PATH") from exc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """Kill a process from :meth:`spawn` and everything it started (its process group)."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if proc.poll() is None:
            proc.kill()

    def timed_out(self, what: str) -> GitTimeout:
        """The error of an operation stopped at the end of its budget."""
        return GitTimeout(
            f"{what} timed out after {self.timeout:g} s, the wall-clock budget of one git "
            "operation, and was stopped; not retried. Check that the server answers, or raise "
            "WORKBENCH_GIT_TIMEOUT", timeout=self.timeout)

    def run_raw(self, args: Sequence[str], *, cwd: Path | str | None = None, what: str = "git",
                options: NetworkOptions | None = None) -> subprocess.CompletedProcess:
        """Run git to its end within the limits; return its exit status, stdout and stderr
        (bytes), whatever the status. Raises :class:`GitNetworkError` when the wall-clock limit
        passes and :class:`RepositoryTooLarge` when stdout passes ``max_output`` bytes (git is
        killed in both cases)."""
        proc = self.spawn(args, cwd=cwd, options=options)
        _widen_pipe(proc.stdout)
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + self.timeout
        problem = None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while sel.get_map() and problem is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    problem = "timeout"
                    break
                for key, _ in sel.select(min(left, 1.0)):
                    chunk = os.read(key.fd, _PIPE_BYTES)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    key.data.extend(chunk)
                    if key.data is err and len(err) > 1 << 20:
                        del err[:len(err) - (1 << 19)]  # keep the end: git's verdict is last
                    if key.data is out and len(out) > self.max_output:
                        problem = "output"
                        break
        if problem is not None:
            self.kill(proc)
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()) if problem is None else 30)
        except subprocess.TimeoutExpired:  # closed its pipes but does not end
            self.kill(proc)
            proc.wait()
            problem = "timeout"
        finally:
            proc.stdout.close()
            proc.stderr.close()
        if problem == "timeout":
            raise self.timed_out(what)
        if problem == "output":
            raise RepositoryTooLarge(
                f"{what} stopped: git wrote more than {self.max_output} bytes", what="output",
                limit=self.max_output)
        return subprocess.CompletedProcess(args, proc.returncode, bytes(out), bytes(err))

    def run(self, args: Sequence[str], *, cwd: Path | str | None = None, what: str = "git",
            options: NetworkOptions | None = None) -> str:
        """Run git and return its stdout (text, trailing newline removed); raise
        :class:`GitFailed` (or a subclass saying why) on failure or time-out."""
        done = self.run_raw(args, cwd=cwd, what=what, options=options)
        if done.returncode == 0:
            return done.stdout.decode("utf-8", "replace").removesuffix("\n")
        secrets = options.secrets if options else ()
        stderr = redact(done.stderr.decode("utf-8", "replace").strip(), secrets)
        raise self.failure(what, stderr, done.returncode, options)

    def failure(self, what: str, stderr: str, status: int,
                options: NetworkOptions | None = None) -> GitFailed:
        """The error for a git command that exited with ``status`` and (redacted) ``stderr``."""
        detail = git_says(stderr) or f"exit status {status}"
        if status < 0 and not stderr:
            detail = f"killed by signal {-status}"
        if is_memory_problem(stderr):
            limit = f"{self.memory / 2**20:.0f} MB" if self.memory else "the memory available"
            return RepositoryTooLarge(
                f"{what} stopped: git needed more than {limit} of memory ({detail}); the "
                "repository may hold a tree bomb. Raise WORKBENCH_GIT_MEMORY if it is trusted",
                what="memory", limit=self.memory)
        corrupt = corruption_detail(stderr)
        if corrupt is not None:
            return CorruptRepository(
                f"{what} failed: the repository holds a corrupt or unsafe object ({corrupt}); "
                "it was refused and will not be retried. Repair the source (`git fsck` "
                "there) or remove the offending commits", status=str(status))
        if is_auth_problem(stderr):
            hint = f"; {options.auth_hint}" if options and options.auth_hint else ""
            return AuthenticationFailed(f"{what} failed: {detail}{hint}", status=str(status))
        if is_network_problem(stderr):
            seen = [line for line in stderr.splitlines()
                    if any(m in line.lower() for m in _NETWORK_MARKERS)]
            return GitNetworkError(f"{what} failed (network): {seen[0] if seen else detail}",
                                   status=str(status))
        return GitFailed(f"{what} failed: {detail}", status=str(status))

    # -- reading a commit without a checkout ----------------------------------------------------

    def _fields(self, args: list[str], repo: Path, what: str) -> Iterator[bytes]:
        """The NUL-separated fields git writes for ``args`` (a ``-z`` listing), streamed as
        they come, within the time limit; git's failure is raised as ``what`` failing.
        Closing the iterator early (or an error of the reader) stops git."""
        proc = self.spawn(args, cwd=repo)
        timer = threading.Timer(self.timeout, self.kill, [proc])
        timer.start()
        pending = b""
        try:
            while True:
                chunk = proc.stdout.read(1 << 16)
                if not chunk:
                    break
                fields = (pending + chunk).split(b"\0")
                pending = fields.pop()
                yield from fields
            proc.wait()
            if proc.returncode != 0:
                if not timer.is_alive() and proc.returncode < 0:
                    raise self.timed_out(what)
                stderr = redact(proc.stderr.read().decode(errors="replace").strip())
                raise self.failure(what, stderr, proc.returncode)
        finally:
            timer.cancel()
            if proc.poll() is None:
                self.kill(proc)
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def ls_tree(self, repo: Path, commit: str, *, max_entries: int | None = None,
                max_bytes: int | None = None) -> list[TreeEntry]:
        """Every entry at ``commit`` (``git ls-tree -r -l``), streamed and checked as it comes.

        A tree over ``max_entries`` entries or ``max_bytes`` total blob size raises
        :class:`RepositoryTooLarge` as soon as the limit is passed (git is stopped), so a "git
        bomb" (few objects, a huge tree) costs neither memory nor time.
        """
        entries: list[TreeEntry] = []
        total = 0
        records = self._fields(["ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options",
                                commit], repo, "listing files")
        try:
            for record in records:
                if not record:
                    continue
                meta, _, raw_path = record.partition(b"\t")
                mode, type_, sha, size = meta.decode("ascii").split(maxsplit=3)
                path = path_text(raw_path)
                size = size.strip()
                nbytes = int(size) if size.isdigit() else None
                _check_entry_path(path, commit)
                entries.append(TreeEntry(mode, type_, sha, nbytes, path))
                total += nbytes or 0
                if max_entries is not None and len(entries) > max_entries:
                    raise too_many_entries(commit, max_entries)
                if max_bytes is not None and total > max_bytes:
                    raise too_many_bytes(commit, max_bytes)
        finally:
            records.close()  # git is stopped at a limit
        return entries

    def diff_tree(self, repo: Path, old: str, new: str) -> Iterator[TreeChange]:
        """The paths that differ between commits ``old`` and ``new``, in git's order (that of
        the tree: the order :meth:`ls_tree` lists them in), streamed from one
        ``git diff-tree -r -z --raw --no-renames`` as they come; each path is checked as a
        listed one (:class:`CorruptRepository` for ``..``, ``.git``). Closing the iterator
        early stops git: a reader that has seen enough (a path added, say) waits for no more.

        Submodules are compared by the commit they name, whatever the configuration says, and
        no order file or relative root applies."""
        fields = self._fields(["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-abbrev",
                               "--ignore-submodules=none", "--no-relative", "-O/dev/null",
                               "--end-of-options", old, new], repo, "comparing commits")
        meta: list[str] | None = None  # a record's modes, names and status, its path to come
        try:
            for token in fields:
                if meta is None:
                    # ":<old mode> <new mode> <old sha> <new sha> <status>"
                    meta = token.decode("ascii").lstrip(":").split()
                    if len(meta) != 5:
                        raise GitFailed(f"comparing commits failed: git wrote {token!r}")
                    continue
                path = path_text(token)
                _check_entry_path(path, new)
                old_mode, new_mode, old_sha, new_sha, status = meta
                meta = None
                yield TreeChange(status[:1], old_mode, new_mode, old_sha, new_sha, path)
        finally:
            fields.close()

    def blob_sizes(self, repo: Path, shas: Iterable[str]) -> dict[str, int]:
        """sha -> size in bytes of the blobs ``shas`` (one ``git cat-file --batch-check``),
        without reading their contents; :class:`GitFailed` when one is missing."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        proc = self.spawn(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
                          cwd=repo, stdin=subprocess.PIPE)
        try:
            out, err = proc.communicate("".join(f"{sha}\n" for sha in wanted).encode(),
                                        timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.kill(proc)
            proc.communicate()
            raise self.timed_out("reading file sizes")
        if proc.returncode != 0:
            raise self.failure("reading file sizes",
                               redact(err.decode(errors="replace").strip()), proc.returncode)
        sizes: dict[str, int] = {}
        for line in out.decode("ascii", "replace").splitlines():
            parts = line.split()
            if len(parts) != 3 or parts[1] != "blob":
                raise GitFailed(f"reading file sizes failed: {line.strip()}")
            sizes[parts[0]] = int(parts[2])
        if len(sizes) != len(wanted):
            raise GitFailed("reading file sizes failed: git cat-file ended early")
        return sizes

    def read_blobs(self, repo: Path, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """Stream blob contents through one ``git cat-file --batch`` process."""
        shas = list(shas)
        if not shas:
            return
        proc = self.spawn(["cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
        # the limit is on git's own time: it stops while the consumer holds a blob (parsing)
        watchdog = Watchdog(self.timeout, lambda: self.kill(proc))

        def feed() -> None:
            try:
                for sha in shas:
                    proc.stdin.write(sha.encode() + b"\n")
                proc.stdin.close()
            except (BrokenPipeError, ValueError):
                pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            out = proc.stdout
            for _ in shas:
                header = out.readline()
                if not header:
                    raise GitFailed("reading file contents failed: git cat-file ended early")
                parts = header.split()
                if len(parts) < 3 or parts[1] == b"missing":
                    raise GitFailed(f"reading file contents failed: {header.decode(errors='replace').strip()}")
                size = int(parts[2])
                data = out.read(size)
                out.read(1)
                watchdog.pause()
                yield parts[0].decode(), data
                watchdog.resume()
        finally:
            watchdog.stop()
            if proc.poll() is None:
                self.kill(proc)
            proc.wait()
            feeder.join(timeout=1)


#: Bytes of git's output a read takes, and the size asked for its pipe: a long listing
#: (``rev-list`` of a million commits is 41 MB) read 64 KiB at a time wakes this thread, and
#: takes the GIL from the map's others, tens of thousands of times.
_PIPE_BYTES = 1 << 20


def _widen_pipe(stream) -> None:
    """Ask Linux for a pipe of :data:`_PIPE_BYTES` (a no-op where that is refused)."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError, ValueError):
        pass
