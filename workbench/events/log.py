"""The event log: publish validated events, hand them to durable consumers, keep dead letters.

>>> log = wb.events                                                   # doctest: +SKIP
>>> log.publish("repo.pushed", {"project": "shop", "ref": "refs/heads/main",
...                             "before": None, "after": "ab12"})     # doctest: +SKIP
>>> sub = log.subscribe("notifier", ["repo.pushed"], print)           # doctest: +SKIP
>>> log.drain(5)                                                      # doctest: +SKIP

Delivery guarantees, the same on every backend:

* **At-least-once.** A consumer's position moves past an event only after its handler
  returned (or the event was set aside as a dead letter); events handled by a subscriber that
  died before acknowledging them are delivered again, to whoever holds the consumer next
  (after ``claim_after`` seconds). A subscriber writes its progress at most every
  ``ack_interval`` seconds during a burst, and at once when it goes idle or closes.
* **Idempotent by event id.** One subscriber at a time holds a consumer (a lease in DuckDB, a
  consumer group in Redis Streams, where ids already handled are also remembered), and it
  never hands an event id at or below the consumer's position to the handler again, unless
  :meth:`EventLog.replay` moved the position back on purpose. Handlers whose side effects
  must survive a crash between handling and acknowledging key them by ``event.id``.
* **Dead letters.** A handler that raises is called again (``max_failures`` attempts, with a
  short backoff); then the event becomes a dead letter and the consumer moves on.
  :meth:`EventLog.retry_dead_letter` queues it again, from any process.
* **Push in-process, poll across processes.** A publish wakes this process's subscribers at
  once (each has a dispatcher thread); events published by other processes are picked up
  every ``poll_interval`` seconds (Redis: as soon as they arrive, by a blocking read).
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import shlex
import socket
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

from ..faces import hint
from . import types as _types
from .backends import Batch, EventBackend
from .errors import (ConsumerBusy, ConsumerNotFound, DeadLetterNotFound, DeadLetterResolved,
                     InvalidEvent)
from .records import ConsumerInfo, DeadLetter, Event

log = logging.getLogger("workbench.events")

Handler = Callable[[Event], Any]

#: Largest payload accepted, in bytes of JSON.
MAX_PAYLOAD_BYTES = 1 << 20
_START = ("earliest", "latest")


def _owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:4000]


def _check_consumer(consumer: Any) -> None:
    if not isinstance(consumer, str) or not consumer.strip() or len(consumer) > 200:
        raise InvalidEvent(f"consumer name {consumer!r} must be a non-empty string of at "
                           "most 200 characters", consumer=consumer)


def _unknown_consumer(consumer: str, known: list[str], from_id: int) -> ConsumerNotFound:
    """The error of a replay naming no consumer: the closest name, the known ones, the way
    to start a new consumer on purpose."""
    if known:
        close = difflib.get_close_matches(consumer, known, n=1, cutoff=0.6)
        more = f" and {len(known) - 20} more" if len(known) > 20 else ""
        listed = (f"; did you mean {close[0]!r}?" if close else ".") + (
            f" Known consumers: {', '.join(known[:20])}{more}.")
    else:
        listed = "; there are no consumers yet."
    create = hint(f"run `workbench events replay {shlex.quote(consumer)} {from_id} --create`",
                  f"call replay({consumer!r}, {from_id}, create=True)")
    return ConsumerNotFound(f"no consumer {consumer!r}{listed} Check the name, or {create} to "
                            f"start a new consumer at event #{from_id}",
                            consumer=consumer, known=known)


class _Delivery:
    """One subscriber's hold on a consumer: fetch a batch, run the handler, acknowledge."""

    def __init__(self, events: "EventLog", consumer: str, types: tuple[str, ...] | None,
                 handler: Handler, start: str) -> None:
        _check_consumer(consumer)
        if start not in _START:
            raise InvalidEvent(f"start must be one of {', '.join(_START)}, not {start!r}")
        if not callable(handler):
            raise InvalidEvent(f"the handler of consumer {consumer!r} is not callable")
        self.log = events
        self.consumer = consumer
        self.types = types
        self.handler = handler
        self.start = start
        self.owner = _owner_name()
        self.stop = threading.Event()
        self.handled = 0
        self.dead = 0
        self.stored: int | None = None  # position last written to the backend
        self.position = 0  # position handled up to
        self.unacked: list[Event] = []
        self.flushed = time.monotonic()

    def pump(self, limit: int, block: float) -> tuple[int, Batch]:
        """One batch: returns (events handed to the handler, the batch).

        Acknowledgements are written at most every ``ack_interval`` seconds (and by
        :meth:`flush`): a burst of events costs one write, not one per batch. Until then the
        subscriber remembers how far it got; a crash delivers those events again.
        """
        backend, log_ = self.log.backend, self.log
        resume = None if self.stored is None else (self.stored, self.position)
        batch = backend.fetch(self.consumer, self.owner, self.types, limit, start=self.start,
                              block=block, claim_after=log_.claim_after, resume=resume)
        if not batch.claimed:  # held elsewhere (or our lease ran out): the holder redoes ours
            self.stored, self.unacked = None, []
            return 0, batch
        if self.stored is None or batch.base != self.stored:  # first batch, or a replay
            self.stored, self.position, self.unacked = batch.base, batch.base, []
        for dead_id, attempts, event in batch.retries:
            self._retry(dead_id, attempts, event)
        done: list[Event] = []
        position = batch.position
        for event in batch.events:
            if self.stop.is_set():  # acknowledge what was handled; the rest comes again
                position = done[-1].id if done else self.position
                break
            self._deliver(event)
            done.append(event)
        self.unacked += done
        self.position = max(self.position, position)
        if time.monotonic() - self.flushed >= log_.ack_interval:
            self.flush()
        return len(done) + len(batch.retries), batch

    def flush(self) -> None:
        """Write the acknowledgement of what was handled since the last one."""
        self.flushed = time.monotonic()
        if self.stored is None or (self.position == self.stored and not self.unacked):
            return
        self.log.backend.ack(self.consumer, self.owner, self.unacked, self.position,
                             base=self.stored, keep=True, claim_after=self.log.claim_after)
        self.stored, self.unacked = self.position, []

    def _attempts(self, event: Event, attempts: int) -> BaseException | None:
        """Call the handler up to ``attempts`` times; None once it succeeded, else the error."""
        error: BaseException | None = None
        for attempt in range(attempts):
            try:
                self.handler(event)
                self.handled += 1
                return None
            except Exception as exc:  # noqa: BLE001 - recorded in the dead letter
                error = exc
                log.warning("consumer %s: handler failed on event %s (%s), attempt %d/%d",
                            self.consumer, event.id, _error_text(exc), attempt + 1, attempts)
                if attempt + 1 < attempts and self.stop.wait(self.log.retry_delay * 2 ** attempt):
                    break
        return error

    def _deliver(self, event: Event) -> None:
        error = self._attempts(event, self.log.max_failures)
        if error is not None:
            self.dead += 1
            self.log.backend.add_dead(self.consumer, event, self.log.max_failures,
                                      _error_text(error))

    def _retry(self, dead_id: int, attempts: int, event: Event) -> None:
        error = self._attempts(event, self.log.max_failures)
        if error is None:
            self.log.backend.set_dead(dead_id, "resolved")
        else:
            self.log.backend.set_dead(dead_id, "dead", attempts=attempts + self.log.max_failures,
                                      error=_error_text(error))

    def release(self) -> None:
        try:
            self.flush()
            self.log.backend.release(self.consumer, self.owner)
        except Exception:  # noqa: BLE001 - the lease runs out on its own
            log.debug("releasing consumer %s failed", self.consumer, exc_info=True)


class _Worker:
    """A daemon thread that repeats ``step`` until stopped; woken early by :meth:`wake`."""

    def __init__(self, name: str) -> None:
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    def _pause(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    @property
    def closed(self) -> bool:
        return self._stopped.is_set()


class Subscription(_Worker):
    """A durable consumer served by a dispatcher thread of this process.

    ``handled`` counts successful handler calls, ``dead`` events set aside as dead letters;
    ``close()`` (or leaving a ``with`` block) stops the thread after the current event and
    lets go of the consumer.
    """

    def __init__(self, events: "EventLog", consumer: str, types: tuple[str, ...] | None,
                 handler: Handler, start: str) -> None:
        self._delivery = _Delivery(events, consumer, types, handler, start)
        super().__init__(f"workbench-events-{consumer}")
        self._log = events
        self.consumer = consumer
        self.types = types
        self.error: BaseException | None = None
        self._cond = events._cond
        self._pumps = 0  # pumps started
        self._done_pump = 0  # number of the last pump that finished
        self._caught_up = -1  # position the last finished pump reached, -1 while held elsewhere
        self._flush_now = threading.Event()
        self._thread.start()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "running"
        return f"<Subscription {self.consumer} {state} handled={self.handled}>"

    @property
    def handled(self) -> int:
        return self._delivery.handled

    @property
    def dead(self) -> int:
        return self._delivery.dead

    def _loop(self) -> None:
        events = self._log
        block = min(events.poll_interval, 0.25) if events.backend.blocking else 0.0
        while not self._delivery.stop.is_set():
            with self._cond:
                self._pumps += 1
                number = self._pumps
            try:
                count, batch = self._delivery.pump(events.batch_size, block)
                if self._flush_now.is_set():  # drain() waits for the progress to be stored
                    self._flush_now.clear()
                    self._delivery.flush()
                self.error = None
            except Exception as exc:  # noqa: BLE001 - the backend may come back
                self.error = exc
                log.warning("consumer %s: %s; trying again", self.consumer, _error_text(exc))
                count, batch = 0, Batch(False)
                self._pause(min(1.0, events.poll_interval))
            with self._cond:
                self._done_pump = number
                self._caught_up = batch.position if batch.claimed else -1
                self._cond.notify_all()
            if count == 0 and not (events.backend.blocking and batch.claimed):
                quiet = time.monotonic() - events.last_publish
                if self._delivery.unacked or self._delivery.position != self._delivery.stored:
                    if quiet >= events.ack_interval:
                        self._flush()
                    self._pause(min(events.poll_interval, events.ack_interval))
                    continue
                if quiet > 1.0:
                    events.backend.idle()  # nothing published here lately: let others write
                self._pause(events.poll_interval)
            elif count == 0 and time.monotonic() - self._delivery.flushed >= events.ack_interval:
                self._flush()
        self._stopped.set()

    def _flush(self) -> None:
        try:
            self._delivery.flush()
        except Exception as exc:  # noqa: BLE001 - tried again on the next round
            log.warning("consumer %s: acknowledging failed: %s", self.consumer, _error_text(exc))

    def _drained(self, pump: int, head: int) -> bool:
        d = self._delivery
        return self.closed or (self._done_pump > pump and self._caught_up >= head
                               and d.stored == d.position and not d.unacked)

    def close(self, timeout: float = 30.0) -> None:
        """Stop after the current event, acknowledge what was handled, let go of the consumer."""
        self._delivery.stop.set()
        self.wake()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._delivery.release()
        self._log._forget(self)
        with self._cond:
            self._cond.notify_all()

    unsubscribe = close

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Follower(_Worker):
    """A live, non-durable view of the log (the server's stream, ``workbench events tail``):
    ``handler(event)`` for every new event of ``types`` after ``after`` (default: the head),
    no position stored, nothing retried. ``close()`` stops it."""

    def __init__(self, events: "EventLog", handler: Handler, types: tuple[str, ...] | None,
                 after: int | None) -> None:
        super().__init__("workbench-events-follow")
        self._log = events
        self._handler = handler
        self._types = types
        self.last = events.backend.head() if after is None else after
        self._thread.start()

    def _loop(self) -> None:
        events = self._log
        block = min(events.poll_interval, 0.25) if events.backend.blocking else 0.0
        while not self._stopped.is_set():
            try:
                batch, last = events.backend.tail(self.last, self._types, events.batch_size,
                                                  block)
            except Exception as exc:  # noqa: BLE001 - the backend may come back
                log.warning("following the event log: %s; trying again", _error_text(exc))
                self._pause(min(1.0, events.poll_interval))
                continue
            for event in batch:
                if self._stopped.is_set():
                    return
                try:
                    self._handler(event)
                except Exception:  # noqa: BLE001 - a live view never stops on a bad client
                    log.warning("event follower handler failed on %s", event.id, exc_info=True)
            moved = last != self.last
            self.last = last
            if not moved and not events.backend.blocking:
                self._pause(events.poll_interval)

    def close(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self.wake()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._log._forget(self)


class EventLog:
    """Publish, read and subscribe to the workbench's events (``wb.events``).

    ``backend`` is a :class:`~workbench.events.backends.EventBackend` (DuckDB or Redis
    Streams). ``max_failures``: handler attempts before an event becomes a dead letter;
    ``retry_delay``: seconds before the second attempt (doubling); ``poll_interval``: seconds
    between looks for events of other processes; ``claim_after``: seconds after which a
    silent subscriber's consumer (and its unacknowledged events) passes to another;
    ``batch_size``: events per fetch; ``ack_interval``: seconds a subscriber may keep its
    progress unwritten (events handled in that window are delivered again after a crash).
    """

    def __init__(self, backend: EventBackend, *, max_failures: int = 3,
                 retry_delay: float = 0.05, poll_interval: float = 0.5,
                 claim_after: float = 30.0, batch_size: int = 500,
                 ack_interval: float = 0.2) -> None:
        if max_failures < 1:
            raise InvalidEvent(f"max_failures must be >= 1, got {max_failures}")
        self.backend = backend
        self.max_failures = max_failures
        self.retry_delay = retry_delay
        self.poll_interval = poll_interval
        self.claim_after = claim_after
        self.batch_size = batch_size
        self.ack_interval = ack_interval
        self._cond = threading.Condition()
        self.last_publish = 0.0  # time.monotonic() of this log's latest publish
        self._subscriptions: dict[str, Subscription] = {}
        self._followers: list[Follower] = []

    def __repr__(self) -> str:
        return f"<EventLog {self.backend.name} subscriptions={sorted(self._subscriptions)}>"

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, type: str, payload: dict[str, Any], *, actor: str = "user",
                project: str | None = None) -> Event:
        """Validate and append one event; wake this process's subscribers. Returns it.

        ``project`` defaults to the payload's ``project`` key. Raises
        :class:`~workbench.events.UnknownEventType` or :class:`~workbench.events.InvalidEvent`
        (nothing is stored then).
        """
        return self.publish_many([(type, payload)], actor=actor, project=project)[0]

    def publish_many(self, events: Iterable[tuple[str, dict[str, Any]]], *,
                     actor: str = "user", project: str | None = None) -> list[Event]:
        """Validate every ``(type, payload)`` first, then append them all in one transaction
        (one round trip to Redis): thousands of events per second where one by one would
        make hundreds. Returns the events in order."""
        rows, made = [], []
        now = datetime.now(timezone.utc)
        if not isinstance(actor, str) or not actor:
            raise InvalidEvent(f"actor must be a non-empty string, not {actor!r}")
        for type, payload in events:
            _types.validate(type, payload)
            try:
                text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise InvalidEvent(f"the payload of a {type} event is not JSON: {exc}",
                                   type=type) from None
            if len(text) > MAX_PAYLOAD_BYTES:
                raise InvalidEvent(f"the payload of a {type} event has {len(text)} bytes, more "
                                   f"than {MAX_PAYLOAD_BYTES}; store the data elsewhere and "
                                   "send its id", type=type)
            where = project if project is not None else payload.get("project")
            where = where if isinstance(where, str) else None
            rows.append((type, text, actor, where, now))
            made.append((type, payload, where))
        if not rows:
            return []
        ids = self.backend.append(rows)
        self.last_publish = time.monotonic()
        self._wake_all()
        return [Event(i, t, p, actor, w, now) for i, (t, p, w) in zip(ids, made)]

    def _wake_all(self) -> None:
        with self._cond:
            workers: list[_Worker] = [*self._subscriptions.values(), *self._followers]
        for worker in workers:
            worker.wake()

    # -- reading ------------------------------------------------------------------------------

    def read(self, after: int = 0, types: str | Sequence[str] | None = None,
             limit: int = 100) -> list[Event]:
        """Events with ids above ``after`` (of ``types``), oldest first, at most ``limit``."""
        return self.backend.read(after, _types.check_types(types), max(0, int(limit)))

    def get(self, event_id: int) -> Event | None:
        return self.backend.get(event_id)

    def head(self) -> int:
        """The newest event's id (0 when the log is empty)."""
        return self.backend.head()

    # -- consuming ----------------------------------------------------------------------------

    def subscribe(self, consumer: str, types: str | Sequence[str] | None, handler: Handler, *,
                  start: str = "earliest") -> Subscription:
        """Deliver the events of ``types`` (None: every type) to ``handler`` on a dispatcher
        thread, as durable consumer ``consumer``: its position survives restarts and other
        processes. A new consumer starts with the oldest event (``start="earliest"``) or with
        the next one published (``"latest"``). Raises :class:`ConsumerBusy` if this log already
        serves ``consumer``.
        """
        checked = _types.check_types(types)
        with self._cond:
            if consumer in self._subscriptions:
                raise ConsumerBusy(f"consumer {consumer!r} is already subscribed here; close "
                                   "that subscription first", consumer=consumer)
            sub = Subscription(self, consumer, checked, handler, start)
            self._subscriptions[consumer] = sub
        return sub

    def poll(self, consumer: str, types: str | Sequence[str] | None, handler: Handler, *,
             limit: int = 10_000, start: str = "earliest") -> int:
        """Handle what waits for ``consumer`` now, in the caller's thread, then let go of it.

        The way for a process without a dispatcher thread (a script, a cron job) to consume.
        Returns the number of events handed to ``handler`` (at most about ``limit``); 0 when
        another subscriber holds the consumer.
        """
        checked = _types.check_types(types)
        with self._cond:
            if consumer in self._subscriptions:
                raise ConsumerBusy(f"consumer {consumer!r} is subscribed in this process; its "
                                   "dispatcher thread delivers the events", consumer=consumer)
        delivery = _Delivery(self, consumer, checked, handler, start)
        total = 0
        try:
            while total < limit:
                count, batch = delivery.pump(min(self.batch_size, limit - total), 0.0)
                total += count
                if not batch.claimed or (not batch.events and not batch.retries):
                    break
        finally:
            delivery.release()
        return total

    def replay(self, consumer: str, from_id: int, *, create: bool = False) -> None:
        """Deliver again, to ``consumer``, every event from id ``from_id`` on (1: everything).

        Also moves a consumer forward (skipping events). A consumer that does not exist (no
        subscriber ever took it, and none is subscribed in this log) is refused with
        :class:`ConsumerNotFound`, naming the known ones, unless ``create``: then it is made,
        positioned so that its first event is ``from_id``.
        """
        _check_consumer(consumer)
        if isinstance(from_id, bool) or not isinstance(from_id, int) or from_id < 1:
            raise InvalidEvent(f"from_id must be an event id >= 1, not {from_id!r}")
        with self._cond:  # a subscription of this log makes its consumer on its first fetch
            create = create or consumer in self._subscriptions
        if not self.backend.set_position(consumer, from_id - 1, create=create):
            raise _unknown_consumer(consumer, [c.name for c in self.backend.consumers()],
                                    from_id)
        self._wake_all()

    def consumers(self) -> list[ConsumerInfo]:
        """Every durable consumer with its position, backlog, holder and dead letters."""
        return self.backend.consumers()

    def dead_letters(self, consumer: str | None = None, *,
                     include_resolved: bool = False) -> list[DeadLetter]:
        """Events handlers gave up on (of one consumer, or all), oldest first."""
        return self.backend.dead_letters(consumer, include_resolved)

    def dead_letter(self, dead_id: int) -> DeadLetter:
        """One dead letter, whatever its status. Raises :class:`DeadLetterNotFound`."""
        found = self.backend.dead_letter(dead_id)
        if found is None:
            raise DeadLetterNotFound(f"no dead letter #{dead_id}; list them with `workbench "
                                     "events dead`", id=dead_id)
        return found

    def retry_dead_letter(self, dead_id: int) -> DeadLetter:
        """Queue a dead letter again: its consumer's next poll (in whatever process holds it)
        hands the event to the handler; success resolves it, failure makes it dead again with
        more attempts. Returns the dead letter as queued, status ``"retrying"``: a consumer that
        polls at once may already have handled it, so the outcome is read later, from
        :meth:`dead_letters` after :meth:`drain`.

        A dead letter queued already is left as it is (see its ``status``). Raises
        :class:`DeadLetterNotFound` for an unknown id and :class:`DeadLetterResolved` for one
        a retry handled already."""
        found = self.dead_letter(dead_id)
        if found.status == "resolved":
            raise DeadLetterResolved(
                f"dead letter #{dead_id} ({found.event_type} #{found.event_id}) was handled by "
                f"{found.consumer} on a retry already; nothing is left to retry (`workbench "
                "events replay` hands a consumer events again)", id=dead_id)
        queued = found
        if found.status != "retrying":
            self.backend.set_dead(dead_id, "retrying")
            queued = replace(found, status="retrying",
                             updated_at=datetime.now(found.updated_at.tzinfo))
        self._wake_all()
        return queued

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every subscription of this log has handled the events published so far
        (and dead letters queued again) and stored its position. True when they have; False
        after ``timeout`` seconds (e.g. another process holds a consumer)."""
        head = self.backend.head()
        with self._cond:
            subs = list(self._subscriptions.values())
            marks = {id(s): s._pumps for s in subs}
        for sub in subs:
            sub._flush_now.set()
            sub.wake()
        deadline = time.monotonic() + timeout
        with self._cond:
            while not all(s._drained(marks[id(s)], head) for s in subs):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def follow(self, handler: Handler, *, types: str | Sequence[str] | None = None,
               after: int | None = None) -> Follower:
        """Call ``handler`` for each new event (see :class:`Follower`); not durable."""
        follower = Follower(self, handler, _types.check_types(types), after)
        with self._cond:
            self._followers.append(follower)
        return follower

    def _forget(self, worker: _Worker) -> None:
        with self._cond:
            if isinstance(worker, Subscription):
                if self._subscriptions.get(worker.consumer) is worker:
                    del self._subscriptions[worker.consumer]
            elif worker in self._followers:
                self._followers.remove(worker)

    @property
    def subscriptions(self) -> list[Subscription]:
        with self._cond:
            return list(self._subscriptions.values())

    def close(self) -> None:
        """Stop every subscription and follower of this log and release its backend."""
        with self._cond:
            workers: list[Any] = [*self._subscriptions.values(), *self._followers]
        for worker in workers:
            worker.close()
        self.backend.close()

    def __enter__(self) -> "EventLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
