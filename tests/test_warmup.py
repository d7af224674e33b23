"""The warm-up's dataset: worked answers for every training fund, rarer grades repeated; its
loss, where each example counts as many times as its sample weight says."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from engine.llm.output import parse_output
from engine.llm.warmup import (
    balanced_rows,
    grade_token_index,
    grade_token_weights,
    phase_rows,
    sft_examples,
    sft_target,
    weighted_token_count,
    weighted_token_loss,
)

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


def test_a_funds_rows_on_several_rating_dates_go_to_one_phase() -> None:
    rows = [{**_row(i, 1 + i % 5), "as_of": d} for i in range(20) for d in ("2024", "2025")]
    sft, rl = phase_rows(rows, 0.5, seed=0)
    assert len(sft) == len(rl) == 20
    assert {r["fund_id"] for r in sft}.isdisjoint(r["fund_id"] for r in rl)


# ---------------------------------------------------------------- sample weights in the loss


def test_weighted_token_loss_counts_each_examples_tokens_weight_times() -> None:
    import torch

    losses = torch.tensor([[1.0, 2.0, 0.0], [4.0, 0.0, 0.0], [3.0, 5.0, 7.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0], [1, 1, 1]])

    def loss(rows: list[int], weights: list[float]) -> float:
        value = weighted_token_loss(losses[rows], mask[rows], torch.tensor(weights)).item()
        return pytest.approx(value, rel=1e-6)

    assert loss([0, 1, 2], [1, 1, 1]) == (1 + 2 + 4 + 3 + 5 + 7) / 6  # TRL's token mean
    assert loss([0, 1], [1, 0]) == loss([0], [1]) == 1.5  # a weight-0 row adds nothing
    assert loss([0, 1], [2, 1]) == (2 * 3 + 4) / 5  # as if row 0 were there twice
    assert loss([0, 0, 1], [1, 1, 1]) == (2 * 3 + 4) / 5
    assert loss([0, 1], [0.5, 0.5]) == 7 / 3 == loss([0, 1], [1, 1])
    assert loss([0], [0]) == 0.0
    # micro-batches of one step divided by the step's weighted count add up to the whole step
    total = weighted_token_count(mask[[0, 2]], torch.tensor([2.0, 0.5]))
    parts = [
        weighted_token_loss(losses[[k]], mask[[k]], torch.tensor([w]), total)
        for k, w in ((0, 2.0), (2, 0.5))
    ]
    assert sum(parts).item() == loss([0, 2], [2.0, 0.5])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    import torch

    from engine.llm.models import load, resolve
    from store.home import Home

    home = Home(tmp_path_factory.mktemp("warmup") / "home").ensure()
    model, tokenizer = load(resolve(home, "builtin-tiny"), dtype="float32", device="cpu")
    with torch.no_grad():  # random weights give every token ~log(vocab): make examples differ
        model.get_output_embeddings().weight.mul_(40)
    return model, tokenizer


def _warmup_loss(
    tiny,
    tmp_path,
    weights: list[float],
    funds: list[int],
    *,
    plain=False,
    grade_weight=1.0,
    batch_out: list | None = None,
) -> float:
    """The warm-up trainer's loss on one batch of the funds' worked answers with `weights` (the
    collated batch appended to `batch_out`)."""
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from engine.training.phases import weighted_sft_trainer

    model, tokenizer = tiny
    rows = [
        {**_row(f, 1 + f % 5), "language": ("ko", "en")[f % 2], "sample_weight": w}
        for f, w in zip(funds, weights, strict=True)
    ]  # answers in two languages: examples whose losses differ
    examples = sft_examples(rows, balance=False)
    if plain:
        examples = [{k: v for k, v in e.items() if k != "sample_weight"} for e in examples]
    args = SFTConfig(
        output_dir=str(tmp_path / "sft"), per_device_train_batch_size=len(examples),
        completion_only_loss=True, max_length=None, report_to="none", use_cpu=True,
        dataloader_num_workers=0, seed=0,
    )  # fmt: skip
    trainer_class = SFTTrainer if plain else weighted_sft_trainer(grade_weight)
    trainer = trainer_class(
        model=model, args=args, train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
    )  # fmt: skip
    batch = next(iter(trainer.get_train_dataloader()))
    if batch_out is not None:
        batch_out.append(dict(batch))
    count = trainer._get_num_items_in_batch([batch], torch.device("cpu"))
    with torch.no_grad():
        return trainer.compute_loss(trainer.model, dict(batch), num_items_in_batch=count).item()


def test_a_weight_0_example_adds_nothing_to_the_warmup_loss(tiny, tmp_path) -> None:
    alone = _warmup_loss(tiny, tmp_path, [1.0], [1])
    assert _warmup_loss(tiny, tmp_path, [1.0, 0.0], [1, 2]) == pytest.approx(alone, rel=1e-6)
    assert _warmup_loss(tiny, tmp_path, [1.0, 1.0], [1, 2]) != pytest.approx(alone, rel=1e-4)


def test_a_weight_2_example_counts_as_two_copies_in_the_warmup_loss(tiny, tmp_path) -> None:
    weighted = _warmup_loss(tiny, tmp_path, [2.0, 1.0], [1, 2])
    copies = _warmup_loss(tiny, tmp_path, [1.0, 1.0, 1.0], [1, 1, 2])
    assert weighted == pytest.approx(copies, rel=1e-6)
    assert weighted != pytest.approx(_warmup_loss(tiny, tmp_path, [1.0, 1.0], [1, 2]), rel=1e-4)


def test_with_every_weight_1_the_warmup_loss_is_trls_own(tiny, tmp_path) -> None:
    ours = _warmup_loss(tiny, tmp_path, [1.0, 1.0, 1.0], [1, 2, 3])
    trl = _warmup_loss(tiny, tmp_path, [1.0, 1.0, 1.0], [1, 2, 3], plain=True)
    assert ours == pytest.approx(trl, rel=1e-6)


def test_the_grade_token_is_the_piece_holding_the_last_grade_digit() -> None:
    pieces = ['{"', "scores", '":', ' {"', "esg", '":', " 3", "},", ' "', "grade", '":', " 4", ","]
    assert grade_token_index(pieces) == 11
    assert grade_token_index(['{"grade', '": 2,', ' "reasoning"']) == 1  # digit inside a piece
    thought = ["<think>", '"grade": 1', "</think>", '{"grade":', " 5", "}"]
    assert grade_token_index(thought) == 4  # the answer's grade, not the thought's
    assert grade_token_index(['{"scores": {}', ', "grade": 7}']) is None  # not a grade 1-5
    assert grade_token_index(["no answer"]) is None
    assert grade_token_index([]) is None


def test_grade_token_weights_weigh_only_the_answers_grade_token() -> None:
    import torch

    texts = {1: "x", 2: '"grade":', 3: " 4", 4: "}", 5: " 2"}
    ids = torch.tensor([[2, 3, 1, 2, 5, 4], [1, 1, 2, 3, 4, 4]])
    labels = ids.clone()
    labels[0, :2] = -100  # the prompt's "grade": 4 is not the answer
    labels[1, 5] = -100
    weights = grade_token_weights(ids, labels, texts.__getitem__, 8.0)
    assert weights.tolist() == [[1, 1, 1, 1, 8, 1], [1, 1, 1, 8, 1, 1]]
    assert grade_token_weights(ids, labels, texts.__getitem__, 1.0).eq(1).all()
    labels[1, 3] = -100  # no grade left in row 1's answer: nothing weighs more
    assert grade_token_weights(ids, labels, texts.__getitem__, 8.0)[1].eq(1).all()


def test_a_grade_weight_counts_the_grade_token_that_many_times_in_the_warmup_loss(
    tiny, tmp_path
) -> None:
    import torch

    batches: list[dict] = []
    weighted = _warmup_loss(
        tiny, tmp_path, [1.0, 2.0], [1, 2], grade_weight=10.0, batch_out=batches
    )
    batch = batches[0]
    model, tokenizer = tiny
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    labels = batch["labels"][:, 1:]
    per_token = torch.nn.functional.cross_entropy(
        logits[:, :-1].transpose(1, 2), labels.clamp(min=0), reduction="none"
    )
    answer = (labels != -100).float()
    grade = torch.zeros_like(answer)
    for row in range(labels.shape[0]):
        positions = (labels[row] != -100).nonzero().flatten().tolist()
        text = [tokenizer.decode([int(labels[row, p])]) for p in positions]
        grade[row, positions[grade_token_index(text)]] = 1
    assert grade.sum() == 2  # one grade token per answer
    token = (answer + 9 * grade) * torch.tensor([[1.0], [2.0]])
    expected = (per_token * token).sum() / token.sum()
    assert weighted == pytest.approx(expected.item(), rel=1e-5)
    assert weighted != pytest.approx(_warmup_loss(tiny, tmp_path, [1.0, 2.0], [1, 2]), rel=1e-3)


def test_a_grade_weight_below_1_or_not_finite_is_refused() -> None:
    from engine.training.config import for_model

    for bad in (0.5, float("nan"), float("inf"), "10"):
        problems = for_model("builtin-tiny", grade_loss_weight=bad).problems()
        assert any("grade_loss_weight" in p for p in problems), bad
    assert not for_model("builtin-tiny", grade_loss_weight=10.0).problems()
