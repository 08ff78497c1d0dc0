"""A deterministic monorepo for the scale benchmark, written with one ``git fast-import`` stream.

``MonoSpec(files=100_000, commits=1_000_000)`` lays out packages of 20 files in seven languages
(Python about half, then TypeScript, Go, Java, Rust, Ruby, C) under
``<language>/s<NN>/g<NNN>/p<NNNNN>/``: no directory has more than a few dozen entries, as in a
real monorepo, so one commit's tree diff stays small. Every module imports one module of its
own package and one of a lower-numbered package of its language and calls into them, so the
map has a deep import graph to query. The first commits add the packages in slices of at most
2,000 files; every later commit edits one to three files picked by a Zipf-like popularity (a
few hot files, a long cold tail), a few hundred authors take turns (a ``.mailmap`` folds some
aliases), and every 500th commit merges a two-commit side branch. The result is repacked once
with a bitmap (no new delta search), as a server's copy would be.
"""

from __future__ import annotations

import bisect
import itertools
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

START = 1_420_070_400  # 2015-01-01T00:00:00Z
PACKAGE_FILES = 20
_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin:/usr/local/bin"}
#: (directory, extension, share of the packages)
LANGUAGES = (("python", ".py", 50), ("web", ".ts", 15), ("go", ".go", 10), ("java", ".java", 10),
             ("rust", ".rs", 5), ("ruby", ".rb", 5), ("native", ".c", 5))


@dataclass(frozen=True)
class MonoSpec:
    files: int = 100_000
    commits: int = 1_000_000
    authors: int = 400
    seed: int = 20261129
    merge_every: int = 500

    def tag(self) -> str:
        return f"f{self.files}-c{self.commits}-a{self.authors}-s{self.seed}-v2"

    @classmethod
    def scaled(cls, scale: float) -> "MonoSpec":
        """The full size times ``scale`` (0.1: 10,000 files and 100,000 commits)."""
        return cls(files=max(PACKAGE_FILES * 7, round(100_000 * scale)),
                   commits=max(100, round(1_000_000 * scale)))


def ensure_monorepo(root: Path, spec: MonoSpec) -> Path:
    """The bare repository for ``spec`` under ``root``, built first when missing."""
    target = root / f"{spec.tag()}.git"
    if (target / "synth-complete").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    _git(staging, "init", "-q", "--bare", "-b", "main")
    with subprocess.Popen(["git", "-C", str(staging), "fast-import", "--quiet", "--done"],
                          stdin=subprocess.PIPE, env=_ENV) as importer:
        assert importer.stdin is not None
        _Monorepo(spec, importer.stdin).write()
        importer.stdin.close()
        if importer.wait() != 0:
            raise RuntimeError("git fast-import failed")
    _git(staging, "repack", "-a", "-d", "-q", "-b", "--window=0")
    (staging / "synth-complete").write_text(spec.tag() + "\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def add_commit(repo: Path, path: str, content: bytes, message: str = "One more commit") -> None:
    """Commit ``content`` at ``path`` on top of ``main`` (what the re-map benchmark maps)."""
    stamp = b"Late Author <late@example.com> 1900000000 +0000"
    stream = b"".join([
        b"commit refs/heads/main\n", b"author %s\ncommitter %s\n" % (stamp, stamp),
        b"data %d\n%s\n" % (len(message), message.encode()), b"from refs/heads/main^0\n",
        b"M 100644 inline %s\ndata %d\n%s\n\ndone\n" % (path.encode(), len(content), content)])
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet", "--done"], input=stream,
                   check=True, env=_ENV)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=_ENV)


class _Monorepo:
    """Generates the stream; all randomness comes from one seeded generator."""

    def __init__(self, spec: MonoSpec, out: BinaryIO) -> None:
        self.spec, self.out = spec, out
        self.rng = random.Random(spec.seed)
        self.time = START
        packages = max(7, spec.files // PACKAGE_FILES)
        weights = list(itertools.accumulate(share for _, _, share in LANGUAGES))
        self.language = [bisect.bisect_right(weights, (p * 997) % weights[-1]) for p in range(packages)]
        self.by_language: dict[int, list[int]] = {}
        for package, lang in enumerate(self.language):
            self.by_language.setdefault(lang, []).append(package)
        self.rank = {package: i for lang in self.by_language.values() for i, package in enumerate(lang)}
        self.files = packages * PACKAGE_FILES
        self.revision = [0] * self.files
        ranks = list(range(1, self.files + 1))
        self.rng.shuffle(ranks)
        self.cum_weights = list(itertools.accumulate(1 / r ** 1.05 for r in ranks))
        self.authors = [(f"Dev {i:03d}", f"dev{i:03d}@example.com") for i in range(spec.authors)]
        self.author_weights = list(itertools.accumulate(1 / (i + 1) ** 0.8 for i in range(spec.authors)))

    # -- layout and content ------------------------------------------------------------------
    def directory(self, package: int) -> tuple[str, str]:
        """(directory of the package, extension of its files)."""
        lang = self.language[package]
        name, ext, _ = LANGUAGES[lang]
        rank = self.rank[package]
        return f"{name}/s{rank // 500:02d}/g{rank // 25:03d}/p{package:05d}", ext

    def path(self, index: int) -> str:
        package, number = divmod(index, PACKAGE_FILES)
        folder, ext = self.directory(package)
        stem = "__init__" if ext == ".py" and number == 0 else f"m{number:02d}"
        return f"{folder}/{stem}{ext}"

    def content(self, index: int) -> bytes:
        package, number = divmod(index, PACKAGE_FILES)
        lang = self.language[package]
        peers = self.by_language[lang]
        rank = self.rank[package]
        lower = peers[(rank * 7919) % rank] if rank else package  # a lower package of the language
        own = (number + 1) % PACKAGE_FILES or 1
        other = (number * 3 + 1) % PACKAGE_FILES or 1
        folder, ext = self.directory(package)
        lower_folder, _ = self.directory(lower)
        rev = self.revision[index]
        if ext == ".py":
            # every package directory has an __init__.py, so p00012/m03.py is module p00012.m03
            return (f'"""Module {number} of package {package}."""\nfrom p{package:05d} import m{own:02d}\n'
                    f"from p{lower:05d} import m{other:02d}\n\nREVISION = {rev}\n\n\n"
                    f"class Thing{number}:\n    def run(self):\n        return m{own:02d}.helper() + m{other:02d}.helper()\n\n\n"
                    f"def helper():\n    return Thing{number}().run() if REVISION < 0 else {number}\n").encode()
        if ext == ".ts":
            return (f'import {{ helper as own }} from "./m{own:02d}";\n'
                    f'import {{ helper as low }} from "../../../../{lower_folder}/m{other:02d}";\n\n'
                    f"export const REVISION = {rev};\n\nexport function helper(): number {{\n"
                    f"  return REVISION < 0 ? own() + low() : {number};\n}}\n").encode()
        if ext == ".go":
            return (f'package p{package:05d}\n\nimport low "example.com/mono/{lower_folder}"\n\n'
                    f"const Revision{number} = {rev}\n\nfunc Helper{number}() int {{\n"
                    f"\tif Revision{number} < 0 {{\n\t\treturn low.Helper{other}()\n\t}}\n\treturn {number}\n}}\n").encode()
        if ext == ".java":
            pkg, low = folder.replace("/", "."), lower_folder.replace("/", ".")
            return (f"package {pkg};\n\nimport {low}.M{other:02d};\n\npublic class M{number:02d} {{\n"
                    f"    static final int REVISION = {rev};\n\n    public int helper() {{\n"
                    f"        return REVISION < 0 ? new M{other:02d}().helper() : {number};\n    }}\n}}\n").encode()
        if ext == ".rs":
            return (f"use crate::p{lower:05d}::m{other:02d};\n\npub const REVISION: i64 = {rev};\n\n"
                    f"pub fn helper() -> i64 {{\n    if REVISION < 0 {{ m{other:02d}::helper() }} else {{ {number} }}\n}}\n").encode()
        if ext == ".rb":
            return (f'require_relative "m{own:02d}"\nrequire "{lower_folder}/m{other:02d}"\n\n'
                    f"module P{package:05d}\n  REVISION = {rev}\n\n  def self.helper\n"
                    f"    REVISION.negative? ? M{own:02d}.helper : {number}\n  end\nend\n").encode()
        return (f'#include "m{own:02d}.h"\n#include "../../../../{lower_folder}/m{other:02d}.h"\n\n'
                f"static const int revision = {rev};\n\nint helper_{package}_{number}(void) {{\n"
                f"    return revision < 0 ? helper_{lower}_{other}() : {number};\n}}\n").encode()

    # -- stream ------------------------------------------------------------------------------
    def _commit(self, ref: bytes, message: bytes, ops: list[bytes], merge: bytes | None = None,
                start: bytes | None = None) -> None:
        self.time += self.rng.randint(20, 300)
        name, email = self.rng.choices(self.authors, cum_weights=self.author_weights)[0]
        if self.rng.random() < 0.02:  # an alias the .mailmap folds
            name, email = name.lower(), email.replace("@example.com", "@old.example.com")
        stamp = f"{name} <{email}> {self.time} +0000".encode()
        out = self.out
        out.write(b"commit %s\nauthor %s\ncommitter %s\ndata %d\n%s\n" % (ref, stamp, stamp, len(message), message))
        if start is not None:
            out.write(b"from %s\n" % start)
        if merge is not None:
            out.write(b"merge %s\n" % merge)
        out.write(b"".join(ops))
        out.write(b"\n")

    def _modify(self, index: int) -> bytes:
        data = self.content(index)
        return b"M 100644 inline %s\ndata %d\n%s\n" % (self.path(index).encode(), len(data), data)

    def _edit(self, count: int) -> list[bytes]:
        chosen = sorted(set(self.rng.choices(range(self.files), cum_weights=self.cum_weights, k=count)))
        for index in chosen:
            self.revision[index] += 1
        return [self._modify(index) for index in chosen]

    def write(self) -> None:
        mailmap = "".join(f"{n} <{e}> {n.lower()} <{e.replace('@example.com', '@old.example.com')}>\n"
                          for n, e in self.authors).encode()
        written = 0
        for start in range(0, self.files, 2_000):  # the packages arrive in slices
            ops = [self._modify(i) for i in range(start, min(start + 2_000, self.files))]
            if start == 0:
                ops.append(b"M 100644 inline .mailmap\ndata %d\n%s\n" % (len(mailmap), mailmap))
                gomod = b"module example.com/mono\n\ngo 1.22\n"
                ops.append(b"M 100644 inline go.mod\ndata %d\n%s\n" % (len(gomod), gomod))
            self._commit(b"refs/heads/main", b"Add packages from file %d" % start, ops)
            written += 1
        while written < self.spec.commits:
            if written % self.spec.merge_every == 0 and self.spec.commits - written > 3:
                self.out.write(b"reset refs/heads/side\nfrom refs/heads/main\n\n")
                side: list[bytes] = []
                for step in range(2):
                    ops = self._edit(1 + int(self.rng.expovariate(1.2)))
                    self._commit(b"refs/heads/side", b"Side work %d.%d" % (written, step), ops)
                    side += ops
                    written += 1
                self._commit(b"refs/heads/main", b"Merge side branch %d" % written, side,
                             merge=b"refs/heads/side")
                written += 1
                continue
            self._commit(b"refs/heads/main", b"Change %d" % written,
                         self._edit(1 + int(self.rng.expovariate(1.2))))
            written += 1
        self.out.write(b"done\n")
