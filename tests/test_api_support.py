"""Shared pieces of the client, API and client-CLI tests (no tests of its own).

A client store is the small synthetic demo (tests/conftest.py `demo_home`) with finished-looking
runs recorded in `runs` and evaluations by them written straight into `evaluations` /
`evaluation_results` — what `engine.evaluation.jobs.sync` would import from a finished job.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx2
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from engine.clients import clients, registry, releases
from store import evaluations as stored_evaluations
from store.db import connect
from store.home import Home
from store.runs import insert_run
from tests.template_support import built_on, copy_home
from workbench.api.app import ApiSettings, create_app

AS_OF = "2026-09-30"  # the demo's latest rating date


def add_run(con: duckdb.DuckDBPyConnection, run_id: str, state: str = "finished") -> None:
    """A run row over house v1 (no folder: enough for the registry and releases)."""
    insert_run(
        con,
        run_id=run_id,
        model="builtin-tiny",
        methodology_id="house",
        methodology_version=1,
        as_of=AS_OF,
        language="ko",
        snapshot_sha256="ab" * 32,
        parent_run_id=None,
        config="{}",
        state=state,
    )


def add_evaluation(
    con: duckdb.DuckDBPyConnection,
    evaluation_id: str,
    run_id: str,
    fund_ids: list[str],
    grade: int,
    *,
    as_of: str = AS_OF,
    selection: str = "all",
    state: str = "finished",
) -> None:
    """A finished evaluation by run:<run_id> giving every fund `grade` and score 3 on crit_a."""
    results = pd.DataFrame(
        {
            "fund_id": fund_ids,
            "sample": 0,
            "grade": grade,
            "scores": json.dumps({"crit_a": 3}),
            "reasoning": f"graded {grade}",
            "thinking": None,
            "raw_output": "{}",
            "parse_status": "ok",
            "parse_error": None,
            "latency_ms": 1.0,
        }
    )
    row = {
        "evaluation_id": evaluation_id,
        "evaluator": f"run:{run_id}",
        "evaluator_kind": "model",
        "run_id": run_id,
        "methodology_id": "house",
        "methodology_version": 1,
        "as_of": as_of,
        "selection": selection,
        "samples": 1,
        "state": state,
        "n_funds": len(fund_ids),
        "settings": "{}",
        "summary": json.dumps({"exact": 0.5, "within_one": 0.9, "qwk": 0.4}),
        "created_by": "test",
        "finished_at": pd.Timestamp("2026-10-01 10:00"),
        "message": None,
    }
    stored_evaluations.insert_evaluation(con, row, results)


def fund_ids(con: duckdb.DuckDBPyConnection, n: int | None = None) -> list[str]:
    """The demo's fund ids, sorted (the first n)."""
    rows = con.execute("SELECT fund_id FROM funds ORDER BY fund_id").fetchall()
    return [r[0] for r in rows][:n]


def make_world(home: Home) -> dict:
    """Two clients with three funds each, one approved run, releases 1-2 of A and 1 of B:
    {"home", "a", "b" (create_client answers, with "key"), "funds" (the six fund ids)}."""
    with connect(home) as con:
        funds = fund_ids(con, 6)
        a = clients.create_client(con, "Alpha", fund_ids=funds[:3], by="t")
        b = clients.create_client(con, "Beta", fund_ids=funds[3:], by="t")
        add_run(con, "run-0001")
        registry.approve(con, "run-0001", by="ann", reason="house model")
        add_evaluation(con, "eval-0001", "run-0001", funds, 4, as_of="2026-06-30")
        releases.publish(con, a["client_id"], by="ann")
        add_evaluation(con, "eval-0002", "run-0001", funds, 2)
        releases.publish(con, a["client_id"], by="ann")
        releases.publish(con, b["client_id"], by="ann")
    return {"home": home, "a": a, "b": b, "funds": funds}


WORLD_FILE = "api-world.json"


def world_template(tmp_path_factory: pytest.TempPathFactory, demo_template: Home) -> Home:
    """`make_world` on the demo, built once per run; copy it with `copy_world`."""

    def extend(home: Home) -> None:
        world = make_world(home)
        answers = {k: world[k] for k in ("a", "b", "funds")}
        (home.root / WORLD_FILE).write_text(json.dumps(answers), encoding="utf-8")

    return built_on(tmp_path_factory, "api-world", demo_template, extend)


def copy_world(template: Home, root: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A private copy of the world template, named by $WORKBENCH_HOME, as `make_world` gives it."""
    home = copy_home(template, root)
    monkeypatch.setenv("WORKBENCH_HOME", str(home.root))
    answers = json.loads((home.root / WORLD_FILE).read_text(encoding="utf-8"))
    (home.root / WORLD_FILE).unlink()
    return {"home": home, **answers}


def api_client(home: Home, client: tuple[str, int] = ("testclient", 50000), **limits) -> TestClient:
    """A TestClient over `home` calling from `client` (address, port); rate limits generous
    unless given in `limits` (ApiSettings fields)."""
    generous = {"rate_per_s": 1000.0, "burst": 1000.0, "address_rate_per_s": 1000.0,
                "address_burst": 1000.0}  # fmt: skip
    return TestClient(create_app(home, ApiSettings(**{**generous, **limits})), client=client)


def auth(key: str) -> dict:
    """The Authorization header of an API key."""
    return {"Authorization": f"Bearer {key}"}


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api(home, port: int, timeout_s: float = 60, **env: str) -> subprocess.Popen:
    """`python -m workbench api` on 127.0.0.1:port over `home`, answering /v1/health."""
    server = subprocess.Popen(
        [sys.executable, "-m", "workbench", "api", "--port", str(port)],
        env={**os.environ, "WORKBENCH_HOME": str(home.root), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API exited: {server.stderr.read()[-2000:]}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return server
        except httpx2.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"the API did not answer within {timeout_s:.0f} s")


def stop_api(server: subprocess.Popen) -> None:
    """End the API process (terminate, then kill after 15 s)."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)
