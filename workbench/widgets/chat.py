"""Chat panel: ask the codebase, see the answer stream in, its citations and the context used.

A citation opens its source lines and marks its node on the map (``session.selected`` and
``session.highlight``, which the Map and Queries panels follow); an invented citation is
shown struck through and opens nothing. Conversations of the project are listed and can be
reopened: the next question continues the one open.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..ai.errors import CitationNotFound
from ..errors import WorkbenchError
from .base import Panel, error_html, esc, table_html

PROVIDERS = ("(default)", "extractive", "openai", "goose")


class ChatPanel(Panel):
    """Questions and answers about the session's project.

    >>> chat = ChatPanel(wb, project="flask")            # doctest: +SKIP
    >>> answer = chat.ask("where are blueprints registered?")
    >>> chat.open_citation(0)                             # shows the lines, marks the node
    >>> chat.reopen(answer.conversation_id)               # a listed conversation, continued
    """

    title = "Ask"

    def __init__(self, target=None, *, project: str | None = None, **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.answer = None
        self.conversation_id: int | None = None
        self.transcript: list[tuple[str, str]] = []
        self.question = widgets.Textarea(placeholder="ask about the code of this project",
                                         layout=widgets.Layout(width="40em", height="4em"))
        self.provider = widgets.Dropdown(options=PROVIDERS, value="(default)",
                                         description="provider", layout=widgets.Layout(width="16em"))
        self.model = widgets.Text(placeholder="model (default)", layout=widgets.Layout(width="14em"))
        self.ask_button = widgets.Button(description="ask", icon="comments",
                                         button_style="primary", layout=widgets.Layout(width="7em"))
        self.new_button = widgets.Button(description="new conversation",
                                         layout=widgets.Layout(width="12em"))
        self.message = widgets.HTML("")
        self.output = widgets.HTML("")
        self.citations = widgets.VBox([])
        self.source = widgets.HTML("")
        self.context = widgets.HTML("")
        self.conversations = widgets.Dropdown(options=[], description="conversations",
                                              layout=widgets.Layout(width="32em"))
        self.open_button = widgets.Button(description="reopen", layout=widgets.Layout(width="7em"))
        details = widgets.Accordion(children=[self.context])
        details.set_title(0, "context used")
        self.ask_button.on_click(lambda _: self._guard(lambda: self.ask()))
        self.new_button.on_click(lambda _: self.new_conversation())
        self.open_button.on_click(lambda _: self._guard(
            lambda: self.conversations.value and self.reopen(self.conversations.value)))
        self.children = [
            widgets.HBox([self.conversations, self.open_button, self.new_button]),
            self.question, widgets.HBox([self.provider, self.model, self.ask_button]),
            self.message, self.output, self.citations, self.source, details]
        self.session.observe(lambda _: self.refresh(), "project")
        self.refresh()

    # -- verbs -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-list the project's conversations."""
        if self.session.project is None:
            self.conversations.options = []
            return
        frame = self.wb.conversations(self.session.project)
        self.conversations.options = [(f"#{r['id']} {r['title'][:60]} ({r['messages']} messages)",
                                       int(r["id"])) for r in frame.to_dict("records")]

    def ask(self, question: str | None = None, *, provider: str | None = None,
            model: str | None = None):
        """Ask ``question`` (default: the text field) in the open conversation; the answer
        streams into the panel. Returns the :class:`~workbench.ai.records.Answer`."""
        self.fill(question=question, model=model)
        if provider is not None:
            self.provider.value = provider
        text = self.question.value.strip()
        if not text:
            raise ValueError("type a question")
        if self.session.project is None:
            raise WorkbenchError("open a project first")
        chosen = None if self.provider.value == "(default)" else self.provider.value
        pieces: list[str] = []

        def delta(piece: str) -> None:
            pieces.append(piece)
            self.output.value = self._transcript_html(pending=(text, "".join(pieces)))

        self.message.value = "<i>asking…</i>"
        try:
            answer = self.wb.ask(text, self.session.project, conversation=self.conversation_id,
                                 provider=chosen, model=self.model.value.strip() or None,
                                 on_delta=delta)
        except WorkbenchError as exc:
            self.transcript.append((text, "".join(pieces) + " …"))
            self.output.value = self._transcript_html()
            self.message.value = error_html(exc)
            self.refresh()
            return None
        self.answer = answer
        self.conversation_id = answer.conversation_id
        self.transcript.append((text, answer.text))
        self.question.value = ""
        label = "extracted, no model" if answer.extracted else f"{answer.provider}/{answer.model}"
        self.message.value = (f"{esc(label)} · conversation {answer.conversation_id} · "
                              f"{answer.latency:.1f} s · {len(answer.tool_calls)} tool calls")
        self.output.value = self._transcript_html()
        self._show_citations(answer.citations)
        self.context.value = (f"<pre>{esc(answer.context.to_text().splitlines()[0])}</pre>"
                              + table_html(answer.context.frame(), max_rows=60))
        self.refresh()
        return answer

    def open_citation(self, index: int) -> str | None:
        """Show the cited lines and mark the cited node; returns the node (None if invalid).

        ``index`` counts the answer's citations from 0, as its buttons are listed;
        :class:`~workbench.ai.errors.CitationNotFound` when there is no such citation (the
        panel's buttons show it in the panel's message instead)."""
        if self.answer is None:
            raise CitationNotFound("no answer shown yet: ask a question first (a reopened "
                                   "conversation shows no citations)")
        count = len(self.answer.citations)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            raise CitationNotFound(
                f"no citation {index!r}: the answer has "
                + (f"{count} citation{'s' if count != 1 else ''}, numbered 0 to {count - 1}"
                   if count else "no citations"), index=index, citations=count)
        c = self.answer.citations[index]
        if not c.valid:
            self.source.value = error_html(ValueError(f"{c} is not in the snapshot"))
            return None
        project = self.session.project
        lines = self.wb.ai.cited_lines(project, c.path, c.line_start, c.line_end,
                                       snapshot_id=self.session.snapshot_id)
        body = "\n".join(("▶ " if c.line_start <= n <= c.line_end else "  ") + f"{n:>5} {esc(t)}"
                         for n, t in lines)
        self.source.value = (f"<b>{esc(str(c))}</b><pre class='wb-source' style='font-size:11px;"
                             f"max-height:300px;overflow:auto'>{body}</pre>")
        node = self.wb.ai.node_at(project, c.path, c.line_start, c.line_end,
                                  snapshot_id=self.session.snapshot_id)
        if node is not None:
            self.session.selected = node
            self.session.highlight = [node]
        return node

    def reopen(self, conversation_id: int) -> None:
        """Show a stored conversation; the next question continues it."""
        frame = self.wb.conversation(int(conversation_id))
        self.conversation_id = int(conversation_id)
        self.transcript = []
        question = None
        for m in frame.to_dict("records"):
            if m["role"] == "user":
                question = m["content"]
            elif m["role"] == "assistant":
                suffix = "" if m["status"] == "complete" else f" ({m['status']})"
                self.transcript.append((question or "", (m["content"] or "") + suffix))
        self.answer = None
        self.citations.children = []
        self.output.value = self._transcript_html()
        self.message.value = f"conversation {conversation_id} reopened"

    def new_conversation(self) -> None:
        self.conversation_id = None
        self.transcript = []
        self.answer = None
        self.citations.children = []
        self.output.value = ""
        self.message.value = "new conversation"

    # -- rendering -------------------------------------------------------------------------------

    def _show_citations(self, citations) -> None:
        buttons = []
        for i, c in enumerate(citations):
            button = widgets.Button(description=str(c)[:60], tooltip=str(c),
                                    icon="file-code-o" if c.valid else "ban",
                                    button_style="" if c.valid else "danger",
                                    disabled=not c.valid, layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, i=i: self._guard(lambda: self.open_citation(i)))
            buttons.append(button)
        self.citations.children = buttons

    def _transcript_html(self, pending: tuple[str, str] | None = None) -> str:
        turns = [*self.transcript, *([pending] if pending else [])]
        return "".join(f"<p><b>Q:</b> {esc(q)}</p><pre style='white-space:pre-wrap'>{esc(a)}</pre>"
                       for q, a in turns)

    def to_html(self) -> str:
        parts = [f"<h4>{esc(self.title)}</h4>", self.output.value or "<p><i>no question yet</i></p>"]
        if self.answer is not None and self.answer.citations:
            parts.append("<ul>" + "".join(
                f"<li>{esc(str(c))}</li>" if c.valid else f"<li><s>{esc(str(c))}</s> "
                "(not in the snapshot)</li>" for c in self.answer.citations) + "</ul>")
        return "".join(parts)
