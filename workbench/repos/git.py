"""Git, hardened: every command runs with a wall-clock limit and settings that keep a
repository we only want to read from running code or prompting.

* ``core.hooksPath`` points at an empty directory, so no hook ever runs;
* ``core.symlinks=false``, ``core.fsmonitor=false``, submodules never recursed into;
* Git LFS smudging is off (``GIT_LFS_SKIP_SMUDGE``, filter overrides), so ``.lfsconfig`` is inert;
* only the https and ssh transports (and ``file`` for local sources) are allowed
  (``GIT_ALLOW_PROTOCOL``), so ``ext::`` and ``fd::`` are refused by git too;
* objects are checked as they arrive (``transfer.fsckObjects``): a corrupt object, or a tree
  with an entry named ``.``, ``..`` or ``.git``, refuses the clone or fetch
  (:class:`~workbench.errors.CorruptRepository`, never retried), and listing a commit's files
  refuses such entries too (clones made before the checks);
* no terminal prompts (``GIT_TERMINAL_PROMPT=0``, ssh ``BatchMode``);
* a stalled transfer aborts (``http.lowSpeedLimit``/``lowSpeedTime``) and every command is
  killed after ``timeout`` seconds (GitPython's ``kill_after_timeout``);
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
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import git as gitpython

from ..errors import (AuthenticationFailed, CorruptRepository, GitFailed, GitNetworkError,
                      RepositoryTooLarge)
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
        "http.lowSpeedTime": "60",
        "filter.lfs.smudge": "",
        "filter.lfs.process": "",
        "filter.lfs.required": "false",
        "credential.interactive": "false",
        "gc.auto": "0",
        "transfer.fsckObjects": "true",
        "fetch.fsck.hasDot": "error",
        "fetch.fsck.hasDotdot": "error",
        "fetch.fsck.hasDotgit": "error",
        "advice.detachedHead": "false",
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


#: Variables that would point git at another repository, index, object store or settings (set
#: when the workbench runs inside a git hook, say); never passed on.
_REDIRECTING_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG_PARAMETERS")


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


class _Watchdog:
    """Calls ``on_expire`` once ``seconds`` of running time pass; :meth:`pause` stops the clock.

    One thread for the whole stream (a ``threading.Timer`` per blob would start thousands).
    """

    def __init__(self, seconds: float, on_expire) -> None:
        self._seconds = seconds
        self._left = seconds
        self._since: float | None = time.monotonic()
        self._stopped = False
        self._cond = threading.Condition()
        self._on_expire = on_expire
        threading.Thread(target=self._run, name="workbench-git-watchdog", daemon=True).start()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                if self._since is None:
                    self._cond.wait()
                    continue
                remaining = self._left - (time.monotonic() - self._since)
                if remaining <= 0:
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

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_submodule(self) -> bool:
        return self.type == "commit"


_UNSAFE_NAMES = frozenset({"", ".", "..", ".git"})


def _check_entry_path(path: str, commit: str) -> None:
    """Refuse a tree entry whose path has a component ``.``, ``..`` or ``.git`` (any case), or
    is absolute: git itself never writes one, and a checkout would leave the tree with it."""
    for part in path.split("/"):
        if part.lower() in _UNSAFE_NAMES:
            raise CorruptRepository(
                f"commit {commit[:12]} has a tree entry {path!r} (a path component "
                f"{part!r}); such trees are refused. Remove the commit from the source",
                commit=commit, path=path)


class Git:
    """Runs hardened git commands (through GitPython) with a wall-clock limit."""

    def __init__(self, *, timeout: float = 600.0, allow_file_protocol: bool = False) -> None:
        self.timeout = timeout
        self.allow_file_protocol = allow_file_protocol

    def env(self, options: NetworkOptions | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_LFS_SKIP_SMUDGE": "1",
                "GIT_ALLOW_PROTOCOL": "https:ssh" + (":file" if self.allow_file_protocol else ""),
                "SSH_ASKPASS_REQUIRE": "never",
                "GIT_OPTIONAL_LOCKS": "0",
                "LC_ALL": "C",
            }
        )
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o ConnectTimeout=30")
        for var in _REDIRECTING_ENV:
            env.pop(var, None)
        if options is not None:
            env.update(options.env)
        return env

    def command(self, args: Sequence[str], options: NetworkOptions | None = None) -> list[str]:
        extra: list[str] = []
        for key, value in (options.config if options else {}).items():
            extra += ["-c", f"{key}={value}"]
        return ["git", *_hardening_config(), *extra, *args]

    def run(self, args: Sequence[str], *, cwd: Path | str | None = None, what: str = "git",
            options: NetworkOptions | None = None) -> str:
        """Run git and return its stdout; raise :class:`GitFailed` on failure or time-out."""
        runner = gitpython.cmd.Git(str(cwd) if cwd else None)
        secrets = options.secrets if options else ()
        command = self.command(args, options)
        inherited = [var for var in _REDIRECTING_ENV if var in os.environ]
        if inherited:  # GitPython starts from os.environ and cannot unset a variable: env(1) can
            command = ["env", *[f"--unset={var}" for var in inherited], *command]
        try:
            return runner.execute(
                command,
                kill_after_timeout=self.timeout,
                env=self.env(options),
            )
        except gitpython.exc.GitCommandError as exc:
            stderr = redact((exc.stderr or "").strip().removeprefix("stderr:").strip(" '\n"),
                            secrets)
            if exc.status in (-9, 137, "-9") or "timed out" in stderr.lower() or "kill" in str(exc.status):
                raise GitNetworkError(
                    f"{what} timed out after {self.timeout:g} s; check the network or raise "
                    "WORKBENCH_GIT_TIMEOUT",
                    timeout=self.timeout,
                ) from None
            detail = stderr.splitlines()[-1] if stderr else f"exit status {exc.status}"
            corrupt = corruption_detail(stderr)
            if corrupt is not None:
                raise CorruptRepository(
                    f"{what} failed: the repository holds a corrupt or unsafe object ({corrupt}); "
                    "it was refused and will not be retried. Repair the source (`git fsck` "
                    "there) or remove the offending commits", status=str(exc.status)) from None
            if is_auth_problem(stderr):
                hint = f"; {options.auth_hint}" if options and options.auth_hint else ""
                raise AuthenticationFailed(f"{what} failed: {detail}{hint}",
                                           status=str(exc.status)) from None
            if is_network_problem(stderr):
                raise GitNetworkError(f"{what} failed (network): {detail}",
                                      status=str(exc.status)) from None
            raise GitFailed(f"{what} failed: {detail}", status=str(exc.status)) from None
        except gitpython.exc.GitCommandNotFound as exc:
            raise GitFailed("git is not installed or not on PATH; install git") from exc

    # -- reading a commit without a checkout ----------------------------------------------------

    def ls_tree(self, repo: Path, commit: str, *, max_entries: int | None = None,
                max_bytes: int | None = None) -> list[TreeEntry]:
        """Every entry at ``commit`` (``git ls-tree -r -l``), streamed and checked as it comes.

        A tree over ``max_entries`` entries or ``max_bytes`` total blob size raises
        :class:`RepositoryTooLarge` as soon as the limit is passed (git is stopped), so a "git
        bomb" (few objects, a huge tree) costs neither memory nor time.
        """
        proc = subprocess.Popen(
            self.command(["ls-tree", "-r", "-l", "-z", "--full-tree", "--end-of-options", commit]),
            cwd=repo, env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        timer = threading.Timer(self.timeout, proc.kill)
        timer.start()
        entries: list[TreeEntry] = []
        total = 0
        pending = b""
        try:
            while True:
                chunk = proc.stdout.read(1 << 16)
                if not chunk:
                    break
                records = (pending + chunk).split(b"\0")
                pending = records.pop()
                for record in records:
                    if not record:
                        continue
                    meta, _, path = record.decode("utf-8", "surrogateescape").partition("\t")
                    mode, type_, sha, size = meta.split(maxsplit=3)
                    size = size.strip()
                    nbytes = int(size) if size.isdigit() else None
                    _check_entry_path(path, commit)
                    entries.append(TreeEntry(mode, type_, sha, nbytes, path))
                    total += nbytes or 0
                    if max_entries is not None and len(entries) > max_entries:
                        raise RepositoryTooLarge(
                            f"commit {commit[:12]} has more than {max_entries} files; refused "
                            "before reading any (raise max_tree_entries / "
                            "WORKBENCH_MAX_TREE_ENTRIES if the repository is trusted)",
                            commit=commit, limit=max_entries, what="entries")
                    if max_bytes is not None and total > max_bytes:
                        raise RepositoryTooLarge(
                            f"files at commit {commit[:12]} add up to more than {max_bytes} "
                            "bytes; refused before reading any (raise max_tree_bytes / "
                            "WORKBENCH_MAX_TREE_BYTES if the repository is trusted)",
                            commit=commit, limit=max_bytes, what="bytes")
            proc.wait()
            if proc.returncode != 0:
                if proc.returncode < 0:
                    raise GitNetworkError(f"listing files timed out after {self.timeout:g} s",
                                          timeout=self.timeout)
                stderr = redact(proc.stderr.read().decode(errors="replace").strip())
                detail = stderr.splitlines()[-1] if stderr else f"exit status {proc.returncode}"
                raise GitFailed(f"listing files failed: {detail}", status=str(proc.returncode))
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        return entries

    def read_blobs(self, repo: Path, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """Stream blob contents through one ``git cat-file --batch`` process."""
        shas = list(shas)
        if not shas:
            return
        proc = subprocess.Popen(
            self.command(["cat-file", "--batch"]),
            cwd=repo, env=self.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # the limit is on git's own time: it stops while the consumer holds a blob (parsing)
        watchdog = _Watchdog(self.timeout, proc.kill)

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
                proc.kill()
            proc.wait()
            feeder.join(timeout=1)
