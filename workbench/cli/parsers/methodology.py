"""Arguments of the `methodology` command group; the commands live in workbench/cli/methodology.py."""

from __future__ import annotations

import argparse


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `methodology …` and `score` on the main parser."""
    method = sub.add_parser("methodology", help="extract, validate, save and compare methodologies")
    msub = method.add_subparsers(dest="action", required=True, parser_class=type(method))

    p = msub.add_parser(
        "extract",
        parents=[common],
        help="Extract a draft methodology from a PDF (text and tables, with source pages).",
    )
    p.add_argument("pdf", metavar="PDF")
    p.add_argument("--out", help="write the draft JSON here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func="methodology:cmd_extract")

    p = msub.add_parser(
        "validate",
        parents=[common],
        help="Check a methodology JSON file against the schema and the semantic rules.",
    )
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func="methodology:cmd_validate")

    p = msub.add_parser(
        "save",
        parents=[common],
        help="Save a methodology JSON file as a new immutable version (optionally make it active).",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--note")
    p.add_argument("--by", default="cli", help="who saves it (default: cli)")
    p.add_argument("--activate", action="store_true", help="make it the active version")
    p.add_argument("--client", default="*", help="client id for --activate (default: all)")
    p.set_defaults(func="methodology:cmd_save")

    p = msub.add_parser("list", parents=[common], help="Saved methodology versions, newest first.")
    p.add_argument("methodology_id", nargs="?", metavar="ID")
    p.set_defaults(func="methodology:cmd_list")

    p = msub.add_parser(
        "show",
        parents=[common],
        help="One saved version (the latest by default) as JSON, with a readable summary.",
    )
    p.add_argument("methodology_id", metavar="ID")
    p.add_argument("--version", type=int)
    p.add_argument("--lang", choices=["ko", "en"])
    p.add_argument("--out", help="write the JSON here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func="methodology:cmd_show")

    p = msub.add_parser(
        "activate",
        parents=[common],
        help="Make a version the active one for a client ('*' = every client without its own).",
    )
    p.add_argument("methodology_id", metavar="ID")
    p.add_argument("version", type=int, metavar="VERSION")
    p.add_argument("--client", default="*")
    p.add_argument("--by", default="cli")
    p.set_defaults(func="methodology:cmd_activate")

    p = msub.add_parser(
        "diff", parents=[common], help="Field-level differences between two saved versions."
    )
    p.add_argument("methodology_id", metavar="ID")
    p.add_argument("a", type=int, metavar="A")
    p.add_argument("b", type=int, metavar="B")
    p.set_defaults(func="methodology:cmd_diff")

    p = sub.add_parser(
        "score",
        parents=[common],
        help="Rule-based reference scores and grades of every fund under a methodology version.",
    )
    p.add_argument("--methodology", required=True, metavar="ID")
    p.add_argument("--version", type=int)
    p.add_argument("--as-of", type=date_type)
    p.add_argument("--out", help="write the table to .csv, .parquet or .xlsx")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func="methodology:cmd_score")
