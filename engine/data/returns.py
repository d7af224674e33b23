"""Return conventions, and the per-fund facts windows are built from, for the whole universe at once.

Funds become integer codes and NAV rows are sorted by (fund, date) (`sorted_nav`);
`engine.data.nav_matrix` lays them out as a funds x days matrix where every window is a slice.

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
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
# A gap longer than this cannot bring a median down to WEEKLY_MAX_GAP_DAYS (gaps are >= 1 day),
# so gaps are capped here before the per-fund median is counted.
_GAP_CAP = 2 * WEEKLY_MAX_GAP_DAYS
_MAX_RUN_SHARE = 0.25  # above this share of runs, fund ids are hashed instead of run-encoded


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
    dates = values.to_numpy()
    if not np.issubdtype(dates.dtype, np.datetime64):
        dates = pd.to_datetime(values).to_numpy()
    return dates.astype("datetime64[D]").view(np.int64)


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


def _run_starts(values: pd.Series) -> np.ndarray | None:
    """Where each run of equal neighbouring strings starts, or None when runs would not pay off."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray) or len(values) < 2:
        return None
    strings = pa.array(values)
    changed = pc.fill_null(pc.not_equal(strings[1:], strings[:-1]), True)
    starts = np.flatnonzero(changed.to_numpy(zero_copy_only=False)) + 1
    starts = np.concatenate([[0], starts])
    return starts if len(starts) <= _MAX_RUN_SHARE * len(values) else None


def index_codes(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Position of each value in `index`, -1 if absent; each run (or distinct value) is looked up once."""
    starts = _run_starts(values)
    if starts is not None:
        found = index.get_indexer(values.iloc[starts])
        return np.repeat(found, np.diff(np.r_[starts, len(values)]))
    inverse, uniques = pd.factorize(values)
    return np.append(index.get_indexer(uniques), -1)[inverse]


def take(values: np.ndarray, index: np.ndarray, fill: float | int) -> np.ndarray:
    """values[index], with `fill` where index is -1."""
    out = np.full(len(index), fill, dtype=values.dtype)
    found = index >= 0
    out[found] = values[index[found]]
    return out


def sorted_nav(
    fund_ids: pd.Index, nav: pd.DataFrame, as_of_day: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fund code, day and NAV of the rows on or before as_of, sorted by (fund, day), one per day."""
    code = index_codes(fund_ids, nav["fund_id"])
    day = to_days(nav["date"])
    value = nav["nav"].to_numpy(float)
    if len(code) and (code.min() < 0 or day.max() > as_of_day):
        keep = (code >= 0) & (day <= as_of_day)
        code, day, value = code[keep], day[keep], value[keep]
    later = (code[1:] > code[:-1]) | (day[1:] > day[:-1])
    if not (later & (code[1:] >= code[:-1])).all():  # not sorted, or a (fund, date) repeated
        order = np.lexsort((day, code))
        code, day, value = code[order], day[order], value[order]
        # on a repeated (fund, date) the last row wins
        unique = np.append((code[1:] != code[:-1]) | (day[1:] != day[:-1]), True)
        code, day, value = code[unique], day[unique], value[unique]
    return code, day, value


def fund_bounds(code: np.ndarray, n_funds: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last row of each fund in rows sorted by fund (-1 for a fund without rows)."""
    offset = np.searchsorted(code, np.arange(n_funds + 1))
    has_rows = offset[1:] > offset[:-1]
    return np.where(has_rows, offset[:-1], -1), np.where(has_rows, offset[1:] - 1, -1)


def fund_frequency(code: np.ndarray, day: np.ndarray, n_funds: int) -> np.ndarray:
    """Periods per year of each fund from the median gap between its NAV dates (NaN with one date).

    The median is counted from a histogram of gaps per fund; capping gaps at 20 days changes no
    median that decides a factor (<= 4 or <= 10 days)."""
    bins = _GAP_CAP + 1
    key = np.minimum(np.diff(day), _GAP_CAP)
    key += code[1:] * bins
    key[code[1:] != code[:-1]] = n_funds * bins  # a spare bin for the step between two funds
    counts = np.bincount(key, minlength=n_funds * bins + 1)[: n_funds * bins]
    at_most = np.cumsum(counts.reshape(n_funds, bins), axis=1)  # gaps <= each day count
    n = at_most[:, -1]
    lower = (at_most < ((n + 1) // 2)[:, None]).sum(axis=1)  # the (n+1)//2-th smallest gap
    upper = (at_most < (n // 2 + 1)[:, None]).sum(axis=1)  # the n//2+1-th smallest gap
    return periods_per_year(np.where(n > 0, (lower + upper) / 2.0, np.nan))


@dataclass(frozen=True)
class BenchmarkLevels:
    """Benchmark levels sorted by (benchmark code, day), looked up as of a day."""

    ids: pd.Index
    code: np.ndarray
    day: np.ndarray
    level: np.ndarray
    key: np.ndarray  # sort_key(code, day)

    @classmethod
    def of(cls, benchmarks: pd.DataFrame) -> BenchmarkLevels:
        """Levels from a frame with benchmark_id, date and level."""
        ids = pd.Index(benchmarks["benchmark_id"].unique())
        code = index_codes(ids, benchmarks["benchmark_id"])
        day = to_days(benchmarks["date"])
        order = np.lexsort((day, code))
        code, day = code[order], day[order]
        level = benchmarks["level"].to_numpy(float)[order]
        return cls(ids, code, day, level, sort_key(code, day))

    def asof(self, bench: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Level of benchmark code `bench` as of `day`: NaN for code -1, or none within 31 days."""
        matched = bench >= 0
        index = np.full(len(bench), -1)
        index[matched] = asof_index(bench[matched], day[matched], self.code, self.key)
        fresh = (index >= 0) & (day - take(self.day, index, NO_DAY) <= STALE_AFTER_DAYS)
        return np.where(fresh, take(self.level, index, np.nan), np.nan)


def risk_free_rates(risk_free: pd.DataFrame, day: np.ndarray) -> np.ndarray:
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


def fund_reasons(
    window: str,
    as_of: date,
    has_nav: np.ndarray,
    fresh: np.ndarray,
    has_start: np.ndarray,
    first_day: np.ndarray,
    n_returns: np.ndarray,
) -> np.ndarray:
    """Why each fund has no `window` (object array, None when the window is valid); the first
    failed rule names it."""
    rules = [
        (~has_nav, lambda _: f"no NAV on or before {as_of}"),
        (~fresh, lambda _: f"no NAV in the {STALE_AFTER_DAYS} days before {as_of}"),
        (
            ~has_start,
            lambda rows: (
                f"history shorter than {window} (first NAV " + day_strings(first_day[rows]) + ")"
            ),
        ),
        (
            n_returns < MIN_RETURNS,
            lambda rows: (
                "only "
                + n_returns[rows].astype(str).astype(object)
                + f" returns in the {window} window (need at least {MIN_RETURNS})"
            ),
        ),
    ]
    reason = np.full(len(has_nav), None, dtype=object)
    named = np.zeros(len(has_nav), bool)
    for failed, message in rules:
        rows = np.flatnonzero(failed & ~named)
        if len(rows):
            reason[rows] = message(rows)
            named[rows] = True
    return reason


def benchmark_notes(bench_id: pd.Series, uncovered: np.ndarray, gap_day: np.ndarray) -> np.ndarray:
    """'no benchmark assigned', or the first window date without a recent benchmark level, else None."""
    ids = bench_id.astype(object).fillna("").to_numpy(object)
    notes = np.where(ids == "", "no benchmark assigned", None).astype(object)
    rows = np.flatnonzero(uncovered & (ids != ""))
    notes[rows] = (
        "benchmark "
        + ids[rows]
        + f" has no level within {STALE_AFTER_DAYS} days before "
        + day_strings(gap_day[rows])
    )
    return notes
