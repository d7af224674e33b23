"""Parsing and checking every value of an uploaded file in SQL, before anything is written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from engine.filekinds import KINDS, SCORE_PREFIX, FileKind
from engine.ingest_read import IngestError, ParsedFile, read_file

MAX_PROBLEMS_SHOWN = 20
DATE_FORMATS = ["%Y-%m-%d", "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"]
FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows them: the header is row 1


def _value(column: str) -> str:
    return f"nullif(trim(\"{column}\"), '')"


def _parsed(column: str, type_: str) -> str:
    value = _value(column)
    if type_ == "text":
        return value
    if type_ == "date":
        formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
        return f"CAST(try_strptime({value}, [{formats}]) AS DATE)"
    number = f"TRY_CAST(regexp_replace({value}, '[,\\s%]', '', 'g') AS DOUBLE)"
    if type_ == "grade":
        return f"(CASE WHEN {number} BETWEEN 1 AND 5 AND {number} = round({number}) THEN CAST({number} AS INTEGER) END)"
    return number


_EXPECTED = {
    "date": "a date (YYYY-MM-DD, YYYYMMDD or YYYY.MM.DD)",
    "number": "a number",
    "positive": "a positive number",
    "nonneg": "a number of zero or more",
    "grade": "a whole number from 1 to 5",
}


def _column_checks(spec: FileKind, columns: list[str]) -> list[str]:
    """SQL selects of (row, column, message) for every missing or malformed value in `typed`."""
    checks = []
    for column in columns:
        type_ = _type(spec, column)
        raw = f'"{column}__raw"'
        if _required(spec, column):
            checks.append(
                f"SELECT _row, '{column}', '{column} is empty' FROM typed WHERE {raw} IS NULL"
            )
        if type_ == "text":
            continue
        bad = f'"{column}" IS NULL'
        if type_ == "positive":
            bad = f'("{column}" IS NULL OR "{column}" <= 0)'
        elif type_ == "nonneg":
            bad = f'("{column}" IS NULL OR "{column}" < 0)'
        checks.append(
            f"SELECT _row, '{column}', '{column} must be {_EXPECTED[type_]}, got ''' || "
            f"{raw} || '''' FROM typed WHERE {raw} IS NOT NULL AND {bad}"
        )
    return checks


def _duplicate_check(spec: FileKind) -> str:
    """Rows whose parsed key repeats an earlier row's (so 20240102 and 2024-01-02 collide)."""
    key = ", ".join(f'"{k}"' for k in spec.key)
    shown = " || ', ' || ".join(f'CAST("{k}" AS VARCHAR)' for k in spec.key)
    not_null = " AND ".join(f'"{k}" IS NOT NULL' for k in spec.key)
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
    exprs = [f'{_value(c)} AS "{c}__raw", {_parsed(c, _type(spec, c))} AS "{c}"' for c in columns]
    mem.execute(
        f"CREATE OR REPLACE TABLE typed AS SELECT rowid + {FIRST_DATA_ROW} AS _row, "
        f"{', '.join(exprs)} FROM raw"
    )
    checks = _column_checks(spec, columns) + [_duplicate_check(spec)]
    raise_if_problems(parsed.file_name, *collect_problems(mem, checks))
    keep = ", ".join(f'"{c}"' for c in columns)
    mem.execute(f"CREATE OR REPLACE TABLE stage AS SELECT _row, {keep} FROM typed ORDER BY _row")


def preview_file(
    path: Path,
    kind: str | None = None,
    *,
    sheet: str | None = None,
    display_name: str | None = None,
    limit: int = 20,
) -> tuple[ParsedFile, pd.DataFrame]:
    """The detected kind/encoding and the first parsed rows; raises IngestError like ingest."""
    mem, parsed = read_file(path, kind, sheet=sheet, display_name=display_name)
    try:
        stage(mem, parsed)
        frame = mem.execute(
            "SELECT * EXCLUDE (_row) FROM stage ORDER BY _row LIMIT ?", [limit]
        ).df()
    finally:
        mem.close()
    return parsed, frame
