"""Browser tests: the portal on a free loopback port, driven by Debian's Chromium via Playwright.

Never run `playwright install`: it downloads a browser (toolchain.md).
Screenshots go to `screenshots/` (git-ignored) for people to look at.
"""
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 810, "height": 1080}}


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs the Debian package")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        yield b
        b.close()


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser):
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="zh-TW", timezone_id="Asia/Taipei",
                                  has_touch=request.param == "tablet")
    pg = context.new_page()
    pg.viewport_name = request.param
    pg.set_default_timeout(15000)
    # Our CSP forbids eval, which Playwright's wait_for_function uses for string predicates.
    pg.wait_for_function = lambda expression, **kwargs: wait_until(
        pg, expression, timeout=(kwargs.get("timeout") or 15000) / 1000)
    yield pg
    context.close()


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{page.viewport_name}.png"), full_page=True)


def browser_login(page, base_url, username, password="pw-test-123"):
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")


def wait_until(page, expression, timeout=15.0):
    """Poll a JS expression with page.evaluate (our CSP forbids eval, which wait_for_function uses)."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if page.evaluate(f"() => Boolean({expression})"):
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {expression}")
