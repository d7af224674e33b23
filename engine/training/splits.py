"""How a snapshot deals funds to splits: by fund, stratified by grade, in the seed's hash order
(see `engine.training.snapshot`'s module doc)."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import pandas as pd

from engine.training.snapshot_format import SPLITS, SnapshotError

FRACTION_TOLERANCE = 1e-6


def hash_key(fund_id: str, seed: int) -> str:
    """The fund's place in the seed's order: sha256 of "seed:fund_id"."""
    return hashlib.sha256(f"{seed}:{fund_id}".encode()).hexdigest()


def check_splits(splits: Any) -> tuple[float, float, float]:
    """`splits` as three fractions (train, validation, test) >= 0 that sum to 1."""
    try:
        fractions = tuple(float(x) for x in splits)
    except (TypeError, ValueError) as exc:
        raise SnapshotError(
            f"splits must be three numbers (train, validation, test), not {splits!r}"
        ) from exc
    if len(fractions) != len(SPLITS) or any(not math.isfinite(f) or f < 0 for f in fractions):
        raise SnapshotError(
            f"splits must be three fractions >= 0 (train, validation, test), not {splits!r}"
        )
    if abs(sum(fractions) - 1.0) > FRACTION_TOLERANCE:
        raise SnapshotError(f"splits must sum to 1, not {sum(fractions):g} ({splits!r})")
    return fractions  # type: ignore[return-value]


def assign_splits(
    fund_ids: pd.Series, strata: pd.Series, seed: int, fractions: tuple[float, float, float]
) -> pd.Series:
    """Split name per fund: ordered by (stratum, hash of seed and fund), each dealt to the split
    furthest below its share so far (see module doc)."""
    keys = fund_ids.map(lambda f: hash_key(f, seed))
    order = pd.DataFrame({"stratum": strata, "key": keys}).sort_values(["stratum", "key"]).index
    share = np.array(fractions)
    dealt = np.zeros(len(SPLITS))
    chosen = {}
    for count, index in enumerate(order, start=1):
        k = int(np.argmax(count * share - dealt))
        dealt[k] += 1
        chosen[index] = SPLITS[k]
    return pd.Series([chosen[i] for i in fund_ids.index], index=fund_ids.index, dtype="str")
