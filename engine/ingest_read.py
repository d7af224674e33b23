"""Reading an uploaded file into an in-memory DuckDB table of text columns with canonical names.

CSV (UTF-8 with or without BOM, or CP949/EUC-KR, comma/tab/semicolon separated) is read by
DuckDB's own reader; Excel (.xlsx) through openpyxl; Parquet by DuckDB.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from engine.filekinds import KINDS, SCORE_PREFIX, describe_kinds, infer_kind, map_headers
from store.db import scalar

DEFAULT_MAX_BYTES = int(float(os.environ.get("WORKBENCH_MAX_UPLOAD_MB", "200")) * 1024 * 1024)
SNIFF_BYTES = 64 * 1024


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


def sha256_of(path: Path) -> str:
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
        frame = pd.read_excel(book, sheet_name=sheet if sheet is not None else 0, dtype=str)
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
    parsed.sha256 = sha256_of(path)
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
