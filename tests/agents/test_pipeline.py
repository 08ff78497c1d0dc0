"""Idea → spec → tasks on a real repository, rule-based (the extractive default)."""

from __future__ import annotations

import networkx as nx
import pytest

from tests.agents.conftest import IDEA_TEXT, IDEA_TITLE
from tests.helpers import commit, init_repo, write
from workbench.agents.areas import find_code_areas, keywords
from workbench.agents.errors import IdeaNotFound, InvalidIdea, PlanCycle
from workbench.agents.planner import check_dag
from workbench.errors import ProjectNotFound


def test_an_idea_becomes_a_spec_that_names_the_right_code_areas(mapped_shop):
    wb = mapped_shop
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    assert idea.status == "planned" and idea.error is None
    spec = wb.ideas.spec(idea.id)
    nodes = [a.node for a in spec.code_areas]
    assert nodes[0] == "shop.payments:PaymentGateway.refund" and len(nodes) == 2
    orders = spec.code_areas[1]  # cancel_order or its module: search ranks, names agree
    assert orders.found_by == "search+map" and orders.path == "shop/orders.py"
    assert "search hit #" in orders.reason and "order" in orders.reason
    assert "shop.web.views" in orders.impact and orders.impact_count == len(orders.impact)
    assert spec.problem.startswith("Partial refunds.")
    assert spec.goals == ("Customers should be able to get a partial refund of an order.",)
    assert "The payment gateway must refund only the amount asked." in spec.requirements
    assert any("tests.test_payments" in a for a in spec.acceptance)
    assert spec.author == "rules" and spec.snapshot_id == wb.snapshot("shop").id
    # deterministic: the same idea again gets the same spec
    again = wb.ideas.spec(wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True).id)
    assert (again.code_areas, again.requirements, again.acceptance) == (
        spec.code_areas, spec.requirements, spec.acceptance)


def test_tasks_form_a_dag_and_carry_touched_nodes_and_impact(mapped_shop):
    wb = mapped_shop
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    tasks = wb.ideas.task_list(idea_id=idea.id)
    by_title = {t.title: t for t in tasks}
    assert [t.position for t in tasks] == list(range(len(tasks)))
    g = nx.DiGraph([(d, t.id) for t in tasks for d in t.depends_on])
    g.add_nodes_from(t.id for t in tasks)
    assert nx.is_directed_acyclic_graph(g)
    position = {t.id: t.position for t in tasks}
    assert all(position[d] < t.position for t in tasks for d in t.depends_on)  # stored in order
    refund = by_title["Change PaymentGateway.refund (shop/payments.py)"]
    orders = next(t for t in tasks if t.nodes and t.nodes[0].path == "shop/orders.py")
    assert refund.touched == ("shop.payments:PaymentGateway.refund",)
    assert orders.title.startswith("Change ") and orders.title.endswith(" (shop/orders.py)")
    assert orders.depends_on == (refund.id,)  # orders imports payments: payments change first
    assert any(n.startswith("shop.web.views") for n in orders.impacted)
    assert min(n.distance for n in orders.nodes if n.role == "impact") == 1
    dependents = next(t for t in tasks if t.title.startswith("Update the dependents of"))
    assert "shop.web.views" in dependents.touched and dependents.depends_on == (orders.id,)
    last = tasks[-1]
    assert last.title == "Tests for: Partial refunds" and last.touched == ("tests.test_payments",)
    assert set(last.depends_on) == {t.id for t in tasks[:-1]}
    assert all(0 < t.estimate_hours <= 16 for t in tasks)
    frame = wb.ideas.tasks("shop")
    assert list(frame["id"]) == [t.id for t in tasks] and set(frame["status"]) == {"todo"}
    # a task's impact is counted as its code area's is: other files, not nodes
    areas = {a.node: a for a in wb.ideas.spec(idea.id).code_areas}
    compared = 0
    for task in tasks:
        if len(task.touched) == 1 and task.touched[0] in areas and not task.impact_capped:
            area = areas[task.touched[0]]
            assert task.impacted_files == area.impact[:len(task.impacted_files)]
            assert len(task.impacted_files) == area.impact_count
            compared += 1
    assert compared >= 2
    assert list(frame["impact"]) == [len(t.impacted_files) for t in tasks]
    listed = wb.ideas.list("shop")
    assert listed.loc[0, "status"] == "planned" and listed.loc[0, "tasks"] == len(tasks)


def test_a_cycle_in_task_dependencies_is_refused_with_the_tasks_named():
    assert check_dag(["a", "b", "c"], [[], [0], [0, 1]]) == [0, 1, 2]
    assert check_dag(["late", "early"], [[1], []]) == [1, 0]
    with pytest.raises(PlanCycle) as err:
        check_dag(["schema", "api", "ui"], [[2], [0], [1]])
    assert "cycle" in str(err.value) and all(f"'{t}'" in str(err.value) for t in ("schema", "api", "ui"))
    assert set(err.value.cycle) == {"schema", "api", "ui"}
    with pytest.raises(PlanCycle, match="not in the plan"):
        check_dag(["a"], [[3]])
    with pytest.raises(PlanCycle):
        check_dag(["self"], [[0]])


def test_ideas_are_checked_before_they_are_stored(mapped_shop):
    wb = mapped_shop
    for title, text in (("", ""), ("   ", "x"), ("two\nlines", ""), ("x" * 201, ""),
                        ("ok", "bell\x07")):
        with pytest.raises(InvalidIdea):
            wb.ideas.add("shop", title, text)
    with pytest.raises(ProjectNotFound):
        wb.ideas.add("nope", "A title")
    with pytest.raises(InvalidIdea):
        wb.ideas.add("shop", "A title", source="carrier-pigeon")
    assert wb.ideas.list().empty
    with pytest.raises(IdeaNotFound, match="workbench idea list"):
        wb.ideas.get(99)


def test_an_idea_of_an_unmapped_project_fails_with_the_fix(wb, shop_repo):
    wb.add_project("shop", str(shop_repo))
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    assert idea.status == "failed" and "workbench map shop" in idea.error
    assert wb.ideas.spec(idea.id) is None
    wb.map("shop")  # the fix the error names; running the idea again plans it
    again = wb.ideas.run(idea.id)
    assert again.status == "planned" and again.error is None and wb.ideas.spec(idea.id)


def test_an_idea_nothing_in_the_map_matches_gets_a_plan_to_find_the_code(mapped_shop):
    idea = mapped_shop.ideas.add("shop", "Quantum flux", "Zebras xylophone.", run=True)
    spec = mapped_shop.ideas.spec(idea.id)
    assert spec.code_areas == ()
    tasks = mapped_shop.ideas.task_list(idea_id=idea.id)
    assert [t.title for t in tasks] == ["Find the code for: Quantum flux"]


def test_removing_a_project_removes_its_ideas(mapped_shop):
    mapped_shop.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    mapped_shop.remove_project("shop")
    assert mapped_shop.ideas.list().empty and mapped_shop.ideas.tasks().empty


def test_the_map_alone_finds_areas_by_the_names_it_holds(mapped_shop):
    snap = mapped_shop.snapshot("shop")
    assert keywords(f"{IDEA_TITLE}. {IDEA_TEXT}")[:4] == ["refund", "partial", "customer", "order"]
    areas = find_code_areas(snap, f"{IDEA_TITLE}\n{IDEA_TEXT}")  # no search: names only
    assert [a.node for a in areas] == ["shop.payments:PaymentGateway.refund", "shop.orders"]
    assert all(a.found_by == "map" for a in areas)
    assert set(areas[1].impact) == {"shop.shipping", "shop.web.views"}
    assert find_code_areas(snap, "zebra xylophone") == []
    tests_too = find_code_areas(snap, "test refund", include_tests=True)
    assert "tests.test_payments:test_refund" in [a.node for a in tests_too]


def test_a_name_spelled_as_code_finds_its_definition_even_when_it_reads_as_a_stop_word(
        wb, tmp_path):
    repo = init_repo(tmp_path / "rules")
    write(repo, {"rules/__init__.py": "",
                 "rules/combine.py": ("def and_(*checks):\n    return all(checks)\n\n\n"
                                      "def collect_failures(results):\n    return list(results)\n")})
    commit(repo, "rules")
    snap = wb.map(str(repo), name="rules")
    assert keywords("Compose with and_")[0] == "and_"
    areas = find_code_areas(snap, "Compose with and_\nand_ should report every failure")
    assert areas and areas[0].node == "rules.combine:and_"


def test_planners_racing_on_one_spec_write_one_plan(mapped_shop):
    import threading

    wb = mapped_shop
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT)
    spec = wb.ideas.define(idea.id)
    results: list[list[int]] = []

    def plan() -> None:
        results.append([t.id for t in wb.ideas.plan(spec.id)])

    threads = [threading.Thread(target=plan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 4 and len({tuple(r) for r in results}) == 1
    assert len(wb.ideas.task_list(idea_id=idea.id)) == len(results[0])
    assert len(wb.events.read(types="tasks.created")) == 1


def test_an_areas_reasons_quote_the_ideas_words_as_written(mapped_shop):
    """Reasons show the idea's words as its author spelled them, not their folded forms
    (``customers``, not ``customer``; ``asked``, not ``ask``)."""
    import re

    wb = mapped_shop
    idea = wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True)
    written = set(re.findall(r"[a-z]+", f"{IDEA_TITLE} {IDEA_TEXT}".lower()))
    quoted = []
    for area in wb.ideas.spec(idea.id).code_areas:
        for phrase in re.findall(r"search hit #\d+ for '([^']*)'", area.reason):
            quoted += phrase.split()
        for listed in re.findall(r"(?:holds|meet in it:) ([a-z, ]+)", area.reason):
            quoted += [w.strip() for w in listed.split(",") if w.strip()]
    assert quoted and set(quoted) <= written, quoted
