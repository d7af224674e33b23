"""Arguments of the `evaluation` command group; the commands live in workbench/cli/evaluation.py."""

from __future__ import annotations

import argparse


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `evaluate`, `agreement` and `evaluations …` on the main parser."""
    p = sub.add_parser(
        "evaluate",
        parents=[common],
        help="Grade a fund selection with one evaluator and store the answers.",
    )
    p.add_argument(
        "--model",
        required=True,
        metavar="SPEC",
        help="rules | tabular:RUN | base:PRESET_OR_FOLDER | sft:RUN | run:RUN (or a run id)",
    )
    p.add_argument(
        "--funds",
        default=None,
        metavar="SET",
        help="all | test (a run's held-out split) | category:NAME | funds:N (default: the "
        "held-out test split of the evaluator's run or --run, else all)",
    )
    p.add_argument("--run", metavar="RUN_ID", help="the run of `test`, tabular, sft and run")
    p.add_argument("--as-of", type=date_type, help="rating date (default: the latest)")
    p.add_argument("--methodology", metavar="ID", help="default: the run's, else the active one")
    p.add_argument("--version", type=int, help="methodology version (default: the latest)")
    p.add_argument("--lang", choices=["ko", "en"], help="prompt language (default: the run's, ko)")
    p.add_argument("--samples", type=int, default=1, help="answers per fund (default 1: greedy)")
    p.add_argument(
        "--temperature", type=float, default=0.7, help="sampling temperature of answers 2..k"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        help="prompts generated together (default: 128 for a small model such as builtin-tiny, else 8)",
    )
    p.add_argument("--max-new-tokens", type=int, help="longest answer (default: the run's)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--wait", action="store_true", help="block until a model evaluation ends")
    p.set_defaults(func="evaluation:cmd_evaluate")

    p = sub.add_parser(
        "agreement",
        parents=[common],
        help="Agreement of an evaluation with the experts or another evaluation; several: a leaderboard.",
    )
    p.add_argument("evaluation_ids", nargs="+", metavar="EVAL_ID")
    p.add_argument("--against", default="expert", metavar="expert|EVAL_ID")
    p.add_argument("--boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.set_defaults(func="evaluation:cmd_agreement")

    group = sub.add_parser("evaluations", help="list, show and stop evaluations")
    gsub = group.add_subparsers(dest="action", required=True, parser_class=type(group))
    p = gsub.add_parser(
        "list",
        parents=[common],
        help="Every evaluation with its state and agreement with the experts, newest first.",
    )
    p.set_defaults(func="evaluation:cmd_list")
    p = gsub.add_parser(
        "show",
        parents=[common],
        help="One evaluation: progress, settings and agreement with the experts.",
    )
    p.add_argument("evaluation_id", metavar="EVAL_ID")
    p.set_defaults(func="evaluation:cmd_show")
    p = gsub.add_parser(
        "stop",
        parents=[common],
        help="Stop a running evaluation after its current batch (its answers so far are kept).",
    )
    p.add_argument("evaluation_id", metavar="EVAL_ID")
    p.add_argument("--wait", action="store_true", help="block until it has stopped")
    p.set_defaults(func="evaluation:cmd_stop")
