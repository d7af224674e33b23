"""Which process of a training run this is, and agreement between ranks.

Under `accelerate launch` every GPU (or CPU process) has its own process (rank); only rank 0
writes the run folder's status and events.
"""

from __future__ import annotations

import os


def is_main_process() -> bool:
    """Whether this is rank 0 (a single-process run always is)."""
    return int(os.environ.get("RANK", "0")) == 0


def world_size() -> int:
    """How many ranks train together (1 outside `accelerate launch`)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def agree_any(flag: bool) -> bool:
    """`flag` from any rank (all ranks must stop at the same step)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return flag
    import torch

    value = torch.tensor([1.0 if flag else 0.0])
    if dist.get_backend() == "nccl":
        value = value.cuda()
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)
