"""The ``extractive`` provider: no model, the offline default.

It answers from the context ``ask`` built, as any provider would receive it: the data blocks of
the last user message, best first. The answer quotes the leading lines of the best passages with
their ``path:line`` ranges, then the graph facts about their neighbourhood, and says plainly that
it was extracted, not generated. Nothing leaves the machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..records import ChatReply, ModelInfo

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Config

_BLOCK = re.compile(r'<<<DATA source="([^"]*)" kind="([^"]*)"[^\n]*>>>\n(.*?)\n<<<END DATA>>>',
                    re.S)
PASSAGES = 3
QUOTE_LINES = 6
FACTS = 8
LABEL = "Extracted from the map, not generated (no model was used)."


_QUESTION = re.compile(r"^Question: (.*)$", re.M)


def _words_no_passage_uses(content: str, passages: list[tuple[str, str]]) -> list[str]:
    """The question's words (as search reads them), when there are passages and none of them
    holds any of those words (a vector search always finds a nearest passage); else ``[]``."""
    from ...search.tokens import query_terms, tokenize

    asked = _QUESTION.search(content)
    if not passages or asked is None:
        return []
    terms = query_terms(asked.group(1))
    for _, body in passages:
        if terms & (set(tokenize(body)) | set(tokenize(body, prose=True))):
            return []
    return sorted(terms & set(tokenize(asked.group(1))))  # as written, not their prose forms


class ExtractiveProvider:
    """Best passages and graph facts, labelled as extracted; see the module docstring."""

    name = "extractive"
    streams = False
    takes_tools = False
    extracts = True

    def __init__(self, config: "Config | None" = None) -> None:
        self.config = config

    def models(self) -> list[ModelInfo]:
        return [ModelInfo(self.name, "extractive", None, False)]

    def chat(self, messages: list[dict], *, model: str | None = None,
             tools: list[dict] | None = None, on_delta: Callable[[str], None] | None = None,
             response_format: dict | None = None, max_tokens: int | None = None,
             timeout: float | None = None) -> ChatReply:
        user = next((m for m in reversed(messages) if m.get("role") == "user"), {})
        blocks = _BLOCK.findall(str(user.get("content") or ""))
        passages = [(s, b) for s, k, b in blocks if k in ("code", "docs", "config", "text")]
        facts = [b for s, k, b in blocks if k == "facts"]
        parts = [LABEL]
        unmatched = _words_no_passage_uses(str(user.get("content") or ""), passages[:PASSAGES])
        if unmatched:
            parts.append(f"No passage uses a word of the question ({', '.join(unmatched)}): "
                         "the ones below are the nearest by meaning, and may not answer it.")
        if passages:
            parts.append("Best passages for the question:")
            for n, (source, body) in enumerate(passages[:PASSAGES], 1):
                lines = [ln for ln in body.splitlines() if ln.strip()][:QUOTE_LINES]
                quoted = "\n".join(f"    {ln}" for ln in lines)
                parts.append(f"{n}. {source}\n{quoted}")
            more = [s for s, _ in passages[PASSAGES:PASSAGES + 5]]
            if more:
                parts.append("Also relevant: " + ", ".join(more))
        else:
            parts.append("The map has no passage that matches the question; try other words, "
                         "or map and index the project first.")
        fact_lines = [ln for body in facts for ln in body.splitlines() if ln.strip()][:FACTS]
        if fact_lines:
            parts.append("Graph facts:\n" + "\n".join(f"- {ln.lstrip('- ')}" for ln in fact_lines))
        text = "\n\n".join(parts)
        if on_delta is not None:
            on_delta(text)
        return ChatReply(text, [], "extractive", {}, "stop")
