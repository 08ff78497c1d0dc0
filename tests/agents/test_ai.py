"""The agents with a model: structured JSON from a real OpenAI-compatible server on 127.0.0.1
(tests/openai_server.py): valid answers, a malformed answer then a valid one, and answers that
stay malformed."""

from __future__ import annotations

import json

import pytest

from tests.agents.conftest import IDEA_TEXT, IDEA_TITLE
from workbench import Config, Workbench
from workbench.agents.errors import MalformedAnswer

SPEC = {"problem": "Only whole orders can be refunded.",
        "goals": ["Refund part of an order"],
        "requirements": ["PaymentGateway.refund takes an amount"],
        "acceptance_criteria": ["A refund of 5 on an order of 20 leaves 15 paid"],
        "code_areas": [{"node": "shop.payments:PaymentGateway.refund", "reason": "does refunds"},
                       {"node": "orders", "reason": "cancels orders"}]}
PLAN = {"tasks": [
    {"key": "amount", "title": "Refund an amount", "description": "add the amount argument",
     "estimate_hours": 3, "depends_on": [], "nodes": ["shop.payments:PaymentGateway.refund"]},
    {"key": "cancel", "title": "Partial cancel", "description": "", "estimate_hours": 2,
     "depends_on": ["amount"], "nodes": ["shop.orders:cancel_order"]}]}
CYCLE = {"tasks": [
    {"key": "a", "title": "A", "estimate_hours": 1, "depends_on": ["b"], "nodes": []},
    {"key": "b", "title": "B", "estimate_hours": 1, "depends_on": ["a"], "nodes": []}]}


@pytest.fixture
def ai_wb(tmp_path, shop_repo, openai_server):
    data = tmp_path / "data"
    config = Config(data_dir=data, ai_provider="openai", openai_base_url=openai_server.base_url,
                    openai_api_key=openai_server.api_key, openai_model="tiny-chat", ai_retries=0)
    wb = Workbench(data, config=config)
    wb.map(str(shop_repo), name="shop")
    yield wb
    wb.close()


def test_a_model_writes_the_spec_and_the_plan_as_validated_json(ai_wb, openai_server):
    openai_server.reply(json.dumps(SPEC))
    openai_server.reply(json.dumps(PLAN))
    idea = ai_wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT, run=True, timeout=120)
    assert idea.status == "planned", idea.error
    spec = ai_wb.ideas.spec(idea.id)
    assert spec.author == "openai" and spec.model == "tiny-chat"
    assert spec.problem == SPEC["problem"] and spec.acceptance == tuple(SPEC["acceptance_criteria"])
    assert [a.node for a in spec.code_areas] == ["shop.payments:PaymentGateway.refund", "shop.orders"]
    assert all(a.found_by == "model" for a in spec.code_areas)
    assert spec.code_areas[1].impact_count == 2  # computed from the map, not asked of the model
    tasks = ai_wb.ideas.task_list(idea_id=idea.id)
    assert [t.title for t in tasks] == ["Refund an amount", "Partial cancel"]
    assert tasks[1].depends_on == (tasks[0].id,) and tasks[0].estimate_hours == 3
    assert tasks[1].touched == ("shop.orders:cancel_order",)
    assert "shop.web.views:cancel_view" in tasks[1].impacted

    first, second = openai_server.chat_requests()[:2]
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["name"] == "spec"
    assert first["model"] == "tiny-chat"
    prompt = json.dumps(first["messages"])
    assert "Partial refunds" in prompt and "shop.payments:PaymentGateway.refund" in prompt
    assert second["response_format"]["json_schema"]["name"] == "plan"
    assert "Only whole orders can be refunded." in json.dumps(second["messages"])


def test_a_malformed_answer_is_sent_back_and_the_valid_one_kept(ai_wb, openai_server):
    idea = ai_wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT)
    openai_server.reply("Sure! Here is the spec: {problem: ...")
    openai_server.reply(json.dumps(SPEC))
    spec = ai_wb.ideas.define(idea.id)
    assert spec.problem == SPEC["problem"]
    retry = openai_server.chat_requests()[1]["messages"]
    assert retry[-2] == {"role": "assistant", "content": "Sure! Here is the spec: {problem: ..."}
    assert retry[-1]["role"] == "user" and "not valid: not JSON" in retry[-1]["content"]

    openai_server.reply(json.dumps(CYCLE))  # schema-valid, but its dependencies loop
    openai_server.reply(json.dumps(PLAN))
    tasks = ai_wb.ideas.plan(spec.id)
    assert [t.title for t in tasks] == ["Refund an amount", "Partial cancel"]
    assert "cycle" in openai_server.chat_requests()[3]["messages"][-1]["content"]
    assert ai_wb.ideas.get(idea.id).status == "planned"


def test_an_answer_that_stays_malformed_is_reported(ai_wb, openai_server):
    idea = ai_wb.ideas.add("shop", IDEA_TITLE, IDEA_TEXT)
    openai_server.reply(json.dumps({**SPEC, "goals": "not a list"}))
    openai_server.reply(json.dumps({**SPEC, "code_areas": [{"node": "shop.nowhere", "reason": ""}]}))
    with pytest.raises(MalformedAnswer) as err:
        ai_wb.ideas.define(idea.id)
    assert len(err.value.errors) == 2
    assert "goals" in err.value.errors[0] and "shop.nowhere" in err.value.errors[1]
    assert "malformed 2 times" in str(err.value)
    failed = ai_wb.ideas.get(idea.id)
    assert failed.status == "failed" and "malformed" in failed.error
    assert ai_wb.ideas.spec(idea.id) is None and len(openai_server.chat_requests()) == 2

    too_big = {**SPEC, "problem": "x" * 40_000}
    openai_server.reply(json.dumps(too_big))
    openai_server.reply(json.dumps(too_big))
    with pytest.raises(MalformedAnswer, match="over the limit"):
        ai_wb.ideas.define(idea.id)


def test_the_pipeline_with_a_model_from_the_cli(tmp_path, shop_repo, openai_server):
    from tests.helpers import invoke_cli, run_cli

    data = tmp_path / "data"
    env = {"WORKBENCH_AI_PROVIDER": "openai", "OPENAI_BASE_URL": openai_server.base_url,
           "OPENAI_API_KEY": openai_server.api_key, "OPENAI_MODEL": "tiny-chat"}
    assert invoke_cli("map", str(shop_repo), "--name", "shop", data_dir=data).returncode == 0
    openai_server.reply(json.dumps(SPEC))
    openai_server.reply(json.dumps(PLAN))
    out = run_cli("idea", "add", IDEA_TITLE, "--text", IDEA_TEXT, "-p", "shop", data_dir=data,
                  env=env)
    assert out.returncode == 0, out.stderr
    assert "spec #1 by openai (tiny-chat)" in out.stdout and "Partial cancel" in out.stdout


@pytest.mark.slow
def test_the_pipeline_with_a_model_from_the_notebook(tmp_path, shop_repo, openai_server,
                                                     monkeypatch, wb):
    import nbformat
    import papermill

    from tests.helpers import ROOT

    wb.map(str(shop_repo), name="shop")
    wb.close()
    for var, value in {"OPENAI_BASE_URL": openai_server.base_url,
                       "OPENAI_API_KEY": openai_server.api_key, "OPENAI_MODEL": "tiny-chat"}.items():
        monkeypatch.setenv(var, value)  # the kernel inherits them
    openai_server.reply(json.dumps(SPEC))
    openai_server.reply(json.dumps(PLAN))
    out = tmp_path / "ideas-ai.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "ideas.ipynb"), str(out), kernel_name="python3",
        parameters={"project": "shop", "data_dir": str(wb.data_dir), "idea_title": IDEA_TITLE,
                    "idea_text": IDEA_TEXT, "provider": "openai"}, progress_bar=False)
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(str(out), as_version=4).cells])
    assert "Only whole orders can be refunded." in outputs and "Partial cancel" in outputs
    assert [r["response_format"]["json_schema"]["name"]
            for r in openai_server.chat_requests()] == ["spec", "plan"]


def test_the_pipeline_with_a_model_from_the_server(ai_wb, openai_server):
    import httpx

    from tests.agents.test_server import wait_for
    from workbench.server import BackgroundServer, create_app

    openai_server.reply(json.dumps(SPEC))
    openai_server.reply(json.dumps(PLAN))
    app = create_app(ai_wb, token="t0ken", agents=True)
    with BackgroundServer(app) as server:
        answer = httpx.post(f"{server.url}/api/ideas", timeout=60,
                            headers={"Authorization": "Bearer t0ken"},
                            json={"project": "shop", "title": IDEA_TITLE, "text": IDEA_TEXT})
        assert answer.status_code == 201, answer.text
        idea_id = answer.json()["id"]
        wait_for(lambda: ai_wb.ideas.get(idea_id).status == "planned", "the plan")
    assert ai_wb.ideas.spec(idea_id).author == "openai"
    assert [t.title for t in ai_wb.ideas.task_list(idea_id=idea_id)] == ["Refund an amount",
                                                                       "Partial cancel"]
