"""The client dashboard headless with AppTest: a client user sees only its own client's funds
and releases, can download them, cannot open the workbench pages, and gets an empty state
before the first release."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.clients import clients, registry, releases
from engine.clients.users import add_user
from store.db import connect
from tests.test_api_support import add_evaluation, add_run, fund_ids
from workbench.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
TIMEOUT_S = 90
PASSWORD = "client password 1"


@pytest.fixture
def client_store(demo_home) -> dict:
    """Two clients with three funds each, both with a published release by run-0001 (grade 4 in
    v1, then grade 2 for client A in v2), a third client without release, and one client user
    per client."""
    with connect(demo_home) as con:
        funds = fund_ids(con)
        add_run(con, "run-0001")
        add_evaluation(con, "eval-0001", "run-0001", funds, 4)
        registry.approve(con, "run-0001", by="boss", reason="held-out agreement ok")
        a = clients.create_client(con, "Alpha Pension", fund_ids=funds[:3], by="boss")
        b = clients.create_client(con, "Beta Insurance", fund_ids=funds[3:6], by="boss")
        c = clients.create_client(con, "Gamma Bank", fund_ids=funds[6:8], by="boss")
        releases.publish(con, a["client_id"], by="boss")
        releases.publish(con, b["client_id"], by="boss")
        add_evaluation(con, "eval-0002", "run-0001", funds, 2)
        releases.publish(con, a["client_id"], by="boss", note="second")
        add_user(con, "alpha", "client", PASSWORD, client_id=a["client_id"], created_by="boss")
        add_user(con, "gamma", "client", PASSWORD, client_id=c["client_id"], created_by="boss")
        add_user(con, "boss", "admin", PASSWORD, created_by="test")
    return {"a": a, "b": b, "c": c, "funds": funds}


def _as(user: str) -> AppTest:
    """The app with `user` logged in (through the log-in form)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.text_input(key="auth_name").input(user)
    at.text_input(key="auth_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _pages(at: AppTest) -> set[str]:
    return {Path(str(i["script_path"])).stem for i in at._registered_pages.values()}


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The first st.dataframe on the page that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_client_sees_only_its_own_funds_in_the_latest_release(client_store):
    at = _as("alpha")
    assert _pages(at) == {"client_dashboard"}
    assert t("cl_title", "ko", name="Alpha Pension") in [x.value for x in at.title]
    table = _table(at, "reasoning")
    assert list(table["fund_id"]) == client_store["funds"][:3]
    assert set(table["grade"]) == {2}  # release 2, not 1
    assert "crit_a" in table.columns and set(table["crit_a"]) == {3}
    # a model's published grade says where it came from: not reviewed by an analyst
    assert set(table["source"]) == {t("cl_source_model-rated", "ko")}
    assert not set(table["fund_id"]) & set(client_store["funds"][3:])
    assert at.selectbox(key="cl_version").options == [
        t("cl_release_label", "ko", version=2) + t("cl_latest", "ko"),
        t("cl_release_label", "ko", version=1),
    ]


def test_older_release_stays_readable(client_store):
    at = _as("alpha")
    at.selectbox(key="cl_version").set_value(1).run()
    assert not at.exception, at.exception
    assert set(_table(at, "reasoning")["grade"]) == {4}
    history = _table(at, "version")
    assert list(history["version"]) == [1, 2] and list(history["grade"]) == [4, 2]


def test_downloads_hold_the_clients_grades(client_store, demo_home):
    at = _as("alpha")
    buttons = {b.key: b for b in at.download_button}
    assert set(buttons) == {"cl_csv", "cl_xlsx"}
    from engine.files.tables import csv_bytes
    from workbench.web.views_client import grade_table

    with connect(demo_home) as con:
        rows = releases.release_rows(con, client_store["a"]["client_id"])
    frame = pd.read_csv(io.BytesIO(csv_bytes(grade_table(rows))), encoding="utf-8-sig")
    assert list(frame["fund_id"]) == client_store["funds"][:3]
    assert set(frame["grade"]) == {2} and "reasoning" in frame


def test_client_cannot_open_workbench_or_admin_pages(client_store):
    at = _as("alpha")
    for page in ("data", "review", "admin"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"../pages/{page}.py")


def test_client_without_release_sees_the_empty_state(client_store):
    at = _as("gamma")
    assert t("cl_empty", "ko") in [i.value for i in at.info]
    assert not at.download_button


def test_live_reevaluation_failure_is_shown_beside_the_published_grade(client_store):
    at = _as("alpha")
    at.button(key="cl_reevaluate").click().run()
    assert not at.exception, at.exception
    # run-0001 has no model folder: the live run fails in one line, the published grade stays
    assert any("run-0001" in e.value for e in at.error)
    assert set(_table(at, "reasoning")["grade"]) == {2}


def test_live_reevaluation_is_shown_labelled_beside_the_published_grade(client_store, demo_home):
    from engine.clients.live import clear_cache
    from tests.evaluation_support import write_run

    write_run(demo_home, "run-0001", sft=False)  # the untrained built-in tiny model
    clear_cache()
    try:
        at = _as("alpha")
        at.button(key="cl_reevaluate").click().run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        assert t("cl_live_badge", "ko") in "\n".join(m.value for m in at.markdown)
        facts = "\n".join(c.value for c in at.caption)
        assert "run-0001" in facts and "2026-09-30" in facts
        # the published grade is still the release's
        assert set(_table(at, "reasoning")["grade"]) == {2}
        with connect(demo_home) as con:
            assert set(releases.release_rows(con, client_store["a"]["client_id"])["grade"]) == {2}
    finally:
        clear_cache()
