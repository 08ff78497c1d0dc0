"""The HTTP face: one Starlette app over one :class:`~workbench.facade.Workbench`.

=========================================  ===================================================
``GET  /health``                           liveness, no token
``GET  /api/status``                       ``wb.status()``
``GET  /api/projects``                     registered projects
``GET  /api/projects/{name}/snapshots``    a project's snapshots
``GET  /api/jobs[?limit=N]``               recent jobs; ``/api/jobs/{id}`` one job
``GET  /api/events[?after=&types=&limit=]`` the event log (``types`` comma-separated)
``GET  /api/consumers``                    durable consumers, positions, dead letters
``POST /api/ideas``                        ``{"project", "title", "text"}`` → ``wb.ideas.add``
``WS   /api/events/live[?after=&types=]``  events pushed as JSON text frames as they happen
``POST /webhooks/github``                  GitHub deliveries (HMAC-signed, no token)
=========================================  ===================================================

The API wants ``Authorization: Bearer <token>`` (the WebSocket also takes ``?token=``, since
browsers cannot set headers on one); the token is compared in constant time. Database work runs
on Starlette's thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import hmac
import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import ProjectNotFound, WorkbenchError
from ..events.github import verify_signature

if TYPE_CHECKING:  # pragma: no cover
    from ..events import Event
    from ..facade import Workbench

log = logging.getLogger("workbench.server")

#: Largest webhook body read, in bytes (GitHub caps payloads at 25 MB).
MAX_WEBHOOK_BYTES = 25 * 1024 * 1024
#: Events a slow WebSocket client may have waiting before it is disconnected.
CLIENT_QUEUE = 10_000


def _default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Path, enum.Enum)):
        return str(value.value if isinstance(value, enum.Enum) else value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


class JSON(JSONResponse):
    """JSON with dataclasses, datetimes, paths and enums turned into plain values."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_default, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")


def _error(status: int, message: str) -> JSON:
    return JSON({"error": message}, status_code=status)


class _Live:
    """Fans the event log out to WebSocket clients: one follower thread, a queue per client."""

    def __init__(self, wb: "Workbench") -> None:
        self.wb = wb
        self.clients: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self.follower = None

    def start(self) -> None:
        self.follower = self.wb.events.follow(self._on_event)

    def stop(self) -> None:
        if self.follower is not None:
            self.follower.close()

    def _on_event(self, event: "Event") -> None:
        for loop, queue in list(self.clients):
            with contextlib.suppress(RuntimeError):  # a loop that closed meanwhile
                loop.call_soon_threadsafe(_offer, queue, event)


def _offer(queue: asyncio.Queue, event: "Event") -> None:
    try:
        queue.put_nowait(event)
    except asyncio.QueueFull:
        # the client cannot keep up: tell its sender to stop (None jumps no queue, so drop one)
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
        queue.put_nowait(None)


def create_app(wb: "Workbench", *, token: str, webhook_secret: str | None = None,
               max_webhook_bytes: int = MAX_WEBHOOK_BYTES, agents: bool = False) -> Starlette:
    """The app for ``wb``. ``token`` guards ``/api``; ``webhook_secret`` (None: webhooks are
    answered 503) verifies ``/webhooks/github``. With ``agents`` the define, planner and
    reviewer agents serve their consumers while the app runs (``workbench serve`` does), so
    posted ideas are specified and planned and pull requests reviewed."""
    if not token:
        raise ValueError("the API needs a token")
    live = _Live(wb)

    def authorised(headers, query=None) -> bool:
        given = headers.get("authorization", "")
        given = given[7:] if given.lower().startswith("bearer ") else ""
        if not given and query is not None:
            given = query.get("token", "")
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())

    def guarded(fn):
        async def endpoint(request: Request) -> Response:
            if not authorised(request.headers):
                return _error(401, "missing or wrong token: send Authorization: Bearer <token> "
                                   "(printed by `workbench serve`, or WORKBENCH_API_TOKEN)")
            try:
                return await fn(request)
            except ProjectNotFound as exc:
                return _error(404, str(exc))
            except WorkbenchError as exc:
                return _error(400, str(exc))
            except ValueError as exc:
                return _error(400, f"bad request: {exc}")

        return endpoint

    async def health(request: Request) -> Response:
        return JSON({"ok": True})

    async def status(request: Request) -> Response:
        return JSON(await run_in_threadpool(wb.status))

    async def projects(request: Request) -> Response:
        return JSON(await run_in_threadpool(wb.projects))

    async def snapshots(request: Request) -> Response:
        name = request.path_params["name"]
        return JSON(await run_in_threadpool(lambda: wb.project(name).snapshots()))

    async def jobs(request: Request) -> Response:
        limit = _number(request.query_params, "limit", 20, least=1, most=1000)
        return JSON(await run_in_threadpool(wb.recent_jobs, limit))

    async def job(request: Request) -> Response:
        job_id = int(request.path_params["job_id"])
        try:
            return JSON(await run_in_threadpool(wb.job, job_id))
        except WorkbenchError as exc:
            return _error(404, str(exc))

    async def events(request: Request) -> Response:
        query = request.query_params
        after = _number(query, "after", 0, least=0)
        limit = _number(query, "limit", 100, least=1, most=10_000)
        found = await run_in_threadpool(wb.events.read, after, _types(query), limit)
        return JSON([e.to_dict() for e in found])

    async def consumers(request: Request) -> Response:
        return JSON(await run_in_threadpool(wb.events.consumers))

    async def ideas(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "the body must be JSON: {\"project\", \"title\", \"text\"}")
        if not isinstance(body, dict) or not all(
                isinstance(body.get(k), str) and body.get(k).strip() for k in ("project", "title")):
            return _error(400, "give \"project\" and \"title\" (strings) and \"text\"")
        text = body.get("text") or ""
        if not isinstance(text, str):
            return _error(400, "\"text\" must be a string")
        service = getattr(wb, "ideas", None)
        if service is None:
            return _error(501, "ideas are not available in this workbench version: it has no "
                               "idea pipeline (wb.ideas) yet")
        idea = await run_in_threadpool(lambda: service.add(body["project"], body["title"], text,
                                                           actor="server"))
        return JSON(idea, status_code=201)

    async def live_events(websocket: WebSocket) -> None:
        if not authorised(websocket.headers, websocket.query_params):
            await _refuse(websocket, 401, "missing or wrong token: send Authorization: Bearer "
                                          "<token> or ?token= (printed by `workbench serve`, or "
                                          "WORKBENCH_API_TOKEN)")
            return
        try:
            types = _types(websocket.query_params)
            after = _number(websocket.query_params, "after", None, least=0)
        except (ValueError, WorkbenchError) as exc:
            await _refuse(websocket, 400, str(exc))
            return
        queue: asyncio.Queue = asyncio.Queue(CLIENT_QUEUE)
        client = (asyncio.get_running_loop(), queue)
        live.clients.add(client)
        try:
            # live only: events already in the log when the client came are not pushed, even
            # when the follower thread hands them out later (it may lag behind publishers).
            # The head is read before the handshake completes, so every event published once
            # the client's connect has returned comes after it and is pushed.
            last = await run_in_threadpool(wb.events.head) if after is None else 0
            await websocket.accept()
            if after is not None:
                for event in await run_in_threadpool(wb.events.read, after, types, 10_000):
                    await websocket.send_text(json.dumps(event.to_dict()))
                    last = event.id
            await _pump(websocket, queue, types, last)
        except WebSocketDisconnect:
            pass
        finally:
            live.clients.discard(client)

    async def github(request: Request) -> Response:
        secret = webhook_secret
        if not secret:
            return _error(503, "webhooks are off: set WORKBENCH_WEBHOOK_SECRET to the secret "
                               "configured on GitHub")
        length = request.headers.get("content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                return _error(400, "bad Content-Length")
            if declared > max_webhook_bytes:
                return _error(413, f"body over {max_webhook_bytes} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_webhook_bytes:
                return _error(413, f"body over {max_webhook_bytes} bytes")
        if not verify_signature(secret, bytes(body), request.headers.get("x-hub-signature-256")):
            return _error(401, "missing or wrong X-Hub-Signature-256 (HMAC-SHA256 of the body "
                               "with the webhook secret)")
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "the body is not JSON (set the webhook's content type to "
                               "application/json)")
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery") or None
        result = await run_in_threadpool(wb.github_webhook, event, delivery, payload)
        return JSON(result, status_code=202 if result["status"] == "processed" else 200)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await run_in_threadpool(live.start)
        if agents:
            await run_in_threadpool(wb.ideas.agents().start)
        try:
            yield
        finally:
            if agents:
                await run_in_threadpool(wb.ideas.agents().stop)
            await run_in_threadpool(live.stop)

    routes = [
        Route("/health", health),
        Route("/api/status", guarded(status)),
        Route("/api/projects", guarded(projects)),
        Route("/api/projects/{name}/snapshots", guarded(snapshots)),
        Route("/api/jobs", guarded(jobs)),
        Route("/api/jobs/{job_id:int}", guarded(job)),
        Route("/api/events", guarded(events)),
        Route("/api/consumers", guarded(consumers)),
        Route("/api/ideas", guarded(ideas), methods=["POST"]),
        WebSocketRoute("/api/events/live", live_events),
        Route("/webhooks/github", github, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={HTTPException: _http_error})


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """The errors routing raises (no such path, a method the path does not take) as the rest
    of the API answers: ``{"error": ...}`` with the status (and ``Allow`` for a 405)."""
    message = {404: f"no such endpoint: {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(
        exc.status_code, exc.detail)
    response = _error(exc.status_code, message)
    response.headers.update(exc.headers or {})
    return response


async def _refuse(websocket: WebSocket, status: int, message: str) -> None:
    """Refuse a WebSocket before its handshake with an HTTP status and a JSON error, as the
    rest of the API answers (a plain close before the handshake reaches the client as a bare
    403); a server without that ASGI extension closes with 4000 + the status."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(_error(status, message))
    else:
        await websocket.close(code=4000 + status, reason=message[:120])


def _number(query, name: str, default: int | None, *, least: int | None = None,
            most: int | None = None) -> int | None:
    """The whole number ``name`` of the query string (``default`` when absent or empty),
    within ``[least, most]``. Raises ValueError (a 400 answer) naming the parameter for text
    or a number out of range: a limit of -1 is refused, not read as 1."""
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw[:40]!r}") from None
    if (least is not None and value < least) or (most is not None and value > most):
        span = (f"from {least} to {most}" if least is not None and most is not None
                else f"at least {least}" if least is not None else f"at most {most}")
        raise ValueError(f"{name} must be {span}, got {value}")
    return value


def _types(query) -> list[str] | None:
    from ..events.types import check_types

    names = [t.strip() for t in (query.get("types") or "").split(",") if t.strip()]
    if not names:  # "types=" or "types=,": every type, as the CLI reads --type ""
        return None
    checked = check_types(names)
    return list(checked) if checked else None


async def _pump(websocket: WebSocket, queue: asyncio.Queue, types, last: int) -> None:
    """Send queued events until the client leaves (its receive side says so) or falls behind."""

    async def watch() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    watcher = asyncio.create_task(watch())
    try:
        while True:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if watcher in done:
                getter.cancel()
                return
            event = getter.result()
            if event is None:
                await websocket.close(code=1013, reason="too slow: events were dropped")
                return
            if event.id <= last or (types and event.type not in types):
                continue
            last = event.id
            await websocket.send_text(json.dumps(event.to_dict()))
    finally:
        watcher.cancel()
