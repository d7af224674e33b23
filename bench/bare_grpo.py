"""A bare TRL GRPO script: the baseline our run wrapper is measured against.

It reads what `engine.training.worker` would read — the run's `config.json` and its frozen snapshot's
training split — and trains the same model with the same GRPOConfig values and reward functions,
with nothing of the wrapper: no status file, no events, no sample recording, no validation, no
stop flag, no device queue. Then it saves the model, as the wrapper does at the end.

    .venv/bin/python bench/bare_grpo.py RUN_DIR MODEL_DIR OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import GRPOConfig, GRPOTrainer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.llm.rewards import REWARD_FUNCTIONS  # noqa: E402  (the task's rewards, not the wrapper)


def main(run_dir: str, model_dir: str, out_dir: str) -> None:
    config = json.loads((Path(run_dir) / "config.json").read_text(encoding="utf-8"))
    frame = pd.read_parquet(Path(run_dir) / "snapshot" / "train.parquet")
    rows = frame.to_dict(orient="records")
    for row in rows:
        row["prompt"] = [dict(m) for m in row["prompt"]]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    names = list(REWARD_FUNCTIONS)
    batch = config["per_device_train_batch_size"]
    args = GRPOConfig(
        output_dir=out_dir,
        max_steps=config["max_steps"],
        learning_rate=config["learning_rate"],
        per_device_train_batch_size=batch,
        gradient_accumulation_steps=1,
        generation_batch_size=config["generation_batch_size"] or batch,
        num_generations=config["num_generations"],
        max_completion_length=config["max_completion_length"],
        temperature=config["temperature"],
        beta=config["beta"],
        loss_type=config["loss_type"],
        scale_rewards=config["scale_rewards"],
        reward_weights=[float(config["reward_weights"][n]) for n in names],
        chat_template_kwargs={"enable_thinking": config["thinking"]},
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,  # GRPOConfig defaults to bf16 and gradient checkpointing; the wrapper
        gradient_checkpointing=False,  # turns both off for this model on a CPU
        seed=config["seed"],
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[REWARD_FUNCTIONS[n] for n in names],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    trainer.train()
    trainer.save_model(out_dir)


if __name__ == "__main__":
    main(*sys.argv[1:4])
