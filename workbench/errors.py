"""Every error a user can meet, under one root.

::

    WorkbenchError
     ├── ConfigError              bad configuration value
     ├── ProjectError
     │    ├── InvalidProjectName
     │    ├── ProjectExists
     │    └── ProjectNotFound
     ├── TransientError           marker: worth retrying (network trouble, lock timeouts)
     ├── MissingInput             marker: a file or notebook given as input is not there (the
     │                            command line's exit 2, as for a usage error)
     ├── SourceError              a repository location or ref that is refused or unusable
     │    ├── UnsafeSource        refused before git runs (ext::, option-like, credentials ...)
     │    ├── InvalidRef          not a plain ref name / commit
     │    │    └── EmptyRepository  the repository has no commit yet
     │    ├── RepositoryTooLarge  over the entry-count or size limits (checked before reading)
     │    ├── CredentialsMissing  the environment variable naming a project's token is not set
     │    └── GitFailed           git ran and failed (message redacted of credentials)
     │         ├── SourceGone      a local source path that is no longer a git repository
     │         ├── GitNetworkError  a network problem or time-out (also a TransientError)
     │         ├── GitTimeout      a git operation used up its wall-clock budget (not retried)
     │         ├── AuthenticationFailed  the server refused the credentials, or wanted some
     │         └── CorruptRepository  corrupt objects, or trees naming '..' or '.git' (not retried)
     ├── StoreError
     │    ├── DatabaseLocked      another process holds the file past the wait (transient)
     │    └── SchemaTooNew        the file was written by a newer workbench
     ├── SnapshotNotFound
     ├── OutputPathError         a file or directory to write that cannot be: a directory where
     │                           a file goes, a file in the way, a directory not creatable
     ├── MapError                mapping failed; nothing was written
     ├── HistoryError            mining history failed (workbench.history.errors)
     │    ├── MiningCancelled
     │    └── ShallowSource       --deepen/--unshallow asked, but the source has no more history
     ├── GraphQueryError         a map query failed (workbench.graph.errors)
     │    ├── NodeNotFound
     │    ├── AmbiguousNode
     │    ├── NodeKindNotHandled  a node the query's edge kinds never reach (an import path
     │    │                       between functions); names its module and the kinds to follow
     │    ├── ContractError       a contract definition is malformed (workbench.contracts.errors)
     │    │    ├── ContractConfigError  unknown type or option, bad value (names the closest)
     │    │    ├── NoSuchModule     a module, layer or pattern matches nothing (closest names)
     │    │    └── UnmatchedIgnore  ignore_imports entries that match no import
     │    ├── UnknownImportContext  an import context to exclude that does not exist
     │    └── ContextsNotRecorded   a map from before imports were classified (map it again)
     ├── SearchError             code search failed (workbench.search.errors)
     │    ├── IndexMissing        a snapshot has no search index yet (wb.index builds it)
     │    ├── EmbedderUnavailable the configured embedder cannot run here (names the fix)
     │    └── InvalidSearch       an empty query, a bad k, a kind, mode, language or node kind
     │         │                  outside its allowed values (the message lists them)
     │         └── PathMatchesNothing  a path glob no file of the snapshot matches (gives
     │                                 one that does)
     ├── JobFailed               a background job ended in failure
     │    └── JobCancelled        a job stopped at a checkpoint because it was cancelled
     ├── ExecutorError           where jobs run (workbench.jobs.errors)
     │    ├── ExecutorUnavailable an unknown executor, the Dask extra missing, no scheduler
     │    └── TaskLost            the cluster lost a job's task (also a TransientError)
     ├── PortfolioError          a portfolio run cannot start (workbench.portfolio.errors)
     ├── AIError                 asking the codebase (workbench.ai.errors)
     │    ├── NoProvider          no provider of that name, or it lacks a model, URL or key
     │    │    └── GooseMissing   the goose executable is not on PATH
     │    ├── ProviderUnreachable the model server cannot be reached (transient)
     │    ├── ProviderAuthFailed  the server refused the key (401/403)
     │    ├── ProviderRateLimited 429 after every retry (transient)
     │    ├── ProviderServerError 5xx after every retry, or a refused request (transient)
     │    ├── ProviderTimeout     no answer, or no next part of one, in time (transient)
     │    ├── StreamCut           a streamed answer stopped early; ``partial`` keeps it
     │    ├── ModelNotFound       the server does not serve that model
     │    ├── ModelWithoutTools   the model refused a request carrying tools
     │    ├── GooseFailed         goose ran and failed, or printed no result
     │    ├── BudgetTooSmall      a context budget under 1 token, or too small for any
     │    │                       passage that matched (names a budget that fits), or a
     │    │                       question that leaves no room for one (names the window)
     │    ├── ConversationNotFound
     │    └── CitationNotFound    no citation at that position of the answer shown
     ├── EventError              the event log (workbench.events.errors)
     │    ├── UnknownEventType    nobody registered that event type
     │    ├── InvalidEvent        a payload its type's JSON schema refuses
     │    ├── ConsumerBusy        the consumer is subscribed in this process already
     │    ├── ConsumerNotFound    no durable consumer of that name (names the known ones)
     │    ├── DeadLetterNotFound
     │    └── EventBackendError   the Redis server cannot be reached (also a TransientError)
     ├── ServerError             `workbench serve` cannot start (workbench.server.errors)
     ├── ReportError             a notebook run failed (names the cell)
     ├── AgentError              the idea → spec → tasks → review pipeline (workbench.agents)
     │    ├── InvalidIdea         no title, a title or text over the limits, a bad actor/source
     │    ├── IdeaNotFound        no idea, spec, task or review with that id
     │    ├── PlanCycle           task dependencies that form a cycle (names the tasks)
     │    ├── MalformedAnswer     a model's structured answer stayed invalid after the retries
     │    ├── ReviewError         a pull request that cannot be mapped or diffed
     │    └── BuildError          the build agent could not hand a task to Goose
     │         └── BuildDisabled  the build agent is off, or refused for the project
     └── BatchError              batch runs and schedules (workbench.batch)
          ├── NotebookNotFound    no notebook at that path or name (also a MissingInput)
          ├── InvalidNotebook     a file given as a notebook that is no Jupyter notebook
          ├── InvalidParameters   a parameter name that is not an identifier, a value not JSON
          │    └── UnknownParameter  a name the notebook's parameters cell does not declare
          ├── OutputOutsideRuns   an output directory that would leave the runs directory
          ├── InvalidSchedule     a bad cron expression, catch-up policy or schedule name
          ├── ScheduleExists
          ├── ScheduleNotFound
          └── RunFailed           a batch run's notebook failed (names the run and the cell)

Errors carry their fields and pickle cleanly (``__reduce__``), so a background thread or a
worker process can hand them back unchanged. Messages say what to do next.
"""

from __future__ import annotations

from typing import Any


class WorkbenchError(Exception):
    """Root of every error the workbench raises on purpose."""

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)

    def __reduce__(self):  # keep fields across pickling (threads, processes)
        return (_rebuild, (type(self), self.message, self.fields))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[WorkbenchError], message: str, fields: dict[str, Any]) -> WorkbenchError:
    err = cls.__new__(cls)
    WorkbenchError.__init__(err, message, **fields)
    return err


class ConfigError(WorkbenchError):
    """A configuration value is missing or malformed."""


class ProjectError(WorkbenchError):
    """A problem with a registered project."""


class InvalidProjectName(ProjectError):
    """A project name that is not allowed."""


class ProjectExists(ProjectError):
    """A project with that name is already registered."""


class ProjectNotFound(ProjectError):
    """No project with that name is registered."""


class TransientError(WorkbenchError):
    """Marker for errors that may go away on their own; jobs retry them with backoff."""


class MissingInput(WorkbenchError):
    """Marker for a file or notebook named as input that is not there (or is not that kind of
    file). The command line treats it as it treats a missing argument: a usage error, exit 2,
    naming the help to read. Its fields name what was given (``notebook``, ``path``)."""


class SourceError(WorkbenchError):
    """A repository location or ref that cannot be used."""


class UnsafeSource(SourceError):
    """A location refused before git runs, because git could be made to do harm with it."""


class InvalidRef(SourceError):
    """A ref or revision that is not a plain ref name or commit id."""


class EmptyRepository(InvalidRef):
    """The repository has no commit at all (``git init`` and nothing committed yet)."""


class GitFailed(SourceError):
    """Git ran and failed; the message is redacted of credentials."""


class GitNetworkError(GitFailed, TransientError):
    """Git failed on the network or hit its wall-clock limit; worth another attempt."""


class GitTimeout(GitFailed):
    """A git operation did not finish within its wall-clock budget (``git_timeout``) and was
    stopped, with every process it started (the https or ssh transport included).

    Not transient: the budget is per operation, so a server that accepts and never answers
    costs one budget, not one per attempt. ``timeout`` holds the budget in seconds.
    """


class AuthenticationFailed(GitFailed):
    """The server refused the credentials git offered, or asked for some when none were set.

    Not transient: the same token fails the same way until someone changes it.
    """


class CorruptRepository(GitFailed):
    """The repository holds objects that are corrupt or unsafe (a tree entry named ``..`` or
    ``.git``): refused by git's object checks on clone and fetch, or when its files are listed.

    Not transient: the same objects fail the same way on every attempt.
    """


class SourceGone(GitFailed):
    """A project's local source path no longer exists or is no longer a git repository (it was
    moved or deleted after the project was registered); ``source`` and ``project`` name them.

    Not transient: git fails the same way until the repository is back or the project is
    registered again where it now lies.
    """


class CredentialsMissing(SourceError):
    """A project names an environment variable for its token, and that variable is not set.

    Raised before git runs, so a missing secret fails at once with the variable's name instead
    of as a prompt git cannot show.
    """


class RepositoryTooLarge(SourceError):
    """A commit has more tree entries or bytes than the configured limits allow."""


class StoreError(WorkbenchError):
    """The database file cannot be used."""


class DatabaseLocked(StoreError, TransientError):
    """Another process held the database file for longer than the configured wait."""


class SchemaTooNew(StoreError):
    """The database was written by a newer version of the workbench."""


class SnapshotNotFound(WorkbenchError):
    """No snapshot matches the request."""


class OutputPathError(WorkbenchError):
    """A file or directory the workbench was asked to write that cannot be written: a directory
    where a file goes, a file where a directory goes, a directory that cannot be created, no
    permission or no space. ``path`` names the path the system refused."""


class MapError(WorkbenchError):
    """Mapping a repository failed; no partial snapshot was written."""


class JobFailed(WorkbenchError):
    """A job ended in failure; ``job_id`` names it and ``cause`` holds its error text."""


class JobCancelled(JobFailed):
    """A job was cancelled and stopped at a progress checkpoint; nothing half-written remains."""


class ReportError(WorkbenchError):
    """Executing a notebook failed; ``cell`` names the failing cell when known."""


class BatchError(WorkbenchError):
    """A batch run or schedule cannot be used as asked."""


class NotebookNotFound(BatchError, MissingInput):
    """No notebook at the given path, nor under ``notebooks/`` by that name."""


class InvalidNotebook(BatchError):
    """The file given as a notebook is no Jupyter notebook (not JSON, no cells, another
    format)."""


class InvalidParameters(BatchError):
    """Notebook parameters refused before anything ran: bad names or non-JSON values."""


class UnknownParameter(InvalidParameters):
    """A parameter the notebook's ``parameters`` cell does not assign (papermill would only warn
    and run on the defaults); ``unknown``, ``accepted`` and ``closest`` say which and what to use."""


class OutputOutsideRuns(BatchError):
    """A batch output directory that leaves the runs directory (``../x``), or an absolute one
    that did not come from a person."""


class InvalidSchedule(BatchError):
    """A schedule with a bad cron expression, catch-up policy or name."""


class ScheduleExists(BatchError):
    """A schedule with that name already exists."""


class ScheduleNotFound(BatchError):
    """No schedule with that name."""


class RunFailed(BatchError):
    """A batch run's notebook failed; ``run_id``, ``cell`` and ``notebook`` say where."""
