"""The rule-anchored prompt: the written method's proposal and the facts the habits act on."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from engine.data.managers import manager_facts
from engine.evaluation import tabular
from engine.llm.anchor import Context, Proposal, anchor_compact, context_line, proposal_line
from engine.llm.rewards import reasoning_quality
from engine.methodology import get, iter_criteria
from engine.training.config import RunConfig
from engine.training.features import features_from, fund_features, read_inputs
from store.db import connect
from store.home import Home
from tests.template_support import copy_home, demo_store

LATEST = date(2026, 9, 30)  # the demo's last rating date
CUTOFFS = [[5, 3.92], [4, 3.41], [3, 2.71], [2, 2.15], [1, None]]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Home:
    template = demo_store(tmp_path_factory, n_funds=40, years=5)
    return copy_home(template, tmp_path_factory.mktemp("anchor") / "home")


def _features(home: Home, style: str, lang: str = "ko") -> pd.DataFrame:
    with connect(home) as con:
        return fund_features(con, get(con, "house", 1), LATEST, language=lang, prompt_style=style)


def test_the_proposal_line_shows_total_grade_and_reachable_cutoffs_and_registers_the_total():
    facts: dict[str, dict] = {}
    proposal = Proposal(scores={}, total=3.5649, grade=4, cutoffs=[[5, 6.0], *CUTOFFS[1:]])
    line = proposal_line("en", proposal, facts, short=False)
    assert line == (
        "[Rules' proposal] total 3.56 → grade 4 "
        "(category cutoffs: grade 4 >=3.41, grade 3 >=2.71, grade 2 >=2.15)"
    )  # grade 5's cutoff of 6 is out of reach: nobody in the category has grade 5
    assert facts["rule_total"]["value"] == 3.56
    short = proposal_line("ko", Proposal({}, None, None, CUTOFFS), {}, short=True)
    assert short == "규칙 종합 - 등급 - 기준 5≥3.92 4≥3.41 3≥2.71 2≥2.15"


def test_the_context_line_says_unknown_manager_changes_instead_of_zero():
    facts: dict[str, dict] = {}
    known = Context(months=149, aum_text="45.2억원", ret_1y_pct=9.6, changes_1y=1, changes_3y=2)
    line = context_line("ko", known, facts, short=False)
    assert (
        line
        == "[참고] 운용 12.4년, 순자산 45.2억원, 1년 수익률 백분위 10, 매니저 교체 1년 1회, 3년 2회"
    )
    assert {k: facts[k]["value"] for k in facts} == {
        "track_record_years": 12.4,
        "ret_1y_pct": 10.0,
        "manager_changes_1y": 1.0,
        "manager_changes_3y": 2.0,
    }
    unknown = context_line("en", Context(months=40), {}, short=True)
    assert unknown == "context track record 3.3 years changes -"


def test_the_compact_anchored_prompt_puts_each_rule_score_on_its_criterions_line():
    messages = [
        {"role": "system", "content": "{...}"},
        {"role": "user", "content": "sharpe_3y 0.82 percentile 75\nesg 4/5\nrisk -"},
    ]
    proposal = Proposal({"sharpe_3y": 4.0, "esg": 4.0, "risk": None}, 3.2, 3, CUTOFFS)
    out = anchor_compact(messages, "en", proposal, Context(), {})
    lines = out[-1]["content"].split("\n")
    assert lines[:3] == ["sharpe_3y 0.82 percentile 75 score 4", "esg 4/5 score 4", "risk -"]
    assert lines[3].startswith("rules total 3.20 grade 3 cutoffs 5>=3.92")
    assert out[0] == messages[0] and messages[-1]["content"].count("\n") == 2  # input unchanged


@pytest.mark.parametrize("style", ["anchored", "compact_anchored"])
def test_anchored_prompts_show_the_reference_scorers_own_grade_total_and_scores(store, style):
    plain = _features(store, "compact" if style.startswith("compact") else "full")
    anchored = _features(store, style)
    assert anchored["fund_id"].tolist() == plain["fund_id"].tolist()
    assert anchored["reference_grade"].tolist() == plain["reference_grade"].tolist()
    with connect(store) as con:
        cids = [c["id"] for _, c in iter_criteria(get(con, "house", 1))]
    for row, before in zip(anchored.itertuples(), plain.itertuples(), strict=True):
        text = row.prompt[-1]["content"]
        assert text.startswith(before.prompt[-1]["content"].split("\n")[0])
        facts = json.loads(row.facts)
        assert facts["rule_total"]["value"] == round(row.reference_total, 2)
        assert f"{row.reference_total:.2f}" in text
        grade = (
            f"등급 {row.reference_grade}"
            if style == "compact_anchored"
            else f"{row.reference_grade}등급"
        )
        assert grade in text
        if style == "compact_anchored":
            scores = json.loads(row.reference_scores)
            lines = text.split("\n")
            for cid, line in zip(cids, lines, strict=False):
                assert line.startswith(cid)
                if scores[cid] is not None:
                    assert line.endswith(f"점수 {scores[cid]:g}")
        months = facts["track_record_months"]["value"]
        assert facts["track_record_years"]["text"] == f"{months / 12:.1f}"
        assert f"{months / 12:.1f}" in text


def test_a_reasoning_citing_the_rules_total_and_the_context_is_grounded(store):
    row = _features(store, "anchored", "en").iloc[0]
    facts = json.loads(row.facts)
    total, years = facts["rule_total"]["text"], facts["track_record_years"]["text"]
    answer = json.dumps(
        {
            "scores": {},
            "grade": 3,
            "reasoning": f"The rules' total is {total} and the track record is {years} years.",
        }
    )
    invented = answer.replace(total, "9.87")
    got = reasoning_quality([answer, invented], facts=[row.facts] * 2, language=["en"] * 2)
    assert got[0] > got[1]


def test_run_settings_accept_the_anchored_styles():
    assert not RunConfig(model="builtin-tiny", prompt_style="compact_anchored").problems()
    assert any("prompt_style" in p for p in RunConfig(prompt_style="anchor").problems())


def test_the_tabular_baseline_sees_the_rule_grade_and_the_anchored_context(store):
    rows = _features(store, "compact_anchored")
    x = tabular.features(rows)
    assert x["rule_grade"].tolist() == rows["reference_grade"].astype(float).tolist()
    assert {"rule_total", "ret_1y_pct", "track_record_years"} <= set(x.columns)
    assert not any(c.endswith(tuple(f"_note_{k}" for k in range(1, 9))) for c in x.columns)


def test_anchored_prompts_show_the_stored_manager_changes_and_unknown_without_history(store):
    rows = _features(store, "anchored", "en")
    with connect(store) as con:
        truth = manager_facts(con, LATEST, fund_ids=rows["fund_id"]).set_index("fund_id")
    shown = {r.fund_id: json.loads(r.facts) for r in rows.itertuples()}
    assert truth["changes_3y"].max() >= 1  # the demo has funds whose manager changed
    for fund_id, facts in shown.items():
        assert facts["manager_changes_1y"]["value"] == truth.at[fund_id, "changes_1y"]
        assert facts["manager_changes_3y"]["value"] == truth.at[fund_id, "changes_3y"]
    with connect(store) as con:
        inputs = read_inputs(con, get(con, "house", 1), LATEST)
    inputs = replace(inputs, managers=inputs.managers.iloc[0:0])
    bare = features_from(inputs, language="en", prompt_style="anchored")
    assert all("manager changes unknown" in p[-1]["content"] for p in bare["prompt"])
    assert not any("manager_changes_1y" in json.loads(f) for f in bare["facts"])
