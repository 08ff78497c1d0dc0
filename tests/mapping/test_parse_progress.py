"""Progress of a parse comes from the thread that asked for it, never from the feeding threads."""

from __future__ import annotations

import itertools
import threading

import pytest

from workbench.mapping.workers import WorkerPool

SOURCE = b"def f(x):\n    return [a + 1 for a in x if a]\n" * 40


def test_progress_is_reported_by_the_calling_thread():
    seen: list[tuple[threading.Thread, int, int | None, str]] = []
    requests = [(f"sha{i}", "python", SOURCE + b"#" * i) for i in range(30)]
    results = WorkerPool(2).parse(requests, lambda done, total, message: seen.append(
        (threading.current_thread(), done, total, message)))
    assert len(results) == 30
    assert {thread for thread, *_ in seen} == {threading.current_thread()}
    assert seen[-1][1:] == (30, 30, "parsing")


def test_a_progress_report_that_raises_stops_the_workers():
    class Stop(Exception):
        pass

    consumed = itertools.count()

    def requests():
        for i in range(1_000_000):  # far more than can be parsed before the first report
            next(consumed)
            yield f"sha{i}", "python", SOURCE

    def stop(done: int, total: int | None, message: str) -> None:
        raise Stop

    with pytest.raises(Stop):
        WorkerPool(2).parse(requests(), stop, total=1_000_000)
    assert next(consumed) < 1_000_000
