"""Synthetic Korean fund universe for the demo, loaded into the store through the real ingest.

Everything here is generated from one seed: a factor-model market with regime changes, ~300
funds with persistent skill, fees and manager changes, yearly qualitative reviews, and expert
grades made by a house methodology (`HOUSE_METHODOLOGY`) plus undocumented analyst habits
(`HIDDEN_HABITS`) and analyst-to-analyst noise. The files are written in the mixed formats
analysts really have (CP949 CSV, Parquet, CSV with BOM, Excel) and ingested with
`engine.ingest.ingest_file`, so the demo also exercises the upload path.
"""

from __future__ import annotations

import logging
import math
import time
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.ingest import ingest_file
from engine.metrics import MetricInputs, compute_indicators
from store.db import connect, transaction
from store.home import Home

log = logging.getLogger(__name__)

TRADING_DAYS = 252
DAYS_PER_YEAR = 365.25
DEMO_LABEL = "Synthetic demo data (generated)"
DATASET_META_KEY = "dataset"
DATASET_META_VALUE = "synthetic-demo"
DEMO_FOLDER = "demo"
INGEST_ORDER = ("funds", "benchmarks", "risk_free", "nav", "qualitative", "ratings")
FILE_NAMES = {
    "funds": "demo_funds.csv",
    "benchmarks": "demo_benchmarks.parquet",
    "risk_free": "demo_cd91.csv",
    "nav": "demo_nav.parquet",
    "qualitative": "demo_qualitative.csv",
    "ratings": "demo_ratings.xlsx",
}
KRW_START_NAV = 1000.0
USD_START_NAV = 10.0
MAX_MANAGER_CHANGES = 3
FIRST_CHANGE_AFTER_DAYS = 120  # business days before a new fund's first manager change
REVIEW_MONTH, REVIEW_DAY = 11, 30  # yearly qualitative review (연간 정성평가)
FIRST_REVIEW_AGE_YEARS = 1.0
T_DOF = 5  # Student-t degrees of freedom for fat-tailed daily shocks
EOK = 1e8  # 억원
MIN_TRACK_RECORD_YEARS = 3
MIN_DEMO_YEARS = 3.5

# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class DemoConfig:
    """Size, history length, end date and seed of the synthetic universe."""

    n_funds: int = 300
    years: float = 6.5
    end_date: date = date(2026, 9, 30)
    seed: int = 20260930
    n_companies: int = 25
    n_rating_year_ends: int = 3

    def __post_init__(self) -> None:
        if self.years < MIN_DEMO_YEARS:
            raise ValueError(
                f"the demo needs at least {MIN_DEMO_YEARS} years of history so that some funds "
                f"reach the {MIN_TRACK_RECORD_YEARS}-year track record and get rated; got {self.years}"
            )
        if self.n_funds < len(CATEGORIES) or self.n_companies < 1:
            raise ValueError(
                f"the demo needs at least {len(CATEGORIES)} funds (one per category) and one "
                f"company; got {self.n_funds} funds, {self.n_companies} companies"
            )


@dataclass
class DemoSummary:
    """What `build_demo` generated and loaded."""

    label: str
    counts: dict[str, int]  # rows written per kind
    inserted: dict[str, int]  # rows newly inserted per kind by this build
    replaced: dict[str, int]  # rows whose values this build changed
    start: date
    end: date
    rating_dates: list[date]
    files: dict[str, Path]
    seconds: float
    n_funds: int = 0
    n_rated_funds: int = 0


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

# ---------------------------------------------------------------- names

COMPANY_NAMES = (
    "한빛자산운용", "가람자산운용", "누리별자산운용", "청솔자산운용", "미르에셋운용",
    "다온자산운용", "해솔투자신탁운용", "새뜸자산운용", "늘품자산운용", "한울에셋자산운용",
    "아라자산운용", "푸른들자산운용", "초록별자산운용", "너울자산운용", "단비자산운용",
    "미리내자산운용", "가온누리자산운용", "여울목자산운용", "벼리자산운용", "나래에셋운용",
    "도담자산운용", "별하자산운용", "솔바람자산운용", "은가람자산운용", "마루투자자산운용",
    "라온길자산운용", "바다솔자산운용", "햇귀자산운용", "온새미자산운용", "윤슬자산운용",
)  # fmt: skip
COMPANY_SUFFIXES = ("투자신탁운용", "투자자산운용", "에셋자산운용", "에셋운용", "자산운용")
SURNAMES = tuple("김이박최정강조윤장임한오서신권황안송류홍")
GIVEN_NAMES = (
    "민준", "서연", "지훈", "수빈", "현우", "지영", "성민", "은지", "동현", "혜진",
    "재원", "유진", "준호", "소영", "태윤", "하늘", "승민", "다은", "정우", "예린",
    "상훈", "미경", "영수", "수정", "진호", "보람", "경민", "나연", "우진", "선영",
    "기현", "은비", "도현", "채원", "시우", "주희", "건우", "가은", "형준", "윤서",
)  # fmt: skip
SHARE_CLASSES = ("C-e", "A", "C", "A-e", "C-P2e", "S")
SHARE_CLASS_WEIGHTS = (0.35, 0.2, 0.15, 0.15, 0.1, 0.05)

# ---------------------------------------------------------------- methodology

# (grade, lowest category percentile): top 10% -> 5, next 22.5% -> 4, middle 35% -> 3, ...
GRADE_BANDS = ((5, 90.0), (4, 67.5), (3, 32.5), (2, 10.0), (1, 0.0))
NEUTRAL_SCORE = 3  # a criterion without a value (or a category of one) scores neutral
WEIGHTED_DECIMALS = 2  # the weighted score is rounded so that ties are ties for everyone


def _criterion(
    cid: str, section: str, name_ko: str, name_en: str, weight: float, **extra: object
) -> dict:
    return {"id": cid, "section": section, "name_ko": name_ko, "name_en": name_en,
            "weight": weight, **extra}  # fmt: skip


def _quant(
    cid: str, name_ko: str, name_en: str, weight: float, indicator: str, window: str,
    fallback_window: str | None = None,
) -> dict:  # fmt: skip
    return _criterion(
        cid, "quantitative", name_ko, name_en, weight, source="indicator", indicator=indicator,
        window=window, fallback_window=fallback_window, direction="higher_is_better",
        scoring="category_percentile_bands",
    )  # fmt: skip


def _judged(cid: str, section: str, name_ko: str, name_en: str, weight: float) -> dict:
    return _criterion(
        cid, section, name_ko, name_en, weight, source="qualitative", indicator=None,
        window=None, fallback_window=None, direction="higher_is_better",
        scoring="analyst_score_1_to_5",
    )  # fmt: skip


HOUSE_METHODOLOGY: dict = {
    "methodology_id": "demo-house-2026",
    "name_ko": "하우스 펀드평가 방법론 (데모)",
    "name_en": "House fund-rating methodology (demo)",
    "version": "2026.1",
    "scale": {"min": 1, "max": 5, "best": 5},
    "peer_group": "category",
    "eligibility": {
        "min_track_record_years": MIN_TRACK_RECORD_YEARS,
        "rule_ko": "평가기준일 현재 설정 후 3년 이상 기준가격 이력이 있는 펀드만 평가",
        "rule_en": "Only funds with at least 3 years of NAV history at the as-of date are rated",
    },
    "grade_bands": [
        {"grade": g, "min_percentile": lo, "max_percentile": hi}
        for (g, lo), hi in zip(GRADE_BANDS, (100.0,) + tuple(b for _, b in GRADE_BANDS[:-1]), strict=True)
    ],
    "percentile": {
        "definition_en": (
            "100 x (rank - 1) / (n - 1) within the category, ties averaged, 100 = best; for "
            "indicators this is engine.metrics' <indicator>_pct over the funds that have the "
            "indicator for that window; undefined (n < 2) scores neutral 3"
        ),
        "definition_ko": "유형 내 백분위 = 100 x (순위 - 1) / (펀드 수 - 1), 100이 최상위",
    },
    "sections": [
        {"id": "quantitative", "name_ko": "정량평가", "name_en": "Quantitative", "weight": 60},
        {"id": "qualitative", "name_ko": "정성평가", "name_en": "Qualitative", "weight": 20},
        {"id": "company", "name_ko": "운용사평가", "name_en": "Management company", "weight": 10},
        {"id": "esg", "name_ko": "ESG", "name_en": "ESG", "weight": 10},
    ],
    "criteria": [
        _quant("return_3y", "3년 연환산 수익률", "3-year annualised return", 15, "ann_return", "3y"),
        _quant("sharpe_3y", "3년 샤프지수", "3-year Sharpe ratio", 15, "sharpe", "3y"),
        _quant("info_ratio_3y", "3년 정보비율", "3-year information ratio", 10,
               "information_ratio", "3y"),
        _quant("drawdown_3y", "3년 최대낙폭", "3-year maximum drawdown", 10, "max_drawdown", "3y"),
        _quant("sortino_5y", "5년 소티노비율", "5-year Sortino ratio", 5, "sortino", "5y", "3y"),
        _quant("return_1y", "1년 수익률", "1-year return", 5, "cum_return", "1y"),
        _judged("philosophy_process", "qualitative", "운용철학 및 프로세스",
                "Investment philosophy and process", 8),
        _judged("org_stability", "qualitative", "조직 안정성", "Organisational stability", 6),
        _judged("risk_management", "qualitative", "위험관리 체계", "Risk-management system", 6),
        _judged("company_capability", "company", "운용사 운용역량",
                "Company investment capability", 4),
        _judged("company_organisation", "company", "운용사 조직", "Company organisation", 3),
        _judged("company_systems", "company", "운용사 시스템·인프라",
                "Company systems and infrastructure", 3),
        _judged("esg", "esg", "ESG·지속가능성", "ESG and sustainability", 10),
    ],
    "final_grade": {
        "rule": "weighted_score_then_category_percentile_bands",
        "rule_ko": (
            "정량 항목은 유형 내 백분위 구간으로 1~5점, 정성·운용사·ESG 항목은 최근 정성평가 점수를 "
            "사용. 가중평균 종합점수를 유형 내 백분위로 환산해 상위 10% 5등급, 다음 22.5% 4등급, "
            "중간 35% 3등급, 다음 22.5% 2등급, 하위 10% 1등급."
        ),
        "rule_en": (
            "Quantitative criteria score 1-5 by category percentile band; qualitative, company and "
            "ESG criteria use the latest review score. The weighted score is ranked within the "
            "category and mapped with the same bands: top 10% grade 5, next 22.5% 4, middle 35% 3, "
            "next 22.5% 2, bottom 10% 1."
        ),
        "weighted_score": "sum(weight x score) / 100, rounded to 2 decimals (1.00-5.00)",
        "fallback_ko": "5년 이력이 없으면 5년 지표 대신 3년 지표 사용",
    },
}  # fmt: skip
"""The written house methodology: sections, criteria, weights (sum 100), bands, eligibility."""

CRITERIA: list[dict] = HOUSE_METHODOLOGY["criteria"]
QUANT_CRITERIA = [c for c in CRITERIA if c["source"] == "indicator"]
JUDGED_CRITERIA = [c for c in CRITERIA if c["source"] == "qualitative"]
SCORE_COLUMNS = [f"score_{c['id']}" for c in CRITERIA]

# Parameters of the undocumented habits below.
TURNOVER_NOTCH_MIN_CHANGES = 2
RECENT_CHANGE_PENALTY = 0.25
LONG_RECORD_YEARS = 10.0
LONG_RECORD_BONUS = 0.20
SLUMP_BOTTOM_PERCENT = 15.0
SLUMP_PENALTY = 0.20
SMALL_FUND_AUM = 50 * EOK  # 소규모펀드 line
SMALL_FUND_MAX_GRADE = 3

HIDDEN_HABITS: dict[str, dict] = {
    "manager_turnover": {
        "name_ko": "잦은 매니저 교체 감점",
        "rule_en": (
            f"{TURNOVER_NOTCH_MIN_CHANGES}+ manager changes in the 3 years before the as-of date: "
            f"one grade notch down after banding; a single change in the last 12 months: "
            f"-{RECENT_CHANGE_PENALTY} on the weighted score"
        ),
        "params": {"min_changes_3y": TURNOVER_NOTCH_MIN_CHANGES, "notch": -1,
                   "recent_change_penalty": RECENT_CHANGE_PENALTY},
    },
    "long_track_record": {
        "name_ko": "장기 운용이력 선호",
        "rule_en": f"{LONG_RECORD_YEARS:.0f}+ years since inception: +{LONG_RECORD_BONUS} on the weighted score",
        "params": {"min_age_years": LONG_RECORD_YEARS, "bonus": LONG_RECORD_BONUS},
    },
    "small_fund_distrust": {
        "name_ko": "소규모 펀드 불신",
        "rule_en": (
            f"AUM under {SMALL_FUND_AUM / EOK:.0f}억원 (liquidation risk): grade capped at "
            f"{SMALL_FUND_MAX_GRADE}"
        ),
        "params": {"max_aum_krw": SMALL_FUND_AUM, "max_grade": SMALL_FUND_MAX_GRADE},
    },
    "recent_slump": {
        "name_ko": "최근 부진 과민반응",
        "rule_en": (
            f"1-year return in the bottom {SLUMP_BOTTOM_PERCENT:.0f}% of the category: "
            f"-{SLUMP_PENALTY} on the weighted score (the written weight of 1y is only 5%)"
        ),
        "params": {"bottom_percent": SLUMP_BOTTOM_PERCENT, "penalty": SLUMP_PENALTY},
    },
}  # fmt: skip
"""Analyst habits that shape the expert grades but are NOT in the written methodology.

They stand for the house's tacit knowledge: a model that learns only `HOUSE_METHODOLOGY` will
miss them, one that learns from the expert grades can pick them up. Every habit acts on facts
a model can see (manager history in the org_stability review, inception date, AUM, 1y return).
"""


@dataclass(frozen=True)
class Analyst:
    """An expert who grades funds, with a personal leniency and inconsistency."""

    name: str
    leniency: float  # added to the weighted score
    noise_sd: float


ANALYSTS: tuple[Analyst, ...] = (
    Analyst("김서연", 0.10, 0.08),
    Analyst("박준혁", -0.12, 0.10),
    Analyst("이하은", 0.00, 0.12),
    Analyst("최도윤", 0.05, 0.15),
    Analyst("정민지", -0.05, 0.09),
)
ANALYST_SWITCH_PROB = 0.25  # chance a fund gets another analyst at a rating date

# ---------------------------------------------------------------- random streams and calendar


def _rng(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per part, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode("utf-8"))])


def _fat_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t shocks scaled to unit variance (fat-tailed daily returns)."""
    return rng.standard_t(T_DOF, shape) / math.sqrt(T_DOF / (T_DOF - 2))


def business_days(config: DemoConfig) -> pd.DatetimeIndex:
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


def simulate_market(config: DemoConfig, dates: pd.DatetimeIndex) -> Market:
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


def risk_free_frame(config: DemoConfig, dates: pd.DatetimeIndex) -> pd.DataFrame:
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


# ---------------------------------------------------------------- fund universe


def _allocate(total: int, shares: np.ndarray) -> np.ndarray:
    """Split `total` items by `shares` with the largest-remainder rule."""
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(int)
    remainder = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def _brand(company: str) -> str:
    """The brand a company puts in front of its fund names: '한빛자산운용' -> '한빛'."""
    for suffix in COMPANY_SUFFIXES:
        if company.endswith(suffix):
            return company[: -len(suffix)]
    return company


def _person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` Korean full names, unique while the name space lasts, never an analyst's."""
    taken = {a.name for a in ANALYSTS}
    names = [s + g for s in SURNAMES for g in GIVEN_NAMES if s + g not in taken]
    return np.resize(rng.permutation(np.array(names, dtype=object)), count)


def _fund_codes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Unique, sorted 12-character fund codes 'KR5' + 9 digits."""
    draws = pd.unique(rng.integers(10**8, 10**9, count * 3 + 10))[:count]
    return np.array([f"KR5{n}" for n in np.sort(draws)], dtype=object)


def _fund_names(
    rng: np.random.Generator, brands: np.ndarray, cat: np.ndarray, usd: np.ndarray
) -> list[str]:
    """Legal-style fund names such as '한빛 코리아밸류 증권자투자신탁(주식) C-e', all distinct."""
    classes = rng.choice(len(SHARE_CLASSES), len(cat), p=SHARE_CLASS_WEIGHTS)
    feeder = rng.random(len(cat)) < 0.7
    theme_pick = rng.random(len(cat))
    seen: dict[str, int] = {}
    names = []
    for i, c in enumerate(cat):
        spec = CATEGORIES[c]
        theme = spec.themes[int(theme_pick[i] * len(spec.themes))]
        stem = f"{brands[i]} {theme}"
        seen[stem] = seen.get(stem, 0) + 1
        if seen[stem] > 1:
            stem += f" {seen[stem]}호"
        trust = "증권자투자신탁" if feeder[i] else "증권투자신탁"
        currency = "(USD)" if usd[i] else ""
        names.append(f"{stem} {trust}({spec.asset_label}){currency} {SHARE_CLASSES[classes[i]]}")
    return names


def _roll_to_weekday(days: np.ndarray) -> np.ndarray:
    """Move Saturday/Sunday day numbers to the next Monday (1970-01-01 was a Thursday)."""
    weekday = (days + 3) % 7  # Monday = 0
    return days + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def _companies(
    rng: np.random.Generator, n_companies: int, n_funds: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Management companies with latent capability, turnover, systems and ESG; each fund's company."""
    n_comp = min(n_companies, len(COMPANY_NAMES))
    names = np.array(rng.choice(np.array(COMPANY_NAMES), n_comp, replace=False), dtype=object)
    weight = rng.lognormal(0.0, 0.7, n_comp)
    comp = rng.choice(n_comp, n_funds, p=weight / weight.sum())
    funds_per_company = np.bincount(comp, minlength=n_comp)
    companies = pd.DataFrame(
        {
            "company": names,
            "skill_z": rng.standard_normal(n_comp),
            "turnover_rate": rng.uniform(0.05, 0.35, n_comp),  # manager changes per fund-year
            "systems_z": rng.standard_normal(n_comp),
            "esg_z": rng.standard_normal(n_comp),
            "n_funds": funds_per_company,
            "n_managers": 2 + np.ceil(0.6 * funds_per_company).astype(int),
        }
    )
    return companies, comp


def _inception(
    rng: np.random.Generator, dates: pd.DatetimeIndex, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each fund's first NAV index, inception day and first manager's start day.

    About half the funds predate the calendar (their NAV starts on its first day); the others
    are launched inside it, at least half a year before its end.
    """
    n_days, start_day = len(dates), _days(dates[:1])[0]
    old = rng.random(n) < 0.55
    years_back = rng.uniform(0.05, 15.0, n)
    start_idx = np.where(old, 0, rng.integers(1, max(2, n_days - TRADING_DAYS // 2), n))
    inception = np.where(
        old,
        _roll_to_weekday(start_day - np.ceil(years_back * DAYS_PER_YEAR).astype(np.int64)),
        _days(dates)[start_idx],
    )
    since = inception + np.floor(rng.random(n) * (start_day - inception)).astype(np.int64)
    manager_since = np.where(old, _roll_to_weekday(since), inception)
    return start_idx, inception, manager_since


@dataclass(frozen=True)
class ManagerHistory:
    """Who ran each fund when: up to MAX_MANAGER_CHANGES changes, and each manager's skill."""

    n_changes: np.ndarray  # (N,)
    change_idx: np.ndarray  # (N, MAX_MANAGER_CHANGES) calendar index of each change, T if none
    manager_idx: np.ndarray  # (N, MAX_MANAGER_CHANGES + 1) pool index per segment
    alpha_seg: np.ndarray  # (N, MAX_MANAGER_CHANGES + 1) annual alpha per segment
    names: np.ndarray  # pool index -> name
    skill_z: np.ndarray  # pool index -> skill


@dataclass(frozen=True)
class Universe:
    """The funds as analysts see them, and the hidden truth behind them (one row per fund)."""

    funds: pd.DataFrame  # the funds file in canonical columns
    truth: pd.DataFrame  # latent parameters per fund, same row order as `funds`
    managers: pd.DataFrame  # fund_id, segment, manager, start_date, alpha (annual)
    companies: (
        pd.DataFrame
    )  # company, skill_z, turnover_rate, systems_z, esg_z, n_funds, n_managers
    history: ManagerHistory


def _manager_history(
    rng: np.random.Generator,
    companies: pd.DataFrame,
    comp: np.ndarray,
    alpha_sd: np.ndarray,
    start_idx: np.ndarray,
    n_days: int,
) -> ManagerHistory:
    """Manager changes (Poisson at the company's turnover rate) and each segment's alpha."""
    n, segments = len(comp), MAX_MANAGER_CHANGES + 1
    pool = companies["n_managers"].to_numpy()
    offset = np.cumsum(pool) - pool
    names = _person_names(rng, int(pool.sum()))
    skill = rng.standard_normal(int(pool.sum()))

    alive_years = (n_days - start_idx) / TRADING_DAYS
    rate = companies["turnover_rate"].to_numpy()[comp]
    low = start_idx + FIRST_CHANGE_AFTER_DAYS
    n_changes = np.minimum(rng.poisson(rate * alive_years), MAX_MANAGER_CHANGES)
    n_changes = np.where(low < n_days - 1, n_changes, 0)
    span = np.maximum(n_days - 1 - low, 1)[:, None]
    raw = low[:, None] + np.floor(rng.random((n, MAX_MANAGER_CHANGES)) * span)
    raw[np.arange(MAX_MANAGER_CHANGES)[None, :] >= n_changes[:, None]] = n_days
    change_idx = np.sort(raw, axis=1).astype(np.int64)

    local = np.floor(rng.random((n, segments)) * pool[comp][:, None]).astype(np.int64)
    for k in range(1, segments):  # a change always brings a different manager
        same = local[:, k] == local[:, k - 1]
        local[same, k] = (local[same, k] + 1) % pool[comp][same]
    manager_idx = offset[comp][:, None] + local
    alpha_seg = alpha_sd[:, None] * (
        0.35 * companies["skill_z"].to_numpy()[comp][:, None]
        + 0.85 * skill[manager_idx]
        + 0.35 * rng.standard_normal((n, segments))
    )
    return ManagerHistory(n_changes, change_idx, manager_idx, alpha_seg, names, skill)


def _fund_parameters(
    rng: np.random.Generator, specs: list[CategorySpec], alpha_now: np.ndarray, age: np.ndarray
) -> dict[str, np.ndarray]:
    """Beta, style loading, idiosyncratic volatility, fees, currency and AUM per fund."""
    n = len(specs)

    def uniform(bounds: list[tuple[float, float]]) -> np.ndarray:
        low, high = np.array(bounds).T
        return low + rng.random(n) * (high - low)

    log_aum = (
        np.log([s.aum_median for s in specs])
        + 1.2 * rng.standard_normal(n)
        + 8.0 * alpha_now  # good funds attract money
        + 0.7 * np.log(np.clip(age / 3.0, 0.05, 1.0))  # young funds are still small
    )
    return {
        "beta": uniform([s.beta for s in specs]),
        "style_loading": rng.standard_normal(n) * np.array([s.style_sd for s in specs]),
        "idio_vol": uniform([s.idio_vol for s in specs]),
        "expense_ratio": np.round(uniform([s.expense for s in specs]), 3),
        "usd": rng.random(n) < np.array([s.usd_share for s in specs]),
        "aum": np.round(np.exp(log_aum), -6),
    }


def generate_universe(config: DemoConfig, dates: pd.DatetimeIndex) -> Universe:
    """Funds, companies, managers and their latent skill, fees, history and manager changes."""
    rng = _rng(config.seed, "universe")
    n, n_days = config.n_funds, len(dates)
    shares = np.array([c.share for c in CATEGORIES])
    cat = rng.permutation(np.repeat(np.arange(len(CATEGORIES)), _allocate(n, shares)))
    specs = [CATEGORIES[c] for c in cat]
    companies, comp = _companies(rng, config.n_companies, n)
    start_idx, inception, manager_since = _inception(rng, dates, n)
    alpha_sd = np.array([s.alpha_sd for s in specs])
    history = _manager_history(rng, companies, comp, alpha_sd, start_idx, n_days)
    current = np.arange(n), history.n_changes
    age = (_days(dates[-1:])[0] - inception) / DAYS_PER_YEAR
    params = _fund_parameters(rng, specs, history.alpha_seg[current], age)

    codes = _fund_codes(rng, n)
    company_names = companies["company"].to_numpy()[comp]
    brands = np.array([_brand(c) for c in company_names], dtype=object)
    funds = pd.DataFrame(
        {
            "fund_id": codes,
            "fund_name": _fund_names(rng, brands, cat, params["usd"]),
            "category": [s.name for s in specs],
            "company": company_names,
            "manager": history.names[history.manager_idx[current]],
            "inception_date": _as_dates(inception),
            "currency": np.where(params["usd"], "USD", "KRW"),
            "benchmark_id": [s.benchmark_id for s in specs],
            "expense_ratio": params["expense_ratio"],
            "aum": params["aum"],
        }
    )
    truth = pd.DataFrame(
        {
            "fund_id": codes,
            "category_index": cat,
            "company_index": comp,
            "start_idx": start_idx,
            "nav_start": _as_dates(_days(dates)[start_idx]),
            "manager_since": _as_dates(manager_since),
            "beta": params["beta"],
            "style_loading": params["style_loading"],
            "idio_vol": params["idio_vol"],
            "alpha_now": history.alpha_seg[current],
            "n_manager_changes": history.n_changes,
        }
    )
    return Universe(
        funds, truth, _manager_frame(codes, history, manager_since, dates), companies, history
    )


def _manager_frame(
    codes: np.ndarray, history: ManagerHistory, manager_since: np.ndarray, dates: pd.DatetimeIndex
) -> pd.DataFrame:
    """One row per (fund, manager segment): manager, start date and the segment's true alpha."""
    n_days = len(dates)
    change_day = _days(dates)[np.minimum(history.change_idx, n_days - 1)]
    seg_start = np.column_stack([manager_since, change_day])
    used = np.arange(MAX_MANAGER_CHANGES + 1)[None, :] <= history.n_changes[:, None]
    rows, segs = np.nonzero(used)
    return pd.DataFrame(
        {
            "fund_id": codes[rows],
            "segment": segs,
            "manager": history.names[history.manager_idx[rows, segs]],
            "start_date": _as_dates(seg_start[rows, segs]),
            "alpha": history.alpha_seg[rows, segs],
        }
    )


def simulate_nav(config: DemoConfig, universe: Universe, market: Market) -> pd.DataFrame:
    """Daily NAVs from inception (or the calendar start): alpha + beta x benchmark + style + noise - fees."""
    rng = _rng(config.seed, "nav")
    truth = universe.truth
    n_days, n = len(market.dates), len(truth)
    t = np.arange(n_days)
    segment = (t[:, None, None] >= universe.history.change_idx[None, :, :]).sum(axis=2)
    alpha = np.take_along_axis(universe.history.alpha_seg.T, segment, axis=0)
    bench_col = pd.Index([b.benchmark_id for b in BENCHMARKS]).get_indexer(
        universe.funds["benchmark_id"]
    )
    fee = universe.funds["expense_ratio"].to_numpy(float) / 100.0
    idio = (
        _fat_normal(rng, (n_days, n))
        * truth["idio_vol"].to_numpy()
        / math.sqrt(TRADING_DAYS)
        * IDIO_SCALE[market.regimes][:, None]
    )
    daily = (
        (alpha - fee) / TRADING_DAYS
        + truth["beta"].to_numpy() * market.benchmark_returns[:, bench_col]
        + truth["style_loading"].to_numpy() * market.factors[:, STYLE][:, None]
        + idio
    )
    start = truth["start_idx"].to_numpy()
    usd = (universe.funds["currency"] == "USD").to_numpy()
    base = np.where(usd, USD_START_NAV, KRW_START_NAV)
    years_before = (
        _days(market.dates[:1])[0] - _days(universe.funds["inception_date"])
    ) / DAYS_PER_YEAR
    carried = np.where(
        start == 0,
        np.clip(np.exp(rng.normal(0.04, 0.15, n) * np.maximum(years_before, 0.0)), 0.4, 4.0),
        1.0,
    )
    growth = np.cumprod(1.0 + np.where(t[:, None] > start[None, :], daily, 0.0), axis=0)
    nav = (base * carried) * growth
    nav = np.where(usd, np.round(nav, 4), np.round(nav, 2))
    live = (t[:, None] >= start[None, :]).T
    fund_row, day_idx = np.nonzero(live)
    return pd.DataFrame(
        {
            "fund_id": universe.funds["fund_id"].to_numpy()[fund_row],
            "date": market.dates.to_numpy().astype("datetime64[s]")[day_idx],
            "nav": nav.T[live],
        }
    )


# ---------------------------------------------------------------- qualitative reviews

PHILOSOPHY_NOTES = {
    5: ("운용철학이 명확하고 종목 선정 프로세스가 일관되게 지켜짐",
        "리서치-포트폴리오 구성-사후점검 프로세스가 체계적이며 문서화 수준 우수"),
    4: ("바텀업 리서치 중심 프로세스 양호, 스타일 일관성 유지",
        "투자 아이디어 검증 절차가 정립되어 있고 실행력 양호"),
    3: ("프로세스는 표준적이나 차별화 요소 부족",
        "운용 원칙은 있으나 포트폴리오 반영의 일관성은 보통 수준"),
    2: ("시장 상황에 따라 운용 스타일 변화가 잦아 일관성 부족",
        "종목 선정 근거의 문서화 미흡"),
    1: ("의사결정 근거와 운용 원칙이 불명확, 프로세스 재정립 필요",
        "벤치마크 추종과 액티브 운용 사이에서 방향성 불분명"),
}  # fmt: skip
RISK_NOTES = {
    5: ("위험 한도 체계와 사전·사후 모니터링이 정교함", "독립 리스크관리 조직의 점검이 정례화됨"),
    4: ("위험 한도 관리 양호, 정기 리스크 점검 실시", "유동성·집중도 한도 관리가 적절함"),
    3: ("기본적인 한도 관리는 되고 있으나 사후점검 주기 보완 필요", "표준적인 리스크관리 수준"),
    2: ("종목 집중도가 높은 편이며 한도 관리가 느슨함", "하락장 대응 원칙이 명확하지 않음"),
    1: ("위험 한도 초과 사례 반복, 관리 체계 개선 시급", "리스크 모니터링이 운용역 재량에 의존"),
}  # fmt: skip
ESG_NOTES = {
    5: ("ESG 통합 전략을 전 펀드에 적용, 스튜어드십 활동 공시 충실",
        "의결권 행사 및 기업관여 활동 우수"),
    4: ("ESG 요소를 종목 평가에 반영, 관련 정책 공시 양호",
        "스튜어드십 코드 참여 및 의결권 행사 내역 공개"),
    3: ("ESG 정책은 보유하나 투자 의사결정 반영은 제한적", "네거티브 스크리닝 수준의 ESG 적용"),
    2: ("ESG 정책 공시 수준 미흡", "ESG 전담 인력 부재"),
    1: ("ESG 고려 체계가 사실상 없음", "ESG 관련 정책 및 공시 전무"),
}  # fmt: skip
ORG_NOTES = {
    5: "조직 안정성 매우 높음", 4: "조직 안정적", 3: "조직 안정성 보통",
    2: "운용 연속성 우려", 1: "운용 연속성 심각한 우려",
}  # fmt: skip
CAPABILITY_NOTES = {
    5: "리서치 역량과 장기 성과 모두 업계 최상위권", 4: "리서치 인력 충실, 장기 성과 양호",
    3: "운용역량 업계 평균 수준", 2: "핵심 운용인력 의존도가 높고 성과 편차 큼",
    1: "운용역량 전반적으로 열위",
}  # fmt: skip
COMPANY_ORG_NOTES = {
    5: "인력 이탈 거의 없고 성과보상 체계 안정적", 4: "조직 구성 안정적",
    3: "인력 변동 업계 평균 수준", 2: "인력 이탈이 잦은 편", 1: "핵심 인력 연쇄 이탈, 조직 재정비 필요",
}  # fmt: skip
SYSTEMS_NOTES = {
    5: "통합 리스크관리 시스템 및 OMS 고도화 완료", 4: "운용·리스크 시스템 양호",
    3: "시스템 인프라 표준 수준", 2: "수작업 의존 업무가 남아 있음", 1: "시스템 투자 부족, 운영 리스크 우려",
}  # fmt: skip


def _score(latent: np.ndarray) -> np.ndarray:
    """A latent value around 0 as a 1-5 score (0 -> 3, one unit per step)."""
    return np.clip(np.rint(3.0 + latent), 1, 5).astype(int)


def _krw_text(amount: float) -> str:
    """An amount in KRW as analysts write it: '1.2조원' or '350억원'."""
    return f"{amount / 1e12:.1f}조원" if amount >= 1e12 else f"{amount / EOK:,.0f}억원"


def review_dates(dates: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Yearly qualitative review days (Nov 30) inside the calendar."""
    first, last = dates[0], dates[-1]
    days = [pd.Timestamp(y, REVIEW_MONTH, REVIEW_DAY) for y in range(first.year, last.year + 1)]
    return [d for d in days if first <= d <= last]


def _change_days(universe: Universe, dates: pd.DatetimeIndex) -> np.ndarray:
    """(N, MAX) day numbers of manager changes; a far-future day where there was none."""
    n_days = len(dates)
    days = _days(dates)[np.minimum(universe.history.change_idx, n_days - 1)]
    return np.where(universe.history.change_idx < n_days, days, np.iinfo(np.int32).max)


def manager_facts(universe: Universe, dates: pd.DatetimeIndex, day: int) -> pd.DataFrame:
    """Per fund as of `day`: manager, tenure, changes in the last 1 and 3 years, manager skill."""
    changes = _change_days(universe, dates)
    since = _days(universe.truth["manager_since"])
    segment = (changes <= day).sum(axis=1)
    seg_start = np.column_stack([since, changes])[np.arange(len(since)), segment]
    manager = universe.history.manager_idx[np.arange(len(since)), segment]

    def in_last(years: float) -> np.ndarray:
        return ((changes <= day) & (changes > day - years * DAYS_PER_YEAR)).sum(axis=1)

    return pd.DataFrame(
        {
            "fund_id": universe.funds["fund_id"].to_numpy(),
            "manager": universe.history.names[manager],
            "manager_z": universe.history.skill_z[manager],
            "tenure_years": (day - seg_start) / DAYS_PER_YEAR,
            "changes_1y": in_last(1),
            "changes_3y": in_last(3),
        }
    )


def _org_note(score: int, changes_3y: int, manager: str, tenure: float, pick: float) -> str:
    """The org_stability note, citing the manager history."""
    if changes_3y > 0:
        fact = f"최근 3년 매니저 {changes_3y}회 교체"
        if tenure < 1.5:
            fact += f", 현 매니저({manager}) 취임 {max(1, round(tenure * 12))}개월"
    elif tenure >= 1.0:
        fact = f"현 매니저({manager}) {tenure:.0f}년째 운용, 최근 3년 교체 이력 없음"
    else:
        fact = f"설정 이후 매니저({manager}) 교체 없음"
    return fact if pick < 0.3 else f"{fact}. {ORG_NOTES[score]}"


def _pick(pool: dict[int, tuple[str, ...]], scores: np.ndarray, pick: np.ndarray) -> list[str]:
    """One note per score, a variant from its pool chosen by `pick` in [0, 1)."""
    return [pool[s][int(p * len(pool[s]))] for s, p in zip(scores, pick, strict=True)]


def _review_frame(subjects: np.ndarray, as_of: pd.Timestamp, scores: dict, notes: dict) -> list:
    """One long frame per criterion of a review round."""
    return [
        pd.DataFrame(
            {"subject_id": subjects, "as_of": as_of, "criterion_id": criterion,
             "score": scores[criterion], "note": notes[criterion]}
        )
        for criterion in scores
    ]  # fmt: skip


def _fund_reviews(
    universe: Universe, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> list[pd.DataFrame]:
    """Fund-level reviews (philosophy_process, org_stability, risk_management, esg) each Nov 30."""
    truth, companies = universe.truth, universe.companies
    comp = truth["company_index"].to_numpy()
    inception = _days(universe.funds["inception_date"])
    idio_range = np.array([CATEGORIES[c].idio_vol for c in truth["category_index"]])
    idio_z = (truth["idio_vol"].to_numpy() - idio_range.mean(1)) / (np.ptp(idio_range, 1) / 2)
    turnover_z = (companies["turnover_rate"].to_numpy()[comp] - 0.2) / 0.087
    frames = []
    for review in review_dates(dates):
        day = _days([review])[0]
        facts = manager_facts(universe, dates, day)
        live = inception <= day - FIRST_REVIEW_AGE_YEARS * DAYS_PER_YEAR
        n = int(live.sum())
        f = facts[live]
        noise = rng.standard_normal((4, n))
        scores = {
            "philosophy_process": _score(
                0.8 * f["manager_z"].to_numpy()
                + 0.3 * companies["skill_z"].to_numpy()[comp][live]
                + 0.5 * noise[0]
            ),
            "org_stability": _score(
                0.5
                - 1.1 * f["changes_3y"].to_numpy()
                + 0.08 * np.minimum(f["tenure_years"].to_numpy(), 10.0)
                - 0.3 * turnover_z[live]
                + 0.4 * noise[1]
            ),
            "risk_management": _score(
                -0.7 * idio_z[live] + 0.4 * companies["systems_z"].to_numpy()[comp][live]
                + 0.5 * noise[2]
            ),
            "esg": _score(0.8 * companies["esg_z"].to_numpy()[comp][live] + 0.6 * noise[3]),
        }  # fmt: skip
        pick = rng.random((4, n))
        org = zip(
            scores["org_stability"],
            f["changes_3y"],
            f["manager"],
            f["tenure_years"],
            pick[1],
            strict=True,
        )
        notes = {
            "philosophy_process": _pick(PHILOSOPHY_NOTES, scores["philosophy_process"], pick[0]),
            "org_stability": [_org_note(*args) for args in org],
            "risk_management": _pick(RISK_NOTES, scores["risk_management"], pick[2]),
            "esg": _pick(ESG_NOTES, scores["esg"], pick[3]),
        }
        frames += _review_frame(f["fund_id"].to_numpy(), review, scores, notes)
    return frames


def _company_reviews(
    universe: Universe, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> list[pd.DataFrame]:
    """Company-level reviews (capability, organisation, systems) each Nov 30."""
    companies = universe.companies
    active = companies["n_funds"].to_numpy() > 0
    comp = universe.truth["company_index"].to_numpy()
    changes = _change_days(universe, dates)
    total_aum = np.bincount(
        comp, weights=universe.funds["aum"].to_numpy(), minlength=len(companies)
    )
    size_z = np.log(np.maximum(total_aum, 1.0))
    size_z = (size_z - size_z[active].mean()) / (size_z[active].std() or 1.0)
    turnover_z = (companies["turnover_rate"].to_numpy() - 0.2) / 0.087
    frames = []
    for review in review_dates(dates):
        day = _days([review])[0]
        recent = ((changes <= day) & (changes > day - DAYS_PER_YEAR)).sum(axis=1)
        recent_by_company = np.bincount(comp, weights=recent, minlength=len(companies)).astype(int)
        noise = rng.standard_normal((3, len(companies)))
        scores = {
            "company_capability": _score(0.9 * companies["skill_z"].to_numpy() + 0.4 * noise[0]),
            "company_organisation": _score(
                -0.8 * turnover_z - 0.25 * (recent_by_company - 1.0) + 0.4 * noise[1]
            ),
            "company_systems": _score(
                0.6 * companies["systems_z"].to_numpy() + 0.4 * size_z + 0.4 * noise[2]
            ),
        }
        notes = {
            "company_capability": [
                f"운용역 {m}명, {CAPABILITY_NOTES[s]}"
                for m, s in zip(companies["n_managers"], scores["company_capability"], strict=True)
            ],
            "company_organisation": [
                f"최근 1년 펀드매니저 교체 {k}건, {COMPANY_ORG_NOTES[s]}"
                for k, s in zip(recent_by_company, scores["company_organisation"], strict=True)
            ],
            "company_systems": [
                f"수탁고 {_krw_text(a)}, {SYSTEMS_NOTES[s]}"
                for a, s in zip(total_aum, scores["company_systems"], strict=True)
            ],
        }
        scores = {k: v[active] for k, v in scores.items()}
        notes = {k: np.array(v, dtype=object)[active] for k, v in notes.items()}
        frames += _review_frame(companies["company"].to_numpy()[active], review, scores, notes)
    return frames


def qualitative_frame(
    config: DemoConfig, universe: Universe, dates: pd.DatetimeIndex
) -> pd.DataFrame:
    """All yearly qualitative reviews: subject_id, as_of, criterion_id, score, note."""
    rng = _rng(config.seed, "qualitative")
    frames = _fund_reviews(universe, dates, rng) + _company_reviews(universe, dates, rng)
    if not frames:
        raise ValueError("the demo calendar holds no yearly review date; use years >= 1")
    frame = pd.concat(frames, ignore_index=True)
    frame["as_of"] = frame["as_of"].astype("datetime64[s]")
    frame["score"] = frame["score"].astype(np.int64)
    return frame.sort_values(["as_of", "subject_id", "criterion_id"], ignore_index=True)


# ---------------------------------------------------------------- expert grades

PERF_TEMPLATES = (
    "3년 연환산 수익률 {ret3:.1f}%로 유형 내 {position}, 샤프지수 {sharpe:.2f}.",
    "최근 3년 연 {ret3:.1f}% 수익으로 동일유형 {peers}개 중 {rank}위, 샤프 {sharpe:.2f}.",
    "3년 기준 연 {ret3:.1f}%, 정보비율 {ir:.2f}로 벤치마크 대비 {ir_word}.",
)
RISK_TEMPLATES = (
    "3년 최대낙폭 {mdd:.1f}%로 {mdd_word}.",
    "하락 구간 최대낙폭 {mdd:.1f}%, {mdd_word}.",
)
MDD_WORDS = {
    5: "방어력 우수",
    4: "방어력 양호",
    3: "유형 평균 수준",
    2: "변동성 관리 필요",
    1: "하락 방어 취약",
}
TURNOVER_SENTENCES = (
    "잦은 매니저 교체를 감안해 한 단계 하향 조정.",
    "운용 연속성 우려로 등급 한 단계 하향.",
)
COMMENT_FACTS = (  # column, indicator, window
    ("ret3", "ann_return", "3y"),
    ("ret3_pct", "ann_return_pct", "3y"),
    ("sharpe3", "sharpe", "3y"),
    ("ir3", "information_ratio", "3y"),
    ("mdd3", "max_drawdown", "3y"),
    ("ret1", "cum_return", "1y"),
)
CLOSINGS = {
    5: ("적극 추천.", "핵심 추천 펀드로 유지."),
    4: ("추천 유지.", "편입 유지 의견."),
    3: ("중립 의견.", "관찰 유지."),
    2: ("비중 축소 검토.", "주의 관찰 필요."),
    1: ("교체 검토 권고.", "편입 제외 검토."),
}  # fmt: skip


def rating_dates(config: DemoConfig, dates: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The last business day of each of the last `n_rating_year_ends` years, then the end date."""
    end = dates[-1]
    found = []
    for year in range(end.year - config.n_rating_year_ends, end.year + 1):
        before = dates[dates <= pd.Timestamp(year, 12, 31)]
        if len(before) and before[-1] < end and before[-1].year == year:
            found.append(before[-1])
    return found + [end]


def category_percentile(values: pd.Series, groups: pd.Series) -> pd.Series:
    """100 x (rank - 1) / (n - 1) within each group, ties averaged, higher value higher; NaN if n < 2."""
    rank = values.groupby(groups).rank(method="average")
    count = values.groupby(groups).transform("count")
    return ((rank - 1.0) / (count - 1.0) * 100.0).where(count >= 2)


def band_grade(percentile: pd.Series | np.ndarray) -> np.ndarray:
    """Grade 1-5 from a category percentile with GRADE_BANDS; NaN scores NEUTRAL_SCORE."""
    pct = np.asarray(percentile, dtype=float)
    grade = np.select([pct >= low for _, low in GRADE_BANDS], [g for g, _ in GRADE_BANDS], 1)
    return np.where(np.isnan(pct), NEUTRAL_SCORE, grade).astype(int)


def _latest_reviews(qualitative: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The latest score per subject and criterion on or before `as_of`, wide by criterion."""
    seen = qualitative[qualitative["as_of"] <= as_of].sort_values("as_of")
    latest = seen.groupby(["subject_id", "criterion_id"], sort=False).last()
    return latest["score"].unstack("criterion_id")


def _indicator(table: pd.DataFrame, key: str, window: str) -> pd.Series:
    """One indicator for one window, indexed by fund_id."""
    rows = table[table["window"] == window]
    return pd.Series(rows[key].to_numpy(float), index=rows["fund_id"].to_numpy())


def _score_documented(
    eligible: pd.DataFrame, table: pd.DataFrame, reviews: pd.DataFrame
) -> pd.DataFrame:
    """Every documented criterion's 1-5 score and the weighted score, per eligible fund."""
    scores = pd.DataFrame(index=eligible.index)
    for c in QUANT_CRITERIA:
        pct = eligible["fund_id"].map(_indicator(table, c["indicator"] + "_pct", c["window"]))
        if c["fallback_window"]:
            fallback = _indicator(table, c["indicator"] + "_pct", c["fallback_window"])
            pct = pct.fillna(eligible["fund_id"].map(fallback))
        scores[c["id"]] = band_grade(pct)
    for c in JUDGED_CRITERIA:
        subject = eligible["company"] if c["section"] == "company" else eligible["fund_id"]
        column = reviews[c["id"]] if c["id"] in reviews else pd.Series(dtype=float)
        scores[c["id"]] = subject.map(column).fillna(NEUTRAL_SCORE).astype(int)
    weights = np.array([c["weight"] for c in CRITERIA], dtype=float)
    weighted = scores[[c["id"] for c in CRITERIA]].to_numpy(float) @ weights / 100.0
    scores["weighted"] = np.round(weighted, WEIGHTED_DECIMALS)
    return scores


def _position(percentile: float) -> str:
    """A category percentile as analysts say it: '상위 8%' or '하위 15%'."""
    if np.isnan(percentile):
        return "비교 펀드 없음"
    if percentile >= 50.0:
        return f"상위 {max(100.0 - percentile, 1.0):.0f}%"
    return f"하위 {max(percentile, 1.0):.0f}%"


def _comment(row: pd.Series, pick: np.ndarray) -> str:
    """A Korean analyst comment citing the fund's real numbers and the habits that applied."""
    ir = 0.0 if np.isnan(row["ir3"]) else row["ir3"]
    ir_word = "초과성과 양호" if ir > 0.3 else ("소폭 초과" if ir > 0 else "열위")
    facts = dict(
        ret3=row["ret3"] * 100, position=_position(row["ret3_pct"]), sharpe=row["sharpe3"],
        peers=int(row["peers"]), rank=int(row["ret3_rank"]), ir=ir, ir_word=ir_word,
        mdd=row["mdd3"] * 100, mdd_word=MDD_WORDS[int(row["drawdown_3y"])],
    )  # fmt: skip
    parts = [PERF_TEMPLATES[int(pick[0] * len(PERF_TEMPLATES))].format(**facts)]
    if pick[1] < 0.6:
        parts.append(RISK_TEMPLATES[int(pick[2] * len(RISK_TEMPLATES))].format(**facts))
    if row["changes_3y"] > 0:
        parts.append(f"최근 3년 매니저 {int(row['changes_3y'])}회 교체.")
    elif row["tenure_years"] >= 5:
        parts.append(f"현 매니저 {row['tenure_years']:.0f}년째 운용으로 운용 일관성 양호.")
    if row["turnover_notch"]:
        parts.append(TURNOVER_SENTENCES[int(pick[3] * len(TURNOVER_SENTENCES))])
    elif row["adj_recent_change"] < 0:
        parts.append("신임 매니저의 운용 성과는 추가 확인 필요.")
    if row["adj_long_record"] > 0 and pick[5] < 0.5:
        parts.append(f"설정 후 {row['age_years']:.0f}년의 장기 운용 이력은 긍정적.")
    if row["adj_recent_slump"] < 0:
        parts.append(f"최근 1년 수익률 {row['ret1'] * 100:.1f}%로 유형 하위권, 단기 부진 유의.")
    if row["small_fund"]:
        aum = _krw_text(row["aum"])
        parts.append(
            f"순자산 {aum}의 소규모 펀드로 청산 위험을 고려해 등급 상단 제한."
            if row["small_fund_cap"]
            else f"순자산 {aum}의 소규모 펀드로 청산 위험 유의."
        )
    parts.append(CLOSINGS[int(row["grade"])][int(pick[4] * 2)])
    return " ".join(parts)


def _habits(out: pd.DataFrame, ret1_pct: pd.Series) -> None:
    """Add the score adjustments of the hidden habits (in weighted-score points) to `out`."""
    out["adj_long_record"] = np.where(out["age_years"] >= LONG_RECORD_YEARS, LONG_RECORD_BONUS, 0.0)
    recent = (out["changes_1y"] >= 1) & (out["changes_3y"] < TURNOVER_NOTCH_MIN_CHANGES)
    out["adj_recent_change"] = np.where(recent, -RECENT_CHANGE_PENALTY, 0.0)
    out["adj_recent_slump"] = np.where(ret1_pct < SLUMP_BOTTOM_PERCENT, -SLUMP_PENALTY, 0.0)


def _final_grade(out: pd.DataFrame) -> None:
    """Band the adjusted score within the category, then apply the notch and cap habits."""
    adjustments = [c for c in out.columns if c.startswith("adj_")]
    out["weighted_final"] = out["weighted_documented"] + out[adjustments].sum(axis=1)
    banded = band_grade(category_percentile(out["weighted_final"], out["category"]))
    out["turnover_notch"] = out["changes_3y"] >= TURNOVER_NOTCH_MIN_CHANGES
    notched = np.clip(banded - out["turnover_notch"].to_numpy(int), 1, 5)
    out["small_fund"] = out["aum"] < SMALL_FUND_AUM
    out["small_fund_cap"] = out["small_fund"] & (notched > SMALL_FUND_MAX_GRADE)
    out["grade"] = np.where(out["small_fund"], np.minimum(notched, SMALL_FUND_MAX_GRADE), notched)


def _grade_date(
    universe: Universe,
    dates: pd.DatetimeIndex,
    table: pd.DataFrame,
    qualitative: pd.DataFrame,
    as_of: pd.Timestamp,
    analyst: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """All eligible funds graded at one date (empty when none has a 3-year record)."""
    funds = universe.funds
    cutoff = pd.Timestamp(_years_before(as_of.date(), MIN_TRACK_RECORD_YEARS))
    has_3y = funds["fund_id"].map(_indicator(table, "ann_return", "3y").notna()).to_numpy(bool)
    keep = (universe.truth["nav_start"] <= cutoff).to_numpy() & has_3y
    eligible = funds[keep]
    fund_ids = eligible["fund_id"]
    day = _days([as_of])[0]
    scores = _score_documented(eligible, table, _latest_reviews(qualitative, as_of))

    out = eligible[["fund_id", "category", "aum"]].copy()
    out.insert(1, "as_of", as_of)
    out[[c["id"] for c in CRITERIA]] = scores[[c["id"] for c in CRITERIA]]
    out["weighted_documented"] = scores["weighted"]
    out["grade_documented"] = band_grade(category_percentile(scores["weighted"], out["category"]))
    facts = manager_facts(universe, dates, day)[keep]
    for column in ("changes_1y", "changes_3y", "tenure_years"):
        out[column] = facts[column].to_numpy()
    out["age_years"] = (day - _days(eligible["inception_date"])) / DAYS_PER_YEAR
    _habits(out, fund_ids.map(_indicator(table, "cum_return_pct", "1y")))
    out["analyst"] = np.array([a.name for a in ANALYSTS], dtype=object)[analyst[keep]]
    out["adj_analyst"] = np.array([a.leniency for a in ANALYSTS])[analyst[keep]]
    noise_sd = np.array([a.noise_sd for a in ANALYSTS])[analyst[keep]]
    out["adj_noise"] = rng.standard_normal(len(out)) * noise_sd
    _final_grade(out)

    for name, key, window in COMMENT_FACTS:
        out[name] = fund_ids.map(_indicator(table, key, window))
    out["ret3_rank"] = out["ret3"].groupby(out["category"]).rank(method="min", ascending=False)
    out["peers"] = out["category"].map(out["category"].value_counts())
    picks = rng.random((len(out), 6))
    out["comment"] = [_comment(row, p) for (_, row), p in zip(out.iterrows(), picks, strict=True)]
    return out


def grade_funds(
    config: DemoConfig,
    universe: Universe,
    dates: pd.DatetimeIndex,
    nav: pd.DataFrame,
    benchmarks: pd.DataFrame,
    risk_free: pd.DataFrame,
    qualitative: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expert grades at each rating date: the house methodology, hidden habits and analyst noise.

    Returns (ratings, detail): the ratings file in canonical columns, and per rating the
    documented score and grade next to every habit's and analyst's adjustment.
    """
    rng = _rng(config.seed, "grading")
    inputs = MetricInputs(
        funds=universe.funds[["fund_id", "category", "benchmark_id"]],
        nav=nav,
        benchmarks=benchmarks[["benchmark_id", "date", "level"]],
        risk_free=risk_free,
    )
    when = rating_dates(config, dates)
    n = len(universe.funds)
    usual = rng.integers(len(ANALYSTS), size=n)  # each fund has a usual analyst ...
    switched = rng.random((len(when), n)) < ANALYST_SWITCH_PROB  # ... who is sometimes away
    stand_in = rng.integers(len(ANALYSTS), size=(len(when), n))
    details = []
    for index, as_of in enumerate(when):
        table = compute_indicators(inputs, as_of.date(), windows=("1y", "3y", "5y"))
        analyst = np.where(switched[index], stand_in[index], usual)
        details.append(_grade_date(universe, dates, table, qualitative, as_of, analyst, rng))
    detail = pd.concat(details, ignore_index=True)
    detail["as_of"] = detail["as_of"].astype("datetime64[s]")
    detail["grade"] = detail["grade"].astype(np.int64)
    ratings = detail[["fund_id", "as_of", "grade", "analyst", "comment"]].copy()
    ratings[SCORE_COLUMNS] = detail[[c["id"] for c in CRITERIA]].astype(float).to_numpy()
    return ratings, detail


# ---------------------------------------------------------------- the whole demo


@dataclass(frozen=True)
class DemoData:
    """Everything the demo generates: the six upload frames and the hidden truth behind them."""

    funds: pd.DataFrame
    nav: pd.DataFrame
    benchmarks: pd.DataFrame
    risk_free: pd.DataFrame
    qualitative: pd.DataFrame
    ratings: pd.DataFrame
    truth: pd.DataFrame
    managers: pd.DataFrame
    companies: pd.DataFrame
    grading: pd.DataFrame  # per rating: documented score/grade, habit and analyst adjustments
    rating_dates: list[date] = field(default_factory=list)

    def uploads(self) -> dict[str, pd.DataFrame]:
        """The frames that become upload files, by ingest kind."""
        return {kind: getattr(self, kind) for kind in INGEST_ORDER}


def generate_demo(config: DemoConfig = DemoConfig()) -> DemoData:
    """The whole synthetic universe in memory; the same config always gives the same frames."""
    dates = business_days(config)
    market = simulate_market(config, dates)
    universe = generate_universe(config, dates)
    nav = simulate_nav(config, universe, market)
    benchmarks = benchmark_frame(market)
    risk_free = risk_free_frame(config, dates)
    qualitative = qualitative_frame(config, universe, dates)
    ratings, grading = grade_funds(config, universe, dates, nav, benchmarks, risk_free, qualitative)
    return DemoData(
        funds=universe.funds,
        nav=nav,
        benchmarks=benchmarks,
        risk_free=risk_free,
        qualitative=qualitative,
        ratings=ratings,
        truth=universe.truth,
        managers=universe.managers,
        companies=universe.companies,
        grading=grading,
        rating_dates=sorted({d.date() for d in ratings["as_of"]}),
    )


def _date_text(values: pd.Series, fmt: str) -> pd.Series:
    """Dates as text in the given strftime format."""
    return pd.to_datetime(values).dt.strftime(fmt)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet with real DATE columns (not timestamps), as exported by analysts' tools."""
    columns = {
        name: pa.array(frame[name].to_numpy().astype("datetime64[D]"))
        if name == "date"
        else pa.array(frame[name].to_numpy())
        for name in frame.columns
    }
    pq.write_table(pa.table(columns), path, compression="zstd")


def write_demo_files(data: DemoData, folder: Path) -> dict[str, Path]:
    """Write the six upload files in the formats analysts have them; returns their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / name for kind, name in FILE_NAMES.items()}

    funds = pd.DataFrame(
        {
            "펀드코드": data.funds["fund_id"],
            "펀드명": data.funds["fund_name"],
            "유형": data.funds["category"],
            "운용사": data.funds["company"],
            "매니저": data.funds["manager"],
            "설정일": _date_text(data.funds["inception_date"], "%Y.%m.%d"),
            "통화": data.funds["currency"],
            "벤치마크": data.funds["benchmark_id"],
            "총보수": data.funds["expense_ratio"].map("{:.3f}".format),
            "순자산": data.funds["aum"].map("{:,.0f}".format),
        }
    )
    funds.to_csv(paths["funds"], index=False, encoding="cp949", lineterminator="\r\n")
    _write_parquet(data.nav, paths["nav"])
    _write_parquet(data.benchmarks, paths["benchmarks"])
    risk_free = pd.DataFrame(
        {
            "기준일자": _date_text(data.risk_free["date"], "%Y%m%d"),
            "금리": data.risk_free["rate"].map("{:.2f}".format),
        }
    )
    risk_free.to_csv(paths["risk_free"], index=False, encoding="utf-8-sig")
    qualitative = data.qualitative.assign(as_of=_date_text(data.qualitative["as_of"], "%Y-%m-%d"))
    qualitative.to_csv(paths["qualitative"], index=False, encoding="utf-8")
    ratings = data.ratings.rename(
        columns={"fund_id": "펀드코드", "as_of": "평가일", "grade": "등급", "analyst": "평가자",
                 "comment": "의견"}
    )  # fmt: skip
    with pd.ExcelWriter(paths["ratings"], engine="openpyxl") as writer:
        ratings.to_excel(writer, sheet_name="등급", index=False)
    return paths


def mark_synthetic(home: Home) -> None:
    """Record in the store's meta table that its data is the synthetic demo."""
    with connect(home) as con, transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [DATASET_META_KEY, DATASET_META_VALUE],
        )


def build_demo(home: Home, config: DemoConfig = DemoConfig()) -> DemoSummary:
    """Generate the demo, write its files under uploads/demo and load them through ingest."""
    started = time.perf_counter()
    home.ensure()
    data = generate_demo(config)
    generated = time.perf_counter()
    files = write_demo_files(data, home.uploads / DEMO_FOLDER)
    counts, inserted, replaced = {}, {}, {}
    for kind in INGEST_ORDER:
        result = ingest_file(home, files[kind], kind, source="demo")
        counts[kind], inserted[kind], replaced[kind] = result.rows, result.inserted, result.replaced
    mark_synthetic(home)
    seconds = time.perf_counter() - started
    log.info(
        "demo: %d funds, %d NAV rows, %d ratings; generated in %.1f s, loaded in %.1f s",
        len(data.funds), len(data.nav), len(data.ratings), generated - started,
        seconds - (generated - started),
    )  # fmt: skip
    return DemoSummary(
        label=DEMO_LABEL,
        counts=counts,
        inserted=inserted,
        replaced=replaced,
        start=pd.Timestamp(data.nav["date"].min()).date(),
        end=pd.Timestamp(data.nav["date"].max()).date(),
        rating_dates=data.rating_dates,
        files=files,
        seconds=seconds,
        n_funds=len(data.funds),
        n_rated_funds=int(data.ratings["fund_id"].nunique()),
    )
