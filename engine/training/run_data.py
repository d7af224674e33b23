"""A run's training data: the frozen snapshot's splits as rows, and rows as a HF Dataset."""

from __future__ import annotations

from engine.training.folder import RunFolder
from engine.training.snapshot_files import load_snapshot, to_hf_datasets


def load_data(folder: RunFolder) -> dict[str, list[dict]]:
    """The frozen snapshot's splits as lists of row dicts."""
    datasets = to_hf_datasets(load_snapshot(folder.snapshot))
    return {name: [dict(r) for r in datasets[name]] for name in datasets}


def dataset(rows: list[dict]):
    """`rows` as a `datasets.Dataset` (what the TRL trainers take)."""
    from datasets import Dataset

    return Dataset.from_list(rows)
