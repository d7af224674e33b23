"""A grade-stratified sample of rows: the validation funds a run measures itself on.

`stratified_sample(rows, n, seed)` keeps each expert grade's share of `rows` (largest-remainder
quotas, at least one row per grade when `n` allows it) and draws the rows of each grade with
numpy's generator seeded by `seed`, so the same rows and seed give the same sample. The first
`n` funds by id would over-represent whatever grades those ids happen to have.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

GRADE_KEY = "expert_grade"


def quotas(counts: dict[Hashable, int], n: int) -> dict[Hashable, int]:
    """How many of `n` draws each stratum gets: proportional to its count (largest remainder),
    at least one per stratum when `n` covers every stratum, never more than its count."""
    total = sum(counts.values())
    if n >= total:
        return dict(counts)
    order = sorted(counts, key=_order)
    share = {k: n * counts[k] / total for k in order}
    floor = 1 if n >= len(order) else 0
    out = {k: min(counts[k], max(floor, int(share[k]))) for k in order}
    while sum(out.values()) < n:  # the largest remainders first, then the lower stratum
        room = [k for k in order if out[k] < counts[k]]
        pick = max(room, key=lambda k: share[k] - out[k])
        out[pick] += 1
    while sum(out.values()) > n:  # the minimum of one pushed the total over n
        over = [k for k in order if out[k] > floor]
        pick = min(over, key=lambda k: share[k] - out[k])
        out[pick] -= 1
    return out


def stratified_sample(
    rows: Sequence[dict[str, Any]], n: int, seed: int, key: str = GRADE_KEY
) -> list[dict[str, Any]]:
    """`n` of `rows` with each value of `rows[i][key]` in proportion (see `quotas`), in the
    order of `rows`; all of them when `n` is at least their number."""
    if n >= len(rows):
        return list(rows)
    if n <= 0:
        return []
    strata: dict[Hashable, list[int]] = {}
    for i, row in enumerate(rows):
        strata.setdefault(_stratum(row.get(key)), []).append(i)
    wanted = quotas({k: len(v) for k, v in strata.items()}, n)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    for stratum in sorted(strata, key=_order):
        members = strata[stratum]
        picks = rng.permutation(len(members))[: wanted[stratum]]
        chosen += [members[int(p)] for p in picks]
    return [rows[i] for i in sorted(chosen)]


def grade_counts(rows: Sequence[dict[str, Any]], key: str = GRADE_KEY) -> dict[str, int]:
    """Rows per value of `key`, as text ('1'..'5', 'None'), lowest first."""
    counts = Counter(_stratum(row.get(key)) for row in rows)
    return {str(k): counts[k] for k in sorted(counts, key=_order)}


def _stratum(value: Any) -> Hashable:
    """A grade as an int (3.0 and 3 are one stratum); None for a missing one."""
    if value is None or value != value:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def _order(stratum: Hashable) -> tuple[int, str]:
    """Strata sorted with numbers first (ascending), then text, then None."""
    if stratum is None:
        return (2, "")
    if isinstance(stratum, int):
        return (0, f"{stratum:012d}")
    return (1, str(stratum))
