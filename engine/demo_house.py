"""The house's way of grading funds in the demo: methodology, hidden habits, analysts, grades.

The written methodology (`HOUSE_METHODOLOGY`: sections, criteria, weights, grade bands,
eligibility), the analysts' undocumented habits (`HIDDEN_HABITS`), the analysts with their
leniency and noise, and the grading step that applies all of them at each rating date. Part of
the synthetic demo (`engine.demo`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo_market import DAYS_PER_YEAR, DemoSettings, _days, _rng, _years_before
from engine.demo_text import ANALYST_NAMES, COMMENT_FACTS, EOK, _comment
from engine.demo_universe import Universe, manager_facts
from engine.metrics import MetricInputs, compute_indicators

MIN_TRACK_RECORD_YEARS = 3

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


ANALYSTS: tuple[Analyst, ...] = tuple(
    Analyst(name, leniency, noise_sd)
    for name, (leniency, noise_sd) in zip(
        ANALYST_NAMES,  # names in engine.demo_text, so that no manager is given one
        ((0.10, 0.08), (-0.12, 0.10), (0.00, 0.12), (0.05, 0.15), (-0.05, 0.09)),
        strict=True,
    )
)
ANALYST_SWITCH_PROB = 0.25  # chance a fund gets another analyst at a rating date

# ---------------------------------------------------------------- expert grades


def rating_dates(config: DemoSettings, dates: pd.DatetimeIndex) -> list[pd.Timestamp]:
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
    config: DemoSettings,
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
