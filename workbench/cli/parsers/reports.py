"""Arguments of the `reports` command group; the commands live in workbench/cli/reports.py."""

from __future__ import annotations

import argparse


def add_evaluations_export(gsub: argparse._SubParsersAction, common) -> None:
    """`evaluations export EVAL_ID --out FILE.xlsx|.csv` on the `evaluations` group."""
    p = gsub.add_parser(
        "export",
        parents=[common],
        help="Write an evaluation's results, agreement and confusion tables (.xlsx or .csv).",
    )
    p.add_argument("evaluation_id", metavar="EVAL_ID")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.xlsx or FILE.csv")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func="reports:cmd_export_evaluation")


def add_parsers(sub: argparse._SubParsersAction, common, date_type) -> None:
    """Register `backtest` and `export-model` (and `evaluations export` when that group exists)."""
    p = sub.add_parser(
        "backtest",
        parents=[common],
        help="Rank IC, top-vs-bottom spread and hit rate of grades against the next 12 months' return.",
    )
    p.add_argument(
        "--source",
        action="append",
        metavar="expert|rules|EVAL_ID",
        help="grade source, repeatable (default: expert and rules)",
    )
    p.set_defaults(func="reports:cmd_backtest")

    p = sub.add_parser(
        "export-model",
        parents=[common],
        help="Write a run's final model as a Hugging Face folder with a model card (push optional).",
    )
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    p.add_argument("--repo-id", help="Hugging Face repo to push to (needs --token)")
    p.add_argument("--token", help="Hugging Face token with write access")
    p.add_argument(
        "--force", "--overwrite", dest="force", action="store_true",
        help="write into a non-empty folder",
    )  # fmt: skip
    p.set_defaults(func="reports:cmd_export_model")

    p = sub.add_parser(
        "report",
        parents=[common],
        help="Write the HTML comparison report of evaluations on the same funds (agreement, cost).",
    )
    p.add_argument("evaluation_ids", nargs="+", metavar="EVAL_ID")
    p.add_argument("--out", required=True, metavar="FILE.html", help="the report file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing report file")
    p.add_argument("--lang", choices=["ko", "en"], default="en", help="report language")
    p.add_argument(
        "--n-boot", type=int, default=1000, help="bootstrap resamples of the 95 %% intervals"
    )
    p.set_defaults(func="reports:cmd_report")

    group = sub.choices.get("evaluations")
    if group is not None:
        for action in group._actions:
            if isinstance(action, argparse._SubParsersAction) and "export" not in action.choices:
                add_evaluations_export(action, common)
