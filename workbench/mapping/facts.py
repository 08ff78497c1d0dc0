"""What a parser learns from one file, independent of where the file sits in a repository.

Facts are keyed by the file's git blob sha and the parser version (the ``file_facts`` table),
so they must not depend on the path of the file or on other files: resolving an import to an
internal module happens later, in :mod:`workbench.mapping.build`, once every file is known.
Facts serialise to compact JSON (:meth:`FileFacts.to_json`) so that worker processes can hand
them back and the store can keep them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Definition:
    """A named definition inside a file: a class, function, method, struct, interface...

    ``qualname`` is the dotted path inside the file (``Class.method``); ``parent`` is the
    qualname of the enclosing definition, or ``""`` for top-level definitions.
    """

    kind: str
    name: str
    qualname: str
    line_start: int
    line_end: int
    parent: str = ""
    decorators: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    complexity: int | None = None


@dataclass(frozen=True)
class ImportRef:
    """One import statement as written.

    ``target`` is the module, package, header or path named by the statement (``os.path``,
    ``./util``, ``fmt``, ``stdio.h``); ``names`` the names taken from it (``from a import b, c``);
    ``level`` the number of leading dots of a Python relative import; ``aliases`` the local
    names given with ``as`` — aligned with ``names`` for ``from a import b as x`` (``""`` where
    a name has none), or the single alias of ``import a.b as x``. ``context`` says where the
    statement stands (:class:`~workbench.domain.ImportContext`: ``import_time``,
    ``conditional``, ``deferred`` or ``type_checking``); parsers that do not tell the cases
    apart (every language but Python) leave ``import_time``.
    """

    target: str
    line: int
    names: tuple[str, ...] = ()
    level: int = 0
    kind: str = "import"
    aliases: tuple[str, ...] = ()
    context: str = "import_time"


@dataclass(frozen=True)
class CallRef:
    """A call site: the caller's qualname inside the file and the callee expression as written."""

    caller: str
    callee: str
    line: int


@dataclass(frozen=True)
class FileFacts:
    """Everything one parser run found in one blob.

    ``problem`` is set when the file could not be parsed (or only partly); the rest of the
    facts then hold what could be recovered, never invented data.
    """

    language: str
    lines: int = 0
    code_lines: int = 0
    comment_lines: int = 0
    blank_lines: int = 0
    definitions: tuple[Definition, ...] = ()
    imports: tuple[ImportRef, ...] = ()
    calls: tuple[CallRef, ...] = ()
    problem: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The facts as compact JSON: a list led by :data:`FORMAT`, each record a list of its
        fields in declaration order (key names repeated in every record made the cache half
        again as large and its decoding twice as slow). Shape::

            [2, language, lines, code_lines, comment_lines, blank_lines,
             [[kind, name, qualname, line_start, line_end, parent, decorators, bases,
               complexity], ...],
             [[target, line, names, level, kind, aliases, context], ...],
             [[caller, callee, line], ...], problem, extra]
        """
        return json.dumps([
            FORMAT, self.language, self.lines, self.code_lines, self.comment_lines,
            self.blank_lines,
            [(d.kind, d.name, d.qualname, d.line_start, d.line_end, d.parent, d.decorators,
              d.bases, d.complexity) for d in self.definitions],
            [(i.target, i.line, i.names, i.level, i.kind, i.aliases, i.context)
             for i in self.imports],
            [(c.caller, c.callee, c.line) for c in self.calls],
            self.problem, self.extra,
        ], separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "FileFacts":
        """Facts from :meth:`to_json`'s text, or from the object form cached before it (one
        key per field; fields missing from it take their defaults)."""
        raw = json.loads(text)
        if isinstance(raw, dict):
            return cls._from_object(raw)
        (_, language, lines, code_lines, comment_lines, blank_lines, definitions, imports,
         calls, problem, extra) = raw
        return cls(
            language, lines, code_lines, comment_lines, blank_lines,
            tuple(Definition(kind, name, qualname, start, end, parent, tuple(decorators),
                             tuple(bases), complexity)
                  for kind, name, qualname, start, end, parent, decorators, bases, complexity
                  in definitions),
            tuple(ImportRef(target, line, tuple(names), level, kind, tuple(aliases), context)
                  for target, line, names, level, kind, aliases, context in imports),
            tuple(CallRef(caller, callee, line) for caller, callee, line in calls),
            problem, extra,
        )

    @classmethod
    def _from_object(cls, raw: dict) -> "FileFacts":
        return cls(
            language=raw["language"],
            lines=raw.get("lines", 0),
            code_lines=raw.get("code_lines", 0),
            comment_lines=raw.get("comment_lines", 0),
            blank_lines=raw.get("blank_lines", 0),
            definitions=tuple(
                Definition(**{**d, "decorators": tuple(d.get("decorators", ())),
                              "bases": tuple(d.get("bases", ()))})
                for d in raw.get("definitions", ())
            ),
            imports=tuple(
                ImportRef(**{**i, "names": tuple(i.get("names", ())),
                             "aliases": tuple(i.get("aliases", ()))})
                for i in raw.get("imports", ())
            ),
            calls=tuple(CallRef(**c) for c in raw.get("calls", ())),
            problem=raw.get("problem"),
            extra=raw.get("extra", {}),
        )

    def to_object(self) -> dict[str, Any]:
        """The facts as one JSON-ready object, a key per field (records too): the readable
        form, for tests and people, and what the cache held before :data:`FORMAT` 2."""
        raw = dict(vars(self))
        raw["definitions"] = [vars(d) for d in self.definitions]
        raw["imports"] = [vars(i) for i in self.imports]
        raw["calls"] = [vars(c) for c in self.calls]
        return json.loads(json.dumps(raw))


#: The layout :meth:`FileFacts.to_json` writes (the first element of its list); the object
#: form read back by :meth:`FileFacts.from_json` had no number.
FORMAT = 2
