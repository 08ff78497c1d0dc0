"""import-linter as the oracle: run ``lint-imports`` on a directory and read its verdicts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def need_lint_imports() -> Path:
    """The lint-imports of this environment (import-linter is in the ``dev`` extra)."""
    if not LINT_IMPORTS.exists():
        found = shutil.which("lint-imports")
        if not found:
            pytest.fail("lint-imports is missing: pip install -e '.[dev]'")
        return Path(found)
    return LINT_IMPORTS


def lint_imports(root: Path, config: str | None = None) -> dict:
    """Run lint-imports in ``root`` (with ``config``, else its default search).

    Returns ``{"verdicts": {contract name: "kept"|"broken"}, "error": text or None,
    "direct": {contract name: {(importer, imported), ...}}, "output": text}``; ``direct``
    holds the first import of each chain lint-imports prints for a broken contract.
    """
    args = [str(need_lint_imports()), "--no-cache", "--no-logo"] + ([config] if config else [])
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    done = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    out = done.stdout + done.stderr
    verdicts = dict((m.group(1), m.group(2).lower())
                    for m in re.finditer(r"^(.+?) (KEPT|BROKEN)(?: \(.*\))?$", out, re.MULTILINE))
    direct: dict[str, set] = {}
    if "Broken contracts" in out:
        body = out.split("Broken contracts", 1)[1]
        current = None
        lines = body.splitlines()
        for i, line in enumerate(lines):
            if i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"} and line.strip() in verdicts:
                current = line.strip()
                direct[current] = set()
                continue
            m = re.match(r"^-\s+(\w[\w.]*) -> (\w[\w.]*) \(", line)
            if current and m:
                direct[current].add((m.group(1), m.group(2)))
    error = None if verdicts else out.strip().splitlines()[-1] if out.strip() else "no output"
    return {"verdicts": verdicts, "error": error, "direct": direct, "output": out}
