"""`python -m workbench client|model|release …` as a user runs them (in the test process,
`tests.cli_support`: the same parser, output and exit status as `python -m workbench`)."""

from __future__ import annotations

import json

import pytest

from engine.clients.keys import verify_key
from store.db import connect
from tests.cli_support import CliResult, run_cli
from tests.test_api_support import add_evaluation, add_run, fund_ids


def _cli(*args: str) -> CliResult:
    return run_cli(*args)


def _json(*args: str) -> dict:
    done = _cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def store(demo_home):
    with connect(demo_home) as con:
        funds = fund_ids(con, 4)
        add_run(con, "run-0001")
        add_evaluation(con, "eval-0001", "run-0001", funds, 3)
    return {"home": demo_home, "funds": funds}


def test_client_create_prints_the_key_once_and_it_verifies(store) -> None:
    made = _json("client", "create", "Alpha", "--funds", ",".join(store["funds"][:2]),
                 "--by", "ann")  # fmt: skip
    assert made["client_id"] == "c-0001" and made["key"].startswith("lgk_")
    with connect(store["home"]) as con:
        assert verify_key(con, made["key"])["client_id"] == "c-0001"
        assert con.execute("SELECT created_by FROM clients").fetchone()[0] == "ann"
    listed = _json("client", "list")
    assert listed["count"] == 1 and "key" not in json.dumps(listed["clients"]).replace("n_keys", "")
    human = _cli("client", "list")
    assert human.returncode == 0 and "Alpha" in human.stdout and made["key"] not in human.stdout


def test_bad_input_exits_non_zero_with_one_line(store) -> None:
    for args in (
        ("client", "create", "X", "--funds", "NOPE"),
        ("client", "create", "X"),
        ("client", "revoke", "c-0042"),
        ("model", "approve", "run-0099", "--reason", "x"),
        ("model", "approve", "run-0001"),
        ("release", "publish", "--client", "c-0001"),
    ):
        done = _cli(*args)
        assert done.returncode != 0, args
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith("error:")
    done = _cli("client", "create", "X", "--funds", "NOPE", "--json")
    assert json.loads(done.stdout) == {"ok": False, "error": "unknown fund id(s): NOPE"}


def test_approve_publish_list_revoke_and_new_key(store) -> None:
    made = _json("client", "create", "Alpha", "--funds", ",".join(store["funds"]))
    approved = _json("model", "approve", "run-0001", "--client", "c-0001", "--reason", "good")
    assert approved["state"] == "approved" and approved["client_id"] == "c-0001"
    release = _json("release", "publish", "--client", "c-0001", "--by", "ann")
    assert release["version"] == 1 and release["n_funds"] == 4
    assert _json("release", "list", "--client", "c-0001")["releases"][0]["evaluation_id"] == (
        "eval-0001"
    )
    models = _json("model", "list")["models"]
    assert models[0]["run_id"] == "run-0001" and models[0]["state"] == "approved"
    key = _json("client", "key", "c-0001")
    assert _json("client", "revoke", "c-0001")["revoked"] == 2
    with connect(store["home"]) as con:
        assert verify_key(con, made["key"]) is None
        assert verify_key(con, key["key"]) is None
    retired = _json("model", "retire", "run-0001", "--client", "c-0001", "--reason", "old")
    assert retired["state"] == "retired"
