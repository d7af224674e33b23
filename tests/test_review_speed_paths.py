"""The Review page's fast paths: rule-based grades read where a rules evaluation or a rating
cycle stored them for the evaluation's date (computed, and said so, where none did or the data
changed since), and the open fund's indicators computed for its category only.

The store is the demo universe with a stored model evaluation (tests/review_support.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.data.metrics import indicators
from engine.evaluation.jobs import start_evaluation
from engine.methodology import active
from engine.methodology.scoring import score_funds
from store import queries, review_reads
from store.db import connect
from store.uploads import log_upload
from tests import review_support
from workbench.i18n import t
from workbench.web import data

review_template = review_support.review_template
review_home = review_support.review_home

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
PAGE = "../pages/review.py"
TIMEOUT_S = 90


def _evaluation(home, evaluation_id: str = "eval-0001") -> dict:
    with connect(home) as con:
        row = con.execute(
            "SELECT as_of, methodology_id, methodology_version FROM evaluations"
            " WHERE evaluation_id = ?",
            [evaluation_id],
        ).fetchall()[0]
    return {"as_of": row[0].isoformat(), "methodology_id": row[1], "methodology_version": row[2]}


def _stored(home, evaluation_id: str = "eval-0001") -> pd.DataFrame:
    e = _evaluation(home, evaluation_id)
    with connect(home) as con:
        return review_reads.stored_rule_grades(
            con, evaluation_id, e["as_of"], e["methodology_id"], e["methodology_version"]
        )


def _computed(home) -> pd.DataFrame:
    e = _evaluation(home)
    scored = score_funds(
        home, e["methodology_id"], e["methodology_version"], pd.Timestamp(e["as_of"]).date()
    )
    return scored.set_index("fund_id")


def _rules_evaluation(home) -> str:
    return start_evaluation(home, "rules", selection="all", created_by="test")


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.session_state["rev_evaluation"] = "eval-0001"
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _captions(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def _rules_column(at: AppTest) -> pd.Series:
    table = next(d.value for d in at.dataframe if t("rev_c_gap", "ko") in d.value.columns)
    return table.set_index(t("c_fund_id", "ko"))[t("rev_c_rules", "ko")]


# ---------------------------------------------------------------- the stored rule-based grades


def test_a_rules_evaluation_of_the_date_gives_every_fund_the_scorers_grade_and_scores(
    review_home,
):
    rules_id = _rules_evaluation(review_home)

    stored = _stored(review_home).set_index("fund_id")
    computed = _computed(review_home).loc[stored.index]

    assert (stored["source"] == rules_id).all()
    assert stored["grade"].astype("Int64").tolist() == computed["grade"].tolist()
    criteria = [c for c in computed.columns if c.startswith("score_")]
    for fund_id, text in stored["scores"].items():
        scores = json.loads(text)
        assert {f"score_{k}" for k in scores} == set(criteria)
        for key, value in scores.items():
            assert value == pytest.approx(computed.at[fund_id, f"score_{key}"], nan_ok=True)


def test_no_stored_grades_without_a_rules_evaluation_or_cycle(review_home):
    stored = _stored(review_home)

    with connect(review_home) as con:
        funds = con.execute(
            "SELECT DISTINCT fund_id FROM evaluation_results WHERE evaluation_id = 'eval-0001'"
            " ORDER BY 1"
        ).fetchall()
    assert stored["fund_id"].tolist() == [f for (f,) in funds]
    assert stored["source"].isna().all() and stored["grade"].isna().all()


def test_grades_stored_before_the_latest_upload_are_not_used(review_home):
    _rules_evaluation(review_home)
    assert _stored(review_home)["source"].notna().all()

    with connect(review_home) as con:
        log_upload(
            con, file_name="nav.csv", sha256="0" * 64, kind="nav", encoding="utf-8", rows=1,
            counts=(0, 1, 0), outcome="ok", message=None, source="test", created_by="test",
            content_key=None,
        )  # fmt: skip

    assert _stored(review_home)["source"].isna().all()


def test_grades_of_another_methodology_version_are_not_used(review_home):
    _rules_evaluation(review_home)
    e = _evaluation(review_home)
    with connect(review_home) as con:
        other = review_reads.stored_rule_grades(
            con, "eval-0001", e["as_of"], e["methodology_id"], e["methodology_version"] + 1
        )

    assert other["source"].isna().all()


def test_a_rules_cycle_of_the_date_stores_the_grades_the_page_reads(review_home):
    from engine.cycle import run as cycles

    as_of = _evaluation(review_home)["as_of"]
    (cycle,) = cycles.start(
        review_home, as_of=as_of, model="rules", publish=False, inbox=False, background=False
    )["cycles"]
    assert cycle["state"] == "finished", cycle

    stored = _stored(review_home).set_index("fund_id")
    found = stored[stored["source"].notna()]
    computed = _computed(review_home).loc[found.index]

    assert len(found) > 0 and set(found["source"]) == {cycle["cycle_id"]}
    assert found["grade"].astype("Int64").tolist() == computed["grade"].tolist()


# ---------------------------------------------------------------- the page


def test_the_page_reads_stored_grades_without_scoring_the_universe(review_home, monkeypatch):
    rules_id = _rules_evaluation(review_home)
    expected = _stored(review_home).set_index("fund_id")["grade"]

    def refuse(*args, **kwargs):
        raise AssertionError("the whole universe was computed")

    monkeypatch.setattr("workbench.web.data.score_funds", refuse)
    monkeypatch.setattr("workbench.web.data.compute_indicators", refuse)
    at = _page()

    assert t("rev_rules_stored", "ko", source=rules_id) in _captions(at)
    shown = _rules_column(at)
    assert shown.tolist() == [
        "–" if pd.isna(expected[f]) else str(int(expected[f])) for f in shown.index
    ]
    assert not at.error
    table = next(d.value for d in at.dataframe if t("indicator", "ko") in d.value.columns)
    assert table.shape[1] > 1  # the open fund's windows, computed for its category


def test_without_stored_grades_the_page_computes_them_and_says_so(review_home):
    at = _page()

    assert t("rev_rules_computed", "ko") in _captions(at)
    computed = _computed(review_home)["grade"]
    shown = _rules_column(at)
    assert shown.tolist() == [
        "–" if pd.isna(computed[f]) else str(int(computed[f])) for f in shown.index
    ]


# ---------------------------------------------------------------- the open fund's category


def test_indicators_of_one_category_equal_those_of_the_whole_universe(review_home):
    as_of = _evaluation(review_home)["as_of"]
    universe = indicators(review_home, pd.Timestamp(as_of).date())
    category = universe["category"].value_counts().index[0]
    with connect(review_home) as con:
        version = (str(review_home.root), 0, *queries.upload_signature(con))

    facts = data.category_facts(version, as_of, category)

    assert facts is not None
    metrics, qualitative = facts
    expected = universe[universe["category"] == category]
    key = ["fund_id", "window"]
    pd.testing.assert_frame_equal(
        metrics.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    fund_id = expected["fund_id"].iloc[0]
    with connect(review_home) as con:
        own = queries.qualitative_for(con, fund_id)
    mine = qualitative[qualitative["for_fund"] == fund_id].drop(columns="for_fund")
    assert len(own) > 0
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), own, check_dtype=False)


def test_the_methodology_and_data_version_come_with_the_evaluations_reads(review_home):
    with connect(review_home) as con:
        methodology_id, version = active(con)
    evaluation = {"evaluation_id": "eval-0001", **_evaluation(review_home)}

    reads = data.review(evaluation, None)

    assert reads.doc is not None and reads.doc["id"] == methodology_id
    assert reads.doc.get("version") == version and reads.doc_error is None
    assert reads.stored_rules is None and reads.rules_source is None
    assert reads.fund_data[0] == str(review_home.root) and len(reads.rows) > 0
