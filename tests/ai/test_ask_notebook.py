"""notebooks/ask.ipynb runs headless with papermill on a real kernel."""

from __future__ import annotations

import json

import nbformat
import pytest

pytestmark = pytest.mark.slow


def test_the_ask_notebook_runs_with_its_parameters(shop):
    run = shop.batch.run("ask", {"project": "shop", "question": "where is money formatted?",
                                 "budget": 1500})
    assert run.status == "succeeded", run.error
    nb = nbformat.read(run.output_ipynb, as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "Extracted from the map" in outputs
    assert "src/shop/util/money.py:4-6" in outputs
    assert "passage" in outputs and "outline" in outputs
    assert "error" not in {o.get("output_type") for c in nb.cells for o in c.get("outputs", [])}
    assert len(shop.conversations("shop")) == 1
