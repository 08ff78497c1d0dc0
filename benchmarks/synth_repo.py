"""A deterministic synthetic repository for history benchmarks, written with ``git fast-import``.

The history imitates a real project's skew: file popularity follows a Zipf law (a few hot files
take most of the edits, most files are cold), changesets are usually one to three files with
an occasional mass change, side branches are merged back regularly, files are renamed now and
then, and a few binary files change too. One fast-import stream builds it in seconds, where
20,000 ``git commit`` calls would take many minutes.
"""

from __future__ import annotations

import itertools
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

START = 1_546_300_800  # 2019-01-01T00:00:00Z
_ENV_FREE = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin:/usr/local/bin"}


@dataclass(frozen=True)
class SynthSpec:
    commits: int = 20_000
    files: int = 2_000
    authors: int = 40
    seed: int = 20240601
    binary_files: int = 20

    def tag(self) -> str:
        return f"c{self.commits}-f{self.files}-a{self.authors}-s{self.seed}-v1"


def ensure_repo(root: Path, spec: SynthSpec = SynthSpec()) -> Path:
    """Return the repository for ``spec`` under ``root``, building it first if it is missing."""
    target = root / spec.tag()
    if (target / ".synth-complete").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    _git(staging, "init", "-q", "-b", "main")
    with subprocess.Popen(
        ["git", "-C", str(staging), "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE, env=_ENV_FREE,
    ) as importer:
        assert importer.stdin is not None
        _History(spec, importer.stdin).write()
        importer.stdin.close()
        if importer.wait() != 0:
            raise RuntimeError("git fast-import failed")
    _git(staging, "repack", "-a", "-d", "-q")
    _git(staging, "reset", "-q", "--hard", "main")
    (staging / ".git" / "info" / "exclude").write_text(".synth-complete\n")
    (staging / ".synth-complete").write_text(spec.tag() + "\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=_ENV_FREE)


class _History:
    """Generates the fast-import stream; all randomness comes from one seeded generator."""

    def __init__(self, spec: SynthSpec, out: BinaryIO) -> None:
        self.spec = spec
        self.out = out
        self.rng = random.Random(spec.seed)
        self.mark = 0
        self.time = START
        self.renames = 0
        dirs = [f"pkg{d:02d}/mod{m}" for d in range(40) for m in range(5)]
        self.paths = [
            f"{self.rng.choice(dirs)}/file{i:04d}.{'bin' if i % (spec.files // spec.binary_files) == 7 else 'py'}"
            for i in range(spec.files)
        ]
        # Zipf-like popularity: the file at rank r is picked with weight 1 / r^1.1.
        ranks = list(range(1, spec.files + 1))
        self.rng.shuffle(ranks)
        self.cum_weights = list(itertools.accumulate(1 / r**1.1 for r in ranks))
        self.authors = [(f"Dev {i:02d}", f"dev{i:02d}@example.com") for i in range(spec.authors)]
        self.author_weights = [1 / (i + 1) for i in range(spec.authors)]

    # -- stream primitives -------------------------------------------------------------------
    def _data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def _commit(self, parents: list[int], ops: list[bytes], message: str) -> int:
        self.mark += 1
        self.time += self.rng.randint(60, 8_000)
        name, email = self.rng.choices(self.authors, self.author_weights)[0]
        stamp = f"{name} <{email}> {self.time} +0000".encode()
        self.out.write(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\n" % (self.mark, stamp, stamp))
        self._data(message.encode())
        if parents:
            self.out.write(b"from :%d\n" % parents[0])
            for other in parents[1:]:
                self.out.write(b"merge :%d\n" % other)
        for op in ops:
            self.out.write(op)
        self.out.write(b"\n")
        return self.mark

    @staticmethod
    def _modify(path: str, content: bytes) -> bytes:
        return b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(content), content)

    # -- content -------------------------------------------------------------------------------
    def _new_content(self, index: int) -> list[bytes]:
        return [b"line %d.%d\n" % (index, n) for n in range(self.rng.randint(5, 120))]

    def _edit(self, lines: list[bytes], index: int) -> list[bytes]:
        lines = list(lines)
        grow = len(lines) < 400
        for _ in range(self.rng.randint(0, 6 if grow else 2)):
            lines.insert(self.rng.randint(0, len(lines)), b"add %d.%d\n" % (index, self.rng.getrandbits(30)))
        for _ in range(min(self.rng.randint(0, 3 if grow else 7), max(len(lines) - 1, 0))):
            del lines[self.rng.randrange(len(lines))]
        for _ in range(self.rng.randint(0, 2)):
            if lines:
                lines[self.rng.randrange(len(lines))] = b"mod %d.%d\n" % (index, self.rng.getrandbits(30))
        return lines

    def _render(self, path: str, lines: list[bytes]) -> bytes:
        if path.endswith(".bin"):
            return b"\x00BIN" + bytes(self.rng.getrandbits(8) for _ in range(64))
        return b"".join(lines)

    # -- history -------------------------------------------------------------------------------
    def _changes(self, state: dict[int, list[bytes]], current: dict[int, str]) -> list[bytes]:
        """Edit a changeset of files in ``state`` (index -> lines) and return the operations."""
        size = self.rng.randint(40, 90) if self.rng.random() < 0.01 else min(1 + int(self.rng.expovariate(0.8)), 12)
        chosen = set(self.rng.choices(range(self.spec.files), cum_weights=self.cum_weights, k=size))
        ops = []
        for index in sorted(chosen):
            state[index] = self._edit(state[index], index) if index in state else self._new_content(index)
            ops.append(self._modify(current[index], self._render(current[index], state[index])))
        return ops

    def _maybe_rename(self, state: dict[int, list[bytes]], current: dict[int, str]) -> list[bytes]:
        candidates = [i for i in state if not current[i].endswith(".bin")]
        if not candidates or self.rng.random() >= 0.005:
            return []
        index = self.rng.choice(candidates)
        old = current[index]
        self.renames += 1
        new = old.rsplit("/", 1)[0] + f"/renamed{self.renames:03d}_" + old.rsplit("/", 1)[1]
        current[index] = new
        ops = [b"R %s %s\n" % (old.encode(), new.encode())]
        if self.rng.random() < 0.5:  # a small edit in the same commit, still a rename for -M
            state[index] = state[index] + [b"renamed %d\n" % self.renames]
            ops.append(self._modify(new, b"".join(state[index])))
        return ops

    def write(self) -> None:
        main_state: dict[int, list[bytes]] = {}
        paths = dict(enumerate(self.paths))
        head = 0
        written = 0
        total = self.spec.commits
        while written < total:
            if written > 50 and self.rng.random() < 0.02 and total - written > 12:
                head, written = self._side_branch(head, main_state, paths, written)
                continue
            ops = self._maybe_rename(main_state, paths) + self._changes(main_state, paths)
            head = self._commit([head] if head else [], ops, f"change {written}")
            written += 1
        self.out.write(b"done\n")

    def _side_branch(self, head: int, main_state: dict, paths: dict, written: int) -> tuple[int, int]:
        """A feature branch of a few commits, a few main commits meanwhile, then a merge.

        The merge takes the branch's version of every file the branch touched (renames stay on
        main), so its tree is a real combination of both sides.
        """
        side_state = {i: list(lines) for i, lines in main_state.items()}
        side = head
        touched: set[int] = set()
        for _ in range(self.rng.randint(2, 6)):
            before = {i: side_state.get(i) for i in range(self.spec.files)}
            side = self._commit([side], self._changes(side_state, paths), f"feature work {written}")
            touched |= {i for i in side_state if side_state[i] is not before[i]}
            written += 1
        for _ in range(self.rng.randint(0, 3)):
            head = self._commit([head], self._changes(main_state, paths), f"change {written}")
            written += 1
        ops = []
        for index in sorted(touched):
            main_state[index] = side_state[index]
            ops.append(self._modify(paths[index], self._render(paths[index], main_state[index])))
        head = self._commit([head, side], ops, f"Merge feature into main ({written})")
        return head, written + 1
