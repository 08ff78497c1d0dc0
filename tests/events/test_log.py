"""The event log on both backends (a real DuckDB file, a real redis-server) through one API."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

from tests.events.conftest import events_url, open_bench
from tests.helpers import ROOT, invoke_cli, run_cli
from workbench.events import (ConsumerBusy, ConsumerNotFound, DeadLetterNotFound, DeadLetterResolved,
                              InvalidEvent,
                              UnknownEventType, register_type)
from workbench.events.log import _Delivery


def wait_until(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def pushed(n: int | str, project: str = "shop") -> tuple[str, dict]:
    return "repo.pushed", {"project": project, "ref": "refs/heads/main", "before": None,
                           "after": f"{n}"}


def test_publish_returns_the_event_and_reads_it_back(ewb):
    log = ewb.events
    first = log.publish(*pushed(1), actor="tester")
    assert first.id == 1 and first.project == "shop" and first.actor == "tester"
    idea = log.publish("idea.created", {"idea_id": 7, "project": "shop", "title": "x",
                                        "extra": [1, 2]})
    many = log.publish_many([pushed(i) for i in range(2, 6)])
    assert [e.id for e in many] == [3, 4, 5, 6] and log.head() == 6
    back = log.read()
    assert [e.id for e in back] == [1, 2, 3, 4, 5, 6]
    assert back[1].payload == idea.payload and back[1].type == "idea.created"
    assert back[0].created_at == first.created_at
    assert [e.id for e in log.read(after=2, types=["repo.pushed"], limit=2)] == [3, 4]
    assert [e.id for e in log.read(types="idea.created")] == [2]
    assert log.get(4).payload["after"] == "3" and log.get(99) is None


@pytest.mark.parametrize("type_, payload, problem", [
    ("repo.pushed", {"project": "shop", "ref": "r", "before": None}, "'after' is a required"),
    ("repo.pushed", {"project": 3, "ref": "r", "before": None, "after": "a"}, "project"),
    ("pr.reviewed", {"review_id": 1, "project": "p", "head_sha": "s", "verdict": "meh"},
     "verdict"),
    ("job.failed", {"job_id": True, "type": "map", "error": "e"}, "job_id"),
    ("job.failed", ["not", "an", "object"], "JSON object"),
    ("job.failed", {"job_id": 1, "type": "map", "error": "e", "extra": {1, 2}}, "not JSON"),
])
def test_invalid_events_are_refused_and_nothing_is_stored(ewb, type_, payload, problem):
    with pytest.raises(InvalidEvent, match=problem):
        ewb.events.publish(type_, payload)
    # one bad event in a batch stores none of it
    with pytest.raises(InvalidEvent):
        ewb.events.publish_many([pushed(1), (type_, payload)])
    assert ewb.events.head() == 0


def test_unknown_types_are_refused_with_the_known_ones(ewb):
    with pytest.raises(UnknownEventType, match="known: idea.created") as info:
        ewb.events.publish("idea.createdd", {})
    assert "repo.pushed" in info.value.known
    with pytest.raises(UnknownEventType):
        ewb.events.subscribe("c", ["no.such"], print)
    register_type("test.custom", {"type": "object", "properties": {"n": {"type": "integer"}},
                                  "required": ["n"]})
    assert ewb.events.publish("test.custom", {"n": 1}).id == 1
    with pytest.raises(InvalidEvent, match="registered already"):
        register_type("test.custom", {"type": "object"})
    with pytest.raises(InvalidEvent, match="dotted lower-case"):
        register_type("Bad Name", {"type": "object"})


def test_in_process_subscribers_are_pushed_at_once_in_order(ewb):
    got, arrived = [], threading.Event()

    def handler(event):
        got.append(event.id)
        if len(got) == 3:
            arrived.set()

    sub = ewb.events.subscribe("pusher", "repo.pushed", handler)
    ewb.events.publish("idea.created", {"idea_id": 1, "project": "shop", "title": "t"})
    ewb.events.publish_many([pushed(i) for i in range(3)])
    assert arrived.wait(30), got
    assert got == [2, 3, 4]
    assert ewb.events.drain(30) and sub.handled == 3
    with pytest.raises(ConsumerBusy):
        ewb.events.subscribe("pusher", None, handler)
    with pytest.raises(ConsumerBusy):
        ewb.events.poll("pusher", None, handler)


def test_offsets_are_durable_across_workbench_instances(data_dir, events_backend):
    first = open_bench(data_dir, events_backend)
    seen: list[int] = []
    first.events.publish_many([pushed(i) for i in range(3)])
    first.events.subscribe("durable", None, lambda e: seen.append(e.id))
    assert first.events.drain(30) and seen == [1, 2, 3]
    first.close()

    second = open_bench(data_dir, events_backend)
    second.events.publish_many([pushed(i) for i in range(3, 5)])
    second.close()

    third = open_bench(data_dir, events_backend)
    try:
        third.events.subscribe("durable", None, lambda e: seen.append(e.id))
        assert third.events.drain(30)
        assert seen == [1, 2, 3, 4, 5]
        info = {c.name: c for c in third.events.consumers()}["durable"]
        assert info.position == 5 and info.dead_letters == 0
        # a consumer that starts "latest" sees only what comes next
        late: list[int] = []
        third.events.subscribe("late", None, lambda e: late.append(e.id), start="latest")
        assert third.events.drain(30) and late == []
        third.events.publish(*pushed(6))
        assert third.events.drain(30) and late == [6]
    finally:
        third.close()


def test_replay_from_any_offset(ewb):
    log = ewb.events
    seen: list[int] = []
    log.publish_many([pushed(i) for i in range(5)])
    sub = log.subscribe("replayer", None, lambda e: seen.append(e.id))
    assert log.drain(30) and seen == [1, 2, 3, 4, 5]
    log.replay("replayer", 3)
    assert log.drain(30) and seen == [1, 2, 3, 4, 5, 3, 4, 5]
    sub.close()
    log.replay("replayer", 1)  # while nobody is subscribed: taken up by the next poll
    assert log.poll("replayer", None, lambda e: seen.append(e.id)) == 5
    assert seen[-5:] == [1, 2, 3, 4, 5]
    with pytest.raises(InvalidEvent):
        log.replay("replayer", 0)
    # a new consumer, positioned to skip what came before, is made only on purpose
    log.replay("fresh", 5, create=True)
    fresh: list[int] = []
    assert log.poll("fresh", None, lambda e: fresh.append(e.id)) == 1 and fresh == [5]


def test_replay_refuses_a_consumer_that_does_not_exist(ewb):
    log = ewb.events
    log.publish_many([pushed(i) for i in range(3)])
    with pytest.raises(ConsumerNotFound, match="there are no consumers yet"):
        log.replay("notifier", 1)
    assert log.consumers() == []
    assert log.poll("notifier", None, lambda e: None) == 3
    with pytest.raises(ConsumerNotFound) as typo:
        log.replay("notifer", 1)
    message = str(typo.value)
    assert message.startswith("no consumer 'notifer'; did you mean 'notifier'? Known consumers: "
                              "notifier."), message
    assert "replay('notifer', 1, create=True)" in message
    assert typo.value.consumer == "notifer" and typo.value.known == ["notifier"]
    with pytest.raises(ConsumerNotFound) as far:
        log.replay("zzz", 2)
    assert str(far.value).startswith("no consumer 'zzz'. Known consumers: notifier.")
    assert [c.name for c in log.consumers()] == ["notifier"]  # nothing was made by a typo
    assert log.poll("notifier", None, lambda e: None) == 0  # nor moved
    with pytest.raises(InvalidEvent, match="consumer name"):
        log.replay(" ", 1, create=True)
    # the one named is moved, and a consumer subscribed here is known at once
    log.replay("notifier", 3)
    seen: list[int] = []
    assert log.poll("notifier", None, lambda e: seen.append(e.id)) == 1 and seen == [3]
    late: list[int] = []
    with log.subscribe("late", None, lambda e: late.append(e.id), start="latest"):
        log.replay("late", 2)
        assert log.drain(30) and late == [2, 3]


def test_a_subscribers_first_read_during_a_replay_that_makes_its_consumer_comes_once(
        data_dir, request):
    """Redis: ``replay`` of a consumer subscribed here but not made yet makes its group. A
    subscriber's first read right after the group is made (forced here, between the steps)
    must not be undone by the replay: the events come once, from the replay's position."""
    bench = open_bench(data_dir, events_url("redis", request))
    try:
        log, backend = bench.events, bench.events.backend
        log.publish_many([pushed(i) for i in range(3)])
        read: list[int] = []
        make = backend._group

        def make_then_read(consumer, start, at=None):
            made = make(consumer, start, at)
            backend._group = make  # once
            batch = backend.fetch(consumer, "other", None, 10, start="latest", block=0,
                                  claim_after=60)
            read.extend(e.id for e in batch.events)  # the subscriber's read, in between
            return made

        backend._group = make_then_read
        assert backend.set_position("late", 1, create=True)
        later = backend.fetch("late", "other", None, 10, start="latest", block=0,
                              claim_after=60)
        assert read + [e.id for e in later.events] == [2, 3]
    finally:
        bench.close()


def test_each_event_is_handled_once_by_competing_subscribers(data_dir, events_backend):
    one, two = open_bench(data_dir, events_backend), open_bench(data_dir, events_backend)
    counts: Counter = Counter()
    lock = threading.Lock()

    def handler(event):
        with lock:
            counts[event.id] += 1

    try:
        one.events.subscribe("shared", None, handler)
        two.events.subscribe("shared", None, handler)
        one.events.publish_many([pushed(i) for i in range(300)])
        wait_until(lambda: len(counts) == 300, what="300 events handled")
        wait_until(lambda: {c.name: c for c in one.events.consumers()}["shared"].position == 300,
                   what="the consumer's position to reach the head")
        assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1][:10]
    finally:
        one.close()
        two.close()


def test_unacknowledged_events_are_delivered_again_after_claim_after(ewb):
    log = ewb.events
    log.claim_after = 0.5
    log.publish_many([pushed(i) for i in range(4)])
    stuck = _Delivery(log, "worker", None, lambda e: None, "earliest")
    batch = log.backend.fetch("worker", stuck.owner, None, 100, start="earliest", block=0,
                              claim_after=log.claim_after)
    assert [e.id for e in batch.events] == [1, 2, 3, 4]  # taken, never acknowledged: it "died"
    seen: list[int] = []
    assert log.poll("worker", None, lambda e: seen.append(e.id)) == 0  # still held
    wait_until(lambda: log.poll("worker", None, lambda e: seen.append(e.id)) > 0,
               what="the stuck events to be claimed")
    assert seen == [1, 2, 3, 4]
    assert log.poll("worker", None, lambda e: seen.append(e.id)) == 0  # and only once


def test_a_failing_handler_makes_dead_letters_that_can_be_retried(ewb):
    log = ewb.events
    broken = {"2"}
    seen: list[str] = []

    def handler(event):
        if event.payload["after"] in broken:
            raise RuntimeError(f"cannot handle {event.payload['after']}")
        seen.append(event.payload["after"])

    sub = log.subscribe("fragile", "repo.pushed", handler)
    log.publish_many([pushed(i) for i in range(1, 4)])
    assert log.drain(30)
    assert seen == ["1", "3"] and sub.dead == 1
    [dead] = log.dead_letters()
    assert (dead.consumer, dead.event_id, dead.event_type, dead.attempts, dead.status) == (
        "fragile", 2, "repo.pushed", 3, "dead")
    assert "RuntimeError: cannot handle 2" in dead.error and dead.event.payload["after"] == "2"
    assert log.dead_letters("someone-else") == []

    log.retry_dead_letter(dead.id)  # still broken: dead again, with more attempts
    assert log.drain(30)
    again = log.dead_letters()[0]
    assert again.status == "dead" and again.attempts == 6

    broken.clear()
    assert log.retry_dead_letter(dead.id).status == "retrying"
    assert log.drain(30)
    assert seen == ["1", "3", "2"]
    assert log.dead_letters() == []
    assert log.dead_letters(include_resolved=True)[0].status == "resolved"
    with pytest.raises(DeadLetterResolved, match="nothing is left to retry"):
        log.retry_dead_letter(dead.id)  # handled: it is not handed to the consumer again
    assert log.drain(30) and seen == ["1", "3", "2"]
    with pytest.raises(DeadLetterNotFound):
        log.retry_dead_letter(999)


def _script(body: str) -> str:
    return textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        from workbench import Workbench
        from workbench.config import Config
        wb = Workbench(config=Config(data_dir=sys.argv[1], events=sys.argv[2],
                                     events_poll_interval=0.05))
    """) + textwrap.dedent(body) + "\nwb.close()\n"


def test_across_processes_a_publisher_and_a_polling_consumer(ewb, data_dir, events_backend):
    got: list[int] = []
    ewb.events.subscribe("watcher", "repo.pushed", lambda e: got.append(int(e.payload["after"])))
    publisher = _script("""
        for i in range(40):
            wb.events.publish("repo.pushed", {"project": "shop", "ref": "r", "before": None,
                                              "after": str(i)}, actor="child")
    """)
    out = subprocess.run([sys.executable, "-c", publisher, str(data_dir), events_backend],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    wait_until(lambda: len(got) == 40, what="the child's events")
    assert got == list(range(40))

    # and the other way round: a child process polls what this one published
    ewb.events.publish_many([pushed(i, "other") for i in range(5)])
    ewb.close()
    consumer = _script("""
        seen = []
        wb.events.poll("child", ["repo.pushed"], lambda e: seen.append(e.id))
        print(json.dumps(seen))
    """)
    runs = [subprocess.run([sys.executable, "-c", consumer, str(data_dir), events_backend],
                           capture_output=True, text=True, timeout=300) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert json.loads(runs[0].stdout) == list(range(1, 46))
    assert json.loads(runs[1].stdout) == []  # its position survived the process


def test_maps_publish_map_completed_and_failed_jobs_job_failed(ewb, sample_repo):
    snap = ewb.map(str(sample_repo), name="shop", wait=True)
    completed = ewb.events.read(types="map.completed")
    assert [(e.payload["project"], e.payload["snapshot_id"], e.payload["commit"],
             e.payload["reused"], e.actor) for e in completed] == [
        ("shop", snap.id, snap.commit, False, "workbench")]
    again = ewb.map("shop", wait=True)
    assert ewb.events.read(types="map.completed")[-1].payload["reused"] is True
    assert again.id == snap.id

    from workbench.errors import JobFailed

    with pytest.raises(JobFailed):
        ewb.jobs.submit("boom", lambda job: 1 / 0, wait=True)
    [failed] = ewb.events.read(types="job.failed")
    assert failed.payload["type"] == "boom" and "ZeroDivisionError" in failed.payload["error"]
    assert failed.payload["status"] == "failed"
    assert "project" not in failed.payload and failed.project is None  # a job of no project

    # a map that fails is listed under its project
    from workbench.errors import InvalidRef

    with pytest.raises(InvalidRef):
        ewb.map("shop", ref="nosuch", wait=True)
    mapped = ewb.events.read(types="job.failed")[-1]
    assert mapped.payload["type"] == "map" and mapped.payload["project"] == "shop"
    assert mapped.project == "shop"


def test_the_cli_lists_replays_and_retries(tmp_path, data_dir, events_backend):
    wb = open_bench(data_dir, events_backend)
    wb.events.retry_delay = 0.001
    wb.events.publish_many([pushed(i) for i in range(3)])
    wb.events.subscribe("cli", None, lambda e: (_ for _ in ()).throw(ValueError("no")))
    assert wb.events.drain(30)
    wb.close()
    env = {"WORKBENCH_EVENTS": events_backend}
    listing = run_cli("events", "list", data_dir=data_dir, env=env)
    assert listing.returncode == 0 and listing.stdout.count("repo.pushed") == 3, listing.stderr
    as_json = invoke_cli("events", "list", "--after", "2", "--json", data_dir=data_dir, env=env)
    assert [json.loads(x)["id"] for x in as_json.stdout.splitlines()] == [3]
    dead = invoke_cli("events", "dead", data_dir=data_dir, env=env)
    assert dead.stdout.count("ValueError: no") == 3, dead.stdout + dead.stderr
    retry = invoke_cli("events", "retry", "2", data_dir=data_dir, env=env)
    assert retry.returncode == 0 and "queued again for cli" in retry.stdout, retry.stderr
    again = invoke_cli("events", "retry", "2", data_dir=data_dir, env=env)
    assert again.returncode == 0 and "is queued already for cli" in again.stdout, again.stderr
    waiting = invoke_cli("events", "consumers", data_dir=data_dir, env=env)
    [row] = [line.split() for line in waiting.stdout.splitlines() if line.startswith("cli ")]
    assert row[3] == "2"  # the dead letter queued again is not counted as dead
    missing = invoke_cli("events", "retry", "99", data_dir=data_dir, env=env)
    assert missing.returncode == 1 and "no dead letter #99" in missing.stderr
    replay = invoke_cli("events", "replay", "cli", "3", data_dir=data_dir, env=env)
    assert replay.returncode == 0, replay.stderr
    consumers = invoke_cli("events", "consumers", data_dir=data_dir, env=env)
    assert "cli" in consumers.stdout and consumers.returncode == 0

    wb = open_bench(data_dir, events_backend)
    try:
        seen: list[int] = []
        assert wb.events.poll("cli", None, lambda e: seen.append(e.id)) == 2
        assert sorted(seen) == [2, 3]  # the retried dead letter and the replayed event
        assert [d.status for d in wb.events.dead_letters(include_resolved=True)] == [
            "dead", "resolved", "dead"]
    finally:
        wb.close()


def test_the_cli_refuses_to_replay_a_consumer_that_does_not_exist(data_dir, events_backend):
    wb = open_bench(data_dir, events_backend)
    wb.events.publish_many([pushed(i) for i in range(3)])
    assert wb.events.poll("notifier", None, lambda e: None) == 3
    wb.close()
    env = {"WORKBENCH_EVENTS": events_backend}
    typo = invoke_cli("events", "replay", "nosuchconsumer", "1", data_dir=data_dir, env=env)
    assert typo.returncode == 1 and typo.stdout == "", typo.stdout
    assert typo.stderr.splitlines() == [
        "error: no consumer 'nosuchconsumer'. Known consumers: notifier. Check the name, or run "
        "`workbench events replay nosuchconsumer 1 --create` to start a new consumer at event #1"]
    close = invoke_cli("events", "replay", "notifer", "1", data_dir=data_dir, env=env)
    assert close.returncode == 1 and "did you mean 'notifier'?" in close.stderr, close.stderr
    listing = invoke_cli("events", "consumers", data_dir=data_dir, env=env)
    assert [line.split()[0] for line in listing.stdout.splitlines()[1:]] == ["notifier"]
    zero = invoke_cli("events", "replay", "notifier", "0", data_dir=data_dir, env=env)
    assert zero.returncode == 2 and "0 is not in the range x>=1" in zero.stderr, zero.stderr
    made = invoke_cli("events", "replay", "nightly", "3", "--create", data_dir=data_dir, env=env)
    assert made.returncode == 0, made.stderr
    assert "consumer nightly will receive events from #3 on" in made.stdout
    wb = open_bench(data_dir, events_backend)
    try:
        seen: list[int] = []
        assert wb.events.poll("nightly", None, lambda e: seen.append(e.id)) == 1 and seen == [3]
    finally:
        wb.close()


def test_the_cli_names_the_consumers_when_dead_letters_are_asked_of_an_unknown_one(
        data_dir, events_backend):
    wb = open_bench(data_dir, events_backend)
    wb.events.retry_delay = 0.001
    wb.events.publish_many([pushed(i) for i in range(2)])
    assert wb.events.poll("notifier", None, lambda e: 1 / 0) == 2
    wb.close()
    env = {"WORKBENCH_EVENTS": events_backend}
    mine = invoke_cli("events", "dead", "--consumer", "notifier", data_dir=data_dir, env=env)
    assert mine.returncode == 0 and mine.stdout.count("ZeroDivisionError") == 2, mine.stderr
    typo = invoke_cli("events", "dead", "--consumer", "notifer", data_dir=data_dir, env=env)
    assert typo.returncode == 1 and typo.stdout == "", typo.stdout
    assert typo.stderr.splitlines() == [
        "error: no consumer 'notifer'; did you mean 'notifier'? Known consumers: notifier."]


def test_redis_trims_the_stream_to_about_maxlen(data_dir, redis_url):
    wb = open_bench(data_dir, f"{redis_url}?prefix=trim{time.monotonic_ns()}&maxlen=100")
    try:
        wb.events.publish_many([pushed(i) for i in range(2000)])
        assert wb.events.head() == 2000
        kept = wb.events.read(limit=10_000)
        assert 100 <= len(kept) < 1000 and kept[-1].id == 2000  # MAXLEN ~: whole nodes go
        assert wb.events.get(1) is None and wb.events.get(2000) is not None
    finally:
        wb.close()


def test_events_tail_follows_what_another_process_publishes(data_dir, events_backend):
    import os

    wb = open_bench(data_dir, events_backend)
    wb.events.publish(*pushed("old"))
    wb.close()
    env = {**os.environ, "WORKBENCH_EVENTS": events_backend, "WORKBENCH_EVENTS_POLL": "0.05"}
    tail = subprocess.Popen([sys.executable, "-m", "workbench", "--data-dir", str(data_dir),
                             "events", "tail", "--json", "--count", "2", "--type",
                             "repo.pushed", "--after", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wb = open_bench(data_dir, events_backend)  # whenever the tail starts: it follows id 1
        wb.events.publish("idea.created", {"idea_id": 1, "project": "shop", "title": "t"})
        wb.events.publish_many([pushed("new1"), pushed("new2")])
        wb.close()
        out, err = tail.communicate(timeout=120)
    finally:
        if tail.poll() is None:
            tail.kill()
    assert tail.returncode == 0, err
    assert [json.loads(line)["payload"]["after"] for line in out.splitlines()] == ["new1", "new2"]
