"""Records of asking: models, replies, tool calls, context, citations and answers.

Plain frozen dataclasses, so a notebook, a widget and the CLI show the same things and a
conversation's stored JSON can be read back into them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """One model a provider offers. ``context_window`` in tokens (None: unknown)."""

    provider: str
    name: str
    context_window: int | None = None
    tools: bool = False


@dataclass(frozen=True)
class ToolCall:
    """A tool the model asked for: ``arguments`` already parsed from JSON."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ChatReply:
    """A provider's answer to one chat request.

    ``usage``: ``{"prompt_tokens", "completion_tokens", "total_tokens"}`` when the server said;
    ``finish_reason``: "stop", "tool_calls", "length" ... (None: unknown).
    """

    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    model: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None


@dataclass(frozen=True)
class ContextItem:
    """One piece of context sent to the model (or left out: ``included=False``).

    ``kind``: "passage" (a search hit's text), "fact" (a graph fact about a hit's
    neighbourhood), "outline" (ranked signatures of the map), "history" (earlier turns).
    ``score``: the ranking score that put it there; ``reason``: why, in words; ``tokens``:
    its estimated size (see :mod:`workbench.ai.tokens`).
    """

    kind: str
    text: str
    tokens: int
    score: float = 0.0
    reason: str = ""
    path: str | None = None
    line_start: int | None = None
    line_end: int | None = None
    node: str | None = None
    included: bool = True

    @property
    def location(self) -> str | None:
        if not self.path:
            return None
        from .citations import cite  # it reads Citation from here

        return cite(self.path, self.line_start, self.line_end or self.line_start)


@dataclass(frozen=True)
class ContextRecord:
    """What went to the model for one question, why, and how many tokens.

    ``budget``: the tokens the context could use; ``tokens``: what the included items use;
    ``window``: the model's context window (tokens) it was fitted to; ``items``: included and
    left-out items, in the order they were considered; ``searched_for``: the text the
    passages were searched with when it is not the question alone (a follow-up's, with the
    question before it).
    """

    question: str
    project: str
    snapshot_id: int | None
    budget: int
    tokens: int
    window: int
    items: tuple[ContextItem, ...] = ()
    search: str = ""
    searched_for: str = ""

    @property
    def included(self) -> list[ContextItem]:
        return [i for i in self.items if i.included]

    def __repr__(self) -> str:
        """A summary, not the passages: items sent by kind, tokens used of the budget, the
        window and the first sources (``to_text()`` lists every item, ``frame()`` tabulates
        them, ``items`` holds their text)."""
        kinds: dict[str, int] = {}
        for i in self.included:
            kinds[i.kind] = kinds.get(i.kind, 0) + 1
        sent = ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "nothing"
        left = len(self.items) - len(self.included)
        sources = list(dict.fromkeys(i.location for i in self.included if i.location))
        shown = ", ".join(sources[:5]) + (f", … {len(sources) - 5} more"
                                          if len(sources) > 5 else "")
        return (f"<ContextRecord {self.question[:60]!r} in {self.project} (snapshot "
                f"{self.snapshot_id}): sent {sent}" + (f", {left} left out" if left else "")
                + f"; {self.tokens} of {self.budget} tokens, window {self.window}"
                + (f"; sources {shown}" if sources else "") + "; .to_text() for every item>")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["items"] = [asdict(i) for i in self.items]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ContextRecord":
        items = tuple(ContextItem(**i) for i in data.get("items") or ())
        return cls(**{**data, "items": items})

    def frame(self):
        """The items as a DataFrame: kind, location, node, score, tokens, included, reason."""
        import pandas as pd

        return pd.DataFrame(
            [(i.kind, i.location, i.node, round(i.score, 4), i.tokens, i.included, i.reason)
             for i in self.items],
            columns=["kind", "location", "node", "score", "tokens", "included", "reason"])

    def to_text(self) -> str:
        """A plain-text account: the budget, then one line per item (✓ sent, · left out)."""
        lines = [f"context for {self.question!r} in {self.project} (snapshot {self.snapshot_id}): "
                 f"{self.tokens} of {self.budget} tokens budgeted, in a window of {self.window}"]
        if self.searched_for:
            lines.append(f"passages searched for {self.searched_for!r}")
        for i in self.items:
            mark = "✓" if i.included else "·"
            where = i.location or i.node or ""
            lines.append(f" {mark} {i.kind:<8} {i.tokens:>5} tok  score {i.score:.3f}  {where}"
                         f"  ({i.reason})")
        return "\n".join(lines)


@dataclass(frozen=True)
class Citation:
    """A ``path:line_start-line_end`` range named in an answer; ``valid`` when the snapshot
    has that file and those lines (an invented one is kept, flagged ``valid=False``)."""

    path: str
    line_start: int
    line_end: int
    valid: bool

    def __str__(self) -> str:
        span = f"{self.line_start}" if self.line_start == self.line_end else \
            f"{self.line_start}-{self.line_end}"
        return f"{self.path}:{span}"


@dataclass(frozen=True)
class ToolRecord:
    """One tool call made while answering: arguments, result (as sent), tokens, time, error."""

    name: str
    arguments: dict[str, Any]
    result: str
    tokens: int
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class Answer:
    """The answer to a question.

    ``text``: the answer (invalid citations marked ``[not in snapshot]``); ``citations``: every
    ``path:line`` range it names, checked; ``context``: what was sent; ``extracted``: True when
    no model wrote it (the extractive provider); ``status``: "complete", or "partial" when a
    stream was cut or a cap ended the tool loop early; ``usage``: token use summed over calls;
    ``tool_calls``: :class:`ToolRecord` per call; ``latency``: seconds.
    """

    text: str
    citations: list[Citation]
    context: ContextRecord
    conversation_id: int
    provider: str
    model: str | None
    usage: dict[str, int]
    tool_calls: list[ToolRecord]
    extracted: bool
    status: str = "complete"
    latency: float = 0.0
    message_id: int | None = None

    @property
    def valid_citations(self) -> list[Citation]:
        return [c for c in self.citations if c.valid]

    def show_context(self) -> str:
        """The context record as text (what went to the model and why)."""
        return self.context.to_text()

    def _repr_markdown_(self) -> str:
        label = "extracted (no model)" if self.extracted else f"{self.provider}/{self.model}"
        cites = "\n".join(f"- `{c}`" + ("" if c.valid else " — **not in snapshot**")
                          for c in self.citations)
        return f"{self.text}\n\n*{label}*\n\n{cites}"
