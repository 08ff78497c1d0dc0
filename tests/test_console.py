"""The ``workbench`` console script leaves without the interpreter's teardown, and loses
nothing by it: the output, the exit status, other exit handlers and running threads."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

CONSOLE = "import sys; sys.argv[0] = 'workbench'; from workbench.console import run; run()"
PLAIN = "import sys; sys.argv[0] = 'workbench'; from workbench.cli import main; main()"


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)


def _steady(text: str) -> str:
    """``text`` without the disk's free space, which other processes change between runs."""
    return re.sub(r"\([\d.,]+ [KMGT]?B free\)", "(free)", text)


def test_output_and_status_are_those_of_a_normal_exit(tmp_path: Path):
    data = str(tmp_path / "data")
    for args in (["--help"], ["query", "--help"], ["--version"], ["--data-dir", data, "status"],
                 ["--data-dir", data, "map", "no-such-project"], ["no-such-command"]):
        fast, plain = _run(CONSOLE, *args), _run(PLAIN, *args)
        assert (fast.returncode, _steady(fast.stdout), fast.stderr) == (
            plain.returncode, _steady(plain.stdout), plain.stderr), args
    assert _run(CONSOLE, "--data-dir", data, "map", "no-such-project").returncode == 1
    assert _run(CONSOLE, "no-such-command").returncode == 2


def test_other_exit_handlers_and_threads_finish_first(tmp_path: Path):
    marks = tmp_path / "marks"
    code = textwrap.dedent(f"""
        import atexit, sys, threading, time
        from workbench.console import run
        from pathlib import Path
        marks = Path({str(marks)!r})
        def late():
            time.sleep(0.3)
            with marks.open("a") as f:
                f.write("thread\\n")
        threading.Thread(target=late).start()
        atexit.register(lambda: marks.open("a").write("handler\\n"))
        sys.argv = ["workbench", "--version"]
        run()
    """)
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert "version" in done.stdout
    assert marks.read_text().splitlines() == ["thread", "handler"]


def test_a_reader_that_stops_early_gets_a_quiet_status_1(tmp_path: Path):
    for args in (["--help"], ["--data-dir", str(tmp_path / "data"), "status"]):
        proc = subprocess.Popen([sys.executable, "-c", CONSOLE, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdout.close()  # `workbench ... | head -0`
        error = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 1, (args, error)
        assert error == "", args


def test_an_escaping_exception_exits_the_normal_way():
    code = textwrap.dedent("""
        import sys, workbench.cli
        from workbench.console import run
        def boom(*args, **kwargs):
            raise RuntimeError("boom")
        workbench.cli.main = boom
        run()
    """)
    done = _run(code)
    assert done.returncode == 1
    assert "RuntimeError: boom" in done.stderr
