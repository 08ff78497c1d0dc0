"""Another process gets through while a large map runs: no unit of work holds the file for long."""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.synth_repo import SynthSpec, ensure_repo
from tests.helpers import ROOT
from workbench import Config, Workbench

#: Another process, imports done before the map starts (start-up time is not what is tested):
#: once ``go`` exists, it opens the workbench and lists projects, as `workbench project list`
#: does, again and again, writing each call's seconds to ``out`` until ``stop`` exists.
OTHER = """
import sys, time
from pathlib import Path
from workbench import Workbench
data, go, stop, out = map(Path, sys.argv[1:5])
while not go.exists():
    time.sleep(0.05)
with open(out, "a") as log:
    while not stop.exists():
        started = time.monotonic()
        wb = Workbench(data, lock_timeout=120)
        wb.projects()
        wb.close()
        log.write(f"{time.monotonic() - started:.3f}\\n")
        log.flush()
        time.sleep(0.2)
"""


def test_a_second_process_gets_through_during_a_large_map(tmp_path):
    repo = ensure_repo(tmp_path / "synth", SynthSpec(commits=10_000, files=2_000))
    data = tmp_path / "data"
    go, stop, out = tmp_path / "go", tmp_path / "stop", tmp_path / "calls.txt"
    # blame left out: its git processes hold no lock, and they would only lengthen the map
    wb = Workbench(config=Config(data_dir=data, blame=False), background=True)
    other = subprocess.Popen([sys.executable, "-c", OTHER, str(data), str(go), str(stop), str(out)],
                             cwd=ROOT)
    try:
        handle = wb.map(str(repo))
        deadline = time.monotonic() + 300
        while wb.job(handle.id).status == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        go.touch()  # the map is under way: parsing and mining, writing progress and batches
        during = []
        while not handle.done() and time.monotonic() < deadline:
            lines = out.read_text().split() if out.exists() else []
            if lines and not handle.done():
                during = lines
            time.sleep(0.1)
        handle.result()
        assert during, "no call of the other process finished while the map ran"
        longest = max(wb.store.db.hold_times())
        print(f"other process: {len(during)} calls during the map, longest "
              f"{max(map(float, during)):.2f} s; longest hold {longest:.2f} s")
        assert longest < 10  # about 1-2 s on two busy cores; the whole map takes far longer
    finally:
        stop.touch()
        other.wait(timeout=180)
        wb.close()
