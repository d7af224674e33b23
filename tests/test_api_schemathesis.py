"""Property-based run of the OpenAPI document against a live API on loopback: no 5xx answers,
bodies as documented (schemathesis CLI against `python -m workbench api` in a subprocess)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from store import clients, registry, releases
from store.db import connect
from tests.test_api_support import add_evaluation, add_run, fund_ids

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_api(home, port: int, **env: str) -> subprocess.Popen:
    """`python -m workbench api` on 127.0.0.1:port over `home`, answering /v1/health."""
    server = subprocess.Popen(
        [sys.executable, "-m", "workbench", "api", "--port", str(port)],
        env={**os.environ, "WORKBENCH_HOME": str(home.root), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API exited: {server.stderr.read()[-2000:]}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return server
        except httpx2.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the API did not answer within 60 s")


def stop_api(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)


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
    server = start_api(demo_home, port, WORKBENCH_API_RATE="10000", WORKBENCH_API_BURST="10000")
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
