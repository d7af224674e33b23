"""The client REST API: FastAPI under `/v1`, served by uvicorn (`python -m workbench api`).

docs/clients-format.md section 6 is the contract. Every path but `/v1/health` needs
`Authorization: Bearer lgk_<key_id>_<secret>`; a client reads only its own funds and releases,
and a fund of another client is answered exactly like a fund that does not exist. Before a
request reaches its handler the guard (`workbench.api.guard`) checks the caller's address's
token bucket, the body size, the key's form, the key's bucket and the key itself against the
store. A live evaluation also needs one of its client's slots (`workbench.api.limits`).
There is no Swagger page (it would load from a CDN); the OpenAPI document is /openapi.json.

Sharing the database with the Streamlit app: DuckDB lets one process hold the file at a time.
The API opens it when a request comes (waiting with back-off while the app holds it,
`store.db`), shares it among close-together requests, and lets it go 50 ms after the last one,
or for 0.3 s after each second of continuous use (`FileLease`), so the app and the CLI get
in within about a second even under load; a live evaluation releases it before generating.
Audit rows are buffered in memory and written in batches by one thread
(`workbench.api.audit`); rows that meet a busy file stay in the buffer for the next flush.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import pandas as pd
import uvicorn
from fastapi import Body, Depends, FastAPI, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.clients import live as live_engine
from store.db import connect, open_connection
from store.home import Home
from store.releases import (
    current_grades,
    get_release,
    grade_history,
    methodology_of,
    release_rows,
)
from store.releases import list_releases as releases_of
from workbench.api import models as m
from workbench.api.audit import AuditBuffer, AuditLimits
from workbench.api.guard import CODES, ApiError, Guard, error_response
from workbench.api.limits import LiveSlots, TokenBuckets
from workbench.api.settings import ApiSettings

log = logging.getLogger(__name__)

API_VERSION = "1"


class FileLease:
    """The database file held open across close-together requests, and let go for others.

    Opening the DuckDB file costs tens of milliseconds; a second connection while one is open
    costs nothing (one database instance per process). So requests share a base connection
    (each gets its own cursor) while they keep coming; it is closed once no request has used it
    for `linger_s`, and after `max_hold_s` of continuous use it is drained and closed for
    `pause_s`, long enough for the app's or the CLI's busy-wait to take the file.
    """

    def __init__(self, home: Home, settings: ApiSettings) -> None:
        self.home, self.settings = home, settings
        self._cond = threading.Condition()
        self._base = None
        self._users = 0
        self._opened = self._last = 0.0
        self._draining = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self):
        """A cursor on the open file (opened, waiting on other processes, if needed)."""
        with self._cond:
            while self._draining:
                self._cond.wait()
            if self._base is None:
                self._base = open_connection(self.home.db_path, self.settings.busy_timeout_s)
                self._opened = time.monotonic()
            self._users += 1
            try:
                return self._base.cursor()
            except BaseException:
                self._users -= 1
                raise

    def release(self, cursor) -> None:
        cursor.close()
        with self._cond:
            self._users -= 1
            self._last = time.monotonic()
            self._cond.notify_all()

    def is_open(self) -> bool:
        with self._cond:
            return self._base is not None

    def _tick(self) -> None:
        with self._cond:
            if self._base is None:
                return
            now = time.monotonic()
            if now - self._opened >= self.settings.max_hold_s:
                self._draining = True
            if self._users or not (self._draining or now - self._last >= self.settings.linger_s):
                return
            self._base.close()
            self._base = None
            forced = self._draining
        if forced:  # leave the file to the other processes for a moment
            self._stop.wait(self.settings.pause_s)
            with self._cond:
                self._draining = False
                self._cond.notify_all()

    def _loop(self) -> None:
        step = max(0.005, min(self.settings.linger_s, self.settings.max_hold_s) / 2)
        while not self._stop.wait(step):
            self._tick()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="api-file-lease", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._cond:
            if self._base is not None and not self._users:
                self._base.close()
                self._base = None
            self._draining = False
            self._cond.notify_all()


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


def _session(request: Request) -> tuple[Any, str]:
    """(open connection, client id) that the guard verified for this request."""
    return request.state.con, request.state.client_id


def _plain(value: Any) -> Any:
    if value is None:
        return None
    try:
        if value != value:  # NaN / NaT
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is None:  # the store keeps UTC, naive
        value = value.replace(tzinfo=UTC)
    return value


def _records(frame) -> list[dict]:
    return [{k: _plain(v) if not isinstance(v, dict) else v for k, v in r.items()}
            for r in frame.astype(object).where(pd.notna(frame), None).to_dict("records")]  # fmt: skip


def _fund(row: dict, detail: bool = False) -> m.Fund:
    current = None
    if row.get("parse_status") is not None:
        keys = ("as_of", "grade", "scores", "reasoning", "parse_status", "source", "run_id",
                "methodology_id", "methodology_version", "cycle_id")  # fmt: skip
        current = m.Grade(release_version=row["release_version"], **{k: row[k] for k in keys})
    fields = {k: row.get(k) for k in ("fund_id", "fund_name", "category", "company")}
    if not detail:
        return m.Fund(**fields, current=current)
    extra = ("manager", "inception_date", "currency", "benchmark_id", "expense_ratio", "aum")
    return m.FundDetail(**fields, current=current, **{k: row.get(k) for k in extra})


def _one_fund(con, client_id: str, fund_id: str) -> dict:
    rows = _records(current_grades(con, client_id, fund_id))
    if not rows:
        raise ApiError(404, f"fund {fund_id} not found")
    return rows[0]


def _release(con, client_id: str, version: int) -> dict:
    release = get_release(con, client_id, version)
    if release is None:
        raise ApiError(404, f"release {version} not found")
    return release


_ERRORS = {status: {"model": m.ErrorResponse} for status in (401, 404, 413, 422, 429)}

FundId = Annotated[str, Path(min_length=1, max_length=64, description="a fund id of this client")]
Version = Annotated[int, Path(ge=1, le=1_000_000, description="a release number of this client")]
Session = Annotated[tuple, Depends(_session)]


def _add_routes(app: FastAPI) -> None:
    @app.get("/v1/health", response_model=m.Health, tags=["meta"])
    def health() -> m.Health:
        """Liveness; needs no key."""
        return m.Health(status="ok", api_version=API_VERSION)

    @app.get("/v1/funds", response_model=m.FundList, responses=_ERRORS, tags=["funds"])
    def list_funds(session: Session) -> m.FundList:
        """This client's funds with their grade in the latest release."""
        con, client_id = session
        rows = _records(current_grades(con, client_id))
        version = next((r["release_version"] for r in rows if r["release_version"]), None)
        return m.FundList(funds=[_fund(r) for r in rows], release_version=version)

    @app.get("/v1/funds/{fund_id}", response_model=m.FundDetail, responses=_ERRORS,
             tags=["funds"])  # fmt: skip
    def get_fund(fund_id: FundId, session: Session) -> m.FundDetail:
        """One fund of this client with its facts and its latest published grade."""
        con, client_id = session
        return _fund(_one_fund(con, client_id, fund_id), detail=True)

    @app.get("/v1/funds/{fund_id}/evaluations", response_model=m.FundEvaluations,
             responses=_ERRORS, tags=["funds"])  # fmt: skip
    def fund_evaluations(fund_id: FundId, session: Session) -> m.FundEvaluations:
        """The fund's graded rows across this client's releases, oldest first."""
        con, client_id = session
        _one_fund(con, client_id, fund_id)
        rows = _records(grade_history(con, client_id, fund_id))
        return m.FundEvaluations(
            fund_id=fund_id,
            evaluations=[m.Evaluation(release_version=r.pop("version"), **r) for r in rows],
        )

    @app.get("/v1/releases", response_model=m.ReleaseList, responses=_ERRORS, tags=["releases"])
    def list_releases(session: Session) -> m.ReleaseList:
        """This client's releases, newest first."""
        con, client_id = session
        rows = _records(releases_of(con, client_id))
        return m.ReleaseList(releases=[m.Release(**r) for r in rows])

    @app.get("/v1/releases/{version}", response_model=m.ReleaseDetail, responses=_ERRORS,
             tags=["releases"])  # fmt: skip
    def get_release(version: Version, session: Session) -> m.ReleaseDetail:
        """One release of this client with its frozen evaluation rows."""
        con, client_id = session
        release = _release(con, client_id, version)
        rows = [m.ReleaseRow(**r) for r in _records(release_rows(con, client_id, version))]
        return m.ReleaseDetail(**release, evaluations=rows)

    @app.get("/v1/releases/{version}/methodology", response_model=m.Methodology,
             responses=_ERRORS, tags=["releases"])  # fmt: skip
    def release_methodology(version: Version, session: Session) -> m.Methodology:
        """The methodology version a release was graded under."""
        con, client_id = session
        _release(con, client_id, version)
        found = methodology_of(con, client_id, version)
        try:
            body = json.loads(found["body"]) if found["body"] else None
        except ValueError:
            body = None
        return m.Methodology(methodology_id=found["methodology_id"], version=found["version"],
                             body=body if isinstance(body, dict) else None)  # fmt: skip

    @app.post("/v1/funds/{fund_id}/live-evaluation", response_model=m.LiveEvaluation,
              responses={**_ERRORS, 409: {"model": m.ErrorResponse},
                         503: {"model": m.ErrorResponse}}, tags=["funds"])  # fmt: skip
    def live(
        request: Request,
        fund_id: FundId,
        session: Session,
        body: Annotated[m.LiveRequest | None, Body()] = None,
    ) -> m.LiveEvaluation:
        """Grade one fund now with this client's approved model (labelled live; never stored).
        One at a time per client; the answer is at most the server's token cap long."""
        con, client_id = session
        _one_fund(con, client_id, fund_id)
        request.state.con = None  # the file is free while the model generates
        app.state.lease.release(con)
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
    """The API over `home`'s store (migrated once here; each request opens the file briefly)."""
    settings = settings or ApiSettings.from_env()
    with connect(home, settings.busy_timeout_s):
        pass

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.lease.start()
        app.state.audit.start()
        yield
        await run_in_threadpool(app.state.audit.stop)
        await run_in_threadpool(app.state.lease.stop)

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
                          settings.audit_max_groups, settings.busy_timeout_s),
    )  # fmt: skip
    app.state.lease = FileLease(home, settings)
    _install_errors(app)
    app.add_middleware(Guard, api=app)
    _add_routes(app)
    return app


def serve(home: Home, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API with uvicorn until interrupted (one process; audit flushed at the end)."""
    uvicorn.run(create_app(home), host=host, port=port, log_level="warning", workers=1)
