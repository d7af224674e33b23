"""Load analysts' files (CSV in UTF-8 or CP949, Excel, Parquet) into the store, all or nothing.

A file is read by DuckDB into an in-memory table of text columns, its headers mapped to
canonical names, every value parsed and checked in SQL, and only a file without a single
invalid row is upserted into the workbench database in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from engine.filekinds import KINDS, SCORE_PREFIX, FileKind, describe_kinds, infer_kind, map_headers
from store.db import connect, scalar, transaction
from store.home import Home

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 20
DEFAULT_MAX_BYTES = int(float(os.environ.get("WORKBENCH_MAX_UPLOAD_MB", "200")) * 1024 * 1024)
DATE_FORMATS = ["%Y-%m-%d", "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S"]
SNIFF_BYTES = 64 * 1024
FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows them: the header is row 1


class IngestError(ValueError):
    """A file was refused; nothing was written. `problems` lists (row, column, message)."""

    def __init__(
        self,
        file_name: str,
        summary: str,
        problems: list[tuple[int, str, str]] | None = None,
        invalid_rows: int = 0,
    ) -> None:
        self.file_name = file_name
        self.summary = summary
        self.problems = problems or []
        self.invalid_rows = invalid_rows
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        if not self.problems:
            return f"{self.file_name}: {self.summary}"
        shown = "; ".join(f"row {row}: {message}" for row, _, message in self.problems)
        return f"{self.file_name}: {self.summary} — {shown}"


@dataclass
class ParsedFile:
    """What a file turned out to be, before anything is written."""

    file_name: str
    sha256: str
    format: str  # csv | xlsx | parquet
    encoding: str | None
    delimiter: str | None
    kind: str
    rows: int
    mapping: dict[str, str]
    ignored_columns: list[str]
    score_criteria: list[str] = field(default_factory=list)


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


# ---------------------------------------------------------------- reading


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sniff_format(head: bytes, name: str) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(name, "old binary Excel (.xls) is not supported: save it as .xlsx")
    if head.startswith(b"%PDF"):
        raise IngestError(name, "this is a PDF; upload fund data as CSV, Excel or Parquet")
    if b"\x00" in head[:SNIFF_BYTES]:
        raise IngestError(name, "not a CSV, Excel (.xlsx) or Parquet file")
    return "csv"


def _detect_encoding(path: Path, name: str) -> str:
    """utf-8 (with or without BOM) or cp949, decided by trying to decode the whole file."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp949"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise IngestError(name, "text is neither UTF-8 nor CP949/EUC-KR; save the CSV as UTF-8")


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _load_csv(mem: duckdb.DuckDBPyConnection, path: Path, name: str) -> tuple[str, str]:
    encoding = _detect_encoding(path, name)
    source = path
    tmp: Path | None = None
    if encoding == "cp949":
        fd, tmp_name = tempfile.mkstemp(suffix=".csv")
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.write_text(path.read_bytes().decode("cp949"), encoding="utf-8")
        source = tmp
    try:
        with source.open(encoding="utf-8-sig") as handle:
            first_line = handle.readline()
        if not first_line.strip():
            raise IngestError(name, "the file is empty")
        delimiter = _detect_delimiter(first_line)
        try:
            mem.execute(
                "CREATE TABLE raw AS SELECT * FROM read_csv(?, header = false, all_varchar = true,"
                " delim = ?, quote = '\"', escape = '\"', auto_detect = false,"
                " columns = ?, skip = 1, null_padding = true)",
                [str(source), delimiter, _csv_columns(first_line, delimiter)],
            )
        except duckdb.Error as exc:
            raise IngestError(name, f"could not read the CSV: {_first_line(exc)}") from exc
        return encoding, delimiter
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _csv_columns(first_line: str, delimiter: str) -> dict[str, str]:
    import csv

    headers = next(csv.reader([first_line.lstrip("\ufeff").rstrip("\r\n")], delimiter=delimiter))
    columns: dict[str, str] = {}
    for index, header in enumerate(headers):
        label = header.strip() or f"column{index + 1}"
        while label in columns:
            label += "_"
        columns[label] = "VARCHAR"
    return columns


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


def _load_excel(mem: duckdb.DuckDBPyConnection, path: Path, name: str, sheet: str | None) -> None:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:
        raise IngestError(name, f"could not open the Excel file: {_first_line(exc)}") from exc
    with book:
        if sheet is not None and sheet not in book.sheet_names:
            raise IngestError(
                name, f"no sheet named '{sheet}'; the sheets are: {', '.join(book.sheet_names)}"
            )
        frame = book.parse(sheet if sheet is not None else 0, dtype=str)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.dropna(how="all")
    mem.register("excel_frame", frame)
    mem.execute("CREATE TABLE raw AS SELECT * FROM excel_frame")
    mem.unregister("excel_frame")


def _load_parquet(mem: duckdb.DuckDBPyConnection, path: Path, name: str) -> None:
    try:
        mem.execute("CREATE TABLE raw AS SELECT * FROM read_parquet(?)", [str(path)])
    except duckdb.Error as exc:
        raise IngestError(name, f"could not read the Parquet file: {_first_line(exc)}") from exc
    casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in _table_columns(mem, "raw"))
    mem.execute(f"CREATE OR REPLACE TABLE raw AS SELECT {casts} FROM raw")


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]


def read_file(
    path: Path,
    kind: str | None = None,
    *,
    sheet: str | None = None,
    display_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[duckdb.DuckDBPyConnection, ParsedFile]:
    """Read `path` into an in-memory DuckDB table `raw` with canonical column names."""
    path = Path(path)
    name = display_name or path.name
    if not path.is_file():
        raise IngestError(name, "file not found")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(name, "the file is empty")
    if size > max_bytes:
        raise IngestError(
            name,
            f"the file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit "
            "(WORKBENCH_MAX_UPLOAD_MB); split it into smaller files",
        )
    if kind is not None and kind not in KINDS:
        raise IngestError(name, f"unknown kind '{kind}'; choose one of {', '.join(KINDS)}")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    file_format = _sniff_format(head, name)
    mem = duckdb.connect()
    encoding = delimiter = None
    try:
        if file_format == "csv":
            encoding, delimiter = _load_csv(mem, path, name)
        elif file_format == "xlsx":
            _load_excel(mem, path, name, sheet)
        else:
            _load_parquet(mem, path, name)
        parsed = _map_raw(mem, name, kind)
    except BaseException:
        mem.close()
        raise
    parsed.sha256 = _sha256(path)
    parsed.format, parsed.encoding, parsed.delimiter = file_format, encoding, delimiter
    return mem, parsed


def _map_raw(mem: duckdb.DuckDBPyConnection, name: str, kind: str | None) -> ParsedFile:
    headers = _table_columns(mem, "raw")
    headers_map = map_headers(headers)
    if headers_map.duplicates:
        canonical, spelled = next(iter(headers_map.duplicates.items()))
        raise IngestError(
            name, f"columns {', '.join(spelled)} all mean '{canonical}'; keep only one of them"
        )
    present = headers_map.canonical
    if kind is None:
        candidates = infer_kind(present)
        if not candidates:
            raise IngestError(
                name,
                f"cannot tell what this file holds from its headers ({', '.join(headers)}); "
                f"each kind needs — {describe_kinds()}",
            )
        kind = candidates[0]
    spec = KINDS[kind]
    missing = [c for c in spec.required if c not in present]
    if missing:
        raise IngestError(
            name,
            f"a {kind} file needs the column(s) {', '.join(missing)}; found {', '.join(headers)}",
        )
    allowed = {c.name for c in spec.columns}
    keep = {
        h: c
        for h, c in headers_map.mapping.items()
        if c in allowed or (spec.score_columns and c.startswith(SCORE_PREFIX))
    }
    ignored = [h for h in headers if h not in keep]
    select = ", ".join(f'"{h}" AS "{c}"' for h, c in keep.items())
    mem.execute(f"CREATE OR REPLACE TABLE raw AS SELECT {select} FROM raw")
    rows = scalar(mem, "SELECT count(*) FROM raw")
    if rows == 0:
        raise IngestError(name, "the file has a header but no data rows")
    scores = sorted(c[len(SCORE_PREFIX) :] for c in keep.values() if c.startswith(SCORE_PREFIX))
    return ParsedFile(name, "", "", None, None, kind, rows, keep, ignored, scores)


# ---------------------------------------------------------------- parsing and checks


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


def _collect(con: duckdb.DuckDBPyConnection, checks: list[str]) -> tuple[list, int]:
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


def _raise_if(name: str, problems: list, invalid: int, what: str = "invalid") -> None:
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
    _raise_if(parsed.file_name, *_collect(mem, checks))
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
    cols = ", ".join(f'"{c}"' for c in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE changed AS "
        f"SELECT {cols} FROM {source} EXCEPT SELECT {cols} FROM {table}"
    )
    join = " AND ".join(f't."{k}" = c."{k}"' for k in key)
    total = scalar(con, f"SELECT count(*) FROM {source}")
    changed = scalar(con, "SELECT count(*) FROM changed")
    inserted = scalar(
        con,
        f"SELECT count(*) FROM changed c WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {join})",
    )
    values = [c for c in columns if c not in key]
    action = "DO NOTHING"
    if values:
        action = "DO UPDATE SET " + ", ".join(f'"{c}" = excluded."{c}"' for c in values)
    keys = ", ".join(f'"{k}"' for k in key)
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
        select = ", ".join(f'"{c}" AS "{_TABLE_COLUMN.get(c, c)}"' for c in present)
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
    cols = ", ".join(f'"{c}"' for c in present)
    con.execute(f"CREATE OR REPLACE TEMP TABLE rows_in AS SELECT {cols} FROM incoming")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scores_in "
        "(fund_id VARCHAR, as_of DATE, criterion_id VARCHAR, score DOUBLE)"
    )
    for criterion in parsed.score_criteria:
        column = f'"{SCORE_PREFIX}{criterion}"'
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
) -> int:
    row = con.execute(
        "INSERT INTO upload_log (file_name, sha256, kind, encoding, rows, inserted, replaced,"
        " unchanged, outcome, message, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
) -> IngestResult:
    """Load one file into the store in a single transaction, or refuse it and change nothing."""
    path = Path(path)
    name = display_name or path.name
    parsed: ParsedFile | None = None
    try:
        mem, parsed = read_file(path, kind, sheet=sheet, display_name=name, max_bytes=max_bytes)
        try:
            stage(mem, parsed)
            incoming = mem.sql("SELECT * FROM stage").to_arrow_table()
        finally:
            mem.close()
        with connect(home) as con:
            con.register("incoming", incoming)
            checks = _referential_checks(parsed)
            if checks:
                _raise_if(name, *_collect(con, checks))
            with transaction(con):
                counts = _write(con, parsed)
                upload_id = _log_upload(
                    con, parsed, name, parsed.sha256, "ok", None, source, counts
                )
    except IngestError as exc:
        _log_refusal(home, path, parsed, name, str(exc), source)
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
    home: Home, path: Path, parsed: ParsedFile | None, name: str, message: str, source: str
) -> None:
    sha = parsed.sha256 if parsed else (_sha256(path) if path.is_file() else "")
    try:
        with connect(home) as con:
            _log_upload(con, parsed, name, sha, "refused", message[:2000], source)
    except Exception:  # the refusal itself is what the user must see, not a logging failure
        log.warning("could not record the refused upload of %s", name, exc_info=True)
