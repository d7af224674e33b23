"""The app as `make run` serves it, in real headless Chromium (Debian's, not Playwright's).

One Streamlit server per module on a free port, its WORKBENCH_HOME preloaded with a 30-fund demo
through the CLI. Screenshots go to tests/browser/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
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
DEMO_FUNDS = 30
START_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A running `streamlit run workbench/app.py` over a demo home: {'url', 'home', 'log'}."""
    home = tmp_path_factory.mktemp("browser") / "home"
    built = _cli(home, "demo", "--funds", str(DEMO_FUNDS), "--json")
    assert built.returncode == 0, f"demo build failed: {built.stderr}"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = home.parent / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "workbench/app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    env = {**os.environ, "WORKBENCH_HOME": str(home)}
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(url):
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


@pytest.fixture(scope="module")
def browser():
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
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh 1400×1000 tab that records console errors in `page.console_errors`."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: msg.type == "error" and tab.console_errors.append(msg.text))
    tab.on("pageerror", lambda exc: tab.console_errors.append(str(exc)))
    tab.on("requestfailed", lambda req: tab.console_errors.append(f"{req.url}: {req.failure}"))
    yield tab
    context.close()


def _settled(page) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=RENDER_TIMEOUT_MS,
    )
    page.wait_for_timeout(300)


def _assert_healthy_page(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The main area scrolls inside its own container: grow the window to show all of it.
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(height, 1000), 6000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert page.console_errors == [], page.console_errors


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_home_shows_loaded_counts_and_synthetic_banner(app, page):
    page.goto(app["url"])
    page.get_by_text("적재된 데이터").wait_for(timeout=RENDER_TIMEOUT_MS)
    _settled(page)
    assert _metric(page, "펀드") == str(DEMO_FUNDS)
    assert int(_metric(page, "기준가격 행").replace(",", "")) > DEMO_FUNDS * 1000
    assert page.get_by_text("합성 데모 데이터 — 실제 펀드가 아닙니다").is_visible()
    assert page.locator('[data-testid="stSidebar"]').get_by_text("합성 데모 데이터").count() >= 1
    _assert_healthy_page(page, "home-ko")


def test_language_switch_shows_english_labels(app, page):
    page.goto(app["url"])
    _settled(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
    page.get_by_text("What is loaded").wait_for(timeout=RENDER_TIMEOUT_MS)
    _settled(page)
    assert _metric(page, "Funds") == str(DEMO_FUNDS)
    assert page.get_by_text("Synthetic demo data — generated, not real funds").is_visible()
    _assert_healthy_page(page, "home-en")


def test_fund_explorer_opens_a_fund_with_a_plotly_chart(app, page):
    page.goto(app["url"])
    _settled(page)
    page.get_by_role("link", name="펀드 탐색기 열기").click()  # Home's next step: ?tab=explorer
    _settled(page)
    assert page.locator('[role="tab"][aria-selected="true"]').inner_text() == "펀드 탐색기"
    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="펀드 열기")
    picker.locator("input").click()
    page.locator('[role="option"]').first.click()
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    _settled(page)
    assert page.locator(".js-plotly-plot").count() == 2
    assert page.get_by_text("투자위험등급").first.is_visible()
    assert page.get_by_text("전문가 등급 이력").is_visible()
    _assert_healthy_page(page, "fund-explorer")


def test_upload_in_the_browser_previews_refuses_bad_rows_and_loads_a_good_file(app, page, tmp_path):
    funds = tmp_path / "new_funds.csv"
    funds.write_bytes(
        "펀드코드,펀드명,유형,운용사\nU001,업로드 테스트 주식형,국내주식형,테스트자산운용\n"
        "U002,업로드 테스트 채권형,국내채권형,테스트자산운용\n".encode("cp949")
    )
    bad = tmp_path / "bad_nav.csv"
    bad.write_text("fund_id,date,nav\nU001,2024-01-02,1000\nU001,2024-01-03,-5\n", encoding="utf-8")
    page.goto(app["url"])
    _settled(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("데이터").click()
    _settled(page)

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(bad), str(funds)]
    )
    page.get_by_text("미리보기: new_funds.csv").wait_for(timeout=RENDER_TIMEOUT_MS)
    _settled(page)

    error = page.locator('[data-testid="stAlert"]').filter(has_text="3행:")
    assert "nav must be a positive number, got '-5'" in error.inner_text()
    assert page.get_by_text("cp949", exact=True).is_visible()
    page.get_by_role("button", name="데이터베이스에 적재").click()
    page.get_by_text("신규 2").wait_for(timeout=RENDER_TIMEOUT_MS)
    _settled(page)
    _assert_healthy_page(page, "upload")


def test_cli_ingest_while_the_app_runs_and_the_app_shows_it(app, page, small_files):
    page.goto(app["url"])
    page.get_by_text("적재된 데이터").wait_for(timeout=RENDER_TIMEOUT_MS)
    _settled(page)
    before = int(_metric(page, "펀드"))

    done = _cli(app["home"], "ingest", str(small_files["funds"]), "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["files"][0]["inserted"] == 3
    page.reload()
    page.get_by_text("적재된 데이터").wait_for(timeout=RENDER_TIMEOUT_MS)
    _settled(page)
    assert int(_metric(page, "펀드")) == before + 3
    _assert_healthy_page(page, "home-after-cli-ingest")
