"""Errors of asking the codebase: providers, models, conversations.

Each message says what to do next. Errors worth another attempt (rate limits, server errors,
an unreachable server, a time-out) are also :class:`~workbench.errors.TransientError`; the
OpenAI provider retries 429 and 5xx itself with back-off before raising them. An error raised
after part of an answer arrived carries it in ``partial`` (the conversation keeps it too).
"""

from __future__ import annotations

from ..errors import TransientError, WorkbenchError


class AIError(WorkbenchError):
    """Root of the errors of :mod:`workbench.ai`."""


class NoProvider(AIError, LookupError):
    """No provider of that name, or the provider chosen is not configured (no model, no URL)."""


class ProviderUnreachable(AIError, TransientError):
    """The model server could not be reached (connection refused, DNS, TLS)."""


class ProviderAuthFailed(AIError):
    """The model server refused the API key (HTTP 401/403)."""


class ProviderRateLimited(AIError, TransientError):
    """The model server kept answering 429 after every retry."""


class ProviderServerError(AIError, TransientError):
    """The model server kept failing (HTTP 5xx) after every retry, or answered nonsense."""


class ProviderTimeout(AIError, TransientError):
    """No answer, or no further part of a streamed answer, within the time limit."""


class StreamCut(AIError, TransientError):
    """A streamed answer stopped before its end; ``partial`` holds what arrived."""


class ModelNotFound(AIError, LookupError):
    """The server does not serve that model."""


class ModelWithoutTools(AIError):
    """The model refused a request carrying tools; ask again without tools (``tools=False``)."""


class GooseMissing(NoProvider):
    """The ``goose`` executable is not on PATH (nor at the configured command)."""


class GooseFailed(AIError):
    """Goose ran and failed, or its output could not be read."""


class BudgetTooSmall(AIError, ValueError):
    """A context budget that holds nothing: not a whole number of tokens of at least 1, or too
    small for every passage that matched (the message names a budget that fits), or no room
    left by a question too long for the window (the message names the window as it applies
    to the provider: a model's, or the extractive provider's fixed one)."""


class ConversationNotFound(AIError, LookupError):
    """No conversation with that id (in that project)."""


class CitationNotFound(AIError, LookupError):
    """No citation at that position of the answer shown (or no answer shown yet)."""
