"""Batched generation (`engine.llm.generate`): the shared opening of the prompts run once, rows
sorted by length and padded between that opening and the rest, must answer exactly as plain
left-padded `model.generate` does, one prompt at a time or in the same batches, greedy or
sampled with the same seed.

The untrained tiny model answers every prompt with the same newlines, which would make the
comparisons empty; its weights are redrawn larger (seeded) so that answers differ by prompt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from engine.llm.generate import (
    DEFAULT_BATCH,
    MIN_SHARED_PREFIX,
    SMALL_MODEL_BATCH,
    _batch_cache,
    _batch_inputs,
    default_batch_size,
    generate,
    shared_prefix,
)
from engine.llm.models import build_tiny, chat_prompt, load

TEMPLATE = (
    '{"scores": {"ann_return_3y": n, "sharpe_3y": n, "max_drawdown_3y": n, "esg": n}, '
    '"grade": n, "reasoning": "..."}'
)
TOKENS = 12


def _prompts(n: int) -> list[list[dict]]:
    """Compact-style prompts: one system message for all, user lines of varying number."""
    out = []
    for i in range(n):
        lines = [f"sharpe_3y {0.1 * i:.2f} 백분위 {(37 * i) % 100}"]
        lines += [f"ann_return_3y {i * 1.7:.1f}% 백분위 {(11 * i) % 100}"] * (i % 4)
        lines.append(f"esg {1 + i % 5}점")
        out.append(
            [{"role": "system", "content": TEMPLATE}, {"role": "user", "content": "\n".join(lines)}]
        )
    return out


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    """(model, tokenizer): the built-in tiny model with redrawn, larger weights."""
    model, tokenizer = load(build_tiny(tmp_path_factory.mktemp("gen") / "tiny"))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if weight.dim() >= 2:
                weight.normal_(0, 0.5 if "embed" in name else 0.2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # OpenMP threads spin: on busy cores one is faster
    yield model, tokenizer
    torch.set_num_threads(threads)


def _plain(model, tokenizer, prompts, *, batch_size: int, sample: bool = False) -> list[str]:
    """The answers of left-padded `model.generate` over length-sorted batches, no shared cache."""
    texts = [chat_prompt(tokenizer, p) for p in prompts]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    decoding = (
        {"do_sample": True, "temperature": 1.0, "top_p": 1.0, "top_k": 0}
        if sample
        else {"do_sample": False, "temperature": None, "top_p": None, "top_k": None}
    )
    out: list[str] = [""] * len(texts)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch = tokenizer(
            [texts[i] for i in chunk], return_tensors="pt", padding=True, add_special_tokens=False
        )
        with torch.no_grad():
            made = model.generate(
                **batch, max_new_tokens=TOKENS, pad_token_id=tokenizer.pad_token_id, **decoding
            )
        for i, row in zip(chunk, made[:, batch["input_ids"].shape[1] :].tolist(), strict=True):
            end = next((k for k, t in enumerate(row) if t == tokenizer.eos_token_id), len(row))
            out[i] = tokenizer.decode(row[:end], skip_special_tokens=False)
    return out


def test_the_prompts_shared_opening_is_found_and_cached_once(tiny) -> None:
    model, tokenizer = tiny
    texts = [chat_prompt(tokenizer, p) for p in _prompts(6)]
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    length, cache = shared_prefix(model, ids)
    assert length == len(os.path.commonprefix(ids)) >= MIN_SHARED_PREFIX
    assert cache.get_seq_length() == length
    assert shared_prefix(model, ids[:1] + [ids[1][5:]]) == (0, None)  # nothing in common


@pytest.mark.parametrize("batch_size", [1, 4])
def test_greedy_answers_equal_plain_generation_one_prompt_at_a_time(tiny, batch_size) -> None:
    model, tokenizer = tiny
    prompts = _prompts(10)
    alone = _plain(model, tokenizer, prompts, batch_size=1)
    made = generate(model, tokenizer, prompts, max_new_tokens=TOKENS, batch_size=batch_size)
    assert [text for text, _ in made] == alone
    assert len(set(alone)) > 5  # the answers really differ from prompt to prompt


def test_sampled_answers_equal_plain_generation_with_the_same_seed(tiny) -> None:
    model, tokenizer = tiny
    prompts = _prompts(10)
    torch.manual_seed(5)
    plain = _plain(model, tokenizer, prompts, batch_size=4, sample=True)
    torch.manual_seed(5)
    made = generate(model, tokenizer, prompts, max_new_tokens=TOKENS, batch_size=4, sample=True)
    assert [text for text, _ in made] == plain
    torch.manual_seed(5)
    again = generate(model, tokenizer, prompts, max_new_tokens=TOKENS, batch_size=4, sample=True)
    assert again == [(t, again[i][1]) for i, (t, _) in enumerate(made)]


def test_a_single_prompt_or_identical_ones_keep_a_token_of_their_own(tiny) -> None:
    model, tokenizer = tiny
    (prompt,) = _prompts(1)
    ids = tokenizer([chat_prompt(tokenizer, prompt)], add_special_tokens=False)["input_ids"]
    assert shared_prefix(model, ids)[0] == len(ids[0]) - 1
    alone = _plain(model, tokenizer, [prompt], batch_size=1)
    for prompts in ([prompt], [prompt] * 3):
        made = generate(model, tokenizer, prompts, max_new_tokens=TOKENS, batch_size=2)
        assert [text for text, _ in made] == alone * len(prompts)


def test_prompts_without_a_common_opening_answer_as_alone(tiny) -> None:
    model, tokenizer = tiny
    prompts = [[p[1]] for p in _prompts(6)]  # user messages only: little in common
    made = generate(model, tokenizer, prompts, max_new_tokens=TOKENS, batch_size=3)
    assert [text for text, _ in made] == _plain(model, tokenizer, prompts, batch_size=1)


def test_a_cache_out_of_room_grows_as_transformers_does(tiny) -> None:
    """The batch cache is sized for the longest answer; past that (never in `generate`), or
    after a beam reorder, it falls back to transformers' own growing and answers the same."""
    model, tokenizer = tiny
    prompts = _prompts(4)
    ids = tokenizer([chat_prompt(tokenizer, p) for p in prompts], add_special_tokens=False)
    ids = ids["input_ids"]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    prefix = shared_prefix(model, ids)
    batch = _batch_inputs([ids[i] for i in order], prefix[0], tokenizer.pad_token_id, "cpu")
    width = batch["input_ids"].shape[1]
    with torch.inference_mode():
        cache = _batch_cache(prefix[1], len(ids), width + 3)  # room for 3 new tokens of 12
        made = model.generate(
            **batch, cache=cache, max_new_tokens=TOKENS, do_sample=False, temperature=None,
            top_p=None, top_k=None, pad_token_id=tokenizer.pad_token_id,
        )  # fmt: skip
    assert all(layer.key_buffer is None for layer in cache.layers)  # it left its buffers
    assert cache.get_seq_length() == width + TOKENS - 1
    rows = made[:, width:].tolist()
    cut = [row[: row.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in row else row
           for row in rows]  # fmt: skip
    plain = _plain(model, tokenizer, prompts, batch_size=1)
    assert [tokenizer.decode(row) for row in cut] == [plain[i] for i in order]


def test_a_model_in_training_goes_back_to_training_and_can_still_learn(tiny) -> None:
    model, tokenizer = tiny
    model.train()
    try:
        generate(model, tokenizer, _prompts(3), max_new_tokens=4, batch_size=2)
        assert model.training
        batch = tokenizer(["abc"], return_tensors="pt")
        model(**batch, labels=batch["input_ids"]).loss.backward()  # no inference tensors left
    finally:
        model.zero_grad()
        model.eval()


def test_stopping_before_a_batch_leaves_its_prompts_unanswered(tiny) -> None:
    model, tokenizer = tiny
    calls = []
    made = generate(
        model, tokenizer, _prompts(5), max_new_tokens=4, batch_size=2,
        should_stop=lambda: len(calls) >= 1, progress=calls.append,
    )  # fmt: skip
    assert calls == [2] and sum(a is not None for a in made) == 2


def test_a_small_model_gets_a_bigger_default_batch(tmp_path: Path) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "config.json").write_text(json.dumps({"hidden_size": 128}))
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "config.json").write_text(json.dumps({"hidden_size": 896}))
    assert default_batch_size(tmp_path / "small") == SMALL_MODEL_BATCH
    assert default_batch_size(tmp_path / "big") == DEFAULT_BATCH
    assert default_batch_size(tmp_path / "missing") == DEFAULT_BATCH
