"""Configuration, read in one place into a small typed object.

Precedence: explicit keyword arguments, then ``WORKBENCH_*`` environment variables, then
defaults. Nothing else in the package reads the environment for settings.

The data directory resolves the same way from every face (the CLI, a notebook kernel whose
working directory is ``notebooks/``, papermill runs and the scheduler): a relative path, the
default ``data`` included, is taken from the root of the workbench checkout when the working
directory lies inside one, else from the working directory (:func:`resolve_data_dir`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, WorkbenchError, _rebuild

#: Environment variables understood by :meth:`Config.from_env`.
ENV_VARS = {
    "WORKBENCH_DATA_DIR": "data_dir",
    "WORKBENCH_LOCK_TIMEOUT": "lock_timeout",
    "WORKBENCH_IDLE_RELEASE": "idle_release",
    "WORKBENCH_GIT_TIMEOUT": "git_timeout",
    "WORKBENCH_MAX_FILE_BYTES": "max_file_bytes",
    "WORKBENCH_WORKERS": "workers",
    "WORKBENCH_JOB_THREADS": "job_threads",
    "WORKBENCH_MAX_TREE_ENTRIES": "max_tree_entries",
    "WORKBENCH_MAX_TREE_BYTES": "max_tree_bytes",
    "WORKBENCH_WORKER_MEMORY": "worker_memory",
    "WORKBENCH_GIT_MEMORY": "git_memory",
    "WORKBENCH_HISTORY_MEMORY": "history_memory",
    "WORKBENCH_MAX_COMMIT_FILES": "max_commit_files",
    "WORKBENCH_BLAME": "blame",
    "WORKBENCH_DERIVE_MAPS": "derive_maps",
    "WORKBENCH_BLAME_BUDGET": "blame_budget",
    "WORKBENCH_MAX_ATTEMPTS": "max_attempts",
    "WORKBENCH_RETRY_DELAY": "retry_delay",
    "WORKBENCH_STALE_AFTER": "stale_after",
    "WORKBENCH_EXCLUDE": "exclude",
    "WORKBENCH_BUILD_AGENT": "build_agent",
    "WORKBENCH_BUILD_PUSH": "build_push",
    "WORKBENCH_AI_PROVIDER": "ai_provider",
    "WORKBENCH_AI_TIMEOUT": "ai_timeout",
    "WORKBENCH_AI_RETRIES": "ai_retries",
    "WORKBENCH_AI_RETRY_DELAY": "ai_retry_delay",
    "WORKBENCH_GOOSE_COMMAND": "goose_command",
    "WORKBENCH_GOOSE_TIMEOUT": "goose_timeout",
    # the variables every OpenAI-compatible client understands
    "OPENAI_BASE_URL": "openai_base_url",
    "OPENAI_API_KEY": "openai_api_key",
    "OPENAI_MODEL": "openai_model",
    "WORKBENCH_EMBEDDER": "embedder",
    "WORKBENCH_EMBEDDINGS_URL": "embeddings_url",
    "WORKBENCH_EMBEDDINGS_KEY_ENV": "embeddings_key_env",
    "WORKBENCH_EVENTS": "events",
    "WORKBENCH_EVENTS_POLL": "events_poll_interval",
    "WORKBENCH_EVENTS_MAX_FAILURES": "events_max_failures",
    "WORKBENCH_API_TOKEN": "api_token",
    "WORKBENCH_WEBHOOK_SECRET": "webhook_secret",
    "WORKBENCH_EXECUTOR": "executor",
    "WORKBENCH_DATA_ROOT": "data_root",
    "WORKBENCH_WORKER_DIR": "worker_dir",
}


#: The lowest value of each numeric setting: ``(lowest, above, unit)``, where ``above`` means
#: the lowest itself is refused too (0 seconds of a time-out).
_MINIMUMS: dict[str, tuple[int, bool, str]] = {
    "lock_timeout": (0, False, " seconds"),
    "git_timeout": (0, True, " seconds"),
    "max_file_bytes": (0, True, ""),
    "workers": (0, False, ""),
    **{name: (1, False, "") for name in (
        "job_threads", "max_tree_entries", "max_tree_bytes", "worker_memory", "git_memory",
        "history_memory", "max_commit_files", "max_attempts", "events_max_failures")},
    "build_timeout": (0, True, " seconds"),
    "heartbeat_interval": (0, True, " seconds"),  # 0 would write heartbeats as fast as it can
    "ai_timeout": (0, True, " seconds"),
    "goose_timeout": (0, True, " seconds"),
    "ai_retries": (0, False, ""),
    "retry_delay": (0, False, " seconds"),
    "stale_after": (0, False, " seconds"),
    "ai_retry_delay": (0, False, " seconds"),
    "events_poll_interval": (0, True, " seconds"),
}


class _Unset:
    """Sentinel for "not given", distinct from ``None``."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Config:
    """Where the workbench keeps its data and how patient it is.

    >>> Config(data_dir="data").database_path.name
    'workbench.duckdb'
    """

    data_dir: Path = field(default_factory=lambda: Path("data"))
    lock_timeout: float = 30.0
    """Seconds to keep retrying when another process holds the database file."""
    idle_release: float = 0.1
    """Seconds the database stays open after the last unit of work of a burst."""
    git_timeout: float = 600.0
    """Wall-clock limit of one git command, in seconds."""
    max_file_bytes: int = 1_000_000
    """Files larger than this are not parsed; their node records the reason."""
    workers: int = 0
    """Parser worker processes; 0 means one per core."""
    job_threads: int = 2
    """Background jobs that run at once in one process (the job pool's size)."""
    max_tree_entries: int = 500_000
    """A commit with more files (``git ls-tree -r``) is refused before any file is read."""
    max_tree_bytes: int = 2 << 30
    """A commit whose files add up to more bytes is refused before any file is read."""
    worker_memory: int = 2 << 30
    """Address-space limit of one parser worker process (RLIMIT_AS), in bytes."""
    git_memory: int = 2 << 30
    """Address-space limit of one git process (RLIMIT_AS), in bytes: clone, fetch, listing
    and reading files, writing the commit-graph (plus the size of the files git maps whole)."""
    history_memory: int = 512 << 20
    """Address-space limit of the ``git log`` that mines history, in bytes: one commit's diff
    must fit (a tree bomb does not, and its commit is recorded without files)."""
    max_commit_files: int = 20_000
    """Files of one commit recorded when mining history; beyond, the commit is ``truncated``."""
    blame: bool = True
    """Blame the parsed files of each map (cached per blob) for ownership of current lines."""
    derive_maps: bool = True
    """Derive a commit's map from the project's last one when only Python files' contents
    changed: link again only the modules that may read them, copy the other rows
    (:mod:`workbench.mapping.derive`). Off: every new commit gets a whole map."""
    blame_budget: float = 60.0
    """Seconds of ``git blame`` one map may spend on files not blamed before, 0 for no limit.
    Blame walks a file's whole history, about a second a file on 100,000 commits. A first map
    blames within this budget; a later map blames only the files whose content it has not
    seen, so a re-map stays proportional to the change. Files left over (empty current-line
    ownership until then) are blamed by ``workbench blame`` / ``wb.blame``."""
    max_attempts: int = 3
    """Attempts of a job whose errors are transient (network, lock wait) before it is dead."""
    retry_delay: float = 1.0
    """Backoff before the second attempt, in seconds; doubles per attempt."""
    heartbeat_interval: float = 5.0
    """Seconds between heartbeats of running jobs."""
    stale_after: float = 60.0
    """A job on another host whose heartbeat is older than this is interrupted."""
    exclude: tuple[str, ...] | None = None
    """gitignore-style patterns of files left out of maps; ``None``: vendored and minified
    code (:data:`workbench.mapping.excludes.DEFAULT_EXCLUDES`), ``()``: nothing. In the
    environment a comma-separated list, or ``none``."""
    build_agent: bool = False
    """Let the build agent hand tasks to Goose (opt-in; never for agents' or webhooks' projects)."""
    build_push: bool = False
    """Push the build agent's branches to the project's remote (off: they stay in the clone)."""
    build_timeout: float = 1800.0
    """Wall-clock limit of one build agent's Goose run, in seconds."""
    embedder: str = "wordllama"
    """The search embedder: ``wordllama`` (offline, shipped in its wheel), ``model2vec:PATH``,
    ``sentence-transformers:PATH`` or ``openai:MODEL`` (see :mod:`workbench.search.embedders`)."""
    embeddings_url: str | None = None
    """Base URL of an OpenAI-compatible embeddings endpoint (``http://127.0.0.1:11434/v1``)."""
    embeddings_key_env: str | None = None
    """Name of the environment variable holding that endpoint's key (only the name is kept)."""

    ai_provider: str | None = None
    """The provider ``ask`` uses unless told: "openai", "goose" or "extractive". ``None``:
    extractive (no model), so no repository text leaves the machine until one is chosen."""
    openai_base_url: str | None = None
    """An OpenAI-compatible server (``http://127.0.0.1:11434/v1`` for Ollama); ``None``: OpenAI's."""
    openai_api_key: str | None = field(default=None, repr=False)
    """The key sent to that server (local servers accept any non-empty key)."""
    openai_model: str | None = None
    """The model asked when neither the call nor the project names one."""
    ai_timeout: float = 120.0
    """Seconds to wait for a model's answer, or for the next part of a streamed one."""
    ai_retries: int = 3
    """Further attempts after a 429 or 5xx answer (or an unreachable server) before giving up."""
    ai_retry_delay: float = 1.0
    """Back-off before the first retry, in seconds; doubles per retry (a server's
    ``Retry-After`` wins when longer, up to 30 s)."""
    goose_command: str = "goose"
    """The Goose CLI executable (a name looked up on PATH, or a path)."""
    goose_timeout: float = 300.0
    """Wall-clock limit of one ``goose run``, in seconds."""
    events: str = "duckdb"
    """The event log's backend: ``duckdb`` (the database file) or ``redis://host:port/db``
    (Redis Streams; ``pip install 'workbench[redis]'``)."""
    events_poll_interval: float = 0.5
    """Seconds between looks for events other processes published (DuckDB backend)."""
    events_max_failures: int = 3
    """Handler attempts on one event before it becomes a dead letter."""
    api_token: str | None = field(default=None, repr=False)
    """Bearer token of ``workbench serve``'s API; None: a new one per start, printed."""
    webhook_secret: str | None = field(default=None, repr=False)
    """Secret GitHub signs webhook deliveries with; None: webhooks are refused."""
    executor: str = "local"
    """Where jobs' work runs: ``local`` (threads of this process), a Dask scheduler address
    (``tcp://host:8786``) or ``local-cluster[:N]`` (``pip install 'workbench[dask]'``)."""
    data_root: str | None = None
    """Where cluster workers write snapshots as Parquet (a path or fsspec URL every worker and
    this process reach); None: ``<data_dir>/parquet``."""
    worker_dir: str | None = None
    """Scratch directory of cluster workers (their clones and private databases); None: the
    worker's temp directory."""
    from_variables: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Setting -> the environment variable that gave its value (:meth:`from_env` fills it), so
    that an error about the value names the variable (:meth:`named`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", resolve_data_dir(self.data_dir))
        for name, (lowest, above, unit) in _MINIMUMS.items():
            value = getattr(self, name)
            if value < lowest or (above and value == lowest):
                raise ConfigError(f"{name} must be {'>' if above else '>='} {lowest}{unit}, "
                                  f"got {value}", setting=name)
        if self.events != "duckdb" and not self.events.startswith(("redis://", "rediss://",
                                                                   "unix://")):
            raise ConfigError(f"events must be duckdb or redis://host:port/db, got "
                              f"{self.events!r}", setting="events")
        for name in ("api_token", "webhook_secret"):
            if getattr(self, name) is not None and not getattr(self, name).strip():
                raise ConfigError(f"{name} is empty; unset it or give a value", setting=name)
        from .mapping.excludes import normalise

        try:
            object.__setattr__(self, "exclude", normalise(self.exclude))
        except ConfigError as exc:
            raise ConfigError(exc.message, setting="exclude") from None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> "Config":
        """Build a config from ``WORKBENCH_*`` variables; keyword overrides win unless UNSET/None.

        A value a variable gave that the config refuses is named by its variable in the
        error (``WORKBENCH_WORKERS must be >= 0, got -3``), whatever the check."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        variables: dict[str, str] = {}  # setting -> the variable that gave its value
        for var, name in ENV_VARS.items():
            if env.get(var, "") != "":
                values[name] = _coerce(name, var, env[var])
                variables[name] = var
        for name, value in overrides.items():
            if value is not UNSET and value is not None:
                values[name] = value
                variables.pop(name, None)
        try:
            return cls(**values, from_variables=variables)
        except ConfigError as exc:
            var = variables.get(exc.fields.get("setting"))
            if var is None:
                raise
            raise _named(exc, exc.fields["setting"], var, env[var]) from None

    def named(self, setting: str, error: WorkbenchError) -> WorkbenchError:
        """``error``, about the value of ``setting``, naming the environment variable that gave
        that value (when :meth:`from_env` read it from one): for values checked where they are
        used (the executor, the AI provider), as :meth:`from_env` does for its own checks."""
        var = self.from_variables.get(setting)
        return error if var is None else _named(error, setting, var, getattr(self, setting))

    def with_(self, **changes: Any) -> "Config":
        """A copy with ``changes``; a changed setting no longer came from its variable."""
        return replace(self, **changes, from_variables={
            name: var for name, var in self.from_variables.items() if name not in changes})

    @property
    def database_path(self) -> Path:
        return self.data_dir / "workbench.duckdb"

    @property
    def clones_dir(self) -> Path:
        return self.data_dir / "clones"

    @property
    def parquet_root(self) -> str:
        return self.data_root or str(self.data_dir / "parquet")

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def worker_count(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)


def checkout_root(start: str | Path | None = None) -> Path | None:
    """The root of the workbench source checkout holding ``start`` (default: the working
    directory), or None outside one. A checkout is a directory with ``pyproject.toml`` naming
    the ``workbench`` project and the ``workbench/`` package beside it."""
    here = Path(start if start is not None else os.getcwd()).absolute()
    for folder in (here, *here.parents):
        marker = folder / "pyproject.toml"
        if (folder / "workbench" / "__init__.py").is_file() and marker.is_file():
            try:
                text = marker.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if 'name = "workbench"' in text:
                return folder
    return None


def resolve_data_dir(path: str | Path, *, cwd: str | Path | None = None) -> Path:
    """An absolute data directory: ``path`` itself when absolute (``~`` expanded); a relative one
    from the checkout root when ``cwd`` (default: the working directory) is inside the
    workbench checkout, so ``notebooks/`` and the repository root share ``data/``; else from
    ``cwd``."""
    path = Path(path).expanduser()
    if path.is_absolute():
        return path
    base = Path(cwd if cwd is not None else os.getcwd()).absolute()
    return (checkout_root(base) or base) / path


def data_dir_origin(config: Config, *, given: bool) -> str:
    """How the user named ``config.data_dir``, as the errors about that directory say it
    first: the variable that gave it (``WORKBENCH_DATA_DIR='/x'``), else the option or argument
    when ``given`` (``--data-dir /x`` on the command line, ``data_dir='/x'`` in Python), else
    the default, with the ways to choose another."""
    from .faces import hint

    path = str(config.data_dir)
    var = config.from_variables.get("data_dir")
    if var is not None:
        return f"{var}={path!r}"
    if given:
        return hint(f"--data-dir {path}", f"data_dir={path!r}")
    return (f"the default data directory {path} ("
            + hint("--data-dir", "Workbench(data_dir)") + " or WORKBENCH_DATA_DIR choose another)")


def _named(error: WorkbenchError, setting: str, var: str, value: Any) -> WorkbenchError:
    """``error`` about ``setting``, told of the environment variable ``var`` that gave its
    value: ``workers must be ...`` becomes ``WORKBENCH_WORKERS must be ...``; a message that
    does not start with the setting's name gets ``VAR='value': `` before it (``VAR: `` for a
    secret, whose value is never shown)."""
    message = error.message
    if message.startswith(f"{setting} "):
        message = var + message[len(setting):]
    else:
        shown = f"={value!r}" if Config.__dataclass_fields__[setting].repr else ""
        message = f"{var}{shown}: {message}"
    return _rebuild(type(error), message, {**error.fields, "setting": setting, "variable": var})


def _coerce(name: str, var: str, raw: str) -> Any:
    kind = Config.__dataclass_fields__[name].type
    if str(kind) == "bool":
        flag = raw.strip().lower()
        if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"{var}={raw!r} is not a yes/no value; use 1 or 0",
                              setting=name, variable=var)
        return flag in ("1", "true", "yes", "on")
    if "tuple" in str(kind):
        return raw  # a comma-separated list, split by the field's own check
    try:
        if "float" in str(kind):
            return float(raw)
        if "int" in str(kind):
            return int(raw)
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not a number; unset it or give a number",
                          setting=name, variable=var) from None
    return raw
