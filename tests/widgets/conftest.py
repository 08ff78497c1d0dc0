"""A small real repository with some history, mapped into a workbench on a temp data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SAMPLE_V1, commit, git, init_repo, write
from workbench import Workbench

EXTRA = {
    "src/shop/models.py": SAMPLE_V1["src/shop/models.py"] + "\n\ndef total(orders):\n    return sum(o.total for o in orders)\n",
    "src/shop/service.py": SAMPLE_V1["src/shop/service.py"] + "\n\ndef refund(total):\n    return -total\n",
}


def build_repo(path: Path) -> Path:
    """``shop``: packages, a cycle, a parse problem, and files that change together."""
    repo = init_repo(path)
    write(repo, {"src/shop/__init__.py": "", "README.md": "# shop\n"})
    commit(repo, "start", "2025-12-01T10:00:00+00:00")
    write(repo, SAMPLE_V1)
    commit(repo, "models, service, util", "2026-01-01T10:00:00+00:00")
    write(repo, EXTRA)
    commit(repo, "totals and refunds", "2026-01-08T10:00:00+00:00")
    for week in range(5):  # models and service change together: co-change coupling
        write(repo, {"src/shop/models.py": EXTRA["src/shop/models.py"] + f"\n# tuned {week}\n",
                     "src/shop/service.py": EXTRA["src/shop/service.py"] + f"\n# tuned {week}\n"})
        commit(repo, f"tune {week}", f"2026-01-{15 + week:02d}T10:00:00+00:00")
    git(repo, "tag", "v2")
    return repo


@pytest.fixture
def shop_repo(tmp_path: Path) -> Path:
    return build_repo(tmp_path / "shop")


@pytest.fixture
def mapped(wb: Workbench, shop_repo: Path) -> Workbench:
    wb.map(str(shop_repo), name="shop")
    return wb
