"""A real OpenAI-compatible HTTP server on 127.0.0.1 for the tests, scripted per test.

It speaks the parts of the protocol the workbench uses, over a real socket, so the official
``openai`` client runs end to end against it:

- ``POST /v1/chat/completions``: plain JSON or streamed as server-sent events
  (``data: {chunk}`` lines, then ``data: [DONE]``), with tool calls (whole, or streamed as
  ``delta.tool_calls`` fragments), usage, and ``stream_options.include_usage``;
- ``GET /v1/models``: the model list (extra fields such as ``context_window`` ride along, as
  vLLM's ``max_model_len`` or LM Studio's ``max_context_length`` do);
- ``POST /v1/embeddings``: deterministic vectors from the text (a hashed bag of words,
  L2-normalised), ``dimensions`` from the request or from a model name ending in ``-<dim>``,
  as floats or base64 float32 as the client asks.

Each test queues what the next chat requests get (``reply``, ``tool_call``, ``error``,
``stall``, ``cut``); an empty queue answers with an echo of the last user message. Every request
is recorded in ``requests``. Usage::

    def test_x(openai_server):
        openai_server.reply("Hello")
        openai_server.error(429, times=2)
        client = openai.OpenAI(base_url=openai_server.base_url, api_key=openai_server.api_key)

The server runs in a thread (uvicorn on a socket bound to a free port) and is stopped at teardown;
a stalled stream is released by the stop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("rate_limit_exceeded", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", "overloaded"),
}


@dataclass
class Script:
    """One scripted answer to a chat request.

    kind: "reply" (text and/or tool calls), "error" (status + OpenAI error JSON),
    "stall" (sends ``text`` then waits ``seconds`` before finishing; streamed or plain),
    "cut" (a stream that sends ``text`` then ends without a finish reason or ``[DONE]``;
    ``abrupt`` drops the connection mid-body instead of ending it cleanly).
    """

    kind: str
    text: str = ""
    tool_calls: list[dict] = field(default_factory=list)
    status: int = 200
    message: str = ""
    seconds: float = 0.0
    abrupt: bool = False
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


def hashed_embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit vector of ``dim`` floats: each lower-cased word adds ±1 at a hashed slot."""
    vec = [0.0] * dim
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "little") % dim
        vec[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec))
    return [v / norm for v in vec] if norm else vec


def count_words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(count_words(v) for v in value)
    if isinstance(value, dict):
        return sum(count_words(v) for v in value.values())
    return 0


class OpenAIServer:
    """The scripted server; see the module docstring.

    Attributes: ``base_url`` ("http://127.0.0.1:PORT/v1"), ``api_key`` (required as a bearer
    token when set), ``models`` (dicts served by /v1/models; a model with ``"tools": False``
    answers a request carrying tools with a 400, as Ollama does), ``requests`` (Recorded, in
    order), ``chunk_chars`` (characters per streamed content delta).
    """

    def __init__(self, *, api_key: str | None = "sk-test") -> None:
        self.api_key = api_key
        self.models: list[dict] = [
            {"id": "tiny-chat", "context_window": 8192, "tools": True},
            {"id": "tiny-notools", "context_window": 4096, "tools": False},
        ]
        self.requests: list[Recorded] = []
        self.chunk_chars = 4
        self._queue: deque[Script] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # ---- scripting ---------------------------------------------------------------------
    def reply(self, text: str = "", *, tool_calls: list[dict] | None = None) -> None:
        """Queue an answer. ``tool_calls``: [{"name": str, "arguments": dict, "id"?: str}]."""
        self._push(Script("reply", text=text, tool_calls=list(tool_calls or [])))

    def tool_call(self, name: str, arguments: dict, *, text: str = "") -> None:
        self.reply(text, tool_calls=[{"name": name, "arguments": arguments}])

    def error(self, status: int, message: str | None = None, *, times: int = 1,
              headers: dict[str, str] | None = None) -> None:
        """Queue ``times`` error answers with an OpenAI-style error body."""
        for _ in range(times):
            self._push(Script("error", status=status,
                              message=message or f"scripted error {status}",
                              headers=dict(headers or {})))

    def stall(self, text: str = "", *, seconds: float = 60.0) -> None:
        """Queue an answer that sends ``text`` (streamed) then hangs ``seconds`` (or until stop)."""
        self._push(Script("stall", text=text, seconds=seconds))

    def cut(self, text: str, *, abrupt: bool = False) -> None:
        """Queue a stream cut after ``text``: no finish reason, no [DONE]."""
        self._push(Script("cut", text=text, abrupt=abrupt))

    def chat_requests(self) -> list[dict]:
        """The JSON bodies of the chat requests received, in order."""
        return [r.json for r in self.requests if r.path.endswith("/chat/completions")]

    def _push(self, script: Script) -> None:
        with self._lock:
            self._queue.append(script)

    def _next(self, body: dict) -> Script:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        last = next((m for m in reversed(body.get("messages") or [])
                     if m.get("role") == "user"), {})
        content = last.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        return Script("reply", text=f"echo: {content or ''}")

    # ---- lifecycle -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "OpenAIServer":
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._sock]},
                                        name="openai-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the OpenAI-compatible test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the app -------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/v1/models", self._models, methods=["GET"]),
            Route("/v1/embeddings", self._embeddings, methods=["POST"]),
        ])

    async def _record(self, request: Request) -> tuple[Any, Response | None]:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.requests.append(Recorded(request.method, request.url.path,
                                      dict(request.headers), body))
        if self.api_key is not None:
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return body, self._error_response(401, "Incorrect API key provided.")
        if request.method == "POST" and not isinstance(body, dict):
            return body, self._error_response(400, "The body must be a JSON object.")
        return body, None

    @staticmethod
    def _error_response(status: int, message: str,
                        headers: dict[str, str] | None = None) -> JSONResponse:
        etype, code = ERROR_TYPES.get(status, ("server_error", None))
        return JSONResponse({"error": {"message": message, "type": etype, "param": None,
                                       "code": code}}, status_code=status, headers=headers)

    async def _models(self, request: Request) -> Response:
        _, failed = await self._record(request)
        if failed:
            return failed
        data = [{"object": "model", "created": 1_700_000_000, "owned_by": "tests", **m}
                for m in self.models]
        return JSONResponse({"object": "list", "data": data})

    async def _embeddings(self, request: Request) -> Response:
        body, failed = await self._record(request)
        if failed:
            return failed
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            return self._error_response(400, "input must be a string or a list of strings")
        model = str(body.get("model") or "hash")
        match = re.search(r"-(\d+)$", model)
        dim = int(body.get("dimensions") or (match.group(1) if match else 32))
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vec = hashed_embedding(text, dim)
            value: Any = vec
            if as_base64:
                value = base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
            data.append({"object": "embedding", "index": index, "embedding": value})
        tokens = count_words(inputs)
        return JSONResponse({"object": "list", "data": data, "model": model,
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def _chat(self, request: Request) -> Response:
        body, failed = await self._record(request)
        if failed:
            return failed
        model = body.get("model") or ""
        known = {m["id"]: m for m in self.models}
        if model not in known:
            return self._error_response(404, f"The model `{model}` does not exist.")
        if body.get("tools") and known[model].get("tools") is False:
            return self._error_response(400, f"{model} does not support tools")
        script = self._next(body)
        if script.kind == "error":
            return self._error_response(script.status, script.message, script.headers)
        usage = {"prompt_tokens": sum(count_words(m.get("content"))
                                      for m in body.get("messages") or [] if isinstance(m, dict)),
                 "completion_tokens": count_words(script.text)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        calls = [{"id": c.get("id") or f"call_{i}", "type": "function",
                  "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
                 for i, c in enumerate(script.tool_calls)]
        finish = "tool_calls" if calls else "stop"
        ident = f"chatcmpl-{len(self.requests)}"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                self._stream(script, ident, model, calls, finish, usage if include_usage else None),
                media_type="text/event-stream")
        if script.kind == "stall":
            await self._sleep(script.seconds)
        message: dict[str, Any] = {"role": "assistant", "content": script.text or None}
        if calls:
            message["tool_calls"] = calls
        return JSONResponse({
            "id": ident, "object": "chat.completion", "created": int(time.time()),
            "model": model, "usage": usage,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        })

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stopping.is_set():
            await asyncio.sleep(0.05)

    async def _stream(self, script: Script, ident: str, model: str, calls: list[dict],
                      finish: str, usage: dict | None):
        def chunk(delta: dict | None, finish_reason: str | None = None, **extra: Any) -> str:
            payload: dict[str, Any] = {"id": ident, "object": "chat.completion.chunk",
                                       "created": int(time.time()), "model": model,
                                       "choices": [] if delta is None else [
                                           {"index": 0, "delta": delta,
                                            "finish_reason": finish_reason}], **extra}
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        text = script.text
        step = max(1, self.chunk_chars)
        for start in range(0, len(text), step):
            yield chunk({"content": text[start:start + step]})
            await asyncio.sleep(0)
        if script.kind == "stall":
            await self._sleep(script.seconds)
        if script.kind == "cut":
            if script.abrupt:
                raise ConnectionAbortedError("stream cut by the test script")
            return
        for index, call in enumerate(calls):
            args = call["function"]["arguments"]
            yield chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                         "function": {"name": call["function"]["name"],
                                                      "arguments": ""}}]})
            for start in range(0, len(args), 7):
                yield chunk({"tool_calls": [{"index": index,
                                             "function": {"arguments": args[start:start + 7]}}]})
        yield chunk({}, finish)
        if usage is not None:
            yield chunk(None, usage=usage)
        yield "data: [DONE]\n\n"
