"""Resolving an import to a file of the same snapshot, or naming the external package.

Facts are computed per blob and know nothing of other files, so resolution happens once per
snapshot: build a :class:`Resolver` from every repository path (plus the facts of the files
and the text of ``go.mod`` / ``Cargo.toml`` manifests when available), then ask it about each
import. Lookups go through indexes built once (files by directory, by base name, by declared
package) so that resolving every import of a large repository stays linear.

A :class:`Resolution` is one of three things: internal (``internal`` is the canonical file,
``files`` every file the import stands for: all files of a Go package, all files of a Java
package for a wildcard), external (``external`` names the package: npm name with its scope,
Go module path, top Java/Kotlin segments, crate, header or gem), or neither: a relative import
whose target is missing from the snapshot.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..facts import FileFacts, ImportRef

_JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_COMPILED = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_JVM_EXTENSIONS = {"java": (".java", ".kt"), "kotlin": (".kt", ".java")}
_RUST_ROOTS = ("lib.rs", "main.rs", "mod.rs")
#: Go module hosts whose module path has three segments (host/owner/repo).
_GO_THREE_SEGMENT_HOSTS = frozenset({"github.com", "gitlab.com", "bitbucket.org", "golang.org"})

_GO_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"]+)\"?", re.MULTILINE)
_CARGO_NAME = re.compile(
    r"^\s*\[package\][^\[]*?^\s*name\s*=\s*\"([^\"]+)\"", re.MULTILINE | re.DOTALL
)


@dataclass(frozen=True)
class Resolution:
    """Where an import leads; see the module docstring for the three cases."""

    internal: str | None = None
    external: str | None = None
    files: tuple[str, ...] = ()

    @classmethod
    def to_files(cls, files: Iterable[str]) -> "Resolution":
        ordered = tuple(files)
        return cls(internal=ordered[0], files=ordered) if ordered else cls()


_UNRESOLVED = Resolution()


def parse_go_module(text: str) -> str | None:
    """The module path declared by a ``go.mod`` file."""
    match = _GO_MODULE.search(text)
    return match.group(1) if match else None


def parse_cargo_name(text: str) -> str | None:
    """The crate name declared by a ``Cargo.toml`` (``[package] name``), as Rust spells it."""
    match = _CARGO_NAME.search(text)
    return match.group(1).replace("-", "_") if match else None


def _decode(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _inside(path: str) -> str | None:
    """``path`` normalised, or None when it climbs out of the repository."""
    normal = posixpath.normpath(path)
    if normal.startswith("../") or normal == ".." or posixpath.isabs(normal):
        return None
    return "" if normal == "." else normal


def _encloses(directory: str, path: str) -> bool:
    return not directory or path.startswith(directory + "/")


def _common_prefix(a: str, b: str) -> int:
    parts_a, parts_b = a.split("/"), b.split("/")
    n = 0
    for x, y in zip(parts_a, parts_b):
        if x != y:
            break
        n += 1
    return n


class Resolver:
    """Resolves the imports of one snapshot.

    ``paths``: every file path of the snapshot (posix, relative to the repository root).
    ``facts``: per-path :class:`FileFacts`, used for declared packages / namespaces (Java,
    Kotlin, C#, PHP) and top-level names. ``manifests``: path -> text of ``go.mod`` and
    ``Cargo.toml`` files (other paths are ignored), for Go module paths and Rust crate names.
    """

    def __init__(
        self,
        paths: Iterable[str],
        facts: Mapping[str, FileFacts] | None = None,
        manifests: Mapping[str, str | bytes] | None = None,
    ) -> None:
        self.paths = frozenset(paths)
        self._by_dir: dict[str, list[str]] = defaultdict(list)
        self._by_name: dict[str, list[str]] = defaultdict(list)
        for path in sorted(self.paths):
            directory, name = posixpath.split(path)
            self._by_dir[directory].append(path)
            self._by_name[name].append(path)
        # (language family, declared package) -> files; and file -> its top-level names
        self._packages: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._top_names: dict[str, frozenset[str]] = {}
        for path, fact in sorted((facts or {}).items()):
            package = fact.extra.get("package") if fact.extra else None
            if package:
                self._packages[(_family(fact.language), package)].append(path)
            self._top_names[path] = frozenset(d.name for d in fact.definitions if not d.parent)
        self._go_modules: list[tuple[str, str]] = []  # (module path, directory)
        self._crates: dict[str, str] = {}  # crate name -> source directory
        for path, content in (manifests or {}).items():
            directory, name = posixpath.split(path)
            if name == "go.mod":
                module = parse_go_module(_decode(content))
                if module:
                    self._go_modules.append((module, directory))
            elif name == "Cargo.toml":
                crate = parse_cargo_name(_decode(content))
                if crate:
                    self._crates[crate] = posixpath.join(directory, "src")
        self._go_modules.sort(key=lambda item: -len(item[0]))
        self._methods = {
            "javascript": self._javascript, "typescript": self._javascript,
            "tsx": self._javascript, "go": self._go, "java": self._jvm, "kotlin": self._jvm,
            "c": self._c, "cpp": self._c, "csharp": self._csharp, "rust": self._rust,
            "ruby": self._ruby, "php": self._php,
        }

    def resolve(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        """Resolve ``ref``, found in file ``importer`` written in ``language``."""
        method = self._methods.get(language)
        if method is None or not ref.target:
            return _UNRESOLVED
        return method(language, importer, ref)

    # ------------------------------------------------------------------------ shared

    def _first_existing(self, candidates: Iterable[str | None]) -> Resolution:
        for candidate in candidates:
            if candidate is not None and candidate in self.paths:
                return Resolution(internal=candidate, files=(candidate,))
        return _UNRESOLVED

    def _by_suffix(self, suffix: str, near: str) -> str | None:
        """The file whose path ends with ``suffix`` (whole segments), nearest to ``near``."""
        name = posixpath.basename(suffix)
        matches = [p for p in self._by_name.get(name, ())
                   if p == suffix or p.endswith("/" + suffix)]
        if not matches:
            return None
        return min(matches, key=lambda p: (-_common_prefix(p, near), len(p), p))

    # ---------------------------------------------------------------- JavaScript / TS

    def _javascript(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        target = ref.target.split("?", 1)[0]
        if target.startswith("."):
            base = _inside(posixpath.join(posixpath.dirname(importer), target))
        elif target.startswith("/"):
            base = _inside(target.lstrip("/"))
        else:
            return Resolution(external=_npm_name(target))
        if base is None:
            return _UNRESOLVED
        return self._first_existing(_js_candidates(base))

    # -------------------------------------------------------------------------------- Go

    def _go(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        target = ref.target
        matching = [(module, directory) for module, directory in self._go_modules
                    if target == module or target.startswith(module + "/")]
        # two modules of one path (copies of one go.mod): the one holding the importer wins
        matching.sort(key=lambda item: (-len(item[0]), not _encloses(item[1], importer),
                                        -len(item[1])))
        if matching:
            module, directory = matching[0]
            rel = target[len(module):].lstrip("/")
            package_dir = posixpath.join(directory, rel) if rel else directory
            package_dir = _inside(package_dir) if package_dir else ""
            files = [p for p in self._by_dir.get(package_dir or "", ())
                     if p.endswith(".go") and not p.endswith("_test.go")]
            return Resolution.to_files(files)
        return Resolution(external=_go_name(target))

    # ------------------------------------------------------------------- Java / Kotlin

    def _jvm(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        segments = ref.target.split(".")
        extensions = _JVM_EXTENSIONS[language]
        if "*" in ref.names:
            files = list(self._packages.get(("jvm", ref.target), ()))
            if not files:
                files = self._jvm_directory("/".join(segments), extensions, importer)
            if files:
                return Resolution.to_files(files)
        else:
            # a.b.C, a.b.C.Inner, static a.b.C.member: the longest prefix naming a file wins
            for k in range(len(segments), 1, -1):
                package, name = ".".join(segments[: k - 1]), segments[k - 1]
                for ext in extensions:
                    found = self._by_suffix("/".join(segments[:k]) + ext, importer)
                    if found:
                        return Resolution(internal=found, files=(found,))
                declared = [p for p in self._packages.get(("jvm", package), ())
                            if _stem(p) == name or name in self._top_names.get(p, ())]
                if declared:
                    return Resolution.to_files(declared)
        return Resolution(external=".".join(segments[:2]))

    def _jvm_directory(self, directory: str, extensions: tuple[str, ...], near: str) -> list[str]:
        dirs = [d for d in self._by_dir if d == directory or d.endswith("/" + directory)]
        if not dirs:
            return []
        best = min(dirs, key=lambda d: (-_common_prefix(d, near), len(d), d))
        return [p for p in self._by_dir[best] if p.endswith(extensions)]

    # ------------------------------------------------------------------------------ C#

    def _csharp(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        files = self._packages.get(("csharp", ref.target))
        if files:
            return Resolution.to_files(files)
        namespace, _, name = ref.target.rpartition(".")
        declared = [p for p in self._packages.get(("csharp", namespace), ())
                    if name in self._top_names.get(p, ()) or _stem(p) == name]
        if declared:  # using static A.B.Type; using X = A.B.Type;
            return Resolution.to_files(declared)
        return Resolution(external=ref.target.split(".")[0])

    # --------------------------------------------------------------------------- C/C++

    def _c(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        target = ref.target
        if ref.kind == "include_local":
            beside = _inside(posixpath.join(posixpath.dirname(importer), target))
            if beside in self.paths:
                return Resolution(internal=beside, files=(beside,))
        found = self._by_suffix(posixpath.normpath(target), importer)
        if found:
            return Resolution(internal=found, files=(found,))
        return Resolution(external=target.split("/")[0])

    # ---------------------------------------------------------------------------- Rust

    def _rust(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        if ref.kind == "mod":
            base = _rust_module_dir(importer)
            return self._first_existing(
                [posixpath.join(base, f"{ref.target}.rs"),
                 posixpath.join(base, ref.target, "mod.rs")]
            )
        segments = [s for s in ref.target.split("::") if s]
        if ref.target.startswith("::") or not segments:
            return Resolution(external=segments[0] if segments else None)
        head, rest = segments[0], segments[1:]
        if head == "crate":
            directory = self._crate_dir(importer)
        elif head == "self":
            directory = _rust_module_dir(importer)
        elif head == "super":
            directory = _rust_module_dir(importer)
            while True:
                directory = posixpath.dirname(directory)
                if not rest or rest[0] != "super":
                    break
                rest = rest[1:]
        elif head in self._crates:
            directory = self._crates[head]
        else:
            return Resolution(external=head)
        if directory is None:
            return _UNRESOLVED
        for k in range(len(rest), 0, -1):
            path = posixpath.join(directory, *rest[:k])
            found = self._first_existing([path + ".rs", posixpath.join(path, "mod.rs")])
            if found.internal:
                return found
        return self._first_existing(posixpath.join(directory, root) for root in _RUST_ROOTS)

    def _crate_dir(self, importer: str) -> str | None:
        best = None
        for directory in self._crates.values():
            inside = importer.startswith(directory + "/")
            if inside and (best is None or len(directory) > len(best)):
                best = directory
        if best is not None:
            return best
        parts = importer.split("/")[:-1]  # no manifest known: the nearest enclosing src/
        for i in range(len(parts) - 1, -1, -1):
            if parts[i] == "src":
                return "/".join(parts[: i + 1])
        return None

    # ---------------------------------------------------------------------------- Ruby

    def _ruby(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        target = ref.target if ref.target.endswith(".rb") else ref.target + ".rb"
        if ref.kind == "require_relative" or target.startswith("."):
            beside = _inside(posixpath.join(posixpath.dirname(importer), target))
            return self._first_existing([beside])
        found = self._first_existing([posixpath.join("lib", target), target])
        if found.internal:
            return found
        found_path = self._by_suffix(target, importer) if "/" in target else None
        if found_path:
            return Resolution(internal=found_path, files=(found_path,))
        return Resolution(external=ref.target.split("/")[0])

    # ----------------------------------------------------------------------------- PHP

    def _php(self, language: str, importer: str, ref: ImportRef) -> Resolution:
        if ref.kind in ("require", "include"):
            beside = _inside(posixpath.join(posixpath.dirname(importer), ref.target))
            if ref.target.startswith("."):
                return self._first_existing([beside])
            found = self._first_existing([beside, _inside(ref.target)])
            if found.internal:
                return found
            path = self._by_suffix(posixpath.normpath(ref.target), importer)
            return Resolution(internal=path, files=(path,)) if path else _UNRESOLVED
        segments = [s for s in ref.target.split("\\") if s]
        if not segments:
            return _UNRESOLVED
        namespace, name = "\\".join(segments[:-1]), segments[-1]
        declared = [p for p in self._packages.get(("php", namespace), ())
                    if _stem(p) == name or name in self._top_names.get(p, ())]
        if declared:
            return Resolution.to_files(declared)
        # PSR-4: the namespace maps onto directories under some root (src/, app/...)
        for k in range(len(segments), 1, -1):
            path = self._by_suffix("/".join(segments[-k:]) + ".php", importer)
            if path:
                return Resolution(internal=path, files=(path,))
        return Resolution(external="\\".join(segments[:2]))


# ------------------------------------------------------------------------------ helpers

def _family(language: str) -> str:
    return "jvm" if language in ("java", "kotlin") else language


def _stem(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]


def _js_candidates(base: str) -> list[str]:
    candidates = [base]
    stem, ext = posixpath.splitext(base)
    # TypeScript ESM code imports './x.js' meaning the source './x.ts'
    candidates += [stem + alt for alt in _JS_COMPILED.get(ext, ())]
    candidates += [base + e for e in _JS_EXTENSIONS]
    candidates += [posixpath.join(base, "index" + e) for e in _JS_EXTENSIONS]
    return candidates


def _npm_name(target: str) -> str:
    target = target.removeprefix("node:")
    parts = target.split("/")
    if target.startswith("@") and len(parts) > 1:
        return "/".join(parts[:2])
    return parts[0]


def _go_name(target: str) -> str:
    """Module path of an external Go import: ``github.com/x/y`` from ``github.com/x/y/z``;
    standard library packages (no dot in the first segment) keep their whole path."""
    parts = target.split("/")
    if "." not in parts[0]:
        return target
    keep = 3 if parts[0] in _GO_THREE_SEGMENT_HOSTS else 2
    return "/".join(parts[:keep])


def _rust_module_dir(path: str) -> str:
    """Where the child modules of the module in file ``path`` live."""
    directory, name = posixpath.split(path)
    if name in _RUST_ROOTS:
        return directory
    return posixpath.join(directory, posixpath.splitext(name)[0])
