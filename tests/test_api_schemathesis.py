"""Property-based run of the OpenAPI document against a live API on loopback: no 5xx answers,
bodies as documented (schemathesis CLI against `python -m workbench api` in a subprocess)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.clients import clients, registry, releases
from store.db import connect
from tests.test_api_support import (
    add_evaluation,
    add_run,
    free_port,
    fund_ids,
    start_api,
    stop_api,
)

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.slow
@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is not installed")
def test_schemathesis_finds_no_server_error(demo_home, tmp_path) -> None:
    with connect(demo_home) as con:
        funds = fund_ids(con, 4)
        made = clients.create_client(con, "Alpha", fund_ids=funds, by="t")
        add_run(con, "run-0001")
        registry.approve(con, "run-0001", by="t", reason="ok")
        add_evaluation(con, "eval-0001", "run-0001", funds, 3)
        releases.publish(con, made["client_id"], by="t")
    port = free_port()
    server = start_api(demo_home, port, WORKBENCH_API_RATE="10000", WORKBENCH_API_BURST="10000",
                       WORKBENCH_API_ADDRESS_RATE="10000", WORKBENCH_API_ADDRESS_BURST="10000")  # fmt: skip
    try:
        done = subprocess.run(
            [str(SCHEMATHESIS), "run", f"http://127.0.0.1:{port}/openapi.json",
             "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
             "--header", f"Authorization: Bearer {made['key']}",
             "--max-examples", "10", "--max-time", "30", "--seed", "7", "--workers", "1",
             "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,  # its cache stays there
        )  # fmt: skip
    finally:
        stop_api(server)
        shutil.rmtree(tmp_path / "report", ignore_errors=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Tested: 8" in done.stdout  # every operation of the document was exercised
