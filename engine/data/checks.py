"""Parsing and checking every value of an uploaded file in SQL, before anything is written.

Two paths give the same table `stage` (a row number `_row` and the canonical columns, typed).
The fast one checks a CSV that DuckDB could type on read in two set-based queries; any doubt
(a value DuckDB could not type, or any check failing) sends the file down the exact path, which
parses every text value itself and names each problem with its row (`stage`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from engine.data.filekinds import ISO_DATE, KINDS, FileKind
from engine.data.reading import DEFAULT_MAX_BYTES, IngestError, ParsedFile, read_file
from store.db import scalar
from store.sql_names import quote_name, quote_names

MAX_PROBLEMS_SHOWN = 20
DATE_FORMATS = [ISO_DATE, "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"]
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


def _id_invalid(value: str) -> str:
    """SQL that is true where the id `value` (a quoted column or alias) cannot be served."""
    return f"(length({value}) > {MAX_ID_CHARS} OR regexp_matches({value}, '{_ID_FORBIDDEN}'))"


def _invalid(column: str, type_: str) -> str:
    """SQL that is true where the parsed value of `column` is malformed or out of range."""
    name, raw = quote_name(column), quote_name(f"{column}__raw")
    if type_ == "id":
        return _id_invalid(raw)
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
        type_ = spec.value_type(column)
        raw = quote_name(f"{column}__raw")
        if spec.is_required(column):
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


def stage(mem: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> None:
    """Parse every value of `raw` once, check it, and build the typed table `stage`.

    Raises IngestError listing the first invalid rows.
    """
    spec = KINDS[parsed.kind]
    columns = list(parsed.mapping.values())
    exprs = [
        f"{_value(c)} AS {quote_name(c + '__raw')}, {_parsed(c, spec.value_type(c))} AS {quote_name(c)}"
        for c in columns
    ]
    mem.execute(
        f"CREATE OR REPLACE TEMP TABLE typed AS SELECT rowid + {FIRST_DATA_ROW} AS _row, "
        f"{', '.join(exprs)} FROM raw"
    )
    checks = _column_checks(spec, columns) + [_duplicate_check(spec)]
    raise_if_problems(parsed.file_name, *collect_problems(mem, checks))
    keep = quote_names(columns)
    mem.execute(
        f"CREATE OR REPLACE TEMP TABLE stage AS SELECT _row, {keep} FROM typed ORDER BY _row"
    )


# ---------------------------------------------------------------- the fast path


def _fast_value(column: str, type_: str, padded: set[str]) -> str:
    """SQL of the stored value of `column` as DuckDB typed it on read: text trimmed (ids only
    where one of them needs it), grades whole."""
    name = quote_name(column)
    if type_ == "text" or column in padded:
        return f"nullif(trim({name}), '')"
    if type_ == "grade":
        return f"CAST({name} AS INTEGER)"  # only after the checks found it whole and 1 to 5
    return name


def _fast_invalid(column: str, type_: str) -> str | None:
    """SQL that is true where a typed value is out of range (ids are checked apart)."""
    name = quote_name(column)
    if type_ == "date":
        low, high = _DATE_BOUNDS.get(column, _DEFAULT_DATE_BOUNDS)
        return f"({name} < {low} OR {name} > {high})"
    if type_ == "grade":
        return f"NOT ({name} BETWEEN 1 AND 5 AND {name} = round({name}))"
    if type_ in ("number", "positive", "nonneg"):
        bad = f"NOT isfinite({name})"
        if type_ == "positive":
            bad += f" OR {name} <= 0"
        elif type_ == "nonneg":
            bad += f" OR {name} < 0"
        return f"({bad})"
    return None


def _check_ids(mem: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str] | None:
    """Check every distinct id once: None if one cannot be served, else the id columns
    holding a value with spaces around it (stored trimmed)."""
    if not ids:
        return set()
    per_column = ", ".join(
        f"(SELECT count(*) FILTER (v <> trim(v) OR v = ''), count(*) FILTER ({_id_invalid('t')}) "
        f"FROM (SELECT v, nullif(trim(v), '') AS t FROM (SELECT DISTINCT {quote_name(c)} AS v "
        f"FROM raw)))"
        for c in ids
    )
    found = mem.execute(f"SELECT * FROM {per_column}").fetchall()[0]
    if any(found[1::2]):
        return None
    return {c for c, untrimmed in zip(ids, found[::2], strict=True) if untrimmed}


def _ascending(keys: list[int]) -> str:
    """SQL that is true where the key columns k<i> come strictly after their predecessors p<i>."""
    first, rest = keys[0], keys[1:]
    after = f"k{first} > p{first}"
    return f"({after} OR (k{first} = p{first} AND {_ascending(rest)}))" if rest else after


def _fast_stage(mem: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> bool:
    """Check the typed `raw` in two set-based queries (three when the rows are in no key
    order); if every row passes, `stage` is a view of it and the answer is True. False:
    something is off, and only the exact path can say what.

    Keys repeat nowhere if, in the order the rows are scanned, each key comes strictly after
    the previous one (a file sorted by fund and date, or by date and fund); otherwise distinct
    keys are counted.
    """
    spec = KINDS[parsed.kind]
    types = {c: spec.value_type(c) for c in parsed.mapping.values()}
    padded = _check_ids(mem, [c for c, t in types.items() if t == "id"])
    if padded is None:
        return False
    bad = [f"{_fast_value(c, t, padded)} IS NULL" for c, t in types.items() if spec.is_required(c)]
    bad += [check for c, t in types.items() if (check := _fast_invalid(c, t))]
    flagged = " OR ".join(bad) or "false"
    key = list(spec.key)
    keyed = ", ".join(f"{_fast_value(k, types[k], padded)} AS k{i}" for i, k in enumerate(key))
    previous = ", ".join(f"lag(k{i}) OVER () AS p{i}" for i in range(len(key)))
    positions = list(range(len(key)))
    dates_first = sorted(positions, key=lambda i: types[key[i]] != "date")
    orders = [positions] if dates_first == positions else [positions, dates_first]
    unordered = ", ".join(f"count(*) FILTER (NOT {_ascending(order)})" for order in orders)
    invalid, *out_of_order = mem.execute(
        f"SELECT count(*) FILTER (bad), {unordered} FROM (SELECT *, {previous} FROM "
        f"(SELECT ({flagged}) AS bad, {keyed} FROM raw))"
    ).fetchall()[0]
    if invalid:
        return False
    if min(out_of_order):
        distinct = ", ".join(f"k{i}" for i in positions)
        repeated = scalar(
            mem,
            f"SELECT count(*) - count(DISTINCT hash({distinct})) FROM (SELECT {keyed} FROM raw)",
        )
        if repeated:
            return False
    values = ", ".join(f"{_fast_value(c, t, padded)} AS {quote_name(c)}" for c, t in types.items())
    mem.execute(
        f"CREATE TEMP VIEW stage AS SELECT rowid + {FIRST_DATA_ROW} AS _row, {values} FROM raw"
    )
    return True


def load_checked(
    path: Path,
    kind: str | None = None,
    *,
    sheet: str | None = None,
    display_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tmp_dir: Path | None = None,
    sha256: str | None = None,
) -> tuple[duckdb.DuckDBPyConnection, ParsedFile]:
    """Read and check a file: an in-memory connection holding `stage`, and what the file is.

    Raises IngestError listing the first invalid rows; the caller closes the connection.
    """
    options = {
        "sheet": sheet, "display_name": display_name, "max_bytes": max_bytes,
        "tmp_dir": tmp_dir, "sha256": sha256,
    }  # fmt: skip
    mem, parsed = read_file(path, kind, typed=True, **options)
    try:
        if parsed.typed and _fast_stage(mem, parsed):
            return mem, parsed
    except BaseException:
        mem.close()
        raise
    if parsed.typed:
        mem.close()
        mem, parsed = read_file(path, kind, **{**options, "sha256": parsed.sha256})
    try:
        stage(mem, parsed)
    except IngestError as exc:
        mem.close()
        exc.parsed = parsed
        raise
    except BaseException:
        mem.close()
        raise
    return mem, parsed


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
    mem, parsed = load_checked(path, kind, sheet=sheet, display_name=display_name, tmp_dir=tmp_dir)
    try:
        frame = mem.execute(
            "SELECT * EXCLUDE (_row) FROM stage ORDER BY _row LIMIT ?", [limit]
        ).df()
    finally:
        mem.close()
    return parsed, frame
