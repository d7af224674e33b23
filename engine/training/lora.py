"""LoRA for a run: the adapter settings, and saving a model with its adapter merged."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.training.config import RunConfig
from engine.training.ranks import is_main_process


def peft_config(config: RunConfig):
    """The `peft.LoraConfig` of `config`, or None when the run trains every weight."""
    if not config.lora:
        return None
    from peft import LoraConfig

    targets = config.lora_target_modules
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets if targets == "all-linear" else targets.split(","),
        task_type="CAUSAL_LM",
    )


def save_merged(model, tokenizer, target: Path) -> None:
    """Save `model` (LoRA merged) and `tokenizer` to `target`, complete or not at all."""
    if not is_main_process():
        return
    from peft import PeftModel

    model = getattr(model, "module", model)
    if isinstance(model, PeftModel):
        model = model.merge_and_unload()
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
