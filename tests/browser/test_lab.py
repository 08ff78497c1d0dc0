"""JupyterLab in Debian's Chromium: the quickstart maps a repository, the map draws, a click
shows a node's details. Playwright drives /usr/bin/chromium; no browser is ever downloaded."""

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
    """JupyterLab on 127.0.0.1 with a token, serving a temp copy of the notebooks."""
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
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
        yield {"url": url, "token": token, "root": root, "log": tmp_path / "lab.log"}
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
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(  # what papermill injects
        f"repository = {str(repo)!r}\nproject = 'shop'\ndata_dir = {str(tmp_path / 'data')!r}",
        metadata={"tags": ["injected-parameters"]}))
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
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"))
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(tmp_path / "failure.png", SCREENSHOTS / "failure.png")
            raise
        finally:
            browser.close()

    assert shot.stat().st_size > 10_000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for png in tmp_path.glob("quickstart-lab*.png"):
        shutil.copy(png, SCREENSHOTS / png.name)
