"""Where Python files sit in the module namespace, and what their imports point at.

Module names follow Python's import system (a module's name is its path below a ``sys.path``
entry, every directory between being a package): the question is which directories are the
``sys.path`` entries, the *roots*. The repository root always is one. For a top-level
regular package (a directory with ``__init__.py`` whose parent has none), the candidates are
its parent directory and every directory above it; the name chosen is:

1. the one the repository's own absolute imports use (``import top.b`` names the package
   ``top/b/`` as ``top.b``; ``from b import x`` names it ``b``), the most used winning;
2. else, from the nearest directory named ``src`` above it (``src/flask/app.py`` is
   ``flask.app``, ``libs/x/src/company/x/`` is ``company.x``, several ``src`` roots in one
   repository each counting);
3. else, from the repository root when the parent directory also holds plain modules (a
   ``top/`` with ``top/a.py`` is a namespace package, so ``top/b/`` is ``top.b``, as
   ``top/a.py`` is ``top.a``) and every directory on the way is a valid identifier (no
   import statement can name ``my-tool.x``), or when the parent is the repository root;
4. else, from the parent directory (``lib/pkg/x.py`` is ``pkg.x``: a source root).

The other candidates above the chosen root stay known as aliases (and those below it that
the code uses), so ``import top.b`` and ``import b`` both reach ``top/b/__init__.py``
whichever ``sys.path`` the code is run with. A directory without
``__init__.py`` inside a package is a namespace package (``src/flask/sansio/app.py`` is
``flask.sansio.app``). A file outside any regular package is named from the repository root
(``tests/test_app.py`` is ``tests.test_app``), or from the nearest ``src`` directory above it.
When two files would get the same name, the later path (in sorted order) is named from the
repository root instead, so names stay unique; of two roots holding a package of the same
name, the shallowest keeps plain names.

A directory whose name is no Python identifier (``my-tool/``, ``.github/``, ``2fa/``, a
keyword) can never be part of a dotted name: it is the root of every file below it
(``my-tool/cli.py`` is ``cli``, ``pkg/my-data/load.py`` is ``load``), whatever it holds.

A file is *not importable* when its name holds a dot (``config/settings.example.py``):
Python would read the dot as a package boundary; or when its name is otherwise no identifier
(``bump-version.py``, ``caf\\xe9.py`` in the text form of :mod:`workbench.repos.paths`; a
Django migration, ``migrations/0001_initial.py``, stays a module: Django imports it by name
with importlib); or
when a regular package of the same name sits beside it (``a/b.py`` next
to ``a/b/__init__.py``): Python imports the package. Such a file is kept as a file node with the reason, its own imports are
mapped, and no import statement ever resolves to it (``from config.settings import example``
is the attribute ``example`` of ``config/settings.py``).

Imports resolve to the longest internal module the statement names (``import a.b.c`` where only
``a.b`` is internal points at ``a.b``); ``from p import m`` points at the submodule ``p.m`` when it
exists; relative imports resolve against the importer's package; an absolute import from a
file outside any regular package (scripts, test directories) that matches nothing is tried as a
sibling file; whatever is left is external, named by its top-level name.
"""

from __future__ import annotations

import json
import keyword
import posixpath
import re
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

from .facts import ImportRef

STDLIB = frozenset(sys.stdlib_module_names)
#: Files of a project directory that are tools' entry points, not modules of a namespace
#: package: their presence does not make the directory a package portion.
_TOOL_SCRIPTS = frozenset({"setup.py", "conftest.py", "manage.py", "noxfile.py", "fabfile.py",
                           "tasks.py", "__main__.py", "dodo.py", "conf.py"})


@dataclass
class ModuleLayout:
    """Names of a snapshot's Python files.

    ``names``: path -> unique dotted module name, for every importable file; ``aliases``:
    other dotted names a module is importable as under another root -> its name (names
    claimed by two modules left out); ``unimportable``: path -> why no import can reach it;
    ``packages``: names of regular packages (``__init__.py``); ``dir_packages``: directory ->
    dotted name of the package it is (regular or namespace), where known.
    """

    names: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    unimportable: dict[str, str] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)
    dir_packages: dict[str, str] = field(default_factory=dict)
    #: the dotted names whose use by import statements chose a root -> how often they were
    #: used (prefixes counted), and ``choices``: the names weighed against each other, one
    #: list per top-level package (its candidate roots, nearest first). Which names are
    #: weighed depends on the paths alone: counts that leave every choice
    #: (:func:`root_choices`) as it was leave the layout as it was.
    evidence: dict[str, int] = field(default_factory=dict)
    choices: list[list[str]] = field(default_factory=list)

    def paths(self) -> dict[str, str]:
        """Module id -> path of every file: its dotted name, or its path when it is not
        importable (the map's node ids)."""
        found = {name: path for path, name in self.names.items()}
        found.update((path, path) for path in self.unimportable)
        return found

    #: The bytes :meth:`decode` read this layout from, when they are what :meth:`encode`
    #: gives: a derived map's layout is its base's, so its record keeps the same bytes
    #: instead of encoding 100,000 names again (a fifth of a second of the GIL on a
    #: monorepo). Not a field: two equal layouts are equal however they were made.
    _encoded = None

    def encode(self) -> bytes:
        """The layout as bytes (zlib-compressed JSON), kept with a snapshot's link record: a
        100,000-file monorepo's layout takes seconds to work out and 50 ms to read back.
        :attr:`evidence` and :attr:`choices` are not in them: the record keeps them
        (``link_records.evidence``), and :meth:`decode` takes them from there."""
        if self._encoded is not None:
            return self._encoded
        return zlib.compress(json.dumps(
            [self.names, self.aliases, self.unimportable, sorted(self.packages),
             self.dir_packages]).encode(), 1)

    @classmethod
    def decode(cls, data: bytes, evidence: dict[str, int], choices: list[list[str]],
               counts: dict[str, int] | None = None) -> "ModuleLayout":
        """The layout :meth:`encode` gave, with the ``evidence`` and ``choices`` of its
        snapshot's record. With ``counts`` (import evidence of the same paths whose
        :func:`root_choices` are the stored layout's), the layout :func:`module_layout` makes
        from those paths and counts: every name as stored, the evidence of the weighed names
        (the keys of ``evidence``) taken from ``counts``. Bytes kept before schema version
        29 also hold the evidence and choices, the same as their record's."""
        parts = json.loads(zlib.decompress(data))
        names, aliases, unimportable, packages, dir_packages = parts[:5]
        if counts is not None:
            used = Counter(counts)
            evidence = {name: used[name] for name in evidence}
        layout = cls(names, aliases, unimportable, set(packages), dir_packages, dict(evidence),
                     [list(c) for c in choices])
        if len(parts) == 5:
            layout._encoded = data
        return layout


def _dotted_path(path: str) -> str:
    stem = path[:-3] if path.endswith(".py") else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _relative(path: str, root: str) -> str:
    return path[len(root) + 1:] if root else path


#: Django's migration files (``app/migrations/0001_initial.py``): no import statement names
#: them, but Django imports each by its dotted name with importlib, which accepts the digits.
_MIGRATION = re.compile(r"^[0-9]\w*$", re.ASCII)


@lru_cache(maxsize=1 << 16)
def _identifier(part: str) -> bool:
    """True when ``part`` can be written in an import statement (an identifier, no keyword)."""
    return part.isidentifier() and not keyword.iskeyword(part)


def _not_importable(rel: str) -> str | None:
    """Why the path ``rel`` (below its root) cannot be a module name, or None."""
    *dirs, name = rel.split("/")
    stem = name[:-3] if name.endswith(".py") else name
    if "." in stem:
        return f"not importable: the file name {name!r} holds a dot, which Python reads as a package boundary"
    if not _identifier(stem) and not (dirs and dirs[-1] == "migrations" and _MIGRATION.match(stem)):
        return (f"not importable: the file name {name!r} is not a Python identifier, "
                "so no import statement can name it")
    for d in dirs:
        if not _identifier(d):
            return f"not importable: the directory {d!r} is not a valid package name"
    return None


def _bad_dir_root(directory: str) -> str | None:
    """The nearest directory at or above ``directory`` whose name is no Python identifier.

    No dotted name can pass through it (``my-tool/``, ``.github/``), so the files below it
    are named from it: it is a root, as a script run from it would have it on ``sys.path``.
    """
    while directory:
        if not _identifier(posixpath.basename(directory)):
            return directory
        directory = posixpath.dirname(directory)
    return None


def _src_root(directory: str) -> str | None:
    """The nearest directory named ``src`` at or above ``directory``."""
    while directory:
        if posixpath.basename(directory) == "src":
            return directory
        directory = posixpath.dirname(directory)
    return None


def module_layout(py_paths: list[str], imports: Iterable[str] = (),
                  evidence: dict[str, int] | None = None) -> ModuleLayout:
    """Name each ``.py`` path by Python's import rules (see the module docstring).

    ``imports`` are the dotted names the repository's absolute import statements mention
    (``a.b`` for ``import a.b``, ``a.b`` and ``a.b.c`` for ``from a.b import c``): the
    evidence of which root the code is run from. ``evidence`` instead gives the counts
    directly (an earlier layout's :attr:`ModuleLayout.evidence` of the same paths).
    """
    # an __init__.py at the repository root makes no package: the root is a sys.path entry
    # what is decided per directory is decided once for each (a package holds many files)
    directory_of = {p: posixpath.dirname(p) for p in py_paths}
    init_dirs = {directory_of[p] for p in py_paths if posixpath.basename(p) == "__init__.py"} - {""}
    in_package: dict[str, bool] = {}

    def inside(directory: str) -> bool:
        found = in_package.get(directory)
        if found is None:
            found = in_package[directory] = _inside_package(directory, init_dirs)
        return found

    loose_dirs = {directory_of[p] for p in py_paths
                  if directory_of[p] not in init_dirs and not inside(directory_of[p])
                  and posixpath.basename(p) not in _TOOL_SCRIPTS}
    used: Counter[str] = Counter(evidence or ())
    if evidence is None:
        used.update(import_prefixes(imports))

    layout = ModuleLayout()
    roots: dict[str, str | None] = {}  # path -> root (None: outside any regular package)
    candidates: dict[str, list[str]] = {}  # path -> other roots it is importable from
    chosen: dict[str, tuple[str, list[str]]] = {}  # top package dir -> (root, other roots)
    claims: dict[str, set[str]] = {}
    tops: dict[str, str] = {}
    for path in py_paths:
        directory = directory_of[path]
        top = tops.get(directory)
        if top is None:
            top = directory
            while top and (posixpath.dirname(top) in init_dirs or inside(top)):
                top = posixpath.dirname(top)
            tops[directory] = top
        if top not in init_dirs:  # not inside any regular package
            src = _src_root(directory)
            roots[path] = src if src is not None else None
            candidates[path] = [""] if src is not None else []
            continue
        if top not in chosen:
            chosen[top] = _choose_root(top, loose_dirs, used, layout)
        root, others = chosen[top]
        roots[path] = root
        candidates[path] = others
        first = _relative(top, root).split("/", 1)[0]
        if posixpath.join(root, first) in init_dirs:  # namespace portions may share a name
            claims.setdefault(first, set()).add(root)
    # Two roots holding a package of the same name: the shallowest keeps plain names.
    losers = {
        (top, root)
        for top, owners in claims.items() if len(owners) > 1
        for root in sorted(owners, key=lambda r: (r.count("/") if r else -1, r))[1:]
    }
    taken: set[str] = set()
    alias_claims: dict[str, set[str]] = {}
    bad_roots: dict[str, str | None] = {}
    for path in sorted(py_paths):
        root = roots[path]
        if root is not None and (_relative(path, root).split("/", 1)[0], root) in losers:
            root = ""
        directory = directory_of[path]
        bad = bad_roots.get(directory, False)
        if bad is False:
            bad = bad_roots[directory] = _bad_dir_root(directory)
        if bad is not None and len(bad) > len(root or ""):
            root = bad  # no name can pass through a directory that is no identifier
        rel = _relative(path, root or "")
        reason = _not_importable(rel)
        if reason is None and bad is not None and root == bad and rel == "__init__.py":
            reason = (f"not importable: the directory {posixpath.basename(bad)!r} is not a valid "
                      "package name, so no import can name the package it would make")
        if reason is None and path.endswith(".py") and path[:-3] in init_dirs:
            reason = (f"not importable: the package {posixpath.basename(path[:-3])}/ beside it "
                      "has the same name, and Python imports the package")
        if reason is not None:
            layout.unimportable[path] = reason
            continue
        name = _dotted_path(rel) or "__init__"
        if name in taken and _not_importable(path) is not None:
            layout.unimportable[path] = (f"not importable: another file has the module name {name!r} "
                                         "and the path from the repository root is no Python name")
            continue
        if name in taken:
            base = name = _dotted_path(path) or "__init__"
            suffix = 2
            while name in taken:
                name = f"{base}_{suffix}"
                suffix += 1
        taken.add(name)
        layout.names[path] = name
        if posixpath.basename(path) == "__init__.py":
            layout.packages.add(name)
            layout.dir_packages[directory] = name
        elif "." in name:
            layout.dir_packages.setdefault(directory, name.rpartition(".")[0])
        for other in candidates.get(path, ()):
            other_rel = _relative(path, other)
            if other != root and _not_importable(other_rel) is None:
                alias_claims.setdefault(_dotted_path(other_rel), set()).add(name)
    layout.aliases = {alias: next(iter(owners)) for alias, owners in alias_claims.items()
                      if len(owners) == 1 and alias not in taken and alias}
    return layout


def import_prefixes(imports: Iterable[str]) -> Iterator[str]:
    """Every dotted prefix of every name (``a``, ``a.b`` for ``a.b``): what evidence counts."""
    for ref in imports:
        parts = ref.split(".")
        for end in range(1, len(parts) + 1):
            yield ".".join(parts[:end])


def root_choices(choices: list[list[str]], counts: dict[str, int]) -> list[tuple[int, tuple]]:
    """What the evidence ``counts`` decide for each of a layout's ``choices``: the first
    most used name, and which names are used at all (all :func:`module_layout` reads)."""
    decided = []
    for names in choices:
        used = [counts.get(n, 0) for n in names]
        decided.append((used.index(max(used)), tuple(u > 0 for u in used)))
    return decided


def _choose_root(top: str, loose_dirs: set[str], used: Counter,
                 layout: ModuleLayout) -> tuple[str, list[str]]:
    """(root, other candidate roots) for the top-level regular package at ``top``; the names
    weighed go into the layout's ``evidence`` and ``choices``."""
    parent = posixpath.dirname(top)
    options = [parent]
    while options[-1]:
        options.append(posixpath.dirname(options[-1]))
    options = [r for r in options if _not_importable(_relative(top, r) + "/__init__.py") is None] or [""]
    evidence = {r: used[_dotted_path(_relative(top, r))] for r in options}
    names = [_dotted_path(_relative(top, r)) for r in options]
    layout.choices.append(names)
    for name in names:
        layout.evidence[name] = used[name]
    best = max(options, key=lambda r: evidence[r])
    if evidence[best] == 0:
        src = _src_root(parent)
        if src is not None and src in options:
            best = src
        elif not parent or (parent in loose_dirs and all(
                part.isidentifier() for part in parent.split("/"))):
            best = ""  # a namespace portion; `my-tool/` can be none (no import names it)
        else:
            best = parent
    # Names under roots above the chosen one start with a directory of the repository; a
    # name under a deeper root could be an outside package's, so it needs the code's use.
    others = [r for r in options if r != best and (len(r) < len(best) or evidence[r])]
    return best, others


def module_names(py_paths: list[str]) -> dict[str, str]:
    """Map each importable ``.py`` path to a unique dotted module name (no import evidence)."""
    return module_layout(py_paths).names


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
    """Resolves import statements of one snapshot against its set of module names.

    ``aliases`` are other names modules are importable as (:attr:`ModuleLayout.aliases`);
    every answer is a module's own name.
    """

    def __init__(self, modules: set[str], packages: set[str],
                 aliases: dict[str, str] | None = None) -> None:
        self.modules = modules
        self.packages = packages  # modules that are packages (from __init__.py)
        self.lookup = {**(aliases or {}), **{m: m for m in modules}}

    def _longest_internal(self, dotted: str) -> str | None:
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            found = self.lookup.get(".".join(parts[:end]))
            if found is not None:
                return found
        return None

    def _package_of(self, importer: str) -> str:
        if importer in self.packages:
            return importer
        return importer.rpartition(".")[0]

    def internal(self, dotted: str) -> str | None:
        """The internal module named exactly ``dotted``, or None."""
        return self.lookup.get(dotted)

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

    def resolve(self, importer: str, ref: ImportRef, package: str | None = None) -> list[Resolution]:
        """Return what one import statement points at (one entry per target).

        ``package`` is the importer's package when its name does not say it (a file node).
        """
        if package is None:
            package = self._package_of(importer)
        if ref.level:
            base = package
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
        sibling_base = importer.rpartition(".")[0] if importer in self.modules else package
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
            hit = self.lookup.get(sub) if sub else None
            if hit is None and target:
                hit = self._longest_internal(target)
            if hit and hit not in seen:
                seen.add(hit)
                results.append(Resolution(hit, None))
        return results
