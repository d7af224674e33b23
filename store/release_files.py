"""Published releases as files the client API serves from, so that it never opens the database
to answer a read (docs/api-release-files.md).

Under WORKBENCH_HOME/releases/<client_id>/:

- `<version>/`: one release, written once and never changed: `release.json` (the release row
  and the text of its methodology version), `grades.parquet` (its frozen rows as
  `store.releases.release_rows` gives them, scores as JSON text) and `manifest.json` (the sha256
  and size of both). It is built in a temporary folder and renamed into place whole.
- `funds-<sha>.parquet`: the client's funds with their facts and their row in the latest release
  (`store.releases.current_grades`), named by its content and never changed either.
- `index.json`: the client's releases (version -> sha256 of its manifest) and its funds file.
  It is replaced whole (`store.atomic_files`) when a release is published or the client's funds
  change; a reader compares its `stat_key` per request and reads it again when it changed.

Writers hold `releases/.lock` after opening the database (one order for everyone, no
deadlock). `changing` removes the index before the store changes and writes it after, so a crash
in between leaves no index and the next reader rebuilds it from the store (`sync`): releases
published before these files existed are written the same way, once, on first need.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from store import atomic_files
from store.atomic_files import DIR_MODE, StatKey
from store.clients import all_client_ids
from store.home import Home
from store.releases import current_grades, get_release, list_releases, methodology_of, release_rows

log = logging.getLogger(__name__)

FORMAT = 1
RELEASES = "releases"
INDEX = "index.json"
MANIFEST = "manifest.json"
RELEASE_JSON = "release.json"
GRADES = "grades.parquet"
DATABASE_NAME = "workbench.duckdb"
CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FUNDS_FILE = re.compile(r"^funds-[0-9a-f]{16}\.parquet$")
STALE_FUNDS_S = 600.0  # an old funds file a reader may still be opening is kept this long
LOCK_TIMEOUT_S = 30.0


class ReleaseFileError(RuntimeError):
    """A release file is missing, unreadable or not what its manifest says."""


@dataclass(frozen=True)
class Index:
    """A client's index.json as read: its stat key, its sha256, the releases and the funds file."""

    stat: StatKey
    sha256: str
    releases: dict[int, str]
    funds: str
    funds_sha256: str


# ---------------------------------------------------------------- places


def home_of(con: duckdb.DuckDBPyConnection) -> Home | None:
    """The Home whose database `con` is connected to; None for another file or in memory."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    path = rows[0][0] if rows else None
    if not path or Path(path).name != DATABASE_NAME:
        return None
    return Home(Path(path).resolve().parent)


def client_dir(home: Home, client_id: str) -> Path:
    """releases/<client_id>/ (ValueError for an id that is not a plain name)."""
    if not CLIENT_ID.match(client_id):
        raise ValueError(f"not a client id: {client_id!r}")
    return home.root / RELEASES / client_id


def index_path(home: Home, client_id: str) -> Path:
    """The client's index.json."""
    return client_dir(home, client_id) / INDEX


def lock_path(home: Home) -> Path:
    """The writers' lock of the whole releases folder."""
    return home.root / RELEASES / ".lock"


# ---------------------------------------------------------------- encoding


def _plain_json(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _parquet(frame: pd.DataFrame) -> bytes:
    frame = frame.copy()
    if "scores" in frame:
        frame["scores"] = pd.array(
            [None if not isinstance(v, dict) else json.dumps(v, ensure_ascii=False)
             for v in frame["scores"]], dtype="object",
        )  # fmt: skip
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _scores(value) -> dict | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return json.loads(value)


def _frame(data: bytes) -> pd.DataFrame:
    frame = pd.read_parquet(io.BytesIO(data))
    if "scores" in frame:
        frame["scores"] = pd.Series([_scores(v) for v in frame["scores"]], dtype="object")
    return frame


def _json_bytes(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


# ---------------------------------------------------------------- writing


def _write_release(con: duckdb.DuckDBPyConnection, folder: Path, client_id: str, version: int):
    release = get_release(con, client_id, version)
    if release is None:
        raise ReleaseFileError(f"there is no release {version} of {client_id}")
    method = methodology_of(con, client_id, version)
    meta = {k: _plain_json(v) for k, v in release.items()}
    meta["methodology_body"] = method["body"] if method else None
    files = {
        RELEASE_JSON: _json_bytes(meta),
        GRADES: _parquet(release_rows(con, client_id, version)),
    }
    tmp = folder.with_name(f".tmp-{version}-{secrets.token_hex(4)}")
    tmp.mkdir(mode=DIR_MODE)
    try:
        listed = {name: {"sha256": atomic_files.write_new(tmp / name, data), "bytes": len(data)}
                  for name, data in files.items()}  # fmt: skip
        manifest = {"format": FORMAT, "client_id": client_id, "version": version, "files": listed}
        atomic_files.write_new(tmp / MANIFEST, _json_bytes(manifest))
        try:
            os.rename(tmp, folder)
        except OSError:  # written meanwhile by another writer: theirs stands
            if not (folder / MANIFEST).exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _manifest_sha(folder: Path, verify: bool) -> str | None:
    """sha256 of the folder's manifest; None when it is missing or (with `verify`) does not
    match the files."""
    try:
        data = (folder / MANIFEST).read_bytes()
        if verify:
            _checked_files(folder, json.loads(data))
    except (OSError, ValueError, KeyError, ReleaseFileError):
        return None
    return atomic_files.sha256_bytes(data)


def _checked_files(folder: Path, manifest: dict) -> dict[str, bytes]:
    if manifest.get("format") != FORMAT:
        raise ReleaseFileError(f"{folder}: unknown format {manifest.get('format')!r}")
    found = {}
    for name, want in manifest["files"].items():
        data = (folder / name).read_bytes()
        if atomic_files.sha256_bytes(data) != want["sha256"]:
            raise ReleaseFileError(f"{folder / name} does not match its manifest")
        found[name] = data
    return found


def _release_folder(
    con: duckdb.DuckDBPyConnection, home: Home, client_id: str, version: int, verify: bool
) -> str:
    """sha256 of the manifest of the release's folder, written first if missing (or, with
    `verify`, if broken: the broken one is moved aside)."""
    folder = client_dir(home, client_id) / str(int(version))
    sha = _manifest_sha(folder, verify)
    if sha is not None:
        return sha
    if folder.exists():
        aside = folder.with_name(f".broken-{version}-{secrets.token_hex(4)}")
        os.rename(folder, aside)
        log.warning("release %s of %s was broken; moved to %s and written again",
                    version, client_id, aside.name)  # fmt: skip
    _write_release(con, folder, client_id, int(version))
    sha = _manifest_sha(folder, verify=True)
    if sha is None:
        raise ReleaseFileError(f"release {version} of {client_id} could not be written")
    return sha


def _funds_file(con: duckdb.DuckDBPyConnection, folder: Path, client_id: str) -> tuple[str, str]:
    data = _parquet(current_grades(con, client_id))
    sha = atomic_files.sha256_bytes(data)
    name = f"funds-{sha[:16]}.parquet"
    if not (folder / name).exists():
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        atomic_files.write_new(tmp, data)
        os.replace(tmp, folder / name)
    return name, sha


def _drop_old_funds_files(folder: Path, keep: str) -> None:
    cutoff = time.time() - STALE_FUNDS_S
    for entry in os.scandir(folder):
        if entry.name != keep and FUNDS_FILE.match(entry.name):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)


def _sync(
    con: duckdb.DuckDBPyConnection, home: Home, client_id: str, lock_fd: int, verify: bool
) -> None:
    folder = client_dir(home, client_id)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    versions = sorted(int(v) for v in list_releases(con, client_id)["version"])
    shas = {str(v): _release_folder(con, home, client_id, v, verify) for v in versions}
    funds, funds_sha = _funds_file(con, folder, client_id)
    index = {"format": FORMAT, "client_id": client_id, "releases": shas, "funds": funds,
             "funds_sha256": funds_sha}  # fmt: skip
    atomic_files.replace(folder / INDEX, _json_bytes(index), lock_fd)
    _drop_old_funds_files(folder, funds)


def sync(
    con: duckdb.DuckDBPyConnection,
    clients: list[str] | None = None,
    *,
    home: Home | None = None,
    verify: bool = False,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
) -> int:
    """Write what is missing of the clients' release folders (all clients by default) and their
    funds file, then their index, from the store `con` (the database of `home`, found from `con`
    when not given); with `verify`, folders that do not match their manifest are written again.
    How many clients were written (0 for a database outside a workbench home)."""
    home = home or home_of(con)
    if home is None:
        return 0
    wanted = all_client_ids(con) if clients is None else clients
    with atomic_files.locked(lock_path(home), lock_timeout_s) as fd:
        for client_id in wanted:
            _sync(con, home, client_id, fd, verify)
    return len(wanted)


def _sync_or_forget(
    con: duckdb.DuckDBPyConnection, home: Home, client_id: str, lock_fd: int
) -> None:
    try:
        _sync(con, home, client_id, lock_fd, verify=False)
    except Exception as exc:  # noqa: BLE001 - the store changed; the files follow on first need
        log.warning("release files of %s not written (rebuilt on first need): %s", client_id, exc)
        with contextlib.suppress(OSError):
            atomic_files.remove(index_path(home, client_id), lock_fd)


@contextlib.contextmanager
def changing(con: duckdb.DuckDBPyConnection, client_id: str) -> Iterator[None]:
    """Around a change of what the client sees (a release, its funds): its index is removed
    first and written again after, whatever happened in between. A failure to write is logged
    and leaves no index: the API then rebuilds it from the store."""
    home = home_of(con)
    if home is None:
        yield
        return
    with atomic_files.locked(lock_path(home), LOCK_TIMEOUT_S) as fd:
        atomic_files.remove(index_path(home, client_id), fd)
        try:
            yield
        finally:
            _sync_or_forget(con, home, client_id, fd)


def refresh(con: duckdb.DuckDBPyConnection, clients: list[str] | None = None) -> None:
    """Write the clients' files (all clients by default) after a change of what they see made
    elsewhere, e.g. fund facts from an upload; failures are logged and leave no index."""
    home = home_of(con)
    if home is None:
        return
    wanted = all_client_ids(con) if clients is None else clients
    with atomic_files.locked(lock_path(home), LOCK_TIMEOUT_S) as fd:
        for client_id in wanted:
            _sync_or_forget(con, home, client_id, fd)


# ---------------------------------------------------------------- reading


def read_index(home: Home, client_id: str) -> Index | None:
    """The client's index, or None when it is missing or unreadable (then: `sync`)."""
    path = index_path(home, client_id)
    stat = atomic_files.stat_key(path)
    if stat is None:
        return None
    try:
        data = path.read_bytes()
        body = json.loads(data)
        if body.get("format") != FORMAT or body.get("client_id") != client_id:
            return None
        releases = {int(v): str(sha) for v, sha in body["releases"].items()}
        funds, funds_sha = str(body["funds"]), str(body["funds_sha256"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not FUNDS_FILE.match(funds):
        return None
    return Index(stat, atomic_files.sha256_bytes(data), releases, funds, funds_sha)


def read_funds(home: Home, client_id: str, index: Index) -> pd.DataFrame:
    """The client's funds as `store.releases.current_grades` gave them when `index` was written.
    ReleaseFileError when the file is missing or not the one named."""
    path = client_dir(home, client_id) / index.funds
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReleaseFileError(f"{path}: {exc}") from exc
    if atomic_files.sha256_bytes(data) != index.funds_sha256:
        raise ReleaseFileError(f"{path} is not the funds file its index names")
    return _frame(data)


def read_release(
    home: Home, client_id: str, version: int, manifest_sha: str
) -> tuple[dict, pd.DataFrame]:
    """(release row with `methodology_body`, frozen rows) of a release folder whose manifest has
    sha256 `manifest_sha`; dates and times as `store.releases.get_release` gives them.
    ReleaseFileError for anything missing or not matching."""
    folder = client_dir(home, client_id) / str(int(version))
    try:
        data = (folder / MANIFEST).read_bytes()
        if atomic_files.sha256_bytes(data) != manifest_sha:
            raise ReleaseFileError(f"{folder} is not the release its index names")
        files = _checked_files(folder, json.loads(data))
        meta = json.loads(files[RELEASE_JSON])
        meta["as_of"] = date.fromisoformat(meta["as_of"])
        meta["published_at"] = datetime.fromisoformat(meta["published_at"])
        return meta, _frame(files[GRADES])
    except ReleaseFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReleaseFileError(f"{folder}: {exc}") from exc
