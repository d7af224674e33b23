"""The client REST API: FastAPI under `/v1`, served by uvicorn (`python -m workbench api`).

docs/clients-format.md section 6 is the contract. Every path but `/v1/health` needs
`Authorization: Bearer lgk_<key_id>_<secret>`; a client reads only its own funds and releases,
and a fund of another client is answered exactly like a fund that does not exist. Before a
request reaches its handler the guard (`workbench.api.guard`) checks the caller's address's
token bucket, the body size, the key's form, the key's bucket and the key itself against the
keys file. A live evaluation also needs one of its client's slots (`workbench.api.limits`).
There is no Swagger page (it would load from a CDN); the OpenAPI document is /openapi.json.

The API does not open the shared DuckDB file to answer (docs/api-release-files.md). Published
releases never change, so each is written once as files when it is published
(`store.release_files`), and the read paths answer from those files, kept in memory with their
answers (`workbench.api.published`); keys are checked against a keys file that whoever changes
keys or clients rewrites (`workbench.api.keybook`). Per request that is two `os.stat` calls. The
store is opened only to write the files of a client that has none yet (releases published
before these files existed), when there is no readable keys file, for a live evaluation, and
every few seconds by the audit journal's loader (`workbench.api.audit`), never while a
request waits.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import uvicorn
from fastapi import Body, FastAPI, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.clients import live as live_engine
from store import key_file
from store.db import connect
from store.home import Home
from workbench.api import models as m
from workbench.api.audit import AuditBuffer, AuditLimits
from workbench.api.guard import CODES, ApiError, Guard, error_response
from workbench.api.keybook import KeyBook
from workbench.api.limits import LiveSlots, TokenBuckets
from workbench.api.published import NotFound, Published
from workbench.api.settings import ApiSettings

log = logging.getLogger(__name__)

API_VERSION = "1"


# ---------------------------------------------------------------- errors


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404:
            message = "not found"
        return error_response(exc.status_code, CODES.get(exc.status_code, "error"), message,
                              getattr(exc, "headers", None))  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "invalid_request", f"{where}: {first.get('msg', 'invalid')}")


# ---------------------------------------------------------------- handlers


async def _answer(request: Request, what: str, arg: object = None) -> Response:
    """The JSON answer `what` for the verified client of the request, from its release files
    (read or written in a thread only when they changed or are missing)."""
    published: Published = request.app.state.published
    client_id = request.state.client_id
    client = published.current(client_id)
    if client is None:
        client = await run_in_threadpool(published.load, client_id)
    body = published.kept_answer(client, client_id, what, arg)
    if body is None:
        try:
            body = await run_in_threadpool(published.answer, client, client_id, what, arg)
        except NotFound as exc:
            raise ApiError(404, str(exc)) from exc
    return Response(body, media_type="application/json")


_ERRORS = {status: {"model": m.ErrorResponse} for status in (401, 404, 413, 422, 429)}

FundId = Annotated[str, Path(min_length=1, max_length=64, description="a fund id of this client")]
Version = Annotated[int, Path(ge=1, le=1_000_000, description="a release number of this client")]


def _add_routes(app: FastAPI) -> None:
    @app.get("/v1/health", response_model=m.Health, tags=["meta"])
    def health() -> m.Health:
        """Liveness; needs no key."""
        return m.Health(status="ok", api_version=API_VERSION)

    @app.get("/v1/funds", response_model=m.FundList, responses=_ERRORS, tags=["funds"])
    async def list_funds(request: Request) -> Response:
        """This client's funds with their grade in the latest release."""
        return await _answer(request, "funds")

    @app.get("/v1/funds/{fund_id}", response_model=m.FundDetail, responses=_ERRORS,
             tags=["funds"])  # fmt: skip
    async def get_fund(fund_id: FundId, request: Request) -> Response:
        """One fund of this client with its facts and its latest published grade."""
        return await _answer(request, "fund", fund_id)

    @app.get("/v1/funds/{fund_id}/evaluations", response_model=m.FundEvaluations,
             responses=_ERRORS, tags=["funds"])  # fmt: skip
    async def fund_evaluations(fund_id: FundId, request: Request) -> Response:
        """The fund's graded rows across this client's releases, oldest first."""
        return await _answer(request, "evaluations", fund_id)

    @app.get("/v1/releases", response_model=m.ReleaseList, responses=_ERRORS, tags=["releases"])
    async def list_releases(request: Request) -> Response:
        """This client's releases, newest first."""
        return await _answer(request, "releases")

    @app.get("/v1/releases/{version}", response_model=m.ReleaseDetail, responses=_ERRORS,
             tags=["releases"])  # fmt: skip
    async def get_release(version: Version, request: Request) -> Response:
        """One release of this client with its frozen evaluation rows."""
        return await _answer(request, "release", version)

    @app.get("/v1/releases/{version}/methodology", response_model=m.Methodology,
             responses=_ERRORS, tags=["releases"])  # fmt: skip
    async def release_methodology(version: Version, request: Request) -> Response:
        """The methodology version a release was graded under."""
        return await _answer(request, "methodology", version)

    @app.post("/v1/funds/{fund_id}/live-evaluation", response_model=m.LiveEvaluation,
              responses={**_ERRORS, 409: {"model": m.ErrorResponse},
                         503: {"model": m.ErrorResponse}}, tags=["funds"])  # fmt: skip
    def live(
        request: Request,
        fund_id: FundId,
        body: Annotated[m.LiveRequest | None, Body()] = None,
    ) -> m.LiveEvaluation:
        """Grade one fund now with this client's approved model (labelled live; never stored).
        One at a time per client; the answer is at most the server's token cap long."""
        client_id = request.state.client_id
        published: Published = app.state.published
        client = published.current(client_id) or published.load(client_id)
        if not published.has_fund(client, fund_id):
            raise ApiError(404, f"fund {fund_id} not found")
        settings: ApiSettings = app.state.settings
        if not app.state.live_slots.try_acquire(client_id):
            wait = settings.live_retry_after_s
            raise ApiError(429, f"a live evaluation is running for this client or the server is "
                           f"at its limit; retry in {wait} s", headers={"Retry-After": str(wait)})  # fmt: skip
        try:
            answer = live_engine.live_evaluation(
                app.state.home, client_id, fund_id,
                max_new_tokens=body.max_new_tokens if body else None,
                token_cap=settings.live_max_new_tokens,
            )  # fmt: skip
        except live_engine.LiveError as exc:
            status = {"not_found": 404, "no_model": 409, "no_data": 409}.get(exc.code, 503)
            raise ApiError(status, str(exc), exc.code if status != 404 else "not_found") from exc
        finally:
            app.state.live_slots.release(client_id)
        return m.LiveEvaluation(**answer)


def create_app(home: Home, settings: ApiSettings | None = None) -> FastAPI:
    """The API over `home`'s store (migrated once here, and the keys file written from it)."""
    settings = settings or ApiSettings.from_env()
    with connect(home, settings.busy_timeout_s) as con:
        try:
            key_file.write(con, home)
        except OSError as exc:  # the API then checks keys in the store
            log.warning("keys file not written: %s", exc)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.audit.start()
        yield
        await run_in_threadpool(app.state.audit.stop)

    app = FastAPI(
        title="LEARN-GRPO client API",
        version=API_VERSION,
        description="Published fund grades for client institutions (docs/clients-format.md).",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN; /openapi.json stays
        redoc_url=None,
    )
    app.state.home, app.state.settings = home, settings
    app.state.address_buckets = TokenBuckets(
        settings.address_rate_per_s, settings.address_burst, settings.max_buckets
    )
    app.state.key_buckets = TokenBuckets(settings.rate_per_s, settings.burst, settings.max_buckets)
    app.state.live_slots = LiveSlots(settings.live_per_client, settings.live_total)
    app.state.audit = AuditBuffer(
        home, AuditLimits(settings.audit_flush_s, settings.audit_max_buffer,
                          settings.audit_max_groups, settings.busy_timeout_s,
                          settings.audit_load_s),
    )  # fmt: skip
    app.state.keys = KeyBook(home, settings.busy_timeout_s)
    app.state.published = Published(home, settings.busy_timeout_s)
    _install_errors(app)
    app.add_middleware(Guard, api=app)
    _add_routes(app)
    return app


def serve(home: Home, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API with uvicorn until interrupted (one process; audit flushed at the end)."""
    # h11, not httptools even where installed: h11 refuses oversized request heads (16 KiB)
    uvicorn.run(create_app(home), host=host, port=port, log_level="warning", workers=1, http="h11")
