"""Short-lived DuckDB connections with numbered migrations and a busy-wait on the file lock.

DuckDB lets one process at a time hold a database file. The app, the CLI, the API and
background jobs share one file, so nobody keeps a connection open between actions: every
action opens, works and closes. A connection that meets another process's lock retries with
back-off for `busy_timeout` seconds, then raises `StoreBusyError`. One page render may hold the
file open for its few hundred milliseconds (`held`), so that its reads do not reopen it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from store.home import Home, make_private

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"
MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
DEFAULT_BUSY_TIMEOUT_S = float(os.environ.get("WORKBENCH_BUSY_TIMEOUT", "15"))

# Database files this process holds open for a block (`held`), with how many blocks hold each.
_HELD: dict[Path, int] = {}
_HELD_LOCK = threading.Lock()
_BLOCK = threading.local()  # .anchors: this thread's `held` block's open files, None outside


class StoreBusyError(RuntimeError):
    """Another process holds the database file for longer than we were willing to wait."""


def migrations() -> list[tuple[int, str, str]]:
    """All migration files as (version, file name, SQL), in order."""
    found = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    return found


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database (0 for a new file)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    return int(scalar(con, "SELECT coalesce(max(version), 0) FROM schema_version"))


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The single value a query returns (None for no row), with the result fully consumed.

    DuckDB 2 refuses some calls (e.g. `register`) while a result is only partly fetched.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction."""
    applied = []
    current = schema_version(con)
    for version, name, sql in migrations():
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("applied migration %s", name)
        applied.append(version)
    return applied


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def open_connection(path: Path, busy_timeout: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open `path` read-write, waiting with back-off while another process holds it."""
    timeout = DEFAULT_BUSY_TIMEOUT_S if busy_timeout is None else busy_timeout
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"The database {path.name} is busy: another process (the app, the CLI, the API "
                    f"or a background job) has held it for over {timeout:.0f} s. Try again in a moment."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _is_held(path: Path) -> bool:
    with _HELD_LOCK:
        return _HELD.get(path, 0) > 0


def _prepare(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Make the file private (a new one gets the process umask, often 0644) and migrate it."""
    make_private(path)
    migrate(con)


def _hold(path: Path, busy_timeout: float | None) -> None:
    """Open `path` for the rest of this thread's `held` block (once), migrated."""
    anchors = getattr(_BLOCK, "anchors", None)
    if anchors is None or path in anchors:
        return
    anchor = open_connection(path, busy_timeout)
    try:
        _prepare(anchor, path)
    except BaseException:
        anchor.close()
        raise
    anchors[path] = anchor
    with _HELD_LOCK:
        _HELD[path] = _HELD.get(path, 0) + 1


@contextmanager
def connect(home: Home, busy_timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the workbench database, migrated to the newest schema, closed on exit."""
    home.ensure()
    path = home.db_path
    _hold(path, busy_timeout)
    already_open = _is_held(path)
    con = open_connection(path, busy_timeout)
    try:
        if not already_open:
            _prepare(con, path)
        yield con
    finally:
        con.close()


@contextmanager
def held() -> Iterator[None]:
    """Keep each database file this thread opens in the block open until the block ends, such
    as one page render.

    DuckDB shares an open file between the connections of one process, so every `connect`
    after the first gets a connection at once and skips the migration check (the first one
    migrated the file) instead of opening the file afresh (~30 ms each). A block that opens
    nothing (a rerun served from caches) costs nothing. The file stays locked against other
    processes until the block ends, so hold it only for work that does not wait on another
    process. Nested blocks are one block.
    """
    if getattr(_BLOCK, "anchors", None) is not None:
        yield
        return
    _BLOCK.anchors = {}
    try:
        yield
    finally:
        anchors, _BLOCK.anchors = _BLOCK.anchors, None
        for path, anchor in anchors.items():
            with _HELD_LOCK:
                _HELD[path] -= 1
                if not _HELD[path]:
                    del _HELD[path]
            anchor.close()


_SCRATCH: list[duckdb.DuckDBPyConnection] = []
_SCRATCH_LOCK = threading.Lock()


def scratch() -> duckdb.DuckDBPyConnection:
    """A new connection to this process's one in-memory scratch database, for staging an upload.

    Starting a DuckDB database costs ~20 ms (its catalog of built-in functions); a connection
    to a started one under 1 ms. Make only TEMP tables and views on it: they are this
    connection's own, so uploads read at once in other threads never meet, and they are gone
    when it closes.
    """
    with _SCRATCH_LOCK:
        if not _SCRATCH:
            _SCRATCH.append(duckdb.connect(":memory:"))
        return _SCRATCH[0].cursor()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One write transaction: committed if the block succeeds, rolled back on any error."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
