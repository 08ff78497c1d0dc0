"""The provider registry and the openai provider on its own, against the real test server."""

from __future__ import annotations

import pytest

from workbench import Config
from workbench.ai.errors import NoProvider
from workbench.ai.providers import (Provider, get_provider, provider_names, register,
                                    split_model_spec)
from workbench.ai.records import ChatReply, ModelInfo


def config(tmp_path, server=None, **kw) -> Config:
    if server is not None:
        kw = {"openai_base_url": server.base_url, "openai_api_key": server.api_key,
              "openai_model": "tiny-chat", "ai_retry_delay": 0.01, **kw}
    return Config(data_dir=tmp_path / "data", **kw)


def test_registry_defaults_and_errors(tmp_path):
    assert get_provider(None, config(tmp_path)).name == "extractive"
    assert get_provider(None, config(tmp_path, ai_provider="goose")).name == "goose"
    with pytest.raises(NoProvider, match="choose one of extractive, goose, openai"):
        get_provider("nope", config(tmp_path))
    with pytest.raises(NoProvider, match="OPENAI_API_KEY"):
        get_provider("openai", config(tmp_path)).chat([{"role": "user", "content": "q"}],
                                                      model="m")

    class Echo:
        name, streams, takes_tools = "echo", False, False

        def __init__(self, cfg):
            self.cfg = cfg

        def models(self):
            return [ModelInfo("echo", "echo-1", 100, False)]

        def chat(self, messages, **kw):
            return ChatReply(messages[-1]["content"], model="echo-1")

    register("echo", Echo)
    try:
        provider = get_provider("echo", config(tmp_path))
        assert isinstance(provider, Provider) and "echo" in provider_names()
        assert provider.chat([{"role": "user", "content": "hi"}]).text == "hi"
    finally:
        from workbench.ai import providers

        providers._REGISTRY.pop("echo")


def test_plain_chat_passes_response_format_and_max_tokens(tmp_path, openai_server):
    provider = get_provider("openai", config(tmp_path, openai_server))
    openai_server.reply('{"verdict": "ok"}')
    reply = provider.chat([{"role": "user", "content": "judge"}],
                          response_format={"type": "json_object"}, max_tokens=50, timeout=5)
    assert reply.text == '{"verdict": "ok"}' and reply.finish_reason == "stop"
    assert reply.model == "tiny-chat" and reply.usage["completion_tokens"] == 2
    body = openai_server.chat_requests()[-1]
    assert body["response_format"] == {"type": "json_object"} and body["max_tokens"] == 50
    assert "stream" not in body


def test_streamed_tool_call_deltas_are_assembled(tmp_path, openai_server):
    provider = get_provider("openai", config(tmp_path, openai_server))
    openai_server.reply("Let me look.", tool_calls=[
        {"name": "search", "arguments": {"query": "a fairly long query text"}},
        {"name": "impact", "arguments": {"node": "shop.models:Order"}}])
    pieces = []
    reply = provider.chat([{"role": "user", "content": "q"}], on_delta=pieces.append,
                          tools=[{"type": "function", "function": {"name": "search",
                                                                   "parameters": {}}}])
    assert "".join(pieces) == "Let me look." and reply.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("call_0", "search", {"query": "a fairly long query text"}),
        ("call_1", "impact", {"node": "shop.models:Order"})]
    assert reply.usage["total_tokens"] > 0  # from the include_usage chunk


def test_models_carry_windows_and_the_configured_model(tmp_path, openai_server):
    provider = get_provider("openai", config(tmp_path, openai_server, openai_model="extra"))
    models = {m.name: m for m in provider.models()}
    assert models["tiny-chat"] == ModelInfo("openai", "tiny-chat", 8192, True)
    assert models["tiny-notools"].tools is False
    assert models["extra"] == ModelInfo("openai", "extra", None, True)


@pytest.mark.parametrize("spec,split", [
    ("gpt-4o", (None, "gpt-4o")),
    ("openai:gpt-4o", ("openai", "gpt-4o")),
    ("OpenAI:llama3:8b", ("openai", "llama3:8b")),
    ("goose:", ("goose", None)),
    ("llama3:8b", (None, "llama3:8b")),
    ("qwen2.5-coder:7b-instruct-q4_K_M", (None, "qwen2.5-coder:7b-instruct-q4_K_M")),
    ("mistral:latest", (None, "mistral:latest")),
    ("mistral:v0.3", (None, "mistral:v0.3")),
    ("codellama:python", (None, "codellama:python")),
    ("hf.co/org/repo:Q4_K_M", (None, "hf.co/org/repo:Q4_K_M")),
    ("ft:gpt-4o-mini-2024-07-18:org::abc123", (None, "ft:gpt-4o-mini-2024-07-18:org::abc123")),
])
def test_a_model_spec_splits_into_provider_and_model(spec, split):
    assert split_model_spec(spec) == split


@pytest.mark.parametrize("spec,words", [
    ("nosuch:model", r"^no AI provider called 'nosuch'; choose one of extractive, goose, openai "
                     r"\(a model whose name has a colon goes after its provider: "
                     r"openai:nosuch:model\)$"),
    ("anthropic:claude-3-5-sonnet", r"^no AI provider called 'anthropic'; choose one of "),
    ("opnai:gpt-4o", r"^no AI provider called 'opnai'; .* \(did you mean 'openai'\?\)$"),
    ("nosuch:", r"^no AI provider called 'nosuch'; choose one of extractive, goose, openai$"),
])
def test_a_spec_whose_prefix_names_no_provider_is_refused(spec, words):
    with pytest.raises(NoProvider, match=words):
        split_model_spec(spec)
