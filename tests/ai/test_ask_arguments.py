"""What ``set_default_model`` refuses, before anything is stored: a default naming a provider
that does not exist."""

from __future__ import annotations

import pytest

from workbench.ai.errors import NoProvider

QUESTION = "where is money formatted?"


def _stored_default(bench):
    return bench.store.conversations.default(bench.store.projects.get("shop").id)


def test_a_default_naming_no_provider_is_refused_as_ask_refuses_it(shop):
    with pytest.raises(NoProvider) as asked:
        shop.ask(QUESTION, "shop", provider="nosuch")
    with pytest.raises(NoProvider) as defaulted:
        shop.set_default_model("shop", "nosuch:model")
    assert str(asked.value) == ("no AI provider called 'nosuch'; choose one of extractive, "
                                "goose, openai")
    assert str(defaulted.value).startswith(str(asked.value))
    assert "openai:nosuch:model" in str(defaulted.value)  # how to keep such a model name whole
    assert defaulted.value.provider == "nosuch" and _stored_default(shop) is None
    with pytest.raises(NoProvider, match="did you mean 'openai'"):
        shop.set_default_model("shop", "opnai:gpt-4o")
    assert _stored_default(shop) is None


def test_a_model_name_with_a_colon_stays_whole_for_the_model_server(shop):
    for spec, stored in (("llama3:8b", ("openai", "llama3:8b")),
                         ("mistral:latest", ("openai", "mistral:latest")),
                         ("openai:nosuch:model", ("openai", "nosuch:model")),
                         ("OpenAI:gpt-4o", ("openai", "gpt-4o"))):
        result = shop.set_default_model("shop", spec)
        assert (result["provider"], result["model"]) == stored, spec
        assert _stored_default(shop) == stored
    result = shop.set_default_model("shop", "nosuch:model", provider="openai")
    assert (result["provider"], result["model"]) == ("openai", "nosuch:model")
