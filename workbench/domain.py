"""Domain records shared by every layer: projects, snapshots, jobs, and the vocabulary of maps.

Node identifiers are stable, readable qualified names, unique within a snapshot:

==============  ==============================  =========================================
kind            id                              example
==============  ==============================  =========================================
package         dotted package name             ``flask`` / ``flask.sansio`` (namespace)
module          dotted module name (Python)     ``flask.app``
directory       path with a trailing ``/``      ``web/src/`` (holds non-Python files)
file            repository path (other langs)   ``web/src/app.ts``
class           ``module:Qualname``             ``flask.app:Flask`` / ``web/src/app.ts:App``
function        ``module:Qualname``             ``flask.app:Flask.run``
external        ``ext:name``                    ``ext:click`` (top-level distribution name)
==============  ==============================  =========================================

Edges carry a ``kind`` from :class:`EdgeKind` and a ``weight`` (the number of occurrences the
edge stands for). In the networkx graph of a snapshot (a ``MultiDiGraph``) the edge key is the
kind, so ``g.edges[src, dst, "imports"]`` reads one edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class NodeKind(StrEnum):
    DIRECTORY = "directory"
    PACKAGE = "package"
    MODULE = "module"
    FILE = "file"
    CLASS = "class"
    FUNCTION = "function"
    EXTERNAL = "external"


class EdgeKind(StrEnum):
    CONTAINS = "contains"
    IMPORTS = "imports"
    DEPENDS_ON = "depends_on"
    CALLS = "calls"
    INHERITS = "inherits"
    TESTS = "tests"
    CO_CHANGES = "co_changes"
    AUTHORED = "authored"


#: The edges by which one node depends on another, the ones ``impact`` follows by default:
#: a module's imports, its ``depends_on`` edges to external packages (so the impact of
#: ``ext:requests`` is the modules that import it, and theirs), calls and inheritance.
DEPENDENCY_KINDS: tuple[str, ...] = (EdgeKind.IMPORTS.value, EdgeKind.DEPENDS_ON.value,
                                     EdgeKind.CALLS.value, EdgeKind.INHERITS.value)


class ImportContext(StrEnum):
    """Where an import statement stands, strongest first (the README's "Import classification").

    ``import_time``: runs whenever the module is imported (module level, class bodies);
    ``conditional``: under ``if``/``match``/loops or ``try`` at module level (also the ``else``
    of ``if TYPE_CHECKING:``); ``deferred``: inside a function or lambda, runs when it is
    called; ``type_checking``: under ``if TYPE_CHECKING:``, never runs. An ``imports`` or
    ``depends_on`` edge carries ``attrs.context`` (the strongest of its statements) and
    ``attrs.contexts`` (all of them, sorted).
    """

    IMPORT_TIME = "import_time"
    CONDITIONAL = "conditional"
    DEFERRED = "deferred"
    TYPE_CHECKING = "type_checking"


#: The import contexts, strongest first.
IMPORT_CONTEXTS: tuple[str, ...] = tuple(c.value for c in ImportContext)


def strongest_context(contexts) -> str:
    """The strongest of ``contexts`` (names of :class:`ImportContext`); ``import_time`` if none."""
    present = set(contexts)
    return next((c for c in IMPORT_CONTEXTS if c in present), IMPORT_CONTEXTS[0])


#: Package ecosystems of languages other than Python: external dependency ids carry it, so
#: npm's ``uuid`` and Python's ``uuid`` stay two nodes (Python's keep the plain ``ext:NAME``).
ECOSYSTEMS = {"javascript": "npm", "typescript": "npm", "tsx": "npm", "go": "go",
              "java": "jvm", "kotlin": "jvm", "rust": "cargo", "c": "c", "cpp": "c",
              "csharp": "nuget", "ruby": "gem", "php": "php"}
#: ``ext:node:fs``: Node's built-in modules, the JavaScript standard library (not npm packages).
_ECOSYSTEM_NAMES = frozenset(ECOSYSTEMS.values()) | {"node"}


def external_id(language: str | None, name: str) -> str:
    """The node id of an external dependency ``name`` imported from ``language``."""
    ecosystem = ECOSYSTEMS.get(language or "")
    return f"ext:{ecosystem}:{name}" if ecosystem else f"ext:{name}"


def external_name(node_id: str) -> str:
    """``react`` for ``ext:npm:react``, ``requests`` for ``ext:requests``."""
    rest = node_id.removeprefix("ext:")
    ecosystem, sep, name = rest.partition(":")
    return name if sep and ecosystem in _ECOSYSTEM_NAMES else rest


#: Node kinds that stand for a whole source file.
FILE_KINDS = frozenset({NodeKind.PACKAGE.value, NodeKind.MODULE.value, NodeKind.FILE.value})

_CODE_KINDS = frozenset({NodeKind.CLASS.value, NodeKind.FUNCTION.value})

#: The node kinds each edge kind joins, as (the kinds its edges leave, the kinds they reach):
#: imports go from file to file, calls from a file, class or function (module-level code, class
#: bodies) to a class or function, and so on. A query that follows only some edge kinds handles
#: only nodes of these kinds at its ends (a function has no import path); ``contains`` joins
#: every kind and is not listed.
EDGE_ENDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    EdgeKind.IMPORTS.value: (FILE_KINDS, FILE_KINDS),
    EdgeKind.DEPENDS_ON.value: (FILE_KINDS, frozenset({NodeKind.EXTERNAL.value})),
    EdgeKind.CALLS.value: (FILE_KINDS | _CODE_KINDS, _CODE_KINDS),
    EdgeKind.INHERITS.value: (frozenset({NodeKind.CLASS.value}),
                              frozenset({NodeKind.CLASS.value})),
    EdgeKind.TESTS.value: (FILE_KINDS, FILE_KINDS),
    EdgeKind.CO_CHANGES.value: (FILE_KINDS, FILE_KINDS),
}

#: The formats ``Snapshot.export`` writes (``workbench export --format``).
EXPORT_FORMATS = ("graphml", "gexf", "json", "dot", "parquet")


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    DEAD = "dead"


#: Statuses a job ends in (until someone retries it); progress after them never comes.
FINISHED_STATUSES = frozenset({JobStatus.SUCCEEDED.value, JobStatus.FAILED.value,
                               JobStatus.CANCELLED.value, JobStatus.DEAD.value})


@dataclass(frozen=True)
class Project:
    """A repository the user registered. ``source`` never contains credentials.

    ``token_env`` is the *name* of the environment variable that holds the token for a private
    https repository (read at clone and fetch time, never stored); ``username`` goes with it.
    ``origin`` says who gave the location (``"user"``, ``"agent"`` or ``"webhook"``); git is
    pinned to a checked address for the last two at every clone and fetch.
    """

    id: int
    name: str
    source: str
    source_kind: str  # "url" or "path"
    default_branch: str | None
    clone_path: str
    status: str
    created_at: datetime
    last_snapshot_id: int | None = None
    last_commit: str | None = None
    last_mapped_at: datetime | None = None
    token_env: str | None = None
    username: str | None = None
    origin: str = "user"


@dataclass(frozen=True)
class SnapshotInfo:
    """One mapped commit of a project. Maps are immutable per snapshot."""

    id: int
    project_id: int
    project: str
    ref: str | None
    commit_sha: str
    mapped_at: datetime
    stats: dict[str, Any] = field(default_factory=dict)
    parser_version: int = 0


@dataclass(frozen=True)
class JobInfo:
    """A row of the ``jobs`` table: background work and how far it got."""

    id: int
    type: str
    project_id: int | None
    status: str
    params: dict[str, Any]
    progress_done: int
    progress_total: int | None
    message: str | None
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None = None
    max_attempts: int = 1
    errors: tuple[dict[str, Any], ...] = ()
    """Every attempt's error: ``{"attempt", "error", "transient", "at"}``, oldest first."""
    pid: int | None = None
    hostname: str | None = None
    process_started: float | None = None
    cancel_requested: bool = False


# -- ideas, specs, tasks and reviews (workbench.agents) -----------------------------------------

#: Records of the idea pipeline, kept in :mod:`workbench.idea_records` and loaded on first use:
#: creating a frozen dataclass costs a fresh process about 2 ms, and no command but the
#: pipeline's needs these eight.
_IDEA_RECORDS = frozenset({"Idea", "CodeArea", "SpecDraft", "Spec", "TaskNode", "Task",
                           "ReviewFindings", "Review"})


def __getattr__(name: str) -> Any:
    if name in _IDEA_RECORDS:
        from . import idea_records

        return getattr(idea_records, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
