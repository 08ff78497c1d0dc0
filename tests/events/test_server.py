"""The server through real uvicorn on 127.0.0.1: JSON API, WebSocket stream, GitHub webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.events.conftest import open_bench
from tests.events.test_log import pushed, wait_until
from workbench.events.github import location_key, verify_signature
from workbench.server import BackgroundServer, create_app

TOKEN = "test-token-123"
SECRET = "It's a Secret to Everybody"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def served(data_dir, events_backend):
    wb = open_bench(data_dir, events_backend)
    app = create_app(wb, token=TOKEN, webhook_secret=SECRET, max_webhook_bytes=1024 * 1024)
    with BackgroundServer(app) as server:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield wb, server, client
    wb.close()


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client, event: str, payload, *, delivery: str | None = "d-1",
            signature: str | None = "good", body: bytes | None = None):
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "Content-Type": "application/json"}
    if delivery:
        headers["X-GitHub-Delivery"] = delivery
    if signature == "good":
        headers["X-Hub-Signature-256"] = sign(raw)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/webhooks/github", content=raw, headers=headers)


def test_githubs_documented_test_vector_verifies():
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert verify_signature("It's a Secret to Everybody", b"Hello, World!", expected)
    assert not verify_signature("It's a Secret to Everybody", b"Hello, World?", expected)
    assert not verify_signature("another secret", b"Hello, World!", expected)
    assert not verify_signature(SECRET, b"Hello, World!", expected.replace("sha256", "sha1"))
    assert not verify_signature(SECRET, b"Hello, World!", None)


def test_locations_compare_without_scheme_credentials_and_dot_git(tmp_path):
    keys = {location_key(u) for u in (
        "https://github.com/Acme/Shop.git", "https://user:tok@github.com/acme/shop/",
        "git@github.com:acme/shop.git", "ssh://git@github.com/acme/shop", "git://github.com/acme/shop.git")}
    assert keys == {"github.com/acme/shop"}
    assert location_key(f"file://{tmp_path}") == location_key(str(tmp_path)) == str(tmp_path.resolve())


def test_the_api_wants_its_token_and_serves_read_only_json(served, sample_repo):
    wb, server, client = served
    assert client.get("/health").json() == {"ok": True}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = client.get("/api/status", headers=headers)
        assert answer.status_code == 401 and "token" in answer.json()["error"]
    wb.add_project("shop", str(sample_repo))
    wb.events.publish_many([pushed(i) for i in range(3)])
    status = client.get("/api/status", headers=AUTH).json()
    assert status["schema_version"] >= 11 and status["projects"][0]["name"] == "shop"
    assert [p["name"] for p in client.get("/api/projects", headers=AUTH).json()] == ["shop"]
    assert client.get("/api/projects/shop/snapshots", headers=AUTH).json() == []
    missing = client.get("/api/projects/nope/snapshots", headers=AUTH)
    assert missing.status_code == 404 and "nope" in missing.json()["error"]
    assert client.get("/api/jobs", headers=AUTH).json() == []
    assert client.get("/api/jobs/42", headers=AUTH).status_code == 404
    events = client.get("/api/events", params={"after": 1, "limit": 5}, headers=AUTH).json()
    assert [e["id"] for e in events] == [2, 3] and events[0]["type"] == "repo.pushed"
    bad = client.get("/api/events", params={"types": "no.such"}, headers=AUTH)
    assert bad.status_code == 400 and "unknown event type" in bad.json()["error"]
    assert client.get("/api/consumers", headers=AUTH).json() == []
    assert client.post("/api/status", headers=AUTH).status_code == 405


def test_no_such_endpoint_and_a_wrong_method_answer_in_json(served):
    client = served[2]
    missing = client.get("/api/nosuch", headers=AUTH)
    assert missing.status_code == 404
    assert missing.json() == {"error": "no such endpoint: /api/nosuch"}
    assert client.get("/api/jobs/abc", headers=AUTH).json()["error"].startswith("no such endpoint")
    wrong = client.get("/webhooks/github")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert wrong.json() == {"error": "GET is not allowed on /webhooks/github"}


@pytest.mark.parametrize("path, name", [("/api/jobs?limit=ten", "limit"),
                                        ("/api/events?after=x", "after"),
                                        ("/api/events?limit=1.5", "limit")])
def test_a_number_in_the_query_that_is_no_number_is_named(served, path, name):
    answer = served[2].get(path, headers=AUTH)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert f"{name} must be a whole number" in error and "invalid literal" not in error


def test_posting_an_idea(served):
    wb, server, client = served
    assert client.post("/api/ideas", json={"title": "x"}, headers=AUTH).status_code == 400
    assert client.post("/api/ideas", content=b"{", headers=AUTH).status_code == 400
    answer = client.post("/api/ideas", json={"project": "shop", "title": "Faster maps",
                                             "text": "cache more"}, headers=AUTH)
    if getattr(wb, "ideas", None) is None:
        assert answer.status_code == 501 and "wb.ideas" in answer.json()["error"]
    else:  # the idea pipeline is there: the idea is stored and announced
        assert answer.status_code in (201, 404), answer.text
        if answer.status_code == 201:
            assert wb.events.read(types="idea.created")


def test_events_are_pushed_to_websocket_clients(served):
    wb, server, client = served
    ws_url = server.url.replace("http", "ws") + "/api/events/live"
    with pytest.raises(InvalidStatus):
        connect(ws_url, open_timeout=30).close()
    with pytest.raises(InvalidStatus):
        connect(ws_url + "?token=wrong", open_timeout=30).close()
    wb.events.publish(*pushed(0))
    with connect(f"{ws_url}?token={TOKEN}&after=0", open_timeout=30) as backlog_and_live, \
            connect(ws_url, additional_headers=AUTH, open_timeout=30) as live_only, \
            connect(f"{ws_url}?token={TOKEN}&types=idea.created", open_timeout=30) as ideas:
        first = json.loads(backlog_and_live.recv(timeout=30))
        assert first["id"] == 1 and first["payload"]["after"] == "0"
        # the sockets are open; events published from now on are pushed
        wait_until(lambda: len(server.server.server_state.connections) >= 3, what="3 clients")
        wb.events.publish(*pushed(1))
        wb.events.publish("idea.created", {"idea_id": 1, "project": "shop", "title": "t"})
        got = [json.loads(live_only.recv(timeout=30)) for _ in range(2)]
        assert [(e["id"], e["type"]) for e in got] == [(2, "repo.pushed"), (3, "idea.created")]
        assert json.loads(ideas.recv(timeout=30))["id"] == 3
        assert [json.loads(backlog_and_live.recv(timeout=30))["id"] for _ in range(2)] == [2, 3]


def test_a_refused_websocket_says_why_with_the_http_status(served, caplog):
    """A missing token is 401 and a bad query 400, each with its JSON error, as on the rest of
    the API (not the bare 403 a WebSocket closed before its handshake gets), and the server
    logs no error for a refusal."""
    wb, server, client = served
    ws_url = server.url.replace("http", "ws") + "/api/events/live"
    uvicorn_log = logging.getLogger("uvicorn.error")  # does not reach the root logger
    uvicorn_log.addHandler(caplog.handler)
    for query, status, words in (("", 401, "token"), ("?token=wrong", 401, "token"),
                                 (f"?token={TOKEN}&types=no.such", 400, "unknown event type"),
                                 (f"?token={TOKEN}&after=x", 400, "after")):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url + query, open_timeout=30).close()
        response = refused.value.response
        assert response.status_code == status, query
        assert words in json.loads(response.body)["error"], query
    with connect(ws_url, additional_headers=AUTH, open_timeout=30):
        pass  # a connection after the refusals: their handling has run to its end
    uvicorn_log.removeHandler(caplog.handler)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_the_token_in_a_websocket_query_never_reaches_the_servers_log(data_dir, events_backend,
                                                                     caplog):
    wb = open_bench(data_dir, events_backend)
    app = create_app(wb, token=TOKEN, webhook_secret=SECRET, max_webhook_bytes=1024)
    uvicorn_log = logging.getLogger("uvicorn.error")  # where the WebSocket lines go
    try:
        with BackgroundServer(app, log_level="info") as server:
            uvicorn_log.addHandler(caplog.handler)
            ws_url = server.url.replace("http", "ws") + "/api/events/live"
            with connect(f"{ws_url}?token={TOKEN}", open_timeout=30):
                pass
            with pytest.raises(InvalidStatus):
                connect(f"{ws_url}?types=x&token={TOKEN}-wrong", open_timeout=30).close()
            wait_until(lambda: sum("WebSocket" in r.getMessage() for r in caplog.records) >= 2,
                       what="the two connections logged")
    finally:
        uvicorn_log.removeHandler(caplog.handler)
        wb.close()
    lines = [r.getMessage() for r in caplog.records if "WebSocket" in r.getMessage()]
    assert all(TOKEN not in line for line in lines), lines
    assert sum("token=***" in line for line in lines) >= 2, lines


def test_webhook_signatures_are_checked_before_anything_else(served):
    wb, server, client = served
    body = b"Hello, World!"  # GitHub's test vector: verifies, then is refused as not JSON
    good = deliver(client, "ping", None, body=body, delivery=None,
                   signature="sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    assert good.status_code == 400 and "not JSON" in good.json()["error"]
    payload = {"zen": "Keep it logically awesome."}
    for signature in (None, "sha1=" + hmac.new(SECRET.encode(), b"x", hashlib.sha1).hexdigest(),
                      sign(b"another body"), "sha256=", "garbage"):
        answer = deliver(client, "ping", payload, signature=signature)
        assert answer.status_code == 401, signature
    assert deliver(client, "ping", payload).json()["status"] == "ignored"
    assert wb.events.head() == 0


def test_webhooks_are_off_without_a_secret(data_dir, events_backend):
    wb = open_bench(data_dir, events_backend)
    try:
        with BackgroundServer(create_app(wb, token=TOKEN, webhook_secret=None)) as server:
            answer = httpx.post(server.url + "/webhooks/github", content=b"{}", timeout=60)
            assert answer.status_code == 503 and "WORKBENCH_WEBHOOK_SECRET" in answer.json()["error"]
    finally:
        wb.close()


def _response_head(sock: socket.socket, timeout: float = 60.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_oversize_bodies_get_413_without_being_read(served):
    wb, server, client = served
    cap = 1024 * 1024
    # a Content-Length over the cap is answered before the body is sent
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
                     b"Content-Type: application/json\r\n"
                     + f"Content-Length: {30 * cap}\r\n\r\n".encode() + b"{" * 1000)
        assert _response_head(sock).startswith(b"HTTP/1.1 413")
    # a chunked body is read up to the cap, then refused
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 65536
        for _ in range(cap // len(piece) + 2):  # just over the cap, and no end chunk
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        assert _response_head(sock).startswith(b"HTTP/1.1 413")
    assert wb.events.head() == 0


def test_unknown_repositories_and_event_types_are_ignored_with_2xx(served, sample_repo):
    wb, server, client = served
    wb.add_project("shop", str(sample_repo))
    stranger = {"ref": "refs/heads/main", "before": "a" * 40, "after": "b" * 40,
                "repository": {"full_name": "acme/other", "clone_url": "https://github.com/acme/other.git"}}
    answer = deliver(client, "push", stranger, delivery="d-unknown")
    assert answer.status_code == 200 and answer.json()["reason"] == "repository is not registered here"
    issue = deliver(client, "issues", {"repository": {"clone_url": f"file://{sample_repo}"}},
                    delivery="d-issue")
    assert issue.status_code == 200 and "not handled" in issue.json()["reason"]
    closed = deliver(client, "pull_request", {
        "action": "closed", "number": 1, "pull_request": {},
        "repository": {"clone_url": f"file://{sample_repo}"}}, delivery="d-closed")
    assert closed.status_code == 200 and closed.json()["status"] == "ignored"
    assert wb.events.head() == 0


def test_a_push_publishes_repo_pushed_and_maps_the_project_again_once(served, sample_repo):
    wb, server, client = served
    wb.add_project("shop", str(sample_repo))
    head = __import__("tests.helpers", fromlist=["git"]).git(sample_repo, "rev-parse", "HEAD")
    push = {"ref": "refs/heads/main", "before": "0" * 39 + "1", "after": head,
            "repository": {"full_name": "local/shop", "clone_url": f"file://{sample_repo}",
                           "html_url": "https://example.invalid/local/shop"}}
    answer = deliver(client, "push", push, delivery="d-push")
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert result["status"] == "processed" and result["job"] is not None
    [event] = wb.events.read(types="repo.pushed")
    assert event.payload == {"project": "shop", "ref": "refs/heads/main",
                             "before": "0" * 39 + "1", "after": head, "deleted": False}
    assert event.actor == "github" and result["events"] == [event.id]

    wait_until(lambda: wb.job(result["job"]).status in ("succeeded", "failed", "dead"),
               timeout=120, what="the map job")
    assert wb.job(result["job"]).status == "succeeded", wb.job(result["job"]).error
    # the job row says succeeded in the map's own transaction; the event follows it
    wait_until(lambda: wb.events.read(types="map.completed"), what="map.completed")
    [done] = wb.events.read(types="map.completed")
    assert done.payload["commit"] == head and done.payload["project"] == "shop"

    repeat = deliver(client, "push", push, delivery="d-push")
    assert repeat.status_code == 200 and repeat.json()["status"] == "duplicate"
    assert len(wb.events.read(types="repo.pushed")) == 1
    assert len(wb.recent_jobs()) == 1

    other_branch = {**push, "ref": "refs/heads/feature"}
    answer = deliver(client, "push", other_branch, delivery="d-feature").json()
    assert answer["job"] is None and "not the default branch" in answer["reason"]


def test_a_pull_request_publishes_pr_opened(served, sample_repo):
    wb, server, client = served
    wb.add_project("shop", "https://github.com/acme/shop.git")
    payload = {"action": "opened", "number": 12,
               "pull_request": {"title": "Faster maps", "html_url": "https://github.com/acme/shop/pull/12",
                                "head": {"ref": "fast", "sha": "c" * 40}, "base": {"ref": "main"}},
               "repository": {"full_name": "acme/shop", "clone_url": "https://github.com/acme/shop.git"}}
    answer = deliver(client, "pull_request", payload, delivery="d-pr")
    assert answer.status_code == 202
    [event] = wb.events.read(types="pr.opened")
    assert {k: event.payload[k] for k in ("project", "number", "title", "head_ref", "head_sha",
                                          "base_ref", "url", "source")} == {
        "project": "shop", "number": 12, "title": "Faster maps", "head_ref": "fast",
        "head_sha": "c" * 40, "base_ref": "main",
        "url": "https://github.com/acme/shop/pull/12", "source": "github"}
    synchronised = deliver(client, "pull_request", {**payload, "action": "synchronize"},
                           delivery="d-pr-2")
    assert synchronised.status_code == 202 and len(wb.events.read(types="pr.opened")) == 2


def test_workbench_serve_runs_until_interrupted(data_dir):
    import os
    import signal
    import subprocess
    import sys

    from tests.events.conftest import free_port
    from tests.helpers import ROOT

    port = free_port()
    env = {**os.environ, "WORKBENCH_API_TOKEN": TOKEN, "WORKBENCH_WEBHOOK_SECRET": SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "--data-dir", str(data_dir),
                             "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                return False

        wait_until(up, timeout=120, what="workbench serve to answer")
        answer = httpx.get(f"http://127.0.0.1:{port}/api/status", headers=AUTH, timeout=60)
        assert answer.status_code == 200 and answer.json()["projects"] == []
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"serving http://127.0.0.1:{port}" in err and TOKEN not in err


def test_workbench_serve_on_a_taken_port_is_one_clear_error(data_dir):
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "WORKBENCH_API_TOKEN": TOKEN}
        done = subprocess.run([sys.executable, "-m", "workbench", "--data-dir", str(data_dir),
                               "serve", "--port", str(port)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (f"error: cannot serve on 127.0.0.1:{port}; is the port taken? choose "
                    "another with --port"), done.stderr


@pytest.mark.parametrize("path, said", [("/api/jobs?limit=-1", "limit must be from 1 to 1000, got -1"),
                                        ("/api/jobs?limit=5000", "limit must be from 1 to 1000"),
                                        ("/api/events?limit=0", "limit must be from 1 to 10000"),
                                        ("/api/events?after=-3", "after must be at least 0")])
def test_a_number_out_of_range_is_refused_not_clamped(served, path, said):
    answer = served[2].get(path, headers=AUTH)
    assert answer.status_code == 400 and said in answer.json()["error"], answer.json()


def test_types_of_nothing_but_commas_read_every_type_as_the_cli_does(served):
    wb, _, client = served
    wb.events.publish_many([pushed(i) for i in range(2)])
    for types in ("", ",", " , "):
        answer = client.get("/api/events", params={"types": types}, headers=AUTH)
        assert answer.status_code == 200, answer.json()
        assert [e["id"] for e in answer.json()] == [1, 2]
