"""The client API's guard over real HTTP on loopback (`python -m workbench api` in a
subprocess): a raw chunked body, an oversized header, a flood of made-up keys and the audit
rows the flood leaves (bounded: a few dozen requests, a few seconds)."""

from __future__ import annotations

import secrets
import socket

import httpx2
import pytest

from engine.clients import clients
from store.db import connect
from tests.test_api_support import auth, free_port, make_world, start_api, stop_api

# it serves the API from `python -m workbench api` and calls it over HTTP
pytestmark = pytest.mark.process


def _raw(port: int, head: bytes, body: bytes = b"") -> tuple[int | None, bytes]:
    """Send bytes as they are; (status, raw answer), status None when the server just closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and answer.split(b"\r\n\r\n", 1)[1].endswith(b"}"):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    first = answer.split(b"\r\n", 1)[0].split()
    return (int(first[1]) if len(first) > 1 else None), answer


def _chunked(total: int, piece: int = 500) -> bytes:
    """`total` bytes as HTTP/1.1 chunks, without the closing zero chunk."""
    data = b"x" * piece
    return b"".join(b"%x\r\n%s\r\n" % (len(data), data) for _ in range(total // piece))


def test_the_guard_over_the_wire(demo_home) -> None:
    world = make_world(demo_home)
    fund, key = world["funds"][0], world["a"]["key"]
    port = free_port()
    server = start_api(demo_home, port, WORKBENCH_API_MAX_BODY="1000",
                       WORKBENCH_API_ADDRESS_RATE="0.01", WORKBENCH_API_ADDRESS_BURST="60")  # fmt: skip
    try:
        head = (f"POST /v1/funds/{fund}/live-evaluation HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n").encode()  # fmt: skip
        chunked_status, chunked = _raw(port, head, _chunked(4000))
        header_status, _ = _raw(port, b"GET /v1/funds HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                b"X-Pad: " + b"a" * 200_000 + b"\r\n\r\n")  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        docs = httpx2.get(f"{base}/docs", timeout=10).status_code
        made_up = [
            httpx2.get(f"{base}/v1/funds", timeout=10,
                       headers=auth(f"lgk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"))
            for _ in range(30)
        ]  # fmt: skip
    finally:
        stop_api(server)
    assert chunked_status == 413 and b"payload_too_large" in chunked
    assert header_status in (None, 400, 431)  # refused by the HTTP parser, never served
    assert docs == 404
    codes = [r.status_code for r in made_up]
    assert codes[0] == 401 and codes[-1] == 429 and codes.count(429) >= 24
    assert int(made_up[-1].headers["Retry-After"]) >= 1
    with connect(demo_home) as con:
        log = clients.audit_log(con, limit=1000)
    flood = log[(log["path"] == "/v1/funds") & log["client_id"].isna()]
    assert int(flood["calls"].sum()) == 30 and len(flood) <= 4
    assert set(flood["address"]) == {"127.0.0.1"}
