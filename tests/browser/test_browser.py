"""The app as `make run` serves it, in real headless Chromium (Debian's, not Playwright's).

One Streamlit server per module on a free port, its WORKBENCH_HOME preloaded with a 30-fund demo
through the CLI. Screenshots go to tests/browser/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.browser_support import (
    RENDER_TIMEOUT_MS,
    assert_healthy,
    chromium,
    cli,
    new_tab,
    screenshot,
    served,
    settled,
)

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent / "screenshots"
DEMO_FUNDS = 30


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A running `streamlit run workbench/app.py` over a demo home: {'url', 'home', 'log'}."""
    home = tmp_path_factory.mktemp("browser") / "home"
    built = cli(home, "demo", "--funds", str(DEMO_FUNDS), "--json")
    assert built.returncode == 0, f"demo build failed: {built.stderr}"
    with served(home) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A fresh 1400×1000 Korean tab that records console errors in `page.console_errors`."""
    tab = new_tab(browser)
    yield tab
    tab.context.close()


def _assert_healthy_page(page, name: str) -> None:
    screenshot(page, SHOTS / f"{name}.png")
    assert_healthy(page)


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_home_shows_loaded_counts_and_synthetic_banner(app, page):
    page.goto(app["url"])
    page.get_by_text("적재된 데이터").wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    assert _metric(page, "펀드") == str(DEMO_FUNDS)
    assert int(_metric(page, "기준가격 행").replace(",", "")) > DEMO_FUNDS * 1000
    assert page.get_by_text("합성 데모 데이터 — 실제 펀드가 아닙니다").is_visible()
    assert page.locator('[data-testid="stSidebar"]').get_by_text("합성 데모 데이터").count() >= 1
    _assert_healthy_page(page, "home-ko")


def test_language_switch_shows_english_labels(app, page):
    page.goto(app["url"])
    settled(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("English").click()
    page.get_by_text("What is loaded").wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    assert _metric(page, "Funds") == str(DEMO_FUNDS)
    assert page.get_by_text("Synthetic demo data — generated, not real funds").is_visible()
    _assert_healthy_page(page, "home-en")


def test_fund_explorer_opens_a_fund_with_a_plotly_chart(app, page):
    page.goto(app["url"])
    settled(page)
    page.get_by_role("link", name="펀드 탐색기 열기").click()  # Home's next step: ?tab=explorer
    settled(page)
    assert page.locator('[role="tab"][aria-selected="true"]').inner_text() == "펀드 탐색기"
    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="펀드 열기")
    picker.locator("input").click()
    page.locator('[role="option"]').first.click()
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
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
    settled(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("데이터").click()
    settled(page)

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(bad), str(funds)]
    )
    page.get_by_text("미리보기: new_funds.csv").wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)

    error = page.locator('[data-testid="stAlert"]').filter(has_text="3행:")
    assert "nav must be a positive number, got '-5'" in error.inner_text()
    assert page.get_by_text("cp949", exact=True).is_visible()
    page.get_by_role("button", name="데이터베이스에 적재").click()
    page.get_by_text("신규 2").wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    _assert_healthy_page(page, "upload")


def test_cli_ingest_while_the_app_runs_and_the_app_shows_it(app, page, small_files):
    page.goto(app["url"])
    page.get_by_text("적재된 데이터").wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    before = int(_metric(page, "펀드"))

    done = cli(app["home"], "ingest", str(small_files["funds"]), "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["files"][0]["inserted"] == 3
    page.reload()
    page.get_by_text("적재된 데이터").wait_for(timeout=RENDER_TIMEOUT_MS)
    settled(page)
    assert int(_metric(page, "펀드")) == before + 3
    _assert_healthy_page(page, "home-after-cli-ingest")
