"""The warm-up's dataset: worked answers for every training fund, rarer grades repeated."""

from __future__ import annotations

import json
from collections import Counter

from engine.llm.output import parse_output
from engine.llm.warmup import balanced_rows, phase_rows, sft_examples, sft_target

SYSTEM = '{"scores": {"sharpe_3y": n, "esg": n}, "grade": n, "reasoning": "..."}'


def _row(fund: int, grade: int) -> dict:
    """A snapshot row in the contract's shape (docs/training-format.md section 1)."""
    pct = 20 * grade - 10
    return {
        "fund_id": f"F{fund:03d}",
        "language": "ko",
        "prompt": [
            {"role": "system", "content": SYSTEM},
            {
                "role": "user",
                "content": f"- sharpe_3y 3년 샤프지수 60% A: 0.{fund:02d} (백분위 {pct})",
            },
        ],
        "expert_grade": grade,
        "expert_scores": "{}",
        "reference_scores": json.dumps({"esg": grade, "sharpe_3y": grade}),
        "facts": json.dumps(
            {
                "sharpe_3y": {
                    "value": fund / 100,
                    "text": f"0.{fund:02d}",
                    "label": "3년 샤프지수",
                },
                "sharpe_3y_pct": {"value": pct, "text": str(pct), "label": "샤프 백분위"},
            }
        ),
        "top_criteria": json.dumps([["sharpe_3y", "3년 샤프지수"], ["esg", "ESG"]]),
    }


def _rows(grades: list[int]) -> list[dict]:
    return [_row(k, g) for k, g in enumerate(grades)]


def test_rarer_grades_are_repeated_until_every_grade_has_the_top_count() -> None:
    rows = _rows([3] * 6 + [2] * 3 + [4] * 2 + [1] + [5])
    counts = Counter(r["expert_grade"] for r in balanced_rows(rows))
    assert counts == dict.fromkeys((1, 2, 3, 4, 5), 6)


def test_balancing_keeps_every_fund_and_cycles_through_a_grades_funds() -> None:
    rows = _rows([3, 3, 3, 3, 3, 1, 1])
    chosen = [r["fund_id"] for r in balanced_rows(rows)]
    assert chosen[: len(rows)] == [r["fund_id"] for r in rows]
    assert Counter(chosen)["F005"] == 3 and Counter(chosen)["F006"] == 2


def test_balancing_is_deterministic_and_leaves_a_balanced_set_alone() -> None:
    rows = _rows([1, 2, 3, 4, 5, 3, 2])
    assert balanced_rows(rows) == balanced_rows(rows)
    even = _rows([1, 2, 3, 4, 5])
    assert balanced_rows(even) == even
    assert balanced_rows([]) == []


def test_examples_are_prompt_completion_pairs_whose_answers_parse() -> None:
    rows = _rows([3, 3, 3, 5])
    examples = sft_examples(rows)
    assert len(examples) == 6
    grades = Counter(parse_output(e["completion"][0]["content"]).data["grade"] for e in examples)
    assert grades == {3: 3, 5: 3}
    assert [e["prompt"] for e in examples[:4]] == [r["prompt"] for r in rows]
    assert len(sft_examples(rows, balance=False)) == 4


def test_target_gives_the_scores_before_the_grade_in_the_templates_order() -> None:
    text = sft_target(_row(7, 4))
    data = parse_output(text).data
    assert data["scores"] == {"sharpe_3y": 4, "esg": 4} and data["grade"] == 4
    assert list(data["scores"]) == ["sharpe_3y", "esg"]
    assert text.index('"scores"') < text.index('"grade"')
    assert "0.07(백분위 70)" in data["reasoning"]


def test_a_warmup_share_deals_each_fund_to_one_phase_the_same_way_every_time() -> None:
    rows = [_row(i, 1 + i % 5) for i in range(40)]
    sft, rl = phase_rows(rows, 0.5, seed=0)
    assert len(sft) == 20 and len(rl) == 20
    assert {r["fund_id"] for r in sft}.isdisjoint(r["fund_id"] for r in rl)
    assert {r["fund_id"] for r in sft + rl} == {r["fund_id"] for r in rows}
    again = phase_rows(list(reversed(rows)), 0.5, seed=0)
    assert [r["fund_id"] for r in again[0]] == [r["fund_id"] for r in sft]
    other = phase_rows(rows, 0.5, seed=1)
    assert {r["fund_id"] for r in other[0]} != {r["fund_id"] for r in sft}


def test_a_full_share_gives_both_phases_every_fund_and_a_tiny_share_keeps_one_each() -> None:
    rows = [_row(i, 3) for i in range(10)]
    assert phase_rows(rows, 1.0, seed=0) == (rows, rows)
    sft, rl = phase_rows(rows, 0.01, seed=0)
    assert len(sft) == 1 and len(rl) == 9
    sft, rl = phase_rows(rows, 0.99, seed=0)
    assert len(sft) == 9 and len(rl) == 1


def test_a_warmup_share_outside_0_to_1_is_refused() -> None:
    from engine.training.config import for_model

    assert for_model("builtin-tiny", warmup_share=0.5).problems() == []
    for bad in (0, 1.5, -0.2):
        problems = for_model("builtin-tiny", warmup_share=bad).problems()
        assert f"warmup_share must be above 0 and at most 1, got {bad!r}" in problems
