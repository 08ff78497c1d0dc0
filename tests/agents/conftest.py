"""A small shop repository with payments, orders, shipping and a web layer, and its contracts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import commit, git, init_repo, write

SHOP = {
    "README.md": "# shop\n",
    "workbench-contracts.toml": (
        '[[contracts]]\nname = "payments stay below the web"\ntype = "forbidden"\n'
        'source = "shop.payments"\nforbidden = ["shop.web"]\n'),
    "shop/__init__.py": "",
    "shop/money.py": "def fmt(cents):\n    return f'{cents / 100:.2f}'\n",
    "shop/payments.py": (
        "from shop.money import fmt\n\n\nclass PaymentGateway:\n"
        "    def charge(self, order):\n        return fmt(order.total)\n\n"
        "    def refund(self, order):\n        order.refunded = order.total\n"
        "        return fmt(order.total)\n"),
    "shop/orders.py": (
        "from shop.payments import PaymentGateway\n\n\nclass Basket:\n"
        "    def __init__(self, total):\n        self.total = total\n        self.refunded = 0\n\n\n"
        "def cancel_order(order):\n    return PaymentGateway().refund(order)\n"),
    "shop/shipping.py": (
        "from shop.orders import Basket\n\n\ndef ship(basket: Basket):\n    return 'shipped'\n\n\n"
        "def track_parcel(number):\n    return number\n"),
    "shop/web/__init__.py": "",
    "shop/web/views.py": (
        "from shop.orders import cancel_order\n\n\ndef cancel_view(request):\n"
        "    return cancel_order(request.order)\n"),
    "shop/catalog.py": "def list_products():\n    return []\n\n\ndef find_product(name):\n    return name\n",
    "tests/test_payments.py": (
        "from shop.payments import PaymentGateway\n\n\ndef test_refund():\n"
        "    assert PaymentGateway\n"),
}

IDEA_TITLE = "Partial refunds"
IDEA_TEXT = ("Customers should be able to get a partial refund of an order. "
             "The payment gateway must refund only the amount asked.")


@pytest.fixture
def shop_repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "shop")
    write(repo, SHOP)
    commit(repo, "shop with payments, orders, shipping and web", "2026-01-02T10:00:00+00:00")
    return repo


def add_branch(repo: Path, branch: str, files: dict[str, str], message: str) -> str:
    """A branch off main with ``files`` changed; returns its head commit. main stays checked out."""
    git(repo, "checkout", "-q", "-b", branch)
    write(repo, files)
    sha = commit(repo, message, "2026-01-03T10:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    return sha


@pytest.fixture
def mapped_shop(wb, shop_repo):
    wb.map(str(shop_repo), name="shop")
    return wb
