"""`RunConfig`: the whole setup of one training run, saved next to the run as `config.json`.

Every field has a default and a one-line help text (the training page shows them). The
defaults are the founders' GRPO settings for a real model; `for_model` adjusts the few that a
model needs changed (the built-in tiny model learns from scratch, so it needs larger learning
rates and shorter completions). `problems()` lists every invalid value in plain words, `check()`
raises them as one `TrainingError`. `algorithm` picks the RL method after the warm-up: GRPO or
RLOO (TRL 1.16 ships both with the same reward functions; it has no PPO trainer any more).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any

from engine.llm.rewards import DEFAULT_REWARD_WEIGHTS, REWARD_FUNCTIONS

LOSS_TYPES = ("dapo", "grpo", "dr_grpo", "bnpo", "cispo", "sapo")
SCALE_REWARDS = ("group", "batch", "none")
DEVICES = ("auto", "cpu", "cuda")
AUTO_SWITCH = ("auto", "on", "off")
LANGUAGES = ("ko", "en")
# full / compact: the fund's facts; *anchored: with the rules' proposal (engine.llm.anchor)
PROMPT_STYLES = ("full", "compact", "anchored", "compact_anchored")
ALGORITHMS = ("grpo", "rloo")
RATING_HISTORY = ("last", "all")  # or a list of rating dates
WEIGHT_TOLERANCE = 1e-6


class TrainingError(RuntimeError):
    """A run cannot be set up, started, stopped or resumed; the message says why in one line."""


def _default_reward_weights() -> dict[str, float]:
    return dict(DEFAULT_REWARD_WEIGHTS)


def _help(text: str, default: Any = None, factory: Any = None) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata={"help": text})
    return field(default=default, metadata={"help": text})


@dataclass
class RunConfig:
    """How one run is set up: data, model, supervised warm-up, GRPO, validation, hardware."""

    # --- what is learned
    run_id: str = _help("Run id, given when the run is created (run-0001, run-0002, …).", "")
    model: str = _help(
        "Model to train: a preset (smollm2-135m, builtin-tiny, qwen2-0.5b, qwen3-0.6b), a hub id "
        "or a local model folder.",
        "smollm2-135m",
    )
    methodology_id: str = _help("Methodology to learn (empty: the active one).", "")
    methodology_version: int | None = _help("Methodology version (empty: the latest).")
    as_of: str | None = _help("Rating date of the expert grades used (empty: the latest).")
    rating_dates: str | list[str] = _help(
        "Rating dates whose expert grades the run learns from: last (the rating date above only), "
        "all (every rating date up to it) or dates separated by commas; validation and test funds "
        "are judged on the latest date only.",
        "last",
    )
    language: str = _help("Language of the prompts and of the model's reasoning (ko or en).", "ko")
    prompt_style: str = _help(
        "Prompt form: full (the methodology and the fund's table; real models) or compact (one "
        "line per criterion; the built-in tiny model cannot read the full one); anchored and "
        "compact_anchored add the rules' proposal (criterion scores, total, the category's grade "
        "cutoffs) and the facts the house's habits act on (track record, AUM, 1y return "
        "percentile, manager changes).",
        "full",
    )
    seed: int = _help("Random seed: the same seed and data give the same split and run.", 0)
    splits: list[float] = _help(
        "Shares of funds for training, validation and test (a fund is in one split only).",
        factory=lambda: [0.7, 0.15, 0.15],
    )
    # --- supervised warm-up
    sft_steps: int = _help(
        "Supervised warm-up steps before GRPO: the model first copies worked answers so that it "
        "writes valid JSON at all (0 = no warm-up).",
        100,
    )
    sft_learning_rate: float = _help("Learning rate of the warm-up.", 5e-5)
    sft_batch_size: int = _help("Examples per warm-up step.", 8)
    grade_loss_weight: float = _help(
        "How many tokens the grade counts as in the warm-up's loss (1: one token of the "
        "answer); more makes the warm-up learn the grade rather than the copied numbers.",
        1.0,
    )
    warmup_share: float = _help(
        "Share of the training funds the warm-up copies answers for; the RL phase then trains on "
        "the other funds, whose answers the model has not memorised (1 = both phases use all).",
        1.0,
    )
    # --- reinforcement learning (GRPO or RLOO)
    algorithm: str = _help(
        "RL method after the warm-up: grpo (group-relative advantages) or rloo (leave-one-out "
        "baseline, TRL's RLOOTrainer); both use the same rewards.",
        "grpo",
    )
    max_steps: int = _help("GRPO steps (each step rates a batch of funds several times).", 200)
    learning_rate: float = _help("GRPO learning rate: higher learns faster but less stably.", 1e-5)
    num_generations: int = _help(
        "Answers sampled per fund and compared with each other (the 'group' in GRPO).", 8
    )
    per_device_train_batch_size: int = _help(
        "Answers per optimisation step on one device (a multiple of the number of answers per "
        "fund keeps whole groups together).",
        8,
    )
    generation_batch_size: int | None = _help(
        "Answers generated at once (empty: the training batch); must be a multiple of the "
        "answers per fund and of the training batch.",
    )
    max_completion_length: int = _help(
        "Longest answer in tokens; longer answers are cut (and cannot be parsed).", 512
    )
    temperature: float = _help("Sampling temperature: higher gives more varied answers.", 1.0)
    beta: float = _help(
        "KL penalty that keeps the model near its starting point (0 = none, no reference model).",
        0.0,
    )
    loss_type: str = _help(
        "GRPO loss formula (dapo: TRL's default, no length bias; grpo: the original paper).",
        "dapo",
    )
    scale_rewards: str = _help(
        "How rewards are normalised: by the group's spread (group), the batch's (batch) or not.",
        "group",
    )
    epsilon_high: float = _help(
        "GRPO's upper clipping bound (DAPO's clip-higher recommends 0.28); 0: the same as the "
        "lower bound, 0.2.",
        0.0,
    )
    mask_truncated_completions: bool = _help(
        "Leave answers cut at the length limit out of GRPO's loss (they cannot be parsed).",
        False,
    )
    advantage_floor: float = _help(
        "GRPO's baseline is at least this total reward (CoRPO's minimum quality): an answer "
        "scoring below it never gets a positive advantage, however weak its group. 0: the "
        "group mean, as in TRL.",
        0.0,
    )
    reward_weights: dict[str, float] = _help(
        "Weight of each reward (format, accuracy, reasoning, consistency), as fractions of 1.",
        factory=_default_reward_weights,
    )
    # --- LoRA and thinking
    lora: bool = _help("Train small LoRA adapters instead of all weights (large models).", False)
    lora_r: int = _help("LoRA rank: the adapters' size.", 16)
    lora_alpha: int = _help("LoRA scaling (usually twice the rank).", 32)
    lora_dropout: float = _help("LoRA dropout.", 0.05)
    lora_target_modules: str = _help(
        "Layers that get adapters: all-linear, or a comma-separated list of module names.",
        "all-linear",
    )
    thinking: bool = _help(
        "Qwen3 thinking mode: the model reasons in <think>…</think> before its answer.", False
    )
    # --- validation, checkpoints, logging
    eval_every: int = _help(
        "Measure agreement with the experts on validation funds every N steps.", 25
    )
    eval_max_funds: int = _help("Validation funds used for each agreement measurement.", 32)
    save_every: int = _help("Save a checkpoint every N steps (a stopped run resumes from it).", 50)
    samples_every: int = _help("Record a few sample answers with their rewards every N steps.", 10)
    # --- hardware
    device: str = _help("Where to train: auto (a GPU if there is one), cpu or cuda.", "auto")
    processes: int = _help(
        "Training processes on a CPU, run by accelerate with gloo (on GPUs: one per GPU). Each "
        "takes per_device_train_batch_size answers per step.",
        1,
    )
    bf16: str = _help("bfloat16 arithmetic: auto (on GPUs that support it), on or off.", "auto")
    use_vllm: str = _help(
        "Generate with vLLM: auto (when installed and on a GPU), on or off.", "auto"
    )
    gradient_checkpointing: str = _help(
        "Recompute activations instead of keeping them (much less memory, about a third "
        "slower): auto (on for models of 50 M parameters or more), on or off.",
        "auto",
    )
    micro_batch_size: int = _help(
        "Examples per forward pass (0: the whole batch at once); lower it when memory runs "
        "out: a step then adds up several passes and learns the same.",
        0,
    )
    # --- lineage
    parent_run_id: str | None = _help("The run this one continues from (expert feedback).")
    feedback_ids: list[str] = _help(
        "Expert feedback items folded into this run's data.", factory=list
    )

    # ------------------------------------------------------------ helpers

    @property
    def total_steps(self) -> int:
        """Warm-up and GRPO steps together."""
        return self.sft_steps + self.max_steps

    @property
    def effective_generation_batch(self) -> int:
        return self.generation_batch_size or self.per_device_train_batch_size

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        """A config from JSON; missing keys take their defaults, unknown ones (a setting from
        another version of the workbench) are left out and named in `ignored_keys`."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TrainingError(f"a run configuration is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise TrainingError("a run configuration must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        config = cls(**{k: v for k, v in data.items() if k in known})
        config.ignored_keys = unknown
        return config

    @property
    def ignored_keys(self) -> list[str]:
        """Keys of the JSON this config was read from that are not run settings (left out)."""
        return list(self.__dict__.get("_ignored_keys", []))

    @ignored_keys.setter
    def ignored_keys(self, keys: list[str]) -> None:
        self.__dict__["_ignored_keys"] = list(keys)

    def problems(self) -> list[str]:
        """Every invalid value, each as one plain sentence (empty when the config is valid)."""
        out: list[str] = []
        positive = {
            "sft_batch_size": self.sft_batch_size,
            "max_steps": self.max_steps,
            "num_generations": self.num_generations,
            "per_device_train_batch_size": self.per_device_train_batch_size,
            "max_completion_length": self.max_completion_length,
            "eval_every": self.eval_every,
            "eval_max_funds": self.eval_max_funds,
            "save_every": self.save_every,
            "samples_every": self.samples_every,
            "processes": self.processes,
            "lora_r": self.lora_r,
        }
        for name, value in positive.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                out.append(f"{name} must be a whole number of at least 1, got {value!r}")
        if not isinstance(self.sft_steps, int) or self.sft_steps < 0:
            out.append(f"sft_steps must be 0 or more, got {self.sft_steps!r}")
        if not isinstance(self.grade_loss_weight, int | float) or not (
            1 <= self.grade_loss_weight <= 1000
        ):
            out.append(f"grade_loss_weight must be 1 to 1000, got {self.grade_loss_weight!r}")
        if not isinstance(self.warmup_share, int | float) or not 0 < self.warmup_share <= 1:
            out.append(f"warmup_share must be above 0 and at most 1, got {self.warmup_share!r}")
        for name in ("learning_rate", "sft_learning_rate"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 < value < 1:
                out.append(f"{name} must be between 0 and 1 (e.g. 1e-5), got {value!r}")
        if isinstance(self.num_generations, int) and self.num_generations == 1:
            out.append("num_generations must be at least 2: GRPO compares answers within a group")
        gen = self.effective_generation_batch
        if (
            isinstance(self.num_generations, int)
            and self.num_generations >= 2
            and isinstance(gen, int)
        ):
            if gen % self.num_generations:
                out.append(
                    f"the generation batch ({gen}) must be divisible by num_generations "
                    f"({self.num_generations})"
                )
            if self.per_device_train_batch_size >= 1 and gen % self.per_device_train_batch_size:
                out.append(
                    f"the generation batch ({gen}) must be divisible by the training batch "
                    f"({self.per_device_train_batch_size})"
                )
        micro = self.micro_batch_size
        if not isinstance(micro, int) or isinstance(micro, bool) or micro < 0:
            out.append(f"micro_batch_size must be 0 or more, got {micro!r}")
        elif micro:
            for name in ("sft_batch_size", "per_device_train_batch_size"):
                value = getattr(self, name)
                if isinstance(value, int) and value >= 1 and value % micro:
                    out.append(f"{name} ({value}) must be divisible by micro_batch_size ({micro})")
        if not 0 < self.temperature <= 5:
            out.append(f"temperature must be above 0 and at most 5, got {self.temperature!r}")
        if self.beta < 0:
            out.append(f"beta must be 0 or more, got {self.beta!r}")
        if not 0 <= self.epsilon_high < 10:
            out.append(
                f"epsilon_high must be 0 (off) or a positive bound, got {self.epsilon_high!r}"
            )
        if not 0 <= self.advantage_floor <= 1:
            out.append(f"advantage_floor must be from 0 to 1, got {self.advantage_floor!r}")
        elif self.advantage_floor and self.algorithm == "rloo":
            out.append("advantage_floor is GRPO's: RLOO's baseline is the group's other answers")
        if not 0 <= self.lora_dropout < 1:
            out.append(f"lora_dropout must be in [0, 1), got {self.lora_dropout!r}")
        choices = {
            "language": (self.language, LANGUAGES),
            "prompt_style": (self.prompt_style, PROMPT_STYLES),
            "loss_type": (self.loss_type, LOSS_TYPES),
            "scale_rewards": (self.scale_rewards, SCALE_REWARDS),
            "device": (self.device, DEVICES),
            "bf16": (self.bf16, AUTO_SWITCH),
            "use_vllm": (self.use_vllm, AUTO_SWITCH),
            "gradient_checkpointing": (self.gradient_checkpointing, AUTO_SWITCH),
            "algorithm": (self.algorithm, ALGORITHMS),
        }
        for name, (value, allowed) in choices.items():
            if value not in allowed:
                out.append(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        out += _weight_problems(self.reward_weights)
        if len(self.splits) != 3 or any(s < 0 for s in self.splits) or self.splits[0] <= 0:
            out.append(
                f"splits must be three shares (train, validation, test), got {self.splits!r}"
            )
        elif abs(sum(self.splits) - 1) > 1e-6:
            out.append(f"splits must add up to 1, got {sum(self.splits):g}")
        if not self.model:
            out.append("model must name a preset, a hub id or a model folder")
        try:
            rating_date_choice(self.rating_dates)
        except ValueError as exc:
            out.append(str(exc))
        return out

    def check(self) -> RunConfig:
        """Self if valid, else a `TrainingError` naming every problem."""
        found = self.problems()
        if found:
            raise TrainingError("invalid run settings: " + "; ".join(found))
        return self


def _weight_problems(weights: Any) -> list[str]:
    if not isinstance(weights, dict):
        return [f"reward_weights must map reward names to weights, got {weights!r}"]
    out = []
    names = list(REWARD_FUNCTIONS)
    unknown = [k for k in weights if k not in names]
    missing = [k for k in names if k not in weights]
    if unknown:
        out.append(
            f"unknown rewards in reward_weights: {', '.join(unknown)} (known: {', '.join(names)})"
        )
    if missing:
        out.append(f"reward_weights lacks {', '.join(missing)}")
    values = [v for v in weights.values() if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(values) != len(weights) or any(v < 0 for v in values):
        out.append("reward weights must be numbers of 0 or more")
    elif not unknown and not missing and sum(values) <= 0:
        out.append("at least one reward weight must be above 0")
    elif not unknown and not missing and abs(sum(values) - 1) > WEIGHT_TOLERANCE:
        out.append(
            f"the reward weights must add up to 1 (100 points), they add up to {sum(values):g}"
        )
    return out


def rating_date_choice(value: Any) -> str | list[date]:
    """`rating_dates` as "last", "all" or its dates, oldest first, from "2024-12-31,2025-12-31"
    or a list; ValueError naming what is wrong."""
    if value is None or isinstance(value, str) and not value.strip():
        return "last"
    if isinstance(value, str) and value.strip().lower() in RATING_HISTORY:
        return value.strip().lower()
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list | tuple):
        raise ValueError(f"rating_dates must be last, all or a list of dates, got {value!r}")
    dates = set()
    for part in parts:
        try:
            dates.add(date.fromisoformat(str(part).strip()))
        except ValueError:
            raise ValueError(
                f"rating_dates must be last, all or dates as YYYY-MM-DD separated by commas; "
                f"{str(part).strip()!r} is not a date"
            ) from None
    if not dates:
        raise ValueError("rating_dates must be last, all or at least one date")
    return sorted(dates)


def parse_weights(text: str) -> dict[str, float]:
    """Reward weights from '0.1,0.5,0.3,0.1' (in reward order) or 'json_format=0.1,…'."""
    names = list(REWARD_FUNCTIONS)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        if parts and all("=" in p for p in parts):
            pairs = [p.split("=", 1) for p in parts]
            return {k.strip(): float(v) for k, v in pairs}
        values = [float(p) for p in parts]
    except ValueError:
        raise TrainingError(f"reward weights must be numbers, got '{text}'") from None
    if len(values) != len(names):
        raise TrainingError(
            f"give {len(names)} reward weights ({', '.join(names)}), got {len(values)}: '{text}'"
        )
    return dict(zip(names, values, strict=True))


# Settings a model needs changed from the defaults (the tiny model learns from random weights).
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "builtin-tiny": {
        # with the full ~750-token prompt it gave one grade to all; with the rules' proposal in
        # the prompt the warm-up reached test QWK 0.77 against 0.67 (docs/training-format.md §5)
        "prompt_style": "compact_anchored",
        "sft_steps": 400,  # at 150 steps it did not yet read the fund (docs/training-format.md §5)
        "sft_learning_rate": 3e-3,
        "sft_batch_size": 8,
        # at 1 its grade agreed with the experts on 44 % of its own training funds (the rule's
        # grade: 72 %); at 30, 77 %, and test QWK on demo seed 2 rose from 0.58 to 0.83
        "grade_loss_weight": 30.0,
        "learning_rate": 1e-4,  # 2e-4 undid the warm-up in 20 GRPO steps; 1e-4 raised the reward
        "temperature": 0.7,  # at 1.0 most of its samples are broken JSON: no signal
        "max_completion_length": 256,
        "num_generations": 4,
        "per_device_train_batch_size": 8,
        "max_steps": 60,
    },
    # ~2,000-token Korean prompts and a 49,152-token vocabulary: one example per pass keeps
    # the warm-up's full-vocabulary logits within a few GB.
    "smollm2-135m": {"micro_batch_size": 1},
}


def for_model(model: str, **changes: Any) -> RunConfig:
    """The default config for `model`, with its preset's adjustments, then `changes`."""
    base = RunConfig(model=model)
    return replace(base, **{**MODEL_DEFAULTS.get(model, {}), **changes})


def help_texts() -> dict[str, str]:
    """Field name -> its one-line help text (for forms)."""
    return {f.name: f.metadata.get("help", "") for f in fields(RunConfig)}
