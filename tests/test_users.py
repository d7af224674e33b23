"""Users of the app: argon2id hashes (never the password), log-in checks, throttling, roles,
and the `user` / `init --admin` commands."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from store.db import connect
from store.users import (
    FREE_ATTEMPTS,
    UserError,
    add_user,
    count_users,
    list_users,
    set_disabled,
    set_password,
    throttle_wait,
    verify_login,
)
from workbench.cli import main

PASSWORD = "correct horse battery"


def _run(capsys, *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, dict]:
    if stdin is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main([*argv, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return status, json.loads(out[-1])


def test_password_is_stored_only_as_an_argon2id_hash(home):
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        stored = con.execute("SELECT password_hash FROM users WHERE user_name = 'kim'").fetchall()
        everything = str(con.execute("SELECT * FROM users").fetchall())
    assert stored[0][0].startswith("$argon2id$")
    assert PASSWORD not in everything
    assert "password_hash" not in list_users_columns(home)


def list_users_columns(home) -> list[str]:
    with connect(home) as con:
        return list(list_users(con)[0])


def test_two_users_with_the_same_password_get_different_salts(home):
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        add_user(con, "lee", "analyst", PASSWORD, created_by="test")
        hashes = [r[0] for r in con.execute("SELECT password_hash FROM users").fetchall()]
    assert hashes[0] != hashes[1]


def test_verify_accepts_the_password_and_refuses_others(home):
    with connect(home) as con:
        add_user(con, "kim", "admin", PASSWORD, created_by="test")
        good = verify_login(con, "kim", PASSWORD)
        bad = verify_login(con, "kim", PASSWORD + "!")
        unknown = verify_login(con, "nobody", PASSWORD)
    assert good.ok and good.user["role"] == "admin" and good.user["last_login_at"] is not None
    assert not bad.ok and bad.reason == "bad"
    assert not unknown.ok and unknown.reason == "bad"  # same answer as a wrong password


def test_disabled_user_is_refused_and_enabled_again(home):
    with connect(home) as con:
        add_user(con, "admin1", "admin", PASSWORD, created_by="test")
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        set_disabled(con, "kim", True)
        assert verify_login(con, "kim", PASSWORD).reason == "disabled"
        set_disabled(con, "kim", False)
        assert verify_login(con, "kim", PASSWORD).ok


def test_last_enabled_admin_cannot_be_disabled(home):
    with connect(home) as con:
        add_user(con, "boss", "admin", PASSWORD, created_by="test")
        with pytest.raises(UserError, match="last enabled admin"):
            set_disabled(con, "boss", True)


def test_repeated_failures_slow_down_log_in(home):
    start = datetime(2026, 1, 1, 9, 0, 0)
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        for _ in range(FREE_ATTEMPTS):
            assert verify_login(con, "kim", "wrong-one", now=start).reason == "bad"
        # the right password, too soon after the third failure: refused without checking
        soon = verify_login(con, "kim", PASSWORD, now=start + timedelta(seconds=1))
        assert soon.reason == "throttled" and 0 < soon.retry_after_s <= 2
        later = verify_login(con, "kim", PASSWORD, now=start + timedelta(seconds=3))
        assert later.ok
        failures = con.execute("SELECT failed_logins FROM users").fetchall()[0][0]
    assert failures == 0


def test_throttle_doubles_and_is_capped():
    now = datetime(2026, 1, 1)
    assert throttle_wait(FREE_ATTEMPTS - 1, now, now) == 0
    assert throttle_wait(FREE_ATTEMPTS, now, now) == 2
    assert throttle_wait(FREE_ATTEMPTS + 2, now, now) == 8
    assert throttle_wait(FREE_ATTEMPTS + 30, now, now) == 300


def test_set_password_replaces_the_old_one(home):
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        set_password(con, "kim", "another password")
        assert not verify_login(con, "kim", PASSWORD).ok
        assert verify_login(con, "kim", "another password").ok


@pytest.mark.parametrize(
    ("name", "role", "password", "client", "message"),
    [
        ("kim", "boss", PASSWORD, None, "unknown role 'boss'"),
        ("Kim Lee", "analyst", PASSWORD, None, "not a valid user name"),
        ("single-user", "admin", PASSWORD, None, "reserved"),
        ("kim", "analyst", "short", None, "at least 8 characters"),
        ("kim", "client", PASSWORD, None, "needs --client"),
        ("kim", "client", PASSWORD, "c-9999", "no client 'c-9999'"),
        ("kim", "analyst", PASSWORD, "c-0001", "only a client user"),
    ],
)
def test_add_user_refuses_bad_input(home, name, role, password, client, message):
    with connect(home) as con, pytest.raises(UserError, match=message):
        add_user(con, name, role, password, client_id=client, created_by="test")
    with connect(home) as con:
        assert count_users(con) == 0


def test_client_user_belongs_to_an_existing_client(home):
    from store.clients import create_client

    with connect(home) as con:
        con.execute("INSERT INTO funds (fund_id, fund_name) VALUES ('F001', '한국성장주식형')")
        client = create_client(con, "Alpha Pension", fund_ids=["F001"], by="test")
        user = add_user(
            con, "alpha", "client", PASSWORD, client_id=client["client_id"], created_by="test"
        )
        with pytest.raises(UserError, match="already exists"):
            add_user(con, "alpha", "analyst", PASSWORD, created_by="test")
    assert user["role"] == "client" and user["client_id"] == client["client_id"]


def test_cli_user_add_prints_a_generated_password_once_and_it_works(home, capsys):
    status, result = _run(capsys, "user", "add", "kim", "--role", "analyst")
    assert status == 0 and len(result["password"]) >= 16
    with connect(home) as con:
        assert verify_login(con, "kim", result["password"]).ok
    status, listed = _run(capsys, "user", "list")
    assert [u["user_name"] for u in listed["users"]] == ["kim"]
    assert result["password"] not in json.dumps(listed) and "argon2" not in json.dumps(listed)


def test_cli_user_add_reads_the_password_from_stdin(home, capsys, monkeypatch):
    status, result = _run(
        capsys,
        "user", "add", "lee", "--role", "admin", "--password-stdin",
        stdin=PASSWORD + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert status == 0 and "password" not in result
    with connect(home) as con:
        assert verify_login(con, "lee", PASSWORD).ok


def test_cli_refuses_bad_input_in_one_line(home, capsys):
    status = main(["user", "add", "kim", "--role", "client"])
    err = capsys.readouterr().err
    assert status == 2 and err.strip() == "error: a client user needs --client CLIENT_ID"
    status = main(["user", "disable", "ghost"])
    assert status == 2 and capsys.readouterr().err.strip() == "error: no user named 'ghost'"


def test_cli_disable_stops_log_in(home, capsys):
    _run(capsys, "user", "add", "boss", "--role", "admin")
    created = _run(capsys, "user", "add", "kim", "--role", "analyst")[1]
    status, result = _run(capsys, "user", "disable", "kim")
    assert status == 0 and result["user"]["disabled"] is True
    with connect(home) as con:
        assert verify_login(con, "kim", created["password"]).reason == "disabled"


def test_init_admin_creates_a_first_admin_only_once(home, capsys):
    status, first = _run(capsys, "init", "--admin", "--no-model")
    assert status == 0 and first["admin"] == "admin" and first["admin_password"]
    with connect(home) as con:
        assert verify_login(con, "admin", first["admin_password"]).user["role"] == "admin"
    status, again = _run(capsys, "init", "--admin", "--no-model")
    assert status == 0 and "admin_password" not in again and "users exist" in again["admin"]
