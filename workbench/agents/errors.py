"""Errors of the idea → spec → tasks → review pipeline (:mod:`workbench.agents`).

They carry the ids they are about (``idea_id``, ``spec_id``, ``task_id``) and pickle with their
fields through :class:`~workbench.errors.WorkbenchError`.
"""

from __future__ import annotations

from ..errors import WorkbenchError


class AgentError(WorkbenchError):
    """Root of the errors of :mod:`workbench.agents`."""


class InvalidIdea(AgentError, ValueError):
    """An idea refused before it is stored: no title, or a title or text over the limits."""


class IdeaNotFound(AgentError, LookupError):
    """No idea, spec, task or review with that id."""


class PlanCycle(AgentError, ValueError):
    """Task dependencies that form a cycle; ``cycle`` lists the task titles around it."""


class MalformedAnswer(AgentError):
    """A model's structured answer was still not valid JSON for the schema after the retries;
    ``errors`` holds what was wrong with each attempt."""


class ReviewError(AgentError):
    """A pull request could not be reviewed (a ref that is not in the clone, say)."""


class BuildError(AgentError):
    """The build agent could not hand a task to Goose or record its branch."""


class BuildDisabled(BuildError):
    """The build agent is opt-in: not enabled in the configuration, or refused for the
    project (its location came from an agent or a webhook)."""
