"""Parsing and checking every value of an uploaded file in SQL, before anything is written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from engine.data.filekinds import KINDS, SCORE_PREFIX, FileKind
from engine.data.reading import IngestError, ParsedFile, read_file
from store.sql_names import quote_name, quote_names

MAX_PROBLEMS_SHOWN = 20
DATE_FORMATS = ["%Y-%m-%d", "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"]
FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows them: the header is row 1


MAX_ID_CHARS = 64
SHOWN_CHARS = 80
# Control, bidirectional and zero-width characters: an id holding one cannot be served or typed.
_ID_FORBIDDEN = r"[\x00-\x1f\x7f-\x9f\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{FEFF}]"
# Dates outside these bounds are typos (19700101 read as 1907, 2204 for 2024), not history.
_DATE_BOUNDS = {"inception_date": ("DATE '1900-01-01'", "current_date + INTERVAL 1 YEAR")}
_DEFAULT_DATE_BOUNDS = ("DATE '1970-01-01'", "current_date + INTERVAL 1 YEAR")


def _value(column: str) -> str:
    return f"nullif(trim({quote_name(column)}), '')"


def _parsed(column: str, type_: str) -> str:
    value = _value(column)
    if type_ in ("text", "id"):
        return value
    if type_ == "date":
        formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
        return f"CAST(try_strptime({value}, [{formats}]) AS DATE)"
    number = f"TRY_CAST(regexp_replace({value}, '[,\\s%]', '', 'g') AS DOUBLE)"
    if type_ == "grade":
        return f"(CASE WHEN {number} BETWEEN 1 AND 5 AND {number} = round({number}) THEN CAST({number} AS INTEGER) END)"
    return number


_EXPECTED = {
    "id": f"an id of at most {MAX_ID_CHARS} characters without control or zero-width characters",
    "number": "a number",
    "positive": "a positive number",
    "nonneg": "a number of zero or more",
    "grade": "a whole number from 1 to 5",
}


def _invalid(column: str, type_: str) -> str:
    """SQL that is true where the parsed value of `column` is malformed or out of range."""
    name, raw = quote_name(column), quote_name(f"{column}__raw")
    if type_ == "id":
        return f"(length({raw}) > {MAX_ID_CHARS} OR regexp_matches({raw}, '{_ID_FORBIDDEN}'))"
    if type_ == "date":
        low, high = _DATE_BOUNDS.get(column, _DEFAULT_DATE_BOUNDS)
        return f"({name} IS NULL OR {name} < {low} OR {name} > {high})"
    bad = f"({name} IS NULL OR NOT isfinite({name})"
    if type_ == "positive":
        bad += f" OR {name} <= 0"
    elif type_ == "nonneg":
        bad += f" OR {name} < 0"
    return bad + ")"


def _expected(column: str, type_: str) -> str:
    if type_ != "date":
        return _EXPECTED[type_]
    low, _ = _DATE_BOUNDS.get(column, _DEFAULT_DATE_BOUNDS)
    year = low.split("'")[1][:4]
    return f"a date (YYYY-MM-DD, YYYYMMDD or YYYY.MM.DD) from {year} to one year after today"


def _column_checks(spec: FileKind, columns: list[str]) -> list[str]:
    """SQL selects of (row, column, message) for every missing or malformed value in `typed`."""
    checks = []
    for column in columns:
        type_ = _type(spec, column)
        raw = quote_name(f"{column}__raw")
        if _required(spec, column):
            checks.append(
                f"SELECT _row, '{column}', '{column} is empty' FROM typed WHERE {raw} IS NULL"
            )
        if type_ == "text":
            continue
        checks.append(
            f"SELECT _row, '{column}', '{column} must be {_expected(column, type_)}, got ''' || "
            f"left({raw}, {SHOWN_CHARS}) || '''' FROM typed "
            f"WHERE {raw} IS NOT NULL AND {_invalid(column, type_)}"
        )
    return checks


def _duplicate_check(spec: FileKind) -> str:
    """Rows whose parsed key repeats an earlier row's (so 20240102 and 2024-01-02 collide)."""
    key = quote_names(spec.key)
    shown = " || ', ' || ".join(f"CAST({quote_name(k)} AS VARCHAR)" for k in spec.key)
    not_null = " AND ".join(f"{quote_name(k)} IS NOT NULL" for k in spec.key)
    return (
        "SELECT _row, 'key', 'duplicate " + "/".join(spec.key) + " ' || "
        f"{shown} || ' (first on row ' || first_row || ')' FROM ("
        f" SELECT _row, {key}, min(_row) OVER (PARTITION BY {key}) AS first_row"
        f" FROM typed WHERE {not_null}) d WHERE _row > first_row"
    )


def collect_problems(con: duckdb.DuckDBPyConnection, checks: list[str]) -> tuple[list, int]:
    """Run the checks; the problems of the first rows and the number of invalid rows."""
    if not checks:
        return [], 0
    union = " UNION ALL ".join(checks)
    found = con.execute(
        f"WITH p(r, col, msg) AS ({union}) SELECT r, col, msg FROM p ORDER BY r"
    ).fetchall()
    rows = sorted({r for r, _, _ in found})[:MAX_PROBLEMS_SHOWN]
    shown = [(r, c, m) for r, c, m in found if r in rows]
    return shown, len({r for r, _, _ in found})


def raise_if_problems(name: str, problems: list, invalid: int, what: str = "invalid") -> None:
    if problems:
        head = f"{invalid} {what} row{'s' if invalid != 1 else ''}, nothing was loaded"
        if invalid > MAX_PROBLEMS_SHOWN:
            head += f" (first {MAX_PROBLEMS_SHOWN} shown)"
        raise IngestError(name, head, problems, invalid)


def _type(spec: FileKind, column: str) -> str:
    return "number" if column.startswith(SCORE_PREFIX) else spec.column(column).type


def _required(spec: FileKind, column: str) -> bool:
    return not column.startswith(SCORE_PREFIX) and spec.column(column).required


def stage(mem: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> None:
    """Parse every value of `raw` once, check it, and build the typed table `stage`.

    Raises IngestError listing the first invalid rows.
    """
    spec = KINDS[parsed.kind]
    columns = list(parsed.mapping.values())
    exprs = [
        f"{_value(c)} AS {quote_name(c + '__raw')}, {_parsed(c, _type(spec, c))} AS {quote_name(c)}"
        for c in columns
    ]
    mem.execute(
        f"CREATE OR REPLACE TABLE typed AS SELECT rowid + {FIRST_DATA_ROW} AS _row, "
        f"{', '.join(exprs)} FROM raw"
    )
    checks = _column_checks(spec, columns) + [_duplicate_check(spec)]
    raise_if_problems(parsed.file_name, *collect_problems(mem, checks))
    keep = quote_names(columns)
    mem.execute(f"CREATE OR REPLACE TABLE stage AS SELECT _row, {keep} FROM typed ORDER BY _row")


def preview_file(
    path: Path,
    kind: str | None = None,
    *,
    sheet: str | None = None,
    display_name: str | None = None,
    limit: int = 20,
    tmp_dir: Path | None = None,
) -> tuple[ParsedFile, pd.DataFrame]:
    """The detected kind/encoding and the first parsed rows; raises IngestError like ingest."""
    mem, parsed = read_file(path, kind, sheet=sheet, display_name=display_name, tmp_dir=tmp_dir)
    try:
        stage(mem, parsed)
        frame = mem.execute(
            "SELECT * EXCLUDE (_row) FROM stage ORDER BY _row LIMIT ?", [limit]
        ).df()
    finally:
        mem.close()
    return parsed, frame
