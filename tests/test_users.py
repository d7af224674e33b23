"""Users of the app: argon2id hashes (never the password), log-in checks, throttling, roles,
and the `user` / `init --admin` commands."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import datetime, timedelta

import pytest

from engine.clients import users
from engine.clients.password_policy import MIN_LENGTH, password_refusal
from engine.clients.users import (
    POLICY,
    LoginPolicy,
    Throttle,
    UserError,
    add_user,
    count_users,
    list_users,
    login,
    set_disabled,
    set_password,
    verify_login,
)
from store.db import connect
from workbench.cli.core import main

PASSWORD = "correct horse battery"


def _run(capsys, *argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, dict]:
    if stdin is not None:
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


@pytest.mark.real_password_hashing
def test_the_app_hashes_at_rfc_9106_low_memory_cost(home):
    """The other tests hash cheaply (tests/conftest.py); the app uses argon2id at m=64 MiB, t=3."""
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        stored = con.execute("SELECT password_hash FROM users WHERE user_name = 'kim'").fetchall()
        assert verify_login(con, "kim", PASSWORD).ok
    assert stored[0][0].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users._DUMMY_HASH.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


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
        for _ in range(POLICY.per_name.free_attempts):
            assert verify_login(con, "kim", "wrong-one", now=start).reason == "bad"
        # the right password, too soon after the third failure: refused without checking
        soon = verify_login(con, "kim", PASSWORD, now=start + timedelta(seconds=1))
        assert soon.reason == "throttled" and 0 < soon.retry_after_s <= 2
        later = verify_login(con, "kim", PASSWORD, now=start + timedelta(seconds=3))
        assert later.ok
        failures = con.execute("SELECT failed_logins FROM users").fetchall()[0][0]
    assert failures == 0


def test_throttle_doubles_and_is_capped():
    now, throttle = datetime(2026, 1, 1), Throttle(free_attempts=3)
    assert throttle.wait(2, now, now) == 0
    assert throttle.wait(3, now, now) == 2
    assert throttle.wait(5, now, now) == 8
    assert throttle.wait(33, now, now) == 300
    assert throttle.wait(3, now, now + timedelta(seconds=1.5)) == 0.5


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
        ("kim", "analyst", "short", None, "at least 10 characters"),
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
    from engine.clients.clients import create_client

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


# ---------------------------------------------------------------- password policy


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("", "blank"),
        (" " * 12, "blank"),
        ("\t \n" * 4, "blank"),
        ("Tr0ub4d!", "short"),
        ("x" * (MIN_LENGTH - 1), "short"),
        ("password123", "common"),
        ("PASSWORD123", "common"),
        ("qwertyuiop", "common"),
        ("1234567890", "common"),
        ("KIM.ANALYST", "name"),
        (" kim.analyst ", "name"),
        ("letmein2024", "guessable"),
        ("aaaaaaaaaaaa", "guessable"),
        ("kim.analyst1", "guessable"),
        ("correct horse battery", None),
        ("Fund-grades 7 ring amber", None),
    ],
)
def test_password_policy(password, code):
    refusal = password_refusal(password, "kim.analyst")
    assert (refusal.code if refusal else None) == code


def test_add_user_and_set_password_refuse_weak_passwords(home):
    with connect(home) as con:
        with pytest.raises(UserError, match="most common passwords"):
            add_user(con, "kim", "analyst", "password123", created_by="test")
        assert count_users(con) == 0
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        with pytest.raises(UserError, match="must not be empty or only spaces"):
            set_password(con, "kim", " " * 12)
        with pytest.raises(UserError, match="at least 10 characters"):
            set_password(con, "kim", "12345678")
        assert verify_login(con, "kim", PASSWORD).ok  # the old password still holds


def test_cli_refuses_weak_passwords_in_one_line(home, capsys, monkeypatch):
    cases = [
        (["user", "add", "lee", "--role", "analyst"], "password", "at least 10 characters"),
        (["user", "add", "lee", "--role", "analyst"], "qwertyuiop", "most common passwords"),
        (["user", "add", "lee.analyst", "--role", "analyst"], "Lee.Analyst", "the user name"),
        (["user", "password", "kim"], " " * 12, "empty or only spaces"),
        (["user", "password", "kim"], "12345678", "at least 10 characters"),
    ]
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
    for argv, typed, message in cases:
        monkeypatch.setattr("sys.stdin", io.StringIO(typed + "\n"))
        status = main([*argv, "--password-stdin"])
        err = capsys.readouterr().err.strip()
        assert status == 2 and err.startswith("error: ") and "\n" not in err, err
        assert message in err, err
    with connect(home) as con:
        assert [u["user_name"] for u in list_users(con)] == ["kim"]
        assert verify_login(con, "kim", PASSWORD).ok


# ---------------------------------------------------------------- log-in attacks

STRANGER, OFFICE = "203.0.113.66", "198.51.100.7"
PARALLEL = 12


def _spy_hashes(monkeypatch) -> list[bool]:
    """For every argon2 verification from now on: whether it was against the dummy hash."""
    used: list[bool] = []
    real = users._hash_matches

    def spy(stored: str, password: str) -> bool:
        used.append(stored == users._DUMMY_HASH)
        return real(stored, password)

    monkeypatch.setattr(users, "_hash_matches", spy)
    return used


def test_known_unknown_and_throttled_names_get_the_same_answer_work_and_delay(home, monkeypatch):
    policy = LoginPolicy(per_name=Throttle(free_attempts=3, base_s=60.0), min_refusal_s=0.1)
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
    dummy = _spy_hashes(monkeypatch)
    answers, hashes = {}, {}
    for name in ("kim", "ghost"):
        answers[name], hashes[name] = [], []
        for password in ["wrong password"] * 3 + [PASSWORD]:  # the right one, while throttled
            dummy.clear()
            started = time.monotonic()
            result = login(home, name, password, address=STRANGER, policy=policy)
            assert time.monotonic() - started >= policy.min_refusal_s
            answers[name].append((result.ok, result.reason, result.retry_after_s > 0))
            hashes[name].extend(dummy)
            if result.reason == "throttled":
                assert 55 < result.retry_after_s <= 60
    expected = [(False, "bad", False)] * 2 + [(False, "bad", True), (False, "throttled", True)]
    assert answers["kim"] == answers["ghost"] == expected
    assert hashes["kim"] == [False, False, False, True]  # one argon2 check per try, always
    assert hashes["ghost"] == [True, True, True, True]


def _parallel_wrong_tries(home, n: int, policy: LoginPolicy) -> tuple[list, list]:
    """`n` threads, each with its own connection, try a wrong password for kim at once."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def attempt() -> None:
        try:
            with connect(home) as con:
                barrier.wait()
                results.append(
                    verify_login(con, "kim", "wrong password", address=STRANGER, policy=policy)
                )
        except Exception as exc:  # any error escaping a log-in fails the test
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_parallel_failures_are_all_counted(home):
    roomy = LoginPolicy(per_name=Throttle(free_attempts=100), per_address=Throttle(100))
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
    results, errors = _parallel_wrong_tries(home, PARALLEL, roomy)
    assert errors == [] and [r.reason for r in results] == ["bad"] * PARALLEL
    with connect(home) as con:
        counted = con.execute(
            "SELECT scope, failures FROM login_failures ORDER BY scope"
        ).fetchall()
        assert counted == [("address", PARALLEL), ("name", PARALLEL)]
        assert con.execute("SELECT failed_logins FROM users").fetchall() == [(PARALLEL,)]


def test_parallel_tries_check_no_more_passwords_than_the_throttle_allows(home, monkeypatch):
    strict = LoginPolicy(per_name=Throttle(free_attempts=3, base_s=60.0))
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
    dummy = _spy_hashes(monkeypatch)
    results, errors = _parallel_wrong_tries(home, PARALLEL, strict)
    assert errors == []
    assert sorted(r.reason for r in results) == ["bad"] * 3 + ["throttled"] * (PARALLEL - 3)
    assert dummy.count(False) == 3  # kim's real hash was checked three times, no more


def test_a_stranger_cannot_lock_the_user_out_from_another_address(home):
    now = datetime(2026, 1, 1, 9, 0)
    with connect(home) as con:
        add_user(con, "kim", "analyst", PASSWORD, created_by="test")
        for _ in range(POLICY.per_name.free_attempts):
            verify_login(con, "kim", "a guess", address=STRANGER, now=now)
        assert verify_login(con, "kim", PASSWORD, address=STRANGER, now=now).reason == "throttled"
        assert verify_login(con, "kim", PASSWORD, address=OFFICE, now=now).ok
        # kim's log-in at the office does not let the stranger try again
        assert verify_login(con, "kim", PASSWORD, address=STRANGER, now=now).reason == "throttled"
        # a day later the stranger's failures are forgotten
        later = now + timedelta(seconds=POLICY.forget_after_s + 1)
        again = verify_login(con, "kim", "a guess", address=STRANGER, now=later)
    assert again.reason == "bad" and again.retry_after_s == 0


def test_an_address_trying_many_names_is_throttled(home):
    now, policy = datetime(2026, 1, 1, 9, 0), LoginPolicy(per_address=Throttle(free_attempts=5))
    with connect(home) as con:
        add_user(con, "lee", "analyst", PASSWORD, created_by="test")
        for i in range(4):
            tried = verify_login(
                con, f"user{i}", "a guess", address=STRANGER, now=now, policy=policy
            )
            assert tried.reason == "bad"
        # the stranger's own good log-in does not wipe its failures on other names
        assert verify_login(con, "lee", PASSWORD, address=STRANGER, now=now, policy=policy).ok
        last = verify_login(con, "another", "a guess", address=STRANGER, now=now, policy=policy)
        fresh = verify_login(con, "fresh-name", "a guess", address=STRANGER, now=now, policy=policy)
        elsewhere = verify_login(
            con, "fresh-name", "a guess", address=OFFICE, now=now, policy=policy
        )
    assert last.reason == "bad" and last.retry_after_s > 0
    assert fresh.reason == "throttled" and elsewhere.reason == "bad"
