"""Analysts' feedback on AI grades and how it flows into the next training run.

docs/review-format.md section 3 is the contract. Rules:

- Actions. `accept_ai` (the AI grade becomes the label, with the accept weight, default 0.5:
  an accepted AI grade counts less than a human correction), `keep_expert` (the expert grade
  stays; adds nothing to the data), `correct` (a grade 1-5 chosen by the analyst, with a
  required reason) and `comment` (text only; never changes the label). Every action is a new
  row with who, when, the label before and after; rows are never changed or deleted.
- Effective decision of a (fund, as_of): its latest non-comment row. `for_snapshot` turns the
  effective `correct` and `accept_ai` decisions into the table `engine.training.snapshot.snapshot_for`
  takes (`feedback=`).
- Retraining (`retrain`): the parent run's settings, a snapshot with the feedback applied, and
  in the new run's RunConfig `parent_run_id` and `feedback_ids` (the ids the snapshot applied).
- A decision "is in a trained model" when its feedback_id is in a finished run's feedback_ids.
- Imports (`import_file`): a CSV or Excel file of actions (fund_id, as_of, action, grade,
  reason, comment; optionally weight, evaluation_id), all or nothing, refused with row numbers
  as a spreadsheet shows them (the header is row 1), like `engine.data.ingest`.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from engine.data.filekinds import FEEDBACK_SYNONYMS
from engine.data.reading import IngestError, read_table
from engine.methodology.core import GRADES
from engine.training.snapshot import snapshot_for
from store import feedback as stored
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

ACTIONS = ("accept_ai", "keep_expert", "correct", "comment")
LABEL_ACTIONS = ("accept_ai", "correct")  # the actions that change a snapshot's label
ACCEPT_WEIGHT = 0.5  # an accepted AI grade counts half as much as a human label
CORRECT_WEIGHT = 1.0
DEFAULT_USER = "analyst"
FIRST_DATA_ROW = 2  # row numbers as a spreadsheet shows them: the header is row 1
MAX_PROBLEMS_SHOWN = 20
IMPORT_COLUMNS = ("fund_id", "as_of", "action", "grade", "reason", "comment")
IMPORT_OPTIONAL = ("weight", "evaluation_id")
FORMATS = ("csv", "xlsx")  # the reader's formats a feedback file may have
DATE_RE = re.compile(r"^(?P<y>\d{4})[-/.]?(?P<m>\d{2})[-/.]?(?P<d>\d{2})(?:[ T]00:00:00)?$")


class FeedbackError(ValueError):
    """A feedback action or retraining request is refused; the message says why in one line."""


# ---------------------------------------------------------------- checking actions


def _is_grade(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number in GRADES


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def item_problems(item: dict) -> list[tuple[str, str]]:
    """(column, message) for each thing wrong with one action (empty when it can be recorded)."""
    out = []
    action = item.get("action")
    if action not in ACTIONS:
        return [("action", f"action must be one of {', '.join(ACTIONS)}, got {action!r}")]
    grade = item.get("grade_after")
    if action == "correct":
        if not _is_grade(grade):
            out.append(("grade", f"a correction needs a grade 1-5, got {grade!r}"))
        if _text(item.get("reason")) is None:
            out.append(("reason", "a correction needs a reason"))
    if action == "accept_ai" and not _is_grade(grade):
        out.append(("grade", "the AI answer has no valid grade to accept (invalid output)"))
    if action == "comment" and _text(item.get("comment")) is None:
        out.append(("comment", "a comment needs text"))
    weight = item.get("weight")
    try:
        ok = weight is not None and math.isfinite(float(weight)) and float(weight) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        out.append(("weight", f"weight must be a number >= 0, got {weight!r}"))
    return out


def _item(
    fund_id: str,
    as_of: Any,
    action: str,
    *,
    grade: Any = None,
    ai_grade: Any = None,
    reason: Any = None,
    comment: Any = None,
    weight: float | None = None,
    evaluation_id: str | None = None,
    created_by: str | None = None,
) -> dict:
    """One new feedback row (store.feedback.NEW_COLUMNS) with the defaults filled in."""
    if action == "accept_ai" and grade is None:
        grade = ai_grade
    if weight is None:
        weight = ACCEPT_WEIGHT if action == "accept_ai" else CORRECT_WEIGHT
    return {
        "fund_id": str(fund_id),
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "evaluation_id": evaluation_id,
        "action": action,
        "grade_after": int(float(grade)) if action in LABEL_ACTIONS and _is_grade(grade) else None,
        "ai_grade": int(float(ai_grade)) if _is_grade(ai_grade) else None,
        "reason": _text(reason),
        "comment": _text(comment),
        "weight": weight,
        "created_by": _text(created_by) or DEFAULT_USER,
    }


def _check_funds(con: duckdb.DuckDBPyConnection, items: list[dict]) -> None:
    known = stored.known_funds(con, [i["fund_id"] for i in items])
    unknown = sorted({i["fund_id"] for i in items} - known)
    if unknown:
        raise FeedbackError(f"unknown fund(s): {', '.join(unknown[:5])}; load them first")


def _expert_missing(con: duckdb.DuckDBPyConnection, items: list[dict]) -> list[int]:
    """Positions of keep_expert items whose fund has no expert rating on that date."""
    asked = [(n, i) for n, i in enumerate(items) if i["action"] == "keep_expert"]
    if not asked:
        return []
    frame = pd.DataFrame(
        {"n": [n for n, _ in asked], "fund_id": [i["fund_id"] for _, i in asked],
         "as_of": [i["as_of"] for _, i in asked]}
    )  # fmt: skip
    con.register("asked_ratings", frame)
    try:
        rows = con.execute(
            "SELECT a.n FROM asked_ratings a LEFT JOIN ratings r"
            " ON r.fund_id = a.fund_id AND r.as_of = CAST(a.as_of AS DATE)"
            " WHERE r.grade IS NULL ORDER BY a.n"
        ).fetchall()
    finally:
        con.unregister("asked_ratings")
    return [r[0] for r in rows]


def _write(con: duckdb.DuckDBPyConnection, items: list[dict]) -> list[int]:
    for item in items:
        problems = item_problems(item)
        if problems:
            column, message = problems[0]
            raise FeedbackError(f"{item['fund_id']}: {message}")
    _check_funds(con, items)
    missing = _expert_missing(con, items)
    if missing:
        item = items[missing[0]]
        raise FeedbackError(f"{item['fund_id']}: no expert grade on {item['as_of']} to keep")
    ids = stored.append(con, pd.DataFrame(items, columns=list(stored.NEW_COLUMNS)))
    log.info("recorded %d feedback item(s): %s", len(ids), ", ".join(map(str, ids[:10])))
    return ids


# ---------------------------------------------------------------- recording


def record(
    home: Home,
    fund_id: str,
    as_of: Any,
    action: str,
    *,
    grade: int | None = None,
    ai_grade: int | None = None,
    reason: str | None = None,
    comment: str | None = None,
    weight: float | None = None,
    evaluation_id: str | None = None,
    created_by: str | None = None,
) -> int:
    """Record one action on a fund's grade at `as_of`; returns its feedback_id.

    `grade` is the corrected grade (`correct`) or the accepted AI grade (`accept_ai`, default
    `ai_grade`). Raises FeedbackError for an unknown action or fund, a correction without grade
    or reason, an accepted invalid answer, a comment without text.
    """
    item = _item(
        fund_id, as_of, action, grade=grade, ai_grade=ai_grade, reason=reason, comment=comment,
        weight=weight, evaluation_id=evaluation_id, created_by=created_by,
    )  # fmt: skip
    with connect(home) as con:
        return _write(con, [item])[0]


def accept_all(
    home: Home,
    rows: pd.DataFrame,
    as_of: Any,
    *,
    evaluation_id: str | None = None,
    created_by: str | None = None,
    weight: float = ACCEPT_WEIGHT,
    only_undecided: bool = True,
) -> dict:
    """Accept the AI grade of every fund in `rows` (fund_id, ai_grade): one row per fund, one
    transaction. Skipped: funds whose AI answer is invalid (no grade to accept) and, with
    `only_undecided`, funds an analyst has already decided on at `as_of` (a bulk action never
    overrides a correction).

    Returns {"feedback_ids", "accepted", "skipped": [fund_id, ...], "already_decided": [...]}.
    """
    frame = rows.drop_duplicates("fund_id")
    valid = frame["ai_grade"].map(_is_grade)
    when = pd.Timestamp(as_of).date().isoformat()
    with connect(home) as con:
        decided = set(stored.effective(con, when)["fund_id"]) if only_undecided else set()
        open_ = valid & ~frame["fund_id"].isin(decided)
        items = [
            _item(f, when, "accept_ai", ai_grade=g, weight=weight, evaluation_id=evaluation_id,
                  created_by=created_by)
            for f, g in zip(frame.loc[open_, "fund_id"], frame.loc[open_, "ai_grade"], strict=True)
        ]  # fmt: skip
        ids = _write(con, items) if items else []
    return {
        "feedback_ids": ids,
        "accepted": len(ids),
        "skipped": [str(f) for f in frame.loc[~valid, "fund_id"]],
        "already_decided": [str(f) for f in frame.loc[valid & ~open_, "fund_id"]],
    }


# ---------------------------------------------------------------- reading


def history(con: duckdb.DuckDBPyConnection, fund_id: str | None = None, as_of: Any = None):
    """The audit trail (oldest first), optionally of one fund and date."""
    when = None if as_of is None else pd.Timestamp(as_of).date().isoformat()
    return stored.list_feedback(con, fund_id, when)


def for_snapshot(
    con: duckdb.DuckDBPyConnection, as_of: Any = None, *, accept_weight: float | None = None
) -> pd.DataFrame:
    """The effective `correct` / `accept_ai` decisions as `snapshot_for(feedback=…)` takes them.

    Columns fund_id, as_of (ISO), corrected_grade, weight, feedback_id; `keep_expert` adds
    nothing. `accept_weight` overrides the weight recorded with each accepted AI grade.
    """
    when = None if as_of is None else pd.Timestamp(as_of).date().isoformat()
    frame = stored.effective(con, when)
    frame = frame[frame["action"].isin(LABEL_ACTIONS)].reset_index(drop=True)
    weight = frame["weight"].astype(float)
    if accept_weight is not None:
        weight = weight.where(frame["action"] != "accept_ai", float(accept_weight))
    return pd.DataFrame(
        {
            "fund_id": frame["fund_id"].astype(str),
            "as_of": pd.to_datetime(frame["as_of"]).dt.date.astype(str),
            "corrected_grade": frame["grade_after"].astype("int64"),
            "weight": weight,
            "feedback_id": frame["feedback_id"].astype("int64"),
        }
    )


def review_table(con: duckdb.DuckDBPyConnection, evaluation_id: str) -> pd.DataFrame:
    """One row per fund of an evaluation (its greedy answer), disagreements first.

    `store.evaluations.results` plus the fund's effective decision (`store.feedback.decisions`)
    and: `invalid` (the answer has no valid grade), `gap` = |AI grade - expert grade| (NaN
    when either is missing). Order: invalid answers first, then the largest gap, then funds
    without an expert grade, each by fund_id.
    """
    from store import evaluations

    frame = evaluations.results(con, evaluation_id)
    if frame.empty:
        return frame.assign(invalid=pd.Series(dtype=bool), gap=pd.Series(dtype=float))
    as_of = pd.Timestamp(frame["as_of"].iloc[0]).date().isoformat()
    decided = stored.decisions(con, as_of)
    frame = frame.merge(decided, on="fund_id", how="left")
    frame["n_feedback"] = frame["n_feedback"].fillna(0).astype(int)
    return disagreements_first(frame)


def disagreements_first(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (grade, expert_grade, parse_status) with `invalid` and `gap`, sorted as
    `review_table` says."""
    out = frame.copy()
    out["invalid"] = out["grade"].isna() | (out["parse_status"] != "ok")
    ai = pd.to_numeric(out["grade"], errors="coerce").astype(float)
    expert = pd.to_numeric(out["expert_grade"], errors="coerce").astype(float)
    out["gap"] = (ai - expert).abs()
    rank = out["invalid"].map({True: 0, False: 1}) + expert.isna().astype(int) * 2
    out = out.assign(_rank=rank, _gap=-out["gap"].fillna(-1))
    out = out.sort_values(["_rank", "_gap", "fund_id"], kind="stable")
    return out.drop(columns=["_rank", "_gap"]).reset_index(drop=True)


def model_status(decision_ids: pd.Series, decisions: pd.Series, trained: dict[int, dict]):
    """Per fund: (state, run_id) of its effective decision: 'none' (no decision), 'not_needed'
    (kept the expert grade), 'pending' (in no run yet), else the run's state ('finished' = in a
    trained model) and id."""
    out = []
    for fid, action in zip(decision_ids, decisions, strict=True):
        if fid is None or pd.isna(fid):
            out.append(("none", None))
        elif action == "keep_expert":
            out.append(("not_needed", None))
        elif int(fid) in trained:
            run = trained[int(fid)]
            out.append((run["state"] or "pending", run["run_id"]))
        else:
            out.append(("pending", None))
    return out


# ---------------------------------------------------------------- runs and lineage


def _runs(home: Home) -> list[tuple[str, Any, dict]]:
    """(run_id, RunConfig, status) of every run folder, oldest first."""
    from engine.training.config import RunConfig, TrainingError
    from engine.training.folder import RunFolder
    from engine.training.runs import RUN_ID_RE

    out = []
    for path in sorted(home.runs.iterdir()) if home.runs.is_dir() else []:
        folder = RunFolder(path)
        if not RUN_ID_RE.match(path.name) or not folder.config.is_file():
            continue
        try:
            config = RunConfig.from_json(folder.config.read_text(encoding="utf-8"))
        except (OSError, ValueError, TrainingError):
            continue
        out.append((path.name, config, folder.read_status()))
    return out


def trained_feedback(home: Home) -> dict[int, dict]:
    """feedback_id -> {run_id, state} of the first run that took it (finished runs first)."""
    out: dict[int, dict] = {}
    for run_id, config, status in _runs(home):
        state = status.get("state")
        for raw in config.feedback_ids:
            try:
                key = int(raw)
            except (TypeError, ValueError):
                continue
            known = out.get(key)
            if known is None or (known["state"] != "finished" and state == "finished"):
                out[key] = {"run_id": run_id, "state": state}
    return out


def lineage(home: Home, run_id: str) -> list[dict]:
    """The chain of runs that led to `run_id`, oldest first: each {run_id, parent_run_id,
    state, model, n_feedback, feedback_ids, created_at}. A parent whose folder is gone ends
    the chain with {run_id, state: None}."""
    runs = {r: (c, s) for r, c, s in _runs(home)}
    chain, seen, current = [], set(), run_id
    while current and current not in seen:
        seen.add(current)
        if current not in runs:
            chain.append({"run_id": current, "parent_run_id": None, "state": None,
                          "model": None, "n_feedback": 0, "feedback_ids": [],
                          "created_at": None})  # fmt: skip
            break
        config, status = runs[current]
        chain.append(
            {
                "run_id": current,
                "parent_run_id": config.parent_run_id,
                "state": status.get("state"),
                "model": config.model,
                "n_feedback": len(config.feedback_ids),
                "feedback_ids": list(config.feedback_ids),
                "created_at": status.get("created_at"),
            }
        )
        current = config.parent_run_id
    return chain[::-1]


def lineage_text(
    chain: list[dict], label: str = "{n} corrections", one: str | None = "{n} correction"
) -> str:
    """'run-0001 → run-0003 (12 corrections) → run-0005 (1 correction)'; `label` (and `one`
    for a single item) words the number of feedback items."""
    parts = []
    for item in chain:
        part = item["run_id"]
        n = item.get("n_feedback")
        if n:
            part += f" ({(one if n == 1 and one else label).format(n=n)})"
        parts.append(part)
    return " → ".join(parts)


def retrain(
    home: Home,
    parent_run_id: str,
    *,
    as_of: Any = None,
    accept_weight: float | None = None,
    from_parent_model: bool = False,
    changes: dict | None = None,
    start: bool = True,
    created_by: str | None = None,
) -> dict:
    """A new run with the parent's settings and the analysts' feedback applied to its data.

    The snapshot is built as the parent's (methodology version, rating date unless `as_of`,
    language, seed, splits) with `for_snapshot` at that date; the new RunConfig records
    `parent_run_id` and the `feedback_ids` the snapshot applied. `from_parent_model` trains on
    from the parent's final model (no warm-up) instead of from the parent's starting model.
    Returns {run_id, parent_run_id, feedback_ids, applied, skipped, status}.
    """
    from engine.training import runs

    parent = runs.load_config(home, parent_run_id)
    when = pd.Timestamp(as_of).date().isoformat() if as_of is not None else parent.as_of
    with connect(home) as con:
        items = for_snapshot(con, when, accept_weight=accept_weight)
    if items.empty:
        raise FeedbackError(
            f"no corrections or accepted AI grades on {when} to train with: review an "
            "evaluation of that date first"
        )
    snapshot = snapshot_for(home, replace(parent, as_of=when), feedback=items)
    applied = snapshot.manifest["feedback"]["applied"]
    taken = {a["fund_id"] for a in applied}
    ids = [
        str(i) for f, i in zip(items["fund_id"], items["feedback_id"], strict=True) if f in taken
    ]
    if not ids:
        raise FeedbackError(
            f"none of the {len(items)} feedback items on {when} matches a fund of the training "
            "data (funds without an expert rating or not eligible are left out)"
        )
    config = replace(
        parent, run_id="", as_of=when, parent_run_id=parent_run_id, feedback_ids=ids,
        **(changes or {}),
    )  # fmt: skip
    if from_parent_model:
        model = runs.run_folder(home, parent_run_id).model
        if not model.is_dir():
            raise FeedbackError(f"{parent_run_id} has no final model to continue from")
        config = replace(config, model=str(model), sft_steps=0)
    run_id = runs.create_run(home, config, snapshot=snapshot, created_by=created_by)
    status = None
    if start:
        from engine.llm.models import resolve

        resolve(home, config.model)
        status = runs.start(home, run_id)
    log.info("%s: retraining %s with %d feedback items", run_id, parent_run_id, len(ids))
    return {
        "run_id": run_id,
        "parent_run_id": parent_run_id,
        "feedback_ids": ids,
        "applied": applied,
        "skipped": snapshot.manifest["feedback"]["skipped"],
        "status": status,
    }


# ---------------------------------------------------------------- importing a file


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
        action = (_text(row["action"]) or "").lower()
        raw_date = _text(row["as_of"])
        when = _date(raw_date)
        if when is None:
            message = (
                "as_of is empty"
                if raw_date is None
                else (f"as_of must be a date (YYYY-MM-DD), got {raw_date!r}")
            )
            problems.append((number, "as_of", message))
            continue
        fund = _text(row["fund_id"])
        if fund is None:
            problems.append((number, "fund_id", "fund_id is empty"))
            continue
        weight = _text(row["weight"])
        try:
            weight = None if weight is None else float(weight)
        except ValueError:
            problems.append((number, "weight", f"weight must be a number, got {weight!r}"))
            continue
        grade = _text(row["grade"])
        item = _item(
            fund, when, action, grade=grade, ai_grade=grade if action == "accept_ai" else None,
            reason=row["reason"], comment=row["comment"], weight=weight,
            evaluation_id=_text(row["evaluation_id"]), created_by=created_by,
        )  # fmt: skip
        found = item_problems(item)
        if action in ("accept_ai", "correct") and grade is not None and not _is_grade(grade):
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
                for k in _expert_missing(con, [i for _, i in items])
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


def as_records(frame: pd.DataFrame) -> list[dict]:
    """A feedback frame as JSON-ready dicts (as_of as YYYY-MM-DD, created_at as ISO text)."""
    out = frame.copy()
    if "as_of" in out:
        out["as_of"] = pd.to_datetime(out["as_of"]).dt.strftime("%Y-%m-%d")
    if "created_at" in out:
        out["created_at"] = pd.to_datetime(out["created_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    return json.loads(out.to_json(orient="records", force_ascii=False))
