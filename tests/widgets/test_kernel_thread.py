"""In a real IPython kernel, widget state changes on the kernel's thread, not on job threads."""

from __future__ import annotations

import os

from tests.helpers import ROOT

CELL_START = """
import threading
from workbench import Workbench
from workbench.widgets.base import Session
wb = Workbench({data!r}, background=True)
session = Session(wb)
seen = []
session.on_job(lambda p, label: seen.append((threading.current_thread().name, p.status)))
session.observe(lambda change: seen.append((threading.current_thread().name, "snapshot")),
                "snapshot_id")
handle = session.start_map({repo!r})
print("started", handle.id)
"""

CELL_CHECK = """
handle.result(120)
print("threads", sorted({name for name, _ in seen}))
print("statuses", [status for _, status in seen][-2:])
"""


def test_job_progress_reaches_widgets_on_the_kernel_thread(tmp_path, sample_repo):
    from jupyter_client.manager import start_new_kernel

    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERMILL")}
    env["WORKBENCH_WORKERS"] = "1"
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
    try:
        def run(code: str) -> str:
            out: list[str] = []
            reply = client.execute_interactive(code, timeout=180, output_hook=lambda msg: out.append(
                msg["content"].get("text", "")) if msg["msg_type"] == "stream" else None)
            assert reply["content"]["status"] == "ok", reply["content"]
            return "".join(out)

        assert "started" in run(CELL_START.format(data=str(tmp_path / "data"), repo=str(sample_repo)))
        run("import time\nhandle.result(120)\ntime.sleep(0)")  # the job ends; callbacks queue
        text = run(CELL_CHECK)  # a new message: the kernel ran the queued callbacks before it
        assert "threads ['MainThread']" in text, text
        assert "'snapshot'" in text or "succeeded" in text, text
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
