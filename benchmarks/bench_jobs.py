"""Timing of the job manager under load: N background maps of tiny repositories.

    .venv/bin/python benchmarks/bench_jobs.py [N] [THREADS]

Prints wall time, jobs per second and the peak resident memory of the process. Numbers
belong here, not in test assertions (tests/test_load.py checks counts and bounds only).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import tiny_repositories  # noqa: E402
from workbench import Workbench  # noqa: E402
from workbench.config import Config  # noqa: E402


def main(n: int = 200, threads: int = 4) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = tiny_repositories(root)
        wb = Workbench(config=Config(data_dir=root / "data", job_threads=threads, workers=1),
                       background=True)
        started = time.perf_counter()
        handles = [wb.map(str(sources[i % 5]), name=f"p{i:03d}") for i in range(n)]
        for h in handles:
            h.result()
        wb.close()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{n} maps on {threads} job threads: {seconds:.1f} s, {n / seconds:.1f} jobs/s, "
              f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
