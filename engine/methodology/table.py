"""A methodology's criteria as a table: `criteria` (one row per criterion) and `from_criteria`.

The methodology editor shows `criteria(doc)` in a data editor and turns the edited table back
into a document with `from_criteria(doc, frame)`; validate the result with `check`.
"""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd

from engine.methodology.core import (
    DEFAULT_DIRECTION,
    MethodologyError,
    Problem,
    direction,
    effective_weight,
    fmt_number,
    iter_criteria,
    tidy_number,
)

CRITERIA_COLUMNS = [
    "section",
    "criterion",
    "name_ko",
    "name_en",
    "weight",
    "effective_weight",
    "measure",
    "indicator",
    "window",
    "fallback_window",
    "qualitative",
    "direction",
    "scoring",
    "bands",
]
ANY_VALUE = "*"  # in the table's `bands` text: the last threshold (null, any other value)


def _bands_text(criterion: dict) -> str:
    """'90:5, 67.5:4, 0:1' (percentile bands) or '1:5, 0.5:3, *:1' (thresholds; * = null)."""
    scoring = criterion["scoring"]
    if scoring["method"] == "percentile_bands":
        return ", ".join(f"{fmt_number(b['min_pct'])}:{b['score']}" for b in scoring["bands"])
    if scoring["method"] == "thresholds":
        key = "min" if direction(criterion) == "higher_is_better" else "max"
        parts = []
        for item in scoring["thresholds"]:
            bound = item.get(key)
            parts.append(f"{ANY_VALUE if bound is None else fmt_number(bound)}:{item['score']}")
        return ", ".join(parts)
    return ""


def criteria(doc: dict) -> pd.DataFrame:
    """One row per criterion (CRITERIA_COLUMNS): the table the methodology editor shows.

    `weight` is the percent of its section, `effective_weight` the percent of the total;
    `bands` is '90:5, 67.5:4, …' (min_pct:score) or '1.0:5, 0.5:4, *:1' (bound:score, * = any).
    """
    rows = []
    for section, criterion in iter_criteria(doc):
        measure = criterion["measure"]
        is_indicator = measure["type"] == "indicator"
        rows.append(
            {
                "section": section["id"],
                "criterion": criterion["id"],
                "name_ko": criterion.get("name_ko"),
                "name_en": criterion.get("name_en"),
                "weight": float(criterion["weight"]),
                "effective_weight": effective_weight(section, criterion),
                "measure": measure["type"],
                "indicator": measure.get("indicator") if is_indicator else None,
                "window": measure.get("window") if is_indicator else None,
                "fallback_window": measure.get("fallback_window") if is_indicator else None,
                "qualitative": None if is_indicator else measure.get("criterion"),
                "direction": direction(criterion),
                "scoring": criterion["scoring"]["method"],
                "bands": _bands_text(criterion),
            }
        )
    return pd.DataFrame(rows, columns=CRITERIA_COLUMNS)


def _cell(value: Any) -> Any:
    """A table cell as a plain value: None for empty/NaN, stripped text, Python numbers."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value.item() if hasattr(value, "item") else value


def _parse_bands(text: str | None, method: str, way: str, path: str) -> list[dict]:
    """The `bands` cell back into bands (percentile_bands) or thresholds."""
    if not text:
        raise MethodologyError("criteria table", [Problem(path, f"{method} needs bands")])
    out = []
    key = (
        "min_pct" if method == "percentile_bands" else "min" if way == "higher_is_better" else "max"
    )
    for k, part in enumerate(p.strip() for p in str(text).split(",")):
        bound_text, sep, score_text = part.partition(":")
        try:
            if not sep:
                raise ValueError(part)
            bound = None if bound_text.strip() == ANY_VALUE else tidy_number(float(bound_text))
            score = tidy_number(float(score_text))
            if method == "percentile_bands" and bound is None:
                raise ValueError(part)
        except ValueError:
            example = "90:5, 67.5:4, 0:1" if method == "percentile_bands" else "1.0:5, 0.5:3, *:1"
            message = f"cannot read band {k + 1} '{part}': write bound:score, e.g. '{example}'"
            raise MethodologyError("criteria table", [Problem(path, message)]) from None
        out.append({key: bound, "score": score})
    return out


def from_criteria(doc: dict, frame: pd.DataFrame) -> dict:
    """A copy of `doc` whose criteria are the rows of `frame` (as edited in the table editor).

    Rows are grouped by `section` (which must exist), in table order; `effective_weight` is
    ignored. Keys the table does not show (e.g. "x-source") are kept for criterion ids that
    already existed. Raises MethodologyError for a cell it cannot read; validate the result.
    """
    out = copy.deepcopy(doc)
    sections = {s["id"]: (i, s) for i, s in enumerate(out["sections"])}
    before = {c["id"]: c for _, c in iter_criteria(doc)}
    rebuilt: dict[str, list[dict]] = {sid: [] for sid in sections}
    rows_seen = dict.fromkeys(sections, 0)
    problems: list[Problem] = []
    for number, row in enumerate(frame.to_dict("records"), start=1):
        row = {k: _cell(v) for k, v in row.items()}
        if row.get("section") not in sections:
            known = ", ".join(sections)
            problems.append(
                Problem(
                    "$.sections", f"row {number}: unknown section '{row.get('section')}' ({known})"
                )
            )
            continue
        index, _ = sections[row["section"]]
        path = f"$.sections[{index}].criteria[{rows_seen[row['section']]}]"
        rows_seen[row["section"]] += 1
        try:
            rebuilt[row["section"]].append(_criterion_from_row(row, before, path))
        except MethodologyError as exc:
            problems += [Problem(p.path, f"row {number}: {p.message}") for p in exc.problems]
    if problems:
        raise MethodologyError("the criteria table cannot be read", problems)
    for sid, (_, section) in sections.items():
        section["criteria"] = rebuilt[sid]
    return out


def _criterion_from_row(row: dict, before: dict[str, dict], path: str) -> dict:
    old = before.get(row.get("criterion"), {})
    criterion = copy.deepcopy(old)
    criterion["id"] = row.get("criterion")
    for key in ("name_ko", "name_en"):
        if row.get(key) is not None:
            criterion[key] = row[key]
        else:
            criterion.pop(key, None)
    if row.get("weight") is None:
        raise MethodologyError("criteria table", [Problem(f"{path}.weight", "weight is empty")])
    try:
        criterion["weight"] = tidy_number(float(row["weight"]))
    except (TypeError, ValueError):
        message = f"weight '{row['weight']}' is not a number"
        raise MethodologyError("criteria table", [Problem(f"{path}.weight", message)]) from None
    old_measure = old.get("measure", {})
    measure = {k: v for k, v in old_measure.items() if k.startswith("x-")}
    measure["type"] = row.get("measure") or "indicator"
    if measure["type"] == "indicator":
        measure["indicator"] = row.get("indicator")
        measure["window"] = row.get("window")
        if row.get("fallback_window"):
            measure["fallback_window"] = row["fallback_window"]
    else:
        measure["criterion"] = row.get("qualitative")
    criterion["measure"] = measure
    way = row.get("direction") or DEFAULT_DIRECTION
    if "direction" in old or way != DEFAULT_DIRECTION:
        criterion["direction"] = way
    old_scoring = old.get("scoring", {})
    scoring = {k: v for k, v in old_scoring.items() if k.startswith("x-")}
    scoring["method"] = row.get("scoring") or "percentile_bands"
    if scoring["method"] == "percentile_bands":
        scoring["bands"] = _parse_bands(
            row.get("bands"), "percentile_bands", way, f"{path}.scoring"
        )
    elif scoring["method"] == "thresholds":
        scoring["thresholds"] = _parse_bands(row.get("bands"), "thresholds", way, f"{path}.scoring")
    criterion["scoring"] = scoring
    return criterion
