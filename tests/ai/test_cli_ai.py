"""`workbench ask`, `workbench ai ...` in a real process."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT, invoke_cli


def cli(data_dir, *args, env=None):
    return subprocess.run([sys.executable, "-m", "workbench", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=180, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def test_ask_streams_lists_citations_and_conversations(shop, data_dir):
    shop.close()
    out = cli(data_dir, "ask", "where is money formatted?", "-p", "shop", "--show-context")
    assert out.returncode == 0, out.stderr
    assert "Extracted from the map" in out.stdout and "citations:" in out.stdout
    assert "✓ src/shop/util/money.py:4-6" in out.stdout
    assert "context for 'where is money formatted?'" in out.stdout
    listed = cli(data_dir, "ai", "conversations", "-p", "shop")
    assert "where is money formatted?" in listed.stdout
    follow = cli(data_dir, "ask", "who calls fmt?", "-p", "shop", "--conversation", "1")
    assert follow.returncode == 0 and "conversation 1" in follow.stdout
    shown = cli(data_dir, "ai", "show", "1")
    assert shown.stdout.count("[user]") == 2 and shown.stdout.count("[assistant]") == 2


def test_ask_against_a_server_from_the_environment(shop, data_dir, openai_server):
    shop.close()
    env = {"WORKBENCH_AI_PROVIDER": "openai", "OPENAI_BASE_URL": openai_server.base_url,
           "OPENAI_API_KEY": openai_server.api_key, "OPENAI_MODEL": "tiny-chat"}
    openai_server.reply("Use src/shop/util/money.py:4-6, not src/shop/ghost.py:1.")
    out = cli(data_dir, "ask", "where?", "-p", "shop", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Use src/shop/util/money.py:4-6")
    assert "✗ src/shop/ghost.py:1  (not in the snapshot)" in out.stdout
    assert "openai/tiny-chat" in out.stdout
    shown = cli(data_dir, "ai", "show", "1", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "citations:\n  ✓ src/shop/util/money.py:4-6\n" in shown.stdout
    assert "  ✗ src/shop/ghost.py:1  (not in the snapshot)" in shown.stdout
    models = cli(data_dir, "ai", "models", env=env)
    assert "tiny-chat" in models.stdout and "8192" in models.stdout
    windows = {line.split()[1]: line.split()[2] for line in models.stdout.splitlines()[1:]
               if line.split()[0] == "openai"}
    assert windows == {"tiny-chat": "8192", "tiny-notools": "4096"}, models.stdout
    default = cli(data_dir, "ai", "default", "-p", "shop", "tiny-notools", env=env)
    assert default.stdout.strip() == "project shop: openai/tiny-notools"
    openai_server.error(401)
    failed = cli(data_dir, "ask", "again?", "-p", "shop", env=env)
    assert failed.returncode == 1
    assert failed.stderr.strip().startswith("error: ") and "OPENAI_API_KEY" in failed.stderr
    cleared = cli(data_dir, "ai", "default", "-p", "shop", "--clear", env=env)
    assert "no default model" in cleared.stdout
    # a stream cut short: what came is kept on its own line, then the one-line error
    openai_server.cut("Half of the ans", abrupt=True)
    cut = cli(data_dir, "ask", "cut?", "-p", "shop", env=env)
    assert cut.returncode == 1 and cut.stdout == "Half of the ans\n", cut.stdout
    assert cut.stderr.strip().startswith("error: ")


def test_a_question_no_model_answered_leaves_nothing_and_a_cut_one_shows_its_error(
        shop, data_dir, openai_server):
    shop.close()
    env = {"WORKBENCH_AI_PROVIDER": "openai", "OPENAI_BASE_URL": openai_server.base_url,
           "OPENAI_API_KEY": openai_server.api_key, "OPENAI_MODEL": ""}
    failed = cli(data_dir, "ask", "where?", "-p", "shop", env=env)
    assert failed.returncode == 1 and "no model chosen" in failed.stderr and "`--model`" in failed.stderr
    listed = cli(data_dir, "ai", "conversations", "-p", "shop", env=env)
    assert "(no conversations)" in listed.stdout  # no answer text: nothing stored
    openai_server.cut("Half of the ans")
    cut = cli(data_dir, "ask", "where?", "-p", "shop", "--model", "tiny-chat", env=env)
    assert cut.returncode == 1
    shown = cli(data_dir, "ai", "show", "1", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "\n[assistant] openai/tiny-chat (partial: the answer from" in shown.stdout, shown.stdout
    assert "Half of the ans" in shown.stdout and "None" not in shown.stdout


def test_ai_default_refuses_a_provider_that_does_not_exist(shop, data_dir):
    shop.close()
    refused = invoke_cli("ai", "default", "-p", "shop", "nosuch:model", data_dir=data_dir)
    assert refused.returncode == 1 and refused.stdout == ""
    line, = refused.stderr.splitlines()
    assert line.startswith("error: no AI provider called 'nosuch'; choose one of extractive, "
                           "goose, openai")
    asked = invoke_cli("ask", "where?", "-p", "shop", "--provider", "nosuch", data_dir=data_dir)
    assert asked.returncode == 1 and line.startswith(asked.stderr.strip())
    kept = invoke_cli("ai", "default", "-p", "shop", "llama3:8b", data_dir=data_dir)
    assert kept.returncode == 0 and kept.stdout.strip() == "project shop: openai/llama3:8b"


def test_ask_with_a_budget_too_small_says_so(shop, data_dir):
    shop.close()
    small = invoke_cli("ask", "where is money formatted?", "-p", "shop", "--budget", "10",
                       data_dir=data_dir)
    assert small.returncode == 1 and "no passage that matches" not in small.stdout
    line, = small.stderr.splitlines()
    assert line.startswith("error: the question matched ") and "budget of 10 tokens" in line
    assert "needs a budget of about " in line
    for budget in ("0", "-3"):
        bad = invoke_cli("ask", "where is money formatted?", "-p", "shop", "--budget", budget,
                         data_dir=data_dir)
        assert bad.returncode == 2 and bad.stderr.startswith("error: Invalid value for '--budget'")
        assert "(see workbench ask --help)" in bad.stderr


def test_a_question_or_query_with_nothing_to_search_for_is_refused(shop, data_dir):
    """A usage error for search (exit 2); for the extractive provider, which only quotes
    passages, a refusal that names a model as the other way (exit 1)."""
    for args, code in ((["search", "what is this?", "-p", "shop"], 2),
                       (["ask", "???", "-p", "shop"], 1)):
        out = invoke_cli(*args, data_dir=data_dir)
        assert out.returncode == code, out.stderr
        assert "has no word to search for" in out.stderr
        assert "Traceback" not in out.stderr
    assert invoke_cli("search", "x_total", "-p", "shop", data_dir=data_dir).returncode == 0
