"""Writing an accepted upload into the store, and the upload log.

The rows to write are in a table or registered relation named by the caller (a canonical name),
already parsed and checked (`engine.data.checks`). Every function here runs inside the caller's
transaction.
"""

from __future__ import annotations

import duckdb

from store.db import scalar
from store.sql_names import quote_name, quote_names

SCORE_PREFIX = "score_"
# Canonical upload columns stored under another name.
_TABLE_COLUMN = {"company": "company_id"}
# Rows of an upload that name what is not in the store, as (row, column, message).
REFERENCE_CHECKS = {
    "nav": [
        "SELECT _row, 'fund_id', 'fund_id ''' || fund_id || ''' is not in the fund master "
        "data (upload the funds file first)' FROM incoming i WHERE NOT EXISTS "
        "(SELECT 1 FROM funds f WHERE f.fund_id = i.fund_id)"
    ],
    "qualitative": [
        "SELECT _row, 'subject_id', 'subject_id ''' || subject_id || ''' is neither a fund "
        "nor a management company in the store' FROM incoming i WHERE NOT EXISTS "
        "(SELECT 1 FROM funds f WHERE f.fund_id = i.subject_id) AND NOT EXISTS "
        "(SELECT 1 FROM companies c WHERE c.company_id = i.subject_id)"
    ],
}
REFERENCE_CHECKS["ratings"] = REFERENCE_CHECKS["managers"] = REFERENCE_CHECKS["nav"]


def upsert(
    con: duckdb.DuckDBPyConnection, source: str, table: str, key: list[str], columns: list[str]
) -> tuple[int, int, int]:
    """Write the rows of `source` that are new or differ; return (inserted, replaced, unchanged).

    Into an empty table every row is appended. Otherwise one join against the table keeps the
    rows to write, each marked new or changed; new ones are appended, changed ones updated.
    """
    src, dst = quote_name(source), quote_name(table)
    cols = quote_names(columns)
    total = scalar(con, f"SELECT count(*) FROM {src}")
    if not scalar(con, f"SELECT count(*) FROM (SELECT 1 FROM {dst} LIMIT 1)"):
        con.execute(f"INSERT INTO {dst} ({cols}) SELECT {cols} FROM {src}")
        return total, 0, 0
    values = [c for c in columns if c not in key]
    match = " AND ".join(f"t.{quote_name(k)} = s.{quote_name(k)}" for k in key)
    differs = " OR ".join(f"s.{quote_name(v)} IS DISTINCT FROM t.{quote_name(v)}" for v in values)
    differs = differs or "false"
    missing = f"t.{quote_name(key[0])} IS NULL"
    selected = ", ".join(f"s.{quote_name(c)}" for c in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE pending AS SELECT {selected}, {missing} AS is_new "
        f"FROM {src} s LEFT JOIN {dst} t ON {match} WHERE {missing} OR ({differs})"
    )
    inserted, replaced = con.execute(
        "SELECT count(*) FILTER (is_new), count(*) FILTER (NOT is_new) FROM pending"
    ).fetchall()[0]
    if replaced:
        update = ", ".join(f"{quote_name(v)} = s.{quote_name(v)}" for v in values)
        con.execute(f"UPDATE {dst} AS t SET {update} FROM pending s WHERE NOT s.is_new AND {match}")
    if inserted:
        con.execute(f"INSERT INTO {dst} ({cols}) SELECT {cols} FROM pending WHERE is_new")
    return inserted, replaced, total - inserted - replaced


def write_upload(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    table: str,
    key: list[str],
    columns: list[str],
    criteria: list[str],
) -> tuple[int, int, int]:
    """Write the checked rows of `incoming` (an upload of `kind` with `columns`, its criterion
    scores aside) into `table`; return (inserted, replaced, unchanged)."""
    if kind == "funds":
        if "company" in columns:
            con.execute(
                "INSERT INTO companies SELECT DISTINCT company, company FROM incoming "
                "WHERE company IS NOT NULL ON CONFLICT DO NOTHING"
            )
        stored = [_TABLE_COLUMN.get(c, c) for c in columns]
        select = ", ".join(
            f"{quote_name(c)} AS {quote_name(_TABLE_COLUMN.get(c, c))}" for c in columns
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE rows_in AS SELECT {select} FROM incoming")
        return upsert(con, "rows_in", "funds", ["fund_id"], stored)
    if kind == "benchmarks":
        name = "benchmark_name" if "benchmark_name" in columns else "NULL"
        con.execute(
            f"INSERT INTO benchmarks SELECT benchmark_id, max({name}) FROM incoming GROUP BY 1 "
            "ON CONFLICT (benchmark_id) DO UPDATE SET name = coalesce(excluded.name, benchmarks.name)"
        )
        levels = ["benchmark_id", "date", "level"]
        return upsert(con, "incoming", "benchmark_levels", levels[:2], levels)
    if kind == "qualitative":
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rows_in AS SELECT i.* EXCLUDE (_row), "
            "CASE WHEN EXISTS (SELECT 1 FROM funds f WHERE f.fund_id = i.subject_id) "
            "THEN 'fund' ELSE 'company' END AS subject_kind FROM incoming i"
        )
        return upsert(con, "rows_in", "qualitative", key, [*columns, "subject_kind"])
    if kind == "ratings":
        return _write_ratings(con, columns, criteria)
    return upsert(con, "incoming", table, key, columns)


def _write_ratings(
    con: duckdb.DuckDBPyConnection, columns: list[str], criteria: list[str]
) -> tuple[int, int, int]:
    """Ratings and their per-criterion scores; a rating whose scores changed counts as replaced."""
    cols = quote_names(columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE rows_in AS SELECT {cols} FROM incoming")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scores_in "
        "(fund_id VARCHAR, as_of DATE, criterion_id VARCHAR, score DOUBLE)"
    )
    for criterion in criteria:
        column = quote_name(SCORE_PREFIX + criterion)
        con.execute(
            f"INSERT INTO scores_in SELECT fund_id, as_of, ?, {column} FROM incoming "
            f"WHERE {column} IS NOT NULL",
            [criterion],
        )
    values = [c for c in columns if c not in ("fund_id", "as_of")]
    same = " AND ".join(f"r.{quote_name(v)} IS NOT DISTINCT FROM t.{quote_name(v)}" for v in values)
    same = same or "true"
    # Scores that changed under a rating row that itself is unchanged.
    only_scores = scalar(
        con,
        "SELECT count(*) FROM (SELECT DISTINCT fund_id, as_of FROM "
        "(SELECT * FROM scores_in EXCEPT SELECT * FROM rating_scores)) s "
        "JOIN rows_in r ON r.fund_id = s.fund_id AND r.as_of = s.as_of "
        "JOIN ratings t ON t.fund_id = s.fund_id AND t.as_of = s.as_of "
        f"WHERE {same}",
    )
    inserted, replaced, unchanged = upsert(con, "rows_in", "ratings", ["fund_id", "as_of"], columns)
    score_columns = ["fund_id", "as_of", "criterion_id", "score"]
    upsert(con, "scores_in", "rating_scores", score_columns[:3], score_columns)
    return inserted, replaced + only_scores, unchanged - only_scores


def log_upload(
    con: duckdb.DuckDBPyConnection,
    *,
    file_name: str,
    sha256: str,
    kind: str | None,
    encoding: str | None,
    rows: int,
    counts: tuple[int, int, int],
    outcome: str,
    message: str | None,
    source: str,
    created_by: str | None,
    content_key: str | None,
) -> int:
    """Record one upload, accepted or refused; its upload id."""
    row = con.execute(
        "INSERT INTO upload_log (file_name, sha256, kind, encoding, rows, inserted, replaced,"
        " unchanged, outcome, message, source, created_by, content_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING upload_id",
        [
            file_name, sha256, kind, encoding, rows, *counts, outcome, message, source,
            created_by, content_key,
        ],
    ).fetchall()  # fmt: skip
    return int(row[0][0])


def same_as_last(
    con: duckdb.DuckDBPyConnection, content_key: str, after: dict[str, tuple[str, ...]]
) -> tuple[int, str, str | None, int] | None:
    """(upload_id, kind, encoding, rows) of the accepted upload with this content key, if it
    is still the last accepted upload of its kind and of every kind in `after[kind]` (whose
    uploads change what the same file would write); else None."""
    found = con.execute(
        "SELECT upload_id, kind, encoding, rows FROM upload_log"
        " WHERE outcome = 'ok' AND content_key = ? ORDER BY upload_id DESC LIMIT 1",
        [content_key],
    ).fetchall()
    if not found:
        return None
    upload_id, kind, encoding, rows = found[0]
    later = scalar(
        con,
        "SELECT count(*) FROM upload_log WHERE outcome = 'ok' AND upload_id > ?"
        " AND list_contains(?, kind)",
        [upload_id, [kind, *after.get(kind, ())]],
    )
    return None if later else (int(upload_id), kind, encoding, int(rows))
