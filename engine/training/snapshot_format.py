"""The snapshot contract (docs/training-format.md §1): its columns, splits, the `Snapshot` and
its error, and the canonical JSON its cells and hash are written in."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "test")
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
COLUMNS = [
    "fund_id",
    "fund_name",
    "category",
    "as_of",
    "split",
    "language",
    "prompt",
    "expert_grade",
    "expert_scores",
    "reference_grade",
    "reference_scores",
    "facts",
    "grade_rule",
    "top_criteria",
    "methodology_id",
    "methodology_version",
    "sample_weight",
]


class SnapshotError(ValueError):
    """A snapshot cannot be built, written or loaded; the message says why and what to do."""


@dataclass
class Snapshot:
    """The frozen rows per split (`frames`), what they were built from (`manifest`), their hash."""

    frames: dict[str, pd.DataFrame]
    manifest: dict
    sha256: str

    def rows(self) -> pd.DataFrame:
        """All rows, splits in order."""
        return pd.concat([self.frames[s] for s in SPLITS], ignore_index=True)


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, text as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def plain(value: Any) -> Any:
    """A cell as plain JSON-able Python (numpy scalars, arrays and NA made plain)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def as_date(value: date | str | pd.Timestamp) -> date:
    """`value` as a date; SnapshotError when it is not one."""
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as exc:
        raise SnapshotError(f"'{value}' is not a date (expected YYYY-MM-DD)") from exc
