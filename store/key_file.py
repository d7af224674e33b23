"""The keys file the client API checks keys against, so that it never opens the database for a
key (docs/api-release-files.md).

WORKBENCH_HOME/api/keys.json lists the keys that verify now (not revoked, of an enabled client)
as key_id -> [client_id, salt, key_hash]: the salted hashes the store keeps, never a key. It is
written from the store and replaced whole (`store.atomic_files`), each version with a later
mtime, under api/keys.lock, taken after the database like every writer here. `changing` removes
it before the store's keys or clients change and writes it again after: in between, and after a
crash in between, there is no file and the API checks keys in the store. A key change therefore
reaches the API's very next request, and a missing or unreadable file never lets a key in.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb

from store import atomic_files
from store.atomic_files import StatKey
from store.clients import active_key_records
from store.home import Home
from store.release_files import home_of

log = logging.getLogger(__name__)

FORMAT = 1
LOCK_TIMEOUT_S = 30.0


def keys_path(home: Home) -> Path:
    """api/keys.json of `home`."""
    return home.root / "api" / "keys.json"


def _lock_path(home: Home) -> Path:
    return home.root / "api" / "keys.lock"


def _write(con: duckdb.DuckDBPyConnection, home: Home, lock_fd: int) -> None:
    keys = {key_id: [client_id, salt, key_hash]
            for key_id, client_id, salt, key_hash in active_key_records(con)}  # fmt: skip
    data = json.dumps({"format": FORMAT, "keys": keys}, sort_keys=True).encode("utf-8")
    atomic_files.replace(keys_path(home), data, lock_fd)


def write(
    con: duckdb.DuckDBPyConnection, home: Home | None = None, lock_timeout_s: float = LOCK_TIMEOUT_S
) -> bool:
    """Write the keys file from the store `con` (of `home`, found from `con` when not given);
    False for a database outside a workbench home."""
    home = home or home_of(con)
    if home is None:
        return False
    with atomic_files.locked(_lock_path(home), lock_timeout_s) as fd:
        _write(con, home, fd)
    return True


@contextlib.contextmanager
def changing(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Around a change of keys or clients: the keys file is removed first and written again
    after, whatever happened in between. A failure to write it is logged and leaves no file."""
    home = home_of(con)
    if home is None:
        yield
        return
    with atomic_files.locked(_lock_path(home), LOCK_TIMEOUT_S) as fd:
        atomic_files.remove(keys_path(home), fd)
        try:
            yield
        finally:
            try:
                _write(con, home, fd)
            except Exception as exc:  # noqa: BLE001 - no file: the API asks the store
                log.warning("keys file not written (the API checks the store): %s", exc)
                with contextlib.suppress(OSError):
                    atomic_files.remove(keys_path(home), fd)


def read(home: Home) -> tuple[StatKey, dict[str, tuple[str, str, str]]] | None:
    """(stat key, key_id -> (client_id, salt, key_hash)) of the keys file; None when it is
    missing or unreadable."""
    path = keys_path(home)
    stat = atomic_files.stat_key(path)
    if stat is None:
        return None
    try:
        body = json.loads(path.read_bytes())
        if body.get("format") != FORMAT:
            return None
        keys = {str(k): (str(v[0]), str(v[1]), str(v[2])) for k, v in body["keys"].items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    return stat, keys
