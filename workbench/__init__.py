"""Turn git repositories into system maps you can explore, search and report on.

>>> from workbench import Workbench
>>> wb = Workbench("data")                        # doctest: +SKIP
>>> snap = wb.map("https://github.com/pallets/flask")   # doctest: +SKIP
>>> snap.summary().to_text()                      # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public names and the module that defines each. They are imported on first use, so that
# light entry points (the parser worker processes) do not pay for pandas, DuckDB and networkx.
_EXPORTS = {
    "Config": "config",
    "EdgeKind": "domain", "JobInfo": "domain", "NodeKind": "domain", "Project": "domain",
    "SnapshotInfo": "domain",
    "ConfigError": "errors", "DatabaseLocked": "errors", "GitFailed": "errors",
    "InvalidProjectName": "errors", "InvalidRef": "errors", "EmptyRepository": "errors",
    "JobFailed": "errors",
    "MapError": "errors", "ProjectError": "errors", "ProjectExists": "errors",
    "ProjectNotFound": "errors", "ReportError": "errors", "SchemaTooNew": "errors",
    "SnapshotNotFound": "errors", "SourceError": "errors", "StoreError": "errors",
    "UnsafeSource": "errors", "WorkbenchError": "errors",
    "BatchError": "errors", "InvalidParameters": "errors", "InvalidSchedule": "errors",
    "NotebookNotFound": "errors", "InvalidNotebook": "errors", "RunFailed": "errors",
    "ScheduleExists": "errors",
    "ScheduleNotFound": "errors", "OutputOutsideRuns": "errors", "UnknownParameter": "errors",
    "TransientError": "errors", "GitNetworkError": "errors", "JobCancelled": "errors",
    "MissingInput": "errors",
    "RepositoryTooLarge": "errors", "AuthenticationFailed": "errors", "CredentialsMissing": "errors",
    "CorruptRepository": "errors", "GitTimeout": "errors", "SourceGone": "errors",
    "OutputPathError": "errors",
    "BatchService": "batch.service", "RunInfo": "batch.records", "ScheduleInfo": "batch.records",
    "HistoryError": "history.errors", "MiningCancelled": "history.errors",
    "ShallowSource": "history.errors",
    "GraphQueryError": "graph.errors", "NodeNotFound": "graph.errors",
    "AmbiguousNode": "graph.errors", "ContractError": "graph.errors",
    "NodeKindNotHandled": "graph.errors",
    "ContractConfigError": "contracts.errors", "NoSuchModule": "contracts.errors",
    "UnmatchedIgnore": "contracts.errors",
    "UnknownImportContext": "graph.errors", "ContextsNotRecorded": "graph.errors",
    "ImportContext": "domain",
    "AgentError": "agents.errors", "BuildDisabled": "agents.errors", "BuildError": "agents.errors",
    "IdeaNotFound": "agents.errors", "InvalidIdea": "agents.errors",
    "MalformedAnswer": "agents.errors", "PlanCycle": "agents.errors", "ReviewError": "agents.errors",
    "Agents": "agents.service", "Ideas": "agents.service",
    "CodeArea": "domain", "Idea": "domain", "Review": "domain", "ReviewFindings": "domain",
    "Spec": "domain", "SpecDraft": "domain", "Task": "domain", "TaskNode": "domain",
    "AIError": "ai.errors", "NoProvider": "ai.errors", "GooseMissing": "ai.errors",
    "ProviderUnreachable": "ai.errors", "ProviderAuthFailed": "ai.errors",
    "ProviderRateLimited": "ai.errors", "ProviderServerError": "ai.errors",
    "ProviderTimeout": "ai.errors", "StreamCut": "ai.errors", "ModelNotFound": "ai.errors",
    "ModelWithoutTools": "ai.errors", "GooseFailed": "ai.errors",
    "ConversationNotFound": "ai.errors", "BudgetTooSmall": "ai.errors",
    "CitationNotFound": "ai.errors",
    "Answer": "ai.records", "Citation": "ai.records", "ContextRecord": "ai.records",
    "ModelInfo": "ai.records",
    "SearchError": "search.errors", "IndexMissing": "search.errors",
    "EmbedderUnavailable": "search.errors", "InvalidSearch": "search.errors",
    "PathMatchesNothing": "search.errors",
    "EventError": "events.errors", "UnknownEventType": "events.errors",
    "InvalidEvent": "events.errors", "ConsumerBusy": "events.errors",
    "DeadLetterNotFound": "events.errors", "EventBackendError": "events.errors",
    "Event": "events.records", "DeadLetter": "events.records", "ConsumerInfo": "events.records",
    "EventLog": "events.log", "Subscription": "events.log",
    "ServerError": "server.errors",
    "ExecutorError": "jobs.errors", "ExecutorUnavailable": "jobs.errors",
    "TaskLost": "jobs.errors", "PortfolioError": "portfolio.errors",
    "PortfolioRun": "portfolio.service",
    "ProjectHandle": "facade", "Workbench": "facade",
    "JobHandle": "jobs", "Progress": "jobs",
    "Snapshot": "snapshot", "Summary": "snapshot",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .domain import EdgeKind, JobInfo, NodeKind, Project, SnapshotInfo
    from .errors import (ConfigError, DatabaseLocked, GitFailed, InvalidProjectName, InvalidRef,
                         JobFailed, MapError, ProjectError, ProjectExists, ProjectNotFound,
                         ReportError, SchemaTooNew, SnapshotNotFound, SourceError, StoreError,
                         UnsafeSource, WorkbenchError)
    from .errors import GitNetworkError, JobCancelled, MissingInput, RepositoryTooLarge, TransientError
    from .errors import AuthenticationFailed, CorruptRepository, CredentialsMissing
    from .errors import EmptyRepository, GitTimeout, OutputOutsideRuns, OutputPathError, SourceGone
    from .batch.records import RunInfo, ScheduleInfo
    from .batch.service import BatchService
    from .errors import (BatchError, InvalidNotebook, InvalidParameters, InvalidSchedule,
                         NotebookNotFound, RunFailed, ScheduleExists, ScheduleNotFound,
                         UnknownParameter)
    from .agents.errors import (AgentError, BuildDisabled, BuildError, IdeaNotFound, InvalidIdea,
                                MalformedAnswer, PlanCycle, ReviewError)
    from .agents.service import Agents, Ideas
    from .domain import (CodeArea, Idea, Review, ReviewFindings, Spec, SpecDraft, Task,
                         TaskNode)
    from .ai.errors import (AIError, BudgetTooSmall, CitationNotFound, ConversationNotFound,
                            GooseFailed,
                            GooseMissing, ModelNotFound, ModelWithoutTools, NoProvider,
                            ProviderAuthFailed, ProviderRateLimited, ProviderServerError,
                            ProviderTimeout, ProviderUnreachable, StreamCut)
    from .ai.records import Answer, Citation, ContextRecord, ModelInfo
    from .facade import ProjectHandle, Workbench
    from .events.errors import (ConsumerBusy, DeadLetterNotFound, EventBackendError, EventError,
                                InvalidEvent, UnknownEventType)
    from .events.log import EventLog, Subscription
    from .events.records import ConsumerInfo, DeadLetter, Event
    from .graph.errors import (AmbiguousNode, ContractError, GraphQueryError, NodeKindNotHandled,
                               NodeNotFound)
    from .contracts.errors import ContractConfigError, NoSuchModule, UnmatchedIgnore
    from .graph.errors import ContextsNotRecorded, UnknownImportContext
    from .domain import ImportContext
    from .server.errors import ServerError
    from .history.errors import HistoryError, MiningCancelled, ShallowSource
    from .jobs import JobHandle, Progress
    from .search.errors import (EmbedderUnavailable, IndexMissing, InvalidSearch,
                                PathMatchesNothing, SearchError)
    from .snapshot import Snapshot, Summary
