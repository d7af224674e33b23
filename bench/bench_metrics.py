"""Time `compute_indicators` (one funds x days matrix) against a per-fund empyrical-reloaded loop.

Synthetic universe: N funds x Y years of business-day NAVs with ~2 % random missing days,
20 benchmarks (10 % of funds have none) and a monthly risk-free table. The baseline loops over
funds and windows in Python: window slicing, as-of matched benchmark and risk-free, 13
empyrical indicators plus MRAR. It skips percentiles and the risk grade, which the vectorised
timing includes. Both are timed in the same run on the same window set (best of --repeat /
--baseline-repeat, wall and CPU seconds), their values are compared, and the ratio is printed
beside the goal (issue 16: at least 25x the loop).

    .venv/bin/python bench/bench_metrics.py [--funds 2000] [--years 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import empyrical as ep
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import timed  # noqa: E402  (bench/ is on sys.path when run as a script)

from engine.data.metrics import INDICATORS, WINDOWS, MetricInputs, compute_indicators  # noqa: E402
from engine.data.returns import PERCENT, periods_per_year, years_before  # noqa: E402

AS_OF = date(2025, 6, 30)
N_BENCHMARKS = 20
NO_BENCHMARK_SHARE = 0.1
MISSING_DAY_SHARE = 0.02
SLACK_DAYS = 10
GOAL_SPEEDUP = 25.0
PERIOD_NAME = {252: "daily", 52: "weekly", 12: "monthly"}


def synthetic_inputs(n_funds: int, years: int, seed: int) -> MetricInputs:
    """A random universe of daily NAVs, benchmark levels and risk-free rates ending at AS_OF."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(years_before(AS_OF, years)) - pd.Timedelta(days=SLACK_DAYS)
    dates = pd.bdate_range(start, AS_OF)
    returns = rng.normal(0.0003, rng.uniform(0.002, 0.02, (n_funds, 1)), (n_funds, len(dates)))
    present = rng.random((n_funds, len(dates))) > MISSING_DAY_SHARE
    present[:, 0] = present[:, -1] = True
    fund_ids = np.array([f"F{i:05d}" for i in range(n_funds)])
    nav = pd.DataFrame(
        {
            "fund_id": np.repeat(fund_ids, len(dates)),
            "date": np.tile(dates.to_numpy(), n_funds),
            "nav": (100 * np.cumprod(1 + returns, axis=1)).ravel(),
        }
    )[present.ravel()]
    bench_ids = np.array([f"B{i:02d}" for i in range(N_BENCHMARKS)])
    levels = 1000 * np.cumprod(1 + rng.normal(0.0003, 0.01, (N_BENCHMARKS, len(dates))), axis=1)
    benchmarks = pd.DataFrame(
        {
            "benchmark_id": np.repeat(bench_ids, len(dates)),
            "date": np.tile(dates.to_numpy(), N_BENCHMARKS),
            "level": levels.ravel(),
        }
    )
    fund_bench = rng.choice(bench_ids, n_funds).astype(object)
    fund_bench[rng.random(n_funds) < NO_BENCHMARK_SHARE] = None
    funds = pd.DataFrame(
        {
            "fund_id": fund_ids,
            "category": rng.choice(["Equity", "Bond", "Mixed", "MMF"], n_funds),
            "benchmark_id": fund_bench,
        }
    )
    rf_dates = pd.date_range(start - pd.offsets.MonthBegin(1), AS_OF, freq="MS")
    risk_free = pd.DataFrame({"date": rf_dates, "rate": rng.uniform(0.5, 4.0, len(rf_dates))})
    return MetricInputs(funds=funds, nav=nav, benchmarks=benchmarks, risk_free=risk_free)


def _loop_indicators(r: np.ndarray, b: np.ndarray | None, rf: np.ndarray, ann: int) -> dict:
    """The indicators of one fund window with empyrical-reloaded."""
    out = {
        "cum_return": ep.cum_returns_final(r),
        "ann_return": ep.annual_return(r, annualization=ann),
        "volatility": ep.annual_volatility(r, annualization=ann),
        "sharpe": ep.sharpe_ratio(r, risk_free=rf, annualization=ann),
        "sortino": ep.sortino_ratio(r, required_return=rf, annualization=ann),
        "max_drawdown": ep.max_drawdown(r),
        "calmar": ep.calmar_ratio(r, annualization=ann),
        "mrar": np.mean(((1 + r) / (1 + rf)) ** -2.0) ** (-ann / 2.0) - 1,
    }
    if b is not None and not np.isnan(b).any():
        out |= {
            "beta": ep.beta(r, b, risk_free=rf),
            "alpha": ep.alpha(r, b, risk_free=rf, annualization=ann),
            "tracking_error": ep.annual_volatility(r - b, annualization=ann),
            "information_ratio": ep.excess_sharpe(r, b) * np.sqrt(ann),
            "up_capture": ep.up_capture(r, b, period=PERIOD_NAME[ann]),
            "down_capture": ep.down_capture(r, b, period=PERIOD_NAME[ann]),
        }
    return out


def baseline(inputs: MetricInputs, as_of: date, windows: list[str]) -> pd.DataFrame:
    """Per-fund Python loop: window slicing, as-of matching and empyrical calls."""
    navs = {fund: group.set_index("date")["nav"] for fund, group in inputs.nav.groupby("fund_id")}
    levels = {b: g.set_index("date")["level"] for b, g in inputs.benchmarks.groupby("benchmark_id")}
    rates = inputs.risk_free.set_index("date")["rate"].sort_index()
    end = pd.Timestamp(as_of)
    rows = []
    for fund_id, bench_id in inputs.funds[["fund_id", "benchmark_id"]].itertuples(index=False):
        nav = navs[fund_id][:end]
        ann = int(
            periods_per_year(
                np.median(np.diff(nav.index.to_numpy()).astype("timedelta64[D]").astype(int))
            )
        )
        for window in windows:
            start_day = pd.Timestamp(years_before(as_of, int(window[:-1])))
            before = nav.index[nav.index <= start_day]
            if len(before) == 0:
                rows.append({"fund_id": fund_id, "window": window})
                continue
            prices = nav[before[-1] :]
            r = prices.pct_change().to_numpy()[1:]
            rf = (
                rates.reindex(prices.index[1:], method="ffill").fillna(0).to_numpy() / PERCENT / ann
            )
            b = None
            if bench_id in levels:
                level = levels[bench_id].reindex(prices.index, method="ffill").to_numpy()
                b = level[1:] / level[:-1] - 1
            rows.append({"fund_id": fund_id, "window": window} | _loop_indicators(r, b, rf, ann))
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=2000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="vectorised runs (best is kept)")
    parser.add_argument(
        "--baseline-repeat",
        type=int,
        default=3,
        help="baseline runs (best is kept; as many as --repeat, so that one slow loop run does "
        "not flatter the ratio)",
    )
    parser.add_argument("--baseline-windows", nargs="+", default=list(WINDOWS), metavar="WINDOW")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)

    inputs = synthetic_inputs(args.funds, args.years, args.seed)
    windows = list(args.baseline_windows)
    vector_wall, vector_cpu, vector = timed(
        compute_indicators, inputs, AS_OF, windows, repeat=args.repeat
    )
    loop_wall, loop_cpu, loop = timed(baseline, inputs, AS_OF, windows, repeat=args.baseline_repeat)
    all_wall = vector_wall
    if windows != list(WINDOWS):
        all_wall, _, _ = timed(compute_indicators, inputs, AS_OF, list(WINDOWS), repeat=args.repeat)

    keys = list(INDICATORS)
    joined = vector.merge(loop, on=["fund_id", "window"], suffixes=("", "_loop"))
    ours, theirs = joined[keys].to_numpy(float), joined[[f"{k}_loop" for k in keys]].to_numpy(float)
    both = np.isfinite(ours) & np.isfinite(theirs)
    abs_diff = np.abs(ours - theirs)[both]
    figures = {
        "funds": args.funds,
        "years": args.years,
        "nav_rows": len(inputs.nav),
        "windows": windows,
        "vectorised_wall_s": round(vector_wall, 4),
        "vectorised_cpu_s": round(vector_cpu, 4),
        "baseline_wall_s": round(loop_wall, 4),
        "baseline_cpu_s": round(loop_cpu, 4),
        "speedup_wall": round(loop_wall / vector_wall, 2),
        "speedup_cpu": round(loop_cpu / vector_cpu, 2),
        "goal_speedup": GOAL_SPEEDUP,
        "goal_met": loop_wall / vector_wall >= GOAL_SPEEDUP,
        "vectorised_all_windows_wall_s": round(all_wall, 4),
        "values_compared": int(both.sum()),
        "same_null_pattern": bool((np.isfinite(ours) == np.isfinite(theirs)).all()),
        "max_abs_diff": float(abs_diff.max()) if abs_diff.size else None,
        "max_rel_diff": float((abs_diff / np.abs(theirs[both])).max()) if abs_diff.size else None,
    }
    if args.json:
        print(json.dumps(figures))
        return figures
    print(
        f"{args.funds} funds x {args.years} years, {len(inputs.nav):,} NAV rows, windows {' '.join(windows)}"
    )
    print(f"{'method':<34}{'wall s':>9}{'CPU s':>9}")
    print(f"{'matrix (compute_indicators)':<34}{vector_wall:>9.3f}{vector_cpu:>9.3f}")
    print(f"{'per-fund loop (empyrical)':<34}{loop_wall:>9.3f}{loop_cpu:>9.3f}")
    print(
        f"ratio (loop / matrix): {figures['speedup_wall']}x wall, {figures['speedup_cpu']}x CPU; "
        f"goal at least {GOAL_SPEEDUP:g}x: {'met' if figures['goal_met'] else 'NOT met'}"
    )
    if windows != list(WINDOWS):
        print(f"matrix on all windows ({' '.join(WINDOWS)}): {all_wall:.3f} s wall")
    print(
        f"agreement over {figures['values_compared']:,} values: max abs diff {figures['max_abs_diff']:.1e}, "
        f"max rel diff {figures['max_rel_diff']:.1e}, same NULLs: {figures['same_null_pattern']}"
    )
    return figures


if __name__ == "__main__":
    main()
