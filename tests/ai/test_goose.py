"""The goose provider against a stand-in ``goose`` executable on PATH, and without one.

The stand-in checks the arguments the adapter gives (``run --no-session --quiet
--output-format json --max-turns N --with-extension CMD --system S --text T``, or
``--instructions -`` with the prompt on stdin), starts the extension it was handed as an MCP
server and calls its ``search`` tool as Goose would, then prints ``goose run``'s JSON result.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from tests.ai.mcp_client import CLIENT_SOURCE
from workbench import Config, Workbench
from workbench.ai.errors import GooseFailed, GooseMissing, ProviderTimeout

STANDIN = '''#!{python}
import json, os, sys, time
{client}
args = sys.argv[1:]
record = os.environ["GOOSE_RECORD"]
assert args[0] == "run", args
flags = {{}}
i = 1
while i < len(args):
    if args[i] in ("--no-session", "--quiet"):
        flags[args[i]] = True
        i += 1
    else:
        flags.setdefault(args[i], []).append(args[i + 1])
        i += 2
known = {{"--no-session", "--quiet", "--output-format", "--max-turns", "--with-extension",
         "--system", "--text", "--instructions", "--model", "--provider"}}
assert set(flags) <= known, sorted(set(flags) - known)
assert flags["--no-session"] and flags["--quiet"] and flags["--output-format"] == ["json"]
assert int(flags["--max-turns"][0]) > 0
prompt = flags["--text"][0] if "--text" in flags else sys.stdin.read()
assert ("--text" in flags) != (flags.get("--instructions") == ["-"])
behaviour = os.environ.get("GOOSE_BEHAVIOUR", "answer")
if behaviour == "sleep":
    time.sleep(60)
if behaviour == "fail":
    print("Error: no provider configured, run goose configure", file=sys.stderr)
    sys.exit(2)
names, results = mcp_calls(flags["--with-extension"][0], [("search", {{"query": "format money"}})])
with open(record, "w") as f:
    json.dump({{"args": args, "prompt": prompt, "tools": names, "search": results[0][1],
               "cwd": os.getcwd()}}, f)
answer = "Money is formatted by fmt at src/shop/util/money.py:4-6 (found with the workbench tool)."
print(json.dumps({{"messages": [
    {{"role": "user", "created": 1, "content": [{{"type": "text", "text": prompt[:50]}}]}},
    {{"role": "assistant", "created": 2, "content": [
        {{"type": "toolRequest", "id": "t1", "toolCall": {{"status": "success", "value": {{}}}}}}]}},
    {{"role": "user", "created": 3, "content": [{{"type": "toolResponse", "id": "t1"}}]}},
    {{"role": "assistant", "created": 4, "content": [{{"type": "text", "text": answer}}]}}],
    "metadata": {{"total_tokens": 321, "status": "completed"}}}}))
'''


@pytest.fixture
def goose_bin(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "goose"
    exe.write_text(STANDIN.format(python=sys.executable, client=CLIENT_SOURCE))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    record = tmp_path / "goose-call.json"
    monkeypatch.setenv("GOOSE_RECORD", str(record))
    return record


def goose_bench(data_dir: Path, **overrides) -> Workbench:
    return Workbench(config=Config(data_dir=data_dir, ai_provider="goose", **overrides),
                     background=False)


def test_goose_answers_with_the_map_as_an_mcp_extension(shop, data_dir, goose_bin):
    shop.close()
    bench = goose_bench(data_dir)
    answer = bench.ask("where is money formatted?", "shop", model="gpt-test")
    assert answer.provider == "goose"
    assert answer.text.startswith("Money is formatted by fmt")
    assert [str(c) for c in answer.citations] == ["src/shop/util/money.py:4-6"]
    assert answer.citations[0].valid and answer.usage == {"total_tokens": 321}
    call = json.loads(goose_bin.read_text())
    args = call["args"]
    assert args[args.index("--model") + 1] == "gpt-test"
    extension = args[args.index("--with-extension") + 1]
    assert extension.endswith(f"--data-dir {data_dir} mcp -p shop")
    assert "never an instruction" in args[args.index("--system") + 1]
    assert "where is money formatted?" in call["prompt"] and "<<<DATA" in call["prompt"]
    assert "ghp_abcdefghijklmnop" not in call["prompt"]
    assert "search" in call["tools"] and "src/shop/util/money.py:4-6" in call["search"]
    assert not Path(call["cwd"]).exists()  # an empty temporary directory, removed after
    stored = bench.conversation(answer.conversation_id)
    assert stored.iloc[-1]["provider"] == "goose"
    bench.close()


def test_a_long_prompt_goes_on_stdin(shop, data_dir, goose_bin, monkeypatch):
    from workbench.ai.providers import goose

    monkeypatch.setattr(goose, "MAX_ARG_BYTES", 100)
    shop.close()
    bench = goose_bench(data_dir)
    bench.ask("where is money formatted?", "shop")
    call = json.loads(goose_bin.read_text())
    assert "--instructions" in call["args"] and "--text" not in call["args"]
    assert "where is money formatted?" in call["prompt"]
    bench.close()


def test_goose_missing_is_a_clear_error(shop, data_dir):
    shop.close()
    bench = goose_bench(data_dir, goose_command="goose-not-installed-here")
    with pytest.raises(GooseMissing, match="WORKBENCH_GOOSE_COMMAND"):
        bench.ask("q", "shop")
    assert bench.conversations("shop").empty  # a failed first question leaves nothing
    models = bench.models()
    assert "goose" in models["provider"].tolist()
    assert "not on PATH" in models.set_index("provider").loc["goose", "error"]
    bench.close()


def test_goose_failure_and_wall_clock_limit(shop, data_dir, goose_bin, monkeypatch):
    shop.close()
    monkeypatch.setenv("GOOSE_BEHAVIOUR", "fail")
    bench = goose_bench(data_dir, goose_timeout=120.0)
    with pytest.raises(GooseFailed, match="goose configure"):
        bench.ask("q", "shop")
    bench.close()
    monkeypatch.setenv("GOOSE_BEHAVIOUR", "sleep")
    bench = goose_bench(data_dir, goose_timeout=3.0)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout, match="WORKBENCH_GOOSE_TIMEOUT"):
        bench.ask("q", "shop")
    assert time.monotonic() - started < 30
    assert bench.conversations("shop").empty  # no answer text arrived: nothing stored
    bench.close()
