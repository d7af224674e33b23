"""Time one store action (open the database, one short read, close) against the same read on an
open connection, and against starting a DuckDB database for the action as the store once did.

Setup: a demo store of N funds in a temporary home. Each action is `store.db.connect(home)`
(attach the file to the process's in-memory database, check the schema version, read, detach)
with `SELECT count(*) FROM funds`. Baselines in the same run: the same read on one connection
held open (the floor), and `duckdb.connect(file)` + the schema check + the read + `close()`
per action (the store's open before attachments).

    .venv/bin/python bench/bench_store_open.py [--funds 60] [--calls 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.demo.build import DemoConfig, build_demo  # noqa: E402
from store.db import connect, schema_version  # noqa: E402
from store.home import Home  # noqa: E402

READ = "SELECT count(*) FROM funds"


def per_call_ms(action, calls: int) -> float:
    """Median milliseconds of `action()` over `calls` calls (after a few warm-up calls)."""
    for _ in range(10):
        action()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--funds", type=int, default=60)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-store-open-"))
    try:
        home = Home(root / "home")
        build_demo(home, DemoConfig(n_funds=args.funds, years=4))

        def store_action() -> None:
            with connect(home) as con:
                con.execute(READ).fetchall()

        def database_per_action() -> None:
            con = duckdb.connect(str(home.db_path))
            try:
                schema_version(con)
                con.execute(READ).fetchall()
            finally:
                con.close()

        with connect(home) as held:
            floor = per_call_ms(lambda: held.execute(READ).fetchall(), args.calls)
        action = per_call_ms(store_action, args.calls)
        before = per_call_ms(database_per_action, args.calls)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    result = {
        "funds": args.funds,
        "calls": args.calls,
        "read_on_open_connection_ms": round(floor, 3),
        "store_action_ms": round(action, 2),
        "database_started_per_action_ms": round(before, 2),
        "speedup_vs_database_per_action": round(before / action, 2),
        "store_action_overhead_ms": round(action - floor, 2),
    }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
