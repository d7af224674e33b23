"""Benchmark: ingest of a 1,000,000-row NAV CSV against DuckDB's bare read_csv (the floor).

Both read the same file. The floor only parses it into an in-memory table; ingest also detects
the encoding, maps headers, checks every value and key, and upserts into the store in one
transaction. Then the same file again (recognised by its content hash and skipped), and a copy
with one NAV changed (read, checked and compared with the 1,000,000 stored rows; one replaced).
Prints rows/s and each time as a ratio to the floor measured in the same round.

    .venv/bin/python bench/bench_ingest.py [--rows 1000000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from statistics import median
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.data.ingest import ingest_file  # noqa: E402
from store.home import Home  # noqa: E402

T = TypeVar("T")


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


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _changed_copy(nav_path: Path) -> Path:
    """The NAV file with its last NAV one higher."""
    lines = nav_path.read_text(encoding="utf-8").splitlines(keepends=True)
    fund, day, nav = lines[-1].rstrip("\n").split(",")
    lines[-1] = f"{fund},{day},{float(nav) + 1:.2f}\n"
    changed_path = nav_path.with_name("nav_changed.csv")
    changed_path.write_text("".join(lines), encoding="utf-8")
    return changed_path


def _one_round(folder: Path, funds_path: Path, nav_path: Path, rows: int) -> dict[str, float]:
    """Floor, first ingest, unchanged re-ingest and changed re-ingest into a new home."""
    home = Home(folder / f"home-{time.monotonic_ns()}")
    ingest_file(home, funds_path)
    floor_s = min(floor(nav_path) for _ in range(3))
    ingest_s, first = _timed(lambda: ingest_file(home, nav_path))
    rerun_s, again = _timed(lambda: ingest_file(home, nav_path))
    changed_s, changed = _timed(lambda: ingest_file(home, _changed_copy(nav_path)))
    assert first.inserted == rows and again.unchanged == rows and again.skipped
    assert (changed.inserted, changed.replaced, changed.unchanged) == (0, 1, rows - 1)
    return {"floor": floor_s, "ingest": ingest_s, "rerun": rerun_s, "changed": changed_s}


def run(rows: int, repeat: int = 1) -> dict:
    """The median of `repeat` rounds (the machine is shared): times, and ratios taken within
    each round against that round's floor."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        funds_path, nav_path = make_files(folder, rows)
        rounds = [_one_round(folder, funds_path, nav_path, rows) for _ in range(repeat)]
        size_mb = nav_path.stat().st_size / 2**20

    def mid(key: str, over_floor: bool = False) -> float:
        values = [r[key] / r["floor"] if over_floor else r[key] for r in rounds]
        return round(median(values), 2 if over_floor else 3)

    return {
        "rows": rows,
        "rounds": repeat,
        "file_mib": round(size_mb, 1),
        "floor_read_csv_s": mid("floor"),
        "ingest_s": mid("ingest"),
        "reingest_unchanged_s": mid("rerun"),
        "reingest_changed_s": mid("changed"),
        "ingest_rows_per_s": round(rows / mid("ingest")),
        "floor_rows_per_s": round(rows / mid("floor")),
        "ratio_ingest_over_floor": mid("ingest", over_floor=True),
        "ratio_reingest_unchanged_over_floor": mid("rerun", over_floor=True),
        "ratio_reingest_changed_over_floor": mid("changed", over_floor=True),
        "ratio_ingest_per_round": [round(r["ingest"] / r["floor"], 2) for r in rounds],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the median is shown")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.rows, args.repeat)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:36} {value:,}" if isinstance(value, int) else f"{key:36} {value}")


if __name__ == "__main__":
    main()
