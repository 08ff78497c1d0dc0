"""Pull requests reviewed against the map, on real branches of a real repository."""

from __future__ import annotations

import pytest

from tests.agents.conftest import IDEA_TEXT, IDEA_TITLE, SHOP, add_branch
from tests.helpers import commit, init_repo, write
from workbench.agents.errors import ReviewError
from workbench.agents.reviewer import changed_lines, docstring_lines

PARTIAL_REFUND = (
    "from shop.money import fmt\nfrom shop.web import views\n\n\nclass PaymentGateway:\n"
    "    def charge(self, order):\n        return fmt(order.total)\n\n"
    "    def refund(self, order, amount=None):\n"
    "        amount = order.total if amount is None else amount\n"
    "        order.refunded = amount\n        return fmt(amount)\n")


def test_a_branch_that_breaks_a_contract_is_blocked_and_covers_its_task(mapped_shop, shop_repo):
    wb = mapped_shop
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    tasks = {t.title: t for t in wb.ideas.task_list(idea_id=idea.id)}
    refund_task = tasks["Change PaymentGateway.refund (shop/payments.py)"]
    head = add_branch(shop_repo, "partial-refunds", {"shop/payments.py": PARTIAL_REFUND},
                      "partial refunds")

    review = wb.ideas.review("shop", "partial-refunds")
    assert review.verdict == "blocked" and review.head_sha == head
    assert review.base_ref == "main" and review.base_sha != head
    assert any("payments stay below the web" in r and "shop.web.views" in r for r in review.reasons)
    assert review.violations[0]["importer"] == "shop.payments"
    assert review.violations[0]["imported"] == "shop.web.views"
    assert review.counts["violations_new"] == 1 and review.counts["cycles_new"] == 1
    assert "shop.payments:PaymentGateway.refund" in review.changed
    assert "shop.payments:PaymentGateway.charge" not in review.changed  # its lines are untouched
    assert {"shop.orders", "shop.web.views"} <= set(review.impact)
    assert review.task_ids == (refund_task.id,)
    assert wb.ideas.task(refund_task.id).status == "in_review"
    orders_task = next(t for t in tasks.values() if t.nodes and t.nodes[0].path == "shop/orders.py")
    assert wb.ideas.task(orders_task.id).status == "todo"
    assert wb.ideas.reviews("shop").loc[0, "verdict"] == "blocked"


def test_a_clean_branch_is_ok_and_a_removal_still_used_asks_for_attention(mapped_shop, shop_repo):
    wb = mapped_shop
    add_branch(shop_repo, "catalog", {"shop/catalog.py": SHOP["shop/catalog.py"]
                                      + "\n\ndef count_products():\n    return 0\n"}, "count")
    ok = wb.ideas.review("shop", "catalog", "main")
    assert ok.verdict == "ok" and ok.task_ids == () and ok.violations == ()
    assert ok.changed == ("shop.catalog", "shop.catalog:count_products")
    assert ok.counts["nodes_added"] == 1

    add_branch(shop_repo, "drop-cancel", {"shop/orders.py": SHOP["shop/orders.py"].split(
        "\n\n\ndef cancel_order")[0] + "\n"}, "drop cancel_order")
    attention = wb.ideas.review("shop", "drop-cancel")
    assert attention.verdict == "attention"
    assert any("shop.orders:cancel_order was removed" in r and "shop.web.views" in r
               for r in attention.reasons)


def test_an_unknown_head_is_a_review_error(mapped_shop):
    with pytest.raises(ReviewError, match="no-such-branch"):
        mapped_shop.ideas.review("shop", "no-such-branch")


def test_changed_lines_reads_new_side_hunks():
    text = ("diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -3,0 +4,2 @@\n+a\n+b\n"
            "@@ -10 +12 @@\n-c\n+d\n@@ -20,3 +21,0 @@\n-e\n"
            "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n")
    assert changed_lines(text) == {"x.py": [(4, 5), (12, 12), (21, 21)]}


def test_a_repository_without_contracts_is_reviewed_all_the_same(wb, tmp_path):
    """Most repositories have no contracts file: the review checks cycles, removals and
    impact, and reports no contract."""
    repo = init_repo(tmp_path / "plain")
    write(repo, {k: v for k, v in SHOP.items() if k != "workbench-contracts.toml"})
    commit(repo, "shop without contracts", "2026-01-02T10:00:00+00:00")
    wb.map(str(repo), name="plain")
    add_branch(repo, "cycle", {"shop/payments.py": PARTIAL_REFUND}, "payments import the web")

    review = wb.ideas.review("plain", "cycle")
    assert review.verdict == "blocked" and review.violations == ()
    assert review.counts["violations_new"] == 0 and review.counts["cycles_new"] == 1
    assert any(r.startswith("new import cycle") for r in review.reasons)


def test_the_impact_of_a_change_is_that_of_what_it_changed_not_of_its_whole_file(mapped_shop,
                                                                                 shop_repo):
    wb = mapped_shop
    # comments and blank lines change no behaviour: the file is changed, nothing is impacted
    add_branch(shop_repo, "comment", {"shop/money.py": SHOP["shop/money.py"]
                                      + "\n\n# amounts are in cents\n"}, "a comment")
    quiet = wb.ideas.review("shop", "comment")
    assert quiet.changed == ("shop.money",)
    assert quiet.verdict == "ok" and quiet.impact == ()

    # a method's body: what depends on it, not every importer of its module
    body = SHOP["shop/orders.py"].replace("self.refunded = 0", "self.refunded = None")
    add_branch(shop_repo, "basket", {"shop/orders.py": body}, "basket starts unrefunded")
    inner = wb.ideas.review("shop", "basket")
    assert "shop.orders:Basket.__init__" in inner.changed
    assert "shop.web.views" not in inner.impact  # it uses cancel_order, not the basket

    # a top-level line of the module: its importers are impacted
    top = SHOP["shop/orders.py"].replace("\n\n\nclass Basket", "\nTAX = 0\n\n\nclass Basket")
    add_branch(shop_repo, "tax", {"shop/orders.py": top}, "a module constant")
    outer = wb.ideas.review("shop", "tax")
    assert {"shop.web.views", "shop.shipping"} <= set(outer.impact)


def test_changed_lines_leave_out_hunks_of_blank_lines_and_python_comments():
    text = ("diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
            "@@ -3,0 +4,2 @@\n+\n+# a note\n"          # inert: left out
            "@@ -10 +12 @@\n-# old\n+x = 1\n"           # a comment became code
            "@@ -20,2 +21,0 @@\n-\n-   # gone\n"        # inert
            "diff --git a/x.js b/x.js\n--- a/x.js\n+++ b/x.js\n@@ -1,0 +2 @@\n+# not a comment\n")
    assert changed_lines(text) == {"x.py": [(12, 12)], "x.js": [(2, 2)]}


def test_a_docstring_or_a_method_changes_only_itself(mapped_shop, shop_repo):
    """An edit of docstrings alone changes nothing; an edit inside a method changes the
    method, not its class: the class's other methods' tasks are not covered, and what
    depends on the class is not impacted."""
    wb = mapped_shop
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    tasks = {t.title: t for t in wb.ideas.task_list(idea_id=idea.id)}
    refund_task = tasks["Change PaymentGateway.refund (shop/payments.py)"]
    documented = SHOP["shop/payments.py"].replace(
        "    def charge(self, order):\n",
        '    def charge(self, order):\n        """Charge the order\'s total."""\n').replace(
        "class PaymentGateway:\n", 'class PaymentGateway:\n    """Takes payments."""\n\n')
    add_branch(shop_repo, "docs", {"shop/payments.py": documented}, "docstrings")
    docs = wb.ideas.review("shop", "docs")
    assert docs.changed == ("shop.payments",)
    assert docs.verdict == "ok" and docs.impact == () and docs.task_ids == ()

    charged = SHOP["shop/payments.py"].replace("return fmt(order.total)",
                                               "return fmt(order.total * 100)", 1)
    add_branch(shop_repo, "cents", {"shop/payments.py": charged}, "charge in cents")
    cents = wb.ideas.review("shop", "cents")
    assert "shop.payments:PaymentGateway.charge" in cents.changed
    assert "shop.payments:PaymentGateway" not in cents.changed
    assert refund_task.id not in cents.task_ids
    assert wb.ideas.task(refund_task.id).status == "todo"


def test_changed_lines_leave_out_hunks_within_docstrings():
    old = b'def f():\n    """Old words."""\n    return 1\n'
    new = b'def f():\n    """New words,\n    on two lines."""\n    return 2\n'
    assert docstring_lines(old) == {2} and docstring_lines(new) == {2, 3}
    assert docstring_lines(b"def broken(:\n") == set()
    text = ("diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n"
            "@@ -2 +2,2 @@\n-    \"\"\"Old words.\"\"\"\n+    \"\"\"New words,\n+    on two lines.\"\"\"\n"
            "@@ -3 +4 @@\n-    return 1\n+    return 2\n")
    inert = {"x.py": (docstring_lines(old), docstring_lines(new))}
    assert changed_lines(text, inert) == {"x.py": [(4, 4)]}
    assert changed_lines(text) == {"x.py": [(2, 3), (4, 4)]}
