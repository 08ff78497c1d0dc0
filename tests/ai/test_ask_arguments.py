"""What ``ask`` and ``set_default_model`` refuse, before anything is stored: a default naming a
provider that does not exist, a context budget under one token or too small for any passage."""

from __future__ import annotations

import re

import pytest

from workbench.ai.errors import BudgetTooSmall, NoProvider

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


def test_a_default_on_a_model_server_without_a_model_is_refused(shop):
    assert shop.config.openai_model is None
    for spec, provider in (("openai:", None), ("", "openai")):
        with pytest.raises(NoProvider, match="needs a model: give it as openai:MODEL"):
            shop.set_default_model("shop", spec, provider=provider)
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


def test_a_provider_named_for_a_default_is_the_one_stored(shop):
    """Only a bare model name goes to a model server; a provider the user names is kept."""
    for spec, provider, stored in (("extractive:foo", None, ("extractive", "foo")),
                                   ("foo", "extractive", ("extractive", "foo")),
                                   ("extractive", None, ("extractive", "extractive")),
                                   ("foo", None, ("openai", "foo"))):
        result = shop.set_default_model("shop", spec, provider=provider)
        assert (result["provider"], result["model"]) == stored, (spec, provider)
        assert _stored_default(shop) == stored


def test_a_budget_too_small_for_any_passage_names_the_budget_that_fits(shop):
    with pytest.raises(BudgetTooSmall) as caught:
        shop.ask(QUESTION, "shop", budget=10)
    message = str(caught.value)
    found = re.fullmatch(r"the question matched \d+ passages, but none fits a context budget of "
                         r"10 tokens: the best, (\S+), needs a budget of about (\d+); ask again "
                         r"with a budget of \2 or more, or without one", message)
    assert found, message
    best, needed = found[1], int(found[2])
    assert caught.value.needed == needed and shop.conversations("shop").empty  # nothing stored
    answer = shop.ask(QUESTION, "shop", budget=needed)
    assert best in {i.location for i in answer.context.included if i.kind == "passage"}
    assert best in answer.text
    smaller = shop.show_context(QUESTION, "shop", budget=needed - 1)
    assert best not in {i.location for i in smaller.included if i.kind == "passage"}


@pytest.mark.parametrize("budget", [0, -5])
def test_a_budget_under_one_token_is_refused(shop, budget):
    with pytest.raises(BudgetTooSmall, match=f"at least 1 .*not {budget}$"):
        shop.ask(QUESTION, "shop", budget=budget)
    with pytest.raises(BudgetTooSmall, match="at least 1"):
        shop.show_context(QUESTION, "shop", budget=budget)
    assert shop.conversations("shop").empty


def test_a_model_asked_of_the_extractive_provider_is_refused_not_ignored(shop):
    from workbench.ai.errors import ModelNotFound

    before = len(shop.conversations("shop"))
    with pytest.raises(ModelNotFound, match="'gpt-9' would be ignored; ask a model server"):
        shop.ask(QUESTION, "shop", provider="extractive", model="gpt-9")
    with pytest.raises(ModelNotFound):  # extractive is what is configured here
        shop.ask(QUESTION, "shop", model="gpt-9")
    assert len(shop.conversations("shop")) == before  # nothing was stored
    assert shop.ask(QUESTION, "shop", provider="extractive").extracted


LONG_QUESTION = " ".join(["where is money formatted with two decimals?"] * 1500)


def test_a_question_too_long_for_the_extractive_context_says_what_applies_without_a_model(shop):
    with pytest.raises(BudgetTooSmall) as caught:
        shop.ask(LONG_QUESTION, "shop")
    message = str(caught.value)
    assert "the extractive provider's fixed context of 8192 tokens (no model is asked)" in message
    assert re.search(r"; shorten the question \(it takes about \d+ tokens\)$", message), message
    assert "model's window" not in message and "larger window" not in message
    assert shop.conversations("shop").empty  # refused before anything is stored


def test_the_context_of_an_extracted_answer_speaks_of_no_model(shop):
    head = shop.ask(QUESTION, "shop").show_context().splitlines()[0]
    assert head.endswith("tokens budgeted, in a window of 8192") and "model" not in head
