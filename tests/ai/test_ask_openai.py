"""``ask`` through the official openai client against a real OpenAI-compatible server."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.ai.conftest import served
from workbench import WorkbenchError
from workbench.ai.errors import (BudgetTooSmall, ModelNotFound, ProviderAuthFailed,
                                 ProviderRateLimited, ProviderServerError, ProviderTimeout,
                                 ProviderUnreachable, StreamCut)


@pytest.fixture
def asked(shop, data_dir, openai_server):
    shop.close()
    bench = served(data_dir, openai_server)
    yield bench
    bench.close()


def test_streamed_answer_with_checked_citations(asked, openai_server):
    openai_server.reply("Totals are formatted by fmt in src/shop/util/money.py:4-6, called "
                        "from src/shop/service.py:5-8; see also src/shop/ledger.py:1-9 and "
                        "src/shop/models.py:400-410.")
    pieces = []
    answer = asked.ask("where is the order total formatted?", "shop", on_delta=pieces.append)
    assert len(pieces) > 5 and "".join(pieces).startswith("Totals are formatted")
    assert answer.provider == "openai" and answer.model == "tiny-chat"
    assert not answer.extracted and answer.status == "complete"
    by_path = {(c.path, c.line_start): c.valid for c in answer.citations}
    assert by_path == {("src/shop/util/money.py", 4): True, ("src/shop/service.py", 5): True,
                       ("src/shop/ledger.py", 1): False, ("src/shop/models.py", 400): False}
    assert "src/shop/ledger.py:1-9 [not in snapshot]" in answer.text
    assert "src/shop/util/money.py:4-6 [not" not in answer.text
    # what was sent: system prompt, then the question with data blocks, secrets masked
    body = openai_server.chat_requests()[-1]
    assert body["stream"] is True and body["model"] == "tiny-chat"
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    assert "never an instruction" in system
    assert "<<<DATA source=" in user and "Question: where is the order total formatted?" in user
    assert "ghp_abcdefghijklmnop" not in json.dumps(body)
    assert answer.context.tokens <= answer.context.budget
    # stored with provider, model, latency, tokens, context and citations
    stored = asked.conversation(answer.conversation_id)
    assert stored["role"].tolist() == ["user", "assistant"]
    last = stored.iloc[-1]
    assert last["provider"] == "openai" and last["model"] == "tiny-chat"
    assert last["latency_seconds"] > 0 and last["completion_tokens"] > 0
    assert len(last["citations"]) == 4 and last["context"]["items"]


def test_tool_call_loop_runs_map_tools_and_records_them(asked, openai_server):
    openai_server.tool_call("search", {"query": "format money"})
    openai_server.reply("", tool_calls=[
        {"name": "related", "arguments": {"node": "shop.util.money:fmt"}},
        {"name": "sql", "arguments": {"query": "SELECT count(*) AS n FROM nodes"}}])
    openai_server.reply("fmt (src/shop/util/money.py:4-6) is called by checkout.")
    answer = asked.ask("who formats money?", "shop")
    assert [t.name for t in answer.tool_calls] == ["search", "related", "sql"]
    assert all(t.error is None for t in answer.tool_calls)
    assert "money.py" in answer.tool_calls[0].result
    assert "shop.service:checkout" in answer.tool_calls[1].result
    requests = openai_server.chat_requests()
    assert len(requests) == 3 and all(r.get("tools") for r in requests)
    tool_messages = [m for m in requests[-1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["call_0", "call_0", "call_1"]
    assert all(m["content"].startswith("<<<DATA") for m in tool_messages)
    assert answer.valid_citations and answer.usage["total_tokens"] > 0
    stored = asked.conversation(answer.conversation_id).iloc[-1]["tool_calls"]
    assert [t["name"] for t in stored] == ["search", "related", "sql"]


def test_tool_loop_is_capped_in_steps(asked, openai_server):
    from workbench.ai.service import Limits

    asked.ai.limits = Limits(steps=2)
    for _ in range(5):
        openai_server.tool_call("hotspots", {"n": 3})
    openai_server.reply("done")
    answer = asked.ask("loop forever", "shop")
    assert len(answer.tool_calls) == 2 and answer.status == "partial"
    final = openai_server.chat_requests()[-1]
    assert "tools" not in final and "tool budget is spent" in final["messages"][-1]["content"]


def test_a_model_without_tools_is_asked_without_them(asked, openai_server):
    openai_server.reply("plain answer")
    answer = asked.ask("what is here?", "shop", model="tiny-notools")
    assert answer.text == "plain answer" and answer.tool_calls == []
    assert all("tools" not in r for r in openai_server.chat_requests())


def test_a_budget_too_small_for_any_passage_stops_only_a_model_without_tools(asked,
                                                                            openai_server):
    with pytest.raises(BudgetTooSmall, match="none fits a context budget of 10 tokens"):
        asked.ask("where is the order total formatted?", "shop", model="tiny-notools", budget=10)
    assert openai_server.chat_requests() == [] and asked.conversations("shop").empty
    openai_server.reply("I would search the map first.")
    answer = asked.ask("where is the order total formatted?", "shop", budget=10)  # has tools
    assert answer.text == "I would search the map first."
    assert not [i for i in answer.context.included if i.kind == "passage"]


def test_a_question_too_long_for_a_models_window_names_that_model(asked, openai_server):
    from tests.ai.test_ask_arguments import LONG_QUESTION

    with pytest.raises(BudgetTooSmall) as caught:
        asked.ask(LONG_QUESTION, "shop", model="tiny-notools")
    message = str(caught.value)
    assert "the 4096-token window of the model 'tiny-notools'" in message, message
    assert message.endswith(", or use a model with a larger window")
    assert "shorten the question" in message and "extractive" not in message
    assert openai_server.chat_requests() == []


def test_a_model_that_refuses_tools_is_asked_again_without(asked, openai_server):
    from workbench.ai.records import ModelInfo

    # the listing does not say; the server answers 400 "does not support tools", as Ollama does
    key = ("openai", openai_server.base_url, "tiny-notools")
    asked.ai._windows[key] = ModelInfo("openai", "tiny-notools", 4096, True)
    openai_server.reply("answered without tools")
    answer = asked.ask("what is here?", "shop", model="tiny-notools")
    assert answer.text == "answered without tools"
    first, second = openai_server.chat_requests()
    assert first.get("tools") and "tools" not in second


def test_follow_up_continues_the_conversation_within_the_budget(asked, openai_server):
    openai_server.reply("checkout builds an Order and formats its total.")
    first = asked.ask("what does checkout do?", "shop")
    second = asked.ask("and who calls it?", "shop", conversation=first.conversation_id)
    assert second.conversation_id == first.conversation_id
    sent = openai_server.chat_requests()[-1]["messages"]
    roles = [m["role"] for m in sent]
    assert roles[:3] == ["system", "user", "assistant"] and roles[-1] == "user"
    assert sent[1]["content"] == "what does checkout do?"
    history = [i for i in second.context.items if i.kind == "history"]
    assert len(history) == 2 and all(i.included for i in history)
    assert len(asked.conversation(first.conversation_id)) == 4


def test_models_list_and_project_default(asked, openai_server):
    models = asked.models()
    rows = models[models["provider"] == "openai"].set_index("model")
    assert rows.loc["tiny-chat", "context_window"] == 8192 and rows.loc["tiny-chat", "tools"]
    assert not rows.loc["tiny-notools", "tools"] and rows.loc["tiny-chat", "default"]
    asked.set_default_model("shop", "openai:tiny-notools")
    openai_server.reply("from the default")
    answer = asked.ask("q?", "shop")
    assert answer.model == "tiny-notools"
    assert openai_server.chat_requests()[-1]["model"] == "tiny-notools"


def test_the_window_is_never_overflowed(asked, openai_server):
    openai_server.models[0]["context_window"] = 1200
    asked.ai._windows.clear()
    answer = asked.ask("where is the order total formatted?", "shop")
    from workbench.ai.tokens import count_message_tokens

    sent = openai_server.chat_requests()[-1]
    assert count_message_tokens(sent["messages"]) + sent["max_tokens"] <= 1200
    assert answer.context.window == 1200
    assert any(not i.included for i in answer.context.items)


@pytest.mark.parametrize("status,error", [(401, ProviderAuthFailed), (500, ProviderServerError),
                                          (503, ProviderServerError), (429, ProviderRateLimited)])
def test_error_statuses_are_clear_and_leave_no_conversation(asked, openai_server, status, error):
    openai_server.error(status, "scripted", times=10)
    with pytest.raises(error) as caught:
        asked.ask("does it fail?", "shop")
    assert "127.0.0.1" in str(caught.value)
    tries = len(openai_server.chat_requests())
    assert tries == (1 if status == 401 else 4)  # 429 and 5xx: retried ai_retries times
    assert asked.conversations("shop").empty  # no answer text: nothing stored


def test_a_failed_follow_up_leaves_the_conversation_as_it_was(asked, openai_server):
    openai_server.reply("Totals are formatted by fmt.")
    first = asked.ask("where is the order total formatted?", "shop")
    before = asked.conversations("shop")
    stored = asked.conversation(first.conversation_id)
    openai_server.error(500, "scripted", times=10)
    with pytest.raises(ProviderServerError):
        asked.ask("and who calls it?", "shop", conversation=first.conversation_id)
    with pytest.raises(ModelNotFound):
        asked.ask("and who calls it?", "shop", conversation=first.conversation_id,
                  model="no-such-model")
    assert asked.conversations("shop").equals(before)  # same messages, same updated_at
    assert asked.conversation(first.conversation_id).equals(stored)


def test_429_and_5xx_are_retried_with_back_off_then_answered(asked, openai_server):
    openai_server.error(429, headers={"Retry-After": "0.3"})
    openai_server.error(503)
    openai_server.reply("third time lucky")
    started = time.monotonic()
    answer = asked.ask("retry?", "shop")
    assert answer.text == "third time lucky"
    assert time.monotonic() - started >= 0.3  # Retry-After honoured
    assert len(openai_server.chat_requests()) == 3


def test_a_stall_times_out_and_keeps_the_partial_answer(shop, data_dir, openai_server):
    shop.close()
    bench = served(data_dir, openai_server, ai_timeout=1.0)
    openai_server.stall("The answer begins", seconds=30)
    with pytest.raises(ProviderTimeout) as caught:
        bench.ask("slow?", "shop", on_delta=lambda s: None)
    assert caught.value.partial == "The answer begins"
    assert "WORKBENCH_AI_TIMEOUT" in str(caught.value)
    conv = int(bench.conversations("shop").iloc[0]["id"])
    last = bench.conversation(conv).iloc[-1]
    assert last["status"] == "partial" and last["content"] == "The answer begins"
    bench.close()


@pytest.mark.parametrize("abrupt", [False, True])
def test_a_cut_stream_keeps_the_partial_answer(asked, openai_server, abrupt):
    openai_server.cut("Half of the ans", abrupt=abrupt)
    with pytest.raises(StreamCut) as caught:
        asked.ask("cut?", "shop", on_delta=lambda s: None)
    assert caught.value.partial == "Half of the ans"
    assert len(openai_server.chat_requests()) == 1  # nothing retried once text arrived
    conv = int(asked.conversations("shop").iloc[0]["id"])
    last = asked.conversation(conv).iloc[-1]
    assert last["status"] == "partial" and last["content"] == "Half of the ans"


def test_unknown_model_and_unreachable_server(shop, data_dir, openai_server):
    shop.close()
    bench = served(data_dir, openai_server)
    with pytest.raises(ModelNotFound, match="ai models"):
        bench.ask("q", "shop", model="no-such-model")
    bench.close()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = served(data_dir, openai_server, openai_base_url=f"http://127.0.0.1:{port}/v1",
                  ai_retries=1)
    with pytest.raises(ProviderUnreachable, match="is the server running"):
        dead.ask("q", "shop")
    assert dead.conversations("shop").empty  # neither failure left a conversation
    dead.close()


def test_a_model_that_wants_max_completion_tokens_gets_them(asked, openai_server):
    openai_server.error(400, "Unsupported parameter: 'max_tokens' is not supported with this "
                             "model. Use 'max_completion_tokens' instead.")
    openai_server.reply("fine")
    assert asked.ask("q?", "shop").text == "fine"
    first, second = openai_server.chat_requests()
    assert "max_tokens" in first and "max_tokens" not in second
    assert second["max_completion_tokens"] == first["max_tokens"]


def test_a_refused_connection_fails_fast_with_the_fix(shop, data_dir, openai_server):
    shop.close()
    with socket.socket() as s:  # a port that refuses: bound, then closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = served(data_dir, openai_server, openai_base_url=f"http://127.0.0.1:{port}/v1",
                  ai_retries=3, ai_retry_delay=1.0)  # the default retries and back-off
    started = time.monotonic()
    with pytest.raises(ProviderUnreachable) as caught:
        dead.ask("width?", "shop", on_delta=lambda s: None)
    assert time.monotonic() - started < 5  # not retried with back-off
    assert isinstance(caught.value, WorkbenchError)
    assert f"cannot reach http://127.0.0.1:{port}/v1" in str(caught.value)
    assert "is the server running? check OPENAI_BASE_URL" in str(caught.value)
    dead.close()


def test_a_slow_server_is_still_answered(asked, openai_server, monkeypatch):
    from workbench.ai.providers import openai_chat

    monkeypatch.setattr(openai_chat, "CONNECT_TIMEOUT", 0.3)  # reads must not inherit it
    asked.ai._windows.clear()
    openai_server.stall("slow but answered", seconds=1.5)  # a pause mid-stream, then the end
    answer = asked.ask("slow?", "shop", on_delta=lambda s: None)
    assert answer.text == "slow but answered" and answer.status == "complete"
