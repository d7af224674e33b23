"""`python -m workbench feedback list|import|retrain|lineage …`: analysts' feedback, headless.

Thin layers over `engine.review.feedback`, as the Review page uses it: `list` shows the audit trail,
`import FILE` records a CSV/Excel file of actions all or nothing, `retrain --run RUN_ID` starts
a run with the parent run's settings and the feedback applied (recording the lineage), and
`lineage RUN_ID` prints the chain of runs that led to a run.
"""

from __future__ import annotations

import argparse

import pandas as pd

from engine.review import feedback
from engine.review.feedback import FeedbackError, import_file
from engine.training import runs
from engine.training.config import TrainingError
from engine.training.snapshot import SnapshotError
from store.db import connect
from store.home import Home

SHOWN_COLUMNS = ("feedback_id", "fund_id", "as_of", "action", "grade_before", "grade_after",
                 "created_by", "created_at")  # fmt: skip


class FeedbackCliError(ValueError):
    """A bad feedback request: one line, exit status 2."""


def _translate(func):
    """Run a command, turning engine errors into one-line CLI errors."""

    def command(args: argparse.Namespace, home: Home) -> dict:
        try:
            return func(args, home)
        except (FeedbackError, TrainingError, SnapshotError) as exc:
            raise FeedbackCliError(str(exc)) from exc

    command.__doc__ = func.__doc__
    return command


def _cell(column: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "-"
    if column == "as_of":
        return str(value)[:10]
    if column in ("grade_before", "grade_after"):
        return str(int(value))
    return str(value)[:19]


@_translate
def cmd_feedback_list(args: argparse.Namespace, home: Home) -> dict:
    """The feedback audit trail, oldest first (every action with who, when, before and after)."""
    with connect(home) as con:
        frame = feedback.history(con, args.fund, args.as_of)
    rows = feedback.as_records(frame)
    table = [list(SHOWN_COLUMNS)] + [
        [_cell(c, row[c]) for c in SHOWN_COLUMNS] for row in frame.to_dict("records")
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(SHOWN_COLUMNS))]
    lines = []
    for number, line in enumerate(table):
        text = "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        if number:
            row = frame.iloc[number - 1]
            note = row["reason"] if isinstance(row["reason"], str) else row["comment"]
            text += f"  {note}" if isinstance(note, str) else ""
        lines.append(text.rstrip())
    return {
        "feedback": rows,
        "count": len(rows),
        "summary": "\n".join(lines) if rows else "no feedback yet",
    }


@_translate
def cmd_feedback_import(args: argparse.Namespace, home: Home) -> dict:
    """Record a CSV/Excel file of actions (fund_id, as_of, action, grade, reason, comment)."""
    result = import_file(home, args.path, created_by=args.by)
    counts = ", ".join(f"{n} {a}" for a, n in sorted(result["actions"].items()))
    ids = result["feedback_ids"]
    return {
        **result,
        "summary": f"{result['file_name']}: {result['rows']} actions recorded ({counts}); "
        f"feedback ids {ids[0]}–{ids[-1]}",
    }


@_translate
def cmd_feedback_retrain(args: argparse.Namespace, home: Home) -> dict:
    """Start a run with a parent run's settings and the analysts' feedback applied to its data."""
    result = feedback.retrain(
        home,
        args.run,
        as_of=args.as_of,
        accept_weight=args.accept_weight,
        from_parent_model=args.from_parent_model,
        start=not args.no_start,
    )
    run_id = result["run_id"]
    chain = feedback.lineage_text(feedback.lineage(home, run_id))
    line = (
        f"{run_id}: created from {args.run} with {len(result['feedback_ids'])} feedback items "
        f"({len(result['skipped'])} skipped); lineage {chain}"
    )
    if args.wait and not args.no_start:
        status = runs.wait(home, run_id)
        runs.sync(home)
        result["status"] = status
        if status["state"] == "failed":
            raise FeedbackCliError(f"{run_id} failed: {status.get('message')}")
        line += f"; {status['state']}"
    elif not args.no_start:
        line += f" (follow with: runs show {run_id})"
    return {**result, "lineage": chain, "summary": line}


@_translate
def cmd_feedback_lineage(args: argparse.Namespace, home: Home) -> dict:
    """The chain of runs (and how many feedback items each took) that led to a run."""
    runs.run_folder(home, args.run_id)  # an unknown id fails in one line
    chain = feedback.lineage(home, args.run_id)
    return {"chain": chain, "summary": feedback.lineage_text(chain)}
