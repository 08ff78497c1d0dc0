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


def test_the_same_words_without_the_conversation_are_not_anchored(orders):
    orders.ask("how is the order total computed?", "orders")
    alone = orders.ask("and who calls it?", "orders")
    assert "the previous answer's subject" not in _first(alone)[2]


@pytest.mark.parametrize("question", ["who calls apply_tax?", "what about payments?"])
def test_a_follow_up_that_names_its_own_subject_is_searched_as_it_is(orders, question):
    """An identifier, or no pronoun: the follow-up says what it is about."""
    first = orders.ask("how is the order total computed?", "orders")
    follow = orders.ask(question, "orders", conversation=first.conversation_id)
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
