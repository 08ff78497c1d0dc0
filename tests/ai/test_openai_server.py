"""The test server speaks the OpenAI protocol to the official client, end to end over 127.0.0.1."""

from __future__ import annotations

import base64
import struct
import time

import httpx
import openai
import pytest


def client(server, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0, **kw)


def test_plain_and_streamed_chat(openai_server):
    openai_server.reply("Hello there, reader.")
    reply = client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "Hello there, reader."
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens == 1

    openai_server.reply("Streamed words arrive in pieces.")
    stream = client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "hi"}], stream=True,
        stream_options={"include_usage": True})
    pieces, finish, usage = [], None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
    assert len([p for p in pieces if p]) > 3
    assert "".join(pieces) == "Streamed words arrive in pieces."
    assert finish == "stop" and usage.completion_tokens == 5
    assert openai_server.chat_requests()[1]["stream"] is True


def test_default_reply_echoes_and_requests_are_recorded(openai_server):
    reply = client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "system", "content": "s"},
                                     {"role": "user", "content": "ping"}])
    assert reply.choices[0].message.content == "echo: ping"
    recorded = openai_server.requests[-1]
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer sk-test"
    assert recorded.json["messages"][1]["content"] == "ping"


def test_tool_calls_plain_and_streamed(openai_server):
    tools = [{"type": "function", "function": {"name": "search", "parameters": {
        "type": "object", "properties": {"query": {"type": "string"}}}}}]
    openai_server.tool_call("search", {"query": "checkout flow"})
    reply = client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "q"}], tools=tools)
    call = reply.choices[0].message.tool_calls[0]
    assert reply.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "search"
    assert call.function.arguments == '{"query": "checkout flow"}'

    openai_server.tool_call("search", {"query": "a longer query split into fragments"})
    stream = client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "q"}], tools=tools, stream=True)
    names, args, ids = [], [], []
    for chunk in stream:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                ids.append(delta.id)
                names.append(delta.function.name)
                args.append(delta.function.arguments or "")
    assert len(args) > 2
    assert [n for n in names if n] == ["search"] and [i for i in ids if i] == ["call_0"]
    assert "".join(args) == '{"query": "a longer query split into fragments"}'


def test_models_and_tools_refused_by_a_model_without_them(openai_server):
    listed = client(openai_server).models.list()
    assert [m.id for m in listed.data] == ["tiny-chat", "tiny-notools"]
    assert listed.data[0].model_extra["context_window"] == 8192
    with pytest.raises(openai.BadRequestError, match="does not support tools"):
        client(openai_server).chat.completions.create(
            model="tiny-notools", messages=[{"role": "user", "content": "q"}],
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}])
    with pytest.raises(openai.NotFoundError):
        client(openai_server).chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "q"}])


def test_embeddings_are_deterministic_in_both_encodings(openai_server):
    c = client(openai_server)
    first = c.embeddings.create(model="hash-16", input=["order total", "total order", "ship"])
    vectors = [d.embedding for d in first.data]
    assert len(vectors[0]) == 16
    assert vectors[0] == pytest.approx(vectors[1])      # a bag of words
    assert vectors[0] != pytest.approx(vectors[2])
    assert sum(v * v for v in vectors[0]) == pytest.approx(1.0)
    floats = c.embeddings.create(model="hash", input="ship", dimensions=8,
                                 encoding_format="float")
    assert len(floats.data[0].embedding) == 8
    raw = httpx.post(f"{openai_server.base_url}/embeddings",
                     headers={"Authorization": "Bearer sk-test"},
                     json={"model": "hash-16", "input": "ship", "encoding_format": "base64"})
    decoded = struct.unpack("<16f", base64.b64decode(raw.json()["data"][0]["embedding"]))
    assert list(decoded) == pytest.approx(vectors[2])


@pytest.mark.parametrize("status,error", [
    (401, openai.AuthenticationError), (429, openai.RateLimitError),
    (500, openai.InternalServerError), (503, openai.InternalServerError)])
def test_error_statuses_carry_openai_error_json(openai_server, status, error):
    openai_server.error(status, "scripted failure")
    with pytest.raises(error) as caught:
        client(openai_server).chat.completions.create(
            model="tiny-chat", messages=[{"role": "user", "content": "q"}])
    assert caught.value.status_code == status
    assert caught.value.body["message"] == "scripted failure"
    # the next request is served normally again
    assert client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "q"}]).choices


def test_wrong_key_is_refused(openai_server):
    bad = openai.OpenAI(base_url=openai_server.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_stalled_stream_times_out_on_the_client(openai_server):
    openai_server.stall("partial", seconds=30)
    started = time.monotonic()
    stream = client(openai_server, timeout=1.0).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "q"}], stream=True)
    got = []
    with pytest.raises((httpx.ReadTimeout, openai.APITimeoutError)):
        for chunk in stream:
            got.extend(c.delta.content or "" for c in chunk.choices)
    assert "".join(got) == "partial"
    assert time.monotonic() - started < 20


def test_cut_streams_end_without_finish_reason(openai_server):
    openai_server.cut("half an ans")
    stream = client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "q"}], stream=True)
    chunks = list(stream)
    assert "".join(c.delta.content or "" for ch in chunks for c in ch.choices) == "half an ans"
    assert all(c.finish_reason is None for ch in chunks for c in ch.choices)

    openai_server.cut("dropped mid", abrupt=True)
    stream = client(openai_server).chat.completions.create(
        model="tiny-chat", messages=[{"role": "user", "content": "q"}], stream=True)
    got = []
    with pytest.raises((httpx.RemoteProtocolError, openai.APIError)):
        for chunk in stream:
            got.extend(c.delta.content or "" for c in chunk.choices)
    assert "".join(got) == "dropped mid"
