"""A client user in real headless Chromium: logs in, sees its dashboard, downloads its grades as
CSV, and cannot open a workbench page by typing its URL.

The store is a 30-fund demo built through the CLI, with a finished-looking run evaluated on every
fund, approved for all clients, and one published release for the client (tests/test_api_support).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from engine.clients import clients, registry, releases
from engine.clients.users import add_user
from store.db import connect
from store.home import Home
from tests.browser.browser_support import (
    assert_healthy,
    chromium,
    cli,
    new_tab,
    screenshot,
    served,
    settled,
)
from tests.test_api_support import add_evaluation, add_run, fund_ids
from workbench.i18n import t

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent / "screenshots"
DEMO_FUNDS = 30
USER, PASSWORD = "alpha", "alpha password 1"
CLIENT_NAME = "Alpha Pension"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app over a demo home with one client, its release and its client user."""
    home = tmp_path_factory.mktemp("client-browser") / "home"
    built = cli(home, "demo", "--funds", str(DEMO_FUNDS), "--json")
    assert built.returncode == 0, f"demo build failed: {built.stderr}"
    with connect(Home(home)) as con:
        funds = fund_ids(con)
        add_run(con, "run-0001")
        add_evaluation(con, "eval-0001", "run-0001", funds, 4)
        registry.approve(con, "run-0001", by="boss", reason="agreement ok")
        client = clients.create_client(con, CLIENT_NAME, fund_ids=funds[:5], by="boss")
        releases.publish(con, client["client_id"], by="boss")
        add_user(con, USER, "client", PASSWORD, client_id=client["client_id"], created_by="boss")
        add_user(con, "boss", "admin", PASSWORD + "x", created_by="test")
    with served(home) as running:
        yield {**running, "funds": funds[:5], "client_id": client["client_id"]}


@pytest.fixture(scope="module")
def browser():
    with chromium() as found:
        yield found


def _log_in(page, url: str) -> None:
    page.goto(url)
    settled(page)
    page.get_by_label(t("auth_name", "ko")).fill(USER)
    page.get_by_label(t("auth_password", "ko")).fill(PASSWORD)
    page.get_by_role("button", name=t("auth_submit", "ko")).click()
    settled(page)
    page.get_by_text(t("cl_title", "ko", name=CLIENT_NAME)).wait_for(timeout=30_000)


def test_client_logs_in_and_downloads_its_grades_csv(app, browser, tmp_path):
    page = new_tab(browser, accept_downloads=True)
    _log_in(page, app["url"])
    assert_healthy(page)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # the grid draws its cells after it appears
    screenshot(page, SHOTS / "client-dashboard.png")

    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name=t("cl_download_csv", "ko")).click()
    download = info.value
    assert download.suggested_filename == f"grades_{app['client_id']}_v1.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    frame = pd.read_csv(io.BytesIO(saved.read_bytes()), encoding="utf-8-sig")
    assert list(frame["fund_id"]) == app["funds"]  # its five funds, no other
    assert set(frame["grade"]) == {4} and "reasoning" in frame.columns
    page.context.close()


def test_client_typing_a_workbench_url_gets_its_dashboard_instead(app, browser):
    page = new_tab(browser)
    _log_in(page, f"{app['url']}/data")  # the log-in lands on the dashboard, not Data
    headings = [h.strip() for h in page.locator("h1").all_inner_texts()]
    assert headings == [t("cl_title", "ko", name=CLIENT_NAME)]
    assert page.locator('[data-testid="stFileUploader"]').count() == 0  # Data's upload box
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.count() == 0 or t("nav_data", "ko") not in nav.inner_text()
    page.context.close()


def test_admin_logs_in_and_the_admin_page_renders_cleanly(app, browser):
    page = new_tab(browser)
    page.goto(app["url"])
    settled(page)
    page.get_by_label(t("auth_name", "ko")).fill("boss")
    page.get_by_label(t("auth_password", "ko")).fill(PASSWORD + "x")
    page.get_by_role("button", name=t("auth_submit", "ko")).click()
    settled(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text(t("nav_admin", "ko"), exact=True).click()
    settled(page)
    page.get_by_text(t("adm_title", "ko")).wait_for(timeout=30_000)
    assert_healthy(page)
    page.get_by_role("tab", name=t("adm_tab_releases", "ko")).click()
    settled(page)
    publish = page.get_by_role("button", name=t("adm_publish", "ko"))
    publish.wait_for(timeout=30_000)  # the tab's content renders after the click, not with it
    assert publish.count() == 1
    releases = page.locator('[data-testid="stDataFrame"] >> visible=true')
    releases.first.wait_for(timeout=30_000)  # the grid mounts after the form's button does
    assert releases.count() >= 1  # the published releases
    assert_healthy(page)
    screenshot(page, SHOTS / "admin-releases.png")
    page.context.close()
