"""A portfolio of synthetic repositories mapped on local threads and on a Dask LocalCluster.

    .venv/bin/python benchmarks/bench_portfolio.py [--repos 200] [--workers 2] [--modules 12]

Each repository is a package of ``--modules`` modules (five functions each, importing their
neighbours) with three commits, built once under ``data/bench/portfolio/``. Two runs map all
of them into a fresh data directory each:

* ``local``: ``Workbench(executor="local")`` with ``--workers`` job threads, every map
  writing the database directly;
* ``dask``: a ``distributed.LocalCluster`` of ``--workers`` single-threaded worker processes;
  each worker maps into its private store and writes Parquet, this process ingests.

Reported per run: wall time, per-repository seconds (median and p95 of the map's own time; on
the cluster, the task's time on its worker), peak resident memory (this process for local;
each worker's peak for the cluster) and the single writer's ingest throughput (rows/s, time
inside its transactions). Then the ingest alone: every manifest appended again into an empty
database, one transaction each. From the measured per-repository cost and ingest rate the
script projects a 20-worker cluster and the worker count at which the one writer becomes the
limit (printed and written as JSON next to the repositories).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from _common import DEFAULT_BENCH_DIR  # noqa: E402


def build_repos(root: Path, count: int, modules: int) -> list[Path]:
    from tests.helpers import commit, init_repo, write

    repos = []
    for i in range(count):
        path = root / f"repo{i:03d}"
        repos.append(path)
        if (path / ".git").is_dir():
            continue
        repo = init_repo(path)
        for step in range(3):
            files = {f"pkg{i}/__init__.py": ""}
            for m in range(modules):
                body = "".join(f"from pkg{i} import m{j}\n" for j in range(max(0, m - 2), m))
                body += "".join(f"\n\ndef f{k}(x):\n    return x + {k + step}\n"
                                for k in range(5))
                files[f"pkg{i}/m{m}.py"] = body
            write(repo, files)
            commit(repo, f"step {step}", f"2026-01-0{step + 1}T10:00:00+00:00")
    return repos


def _failures(run) -> None:
    failed = run.summary[run.summary["status"] != "mapped"]
    if len(failed):
        print(failed[["project", "status", "attempts", "error"]].to_string(index=False),
              file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_local(repos: list[Path], data: Path, threads: int) -> dict:
    from workbench import Workbench
    from workbench.config import Config

    wb = Workbench(config=Config(data_dir=data, job_threads=threads, workers=1),
                   executor="local", background=False)
    started = time.perf_counter()
    run = wb.map_all([str(r) for r in repos], retries=0)
    wall = time.perf_counter() - started
    _failures(run)
    seconds = [float(s) for s in run.summary["seconds"].dropna()]
    rows = wb.store.db.query(
        "SELECT (SELECT count(*) FROM nodes) + (SELECT count(*) FROM edges) + "
        "(SELECT count(*) FROM files) + (SELECT count(*) FROM file_changes) + "
        "(SELECT count(*) FROM commits) + (SELECT count(*) FROM file_metrics)")[0][0]
    wb.close()
    return {"mode": "local", "repos": len(repos), "mapped": int((run.summary["status"] == "mapped").sum()),
            "wall_s": round(wall, 2), "repo_median_s": round(statistics.median(seconds), 3),
            "repo_p95_s": round(pct(seconds, 0.95), 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rows": rows}


def _stages(wb) -> dict:
    """Where a cluster map job's time goes (medians over succeeded jobs, seconds): the whole
    job, the task on its worker (clone, map, Parquet export), the ingest transaction, and the
    rest (waiting for a free worker, scheduling, reading the Parquet back)."""
    rows = wb.store.db.query(
        "SELECT epoch(finished_at - started_at), result FROM jobs WHERE type = 'map' AND"
        " status = 'succeeded'")
    job, task, ingest, rest = [], [], [], []
    for seconds, text in rows:
        result = json.loads(text or "{}")
        job.append(float(seconds))
        task.append(float(result.get("task_seconds") or 0))
        ingest.append(float(result.get("ingest_seconds") or 0))
        rest.append(job[-1] - task[-1] - ingest[-1])
    med = (lambda v: round(statistics.median(v), 3) if v else None)
    return {"job": med(job), "task": med(task), "ingest": med(ingest), "rest": med(rest)}


def run_dask(repos: list[Path], data: Path, workers: int) -> tuple[dict, list[dict]]:
    import distributed

    from workbench import Workbench
    from workbench.config import Config

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        wb = Workbench(config=Config(data_dir=data, worker_dir=str(data / "workers")),
                       executor=cluster, background=False)
        client = wb.executor.client
        client.wait_for_workers(workers)
        started = time.perf_counter()
        run = wb.map_all([str(r) for r in repos], retries=0)
        wall = time.perf_counter() - started
        _failures(run)
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        seconds = [float(s) for s in run.summary["seconds"].dropna()]
        result = {"mode": "dask", "repos": len(repos), "workers": workers,
                  "mapped": int((run.summary["status"] == "mapped").sum()),
                  "wall_s": round(wall, 2), "repo_median_s": round(statistics.median(seconds), 3),
                  "repo_p95_s": round(pct(seconds, 0.95), 3),
                  "peak_rss_mb_per_worker": {a.rsplit(":", 1)[-1]: round(v, 1)
                                             for a, v in peaks.items()},
                  "coordinator_peak_rss_mb": round(
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "ingest_rows": run.ingest_rows,
                  "stages_median_s": _stages(wb),
                  "ingest_in_run_rows_per_s": round(run.ingest_rows / run.ingest_seconds)
                  if run.ingest_seconds else None}
        wb.close()
    manifests = [json.loads(p.read_text())
                 for p in sorted((data / "parquet" / "manifests").glob("*/*.json"))]
    if manifests:  # the Parquet export's share of the task
        result["stages_median_s"]["export"] = round(
            statistics.median(float(m.get("seconds") or 0) for m in manifests), 3)
    return result, manifests


def ingest_alone(manifests: list[dict], data: Path, repos: list[Path]) -> dict:
    from workbench import Workbench

    wb = Workbench(data, background=False)
    paths = {r.name: r for r in repos}
    ids = {m["project"]: wb.add_project(m["project"], str(paths[m["project"]])).id
           for m in manifests}
    started = time.perf_counter()
    for manifest in manifests:
        wb.portfolio.ingestor.ingest(manifest, project_id=ids[manifest["project"]])
    wall = time.perf_counter() - started
    stats = wb.portfolio.ingestor.stats
    wb.close()
    rows_per_repo = stats.rows / max(1, stats.manifests)
    return {"manifests": stats.manifests, "rows": stats.rows,
            "rows_per_repo": round(rows_per_repo, 1),
            "in_transaction_rows_per_s": round(stats.rows_per_second),
            "wall_rows_per_s": round(stats.rows / wall), "wall_s": round(wall, 2),
            "repos_per_s": round(stats.manifests / wall, 2)}


def project(dask: dict, ingest: dict, workers: int = 20) -> dict:
    """Throughput of ``workers`` single-threaded workers from the measured per-repository cost
    (median task time on one worker), against the writer's measured repositories per second."""
    per_repo = dask["repo_median_s"]
    cluster_rate = workers / per_repo  # repositories per second the workers produce
    writer_rate = ingest["repos_per_s"]  # repositories per second one writer appends
    return {"workers": workers, "repo_cost_s": per_repo,
            "workers_repos_per_s": round(cluster_rate, 2),
            "writer_repos_per_s": writer_rate,
            "projected_wall_s_for_1000": round(1000 / min(cluster_rate, writer_rate), 1),
            "writer_limit_at_workers": round(writer_rate * per_repo, 1),
            "bound_by": "writer" if cluster_rate > writer_rate else "workers"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modules", type=int, default=6)
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR / "portfolio")
    args = parser.parse_args()
    repos = build_repos(args.bench_dir / "repos", args.repos, args.modules)
    with tempfile.TemporaryDirectory(prefix="bench-portfolio-") as tmp:
        local = run_local(repos, Path(tmp) / "local", args.workers)
        print(json.dumps(local), flush=True)
        dask, manifests = run_dask(repos, Path(tmp) / "dask", args.workers)
        print(json.dumps(dask), flush=True)
        ingest = ingest_alone(manifests, Path(tmp) / "ingest", repos)
        print(json.dumps({"ingest_alone": ingest}), flush=True)
    projection = project(dask, ingest)
    print(json.dumps({"projection": projection}), flush=True)
    print(f"load average while it ran: {os.getloadavg()}", flush=True)
    out = args.bench_dir / "results.json"
    out.write_text(json.dumps({"local": local, "dask": dask, "ingest": ingest,
                               "projection": projection, "load_average": os.getloadavg(),
                               "cpus": os.cpu_count()}, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
