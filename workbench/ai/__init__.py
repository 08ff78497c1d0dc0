"""Ask the codebase: providers, budgeted context, tools over the map, conversations.

>>> answer = wb.ask("where is the order total formatted?", "shop")   # doctest: +SKIP
>>> answer.text, answer.citations                                     # doctest: +SKIP
>>> print(answer.show_context())                                      # doctest: +SKIP

Modules: :mod:`.providers` (registry: openai, goose, extractive), :mod:`.context` (the context
builder), :mod:`.tools` (read-only map tools), :mod:`.service` (``ask``), :mod:`.safety`,
:mod:`.citations`, :mod:`.tokens`, :mod:`.records`, :mod:`.errors`. Nothing heavy is imported
here.
"""

from __future__ import annotations

from .errors import (AIError, BudgetTooSmall, CitationNotFound, ConversationNotFound,
                     GooseFailed, GooseMissing, ModelNotFound, ModelWithoutTools, NoProvider,
                     ProviderAuthFailed, ProviderRateLimited, ProviderServerError, ProviderTimeout,
                     ProviderUnreachable, StreamCut)
from .records import (Answer, ChatReply, Citation, ContextItem, ContextRecord, ModelInfo,
                      ToolCall, ToolRecord)

__all__ = ["AIError", "Answer", "BudgetTooSmall", "ChatReply", "Citation", "CitationNotFound",
           "ContextItem",
           "ContextRecord", "ConversationNotFound", "GooseFailed", "GooseMissing", "ModelInfo",
           "ModelNotFound", "ModelWithoutTools", "NoProvider", "ProviderAuthFailed",
           "ProviderRateLimited", "ProviderServerError", "ProviderTimeout", "ProviderUnreachable",
           "StreamCut", "ToolCall", "ToolRecord"]
