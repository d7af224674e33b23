"""Reading an uploaded file into an in-memory DuckDB table of text columns with canonical names.

CSV (UTF-8 with or without BOM, or CP949/EUC-KR, comma/tab/semicolon separated) is read by
DuckDB's own reader; Excel (.xlsx) through openpyxl; Parquet by DuckDB. `read_file` maps the
headers of the upload kinds (`engine.data.filekinds`); `read_table` reads any other table with
its own header synonyms (analysts' feedback) the same way, within the same limits.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.data.filekinds import (
    ISO_DATE,
    KINDS,
    READ_TYPES,
    SCORE_PREFIX,
    FileKind,
    describe_kinds,
    infer_kind,
    map_headers,
)
from store.db import scalar, scratch
from store.sql_names import quote_name

DEFAULT_MAX_BYTES = int(float(os.environ.get("WORKBENCH_MAX_UPLOAD_MB", "200")) * 1024 * 1024)
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """The most work one upload may cost before it is refused."""

    max_columns: int = 200
    max_header_chars: int = 200
    max_xlsx_unpacked_bytes: int = int(
        float(os.environ.get("WORKBENCH_MAX_XLSX_UNPACKED_MB", "64")) * 1024 * 1024
    )
    max_seconds: float = float(os.environ.get("WORKBENCH_MAX_READ_SECONDS", "60"))


class IngestError(ValueError):
    """A file was refused; nothing was written. `problems` lists (row, column, message);
    `parsed` is what the file turned out to be, once it was read."""

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
        self.parsed: ParsedFile | None = None
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
    typed: bool = False  # `raw` holds DuckDB's typed values (CSV read fast), else text


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
    return "csv"


def _decode(data: bytes, name: str) -> tuple[str, str | None]:
    """(encoding, text): utf-8 (with or without BOM) or cp949, by decoding the whole file.

    The text is kept only where DuckDB cannot read the bytes themselves (cp949)."""
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        raise IngestError(
            name,
            "not a CSV, Excel (.xlsx) or Parquet file: it contains a NUL byte",
            [(row, "", "NUL byte in the file")],
            1,
        )
    if data.isascii():
        return "utf-8", None
    if data.startswith(b"\xef\xbb\xbf"):
        data[3:].decode("utf-8", errors="strict")
        return "utf-8-sig", None
    try:
        data.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        return "cp949", data.decode("cp949")
    except UnicodeDecodeError:
        pass
    raise IngestError(name, "text is neither UTF-8 nor CP949/EUC-KR; save the CSV as UTF-8")


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _position(index: int) -> str:
    """The SQL name of a file's column by its position: headers never become SQL text."""
    return f"c{index}"


def check_headers(headers: list[str], name: str, limits: ReadLimits) -> list[str]:
    if len(headers) > limits.max_columns:
        raise IngestError(
            name,
            f"the file has {len(headers):,} columns, over the limit of {limits.max_columns}; "
            "keep only the columns the workbench reads",
        )
    cleaned = []
    for index, header in enumerate(headers):
        text = "" if header is None else str(header).strip()
        if len(text) > limits.max_header_chars:
            raise IngestError(
                name,
                f"the header of column {index + 1} is {len(text):,} characters long, over the "
                f"limit of {limits.max_header_chars}",
            )
        cleaned.append(text or f"column{index + 1}")
    return cleaned


# What to read of a file, given its headers: position -> (canonical name, DuckDB type, or None
# to read text). Types are tried on CSV only; if any value does not fit, the file is read as text.
Columns = dict[int, tuple[str, str | None]]
ChooseColumns = Callable[[list[str]], Columns]


def _select(columns: Columns) -> str:
    """`c3 AS "fund_id", …`: position columns under their canonical names."""
    picked = ", ".join(f"{_position(i)} AS {quote_name(c)}" for i, (c, _) in columns.items())
    return picked or "NULL AS none"


def _read_csv(
    mem: duckdb.DuckDBPyConnection,
    source: Path,
    delimiter: str,
    width: int,
    columns: Columns,
    typed: bool,
) -> None:
    """The table `raw` of the chosen columns, typed as chosen or all text."""
    types = {_position(i): "VARCHAR" for i in range(width)}
    if typed:
        types.update({_position(i): t for i, (_, t) in columns.items() if t})
    picked = _select(columns)
    mem.execute(
        f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {picked} FROM read_csv(?, header = false,"
        " delim = ?, quote = '\"', escape = '\"', auto_detect = false, columns = ?, skip = 1,"
        " null_padding = true, dateformat = ?)",
        [str(source), delimiter, types, ISO_DATE],
    )


def _load_csv(
    mem: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    limits: ReadLimits,
    tmp_dir: Path | None,
    choose: ChooseColumns,
) -> tuple[list[str], str, str, bool]:
    """Read the chosen columns into `raw`, typed where every value fits; (headers, encoding,
    delimiter, typed)."""
    data = path.read_bytes()
    try:
        encoding, text = _decode(data, name)
    except UnicodeDecodeError as exc:  # a BOM before bytes that are not UTF-8
        raise IngestError(name, "text after the UTF-8 BOM is not UTF-8; save it as UTF-8") from exc
    end = data.find(b"\n")
    head = data[: end if end >= 0 else len(data)]
    first_line = head.decode("cp949" if encoding == "cp949" else "utf-8-sig")
    if not first_line.strip():
        raise IngestError(name, "the file is empty")
    delimiter = _detect_delimiter(first_line)
    headers = next(csv.reader([first_line.lstrip("\ufeff").rstrip("\r")], delimiter=delimiter))
    headers = check_headers(headers, name, limits)
    del data
    columns = choose(headers)
    source, tmp = path, None
    try:
        if text is not None:
            if tmp_dir is not None:
                tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(suffix=".csv", dir=tmp_dir)
            source = tmp = Path(tmp_name)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        del text
        if any(t for _, t in columns.values()):
            try:
                _read_csv(mem, source, delimiter, len(headers), columns, typed=True)
                return headers, encoding, delimiter, True
            except duckdb.Error:
                pass  # a value that does not fit its type: the text read below says which
        try:
            _read_csv(mem, source, delimiter, len(headers), columns, typed=False)
        except duckdb.Error as exc:
            raise IngestError(name, f"could not read the CSV: {_first_line(exc)}") from exc
        return headers, encoding, delimiter, False
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


def check_xlsx_size(path: Path, name: str, limits: ReadLimits) -> None:
    """Refuse a workbook whose parts unpack to more than the limit (a 'zip bomb')."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(name, f"could not open the Excel file: {_first_line(exc)}") from exc
    if unpacked > limits.max_xlsx_unpacked_bytes:
        raise IngestError(
            name,
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MiB, over the "
            f"{limits.max_xlsx_unpacked_bytes / 2**20:,.0f} MiB limit; save the sheet as CSV",
        )


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _load_excel(
    mem: duckdb.DuckDBPyConnection, path: Path, name: str, sheet: str | None, limits: ReadLimits
) -> list[str]:
    check_xlsx_size(path, name, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise IngestError(name, f"could not open the Excel file: {_first_line(exc)}") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise IngestError(
                name, f"no sheet named '{sheet}'; the sheets are: {', '.join(book.sheetnames)}"
            )
        rows = book[sheet] if sheet is not None else book.worksheets[0]
        deadline = time.monotonic() + limits.max_seconds
        values = rows.iter_rows(values_only=True, max_col=limits.max_columns + 1)
        header_row = next(values, None)
        if header_row is None:
            raise IngestError(name, "the sheet is empty")
        header_cells = list(header_row)
        while header_cells and (header_cells[-1] is None or not str(header_cells[-1]).strip()):
            header_cells.pop()
        if not header_cells:
            raise IngestError(name, "the first row of the sheet holds no headers")
        headers = check_headers(header_cells, name, limits)
        cells: list[list[str | None]] = [[] for _ in headers]
        for number, row in enumerate(values, start=2):
            if number % 1000 == 0 and time.monotonic() > deadline:
                raise IngestError(
                    name,
                    f"reading the workbook took over {limits.max_seconds:.0f} s (stopped at row "
                    f"{number:,}); save the sheet as CSV",
                )
            texts = [_cell_text(v) for v in row[: len(headers)]]
            if all(t is None or not t.strip() for t in texts):
                continue
            texts += [None] * (len(headers) - len(texts))
            for column, text in zip(cells, texts, strict=True):
                column.append(text)
    finally:
        book.close()
    table = pa.table(
        {_position(i): pa.array(column, type=pa.string()) for i, column in enumerate(cells)}
    )
    mem.register("excel_rows", table)
    mem.execute("CREATE TEMP TABLE raw AS SELECT * FROM excel_rows")
    mem.unregister("excel_rows")
    return headers


def _load_parquet(
    mem: duckdb.DuckDBPyConnection, path: Path, name: str, limits: ReadLimits
) -> list[str]:
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(name, f"could not read the Parquet file: {_first_line(exc)}") from exc
    headers = check_headers(list(schema.names), name, limits)
    casts = ", ".join(f"CAST(#{i + 1} AS VARCHAR) AS {_position(i)}" for i in range(len(headers)))
    try:
        mem.execute(f"CREATE TEMP TABLE raw AS SELECT {casts} FROM read_parquet(?)", [str(path)])
    except duckdb.Error as exc:
        raise IngestError(name, f"could not read the Parquet file: {_first_line(exc)}") from exc
    return headers


def _refuse_nul_cells(mem: duckdb.DuckDBPyConnection, headers: list[str], name: str) -> None:
    """A NUL character in any cell of a workbook or Parquet file refuses the file."""
    found = " OR ".join(f"contains({_position(i)}, chr(0))" for i in range(len(headers)))
    row = scalar(mem, f"SELECT min(rowid) FROM raw WHERE {found}")
    if row is not None:
        number = int(row) + 2
        raise IngestError(
            name, "a cell contains a NUL character", [(number, "", "NUL character in a cell")], 1
        )


FORMATS = ("csv", "xlsx", "parquet")
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel (.xlsx)", "parquet": "Parquet"}


@dataclass
class _Loaded:
    """A file read into the table `raw`: its chosen columns under their canonical names."""

    mem: duckdb.DuckDBPyConnection
    headers: list[str]
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    typed: bool = False  # `raw` holds typed values (else text)


def _load(
    path: Path,
    name: str,
    *,
    sheet: str | None,
    max_bytes: int,
    limits: ReadLimits,
    tmp_dir: Path | None,
    choose: ChooseColumns,
    formats: tuple[str, ...] = FORMATS,
) -> _Loaded:
    """Read `path` into an in-memory table `raw` of the columns `choose` picks, within the limits."""
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
    file_format = file_format_of(path, name)
    if file_format not in formats:
        wanted = " or ".join(FORMAT_NAMES[f] for f in formats)
        raise IngestError(name, f"this is a {FORMAT_NAMES[file_format]} file; upload {wanted}")
    mem = scratch()
    try:
        if file_format == "csv":
            headers, encoding, delimiter, typed = _load_csv(
                mem, path, name, limits, tmp_dir, choose
            )
            return _Loaded(mem, headers, file_format, encoding, delimiter, typed)
        if file_format == "xlsx":
            headers = _load_excel(mem, path, name, sheet, limits)
        else:
            headers = _load_parquet(mem, path, name, limits)
        _refuse_nul_cells(mem, headers, name)
        picked = _select(choose(headers))
        mem.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT {picked} FROM raw")
        return _Loaded(mem, headers, file_format)
    except BaseException:
        mem.close()
        raise


def file_format_of(path: Path, name: str) -> str:
    """csv, xlsx or parquet by the file's first bytes; refuses formats it knows are wrong."""
    with path.open("rb") as handle:
        return _sniff_format(handle.read(SNIFF_BYTES), name)


def read_file(
    path: Path,
    kind: str | None = None,
    *,
    sheet: str | None = None,
    display_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ReadLimits | None = None,
    tmp_dir: Path | None = None,
    typed: bool = False,
    sha256: str | None = None,
) -> tuple[duckdb.DuckDBPyConnection, ParsedFile]:
    """Read `path` into an in-memory DuckDB table `raw` with canonical column names: a TEMP
    table on a new connection to the process's scratch database (`store.db.scratch`), which
    the caller closes.

    Headers are mapped to canonical columns in Python; the file's own column names never
    reach SQL text (columns are addressed by position). `raw` holds text, or with `typed` (CSV
    only, and only where every value fits) dates and numbers as DuckDB read them:
    `ParsedFile.typed` says which. `sha256` is the file's, when the caller has it.
    """
    path = Path(path)
    name = display_name or path.name
    if kind is not None and kind not in KINDS:
        raise IngestError(name, f"unknown kind '{kind}'; choose one of {', '.join(KINDS)}")

    def choose(headers: list[str]) -> Columns:
        spec, chosen = _choose(headers, name, kind)
        return {
            index: (column, READ_TYPES.get(spec.value_type(column), "VARCHAR") if typed else None)
            for index, column in chosen.items()
        }

    loaded = _load(
        path, name, sheet=sheet, max_bytes=max_bytes, limits=limits or ReadLimits(),
        tmp_dir=tmp_dir, choose=choose,
    )  # fmt: skip
    try:
        spec, chosen = _choose(loaded.headers, name, kind)
        rows = scalar(loaded.mem, "SELECT count(*) FROM raw")
        if rows == 0:
            raise IngestError(name, "the file has a header but no data rows")
    except BaseException:
        loaded.mem.close()
        raise
    keep = {loaded.headers[index]: column for index, column in chosen.items()}
    ignored = [h for h in loaded.headers if h not in keep]
    scores = sorted(c[len(SCORE_PREFIX) :] for c in keep.values() if c.startswith(SCORE_PREFIX))
    parsed = ParsedFile(
        name, sha256 or sha256_of(path), loaded.format, loaded.encoding, loaded.delimiter,
        spec.name, rows, keep, ignored, scores, loaded.typed,
    )  # fmt: skip
    return loaded.mem, parsed


def read_table(
    path: Path,
    synonyms: dict[str, tuple[str, ...]],
    *,
    display_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ReadLimits | None = None,
    tmp_dir: Path | None = None,
    formats: tuple[str, ...] = FORMATS,
) -> tuple[pd.DataFrame, list[str]]:
    """A file that is none of the upload kinds (analysts' feedback) as text cells, rows in file
    order, columns named by `synonyms` (canonical -> header spellings, as `filekinds.SYNONYMS`);
    with the headers as written. Other columns are left out; the same limits as `read_file`."""
    path = Path(path)
    name = display_name or path.name

    def choose(headers: list[str]) -> Columns:
        mapped = map_headers(headers, synonyms)
        if mapped.duplicates:
            canonical, spelled = next(iter(mapped.duplicates.items()))
            raise IngestError(
                name, f"columns {', '.join(spelled)} all mean '{canonical}'; keep only one of them"
            )
        return {
            index: (mapped.mapping[header], None)
            for index, header in enumerate(headers)
            if header in mapped.mapping
        }

    loaded = _load(
        path, name, sheet=None, max_bytes=max_bytes, limits=limits or ReadLimits(),
        tmp_dir=tmp_dir, choose=choose, formats=formats,
    )  # fmt: skip
    with loaded.mem as mem:
        frame = mem.execute("SELECT * FROM raw ORDER BY rowid").df()
    return frame[[c for c, _ in choose(loaded.headers).values()]], loaded.headers


def _choose(headers: list[str], name: str, kind: str | None) -> tuple[FileKind, dict[int, str]]:
    """The kind of file (asked for or inferred from the headers) and the canonical column each
    used position holds; refuses headers that repeat a column or miss a required one."""
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
    chosen = {
        index: headers_map.mapping[header]
        for index, header in enumerate(headers)
        if header in headers_map.mapping
        and (
            headers_map.mapping[header] in allowed
            or (spec.score_columns and headers_map.mapping[header].startswith(SCORE_PREFIX))
        )
    }
    return spec, chosen
