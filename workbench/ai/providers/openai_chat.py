"""The ``openai`` provider: any OpenAI-compatible server through the official ``openai`` client.

OpenAI itself, Ollama (``http://127.0.0.1:11434/v1``), vLLM, llama.cpp's server, LM Studio:
chat completions plain and streamed (server-sent events), function tool calls, the model list.
Base URL, key and model come from :class:`~workbench.config.Config` (``OPENAI_BASE_URL``,
``OPENAI_API_KEY``, ``OPENAI_MODEL``).

The client's own retries are off; this adapter retries 429, 5xx and connections dropped during
a request itself (``config.ai_retries`` times, back-off ``config.ai_retry_delay`` doubling, a
longer ``Retry-After`` honoured up to 30 s), never once part of an answer has been streamed. A
connection that cannot be opened (refused, no such host, no answer within ``CONNECT_TIMEOUT``
seconds) means no server is there: it is reported at once, not retried. Reads keep the whole
``config.ai_timeout``, so a slow server still answers. Every failure becomes a
:mod:`workbench.ai.errors` error whose message says what to do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import (AIError, ModelNotFound, ModelWithoutTools, NoProvider, ProviderAuthFailed,
                      ProviderRateLimited, ProviderServerError, ProviderTimeout,
                      ProviderUnreachable, StreamCut)
from ..records import ChatReply, ModelInfo, ToolCall

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Config

#: keys under which servers report a model's context window in /v1/models
_WINDOW_KEYS = ("context_window", "context_length", "max_context_length", "max_model_len",
                "n_ctx", "max_input_tokens")
MAX_RETRY_AFTER = 30.0
#: seconds a connection may take to open (the openai client's own default); reads are not cut
CONNECT_TIMEOUT = 5.0


def _http_errors() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(time-out errors, transport errors) of the HTTP libraries the client may stream with."""
    import openai

    timeouts: list[type] = [openai.APITimeoutError]
    transport: list[type] = [openai.APIConnectionError]
    for name in ("httpx", "httpx2"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        transport.append(module.TransportError)
    return tuple(timeouts), tuple(transport)


class OpenAIProvider:
    """Chat with an OpenAI-compatible server; see the module docstring."""

    name = "openai"
    streams = True
    takes_tools = True

    def __init__(self, config: "Config") -> None:
        self.config = config
        self.base_url = config.openai_base_url
        self.default_model = config.openai_model
        self._client = None

    def __repr__(self) -> str:
        return f"OpenAIProvider(base_url={self.base_url!r}, model={self.default_model!r})"

    @property
    def where(self) -> str:
        return self.base_url or "OpenAI's API"

    def client(self):
        if self._client is None:
            try:
                import openai
            except ImportError as exc:  # pragma: no cover - a declared dependency
                raise NoProvider("the openai package is missing; pip install openai") from exc
            key = self.config.openai_api_key
            if not key:
                if not self.base_url:
                    raise NoProvider("the openai provider needs a key: set OPENAI_API_KEY, or "
                                     "OPENAI_BASE_URL for a local server")
                key = "unused"  # local servers want a non-empty bearer token, not a real one
            self._client = openai.OpenAI(base_url=self.base_url, api_key=key, max_retries=0,
                                         timeout=_timeout(self.config.ai_timeout))
        return self._client

    # -- models --------------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        """The server's models (``GET /models``); the configured model is listed even when the
        server does not say it."""
        listed = self._call(lambda: self.client().models.list(), model=None)
        out = []
        for m in listed.data:
            extra = dict(getattr(m, "model_extra", None) or {})
            window = next((int(extra[k]) for k in _WINDOW_KEYS
                           if isinstance(extra.get(k), (int, float)) and extra[k] > 0), None)
            caps = extra.get("capabilities")
            tools = extra.get("tools")
            if tools is None and isinstance(caps, (list, dict)):
                tools = "tools" in caps
            out.append(ModelInfo(self.name, m.id, window, True if tools is None else bool(tools)))
        if self.default_model and self.default_model not in {m.name for m in out}:
            out.append(ModelInfo(self.name, self.default_model, None, True))
        return sorted(out, key=lambda m: m.name)

    # -- chat ----------------------------------------------------------------------------------

    def chat(self, messages: list[dict], *, model: str | None = None,
             tools: list[dict] | None = None, on_delta: Callable[[str], None] | None = None,
             response_format: dict | None = None, max_tokens: int | None = None,
             timeout: float | None = None) -> ChatReply:
        """One chat completion (streamed when ``on_delta`` is given); see the Provider protocol.

        Raises ProviderAuthFailed, ProviderRateLimited, ProviderServerError, ProviderUnreachable,
        ProviderTimeout, StreamCut (with ``partial``), ModelNotFound, ModelWithoutTools.
        """
        model = model or self.default_model
        if not model:
            raise NoProvider("no model chosen for the openai provider: set OPENAI_MODEL, name "
                             "one (`--model` on the command line, `model=` in Python), or set "
                             "a project default (`workbench ai default`)")
        args: dict[str, Any] = {"model": model, "messages": messages,
                                "timeout": _timeout(timeout or self.config.ai_timeout)}
        if tools:
            args["tools"] = tools
        if response_format:
            args["response_format"] = response_format
        if max_tokens:
            args["max_tokens"] = max_tokens
        try:
            return self._chat(args, on_delta, model, bool(tools))
        except ProviderServerError as exc:
            # newer OpenAI models take max_completion_tokens only; say it their way once
            if exc.fields.get("status") != 400 or "max_tokens" not in str(exc) \
                    or "max_tokens" not in args:
                raise
            args["max_completion_tokens"] = args.pop("max_tokens")
            return self._chat(args, on_delta, model, bool(tools))

    def _chat(self, args: dict, on_delta: Callable[[str], None] | None, model: str,
              tools: bool) -> ChatReply:
        if on_delta is None:
            response = self._call(lambda: self.client().chat.completions.create(**args),
                                  model=model, tools=tools)
            return _reply(response, model)
        state: dict[str, Any] = {"started": False}
        return self._call(lambda: self._stream(args, on_delta, state), model=model,
                          tools=tools, state=state)

    def _stream(self, args: dict, on_delta: Callable[[str], None], state: dict) -> ChatReply:
        timeouts, transport = _http_errors()
        stream = self.client().chat.completions.create(
            **args, stream=True, stream_options={"include_usage": True})
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        finish, usage, model = None, {}, args["model"]
        try:
            for chunk in stream:
                if getattr(chunk, "usage", None):
                    usage = _usage(chunk.usage)
                model = chunk.model or model
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        state["started"] = True
                        text.append(delta.content)
                        on_delta(delta.content)
                    for part in (delta.tool_calls or []) if delta is not None else []:
                        state["started"] = True
                        slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                        if part.id:
                            slot["id"] = part.id
                        if part.function is not None:
                            slot["name"] += part.function.name or ""
                            slot["arguments"] += part.function.arguments or ""
                    finish = choice.finish_reason or finish
        except timeouts as exc:
            raise ProviderTimeout(
                f"{self.where} sent no further part of the answer within "
                f"{args['timeout'].read:.0f} s; raise WORKBENCH_AI_TIMEOUT or try a smaller model",
                partial="".join(text)) from exc
        except (*transport, _api_error()) as exc:
            raise StreamCut(f"the answer from {self.where} was cut off mid-stream "
                            f"({type(exc).__name__}); ask again", partial="".join(text)) from exc
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if finish is None:
            raise StreamCut(f"the answer from {self.where} ended before it was finished (no "
                            "finish reason); ask again", partial="".join(text))
        tool_calls = [ToolCall(c["id"] or f"call_{i}", c["name"], _arguments(c["arguments"]))
                      for i, c in sorted(calls.items())]
        return ChatReply("".join(text), tool_calls, model, usage, finish)

    def _call(self, fn: Callable[[], Any], *, model: str | None, tools: bool = False,
              state: dict | None = None) -> Any:
        """Run ``fn`` with retries on 429/5xx/unreachable; translate the client's errors."""
        import openai

        timeouts, _ = _http_errors()
        attempts = self.config.ai_retries + 1
        for attempt in range(attempts):
            retry_after = None
            try:
                return fn()
            except AIError:
                raise
            except openai.AuthenticationError as exc:
                raise ProviderAuthFailed(f"{self.where} refused the API key (401): check "
                                         "OPENAI_API_KEY", status=401) from exc
            except openai.PermissionDeniedError as exc:
                raise ProviderAuthFailed(f"{self.where} refused access (403) to model {model!r}: "
                                         "check the key's permissions", status=403) from exc
            except openai.NotFoundError as exc:
                raise ModelNotFound(f"{self.where} does not serve model {model!r}; see "
                                    "`workbench ai models`", model=model) from exc
            except openai.BadRequestError as exc:
                if tools and "tool" in str(exc).lower():
                    raise ModelWithoutTools(f"model {model!r} at {self.where} does not take "
                                            "tools; ask without them", model=model) from exc
                raise ProviderServerError(f"{self.where} refused the request (400): "
                                          f"{_message(exc)}", status=400) from exc
            except openai.RateLimitError as exc:
                error: AIError = ProviderRateLimited(
                    f"{self.where} is rate limiting (429) after {attempt + 1} attempts; wait "
                    "and ask again, or raise WORKBENCH_AI_RETRIES", status=429)
                retry_after = _retry_after(exc)
                cause: Exception = exc
            except openai.APIStatusError as exc:
                if exc.status_code < 500:
                    raise ProviderServerError(f"{self.where} answered {exc.status_code}: "
                                              f"{_message(exc)}", status=exc.status_code) from exc
                error = ProviderServerError(
                    f"{self.where} kept failing ({exc.status_code}) after {attempt + 1} attempts;"
                    " try again later", status=exc.status_code)
                retry_after = _retry_after(exc)
                cause = exc
            except timeouts as exc:
                if _not_connected(exc):
                    raise ProviderUnreachable(
                        f"cannot reach {self.where}: no answer to the connection within "
                        f"{CONNECT_TIMEOUT:.0f} s; is the server running? check OPENAI_BASE_URL"
                    ) from exc
                raise ProviderTimeout(f"{self.where} did not answer within "
                                      f"{self.config.ai_timeout:.0f} s; raise "
                                      "WORKBENCH_AI_TIMEOUT or try a smaller model",
                                      partial="") from exc
            except openai.APIConnectionError as exc:
                why = str(exc.__cause__ or "")[:200] or _message(exc)  # "Connection refused"
                error = ProviderUnreachable(f"cannot reach {self.where} ({why}); is the"
                                            " server running? check OPENAI_BASE_URL")
                cause = exc
                if _not_connected(exc):  # nothing listens there: waiting will not change it
                    raise error from cause
            if (state and state.get("started")) or attempt == attempts - 1:
                raise error from cause
            delay = self.config.ai_retry_delay * (2 ** attempt)
            if retry_after is not None:
                delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _timeout(seconds: float):
    """The client's time-out: ``seconds`` for reads and writes, at most ``CONNECT_TIMEOUT`` to
    open the connection."""
    import openai

    return openai.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT))


def _not_connected(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a connection that could not be opened: refused,
    no such host, or no answer to it in time."""
    names = {"ConnectError", "ConnectTimeout"}
    seen: BaseException | None = exc
    while seen is not None:
        kind = type(seen)
        if kind.__name__ in names and kind.__module__.split(".")[0] in ("httpx", "httpx2"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _api_error() -> type:
    import openai

    return openai.APIError


def _message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:300]
    return str(exc)[:300]


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _usage(usage: Any) -> dict[str, int]:
    if usage is None:
        return {}
    return {k: int(getattr(usage, k) or 0)
            for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def _arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {"_unparsed": raw}
    return value if isinstance(value, dict) else {"_value": value}


def _reply(response: Any, model: str) -> ChatReply:
    if not getattr(response, "choices", None):
        raise ProviderServerError("the server answered without any choice; check that it "
                                  "speaks the chat completions protocol")
    choice = response.choices[0]
    message = choice.message
    calls = [ToolCall(c.id, c.function.name, _arguments(c.function.arguments or ""))
             for c in (message.tool_calls or []) if getattr(c, "function", None)]
    return ChatReply(message.content or "", calls, response.model or model,
                     _usage(response.usage), choice.finish_reason)
