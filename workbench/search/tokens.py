"""A tokeniser for code and prose, and the hashed term ids BM25 stores.

Identifiers are split on dots, underscores and camelCase, and the whole identifier is kept
too: ``getUserName`` gives ``getusername get user name``; ``os.path.join`` gives
``os.path.join os path join``. Terms are lower-cased and never stemmed, so an identifier is
matched as written. A short list of English function words is dropped, from documents and
queries alike.

Terms are stored as 32-bit CRC-32 hashes (:func:`term_ids`): no vocabulary table to keep in
step across processes, and two terms sharing a hash is rare enough (about one in 4 billion per
pair) not to matter to a ranking.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|[0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

STOPWORDS = frozenset(
    "a an and are as at be by do does did for from how i in is it its of on or that the this "
    "to was we were what when where which who why will with you your can there these those "
    "into our us me my".split())


@lru_cache(maxsize=200_000)
def _split(word: str) -> tuple[str, ...]:
    """The terms of one regex match: the whole (lower-cased) and its parts."""
    whole = word.lower()
    out = [whole] if len(whole) > 1 and whole not in STOPWORDS else []
    parts = word.split(".") if "." in word else [word]
    for part in parts:
        low = part.lower().strip("_")
        if "." in word and low and low != whole and len(low) > 1 and low not in STOPWORDS:
            out.append(low)
        pieces = [s.lower() for piece in part.split("_") if piece for s in _CAMEL.findall(piece)]
        if len(pieces) > 1:
            out.extend(p for p in pieces if len(p) > 1 and p not in STOPWORDS)
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """The terms of ``text`` in order, with repeats (see the module docstring)."""
    out: list[str] = []
    for word in _WORD.findall(text):
        out.extend(_split(word))
    return out


def identifiers(text: str) -> list[str]:
    """The identifiers ``text`` spells out whole, lower-cased: ``HttpClient.get`` gives
    ``httpclient.get`` and ``get``; plain words count too (``cache``)."""
    out: list[str] = []
    for word in _WORD.findall(text):
        low = word.lower()
        if len(low) > 1 and low not in STOPWORDS:
            out.append(low)
            if "." in low:
                out.append(low.rsplit(".", 1)[-1])
    return out


@lru_cache(maxsize=500_000)
def term_id(term: str) -> int:
    """The stored id of a term: CRC-32 of its UTF-8 bytes (0 .. 2**32-1)."""
    return zlib.crc32(term.encode())


def term_counts(text: str) -> tuple[list[int], list[int], int]:
    """``(term ids, counts, length)`` of a document: distinct term ids, how often each occurs,
    and the number of terms (BM25's document length)."""
    counts = Counter(term_id(t) for t in tokenize(text))
    return list(counts), [min(c, 65535) for c in counts.values()], sum(counts.values())
