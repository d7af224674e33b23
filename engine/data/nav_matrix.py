"""All funds' NAVs as one funds x days matrix, where every window is a slice of day columns.

Columns are the distinct NAV days after the earliest window start day, up to as_of, behind
column 0, which holds each fund's last NAV on or before that start day (at its own date). Each
cell holds the fund's last NAV (and benchmark level) on or before the column's day, so a fund's
return on a day without its own NAV is exactly 0 and drops out of every sum; a weight of 1 marks
its real returns. A window's start column is the last one on or before its start day, and every
window ends at the last column: windows are nested suffixes of the columns, so each segment
between two window starts is reduced once and a window's sum adds up the segments from its
start on.

Second moments are sums of squares about a per-fund shift c, the mean of the newest segment
(which every window holds): M2 = sum((x - c)^2) - sum(x - c)^2 / n, free of the cancellation of
raw sums of squares. Funds are taken in blocks of rows that keep each block's arrays in cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data.returns import NO_DAY, PERCENT, BenchmarkLevels, fund_frequency, risk_free_rates

BLOCK_CELLS = 1 << 17  # matrix cells per block of funds: a block's arrays stay in cache
_SCAN_ROWS = 1 << 18  # NAV rows per step when marking the days that have a NAV
# Sums over each window's returns, shape (windows, funds). For x in r (fund), e (r - rf),
# b (benchmark), a (r - b): `c_x` the shift, `s1_x` = sum(x - c), `s2_x` = sum((x - c)^2).
SUM_KEYS: tuple[str, ...] = (
    "n",  # returns
    "growth",  # prod(1 + r)
    *(f"{stat}_{x}" for x in "rbea" for stat in ("c", "s1", "s2")),
    "s_rb",  # sum((r - c_r) * (b - c_b))
    "rf",  # sum(rf)
    "shortfall2",  # sum(min(e, 0)^2)
    "mrar",  # sum(((1 + rf) / (1 + r))^gamma), i.e. of (1 + excess)^-gamma
    "n_up",  # periods with b > 0
    "growth_up",  # prod(1 + r) over them
    "bench_growth_up",  # prod(1 + b) over them
    "n_down",
    "growth_down",
    "bench_growth_down",
    "max_drawdown",  # min(NAV / running max NAV - 1), the start NAV included
)


@dataclass(frozen=True)
class WindowSums:
    """Per fund, and per window and fund (shape (windows, funds)): frequency, start, gaps, sums."""

    periods: np.ndarray  # per fund: periods per year (`fund_frequency`)
    start_day: np.ndarray  # day of the start NAV; NO_DAY without a NAV on or before the start
    gap_day: np.ndarray  # first window NAV (start included) without a benchmark level, or NO_DAY
    sums: dict[str, np.ndarray]


@dataclass(frozen=True)
class _Days:
    """The day columns and what is known per day."""

    earliest: int  # day of column 0: the earliest window start day
    column: np.ndarray  # day - earliest (0 for earlier days) -> its column
    count: int
    first_columns: np.ndarray  # per window: the column after its start column
    levels: np.ndarray  # benchmark level per (table column, day column), flattened
    level_column: np.ndarray  # benchmark code (-1: none, the last entry) -> table column
    rf: np.ndarray  # per day column from column 1: risk-free rate as a fraction per year


class _Suffixes:
    """Reductions over each window's days (columns 1..; windows are suffixes of them)."""

    def __init__(self, first_columns: np.ndarray, n_columns: int) -> None:
        starts = np.unique(first_columns[first_columns < n_columns])
        self.bounds = starts - 1  # positions in arrays that begin at column 1
        self.pick = np.searchsorted(starts, first_columns)  # len(starts): an empty window
        self.newest = int(self.bounds[-1]) if len(starts) else n_columns - 1

    def _windows(self, ufunc: np.ufunc, values: np.ndarray, identity: float, dtype) -> np.ndarray:
        out = np.full((len(values), len(self.bounds) + 1), identity, dtype=dtype)
        if len(self.bounds):
            segments = ufunc.reduceat(values, self.bounds, axis=1, dtype=dtype)
            ufunc.accumulate(segments[:, ::-1], axis=1, out=out[:, -2::-1])
        return out[:, self.pick].T

    def sum(self, values: np.ndarray, dtype=np.float64) -> np.ndarray:
        """Sum per window of funds x days values (shape (windows, funds))."""
        return self._windows(np.add, values, 0, dtype)

    def prod(self, values: np.ndarray) -> np.ndarray:
        """Product per window."""
        return self._windows(np.multiply, values, 1.0, np.float64)


def _days(
    day: np.ndarray,
    start_days: np.ndarray,
    bench: np.ndarray,
    levels: BenchmarkLevels,
    risk_free: pd.DataFrame,
) -> _Days:
    """Day columns: the earliest start day and every later day with a NAV."""
    earliest = int(start_days.min())
    span = max(int(day.max()) - earliest + 1, 1) if len(day) else 1
    occupied = np.zeros(span, bool)
    occupied[0] = True
    for lo in range(0, len(day), _SCAN_ROWS):
        occupied[np.maximum(day[lo : lo + _SCAN_ROWS] - earliest, 0)] = True
    days = np.flatnonzero(occupied) + earliest
    used = np.unique(bench[bench >= 0])
    level_column = np.full(len(levels.ids) + 1, len(used))
    level_column[used] = np.arange(len(used))
    table = levels.asof(np.repeat(used, len(days)), np.tile(days, len(used)))
    return _Days(
        earliest=earliest,
        column=np.cumsum(occupied) - 1,
        count=len(days),
        first_columns=np.searchsorted(days, start_days, side="right"),
        levels=np.concatenate([table, np.full(len(days), np.nan)]),
        level_column=level_column,
        rf=risk_free_rates(risk_free, days[1:]) / PERCENT,
    )


def _centred(
    values: np.ndarray, weight: np.ndarray, n_newest: np.ndarray, suffixes: _Suffixes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shift c (mean of the newest segment), sum(x - c) and sum((x - c)^2) per window, and x - c."""
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(n_newest > 0, values[:, suffixes.newest :].sum(axis=1) / n_newest, 0.0)
    centred = np.subtract(values, shift[:, None])
    centred *= weight
    s1 = suffixes.sum(centred)
    s2 = suffixes.sum(centred * centred)
    return np.broadcast_to(shift, s1.shape), s1, s2, centred


def _max_drawdowns(nav: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """min(NAV / running max NAV) - 1 from each window's start column on, per window and fund
    (shape (windows, funds)). The running max is taken once per segment between two window
    starts; in a later segment a window's peak is the larger of that and its earlier segments'."""
    bounds = np.unique(starts)
    segments = [nav[:, lo:hi] for lo, hi in zip(bounds, [*bounds[1:], nav.shape[1]], strict=True)]
    running = [np.maximum.accumulate(part, axis=1) for part in segments]
    lowest = np.empty((len(bounds), len(nav)))  # per window start: the lowest NAV / peak
    for k in range(len(bounds)):
        low = (segments[k] / running[k]).min(axis=1)
        peak = running[k][:, -1]
        for j in range(k + 1, len(bounds)):
            low = np.minimum(low, (segments[j] / np.maximum(running[j], peak[:, None])).min(axis=1))
            peak = np.maximum(peak, running[j][:, -1])
        lowest[k] = low
    return lowest[np.searchsorted(bounds, starts)] - 1.0


def _block(
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    bench: np.ndarray,
    days: _Days,
    suffixes: _Suffixes,
    levels: BenchmarkLevels,
    gamma: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Periods, start days, gap days and sums of a block of funds from its NAV rows.

    `rows` are (fund, day, NAV) sorted by (fund, day), funds numbered 0..width-1."""
    code, day, value = rows
    width, n_columns = len(bench), days.count
    offset = day - days.earliest
    after = offset > 0
    column = days.column[np.maximum(offset, 0)]
    # On or before the earliest start day only a fund's last NAV counts (in column 0); the
    # others go to a spare column at the end.
    column[:-1][~after[1:] & (code[1:] == code[:-1])] = n_columns
    # Row numbers as int32 while they fit: the fill, scatter, running max and steps below move
    # half the bytes; the gathers then take them as intp.
    rows_type = np.int32 if len(code) < np.iinfo(np.int32).max else np.intp
    last = np.full((width, n_columns + 1), -1, dtype=rows_type)
    last.ravel()[code * (n_columns + 1) + column] = np.arange(len(code), dtype=rows_type)
    last = last[:, :n_columns]
    # Before its first NAV a fund's cells point at that NAV too (funds without NAV: past the
    # end, NaN), so `last` steps by exactly 1 where a real return is.
    first_row = np.searchsorted(code, np.arange(width + 1))
    first_row = np.where(first_row[1:] > first_row[:-1], first_row[:-1], len(code))
    first_column = np.where(last[:, 0] >= 0, 0, np.append(column, n_columns)[first_row])
    np.maximum(last[:, 0], first_row, out=last[:, 0])
    np.maximum.accumulate(last, axis=1, out=last)  # each cell: the fund's last NAV row so far
    weight = np.diff(last, axis=1).astype(float)  # 1 on a real return, else 0
    last = last.astype(np.intp)
    row_level = days.levels[
        days.level_column[bench][code] * n_columns + np.minimum(column, n_columns - 1)
    ]
    first = np.flatnonzero(column == 0)
    row_level[first] = levels.asof(bench[code[first]], day[first])
    row_level = np.append(row_level, np.nan)
    nav, level = np.append(value, np.nan)[last], row_level[last]
    periods = fund_frequency(code, day, width)

    starts = last[:, days.first_columns - 1].T  # start NAV row of each window and fund
    has_start = first_column <= days.first_columns[:, None] - 1
    n_newest = last[:, -1] - last[:, suffixes.newest]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r = nav[:, 1:] / nav[:, :-1]
        r -= 1.0
        b = level[:, 1:] / level[:, :-1]
        b -= 1.0
        rf = days.rf / periods[:, None]
        rf *= weight
        growth = 1.0 + r

        sums: dict[str, np.ndarray] = {
            "n": (last[:, -1] - starts).astype(float),
            "growth": suffixes.prod(growth),
            "rf": suffixes.sum(rf),
        }
        centred = {}
        for name, values in (("r", r), ("b", b)):
            shift, s1, s2, centred[name] = _centred(values, weight, n_newest, suffixes)
            sums |= {f"c_{name}": shift, f"s1_{name}": s1, f"s2_{name}": s2}
        # e = r - rf and a = r - b are centred by the shifts of their parts: c_e = c_r (rf is far
        # smaller than r's spread), c_a = c_r - c_b.
        for name, values, shift in (
            ("e", centred["r"] - rf, sums["c_r"]),
            ("a", centred["r"] - centred["b"], sums["c_r"] - sums["c_b"]),
        ):
            sums |= {
                f"c_{name}": shift,
                f"s1_{name}": suffixes.sum(values),
                f"s2_{name}": suffixes.sum(values * values),
            }
        sums["s_rb"] = suffixes.sum(centred["r"] * centred["b"])
        shortfall = np.minimum(r - rf, 0.0)
        sums["shortfall2"] = suffixes.sum(shortfall * shortfall)
        mrar = (1.0 + rf) / growth
        mrar **= gamma
        mrar *= weight
        sums["mrar"] = suffixes.sum(mrar)
        for side, on_side in (("up", b > 0), ("down", b < 0)):
            sums[f"n_{side}"] = suffixes.sum(on_side, dtype=np.int64)
            for key, values in ((f"growth_{side}", r), (f"bench_growth_{side}", b)):
                factor = values * on_side
                factor += 1.0
                sums[key] = suffixes.prod(factor)
        sums["max_drawdown"] = _max_drawdowns(nav, days.first_columns - 1)

    start_day = np.where(has_start, np.append(day, NO_DAY)[starts], NO_DAY)
    # A level is missing somewhere in a window when its start level or a benchmark return is NaN.
    gaps = has_start & (np.isnan(row_level[starts]) | np.isnan(sums["s1_b"]))
    gap_day = np.full(gaps.shape, NO_DAY)
    for w, start in enumerate(days.first_columns - 1):
        if gaps[w].any():
            funds = np.flatnonzero(gaps[w])
            first_gap = start + np.isnan(level[funds, start:]).argmax(axis=1)
            gap_day[w, funds] = day[last[funds, first_gap]]
    return periods, start_day, gap_day, sums


def window_sums(
    code: np.ndarray,
    day: np.ndarray,
    value: np.ndarray,
    n_funds: int,
    start_days: Sequence[int],
    bench: np.ndarray,
    levels: BenchmarkLevels,
    risk_free: pd.DataFrame,
    gamma: float,
) -> WindowSums:
    """Window sums for every fund and window start day, from NAV rows sorted by (fund, day).

    `bench` is each fund's benchmark code in `levels` (-1 for none); the risk-free rate per
    period is the annual rate / 100 / the fund's periods per year."""
    starts = np.asarray(start_days, dtype=np.int64)
    shape = (len(starts), n_funds)
    out = WindowSums(
        periods=np.full(n_funds, np.nan),
        start_day=np.full(shape, NO_DAY),
        gap_day=np.full(shape, NO_DAY),
        sums={key: np.full(shape, np.nan) for key in SUM_KEYS},
    )
    if n_funds == 0:
        return out
    days = _days(day, starts, bench, levels, risk_free)
    suffixes = _Suffixes(days.first_columns, days.count)
    fund_offset = np.searchsorted(code, np.arange(n_funds + 1))
    step = max(1, BLOCK_CELLS // days.count)
    for f0 in range(0, n_funds, step):
        f1 = min(f0 + step, n_funds)
        lo, hi = fund_offset[f0], fund_offset[f1]
        rows = (code[lo:hi] - f0, day[lo:hi], value[lo:hi])
        periods, start_day, gap_day, sums = _block(
            rows, bench[f0:f1], days, suffixes, levels, gamma
        )
        out.periods[f0:f1] = periods
        out.start_day[:, f0:f1] = start_day
        out.gap_day[:, f0:f1] = gap_day
        for key in SUM_KEYS:
            out.sums[key][:, f0:f1] = sums[key]
    return out
