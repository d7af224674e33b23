"""Arguments of the `sweep` command group; the commands live in workbench/cli/sweep.py."""

from __future__ import annotations

import argparse


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `sweep` on the main parser."""
    p = sub.add_parser(
        "sweep",
        parents=[common],
        help="Queue one training run per num_generations × reward-weights combination.",
    )
    p.add_argument("--num-generations", metavar="N,N", help="answers per fund to try, e.g. 4,8")
    p.add_argument(
        "--reward-weights",
        metavar="W;W",
        help="weight sets separated by ';', each format,accuracy,reasoning,consistency "
        "(e.g. '0.1,0.5,0.3,0.1;0.25,0.25,0.25,0.25') or a preset: founders, equal, accuracy, "
        "reasoning",
    )
    p.add_argument("--steps", type=int, help="GRPO steps of each run")
    p.add_argument("--sft-steps", type=int, help="warm-up steps of each run (0: none)")
    p.add_argument("--model", default="smollm2-135m", help="preset, hub id or model folder")
    p.add_argument("--methodology", metavar="ID", help="default: the active methodology")
    p.add_argument("--version", type=int, help="methodology version (default: active/latest)")
    p.add_argument("--as-of", type=date_type, help="rating date (default: the latest)")
    p.add_argument("--lang", choices=["ko", "en"], help="prompt language (default ko)")
    p.add_argument(
        "--results",
        nargs="?",
        const="",
        metavar="ID",
        help="print the results of a sweep (default: the newest) instead of starting one",
    )
    p.add_argument("--wait", action="store_true", help="block until every run has ended")
    p.set_defaults(func="sweep:cmd_sweep")
