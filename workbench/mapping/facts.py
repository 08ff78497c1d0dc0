"""What a parser learns from one file, independent of where the file sits in a repository.

Facts are keyed by the file's git blob sha and the parser version (the ``file_facts`` table),
so they must not depend on the path of the file or on other files: resolving an import to an
internal module happens later, in :mod:`workbench.mapping.build`, once every file is known.
Facts serialise to plain JSON so that worker processes can hand them back and the store can
keep them.
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
        # vars() of the (non-slotted) records instead of dataclasses.asdict, which deep-copies
        # every nested record and was a fifth of the parse time on large repositories
        raw = dict(vars(self))
        raw["definitions"] = [vars(d) for d in self.definitions]
        raw["imports"] = [vars(i) for i in self.imports]
        raw["calls"] = [vars(c) for c in self.calls]
        return json.dumps(raw, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "FileFacts":
        raw = json.loads(text)
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
