"""The kernel client's teardown races stay off stderr while notebooks run, and only then."""

from __future__ import annotations


def test_kernel_teardown_noise_is_quiet_while_runs_last_and_restored_after():
    import logging

    from workbench.batch.report import _TeardownNoise

    log = logging.getLogger("tornado.general")
    log.setLevel(logging.WARNING)
    first, second = _TeardownNoise(), _TeardownNoise()  # two runs at once, on job threads
    assert log.level == logging.CRITICAL
    first.restore()
    assert log.level == logging.CRITICAL  # the other run still goes on
    second.restore()
    assert log.level == logging.WARNING
    log.setLevel(logging.NOTSET)
