"""The Review page headless with AppTest: the empty state, disagreements first, filters, a
correction with its reason (and one refused without), bulk accept of a filtered set, the audit
trail, retraining with feedback and the lineage it records, and the language switch.

The store is the demo universe with a stored evaluation (tests/review_support.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from engine.review import feedback
from store.db import connect
from tests import review_support
from tests.training_support import tiny_config
from workbench.i18n import t

# fixtures shared with other test modules
review_template = review_support.review_template
review_home = review_support.review_home

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
PAGE = "../pages/review.py"  # relative to the entry script, as st.navigation registers it
TIMEOUT_S = 90


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _funds(at: AppTest, lang: str = "ko") -> pd.DataFrame:
    """The fund list (the st.dataframe with the AI grade column)."""
    column = t("rev_c_ai", lang)
    return next(
        d.value
        for d in at.dataframe
        if column in d.value.columns and t("rev_c_gap", lang) in d.value.columns
    )


def _trail(home) -> pd.DataFrame:
    with connect(home) as con:
        return feedback.history(con)


def _review(home) -> pd.DataFrame:
    with connect(home) as con:
        return feedback.review_table(con, "eval-0001")


# ---------------------------------------------------------------- empty state


def test_review_without_evaluations_says_how_to_make_one(home):
    at = _page()

    assert t("rev_empty", "ko") in _texts(at.info)
    assert "python -m workbench evaluate" in _texts(at.code)
    assert [b.key for b in at.button] == ["rev_evaluate"]


def test_evaluating_with_the_rule_based_scorer_from_the_empty_state_fills_the_page(demo_home):
    at = _page()
    assert t("rev_empty", "ko") in _texts(at.info)
    assert at.selectbox(key="rev_new_evaluator").options == [t("rev_ev_rules", "ko")]

    at.button(key="rev_evaluate").click()
    _run(at)

    assert "eval-0001" in _texts(at.success)
    assert at.selectbox(key="rev_evaluation").value == "eval-0001"
    shown = _funds(at)
    assert len(shown) > 0 and t("rev_invalid", "ko") not in set(shown[t("rev_c_ai", "ko")])
    # the rule-based evaluator agrees with the rule-based grades column, fund by fund
    assert (shown[t("rev_c_ai", "ko")] == shown[t("rev_c_rules", "ko")]).all()


# ---------------------------------------------------------------- the list


def test_fund_list_shows_invalid_answers_then_the_largest_disagreements(review_home):
    at = _page()

    shown = _funds(at)
    ai, gap = shown[t("rev_c_ai", "ko")].tolist(), shown[t("rev_c_gap", "ko")].tolist()
    n_invalid = ai.count(t("rev_invalid", "ko"))
    assert n_invalid > 0 and ai[:n_invalid] == [t("rev_invalid", "ko")] * n_invalid
    gaps = [int(g) for g in gap[n_invalid:] if g != "–"]
    assert gaps == sorted(gaps, reverse=True) and gaps[0] == 3
    assert len(shown) == len(_review(review_home))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("rev_fig_n", "ko")] == str(len(shown))
    assert metrics[t("rev_fig_invalid_share", "ko")] == "10.0%"
    assert at.selectbox(key="rev_fund").value == shown[t("c_fund_id", "ko")].iloc[0]


def test_filters_narrow_the_list_by_category_company_and_grades(review_home):
    at = _page()
    table = _review(review_home)
    category = table["category"].value_counts().index[0]

    at.selectbox(key="rev_category").set_value(category)
    _run(at)
    shown = _funds(at)
    assert len(shown) == (table["category"] == category).sum()
    assert set(shown[t("c_category", "ko")]) == {category}

    at.selectbox(key="rev_category").set_value("__all__")
    at.selectbox(key="rev_ai_grade").set_value("invalid")
    _run(at)
    assert set(_funds(at)[t("rev_c_ai", "ko")]) == {t("rev_invalid", "ko")}
    assert len(_funds(at)) == table["invalid"].sum()

    at.selectbox(key="rev_ai_grade").set_value(5)
    at.selectbox(key="rev_expert_grade").set_value(3)
    _run(at)
    shown = _funds(at)
    expected = table[(table["grade"] == 5).fillna(False) & (table["expert_grade"] == 3)]
    assert sorted(shown[t("c_fund_id", "ko")]) == sorted(expected["fund_id"]) and len(expected)
    company = table["company"].iloc[0]
    at.selectbox(key="rev_ai_grade").set_value("__all__")
    at.selectbox(key="rev_expert_grade").set_value("__all__")
    at.selectbox(key="rev_company").set_value(company)
    _run(at)
    assert set(_funds(at)[t("c_company", "ko")]) == {company}

    at.selectbox(key="rev_company").set_value("__all__")
    at.toggle(key="rev_only_disagreements").set_value(True)
    _run(at)
    assert len(_funds(at)) == (table["invalid"] | (table["gap"] > 0)).sum()


# ---------------------------------------------------------------- actions


def test_correction_needs_a_reason_then_is_recorded_with_its_history(review_home):
    at = _page()
    fund = at.selectbox(key="rev_fund").value

    at.selectbox(key="rev_grade").set_value(2)
    at.button(key="rev_correct").click()
    _run(at)
    assert "a correction needs a reason" in _texts(at.error)
    assert _trail(review_home).empty

    at.selectbox(key="rev_grade").set_value(2)
    at.text_input(key="rev_reason").input("3년 최대낙폭이 유형 하위 10%")
    at.text_input(key="rev_user").input("kim")
    at.button(key="rev_correct").click()
    _run(at)

    trail = _trail(review_home)
    assert trail[["fund_id", "action", "grade_after", "reason", "created_by"]].values.tolist() == [
        [fund, "correct", 2, "3년 최대낙폭이 유형 하위 10%", "kim"]
    ]
    assert f"{fund}: {t('rev_action_correct', 'ko')}" in _texts(at.success)
    history = next(d.value for d in at.dataframe if t("rev_h_reason", "ko") in d.value.columns)
    assert history[t("rev_h_after", "ko")].tolist() == ["2"]
    assert at.text_input(key="rev_reason").value == ""  # ready for the next fund
    decision = _funds(at).set_index(t("c_fund_id", "ko")).loc[fund, t("rev_c_decision", "ko")]
    assert decision == f"{t('rev_action_correct', 'ko')} → 2"


def test_accept_keep_and_comment_buttons_record_one_row_each(review_home):
    at = _page()
    table = _review(review_home)
    valid = table[~table["invalid"] & (table["gap"] > 0)].iloc[0]
    at.selectbox(key="rev_fund").set_value(valid["fund_id"])
    _run(at)

    at.button(key="rev_accept").click()
    _run(at)
    at.button(key="rev_keep").click()
    _run(at)
    at.text_area(key="rev_comment").input("운용역 교체 확인 필요")
    at.button(key="rev_add_comment").click()
    _run(at)

    trail = _trail(review_home)
    assert trail["action"].tolist() == ["accept_ai", "keep_expert", "comment"]
    assert trail["grade_after"].iloc[0] == valid["grade"] and trail["weight"].iloc[0] == 0.5
    assert trail["grade_after"].iloc[1] == valid["expert_grade"]
    assert trail["comment"].iloc[2] == "운용역 교체 확인 필요"
    assert (trail["created_by"] == "single-user").all() and (  # no users: single-user mode
        trail["evaluation_id"] == "eval-0001"
    ).all()


def test_invalid_answer_cannot_be_accepted(review_home):
    at = _page()  # the first fund listed has an invalid answer

    assert at.button(key="rev_accept").disabled


def test_bulk_accept_records_one_row_per_listed_fund_with_a_valid_answer(review_home):
    at = _page()
    table = _review(review_home)
    category = table["category"].value_counts().index[0]
    at.selectbox(key="rev_category").set_value(category)
    _run(at)

    at.button(key="rev_bulk_accept").click()
    _run(at)

    in_category = table[table["category"] == category]
    listed = in_category[~in_category["invalid"]]
    trail = _trail(review_home)
    assert sorted(trail["fund_id"]) == sorted(listed["fund_id"])
    assert (trail["action"] == "accept_ai").all() and trail["created_at"].nunique() == 1
    done = t(
        "rev_bulk_done", "ko", n=len(listed), skipped=len(in_category) - len(listed), decided=0
    )
    assert done in _texts(at.success)
    assert at.button(key="rev_bulk_accept").disabled  # every listed fund is decided now


# ---------------------------------------------------------------- retraining and lineage


def test_retrain_button_starts_a_run_from_the_parent_and_shows_the_lineage(
    review_home, monkeypatch
):
    from engine.training import runs

    parent = runs.create_run(review_home, tiny_config())
    started = []
    monkeypatch.setattr(runs, "start", lambda home, run_id, **_: started.append(run_id))
    monkeypatch.setattr("engine.llm.models.resolve", lambda home, spec, *a: None)
    at = _page()
    fund = at.selectbox(key="rev_fund").value
    at.selectbox(key="rev_grade").set_value(1)
    at.text_input(key="rev_reason").input("too optimistic")
    at.button(key="rev_correct").click()
    _run(at)
    assert at.selectbox(key="rev_parent").value == parent
    assert at.button(key="rev_retrain").label == t("rev_retrain", "ko", n=1)

    at.button(key="rev_retrain").click()
    _run(at)

    child = runs.load_config(review_home, "run-0002")
    decision = int(_trail(review_home)["feedback_id"].iloc[0])
    assert (child.parent_run_id, child.feedback_ids) == (parent, [str(decision)])
    assert started == ["run-0002"]
    assert "run-0002" in _texts(at.success)
    in_model = _funds(at).set_index(t("c_fund_id", "ko")).loc[fund, t("rev_c_in_model", "ko")]
    assert in_model.startswith("run-0002")  # created, not trained yet

    from engine.training.folder import RunFolder

    RunFolder(review_home.runs / "run-0002").write_status(state="finished")
    at.selectbox(key="rev_parent").set_value("run-0002")
    _run(at)
    lineage = t("rev_lineage", "ko", chain=f"{parent} → run-0002 (피드백 1건)")
    assert lineage in _texts(at.markdown)
    in_model = _funds(at).set_index(t("c_fund_id", "ko")).loc[fund, t("rev_c_in_model", "ko")]
    assert in_model == "✔ run-0002"
    assert at.button(key="rev_retrain").disabled  # nothing new to train with


def test_retrain_without_runs_says_to_train_first(review_home):
    at = _page()

    assert t("rev_no_runs", "ko") in _texts(at.info)
    assert "rev_retrain" not in [b.key for b in at.button]


# ---------------------------------------------------------------- language


def test_language_switch_translates_the_page(review_home):
    at = _page()
    assert at.title[0].value == t("rev_title", "ko")

    at.sidebar.radio(key="lang").set_value("en")
    _run(at)

    assert at.title[0].value == "Review AI grades"
    shown = _funds(at, "en")
    assert {"Expert grade", "AI grade", "Gap", "Rule-based grade"} <= set(shown.columns)
    assert at.button(key="rev_correct").label == "Save the correction"
    assert "invalid" in shown["AI grade"].tolist()
