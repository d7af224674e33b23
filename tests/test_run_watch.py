"""Watching a run learn: the grade histogram of each validation pass beside the experts' sample,
the warnings in words when a run collapses to one grade or its groups give GRPO nothing to learn
from, and the recorded GRPO groups whose advantages are the trainer's own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from engine.llm.rewards import DEFAULT_REWARD_WEIGHTS
from engine.llm.validation import agreement, grade_of
from engine.training import validation as validation_module
from engine.training.collapse import findings, mostly_invalid, no_spread, one_grade
from engine.training.config import RunConfig, for_model
from engine.training.folder import RunFolder
from engine.training.grade_histograms import (
    GradePass,
    expert_counts,
    expert_histogram,
    histogram,
    passes,
)
from engine.training.groups import (
    MAX_GROUPS,
    advantages,
    group_events,
    group_record,
    group_steps,
    weighted_totals,
)
from engine.training.phases import floored_advantages
from engine.training.samples import RewardRecorder
from engine.training.validation import Validation
from tests.training_support import train_template  # noqa: F401
from workbench.i18n import t
from workbench.web import views_training as tv

# A validation split shaped like the experts' real grades (they bunch on 3).
SPLIT = {1: 4, 2: 11, 3: 22, 4: 12, 5: 5}


def _rows(counts: dict[int, int] = SPLIT) -> list[dict]:
    rows, n = [], 0
    for grade, k in counts.items():
        for _ in range(k):
            n += 1
            rows.append({"fund_id": f"F{n:03d}", "expert_grade": grade, "prompt": f"fund {n}"})
    return rows


def _answer(grade) -> str:
    return json.dumps({"grade": grade, "reasoning": "…"}, ensure_ascii=False)


def _pass(step: int, expected: list[int], predicted: list, stage: str = "training") -> dict:
    """An eval event as `Validation.measure` writes it, from real answers."""
    grades = [grade_of(a) if isinstance(a, str) else a for a in predicted]
    return {"kind": "eval", "phase": "grpo", "step": step, "stage": stage,
            **agreement(expected, grades)}  # fmt: skip


def _folder(tmp_path: Path, config: RunConfig | None = None) -> RunFolder:
    folder = RunFolder(tmp_path / "run-0001")
    folder.root.mkdir()
    folder.config.write_text((config or for_model("builtin-tiny")).to_json(), encoding="utf-8")
    return folder


# ---------------------------------------------------------------- histograms


def test_histogram_counts_grades_1_to_5_and_anything_else_as_invalid() -> None:
    counts = histogram([1, "3", 3.0, 5, None, "x", 6, True, 2.5, float("nan")])
    assert counts == {"1": 1, "2": 0, "3": 2, "4": 0, "5": 1, "invalid": 6}
    assert list(counts) == ["1", "2", "3", "4", "5", "invalid"]


def test_validation_records_the_experts_sample_once_and_each_pass_its_grades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = _folder(tmp_path)
    config = RunConfig(eval_max_funds=20, seed=3)
    validation = Validation(folder, config)
    chosen = validation.choose(_rows())
    Validation(folder, config).choose(_rows())  # a resume chooses the same funds again
    events = folder.read_events()[0]
    samples = [e for e in events if e["kind"] == "validation_sample"]
    assert len(samples) == 1 and samples[0]["step"] == 0 and samples[0]["phase"] == "prepare"
    assert samples[0]["expert_counts"] == expert_histogram(chosen)
    assert samples[0]["funds"] == [r["fund_id"] for r in chosen]
    assert samples[0]["expert_counts"] == {"1": 2, "2": 4, "3": 8, "4": 4, "5": 2, "invalid": 0}

    # three passes: before GRPO the grades spread, then the model says 3 to (nearly) every fund
    scripts = {
        0: [_answer(r["expert_grade"]) for r in chosen[:-2]] + ["not json", _answer(9)],
        10: [_answer(3)] * 19 + [_answer(4)],
        20: [_answer(3)] * 20,
    }

    def scripted(model, tokenizer, rows, **kwargs):
        answers = scripts[step]
        expected = [int(r["expert_grade"]) for r in rows]
        return agreement(expected, [grade_of(a) for a in answers]), answers

    monkeypatch.setattr(validation_module, "evaluate_model", scripted)
    caplog.set_level(logging.WARNING, logger="engine.training.worker")
    for step, stage in ((0, "sft"), (10, "training"), (20, "final")):
        validation.measure(object(), None, "grpo", step, stage)

    events = folder.read_events()[0]
    graded = passes(events)
    assert [(p.step, p.stage) for p in graded] == [(0, "sft"), (10, "training"), (20, "final")]
    assert graded[0].counts == {"1": 2, "2": 4, "3": 8, "4": 4, "5": 0, "invalid": 2}
    assert graded[1].counts == {"1": 0, "2": 0, "3": 19, "4": 1, "5": 0, "invalid": 0}
    assert graded[2].counts["3"] == 20 and graded[2].n == graded[2].valid == 20
    assert expert_counts(events) == samples[0]["expert_counts"]
    warned = [r.getMessage() for r in caplog.records if "collapsed" in r.getMessage()]
    assert len(warned) == 2 and "since step 10" in warned[-1], warned


# ---------------------------------------------------------------- collapse


EXPERTS = {"1": 2, "2": 4, "3": 8, "4": 4, "5": 2, "invalid": 0}  # the stratified sample above


def _grade_pass(step: int, predicted: list) -> GradePass:
    return GradePass(step, "training", histogram(predicted))


def test_a_run_that_gives_one_grade_to_nearly_every_fund_is_flagged_in_words() -> None:
    history = [
        _grade_pass(0, [1, 2, 2, 3, 3, 3, 3, 4, 4, 5] * 2),
        _grade_pass(25, [3] * 18 + [2, 4]),
    ]
    latest = _grade_pass(50, [3] * 19 + [None])
    finding = one_grade(latest, EXPERTS, [*history, _grade_pass(40, [3] * 19 + [4])])

    assert finding is not None and finding.code == "one_grade"
    assert finding.values["grade"] == "3" and finding.values["since"] == 25
    assert finding.text == (
        "The run has collapsed to one grade: at step 50 the model gave grade 3 to 100% of the "
        "validation funds it graded (19 of 19), since step 25, while the experts gave grades "
        "1, 2, 3, 4, 5 to the same funds (40% grade 3)."
    )
    assert "1, 2, 3, 4, 5등급" in tv.finding_text(finding, "ko")
    assert tv.finding_text(finding, "en") == finding.text


@pytest.mark.parametrize(
    ("predicted", "experts"),
    [
        ([1, 2, 2, 3, 3, 3, 3, 4, 4, 5] * 2, EXPERTS),  # the grades spread like the experts'
        ([3] * 17 + [2, 4, 5], EXPERTS),  # 85%: below the line
        ([3] * 20, {"1": 0, "2": 0, "3": 20, "4": 0, "5": 0, "invalid": 0}),  # experts agree
        ([3] * 20, None),  # a run recorded before the experts' sample was
        ([3] * 4, EXPERTS),  # four funds say little
    ],
)
def test_no_collapse_is_claimed_without_evidence(predicted, experts) -> None:
    assert one_grade(_grade_pass(10, predicted), experts) is None


def test_mostly_invalid_answers_are_flagged_at_nine_in_ten() -> None:
    assert mostly_invalid(_grade_pass(5, [None] * 18 + [3, 4])) is not None
    assert mostly_invalid(_grade_pass(5, [None] * 17 + [3, 4, 2])) is None
    found = mostly_invalid(_grade_pass(5, [None] * 20))
    assert found.text.startswith("At step 5, 100% of the validation answers (20 of 20)")


def _train(step: int, frac: float | None, phase: str = "grpo") -> dict:
    return {"kind": "train", "phase": phase, "step": step, "frac_reward_zero_std": frac}


def test_groups_without_reward_spread_over_the_last_steps_say_grpo_has_nothing_to_learn() -> None:
    early_signal = [_train(s, 0.25) for s in range(1, 21)]
    dead = [_train(s, 1.0 if s % 4 else 0.75) for s in range(21, 31)]
    found = no_spread(early_signal + dead)
    assert found is not None
    assert found.values == {"steps": 10, "step": 30, "share": pytest.approx(0.95)}
    assert found.text.endswith("GRPO has nothing to learn from.")
    assert "GRPO가 배울 것이 없습니다" in tv.finding_text(found, "ko")
    # spread that came back, too few steps, and warm-up or missing values do not count
    assert no_spread(dead + [_train(s, 0.0) for s in range(31, 36)]) is None
    assert no_spread([_train(1, 1.0), _train(2, 1.0)]) is None
    assert no_spread([_train(s, 1.0, "sft") for s in range(1, 9)] + [_train(9, None)]) is None


def test_findings_read_the_latest_pass_and_the_steps_from_the_events() -> None:
    expected = [int(g) for g, n in EXPERTS.items() if g != "invalid" for _ in range(n)]
    events = [
        {"kind": "validation_sample", "phase": "prepare", "step": 0, "expert_counts": EXPERTS},
        _pass(0, expected, [_answer(g) for g in expected], "sft"),
        *[_train(s, 1.0) for s in range(1, 5)],
        _pass(4, expected, [_answer(5)] * 20),
    ]
    assert [f.code for f in findings(events)] == ["one_grade", "no_spread"]
    assert findings(events[:2]) == []  # a healthy first pass


# ---------------------------------------------------------------- groups


def test_weighted_totals_leave_out_missing_scores_and_mark_unscored_answers() -> None:
    weights = {"a": 0.25, "b": 0.75}
    totals = weighted_totals({"a": [1.0, None, None], "b": [0.0, 1.0, None]}, weights)
    assert totals[:2] == [0.25, 0.75] and totals[2] != totals[2]


def test_the_recorded_steps_are_the_first_the_validation_ones_and_the_last_within_a_bound() -> None:
    assert group_steps(for_model("builtin-tiny", max_steps=100, eval_every=25)) == {
        1, 25, 50, 75, 100,
    }  # fmt: skip
    many = group_steps(for_model("builtin-tiny", max_steps=1000, eval_every=5))
    assert len(many) <= MAX_GROUPS and {1, 1000} <= many
    assert all(s % 5 == 0 for s in many - {1})


def test_a_batch_that_does_not_start_with_a_whole_group_is_not_recorded() -> None:
    config = for_model("builtin-tiny", num_generations=4)
    scores = {"json_format": [1.0] * 4}
    assert group_record(config, ["a"] * 4, scores, {"fund_id": ["F1", "F1", "F2", "F2"]}) is None
    assert group_record(config, ["a"] * 3, scores, {"fund_id": ["F1"] * 3}) is None


WEAK = [0.5, 0.1, 0.1, 0.1]
STRONG = [1.0, 0.5, 0.1, 0.1]


@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_the_floored_advantages_are_phases_own(scale) -> None:
    rewards = WEAK + STRONG
    expected = floored_advantages(torch.tensor(rewards), 4, 0.6, scale)
    found = advantages(rewards, 4, scale_rewards=scale, advantage_floor=0.6)
    assert found == pytest.approx(expected.tolist(), abs=1e-5)


# Each answer's score per reward, scripted: group 1 (fund F1) then group 2 (fund F2).
SCRIPT = {
    "json_format": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    "evaluation_accuracy": [1.0, 0.5, 0.0, 0.1, 0.5, 0.5, 0.5, 0.5],
    "reasoning_quality": [0.8, 0.2, 0.0, 0.4, 0.3, 0.3, 0.3, 0.3],
    "consistency": [1.0, 0.0, None, 1.0, 1.0, 1.0, 1.0, 1.0],
}


@pytest.mark.parametrize(
    "settings",
    [
        {"algorithm": "grpo", "scale_rewards": "group"},
        {"algorithm": "grpo", "scale_rewards": "batch"},
        {"algorithm": "grpo", "scale_rewards": "none"},
        {"algorithm": "grpo", "scale_rewards": "group", "advantage_floor": 0.6},
        {"algorithm": "rloo"},
    ],
    ids=["group", "batch", "none", "floor", "rloo"],
)
def test_a_recorded_group_carries_the_advantages_the_trainer_computes(
    train_template,  # noqa: F811
    tmp_path: Path,
    settings: dict,
) -> None:
    """Through TRL's own scoring path: the group event's advantages are the trainer's."""
    from datasets import Dataset
    from trl import GRPOConfig, RLOOConfig

    from engine.llm.models import load, resolve
    from engine.training.phases import weighted_rl_trainer

    config = for_model(
        "builtin-tiny", num_generations=4, per_device_train_batch_size=8, max_steps=5, **settings
    )
    folder = _folder(tmp_path, config)
    names = list(DEFAULT_REWARD_WEIGHTS)
    recorder = RewardRecorder(folder, names, every=100, config=config)
    scripted = {n: iter([]) for n in names}

    def script(name):
        def score(completions, **kwargs):
            return [next(scripted[name]) for _ in completions]

        return score

    model, tokenizer = load(resolve(train_template, "builtin-tiny"), dtype="float32", device="cpu")
    rows = [
        {"prompt": [{"role": "user", "content": f"fund {k}"}], "fund_id": f"F{k}",
         "expert_grade": 3, "sample_weight": w}
        for k, w in ((1, 0.5), (2, 1.0))
    ]  # fmt: skip
    common = {
        "output_dir": str(tmp_path / "out"), "per_device_train_batch_size": 8,
        "num_generations": 4, "max_completion_length": 4, "report_to": "none", "use_cpu": True,
        "seed": 0, "beta": 0.0, "reward_weights": [config.reward_weights[n] for n in names],
    }  # fmt: skip
    if config.algorithm == "rloo":
        args = RLOOConfig(**common)
    else:
        args = GRPOConfig(**common, scale_rewards=config.scale_rewards)
    trainer = weighted_rl_trainer(config.algorithm, config.advantage_floor)(
        model=model, reward_funcs=[recorder.wrap(n, script(n)) for n in names], args=args,
        train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
    )  # fmt: skip
    scripted.update({n: iter(SCRIPT[n]) for n in names})
    paid = trainer._generate_and_score_completions([x for x in rows for _ in range(4)])

    [group] = group_events(folder.read_events()[0])
    assert group["step"] == 1 and group["fund_id"] == "F1" and group["sample_weight"] == 0.5
    assert group["exact"] is True
    assert max(abs(a["advantage"]) for a in group["answers"]) > 0.05  # a group with spread
    assert [a["advantage"] for a in group["answers"]] == pytest.approx(
        paid["advantages"][:4].tolist(), abs=1e-5
    )
    assert [a["rewards"]["consistency"] for a in group["answers"]] == [1.0, 0.0, None, 1.0]
    weights = config.reward_weights
    first = sum(weights[n] * SCRIPT[n][0] for n in names)
    assert group["answers"][0]["reward"] == pytest.approx(first)
    assert group["settings"]["algorithm"] == config.algorithm
    table = tv.group_table(group)
    assert list(table[t("gc_advantage")]) == [f"{a['advantage']:,.3f}" for a in group["answers"]]


def test_the_recorder_reads_the_runs_settings_from_its_folder(tmp_path: Path) -> None:
    config = for_model("builtin-tiny", num_generations=2, max_steps=3, eval_every=2)
    folder = _folder(tmp_path, config)
    recorder = RewardRecorder(folder, ["json_format"], every=100)
    reward = recorder.wrap("json_format", lambda completions, **kw: [1.0, 0.0, 0.5, 0.5])

    class State:
        global_step = 1  # training step 2: a validation step

    reward(["{}", "x", "y", "z"], fund_id=["F1", "F1", "F2", "F2"], trainer_state=State())
    [group] = group_events(folder.read_events()[0])
    assert group["step"] == 2 and group["fund_id"] == "F1"
    # weight 0.1 on json_format: totals 0.1 and 0, group mean 0.05, sample std 0.05 * √2
    paid = 0.05 / (0.05 * 2**0.5 + 1e-4)
    assert [a["advantage"] for a in group["answers"]] == pytest.approx([paid, -paid])
    assert group["answers"][1]["grade"] is None


def test_the_grade_chart_draws_each_pass_beside_the_experts() -> None:
    graded = [_grade_pass(s, [3] * (s // 10) + [2, 4]) for s in range(0, 100, 10)]
    fig = tv.grade_chart(graded, EXPERTS).to_dict()
    names = [d["name"] for d in fig["data"]]
    assert names[0] == t("hc_experts") and len(names) == 1 + tv.MAX_PASSES
    assert names[1] == t("hc_before") and names[-1] == t("hc_step", step=90)
    assert list(fig["data"][0]["y"]) == [2, 4, 8, 4, 2, 0]
    assert list(fig["data"][-1]["y"]) == [0, 1, 9, 1, 0, 0]
    assert fig["layout"]["barmode"] == "group"
