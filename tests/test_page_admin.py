"""Log-in, navigation by role and the admin page, headless with AppTest.

Single-user mode while no user exists; the log-in form once one does (wrong password, disabled
user, throttling); analysts see the workbench pages, admins also Admin; the admin page adds
users, creates clients with a key shown once, revokes keys, approves models, publishes releases
and filters the API audit log, every write naming the logged-in admin.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.clients import clients, registry, releases, users
from engine.clients.keys import verify_key
from engine.clients.users import (
    SINGLE_USER,
    Throttle,
    add_user,
    get_user,
    set_disabled,
    verify_login,
)
from store.clients import write_audit
from store.db import connect
from tests.test_api_support import add_evaluation, add_run, fund_ids
from workbench.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
TIMEOUT_S = 90
PASSWORD = "staff password 1"
WORKBENCH = {"home", "data", "methodology", "training", "runs", "review", "cycle", "validation"}


def _pages(at: AppTest) -> set[str]:
    return {Path(str(i["script_path"])).stem for i in at._registered_pages.values()}


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _login(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def staff(home) -> None:
    """An admin `boss` and an analyst `kim`."""
    with connect(home) as con:
        add_user(con, "boss", "admin", PASSWORD, created_by="test")
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")


def _admin_page(user: str = "boss") -> AppTest:
    at = _login(_app(), user)
    at.switch_page("../pages/admin.py").run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- modes and log-in


def test_single_user_mode_says_so_and_opens_every_staff_page(home):
    at = _app()
    assert t("auth_single_user", "ko", user=SINGLE_USER) in _texts(at.info)
    assert _pages(at) == WORKBENCH | {"admin"}
    assert not at.text_input  # no log-in form


def test_first_admin_added_in_single_user_mode_turns_log_in_on_and_shows_its_password(home):
    at = _app()
    at.switch_page("../pages/admin.py").run()
    at.text_input(key="adm_new_name").input("boss")
    at.selectbox(key="adm_role").set_value("admin")
    at.button(key="FormSubmitter:adm_user_add-사용자 추가").click().run()
    assert not at.exception, at.exception
    assert [ti.key for ti in at.text_input] == ["auth_name", "auth_password"]  # log-in is on
    password = at.code[0].value  # shown once, above the form
    with connect(home) as con:
        added = verify_login(con, "boss", password)
    assert added.ok and added.user["created_by"] == SINGLE_USER


def test_log_in_is_required_once_a_user_exists(staff):
    at = _app()
    assert [ti.key for ti in at.text_input] == ["auth_name", "auth_password"]
    assert _pages(at) <= {"app"}  # no page registered: nothing but the form


def test_wrong_password_is_refused_with_a_clear_message(staff):
    at = _login(_app(), "kim", "not the password")
    assert t("auth_bad", "ko") in _texts(at.error)
    assert "auth_user" not in at.session_state


def test_unknown_user_gets_the_same_message(staff):
    at = _login(_app(), "nobody")
    assert t("auth_bad", "ko") in _texts(at.error)


def test_disabled_user_is_refused(staff, home):
    with connect(home) as con:
        set_disabled(con, "kim", True)
    at = _login(_app(), "kim")
    assert t("auth_disabled", "ko") in _texts(at.error)


def test_repeated_failures_slow_log_in_down(staff, monkeypatch):
    slow = replace(users.POLICY, per_name=Throttle(free_attempts=3, base_s=60.0))  # no race
    monkeypatch.setattr("engine.clients.users.POLICY", slow)
    at = _app()
    for _ in range(slow.per_name.free_attempts):
        _login(at, "kim", "wrong password")
    _login(at, "kim")  # the right password, too soon
    assert "auth_user" not in at.session_state
    assert "초 뒤에 다시 시도하십시오" in _texts(at.error)


def test_failures_from_another_address_do_not_lock_the_page_log_in(staff, home):
    with connect(home) as con:
        for _ in range(3):
            verify_login(con, "kim", "a guess", address="203.0.113.66")
        assert verify_login(con, "kim", PASSWORD, address="203.0.113.66").reason == "throttled"
    at = _login(_app(), "kim")  # this browser has no such failures
    assert at.session_state["auth_user"] == "kim"


def test_analyst_sees_the_workbench_pages_but_not_admin(staff):
    at = _login(_app(), "kim")
    assert _pages(at) == WORKBENCH
    assert "**kim** (애널리스트)" in _texts(at.markdown)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/admin.py")


def test_admin_sees_the_admin_page_too(staff):
    at = _login(_app(), "boss")
    assert _pages(at) == WORKBENCH | {"admin"}
    at.switch_page("../pages/admin.py").run()
    assert not at.exception, at.exception
    assert t("adm_title", "ko") in _texts(at.title)


def test_log_out_returns_to_the_form(staff):
    at = _login(_app(), "kim")
    at.button(key="auth_logout").click().run()
    assert "auth_user" not in at.session_state
    assert [ti.key for ti in at.text_input] == ["auth_name", "auth_password"]


def test_a_user_disabled_meanwhile_is_logged_out_at_the_next_click(staff, home):
    at = _login(_app(), "kim")
    with connect(home) as con:
        set_disabled(con, "kim", True)
    at.run()
    assert [ti.key for ti in at.text_input] == ["auth_name", "auth_password"]


# ---------------------------------------------------------------- admin page


def test_admin_adds_a_user_with_a_password_shown_once(staff, home):
    at = _admin_page()
    at.text_input(key="adm_new_name").input("lee")
    at.selectbox(key="adm_role").set_value("analyst")
    at.button(key="FormSubmitter:adm_user_add-사용자 추가").click().run()
    assert not at.exception, at.exception
    shown = [c.value for c in at.code]
    assert len(shown) == 1
    with connect(home) as con:
        assert verify_login(con, "lee", shown[0]).ok
        assert con.execute("SELECT created_by FROM users WHERE user_name = 'lee'").fetchall() == [
            ("boss",)
        ]
    at.run()  # the next rerun no longer shows it
    assert not at.code


def test_admin_page_refuses_a_bad_user_in_one_line(staff):
    at = _admin_page()
    at.text_input(key="adm_new_name").input("Bad Name")
    at.button(key="FormSubmitter:adm_user_add-사용자 추가").click().run()
    assert "is not a valid user name" in _texts(at.error)


@pytest.mark.parametrize(
    ("name", "password", "key"),
    [
        ("lee", "password123", "pw_common"),
        ("lee", "short pw", "pw_short"),
        ("lee.analyst", "LEE.ANALYST", "pw_name"),
        ("lee", " " * 12, "pw_blank"),
    ],
)
def test_admin_page_refuses_a_weak_password_with_a_clear_message(staff, home, name, password, key):
    at = _admin_page()
    at.text_input(key="adm_new_name").input(name)
    at.text_input(key="adm_new_password").input(password)
    at.button(key="FormSubmitter:adm_user_add-사용자 추가").click().run()
    assert not at.exception, at.exception
    assert t(key, "ko", n=10) in _texts(at.error)
    with connect(home) as con:
        assert get_user(con, name) is None


def test_admin_disables_and_resets_a_user(staff, home):
    at = _admin_page()
    at.selectbox(key="adm_pick_user").set_value("kim")
    at.button(key="adm_disable").click().run()
    with connect(home) as con:
        assert verify_login(con, "kim", PASSWORD).reason == "disabled"
    at.selectbox(key="adm_pick_user").set_value("kim")
    at.button(key="adm_enable").click().run()
    at.selectbox(key="adm_pick_user").set_value("kim")
    at.button(key="adm_reset").click().run()
    fresh = at.code[0].value
    with connect(home) as con:
        assert not verify_login(con, "kim", PASSWORD).ok
        assert verify_login(con, "kim", fresh).ok


@pytest.fixture
def registry_store(demo_home) -> dict:
    """The demo with a finished run-0001 evaluated on every fund, and the two staff users."""
    with connect(demo_home) as con:
        funds = fund_ids(con)
        add_run(con, "run-0001")
        add_evaluation(con, "eval-0001", "run-0001", funds, 3)
        add_user(con, "boss", "admin", PASSWORD, created_by="test")
    return {"funds": funds, "home": demo_home}


def test_admin_creates_a_client_and_its_key_works_once_shown(registry_store):
    home, funds = registry_store["home"], registry_store["funds"]
    at = _admin_page()
    at.text_input(key="adm_client_name").input("Alpha Pension")
    at.text_input(key="adm_client_funds").input(",".join(funds[:2]))
    at.button(key="FormSubmitter:adm_client_create-위탁사 등록").click().run()
    assert not at.exception, at.exception
    key = at.code[0].value
    with connect(home) as con:
        assert verify_key(con, key) == {"key_id": key.split("_")[1], "client_id": "c-0001"}
        assert clients.get_client(con, "c-0001")["created_by"] == "boss"
        assert clients.client_funds(con, "c-0001") == funds[:2]
    # revoke that key from the page
    at.selectbox(key="adm_key_client").set_value("c-0001")
    at.selectbox(key="adm_pick_key").set_value(key.split("_")[1])
    at.button(key="adm_revoke").click().run()
    with connect(home) as con:
        assert verify_key(con, key) is None


def test_admin_edits_a_clients_funds_and_disables_it(registry_store):
    home, funds = registry_store["home"], registry_store["funds"]
    with connect(home) as con:
        made = clients.create_client(con, "Alpha Pension", fund_ids=funds[:2], by="test")
    at = _admin_page()
    at.selectbox(key="adm_key_client").set_value("c-0001").run()
    at.multiselect(key="adm_funds_c-0001").set_value(funds[1:4])
    at.button(key="adm_save_funds").click().run()
    assert not at.exception, at.exception
    assert t("adm_funds_saved", "ko", id="c-0001", n=3) in _texts(at.success)
    at.button(key="adm_toggle_client").click().run()
    with connect(home) as con:
        assert clients.client_funds(con, "c-0001") == funds[1:4]
        assert verify_key(con, made["key"]) is None  # a disabled client's keys stop


def test_admin_approves_a_model_and_publishes_a_release(registry_store):
    home, funds = registry_store["home"], registry_store["funds"]
    with connect(home) as con:
        clients.create_client(con, "Alpha Pension", fund_ids=funds[:3], by="test")
    at = _admin_page()
    at.selectbox(key="adm_run").set_value("run-0001")
    at.selectbox(key="adm_scope").set_value("c-0001")
    at.text_input(key="adm_reason").input("agreement on held-out funds ok")
    at.button(key="FormSubmitter:adm_promote-승인").click().run()
    assert not at.exception, at.exception
    assert not at.error, _texts(at.error)
    at.selectbox(key="adm_rel_client").set_value("c-0001")
    at.button(key="FormSubmitter:adm_publish-릴리스 발행").click().run()
    assert not at.error, _texts(at.error)
    assert t("adm_published", "ko", id="c-0001", version=1, n=3) in _texts(at.success)
    with connect(home) as con:
        model = registry.current_model(con, "c-0001")
        release = releases.latest(con, "c-0001")
    assert model["run_id"] == "run-0001"
    assert release["published_by"] == "boss" and release["n_funds"] == 3


def test_approve_without_reason_is_refused(registry_store):
    at = _admin_page()
    at.selectbox(key="adm_run").set_value("run-0001")
    at.button(key="FormSubmitter:adm_promote-승인").click().run()
    assert "reason" in _texts(at.error)


def test_audit_log_is_filtered_by_status_and_path(registry_store):
    home = registry_store["home"]
    now = datetime(2026, 10, 1, 9, 0)
    with connect(home) as con:
        write_audit(
            con,
            [
                {
                    "called_at": now,
                    "key_id": "k1",
                    "client_id": None,
                    "method": "GET",
                    "path": "/v1/funds",
                    "status": 200,
                    "duration_ms": 3.0,
                },
                {
                    "called_at": now,
                    "key_id": None,
                    "client_id": None,
                    "method": "GET",
                    "path": "/v1/funds/F1/evaluations",
                    "status": 401,
                    "duration_ms": 1.0,
                },
                {
                    "called_at": now,
                    "key_id": "k1",
                    "client_id": None,
                    "method": "GET",
                    "path": "/v1/releases",
                    "status": 200,
                    "duration_ms": 2.0,
                },
            ],  # fmt: skip
        )
    at = _admin_page()
    audit = next(d.value for d in at.dataframe if "duration_ms" in d.value.columns)
    assert len(audit) == 3
    at.selectbox(key="adm_audit_status").set_value("4xx").run()
    audit = next(d.value for d in at.dataframe if "duration_ms" in d.value.columns)
    assert list(audit["status"]) == [401]
    at.selectbox(key="adm_audit_status").set_value("all")
    at.text_input(key="adm_audit_path").input("releases").run()
    audit = next(d.value for d in at.dataframe if "duration_ms" in d.value.columns)
    assert list(audit["path"]) == ["/v1/releases"]


# ---------------------------------------------------------------- writes name the user


def test_an_upload_by_a_logged_in_analyst_names_the_analyst(staff, home, small_files):
    at = _login(_app(), "kim")
    at.switch_page("../pages/data.py").run()
    path = small_files["funds"]
    at.file_uploader(key="data_files").set_value([(path.name, path.read_bytes(), "text/csv")])
    at.run()
    next(b for b in at.button if b.label == t("btn_load", "ko")).click().run()
    assert not at.exception, at.exception
    with connect(home) as con:
        logged = con.execute("SELECT file_name, created_by FROM upload_log").fetchall()
    assert logged == [("funds.csv", "kim")]
