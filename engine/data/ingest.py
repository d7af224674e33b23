"""Load analysts' files (CSV in UTF-8 or CP949, Excel, Parquet) into the store, all or nothing.

A file is read by DuckDB into an in-memory table (`engine.data.reading`), its values parsed and
checked in SQL (`engine.data.checks`), and only a file without a single invalid row is upserted
into the workbench database in one transaction (`store.uploads`). A file whose content matches
the last accepted upload of its kind is not read again: the result says so.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from engine.data.checks import collect_problems, load_checked, preview_file, raise_if_problems
from engine.data.filekinds import KINDS, SCORE_PREFIX
from engine.data.reading import (
    DEFAULT_MAX_BYTES,
    IngestError,
    ParsedFile,
    file_format_of,
    read_file,
    sha256_of,
)
from store import release_files, uploads
from store.db import connect, held, transaction
from store.home import Home

__all__ = ["IngestError", "IngestResult", "ParsedFile", "ingest_file", "preview_file", "read_file"]

log = logging.getLogger(__name__)

# Kinds whose later uploads change what re-loading a file of the key's kind would write:
# a qualitative row's subject is a fund or a company by the fund master data at the time.
SKIP_UNLESS_LATER = {"qualitative": ("funds",)}
# A file this small is checked in a few milliseconds, so its ingest keeps the database open from
# the unchanged-content check to the write (one open instead of two); a larger one leaves the
# database free for other processes while it is read and checked.
HOLD_BYTES = 2**20


@dataclass
class IngestResult:
    """The outcome of one accepted upload."""

    file_name: str
    kind: str
    encoding: str | None
    format: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int
    sha256: str
    upload_id: int
    skipped: str | None = None  # why nothing was read: "same content as upload N"

    def to_dict(self) -> dict:
        return asdict(self)


def content_key(sha256: str, kind: str | None, sheet: str | None) -> str:
    """What makes two uploads the same: the file's bytes, the kind asked for and the sheet."""
    return hashlib.sha256(f"{sha256}\n{kind or ''}\n{sheet or ''}".encode()).hexdigest()


def _hash_if_loadable(path: Path, max_bytes: int) -> str | None:
    """The file's sha256, or None for what the reader refuses anyway (missing, empty, too big)."""
    if not path.is_file():
        return None
    size = path.stat().st_size
    return sha256_of(path) if 0 < size <= max_bytes else None


def ingest_file(
    home: Home,
    path: Path,
    kind: str | None = None,
    *,
    sheet: str | None = None,
    source: str = "cli",
    display_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    created_by: str | None = None,
) -> IngestResult:
    """Load one file into the store in a single transaction, or refuse it and change nothing."""
    path = Path(path)
    small = path.is_file() and path.stat().st_size <= HOLD_BYTES
    with held() if small else nullcontext():
        return _ingest(home, path, kind, sheet, source, display_name, max_bytes, created_by)


def _ingest(
    home: Home,
    path: Path,
    kind: str | None,
    sheet: str | None,
    source: str,
    display_name: str | None,
    max_bytes: int,
    created_by: str | None,
) -> IngestResult:
    name = display_name or path.name
    parsed: ParsedFile | None = None
    logged = {"source": source, "created_by": created_by}
    try:
        sha = _hash_if_loadable(path, max_bytes)
        key = content_key(sha, kind, sheet) if sha else None
        if key is not None:
            skipped = _skip_if_unchanged(home, path, name, sha, key, logged)
            if skipped is not None:
                return skipped
        mem, parsed = load_checked(
            path, kind, sheet=sheet, display_name=name, max_bytes=max_bytes, tmp_dir=home.tmp,
            sha256=sha,
        )  # fmt: skip
        try:
            incoming = mem.sql("SELECT * FROM stage").to_arrow_table()
        finally:
            mem.close()
        spec = KINDS[parsed.kind]
        columns = [c for c in parsed.mapping.values() if not c.startswith(SCORE_PREFIX)]
        with connect(home) as con:
            con.register("incoming", incoming)
            checks = uploads.REFERENCE_CHECKS.get(parsed.kind, [])
            if checks:
                raise_if_problems(name, *collect_problems(con, checks))
            with transaction(con):
                counts = uploads.write_upload(
                    con, parsed.kind, spec.table, list(spec.key), columns, parsed.score_criteria
                )
                upload_id = _log_upload(con, parsed, name, parsed.sha256, key, logged, counts)
            if parsed.kind == "funds":  # the API serves fund facts from the clients' files
                release_files.refresh(con)
    except IngestError as exc:
        _log_refusal(home, path, parsed or exc.parsed, name, str(exc), logged)
        raise
    log.info("ingested %s as %s: inserted/replaced/unchanged %s", name, parsed.kind, counts)
    return IngestResult(
        name,
        parsed.kind,
        parsed.encoding,
        parsed.format,
        parsed.rows,
        *counts,
        parsed.sha256,
        upload_id,
    )


def _skip_if_unchanged(
    home: Home, path: Path, name: str, sha: str, key: str, logged: dict
) -> IngestResult | None:
    """Log and return a skipped upload when the last accepted one of its kind had this content."""
    with connect(home) as con, transaction(con):
        same = uploads.same_as_last(con, key, SKIP_UNLESS_LATER)
        if same is None:
            return None
        previous, kind, encoding, rows = same
        reason = f"same content as upload {previous}"
        counts = (0, 0, rows)
        upload_id = uploads.log_upload(
            con, file_name=name, sha256=sha, kind=kind, encoding=encoding, rows=rows,
            counts=counts, outcome="ok", message=f"skipped: {reason}", content_key=key, **logged,
        )  # fmt: skip
    log.info("skipped %s: %s", name, reason)
    format_ = file_format_of(path, name)
    return IngestResult(name, kind, encoding, format_, rows, *counts, sha, upload_id, reason)


def _log_upload(
    con: duckdb.DuckDBPyConnection,
    parsed: ParsedFile | None,
    name: str,
    sha: str,
    key: str | None,
    logged: dict,
    counts: tuple[int, int, int] = (0, 0, 0),
    refusal: str | None = None,
) -> int:
    return uploads.log_upload(
        con, file_name=name, sha256=sha, kind=parsed.kind if parsed else None,
        encoding=parsed.encoding if parsed else None, rows=parsed.rows if parsed else 0,
        counts=counts, outcome="refused" if refusal else "ok", message=refusal,
        content_key=key, **logged,
    )  # fmt: skip


def _log_refusal(
    home: Home, path: Path, parsed: ParsedFile | None, name: str, message: str, logged: dict
) -> None:
    sha = parsed.sha256 if parsed else (sha256_of(path) if path.is_file() else "")
    try:
        with connect(home) as con:
            _log_upload(con, parsed, name, sha, None, logged, refusal=message[:2000])
    except Exception:  # the refusal itself is what the user must see, not a logging failure
        log.warning("could not record the refused upload of %s", name, exc_info=True)
