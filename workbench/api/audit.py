"""The API's audit buffer: rows kept in memory and written in batches by one background thread.

A call made with a verified key is one row. Calls without one (no key, a bad key, refused
before the key was checked, `/v1/health`) are summed: one row per minute, address and status
with `calls` = how many, so a flood of anonymous requests writes a few rows, not one a call.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from store.clients import write_audit
from store.db import open_connection
from store.home import Home

log = logging.getLogger(__name__)

SEVERAL = "*"  # an aggregated row's method, path or key id when its calls differ in it


@dataclass
class AuditLimits:
    """How often the buffer is written and how much it keeps while the store is busy."""

    flush_s: float = 1.0
    max_rows: int = 100_000
    max_groups: int = 10_000
    busy_timeout_s: float = 10.0


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


class AuditBuffer:
    """Audit rows in memory, written by `flush` (every `flush_s` by a thread, and at stop)."""

    def __init__(self, home: Home, limits: AuditLimits) -> None:
        self.home, self.limits = home, limits
        self._rows: list[dict] = []
        self._groups: dict[tuple, dict] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        """Rows waiting to be written (an aggregated row counts once)."""
        with self._lock:
            return len(self._rows) + len(self._groups)

    def _take(self, closed_only: bool) -> list[dict]:
        now = _window(datetime.now(UTC).replace(tzinfo=None))  # called_at is naive UTC
        with self._lock:
            rows, self._rows = self._rows, []
            done = [k for k in self._groups if not closed_only or k[0] < now]
            rows.extend(self._groups.pop(k) for k in done)
        return rows

    def flush(self, closed_only: bool = False) -> int:
        """Write what is buffered (with `closed_only`, anonymous sums of past minutes only);
        rows stay buffered if the store is busy. Rows written."""
        with self._write_lock:
            rows = self._take(closed_only)
            if not rows:
                return 0
            try:
                con = open_connection(self.home.db_path, self.limits.busy_timeout_s)
                try:
                    return write_audit(con, rows)
                finally:
                    con.close()
            except Exception as exc:  # noqa: BLE001 - keep the rows, retry at the next flush
                log.warning("audit rows kept for the next flush: %s", exc)
                with self._lock:
                    self._rows[:0] = rows
                return 0

    def _loop(self) -> None:
        while not self._stop.wait(self.limits.flush_s):
            self.flush(closed_only=True)

    def start(self) -> None:
        """Write every `flush_s` in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="api-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write everything left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()
