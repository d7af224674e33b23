"""Arguments of the `cycle` command group; the commands live in workbench/cli/cycle.py."""

from __future__ import annotations

import argparse


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `cycle run|list|show` on the main parser."""
    group = sub.add_parser("cycle", help="the monthly rating cycle: grade every eligible fund")
    gsub = group.add_subparsers(dest="action", required=True, parser_class=type(group))

    p = gsub.add_parser(
        "run",
        parents=[common],
        help="Ingest the inbox, grade every eligible fund, route, publish one release per client.",
    )
    p.add_argument("--as-of", type=date_type, help="default: the last month-end with NAVs")
    p.add_argument("--model", metavar="run:RUN|rules", help="default: each client's approved model")
    p.add_argument("--client", metavar="ID", help="only this client (its model, its release)")
    p.add_argument("--samples", type=int, default=3, help="answers per fund (self-agreement)")
    p.add_argument(
        "--max-gap", type=int, default=2, help="route when model and rules differ by this much"
    )
    p.add_argument(
        "--min-agreement",
        type=float,
        default=2 / 3,
        help="route when fewer than this share of the answers give the greedy grade",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        help="prompts generated together (default: 128 for a small model such as builtin-tiny, else 8)",
    )
    p.add_argument("--max-new-tokens", type=int, help="longest answer (default: the run's)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--no-publish", action="store_true", help="grade and route, publish nothing")
    p.add_argument("--no-inbox", action="store_true", help="leave the inbox folder alone")
    p.add_argument("--wait", action="store_true", help="block until the cycle has ended")
    p.set_defaults(func="cycle:cmd_run")

    p = gsub.add_parser("list", parents=[common], help="every cycle, newest date first")
    p.set_defaults(func="cycle:cmd_list")

    p = gsub.add_parser(
        "show",
        parents=[common],
        help="a cycle: routing, coverage against agreement, changes, releases",
    )
    p.add_argument("cycle_id", metavar="CYCLE_ID")
    p.set_defaults(func="cycle:cmd_show")
