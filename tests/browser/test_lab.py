"""JupyterLab in Debian's Chromium: the quickstart maps a repository into the checkout's data/
(none under notebooks/), the map draws, a click shows a node's details, answers come in
scrolling frames with numbers right-aligned; maps of a flask-like and a 5,000-module repository
fill the canvas without overlapping labels. Playwright drives /usr/bin/chromium; no browser is
ever downloaded. Screenshots are kept in data/runs/browser/."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.synthetic_repos import flask_like, large_tree
from tests.widgets.conftest import build_repo

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "data" / "runs" / "browser"
KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && w.context.isReady && !w.sessionContext.pendingInput;
}"""
STARTED = """() => [...document.querySelectorAll('.jp-InputPrompt')]
  .some(e => /\\[(\\d+|\\*)\\]/.test(e.textContent))"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"browser test skipped: no Chromium at {CHROMIUM}; install it with "
                    "`apt-get install chromium` (make test does this when run as root)")
    pytest.importorskip("playwright.sync_api", reason="browser test skipped: pip install playwright")
    return CHROMIUM


@pytest.fixture
def lab(tmp_path: Path):
    """JupyterLab on 127.0.0.1 with a token, serving a copy of the notebooks inside a directory
    laid out like a checkout (``checkout``), as ``make lab`` serves ``notebooks/``."""
    checkout = tmp_path / "clone"
    (checkout / "workbench").mkdir(parents=True)
    (checkout / "workbench" / "__init__.py").write_text("")
    (checkout / "pyproject.toml").write_text('[project]\nname = "workbench"\n')
    root = checkout / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    env.pop("WORKBENCH_DATA_DIR", None)
    log = (tmp_path / "lab.log").open("w")
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
         f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
         "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.news_url=None", "--LabServerApp.extension_manager=readonly", *as_root],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text())
                time.sleep(0.25)
        yield {"url": url, "token": token, "root": root, "checkout": checkout,
               "log": tmp_path / "lab.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.timeout(240)
def test_quickstart_in_jupyterlab_maps_draws_and_shows_details(chromium, lab, tmp_path):
    import nbformat
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    repo = build_repo(tmp_path / "shop")
    nb = nbformat.read(str(lab["root"] / "quickstart.ipynb"), as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(  # what papermill injects; data_dir default
        f"repository = {str(repo)!r}\nproject = 'shop'",
        metadata={"tags": ["injected-parameters"]}))
    nb.cells.append(nbformat.v4.new_code_cell("queries.run('related', 'shop.models', depth=3)\nqueries"))
    nbformat.write(nb, str(lab["root"] / "quickstart.ipynb"))
    shot = tmp_path / "quickstart-lab.png"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.set_default_timeout(30_000)
            page.goto(f"{lab['url']}/lab/tree/quickstart.ipynb?token={lab['token']}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_function(KERNEL_READY, timeout=60_000)
            for attempt in range(3):  # a run-all sent while the session settles can be dropped
                # start "run all" without waiting for it: the waits below have timeouts
                page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
                try:
                    page.wait_for_function(STARTED, timeout=15_000)
                    break
                except PlaywrightTimeout:
                    if attempt == 2:
                        raise

            # the monitor's row reaches 100% (read from the DOM: the cell may be scrolled away)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.wb-job')].some("
                "e => e.innerText.includes('100%') && e.innerText.includes('succeeded'))",
                timeout=90_000)
            # every cell has run (run-all stops scrolling the notebook under the mouse)
            page.wait_for_function(
                "() => ![...document.querySelectorAll('.jp-InputPrompt')]"
                ".some(e => e.textContent.includes('*'))", timeout=120_000)
            bar = page.locator(".wb-job .progress-bar").first.get_attribute("style") or ""
            assert "100%" in bar.replace(" ", ""), bar
            job = page.locator(".wb-job").first
            job.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "quickstart-lab-progress.png"))

            canvas = page.locator(".wb-map[data-rendered='1'] canvas").first
            canvas.wait_for(timeout=60_000)
            canvas.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            where = canvas.evaluate("c => c.wbNodeScreen('shop.models')")
            assert where, "shop.models is not on the map"
            box = canvas.bounding_box()
            page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
            details = page.locator(".wb-map-details", has_text="src/shop/models.py").first
            details.wait_for(timeout=20_000)
            text = details.inner_text()
            assert "module" in text and "class Order" in text  # kind and source lines
            no_news = page.get_by_role("button", name="No", exact=True)
            if no_news.count():  # JupyterLab's "notified about news?" toast
                no_news.first.click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(shot))

            # double-click a group: the map opens it
            where = canvas.evaluate("c => c.wbNodeScreen('shop.util')")
            page.mouse.dblclick(box["x"] + where["x"], box["y"] + where["y"])
            page.wait_for_selector(".wb-map[data-nodes='2']", timeout=20_000)
            assert canvas.evaluate("c => !!c.wbNodeScreen('shop.util.money')")

            # an answer scrolls in its frame, numbers right-aligned under their headers
            page.wait_for_selector(".wb-panel .wb-scroll td.wb-num", timeout=60_000)
            frame = page.locator(".wb-panel .wb-scroll", has=page.locator("td.wb-num")).last
            frame.scroll_into_view_if_needed()
            facts = frame.evaluate(TABLE_FACTS)
            assert facts["overflow"] == "auto" and facts["maxHeight"] == "360px", facts
            assert facts["nowrap"] and facts["numbers"] > 0, facts
            assert facts["rightAligned"] == facts["numbers"], facts
            assert facts["edgeGap"] <= 1.5, facts  # header and cells end at the same edge
            assert facts["height"] <= 362, facts
            page.screenshot(path=str(tmp_path / "quickstart-lab-table.png"))
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(tmp_path / "failure.png", SCREENSHOTS / "failure.png")
            raise
        finally:
            browser.close()

    assert shot.stat().st_size > 10_000
    # one database: the checkout's data/, none beside the notebooks
    assert (lab["checkout"] / "data" / "workbench.duckdb").exists()
    assert not (lab["root"] / "data").exists()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for png in tmp_path.glob("quickstart-lab*.png"):
        shutil.copy(png, SCREENSHOTS / png.name)


TABLE_FACTS = """f => {
  const style = getComputedStyle(f);
  const nums = [...f.querySelectorAll('td.wb-num')];
  const table = f.querySelector('table');
  const col = nums.length ? nums[0].cellIndex : -1;
  const th = col >= 0 ? table.tHead.rows[0].cells[col] : null;
  const edge = (e) => e.getBoundingClientRect().right;
  return {overflow: style.overflowY, maxHeight: style.maxHeight,
          height: f.getBoundingClientRect().height,
          nowrap: [...f.querySelectorAll('td')].every(td => getComputedStyle(td).whiteSpace === 'nowrap'),
          numbers: nums.length,
          rightAligned: nums.filter(td => getComputedStyle(td).textAlign === 'right').length
                        + (th && getComputedStyle(th).textAlign === 'right' ? 0 : -1),
          edgeGap: th ? Math.max(...nums.filter(td => td.cellIndex === col)
                                       .map(td => Math.abs(edge(td) - edge(th)))) : 99};
}"""

MAP_FACTS = """c => {
  const e = c.wbExtent(), labels = c.wbLabels();
  let overlaps = 0;
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i], b = labels[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps++;
    }
  const area = (e.x1 - e.x0) * (e.y1 - e.y0) / (e.width * e.height);
  return {overlaps, area, spanX: (e.x1 - e.x0) / e.width, spanY: (e.y1 - e.y0) / e.height,
          nodes: e.nodes, labels: labels.length, first: labels.slice(0, 5).map(l => l.text)};
}"""


@pytest.mark.timeout(600)
def test_maps_fill_the_canvas_without_overlapping_labels(chromium, lab, tmp_path):
    """A flask-like map and a 5,000-module map, drawn in Lab from the checkout's database."""
    import nbformat
    from playwright.sync_api import sync_playwright

    from workbench import Workbench

    from workbench.config import Config

    # the checkout's database is what the kernel opens by default; blame is not drawn here
    with Workbench(config=Config(data_dir=lab["checkout"] / "data", blame=False)) as wb:
        wb.map(str(flask_like(tmp_path / "flask")), name="flasky")
        wb.map(str(large_tree(tmp_path / "big")), name="big")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
                    "from workbench import Workbench\nfrom workbench.widgets import MapView\n"
                    "wb = Workbench()"),
                nbformat.v4.new_code_cell("MapView(wb, project='flasky', height=560)"),
                nbformat.v4.new_code_cell("MapView(wb, project='big', height=560)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(lab["root"] / "maps.ipynb"))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            page.set_default_timeout(30_000)
            page.goto(f"{lab['url']}/lab/tree/maps.ipynb?token={lab['token']}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.wait_for_function(KERNEL_READY, timeout=60_000)
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            page.wait_for_function(
                "() => document.querySelectorAll(\".wb-map[data-rendered='1']\").length >= 2",
                timeout=180_000)
            page.wait_for_timeout(500)
            no_news = page.get_by_role("button", name="No", exact=True)
            if no_news.count():
                no_news.first.click()
            for i, name in enumerate(("flask", "5000-modules")):
                root = page.locator(".wb-map[data-rendered='1']").nth(i)
                root.scroll_into_view_if_needed()
                canvas = root.locator("canvas")
                facts = canvas.evaluate(MAP_FACTS)
                assert facts["overlaps"] == 0, facts
                assert facts["area"] >= 0.6 and facts["spanX"] >= 0.8, facts
                assert facts["labels"] >= min(facts["nodes"], 8), facts
                root.screenshot(path=str(tmp_path / f"map-{name}.png"))
            flask_map = page.locator(".wb-map canvas").first
            flask_facts = flask_map.evaluate(MAP_FACTS)
            assert flask_facts["nodes"] <= 30, flask_facts  # tests/examples are one group each
            assert flask_map.evaluate("c => !!c.wbNodeScreen('tests') && !!c.wbNodeScreen('examples')"
                                      " && !c.wbNodeScreen('flaskr')")

            # a tooltip does not outlive a drill-down
            canvas = page.locator(".wb-map canvas").first
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            where = canvas.evaluate("c => c.wbNodeScreen('flask.json')")
            page.mouse.move(box["x"] + where["x"], box["y"] + where["y"])
            tip = page.locator(".wb-map-tip").first
            page.wait_for_function("() => getComputedStyle(document.querySelector('.wb-map-tip')).display === 'block'")
            page.mouse.dblclick(box["x"] + where["x"], box["y"] + where["y"])
            page.wait_for_function("() => !!document.querySelector('.wb-map canvas').wbNodeScreen('flask.json.tag')",
                                   timeout=30_000)
            assert tip.evaluate("t => getComputedStyle(t).display") == "none"
        except Exception:
            page.screenshot(path=str(tmp_path / "maps-failure.png"))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(tmp_path / "maps-failure.png", SCREENSHOTS / "maps-failure.png")
            raise
        finally:
            browser.close()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for png in tmp_path.glob("map-*.png"):
        assert png.stat().st_size > 10_000
        shutil.copy(png, SCREENSHOTS / png.name)
