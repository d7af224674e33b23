"""The synthetic demo: deterministic, realistic, graded by the house rules plus hidden habits, loadable."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from engine.demo.build import (
    CATEGORIES,
    CRITERION_IDS,
    DATASET_META_VALUE,
    DEMO_LABEL,
    HIDDEN_HABITS,
    SMALL_FUND_AUM,
    SMALL_FUND_MAX_GRADE,
    DemoConfig,
    DemoData,
    build_demo,
    generate_demo,
    house_methodology,
)
from engine.demo.house import (
    LONG_RECORD_YEARS,
    SLUMP_BOTTOM_PERCENT,
    TURNOVER_NOTCH_MIN_CHANGES,
    long_record,
    recent_change,
    recent_slump,
    small_fund,
    turnover_notch,
)
from engine.methodology import effective_weight, iter_criteria, save_version, summary, validate
from engine.methodology.scoring import score_funds
from store.db import connect
from store.home import Home

SMALL = DemoConfig(n_funds=40, years=4)
MEDIUM = DemoConfig(n_funds=120, years=5)  # enough ratings for distribution checks
EQUITY = ("국내주식형", "국내주식형(중소형)", "해외주식형", "인덱스형")
BONDS = ("국내채권형", "해외채권형")


@pytest.fixture(scope="module")
def small() -> DemoData:
    return generate_demo(SMALL)


@pytest.fixture(scope="module")
def medium() -> DemoData:
    return generate_demo(MEDIUM)


def _all_frames(data: DemoData) -> dict[str, pd.DataFrame]:
    return {**data.uploads(), "truth": data.truth, "grading": data.grading}


def _annual_vol(nav: pd.DataFrame) -> pd.Series:
    returns = nav.groupby("fund_id")["nav"].pct_change()
    return returns.groupby(nav["fund_id"]).std() * np.sqrt(252)


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames(small: DemoData) -> None:
    again = generate_demo(SMALL)
    for name, frame in _all_frames(small).items():
        pd.testing.assert_frame_equal(frame, _all_frames(again)[name], check_exact=True, obj=name)


def test_different_seed_gives_different_universe(small: DemoData) -> None:
    other = generate_demo(dataclasses.replace(SMALL, seed=SMALL.seed + 1))
    assert set(other.funds["fund_id"]) != set(small.funds["fund_id"])
    assert not other.nav["nav"].head(500).equals(small.nav["nav"].head(500))


def test_config_refuses_a_history_too_short_for_any_rating() -> None:
    with pytest.raises(ValueError, match="at least 3.5 years"):
        DemoConfig(years=2)
    with pytest.raises(ValueError, match="one per category"):
        DemoConfig(n_funds=3)


# ---------------------------------------------------------------- realism


def test_funds_have_korean_codes_names_and_known_categories(small: DemoData) -> None:
    funds = small.funds
    assert len(funds) == SMALL.n_funds
    assert funds["fund_id"].is_unique and funds["fund_name"].is_unique
    assert funds["fund_id"].str.fullmatch(r"KR5\d{9}").all()
    assert funds["fund_name"].str.contains("투자신탁").all()
    assert set(funds["category"]) <= {c.name for c in CATEGORIES}
    assert funds["company"].str.endswith("운용").all()
    assert funds["manager"].str.fullmatch(r"[가-힣]{3}").all()
    assert set(funds["currency"]) <= {"KRW", "USD"}
    assert funds.loc[funds["currency"] == "USD", "category"].str.startswith("해외").all()
    assert (funds["aum"] > 0).all()


def test_nav_history_covers_config_years_of_business_days(small: DemoData) -> None:
    dates = pd.DatetimeIndex(small.nav["date"].unique())
    assert dates.max().date() == SMALL.end_date
    assert (dates.day_of_week < 5).all()
    assert len(dates) == round(SMALL.years * 252)
    assert (small.nav["nav"] > 0).all()


def test_annualised_volatility_is_realistic_by_category(medium: DemoData) -> None:
    vol = medium.funds.set_index("fund_id")["category"].to_frame()
    vol["vol"] = _annual_vol(medium.nav)
    median = vol.groupby("category")["vol"].median()
    for category in EQUITY:
        assert 0.12 < median[category] < 0.35, category
    for category in BONDS:
        assert median[category] < 0.07, category
    assert median["혼합형(채권혼합)"] < median["혼합형(주식혼합)"] < median["국내주식형"]


def test_index_funds_track_their_benchmark_more_closely_than_active_funds(
    medium: DemoData,
) -> None:
    funds = medium.funds.set_index("fund_id")
    nav = medium.nav.merge(medium.funds[["fund_id", "benchmark_id"]], on="fund_id")
    nav = nav.merge(medium.benchmarks, on=["benchmark_id", "date"])
    by_fund = nav.groupby("fund_id")
    active = by_fund["nav"].pct_change() - by_fund["level"].pct_change()
    tracking_error = active.groupby(nav["fund_id"]).std() * np.sqrt(252)
    category = funds["category"].reindex(tracking_error.index)
    assert tracking_error[category == "인덱스형"].max() < 0.03
    assert tracking_error[category == "국내주식형"].median() > 0.04
    index_fee = funds.loc[funds["category"] == "인덱스형", "expense_ratio"].mean()
    assert index_fee < funds.loc[funds["category"] == "국내주식형", "expense_ratio"].mean()


def test_risk_free_rate_is_cd91_like_and_varies_by_year(small: DemoData) -> None:
    rate = small.risk_free.set_index("date")["rate"]
    assert rate.between(1.0, 3.8).all()
    assert rate.groupby(rate.index.year).mean().std() > 0.1


def test_some_funds_are_younger_than_three_and_five_years(medium: DemoData) -> None:
    age = (pd.Timestamp(MEDIUM.end_date) - medium.funds["inception_date"]).dt.days / 365.25
    assert (age < 3).sum() >= 10
    assert ((age >= 3) & (age < 5)).sum() >= 10
    assert (age >= 10).sum() >= 10


def test_qualitative_reviews_cover_every_criterion_and_reflect_turnover(medium: DemoData) -> None:
    qual = medium.qualitative
    judged = {
        c["measure"]["criterion"]
        for _, c in iter_criteria(house_methodology())
        if c["measure"]["type"] == "qualitative"
    }
    assert set(qual["criterion_id"]) == judged
    assert qual["score"].between(1, 5).all()
    assert qual["note"].str.contains("[가-힣]").all()
    org = qual[qual["criterion_id"] == "org_stability"]
    churned = org["note"].str.contains(r"최근 3년 매니저 [23]회 교체")
    steady = org["note"].str.contains("교체 이력 없음")
    assert org.loc[churned, "score"].mean() < org.loc[steady, "score"].mean() - 1.0
    companies = qual[qual["criterion_id"].str.startswith("company_")]
    assert set(companies["subject_id"]) <= set(medium.funds["company"])


# ---------------------------------------------------------------- methodology and grades


def test_house_methodology_is_a_valid_document_with_the_documented_weights() -> None:
    doc = house_methodology()
    assert validate(doc) == [] and validate(house_methodology("en")) == []
    assert doc["id"] == "house" and doc["language"] == "ko" and doc["name_en"]
    assert house_methodology("en")["language"] == "en"
    assert [(s["id"], s["weight"]) for s in doc["sections"]] == [
        ("quantitative", 60), ("qualitative", 20), ("company", 10), ("esg", 10),
    ]  # fmt: skip
    effective = {c["id"]: effective_weight(s, c) for s, c in iter_criteria(doc)}
    assert tuple(effective) == CRITERION_IDS
    assert effective == pytest.approx({
        "ann_return_3y": 15, "sharpe_3y": 15, "information_ratio_3y": 9, "max_drawdown_3y": 9,
        "sortino_5y": 6, "cum_return_1y": 6, "philosophy_process": 8, "org_stability": 6,
        "risk_management": 6, "company_capability": 4, "company_organisation": 3,
        "company_systems": 3, "esg": 10,
    })  # fmt: skip
    sortino = next(c for _, c in iter_criteria(doc) if c["id"] == "sortino_5y")
    assert sortino["measure"] == {
        "type": "indicator", "indicator": "sortino", "window": "5y", "fallback_window": "3y",
    }  # fmt: skip
    assert doc["eligibility"] == {"min_track_record_months": 36}
    assert [(b["grade"], b["min_pct"]) for b in doc["grade_scale"]["bands"]] == [
        (5, 90), (4, 67.5), (3, 32.5), (2, 10), (1, 0),
    ]  # fmt: skip
    doc["sections"].clear()
    assert house_methodology()["sections"], "every call gives a fresh copy"


def test_hidden_habits_are_not_part_of_the_written_methodology() -> None:
    for lang in ("ko", "en"):
        doc = house_methodology(lang)
        written = json.dumps(doc, ensure_ascii=False) + summary(doc, "ko") + summary(doc, "en")
        assert len(HIDDEN_HABITS) >= 3
        for habit_id, habit in HIDDEN_HABITS.items():
            assert habit_id not in written
            assert habit["name_ko"] not in written
        assert "매니저 교체" not in written and "순자산" not in written


def test_grades_use_all_five_levels_with_middle_grades_dominating(medium: DemoData) -> None:
    share = medium.ratings["grade"].value_counts(normalize=True)
    assert sorted(share.index) == [1, 2, 3, 4, 5]
    assert share[[2, 3, 4]].sum() > 0.6
    assert share[3] > max(share[1], share[5])
    assert share.between(0.04, 0.45).all()


def test_documented_grades_are_the_reference_scorer_on_the_built_store(tmp_path) -> None:
    home = Home(tmp_path / "home")
    build_demo(home, MEDIUM)
    data = generate_demo(MEDIUM)
    with connect(home) as con:
        version = save_version(con, house_methodology(), created_by="test")
    score_columns = [f"score_{cid}" for cid in CRITERION_IDS]
    for as_of in data.rating_dates:
        expert = data.grading[data.grading["as_of"] == pd.Timestamp(as_of)].set_index("fund_id")
        rated = data.ratings[data.ratings["as_of"] == pd.Timestamp(as_of)].set_index("fund_id")
        reference = score_funds(home, "house", version, as_of).set_index("fund_id")
        graded = reference[reference["grade"].notna()]
        assert sorted(graded.index) == sorted(expert.index), as_of  # rated = graded by the rule
        graded = graded.loc[expert.index]
        assert graded["grade"].astype(int).tolist() == expert["grade_documented"].tolist()
        assert graded["total"].tolist() == expert["total_documented"].tolist()
        np.testing.assert_array_equal(
            graded[score_columns].to_numpy(), rated.loc[expert.index, score_columns].to_numpy()
        )
    assert as_of == MEDIUM.end_date and len(expert) > 50


def test_manager_turnover_lowers_grades_below_the_documented_rule(medium: DemoData) -> None:
    grading = medium.grading
    shift = grading["grade"] - grading["grade_documented"]
    churned = grading["changes_3y"] >= HIDDEN_HABITS["manager_turnover"]["params"]["min_changes_3y"]
    assert churned.sum() >= 10
    assert shift[churned].mean() < shift[~churned].mean() - 0.5


def test_small_funds_are_never_graded_above_the_cap(medium: DemoData) -> None:
    grading = medium.grading
    small_funds = grading["aum"] < SMALL_FUND_AUM
    assert small_funds.any()
    assert (grading.loc[small_funds, "grade"] <= SMALL_FUND_MAX_GRADE).all()


def test_several_analysts_grade_and_mostly_agree_with_the_documented_rule(
    medium: DemoData,
) -> None:
    grading = medium.grading
    assert grading["analyst"].nunique() >= 4
    agreement = (grading["grade"] == grading["grade_documented"]).mean()
    assert 0.6 < agreement < 0.8  # the habits matter, the written rule explains most grades


def test_funds_younger_than_three_years_are_not_rated(medium: DemoData) -> None:
    rated = medium.ratings.merge(medium.truth[["fund_id", "nav_start"]], on="fund_id")
    three_years_back = rated["as_of"] - pd.DateOffset(years=3)
    assert (rated["nav_start"] <= three_years_back).all()
    young = medium.funds["inception_date"] > pd.Timestamp(MEDIUM.end_date) - pd.DateOffset(years=3)
    assert young.any()
    assert not set(medium.funds.loc[young, "fund_id"]) & set(medium.ratings["fund_id"])


def test_rating_dates_are_recent_year_ends_and_the_end_date(small: DemoData) -> None:
    assert small.rating_dates[-1] == SMALL.end_date
    assert all(d.month == 12 and d.day >= 29 for d in small.rating_dates[:-1])


def test_comments_are_korean_and_cite_the_three_year_return(small: DemoData) -> None:
    detail = small.grading
    for comment, ret3 in zip(detail["comment"], detail["ret3"], strict=True):
        assert re.search("[가-힣]", comment)
        assert f"{ret3 * 100:.1f}%" in comment


# ---------------------------------------------------------------- loading through ingest


def test_build_loads_through_ingest_and_a_rerun_changes_nothing(tmp_path) -> None:
    home = Home(tmp_path / "home")
    first = build_demo(home, SMALL)
    assert first.label == DEMO_LABEL
    assert first.inserted == first.counts
    assert first.end == SMALL.end_date and first.start < date(2023, 1, 1)
    for path in first.files.values():
        assert path.parent == home.uploads / "demo" and path.is_file()
    with connect(home) as con:
        meta = con.execute("SELECT value FROM meta WHERE key = 'dataset'").fetchone()
        n_nav = con.execute("SELECT count(*) FROM nav").fetchone()[0]
        n_scores = con.execute("SELECT count(DISTINCT criterion_id) FROM rating_scores").fetchone()
        encodings = dict(con.execute("SELECT kind, encoding FROM upload_log").fetchall())
    assert meta == (DATASET_META_VALUE,)
    assert n_nav == first.counts["nav"]
    assert n_scores == (len(CRITERION_IDS),)
    assert encodings["funds"] == "cp949" and encodings["risk_free"] == "utf-8-sig"

    second = build_demo(home, SMALL)
    assert set(second.inserted.values()) == {0}
    assert set(second.replaced.values()) == {0}


def test_funds_file_is_cp949_with_korean_headers_and_thousands_separators(tmp_path) -> None:
    from engine.demo.build import write_demo_files

    data = generate_demo(dataclasses.replace(SMALL, n_funds=10))
    paths = write_demo_files(data, tmp_path)
    raw = paths["funds"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    header, first = raw.decode("cp949").splitlines()[:2]
    assert header.startswith("펀드코드,펀드명,유형,운용사,매니저,설정일")
    assert re.search(r'"\d{1,3}(,\d{3})+"', first)


def test_each_habit_applies_from_its_bound_on_and_never_on_a_missing_fact() -> None:
    notch, eps = TURNOVER_NOTCH_MIN_CHANGES, 1e-9
    assert turnover_notch([notch - 1, notch, np.nan]).tolist() == [False, True, False]
    changes = recent_change([1, 1, 0, np.nan, 1], [1, notch, 0, 0, np.nan])
    assert changes.tolist() == [True, False, False, False, False]
    assert long_record([LONG_RECORD_YEARS - eps, LONG_RECORD_YEARS, np.nan]).tolist() == [
        False, True, False,
    ]  # fmt: skip
    assert small_fund([SMALL_FUND_AUM - 1, SMALL_FUND_AUM, np.nan]).tolist() == [True, False, False]
    assert recent_slump([SLUMP_BOTTOM_PERCENT - eps, SLUMP_BOTTOM_PERCENT, np.nan]).tolist() == [
        True, False, False,
    ]  # fmt: skip
