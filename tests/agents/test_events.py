"""The agents as durable consumers of the event log: delivery, idempotency on replay, dead
letters for a pull request that cannot be reviewed, and a retry once it can."""

from __future__ import annotations

import time

from tests.agents.conftest import IDEA_TEXT, IDEA_TITLE, add_branch
from tests.agents.test_review import PARTIAL_REFUND


def drain_until(wb, predicate, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        wb.events.drain(2)
    return found


def test_agents_consume_events_once_and_replay_does_no_harm(mapped_shop, shop_repo):
    wb = mapped_shop
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT)  # captured only: nobody serves it yet
    assert wb.ideas.get(idea.id).status == "new"
    agents = wb.ideas.agents().start()
    try:
        drain_until(wb, lambda: wb.ideas.get(idea.id).status == "planned", "the plan")
        consumers = {c.name: c for c in wb.events.consumers()}
        assert {"agent.define", "agent.planner", "agent.reviewer"} <= set(consumers)
        assert [e.payload["idea_id"] for e in wb.events.read(types="spec.frozen")] == [idea.id]
        tasks = wb.ideas.task_list(idea_id=idea.id)

        head = add_branch(shop_repo, "partial-refunds", {"shop/payments.py": PARTIAL_REFUND}, "p")
        opened = wb.events.publish("pr.opened", {
            "project": "shop", "number": None, "title": "partial refunds",
            "head_ref": "partial-refunds", "head_sha": head, "base_ref": "main", "url": None,
            "source": "user"}, project="shop")
        [reviewed] = drain_until(wb, lambda: wb.events.read(types="pr.reviewed"), "the review")
        review = wb.ideas.review_record(reviewed.payload["review_id"])
        assert review.verdict == "blocked" and review.head_sha == head

        for consumer in ("agent.define", "agent.planner", "agent.reviewer"):
            wb.events.replay(consumer, 1)  # everything again: at-least-once
        wb.events.drain(30)
        assert len(wb.ideas.specs("shop")) == 1
        assert [t.id for t in wb.ideas.task_list(idea_id=idea.id)] == [t.id for t in tasks]
        assert len(wb.ideas.reviews("shop")) == 1
        assert wb.ideas.store.review_of_event(opened.id).id == review.id
        assert len(wb.events.read(types=["spec.frozen", "tasks.created", "pr.reviewed"])) == 3
    finally:
        agents.stop()
    assert not agents.running


def test_a_pull_request_that_cannot_be_reviewed_is_a_dead_letter_until_retried(mapped_shop,
                                                                               shop_repo):
    wb = mapped_shop
    agents = wb.ideas.agents().start()
    try:
        wb.events.publish("pr.opened", {
            "project": "shop", "number": 3, "title": "later", "head_ref": "later",
            "head_sha": None, "base_ref": "main", "url": None, "source": "github"},
            project="shop")
        [dead] = drain_until(wb, lambda: wb.events.dead_letters("agent.reviewer"), "a dead letter")
        assert "ReviewError" in dead.error and "later" in dead.error
        assert wb.ideas.reviews("shop").empty

        add_branch(shop_repo, "later", {"README.md": "# shop, later\n"}, "later")
        wb.events.retry_dead_letter(dead.id)
        [reviewed] = drain_until(wb, lambda: wb.events.read(types="pr.reviewed"), "the review")
        assert reviewed.payload["verdict"] == "ok"
        assert wb.ideas.review_record(reviewed.payload["review_id"]).number == 3
    finally:
        agents.stop()
