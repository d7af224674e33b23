"""The training snapshot: determinism, split hygiene, prompts and facts, labels, grade rules,
feedback, files and errors, on one small demo universe built once for the module."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.llm.prompts import NUMBER, compact_messages, shown_number
from engine.llm.rewards import rule_grade
from engine.methodology import MethodologyError, save_version
from engine.methodology.scoring import score_funds
from engine.training.grade_rules import category_cutoffs
from engine.training.snapshot import (
    COLUMNS,
    SPLITS,
    UNREACHABLE_TOTAL,
    SnapshotError,
    build_snapshot,
    grade_rules_at,
    load_snapshot,
    to_hf_datasets,
    write_snapshot,
)
from store.db import connect
from store.home import Home
from tests.template_support import copy_home, demo_store

LATEST = date(2026, 9, 30)  # the demo's last rating date (end_date of DemoConfig)
EARLIER = date(2025, 12, 31)
BANDS = [
    {"min_pct": 90, "score": 5},
    {"min_pct": 67.5, "score": 4},
    {"min_pct": 32.5, "score": 3},
    {"min_pct": 10, "score": 2},
    {"min_pct": 0, "score": 1},
]


def _quant(cid: str, ko: str, en: str, weight: float, key: str, window: str, **extra) -> dict:
    measure = {"type": "indicator", "indicator": key, "window": window}
    if "fallback" in extra:
        measure["fallback_window"] = extra.pop("fallback")
    scoring = extra.pop("scoring", {"method": "percentile_bands", "bands": BANDS})
    return {"id": cid, "name_ko": ko, "name_en": en, "weight": weight, "measure": measure,
            "scoring": scoring, **extra}  # fmt: skip


def _judged(cid: str, ko: str, en: str, weight: float) -> dict:
    return {"id": cid, "name_ko": ko, "name_en": en, "weight": weight,
            "measure": {"type": "qualitative", "criterion": cid},
            "scoring": {"method": "qualitative"}}  # fmt: skip


def _house() -> dict:
    """The demo house's written methodology: 13 criteria, percentile bands and grade scale."""
    return {
        "id": "house", "name": "하우스 펀드평가 방법론", "name_en": "House fund-rating methodology",
        "language": "ko", "eligibility": {"min_track_record_months": 36},
        "sections": [
            {"id": "quantitative", "kind": "quantitative", "name_ko": "정량평가",
             "name_en": "Quantitative", "weight": 60, "criteria": [
                _quant("ann_return_3y", "3년 연환산 수익률", "3-year annualised return", 25, "ann_return", "3y"),
                _quant("sharpe_3y", "3년 샤프지수", "3-year Sharpe ratio", 25, "sharpe", "3y"),
                _quant("information_ratio_3y", "3년 정보비율", "3-year information ratio", 15, "information_ratio", "3y"),
                _quant("max_drawdown_3y", "3년 최대낙폭", "3-year maximum drawdown", 15, "max_drawdown", "3y"),
                _quant("sortino_5y", "5년 소티노비율", "5-year Sortino ratio", 10, "sortino", "5y", fallback="3y"),
                _quant("cum_return_1y", "1년 수익률", "1-year return", 10, "cum_return", "1y")]},
            {"id": "qualitative", "kind": "qualitative", "name_ko": "정성평가",
             "name_en": "Qualitative", "weight": 20, "criteria": [
                _judged("philosophy_process", "운용철학 및 프로세스", "Philosophy and process", 40),
                _judged("org_stability", "조직 안정성", "Organisational stability", 30),
                _judged("risk_management", "위험관리 체계", "Risk management", 30)]},
            {"id": "company", "kind": "company", "name_ko": "운용사평가",
             "name_en": "Management company", "weight": 10, "criteria": [
                _judged("company_capability", "운용사 운용역량", "Company capability", 40),
                _judged("company_organisation", "운용사 조직", "Company organisation", 30),
                _judged("company_systems", "운용사 시스템", "Company systems", 30)]},
            {"id": "esg", "kind": "esg", "name_ko": "ESG", "name_en": "ESG", "weight": 10,
             "criteria": [_judged("esg", "ESG·지속가능성", "ESG and sustainability", 100)]},
        ],
        "grade_scale": {"method": "percentile", "bands": [
            {"grade": g, "min_pct": p} for g, p in ((5, 90), (4, 67.5), (3, 32.5), (2, 10), (1, 0))]},
    }  # fmt: skip


def _variant() -> dict:
    """Thresholds everywhere they can be, lower-is-better criteria and an AUM floor."""
    sharpe = [{"min": 1.0, "score": 5}, {"min": 0.5, "score": 4}, {"min": 0.0, "score": 3},
              {"min": None, "score": 1}]  # fmt: skip
    tracking = [{"max": 0.03, "score": 5}, {"max": 0.06, "score": 4}, {"max": 0.1, "score": 3},
                {"max": None, "score": 2}]  # fmt: skip
    return {
        "id": "variant", "name": "변형 방법론", "language": "ko",
        "eligibility": {"min_track_record_months": 36, "min_aum": 1.5e10},
        "sections": [
            {"id": "quant", "kind": "quantitative", "name_ko": "정량", "weight": 80, "criteria": [
                _quant("sharpe_3y", "샤프(3년)", "Sharpe (3y)", 40, "sharpe", "3y",
                       scoring={"method": "thresholds", "thresholds": sharpe}),
                _quant("vol_3y", "변동성(3년)", "Volatility (3y)", 30, "volatility", "3y",
                       direction="lower_is_better"),
                _quant("te_3y", "추적오차(3년)", "Tracking error (3y)", 30, "tracking_error", "3y",
                       direction="lower_is_better",
                       scoring={"method": "thresholds", "thresholds": tracking})]},
            {"id": "org", "kind": "company", "name_ko": "운용사", "weight": 20, "criteria": [
                _judged("company_capability", "운용역량", "Capability", 100)]},
        ],
        "grade_scale": {"method": "thresholds", "bands": [
            {"grade": g, "min_score": s} for g, s in ((5, 4.2), (4, 3.6), (3, 3.0), (2, 2.4), (1, 1))]},
    }  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The demo (60 funds, 5 years) with both methodologies saved; never changed by a test."""
    demo = demo_store(tmp_path_factory, n_funds=60, years=5)
    home = copy_home(demo, tmp_path_factory.mktemp("snapshot") / "home")
    with connect(home) as con:
        save_version(con, _house(), created_by="test")
        save_version(con, _variant(), created_by="test")
    return home


@pytest.fixture(scope="module")
def house_ko(store: Home):
    return build_snapshot(store, "house")


@pytest.fixture(scope="module")
def house_en(store: Home):
    return build_snapshot(store, "house", language="en")


@pytest.fixture(scope="module")
def variant(store: Home):
    return build_snapshot(store, "variant", language="en")


def _store_frame(home: Home, sql: str, params: list) -> pd.DataFrame:
    with connect(home) as con:
        return con.execute(sql, params).df()


# ---------------------------------------------------------------- determinism and splits


def test_same_arguments_give_same_hash_and_identical_frames(store: Home, house_ko) -> None:
    again = build_snapshot(store, "house", None, LATEST, language="ko", seed=0)
    assert again.sha256 == house_ko.sha256
    for name in SPLITS:
        pd.testing.assert_frame_equal(again.frames[name], house_ko.frames[name])


def test_another_seed_deals_the_same_rows_into_other_splits(store: Home, house_ko) -> None:
    other = build_snapshot(store, "house", seed=1)
    assert other.sha256 != house_ko.sha256
    split = house_ko.rows().set_index("fund_id")["split"]
    moved = other.rows().set_index("fund_id")["split"].reindex(split.index)
    assert set(moved.index) == set(split.index)
    assert (moved != split).any()


def test_each_fund_is_in_one_split_and_fractions_hold_per_grade(store: Home, house_ko) -> None:
    rows = house_ko.rows()
    assert rows["fund_id"].is_unique
    assert set(rows["split"]) == set(SPLITS)
    n = len(rows)
    for name, share in zip(SPLITS, (0.7, 0.15, 0.15), strict=True):
        assert abs(len(house_ko.frames[name]) - share * n) <= 1
        assert (house_ko.frames[name]["split"] == name).all()
    for _, group in rows.groupby("expert_grade"):  # stratified: each grade dealt the same way
        assert abs((group["split"] == "train").sum() - 0.7 * len(group)) <= 1.5
    assert house_ko.manifest["counts"] == {s: len(house_ko.frames[s]) for s in SPLITS}


def test_max_funds_keeps_a_seeded_subset_and_lists_the_rest(store: Home, house_ko) -> None:
    small = build_snapshot(store, "house", max_funds=20)
    assert len(small.rows()) == 20
    assert set(small.rows()["fund_id"]) < set(house_ko.rows()["fund_id"])
    dropped = small.manifest["dropped"]
    assert len(dropped) == len(house_ko.rows()) - 20
    assert {d["kind"] for d in dropped} == {"max_funds"}
    assert build_snapshot(store, "house", max_funds=20).sha256 == small.sha256


# ---------------------------------------------------------------- labels and reference


def test_rows_are_the_expert_rated_funds_with_the_stores_grades_and_scores(
    store: Home, house_ko
) -> None:
    ratings = _store_frame(store, "SELECT fund_id, grade FROM ratings WHERE as_of = ?", [LATEST])
    scores = _store_frame(
        store, "SELECT fund_id, criterion_id, score FROM rating_scores WHERE as_of = ?", [LATEST]
    )
    rows = house_ko.rows().set_index("fund_id")
    assert set(rows.index) == set(ratings["fund_id"])  # every demo rating is of an eligible fund
    assert (rows["as_of"] == LATEST.isoformat()).all()
    expected = ratings.set_index("fund_id")["grade"]
    assert (rows["expert_grade"] == expected.reindex(rows.index)).all()
    ids = set(json.loads(rows["reference_scores"].iloc[0]))  # the methodology's criteria
    scores = scores[scores["criterion_id"].isin(ids)]
    assert not scores.empty  # the demo's ratings file scores the same criteria
    for fund_id, group in scores.groupby("fund_id"):
        assert json.loads(rows.loc[fund_id, "expert_scores"]) == dict(
            zip(group["criterion_id"], group["score"].astype(int), strict=True)
        )
    assert (rows["sample_weight"] == 1.0).all()
    assert house_ko.manifest["rated_funds"] == len(ratings)


def test_reference_scores_and_grades_equal_score_funds(store: Home, house_ko, variant) -> None:
    for snap, mid in ((house_ko, "house"), (variant, "variant")):
        scored = score_funds(store, mid, as_of=LATEST).set_index("fund_id")
        for row in snap.rows().itertuples():
            expected = scored.loc[row.fund_id]
            got = json.loads(row.reference_scores)
            assert got == {k[6:]: int(v) for k, v in expected.items() if k.startswith("score_")}
            assert row.reference_grade == (
                None if pd.isna(expected["grade"]) else int(expected["grade"])
            )


def test_grade_rule_cutoffs_give_every_graded_fund_its_reference_grade(house_ko, variant) -> None:
    checked = 0
    for snap in (house_ko, variant):
        for row in snap.rows().itertuples():
            rule = json.loads(row.grade_rule)
            assert rule["method"] == "thresholds"
            assert sum(rule["weights"].values()) == pytest.approx(1.0)
            assert [g for g, _ in rule["cutoffs"]] == [5, 4, 3, 2, 1]
            if pd.notna(row.reference_grade):
                scores = json.loads(row.reference_scores)
                assert rule_grade(scores, rule)[1] == row.reference_grade
                checked += 1
    assert checked > 40


def test_grade_rules_at_give_each_fund_the_rule_its_snapshot_row_has(
    store: Home, house_ko, variant
) -> None:
    for methodology, snap in (("house", house_ko), ("variant", variant)):
        rows = snap.rows()
        as_of = str(rows["as_of"].iloc[0])
        found = grade_rules_at(store, methodology, None, as_of)
        expected = zip(rows["fund_id"], rows["grade_rule"], strict=True)
        assert {f: found[f] for f in rows["fund_id"]} == {f: json.loads(r) for f, r in expected}
    with pytest.raises(SnapshotError, match="no expert ratings on 1999-12-31"):
        grade_rules_at(store, "house", None, "1999-12-31")


def test_thresholds_scale_cutoffs_are_the_scales_min_scores(variant) -> None:
    rule = json.loads(variant.rows()["grade_rule"].iloc[0])
    assert rule["cutoffs"] == [[5, 4.2], [4, 3.6], [3, 3.0], [2, 2.4], [1, None]]
    assert rule["weights"]["sharpe_3y"] == pytest.approx(0.32)


@pytest.mark.parametrize(
    ("grades", "totals", "expected"),
    [
        # every grade present: the lowest total of each grade, null for grade 1
        ([5, 4, 3, 2, 1], [4.5, 3.9, 3.1, 2.2, 1.5], [4.5, 3.9, 3.1, 2.2, None]),
        # nobody got 4 or 2: they take the cutoff of the grade above (never given)
        ([5, 3, 3, 1], [4.0, 3.2, 2.8, 1.9], [4.0, 4.0, 2.8, 2.8, None]),
        # a fund alone in its category is graded 3 whatever its total
        ([3], [2.2], [UNREACHABLE_TOTAL, UNREACHABLE_TOTAL, None, None, None]),
        # no graded fund in the category: no cutoff is reached
        ([], [], [UNREACHABLE_TOTAL] * 5),
    ],
)
def test_percentile_cutoffs_for_present_and_missing_grades(grades, totals, expected) -> None:
    cutoffs = category_cutoffs(pd.Series(grades, dtype=int), pd.Series(totals, dtype=float))
    assert cutoffs == [[g, c] for g, c in zip((5, 4, 3, 2, 1), expected, strict=True)]
    rule = {"weights": {"x": 1.0}, "cutoffs": cutoffs}
    for grade, total in zip(grades, totals, strict=True):
        assert rule_grade({"x": total}, rule)[1] == grade


# ---------------------------------------------------------------- prompts and facts


def test_every_fact_appears_verbatim_in_its_prompt(house_ko, house_en, variant) -> None:
    for snap in (house_ko, house_en, variant):
        for row in snap.rows().itertuples():
            user = row.prompt[1]["content"]
            facts = json.loads(row.facts)
            assert {"aum", "track_record_months"} <= set(facts)
            for key, fact in facts.items():
                assert fact["text"] in user, (row.fund_id, key)
                assert str(fact["value"]).rstrip("0").rstrip(".") in fact["text"].replace(",", "")
                assert fact["label"]


def test_compact_prompt_lists_each_criterion_once_with_only_the_funds_facts(
    house_ko, variant
) -> None:
    """The tiny model's prompt: the template, one line per criterion, no number but facts."""
    for snap, doc, lang in ((house_ko, _house(), "ko"), (variant, _variant(), "en")):
        for row in snap.rows().itertuples():
            facts = json.loads(row.facts)
            system, user = compact_messages(doc, lang, facts)
            assert system["content"] == row.prompt[0]["content"].splitlines()[1]
            ids = [line.split()[0] for line in user["content"].splitlines()]
            template = system["content"]
            assert ids == sorted(ids, key=lambda c: template.index(f'"{c}"'))
            assert set(ids) == set(json.loads(row.reference_scores))
            shown = {n for f in facts.values() for n in NUMBER.findall(f["text"])}
            for line in user["content"].splitlines():
                assert set(NUMBER.findall(line.split(" ", 1)[1])) <= shown, line
            assert len(user["content"]) * 3 < len(row.prompt[1]["content"])


def test_a_compact_snapshot_holds_the_same_rows_with_the_short_prompts(store: Home, house_ko):
    """prompt_style='compact' changes only the prompts (and so the hash), and says so."""
    compact = build_snapshot(store, "house", prompt_style="compact")
    assert compact.manifest["prompt_style"] == "compact"
    assert house_ko.manifest["prompt_style"] == "full"
    assert compact.sha256 != house_ko.sha256
    full, short = house_ko.rows(), compact.rows()
    pd.testing.assert_frame_equal(full.drop(columns="prompt"), short.drop(columns="prompt"))
    doc = _house()
    for row in short.itertuples():
        assert row.prompt == compact_messages(doc, "ko", json.loads(row.facts))


def test_an_unknown_prompt_style_is_refused_by_name(store: Home) -> None:
    with pytest.raises(SnapshotError, match="prompt_style must be one of full, compact"):
        build_snapshot(store, "house", prompt_style="tiny")


def test_bands_applied_to_the_shown_numbers_give_the_reference_scores(house_ko, variant) -> None:
    """A model that applies the rules to the numbers it reads gets the scorer's scores."""

    def band(pct: float) -> int:
        return next(b["score"] for b in BANDS if pct >= b["min_pct"])

    for row in house_ko.rows().itertuples():
        facts, reference = json.loads(row.facts), json.loads(row.reference_scores)
        for cid in (
            "ann_return_3y",
            "sharpe_3y",
            "information_ratio_3y",
            "max_drawdown_3y",
            "sortino_5y",
            "cum_return_1y",
        ):
            assert band(facts[f"{cid}_pct"]["value"]) == reference[cid]
        for cid in ("org_stability", "company_capability", "esg"):
            if cid in facts:
                assert facts[cid]["value"] == reference[cid]
    for row in variant.rows().itertuples():
        facts, reference = json.loads(row.facts), json.loads(row.reference_scores)
        sharpe = facts["sharpe_3y"]["value"]
        expected = 5 if sharpe >= 1 else 4 if sharpe >= 0.5 else 3 if sharpe >= 0 else 1
        assert expected == reference["sharpe_3y"]
        te = facts["te_3y"]["value"]  # shown in %, thresholds are fractions
        expected = 5 if te <= 3 else 4 if te <= 6 else 3 if te <= 10 else 2
        assert expected == reference["te_3y"]
        assert band(facts["vol_3y_pct"]["value"]) == reference["vol_3y"]


def test_korean_and_english_prompts_name_the_criterion_ids_and_the_fund(house_ko, house_en) -> None:
    ko = house_ko.rows().set_index("fund_id")
    en = house_en.rows().set_index("fund_id").reindex(ko.index)
    assert (ko["split"] == en["split"]).all()  # the language does not change the split
    for (_, k), e in zip(ko.iterrows(), en.itertuples(), strict=True):
        system_ko, user_ko = (m["content"] for m in k["prompt"])
        system_en, user_en = (m["content"] for m in e.prompt)
        assert [m["role"] for m in k["prompt"]] == ["system", "user"]
        assert "애널리스트" in system_ko and "한국어" in system_ko
        assert "analyst" in system_en and "English" in system_en
        for cid in json.loads(k["reference_scores"]):
            assert f'"{cid}": n' in system_ko and f"- {cid} " in user_ko and f"- {cid} " in user_en
        assert k["fund_name"] in user_ko and k["fund_name"] in user_en
        assert "백분위" in user_ko and "percentile" in user_en and "백분위" not in user_en
    assert (ko["language"] == "ko").all() and (en["language"] == "en").all()
    top = json.loads(ko["top_criteria"].iloc[0])
    assert [cid for cid, _ in top] == ["ann_return_3y", "sharpe_3y", "esg"]  # 15, 15, 10 %
    assert top[0][1] == "3년 연환산 수익률"
    assert json.loads(en["top_criteria"].iloc[0])[0][1] == "3-year annualised return"


def test_prompt_states_each_scoring_rule_once_and_the_grade_scale(house_ko, variant) -> None:
    user = house_ko.rows()["prompt"].iloc[0][1]["content"]
    assert user.count("구간 A: 백분위 >=90 5, >=67.5 4, >=32.5 3, >=10 2, 그 외 1") == 1
    assert (
        "평가대상: 운용기간 36개월 이상" in user
        and "등급: 종합점수의 유형 내 백분위에 구간 A" in user
    )
    assert "- ann_return_3y 3년 연환산 수익률 15% A: " in user  # weight as % of the total, rule
    user = variant.rows()["prompt"].iloc[0][1]["content"]
    assert "Rated: track record >= 36 months; AUM >= KRW 15.0bn" in user
    assert "Rule A: value >=1 5, >=0.5 4, >=0 3, else 1" in user
    assert "Rule C: value <=3% 5, <=6% 4, <=10% 3, else 2" in user  # in % like the values
    assert "Grade: total >=4.2 5, >=3.6 4, >=3 3, >=2.4 2, else 1" in user


def test_prompt_shows_the_fallback_window_when_the_fund_lacks_the_first(house_ko) -> None:
    user = [p[1]["content"] for p in house_ko.rows()["prompt"]]
    with_fallback = [u for u in user if "(3년 기준, 백분위" in u]
    assert with_fallback and all("- sortino_5y " in u for u in with_fallback)


@pytest.mark.parametrize(
    ("value", "decimals", "edges", "scale", "expected"),
    [
        (82.4, 0, [90, 67.5, 32.5, 10, 0], 1.0, "82"),
        (32.5, 0, [90, 67.5, 32.5, 10, 0], 1.0, "32.5"),  # "32" would fall below the band
        (32.4, 0, [90, 67.5, 32.5, 10, 0], 1.0, "32"),
        (89.6, 0, [90, 67.5], 1.0, "89.6"),  # "90" would reach the top band
        (0.996, 2, [1.0, 0.5], 1.0, "0.996"),
        (0.1234, 1, [], 100.0, "12.3"),
        (-0.0001, 1, [], 100.0, "0.0"),
        (0.0999, 1, [0.1], 100.0, "9.99"),
    ],
)
def test_shown_numbers_keep_the_side_of_every_band_edge(
    value, decimals, edges, scale, expected
) -> None:
    assert shown_number(value, decimals, edges, scale) == expected


# ---------------------------------------------------------------- dropped funds and feedback


def test_rated_funds_the_methodology_does_not_rate_are_dropped_with_reasons(
    store: Home, variant
) -> None:
    dropped = variant.manifest["dropped"]
    assert dropped and all(d["kind"] == "not_eligible" for d in dropped)
    assert all("AUM" in d["reason"] and "< 1.5e10" in d["reason"] for d in dropped)
    rated = _store_frame(store, "SELECT fund_id FROM ratings WHERE as_of = ?", [LATEST])
    assert len(variant.rows()) + len(dropped) == len(rated)
    assert variant.manifest["dropped_counts"]["not_eligible"] == len(dropped)
    assert not set(variant.rows()["fund_id"]) & {d["fund_id"] for d in dropped}


def test_feedback_replaces_the_label_sets_the_weight_and_is_recorded(store: Home, house_ko) -> None:
    rows = house_ko.rows().set_index("fund_id")
    first, second = rows.index[:2]
    new_grade = 1 if rows.loc[first, "expert_grade"] != 1 else 5
    feedback = pd.DataFrame(
        {
            "fund_id": [first, first, second, "KR0000000000"],
            "as_of": [LATEST, LATEST.isoformat(), EARLIER, LATEST],
            "corrected_grade": [2, new_grade, 3, 4],
            "weight": [9.0, 2.5, 1.0, np.nan],
        }
    )
    snap = build_snapshot(store, "house", feedback=feedback)
    changed = snap.rows().set_index("fund_id")
    assert changed.loc[first, "expert_grade"] == new_grade
    assert changed.loc[first, "sample_weight"] == 2.5
    assert changed.loc[second, "expert_grade"] == rows.loc[second, "expert_grade"]
    untouched = changed.drop(index=first)
    assert (untouched["sample_weight"] == 1.0).all()
    assert (changed["split"] == rows["split"].reindex(changed.index)).all()
    assert snap.sha256 != house_ko.sha256
    record = snap.manifest["feedback"]
    assert record["applied"] == [
        {
            "fund_id": first,
            "as_of": LATEST.isoformat(),
            "corrected_grade": new_grade,
            "weight": 2.5,
            "previous_grade": int(rows.loc[first, "expert_grade"]),
        }
    ]
    reasons = Counter(item["reason"] for item in record["skipped"])
    assert reasons == Counter(
        {
            "superseded by a later row": 1,
            f"as_of is not the snapshot's {LATEST}": 1,
            "fund not in the snapshot": 1,
        }
    )


def test_feedback_with_a_grade_outside_1_to_5_is_refused(store: Home) -> None:
    feedback = pd.DataFrame({"fund_id": ["x"], "as_of": [LATEST], "corrected_grade": [6]})
    with pytest.raises(SnapshotError, match="corrected_grade 6 is not an integer 1-5"):
        build_snapshot(store, "house", feedback=feedback)


# ---------------------------------------------------------------- files and datasets


def test_write_then_load_gives_back_the_same_snapshot(tmp_path: Path, house_ko) -> None:
    folder = write_snapshot(house_ko, tmp_path / "snapshot")
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json", "test.parquet", "train.parquet", "validation.parquet",
    ]  # fmt: skip
    loaded = load_snapshot(folder)
    assert loaded.sha256 == house_ko.sha256
    for name in SPLITS:
        pd.testing.assert_frame_equal(loaded.frames[name], house_ko.frames[name][COLUMNS])
    assert loaded.manifest["counts"] == house_ko.manifest["counts"]
    assert set(loaded.manifest["files"]) == {f"{s}.parquet" for s in SPLITS}
    assert write_snapshot(house_ko, folder) == folder  # the same snapshot again: fine


def test_load_refuses_a_file_changed_after_writing(tmp_path: Path, house_ko) -> None:
    folder = write_snapshot(house_ko, tmp_path / "snapshot")
    frame = pd.read_parquet(folder / "test.parquet")
    frame.loc[0, "expert_grade"] = 6 - frame.loc[0, "expert_grade"]
    frame.to_parquet(folder / "test.parquet", index=False)
    with pytest.raises(SnapshotError, match="test.parquet was changed after it was written"):
        load_snapshot(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    # a forger who also updates the file's hash is still caught by the rows' hash
    changed = hashlib.sha256((folder / "test.parquet").read_bytes()).hexdigest()
    manifest["files"]["test.parquet"] = changed
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(SnapshotError, match="rows' hash .* differs from manifest.json"):
        load_snapshot(folder)


def test_write_refuses_a_folder_holding_another_snapshot(tmp_path: Path, house_ko, house_en):
    folder = write_snapshot(house_ko, tmp_path / "snapshot")
    with pytest.raises(SnapshotError, match="already holds another snapshot"):
        write_snapshot(house_en, folder)
    shutil.rmtree(folder)
    with pytest.raises(SnapshotError, match="manifest.json is missing"):
        load_snapshot(folder)


def test_an_empty_split_is_written_and_read_back(store: Home, tmp_path: Path) -> None:
    snap = build_snapshot(store, "house", splits=(0.8, 0.2, 0.0))
    assert snap.manifest["counts"]["test"] == 0
    loaded = load_snapshot(write_snapshot(snap, tmp_path / "snapshot"))
    assert loaded.sha256 == snap.sha256 and len(loaded.frames["test"]) == 0
    assert len(to_hf_datasets(loaded)["test"]) == 0


def test_hf_datasets_carry_every_column_and_the_prompt_as_messages(house_en) -> None:
    data = to_hf_datasets(house_en)
    assert list(data) == list(SPLITS)
    train = data["train"]
    assert train.column_names == COLUMNS
    assert len(train) == len(house_en.frames["train"])
    first = train[0]
    assert first["prompt"] == house_en.frames["train"]["prompt"].iloc[0]
    assert isinstance(first["expert_grade"], int) and isinstance(first["facts"], str)


# ---------------------------------------------------------------- errors and defaults


def test_default_as_of_is_the_latest_rating_date_and_earlier_dates_work(store: Home) -> None:
    earlier = build_snapshot(store, "house", as_of=EARLIER.isoformat())
    assert earlier.manifest["as_of"] == EARLIER.isoformat()
    assert (earlier.rows()["as_of"] == EARLIER.isoformat()).all()
    assert "기준일 2025-12-31" in earlier.rows()["prompt"].iloc[0][1]["content"]


def test_a_date_without_ratings_is_a_clear_error(store: Home) -> None:
    with pytest.raises(
        SnapshotError, match="no expert ratings on 2025-06-30; rating dates .*2026-09-30"
    ):
        build_snapshot(store, "house", as_of="2025-06-30")


def test_an_unknown_methodology_or_version_is_a_clear_error(store: Home) -> None:
    with pytest.raises(MethodologyError, match="no methodology 'nope' is saved"):
        build_snapshot(store, "nope")
    with pytest.raises(MethodologyError, match="has no version 7"):
        build_snapshot(store, "house", version=7)


def test_a_store_without_ratings_is_a_clear_error(tmp_path: Path) -> None:
    home = Home(tmp_path / "empty").ensure()
    with connect(home) as con:
        save_version(con, _house(), created_by="test")
    with pytest.raises(SnapshotError, match="holds no expert ratings"):
        build_snapshot(home, "house")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"splits": (0.5, 0.2, 0.2)}, "splits must sum to 1"),
        ({"splits": (0.9, 0.2, -0.1)}, "three fractions >= 0"),
        ({"language": "fr"}, "language must be one of ko, en"),
        ({"max_funds": 0}, "max_funds must be at least 1"),
    ],
)
def test_invalid_arguments_are_refused_before_reading(store: Home, kwargs, message) -> None:
    with pytest.raises(SnapshotError, match=message):
        build_snapshot(store, "house", **kwargs)
