"""Shared helpers for the browser tests: the app served as `make run` serves it, Debian's headless
Chromium through Playwright, waits on Streamlit's script runs, screenshots and page health.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from workbench.i18n import t

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
START_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 30_000
EXCEPTION = '[data-testid="stException"]'


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m workbench ARGS` on `home`, as `make` runs it."""
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def served(home: Path) -> Iterator[dict]:
    """`streamlit run workbench/app.py` (the command `make run` ends with) on a free port over
    `home`: {'url', 'home', 'log'}; the server is ended on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home.parent / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", "workbench/app.py",
        "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start on {url}:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield {"url": url, "home": home, "log": log}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@contextmanager
def chromium() -> Iterator:
    """Debian's headless Chromium through Playwright; skipped only where it truly is missing."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        message = (
            f"no Chromium at {CHROMIUM}: run `make browser-deps` (apt-get install chromium "
            "chromium-driver fonts-nanum); never `playwright install`"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        try:
            yield browser
        finally:
            browser.close()


def new_tab(browser, **context_options):
    """A 1400×1000 Korean tab that records console errors in `tab.console_errors`."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="ko-KR", **context_options
    )
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: msg.type == "error" and tab.console_errors.append(msg.text))
    tab.on("pageerror", lambda exc: tab.console_errors.append(str(exc)))
    tab.on("requestfailed", lambda req: tab.console_errors.append(f"{req.url}: {req.failure}"))
    return tab


SETTLED_JS = """() => {
    const status = document.querySelector('[data-testid="stStatusWidget"]');
    const running = status && status.innerText.includes('Running');
    return !running && !document.querySelector('[data-stale="true"]');
}"""


def settled(page, timeout_ms: int = RENDER_TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished the current script run (no element drawn as stale)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_timeout(200)  # a run the last action started may not show yet
    page.wait_for_function(SETTLED_JS, timeout=timeout_ms)
    page.wait_for_timeout(300)


def assert_healthy(page) -> None:
    """No Streamlit exception box on the page and no browser console error so far."""
    exceptions = page.locator(EXCEPTION)
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert page.console_errors == [], page.console_errors


def screenshot(page, path: Path) -> None:
    """The whole main area (it scrolls inside its own container: grow the window to show it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(height, 1000), 6000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def metric(page, label: str) -> str:
    """The value of the st.metric labelled exactly `label`."""
    found = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    )
    return found.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def poll(check: Callable[[], object], timeout_s: float, what: str, every_s: float = 0.5):
    """Call `check` until it returns something truthy (returned); fail naming `what` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


# ---------------------------------------------------------------- page helpers


def ko(key: str, **fmt: object) -> str:
    return t(key, "ko", **fmt)


TITLES = {
    "nav_home": "app_title",
    "nav_data": "data_title",
    "nav_methodology": "meth_title",
    "nav_training": "train_title",
    "nav_review": "rev_title",
    "nav_validation": "val_title",
}


def go(page, url: str, nav_key: str) -> None:
    """Open a page from the sidebar navigation; wait for its title."""
    page.locator('[data-testid="stSidebarNav"]').get_by_text(ko(nav_key), exact=True).click()
    page.locator("h1").filter(has_text=ko(TITLES[nav_key])).wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    assert_healthy(page)


def open_options(page, label: str):
    """Open the selectbox labelled `label`; its options (a rerun may close it: try again)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text(label, exact=True)
    )
    options = page.locator('[role="option"]')
    for _ in range(3):
        settled(page)
        box.first.locator("input").click()
        try:
            options.first.wait_for(timeout=5_000)
            return options
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    options.first.wait_for(timeout=5_000)
    return options


def choose(page, label: str, option: str) -> None:
    """Pick `option` (its shown text) in the selectbox labelled `label`."""
    open_options(page, label).filter(has_text=option).first.click()
    settled(page)


def chart_points(page, key: str) -> int:
    """How many points the first trace of the plotly chart with widget key `key` has now."""
    return page.evaluate(
        """(key) => {
            const plot = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            if (!plot || !plot.data || !plot.data.length) return 0;
            return plot.data[0].x ? plot.data[0].x.length : 0;
        }""",
        key,
    )
