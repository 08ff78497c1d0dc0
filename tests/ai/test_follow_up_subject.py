"""A follow-up that refers back by a pronoun ("and who calls it?") is about what the answer
before it led with, even where the search of the joined questions ranks something else first
(here the class ``Order``, whose name the first question holds as much as its method's);
and an answer about callers names the calls the map cannot resolve that may be to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit, init_repo, write
from workbench import Workbench

ORDERS = {
    "shop/__init__.py": "",
    "shop/pricing.py": (
        '"""Prices and taxes."""\nTAX_RATE = 0.21\n\n'
        "def apply_tax(amount):\n    \"\"\"Return the amount with tax added.\"\"\"\n"
        "    return round(amount * (1 + TAX_RATE), 2)\n\n"
        "def format_money(amount):\n    \"\"\"Format an amount as euros.\"\"\"\n"
        '    return f"{amount:.2f} EUR"\n'
    ),
    "shop/orders.py": (
        '"""Orders: lines, totals."""\nfrom shop.pricing import apply_tax, format_money\n\n'
        "class Order:\n    def __init__(self):\n        self.lines = []\n\n"
        "    def add_line(self, name, price, qty=1):\n"
        "        self.lines.append((name, price, qty))\n\n"
        "    def total(self):\n        subtotal = sum(p * q for _, p, q in self.lines)\n"
        "        return apply_tax(subtotal)\n\n"
        "    def receipt(self):\n        return format_money(self.total())\n"
    ),
    "shop/payments.py": (
        '"""Payments and refunds."""\nfrom shop.orders import Order\n\n'
        "class PaymentGateway:\n    def charge(self, order: Order):\n"
        '        return {"status": "charged", "amount": order.total()}\n'
    ),
    "shop/cli.py": (
        '"""Command line for the shop."""\nfrom shop.orders import Order\n'
        "from shop.payments import PaymentGateway\n\n"
        "def main():\n    order = Order()\n    order.add_line('book', 12.5)\n"
        "    print(order.receipt())\n    print(PaymentGateway().charge(order))\n"
    ),
    "tests/test_orders.py": (
        "from shop.orders import Order\n\ndef test_total():\n    o = Order()\n"
        "    o.add_line('pen', 10.0, 2)\n    assert o.total() == 24.0\n"
    ),
}


@pytest.fixture
def orders(tmp_path: Path) -> Workbench:
    repo = init_repo(tmp_path / "orders")
    write(repo, ORDERS)
    commit(repo, "orders")
    bench = Workbench(tmp_path / "data", background=False)
    bench.map(str(repo), name="orders")
    bench.index("orders")
    yield bench
    bench.close()


def _first(answer) -> tuple[str, int | None, str]:
    item = next(i for i in answer.context.items if i.kind == "passage" and i.included)
    return item.path, item.line_start, item.reason


def test_it_is_what_the_answer_before_led_with(orders):
    first = orders.ask("how is the order total computed?", "orders")
    assert _first(first)[:2] == ("shop/orders.py", 11)  # Order.total
    follow = orders.ask("and who calls it?", "orders", conversation=first.conversation_id)
    path, line, reason = _first(follow)
    assert (path, line) == ("shop/orders.py", 11)
    assert "the previous answer's subject" in reason
    assert "What calls shop.orders:Order.total, the best match" in follow.text, follow.text
    assert "- shop.orders:Order.receipt (shop/orders.py:15-16)" in follow.text
    assert "What calls shop.orders:Order," not in follow.text  # not the class


def test_a_follow_up_that_names_its_own_subject_is_searched_as_it_is(orders):
    """An identifier: the follow-up says what it is about, and the search's first hit
    stays first."""
    first = orders.ask("how is the order total computed?", "orders")
    follow = orders.ask("who calls apply_tax?", "orders", conversation=first.conversation_id)
    assert all("the previous answer's subject" not in i.reason for i in follow.context.items)


def test_calls_the_map_cannot_resolve_are_named_as_possible_callers(orders):
    first = orders.ask("how is the order total computed?", "orders")
    follow = orders.ask("and who calls it?", "orders", conversation=first.conversation_id)
    unseen = next(ln for ln in follow.text.splitlines()
                  if ln.startswith("Not in the map, possibly callers:"))
    # ``order.total()`` and ``o.total()``: objects whose type a static map does not know
    assert "shop/payments.py:5-6" in unseen and "tests/test_orders.py:3-6" in unseen
    assert "call `.total()` on an object whose type the map does not know" in unseen
    assert "shop/orders.py:15-16" not in unseen  # resolved already: listed above it


def test_possible_callers_are_code_that_calls_a_method_it_does_not_define():
    from workbench.ai.providers.extractive import _callers

    facts = [("shop.orders:Order.total",
              "- shop.orders:Order.receipt (shop/orders.py:15-16) calls shop.orders:Order.total")]
    passages = [("shop/pay.py:5-6", "def charge(self, order):\n    return order.total()"),
                ("shop/orders.py:15-16", "def receipt(self):\n    return fmt(self.total())"),
                ("shop/sub.py:3-4", "def total(self):\n    return super().total() + 1")]
    answer = _callers("who calls it?", facts, passages)
    assert answer.endswith("Not in the map, possibly callers: shop/pay.py:5-6 call `.total()` "
                           "on an object whose type the map does not know (calls are resolved "
                           "statically).")
    init = [("shop.orders:Order.__init__", "- shop.cli:main (shop/cli.py:1-3) calls "
             "shop.orders:Order.__init__")]
    assert "possibly" not in _callers("who calls it?", init,
                                      [("a.py:1-2", "def f(self):\n    super().__init__()")])
    function = [("shop.pricing:apply_tax", "")]  # a function is called by its name: resolved
    assert "possibly" not in _callers("who calls it?", function,
                                      [("a.py:1-2", "x = pricing.apply_tax(1)")])


def test_the_subject_is_found_by_its_first_line_where_its_passage_was_cut():
    """A passage is cut at 80 lines in the context, so the subject a turn stores may end
    before the hit the next search returns: the same file and first line are the subject."""
    import pandas as pd

    from workbench.ai.context import _subject_first

    hits = pd.DataFrame({"path": ["b.py", "a.py"], "line_start": [1, 10],
                         "line_end": [5, 109], "text": ["x", "y"]})
    moved = _subject_first(hits, ("a.py", 10, 89))
    assert moved["path"].tolist() == ["a.py", "b.py"]
    assert moved["_subject"].tolist() == [True, False]
    assert _subject_first(hits, ("a.py", 11, 89)) is hits  # another passage of the file


def _history(path: str = "shop/orders.py", start: int = 11) -> list[dict]:
    item = {"kind": "passage", "included": True, "path": path, "line_start": start,
            "line_end": start + 2}
    return [{"role": "user", "content": "how is the order total computed?",
             "context": {"items": [item]}},
            {"role": "assistant", "content": "...", "context": {"items": [item]}}]


@pytest.mark.parametrize("question, anchored", [
    ("and who calls it?", True),
    ("where is this used?", True),
    ("what does this do?", True),
    ("and this one?", True),
    ("where are these defined?", True),
    ("what calls them?", True),
    ("what is the entry point of this project?", False),  # a demonstrative opening a subject
    ("how are these tests run?", False),
    ("what about PaymentGateway, who calls it?", False),  # names its own subject
    ("who calls apply_tax?", False),
    ("who calls Order.total?", False),
    ("what about payments?", False),
])
def test_which_follow_ups_refer_back(question, anchored):
    from workbench.ai.service import _follow_up_subject

    found = _follow_up_subject(question, _history())
    assert (found == ("shop/orders.py", 11, 13)) if anchored else found is None
    assert _follow_up_subject(question, []) is None  # a first question refers to nothing
