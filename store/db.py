"""Short-lived DuckDB connections with numbered migrations and a busy-wait on the file lock.

DuckDB lets one process at a time hold a database file. The app, the CLI, the API and
background jobs share one file, so nobody keeps a connection open between actions: every
action opens, works and closes. Opening attaches the file to the process's one in-memory
database, and the last user's close detaches it. An open that meets another process's lock
retries with back-off for `busy_timeout` seconds, then raises `StoreBusyError`. One page render
may hold the file open for its few hundred milliseconds (`held`), so that its reads do not
reopen it.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb

from store.home import Home, make_private

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"
MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
DEFAULT_BUSY_TIMEOUT_S = float(os.environ.get("WORKBENCH_BUSY_TIMEOUT", "15"))


class StoreBusyError(RuntimeError):
    """Another process holds the database file for longer than we were willing to wait."""


def migrations() -> list[tuple[int, str, str]]:
    """All migration files as (version, file name, SQL), in order.

    Read once per state of the folder (adding a file changes its modification time), not at
    every open of the database."""
    return list(_migrations_in(SQL_DIR, SQL_DIR.stat().st_mtime_ns))


@lru_cache(maxsize=4)
def _migrations_in(folder: Path, stamp: int) -> tuple[tuple[int, str, str], ...]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    return tuple(found)


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


@dataclass
class _Attachment:
    """A database file attached to this process's host database, with how many use it now."""

    alias: str
    users: int = 0
    migrated: bool = False
    migrating: threading.Lock = field(default_factory=threading.Lock)


_HOST: list[tuple[int, duckdb.DuckDBPyConnection]] = []  # (pid, its one in-memory database)
_HOST_LOCK = threading.Lock()
_ATTACHED: dict[Path, _Attachment] = {}  # files attached now, by path
_ALIASES = itertools.count(1)
_BLOCK = threading.local()  # .anchors: the files this thread's `held` block attached, None outside


def _host() -> duckdb.DuckDBPyConnection:
    """This process's in-memory host database, started on first use (call under _HOST_LOCK).

    A forked child starts its own: it must not use its parent's database or attachments."""
    if _HOST and _HOST[0][0] != os.getpid():
        _HOST.clear()
        _ATTACHED.clear()
    if not _HOST:
        _HOST.append((os.getpid(), duckdb.connect(":memory:")))
    return _HOST[0][1]


def _cursor() -> duckdb.DuckDBPyConnection:
    """A new connection to the host database (its own transactions, TEMP objects and `USE`)."""
    with _HOST_LOCK:
        return _host().cursor()


def _attach(path: Path, busy_timeout: float | None) -> _Attachment:
    """Attach `path` to the host database, or count one more user of it if it is attached,
    waiting with back-off while another process holds the file."""
    timeout = DEFAULT_BUSY_TIMEOUT_S if busy_timeout is None else busy_timeout
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        with _HOST_LOCK:
            attachment = _ATTACHED.get(path)
            if attachment is None:
                alias = f"store_{next(_ALIASES)}"
                try:
                    _host().execute(f"ATTACH ? AS {alias}", [str(path)])
                except duckdb.IOException as exc:
                    if not _is_lock_error(exc):
                        raise
                    error = exc
                else:
                    attachment = _ATTACHED[path] = _Attachment(alias)
            if attachment is not None:
                attachment.users += 1
                return attachment
        if time.monotonic() >= deadline:
            raise StoreBusyError(
                f"The database {path.name} is busy: another process (the app, the CLI, the API "
                f"or a background job) has held it for over {timeout:.0f} s. Try again in a moment."
            ) from error
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _release(path: Path) -> None:
    """One user fewer of `path`; the last one detaches it, which writes it out (a checkpoint)
    and frees the file for other processes."""
    with _HOST_LOCK:
        attachment = _ATTACHED[path]
        attachment.users -= 1
        if attachment.users:
            return
        try:
            _host().execute(f"DETACH {attachment.alias}")
        except duckdb.Error:  # still attached: the next user takes it, the next release retries
            log.exception("could not detach %s", path)
            return
        del _ATTACHED[path]


@contextmanager
def opened(
    path: Path, busy_timeout: float | None = None, migrate_schema: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the database file `path`, read-write, waiting with back-off while
    another process holds it; the file is freed when its last user in this process is done.

    Every process keeps one in-memory DuckDB database and attaches the file to it for as long
    as it is used (~3 ms), instead of starting a database for it (~25 ms: DuckDB builds its
    catalog of built-in functions at every start). `migrate_schema` brings the file to the
    newest schema once per attachment.
    """
    attachment = _attach(path, busy_timeout)
    try:
        con = _cursor()
        try:
            con.execute(f"USE {attachment.alias}")
            if migrate_schema and not attachment.migrated:
                with attachment.migrating:
                    if not attachment.migrated:
                        _prepare(con, path)
                        attachment.migrated = True
            yield con
        finally:
            con.close()
    finally:
        _release(path)


def _prepare(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Make the file private (a new one gets the process umask, often 0644) and migrate it."""
    make_private(path)
    migrate(con)


@contextmanager
def connect(home: Home, busy_timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the workbench database, migrated to the newest schema, closed on exit."""
    home.ensure()
    path = home.db_path
    anchors = getattr(_BLOCK, "anchors", None)
    if anchors is not None and path not in anchors:
        _attach(path, busy_timeout)
        anchors.add(path)
    with opened(path, busy_timeout, migrate_schema=True) as con:
        yield con


@contextmanager
def held() -> Iterator[None]:
    """Keep each database file this thread opens in the block attached until the block ends,
    such as one page render.

    Every `connect` after the first then gets a connection at once and skips the migration
    check (the first one migrated the file). A block that opens nothing (a rerun served from
    caches) costs nothing. The file stays locked against other processes until the block ends,
    so hold it only for work that does not wait on another process. Nested blocks are one block.
    """
    if getattr(_BLOCK, "anchors", None) is not None:
        yield
        return
    _BLOCK.anchors = set()
    try:
        yield
    finally:
        anchors, _BLOCK.anchors = _BLOCK.anchors, None
        for path in anchors:
            _release(path)


def scratch() -> duckdb.DuckDBPyConnection:
    """A new connection to this process's in-memory host database, for staging an upload.

    Make only TEMP tables and views on it: they are this connection's own, so uploads read at
    once in other threads never meet, and they are gone when it closes.
    """
    return _cursor()


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
