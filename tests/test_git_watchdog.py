"""The time limit on a streaming git process counts git's own time, not the reader's."""

from __future__ import annotations

import threading
import time

from workbench.repos.git import Watchdog


def _watched(seconds: float) -> tuple[Watchdog, threading.Event, list[float]]:
    fired = threading.Event()
    when: list[float] = []

    def expire() -> None:
        when.append(time.monotonic())
        fired.set()

    return Watchdog(seconds, expire), fired, when


def test_it_expires_once_the_running_time_is_spent():
    started = time.monotonic()
    dog, fired, when = _watched(0.2)
    assert fired.wait(10) and dog.expired
    assert when[0] - started >= 0.19


def test_paused_time_does_not_count_and_a_resume_after_its_deadline_wakes_it():
    dog, fired, when = _watched(0.3)
    dog.pause()  # the reader holds a blob: the clock stops with about 0.3 s left
    time.sleep(0.6)  # past the deadline it first slept until: it found the clock stopped
    assert not fired.is_set() and not dog.expired
    resumed = time.monotonic()
    dog.resume()
    assert fired.wait(10)
    assert when[0] - resumed >= 0.2  # what was left, counted from the resume


def test_many_short_pauses_keep_the_deadline_of_the_running_time():
    dog, fired, when = _watched(0.4)
    started = time.monotonic()
    paused = 0.0
    while not fired.is_set() and time.monotonic() - started < 10:
        dog.pause()
        time.sleep(0.01)
        paused += 0.01
        dog.resume()
        time.sleep(0.002)
    assert fired.is_set()
    assert when[0] - started >= 0.4 + paused * 0.9 - 0.05  # the pauses moved it later


def test_a_stopped_watchdog_never_fires():
    dog, fired, _ = _watched(0.1)
    dog.stop()
    assert not fired.wait(0.4) and not dog.expired
