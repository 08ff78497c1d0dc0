"""AI providers behind one small protocol, chosen by name from a registry.

::

    provider = get_provider("openai", config)      # None: the configured default
    reply = provider.chat([{"role": "user", "content": "hi"}], on_delta=print)

Built in: ``openai`` (any OpenAI-compatible server through the official client), ``goose``
(the Goose CLI run headless) and ``extractive`` (no model: the offline default). Others are
added with :func:`register`. Adapters are imported when first asked for, never at import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import NoProvider

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Config
    from ..records import ChatReply, ModelInfo

__all__ = ["Provider", "register", "get_provider", "provider_names", "default_provider_name"]


@runtime_checkable
class Provider(Protocol):
    """What ``ask`` needs of a provider.

    ``chat`` sends OpenAI-style messages (``role``/``content`` dicts, tool results as
    ``role="tool"``) and returns a :class:`~workbench.ai.records.ChatReply`; ``on_delta`` gets
    each piece of text as it arrives when the provider streams; ``tools`` are OpenAI function
    tool definitions; ``timeout`` in seconds. ``models`` lists what it offers.
    """

    name: str
    streams: bool
    takes_tools: bool

    def models(self) -> "list[ModelInfo]": ...

    def chat(self, messages: list[dict], *, model: str | None = None,
             tools: list[dict] | None = None,
             on_delta: Callable[[str], None] | None = None,
             response_format: dict | None = None, max_tokens: int | None = None,
             timeout: float | None = None) -> "ChatReply": ...


_BUILTIN = {
    "openai": "workbench.ai.providers.openai_chat:OpenAIProvider",
    "goose": "workbench.ai.providers.goose:GooseProvider",
    "extractive": "workbench.ai.providers.extractive:ExtractiveProvider",
}
_REGISTRY: dict[str, Callable[["Config"], Any]] = {}


def register(name: str, factory: Callable[["Config"], Any]) -> None:
    """Add (or replace) a provider: ``factory(config)`` returns an object of the protocol."""
    _REGISTRY[name] = factory


def provider_names() -> list[str]:
    return sorted({*_BUILTIN, *_REGISTRY})


def default_provider_name(config: "Config") -> str:
    """The configured provider (``ai_provider``), else ``extractive``."""
    return config.ai_provider or "extractive"


def get_provider(name: str | None, config: "Config") -> Provider:
    """The provider called ``name`` (None: the configured default) built for ``config``.

    Raises NoProvider naming the known providers when there is none of that name.
    """
    name = name or default_provider_name(config)
    factory = _REGISTRY.get(name)
    if factory is None and name in _BUILTIN:
        module, attr = _BUILTIN[name].split(":")
        factory = getattr(importlib.import_module(module), attr)
    if factory is None:
        raise NoProvider(f"no AI provider called {name!r}; choose one of "
                         f"{', '.join(provider_names())}", provider=name)
    return factory(config)
