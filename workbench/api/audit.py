"""The API's audit trail: rows kept in memory, appended to a journal file every `flush_s`, and
loaded from the journal into the store's api_audit table every `load_s` (and at stop).

A call made with a verified key is one row. Calls without one (no key, a bad key, refused
before the key was checked, `/v1/health`) are summed: one row per minute, address and status
with `calls` = how many, so a flood of anonymous requests writes a few rows, not one a call.

The journal (WORKBENCH_HOME/api/audit-<pid>-<token>.jsonl, one JSON row a line, only ever
appended to) keeps the rows on disk however long the database is busy, e.g. during a long
ingest, and through a crash: no request ever waits for the database. To load, the journal is
renamed to `….<n>.loading` (new rows go to a fresh journal), written to the store in one
transaction and removed; a `.loading` file the store refused stays for the next load. At start
the buffer takes over the journals of API processes that are no longer running.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.jobs.liveness import pid_exists
from store.clients import write_audit
from store.db import opened
from store.home import Home

log = logging.getLogger(__name__)

SEVERAL = "*"  # an aggregated row's method, path or key id when its calls differ in it
JOURNAL = re.compile(r"^audit-(\d+)-([0-9a-f]{8})(?:\.(\d+)\.loading|\.jsonl)$")
_LIVE_TOKENS: set[str] = set()  # journals of the buffers running in this process


@dataclass
class AuditLimits:
    """How often the buffer is written and loaded, and how much it keeps in memory."""

    flush_s: float = 1.0
    max_rows: int = 100_000
    max_groups: int = 10_000
    busy_timeout_s: float = 10.0
    load_s: float = 10.0
    load_busy_timeout_s: float = 1.0


def _window(called_at: datetime) -> datetime:
    return called_at.replace(second=0, microsecond=0)


def _merged(group: dict, row: dict) -> dict:
    calls = group["calls"] + 1
    for column in ("key_id", "method", "path"):
        if group[column] != row.get(column):
            group[column] = SEVERAL
    group["duration_ms"] += (row["duration_ms"] - group["duration_ms"]) / calls  # running mean
    group["calls"] = calls
    return group


def _line(row: dict) -> str:
    return json.dumps({k: v.isoformat() if isinstance(v, datetime) else v
                       for k, v in row.items()}, ensure_ascii=False) + "\n"  # fmt: skip


def _rows_of(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except ValueError:  # the last line of a journal cut by a crash
            log.warning("audit journal %s line %d is not a row; skipped", path.name, number)
    return rows


class AuditBuffer:
    """Audit rows in memory, written by `flush` (every `flush_s` by a thread, and at stop)."""

    def __init__(self, home: Home, limits: AuditLimits) -> None:
        self.home, self.limits = home, limits
        self._rows: list[dict] = []
        self._groups: dict[tuple, dict] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._token = secrets.token_hex(4)
        self._loads = 0
        self._journaled = 0  # rows in this buffer's journal files, not yet in the store
        _LIVE_TOKENS.add(self._token)

    @property
    def folder(self) -> Path:
        """Where the journals are: WORKBENCH_HOME/api."""
        return self.home.root / "api"

    def _journal(self) -> Path:
        return self.folder / f"audit-{os.getpid()}-{self._token}.jsonl"

    def add(self, row: dict) -> None:
        """Keep one call: its own row once a key was verified (client_id set), else summed."""
        with self._lock:
            if row.get("client_id") is None:
                self._add_anonymous(row)
                return
            self._rows.append({**row, "calls": 1})
            extra = len(self._rows) - self.limits.max_rows
            if extra > 0:
                del self._rows[:extra]
                log.warning("audit buffer full: %d oldest rows dropped", extra)

    def _add_anonymous(self, row: dict) -> None:
        address = row.get("address")
        key = (_window(row["called_at"]), address, row["status"])
        if key not in self._groups and len(self._groups) >= self.limits.max_groups:
            key, address = (key[0], SEVERAL, key[2]), SEVERAL
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = {**row, "address": address, "calls": 1}
        else:
            _merged(group, row)

    def pending(self) -> int:
        """Rows not in the store yet, in memory or in the journal (a summed row counts once)."""
        with self._lock:
            return len(self._rows) + len(self._groups) + self._journaled

    def _take(self, closed_only: bool) -> list[dict]:
        now = _window(datetime.now(UTC).replace(tzinfo=None))  # called_at is naive UTC
        with self._lock:
            rows, self._rows = self._rows, []
            done = [k for k in self._groups if not closed_only or k[0] < now]
            rows.extend(self._groups.pop(k) for k in done)
        return rows

    def _append(self, rows: list[dict]) -> bool:
        """Append rows to the journal, synced to disk; False (rows back in memory) on failure."""
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)  # not its parents: a missing home fails
            fd = os.open(self._journal(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, "".join(_line(r) for r in rows).encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("audit rows kept in memory: %s", exc)
            with self._lock:
                self._rows[:0] = rows  # ready to write as they are (sums included)
            return False
        with self._lock:
            self._journaled += len(rows)
        return True

    def flush(self, closed_only: bool = False, load: bool | None = None) -> int:
        """Append what is buffered to the journal (with `closed_only`, anonymous sums of past
        minutes only) and, with `load` (default: unless `closed_only`), load the journal into
        the store. Rows loaded into the store."""
        with self._write_lock:
            rows = self._take(closed_only)
            if rows:
                self._append(rows)
        if load if load is not None else not closed_only:
            return self.load(self.limits.busy_timeout_s)
        return 0

    def _claim(self, path: Path) -> Path | None:
        self._loads += 1
        target = self.folder / f"audit-{os.getpid()}-{self._token}.{self._loads}.loading"
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        return target

    def load(self, busy_timeout_s: float) -> int:
        """Write this buffer's journal into the store; rows written (0 while the store is busy:
        they stay in their file for the next load)."""
        with self._load_lock:
            with self._write_lock:
                journal = self._journal()
                if journal.exists():
                    self._claim(journal)
            mine = re.compile(rf"^audit-{os.getpid()}-{self._token}\.\d+\.loading$")
            try:
                files = sorted((p for p in self.folder.iterdir() if mine.match(p.name)),
                               key=lambda p: int(p.name.split(".")[-2]))  # fmt: skip
            except OSError:
                return 0
            written = 0
            for path in files:
                rows = _rows_of(path)
                if rows and not self._write(rows, busy_timeout_s):
                    break
                os.unlink(path)
                written += len(rows)
                with self._lock:
                    self._journaled = max(0, self._journaled - len(rows))
            return written

    def _write(self, rows: list[dict], busy_timeout_s: float) -> bool:
        try:
            with opened(self.home.db_path, busy_timeout_s) as con:
                write_audit(con, rows)
        except Exception as exc:  # noqa: BLE001 - the rows stay in their file, loaded later
            log.warning("audit rows stay in the journal for the next load: %s", exc)
            return False
        return True

    def adopt(self) -> int:
        """Take over the journals of API processes that are no longer running (and of buffers
        of this process that stopped); how many files."""
        taken = 0
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return 0
        for path in entries:
            match = JOURNAL.match(path.name)
            if match is None:
                continue
            pid, token = int(match.group(1)), match.group(2)
            ours = pid == os.getpid()
            if (ours and token in _LIVE_TOKENS) or (not ours and pid_exists(pid)):
                continue
            rows = len(_rows_of(path)) if path.exists() else 0
            if self._claim(path) is not None:
                taken += 1
                with self._lock:
                    self._journaled += rows
        return taken

    def _loop(self) -> None:
        last_load = time.monotonic()
        while not self._stop.wait(self.limits.flush_s):
            self.flush(closed_only=True)
            if time.monotonic() - last_load >= self.limits.load_s:
                self.load(self.limits.load_busy_timeout_s)
                last_load = time.monotonic()

    def start(self) -> None:
        """Take over journals left behind, then write every `flush_s` in a daemon thread."""
        if self.adopt():
            self.load(self.limits.load_busy_timeout_s)
        self._thread = threading.Thread(target=self._loop, name="api-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write everything left (what the store refuses stays in the
        journal, for the next start)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
        _LIVE_TOKENS.discard(self._token)
        left = self.pending()
        if left:
            log.warning("%d audit rows left in %s for the next start", left, self.folder)
