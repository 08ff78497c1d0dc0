"""The ``goose`` provider: the Goose CLI run headless, with the map handed to it over MCP.

One question is one ``goose run``::

    goose run --no-session --quiet --output-format json --max-turns N \\
        --system "<the workbench's system prompt>" \\
        --with-extension "<workbench> --data-dir D mcp -p PROJECT" \\
        [--provider P] [--model M] --text "<the conversation and its data blocks>"

(flags as documented for ``goose run``: ``--no-session`` keeps no session, ``--quiet`` prints
only the response, ``--output-format json`` prints ``{"messages": [...], "metadata":
{"total_tokens", "status"}}`` at the end). A prompt too long for one argument goes on standard
input with ``--instructions -``. Goose calls the workbench's read-only map tools through the
extension itself; this adapter does not run a tool loop of its own.

The run has a wall-clock limit (``config.goose_timeout``); on expiry its whole process group
(Goose and the MCP server it started) is killed. It runs in an empty temporary directory, so
Goose's own file tools do not start inside a repository.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import GooseFailed, GooseMissing, ProviderTimeout
from ..records import ChatReply, ModelInfo
from ..safety import mask_secrets

if TYPE_CHECKING:  # pragma: no cover
    from ...config import Config

MAX_ARG_BYTES = 100_000  # Linux refuses a single argument over 128 KiB
MAX_TURNS = 8


class GooseProvider:
    """Ask through the Goose CLI; see the module docstring.

    ``project`` (set by ``ask``) names the project whose map the MCP extension serves.
    """

    name = "goose"
    streams = False
    takes_tools = False  # Goose calls the map's tools through MCP on its own

    def __init__(self, config: "Config") -> None:
        self.config = config
        self.command = config.goose_command
        self.project: str | None = None
        self.last_command: list[str] = []

    def executable(self) -> str:
        found = shutil.which(self.command)
        if found is None:
            raise GooseMissing(
                f"the Goose CLI ({self.command!r}) is not on PATH; install Goose "
                "(https://block.github.io/goose) or set WORKBENCH_GOOSE_COMMAND",
                command=self.command)
        return found

    def models(self) -> list[ModelInfo]:
        self.executable()
        return [ModelInfo(self.name, "default", None, True)]

    def extension_command(self) -> str:
        """The stdio command Goose starts to reach the workbench's MCP server."""
        exe = shutil.which("workbench")
        base = [exe] if exe else [sys.executable, "-m", "workbench"]
        args = [*base, "--data-dir", str(self.config.data_dir), "mcp"]
        if self.project:
            args += ["-p", self.project]
        return shlex.join(args)

    def chat(self, messages: list[dict], *, model: str | None = None,
             tools: list[dict] | None = None, on_delta: Callable[[str], None] | None = None,
             response_format: dict | None = None, max_tokens: int | None = None,
             timeout: float | None = None) -> ChatReply:
        """Run Goose once on the conversation; raises GooseMissing, ProviderTimeout, GooseFailed."""
        exe = self.executable()
        system = "\n\n".join(str(m.get("content") or "") for m in messages
                             if m.get("role") == "system")
        prompt = "\n\n".join(f"[{m.get('role')}]\n{m.get('content') or ''}" for m in messages
                             if m.get("role") in ("user", "assistant"))
        args = [exe, "run", "--no-session", "--quiet", "--output-format", "json",
                "--max-turns", str(MAX_TURNS), "--with-extension", self.extension_command()]
        if system:
            args += ["--system", system]
        if model and model != "default":
            args += ["--model", model]
        stdin = None
        if len(prompt.encode()) > MAX_ARG_BYTES:
            args += ["--instructions", "-"]
            stdin = prompt
        else:
            args += ["--text", prompt]
        self.last_command = args
        limit = timeout or self.config.goose_timeout
        with tempfile.TemporaryDirectory(prefix="workbench-goose-") as cwd:
            proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE if stdin else
                                    subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, start_new_session=True)
            try:
                out, err = proc.communicate(stdin, timeout=limit)
            except subprocess.TimeoutExpired as exc:
                _kill_group(proc)
                raise ProviderTimeout(f"goose gave no answer within {limit:.0f} s; raise "
                                      "WORKBENCH_GOOSE_TIMEOUT", partial="") from exc
        if proc.returncode != 0:
            tail = mask_secrets((err or out or "").strip()[-500:])[0]
            raise GooseFailed(f"goose exited with status {proc.returncode}: {tail or 'no output'}",
                              status=proc.returncode)
        reply = parse_output(out, model)
        if on_delta is not None and reply.text:
            on_delta(reply.text)
        return reply


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()


def parse_output(out: str, model: str | None) -> ChatReply:
    """A reply from ``goose run --output-format json``: the text of the assistant's messages
    after the last user message, and the total tokens Goose reports."""
    start = out.find("{")
    try:
        data = json.loads(out[start:]) if start >= 0 else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise GooseFailed("goose printed no JSON result; is it a version with "
                          "`--output-format json` (Goose 1.10 or newer)?")
    messages: list[dict[str, Any]] = [m for m in data["messages"] if isinstance(m, dict)]
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    texts = []
    for m in messages[last_user + 1:]:
        if m.get("role") != "assistant":
            continue
        content = m.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            if isinstance(part, dict) and part.get("type") == "text" and part.get("text"):
                texts.append(str(part["text"]))
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    usage = {"total_tokens": int(meta["total_tokens"])} \
        if isinstance(meta.get("total_tokens"), int) else {}
    return ChatReply("\n\n".join(texts).strip(), [], model or "default", usage,
                     str(meta.get("status") or "completed"))
