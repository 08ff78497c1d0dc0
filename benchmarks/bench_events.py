"""The event log: publish and consume throughput, publish→handler latency, WebSocket push.

For each backend (DuckDB file; Redis Streams on a redis-server this script starts on
127.0.0.1 in a temp dir, skipped when none is installed):

* **in one process** — ``--events`` events published in batches of ``--batch``
  (``publish_many``) while a subscriber's dispatcher thread handles them: publish rate,
  end-to-end rate (first publish to last handled) and the latency of those events under load;
  then ``--latency-events`` single publishes, one every ``--gap`` ms: publish→handler p50/p99;
* **across two processes** — the same, with the subscriber in a child process (it polls
  other processes' events every ``--poll`` s on DuckDB; Redis pushes through a blocking read);
* **WebSocket** — ``workbench serve``'s app on uvicorn (127.0.0.1), a client in a child
  process, ``--ws-events`` single publishes: publish→client p50/p99.

Latency is wall clock (``time.time()``) from just before ``publish`` to the handler (or the
client) receiving it, on one machine. Prints a markdown table::

    .venv/bin/python benchmarks/bench_events.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import table  # noqa: E402

TICK = {"type": "object", "properties": {"seq": {"type": "integer"}, "t": {"type": "number"}},
        "required": ["seq", "t"]}

CONSUMER = textwrap.dedent("""
    import json, sys, threading, time
    sys.path.insert(0, {root!r})
    from workbench import Workbench
    from workbench.config import Config
    from workbench.events import register_type
    register_type("bench.tick", {tick!r})
    data, events, expected, poll = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    wb = Workbench(config=Config(data_dir=data, events=events, events_poll_interval=poll,
                                 idle_release=0.0))
    lat, done = [], threading.Event()
    first = []
    def handle(e):
        now = time.time()
        if not first:
            first.append(now)
        lat.append(now - e.payload["t"])
        if len(lat) >= expected:
            done.set()
    wb.events.subscribe(sys.argv[5], "bench.tick", handle, start="latest")
    wb.events.drain(60)
    print("ready", flush=True)
    done.wait(1800)
    print(json.dumps({{"lat": lat, "first": first[0] if first else None, "last": time.time()}}))
    wb.close()
""")

WS_CLIENT = textwrap.dedent("""
    import json, sys, time
    from websockets.sync.client import connect
    url, expected = sys.argv[1], int(sys.argv[2])
    lat = []
    with connect(url, open_timeout=60, max_size=None) as ws:
        print("ready", flush=True)
        while len(lat) < expected:
            e = json.loads(ws.recv(timeout=600))
            lat.append(time.time() - e["payload"]["t"])
    print(json.dumps({"lat": lat}))
""")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(where: Path):
    binary = shutil.which("redis-server")
    if binary is None:
        return None, None
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir",
                             str(where), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(500):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.exceptions.ConnectionError:
            time.sleep(0.02)
    proc.kill()
    return None, None


def open_wb(data: Path, events: str, poll: float):
    from workbench import Workbench
    from workbench.config import Config

    return Workbench(config=Config(data_dir=data, events=events, events_poll_interval=poll),
                     background=True)


def ticks(start: int, n: int) -> list[tuple[str, dict]]:
    now = time.time()
    return [("bench.tick", {"seq": start + i, "t": now}) for i in range(n)]


def publish_batched(wb, n: int, batch: int) -> float:
    seconds = 0.0
    for start in range(0, n, batch):
        items = ticks(start, min(batch, n - start))
        t0 = time.perf_counter()
        wb.events.publish_many(items, actor="bench")
        seconds += time.perf_counter() - t0
    return seconds


def publish_paced(wb, n: int, gap: float) -> list[float]:
    """Publish ``n`` single events ``gap`` s apart; returns each publish call's seconds."""
    calls = []
    for i in range(n):
        t0 = time.perf_counter()
        wb.events.publish("bench.tick", {"seq": i, "t": time.time()}, actor="bench")
        calls.append(time.perf_counter() - t0)
        time.sleep(gap)
    return calls


def in_process(data: Path, events: str, args) -> dict:
    wb = open_wb(data, events, args.poll)
    lat: list[float] = []
    done = threading.Event()
    expected = [args.events]

    def handle(e) -> None:
        lat.append(time.time() - e.payload["t"])
        if len(lat) >= expected[0]:
            done.set()

    wb.events.subscribe("bench-in", "bench.tick", handle, start="latest")
    started = time.perf_counter()
    publish_s = publish_batched(wb, args.events, args.batch)
    done.wait(1800)
    total = time.perf_counter() - started
    load_lat = list(lat)
    lat.clear()
    done.clear()
    expected[0] = args.latency_events
    calls = publish_paced(wb, args.latency_events, args.gap / 1000)
    done.wait(600)
    wb.close()
    return {"publish_rate": args.events / publish_s, "e2e_rate": args.events / total,
            "load_p50": pct(load_lat, 0.5), "load_p99": pct(load_lat, 0.99),
            "p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "call_p50": pct(calls, 0.5),
            "handled": len(load_lat) + len(lat)}


def child_consumer(data: Path, events: str, expected: int, poll: float, name: str):
    code = CONSUMER.format(root=str(ROOT), tick=TICK)
    proc = subprocess.Popen([sys.executable, "-c", code, str(data), events, str(expected),
                             str(poll), name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"consumer did not start: {line}{proc.stderr.read()[-2000:]}")
    return proc


def across_processes(data: Path, events: str, args) -> dict:
    from workbench.config import Config  # noqa: F401 - the parent publishes through the facade

    results: dict = {}
    # throughput: the parent publishes in batches; the child handles
    proc = child_consumer(data, events, args.events, args.poll, "bench-x")
    wb = open_wb(data, events, args.poll)
    wb.store.db.idle_release = 0.0  # hand the file to the consumer between batches
    started_wall = time.time()
    publish_s = publish_batched(wb, args.events, args.batch)
    out, err = proc.communicate(timeout=3600)
    report = json.loads(out.strip().splitlines()[-1])
    results.update(publish_rate=args.events / publish_s,
                   e2e_rate=args.events / (report["last"] - started_wall),
                   load_p50=pct(report["lat"], 0.5), load_p99=pct(report["lat"], 0.99))
    # latency: paced single publishes
    proc = child_consumer(data, events, args.cross_events, args.poll, "bench-x-lat")
    calls = publish_paced(wb, args.cross_events, args.cross_gap / 1000)
    out, err = proc.communicate(timeout=3600)
    report = json.loads(out.strip().splitlines()[-1])
    wb.close()
    results.update(p50=pct(report["lat"], 0.5), p99=pct(report["lat"], 0.99),
                   call_p50=pct(calls, 0.5), handled=len(report["lat"]))
    return results


def websocket(data: Path, events: str, args) -> dict:
    from workbench.server import BackgroundServer, create_app

    wb = open_wb(data, events, args.poll)
    app = create_app(wb, token="bench")
    with BackgroundServer(app) as server:
        url = server.url.replace("http", "ws") + "/api/events/live?token=bench&types=bench.tick"
        proc = subprocess.Popen([sys.executable, "-c", WS_CLIENT, url, str(args.ws_events)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(proc.stderr.read()[-2000:])
        while len(server.server.server_state.connections) < 1:
            time.sleep(0.01)
        time.sleep(0.2)  # the connection is accepted; let the server subscribe it
        calls = publish_paced(wb, args.ws_events, args.gap / 1000)
        out, err = proc.communicate(timeout=600)
    wb.close()
    lat = json.loads(out.strip().splitlines()[-1])["lat"]
    return {"p50": pct(lat, 0.5), "p99": pct(lat, 0.99), "call_p50": pct(calls, 0.5),
            "handled": len(lat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--latency-events", type=int, default=2000)
    parser.add_argument("--gap", type=float, default=5.0, help="ms between paced publishes")
    parser.add_argument("--cross-events", type=int, default=500)
    parser.add_argument("--cross-gap", type=float, default=20.0,
                        help="ms between paced publishes across processes")
    parser.add_argument("--ws-events", type=int, default=1000)
    parser.add_argument("--poll", type=float, default=0.02,
                        help="seconds between polls for other processes' events (DuckDB)")
    parser.add_argument("--backends", default="duckdb,redis")
    parser.add_argument("--only", default="one,two,ws",
                        help="stages: one (one process), two (two processes), ws (WebSocket)")
    args = parser.parse_args()

    from workbench.events import register_type

    register_type("bench.tick", TICK)
    tmp = Path(tempfile.mkdtemp(prefix="bench-events-"))
    redis_proc, redis_url = (start_redis(tmp) if "redis" in args.backends else (None, None))
    rows = []
    try:
        for backend in args.backends.split(","):
            url = "duckdb" if backend == "duckdb" else redis_url
            if url is None:
                print(f"skipping {backend}: no redis-server on PATH", file=sys.stderr)
                continue
            stages = {"one": ("one process", in_process), "two": ("two processes", across_processes),
                      "ws": ("WebSocket client", websocket)}
            for what, fn in (stages[k] for k in args.only.split(",")):
                data = tmp / f"{backend}-{what.replace(' ', '-')}"
                events = url if backend == "duckdb" else f"{url}?prefix={data.name}"
                print(f"{backend}: {what} ...", file=sys.stderr, flush=True)
                r = fn(data, events, args)
                rows.append([backend, what,
                             f"{r['publish_rate']:,.0f}" if "publish_rate" in r else "",
                             f"{r['e2e_rate']:,.0f}" if "e2e_rate" in r else "",
                             f"{r['load_p50']:.1f} / {r['load_p99']:.1f}" if "load_p50" in r else "",
                             f"{r['call_p50']:.2f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}"])
                print(json.dumps({"backend": backend, "what": what, **r}), file=sys.stderr)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(table(["backend", "consumer", "publish events/s (batched)",
                 "publish→handled events/s", "under load p50 / p99 ms",
                 "paced: publish call p50 ms", "paced p50 ms", "paced p99 ms"], rows))
    print(f"\n{args.events:,} events in batches of {args.batch:,}; paced: "
          f"{args.latency_events:,} single publishes {args.gap:g} ms apart in one process, "
          f"{args.cross_events:,} {args.cross_gap:g} ms apart across processes, "
          f"{args.ws_events:,} to the WebSocket client; DuckDB consumers poll every "
          f"{args.poll:g} s for other processes' events. os.getloadavg(): "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
