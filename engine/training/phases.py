"""The phases of one run in this process: supervised warm-up, RL (GRPO or RLOO), final model.

Both phases honour each row's `sample_weight` (1, or an analyst's feedback weight): the warm-up
counts an example's tokens `weight` times in its token-mean loss (`weighted_sft_trainer`), and
RL multiplies each answer's advantage by its fund's weight (`weighted_rl_trainer`), so the
answer's policy-gradient term is scaled by it and a weight-0 fund moves nothing. The KL
penalty (`beta`), which holds no label, is left unweighted.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from engine.llm.device import use_bf16
from engine.llm.models import load, resolve
from engine.llm.rewards import REWARD_FUNCTIONS
from engine.llm.warmup import (
    grade_token_weights,
    phase_rows,
    row_weight,
    sft_examples,
    weighted_token_count,
    weighted_token_loss,
)
from engine.training.callbacks import make_callback, use_callback
from engine.training.config import RunConfig, TrainingError
from engine.training.folder import RunFolder, is_complete
from engine.training.hardware import CHECKPOINTING_FROM_PARAMS, use_vllm
from engine.training.lora import peft_config, save_merged
from engine.training.ranks import is_main_process, world_size
from engine.training.run_data import dataset, load_data
from engine.training.samples import RewardRecorder
from engine.training.validation import Validation
from store.home import Home

log = logging.getLogger("engine.training.worker")  # the training process's log
WEIGHT = "sample_weight"
TOKEN_WEIGHT = "token_weight"


class RunTrainer:
    """One run's training in this process: warm-up, GRPO, final model."""

    def __init__(self, folder: RunFolder, config: RunConfig, device: str, resume: bool) -> None:
        self.folder, self.config, self.device, self.resume = folder, config, device, resume
        self.bf16 = use_bf16(config.bf16, device)
        self.vllm = use_vllm(config, device)
        self.checkpointing = config.gradient_checkpointing == "on"  # "auto": see _load
        self.validation = Validation(folder, config)
        self.tokenizer = None

    # ------------------------------------------------------------ shared

    def _log_env(self) -> None:
        import torch
        import transformers
        import trl

        log.info(
            "run %s: torch %s, transformers %s, trl %s, device %s, bf16 %s, vllm %s, "
            "gradient checkpointing %s",
            self.folder.run_id, torch.__version__, transformers.__version__, trl.__version__,
            self.device, self.bf16, self.vllm, self.checkpointing,
        )  # fmt: skip

    def _load(self, path: Path):
        """(model, tokenizer) to train from `path`, left where the trainer will place them."""
        model, tokenizer = load(path, dtype="bfloat16" if self.bf16 else "float32", device=None)
        if self.config.gradient_checkpointing == "auto":
            self.checkpointing = model.num_parameters() >= CHECKPOINTING_FROM_PARAMS
        return model, tokenizer

    def _batches(self, batch: int) -> dict[str, int]:
        """per_device_train_batch_size and gradient_accumulation_steps for `batch` per step."""
        micro = self.config.micro_batch_size or batch
        return {"per_device_train_batch_size": micro, "gradient_accumulation_steps": batch // micro}

    def _common_args(self, phase: str) -> dict[str, Any]:
        return {
            "output_dir": str(self.folder.phase_checkpoints(phase)),
            "logging_steps": 1,
            "save_strategy": "steps",
            "save_steps": self.config.save_every,
            "save_total_limit": 2,
            "report_to": "none",
            "use_cpu": self.device == "cpu",
            "bf16": self.bf16,
            "seed": self.config.seed,
            "disable_tqdm": True,
            "dataloader_num_workers": 0,
            "gradient_checkpointing": self.checkpointing,
        }

    def evaluate(self, model, phase: str, step: int, stage: str) -> dict | None:
        """Validation agreement of `model` now, as an `eval` event (main process only)."""
        return self.validation.measure(model, self.tokenizer, phase, step, stage)

    def _save(self, model, target: Path) -> None:
        """Save `model` (LoRA merged) and the tokenizer to `target`, complete or not at all."""
        save_merged(model, self.tokenizer, target)

    def _resume_point(self, phase: str) -> str | None:
        checkpoint = self.folder.last_checkpoint(phase)
        if checkpoint is None:
            return None
        step = json.loads((checkpoint / "trainer_state.json").read_text())["global_step"]
        if is_main_process():
            dropped = self.folder.trim_events(phase, step)
            log.info(
                "resuming %s from %s (dropped %d later events)", phase, checkpoint.name, dropped
            )
        return str(checkpoint)

    # ------------------------------------------------------------ run

    def run(self) -> str:
        """'finished' or 'stopped'."""
        self._log_env()
        folder, config = self.folder, self.config
        if is_main_process():
            folder.write_status(phase="prepare", message="preparing the model and the data")
        base = resolve(Home(folder.root.parent.parent), config.model)
        data = load_data(folder)
        self.validation.choose(data.get("validation", []))
        if not data.get("train"):
            raise TrainingError("the snapshot has no training funds")
        share = config.warmup_share if config.sft_steps > 0 else 1.0
        sft_rows, rl_rows = phase_rows(data["train"], share, config.seed)
        if config.sft_steps > 0 and not is_complete(folder.sft_model):
            if self.run_sft(base, sft_rows) == "stopped":
                return "stopped"
        start = folder.sft_model if is_complete(folder.sft_model) else base
        return self.run_rl(start, rl_rows)

    def run_sft(self, base: Path, train_rows: list[dict]) -> str:
        """The supervised warm-up from `base`, saved as sft_model/; 'done' or 'stopped'."""
        from trl import SFTConfig

        config = self.config
        model, self.tokenizer = self._load(base)
        examples = sft_examples(train_rows, thinking=config.thinking)
        for example in examples:
            example["chat_template_kwargs"] = {"enable_thinking": config.thinking}
        args = SFTConfig(
            max_steps=config.sft_steps,
            **self._batches(config.sft_batch_size),
            learning_rate=config.sft_learning_rate,
            lr_scheduler_type="cosine",
            warmup_steps=min(10, config.sft_steps // 10),
            completion_only_loss=True,
            max_length=None,
            **self._common_args("sft"),
        )
        trainer = weighted_sft_trainer(config.grade_loss_weight)(
            model=model,
            args=args,
            train_dataset=dataset(examples),
            processing_class=self.tokenizer,
            peft_config=peft_config(config),
        )
        callback = make_callback(self.folder, "sft", config, None)
        use_callback(trainer, callback)
        resume_from = self._resume_point("sft") if self.resume else None
        if is_main_process():
            self.folder.write_status(
                phase="sft", step=0, max_steps=config.sft_steps, message="supervised warm-up"
            )
        trainer.train(resume_from_checkpoint=resume_from)
        if callback.stopped:
            return "stopped"
        self._save(trainer.model, self.folder.sft_model)
        shutil.rmtree(self.folder.phase_checkpoints("sft"), ignore_errors=True)
        return "done"

    def _rl_args(self, names: list[str]) -> dict[str, Any]:
        """The RL settings GRPOConfig and RLOOConfig share."""
        config = self.config
        extra: dict[str, Any] = {}
        if self.vllm:
            extra.update(use_vllm=True, vllm_mode="colocate")
        return {
            "max_steps": config.max_steps,
            "learning_rate": config.learning_rate,
            **self._batches(config.per_device_train_batch_size),
            # the run's batches are per process; TRL's generation batch counts every rank's
            "generation_batch_size": config.effective_generation_batch * world_size(),
            "num_generations": config.num_generations,
            "max_completion_length": config.max_completion_length,
            "temperature": config.temperature,
            "beta": config.beta,
            "reward_weights": [float(config.reward_weights[n]) for n in names],
            "chat_template_kwargs": {"enable_thinking": config.thinking},
            "log_completions": False,
            **self._common_args("grpo"),
            **extra,
        }

    def _rl_trainer_classes(self):
        """(config class, trainer class, its extra settings) for the run's algorithm."""
        trainer_class = weighted_rl_trainer(self.config.algorithm, self.config.advantage_floor)
        if self.config.algorithm == "rloo":
            from trl import RLOOConfig

            # RLOO's advantage is the reward minus the mean of the group's other answers; it has
            # no loss_type / scale_rewards (those are GRPO's).
            return RLOOConfig, trainer_class, {}
        from trl import GRPOConfig

        settings = {
            "loss_type": self.config.loss_type,
            "scale_rewards": self.config.scale_rewards,
            "epsilon_high": self.config.epsilon_high
            or None,  # None: TRL's default, the lower bound
            "mask_truncated_completions": self.config.mask_truncated_completions,
        }
        return GRPOConfig, trainer_class, settings

    def run_rl(self, start: Path, train_rows: list[dict]) -> str:
        """The RL phase (GRPO or RLOO) from `start`: validation before, during and after."""
        config, folder = self.config, self.folder
        model, self.tokenizer = self._load(start)
        names = list(REWARD_FUNCTIONS)
        recorder = RewardRecorder(folder, names, config.samples_every)
        rewards = [recorder.wrap(n, REWARD_FUNCTIONS[n]) for n in names]
        config_class, trainer_class, settings = self._rl_trainer_classes()
        args = config_class(**self._rl_args(names), **settings)
        trainer = trainer_class(
            model=model,
            reward_funcs=rewards,
            args=args,
            train_dataset=dataset(train_rows),
            processing_class=self.tokenizer,
            peft_config=peft_config(config),
        )
        callback = make_callback(folder, "grpo", config, self.evaluate)
        use_callback(trainer, callback)
        resume_from = self._resume_point("grpo") if self.resume else None
        if resume_from is None:
            stage = "sft" if is_complete(folder.sft_model) else "untrained"
            if is_main_process():
                folder.write_status(phase="eval", step=0, message="validation before RL")
            self.evaluate(trainer.model, "grpo", 0, stage)
        if is_main_process():
            folder.write_status(
                phase="grpo", step=0, max_steps=config.max_steps, algorithm=config.algorithm,
                message=f"{config.algorithm.upper()} training",
            )  # fmt: skip
        trainer.train(resume_from_checkpoint=resume_from)
        if callback.stopped:
            return "stopped"
        if is_main_process():
            folder.write_status(phase="eval", message="final validation")
        self.evaluate(trainer.model, "grpo", trainer.state.global_step, "final")
        self._save(trainer.model, folder.model)
        shutil.rmtree(folder.phase_checkpoints("grpo"), ignore_errors=True)
        return "finished"


# ---------------------------------------------------------------- weighted trainers


@functools.cache
def weighted_sft_trainer(grade_weight: float = 1.0) -> type:
    """TRL's SFTTrainer whose loss counts each example's tokens `sample_weight` times, and each
    answer's grade token `grade_weight` times (`engine.llm.warmup.grade_token_weights`).

    The loss is `engine.llm.warmup.weighted_token_loss` over the whole optimisation step (its
    micro-batches and processes): the collator carries each example's weight and each token's,
    the step's weighted token count replaces TRL's token count. Built on first use (TRL loads
    slowly).
    """
    import torch
    from trl import SFTTrainer
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    class WeightedCollator(DataCollatorForLanguageModeling):
        piece: Any = None  # a token id's text (the trainer's tokenizer), set by the trainer

        def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
            batch = super().torch_call(examples)
            batch[WEIGHT] = torch.tensor([row_weight(e) for e in examples], dtype=torch.float32)
            if grade_weight != 1:
                batch[TOKEN_WEIGHT] = grade_token_weights(
                    batch["input_ids"], batch["labels"], self.piece, grade_weight
                )
            return batch

    class WeightedSFTTrainer(SFTTrainer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            base = self.data_collator
            if type(base) is not DataCollatorForLanguageModeling or base.padding_free:
                raise TrainingError(
                    "the weighted warm-up needs TRL's padded language-model collator"
                )
            fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
            self.data_collator = WeightedCollator(**fields)
            self.data_collator.piece = functools.lru_cache(maxsize=None)(
                lambda token: self.processing_class.decode([token])
            )
            self.loss_is_scaled_for_ga = True  # divided by the whole step's weighted token count

        def _set_signature_columns_if_needed(self) -> None:
            super()._set_signature_columns_if_needed()
            if WEIGHT not in self._signature_columns:
                self._signature_columns = [*self._signature_columns, WEIGHT]

        def _get_num_items_in_batch(self, batch_samples: list, device):
            if not batch_samples or WEIGHT not in batch_samples[0]:
                return super()._get_num_items_in_batch(batch_samples, device)
            total = sum(weighted_token_count(_token_mask(b), b[WEIGHT]) for b in batch_samples)
            total = torch.as_tensor(total, dtype=torch.float32, device=device)
            if self.args.average_tokens_across_devices and self.args.world_size > 1:
                total = self.accelerator.gather(total).sum()
            return total

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            weights = inputs.pop(WEIGHT, None)
            token_weights = inputs.pop(TOKEN_WEIGHT, None)
            if weights is None:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            outputs = model(**inputs, use_cache=False, fused_lm_head=True)
            answer_tokens = mask = outputs.label_mask
            if token_weights is not None:
                mask = answer_tokens * token_weights[..., 1:].to(answer_tokens.device)
            per_token = -outputs.log_probs  # zero on ignored positions
            loss = weighted_token_loss(
                per_token, mask, weights.to(per_token.dtype), num_items_in_batch
            )
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes  # DDP averages over processes
            self._token_metrics(inputs, outputs, answer_tokens)
            return (loss, outputs) if return_outputs else loss

        def _token_metrics(self, inputs: dict, outputs, mask) -> None:
            """The metrics TRL's own loss logs: entropy, token accuracy, tokens seen."""
            mode = "train" if self.model.training else "eval"
            gather = self.accelerator.gather_for_metrics
            valid = gather(mask.sum()).sum()
            entropy = gather(outputs.entropy.detach().sum()).sum()
            correct = gather(outputs.is_top1.sum()).sum()
            for name, total in (("entropy", entropy), ("mean_token_accuracy", correct)):
                self._metrics[mode][name].append((total / valid).item() if valid > 0 else 0.0)
            if mode == "train":
                self._total_train_tokens += gather(inputs["attention_mask"].sum()).sum().item()
            self._metrics[mode]["num_tokens"] = [self._total_train_tokens]

    return WeightedSFTTrainer


def _token_mask(batch: dict[str, Any]):
    """The tokens that carry loss in a collated warm-up batch (next-token positions), each as
    its token weight where the batch has them."""
    mask = batch["labels"][..., 1:] != -100
    weights = batch.get(TOKEN_WEIGHT)
    return mask if weights is None else mask * weights[..., 1:]


@functools.cache
def floored_advantages(rewards, num_generations: int, floor: float, scale: str):
    """CoRPO's advantages: each group's baseline is max(its mean reward, `floor`), so an answer
    below `floor` never gains from being the best of a weak group; divided by the group's or the
    batch's spread as TRL's `scale_rewards` says ("none": not divided)."""
    import torch

    grouped = rewards.view(-1, num_generations)
    baseline = torch.clamp(torch.nanmean(grouped, dim=1, keepdim=True), min=floor)
    advantages = (grouped - baseline).reshape(-1)
    if scale == "group":
        spread = grouped.std(dim=1, keepdim=True).expand_as(grouped).reshape(-1)
    elif scale == "batch":
        spread = rewards.std().expand_as(rewards)
    else:
        return torch.nan_to_num(advantages, nan=0.0)
    return torch.nan_to_num(advantages / (spread + 1e-4), nan=0.0)


def weighted_rl_trainer(algorithm: str, advantage_floor: float = 0.0) -> type:
    """TRL's GRPOTrainer (or RLOOTrainer for "rloo") with each answer's advantage multiplied by
    its fund's `sample_weight` (a dataset column TRL passes through with every prompt), and for
    GRPO with `advantage_floor` > 0 CoRPO's baseline (`floored_advantages`).

    Both losses are -min(ratio * A, clip(ratio) * A) per answer, so a weight w >= 0 scales
    the answer's term by exactly w. Built on first use (TRL loads slowly).
    """
    import torch

    if algorithm == "rloo":
        from trl import RLOOTrainer as Base
    else:
        from trl import GRPOTrainer as Base
    floor = float(advantage_floor) if algorithm != "rloo" else 0.0

    class WeightedAdvantages(Base):
        def _calculate_rewards(self, *args, **kwargs):
            self._rewards_per_func = super()._calculate_rewards(*args, **kwargs)
            return self._rewards_per_func

        def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
            output = super()._generate_and_score_completions(inputs)
            advantages = output["advantages"]
            if floor > 0:  # every process's rewards are here (TRL gathers them): keep ours
                rewards = (self._rewards_per_func * self.reward_weights.to(
                    self._rewards_per_func.device).unsqueeze(0)).nansum(dim=1)  # fmt: skip
                everyone = floored_advantages(
                    rewards, self.num_generations, floor, self.scale_rewards
                )
                start = self.accelerator.process_index * len(inputs)
                mine = everyone[start : start + len(inputs)]
                advantages = mine.to(advantages.dtype).to(advantages.device).view(advantages.shape)
            weights = torch.tensor(
                [row_weight(x) for x in inputs], dtype=advantages.dtype, device=advantages.device
            )
            shape = (-1,) + (1,) * (advantages.dim() - 1)
            output["advantages"] = advantages * weights.view(shape)
            return output

    WeightedAdvantages.__name__ = f"Weighted{Base.__name__}"
    return WeightedAdvantages
