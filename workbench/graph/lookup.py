"""Turn what a user types into a node id.

Users name things the way they read them in code (``Flask.run``, ``app:Flask``), not by the
full qualified id, so lookup accepts a suffix of an id that starts on a segment boundary
(after ``.``, ``:`` or ``/``). A match must be unique: guessing between two nodes would make a
query silently answer about the wrong one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from workbench.domain import FILE_KINDS
from workbench.graph._cache import PerGraphCache
from workbench.graph._gc import collector_paused
from workbench.graph.errors import AmbiguousNode, NodeNotFound

#: How many candidates an :class:`AmbiguousNode` lists.
MAX_CANDIDATES = 10

_BOUNDARY = re.compile(r"[.:/]")


def _suffixes(node_id: str) -> Iterable[str]:
    """Every proper suffix of ``node_id`` that starts right after a segment separator."""
    for m in _BOUNDARY.finditer(node_id):
        start = m.end()
        if start < len(node_id):
            yield node_id[start:]


class NameIndex:
    """Exact, path and suffix lookups over the node ids of one graph.

    The suffix table is built on first use: a graph that is only queried by exact id never
    pays for it.
    """

    def __init__(self, node_ids: Iterable[str], file_paths: dict[str, str]) -> None:
        self._ids = frozenset(node_ids)
        self._paths: dict[str, list[str]] = defaultdict(list)
        for node_id, path in file_paths.items():
            self._paths[path].append(node_id)
        self._by_suffix: dict[str, list[str]] | None = None

    @classmethod
    def of(cls, g: nx.Graph) -> NameIndex:
        paths = {
            n: d["path"]
            for n, d in g.nodes(data=True)
            if d.get("kind") in FILE_KINDS and isinstance(d.get("path"), str)
        }
        return cls(g.nodes, paths)

    def _suffix_table(self) -> dict[str, list[str]]:
        if self._by_suffix is None:
            table: dict[str, list[str]] = defaultdict(list)
            with collector_paused():
                for node_id in self._ids:
                    for suffix in _suffixes(node_id):
                        table[suffix].append(node_id)
            self._by_suffix = dict(table)
        return self._by_suffix

    def by_path(self, path: str) -> str | None:
        """The file-level node whose ``path`` is exactly ``path``, if exactly one is."""
        matches = self._paths.get(path)
        return matches[0] if matches and len(matches) == 1 else None

    def resolve(self, name: str) -> str:
        """The id ``name`` stands for: exact id, else file path (``./`` in front allowed),
        else a unique suffix, else the id it spells as Python does (``pkg.mod.Class.method``
        for ``pkg.mod:Class.method``), when exactly one id is spelled so."""
        if name in self._ids:
            return name
        path = name[2:] if name.startswith("./") else name
        for matches in (self._paths.get(path), self._suffix_table().get(name)):
            if matches:
                if len(matches) == 1:
                    return matches[0]
                raise AmbiguousNode(name, sorted(matches)[:MAX_CANDIDATES])
        if ":" not in name:  # the module ends at one of the dots
            dots = [i for i, c in enumerate(name) if c == "."]
            spelled = [f"{name[:i]}:{name[i + 1:]}" for i in dots]
            found = [s for s in spelled if s in self._ids]
            if len(found) == 1:
                return found[0]
            if found:
                raise AmbiguousNode(name, sorted(found)[:MAX_CANDIDATES])
        raise NodeNotFound(name)


_names: PerGraphCache[NameIndex] = PerGraphCache(NameIndex.of)


def name_index(g: nx.Graph) -> NameIndex:
    """The (cached) :class:`NameIndex` of ``g``."""
    return _names.get(g)


def resolve_node(g: nx.Graph, name: str) -> str:
    """Resolve ``name`` to a node id of ``g``.

    Tries the exact id, then the ``path`` of a package/module/file node, then a suffix of an
    id on a segment boundary (``app:Flask`` and ``Flask`` both find ``flask.app:Flask``).
    Raises :class:`NodeNotFound` or :class:`AmbiguousNode` (with up to ten candidates).
    """
    return name_index(g).resolve(name)
