"""Where Python files sit in the module namespace, and what their imports point at.

Module names follow how Python would import the files:

* a file inside a regular package (directories with ``__init__.py``) is named from the
  directory above its top-level package, so ``src/flask/app.py`` is ``flask.app`` and
  ``lib/pkg/x.py`` is ``pkg.x`` (``src/`` and other source roots are detected, not assumed);
* a directory without ``__init__.py`` inside a package is a namespace package
  (``src/flask/sansio/app.py`` is ``flask.sansio.app``);
* a file outside any package is named from the repository root (``tests/test_app.py`` is
  ``tests.test_app``; ``setup.py`` is ``setup``), with a leading ``src.`` dropped;
* when two files would get the same name, the later path (in sorted order) is named from the
  repository root instead, so names stay unique.

Imports resolve to the longest internal module the statement names (``import a.b.c`` where only
``a.b`` is internal points at ``a.b``); ``from p import m`` points at the submodule ``p.m`` when it
exists; relative imports resolve against the importer's package; an absolute import from a
file outside any regular package (scripts, test directories) that matches nothing is tried as a
sibling file; whatever is left is external, named by its top-level name.
"""

from __future__ import annotations

import posixpath
import sys
from dataclasses import dataclass

from .facts import ImportRef

STDLIB = frozenset(sys.stdlib_module_names)


def _dotted_path(path: str) -> str:
    stem = path[:-3] if path.endswith(".py") else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_names(py_paths: list[str]) -> dict[str, str]:
    """Map each ``.py`` path to a unique dotted module name."""
    init_dirs = {posixpath.dirname(p) for p in py_paths if posixpath.basename(p) == "__init__.py"}
    roots: dict[str, str | None] = {}
    claims: dict[str, set[str]] = {}
    for path in py_paths:
        directory = posixpath.dirname(path)
        root = directory
        while root and (root in init_dirs or _inside_package(root, init_dirs)):
            root = posixpath.dirname(root)
        if root == directory and directory not in init_dirs:
            roots[path] = None  # not inside any package
            continue
        roots[path] = root
        top = (path[len(root) + 1:] if root else path).split("/", 1)[0]
        claims.setdefault(top.removesuffix(".py"), set()).add(root)
    # Two source roots holding a package of the same name: the shallowest keeps plain names.
    losers = {
        (top, root)
        for top, owners in claims.items() if len(owners) > 1
        for root in sorted(owners, key=lambda r: (r.count("/") if r else -1, r))[1:]
    }
    names: dict[str, str] = {}
    taken: set[str] = set()
    for path in sorted(py_paths):
        root = roots[path]
        rel = path[len(root) + 1:] if root else path
        if root is None or (rel.split("/", 1)[0].removesuffix(".py"), root) in losers:
            name = _dotted_path(path)
            if name.startswith("src."):
                name = name[4:]
        else:
            name = _dotted_path(rel)
        name = name or "__init__"
        if name in taken:
            base = name = _dotted_path(path) or "__init__"
            suffix = 2
            while name in taken:
                name = f"{base}_{suffix}"
                suffix += 1
        taken.add(name)
        names[path] = name
    return names


def _inside_package(directory: str, init_dirs: set[str]) -> bool:
    """True when some ancestor of ``directory`` is a regular package (namespace subpackage)."""
    parent = posixpath.dirname(directory)
    while parent:
        if parent in init_dirs:
            return True
        parent = posixpath.dirname(parent)
    return False


@dataclass(frozen=True)
class Resolution:
    internal: str | None
    external: str | None


class ImportResolver:
    """Resolves import statements of one snapshot against its set of module names."""

    def __init__(self, modules: set[str], packages: set[str]) -> None:
        self.modules = modules
        self.packages = packages  # modules that are packages (from __init__.py)

    def _longest_internal(self, dotted: str) -> str | None:
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self.modules:
                return candidate
        return None

    def _package_of(self, importer: str) -> str:
        if importer in self.packages:
            return importer
        return importer.rpartition(".")[0]

    def internal(self, dotted: str) -> str | None:
        """The internal module named exactly ``dotted``, or None."""
        return dotted if dotted in self.modules else None

    def from_module(self, package: str, ref: ImportRef) -> str | None:
        """The internal module ``from X import ...`` reads names from, seen from ``package``.

        ``package`` is the importer's package (the module itself for an ``__init__``); None
        when X is not a module of the map.
        """
        if not ref.level:
            return self.internal(ref.target)
        base = package
        for _ in range(ref.level - 1):
            base = base.rpartition(".")[0]
        return self.internal(".".join(p for p in (base, ref.target) if p))

    def resolve(self, importer: str, ref: ImportRef) -> list[Resolution]:
        """Return what one import statement points at (one entry per target)."""
        if ref.level:
            base = self._package_of(importer)
            for _ in range(ref.level - 1):
                base = base.rpartition(".")[0]
            target = ".".join(p for p in (base, ref.target) if p)
            return self._from_targets(target, ref.names) or [Resolution(None, None)]
        if ref.names:
            found = self._from_targets(ref.target, ref.names)
        else:
            hit = self._longest_internal(ref.target)
            found = [Resolution(hit, None)] if hit else []
        if found:
            return found
        sibling_base = importer.rpartition(".")[0]
        # Script-style imports of a sibling file only happen outside regular packages
        # (Python 3 has no implicit relative imports): `import json` in a package module is
        # the standard library even when a `json.py` sits next to it.
        if sibling_base and sibling_base not in self.packages:
            sibling = f"{sibling_base}.{ref.target}"
            hit = self._longest_internal(sibling)
            if hit and hit != sibling_base and hit.startswith(sibling_base + "."):
                return [Resolution(hit, None)]
        top = ref.target.split(".")[0]
        return [Resolution(None, top)] if top else [Resolution(None, None)]

    def _from_targets(self, target: str, names: tuple[str, ...]) -> list[Resolution]:
        results: list[Resolution] = []
        seen: set[str] = set()
        for name in names or ("",):
            sub = f"{target}.{name}" if target and name and name != "*" else None
            hit = sub if sub in self.modules else self._longest_internal(target) if target else None
            if hit and hit not in seen:
                seen.add(hit)
                results.append(Resolution(hit, None))
        return results
