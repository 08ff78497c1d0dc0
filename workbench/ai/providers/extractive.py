"""The ``extractive`` provider: no model, the offline default.

It answers from the context ``ask`` built, as any provider would receive it: the data blocks of
the last user message, best first. The answer quotes the best passages with their
``path:line`` ranges, then the graph facts about their neighbourhood, and says plainly that
it was extracted, not generated; a question about callers is answered first from the facts
of the best match (:func:`_callers`). Nothing leaves the machine.

A quote is the file's own lines, read from the snapshot through :attr:`ExtractiveProvider.source`
(``ask`` hands over its file reader), never the data block's copy: a block is written for a
model (``<<<`` defanged, hidden characters removed, secrets masked, a packaging key explained),
so it is not the source. A quote is whole lines of the passage, blank lines and doctest
prompts included, up to :data:`QUOTE_LINES` lines that are not blank: the passage's first line
(a definition's signature, a section's heading), then the run of lines that holds the most of
the question's words (the lines right after the first when none does, or when they do as well),
a line outside the quote standing for the lines left out between; when it shows less than the
passage, its heading says which lines it shows. A line that holds a
secret-looking value or a hidden character is never printed: the quote stops before it, and
says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...search.tokens import query_terms, tokenize
from ..records import ChatReply, ModelInfo
from ..safety import mask_secrets, reveal_hidden

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Config

_BLOCK = re.compile(r'<<<DATA source="([^"]*)" kind="([^"]*)"[^\n]*>>>\n(.*?)\n<<<END DATA>>>',
                    re.S)
PASSAGES = 3
QUOTE_LINES = 6
FACTS = 8
LABEL = "Extracted from the map, not generated (no model was used)."


_QUESTION = re.compile(r"^Question: (.*)$", re.M)
_RANGE = re.compile(r"^(.+):(\d+)(?:-(\d+))?$")
#: The margin before each quoted line: what follows it is the line exactly as the file has it.
QUOTE_MARGIN = "    "


def _unsafe(line: str) -> str | None:
    """Why ``line`` cannot be quoted as it is (a secret-looking value, a hidden character)."""
    if reveal_hidden(line)[1]:
        return "a hidden character"
    if mask_secrets(line)[1]:
        return "a secret-looking value"
    return None


def _lines(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def quote(source: str, body: str, read: Callable[[str], str | None] | None,
          terms: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
    """The heading and the quoted lines of the passage ``source`` (``path:a-b``); see the
    module docstring. ``terms``: the question's words as search reads them. Quoted lines
    start with :data:`QUOTE_MARGIN`; a line that does not stands for lines left out. ``body``
    (the data block's text) is quoted only when the file cannot be read, and the heading
    says so."""
    found = _RANGE.match(source)
    text = read(found.group(1)) if found and read is not None else None
    if found is None or text is None:
        return (f"{source} (as indexed, not read from the file)",
                [QUOTE_MARGIN + ln for ln in body.splitlines()[:QUOTE_LINES]])
    first = int(found.group(2))
    passage = text.splitlines()[first - 1:int(found.group(3) or first)]
    chosen = _chosen_lines(passage, terms)
    shown: list[tuple[int, str]] = []  # (line number, text)
    held = None  # (line number, why) of a line that cannot be shown
    for index in chosen:
        why = _unsafe(passage[index])
        if why is not None:
            held = (first + index, why)
            break
        shown.append((first + index, passage[index]))
    while shown and not shown[-1][1].strip():
        shown.pop()
    quoted = [number for number, _ in shown]
    runs, kept = _runs(quoted), set(quoted)
    said = ", ".join(_lines(a, b) for a, b in runs)
    heading = source
    if held is not None:
        heading += (f" ({said} shown; line {held[0]} holds {held[1]})" if shown
                    else f" (not quoted: line {held[0]} holds {held[1]})")
    elif any(line.strip() for n, line in enumerate(passage, first)
             if n not in kept):  # not just blank lines left
        heading += f" (trimmed: {said} shown)"
    lines: list[str] = []
    for (a, b), (c, _) in zip(runs, runs[1:] + [(None, None)]):
        lines.extend(QUOTE_MARGIN + passage[n - first] for n in range(a, b + 1))
        if c is not None:
            lines.append(f"  … ({_lines(b + 1, c - 1)} left out)")
    return heading, lines


def _chosen_lines(passage: list[str], terms: frozenset[str]) -> list[int]:
    """Indexes of the passage's lines to quote: all of them when no more than
    :data:`QUOTE_LINES` are not blank; else the first, then the run of
    ``QUOTE_LINES - 1`` lines that are not blank (with the blank lines among them) holding the
    most distinct words of ``terms``, then the most, the earliest run on a tie."""
    filled = [i for i, line in enumerate(passage) if line.strip()]
    if len(filled) <= QUOTE_LINES:
        return list(range(len(passage)))

    def words(line: str) -> set[str]:
        return terms & query_terms(line) if terms else set()

    head, rest = filled[0], filled[1:]
    found = [words(passage[i]) for i in rest]
    width = QUOTE_LINES - 1
    best, best_score = 0, (-1, -1)
    for start in range(0, len(rest) - width + 1):
        window = found[start:start + width]
        score = (len(set().union(*window)), sum(len(w) for w in window))
        if score > best_score:
            best, best_score = start, score
    run = rest[best:best + width]
    if best == 0:  # the lines right after the first: one run
        return list(range(head, run[-1] + 1))
    return [head, *range(run[0], run[-1] + 1)]


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted line numbers as runs of consecutive ones: ``[1, 2, 5]`` -> ``[(1, 2), (5, 5)]``."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _words_no_passage_uses(question: str, passages: list[tuple[str, str]]
                           ) -> tuple[list[str], bool]:
    """The question's words (as written, as search reads them) that none of the passages
    holds, when there are passages and they leave out most of those words (a vector search
    always finds a nearest passage, and a common word such as ``work`` alone matches one by
    chance), else ``[]``; and whether that is every word."""
    if not passages or not question:
        return [], False
    seen: set[str] = set()
    for _, body in passages:
        seen |= query_terms(body)
    written = set(tokenize(question))
    unmatched = sorted(w for w in written
                       if w not in seen and not set(tokenize(w, prose=True)) & seen)
    if 2 * len(unmatched) <= len(written):
        return [], False
    return unmatched, len(unmatched) == len(written)


#: A question about what calls or uses something ("and who calls it?", "callers of fmt").
_ASKS_CALLERS = re.compile(r"\b(?:callers?|call sites?)\b|\b(?:who|what|which|where)\b.*"
                           r"\b(?:calls?|called|uses?|used)\b", re.I)


#: Words of such a question that the graph's facts answer, not a passage.
_CALL_WORDS = frozenset({"call", "calls", "called", "caller", "callers", "use", "uses", "used"})


def _callers(question: str, facts: list[tuple[str, str]],
             passages: list[tuple[str, str]] = ()) -> str | None:
    """For a question about callers, what the graph facts of the best hit's node say calls
    it, or that they say nothing does (None for another question, or without facts). The
    facts hold a node's first edges only (see :mod:`..context`), so the list may be short.
    Calls are resolved statically, so a method called on an object of unknown type
    (``order.total()``) has callers the map does not hold: the code ``passages`` (source,
    text) that make such a call, neither listed already nor defining a method of that name
    themselves, are named as possible ones (not for a special method such as ``__init__``,
    which ``super()`` calls everywhere)."""
    if not facts or not _ASKS_CALLERS.search(question):
        return None
    node, body = facts[0]
    lines = [ln.lstrip("- ") for ln in body.splitlines() if ln.endswith(f" calls {node}")]
    owner, _, name = node.partition(":")[2].rpartition(".")
    listed = " ".join(lines)
    method = bool(owner) and name.isidentifier() and not name.startswith("__")
    called = re.compile(rf"\.{re.escape(name)}\s*\(") if method else None
    defined = re.compile(rf"\bdef\s+{re.escape(name)}\s*\(") if method else None
    possible = [source for source, text in passages
                if called is not None and called.search(text) and not defined.search(text)
                and f"({source})" not in listed]
    unseen = ("" if not possible else
              f"\nNot in the map, possibly callers: {', '.join(possible)} call `.{name}()` on an "
              "object whose type the map does not know (calls are resolved statically).")
    if not lines:
        return (f"The map records no call of {node}, the best match (calls are resolved "
                "statically: through an attribute of an object of unknown type, one is not "
                f"seen); `workbench query related {node} -p PROJECT` lists what it is linked to."
                + unseen)
    return f"What calls {node}, the best match, in the map:\n" + "\n".join(
        f"- {ln.removesuffix(f' calls {node}')}" for ln in lines) + unseen


class ExtractiveProvider:
    """Best passages and graph facts, labelled as extracted; see the module docstring."""

    name = "extractive"
    streams = False
    takes_tools = False
    extracts = True
    #: quoted lines start with this: ``ask`` leaves citation-like text in them as it is
    quote_margin = QUOTE_MARGIN

    def __init__(self, config: "Config | None" = None) -> None:
        self.config = config
        #: ``source(path)``: the text of a file of the snapshot asked about (None: none), from
        #: which passages are quoted; ``ask`` sets it. Without it a quote is the block's text,
        #: said to be as indexed.
        self.source: Callable[[str], str | None] | None = None

    def models(self) -> list[ModelInfo]:
        return [ModelInfo(self.name, "extractive", None, False)]

    def chat(self, messages: list[dict], *, model: str | None = None,
             tools: list[dict] | None = None, on_delta: Callable[[str], None] | None = None,
             response_format: dict | None = None, max_tokens: int | None = None,
             timeout: float | None = None) -> ChatReply:
        user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
        content = str(user.get("content") or "")
        blocks = _BLOCK.findall(content)
        passages = [(s, b) for s, k, b in blocks if k in ("code", "docs", "config", "text")]
        facts = [(s, b) for s, k, b in blocks if k == "facts"]
        asked = _QUESTION.search(content)
        question = asked.group(1) if asked else ""
        parts = [LABEL]
        callers = _callers(question, facts, [(s, b) for s, k, b in blocks if k == "code"])
        if callers:
            parts.append(callers)
        unmatched, every = _words_no_passage_uses(question, passages[:PASSAGES])
        if callers and set(unmatched) <= _CALL_WORDS:
            unmatched = []  # the graph's facts, not a passage, answer those words
        if unmatched:
            parts.append(f"No passage uses {'a word' if every else 'most words'} of the "
                         f"question ({', '.join(unmatched)}): the ones below are the nearest "
                         "by meaning, and may not answer it.")
        if passages:
            parts.append("Best passages for the question:")
            terms = frozenset(query_terms(question))
            for n, (source, body) in enumerate(passages[:PASSAGES], 1):
                heading, lines = quote(source, body, self.source, terms)
                parts.append("\n".join([f"{n}. {heading}", *lines]))
            more = [s for s, _ in passages[PASSAGES:PASSAGES + 5]]
            if more:
                parts.append("Also relevant: " + ", ".join(more))
        else:
            parts.append("The map has no passage that matches the question; try other words, "
                         "or map and index the project first.")
        fact_lines = [ln for _, body in facts for ln in body.splitlines() if ln.strip()][:FACTS]
        if fact_lines:
            parts.append("Graph facts:\n" + "\n".join(f"- {ln.lstrip('- ')}" for ln in fact_lines))
        text = "\n\n".join(parts)
        if on_delta is not None:
            on_delta(text)
        return ChatReply(text, [], "extractive", {}, "stop")
