"""A parser worker ends as soon as its input closes: the parse waits for it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers import ROOT
from workbench.mapping.workers import _recv, _send


def test_a_worker_answers_every_request_then_ends_without_the_interpreters_teardown():
    """Every answer is flushed before the worker ends, and the interpreter's teardown (what
    the parse would wait for: freeing what the parse left, the last collection, exit
    handlers) does not run."""
    script = textwrap.dedent("""
        import atexit, runpy, sys
        atexit.register(lambda: sys.stderr.write("teardown ran\\n"))
        runpy.run_module("workbench.mapping.workers", run_name="__main__")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    requests = [(f"{i:040x}", "python", f"def f{i}():\n    return g({i})\n".encode())
                for i in range(5)]
    for request in requests:
        _send(proc.stdin, request)
    proc.stdin.close()
    answers = [_recv(proc.stdout) for _ in requests]
    assert proc.wait(timeout=60) == 0
    assert [a[0] for a in answers] == [r[0] for r in requests]
    assert all('"f' in a[2] for a in answers)  # each file's function is in its facts
    assert proc.stderr.read() == b""
    assert proc.stdout.read() == b""  # nothing after the answers
