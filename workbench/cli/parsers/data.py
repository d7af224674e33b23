"""Arguments of init, demo, ingest, metrics and status; the commands live in setup.py, data.py and status.py."""

from __future__ import annotations

import argparse


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `init`, `demo`, `ingest`, `metrics` and `status` on the main parser."""
    p = sub.add_parser(
        "init",
        parents=[common],
        help="Create the state folder, database and built-in tiny model; the demo if asked and empty.",
    )
    p.add_argument("--demo-if-empty", action="store_true", help="load the demo into an empty store")
    p.add_argument("--no-model", action="store_true", help="skip building the built-in tiny model")
    p.add_argument("--admin", action="store_true", help="create a first admin if no user exists")
    p.set_defaults(func="setup:cmd_init")

    p = sub.add_parser(
        "demo",
        parents=[common],
        help="Build the synthetic demo universe into the store (deterministic, seeded).",
    )
    p.add_argument("--seed", type=int, help="random seed (default 7)")
    p.add_argument("--funds", type=int, help="number of funds (default 300)")
    p.add_argument("--force", action="store_true", help="load even into a store with real data")
    p.set_defaults(func="setup:cmd_demo")

    p = sub.add_parser(
        "ingest",
        parents=[common],
        help="Load files; each file is all or nothing, and the first refused file stops the command.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--kind",
        choices=["funds", "nav", "benchmarks", "risk_free", "ratings", "qualitative", "managers"],
    )
    p.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    p.set_defaults(func="data:cmd_ingest")

    p = sub.add_parser(
        "metrics",
        parents=[common],
        help="Indicators for every fund as of a date; optionally written to CSV, Parquet or Excel.",
    )
    p.add_argument("--as-of", type=date_type, help="YYYY-MM-DD (default: the latest NAV date)")
    p.add_argument("--window", help="1y, 3y or 5y (default: all)")
    p.add_argument("--out", help="write the table to .csv, .parquet or .xlsx")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func="data:cmd_metrics")

    p = sub.add_parser("status", parents=[common], help="What is loaded in the workbench database.")
    p.set_defaults(func="status:cmd_status")
