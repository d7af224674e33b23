"""In-process limits of the client API: bounded token buckets (per address and per key) and
slots for live evaluations (per client and in all). docs/clients-format.md section 6."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class TokenBuckets:
    """One token bucket per name (an address or a key id): `rate` tokens a second up to `burst`.

    At most `max_entries` buckets are kept. Buckets are ordered by last use; a bucket idle long
    enough to be full again is the same as no bucket and is dropped, and past `max_entries` the
    least recently used one goes, so a flood of new names cannot grow the table.
    """

    def __init__(self, rate: float, burst: float, max_entries: int = 10_000) -> None:
        self.rate, self.burst, self.max_entries = rate, burst, max(1, int(max_entries))
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)

    def _tokens(self, name: str, now: float) -> float:
        tokens, last = self._buckets.get(name, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def _store(self, name: str, tokens: float, now: float) -> None:
        self._buckets[name] = (tokens, now)
        self._buckets.move_to_end(name)
        while self._buckets:
            oldest, (left, last) = next(iter(self._buckets.items()))
            full = left + (now - last) * self.rate >= self.burst
            if not full and len(self._buckets) <= self.max_entries:
                break
            del self._buckets[oldest]

    def take(self, name: str, cost: float = 1.0) -> float:
        """0 when `cost` tokens were taken; else the seconds until they would be there."""
        now = time.monotonic()
        with self._lock:
            tokens = self._tokens(name, now)
            if tokens >= cost:
                self._store(name, tokens - cost, now)
                return 0.0
            self._store(name, tokens, now)
        return (cost - tokens) / self.rate if self.rate > 0 else math.inf

    def charge(self, name: str, cost: float) -> None:
        """Take `cost` tokens whatever is left (a penalty); the bucket goes down to -burst."""
        now = time.monotonic()
        with self._lock:
            self._store(name, max(-self.burst, self._tokens(name, now) - cost), now)


class LiveSlots:
    """Live evaluations running now: at most `per_client` for one client, `total` in all."""

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client, self.total = per_client, total
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    def try_acquire(self, client_id: str) -> bool:
        """Take a slot for `client_id` if one is free (never waits)."""
        with self._lock:
            mine = self._running.get(client_id, 0)
            if mine >= self.per_client or sum(self._running.values()) >= self.total:
                return False
            self._running[client_id] = mine + 1
            return True

    def release(self, client_id: str) -> None:
        """Give back a slot taken by `try_acquire`."""
        with self._lock:
            left = self._running.get(client_id, 0) - 1
            if left > 0:
                self._running[client_id] = left
            else:
                self._running.pop(client_id, None)

    def running(self) -> int:
        """Live evaluations holding a slot now."""
        with self._lock:
            return sum(self._running.values())
