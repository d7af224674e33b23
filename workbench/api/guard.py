"""The client API's guard: an ASGI middleware in front of every route.

In order: the caller's address's token bucket (429, before anything else is looked at, so a
flood of made-up keys never reaches the database), a declared body size (413), the key's form
(401), the key's token bucket (429), the body itself, counted as it streams in (413: chunked
bodies too), then the key against the keys file (`workbench.api.keybook`; the store only when
there is no readable file) (401; a 401 also takes `auth_failure_cost` tokens from the address).
The verified client id goes to the handler in the request state; the call is audited once the
answer is sent.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.clients.keys import check_secret, split_key
from store.atomic_files import LockTimeout
from store.db import StoreBusyError
from workbench.api.keybook import KeyBook, KeysUnavailable

log = logging.getLogger(__name__)

OPEN_PATHS = ("/v1/health",)
CLIENT_GONE = 499  # audit status of a call whose client disconnected before its body was read
CODES = {400: "invalid_request", 401: "unauthorized", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
         422: "invalid_request", 429: "rate_limited", 503: "busy"}  # fmt: skip


class ApiError(Exception):
    """An answer other than 2xx: status, code and one-line message."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}


class ClientGone(Exception):
    """The client disconnected while its request body was being read."""


def error_response(status: int, code: str, message: str, headers=None) -> JSONResponse:
    """The JSON error body of docs/clients-format.md section 6."""
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)


def rate_limited(whom: str, wait_s: float) -> ApiError:
    """429 with Retry-After (whole seconds, at least 1)."""
    seconds = max(1, math.ceil(min(wait_s, 86_400.0)))
    return ApiError(429, f"too many requests for {whom}; retry in {seconds} s",
                    headers={"Retry-After": str(seconds)})  # fmt: skip


def client_address(scope: Scope) -> str:
    """The peer's IP address as the server saw it (a proxy's, behind one)."""
    client = scope.get("client")
    return str(client[0]) if client and client[0] else "unknown"


def declared_too_large(headers: Headers, limit: int) -> bool:
    """True when Content-Length is over `limit` or not a number."""
    length = headers.get("content-length")
    if length is None:
        return False
    try:
        return int(length) > limit
    except ValueError:
        return True


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, ApiError 413 as soon as more than `limit` bytes came in."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the request body is over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` once, then whatever the server sends (a disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def bearer(headers: Headers) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed `Authorization: Bearer lgk_…`; else None."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return split_key(token) if scheme.lower() == "bearer" else None


def key_record(keys: KeyBook, key_id: str) -> dict | None:
    """The key's record from the keys file (KeysUnavailable: ask the store)."""
    return keys.from_file(key_id)


async def verify(keys: KeyBook, key_id: str, secret: str) -> str:
    """The key's client id; ApiError 401 if the key is unknown, revoked or of a disabled
    client. The store is asked (in a thread) only when there is no readable keys file."""
    try:
        record = key_record(keys, key_id)
    except KeysUnavailable:
        record = await run_in_threadpool(keys.from_store, key_id)
    if not check_secret(record, secret):
        raise ApiError(401, "the API key is unknown or revoked")
    return record["client_id"]


class _Reply:
    """The server's `send`, remembering the status, able to answer an error if nothing went."""

    def __init__(self, send: Send) -> None:
        self.send, self.status, self.started = send, 500, False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started, self.status = True, message["status"]
        await self.send(message)

    async def error(self, scope: Scope, receive: Receive, exc: ApiError) -> None:
        if self.started:
            log.warning("error after the answer started: %s", exc.message)
            return
        await error_response(exc.status, exc.code, exc.message, exc.headers)(scope, receive, self)


class Guard:
    """ASGI middleware: the checks of the module doc and the audit row.

    `api` is the FastAPI app, whose state holds settings, address_buckets, key_buckets, keys
    and audit.
    """

    def __init__(self, app: ASGIApp, api: Any) -> None:
        self.app, self.api = app, api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.api.state
        began = time.perf_counter()
        address = client_address(scope)
        call = scope.setdefault("state", {})
        call.update(key_id=None, client_id=None)
        reply = _Reply(send)
        try:
            body = await self._admit(scope, receive, address)
            await self.app(scope, replay(body, receive), reply)
        except ApiError as exc:
            await reply.error(scope, receive, exc)
        except ClientGone:
            reply.status = CLIENT_GONE
        except (StoreBusyError, LockTimeout) as exc:
            await reply.error(scope, receive, ApiError(503, str(exc), "busy", {"Retry-After": "5"}))
        except Exception:  # noqa: BLE001 - a 500 with a JSON body, the traceback in the log
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            await reply.error(scope, receive, ApiError(500, "unexpected server error", "internal"))
        if reply.status == 401:
            state.address_buckets.charge(address, state.settings.auth_failure_cost)
        state.audit.add(
            {"called_at": datetime.now(UTC).replace(tzinfo=None), "key_id": call.get("key_id"),
             "client_id": call.get("client_id"), "method": scope["method"][:16],
             "path": scope["path"][:500], "status": reply.status, "address": address[:64],
             "duration_ms": (time.perf_counter() - began) * 1000.0}
        )  # fmt: skip

    async def _admit(self, scope: Scope, receive: Receive, address: str) -> bytes:
        """Run the checks; the request body. Sets key_id and client_id in the state."""
        state = self.api.state
        settings = state.settings
        path = scope["path"]
        cost = settings.live_cost if path.endswith("/live-evaluation") else 1.0
        wait = state.address_buckets.take(address, cost)
        if wait > 0:
            raise rate_limited("this address", wait)
        headers = Headers(scope=scope)
        if declared_too_large(headers, settings.max_body_bytes):
            raise ApiError(413, f"the request body is over {settings.max_body_bytes} bytes")
        guarded = path.startswith("/v1/") and path not in OPEN_PATHS
        key = bearer(headers) if guarded else None
        if guarded:
            if key is None:
                raise ApiError(401, "send an API key as 'Authorization: Bearer lgk_…'",
                               headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
            scope["state"]["key_id"] = key[0]
            wait = state.key_buckets.take(key[0], cost)
            if wait > 0:
                raise rate_limited("this key", wait)
        body = await read_body(receive, settings.max_body_bytes)
        if key is not None:
            scope["state"]["client_id"] = await verify(state.keys, *key)
        return body
