"""Where a model runs and in which precision: one answer for training, evaluation and the app.

Settings are the words of the run and evaluation configs: a device is auto (a GPU when there
is one), cpu or cuda; bfloat16 is auto (on GPUs that support it), on or off; an evaluation's
dtype is auto or a torch dtype name.
"""

from __future__ import annotations


class DeviceError(RuntimeError):
    """A device or precision was asked for that this machine cannot give; the message says which."""


def resolve_device(setting: str = "auto") -> str:
    """'cuda' or 'cpu' for a device setting (auto: a GPU when there is one)."""
    import torch

    if setting == "cuda" and not torch.cuda.is_available():
        raise DeviceError("device 'cuda' was asked for, but this machine has no usable GPU")
    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return setting


def bf16_supported(device: str) -> bool:
    """Whether `device` computes in bfloat16 (a GPU that supports it)."""
    import torch

    return device == "cuda" and torch.cuda.is_bf16_supported()


def use_bf16(setting: str, device: str) -> bool:
    """Whether to train in bfloat16 for a setting auto | on | off on `device`."""
    supported = bf16_supported(device)
    if setting == "on" and not supported:
        raise DeviceError("bf16 was asked for, but the device does not support bfloat16")
    return supported if setting == "auto" else setting == "on"


def resolve_dtype(setting: str, device: str) -> str:
    """The torch dtype name for a dtype setting: auto is bfloat16 where supported, else float32."""
    if setting != "auto":
        return setting
    return "bfloat16" if bf16_supported(device) else "float32"


def gpu_count(device: str) -> int:
    """How many GPUs `device` stands for (0 on the CPU)."""
    import torch

    return torch.cuda.device_count() if device == "cuda" else 0
