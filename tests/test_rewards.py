"""The four rewards as a table: completion in, score out — for a hand-made Korean fund.

The fund (유형: 국내주식형) is rated under six criteria; the prompt showed it the `facts` below,
`grade_rule` is the category's cutoffs, and the experts gave grade 4 with the sub-scores in
`EXPERT_SCORES`. Its correct answer has a weighted total of 3.75, which is grade 4.
"""

from __future__ import annotations

import json

import pytest

from engine.data.metrics import INDICATORS
from engine.demo.house import house_methodology
from engine.llm.output import INDICATOR_TERMS, cited_numbers, parse_output, validate_output
from engine.llm.prompts import CriterionInput, FundInput, render
from engine.llm.rewards import (
    DEFAULT_REWARD_WEIGHTS,
    REASONING_WEIGHTS,
    REWARD_FUNCTIONS,
    consistency,
    evaluation_accuracy,
    json_format,
    reasoning_quality,
    reward_breakdown,
    rule_grade,
    total_reward,
)

WEIGHTS = {
    "return_3y": 0.25,
    "sharpe_3y": 0.25,
    "drawdown_3y": 0.15,
    "philosophy_process": 0.15,
    "org_stability": 0.10,
    "esg": 0.10,
}
CUTOFFS = [[5, 4.12], [4, 3.55], [3, 2.9], [2, 2.31], [1, None]]
GRADE_RULE = {"weights": WEIGHTS, "method": "thresholds", "cutoffs": CUTOFFS}
SCORES = {
    "return_3y": 4,
    "sharpe_3y": 4,
    "drawdown_3y": 3,
    "philosophy_process": 4,
    "org_stability": 3,
    "esg": 4,
}  # weighted total 3.75 -> grade 4
EXPERT_SCORES = dict(SCORES)
ONE_OFF_SCORES = {c: s + 1 if s < 5 else 4 for c, s in SCORES.items()}  # total 4.75 -> 5

FACTS_KO = {
    "return_3y": {"value": 0.123, "text": "12.3%", "label": "3년 연환산 수익률"},
    "return_3y_pct": {"value": 74.0, "text": "74", "label": "3년 연환산 수익률 유형 내 백분위"},
    "sharpe_3y": {"value": 0.82, "text": "0.82", "label": "3년 샤프지수"},
    "sharpe_3y_pct": {"value": 82.0, "text": "82", "label": "3년 샤프지수 유형 내 백분위"},
    "drawdown_3y": {"value": -0.154, "text": "-15.4%", "label": "3년 최대낙폭"},
    "drawdown_3y_pct": {"value": 61.0, "text": "61", "label": "3년 최대낙폭 유형 내 백분위"},
    "philosophy_process": {"value": 4.0, "text": "4", "label": "운용철학 및 프로세스 평가"},
    "org_stability": {"value": 3.0, "text": "3", "label": "조직 안정성 평가"},
    "esg": {"value": 4.0, "text": "4", "label": "ESG 평가"},
    "aum": {"value": 152300000000.0, "text": "1,523억원", "label": "순자산"},
}
FACTS_EN = {
    "return_3y": {"value": 0.123, "text": "12.3%", "label": "3-year annualised return"},
    "sharpe_3y": {"value": 0.82, "text": "0.82", "label": "3-year Sharpe ratio"},
    "sharpe_3y_pct": {"value": 82.0, "text": "82", "label": "3-year Sharpe ratio percentile"},
    "drawdown_3y": {"value": -0.154, "text": "-15.4%", "label": "3-year maximum drawdown"},
}
TOP_KO = [
    ["return_3y", "3년 연환산 수익률"],
    ["sharpe_3y", "3년 샤프지수"],
    ["drawdown_3y", "3년 최대낙폭"],
]
TOP_EN = [
    ["return_3y", "3-year annualised return"],
    ["sharpe_3y", "3-year Sharpe ratio"],
    ["drawdown_3y", "3-year maximum drawdown"],
]

ROW_KO = {
    "fund_id": "KR5101AB1234",
    "fund_name": "한빛 밸류 증권투자신탁(주식)",
    "category": "국내주식형",
    "language": "ko",
    "expert_grade": 4,
    "expert_scores": json.dumps(EXPERT_SCORES),
    "reference_grade": 4,
    "reference_scores": json.dumps(SCORES),
    "facts": json.dumps(FACTS_KO, ensure_ascii=False),
    "grade_rule": json.dumps(GRADE_RULE),
    "top_criteria": json.dumps(TOP_KO, ensure_ascii=False),
}
ROW_EN = {
    **ROW_KO,
    "language": "en",
    "facts": json.dumps(FACTS_EN),
    "top_criteria": json.dumps(TOP_EN),
}

REASON_KO = (
    "3년 샤프지수 0.82(유형 상위 18%)와 3년 연환산 수익률 12.3%가 우수하고, "
    "3년 최대낙폭 -15.4%는 유형 중간 수준이라 4등급으로 평가합니다."
)
REASON_EN = (
    "A 3-year Sharpe ratio of 0.82 (top 18% of the category) and a 3-year annualised return "
    "of 12.3% are strengths; the maximum drawdown of -15.4% is average, so grade 4."
)
REASON_HALLUCINATED = "3년 샤프지수 0.91과 3년 연환산 수익률 15.2%가 우수하고 3년 최대낙폭도 -8.1%로 낮아 4등급입니다."


def answer(
    scores: dict | None = None, grade: object = 4, reasoning: str = REASON_KO, **extra
) -> str:
    body = {"scores": SCORES if scores is None else scores, "grade": grade, "reasoning": reasoning}
    return json.dumps({**body, **extra}, ensure_ascii=False)


PERFECT = answer()


def score(function, completion, row: dict = ROW_KO) -> float:
    """One completion through a TRL-style reward function, with the row's columns as lists."""
    return function([completion], **{k: [v] for k, v in row.items()})[0]


# ---------------------------------------------------------------- json_format

FORMAT_CASES = [
    ("perfect bare JSON", PERFECT, 1.0),
    ("malformed JSON (single quotes)", "{'scores': {}, 'grade': 4, 'reasoning': 'x'}", 0.0),
    ("JSON cut off at the token limit", PERFECT[:-30], 0.0),
    ("plain prose without JSON", "이 펀드는 4등급입니다.", 0.0),
    ("empty completion", "", 0.0),
    ("JSON in a ```json code fence", f"```json\n{PERFECT}\n```", 0.75),
    ("prose around the JSON", f"평가 결과는 다음과 같습니다.\n{PERFECT}\n감사합니다.", 0.75),
    ("JSON without any required key", '{"rating": 4}', 0.25),
    ("JSON missing reasoning", json.dumps({"scores": SCORES, "grade": 4}), 0.25),
    ("grade 7", answer(grade=7), 0.5),
    ('string grade "4"', answer(grade="4"), 0.5),
    ("score 0 for a criterion", answer(scores={**SCORES, "esg": 0}), 0.5),
    ("extra top-level key", answer(confidence=0.9), 0.5),
    ("blank reasoning", answer(reasoning="  "), 0.5),
    ("a criterion missing", answer(scores={k: v for k, v in SCORES.items() if k != "esg"}), 0.75),
    ("an unknown criterion", answer(scores={**SCORES, "beta_3y": 3}), 0.75),
    ("Qwen3 thinking before the answer", f"<think>\n샤프지수가 높다.\n</think>\n\n{PERFECT}", 1.0),
    ("empty thinking block (non-thinking mode)", f"<think>\n\n</think>\n\n{PERFECT}", 1.0),
    ("closing tag only (template opened it)", f"샤프지수가 높다.\n</think>\n{PERFECT}", 1.0),
    ("thinking never closed", f"<think>\n샤프지수가 높고 {PERFECT}", 0.0),
    ("trailing <|im_end|>", PERFECT + "<|im_end|>", 1.0),
    ("conversational completion", [{"role": "assistant", "content": PERFECT}], 1.0),
]


@pytest.mark.parametrize(
    ("completion", "expected"),
    [case[1:] for case in FORMAT_CASES],
    ids=[case[0] for case in FORMAT_CASES],
)
def test_json_format_follows_the_ladder(completion, expected):
    assert score(json_format, completion) == expected


# ---------------------------------------------------------------- evaluation_accuracy

ACCURACY_CASES = [
    ("exact grade and sub-scores", PERFECT, 4, 1.0),
    ("grade one off, sub-scores exact", PERFECT, 3, 0.8 * 0.5 + 0.2),
    ("grade two off", PERFECT, 2, 0.8 * 0.1 + 0.2),
    ("grade three off", PERFECT, 1, 0.2),
    ("every sub-score one off", answer(scores=ONE_OFF_SCORES), 4, 0.8 + 0.2 * 0.75),
    ("sub-scores missing count zero", answer(scores={}), 4, 0.8),
    ('string grade "4" earns only the sub-scores', answer(grade="4"), 4, 0.2),
    ("grade 7 earns only the sub-scores", answer(grade=7), 4, 0.2),
    ("unparseable", "grade: 4", 4, 0.0),
    ("thinking then the right answer", f"<think>음</think>{PERFECT}", 4, 1.0),
]


@pytest.mark.parametrize(
    ("completion", "expert_grade", "expected"),
    [case[1:] for case in ACCURACY_CASES],
    ids=[case[0] for case in ACCURACY_CASES],
)
def test_evaluation_accuracy_weighs_grade_and_sub_scores(completion, expert_grade, expected):
    row = {**ROW_KO, "expert_grade": expert_grade}
    assert score(evaluation_accuracy, completion, row) == pytest.approx(expected)


@pytest.mark.parametrize(("grade", "expected"), [(4, 1.0), (5, 0.5), (2, 0.1), (1, 0.0)])
def test_evaluation_accuracy_is_the_grade_part_alone_without_expert_sub_scores(grade, expected):
    row = {**ROW_KO, "expert_scores": "{}"}
    assert score(evaluation_accuracy, answer(grade=grade), row) == pytest.approx(expected)


def test_evaluation_accuracy_refuses_a_dataset_without_expert_grade():
    with pytest.raises(ValueError, match="expert_grade"):
        evaluation_accuracy([PERFECT], facts=[ROW_KO["facts"]])


def test_evaluation_accuracy_is_zero_for_a_row_without_an_expert_grade():
    assert evaluation_accuracy([PERFECT], expert_grade=[None]) == [0.0]


# ---------------------------------------------------------------- consistency

CONSISTENCY_CASES = [
    ("grade follows from own scores (3.75 -> 4)", PERFECT, 1.0),
    ("one grade above what own scores give", answer(grade=5), 0.5),
    ("one grade below", answer(grade=3), 0.5),
    ("two grades off", answer(grade=2), 0.0),
    ("higher own scores, higher grade (4.75 -> 5)", answer(scores=ONE_OFF_SCORES, grade=5), 1.0),
    (
        "all ones fall to the open-ended lowest band",
        answer(scores=dict.fromkeys(SCORES, 1), grade=1),
        1.0,
    ),
    ("a weighted criterion without a score", answer(scores={"return_3y": 4}), 0.0),
    ("a score out of range", answer(scores={**SCORES, "esg": 9}), 0.0),
    ('string grade "4"', answer(grade="4"), 0.0),
    ("unparseable", "{grade: 4}", 0.0),
]


@pytest.mark.parametrize(
    ("completion", "expected"),
    [case[1:] for case in CONSISTENCY_CASES],
    ids=[case[0] for case in CONSISTENCY_CASES],
)
def test_consistency_compares_grade_with_the_rule_on_own_scores(completion, expected):
    assert score(consistency, completion) == expected


@pytest.mark.parametrize(
    ("total", "grade"),
    [(4.12, 5), (4.1199, 4), (3.55, 4), (2.9, 3), (2.31, 2), (2.30, 1), (1.0, 1)],
)
def test_rule_grade_applies_cutoffs_inclusively_from_the_top(total, grade):
    # one criterion of weight 1 whose score is the total: only the cutoffs decide
    rule = {"weights": {"x": 1.0}, "cutoffs": CUTOFFS}
    assert rule_grade({"x": total}, rule) == (pytest.approx(total), grade)


def test_consistency_is_zero_without_a_grade_rule():
    assert consistency([PERFECT], expert_grade=[4]) == [0.0]


# ---------------------------------------------------------------- reasoning_quality

REASONING_CASES = [
    ("right numbers in Korean", ROW_KO, REASON_KO, 1.0),
    ("right numbers in English", ROW_EN, REASON_EN, 1.0),
    # grounding 0 (three invented numbers): 1 - 0.35
    ("hallucinated numbers", ROW_KO, REASON_HALLUCINATED, 0.65),
    # one right (0.82) and one invented (15.2%): grounding 1/2 * 1/2 = 0.25
    (
        "one right and one invented number",
        ROW_KO,
        "3년 샤프지수 0.82와 3년 연환산 수익률 15.2%가 우수하고 3년 최대낙폭은 평균 수준입니다.",
        0.35 * 0.25 + 0.65,
    ),
    # a right number on the wrong indicator is invented: 0.82 is the Sharpe, not the return
    (
        "a right number on the wrong indicator",
        ROW_KO,
        "3년 연환산 수익률 0.82와 3년 샤프지수 0.82가 우수하고 3년 최대낙폭은 평균 수준입니다.",
        0.35 * 0.25 + 0.65,
    ),
    # percentages as fractions, percentiles as "상위 x%" or "백분위 x", amounts with commas
    (
        "percent vs fraction, percentile forms, thousands separators",
        ROW_KO,
        "3년 연환산 수익률 0.123, 샤프지수 백분위 82(상위 18%), 순자산 1,523억원으로 "
        "3년 최대낙폭 15.4% 대비 양호합니다.",
        1.0,
    ),
    # no numbers: grounding 0
    (
        "no numbers cited",
        ROW_KO,
        "3년 샤프지수와 3년 연환산 수익률이 우수하고 3년 최대낙폭이 안정적입니다.",
        0.65,
    ),
    # English reasoning for a Korean prompt: language 0 and no Korean criterion names
    ("wrong language (English for ko)", ROW_KO, REASON_EN, 1 - 0.15 - 0.25),
    # Korean reasoning for an English prompt: language 0, English criterion names absent
    ("wrong language (Korean for en)", ROW_EN, REASON_KO, 1 - 0.15 - 0.25),
    # an indicator the methodology does not use: methodology 1 - 0.5, and its number is invented
    (
        "indicator not in the methodology",
        ROW_KO,
        "3년 샤프지수 0.82와 3년 연환산 수익률 12.3%가 우수하나 베타 1.1은 높습니다.",
        0.35 * (2 / 3) + 0.25 + 0.10 * 0.5 + 0.15 + 0.15,
    ),
    # 10 characters: length 10/40; only 0.82 cited (grounding 1/2); names one of three top
    (
        "too short",
        ROW_KO,
        "샤프지수 0.82.",
        0.35 * 0.5 + 0.25 * 0.5 + 0.15 * (10 / 40) + 0.10 + 0.15,
    ),
    ("too long (1200+ characters)", ROW_KO, REASON_KO * 14, 1 - 0.15),
]


@pytest.mark.parametrize(
    ("row", "reasoning", "expected"),
    [case[1:] for case in REASONING_CASES],
    ids=[case[0] for case in REASONING_CASES],
)
def test_reasoning_quality_rewards_grounded_relevant_text(row, reasoning, expected):
    assert score(reasoning_quality, answer(reasoning=reasoning), row) == pytest.approx(expected)


def test_reasoning_quality_is_zero_without_json_or_reasoning():
    assert score(reasoning_quality, REASON_KO) == 0.0
    assert score(reasoning_quality, answer(reasoning="")) == 0.0
    assert score(reasoning_quality, json.dumps({"grade": 4})) == 0.0


def test_reasoning_quality_judges_only_what_the_columns_allow():
    # without facts, top criteria, grade rule or language only the length is left
    assert reasoning_quality([answer(reasoning=REASON_KO)]) == [1.0]
    assert reasoning_quality([answer(reasoning="좋음")]) == [pytest.approx(2 / 40)]


def test_windows_grades_and_dates_are_not_citations():
    text = "2024-12-31 기준 3년 샤프지수 0.82, 5y 수익률 12.3%, 4등급(4점), grade 4, 1위."
    assert [c["text"] for c in cited_numbers(text)] == ["0.82", "12.3%"]


def test_hallucinated_number_is_explained_with_the_fact_it_contradicts():
    why = reward_breakdown(answer(reasoning=REASON_HALLUCINATED), ROW_KO)
    reason = why["rewards"]["reasoning_quality"]["why"]
    assert "cited 0.91 but 3년 샤프지수 is 0.82" in reason
    assert "cited 15.2% but 3년 연환산 수익률 is 12.3%" in reason
    assert why["reasoning_parts"]["grounding"]["score"] == 0.0


def test_indicator_terms_name_every_non_return_indicator_of_the_engine():
    assert set(INDICATORS) - {"cum_return", "ann_return"} <= set(INDICATOR_TERMS)


# ---------------------------------------------------------------- batches and TRL


def test_batch_rewards_stay_aligned_with_their_rows():
    completions = [answer(grade=4), "not json", [{"role": "assistant", "content": answer(grade=2)}]]
    columns = {k: [v, v, v] for k, v in ROW_KO.items()}
    columns["expert_grade"] = [4, 4, 3]
    trl_extras = {"prompts": ["p"] * 3, "completion_ids": [[1]] * 3, "trainer_state": object()}
    assert evaluation_accuracy(completions, **columns, **trl_extras) == pytest.approx(
        [1.0, 0.0, 0.8 * 0.5 + 0.2]
    )
    assert consistency(completions, **columns, **trl_extras) == [1.0, 0.0, 0.0]
    assert json_format(completions, **columns, **trl_extras) == [1.0, 0.0, 1.0]


def test_a_column_given_once_applies_to_the_whole_batch():
    assert evaluation_accuracy([answer(grade=4), answer(grade=5)], expert_grade=4) == [1.0, 0.5]


def test_a_column_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="expert_grade"):
        evaluation_accuracy([PERFECT, PERFECT], expert_grade=[4])


def test_reward_functions_are_named_as_trl_logs_them_and_weighted_as_points():
    assert list(REWARD_FUNCTIONS) == list(DEFAULT_REWARD_WEIGHTS)
    assert all(f.__name__ == name for name, f in REWARD_FUNCTIONS.items())
    assert DEFAULT_REWARD_WEIGHTS == {
        "json_format": 0.1,
        "evaluation_accuracy": 0.5,
        "reasoning_quality": 0.3,
        "consistency": 0.1,
    }


def test_every_reward_stays_in_zero_one_for_every_case():
    completions = [case[1] for case in FORMAT_CASES] + [case[1] for case in ACCURACY_CASES]
    columns = {k: [v] * len(completions) for k, v in ROW_KO.items()}
    for function in REWARD_FUNCTIONS.values():
        assert all(0.0 <= r <= 1.0 for r in function(completions, **columns))


def test_total_reward_is_the_weighted_sum():
    columns = {k: [v, v] for k, v in ROW_KO.items()}
    assert total_reward([PERFECT, ""], **columns) == pytest.approx([1.0, 0.0])
    fenced = [f"```json\n{PERFECT}\n```"] * 2
    only_format = total_reward(fenced, weights={"json_format": 1.0}, **columns)
    assert only_format == [0.75, 0.75]


def test_reward_breakdown_gives_each_score_with_a_reason():
    out = reward_breakdown(answer(grade=5), ROW_KO)
    assert set(out["rewards"]) == set(DEFAULT_REWARD_WEIGHTS)
    assert out["rewards"]["consistency"]["score"] == 0.5
    assert "weighted total 3.75 → grade 4" in out["rewards"]["consistency"]["why"]
    assert "grade 5 vs expert 4" in out["rewards"]["evaluation_accuracy"]["why"]
    assert out["total"] == pytest.approx(0.1 * 1 + 0.5 * (0.8 * 0.5 + 0.2) + 0.3 * 1 + 0.1 * 0.5)


# ---------------------------------------------------------------- parse and validate


def test_parse_output_keeps_thinking_and_strips_end_tokens():
    parsed = parse_output(f"<think>샤프지수가 높다</think>\n{PERFECT}<|im_end|>")
    assert parsed.thinking == "샤프지수가 높다"
    assert parsed.data["grade"] == 4
    assert parsed.answer_text == PERFECT
    assert parsed.error is None and parsed.extra_text == ""


@pytest.mark.parametrize(
    ("completion", "error"),
    [
        ("", "the answer is empty"),
        ("4등급입니다", "no JSON object in the answer"),
        (PERFECT[:-30], "the JSON is cut off before the object is closed"),
        ("<think>생각 중", "the thinking block (<think>) is never closed, so no answer follows it"),
        ('{"grade": 4,, "scores": {}} ', "not valid JSON: expecting property name"),
    ],
)
def test_parse_output_says_in_plain_words_what_is_wrong(completion, error):
    parsed = parse_output(completion)
    assert parsed.data is None
    assert parsed.error.startswith(error)


def test_parse_output_finds_the_answer_after_prose_with_braces():
    parsed = parse_output("점수표 {참고} 아래와 같습니다:\n" + PERFECT)
    assert parsed.data["grade"] == 4
    assert parsed.extra_text.startswith("점수표 {참고}")


def test_validate_output_lists_schema_and_criterion_problems():
    data = {"scores": {**SCORES, "beta_3y": 3, "esg": 0}, "grade": "4", "reasoning": ""}
    del data["scores"]["org_stability"]
    assert validate_output(data, list(WEIGHTS)) == [
        'grade: must be an integer, got "4"',
        "reasoning: must not be empty",
        "scores.esg: must be from 1 to 5, got 0",
        "scores: missing criterion 'org_stability'",
        "scores: unknown criterion 'beta_3y'",
    ]
    assert validate_output(json.loads(PERFECT), list(WEIGHTS)) == []
    assert validate_output({"grade": 4, "extra": 1}) == [
        "missing key 'scores'",
        "missing key 'reasoning'",
        "unknown key 'extra' (the answer has only scores, grade, reasoning)",
    ]


def test_reasoning_quality_logs_component_means_through_trl_log_metric():
    logged: dict[str, float] = {}
    completions = [answer(reasoning=REASON_KO), answer(reasoning=REASON_HALLUCINATED), "broken"]
    columns = {k: [v] * 3 for k, v in ROW_KO.items()}
    reasoning_quality(completions, log_metric=logged.__setitem__, **columns)
    assert logged["reasoning_quality/grounding"] == pytest.approx(0.5)  # 1 and 0; "broken" has none
    assert logged["reasoning_quality/language"] == 1.0
    assert set(logged) == {f"reasoning_quality/{k}" for k in REASONING_WEIGHTS}


@pytest.mark.parametrize("value", [0.1234, 12.3], ids=["value as a fraction", "value as shown"])
@pytest.mark.parametrize("cited", ["12.3%", "12%", "0.123", "12.3"])
def test_percent_facts_match_in_either_convention(value, cited):
    facts = {"return_3y": {"value": value, "text": "12.3%", "label": "3년 연환산 수익률"}}
    row = {"facts": json.dumps(facts, ensure_ascii=False)}
    out = reward_breakdown(answer(reasoning=f"3년 연환산 수익률 {cited}로 우수합니다."), row)
    assert out["reasoning_parts"]["grounding"]["why"].startswith("1 of 1 cited numbers")


def test_a_fractions_full_precision_counts_but_a_wrong_digit_does_not():
    facts = {"return_3y": {"value": 0.1234, "text": "12.3%", "label": "3년 연환산 수익률"}}
    row = {"facts": json.dumps(facts, ensure_ascii=False)}
    good = reward_breakdown(answer(reasoning="3년 연환산 수익률 12.34%"), row)
    bad = reward_breakdown(answer(reasoning="3년 연환산 수익률 12.37%"), row)
    assert good["reasoning_parts"]["grounding"]["score"] == 0.5  # one right number of two wanted
    assert bad["reasoning_parts"]["grounding"]["score"] == 0.0


# ---------------------------------------------------------------- grounding: only true numbers


def prompt_facts(lang: str) -> dict:
    """The facts `render` shows for one fund of the house methodology, in `lang`.

    3y return 15.3% (percentile 74), 3y Sharpe 0.82 (82), 3y drawdown -12.3% (61), 1y return
    -5.2% (12), AUM 1,234억원 / KRW 123.4bn, and a stability note with '회전율 1.2배'.
    """
    fund = FundInput(
        name="한빛 밸류",
        category="국내주식형",
        company="한빛운용",
        as_of="2024-12-31",
        inception="2015-03-02",
        months=117,
        aum=123_400_000_000,
        currency="KRW",
        criteria={
            "ann_return_3y": CriterionInput(value=0.153, window="3y", pct=74),
            "sharpe_3y": CriterionInput(value=0.82, window="3y", pct=82),
            "max_drawdown_3y": CriterionInput(value=-0.123, window="3y", pct=61),
            "cum_return_1y": CriterionInput(value=-0.052, window="1y", pct=12),
            "org_stability": CriterionInput(score=3, note="매니저 교체 1회, 회전율 1.2배"),
        },
    )
    units = {key: meta.unit for key, meta in INDICATORS.items()}
    return render(house_methodology(lang), lang, fund, units)[1]


def grounding(reasoning: str, lang: str = "ko") -> dict:
    """The grounding component of one reasoning against `prompt_facts(lang)`."""
    row = {"facts": json.dumps(prompt_facts(lang), ensure_ascii=False)}
    return reward_breakdown(answer(reasoning=reasoning), row)["reasoning_parts"]["grounding"]


def test_the_prompt_shows_the_numbers_these_tests_cite():
    facts = prompt_facts("ko")
    shown = {key: facts[key]["text"] for key in ("ann_return_3y", "sharpe_3y", "aum")}
    assert shown == {"ann_return_3y": "15.3%", "sharpe_3y": "0.82", "aum": "1,234억원"}
    assert facts["max_drawdown_3y"]["text"] == "-12.3%"
    assert facts["cum_return_1y"]["text"] == "-5.2%"
    assert prompt_facts("en")["aum"]["text"] == "KRW 123.4bn"


UNTRUE_CITATIONS = [
    # the three: a whole number matched anything within ±0.5, signs were ignored
    ("ko", "3년 샤프지수 1로 양호합니다.", "Sharpe 0.82 is not 1"),
    ("ko", "3년 최대낙폭 0%로 안정적입니다.", "drawdown -12.3% is not 0%"),
    ("ko", "3년 연환산 수익률 0으로 부진합니다.", "return 15.3% is not 0"),
    ("en", "The 3-year Sharpe ratio of 1 is good.", "Sharpe 0.82 is not 1"),
    ("en", "Its maximum drawdown of 0% is small.", "drawdown -12.3% is not 0%"),
    ("en", "A 3-year annualised return of 0 is weak.", "return 15.3% is not 0"),
    # the sign is part of the number
    ("ko", "3년 연환산 수익률 -15.3%로 부진합니다.", "a positive return written negative"),
    ("ko", "1년 수익률 5.2%로 양호합니다.", "a loss written as a gain"),
    ("ko", "3년 최대낙폭 +12.3%입니다.", "a drawdown written with a plus sign"),
    ("en", "The 3-year Sharpe ratio of -0.82 is poor.", "a Sharpe ratio with the wrong sign"),
    # a rounding no analyst would write, or a wrong rounding
    ("ko", "3년 연환산 수익률 0.2로 양호합니다.", "15.3% as a fraction rounded to 0.2"),
    ("ko", "3년 연환산 수익률 20%로 양호합니다.", "15.3% is not 20%"),
    ("ko", "3년 연환산 수익률 16%로 양호합니다.", "15.3% rounds to 15%, not 16%"),
    ("ko", "3년 샤프지수 0.9로 양호합니다.", "0.82 rounds to 0.8, not 0.9"),
    ("ko", "순자산 1,000억원 규모입니다.", "1,234억원 is not 1,000억원"),
]


@pytest.mark.parametrize(
    ("lang", "reasoning"),
    [case[:2] for case in UNTRUE_CITATIONS],
    ids=[f"{case[0]}: {case[2]}" for case in UNTRUE_CITATIONS],
)
def test_grounding_does_not_pay_for_a_number_the_prompt_does_not_show(lang, reasoning):
    part = grounding(reasoning, lang)
    assert part["score"] == 0.0
    assert part["why"].startswith("0 of 1 cited numbers")


TRUE_CITATIONS = [
    # as shown, and the roundings an analyst writes
    ("ko", "3년 연환산 수익률 15.3%", "percent as shown"),
    ("ko", "3년 연환산 수익률 15%", "percent to a whole percent"),
    ("ko", "3년 연환산 수익률 +15.3%", "an explicit plus sign"),
    ("ko", "3년 연환산 수익률 0.153", "percent as a fraction"),
    ("ko", "3년 연환산 수익률 15.3", "percent without the sign"),
    ("ko", "3년 연환산 수익률 15.3퍼센트", "퍼센트"),
    ("ko", "3년 샤프지수 0.82", "ratio as shown"),
    ("ko", "3년 샤프지수 0.8", "ratio to one decimal"),
    ("ko", "3년 샤프지수 백분위 82", "a percentile"),
    ("ko", "3년 샤프지수는 유형 상위 18%", "a percentile as 상위 x%"),
    # negative numbers: with their sign, or a drawdown as its size beside the word 낙폭
    ("ko", "3년 최대낙폭 -12.3%", "a negative number"),
    ("ko", "3년 최대낙폭 −12.3%", "a negative number with the minus sign U+2212"),
    ("ko", "3년 최대낙폭 -12%", "a negative number to a whole percent"),
    ("ko", "3년 최대낙폭 12.3%", "a drawdown as its size"),
    ("ko", "1년 수익률 -5.2%", "a loss"),
    ("ko", "1년 수익률 -5%", "a loss to a whole percent"),
    # amounts with thousands separators, 배 and 년 around the numbers
    ("ko", "순자산 1,234억원", "an amount with a thousands separator"),
    ("ko", "순자산 1234억원", "an amount without the separator"),
    ("ko", "순자산 약 1,200억원", "an amount to hundreds"),
    ("ko", "회전율 1.2배", "a multiple (배) from the analyst's note"),
    ("ko", "5년 운용된 펀드로 3년 샤프지수 0.82", "years (년) are windows, not citations"),
    ("en", "a 3-year annualised return of 15.3%", "percent as shown"),
    ("en", "a 3-year annualised return of 15%", "percent to a whole percent"),
    ("en", "a 3-year Sharpe ratio of 0.82", "ratio as shown"),
    ("en", "a Sharpe ratio in the top 18% of the category", "a percentile as top x%"),
    ("en", "a maximum drawdown of -12.3%", "a negative number"),
    ("en", "a maximum drawdown of 12.3%", "a drawdown as its size"),
    ("en", "a 1-year return of -5.2%", "a loss"),
    ("en", "AUM of KRW 123.4bn", "an amount as shown"),
    ("en", "AUM of KRW 123bn", "an amount to a whole billion"),
]


@pytest.mark.parametrize(
    ("lang", "reasoning"),
    [case[:2] for case in TRUE_CITATIONS],
    ids=[f"{case[0]}: {case[2]}" for case in TRUE_CITATIONS],
)
def test_grounding_pays_for_a_number_as_the_prompt_shows_it_or_as_analysts_round_it(
    lang, reasoning
):
    part = grounding(reasoning, lang)
    assert part["why"].startswith("1 of 1 cited numbers"), part["why"]
    assert part["score"] == 0.5  # one right number of the two wanted


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_fact_cited_after_its_label_as_the_prompt_shows_it_is_grounded(lang):
    facts = prompt_facts(lang)
    del facts["track_record_months"], facts["org_stability"]  # "117개월", "3점": not citations
    assert len(facts) == 11
    for key, fact in facts.items():
        part = grounding(f"{fact['label']}: {fact['text']}", lang)
        assert part["why"].startswith("1 of 1 cited numbers"), (key, part["why"])


def test_a_miss_names_the_fact_as_the_prompt_shows_it():
    why = grounding("3년 샤프지수 1과 3년 최대낙폭 0%로 평가합니다.")["why"]
    assert "cited 1 but 3년 샤프지수 is 0.82" in why
    assert "cited 0% but 3년 최대낙폭 is -12.3%" in why


@pytest.mark.parametrize(
    ("facts", "reasoning", "pays"),
    [
        ({"alpha_3y": {"value": 0.0, "text": "0.0%", "label": "3년 알파"}}, "3년 알파 0%", True),
        ({"alpha_3y": {"value": 0.004, "text": "0.4%", "label": "3년 알파"}}, "3년 알파 0%", False),
        ({"return_3y": 0.123}, "3년 수익률 12.3%", True),  # a bare fraction, cited in percent
        ({"return_3y": 0.123}, "3년 수익률 12%", True),
        ({"return_3y": 0.123}, "3년 수익률 0%", False),
        ({"sharpe_3y": 0.46}, "샤프지수 0.5", False),  # moves 0.46 by 9 %: not an analyst's 0.46
    ],
    ids=["0 for exactly 0", "0 for 0.4%", "bare fraction", "bare fraction rounded", "0 for 12.3%",
         "0.5 for 0.46"],
)  # fmt: skip
def test_zero_and_bare_fractions_pay_only_when_true(facts, reasoning, pays):
    row = {"facts": json.dumps(facts, ensure_ascii=False)}
    part = reward_breakdown(answer(reasoning=reasoning), row)["reasoning_parts"]["grounding"]
    assert part["why"].startswith("1 of 1" if pays else "0 of 1"), part["why"]
