"""CoRPO's baseline (`advantage_floor`): in a weak group, the least-bad wrong answer is not paid.

With partial credit (1 / 0.5 / 0.1 for 0 / 1 / 2 grades off), GRPO's group-mean baseline gives a
positive advantage to an answer one grade off when the rest of its group is two grades off. With
a floor the baseline is max(group mean, floor): nothing below the floor is reinforced.
"""

from __future__ import annotations

import pytest
import torch

from engine.training.config import for_model
from engine.training.phases import floored_advantages, weighted_rl_trainer
from tests.training_support import train_template  # noqa: F401

WEAK = [0.5, 0.1, 0.1, 0.1]  # one answer a grade off, three two grades off
STRONG = [1.0, 0.5, 0.1, 0.1]  # one exact answer


def test_without_a_floor_the_least_bad_wrong_answer_gets_a_positive_advantage() -> None:
    plain = floored_advantages(torch.tensor(WEAK + STRONG), 4, 0.0, "none")
    assert plain[0] > 0  # TRL's group mean: 0.5 is reinforced although it is wrong
    mean = torch.tensor(WEAK).mean()
    torch.testing.assert_close(plain[:4], torch.tensor(WEAK) - mean)


def test_with_a_floor_nothing_below_it_is_reinforced_and_good_groups_are_unchanged() -> None:
    floored = floored_advantages(torch.tensor(WEAK + STRONG), 4, 0.6, "none")
    assert (floored[:4] <= 0).all()  # the weak group teaches only "not these"
    assert floored[4] > 0 and floored[5] < 0
    strong = torch.tensor(STRONG)
    baseline = max(strong.mean().item(), 0.6)
    torch.testing.assert_close(floored[4:], strong - baseline)


def test_scaling_follows_trls_scale_rewards() -> None:
    rewards = torch.tensor(WEAK + STRONG)
    by_group = floored_advantages(rewards, 4, 0.6, "group")
    spread = torch.tensor(STRONG).std()
    torch.testing.assert_close(by_group[4:], (torch.tensor(STRONG) - 0.6) / (spread + 1e-4))
    by_batch = floored_advantages(rewards, 4, 0.6, "batch")
    torch.testing.assert_close(by_batch, floored_advantages(rewards, 4, 0.6, "none") / (
        rewards.std() + 1e-4))  # fmt: skip


def test_the_floor_is_grpos_and_between_0_and_1() -> None:
    assert for_model("builtin-tiny", advantage_floor=0.6).problems() == []
    assert for_model("builtin-tiny", advantage_floor=1.5).problems() == [
        "advantage_floor must be from 0 to 1, got 1.5"
    ]
    assert for_model("builtin-tiny", advantage_floor=0.6, algorithm="rloo").problems() == [
        "advantage_floor is GRPO's: RLOO's baseline is the group's other answers"
    ]


def test_the_grpo_trainer_uses_the_floored_baseline(train_template, tmp_path) -> None:  # noqa: F811
    """Through TRL's own scoring path: the weak group's advantages are all at most 0."""
    from datasets import Dataset
    from trl import GRPOConfig

    from engine.llm.models import load, resolve

    model, tokenizer = load(resolve(train_template, "builtin-tiny"), dtype="float32", device="cpu")
    prompts = [[{"role": "user", "content": f"fund {k}"}] for k in range(2)]
    rewards = iter([])

    def scripted(completions, **kwargs):
        return [next(rewards) for _ in completions]

    args = GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=4,
        max_completion_length=4, report_to="none", use_cpu=True, seed=0, scale_rewards="none",
    )  # fmt: skip
    rows = [{"prompt": p, "sample_weight": 1.0} for p in prompts]
    inputs = [x for x in rows for _ in range(4)]
    found = {}
    for floor in (0.0, 0.6):
        trainer = weighted_rl_trainer("grpo", floor)(
            model=model, reward_funcs=[scripted], args=args,
            train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
        )  # fmt: skip
        rewards = iter(WEAK + STRONG)
        found[floor] = trainer._generate_and_score_completions(inputs)["advantages"]
    assert found[0.0][0] > 0
    assert (found[0.6][:4] <= 0).all() and found[0.6][4] > 0
    torch.testing.assert_close(
        found[0.6], floored_advantages(torch.tensor(WEAK + STRONG), 4, 0.6, "none")
    )


@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_a_floor_of_0_with_rewards_of_0_or_more_is_trls_group_mean(scale) -> None:
    rewards = torch.tensor(WEAK + STRONG)
    grouped = rewards.view(-1, 4)
    plain = (grouped - grouped.mean(dim=1, keepdim=True)).reshape(-1)
    if scale == "group":
        plain = plain / (grouped.std(dim=1, keepdim=True).expand_as(grouped).reshape(-1) + 1e-4)
    elif scale == "batch":
        plain = plain / (rewards.std() + 1e-4)
    torch.testing.assert_close(floored_advantages(rewards, 4, 0.0, scale), plain)


def test_dapos_clip_higher_and_cut_answer_masking_reach_trls_config(tmp_path) -> None:
    from types import SimpleNamespace

    from engine.training.phases import RunTrainer

    config = for_model(
        "builtin-tiny", loss_type="dr_grpo", scale_rewards="batch", epsilon_high=0.28,
        mask_truncated_completions=True,
    )  # fmt: skip
    config_class, _, settings = RunTrainer._rl_trainer_classes(SimpleNamespace(config=config))
    args = config_class(output_dir=str(tmp_path), report_to="none", use_cpu=True, **settings)
    assert (args.loss_type, args.scale_rewards) == ("dr_grpo", "batch")
    assert args.epsilon_high == 0.28 and args.mask_truncated_completions is True
    default = RunTrainer._rl_trainer_classes(SimpleNamespace(config=for_model("builtin-tiny")))[2]
    assert default["epsilon_high"] is None and default["mask_truncated_completions"] is False
