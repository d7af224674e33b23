"""Model presets: the built-in tiny model, local folders, hub ids without a hub, chat helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.demo.tiny_corpus import corpus
from engine.llm.models import (
    IM_END,
    PRESETS,
    TINY_CORPUS_FILE,
    TINY_CORPUS_REPEAT,
    ModelError,
    build_tiny,
    chat_prompt,
    load,
    resolve,
    tokenizer_corpus,
)
from engine.llm.output import split_thinking
from store.home import Home


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("models") / "builtin-tiny")


def test_tiny_tokenizer_round_trips_korean_and_numbers(tiny: Path) -> None:
    _, tokenizer = load(tiny)
    text = '펀드 등급 {"grade": 4} 샤프지수 1.23, 변동성 -12.5% 🙂'
    assert tokenizer.decode(tokenizer(text).input_ids) == text
    assert tokenizer.pad_token != tokenizer.eos_token and tokenizer.eos_token == IM_END
    assert tokenizer.padding_side == "left"


def test_tiny_chat_template_marks_only_the_assistant_turn(tiny: Path) -> None:
    _, tokenizer = load(tiny)
    messages = [
        {"role": "user", "content": "등급?"},
        {"role": "assistant", "content": '{"grade": 3}'},
    ]
    encoded = tokenizer.apply_chat_template(
        messages, return_assistant_tokens_mask=True, return_dict=True
    )
    marked = [t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m]
    assert tokenizer.decode(marked) == '{"grade": 3}' + IM_END
    prompt = chat_prompt(tokenizer, messages[:1])
    assert prompt.endswith("<|im_start|>assistant\n")


def test_tiny_model_generates_and_is_deterministic(tiny: Path, tmp_path: Path) -> None:
    import torch

    again = build_tiny(tmp_path / "again")
    first, _ = load(tiny)
    second, tokenizer = load(again)
    for (name, a), (_, b) in zip(
        first.state_dict().items(), second.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    batch = tokenizer(
        [chat_prompt(tokenizer, [{"role": "user", "content": "x"}])], return_tensors="pt"
    )
    out = first.generate(**batch, max_new_tokens=5, do_sample=False)
    assert out.shape[1] == batch["input_ids"].shape[1] + 5
    assert 100_000 < first.num_parameters() < 2_000_000


def test_resolve_prepares_a_preset_once_then_reuses_it(tmp_path: Path) -> None:
    home = Home(tmp_path / "home").ensure()
    steps: list[str] = []
    folder = resolve(home, "builtin-tiny", progress=lambda f, msg: steps.append(msg))
    assert folder == home.models / "builtin-tiny" and steps[-1] == "built-in tiny model ready"
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert resolve(home, "builtin-tiny") == folder
    assert (folder / "config.json").stat().st_mtime_ns == stamp


def test_resolve_accepts_a_local_model_folder_saved_by_transformers(
    tiny: Path, tmp_path: Path
) -> None:
    model, tokenizer = load(tiny)
    saved = tmp_path / "my-model"
    model.save_pretrained(saved)
    tokenizer.save_pretrained(saved)
    assert resolve(Home(tmp_path / "h"), str(saved)) == saved.resolve()
    reloaded, _ = load(saved)
    assert reloaded.config.model_type == "qwen3"


def test_a_folder_without_a_model_is_refused_plainly(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a Hugging Face model folder"):
        resolve(Home(tmp_path / "h"), str(tmp_path / "empty"))


@pytest.mark.parametrize(
    "spec", ["qwen3-0.6b", "Qwen/Qwen2-0.5B-Instruct", "someone/unknown-model"]
)
def test_hub_models_not_on_disk_say_how_to_bring_a_folder(
    tmp_path: Path, spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="cannot be reached.*local model folder"):
        resolve(Home(tmp_path / "h"), spec)


def test_unknown_model_name_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="unknown model 'gpt'.*smollm2-135m"):
        resolve(Home(tmp_path / "h"), "gpt")


def test_thinking_text_is_split_from_the_answer() -> None:
    assert split_thinking('<think>샤프가 높다</think>\n{"grade": 4}') == (
        "샤프가 높다",
        '{"grade": 4}',
    )
    assert split_thinking('{"grade": 2}') == (None, '{"grade": 2}')
    assert PRESETS["qwen3-0.6b"].thinking and not PRESETS["qwen2-0.5b"].thinking


def test_the_tiny_tokenizer_corpus_is_the_demo_text_of_now() -> None:
    """engine/llm/tiny_corpus.json is `engine.demo.tiny_corpus.corpus()` frozen (the model side
    does not import the demo); after a change of prompts or demo text, write it again with
    `python -m engine.demo.tiny_corpus`."""
    assert json.loads(TINY_CORPUS_FILE.read_text(encoding="utf-8")) == corpus()
    assert tokenizer_corpus() == corpus() * TINY_CORPUS_REPEAT


@pytest.mark.slow  # a real 135M-parameter model: unpacked, loaded and run on the CPU
def test_smollm2_is_prepared_from_its_wheel_and_answers_like_a_chat_model(tmp_path: Path) -> None:
    folder = resolve(Home(tmp_path / "home"), "smollm2-135m")
    config = (folder / "config.json").read_text()
    assert "quantization_config" not in config  # trainers refuse "quantized" folders
    model, tokenizer = load(folder)
    assert 130_000_000 < model.num_parameters() < 140_000_000
    prompt = chat_prompt(
        tokenizer, [{"role": "user", "content": "What is the capital of France? One word."}]
    )
    batch = tokenizer([prompt], return_tensors="pt")
    out = model.generate(**batch, max_new_tokens=8, do_sample=False)
    answer = tokenizer.decode(out[0][batch["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer
