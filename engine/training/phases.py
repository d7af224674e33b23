"""The phases of one run in this process: supervised warm-up, RL (GRPO or RLOO), final model."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from engine.llm.device import use_bf16
from engine.llm.models import load, resolve
from engine.llm.rewards import REWARD_FUNCTIONS
from engine.llm.warmup import phase_rows, sft_examples
from engine.training.callbacks import make_callback, use_callback
from engine.training.config import RunConfig, TrainingError
from engine.training.folder import RunFolder, is_complete
from engine.training.hardware import CHECKPOINTING_FROM_PARAMS, use_vllm
from engine.training.lora import peft_config, save_merged
from engine.training.ranks import is_main_process
from engine.training.run_data import dataset, load_data
from engine.training.samples import RewardRecorder
from engine.training.validation import Validation
from store.home import Home

log = logging.getLogger("engine.training.worker")  # the training process's log


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
        self.validation.rows = data.get("validation", [])[: config.eval_max_funds]
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
        from trl import SFTConfig, SFTTrainer

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
        trainer = SFTTrainer(
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
            "generation_batch_size": config.effective_generation_batch,
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
        if self.config.algorithm == "rloo":
            from trl import RLOOConfig, RLOOTrainer

            # RLOO's advantage is the reward minus the mean of the group's other answers; it has
            # no loss_type / scale_rewards (those are GRPO's).
            return RLOOConfig, RLOOTrainer, {}
        from trl import GRPOConfig, GRPOTrainer

        settings = {"loss_type": self.config.loss_type, "scale_rewards": self.config.scale_rewards}
        return GRPOConfig, GRPOTrainer, settings

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
