"""Importing a CSV or Excel file of feedback actions, all or nothing, refused with row numbers
as a spreadsheet shows them (the header is row 1), like `engine.data.ingest`."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from engine.data.filekinds import FEEDBACK_SYNONYMS
from engine.data.reading import IngestError, read_table
from engine.review.feedback_items import (
    clean_text,
    expert_missing,
    is_grade,
    item_problems,
    new_item,
)
from store import feedback as stored
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows them: the header is row 1
MAX_PROBLEMS_SHOWN = 20
IMPORT_COLUMNS = ("fund_id", "as_of", "action", "grade", "reason", "comment")
IMPORT_OPTIONAL = ("weight", "evaluation_id")
FORMATS = ("csv", "xlsx")  # the reader's formats a feedback file may have
DATE_RE = re.compile(r"^(?P<y>\d{4})[-/.]?(?P<m>\d{2})[-/.]?(?P<d>\d{2})(?:[ T]00:00:00)?$")


def _date(text: str | None):
    """A date written year first (2025-12-31, 2025/12/31, 2025.12.31, 20251231; Excel adds
    00:00:00), else None: day-first or month-first text is ambiguous and refused."""
    if text is None:
        return None
    match = DATE_RE.match(text)
    if not match:
        return None
    try:
        return pd.Timestamp(int(match["y"]), int(match["m"]), int(match["d"])).date()
    except ValueError:
        return None


def _read_actions(path: Path, name: str) -> pd.DataFrame:
    """The file's action columns as text (every import column, None where the file has none),
    read like any upload (`engine.data.reading.read_table`, the same work limits)."""
    frame, headers = read_table(path, FEEDBACK_SYNONYMS, display_name=name, formats=FORMATS)
    missing = [c for c in ("fund_id", "as_of", "action") if c not in frame.columns]
    if missing:
        raise IngestError(
            name,
            f"a feedback file needs the column(s) {', '.join(missing)}; found "
            f"{', '.join(headers)} (columns: {', '.join(IMPORT_COLUMNS)}, "
            f"optional {', '.join(IMPORT_OPTIONAL)})",
        )
    for column in (*IMPORT_COLUMNS, *IMPORT_OPTIONAL):
        if column not in frame.columns:
            frame[column] = None
    if frame.empty:
        raise IngestError(name, "the file has a header but no data rows")
    return frame


def import_file(home: Home, path: str | Path, *, created_by: str | None = None) -> dict:
    """Record every action of a CSV/Excel file, all or nothing (one transaction).

    Raises IngestError listing the rows (as a spreadsheet numbers them) that are wrong; then
    nothing is written. Returns {"file_name", "rows", "feedback_ids", "actions": {action: n}}.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise IngestError(name, "file not found")
    frame = _read_actions(path, name)
    items, problems = [], []
    for number, row in enumerate(frame.to_dict("records"), start=FIRST_DATA_ROW):
        action = (clean_text(row["action"]) or "").lower()
        raw_date = clean_text(row["as_of"])
        when = _date(raw_date)
        if when is None:
            message = (
                "as_of is empty"
                if raw_date is None
                else (f"as_of must be a date (YYYY-MM-DD), got {raw_date!r}")
            )
            problems.append((number, "as_of", message))
            continue
        fund = clean_text(row["fund_id"])
        if fund is None:
            problems.append((number, "fund_id", "fund_id is empty"))
            continue
        weight = clean_text(row["weight"])
        try:
            weight = None if weight is None else float(weight)
        except ValueError:
            problems.append((number, "weight", f"weight must be a number, got {weight!r}"))
            continue
        grade = clean_text(row["grade"])
        item = new_item(
            fund, when, action, grade=grade, ai_grade=grade if action == "accept_ai" else None,
            reason=row["reason"], comment=row["comment"], weight=weight,
            evaluation_id=clean_text(row["evaluation_id"]), created_by=created_by,
        )  # fmt: skip
        found = item_problems(item)
        if action in ("accept_ai", "correct") and grade is not None and not is_grade(grade):
            found = [("grade", f"grade must be an integer 1-5, got {grade!r}")] + [
                p for p in found if p[0] != "grade"
            ]
        problems += [(number, column, message) for column, message in found]
        items.append((number, item))
    with connect(home) as con:
        if items:
            known = stored.known_funds(con, [i["fund_id"] for _, i in items])
            problems += [
                (n, "fund_id", f"unknown fund '{i['fund_id']}'") for n, i in items
                if i["fund_id"] not in known
            ]  # fmt: skip
            problems += [
                (items[k][0], "action", f"no expert grade for {items[k][1]['fund_id']} on "
                 f"{items[k][1]['as_of']} to keep")
                for k in expert_missing(con, [i for _, i in items])
            ]  # fmt: skip
        if problems:
            _refuse(name, problems, len(frame))
        ids = stored.append(
            con, pd.DataFrame([i for _, i in items], columns=list(stored.NEW_COLUMNS))
        )
    counts: dict[str, int] = {}
    for _, item in items:
        counts[item["action"]] = counts.get(item["action"], 0) + 1
    log.info("imported %d feedback rows from %s", len(ids), name)
    return {"file_name": name, "rows": len(items), "feedback_ids": ids, "actions": counts}


def _refuse(name: str, problems: list[tuple[int, str, str]], total: int) -> None:
    problems = sorted(problems)
    rows = sorted({r for r, _, _ in problems})
    shown_rows = set(rows[:MAX_PROBLEMS_SHOWN])
    shown = [p for p in problems if p[0] in shown_rows]
    head = (
        f"{len(rows)} invalid row{'s' if len(rows) != 1 else ''} of {total}, nothing was recorded"
    )
    if len(rows) > MAX_PROBLEMS_SHOWN:
        head += f" (first {MAX_PROBLEMS_SHOWN} shown)"
    raise IngestError(name, head, shown, len(rows))
