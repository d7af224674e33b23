"""Trailing-window fund indicators for the whole universe at once, matching empyrical-reloaded.

One row per (fund, window). Windows, frequency detection, benchmark and risk-free matching are
described in `engine.data.returns`. Over a window's n simple returns r_t of the fund's NAV on its own
dates, benchmark returns b_t on that grid and per-period risk-free rf_t, with
ann = periods_per_year and sample standard deviations (ddof 1):

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

from engine.data.returns import GroupIndex, WindowPanel, build_panel
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


def _capture(
    g: GroupIndex,
    growth: np.ndarray,
    bench_growth: np.ndarray,
    periods: np.ndarray,
    ann: np.ndarray,
) -> np.ndarray:
    """empyrical capture on the chosen periods: annual_return(r) / annual_return(b), both over those n periods."""
    n = g.sum(periods)
    fund = g.prod(np.where(periods, growth, 1.0)) ** (ann / n) - 1.0
    bench = g.prod(np.where(periods, bench_growth, 1.0)) ** (ann / n) - 1.0
    return np.where(n > 0, fund / bench, np.nan)


def _dispersion(g: GroupIndex, values: np.ndarray) -> np.ndarray:
    """Sample std per group, 0 where it is rounding noise (<= 1e-12 per period)."""
    std = g.std(values)
    return np.where(std <= NOISE_DISPERSION, 0.0, std)


def _indicator_values(panel: WindowPanel) -> dict[str, np.ndarray]:
    """Every indicator per window group, NaN where undefined."""
    n_groups = len(panel.groups)
    g = GroupIndex(panel.ret_gid, n_groups)
    ann = panel.groups["periods_per_year"].to_numpy(float)
    root_ann = np.sqrt(ann)
    r, b, rf = panel.fund_return, panel.bench_return, panel.risk_free
    growth, bench_growth = 1.0 + r, 1.0 + b
    excess, active = r - rf, r - b
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out["cum_return"] = g.prod(growth) - 1.0
        out["ann_return"] = (1.0 + out["cum_return"]) ** (ann / g.counts) - 1.0
        out["volatility"] = g.std(r) * root_ann
        mean_excess = g.mean(excess)
        out["sharpe"] = mean_excess / _dispersion(g, excess) * root_ann
        shortfall = np.minimum(excess, 0.0)
        out["sortino"] = mean_excess * ann / (np.sqrt(g.mean(shortfall * shortfall)) * root_ann)

        peak = pd.Series(panel.nav).groupby(panel.level_gid).cummax().to_numpy()
        out["max_drawdown"] = GroupIndex(panel.level_gid, n_groups).min(panel.nav / peak - 1.0)
        out["calmar"] = np.where(
            out["max_drawdown"] < 0, out["ann_return"] / -out["max_drawdown"], np.nan
        )

        # empyrical's beta ignores risk_free: Cov(r, b) / Var(b) with population moments.
        bench_centred = b - g.mean(b)[g.codes]
        bench_variance = g.mean(bench_centred * bench_centred)
        bench_variance[bench_variance < MIN_BENCHMARK_VARIANCE] = np.nan
        out["beta"] = g.mean(bench_centred * r) / bench_variance
        jensen = excess - out["beta"][g.codes] * (b - rf)
        out["alpha"] = (1.0 + g.mean(jensen)) ** ann - 1.0
        out["tracking_error"] = g.std(active) * root_ann
        out["information_ratio"] = g.mean(active) * ann / (_dispersion(g, active) * root_ann)
        out["up_capture"] = _capture(g, growth, bench_growth, b > 0, ann)
        out["down_capture"] = _capture(g, growth, bench_growth, b < 0, ann)

        out["mrar"] = g.mean((growth / (1.0 + rf)) ** -MRAR_GAMMA) ** (-ann / MRAR_GAMMA) - 1.0

    computed = panel.groups["reason"].isna().to_numpy()
    benchmark_ok = panel.groups["benchmark_ok"].to_numpy(bool)
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


def category_percentiles(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """`<key>_pct` = 100 * (rank - 1) / (count - 1) within (category, window), ties averaged, higher value higher; NULL with < 2 values or no category."""
    peers = frame[frame["category"].notna()]
    grouped = peers.groupby(["category", "window"], sort=False)[list(keys)]
    rank, count = grouped.rank(method="average"), grouped.transform("count")
    pct = ((rank - 1.0) / (count - 1.0) * PERCENTILE_SCALE).where(count >= 2)
    pct = pct.reindex(index=frame.index, columns=list(keys))
    pct.columns = [f"{key}_pct" for key in keys]
    return pct


def compute_indicators(
    inputs: MetricInputs, as_of: date, windows: Sequence[str] = WINDOWS
) -> pd.DataFrame:
    """One row per (fund in inputs.funds, window) with every indicator, risk grade and category percentile."""
    as_of = pd.Timestamp(as_of).date()
    windows = list(dict.fromkeys([windows] if isinstance(windows, str) else windows))
    computed_windows = windows + [RISK_GRADE_WINDOW] * (RISK_GRADE_WINDOW not in windows)
    funds = inputs.funds.drop_duplicates("fund_id").reset_index(drop=True)
    n_funds = len(funds)
    panel = build_panel(
        funds, inputs.nav, inputs.benchmarks, inputs.risk_free, as_of, computed_windows
    )
    result = panel.groups.drop(columns="benchmark_ok")
    for key, values in _indicator_values(panel).items():
        result[key] = values

    grade_start = computed_windows.index(RISK_GRADE_WINDOW) * n_funds
    grade = risk_grade(result["volatility"].to_numpy()[grade_start : grade_start + n_funds])
    result["risk_grade"] = pd.concat([grade] * len(computed_windows), ignore_index=True)
    result["periods_per_year"] = pd.array(result["periods_per_year"], dtype="Int64")

    fund_code = np.tile(np.arange(n_funds), len(computed_windows))
    window_index = np.repeat(np.arange(len(computed_windows)), n_funds)
    result = result.iloc[np.lexsort((window_index, fund_code))]
    result = result[result["window"].isin(windows)].reset_index(drop=True)
    result = pd.concat([result, category_percentiles(result, list(INDICATORS))], axis=1)
    log.info("computed indicators for %d funds x %d windows as of %s", n_funds, len(windows), as_of)
    return result[COLUMNS]
