"""Backtest and monitoring on the small demo: rank IC against scipy on the same data, the
spread by hand, the date without 12 months of later NAV skipped, drift zero for the same date
and positive for shifted data, agreement over time of a stored evaluation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from engine.evaluation import backtest, monitoring
from store.db import connect
from store.home import Home
from tests import review_support
from tests.template_support import copy_home

review_template = review_support.review_template
FIRST = date(2024, 12, 31)  # the demo's rating date with 12 months of later NAV


@pytest.fixture(scope="module")
def demo_home(review_template: Home, tmp_path_factory) -> Home:
    """The demo (60 funds, 5 years) with eval-0001 stored, shared by this module's tests."""
    return copy_home(review_template, tmp_path_factory.mktemp("backtest") / "home")


def _by_hand(home: Home, as_of: date) -> pd.DataFrame:
    """Expert grade and forward return per fund, straight from SQL."""
    with connect(home) as con:
        return (
            con.execute(
                """
            SELECT r.fund_id, r.grade,
                   (SELECT nav FROM nav n WHERE n.fund_id = r.fund_id
                      AND n.date <= r.as_of + INTERVAL 12 MONTH ORDER BY date DESC LIMIT 1)
                 / (SELECT nav FROM nav n WHERE n.fund_id = r.fund_id
                      AND n.date <= r.as_of ORDER BY date DESC LIMIT 1) - 1 AS fwd
            FROM ratings r WHERE r.as_of = ?
            """,
                [as_of],
            )
            .df()
            .dropna()
        )


def test_expert_rank_ic_matches_scipy_and_spread_by_hand(demo_home):
    result = backtest.backtest(demo_home, ["expert"])
    row = result["per_date"].set_index("as_of").loc[FIRST]
    hand = _by_hand(demo_home, FIRST)
    assert row["n"] == len(hand)
    assert row["rank_ic"] == pytest.approx(spearmanr(hand["grade"], hand["fwd"]).statistic)
    top = hand.loc[hand["grade"] == 5, "fwd"].mean()
    bottom = hand.loc[hand["grade"] == 1, "fwd"].mean()
    assert row["spread_5_1"] == pytest.approx(top - bottom)
    high = hand.loc[hand["grade"] >= 4, "fwd"].mean()
    low = hand.loc[hand["grade"] <= 2, "fwd"].mean()
    assert row["spread_45_12"] == pytest.approx(high - low)


def test_dates_without_a_year_of_later_nav_are_skipped_with_the_reason(demo_home):
    result = backtest.backtest(demo_home, ["expert"])
    skipped = {s["as_of"]: s["reason"] for s in result["skipped"]}
    assert set(result["per_date"]["as_of"]) == {FIRST}
    assert date(2026, 9, 30) in skipped
    assert "needs NAV until 2027-09-30" in skipped[date(2026, 9, 30)]


def test_hit_rate_is_share_of_high_grades_beating_their_category_median(demo_home):
    with connect(demo_home) as con:
        nav = con.execute(
            "SELECT n.fund_id, n.date, n.nav, f.category FROM nav n JOIN funds f USING (fund_id)"
        ).df()
    forward = backtest.forward_returns(nav, [FIRST])
    median = forward.groupby("category")["fwd_return"].transform("median")
    forward["beats"] = forward["fwd_return"] > median
    grades = backtest.source_grades(demo_home, "expert", [FIRST])
    high = grades[grades["grade"] >= 4].merge(forward, on=["fund_id", "as_of"])
    row = backtest.backtest(demo_home, ["expert"])["pooled"].iloc[0]
    assert row["hit_rate"] == pytest.approx(high["beats"].mean())
    assert row["n_high"] == len(high)


def test_rules_and_evaluation_sources_and_unknown_source(demo_home):
    result = backtest.backtest(demo_home, ["rules", "eval-0001"])
    assert "rules" in set(result["pooled"]["source"])
    assert any(s["source"] == "eval-0001" for s in result["skipped"])  # graded at the last date
    with pytest.raises(backtest.BacktestError, match="nope"):
        backtest.backtest(demo_home, ["nope"])


def test_psi_is_zero_for_identical_data_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    values = rng.normal(size=500)
    assert monitoring.psi(values, values) == 0.0
    small = monitoring.psi(values, values + 0.2)
    large = monitoring.psi(values, values + 1.0)
    assert 0 < small < large
    assert monitoring.psi_band(large) == "large"


def test_indicator_drift_is_zero_for_the_same_date_and_positive_between_dates(demo_home):
    same = monitoring.indicator_drift(demo_home, FIRST, FIRST)
    assert not same.empty
    assert (same["psi"].fillna(0) == 0).all() and (same["ks"].fillna(0) == 0).all()
    moved = monitoring.indicator_drift(demo_home, FIRST, date(2026, 9, 30))
    assert (moved["psi"].dropna() > 0).any() and (moved["ks"].dropna() > 0).any()


def test_agreement_over_time_and_by_category_of_an_evaluator(demo_home):
    over = monitoring.agreement_over_time(demo_home, "run:run-0001")
    assert list(over["evaluation_id"]) == ["eval-0001"]
    assert over.loc[0, "invalid_output_share"] == pytest.approx(0.1)
    assert 0 < over.loc[0, "exact"] < 1
    by_category = monitoring.agreement_by_category(demo_home, "run:run-0001")
    assert by_category["n"].sum() == over.loc[0, "n"]
    assert monitoring.agreement_over_time(demo_home, "rules").empty
