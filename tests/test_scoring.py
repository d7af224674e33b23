"""The reference scorer against a hand-worked example, then each rule on its own."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data.metrics import indicators as store_indicators
from engine.methodology import MethodologyError, get, save_version
from engine.methodology.scoring import category_pct, score, score_funds
from store.db import connect
from store.home import Home

AS_OF = date(2024, 12, 31)
PCT_BANDS = [
    {"min_pct": 90, "score": 5},
    {"min_pct": 67.5, "score": 4},
    {"min_pct": 32.5, "score": 3},
    {"min_pct": 10, "score": 2},
    {"min_pct": 0, "score": 1},
]


def _hand_doc() -> dict:
    """Quantitative 60 (ret 40, vol 30, sharpe 30), qualitative 20, company 20; grade thresholds."""

    def indicator(cid: str, key: str, weight: float, scoring: dict, way: str) -> dict:
        return {
            "id": cid,
            "name_en": cid,
            "weight": weight,
            "measure": {"type": "indicator", "indicator": key, "window": "3y"},
            "direction": way,
            "scoring": scoring,
        }

    def judged(cid: str) -> dict:
        return {
            "id": cid,
            "name_en": cid,
            "weight": 100,
            "measure": {"type": "qualitative", "criterion": cid},
            "scoring": {"method": "qualitative"},
        }

    sharpe = [
        {"min": 1.0, "score": 5},
        {"min": 0.5, "score": 4},
        {"min": 0.0, "score": 3},
        {"min": None, "score": 1},
    ]
    return {
        "id": "hand",
        "name": "Hand-worked",
        "language": "en",
        "eligibility": {
            "min_track_record_months": 36,
            "min_aum": 1.0e10,
            "categories": ["국내주식형", "국내채권형"],
        },
        "sections": [
            {
                "id": "quant",
                "kind": "quantitative",
                "name_en": "Quantitative",
                "weight": 60,
                "criteria": [
                    indicator("ret", "ann_return", 40, {"method": "percentile_bands", "bands": PCT_BANDS}, "higher_is_better"),
                    indicator("vol", "volatility", 30, {"method": "percentile_bands", "bands": PCT_BANDS}, "lower_is_better"),
                    indicator("sharpe", "sharpe", 30, {"method": "thresholds", "thresholds": sharpe}, "higher_is_better"),
                ],
            },
            {"id": "qual", "kind": "qualitative", "name_en": "Qualitative", "weight": 20, "criteria": [judged("process")]},
            {"id": "comp", "kind": "company", "name_en": "Company", "weight": 20, "criteria": [judged("capability")]},
        ],
        "grade_scale": {
            "method": "thresholds",
            "bands": [
                {"grade": 5, "min_score": 4.0},
                {"grade": 4, "min_score": 3.5},
                {"grade": 3, "min_score": 2.5},
                {"grade": 2, "min_score": 1.8},
                {"grade": 1, "min_score": 0},
            ],
        },
    }  # fmt: skip


FUNDS = pd.DataFrame(
    [
        ("F1", "국내주식형", "C1", "2015-01-02", 5.0e10),
        ("F2", "국내주식형", "C1", "2018-06-01", 2.0e10),
        ("F3", "국내주식형", "C2", "2019-03-15", 1.5e10),
        ("F4", "국내주식형", "C2", "2016-01-04", 3.0e10),  # no indicator rows at all
        ("F5", "국내주식형", "C3", "2020-01-01", 1.0e10),  # AUM exactly the minimum; C3 unassessed
        ("F6", "해외채권형", "C1", "2015-01-02", 5.0e10),  # category not rated
        ("F7", "국내주식형", "C2", "2023-02-15", 3.1e9),  # 22 months and too small
        ("B1", "국내채권형", "C1", "2012-01-05", 1.2e11),  # alone in its category
    ],
    columns=["fund_id", "category", "company_id", "inception_date", "aum"],
).assign(inception_date=lambda f: pd.to_datetime(f["inception_date"]).dt.date)

INDICATORS = pd.DataFrame(
    [
        ("F1", "3y", 0.12, 0.10, 1.2),
        ("F2", "3y", 0.08, 0.15, 0.5),
        ("F3", "3y", 0.05, 0.20, 0.25),
        ("F5", "3y", 0.08, 0.12, -0.1),
        ("F6", "3y", 0.30, 0.05, 2.0),  # excluded funds must not move the peers' percentiles
        ("F7", "3y", 0.50, 0.05, 3.0),
        ("B1", "3y", 0.03, 0.02, 0.9),
        ("F3", "1y", 0.90, 0.01, 9.0),  # another window: ignored
    ],
    columns=["fund_id", "window", "ann_return", "volatility", "sharpe"],
)

QUALITATIVE = pd.DataFrame(
    [
        ("F1", "fund", "2023-11-30", "process", 3),
        ("F1", "fund", "2024-11-30", "process", 5),  # the latest on or before as_of
        ("F2", "fund", "2024-11-30", "process", 4),
        ("F2", "fund", "2025-01-15", "process", 1),  # after as_of: ignored
        ("F3", "fund", "2024-11-30", "process", 2),
        ("F4", "fund", "2024-11-30", "process", 4),
        ("F5", "fund", "2024-11-30", "process", 3),
        ("B1", "fund", "2024-11-30", "process", 4),
        ("C1", "company", "2024-11-30", "capability", 5),
        (
            "C1",
            "company",
            "2024-11-30",
            "process",
            1,
        ),  # a company row never scores a fund criterion
        ("C2", "company", "2024-06-30", "capability", 2),
        (
            "F1",
            "fund",
            "2024-11-30",
            "capability",
            1,
        ),  # a fund row never scores a company criterion
    ],
    columns=["subject_id", "subject_kind", "as_of", "criterion_id", "score"],
).assign(as_of=lambda q: pd.to_datetime(q["as_of"]).dt.date)


def _run(doc: dict | None = None, funds: pd.DataFrame = FUNDS) -> pd.DataFrame:
    return score(doc or _hand_doc(), INDICATORS, QUALITATIVE, funds, AS_OF).set_index("fund_id")


def test_hand_worked_example_scores_totals_and_threshold_grades() -> None:
    # Peers in 국내주식형 are the rated funds with a value: F1, F2, F3, F5 (F4 has none; F6, F7
    # are excluded). pct = 100 x (rank - 1) / (n - 1), ties averaged.
    # ret (ann_return, higher better): F3 .05 rank 1, F2 = F5 .08 rank 2.5, F1 .12 rank 4
    #   -> pct 0, 50, 50, 100 -> scores F3 1, F2 3, F5 3, F1 5.
    # vol (volatility, lower better): ascending F1 .10, F5 .12, F2 .15, F3 .20 -> pct 0, 33.3,
    #   66.7, 100 -> reversed 100, 66.7, 33.3, 0 -> F1 5, F5 3 (66.7 < 67.5), F2 3, F3 1.
    # sharpe thresholds (>=1 5, >=.5 4, >=0 3, else 1): F1 1.2 5, F2 .5 4, F3 .25 3, F5 -.1 1.
    # B1 is alone in 국내채권형: pct 50 -> ret 3, vol 3; sharpe .9 -> 4.
    # process: the fund's latest score; capability: its company's (C1 5, C2 2, C3 none -> 3).
    # quant = .4 ret + .3 vol + .3 sharpe; total = .6 quant + .2 process + .2 capability:
    #   F1 5.0 -> 3.0 + 1.0 + 1.0 = 5.0   -> grade 5 (>= 4.0)
    #   F2 1.2 + .9 + 1.2 = 3.3 -> 1.98 + .8 + 1.0 = 3.78 -> grade 4 (>= 3.5)
    #   F3 .4 + .3 + .9 = 1.6   -> .96 + .4 + .4 = 1.76  -> grade 1 (< 1.8)
    #   F5 1.2 + .9 + .3 = 2.4  -> 1.44 + .6 + .6 = 2.64 -> grade 3 (>= 2.5); capability missing
    #   F4 3 + 3 + 3 (missing)  -> 1.8 + .8 + .4 = 3.0; missing 60% of weight > 30%: no grade
    #   B1 1.2 + .9 + 1.2 = 3.3 -> 1.98 + .8 + 1.0 = 3.78 -> grade 4
    out = _run()
    rated = ["F1", "F2", "F3", "F4", "F5", "B1"]
    expected = pd.DataFrame(
        {
            "score_ret": [5, 3, 1, 3, 3, 3],
            "score_vol": [5, 3, 1, 3, 3, 3],
            "score_sharpe": [5, 4, 3, 3, 1, 4],
            "score_process": [5, 4, 2, 4, 3, 4],
            "score_capability": [5, 5, 2, 2, 3, 5],
            "section_quant": [5.0, 3.3, 1.6, 3.0, 2.4, 3.3],
            "section_qual": [5.0, 4.0, 2.0, 4.0, 3.0, 4.0],
            "section_comp": [5.0, 5.0, 2.0, 2.0, 3.0, 5.0],
            "total": [5.0, 3.78, 1.76, 3.0, 2.64, 3.78],
            "missing_weight": [0.0, 0.0, 0.0, 60.0, 20.0, 0.0],
        },
        index=pd.Index(rated, name="fund_id"),
    )
    pd.testing.assert_frame_equal(
        out.loc[rated, expected.columns], expected, check_dtype=False, atol=1e-12
    )
    assert out["grade"].to_dict() == {
        "F1": 5, "F2": 4, "F3": 1, "F4": None, "F5": 3, "F6": None, "F7": None, "B1": 4,
    }  # fmt: skip
    assert out["missing"].to_dict() == {
        "F1": "", "F2": "", "F3": "", "F4": "ret, vol, sharpe", "F5": "capability",
        "F6": None, "F7": None, "B1": "",
    }  # fmt: skip
    assert out["excluded_by"].to_dict() == {
        "F1": None,
        "F2": None,
        "F3": None,
        "F4": "missing inputs 60% of weight > 30%",
        "F5": None,
        "F6": "category 해외채권형 not rated",
        "F7": "track record 22 months < 36; AUM 3.1e9 < 1.0e10",
        "B1": None,
    }
    assert out.loc[["F6", "F7"]].filter(like="score_").isna().all().all()
    assert out.loc[["F6", "F7"], "total"].isna().all()


def test_percentile_grades_rank_totals_within_category_among_graded_funds() -> None:
    # Graded 국내주식형 totals: F3 1.76, F5 2.64, F2 3.78, F1 5.0 (F4 is not graded)
    #   -> pct 0, 33.3, 66.7, 100 -> grades 1, 3 (>= 32.5), 3 (< 67.5), 5. B1 alone: 50 -> 3.
    doc = _hand_doc()
    doc["grade_scale"] = {
        "method": "percentile",
        "bands": [{"grade": b["score"], "min_pct": b["min_pct"]} for b in PCT_BANDS],
    }
    out = _run(doc)
    assert out["grade"].to_dict() == {
        "F1": 5, "F2": 3, "F3": 1, "F4": None, "F5": 3, "F6": None, "F7": None, "B1": 3,
    }  # fmt: skip
    assert out.loc[["F3", "F5", "F2", "F1", "B1"], "total_pct"].round(2).tolist() == [
        0.0,
        33.33,
        66.67,
        100.0,
        50.0,
    ]


def test_lower_is_better_thresholds_use_max_bounds_inclusively() -> None:
    # vol <= .10 -> 5, <= .15 -> 4, else 1: F1 .10 5, F5 .12 4, F2 .15 4, F3 .20 1, B1 .02 5.
    doc = _hand_doc()
    doc["sections"][0]["criteria"][1]["scoring"] = {
        "method": "thresholds",
        "thresholds": [
            {"max": 0.10, "score": 5},
            {"max": 0.15, "score": 4},
            {"max": None, "score": 1},
        ],
    }
    out = _run(doc)
    assert out.loc[["F1", "F5", "F2", "F3", "B1"], "score_vol"].tolist() == [5, 4, 4, 1, 5]


def test_missing_inputs_rule_comes_from_the_methodology() -> None:
    # Missing scores 1 and up to 60% may be missing. F4: quant 1.0 -> .6 + .8 + .4 = 1.8, which
    # must reach the 1.8 band despite float noise -> grade 2. F5: capability 1 -> 1.44 + .6 + .2
    # = 2.24 -> grade 2.
    doc = _hand_doc()
    doc["missing_inputs"] = {"score": 1, "max_weight": 60}
    out = _run(doc)
    assert out.loc["F4", "total"] == 1.8 and out.loc["F4", "grade"] == 2
    assert out.loc["F4", "excluded_by"] is None
    assert out.loc["F5", "total"] == pytest.approx(2.24) and out.loc["F5", "grade"] == 2


def test_eligibility_names_every_rule_a_fund_fails() -> None:
    funds = pd.DataFrame(
        [
            ("A", "국내주식형", "C1", date(2022, 1, 1), 2e10),  # 35 months
            ("B", "국내주식형", "C1", date(2021, 12, 31), 2e10),  # 36 months: rated
            ("C", "국내주식형", "C1", None, 2e10),
            ("D", "국내주식형", "C1", date(2015, 1, 1), None),
            ("E", None, "C1", date(2015, 1, 1), 9.5e9),
        ],
        columns=["fund_id", "category", "company_id", "inception_date", "aum"],
    )
    doc = _hand_doc()
    doc["missing_inputs"] = {"max_weight": 100}  # these funds have no inputs; grade them anyway
    out = _run(doc, funds=funds)
    assert out["excluded_by"].to_dict() == {
        "A": "track record 35 months < 36",
        "B": None,
        "C": "track record unknown",
        "D": "AUM unknown",
        "E": "no category; AUM 9.5e9 < 1.0e10",
    }
    assert out["grade"].isna().tolist() == [True, False, True, True, True]


def test_fallback_window_is_used_only_when_the_window_has_no_value() -> None:
    doc = _hand_doc()
    doc["eligibility"] = {}
    doc["sections"][0]["criteria"][2]["measure"] |= {"window": "5y", "fallback_window": "1y"}
    indicators = pd.DataFrame(
        [
            ("F1", "5y", 0.2),  # 5y -> 3
            ("F1", "1y", 2.0),
            ("F2", "5y", np.nan),  # no 5y value -> 1y 0.7 -> 4
            ("F2", "1y", 0.7),
            ("F3", "1y", np.nan),  # neither -> missing
        ],
        columns=["fund_id", "window", "sharpe"],
    )
    out = score(doc, indicators, QUALITATIVE, FUNDS.iloc[:3], AS_OF).set_index("fund_id")
    assert out["score_sharpe"].tolist() == [3, 4, 3]
    assert out["missing"].tolist() == ["ret, vol", "ret, vol", "ret, vol, sharpe"]


def test_percentile_fallback_ranks_a_fund_among_its_fallback_windows_peers() -> None:
    # 5y sharpe: F1 .1, F2 .3 -> pct 0, 100 -> scores 1, 5. F3 has no 5y value: its 3y value
    # .2 ranks last among the 3y values (9, 9, .2) -> pct 0 -> score 1 (ranking .2 among the
    # 5y values instead would give pct 50 -> 3).
    doc = _hand_doc()
    doc["eligibility"] = {}
    doc["sections"][0]["criteria"][2] |= {
        "measure": {
            "type": "indicator",
            "indicator": "sharpe",
            "window": "5y",
            "fallback_window": "3y",
        },
        "scoring": {"method": "percentile_bands", "bands": PCT_BANDS},
    }
    indicators = pd.DataFrame(
        [
            ("F1", "5y", 0.1),
            ("F2", "5y", 0.3),
            ("F1", "3y", 9.0),
            ("F2", "3y", 9.0),
            ("F3", "3y", 0.2),
        ],
        columns=["fund_id", "window", "sharpe"],
    )
    out = score(doc, indicators, QUALITATIVE, FUNDS.iloc[:3], AS_OF).set_index("fund_id")
    assert out["score_sharpe"].tolist() == [1, 5, 1]


def test_category_pct_averages_ties_and_puts_a_lone_fund_in_the_middle() -> None:
    values = pd.Series([1.0, 2.0, 2.0, 4.0, np.nan, 7.0, 3.0])
    groups = pd.Series(["a", "a", "a", "a", "a", "b", None])
    assert category_pct(values, groups).tolist()[:4] == [0.0, 50.0, 50.0, 100.0]
    pct = category_pct(values, groups)
    assert np.isnan(pct[4]) and pct[5] == 50.0 and np.isnan(pct[6])


def _pandas_pct(values: pd.Series, category: pd.Series) -> pd.Series:
    """The documented formula with pandas' grouped rank: the oracle for `category_pct`."""
    grouped = values.groupby(category, dropna=True, sort=False)
    count = grouped.transform("count")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (grouped.rank(method="average") - 1.0) * 100.0 / (count - 1.0)
    return pct.where(count >= 2, 50.0).where(values.notna() & category.notna()).round(9)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([np.nan, -1.5, -0.0, 0.0, 0.1, 1 / 3, 2.0, 1e300]),
            st.sampled_from(["a", "b", "국내주식형", None]),
        ),
        max_size=40,
    )
)
def test_category_pct_is_the_grouped_rank_formula(rows: list[tuple[float, str | None]]) -> None:
    values = pd.Series([v for v, _ in rows], dtype=float, name="total")
    category = pd.Series([c for _, c in rows], dtype=object)
    pd.testing.assert_series_equal(
        category_pct(values, category), _pandas_pct(values, category), check_exact=True
    )


def test_score_refuses_an_invalid_methodology() -> None:
    doc = copy.deepcopy(_hand_doc())
    doc["sections"][0]["weight"] = 70
    with pytest.raises(MethodologyError, match="section weights sum to 110"):
        _run(doc)


def _demo_doc() -> dict:
    doc = _hand_doc()
    doc["id"] = "demo"
    doc["eligibility"] = {"min_track_record_months": 36}
    quant = doc["sections"][0]["criteria"]
    quant[0]["measure"] |= {"window": "5y", "fallback_window": "3y"}
    quant[2]["measure"]["window"] = "1y"
    doc["sections"][1]["criteria"][0]["measure"]["criterion"] = "philosophy_process"
    doc["sections"][2]["criteria"][0]["measure"]["criterion"] = "company_capability"
    return doc


def test_score_funds_reads_the_store_and_matches_score(demo_home: Home) -> None:
    with connect(demo_home) as con:
        version = save_version(con, _demo_doc(), created_by="test")
        funds = con.execute(
            "SELECT fund_id, category, company_id, inception_date, aum FROM funds ORDER BY fund_id"
        ).df()
        qualitative = con.execute("SELECT * FROM qualitative").df()
        as_of = con.execute("SELECT max(date) FROM nav").fetchall()[0][0]
    out = score_funds(demo_home, "demo")
    assert out.attrs["version"] == version and out.attrs["as_of"] == as_of
    assert out["fund_id"].tolist() == funds["fund_id"].tolist()
    table = store_indicators(demo_home, as_of, ["1y", "3y", "5y"])
    expected = score(_saved_doc(demo_home), table, qualitative, funds, as_of)
    pd.testing.assert_frame_equal(out, expected)
    graded = out["grade"].notna()
    assert graded.sum() > 0 and set(out.loc[graded, "grade"]) <= {1, 2, 3, 4, 5}
    assert out.loc[out["excluded_by"].notna(), "excluded_by"].str.startswith("track record").all()
    assert (out.loc[graded, "missing_weight"] <= 30).all()


def _saved_doc(home: Home) -> dict:
    with connect(home) as con:
        return get(con, "demo")
