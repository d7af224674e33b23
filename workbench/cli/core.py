"""`python -m workbench …`: every workbench operation, headless.

Each command calls the same engine/store functions as the pages. With `--json` the result is
one JSON document on stdout. Bad input exits non-zero with a one-line reason on stderr (and
`{"ok": false, "error": …}` on stdout with `--json`), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from datetime import date

from store.home import Home, current_home
from workbench.cli.errors import EXIT_BAD_INPUT, EXIT_UNEXPECTED, CliError
from workbench.cli.parsers import (
    clients,
    cycle,
    data,
    evaluation,
    feedback,
    methodology,
    reports,
    sweep,
    training,
    users,
)

# The parsers are light; each command's module (and the engine it needs) is imported on dispatch.
PARSERS = (
    data.add_parsers,
    methodology.add_parsers,
    training.add_parsers,
    sweep.add_parsers,
    feedback.add_parsers,
    evaluation.add_parsers,
    reports.add_parsers,
    users.add_parsers,
    clients.add_parsers,
    cycle.add_parsers,
)

log = logging.getLogger("workbench")


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


# ---------------------------------------------------------------- parser and entry point


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per operation."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print a JSON result on stdout")
    common.add_argument("--home", help="state folder (default: $WORKBENCH_HOME or ./var)")
    parser = _Parser(prog="python -m workbench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    for add_parsers in PARSERS:
        add_parsers(sub, common, _date)
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
                + (f" — skipped: {f['skipped']}" if f.get("skipped") else "")
            )
        return
    rows = [(k, v) for k, v in result.items() if k != "table" and not isinstance(v, list | dict)]
    _print_table(rows)
    if command == "metrics" and "table" in result:
        print(f"(use --out FILE or --json for the {result['rows']} rows)")


# Errors that mean a bad request, by module: an error can only be raised once its module is loaded,
# so the check never imports the engine.
BAD_REQUEST_ERRORS = (
    ("engine.data.ingest", "IngestError"),
    ("store.db", "StoreBusyError"),
    ("engine.methodology.core", "MethodologyError"),
    ("engine.methodology.extract.pdf", "ExtractionError"),
    ("engine.llm.models", "ModelError"),
)


def _is_bad_request(exc: Exception) -> bool:
    """Whether `exc` is the user's mistake (one line, exit 2) rather than a crash."""
    if isinstance(exc, CliError | FileNotFoundError | ValueError):
        return True
    for module_name, class_name in BAD_REQUEST_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return True
    return False


def command(name: str) -> Callable[[argparse.Namespace, Home], dict]:
    """The command function named `module:function` under workbench/cli."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(f"workbench.cli.{module}"), function)


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Run one command; return the process exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    wants_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        home = current_home(args.home)
        result = command(args.func)(args, home)
    except KeyboardInterrupt:
        return _fail("interrupted", wants_json, 130)
    except Exception as exc:  # never a traceback on the terminal; keep it in the log file
        if _is_bad_request(exc):
            return _fail(str(exc), wants_json, EXIT_BAD_INPUT)
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
