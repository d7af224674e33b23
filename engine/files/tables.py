"""Tables for spreadsheet users: CSV and Excel that open as data, never as formulas.

Every table export goes through here: `python -m workbench metrics|score|evaluations export
--out`, `engine.evaluation.export`, and the downloads of the Validation page and the client dashboard.

- A text cell or column header that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
  is what Excel, LibreOffice and Google Sheets run as a formula (OWASP "CSV injection"); it
  gets a leading single quote. Numbers, dates and missing values stay as they are, so a
  negative figure is still a number.
- Control characters that XML cannot hold (such as BEL) are removed first, so a stray one in
  a fund name cannot break the workbook nor hide a formula from the check; CSV gets the same
  text. Sheet names are made valid.
- Parquet is typed data for programs, written unchanged.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from engine.files.safe_write import OutputError, check_target, write_bytes

CSV_ENCODING = "utf-8-sig"  # Excel opens Korean text correctly with the BOM
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SUFFIXES = (".csv", ".parquet", ".xlsx")
DEFAULT_SHEET = "Sheet1"
SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def safe_text(text: str) -> str:
    """`text` that a spreadsheet shows as text: without XML-illegal control characters, and
    quote-prefixed when it would start a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_START) else text


def _safe_cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell and header passed through `safe_text`."""
    out = frame.copy()
    out.columns = [_safe_cell(c) for c in out.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        out.isetitem(i, column.astype(object).map(_safe_cell))
    return out


def sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A valid, unused Excel sheet name made from `name` (which may come from data)."""
    clean = _SHEET_FORBIDDEN.sub("_", ILLEGAL_CHARACTERS_RE.sub("", str(name)))
    clean = clean.strip("'")[:SHEET_NAME_MAX] or DEFAULT_SHEET
    taken = taken if taken is not None else set()
    candidate, n = clean, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = clean[: SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as CSV in utf-8-sig, without the index; CRLF line ends (RFC 4180) so that a
    carriage return inside a cell is quoted too and cannot split a row."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode(CSV_ENCODING)


def excel_bytes(frames: dict[str, pd.DataFrame]) -> bytes:
    """Tables as one Excel workbook, one sheet per table (named after its key)."""
    buffer = io.BytesIO()
    taken: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in frames.items():
            safe_frame(frame).to_excel(writer, sheet_name=sheet_name(name, taken), index=False)
    return buffer.getvalue()


def table_bytes(frame: pd.DataFrame, suffix: str) -> bytes:
    """One table as the bytes of a .csv, .parquet or .xlsx file."""
    suffix = suffix.lower()
    if suffix == ".csv":
        return csv_bytes(frame)
    if suffix == ".xlsx":
        return excel_bytes({DEFAULT_SHEET: frame})
    if suffix == ".parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    raise OutputError(f"--out must end in .csv, .parquet or .xlsx, got '{suffix or 'no suffix'}'")


def check_table_path(out: str | os.PathLike[str], force: bool = False) -> Path:
    """`out` as a Path once it names a writable .csv, .parquet or .xlsx file (before the work)."""
    out = Path(out)
    if out.suffix.lower() not in SUFFIXES:
        raise OutputError(f"--out must end in .csv, .parquet or .xlsx, got '{out.name}'")
    return check_target(out, force)


def write_table(frame: pd.DataFrame, out: str | os.PathLike[str], force: bool = False) -> Path:
    """Write one table to `out` (.csv, .parquet or .xlsx by its suffix); the path written."""
    out = check_table_path(out, force)
    return write_bytes(out, table_bytes(frame, out.suffix), force)
