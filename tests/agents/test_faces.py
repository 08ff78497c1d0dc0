"""The pipeline from the real CLI, from a notebook run by papermill, and in the board panel."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from tests.agents.conftest import IDEA_TEXT, IDEA_TITLE, add_branch
from tests.agents.test_review import PARTIAL_REFUND
from tests.helpers import ROOT, invoke_cli, run_cli


def test_the_pipeline_from_the_cli(tmp_path, shop_repo):
    data = tmp_path / "data"
    assert invoke_cli("map", str(shop_repo), "--name", "shop", data_dir=data).returncode == 0
    out = run_cli("idea", "add", IDEA_TITLE, "--text", IDEA_TEXT, "-p", "shop", data_dir=data)
    assert out.returncode == 0, out.stderr
    assert "idea #1 planned: Partial refunds" in out.stdout
    assert "shop.payments:PaymentGateway.refund [function] shop/payments.py:8" in out.stdout
    assert re.search(r"Change \S+ \(shop/orders\.py\)", out.stdout)

    shown = invoke_cli("idea", "show", "1", data_dir=data)
    assert shown.returncode == 0 and "acceptance criteria:" in shown.stdout
    assert re.search(r"shop/orders\.py:\d+  via search\+map; impact \d file\(s\) \(.*shop\.web\.views",
                     shown.stdout)
    tasks = invoke_cli("tasks", "-p", "shop", data_dir=data)
    assert tasks.returncode == 0 and "touches: shop.payments:PaymentGateway.refund" in tasks.stdout
    assert tasks.stdout.startswith("ID  STATUS"), tasks.stdout

    add_branch(shop_repo, "partial-refunds", {"shop/payments.py": PARTIAL_REFUND}, "partial")
    review = invoke_cli("review", "-p", "shop", "--head", "partial-refunds", data_dir=data)
    assert review.returncode == 3, review.stderr
    assert "BLOCKED" in review.stdout and "tasks covered: #1" in review.stdout
    assert "in_review" in invoke_cli("tasks", "-p", "shop", data_dir=data).stdout
    same = invoke_cli("review", "-p", "shop", "--head", "main", data_dir=data)
    assert same.returncode == 0, same.stderr
    assert "changed (0): -\nimpact (0 files): -\n" in same.stdout

    bad = invoke_cli("idea", "add", "  ", "-p", "shop", data_dir=data)
    assert bad.returncode == 2 and bad.stderr.startswith(
        "error: Invalid value for 'TITLE': is empty; write it in words"), bad.stderr
    captured = invoke_cli("idea", "add", "Later", "-p", "shop", "--no-run", data_dir=data)
    assert captured.returncode == 0 and "idea #2 new: Later" in captured.stdout
    listed = invoke_cli("idea", "list", "-p", "shop", data_dir=data)
    assert listed.returncode == 0 and "planned" in listed.stdout and "Later" in listed.stdout
    missing = invoke_cli("idea", "show", "42", data_dir=data)
    assert missing.returncode == 1 and "no idea #42" in missing.stderr


def test_an_idea_that_failed_or_waited_runs_again_from_the_cli(tmp_path, shop_repo):
    data = tmp_path / "data"
    assert invoke_cli("project", "add", "shop", str(shop_repo), data_dir=data).returncode == 0
    failed = invoke_cli("idea", "add", IDEA_TITLE, "--text", IDEA_TEXT, "-p", "shop",
                        data_dir=data)
    assert failed.returncode == 1 and "idea #1 failed" in failed.stdout
    line, = failed.stderr.splitlines()
    assert "run `workbench map shop` first" in line
    assert line.endswith("then run the idea again with `workbench idea run 1`")
    captured = invoke_cli("idea", "add", "Later", "-p", "shop", "--no-run", data_dir=data)
    assert captured.returncode == 0 and "idea #2 new: Later" in captured.stdout

    assert invoke_cli("map", "shop", data_dir=data).returncode == 0
    again = invoke_cli("idea", "run", "1", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert "idea #1 planned: Partial refunds" in again.stdout
    assert "shop.payments:PaymentGateway.refund [function] shop/payments.py:8" in again.stdout
    later = invoke_cli("idea", "run", "2", data_dir=data)
    assert later.returncode == 0 and "idea #2 planned: Later" in later.stdout
    missing = invoke_cli("idea", "run", "42", data_dir=data)
    assert missing.returncode == 1 and "no idea #42" in missing.stderr
    assert invoke_cli("idea", "run", "0", data_dir=data).returncode == 2
    # a wait too short for the agents: the idea is kept, and the command says how to finish it
    # (one drain of the event log may run both agents within the wait: a few ideas are tried,
    # and the first the wait left unsettled is checked)
    for number, title in enumerate(("Soon", "Sooner", "Soonest", "Later still"), start=3):
        waited = invoke_cli("idea", "add", title, "-p", "shop", "--timeout", "0.001",
                            data_dir=data)
        if waited.returncode != 0:
            break
        assert f"idea #{number} planned: {title}" in waited.stdout, waited.stdout
    assert waited.returncode == 1, waited.stderr
    assert re.search(rf"idea #{number} (new|specified): {title}", waited.stdout), waited.stdout
    assert "not done within 0.001 s" in waited.stderr
    assert f"finish it with `workbench idea run {number}`" in waited.stderr
    finished = invoke_cli("idea", "run", str(number), data_dir=data)
    assert finished.returncode == 0 and f"idea #{number} planned: {title}" in finished.stdout


@pytest.mark.slow
def test_the_pipeline_from_the_notebook(tmp_path, shop_repo, wb):
    import papermill

    wb.map(str(shop_repo), name="shop")
    add_branch(shop_repo, "partial-refunds", {"shop/payments.py": PARTIAL_REFUND}, "partial")
    wb.close()
    out = tmp_path / "ideas-out.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "ideas.ipynb"), str(out), kernel_name="python3",
        parameters={"project": "shop", "data_dir": str(wb.data_dir), "idea_title": IDEA_TITLE,
                    "idea_text": IDEA_TEXT, "review_head": "partial-refunds"},
        progress_bar=False)
    nb = nbformat.read(str(out), as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "shop.payments:PaymentGateway.refund" in outputs
    assert "Tests for: Partial refunds" in outputs
    assert "BLOCKED" in outputs and "tasks covered: [1]" in outputs
    assert "wb-board" in outputs  # the board's HTML rendering
    assert wb.ideas.list("shop").loc[0, "status"] == "planned"


def test_the_board_adds_an_idea_and_shows_its_spec_and_tasks(mapped_shop):
    from workbench.widgets import IdeasBoard, Session, WorkbenchApp

    board = IdeasBoard(Session(mapped_shop, project="shop"))
    board.add_button.click()  # no title: the error is shown, nothing stored
    assert "error" in board.message.value and mapped_shop.ideas.list().empty
    idea = board.add(IDEA_TITLE, IDEA_TEXT)
    assert idea.status == "planned" and "planned" in board.message.value
    assert len(board.ideas) == 1 and len(board.tasks) == 4 and len(board.specs) == 1
    assert board.specs.loc[0, "code_areas"][0] == "shop.payments:PaymentGateway.refund"
    html = board.to_html()
    assert "<b>todo</b> (4)" in html and "Change PaymentGateway.refund" in html
    assert "Spec #1" in html and "shop.web.views" in html and "<h5>Specs</h5>" in html
    assert "ideas" in WorkbenchApp(mapped_shop, project="shop").panels


def test_the_board_shows_the_idea_picked_in_its_list(mapped_shop):
    from workbench.widgets import IdeasBoard, Session

    planned = mapped_shop.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    waiting = mapped_shop.ideas.add("shop", "Gift cards", "Sell gift cards.", run=False)
    board = IdeasBoard(Session(mapped_shop, project="shop"))
    labels = dict((v, k) for k, v in board.picker.options)
    assert set(labels) == {None, planned.id, waiting.id}
    assert labels[planned.id] == f"#{planned.id} Partial refunds (planned)"
    assert board.picker.value is None and board.detail.value == ""

    board.picker.value = planned.id  # as a click in the list does
    shown = board.detail.value
    assert f"Spec #1 of idea #{planned.id}" in shown and "Code areas" in shown
    assert f"Tasks of idea #{planned.id}" in shown and "Change PaymentGateway.refund" in shown
    assert shown in board.to_html()

    board.picker.value = waiting.id
    assert f"idea #{waiting.id} has no spec yet" in board.detail.value
    assert "Change PaymentGateway.refund" not in board.detail.value

    board.refresh()  # re-listing keeps the choice and what it shows
    assert board.picker.value == waiting.id and "no spec yet" in board.detail.value
    board.show_idea(planned.id)  # from Python, the list follows
    assert board.picker.value == planned.id and "Spec #1" in board.detail.value
    board.picker.value = None
    assert board.detail.value == ""
