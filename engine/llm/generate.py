"""Answers of a model to conversational prompts, generated in batches: the one generator.

Evaluation jobs, live client evaluations and validation during training all use `generate`:
prompts sorted by token length (less padding), `batch_size` at a time; greedy, or sampled at
`temperature`. Each answer is cut before its first end-of-turn token, so that it reads the same
as when generated alone.

The prompts of one call usually open with the same tokens (the system message, the answer
template): that shared prefix is run through the model once, and every batch starts from a
copy of its key/value cache. A batch row is then [shared prefix][padding][rest of the prompt],
the padding masked out and the positions counted over real tokens only, so each row sees
exactly what it would see alone; `model.generate` does the rest (its decoding settings, end of
turn, the cache of the new tokens).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.llm.models import chat_prompt

Answer = tuple[str, float]  # (answer text, latency in ms)

MIN_SHARED_PREFIX = 16  # tokens: a shorter common opening is not worth a cache of its own
SMALL_MODEL_HIDDEN = 256  # hidden size up to which a model counts as small (the built-in tiny)
SMALL_MODEL_BATCH = 128  # prompts per batch for a small model: its steps are mostly overhead
DEFAULT_BATCH = 8


def default_batch_size(model_folder: Path | str) -> int:
    """Prompts per batch when none is asked for: SMALL_MODEL_BATCH for a small model (hidden
    size at most SMALL_MODEL_HIDDEN, read from its config.json), else DEFAULT_BATCH."""
    try:
        config = json.loads((Path(model_folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DEFAULT_BATCH
    hidden = config.get("hidden_size")
    small = isinstance(hidden, int) and hidden <= SMALL_MODEL_HIDDEN
    return SMALL_MODEL_BATCH if small else DEFAULT_BATCH


def _stop_ids(model, tokenizer) -> set[int]:
    """The token ids that end a turn: the model's generation config and the tokenizer's eos."""
    ids = model.generation_config.eos_token_id
    found = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    if tokenizer.eos_token_id is not None:
        found.add(tokenizer.eos_token_id)
    return found


def shared_prefix(model, ids: Sequence[list[int]]) -> tuple[int, Any]:
    """(length, key/value cache) of the token prefix every prompt in `ids` shares (all but the
    last token of the shortest at most), run through the model once; (0, None) when it is
    shorter than MIN_SHARED_PREFIX tokens or the model's cache is not the plain growing one
    (`transformers.DynamicCache` of full-attention layers)."""
    import torch
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    if not ids:
        return 0, None
    # every row keeps a token of its own: generation starts from the logits of its last one
    length = min(len(os.path.commonprefix(list(ids))), min(map(len, ids)) - 1)
    if length < MIN_SHARED_PREFIX:
        return 0, None
    device = next(model.parameters()).device
    prefix = torch.tensor([ids[0][:length]], device=device)
    out = model(input_ids=prefix, attention_mask=torch.ones_like(prefix), use_cache=True)
    cache = getattr(out, "cache", None)
    plain = type(cache) is DynamicCache and all(type(la) is DynamicLayer for la in cache.layers)
    if not plain or cache.get_seq_length() != length:
        return 0, None
    return length, cache


@functools.cache
def _preallocated_layer() -> type:
    """A `transformers` DynamicLayer whose keys and values live in buffers allocated once, as
    long as a row can grow, so that each step writes its token in place instead of copying the
    whole cache (`torch.cat`): a sixth of the tiny model's generation time."""
    from transformers.cache_utils import DynamicLayer

    class PreallocatedLayer(DynamicLayer):
        _layer_type = None  # never registered as a layer kind of `transformers`

        def __init__(self, prefix: DynamicLayer, rows: int, capacity: int) -> None:
            super().__init__()
            keys, values = prefix.keys, prefix.values  # (1, heads, prefix tokens, head size)
            self.lazy_initialization(keys, values)
            self.key_buffer = keys.new_empty((rows, keys.shape[1], capacity, keys.shape[-1]))
            self.value_buffer = values.new_empty((rows, *self.key_buffer.shape[1:]))
            self.length = 0
            self.update(keys.expand(rows, -1, -1, -1), values.expand(rows, -1, -1, -1))

        def update(self, key_states, value_states, *args, **kwargs):
            end = self.length + key_states.shape[-2]
            if self.key_buffer is None or end > self.key_buffer.shape[-2]:
                self.leave_buffer()  # longer than foreseen: grow as transformers does
                return super().update(key_states, value_states, *args, **kwargs)
            self.key_buffer[..., self.length : end, :] = key_states
            self.value_buffer[..., self.length : end, :] = value_states
            self.length = end
            self.keys = self.key_buffer[..., :end, :]
            self.values = self.value_buffer[..., :end, :]
            return self.keys, self.values

        def leave_buffer(self) -> None:
            """From now on a plain DynamicLayer (its keys and values as they are)."""
            self.key_buffer = self.value_buffer = None

        def crop(self, tokens_to_remove: int) -> None:
            self.leave_buffer()
            super().crop(tokens_to_remove)

        def reorder_cache(self, beam_idx) -> None:
            self.leave_buffer()
            super().reorder_cache(beam_idx)

        def batch_repeat_interleave(self, repeats: int) -> None:
            self.leave_buffer()
            super().batch_repeat_interleave(repeats)

        def batch_select_indices(self, indices) -> None:
            self.leave_buffer()
            super().batch_select_indices(indices)

    return PreallocatedLayer


def _batch_cache(prefix_cache, rows: int, capacity: int):
    """A cache for `rows` rows that starts with the shared prefix's, room for `capacity` tokens
    a row (the prefix's cache itself is left as it is)."""
    cache = copy.copy(prefix_cache)
    cache.layers = [_preallocated_layer()(layer, rows, capacity) for layer in prefix_cache.layers]
    return cache


def _batch_inputs(ids: Sequence[list[int]], shared: int, pad_id: int, device) -> dict[str, Any]:
    """input_ids and attention_mask of [shared prefix][padding][rest] rows."""
    import torch

    width = shared + max(len(row) - shared for row in ids)
    tokens = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for r, row in enumerate(ids):
        rest = len(row) - shared
        tokens[r, :shared] = torch.tensor(row[:shared])
        tokens[r, width - rest :] = torch.tensor(row[shared:])
        mask[r, :shared] = 1
        mask[r, width - rest :] = 1
    return {"input_ids": tokens.to(device), "attention_mask": mask.to(device)}


def generate_ids(
    model,
    tokenizer,
    ids: Sequence[list[int]],
    *,
    max_new_tokens: int,
    sample: bool = False,
    temperature: float = 1.0,
    prefix: tuple[int, Any] = (0, None),
) -> list[str]:
    """The answers to tokenized prompts generated together, each cut before its first
    end-of-turn token; `prefix` is `shared_prefix` of prompts these all begin with."""
    shared, cache = prefix
    device = next(model.parameters()).device
    batch = _batch_inputs(ids, shared, tokenizer.pad_token_id, device)
    if cache is not None:
        width = batch["input_ids"].shape[1]
        batch["cache"] = _batch_cache(cache, len(ids), width + max_new_tokens)
    decoding: dict[str, Any] = (
        {"do_sample": True, "temperature": temperature, "top_p": 1.0, "top_k": 0}
        if sample
        else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    )
    out = model.generate(
        **batch, max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id, **decoding
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

    The model generates in eval mode (a model in training mode is put back afterwards; out of
    training, under `torch.inference_mode`). A batch's latency is its wall time shared equally
    by its answers (the shared prefix's counts in the first batch). `progress(n)` after each
    batch with the number of answers made so far.
    """
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    texts = [chat_prompt(tokenizer, p, thinking) for p in prompts]
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out: list[Answer | None] = [None] * len(texts)
    made = 0
    was_training = model.training
    model.eval()
    # tensors made under inference mode cannot enter a later backward pass: not while training
    grad_off = torch.no_grad() if was_training else torch.inference_mode()
    try:
        with grad_off:
            began = time.perf_counter()
            prefix = shared_prefix(model, ids)
            for start in range(0, len(order), batch_size):
                if should_stop is not None and should_stop():
                    break
                chunk = order[start : start + batch_size]
                answers = generate_ids(
                    model, tokenizer, [ids[i] for i in chunk], max_new_tokens=max_new_tokens,
                    sample=sample, temperature=temperature, prefix=prefix,
                )  # fmt: skip
                latency = (time.perf_counter() - began) * 1000.0 / len(chunk)
                for i, answer in zip(chunk, answers, strict=True):
                    out[i] = (answer, latency)
                made += len(chunk)
                if progress is not None:
                    progress(made)
                began = time.perf_counter()
    finally:
        if was_training:
            model.train()
    return out


def set_cpu_threads() -> int:
    """Give torch one intra-op thread per CPU this process may run on, unless OMP_NUM_THREADS
    says how many; that number."""
    import torch

    if not os.environ.get("OMP_NUM_THREADS"):
        with contextlib.suppress(AttributeError):  # no sched_getaffinity: leave torch's choice
            torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    return torch.get_num_threads()
