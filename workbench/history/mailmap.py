"""A repository's ``.mailmap``, applied the way git applies it (``git check-mailmap``, ``%aN``).

Mined commits keep identities as written; the snapshot's own ``.mailmap`` (the blob at the
mapped commit) is applied when history is read for that snapshot. So a ``.mailmap`` added or
changed later applies to commits mined long before it, and the answer does not depend on the
order in which commits were mined.

The rules are git's (``mailmap.c``): a line is ``Proper Name <commit@email>``,
``<proper@email> <commit@email>``, ``Proper Name <proper@email> <commit@email>`` or
``Proper Name <proper@email> Commit Name <commit@email>``; ``#`` starts a comment line; e-mails
and names match without regard to ASCII case; an entry naming the commit name wins over one
for the e-mail alone; a later line for the same key replaces the fields it gives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..repos.git import Git

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _key(text: str) -> str:
    return text.translate(_ASCII_LOWER)


@dataclass
class _Entry:
    name: str | None = None
    email: str | None = None
    by_name: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)


def _name_and_email(text: str, allow_empty_email: bool) -> tuple[str | None, str | None, str | None]:
    """``(name, email, rest)`` of ``Name <email> rest``, or three Nones without ``<...>``."""
    left = text.find("<")
    right = text.find(">", left + 1) if left >= 0 else -1
    if left < 0 or right < 0 or (not allow_empty_email and right == left + 1):
        return None, None, None
    name = text[:left].strip(" \t\n\r\v\f") or None
    rest = text[right + 1:]
    return name, text[left + 1:right], rest or None


class Mailmap:
    """Parsed ``.mailmap`` text; :meth:`map` gives the canonical ``(name, email)``."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self._entries: dict[str, _Entry] = {}
        for line in text.split("\n"):
            if line.startswith("#"):
                continue
            name1, email1, rest = _name_and_email(line, False)
            if email1 is None:
                continue
            name2 = email2 = None
            if rest is not None:
                name2, email2, _ = _name_and_email(rest, True)
            self._add(name1, email1, name2, email2)

    def _add(self, new_name, new_email, old_name, old_email) -> None:
        if old_email is None:
            old_email, new_email = new_email, None
        entry = self._entries.setdefault(_key(old_email), _Entry())
        if old_name is None:
            if new_name is not None:
                entry.name = new_name
            if new_email is not None:
                entry.email = new_email
        else:
            entry.by_name[_key(old_name)] = (new_name, new_email)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def map(self, name: str, email: str) -> tuple[str, str]:
        """The identity git shows for a commit written by ``name <email>``."""
        entry = self._entries.get(_key(email))
        if entry is None:
            return name, email
        new_name, new_email = entry.by_name.get(_key(name), (entry.name, entry.email))
        return new_name or name, new_email or email

    def apply(self, commits: pd.DataFrame) -> pd.DataFrame:
        """``commits`` with author and committer names and e-mails mapped (a copy)."""
        if not self._entries or commits.empty:
            return commits
        out = commits.copy()
        for who in ("author", "committer"):
            if f"{who}_name" not in out:
                continue
            # identities repeat: map each distinct (name, e-mail) once, then spread by code
            joined = (out[f"{who}_name"].fillna("").astype(str) + "\0"
                      + out[f"{who}_email"].fillna("").astype(str))
            codes, distinct = pd.factorize(joined.to_numpy(dtype=object))
            mapped = [self.map(*pair.split("\0", 1)) for pair in distinct]
            names = np.array([m[0] for m in mapped], dtype=object)
            emails = np.array([m[1] for m in mapped], dtype=object)
            out[f"{who}_name"] = names[codes]
            out[f"{who}_email"] = emails[codes]
        return out

    def apply_arrow(self, commits: "pa.Table") -> "pa.Table":
        """:meth:`apply` for an Arrow table: each distinct identity is mapped once, in
        Python, and spread by its code (a million commits never become Python objects)."""
        if not self._entries or commits.num_rows == 0:
            return commits
        import pyarrow as pa
        import pyarrow.compute as pc

        for who in ("author", "committer"):
            if f"{who}_name" not in commits.column_names:
                continue
            names, emails = (pc.fill_null(commits.column(f"{who}_{part}").cast(pa.string()), "")
                             for part in ("name", "email"))
            joined = pc.binary_join_element_wise(names, emails, "\0").combine_chunks()
            codes = joined.dictionary_encode()
            mapped = [self.map(*pair.split("\0", 1)) for pair in codes.dictionary.to_pylist()]
            for part, values in (("name", [m[0] for m in mapped]),
                                 ("email", [m[1] for m in mapped])):
                column = pa.array(values, pa.string()).take(codes.indices)
                commits = commits.set_column(commits.schema.get_field_index(f"{who}_{part}"),
                                             f"{who}_{part}", column)
        return commits


def read_mailmap(repo: str | os.PathLike[str], commit: str, git: Git | None = None) -> str:
    """The text of ``.mailmap`` at the root of ``commit``'s tree, or ``""`` when it has none."""
    done = (git or Git()).run_raw(["cat-file", "blob", f"{commit}:.mailmap"], cwd=repo,
                                  what="reading .mailmap")
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


__all__ = ["Mailmap", "read_mailmap"]
