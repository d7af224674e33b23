"""Load analysts' files (CSV in UTF-8 or CP949, Excel, Parquet) into the store, all or nothing.

A file is read by DuckDB into an in-memory table of text columns (`engine.data.reading`), its
values parsed and checked in SQL (`engine.data.checks`), and only a file without a single
invalid row is upserted into the workbench database in one transaction (here).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from engine.data.checks import collect_problems, preview_file, raise_if_problems, stage
from engine.data.filekinds import KINDS, SCORE_PREFIX
from engine.data.reading import DEFAULT_MAX_BYTES, IngestError, ParsedFile, read_file, sha256_of
from store.db import connect, scalar, transaction
from store.home import Home
from store.sql_names import quote_name, quote_names

__all__ = ["IngestError", "IngestResult", "ParsedFile", "ingest_file", "preview_file", "read_file"]

log = logging.getLogger(__name__)


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

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- writing

_TABLE_COLUMN = {"company": "company_id"}


def _referential_checks(parsed: ParsedFile) -> list[str]:
    if parsed.kind in ("nav", "ratings"):
        return [
            "SELECT _row, 'fund_id', 'fund_id ''' || fund_id || ''' is not in the fund master "
            "data (upload the funds file first)' FROM incoming i WHERE NOT EXISTS "
            "(SELECT 1 FROM funds f WHERE f.fund_id = i.fund_id)"
        ]
    if parsed.kind == "qualitative":
        return [
            "SELECT _row, 'subject_id', 'subject_id ''' || subject_id || ''' is neither a fund "
            "nor a management company in the store' FROM incoming i WHERE NOT EXISTS "
            "(SELECT 1 FROM funds f WHERE f.fund_id = i.subject_id) AND NOT EXISTS "
            "(SELECT 1 FROM companies c WHERE c.company_id = i.subject_id)"
        ]
    return []


def _upsert(
    con: duckdb.DuckDBPyConnection, source: str, table: str, key: list[str], columns: list[str]
) -> tuple[int, int, int]:
    """Write the rows of `source` that are new or differ; return (inserted, replaced, unchanged)."""
    cols = quote_names(columns)
    source, table = quote_name(source), quote_name(table)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE changed AS "
        f"SELECT {cols} FROM {source} EXCEPT SELECT {cols} FROM {table}"
    )
    join = " AND ".join(f"t.{quote_name(k)} = c.{quote_name(k)}" for k in key)
    total = scalar(con, f"SELECT count(*) FROM {source}")
    changed = scalar(con, "SELECT count(*) FROM changed")
    inserted = scalar(
        con,
        f"SELECT count(*) FROM changed c WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {join})",
    )
    values = [c for c in columns if c not in key]
    action = "DO NOTHING"
    if values:
        action = "DO UPDATE SET " + ", ".join(
            f"{quote_name(c)} = excluded.{quote_name(c)}" for c in values
        )
    keys = quote_names(key)
    con.execute(
        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM changed ON CONFLICT ({keys}) {action}"
    )
    return inserted, changed - inserted, total - changed


def _write(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> tuple[int, int, int]:
    kind = parsed.kind
    present = [c for c in parsed.mapping.values() if not c.startswith(SCORE_PREFIX)]
    if kind == "funds":
        if "company" in present:
            con.execute(
                "INSERT INTO companies SELECT DISTINCT company, company FROM incoming "
                "WHERE company IS NOT NULL ON CONFLICT DO NOTHING"
            )
        columns = [_TABLE_COLUMN.get(c, c) for c in present]
        select = ", ".join(
            f"{quote_name(c)} AS {quote_name(_TABLE_COLUMN.get(c, c))}" for c in present
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE rows_in AS SELECT {select} FROM incoming")
        return _upsert(con, "rows_in", "funds", ["fund_id"], columns)
    if kind == "benchmarks":
        name = "benchmark_name" if "benchmark_name" in present else "NULL"
        con.execute(
            f"INSERT INTO benchmarks SELECT benchmark_id, max({name}) FROM incoming GROUP BY 1 "
            "ON CONFLICT (benchmark_id) DO UPDATE SET name = coalesce(excluded.name, benchmarks.name)"
        )
        levels = ["benchmark_id", "date", "level"]
        return _upsert(con, "incoming", "benchmark_levels", levels[:2], levels)
    if kind == "qualitative":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rows_in AS SELECT i.* EXCLUDE (_row), "
            "CASE WHEN EXISTS (SELECT 1 FROM funds f WHERE f.fund_id = i.subject_id) "
            "THEN 'fund' ELSE 'company' END AS subject_kind FROM incoming i"
        )
        key = ["subject_id", "as_of", "criterion_id"]
        return _upsert(con, "rows_in", "qualitative", key, [*present, "subject_kind"])
    if kind == "ratings":
        return _write_ratings(con, parsed, present)
    spec = KINDS[kind]
    return _upsert(con, "incoming", spec.table, list(spec.key), present)


def _write_ratings(
    con: duckdb.DuckDBPyConnection, parsed: ParsedFile, present: list[str]
) -> tuple[int, int, int]:
    """Ratings and their per-criterion scores; a rating whose scores changed counts as replaced."""
    cols = quote_names(present)
    con.execute(f"CREATE OR REPLACE TEMP TABLE rows_in AS SELECT {cols} FROM incoming")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scores_in "
        "(fund_id VARCHAR, as_of DATE, criterion_id VARCHAR, score DOUBLE)"
    )
    for criterion in parsed.score_criteria:
        column = quote_name(SCORE_PREFIX + criterion)
        con.execute(
            f"INSERT INTO scores_in SELECT fund_id, as_of, ?, {column} FROM incoming "
            f"WHERE {column} IS NOT NULL",
            [criterion],
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE score_changes AS SELECT DISTINCT fund_id, as_of FROM "
        "(SELECT * FROM scores_in EXCEPT SELECT * FROM rating_scores)"
    )
    inserted, replaced, unchanged = _upsert(
        con, "rows_in", "ratings", ["fund_id", "as_of"], present
    )
    only_scores = scalar(
        con,
        "SELECT count(*) FROM score_changes s WHERE NOT EXISTS "
        "(SELECT 1 FROM changed c WHERE c.fund_id = s.fund_id AND c.as_of = s.as_of)",
    )
    score_columns = ["fund_id", "as_of", "criterion_id", "score"]
    _upsert(con, "scores_in", "rating_scores", score_columns[:3], score_columns)
    return inserted, replaced + only_scores, unchanged - only_scores


def _log_upload(
    con: duckdb.DuckDBPyConnection,
    parsed: ParsedFile | None,
    name: str,
    sha: str,
    outcome: str,
    message: str | None,
    source: str,
    counts: tuple[int, int, int] = (0, 0, 0),
    created_by: str | None = None,
) -> int:
    row = con.execute(
        "INSERT INTO upload_log (file_name, sha256, kind, encoding, rows, inserted, replaced,"
        " unchanged, outcome, message, source, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING upload_id",
        [
            name,
            sha,
            parsed.kind if parsed else None,
            parsed.encoding if parsed else None,
            parsed.rows if parsed else 0,
            *counts,
            outcome,
            message,
            source,
            created_by,
        ],
    ).fetchall()
    return int(row[0][0])


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
    name = display_name or path.name
    parsed: ParsedFile | None = None
    try:
        mem, parsed = read_file(
            path, kind, sheet=sheet, display_name=name, max_bytes=max_bytes, tmp_dir=home.tmp
        )
        try:
            stage(mem, parsed)
            incoming = mem.sql("SELECT * FROM stage").to_arrow_table()
        finally:
            mem.close()
        with connect(home) as con:
            con.register("incoming", incoming)
            checks = _referential_checks(parsed)
            if checks:
                raise_if_problems(name, *collect_problems(con, checks))
            with transaction(con):
                counts = _write(con, parsed)
                upload_id = _log_upload(
                    con, parsed, name, parsed.sha256, "ok", None, source, counts, created_by
                )
    except IngestError as exc:
        _log_refusal(home, path, parsed, name, str(exc), source, created_by)
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


def _log_refusal(
    home: Home,
    path: Path,
    parsed: ParsedFile | None,
    name: str,
    message: str,
    source: str,
    created_by: str | None = None,
) -> None:
    sha = parsed.sha256 if parsed else (sha256_of(path) if path.is_file() else "")
    try:
        with connect(home) as con:
            _log_upload(
                con, parsed, name, sha, "refused", message[:2000], source, created_by=created_by
            )
    except Exception:  # the refusal itself is what the user must see, not a logging failure
        log.warning("could not record the refused upload of %s", name, exc_info=True)
