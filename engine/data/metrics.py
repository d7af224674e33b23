"""Trailing-window fund indicators for the whole universe at once, matching empyrical-reloaded.

One row per (fund, window). Windows, frequency detection, benchmark and risk-free matching are
described in `engine.data.returns`; every indicator below comes from window sums taken in one
pass over a funds x days matrix (`engine.data.nav_matrix`). Over a window's n simple returns r_t
of the fund's NAV on its own dates, benchmark returns b_t on that grid and per-period risk-free
rf_t, with ann = periods_per_year and sample standard deviations (ddof 1):

    cum_return         prod(1 + r) - 1
    ann_return         (1 + cum_return)^(ann / n) - 1
    volatility         std(r) * sqrt(ann)
    sharpe             mean(r - rf) / std(r - rf) * sqrt(ann)
    sortino            mean(r - rf) * ann / (sqrt(mean(min(r - rf, 0)^2)) * sqrt(ann))
    max_drawdown       min(NAV_t / running max NAV - 1); the start NAV is the first peak, as
                       in empyrical (it anchors the cumulative series before the first return)
    calmar             ann_return / -max_drawdown, NULL when max_drawdown is 0
    beta               Cov(r, b) / Var(b), population moments; empyrical ignores rf here
    alpha              (1 + mean((r - rf) - beta * (b - rf)))^ann - 1   (Jensen, geometric)
    tracking_error     std(r - b) * sqrt(ann)
    information_ratio  mean(r - b) * ann / tracking_error
    up_capture         annualised return of r / of b over the periods with b > 0 (n = those)
    down_capture       the same over the periods with b < 0
    mrar               ER_t = (1 + r_t) / (1 + rf_t) - 1,
                       mean((1 + ER_t)^-gamma)^(-ann / gamma) - 1 with gamma = 2 (Morningstar)

Values are fractions (0.12 = 12 %). An undefined indicator (zero dispersion, no down periods,
...) is NULL rather than infinite. Like empyrical, Sharpe and information ratio treat identical
values as zero dispersion; unlike it, values equal up to rounding noise (per-period std <= 1e-12)
count as identical too, so a fixed-accrual fund gets NULL instead of a Sharpe of 1e13. A row that cannot be computed has NULL indicators and a
`reason`; a row without usable benchmark data has NULL relative indicators and a
`benchmark_note`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from engine.data.nav_matrix import WindowSums, window_sums
from engine.data.returns import (
    NO_DAY,
    STALE_AFTER_DAYS,
    BenchmarkLevels,
    benchmark_notes,
    day_number,
    fund_bounds,
    fund_reasons,
    sorted_nav,
    take,
    window_years,
    years_before,
)
from store import prices
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

WINDOWS: tuple[str, ...] = ("1y", "3y", "5y")
RISK_GRADE_WINDOW = "3y"
MRAR_GAMMA = 2.0
MIN_BENCHMARK_VARIANCE = 1.0e-30  # empyrical's beta treats a smaller variance as zero
# Returns are NAV ratios minus 1, so their rounding noise is absolute (~1e-16 per value); a
# per-period std at or below this is noise, not dispersion.
NOISE_DISPERSION = 1.0e-12
PERCENTILE_SCALE = 100.0
# 투자위험등급 from 3-year annualised volatility: strictly above the bound -> grade.
RISK_GRADE_BANDS: tuple[tuple[float, int], ...] = (
    (0.25, 1),
    (0.15, 2),
    (0.10, 3),
    (0.05, 4),
    (0.005, 5),
)
LOWEST_RISK_GRADE = 6


class Indicator(NamedTuple):
    """Display metadata: labels, direction, unit ('%': a fraction shown as percent; 'ratio').

    Direction is a convention for ranking displays: lower beta, volatility, tracking error and
    down capture count as better; max_drawdown is negative, so higher (closer to 0) is better.
    """

    label: str
    label_ko: str
    higher_is_better: bool
    unit: str


INDICATORS: dict[str, Indicator] = {
    "cum_return": Indicator("Cumulative return", "누적수익률", True, "%"),
    "ann_return": Indicator("Annualised return", "연환산수익률", True, "%"),
    "volatility": Indicator("Annualised volatility", "연환산변동성", False, "%"),
    "sharpe": Indicator("Sharpe ratio", "샤프지수", True, "ratio"),
    "sortino": Indicator("Sortino ratio", "소르티노지수", True, "ratio"),
    "max_drawdown": Indicator("Maximum drawdown", "최대낙폭", True, "%"),
    "calmar": Indicator("Calmar ratio", "칼마지수", True, "ratio"),
    "beta": Indicator("Beta", "베타", False, "ratio"),
    "alpha": Indicator("Jensen's alpha", "젠센알파", True, "%"),
    "tracking_error": Indicator("Tracking error", "추적오차", False, "%"),
    "information_ratio": Indicator("Information ratio", "정보비율", True, "ratio"),
    "up_capture": Indicator("Up-market capture", "상승장 참여율", True, "%"),
    "down_capture": Indicator("Down-market capture", "하락장 참여율", False, "%"),
    "mrar": Indicator("Morningstar risk-adjusted return (γ=2)", "위험조정수익률(MRAR)", True, "%"),
}
RELATIVE_INDICATORS = (
    "beta",
    "alpha",
    "tracking_error",
    "information_ratio",
    "up_capture",
    "down_capture",
)
_LEADING = [
    "fund_id",
    "window",
    "category",
    "start_date",
    "end_date",
    "n_returns",
    "periods_per_year",
]
_TRAILING = ["risk_grade", "reason", "benchmark_note"]
COLUMNS = _LEADING + list(INDICATORS) + _TRAILING + [f"{key}_pct" for key in INDICATORS]


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the given column dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


@dataclass
class MetricInputs:
    """Frames the indicators are computed from, with the store's column names; the last two may be empty."""

    funds: pd.DataFrame  # fund_id, category, benchmark_id
    nav: pd.DataFrame  # fund_id, date, nav
    benchmarks: pd.DataFrame = field(
        default_factory=lambda: _empty(
            {"benchmark_id": "object", "date": "datetime64[s]", "level": "float"}
        )
    )
    risk_free: pd.DataFrame = field(
        default_factory=lambda: _empty({"date": "datetime64[s]", "rate": "float"})
    )


def load_inputs(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> MetricInputs:
    """Funds, NAVs, benchmark levels and risk-free rates from the store, dated on or before `as_of`."""
    until = as_of or date.max
    return MetricInputs(
        funds=prices.fund_categories(con),
        nav=prices.nav_until(con, until),
        benchmarks=prices.benchmark_levels_until(con, until),
        risk_free=prices.risk_free_until(con, until),
    )


def latest_nav_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The most recent NAV date in the store (None when there is no NAV)."""
    return prices.latest_nav_date(con)


def indicators(
    home: Home, as_of: date | None = None, windows: Sequence[str] = WINDOWS
) -> pd.DataFrame:
    """`compute_indicators` on the store in `home`; as_of defaults to its latest NAV date."""
    with connect(home) as con:
        as_of = as_of or latest_nav_date(con)
        if as_of is None:
            as_of = date.today()
            log.info("the store holds no NAV; computing indicators as of today")
        inputs = load_inputs(con, as_of)
    return compute_indicators(inputs, as_of, windows)


def _dispersion(std: np.ndarray) -> np.ndarray:
    """A per-period std, 0 where it is rounding noise (<= 1e-12)."""
    return np.where(std <= NOISE_DISPERSION, 0.0, std)


def _moments(sums: dict[str, np.ndarray], x: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and second moment about it, sum((x - mean)^2), of series x in each window."""
    n, s1 = sums["n"], sums[f"s1_{x}"]
    return sums[f"c_{x}"] + s1 / n, np.maximum(sums[f"s2_{x}"] - s1 * s1 / n, 0.0)


def _capture(sums: dict[str, np.ndarray], side: str, ann: np.ndarray) -> np.ndarray:
    """empyrical capture on the chosen periods: annual_return(r) / annual_return(b), both over those n periods."""
    n = sums[f"n_{side}"]
    fund = sums[f"growth_{side}"] ** (ann / n) - 1.0
    bench = sums[f"bench_growth_{side}"] ** (ann / n) - 1.0
    return np.where(n > 0, fund / bench, np.nan)


def _indicator_values(
    sums: dict[str, np.ndarray], ann: np.ndarray, computed: np.ndarray, benchmark_ok: np.ndarray
) -> dict[str, np.ndarray]:
    """Every indicator from the window sums (shape (windows, funds)) and each fund's periods per
    year `ann`, NaN where undefined."""
    n = sums["n"]
    root_ann = np.sqrt(ann)
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean_r, m2_r = _moments(sums, "r")
        mean_e, m2_e = _moments(sums, "e")
        mean_b, m2_b = _moments(sums, "b")
        mean_a, m2_a = _moments(sums, "a")
        out["cum_return"] = sums["growth"] - 1.0
        out["ann_return"] = (1.0 + out["cum_return"]) ** (ann / n) - 1.0
        out["volatility"] = np.sqrt(m2_r / (n - 1)) * root_ann
        out["sharpe"] = mean_e / _dispersion(np.sqrt(m2_e / (n - 1))) * root_ann
        out["sortino"] = mean_e * ann / (np.sqrt(sums["shortfall2"] / n) * root_ann)
        out["max_drawdown"] = sums["max_drawdown"]
        out["calmar"] = np.where(
            out["max_drawdown"] < 0, out["ann_return"] / -out["max_drawdown"], np.nan
        )

        # empyrical's beta ignores risk_free: Cov(r, b) / Var(b) with population moments.
        bench_variance = m2_b / n
        bench_variance[bench_variance < MIN_BENCHMARK_VARIANCE] = np.nan
        s1_r, s1_b = sums["s1_r"], sums["s1_b"]
        out["beta"] = (sums["s_rb"] - s1_r * s1_b / n) / n / bench_variance
        jensen = mean_e - out["beta"] * (mean_b - sums["rf"] / n)
        out["alpha"] = (1.0 + jensen) ** ann - 1.0
        active_std = np.sqrt(m2_a / (n - 1))
        out["tracking_error"] = active_std * root_ann
        out["information_ratio"] = mean_a * ann / (_dispersion(active_std) * root_ann)
        out["up_capture"] = _capture(sums, "up", ann)
        out["down_capture"] = _capture(sums, "down", ann)

        out["mrar"] = (sums["mrar"] / n) ** (-ann / MRAR_GAMMA) - 1.0

    for key, values in out.items():
        usable = (benchmark_ok if key in RELATIVE_INDICATORS else computed) & np.isfinite(values)
        out[key] = np.where(usable, values, np.nan)
    return out


def risk_grade(volatility: np.ndarray | pd.Series) -> pd.Series:
    """투자위험등급 1-6 from 3y annualised volatility: >25% 1, >15% 2, >10% 3, >5% 4, >0.5% 5, else 6; NULL if NaN."""
    vol = np.asarray(volatility, dtype=float)
    grade = np.select(
        [vol > bound for bound, _ in RISK_GRADE_BANDS],
        [grade for _, grade in RISK_GRADE_BANDS],
        LOWEST_RISK_GRADE,
    )
    return pd.Series(pd.array(np.where(np.isnan(vol), None, grade), dtype="Int64"))


def _percentiles(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """100 * (rank - 1) / (count - 1) of each value in its group (-1: none), ties averaged;
    NaN for a NaN value and in a group with fewer than 2 values."""
    out = np.full(len(values), np.nan)
    rows = np.flatnonzero((group >= 0) & ~np.isnan(values))
    if not len(rows):
        return out
    rows = rows[np.lexsort((values[rows], group[rows]))]
    group, values, n = group[rows], values[rows], len(rows)
    new_group = np.append(True, group[1:] != group[:-1])
    group_start = np.flatnonzero(new_group)
    size = np.diff(np.append(group_start, n))
    new_tie = new_group | np.append(True, values[1:] != values[:-1])
    tie_start = np.flatnonzero(new_tie)
    tie_middle = (tie_start + np.append(tie_start[1:], n) - 1) / 2.0  # mean position of the tie
    rank = tie_middle[np.cumsum(new_tie) - 1] - np.repeat(group_start, size) + 1.0
    count = np.repeat(size, size).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[rows] = np.where(count >= 2, (rank - 1.0) / (count - 1.0) * PERCENTILE_SCALE, np.nan)
    return out


def category_percentiles(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """`<key>_pct` = 100 * (rank - 1) / (count - 1) within (category, window), ties averaged, higher value higher; NULL with < 2 values or no category."""
    category, _ = pd.factorize(frame["category"])
    window, windows = pd.factorize(frame["window"])
    group = np.where((category >= 0) & (window >= 0), category * len(windows) + window, -1)
    return pd.DataFrame(
        {f"{key}_pct": _percentiles(group, frame[key].to_numpy(float)) for key in keys},
        index=frame.index,
    )


class _FundFacts(NamedTuple):
    """Per fund: first and last NAV day (NO_DAY without one) and whether the last is recent."""

    first_day: np.ndarray
    last_day: np.ndarray
    fresh: np.ndarray


def _fund_facts(code: np.ndarray, day: np.ndarray, n_funds: int, as_of_day: int) -> _FundFacts:
    """Facts of each fund from its NAV rows sorted by (fund, day)."""
    first_row, last_row = fund_bounds(code, n_funds)
    last_day = take(day, last_row, NO_DAY)
    fresh = (last_row >= 0) & (as_of_day - last_day <= STALE_AFTER_DAYS)
    return _FundFacts(take(day, first_row, NO_DAY), last_day, fresh)


def _window_groups(
    funds: pd.DataFrame,
    windows: Sequence[str],
    as_of: date,
    facts: _FundFacts,
    sums: WindowSums,
) -> dict[str, np.ndarray]:
    """Per (window, fund) (arrays of shape (windows, funds)): dates, counts, reasons, notes."""
    has_start = sums.start_day != NO_DAY
    opened = facts.fresh & has_start
    n_returns = np.where(opened, sums.sums["n"], 0).astype(np.int64)
    reason = np.stack(
        [
            fund_reasons(
                window,
                as_of,
                facts.last_day != NO_DAY,
                facts.fresh,
                has_start[w],
                facts.first_day,
                n_returns[w],
            )
            for w, window in enumerate(windows)
        ]
    )
    valid = pd.isna(reason)
    benchmark_ok = valid & (sums.gap_day == NO_DAY)
    notes = [
        benchmark_notes(funds["benchmark_id"], valid[w] & ~benchmark_ok[w], sums.gap_day[w])
        for w in range(len(windows))
    ]
    return {
        "start_date": np.where(opened, sums.start_day, NO_DAY),
        "end_date": np.broadcast_to(facts.last_day, reason.shape),
        "n_returns": np.where(opened, n_returns, -1),
        "reason": reason,
        "benchmark_ok": benchmark_ok,
        "benchmark_note": np.stack(notes),
    }


def _counts(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Int64 counts, NA where negative."""
    return pd.arrays.IntegerArray(values.astype(np.int64), values < 0)


def _dates(days: np.ndarray) -> np.ndarray:
    """Int64 days (NO_DAY for none) as datetime64[s], NaT for none."""
    return days.astype("datetime64[D]").astype("datetime64[s]")


def _frame(
    funds: pd.DataFrame,
    windows: list[str],
    computed_windows: list[str],
    facts: tuple[np.ndarray, pd.Series],
    tables: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The result, rows by fund then requested window, from tables of shape (windows, funds);
    `facts` are each fund's periods per year and risk grade."""
    requested = [computed_windows.index(w) for w in windows]

    def by_fund(key: str) -> np.ndarray:
        return np.asarray(tables[key])[requested].T.ravel()

    per_fund = len(windows)
    periods, grade = facts
    category = np.repeat(pd.factorize(funds["category"])[0], per_fund)
    window = np.tile(np.arange(per_fund), len(funds))
    peers = np.where(category >= 0, category * per_fund + window, -1)  # (category, window)
    columns = {
        "fund_id": pd.Index(funds["fund_id"]).repeat(per_fund),
        "window": pd.array(np.tile(np.array(windows, dtype=object), len(funds)), dtype="str"),
        "category": np.repeat(funds["category"].to_numpy(), per_fund),
        "start_date": _dates(by_fund("start_date")),
        "end_date": _dates(by_fund("end_date")),
        "n_returns": _counts(by_fund("n_returns")),
        "periods_per_year": pd.array(np.repeat(periods, per_fund), dtype="Int64"),
    }
    columns |= {key: by_fund(key) for key in INDICATORS}
    columns["risk_grade"] = pd.array(np.repeat(grade.to_numpy(), per_fund), dtype="Int64")
    columns |= {key: by_fund(key) for key in ("reason", "benchmark_note")}
    columns |= {f"{key}_pct": _percentiles(peers, columns[key]) for key in INDICATORS}
    return pd.DataFrame(columns, columns=COLUMNS)


def compute_indicators(
    inputs: MetricInputs, as_of: date, windows: Sequence[str] = WINDOWS
) -> pd.DataFrame:
    """One row per (fund in inputs.funds, window) with every indicator, risk grade and category percentile."""
    as_of = pd.Timestamp(as_of).date()
    windows = list(dict.fromkeys([windows] if isinstance(windows, str) else windows))
    computed_windows = windows + [RISK_GRADE_WINDOW] * (RISK_GRADE_WINDOW not in windows)
    funds = inputs.funds.drop_duplicates("fund_id").reset_index(drop=True)
    n_funds = len(funds)
    as_of_day = day_number(as_of)
    code, day, value = sorted_nav(pd.Index(funds["fund_id"]), inputs.nav, as_of_day)
    facts = _fund_facts(code, day, n_funds, as_of_day)
    levels = BenchmarkLevels.of(inputs.benchmarks)
    sums = window_sums(
        code,
        day,
        value,
        n_funds,
        [day_number(years_before(as_of, window_years(w))) for w in computed_windows],
        levels.ids.get_indexer(funds["benchmark_id"]),
        levels,
        inputs.risk_free,
        MRAR_GAMMA,
    )
    groups = _window_groups(funds, computed_windows, as_of, facts, sums)
    values = _indicator_values(
        sums.sums, sums.periods, pd.isna(groups["reason"]), groups.pop("benchmark_ok")
    )
    grade = risk_grade(values["volatility"][computed_windows.index(RISK_GRADE_WINDOW)])
    result = _frame(funds, windows, computed_windows, (sums.periods, grade), groups | values)
    log.info("computed indicators for %d funds x %d windows as of %s", n_funds, len(windows), as_of)
    return result
