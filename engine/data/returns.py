"""Window return panels for the whole fund universe, built without a loop over funds.

Funds become integer codes and NAV rows are sorted by (fund, date). For each window, a fund's
rows from window start to window end form one contiguous group with id
`window_index * n_funds + fund_code`; concatenating the windows keeps rows sorted by group, so
every statistic is a grouped reduction (`GroupIndex`).

Conventions:
- A window of N years ends at the fund's last NAV on or before `as_of` and starts at its last
  NAV on or before the same calendar day N years before `as_of` (Feb 29 -> Feb 28). The start
  NAV is the base of the first return and not itself a return.
- No window when the last NAV is more than 31 days before `as_of`, when there is no NAV on or
  before the start day, or when the window holds fewer than 3 returns; `reason` says which.
- Frequency: median gap between all the fund's NAV dates on or before `as_of`:
  <= 4 days daily (252), <= 10 days weekly (52), else monthly (12).
- Benchmark levels are matched as of each fund date (last level on or before it); a level more
  than 31 days old counts as missing, so a stale benchmark never yields flat returns.
- Risk-free per period = annual % / 100 / periods_per_year, using the last rate on or before the
  period's end date; 0 when the table is empty or has no rate that early (the latter is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

TRADING_DAYS = 252
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12
DAILY_MAX_GAP_DAYS = 4
WEEKLY_MAX_GAP_DAYS = 10
STALE_AFTER_DAYS = 31
MIN_RETURNS = 3
PERCENT = 100.0
NO_DAY = np.iinfo(np.int64).min  # int64 days; viewed as datetime64 this is NaT
_KEY_SHIFT = 32  # composite sort key (code << 32) + day + offset, valid for codes < 2**31
_DAY_OFFSET = 1 << 31


def window_years(window: str) -> int:
    """Whole years in a window label: '3y' -> 3."""
    if not (window.endswith("y") and window[:-1].isdigit() and int(window[:-1]) > 0):
        raise ValueError(f"a window looks like '3y', got {window!r}")
    return int(window[:-1])


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; Feb 29 falls back to Feb 28."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def periods_per_year(median_gap_days: np.ndarray) -> np.ndarray:
    """Annualisation factor from the median NAV gap: <=4 days 252, <=10 days 52, else 12; NaN stays NaN."""
    gap = np.asarray(median_gap_days, dtype=float)
    factor = np.select(
        [gap <= DAILY_MAX_GAP_DAYS, gap <= WEEKLY_MAX_GAP_DAYS],
        [TRADING_DAYS, WEEKS_PER_YEAR],
        MONTHS_PER_YEAR,
    ).astype(float)
    factor[np.isnan(gap)] = np.nan
    return factor


def to_days(values: pd.Series) -> np.ndarray:
    """Dates as int64 days since 1970-01-01."""
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]").astype(np.int64)


def day_number(day: date) -> int:
    """One date as days since 1970-01-01."""
    return int(np.datetime64(day, "D").astype(np.int64))


def day_strings(days: np.ndarray) -> np.ndarray:
    """Int64 days as 'YYYY-MM-DD' strings (object array)."""
    return np.datetime_as_string(days.astype("datetime64[D]")).astype(object)


def sort_key(key: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(key, day) packed into one int64 that sorts like the pair; keys are codes >= 0."""
    return (key.astype(np.int64) << _KEY_SHIFT) + (day + _DAY_OFFSET)


def asof_index(
    left_key: np.ndarray, left_day: np.ndarray, right_key: np.ndarray, right_sort_key: np.ndarray
) -> np.ndarray:
    """Index of the last right row with the same key and day <= left day, else -1; right sorted by (key, day)."""
    index = np.searchsorted(right_sort_key, sort_key(left_key, left_day), side="right") - 1
    found = index >= 0
    found[found] = right_key[index[found]] == left_key[found]
    return np.where(found, index, -1)


def index_codes(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Position of each value in `index`, -1 if absent; each distinct value is looked up once."""
    inverse, uniques = pd.factorize(values)
    return np.append(index.get_indexer(uniques), -1)[inverse]


def take(values: np.ndarray, index: np.ndarray, fill: float | int) -> np.ndarray:
    """values[index], with `fill` where index is -1."""
    out = np.full(len(index), fill, dtype=values.dtype)
    found = index >= 0
    out[found] = values[index[found]]
    return out


def concat_ranges(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Concatenation of range(start[i], stop[i]) for all i, without a Python loop."""
    lengths = stop - start
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(start, lengths) + np.arange(lengths.sum()) - offsets


class GroupIndex:
    """Rows labelled by non-decreasing group codes 0..size-1; reductions give one value per group, NaN if empty."""

    def __init__(self, codes: np.ndarray, size: int) -> None:
        self.codes = codes
        self.size = size
        self.counts = np.bincount(codes, minlength=size).astype(float)
        self._starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
        self._present = codes[self._starts]

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum per group (0 for an empty group)."""
        return self._reduce(np.add, values, empty=0.0)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Arithmetic mean per group."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum(values) / self.counts

    def std(self, values: np.ndarray, ddof: int = 1) -> np.ndarray:
        """Standard deviation per group, two-pass, dividing by n - ddof (NaN when n <= ddof)."""
        centred = values - self.mean(values)[self.codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            variance = self.sum(centred * centred) / (self.counts - ddof)
        return np.sqrt(np.where(self.counts > ddof, variance, np.nan))

    def _reduce(self, ufunc: np.ufunc, values: np.ndarray, empty: float = np.nan) -> np.ndarray:
        out = np.full(self.size, empty)
        if len(values):
            out[self._present] = ufunc.reduceat(values.astype(float, copy=False), self._starts)
        return out

    def prod(self, values: np.ndarray) -> np.ndarray:
        """Product per group, in row order."""
        return self._reduce(np.multiply, values)

    def min(self, values: np.ndarray) -> np.ndarray:
        """Minimum per group."""
        return self._reduce(np.minimum, values)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Maximum per group."""
        return self._reduce(np.maximum, values)


@dataclass(frozen=True)
class WindowPanel:
    """One group per (window, fund) in gid order, and the NAV rows and returns of the valid groups."""

    groups: pd.DataFrame  # fund_id ... reason, benchmark_ok, benchmark_note
    level_gid: np.ndarray  # group of each window NAV row, start NAV included
    nav: np.ndarray
    ret_gid: np.ndarray  # group of each return (all window rows but the start NAV)
    fund_return: np.ndarray
    bench_return: np.ndarray  # NaN where the benchmark has no level
    risk_free: np.ndarray  # per period


def _benchmark_levels(
    funds: pd.DataFrame, benchmarks: pd.DataFrame, code: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Benchmark level of each NAV row's fund, as of the row's date; NaN if none within 31 days."""
    bench_ids = pd.Index(benchmarks["benchmark_id"].unique())
    row_bench = bench_ids.get_indexer(funds["benchmark_id"])[code]
    bench_code = index_codes(bench_ids, benchmarks["benchmark_id"])
    bench_day = to_days(benchmarks["date"])
    order = np.lexsort((bench_day, bench_code))
    bench_code, bench_day = bench_code[order], bench_day[order]
    bench_level = benchmarks["level"].to_numpy(float)[order]
    matched = row_bench >= 0
    index = np.full(len(code), -1)
    index[matched] = asof_index(
        row_bench[matched], day[matched], bench_code, sort_key(bench_code, bench_day)
    )
    fresh = (index >= 0) & (day - take(bench_day, index, NO_DAY) <= STALE_AFTER_DAYS)
    return np.where(fresh, take(bench_level, index, np.nan), np.nan)


def _risk_free_rates(risk_free: pd.DataFrame, day: np.ndarray) -> np.ndarray:
    """Annual % risk-free rate as of each day; 0 without a rate on or before it."""
    if risk_free.empty:
        return np.zeros(len(day))
    rf_day = to_days(risk_free["date"])
    order = np.argsort(rf_day, kind="stable")
    index = np.searchsorted(rf_day[order], day, side="right") - 1
    missing = index < 0
    if missing.any():
        log.warning("no risk-free rate on or before %d NAV dates; using 0 there", missing.sum())
    return np.where(missing, 0.0, risk_free["rate"].to_numpy(float)[order][index])


def _fund_reasons(
    window: str,
    as_of: date,
    last_row: np.ndarray,
    fresh: np.ndarray,
    start_row: np.ndarray,
    first_day: np.ndarray,
    n_returns: np.ndarray,
) -> np.ndarray:
    """Why each fund has no `window` (object array, None when the window is valid)."""
    short = "history shorter than " + window + " (first NAV " + day_strings(first_day) + ")"
    few = (
        "only "
        + n_returns.astype(str).astype(object)
        + f" returns in the {window} window (need at least {MIN_RETURNS})"
    )
    rules = [
        (last_row < 0, f"no NAV on or before {as_of}"),
        (~fresh, f"no NAV in the {STALE_AFTER_DAYS} days before {as_of}"),
        (start_row < 0, short),
        (n_returns < MIN_RETURNS, few),
    ]
    reason = np.full(len(last_row), None, dtype=object)
    for failed, message in reversed(rules):
        reason = np.where(failed, message, reason)
    return reason


def _sorted_nav(
    fund_ids: pd.Index, nav: pd.DataFrame, as_of_day: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fund code, day and NAV of the rows on or before as_of, sorted by (fund, day), one per day."""
    code = index_codes(fund_ids, nav["fund_id"])
    day = to_days(nav["date"])
    keep = (code >= 0) & (day <= as_of_day)
    code, day, value = code[keep], day[keep], nav["nav"].to_numpy(float)[keep]
    step_code, step_day = np.diff(code), np.diff(day)
    if not np.all((step_code > 0) | ((step_code == 0) & (step_day >= 0))):
        order = np.lexsort((day, code))
        code, day, value = code[order], day[order], value[order]
    if len(code):  # on a repeated (fund, date) the last row wins
        unique = np.r_[(code[1:] != code[:-1]) | (day[1:] != day[:-1]), True]
        code, day, value = code[unique], day[unique], value[unique]
    return code, day, value


def _fund_bounds(code: np.ndarray, n_funds: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last row of each fund in rows sorted by fund (-1 for a fund without rows)."""
    first_row = np.full(n_funds, -1)
    last_row = np.full(n_funds, -1)
    if len(code):
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
        first_row[code[starts]] = starts
        last_row[code[starts]] = np.r_[starts[1:] - 1, len(code) - 1]
    return first_row, last_row


def _fund_frequency(code: np.ndarray, day: np.ndarray, n_funds: int) -> np.ndarray:
    """Periods per year of each fund from the median gap between its NAV dates."""
    within = code[1:] == code[:-1]
    gaps = pd.Series(np.diff(day)[within]).groupby(code[1:][within]).median()
    return periods_per_year(gaps.reindex(range(n_funds)).to_numpy(float))


def _next_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True at or after each position (len(mask) if none)."""
    positions = np.where(mask, np.arange(len(mask)), len(mask))
    return np.minimum.accumulate(positions[::-1])[::-1]


def _benchmark_notes(bench_id: pd.Series, uncovered: np.ndarray, gap_day: np.ndarray) -> np.ndarray:
    """'no benchmark assigned', or the first window date without a recent benchmark level, else None."""
    ids = bench_id.astype(object).fillna("").to_numpy(object)
    no_level = (
        "benchmark "
        + ids
        + f" has no level within {STALE_AFTER_DAYS} days before "
        + day_strings(gap_day)
    )
    return np.where(ids == "", "no benchmark assigned", np.where(uncovered, no_level, None))


def build_panel(
    funds: pd.DataFrame,
    nav: pd.DataFrame,
    benchmarks: pd.DataFrame,
    risk_free: pd.DataFrame,
    as_of: date,
    windows: Sequence[str],
) -> WindowPanel:
    """Window groups and aligned fund, benchmark and risk-free returns for every fund and window."""
    fund_ids = pd.Index(funds["fund_id"])
    n_funds = len(fund_ids)
    as_of_day = day_number(as_of)
    code, day, value = _sorted_nav(fund_ids, nav, as_of_day)
    first_row, last_row = _fund_bounds(code, n_funds)
    first_day = take(day, first_row, NO_DAY)
    last_day = take(day, last_row, NO_DAY)
    fresh = (last_row >= 0) & (as_of_day - last_day <= STALE_AFTER_DAYS)
    fund_ppy = _fund_frequency(code, day, n_funds)

    level = _benchmark_levels(funds, benchmarks, code, day)
    with np.errstate(invalid="ignore"):
        # Row i's return is from row i-1; only used where both rows lie in the same window.
        fund_return = value / np.r_[np.nan, value[:-1]] - 1.0
        bench_return = level / np.r_[np.nan, level[:-1]] - 1.0
        risk_free_return = _risk_free_rates(risk_free, day) / PERCENT / fund_ppy[code]
    no_level = np.isnan(level)
    no_level_before = np.r_[0, np.cumsum(no_level)]  # rows without a level before each row
    next_no_level = _next_true(no_level)

    frames, level_rows, level_gids, ret_rows, ret_gids = [], [], [], [], []
    fund_codes = np.arange(n_funds)
    nav_key = sort_key(code, day)
    for w_index, window in enumerate(windows):
        start_day = day_number(years_before(as_of, window_years(window)))
        start_row = asof_index(fund_codes, np.full(n_funds, start_day), code, nav_key)
        opened = fresh & (start_row >= 0)
        n_returns = np.where(opened, last_row - start_row, 0)
        reason = _fund_reasons(window, as_of, last_row, fresh, start_row, first_day, n_returns)
        valid = pd.isna(reason)
        levels_missing = take(no_level_before, last_row + 1, 0) - take(
            no_level_before, start_row, 0
        )
        bench_ok = valid & (levels_missing == 0)
        gap_row = np.where(valid & ~bench_ok, take(next_no_level, start_row, -1), -1)
        frames.append(
            pd.DataFrame(
                {
                    "fund_id": fund_ids,
                    "window": window,
                    "category": funds["category"].to_numpy(),
                    "start_date": np.where(opened, take(day, start_row, NO_DAY), NO_DAY),
                    "end_date": last_day,
                    "n_returns": pd.array(np.where(opened, n_returns, None), dtype="Int64"),
                    "periods_per_year": fund_ppy,
                    "reason": reason,
                    "benchmark_ok": bench_ok,
                    "benchmark_note": _benchmark_notes(
                        funds["benchmark_id"], valid & ~bench_ok, take(day, gap_row, NO_DAY)
                    ),
                }
            )
        )
        group_id = w_index * n_funds + fund_codes[valid]
        first, last, count = start_row[valid], last_row[valid], n_returns[valid]
        level_rows.append(concat_ranges(first, last + 1))
        level_gids.append(np.repeat(group_id, count + 1))
        ret_rows.append(concat_ranges(first + 1, last + 1))
        ret_gids.append(np.repeat(group_id, count))

    groups = pd.concat(frames, ignore_index=True)
    for column in ("start_date", "end_date"):
        groups[column] = groups[column].to_numpy().astype("datetime64[D]").astype("datetime64[s]")
    level_row, ret_row = np.concatenate(level_rows), np.concatenate(ret_rows)
    return WindowPanel(
        groups=groups,
        level_gid=np.concatenate(level_gids),
        nav=value[level_row],
        ret_gid=np.concatenate(ret_gids),
        fund_return=fund_return[ret_row],
        bench_return=bench_return[ret_row],
        risk_free=risk_free_return[ret_row],
    )
