"""Token counts without a tokenizer download: a conservative estimate with a measured margin.

The estimate splits text the way byte-pair encoders pre-split it and charges each piece:
a run of ASCII letters ``ceil(len/4)`` tokens (at least one per lower→upper case change, which
base64 and camelCase break on), digits ``ceil(len/3)``, a run of punctuation ``ceil(len/2)``,
any other whitespace run 1 (a single space before a word rides on it), every non-ASCII character 1.
The sum is multiplied by :data:`MARGIN`.

Measured against OpenAI's ``cl100k_base`` and ``o200k_base`` encodings (the larger count of the
two, computed with the ``bpe-openai`` package, whose Rust crate ships the vocabularies) on 2,656
Python and Markdown files, 16.8 MB (this package and README, the ``networkx`` and ``openai``
packages; ``benchmarks/bench_ask.py``): with the margin, estimate / real is at least 1.27 per
file, 1.69 for the median file and 1.63 over all of them. The margin is there for text unlike
code: long hex and base64 strings, accented and CJK text come within 1.03 to 1.15 of the real
count. So a budget filled by the estimate does not overflow a window counted by those encoders,
at the price of sending about a third less than would fit. ``tests/ai/test_safety.py`` repeats the check when ``bpe-openai``
is installed (the ``dev`` extra).
"""

from __future__ import annotations

import math
import re

MARGIN = 1.15
_PIECE = re.compile(
    r" ?[A-Za-z]+|[0-9]+|\s+|[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+|[^\x00-\x7f]")
_CASE = re.compile(r"[a-z][A-Z]")


def _raw(text: str) -> int:
    total = 0
    for match in _PIECE.finditer(text):
        piece = match.group()
        if piece[0] == " " and len(piece) > 1 and piece[1].isalpha():
            piece = piece[1:]  # a space before a word rides on it
        first = piece[0]
        if first.isascii() and first.isalpha():
            total += max(math.ceil(len(piece) / 4), len(_CASE.findall(piece)) + 1)
        elif first.isascii() and first.isdigit():
            total += math.ceil(len(piece) / 3)
        elif first.isspace():
            total += 1
        elif first.isascii():
            total += math.ceil(len(piece) / 2)
        else:
            total += 1
    return total


def count_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (an upper bound within the measured margin; 0 for "")."""
    if not text:
        return 0
    return math.ceil(_raw(text) * MARGIN)


def count_message_tokens(messages: list[dict]) -> int:
    """Estimated tokens of chat messages: contents, tool calls and 4 tokens of framing each."""
    total = 3
    for message in messages:
        total += 4 + count_tokens(str(message.get("content") or ""))
        for call in message.get("tool_calls") or ():
            fn = call.get("function") or {}
            total += 4 + count_tokens(str(fn.get("name", ""))) + \
                count_tokens(str(fn.get("arguments", "")))
    return total


def truncate_to_tokens(text: str, limit: int) -> str:
    """The longest prefix of ``text`` (cut at a line end when one is near) within ``limit``."""
    if count_tokens(text) <= limit:
        return text
    if limit <= 0:
        return ""
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits
        mid = (lo + hi + 1) // 2
        if count_tokens(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    cut = text[:lo]
    newline = cut.rfind("\n")
    if newline > lo * 0.7:
        cut = cut[:newline + 1]
    return cut
