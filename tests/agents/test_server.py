"""The pipeline from the server: an idea posted to the API is specified and planned, and a
pull request webhook produces a review, by the agents the app runs (real uvicorn on
127.0.0.1, a real repository as the pull request's repository)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest

from tests.agents.conftest import IDEA_TEXT, IDEA_TITLE, SHOP, add_branch
from tests.agents.test_review import PARTIAL_REFUND
from workbench.server import BackgroundServer, create_app

TOKEN = "agents-token"
SECRET = "agents-secret"


def wait_for(predicate, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def served(mapped_shop):
    app = create_app(mapped_shop, token=TOKEN, webhook_secret=SECRET, agents=True)
    with BackgroundServer(app) as server:
        with httpx.Client(base_url=server.url, timeout=60,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            yield mapped_shop, client


def test_an_idea_posted_to_the_server_is_planned(served):
    wb, client = served
    answer = client.post("/api/ideas", json={"project": "shop", "title": IDEA_TITLE,
                                             "text": IDEA_TEXT})
    assert answer.status_code == 201, answer.text
    idea_id = answer.json()["id"]
    assert answer.json()["source"] == "server"
    idea = wait_for(lambda: (i := wb.ideas.get(idea_id)).status == "planned" and i, "the plan")
    assert idea.error is None
    assert wb.ideas.spec(idea_id).code_areas[0].node == "shop.payments:PaymentGateway.refund"
    # the idea is marked planned in the tasks' transaction, and tasks.created is published
    # just after it: the event follows the status
    wait_for(lambda: {"idea.created", "spec.frozen", "tasks.created"}
             <= {e["type"] for e in client.get("/api/events").json()}, "the plan's events")


def test_a_pull_request_webhook_produces_a_review(served, shop_repo):
    wb, client = served
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    refund_task = wb.ideas.task_list(idea_id=idea.id)[0]
    head = add_branch(shop_repo, "partial-refunds", {"shop/payments.py": PARTIAL_REFUND},
                      "partial refunds")
    payload = {"action": "opened", "number": 7,
               "pull_request": {"title": "Partial refunds", "html_url": "https://example.invalid/7",
                                "head": {"ref": "partial-refunds", "sha": head},
                                "base": {"ref": "main"}},
               "repository": {"full_name": "acme/shop", "clone_url": str(shop_repo)}}
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post("/webhooks/github", content=body, headers={
        "X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "pr-7",
        "X-Hub-Signature-256": signature, "Content-Type": "application/json"})
    assert answer.status_code == 202, answer.text
    [reviewed] = wait_for(lambda: wb.events.read(types="pr.reviewed"), "pr.reviewed")
    assert reviewed.payload["verdict"] == "blocked" and reviewed.payload["head_sha"] == head
    review = wb.ideas.review_record(reviewed.payload["review_id"])
    assert review.source == "github" and review.number == 7 and review.head_ref == "partial-refunds"
    assert review.task_ids == (refund_task.id,)
    assert wb.ideas.reviews("shop").loc[0, "title"] == "Partial refunds"


def _deliver(client, event: str, payload: dict, delivery: str):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/webhooks/github", content=body, headers={
        "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature, "Content-Type": "application/json"})


def test_an_issue_labelled_idea_is_captured_from_the_webhook_and_planned(served, shop_repo):
    wb, client = served
    repository = {"full_name": "acme/shop", "clone_url": str(shop_repo)}
    issue = {"title": IDEA_TITLE, "body": IDEA_TEXT, "html_url": "https://example.invalid/i/4",
             "labels": [{"name": "bug"}]}
    plain = _deliver(client, "issues", {"action": "opened", "issue": issue,
                                        "repository": repository}, "i-1")
    assert plain.status_code == 200 and "labelled 'idea'" in plain.json()["reason"]
    assert plain.json()["status"] == "ignored" and wb.ideas.list().empty
    labelled = _deliver(client, "issues", {
        "action": "labeled", "label": {"name": "idea"},
        "issue": {**issue, "labels": [{"name": "bug"}, {"name": "idea"}]},
        "repository": repository}, "i-2")
    assert labelled.status_code == 202, labelled.text
    again = _deliver(client, "issues", {"action": "labeled", "label": {"name": "idea"},
                                        "issue": issue, "repository": repository}, "i-2")
    assert again.json()["status"] == "duplicate"
    [idea] = wb.ideas.store.ideas()
    assert (idea.actor, idea.source) == ("webhook", "webhook")
    assert idea.text.endswith("(https://example.invalid/i/4)")
    wait_for(lambda: wb.ideas.get(idea.id).status == "planned", "the plan")


def test_a_pull_request_from_a_fork_is_fetched_by_its_number(served, shop_repo):
    from tests.helpers import commit, git, write

    wb, client = served
    # a fork's commit exists in the repository only as GitHub's refs/pull/N/head
    git(shop_repo, "checkout", "-q", "--detach")
    write(shop_repo, {"shop/catalog.py": SHOP["shop/catalog.py"].replace("[]", "['tea']")})
    head = commit(shop_repo, "from a fork", "2026-01-04T10:00:00+00:00")
    git(shop_repo, "update-ref", "refs/pull/9/head", head)
    git(shop_repo, "checkout", "-q", "main")
    payload = {"action": "opened", "number": 9,
               "pull_request": {"title": "Tea", "head": {"ref": "tea", "sha": head},
                                "base": {"ref": "main"}},
               "repository": {"full_name": "acme/shop", "clone_url": str(shop_repo)}}
    assert _deliver(client, "pull_request", payload, "pr-9").status_code == 202
    [reviewed] = wait_for(lambda: wb.events.read(types="pr.reviewed"), "pr.reviewed")
    review = wb.ideas.review_record(reviewed.payload["review_id"])
    assert review.head_sha == head and review.verdict == "ok"
    assert review.changed == ("shop.catalog", "shop.catalog:list_products")
    clone = wb.clones.path_for("shop")
    assert git(clone, "rev-parse", "refs/workbench/pull/9") == head
