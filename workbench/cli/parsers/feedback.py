"""Arguments of the `feedback` command group; the commands live in workbench/cli/feedback.py."""

from __future__ import annotations

import argparse


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `feedback list|import|retrain|lineage` on the main parser."""
    group = sub.add_parser("feedback", help="analysts' feedback: list, import, retrain, lineage")
    fsub = group.add_subparsers(dest="action", required=True, parser_class=type(group))

    p = fsub.add_parser(
        "list",
        parents=[common],
        help="The feedback audit trail, oldest first (every action with who, when, before and after).",
    )
    p.add_argument("--fund", metavar="FUND_ID", help="only this fund")
    p.add_argument("--as-of", type=date_type, help="only this rating date (YYYY-MM-DD)")
    p.set_defaults(func="feedback:cmd_feedback_list")

    p = fsub.add_parser(
        "import",
        parents=[common],
        help="Record a CSV/Excel file of actions (fund_id, as_of, action, grade, reason, comment).",
    )
    p.add_argument("path", metavar="FILE", help="CSV or Excel (.xlsx)")
    p.add_argument("--by", default="analyst", help="who records the actions (default analyst)")
    p.set_defaults(func="feedback:cmd_feedback_import")

    p = fsub.add_parser(
        "retrain",
        parents=[common],
        help="Start a run with a parent run's settings and the analysts' feedback applied to its data.",
    )
    p.add_argument("--run", required=True, metavar="RUN_ID", help="the parent run")
    p.add_argument("--as-of", type=date_type, help="rating date (default: the parent's)")
    p.add_argument(
        "--accept-weight", type=float, help="weight of accepted AI grades (default: as recorded)"
    )
    p.add_argument(
        "--from-parent-model",
        action="store_true",
        help="continue from the parent's final model (no warm-up) instead of its start model",
    )
    p.add_argument("--no-start", action="store_true", help="create the run without starting it")
    p.add_argument("--wait", action="store_true", help="block until the run ends")
    p.set_defaults(func="feedback:cmd_feedback_retrain")

    p = fsub.add_parser(
        "lineage",
        parents=[common],
        help="The chain of runs (and how many feedback items each took) that led to a run.",
    )
    p.add_argument("run_id", metavar="RUN_ID")
    p.set_defaults(func="feedback:cmd_feedback_lineage")
