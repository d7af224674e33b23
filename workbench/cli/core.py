"""`python -m workbench …`: every workbench operation, headless.

Each command calls the same engine/store functions as the pages. With `--json` the result is
one JSON document on stdout. Bad input exits non-zero with a one-line reason on stderr (and
`{"ok": false, "error": …}` on stdout with `--json`), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path

from store.home import Home, current_home

log = logging.getLogger("workbench")

EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 1


class CliError(Exception):
    """A bad request from the user: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        raise CliError(f"{self.prog}: {message}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def _print_table(rows: list[tuple[str, object]]) -> None:
    width = max(len(k) for k, _ in rows) if rows else 0
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")


# ---------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace, home: Home) -> dict:
    """Create the state folder, database and built-in tiny model; the demo if asked and empty."""
    from store.db import connect
    from store.queries import summary

    home.ensure()
    with connect(home) as con:
        state = summary(con)
    built = None
    if args.demo_if_empty and state["funds"] == 0:
        built = cmd_demo(argparse.Namespace(seed=None, funds=None, force=False), home)
        with connect(home) as con:
            state = summary(con)
    model = None
    if not args.no_model:
        from engine.llm.models import resolve

        model = str(resolve(home, "builtin-tiny"))
    admin = {}
    if getattr(args, "admin", False):  # a first admin, its one-time password printed once
        from workbench.cli.users import create_first_admin

        first = create_first_admin(home)
        admin = (
            {"admin": first["user"]["user_name"], "admin_password": first["password"]}
            if first
            else {"admin": "not created: users exist already (see `user list`)"}
        )
    return {
        "home": str(home.root),
        "database": str(home.db_path),
        "demo": built,
        "tiny_model": model,
        **state,
        **admin,
    }


def cmd_demo(args: argparse.Namespace, home: Home) -> dict:
    """Build the synthetic demo universe into the store (deterministic, seeded)."""
    from engine.demo.build import DemoConfig, build_demo
    from store.db import connect
    from store.queries import summary as store_summary

    with connect(home) as con:
        state = store_summary(con)
    if state["funds"] and not state["synthetic"] and not getattr(args, "force", False):
        raise CliError(
            f"the store at {home.root} already holds your own data ({state['funds']} funds): the "
            "demo would mix synthetic funds into it. Use another --home, or --force"
        )
    overrides = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.funds is not None:
        overrides["n_funds"] = args.funds
    summary = build_demo(home, DemoConfig(**overrides))
    return _as_dict(summary)


def cmd_ingest(args: argparse.Namespace, home: Home) -> dict:
    """Load files; each file is all or nothing, and the first refused file stops the command."""
    from engine.data.ingest import ingest_file

    results = []
    for path in args.paths:
        result = ingest_file(home, Path(path), args.kind, sheet=args.sheet, source="cli")
        results.append(result.to_dict())
    return {"files": results}


def cmd_metrics(args: argparse.Namespace, home: Home) -> dict:
    """Indicators for every fund as of a date; optionally written to CSV, Parquet or Excel."""
    from engine.data.metrics import WINDOWS, indicators, latest_nav_date
    from engine.files.tables import check_table_path, write_table
    from store.db import connect

    windows = [args.window] if args.window else list(WINDOWS)
    if args.window and args.window not in WINDOWS:
        raise CliError(f"unknown window '{args.window}'; choose one of {', '.join(WINDOWS)}")
    if args.out:
        check_table_path(args.out, args.force)
    as_of = args.as_of
    if as_of is None:
        with connect(home) as con:
            as_of = latest_nav_date(con)
        if as_of is None:
            raise CliError("no NAV data in the store yet: load a NAV file or the demo first")
    frame = indicators(home, as_of=as_of, windows=windows)
    out = write_table(frame, args.out, args.force) if args.out else None
    computed = frame[frame["reason"].isna()] if "reason" in frame else frame
    result = {
        "as_of": as_of.isoformat(),
        "windows": windows,
        "funds": int(frame["fund_id"].nunique()) if len(frame) else 0,
        "rows": len(frame),
        "computed": len(computed),
        "out": str(out) if out else None,
    }
    if not args.out:
        table = frame.copy()
        for column in ("start_date", "end_date"):
            table[column] = table[column].dt.strftime("%Y-%m-%d")
        result["table"] = json.loads(table.to_json(orient="records"))
    return result


def cmd_status(args: argparse.Namespace, home: Home) -> dict:
    """What is loaded in the workbench database."""
    from store.db import connect
    from store.queries import summary

    with connect(home) as con:
        return {"home": str(home.root), **summary(con)}


def _as_dict(obj: object) -> dict:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(obj):
        return json.loads(json.dumps(asdict(obj), default=str))
    return dict(obj)  # type: ignore[call-overload]


# ---------------------------------------------------------------- parser and entry point


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per operation."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print a JSON result on stdout")
    common.add_argument("--home", help="state folder (default: $WORKBENCH_HOME or ./var)")
    parser = _Parser(prog="python -m workbench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("init", parents=[common], help=cmd_init.__doc__)
    p.add_argument("--demo-if-empty", action="store_true", help="load the demo into an empty store")
    p.add_argument("--no-model", action="store_true", help="skip building the built-in tiny model")
    p.add_argument("--admin", action="store_true", help="create a first admin if no user exists")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", parents=[common], help=cmd_demo.__doc__)
    p.add_argument("--seed", type=int, help="random seed (default 7)")
    p.add_argument("--funds", type=int, help="number of funds (default 300)")
    p.add_argument("--force", action="store_true", help="load even into a store with real data")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("ingest", parents=[common], help=cmd_ingest.__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--kind", choices=["funds", "nav", "benchmarks", "risk_free", "ratings", "qualitative"]
    )
    p.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("metrics", parents=[common], help=cmd_metrics.__doc__)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: the latest NAV date)")
    p.add_argument("--window", help="1y, 3y or 5y (default: all)")
    p.add_argument("--out", help="write the table to .csv, .parquet or .xlsx")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("status", parents=[common], help=cmd_status.__doc__)
    p.set_defaults(func=cmd_status)

    from workbench.cli.methodology import add_parsers

    add_parsers(sub, common, _date)

    from workbench.cli.training import add_parsers as add_training_parsers

    add_training_parsers(sub, common, _date)
    from workbench.cli.sweep import add_parsers as add_sweep_parsers

    add_sweep_parsers(sub, common, _date)
    from workbench.cli.feedback import add_parsers as add_feedback_parsers

    add_feedback_parsers(sub, common, _date)

    from workbench.cli.evaluation import add_parsers as add_evaluation_parsers

    add_evaluation_parsers(sub, common, _date)
    from workbench.cli.reports import add_parsers as add_report_parsers

    add_report_parsers(sub, common, _date)
    from workbench.cli.users import add_parsers as add_user_parsers

    add_user_parsers(sub, common)
    from workbench.cli.clients import add_parsers as add_client_parsers

    add_client_parsers(sub, common, _date)
    return parser


def _human(command: str, result: dict) -> None:
    if "summary" in result:
        print(result["summary"])
        return
    if "versions" in result:
        for v in result["versions"]:
            active = f"  active for {v['active_for']}" if v.get("active_for") else ""
            print(
                f"{v['methodology_id']} v{v['version']}  {v['name']}  ({v['created_at']}){active}"
            )
        return
    if "changes" in result:
        for c in result["changes"]:
            print(f"{c['change']:9} {c['path']}: {c.get('old')!r} -> {c.get('new')!r}")
        return
    if command == "ingest":
        for f in result["files"]:
            print(
                f"{f['file_name']}: {f['kind']} ({f['format']}, {f['encoding'] or '-'}), "
                f"{f['rows']} rows — {f['inserted']} inserted, {f['replaced']} replaced, "
                f"{f['unchanged']} unchanged"
            )
        return
    rows = [(k, v) for k, v in result.items() if k != "table" and not isinstance(v, list | dict)]
    _print_table(rows)
    if command == "metrics" and "table" in result:
        print(f"(use --out FILE or --json for the {result['rows']} rows)")


def _known_errors() -> tuple[type[Exception], ...]:
    from engine.data.ingest import IngestError
    from engine.llm.models import ModelError
    from engine.methodology import MethodologyError
    from engine.methodology.extract.pdf import ExtractionError
    from store.db import StoreBusyError

    return (
        CliError,
        IngestError,
        StoreBusyError,
        MethodologyError,
        ExtractionError,
        ModelError,
        FileNotFoundError,
        ValueError,
    )


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Run one command; return the process exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    wants_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        home = current_home(args.home)
        result = args.func(args, home)
    except _known_errors() as exc:
        return _fail(str(exc), wants_json, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        return _fail("interrupted", wants_json, 130)
    except Exception as exc:  # never a traceback on the terminal; keep it in the log file
        _record_crash()
        return _fail(f"unexpected {type(exc).__name__}: {exc}", wants_json, EXIT_UNEXPECTED)
    try:
        if args.json:
            out(json.dumps({"ok": True, **result}, ensure_ascii=False, default=str))
        else:
            _human(args.command, result)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return 0


def _fail(message: str, wants_json: bool, status: int) -> int:
    line = " ".join(message.split())
    print(f"error: {line}", file=sys.stderr)
    if wants_json:
        print(json.dumps({"ok": False, "error": line}, ensure_ascii=False))
    return status


def _record_crash() -> None:
    try:
        home = current_home().ensure()
        with (home.root / "cli-errors.log").open("a", encoding="utf-8") as handle:
            handle.write(traceback.format_exc() + "\n")
    except OSError:
        pass
