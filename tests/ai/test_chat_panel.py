"""The chat panel on a real workbench: answers, citations that open source and mark the node,
the context used, conversations listed and reopened."""

from __future__ import annotations

import pytest

from tests.ai.conftest import served
from workbench import WorkbenchError
from workbench.ai import CitationNotFound
from workbench.widgets import ChatPanel, MapView, Session, WorkbenchApp


def test_ask_open_a_citation_and_reopen_a_conversation(shop):
    session = Session(shop, project="shop")
    view = MapView(session)
    chat = ChatPanel(session)
    answer = chat.ask("where is money formatted?")
    assert answer.extracted and "Extracted from the map" in chat.output.value
    assert len(chat.citations.children) == len(answer.citations)
    index = next(i for i, c in enumerate(answer.citations) if c.path == "src/shop/util/money.py")
    node = chat.open_citation(index)
    assert node == "shop.util.money:fmt"
    assert session.highlight == [node]
    # the map shows the node, or the collapsed group holding it, as selected
    assert node.startswith(session.selected) and view.canvas.selected == session.selected
    assert "def fmt(x):" in chat.source.value and "▶" in chat.source.value
    assert "passage" in chat.context.value and "outline" in chat.context.value
    follow = chat.ask("and who calls it?")
    assert follow.conversation_id == answer.conversation_id
    labels = [label for label, _ in chat.conversations.options]
    assert len(labels) == 1 and "(4 messages)" in labels[0]
    chat.new_conversation()
    chat.reopen(answer.conversation_id)
    assert chat.conversation_id == answer.conversation_id
    assert "who calls it?" in chat.output.value and len(chat.transcript) == 2
    html = chat.to_html()
    assert "who calls it?" in html


def test_an_invented_citation_is_shown_as_such(shop, data_dir, openai_server):
    shop.close()
    bench = served(data_dir, openai_server)
    openai_server.reply("See src/shop/util/money.py:4-6 and src/shop/invented.py:1-3.")
    app = WorkbenchApp(bench, project="shop", panels=["chat"])
    chat = app.show("chat")
    answer = chat.ask("where?")
    buttons = chat.citations.children
    assert [b.disabled for b in buttons] == [False, True]
    assert chat.open_citation(1) is None and "not in the snapshot" in chat.source.value
    assert "<s>src/shop/invented.py:1-3</s>" in chat.to_html()
    assert answer.provider == "openai" and "openai/tiny-chat" in chat.message.value
    openai_server.error(401, times=1)
    assert chat.ask("fails?") is None and "refused the API key" in chat.message.value
    labels = [label for label, _ in chat.conversations.options]  # the follow-up left no turn
    assert len(labels) == 1 and labels[0].endswith("(2 messages)")
    chat.new_conversation()
    openai_server.error(401, times=1)
    assert chat.ask("fails first?") is None and "refused the API key" in chat.message.value
    assert len(chat.conversations.options) == 1  # and a failed first question no conversation
    bench.close()


def test_a_citation_that_is_not_there_is_a_clear_error(shop):
    chat = ChatPanel(Session(shop, project="shop"))
    with pytest.raises(CitationNotFound, match="ask a question first"):
        chat.open_citation(0)
    answer = chat.ask("where is money formatted?")
    count = len(answer.citations)
    with pytest.raises(CitationNotFound) as caught:
        chat.open_citation(99)
    assert isinstance(caught.value, WorkbenchError)
    assert str(caught.value) == (f"no citation 99: the answer has {count} citations, "
                                 f"numbered 0 to {count - 1}")
    chat._guard(lambda: chat.open_citation(-1))  # as a button does: a message, no traceback
    assert "no citation -1" in chat.message.value and chat.source.value == ""
