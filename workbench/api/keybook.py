"""The keys as the API checks them: the keys file (`store.key_file`), read again whenever its
stat changes (one `os.stat` per request), and the store when there is no readable file.

Whoever changes keys or clients removes the file first and writes it again after, each version
with a later mtime (`store.atomic_files`), so the request after a revocation sees the change.
Without a readable file the key is looked up in the store (and the file written from it), never
let in.
"""

from __future__ import annotations

import logging
import threading

from store import key_file
from store.atomic_files import LockTimeout, StatKey, stat_key
from store.clients import key_record
from store.db import opened
from store.home import Home

log = logging.getLogger(__name__)

REWRITE_LOCK_TIMEOUT_S = 0.5  # a writer holds the lock: ask the store this time


class KeysUnavailable(Exception):
    """There is no readable keys file: look the key up in the store (`KeyBook.from_store`)."""


class KeyBook:
    """Key records from the keys file of `home`, kept until the file changes."""

    def __init__(self, home: Home, busy_timeout_s: float = 10.0) -> None:
        self.home, self.busy_timeout_s = home, busy_timeout_s
        self._path = key_file.keys_path(home)
        self._stat: StatKey | None = None
        self._keys: dict[str, tuple[str, str, str]] = {}
        self._lock = threading.Lock()
        self.store_lookups = 0  # keys looked up in the store since start

    def from_file(self, key_id: str) -> dict | None:
        """The key's record ({"key_id", "client_id", "salt", "key_hash", "active"}) if it
        verifies now, else None; KeysUnavailable when the file is missing or unreadable."""
        stat = stat_key(self._path)
        if stat is None:
            raise KeysUnavailable()
        with self._lock:
            if stat != self._stat:
                read = key_file.read(self.home)
                if read is None:
                    raise KeysUnavailable()
                self._stat, self._keys = read
            entry = self._keys.get(key_id)
        if entry is None:
            return None
        client_id, salt, key_hash = entry
        return {"key_id": key_id, "client_id": client_id, "salt": salt, "key_hash": key_hash,
                "active": True}  # fmt: skip

    def from_store(self, key_id: str) -> dict | None:
        """The key's record from the store (blocking), after writing the keys file from it so
        that the next request reads the file again."""
        with opened(self.home.db_path, self.busy_timeout_s) as con:
            try:
                key_file.write(con, self.home, lock_timeout_s=REWRITE_LOCK_TIMEOUT_S)
            except (OSError, LockTimeout) as exc:
                log.warning("keys file not written: %s", exc)
            self.store_lookups += 1
            return key_record(con, key_id)
