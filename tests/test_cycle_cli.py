"""`python -m workbench cycle run|list|show` as a user runs it: the cycle in the background,
followed with --wait; a second run changes nothing; bad input is one line and exit 2."""

from __future__ import annotations

import json

import pytest

from engine.clients import clients
from store.db import connect
from tests import evaluation_support
from tests.test_api_support import fund_ids
from tests.test_cli import run_cli

# every test runs `python -m workbench cycle …` and its model job as processes
pytestmark = pytest.mark.process

# fixtures shared with other test modules
eval_template = evaluation_support.eval_template
eval_home = evaluation_support.eval_home

AS_OF = "2026-08-31"


def _json(*args: str, home) -> dict:
    done = run_cli(*args, "--json", home=home.root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cycle_run_wait_list_show_and_a_second_run(eval_home) -> None:
    with connect(eval_home) as con:
        client = clients.create_client(con, "Alpha", fund_ids=fund_ids(con, 5), by="t")
    args = ("cycle", "run", "--model", "rules", "--as-of", AS_OF, "--wait")
    first = _json(*args, home=eval_home)
    (cycle,) = first["cycles"]
    assert cycle["outcome"] == "started" and cycle["state"] == "finished"
    assert cycle["n_funds"] > 30 and cycle["n_routed"] == 0
    assert [r["version"] for r in cycle["releases"]] == [1]
    assert cycle["releases"][0]["client_id"] == client["client_id"]

    (again,) = _json(*args, home=eval_home)["cycles"]
    assert again["cycle_id"] == cycle["cycle_id"] and again["outcome"] == "unchanged"

    listed = _json("cycle", "list", home=eval_home)["cycles"]
    assert [c["cycle_id"] for c in listed] == [cycle["cycle_id"]]
    shown = _json("cycle", "show", cycle["cycle_id"], home=eval_home)
    assert shown["sources"] == {"rules": cycle["n_funds"]}
    assert shown["coverage"][0]["coverage"] == 1.0 and shown["coverage"][0]["n_expert"] > 0
    assert len(shown["grades"]) == cycle["n_funds"]
    assert shown["releases"][0]["version"] == 1

    text = run_cli("cycle", "show", cycle["cycle_id"], home=eval_home.root)
    assert text.returncode == 0 and "self-agreement threshold" in text.stdout


def test_cycle_bad_input_is_one_line_and_exit_2(eval_home) -> None:
    for args, words in (
        (("cycle", "run", "--model", "gpt"), "--model must be rules or run:RUN_ID"),
        (("cycle", "run", "--model", "run:run-0042"), "there is no run run-0042"),
        (("cycle", "run", "--client", "c-0099", "--model", "rules"), "there is no client"),
        (("cycle", "run"), "no model is approved"),
        (("cycle", "show", "cycle-0042"), "there is no cycle cycle-0042"),
        (("cycle", "show", "nonsense"), "is not a cycle id"),
    ):
        done = run_cli(*args, "--no-inbox" if args[1] == "run" else "--json", home=eval_home.root)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
