"""A monorepo on one machine: 100,000 files, 1,000,000 commits, mapped from an empty database.

    .venv/bin/python benchmarks/bench_monorepo.py [--scale 1.0] [--queries 200] [--remaps 3]
        [--body-remaps 3] [--rename-remaps 3] [--bench-dir data/bench] [--keep]

Builds (once, cached under ``<bench-dir>/monorepo/``) the repository of
``monorepo_synth.MonoSpec.scaled(scale)`` with ``git fast-import`` (``--scale 0.1``: 10,000 files
and 100,000 commits), then, each in a fresh process as a command would run:

1. the full map of a shared clone of it into an empty data directory (clone, list, parse every
   file, mine every commit, metrics, graph, store): wall time, the longest hold of the database
   file (``Database.hold_times()``), and memory sampled from ``/proc`` every 0.2 s: the largest
   single process and the sum over the mapping process and all its descendants (parser
   workers, git), and the processes that made up that sum at its peak (on stderr);
2. ``--remaps`` times (3): one more commit (one file edited, another each time) in the
   source, then a re-map: the fetch, the new commit's history, the changed file parsed, a new
   snapshot derived from the last; the median is the row, every time beside it (a single
   re-map moves by a second on a shared two-core machine). The edit rewrites the module's
   names but keeps ``helper``, the one name other modules look up in it. Then
   ``--body-remaps`` times (3) a commit that changes only the body of the last edited
   module's function (its surface kept), the common commit; then ``--rename-remaps`` times
   (3) a commit that renames that function and back (each one changes the name its 2,501
   callers look up: all of them are linked again). Then the last commit mapped whole
   (``force``), the re-map without derivation, for comparison;
3. ``impact`` on ``--queries`` random modules of the new snapshot (p50 / p95), after the cold
   load of the snapshot's query index.

The floor of the history part, one ``git log --numstat`` process over the same commits, is
timed in the same run. The workbench's bytecode is compiled first (``compileall``), as a
wheel install leaves it and as ``bench_speed.py`` does: otherwise, where
``PYTHONDONTWRITEBYTECODE`` is set, every re-map process compiles again from source the modules
changed since the last compile. Prints a markdown table with the goals beside each figure.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from _common import DEFAULT_BENCH_DIR  # noqa: E402
from monorepo_synth import MonoSpec, add_commit, ensure_monorepo  # noqa: E402

MAP = """
import json, os, sys, time
from pathlib import Path
from workbench import Config, Workbench
wb = Workbench(config=Config.from_env(data_dir=Path(sys.argv[1])))
started = time.perf_counter()
snap = wb.map(sys.argv[2], name=sys.argv[3] if len(sys.argv) > 3 else None,
              force=os.environ.get("BENCH_FORCE") == "1")
seconds = time.perf_counter() - started
holds = wb.store.db.hold_times()
print(json.dumps({"seconds": seconds, "longest_hold": max(holds), "holds": len(holds),
                  "whole_map_because": snap.stats.get("whole_map_because"),
                  "stats": {k: v for k, v in snap.stats.items() if isinstance(v, (int, float))}}))
"""

QUERIES = """
import json, random, statistics, sys, time
from pathlib import Path
from workbench import Config, Workbench
wb = Workbench(config=Config(data_dir=Path(sys.argv[1])))
started = time.perf_counter()
snap = wb.snapshot("mono")
index = snap.index
load = time.perf_counter() - started
nodes = snap.nodes
modules = sorted(nodes.loc[nodes["kind"] == "module", "id"])
sample = random.Random(0).sample(modules, min(int(sys.argv[2]), len(modules)))
times, sizes = [], []
for node in sample:
    t = time.perf_counter()
    answer = snap.impact(node)
    times.append(time.perf_counter() - t)
    sizes.append(len(answer))
times.sort()
print(json.dumps({"load": load, "p50": statistics.median(times),
                  "p95": times[min(len(times) - 1, int(0.95 * len(times)))],
                  "answers": sum(1 for s in sizes if s), "largest": max(sizes), "queries": len(times)}))
"""


class TreeMemory:
    """Samples the RSS of a process and all its descendants from /proc until stopped; a
    child that has not yet exec'd its own program shares its parent's pages and is left out."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every = pid, every
        self.largest = self.total = 0  # bytes
        #: (RSS in bytes, command line) of each process of the tree at the all-process peak
        self.at_peak: list[tuple[int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[tuple[int, int]]:
        """(pid, parent pid) of the process and its descendants."""
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as stat:
                        fields = stat.read().rsplit(b")", 1)[1].split()
                    children.setdefault(int(fields[1]), []).append(int(entry))
                except (OSError, IndexError, ValueError):
                    continue
        tree, todo = [], [(self.pid, 0)]
        while todo:
            pid, parent = todo.pop()
            tree.append((pid, parent))
            todo += [(child, pid) for child in children.get(pid, [])]
        return tree

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(self.every):
            total, seen = 0, []
            tree = self._tree()
            commands = {pid: _command(pid) for pid, _ in tree}
            for pid, parent in tree:
                # a child between its fork (or vfork) and its exec (the moment before it
                # becomes git) still runs its parent's program on its parent's pages: they
                # are shared, not more memory, and counting them again doubled the map's
                # size in a sample that happened to fall in that moment
                if parent in commands and commands[pid] == commands[parent]:
                    continue
                try:
                    with open(f"/proc/{pid}/statm", "rb") as statm:
                        rss = int(statm.read().split()[1]) * page
                except (OSError, IndexError, ValueError):
                    continue
                total += rss
                seen.append((rss, pid))
                self.largest = max(self.largest, rss)
            if total > self.total:
                self.total = total
                self.at_peak = [(rss, commands[pid]) for rss, pid in sorted(seen, reverse=True)]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _command(pid: int) -> str:
    """A process's command line, shortened (a map's Python child shows as ``python -c``)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            words = cmdline.read().split(b"\0")
    except OSError:
        return "?"
    shown = " ".join(w.decode(errors="replace") for w in words if w)
    return " ".join(shown.split())[:120]  # a ``python -c`` script's lines on one line


def peak_lines(memory: "TreeMemory") -> str:
    """The processes that made up ``memory``'s all-process peak, largest first."""
    return "; ".join(f"{rss / 2**20:,.0f} MB {command}" for rss, command in memory.at_peak)


def run_child(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[dict, float, TreeMemory]:
    """Run ``code`` in a fresh interpreter; its JSON answer, the process's wall time, memory."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    memory.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{err[-4000:]}")
    return json.loads(out.strip().splitlines()[-1]), wall, memory


def git_log_floor(repo: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["git", "-C", str(repo), "log", "--numstat"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 100,000 files, 1,000,000 commits")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--remaps", type=int, default=3,
                        help="re-maps after one more commit each; the row is their median")
    parser.add_argument("--body-remaps", type=int, default=3,
                        help="re-maps after an edit of a function's body only (the module's "
                             "surface kept)")
    parser.add_argument("--rename-remaps", type=int, default=3,
                        help="re-maps after renaming the function every other module of the "
                             "package calls (its callers linked again)")
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the data directory and the source")
    parser.add_argument("--no-floor", action="store_true", help="skip timing git log --numstat")
    parser.add_argument("--git-timeout", type=float, default=3600.0,
                        help="WORKBENCH_GIT_TIMEOUT of the maps: one git operation's budget in seconds "
                             "(the default 600 s may not cover mining a million commits on a busy machine)")
    args = parser.parse_args()

    compileall.compile_dir(Path(__file__).resolve().parents[1] / "workbench", quiet=1)
    spec = MonoSpec.scaled(args.scale)
    started = time.perf_counter()
    built = ensure_monorepo(args.bench_dir / "monorepo", spec)
    print(f"repository {built} ready in {time.perf_counter() - started:.0f}s", file=sys.stderr, flush=True)
    work = Path(tempfile.mkdtemp(prefix="wb-mono-"))
    try:
        source = work / "source.git"  # shares the built objects, so one more commit leaves them alone
        subprocess.run(["git", "clone", "-q", "--bare", "--shared", str(built), str(source)], check=True)
        data = work / "data"
        env = {"WORKBENCH_GIT_TIMEOUT": str(args.git_timeout)}
        floor = None if args.no_floor else git_log_floor(source)
        if floor is not None:
            print(f"floor: git log --numstat {floor:.1f}s", file=sys.stderr, flush=True)

        first, first_wall, first_mem = run_child(MAP, str(data), f"file://{source}", "mono", env=env)
        print(f"full map: {json.dumps(first)} process {first_wall:.1f}s, largest "
              f"{first_mem.largest / 2**20:.0f} MB, all {first_mem.total / 2**20:.0f} MB",
              file=sys.stderr, flush=True)
        print(f"full map's peak, by process: {peak_lines(first_mem)}", file=sys.stderr,
              flush=True)

        listed = subprocess.run(["git", "-C", str(source), "ls-tree", "-r", "--name-only", "main", "python/"],
                                capture_output=True, text=True, check=True).stdout.split()
        def remap_after(label: str, path: str, content: bytes):
            """One more commit of ``content`` at ``path``, then a re-map: (its JSON answer,
            the process's wall time, its memory)."""
            add_commit(source, path, content)
            run = run_child(MAP, str(data), "mono", env=env)
            print(f"{label}: {json.dumps(run[0])} process {run[1]:.1f}s", file=sys.stderr,
                  flush=True)
            return run

        # a module of the first package each time (imported by a tenth of the modules)
        remaps = [remap_after(f"re-map {n + 1}", listed[5 + n],
                              b'"""Edited %d."""\nfrom os import path\n\n\ndef helper():\n'
                              b'    return path.sep\n' % n)
                  for n in range(max(1, args.remaps))]
        # the median re-map (the higher of two middle ones) stands for them all in the table:
        # its time, process and memory
        again, again_wall, again_mem = sorted(remaps, key=lambda r: r[0]["seconds"])[len(remaps) // 2]
        every = [r[0]["seconds"] for r in remaps]
        # the common commit: a function's body changed, the module's surface (its names,
        # imports, __all__) kept, so no other module is linked again
        last = listed[5 + max(1, args.remaps) - 1]
        bodies = [remap_after(f"body-only re-map {n + 1}", last,
                              b'"""Edited, body %d."""\nfrom os import path\n\n\ndef helper():\n'
                              b'    return path.sep * %d\n' % (n, n + 2))
                  for n in range(max(0, args.body_remaps))]
        # the heavy commit: the function the other modules call renamed (and back), so that
        # every caller looks a changed name up and is linked again
        renames = [remap_after(f"rename re-map {n + 1}", last,
                               b'"""Edited, rename %d."""\nfrom os import path\n\n\ndef %s():\n'
                               b'    return path.sep\n'
                               % (n, b"helper_renamed" if n % 2 == 0 else b"helper"))
                   for n in range(max(0, args.rename_remaps))]
        # the same commit mapped whole (a new snapshot, nothing derived): what derivation saves
        whole, whole_wall, whole_mem = run_child(MAP, str(data), "mono",
                                                 env={**env, "BENCH_FORCE": "1"})
        print(f"whole re-map: {json.dumps(whole)} process {whole_wall:.1f}s", file=sys.stderr,
              flush=True)

        queries, _, query_mem = run_child(QUERIES, str(data), str(args.queries))
        print(f"queries: {json.dumps(queries)}", file=sys.stderr, flush=True)
        db_size = sum(p.stat().st_size for p in data.glob("*.duckdb*"))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    stats = first["stats"]
    print(f"\nMonorepo: {spec.files:,} files ({stats.get('files', 0):,.0f} mapped), {spec.commits:,} commits "
          f"(scale {args.scale:g}); database {db_size / 2**30:.2f} GB\n")
    print("| measure | value | goal |")
    print("|---|---:|---:|")
    print(f"| full map, wall (clone, parse, history, metrics, store) | {first['seconds']:.0f} s | < 600 s |")
    print(f"| full map, whole process | {first_wall:.0f} s | |")
    if floor is not None:
        print(f"| floor: one `git log --numstat` over the same history | {floor:.0f} s | |")
    print(f"| peak memory, largest process | {first_mem.largest / 2**20:,.0f} MB | |")
    print(f"| peak memory, all processes of the map | {first_mem.total / 2**20:,.0f} MB | < 4,096 MB |")
    print(f"| longest hold of the database file | {first['longest_hold']:.1f} s | |")
    derived = all(r[0]["stats"].get("derived_from") is not None for r in remaps)
    relinked = sorted({int(r[0]["stats"].get("relinked", 0)) for r in remaps})
    how = (f"derived, {' / '.join(f'{n:,}' for n in relinked)} Python modules linked again"
           if derived else "not all derived: " + "; ".join(
               str(r[0].get("whole_map_because")) for r in remaps))
    print(f"| re-map after one more commit, median of {len(every)} (one file each; {how}; every "
          f"one: {', '.join(f'{t:.2f}' for t in every)} s) | {again['seconds']:.2f} s | < 5 s |")
    print(f"| re-map, whole process / its peak memory (all) | {again_wall:.1f} s / {again_mem.total / 2**20:,.0f} MB | |")
    print(f"| re-map, longest hold of the database file | {again['longest_hold']:.2f} s | |")
    for title, runs in (("an edit of a function's body only", bodies),
                        ("renaming the function the other modules call", renames)):
        if runs:
            times = [r[0]["seconds"] for r in runs]
            linked = sorted({int(r[0]["stats"].get("relinked", 0)) for r in runs})
            print(f"| re-map after {title}, median of {len(times)} (the same module; "
                  f"{' / '.join(f'{n:,}' for n in linked)} linked again; every one: "
                  f"{', '.join(f'{t:.2f}' for t in times)} s) | "
                  f"{statistics.median(times):.2f} s | |")
    print(f"| the last commit mapped whole (`--force`), for comparison | {whole['seconds']:.2f} s "
          f"({whole['seconds'] / again['seconds']:.1f} × the median re-map) | |")
    print(f"| whole map, whole process / its peak memory (all) | {whole_wall:.1f} s / "
          f"{whole_mem.total / 2**20:,.0f} MB | |")
    print(f"| cold load of the snapshot's query index | {queries['load']:.1f} s | |")
    print(f"| `impact` p50 / p95 ({queries['queries']} modules; {queries['answers']} non-empty, largest "
          f"{queries['largest']:,}) | {queries['p50'] * 1000:.1f} / {queries['p95'] * 1000:.1f} ms | p95 < 100 ms |")
    print(f"| query process peak memory | {query_mem.largest / 2**20:,.0f} MB | |")
    print("\nmap stats: " + ", ".join(f"{k} {v:,.0f}" for k, v in sorted(stats.items())
                                      if k in ("files", "modules", "nodes", "edges", "commits", "parsed_now")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
