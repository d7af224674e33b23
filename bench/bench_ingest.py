"""Benchmark: ingest of a 1,000,000-row NAV CSV against DuckDB's bare read_csv (the floor).

Both read the same file. The floor only parses it into an in-memory table; ingest also detects
the encoding, maps headers, checks every value and key, and upserts into the store in one
transaction. Prints rows/s for both and the ratio ingest / floor.

    .venv/bin/python bench/bench_ingest.py [--rows 1000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.data.ingest import ingest_file  # noqa: E402
from store.home import Home  # noqa: E402


def make_files(folder: Path, rows: int, funds: int = 1000) -> tuple[Path, Path]:
    """A funds file and a NAV CSV of `rows` rows (funds × business days)."""
    days = -(-rows // funds)
    dates = pd.bdate_range(date(2015, 1, 2), periods=days)
    rng = np.random.default_rng(1)
    ids = [f"KR5{n:06d}" for n in range(funds)]
    nav = 1000 * np.cumprod(1 + rng.normal(0.0003, 0.01, size=(days, funds)), axis=0)
    frame = pd.DataFrame(
        {
            "fund_id": np.tile(ids, days),
            "date": np.repeat(dates.strftime("%Y-%m-%d"), funds),
            "nav": nav.ravel().round(2),
        }
    ).head(rows)
    nav_path = folder / "nav.csv"
    frame.to_csv(nav_path, index=False)
    funds_path = folder / "funds.csv"
    pd.DataFrame({"fund_id": ids, "fund_name": [f"펀드 {i}" for i in ids]}).to_csv(
        funds_path, index=False
    )
    return funds_path, nav_path


def floor(path: Path) -> float:
    """Seconds for DuckDB's bare read_csv of the file into a table."""
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        funds_path, nav_path = make_files(folder, rows)
        home = Home(folder / "home")
        ingest_file(home, funds_path)
        floor_s = min(floor(nav_path) for _ in range(3))
        started = time.perf_counter()
        first = ingest_file(home, nav_path)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        again = ingest_file(home, nav_path)
        rerun_s = time.perf_counter() - started
        size_mb = nav_path.stat().st_size / 2**20
    assert first.inserted == rows and again.unchanged == rows
    return {
        "rows": rows,
        "file_mib": round(size_mb, 1),
        "floor_read_csv_s": round(floor_s, 3),
        "ingest_s": round(ingest_s, 3),
        "reingest_unchanged_s": round(rerun_s, 3),
        "ingest_rows_per_s": round(rows / ingest_s),
        "floor_rows_per_s": round(rows / floor_s),
        "ratio_ingest_over_floor": round(ingest_s / floor_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.rows)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:24} {value:,}" if isinstance(value, int) else f"{key:24} {value}")


if __name__ == "__main__":
    main()
