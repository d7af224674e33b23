"""The house's way of grading funds in the demo: methodology, hidden habits, analysts, grades.

The written methodology (`house_methodology()`: a methodology document in the format of
docs/methodology-format.md), the analysts' undocumented habits (`HIDDEN_HABITS`), the analysts
with their leniency and noise, and the grading step that applies all of them at each rating
date. The documented grade is exactly what the reference scorer (`engine.methodology.scoring.score`) gives
under the written methodology, so "the existing way" a model is compared with agrees with the
demo data; the habits and the analyst's leniency and noise then move the expert's final grade.
Part of the synthetic demo (`engine.demo.build`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from engine.data.metrics import MetricInputs, compute_indicators
from engine.demo.market import DAYS_PER_YEAR, DemoSettings, _days, _rng
from engine.demo.text import ANALYST_NAMES, COMMENT_FACTS, EOK, _comment
from engine.demo.universe import Universe, manager_facts
from engine.methodology import DEFAULT_SCORE_BANDS, effective_weight, iter_criteria
from engine.methodology.scoring import DECIMALS, category_pct, score

MIN_TRACK_RECORD_MONTHS = 36
MIN_TRACK_RECORD_YEARS = MIN_TRACK_RECORD_MONTHS // 12
HOUSE_ID = "house"

# ---------------------------------------------------------------- methodology

# (section id, kind, name_ko, name_en, weight % of the total)
_SECTIONS = (
    ("quantitative", "quantitative", "정량평가", "Quantitative", 60),
    ("qualitative", "qualitative", "정성평가", "Qualitative", 20),
    ("company", "company", "운용사평가", "Management company", 10),
    ("esg", "esg", "ESG", "ESG", 10),
)
# (section id, criterion id, name_ko, name_en, weight % of its section, measure)
_CRITERIA = (
    ("quantitative", "ann_return_3y", "3년 연환산 수익률", "3-year annualised return", 25,
     ("ann_return", "3y")),
    ("quantitative", "sharpe_3y", "3년 샤프지수", "3-year Sharpe ratio", 25, ("sharpe", "3y")),
    ("quantitative", "information_ratio_3y", "3년 정보비율", "3-year information ratio", 15,
     ("information_ratio", "3y")),
    ("quantitative", "max_drawdown_3y", "3년 최대낙폭", "3-year maximum drawdown", 15,
     ("max_drawdown", "3y")),
    ("quantitative", "sortino_5y", "5년 소티노비율", "5-year Sortino ratio", 10,
     ("sortino", "5y", "3y")),
    ("quantitative", "cum_return_1y", "1년 수익률", "1-year return", 10, ("cum_return", "1y")),
    ("qualitative", "philosophy_process", "운용철학 및 프로세스",
     "Investment philosophy and process", 40, "philosophy_process"),
    ("qualitative", "org_stability", "조직 안정성", "Organisational stability", 30,
     "org_stability"),
    ("qualitative", "risk_management", "위험관리 체계", "Risk-management system", 30,
     "risk_management"),
    ("company", "company_capability", "운용사 운용역량", "Company investment capability", 40,
     "company_capability"),
    ("company", "company_organisation", "운용사 조직", "Company organisation", 30,
     "company_organisation"),
    ("company", "company_systems", "운용사 시스템·인프라", "Company systems and infrastructure", 30,
     "company_systems"),
    ("esg", "esg", "ESG·지속가능성", "ESG and sustainability", 100, "esg"),
)  # fmt: skip
_NAME = {"ko": "하우스 펀드평가 방법론 (데모)", "en": "House fund-rating methodology (demo)"}
_DESCRIPTION = {
    "ko": (
        "데모용 합성 데이터의 하우스 평가방법론. 정량 항목은 유형 내 백분위 구간으로, 정성·운용사·"
        "ESG 항목은 최근 정성평가 점수로 1~5점을 매기고, 가중평균 종합점수의 유형 내 백분위로 "
        "등급을 정한다."
    ),
    "en": (
        "The house methodology of the synthetic demo data. Quantitative criteria score 1-5 by "
        "category percentile band, qualitative, company and ESG criteria use the latest review "
        "score; the grade is the category percentile band of the weighted total."
    ),
}


def _measure(spec: tuple | str) -> dict:
    """An indicator measure from (indicator, window[, fallback]), a qualitative one from its id."""
    if isinstance(spec, str):
        return {"type": "qualitative", "criterion": spec}
    measure = {"type": "indicator", "indicator": spec[0], "window": spec[1]}
    if len(spec) > 2:
        measure["fallback_window"] = spec[2]
    return measure


def house_methodology(lang: str = "ko") -> dict:
    """The house's written methodology as a methodology document (a fresh copy on every call).

    Quantitative 60 (3y return 25, 3y Sharpe 25, 3y IR 15, 3y drawdown 15, 5y Sortino 10 with
    the 3y value for funds without 5 years, 1y return 10), qualitative 20 (40/30/30), company
    10 (40/30/30), ESG 10; funds with at least 36 months since inception are rated; indicator
    criteria score by category percentile band and the grade is the category percentile band of
    the total (top 10 % 5, next 22.5 % 4, middle 35 % 3, next 22.5 % 2, bottom 10 % 1).
    `lang` ("ko" or "en") is the language the document is written in; names are in both.
    """
    lang = "ko" if lang == "ko" else "en"
    bands = [{"min_pct": low, "score": value} for low, value in DEFAULT_SCORE_BANDS]
    sections = [
        {"id": sid, "kind": kind, "name_ko": ko, "name_en": en, "weight": weight, "criteria": []}
        for sid, kind, ko, en, weight in _SECTIONS
    ]
    by_id = {section["id"]: section for section in sections}
    for sid, cid, ko, en, weight, spec in _CRITERIA:
        measure = _measure(spec)
        if measure["type"] == "qualitative":
            scoring = {"method": "qualitative"}  # the analyst's 1-5 score as is
        else:
            scoring = {"method": "percentile_bands", "bands": copy.deepcopy(bands)}
        by_id[sid]["criteria"].append(
            {"id": cid, "name_ko": ko, "name_en": en, "weight": weight, "measure": measure,
             "direction": "higher_is_better", "scoring": scoring}
        )  # fmt: skip
    doc = {
        "id": HOUSE_ID,
        "name": _NAME[lang],
        "language": lang,
        "client": None,
        "description": _DESCRIPTION[lang],
        "eligibility": {"min_track_record_months": MIN_TRACK_RECORD_MONTHS},
        "missing_inputs": {"score": 3, "max_weight": 30},
        "sections": sections,
        "grade_scale": {
            "method": "percentile",
            "bands": [{"grade": value, "min_pct": low} for low, value in DEFAULT_SCORE_BANDS],
        },
    }
    if lang == "ko":
        doc["name_en"] = _NAME["en"]
    return doc


CRITERION_IDS: tuple[str, ...] = tuple(row[1] for row in _CRITERIA)
SCORE_COLUMNS = [f"score_{cid}" for cid in CRITERION_IDS]


def _effective_weight(criterion_id: str) -> float:
    """A criterion's weight in % of the whole house methodology."""
    doc = house_methodology()
    return next(effective_weight(s, c) for s, c in iter_criteria(doc) if c["id"] == criterion_id)


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
            f"-{RECENT_CHANGE_PENALTY} on the total"
        ),
        "params": {"min_changes_3y": TURNOVER_NOTCH_MIN_CHANGES, "notch": -1,
                   "recent_change_penalty": RECENT_CHANGE_PENALTY},
    },
    "long_track_record": {
        "name_ko": "장기 운용이력 선호",
        "rule_en": f"{LONG_RECORD_YEARS:.0f}+ years since inception: +{LONG_RECORD_BONUS} on the total",
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
            f"-{SLUMP_PENALTY} on the total (the written weight of the 1y return is only "
            f"{_effective_weight('cum_return_1y'):g}%)"
        ),
        "params": {"bottom_percent": SLUMP_BOTTOM_PERCENT, "penalty": SLUMP_PENALTY},
    },
}  # fmt: skip
"""Analyst habits that shape the expert grades but are NOT in the written methodology.

They stand for the house's tacit knowledge: a model that learns only `house_methodology()` will
miss them, one that learns from the expert grades can pick them up. Every habit acts on facts
a model can see (the manager history file and the org_stability review, inception date, AUM,
1y return).
"""


@dataclass(frozen=True)
class Analyst:
    """An expert who grades funds, with a personal leniency and inconsistency."""

    name: str
    leniency: float  # added to the total
    noise_sd: float


ANALYSTS: tuple[Analyst, ...] = tuple(
    Analyst(name, leniency, noise_sd)
    for name, (leniency, noise_sd) in zip(
        ANALYST_NAMES,  # names in engine.demo.text, so that no manager is given one
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


def grade_band(percentile: pd.Series | np.ndarray, doc: dict) -> np.ndarray:
    """Grade 1-5 of a category percentile with the grade bands of `doc` (a percentile scale)."""
    pct = np.asarray(percentile, dtype=float)
    bands = doc["grade_scale"]["bands"]
    return np.select([pct >= b["min_pct"] for b in bands], [b["grade"] for b in bands], 1)


def _indicator(table: pd.DataFrame, key: str, window: str) -> pd.Series:
    """One indicator for one window, indexed by fund_id."""
    rows = table[table["window"] == window]
    return pd.Series(rows[key].to_numpy(float), index=rows["fund_id"].to_numpy())


def scoring_inputs(
    funds: pd.DataFrame, qualitative: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's funds and reviews in the columns `engine.methodology.scoring.score` reads (as the store has them).

    funds: fund_id, category, company_id (the company's name), inception_date, aum;
    qualitative: with subject_kind 'fund' for a fund code, 'company' otherwise (as ingest does).
    """
    scored_funds = funds[["fund_id", "category", "inception_date", "aum"]].assign(
        company_id=funds["company"]
    )
    is_fund = qualitative["subject_id"].isin(funds["fund_id"])
    reviews = qualitative.assign(subject_kind=np.where(is_fund, "fund", "company"))
    return scored_funds, reviews


# Where each hidden habit applies, from the facts it acts on (NaN: it does not apply). The demo's
# grading and `bench/bench_headroom.py` (from the facts a prompt shows) both use these.


def turnover_notch(changes_3y: ArrayLike) -> np.ndarray:
    """`manager_turnover`'s notch: at least TURNOVER_NOTCH_MIN_CHANGES changes in 3 years."""
    return np.asarray(changes_3y, dtype=float) >= TURNOVER_NOTCH_MIN_CHANGES


def recent_change(changes_1y: ArrayLike, changes_3y: ArrayLike) -> np.ndarray:
    """`manager_turnover`'s penalty: a change in the last 12 months, too few in 3 years to notch."""
    three = np.asarray(changes_3y, dtype=float)
    return (np.asarray(changes_1y, dtype=float) >= 1) & (three < TURNOVER_NOTCH_MIN_CHANGES)


def long_record(age_years: ArrayLike) -> np.ndarray:
    """`long_track_record`: at least LONG_RECORD_YEARS since inception."""
    return np.asarray(age_years, dtype=float) >= LONG_RECORD_YEARS


def small_fund(aum_krw: ArrayLike) -> np.ndarray:
    """`small_fund_distrust`: AUM under SMALL_FUND_AUM won."""
    return np.asarray(aum_krw, dtype=float) < SMALL_FUND_AUM


def recent_slump(ret1_pct: ArrayLike) -> np.ndarray:
    """`recent_slump`: a 1-year return below the SLUMP_BOTTOM_PERCENT percentile of its category."""
    return np.asarray(ret1_pct, dtype=float) < SLUMP_BOTTOM_PERCENT


def _habits(out: pd.DataFrame, ret1_pct: pd.Series) -> None:
    """Add the score adjustments of the hidden habits (in points of the 1-5 total) to `out`."""
    out["adj_long_record"] = np.where(long_record(out["age_years"]), LONG_RECORD_BONUS, 0.0)
    recent = recent_change(out["changes_1y"], out["changes_3y"])
    out["adj_recent_change"] = np.where(recent, -RECENT_CHANGE_PENALTY, 0.0)
    out["adj_recent_slump"] = np.where(recent_slump(ret1_pct), -SLUMP_PENALTY, 0.0)


def _final_grade(out: pd.DataFrame, doc: dict) -> None:
    """Band the adjusted total within the category, then apply the notch and cap habits."""
    adjustments = [c for c in out.columns if c.startswith("adj_")]
    out["total_final"] = (out["total_documented"] + out[adjustments].sum(axis=1)).round(DECIMALS)
    banded = grade_band(category_pct(out["total_final"], out["category"]), doc)
    out["turnover_notch"] = turnover_notch(out["changes_3y"])
    notched = np.clip(banded - out["turnover_notch"].to_numpy(int), 1, 5)
    out["small_fund"] = small_fund(out["aum"])
    out["small_fund_cap"] = out["small_fund"] & (notched > SMALL_FUND_MAX_GRADE)
    out["grade"] = np.where(out["small_fund"], np.minimum(notched, SMALL_FUND_MAX_GRADE), notched)


def _grade_date(
    universe: Universe,
    dates: pd.DatetimeIndex,
    table: pd.DataFrame,
    inputs: tuple[dict, pd.DataFrame, pd.DataFrame],
    as_of: pd.Timestamp,
    analyst: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Every fund the house methodology grades at one date (empty when it grades none).

    The documented scores, total and grade are `engine.methodology.scoring.score` of `inputs` (the house
    methodology, `scoring_inputs`); the hidden habits and the analyst come on top.
    """
    funds = universe.funds
    doc, scored_funds, reviews = inputs
    documented = score(doc, table, reviews, scored_funds, as_of)
    keep = documented["grade"].notna().to_numpy()
    documented = documented[keep]
    eligible = funds[keep]
    fund_ids = eligible["fund_id"]
    day = _days([as_of])[0]

    out = eligible[["fund_id", "category", "aum"]].copy()
    out.insert(1, "as_of", as_of)
    for cid in CRITERION_IDS:
        out[cid] = documented[f"score_{cid}"].to_numpy(float)
    out["total_documented"] = documented["total"].to_numpy(float)
    out["grade_documented"] = documented["grade"].to_numpy(np.int64)
    facts = manager_facts(universe, dates, day)[keep]
    for column in ("changes_1y", "changes_3y", "tenure_years"):
        out[column] = facts[column].to_numpy()
    out["age_years"] = (day - _days(eligible["inception_date"])) / DAYS_PER_YEAR
    _habits(out, fund_ids.map(_indicator(table, "cum_return_pct", "1y")))
    out["analyst"] = np.array([a.name for a in ANALYSTS], dtype=object)[analyst[keep]]
    out["adj_analyst"] = np.array([a.leniency for a in ANALYSTS])[analyst[keep]]
    noise_sd = np.array([a.noise_sd for a in ANALYSTS])[analyst[keep]]
    out["adj_noise"] = rng.standard_normal(len(out)) * noise_sd
    _final_grade(out, doc)

    for name, key, window in COMMENT_FACTS:
        out[name] = fund_ids.map(_indicator(table, key, window))
    out["ret3_rank"] = out["ret3"].groupby(out["category"]).rank(method="min", ascending=False)
    out["peers"] = out["category"].map(out["category"].value_counts())
    picks = rng.random((len(out), 6))
    out["comment"] = [_comment(row, p) for (_, row), p in zip(out.iterrows(), picks, strict=True)]
    return out


def habit_aware_grades(grading: pd.DataFrame) -> pd.Series:
    """The noise-free, habit-aware grade of each rating in `grading` (`grade_funds`' detail).

    The written methodology plus the hidden habits, without the analyst's leniency and noise:
    the best any model of the house can do on the demo (its ceiling). Only the synthetic demo
    knows it.
    """
    doc = house_methodology()
    out = []
    for _, day in grading.groupby("as_of", sort=False):
        clean = day.drop(columns=["adj_analyst", "adj_noise"])
        _final_grade(clean, doc)
        out.append(clean["grade"].astype(np.int64))
    return pd.concat(out).reindex(grading.index) if out else pd.Series(dtype=np.int64)


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

    Returns (ratings, detail): the ratings file in canonical columns (score_<criterion> are the
    documented criterion scores), and per rating the documented scores, total and grade next to
    every habit's and analyst's adjustment.
    """
    rng = _rng(config.seed, "grading")
    house = (house_methodology(), *scoring_inputs(universe.funds, qualitative))
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
        details.append(_grade_date(universe, dates, table, house, as_of, analyst, rng))
    detail = pd.concat(details, ignore_index=True)
    detail["as_of"] = detail["as_of"].astype("datetime64[s]")
    detail["grade"] = detail["grade"].astype(np.int64)
    ratings = detail[["fund_id", "as_of", "grade", "analyst", "comment"]].copy()
    ratings[SCORE_COLUMNS] = detail[list(CRITERION_IDS)].astype(float).to_numpy()
    return ratings, detail
