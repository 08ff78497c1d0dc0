"""AI providers behind one small protocol, chosen by name from a registry.

::

    provider = get_provider("openai", config)      # None: the configured default
    reply = provider.chat([{"role": "user", "content": "hi"}], on_delta=print)

Built in: ``openai`` (any OpenAI-compatible server through the official client), ``goose``
(the Goose CLI run headless) and ``extractive`` (no model: the offline default). Others are
added with :func:`register`. Adapters are imported when first asked for, never at import.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import NoProvider

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Config
    from ..records import ChatReply, ModelInfo

__all__ = ["Provider", "register", "get_provider", "provider_names", "default_provider_name",
           "split_model_spec"]


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
        error = NoProvider(f"no AI provider called {name!r}; choose one of "
                           f"{', '.join(provider_names())}", provider=name)
        raise config.named("ai_provider", error) if name == config.ai_provider else error
    return factory(config)


# A tag after the colon of an Ollama-style model name (``name:tag``): a size or version
# (``8b``, ``1.5b``, ``8x7b``, ``v0.3``), ``latest``, a quantisation (``q4_0``, ``Q4_K_M``,
# ``iq3_xs``, ``fp16``) or a variant word (``instruct``, ``chat``, ``python`` ...), alone or
# followed by more (``7b-instruct-q4_K_M``, ``instruct-v0.2``).
_MODEL_TAG = re.compile(
    r"(?:\d|v\d|latest\b|i?q\d|b?fp?(?:16|32)\b|"
    r"(?:instruct|chat|text|code|python|vision|mini|small|medium|large|base|it)\b)", re.I)
# The shape of a provider's name: one word (``openai``, ``goose``, ``my-llm``), no dot or slash.
_PROVIDER_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def split_model_spec(spec: str, default: str = "openai") -> tuple[str | None, str | None]:
    """``(provider, model)`` of a MODEL a user wrote as ``provider:model`` or as a plain model
    name (provider None: the caller's default provider takes it). Raises :class:`NoProvider`
    when the spec names a provider that does not exist (``default``, the provider a bare model
    name goes to, is named in its advice).

    The rule, for the part before the first colon (the prefix) and the part after it:

    1. No colon: a model name (``gpt-4o``).
    2. The prefix names a provider, in any case: that provider and the rest as its model
       (``openai:gpt-4o``, ``OpenAI:llama3:8b``); nothing after the colon (``goose:``): the
       provider with its own default model.
    3. Otherwise the whole spec is one model name, colon kept, when it reads as one: an
       Ollama-style ``name:tag`` whose tag is a tag (a size or version, ``latest``, a
       quantisation or a variant word: ``llama3:8b``, ``qwen2.5-coder:7b-instruct``,
       ``mistral:latest``, ``codellama:python``, ``hf.co/org/repo:Q4_K_M``) or whose name
       is not shaped like a provider's (it has a dot or a slash: ``org/model:custom``), or an
       OpenAI fine-tuned model (``ft:gpt-4o-mini:org::id``).
    4. Anything else, a word shaped like a provider's name, a colon, and then nothing or a
       name that is no tag (``nosuch:model``, ``anthropic:claude-3-5-sonnet``,
       ``opnai:gpt-4o``), names a provider that does not exist: :class:`NoProvider` lists
       the providers as ``ask --provider`` does, with the closest name, and says how to
       keep such a model name whole: name its provider first (``openai:nosuch:model``), or
       give the provider apart (``--provider openai``), which this rule never reads.
    """
    spec = spec.strip()
    prefix, colon, rest = spec.partition(":")
    if not colon:
        return None, spec or None
    names = provider_names()
    named = next((n for n in names if n == prefix), None) or \
        next((n for n in names if n.lower() == prefix.lower()), None)
    if named is not None:
        return named, rest or None
    if rest and (not _PROVIDER_SHAPE.fullmatch(prefix) or prefix == "ft"
                 or _MODEL_TAG.match(rest)):
        return None, spec
    close = difflib.get_close_matches(prefix.lower(), names, n=1, cutoff=0.6)
    if close:
        advice = f" (did you mean {close[0]!r}?)"
    elif rest:
        advice = f" (a model whose name has a colon goes after its provider: {default}:{spec})"
    else:
        advice = ""
    raise NoProvider(f"no AI provider called {prefix!r}; choose one of {', '.join(names)}"
                     + advice, provider=prefix)
