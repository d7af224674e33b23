"""Hardware policy of a training run: vLLM generation and gradient checkpointing."""

from __future__ import annotations

import importlib.util

from engine.training.config import RunConfig, TrainingError

CHECKPOINTING_FROM_PARAMS = 50e6  # smaller models: recomputing activations only costs time


def use_vllm(config: RunConfig, device: str) -> bool:
    """Whether RL generates with vLLM: "auto" when on a GPU with the package installed."""
    available = device == "cuda" and importlib.util.find_spec("vllm") is not None
    if config.use_vllm == "on" and not available:
        raise TrainingError("vLLM was asked for, but it needs a GPU and the vllm package")
    return available if config.use_vllm == "auto" else config.use_vllm == "on"
