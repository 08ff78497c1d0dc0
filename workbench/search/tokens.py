"""A tokeniser for code and prose, and the hashed term ids BM25 stores.

Identifiers are split on dots, underscores and camelCase, and the whole identifier is kept
too: ``getUserName`` gives ``getusername get user name``; ``os.path.join`` gives
``os.path.join os path join``. Terms are lower-cased and never stemmed, so an identifier is
matched as written. A short list of English function words is dropped, from documents and
queries alike.

**Prose** (documentation, commit messages, and the comments and docstrings of code) is also
normalised lightly: a plain lower-case word (letters only, no underscore, dot, digit or inner
capital, so never an identifier as code spells it) loses an English plural or ``-ing`` ending,
by the rules of the S-stemmer (Harman 1991: ``-ies`` to ``-y``, ``-es`` to ``-e``, ``-s``
dropped, never after ``u`` or ``s``) extended with ``-ing`` dropped and a final ``e`` dropped
(``tests``, ``testing`` -> ``test``; ``parsing``, ``parses``, ``parse`` -> ``pars``). A prose
word is stored in its normalised form; a query keeps each of its words as written and adds the
normalised form, so a query matches code by the name and prose by the word.

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


_PLAIN = re.compile(r"[A-Z]?[a-z]+")
_LINE_COMMENT = ("#", "//", "/*", "*", "--", ";")
_DOCSTRING = re.compile(r'"""|\'\'\'')
PROSE_KINDS = frozenset({"docs", "commits"})


@lru_cache(maxsize=200_000)
def normalise(word: str) -> str:
    """The prose form of a plain word (see the module docstring); other words unchanged."""
    if not _PLAIN.fullmatch(word):
        return word.lower()
    w = word.lower()
    if len(w) > 4 and w.endswith("ies") and not w.endswith(("eies", "aies")):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("es") and not w.endswith(("aes", "ees", "oes")):
        w = w[:-1]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("us", "ss")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":  # running -> run
            w = w[:-1]
    if len(w) > 4 and w.endswith("e") and not w.endswith(("ee", "ie")):
        w = w[:-1]
    return w


def tokenize(text: str, *, prose: bool = False) -> list[str]:
    """The terms of ``text`` in order, with repeats (see the module docstring); with
    ``prose``, plain words in their normalised form (:func:`normalise`)."""
    out: list[str] = []
    for word in _WORD.findall(text):
        terms = _split(word)
        if prose and terms and _PLAIN.fullmatch(word):
            out.append(normalise(word))
        else:
            out.extend(terms)
    return out


def query_terms(query: str) -> set[str]:
    """The terms a query looks up: its terms as written plus the prose forms of its words."""
    return set(tokenize(query)) | set(tokenize(query, prose=True))


def nothing_to_search(query: str) -> str | None:
    """Why ``query`` holds nothing a search can look up, or None when it holds something: a
    query of ASCII text with no term (punctuation, one-letter words, words as common as
    ``the`` or ``how``) would only get the nearest passages by chance. Text in other scripts
    is left to the vectors."""
    if query_terms(query) or not query.isascii():
        return None
    return (f"{query.strip()!r} has no word to search for (punctuation, one-letter words and "
            "words as common as 'the' or 'how' are left out); use names or words of the code, "
            "such as 'database lock' or 'parse_config'")


def code_terms(text: str) -> list[str]:
    """The terms of a code chunk: comment lines and triple-quoted docstrings as prose (a
    text rule, not a parser), every other line as code."""
    out: list[str] = []
    in_doc = False
    for line in text.splitlines():
        stripped = line.lstrip()
        marks = len(_DOCSTRING.findall(line))
        prose = in_doc or stripped.startswith(_LINE_COMMENT) or (
            marks > 0 and stripped.lstrip("rbuRBU").startswith(('"""', "'''")))
        out.extend(tokenize(line, prose=prose))
        if marks % 2:
            in_doc = not in_doc
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


_QUALIFIED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::?)[A-Za-z_][A-Za-z0-9_]*)+")


def qualified_names(text: str) -> list[str]:
    """The qualified names ``text`` spells out, as written, their parts joined by dots:
    ``Console.print``, ``rich.console:Console`` (``rich.console.Console``) and ``ns::Type``
    (``ns.Type``); a plain word is none."""
    return [re.sub(r"::?", ".", name) for name in _QUALIFIED.findall(text)]


@lru_cache(maxsize=500_000)
def term_id(term: str) -> int:
    """The stored id of a term: CRC-32 of its UTF-8 bytes (0 .. 2**32-1)."""
    return zlib.crc32(term.encode())


def term_counts(text: str, kind: str | None = None) -> tuple[list[int], list[int], int]:
    """``(term ids, counts, length)`` of a document of a chunk ``kind`` (``docs`` and
    ``commits`` are prose, ``code`` and ``config`` have prose in their comments; None: no
    prose): distinct term
    ids, how often each occurs, and the number of terms (BM25's document length)."""
    if kind in PROSE_KINDS:
        terms = tokenize(text, prose=True)
    elif kind in ("code", "config"):
        terms = code_terms(text)
    else:
        terms = tokenize(text)
    counts = Counter(term_id(t) for t in terms)
    return list(counts), [min(c, 65535) for c in counts.values()], sum(counts.values())
