"""`python -m workbench ingest|metrics`: load files and compute indicators."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.data.ingest import ingest_file
from engine.data.metrics import WINDOWS, indicators, latest_nav_date
from engine.files.tables import check_table_path, write_table
from store.db import connect
from store.home import Home
from workbench.cli.errors import CliError


def cmd_ingest(args: argparse.Namespace, home: Home) -> dict:
    """Load files; each file is all or nothing, and the first refused file stops the command."""
    results = []
    for path in args.paths:
        result = ingest_file(home, Path(path), args.kind, sheet=args.sheet, source="cli")
        results.append(result.to_dict())
    return {"files": results}


def cmd_metrics(args: argparse.Namespace, home: Home) -> dict:
    """Indicators for every fund as of a date; optionally written to CSV, Parquet or Excel."""
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
