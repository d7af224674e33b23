"""Answers of a model to conversational prompts, generated in batches: the one generator.

Evaluation jobs, live client evaluations and validation during training all use `generate`:
prompts sorted by token length (less padding), left-padded, `batch_size` at a time; greedy, or
sampled at `temperature`. Each answer is cut before its first end-of-turn token, so that it
reads the same as when generated alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from engine.llm.models import chat_prompt

Answer = tuple[str, float]  # (answer text, latency in ms)


def _stop_ids(model, tokenizer) -> set[int]:
    """The token ids that end a turn: the model's generation config and the tokenizer's eos."""
    ids = model.generation_config.eos_token_id
    found = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        found.add(tokenizer.eos_token_id)
    return found


def generate_batch(
    model,
    tokenizer,
    texts: Sequence[str],
    *,
    max_new_tokens: int,
    sample: bool = False,
    temperature: float = 1.0,
) -> list[str]:
    """The answers to prompt texts generated together (left-padded): each cut before its first
    end-of-turn token, so that an answer reads the same as when generated alone."""
    import torch

    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        batch = tokenizer(list(texts), return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tokenizer.padding_side = side
    device = next(model.parameters()).device
    batch = {k: v.to(device) for k, v in batch.items()}
    decoding: dict[str, Any] = (
        {"do_sample": True, "temperature": temperature, "top_p": 1.0, "top_k": 0}
        if sample
        else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    )
    with torch.no_grad():
        out = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            pad_token_id=tokenizer.pad_token_id,
            **decoding,
        )
    stops = _stop_ids(model, tokenizer)
    answers = []
    for row in out[:, batch["input_ids"].shape[1] :].tolist():
        end = next((i for i, token in enumerate(row) if token in stops), len(row))
        answers.append(tokenizer.decode(row[:end], skip_special_tokens=False))
    return answers


def generate(
    model,
    tokenizer,
    prompts: Sequence[list[dict]],
    *,
    max_new_tokens: int,
    batch_size: int = 8,
    thinking: bool | None = None,
    sample: bool = False,
    temperature: float = 1.0,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[Answer | None]:
    """(answer, latency ms) per conversational prompt, in the prompts' order; None for prompts
    not reached because `should_stop()` said so before their batch.

    The model generates in eval mode (a model in training mode is put back afterwards). A
    batch's latency is its wall time shared equally by its answers. `progress(n)` after each
    batch with the number of answers made so far.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    texts = [chat_prompt(tokenizer, p, thinking) for p in prompts]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    out: list[Answer | None] = [None] * len(texts)
    made = 0
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            if should_stop is not None and should_stop():
                break
            chunk = order[start : start + batch_size]
            began = time.perf_counter()
            answers = generate_batch(
                model,
                tokenizer,
                [texts[i] for i in chunk],
                max_new_tokens=max_new_tokens,
                sample=sample,
                temperature=temperature,
            )
            latency = (time.perf_counter() - began) * 1000.0 / len(chunk)
            for i, answer in zip(chunk, answers, strict=True):
                out[i] = (answer, latency)
            made += len(chunk)
            if progress is not None:
                progress(made)
    finally:
        if was_training:
            model.train()
    return out
