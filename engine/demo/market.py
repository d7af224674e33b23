"""The demo's market: calendar, random streams, fund categories, factors, benchmarks, risk-free.

A factor model with regime changes (normal, bull, bear, stress) gives daily factor returns on a
business-day calendar; the benchmark indices are fixed mixes of the factors, and the risk-free
rate is a CD91-like random walk. The fund categories say which benchmark each category follows
and the ranges its funds' parameters are drawn from. Part of the synthetic demo
(`engine.demo.build`); this module imports none of the other demo modules.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd

TRADING_DAYS = 252
DAYS_PER_YEAR = 365.25
T_DOF = 5  # Student-t degrees of freedom for fat-tailed daily shocks


class DemoSettings(Protocol):
    """The settings the demo's parts read: `engine.demo.build.DemoConfig`, which they do not import."""

    @property
    def n_funds(self) -> int: ...

    @property
    def years(self) -> float: ...

    @property
    def end_date(self) -> date: ...

    @property
    def seed(self) -> int: ...

    @property
    def n_companies(self) -> int: ...

    @property
    def n_rating_year_ends(self) -> int: ...


# ---------------------------------------------------------------- fund categories


@dataclass(frozen=True)
class CategorySpec:
    """A fund category: its benchmark and the ranges its funds' parameters are drawn from."""

    name: str
    share: float
    benchmark_id: str
    asset_label: str  # the bracket in the fund's legal name, e.g. (주식)
    beta: tuple[float, float]
    style_sd: float  # loading on the style factor, drives tracking error
    idio_vol: tuple[float, float]  # annual
    alpha_sd: float  # annual skill dispersion
    expense: tuple[float, float]  # % per year
    aum_median: float  # KRW
    usd_share: float
    themes: tuple[str, ...]


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "국내주식형", 0.20, "BM_KOSPI", "주식", (0.85, 1.10), 0.5, (0.04, 0.09), 0.030,
        (0.70, 1.60), 4e10, 0.0,
        ("코리아밸류", "코리아그로스", "배당플러스", "코리아대표", "핵심우량주", "가치발굴", "리더스"),
    ),
    CategorySpec(
        "국내주식형(중소형)", 0.10, "BM_KOSDAQ150", "주식", (0.80, 1.10), 0.6, (0.06, 0.12),
        0.040, (0.80, 1.70), 2e10, 0.0,
        ("중소형성장", "스몰캡밸류", "코스닥성장", "미래산업", "히든챔피언"),
    ),
    CategorySpec(
        "해외주식형", 0.15, "BM_MSCI_ACWI", "주식-재간접형", (0.85, 1.10), 0.4, (0.04, 0.08),
        0.025, (0.80, 1.80), 3.5e10, 0.25,
        ("글로벌그로스", "미국대표", "글로벌배당", "아시아퍼시픽", "글로벌테크", "글로벌헬스케어"),
    ),
    CategorySpec(
        "국내채권형", 0.15, "BM_KIS_AGG", "채권", (0.80, 1.15), 0.05, (0.003, 0.008), 0.006,
        (0.15, 0.50), 9e10, 0.0,
        ("국공채플러스", "단기채", "우량채", "크레딧알파", "중장기국공채"),
    ),
    CategorySpec(
        "해외채권형", 0.07, "BM_GLOBAL_AGG", "채권-재간접형", (0.85, 1.10), 0.08,
        (0.005, 0.012), 0.008, (0.30, 0.80), 2.5e10, 0.30,
        ("글로벌채권", "미국투자등급채", "이머징채권", "글로벌인컴"),
    ),
    CategorySpec(
        "혼합형(주식혼합)", 0.10, "BM_MIX_EQ60", "주식혼합", (0.80, 1.10), 0.3, (0.02, 0.05),
        0.020, (0.60, 1.30), 2e10, 0.0,
        ("밸런스60", "자산배분", "멀티에셋", "액티브밸런스"),
    ),
    CategorySpec(
        "혼합형(채권혼합)", 0.13, "BM_MIX_BOND20", "채권혼합", (0.80, 1.15), 0.15,
        (0.008, 0.020), 0.010, (0.40, 0.90), 3e10, 0.0,
        ("인컴30", "공모주하이브리드", "채권혼합플러스", "안정추구"),
    ),
    CategorySpec(
        "인덱스형", 0.10, "BM_KOSPI200", "주식-파생형", (0.98, 1.01), 0.0, (0.005, 0.012),
        0.003, (0.10, 0.45), 1.2e11, 0.0,
        ("코스피200인덱스", "KOSPI200인덱스", "코리아200인덱스"),
    ),
)  # fmt: skip

# ---------------------------------------------------------------- market model

FACTORS = ("kr_equity", "kr_small", "global_equity", "kr_bond", "global_bond", "style")
STYLE = FACTORS.index("style")
REGIMES = ("normal", "bull", "bear", "stress")
# Annual drift and volatility per regime (rows) and factor (columns).
REGIME_DRIFT = np.array(
    [
        [0.07, 0.02, 0.08, 0.030, 0.035, 0.0],
        [0.24, 0.05, 0.20, 0.020, 0.030, 0.0],
        [-0.22, -0.06, -0.18, 0.050, 0.050, 0.0],
        [-0.06, -0.05, -0.04, 0.040, 0.020, 0.0],
    ]
)
REGIME_VOL = np.array(
    [
        [0.15, 0.10, 0.13, 0.025, 0.040, 0.06],
        [0.13, 0.09, 0.11, 0.020, 0.035, 0.05],
        [0.24, 0.14, 0.22, 0.035, 0.050, 0.08],
        [0.34, 0.18, 0.30, 0.045, 0.070, 0.10],
    ]
)
FACTOR_CORR = np.array(
    [
        [1.00, 0.30, 0.55, -0.20, -0.05, 0.0],
        [0.30, 1.00, 0.20, -0.10, 0.00, 0.0],
        [0.55, 0.20, 1.00, -0.10, -0.10, 0.0],
        [-0.20, -0.10, -0.10, 1.00, 0.50, 0.0],
        [-0.05, 0.00, -0.10, 0.50, 1.00, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.00],
    ]
)
REGIME_DAYS = ((80, 250), (120, 320), (60, 180), (20, 70))  # min/max business days per spell
REGIME_NEXT = np.array(
    [
        [0.00, 0.55, 0.30, 0.15],
        [0.60, 0.00, 0.25, 0.15],
        [0.50, 0.30, 0.00, 0.20],
        [0.45, 0.35, 0.20, 0.00],
    ]
)
IDIO_SCALE = np.array([1.0, 0.9, 1.3, 1.7])  # stock-picking noise rises in stress


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark index as a fixed mix of market factors."""

    benchmark_id: str
    name: str
    loadings: tuple[tuple[str, float], ...]
    base_level: float
    tracking_vol: float = 0.0


BENCHMARKS: tuple[BenchmarkSpec, ...] = (
    BenchmarkSpec("BM_KOSPI", "KOSPI", (("kr_equity", 1.0),), 2000.0),
    BenchmarkSpec("BM_KOSPI200", "KOSPI 200", (("kr_equity", 1.0),), 270.0, 0.02),
    BenchmarkSpec("BM_KOSDAQ150", "KOSDAQ 150", (("kr_equity", 1.1), ("kr_small", 1.0)), 1100.0),
    BenchmarkSpec("BM_MSCI_ACWI", "MSCI ACWI (원화환산)", (("global_equity", 1.0),), 650.0),
    BenchmarkSpec("BM_KIS_AGG", "KIS 종합채권지수", (("kr_bond", 1.0),), 230.0),
    BenchmarkSpec(
        "BM_GLOBAL_AGG", "Bloomberg Global Aggregate (원화헤지)", (("global_bond", 1.0),), 480.0
    ),
    BenchmarkSpec(
        "BM_MIX_EQ60",
        "KOSPI 60% + KIS 종합채권 40%",
        (("kr_equity", 0.6), ("kr_bond", 0.4)),
        1000.0,
    ),
    BenchmarkSpec(
        "BM_MIX_BOND20",
        "KOSPI 20% + KIS 종합채권 80%",
        (("kr_equity", 0.2), ("kr_bond", 0.8)),
        1000.0,
    ),
)
CD91_RANGE = (1.0, 3.8)  # annual %

# ---------------------------------------------------------------- random streams and calendar


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode("utf-8"))])


def _fat_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t shocks scaled to unit variance (fat-tailed daily returns)."""
    return rng.standard_t(T_DOF, shape) / math.sqrt(T_DOF / (T_DOF - 2))


def business_days(config: DemoSettings) -> pd.DatetimeIndex:
    """The demo calendar: `years` of weekdays ending on or before `end_date`."""
    periods = int(round(config.years * TRADING_DAYS))
    return pd.bdate_range(end=pd.Timestamp(config.end_date), periods=periods, name="date")


def _days(values: pd.DatetimeIndex | pd.Series | np.ndarray) -> np.ndarray:
    """Dates as int64 days since 1970-01-01."""
    return np.asarray(values, dtype="datetime64[D]").astype(np.int64)


def _as_dates(days: np.ndarray) -> np.ndarray:
    """Int64 days back to datetime64[s]."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[s]")


def _years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (Feb 29 -> Feb 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# ---------------------------------------------------------------- market


@dataclass(frozen=True)
class Market:
    """Daily factor and benchmark returns on the demo calendar."""

    dates: pd.DatetimeIndex
    regimes: np.ndarray  # (T,) index into REGIMES
    factors: np.ndarray  # (T, F) simple daily returns
    benchmark_returns: np.ndarray  # (T, B), first row 0


def _regime_path(n_days: int, rng: np.random.Generator) -> np.ndarray:
    """Regime of each day: spells of random length, next regime from REGIME_NEXT."""
    states, lengths, state, total = [], [], 0, 0
    while total < n_days:
        low, high = REGIME_DAYS[state]
        length = int(rng.integers(low, high + 1))
        states.append(state)
        lengths.append(length)
        total += length
        state = int(rng.choice(len(REGIMES), p=REGIME_NEXT[state]))
    return np.repeat(np.array(states), lengths)[:n_days]


def simulate_market(config: DemoSettings, dates: pd.DatetimeIndex) -> Market:
    """Factor returns with regime-dependent drift and volatility, and the benchmarks built on them."""
    rng = _rng(config.seed, "market")
    n_days = len(dates)
    regimes = _regime_path(n_days, rng)
    shocks = _fat_normal(rng, (n_days, len(FACTORS))) @ np.linalg.cholesky(FACTOR_CORR).T
    factors = (
        REGIME_DRIFT[regimes] / TRADING_DAYS
        + REGIME_VOL[regimes] / math.sqrt(TRADING_DAYS) * shocks
    )
    loadings = np.zeros((len(FACTORS), len(BENCHMARKS)))
    tracking = np.zeros(len(BENCHMARKS))
    for column, spec in enumerate(BENCHMARKS):
        for factor, weight in spec.loadings:
            loadings[FACTORS.index(factor), column] = weight
        tracking[column] = spec.tracking_vol
    noise = rng.standard_normal((n_days, len(BENCHMARKS))) * tracking / math.sqrt(TRADING_DAYS)
    bench = factors @ loadings + noise
    bench[0] = 0.0
    return Market(dates, regimes, factors, bench)


def benchmark_frame(market: Market) -> pd.DataFrame:
    """Benchmark levels in long form: benchmark_id, date, level, benchmark_name."""
    base = np.array([spec.base_level for spec in BENCHMARKS])
    levels = np.round(base * np.cumprod(1.0 + market.benchmark_returns, axis=0), 2)
    n_days = len(market.dates)
    return pd.DataFrame(
        {
            "benchmark_id": np.repeat([s.benchmark_id for s in BENCHMARKS], n_days),
            "date": np.tile(market.dates.to_numpy().astype("datetime64[s]"), len(BENCHMARKS)),
            "level": levels.T.ravel(),
            "benchmark_name": np.repeat([s.name for s in BENCHMARKS], n_days),
        }
    )


def risk_free_frame(config: DemoSettings, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """A CD91-like annual % rate on every business day: a random walk between yearly anchors."""
    rng = _rng(config.seed, "risk_free")
    years = np.arange(dates[0].year, dates[-1].year + 2)
    walk = np.cumsum(rng.normal(0.0, 0.7, len(years)))
    anchors = np.clip(2.4 + walk - walk.mean(), *CD91_RANGE)
    anchor_days = _days(pd.to_datetime([f"{y}-01-01" for y in years]))
    day = _days(dates)
    smooth = np.interp(day, anchor_days, anchors)
    wiggle = np.cumsum(rng.normal(0.0, 0.01, len(day)))
    wiggle -= pd.Series(wiggle).rolling(60, min_periods=1).mean().to_numpy()
    rate = np.round(np.clip(smooth + wiggle, *CD91_RANGE), 2)
    return pd.DataFrame({"date": dates.to_numpy().astype("datetime64[s]"), "rate": rate})
