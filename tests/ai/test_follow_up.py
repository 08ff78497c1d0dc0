"""A follow-up question in a conversation searches with the question it follows: "and who
calls it?" names nothing to search for on its own."""

from __future__ import annotations

import pytest


def _passages(answer) -> list[str]:
    return [i.path for i in answer.context.items if i.kind == "passage" and i.included]


def test_a_follow_up_searches_with_the_question_it_follows(shop):
    first = shop.ask("where is money formatted?", "shop")
    assert "src/shop/util/money.py" in _passages(first)
    alone = shop.ask("and who calls it?", "shop")
    follow = shop.ask("and who calls it?", "shop", conversation=first.conversation_id)
    assert follow.context.searched_for == "and who calls it? where is money formatted?"
    assert alone.context.searched_for == ""  # a first question is searched as it is
    # the earlier question's file comes first; asked alone, the words match anything
    assert _passages(follow)[0] == "src/shop/util/money.py"
    assert _passages(alone)[0] != "src/shop/util/money.py"
    assert "passages searched for 'and who calls it? where is money formatted?'" in (
        follow.show_context())
    # a further question follows the latest one and keeps the first, which set the topic
    later = shop.ask("what does the cart total?", "shop", conversation=first.conversation_id)
    assert later.context.searched_for == (
        "what does the cart total? and who calls it? where is money formatted?")


def test_a_second_follow_up_still_searches_for_what_the_first_question_named(shop):
    first = shop.ask("where is money formatted?", "shop")
    shop.ask("and who calls it?", "shop", conversation=first.conversation_id)
    third = shop.ask("and where is that tested?", "shop", conversation=first.conversation_id)
    assert third.context.searched_for == (
        "and where is that tested? and who calls it? where is money formatted?")
    assert "src/shop/util/money.py" in _passages(third)


def test_an_extracted_answer_says_when_no_passage_uses_a_word_of_the_question(shop):
    unrelated = shop.ask("kubernetes helm chart deployment", "shop")
    assert _passages(unrelated)  # a nearest passage is always found
    assert ("No passage uses a word of the question (chart, deployment, helm, kubernetes)"
            in unrelated.text)
    related = shop.ask("where is money formatted?", "shop")
    assert "No passage uses a word" not in related.text


def test_an_extracted_answer_says_when_no_passage_uses_most_words_of_the_question(shop):
    """One common word of the question found in a passage by chance does not hide that its
    other words are in none of them."""
    mostly = shop.ask("how does kubernetes helm format a deployment?", "shop")
    assert "No passage uses most words of the question (deployment, helm, kubernetes)" in (
        mostly.text), mostly.text
    one_off = shop.ask("where is money formatted with two decimals?", "shop")
    assert "No passage uses" not in one_off.text, one_off.text


def test_a_question_with_nothing_to_search_for_is_refused(shop):
    from workbench.ai.errors import AIError

    for question in ("???", "what is this?"):
        with pytest.raises(AIError, match="has no word to search for"):
            shop.ask(question, "shop")
    assert shop.conversations("shop").empty


def test_who_calls_it_is_answered_from_the_graph(shop):
    """A question about callers gets what the map says calls the best match, or that it
    records no call of it; the words about calling are not reported as unmatched."""
    first = shop.ask("where is money formatted?", "shop")
    follow = shop.ask("and who calls it?", "shop", conversation=first.conversation_id)
    assert ("What calls shop.util.money:fmt, the best match, in the map:\n"
            "- shop.service:checkout (src/shop/service.py:5-8)") in follow.text, follow.text
    assert "No passage uses" not in follow.text
    lonely = shop.ask("who calls test_checkout?", "shop")
    assert "The map records no call of tests.test_service:test_checkout" in lonely.text, (
        lonely.text)
    plain = shop.ask("where is money formatted?", "shop")
    assert "What calls" not in plain.text and "records no call" not in plain.text
