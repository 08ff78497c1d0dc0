"""The event log on Redis Streams (``WORKBENCH_EVENTS=redis://host:port/db``).

Needs the ``redis`` package: ``pip install 'workbench[redis]'``. Keys, under a prefix
(``workbench:events`` unless the URL says ``?prefix=...``):

==========================  ==================================================================
``P:stream``                the log: one stream entry per event, id ``0-<event id>``, trimmed
                            to about ``maxlen`` entries (``?maxlen=``, default 1,000,000)
``P:seq``                   the last event id handed out
``P:handled:<consumer>``    sorted set of event ids the consumer handled (idempotency)
``P:dead``, ``P:dead:seq``  dead letters (hash of JSON records) and their ids
``P:retry:<consumer>``      dead letters queued again for the consumer
==========================  ==================================================================

Each durable consumer is a consumer group of the same name (XGROUP CREATE); each subscriber
joins it as a member named after its host, process and a random tag and reads with
XREADGROUP (blocking, so events of other processes arrive at once), acknowledges with XACK,
and takes over a dead member's unacknowledged entries with XAUTOCLAIM once they have been
idle ``claim_after`` seconds. Appends go through one Lua script, so the event id counter and
XADD move together and ids stay in commit order (the same integers as the DuckDB backend).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from typing import Any, Sequence
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .backends import Batch, NewEvent
from .errors import EventBackendError
from .records import ConsumerInfo, DeadLetter, Event

_APPEND = """
local count = (#ARGV - 1) / 5
local last = redis.call('INCRBY', KEYS[2], count)
local first = last - count + 1
for i = 0, count - 1 do
  local b = 2 + i * 5
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '0-' .. (first + i),
             't', ARGV[b], 'p', ARGV[b + 1], 'a', ARGV[b + 2], 'j', ARGV[b + 3],
             'c', ARGV[b + 4])
end
return first
"""


def _sid(event_id: int) -> str:
    return f"0-{event_id}"


def _eid(stream_id: str) -> int:
    return int(stream_id.split("-", 1)[1])


class RedisBackend:
    """See the module docstring. Redis errors become :class:`EventBackendError`."""

    name = "redis"
    blocking = True

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError as exc:
            raise EventBackendError("the Redis event backend needs the redis package: pip "
                                    "install 'workbench[redis]'", backend=url) from exc
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = (query.pop("prefix", ["workbench:events"]) or ["workbench:events"])[0]
        self.maxlen = int((query.pop("maxlen", ["1000000"]) or ["1000000"])[0])
        clean = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
        self.url = urlunsplit(parts._replace(query="", netloc=parts.netloc.rsplit("@", 1)[-1]))
        self._errors = (redis.exceptions.RedisError,)
        self.client = redis.Redis.from_url(clean, decode_responses=True,
                                           health_check_interval=30)
        self.stream = f"{self.prefix}:stream"
        self._seq = f"{self.prefix}:seq"
        self._dead = f"{self.prefix}:dead"
        self._append = self.client.register_script(_APPEND)
        self._groups: set[str] = set()
        self._last_claim: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RedisBackend({self.url!r}, prefix={self.prefix!r})"

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise EventBackendError(f"Redis at {self.url} failed to {what}: {exc}. Check that "
                                    "redis-server runs there, or set WORKBENCH_EVENTS=duckdb",
                                    backend=self.url) from exc

    # -- the log ----------------------------------------------------------------------------------

    def append(self, rows: Sequence[NewEvent]) -> list[int]:
        args: list[Any] = [self.maxlen]
        for type, payload, actor, project, created in rows:
            args += [type, payload, actor, project or "", repr(created.timestamp())]
        first = int(self._call("append events", self._append, keys=[self.stream, self._seq],
                               args=args))
        return list(range(first, first + len(rows)))

    def _event(self, stream_id: str, fields: dict[str, str]) -> Event:
        return Event(_eid(stream_id), fields["t"], json.loads(fields["p"]), fields["a"],
                     fields["j"] or None,
                     datetime.fromtimestamp(float(fields["c"]), timezone.utc))

    def read(self, after: int, types: Sequence[str] | None, limit: int) -> list[Event]:
        out: list[Event] = []
        start = f"({_sid(after)}"
        while len(out) < limit:
            entries = self._call("read events", self.client.xrange, self.stream, start, "+",
                                 count=max(limit, 100))
            if not entries:
                break
            for sid, fields in entries:
                if types is None or fields["t"] in types:
                    out.append(self._event(sid, fields))
                    if len(out) == limit:
                        break
            start = f"({entries[-1][0]}"
        return out

    def get(self, event_id: int) -> Event | None:
        entries = self._call("read an event", self.client.xrange, self.stream,
                             _sid(event_id), _sid(event_id))
        return self._event(*entries[0]) if entries else None

    def head(self) -> int:
        return int(self._call("read the head", self.client.get, self._seq) or 0)

    def tail(self, after: int, types: Sequence[str] | None, limit: int,
             block: float) -> tuple[list[Event], int]:
        reply = self._call("follow the log", self.client.xread, {self.stream: _sid(after)},
                           count=limit, block=int(block * 1000) or None)
        entries = reply[0][1] if reply else []
        events = [self._event(sid, f) for sid, f in entries]
        last = events[-1].id if events else after
        return [e for e in events if types is None or e.type in types], last

    # -- consumers --------------------------------------------------------------------------------

    def _group(self, consumer: str, start: str, at: str | None = None) -> bool:
        """Make ``consumer``'s group (once), at the stream's start, its end, or ``at``; True
        when this call made it (False: it was there)."""
        if consumer in self._groups:
            return False
        first = at if at is not None else "0" if start == "earliest" else "$"
        made = True
        try:
            self.client.xgroup_create(self.stream, consumer, id=first, mkstream=True)
        except self._errors as exc:
            if "BUSYGROUP" not in str(exc):
                raise EventBackendError(f"Redis at {self.url} failed to create consumer group "
                                        f"{consumer!r}: {exc}", backend=self.url) from exc
            made = False
        self._groups.add(consumer)
        return made

    def fetch(self, consumer: str, owner: str, types: Sequence[str] | None, limit: int, *,
              start: str, block: float, claim_after: float,
              resume: tuple[int, int] | None = None) -> Batch:
        self._call("create a consumer group", self._group, consumer, start)
        client = self.client
        retries = self._take_retries(consumer, limit)
        entries: list[tuple[str, dict[str, str]]] = []
        key = (consumer, owner)
        now = time.monotonic()
        if now - self._last_claim.get(key, 0.0) >= claim_after / 2:
            self._last_claim[key] = now
            claimed = self._call("claim stuck events", client.xautoclaim, self.stream, consumer,
                                 owner, int(claim_after * 1000), "0-0", count=limit)
            entries += [e for e in claimed[1] if e and e[1]]
        head = self.head()
        if not entries:
            reply = self._call(
                "read for a consumer group", client.xreadgroup, consumer, owner,
                {self.stream: ">"}, count=limit,
                block=int(block * 1000) if block > 0 and not retries else None)
            entries = reply[0][1] if reply else []
        events = [self._event(sid, f) for sid, f in entries if f]
        skip = [e for e in events if types is not None and e.type not in types]
        wanted = [e for e in events if types is None or e.type in types]
        if wanted:
            scores = self._call("check handled events", client.zmscore,
                                f"{self.prefix}:handled:{consumer}", [str(e.id) for e in wanted])
            skip += [e for e, s in zip(wanted, scores) if s is not None]
            wanted = [e for e, s in zip(wanted, scores) if s is None]
        if skip:
            self._call("acknowledge skipped events", client.xack, self.stream, consumer,
                       *[_sid(e.id) for e in skip])
        position = max((e.id for e in events), default=head) if events else head
        return Batch(True, wanted, retries, position, 0)

    def _take_retries(self, consumer: str, limit: int) -> list[tuple[int, int, Event]]:
        ids = self._call("read queued dead letters", self.client.lpop,
                         f"{self.prefix}:retry:{consumer}", limit) or []
        out = []
        for dead_id in ids:
            letter = self.dead_letter(int(dead_id))
            if letter is not None and letter.event is not None and letter.status == "retrying":
                out.append((letter.id, letter.attempts, letter.event))
        return out

    def ack(self, consumer: str, owner: str, events: Sequence[Event], position: int, *,
            base: int, keep: bool, claim_after: float) -> bool:
        if not events:
            return True
        handled = f"{self.prefix}:handled:{consumer}"
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(handled, {str(e.id): e.id for e in events})
        pipe.xack(self.stream, consumer, *[_sid(e.id) for e in events])
        pipe.zremrangebyrank(handled, 0, -(self.maxlen + 1))
        self._call("acknowledge events", pipe.execute)
        return True

    def release(self, consumer: str, owner: str) -> None:
        """Leave the group when nothing is pending for this member (pending entries stay for
        XAUTOCLAIM)."""
        self._last_claim.pop((consumer, owner), None)
        try:
            members = self.client.xinfo_consumers(self.stream, consumer)
        except self._errors:
            return
        for member in members:
            if member["name"] == owner and not member["pending"]:
                self._call("leave a consumer group", self.client.xgroup_delconsumer,
                           self.stream, consumer, owner)

    def idle(self) -> None:
        pass

    def _group_list(self) -> list[dict[str, Any]]:
        """XINFO GROUPS of the stream: one dict per consumer group (none before the stream)."""
        try:
            return self.client.xinfo_groups(self.stream)
        except self._errors as exc:
            if "no such key" in str(exc).lower():
                return []
            raise EventBackendError(f"Redis at {self.url} failed to list consumer groups: {exc}",
                                    backend=self.url) from exc

    def set_position(self, consumer: str, acked_id: int, *, create: bool = False) -> bool:
        made = False
        if create:
            # made where it is to be, and then not moved: made at the start and moved after,
            # or moved again once made, a subscriber's first read could come in between and
            # be delivered twice or from the start
            made = self._call("create a consumer group", self._group, consumer, "earliest",
                              _sid(acked_id))
        elif consumer not in self._groups:
            if not any(g["name"] == consumer for g in self._group_list()):
                return False
            self._groups.add(consumer)
        pipe = self.client.pipeline(transaction=True)
        if not made:
            pipe.xgroup_setid(self.stream, consumer, _sid(acked_id))
        pipe.zremrangebyscore(f"{self.prefix}:handled:{consumer}", acked_id + 1, "+inf")
        self._call("move a consumer group", pipe.execute)
        return True

    def consumers(self) -> list[ConsumerInfo]:
        groups = self._group_list()
        if not groups:
            return []
        head = self.head()
        dead = [d for d in self.dead_letters(None, False) if d.status == "dead"]
        out = []
        for group in sorted(groups, key=lambda g: g["name"]):
            position = _eid(group["last-delivered-id"])
            members = self._call("list group members", self.client.xinfo_consumers,
                                 self.stream, group["name"])
            owner = min(members, key=lambda m: m["idle"])["name"] if members else None
            out.append(ConsumerInfo(group["name"], position,
                                    max(0, head - position) + int(group["pending"]), owner,
                                    sum(1 for d in dead if d.consumer == group["name"])))
        return out

    # -- dead letters -----------------------------------------------------------------------------

    def add_dead(self, consumer: str, event: Event, attempts: int, error: str) -> int:
        dead_id = int(self._call("number a dead letter", self.client.incr, f"{self._dead}:seq"))
        now = time.time()
        record = {"consumer": consumer, "event_id": event.id, "event_type": event.type,
                  "attempts": attempts, "error": error, "status": "dead", "created_at": now,
                  "updated_at": now}
        self._call("store a dead letter", self.client.hset, self._dead, str(dead_id),
                   json.dumps(record))
        return dead_id

    def _letter(self, dead_id: int, text: str) -> DeadLetter:
        r = json.loads(text)
        stamp = lambda t: datetime.fromtimestamp(t, timezone.utc)  # noqa: E731
        return DeadLetter(dead_id, r["consumer"], r["event_id"], r["event_type"], r["attempts"],
                          r["error"], r["status"], stamp(r["created_at"]),
                          stamp(r["updated_at"]), event=self.get(r["event_id"]))

    def dead_letters(self, consumer: str | None, include_resolved: bool) -> list[DeadLetter]:
        records = self._call("list dead letters", self.client.hgetall, self._dead)
        letters = sorted((self._letter(int(k), v) for k, v in records.items()),
                         key=lambda d: d.id)
        return [d for d in letters if (consumer is None or d.consumer == consumer)
                and (include_resolved or d.status != "resolved")]

    def dead_letter(self, dead_id: int) -> DeadLetter | None:
        text = self._call("read a dead letter", self.client.hget, self._dead, str(dead_id))
        return self._letter(dead_id, text) if text else None

    def set_dead(self, dead_id: int, status: str, *, attempts: int | None = None,
                 error: str | None = None) -> None:
        with self._lock:
            text = self._call("read a dead letter", self.client.hget, self._dead, str(dead_id))
            if not text:
                return
            record = json.loads(text)
            record.update(status=status, updated_at=time.time())
            if attempts is not None:
                record["attempts"] = attempts
            if error is not None:
                record["error"] = error
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(self._dead, str(dead_id), json.dumps(record))
            if status == "retrying":
                pipe.rpush(f"{self.prefix}:retry:{record['consumer']}", dead_id)
            self._call("update a dead letter", pipe.execute)

    def close(self) -> None:
        try:
            self.client.close()
        except self._errors:
            pass
