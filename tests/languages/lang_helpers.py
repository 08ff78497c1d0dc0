"""Helpers shared by the language tests: summarise facts, and build a small repository."""

from __future__ import annotations

import textwrap

from workbench.mapping.facts import FileFacts
from workbench.mapping.languages import Resolver, language_for_path, parse_source

MANIFESTS = ("go.mod", "Cargo.toml")


def src(text: str) -> bytes:
    """Source bytes from an indented triple-quoted string."""
    return textwrap.dedent(text).lstrip("\n").encode()


def defs(facts: FileFacts) -> list[tuple]:
    """(kind, qualname, parent, line_start, line_end, bases, complexity) per definition."""
    return [(d.kind, d.qualname, d.parent, d.line_start, d.line_end, d.bases, d.complexity)
            for d in facts.definitions]


def imports(facts: FileFacts) -> list[tuple]:
    """(target, line, names, kind) per import."""
    return [(i.target, i.line, i.names, i.kind) for i in facts.imports]


def line_counts(facts: FileFacts) -> tuple[int, int, int, int]:
    return facts.lines, facts.code_lines, facts.comment_lines, facts.blank_lines


class Repo:
    """A repository of in-memory files: parses each supported one and resolves imports."""

    def __init__(self, files: dict[str, str | bytes]) -> None:
        self.data = {p: src(t) if isinstance(t, str) else t for p, t in files.items()}
        self.facts = {p: parse_source(lang, d) for p, d in self.data.items()
                      if (lang := language_for_path(p)) is not None}
        manifests = {p: d for p, d in self.data.items() if p.rsplit("/", 1)[-1] in MANIFESTS}
        self.resolver = Resolver(self.data, facts=self.facts, manifests=manifests)

    def resolve(self, path: str) -> list[tuple]:
        """(target, internal, external) for every import of ``path``, in order."""
        facts = self.facts[path]
        out = []
        for ref in facts.imports:
            r = self.resolver.resolve(facts.language, path, ref)
            out.append((ref.target, r.internal, r.external))
        return out
