"""The frozen training set of a run: one prompt per expert-rated fund (docs/training-format.md §1).

`build_snapshot` reads the store once and builds one row per fund that the expert rated at
`as_of` (default: the latest rating date) and that the methodology deems eligible. Its columns
are the contract's; the rules behind them:

- Inputs. Indicators as of `as_of` for the windows the methodology needs, computed once for the
  whole universe; qualitative scores (with their notes) are the latest on or before `as_of`, the
  fund's own, or its management company's for a "company" section. The prompt shows, per
  criterion, the value the reference scorer reads (the window's, else the fallback window's) and
  its category percentile among eligible funds, 100 = best (reversed when lower is better):
  exactly the percentile the scorer bands. See `engine.llm.prompts` for the text and the numbers.
- Reference. `reference_scores` / `reference_grade` are `engine.methodology.scoring.score` over the whole
  universe (so they equal `score_funds` at the same as_of); a fund whose missing inputs weigh
  too much keeps its row with `reference_grade` null.
- Dropped funds. An expert rating of a fund that is not in the funds table, or that the
  methodology does not rate (eligibility), gives no row; the manifest lists each with its reason.
  `max_funds` keeps the first funds in the seed's hash order and drops the rest.
- Split, by fund and stratified by the store's expert grade: funds are ordered by (grade,
  sha256(f"{seed}:{fund_id}")) and dealt out in that order, each to the split furthest below its
  share so far; so the fractions hold to within one fund overall and within about one fund per
  grade. Feedback never moves a fund to another split (the store's grade is the stratum).
- `grade_rule` (what the consistency reward needs): `weights` are effective weights as fractions
  of 1; `cutoffs` [[5, c5], [4, c4], [3, c3], [2, c2], [1, c1]] are read from the top: a total
  gets the first grade whose cutoff it reaches, null = any total (`engine.llm.rewards.rule_grade`). Thresholds scale: the scale's `min_score`s,
  grade 1 null. Percentile scale, per category, from the reference totals of its graded funds:
  c_g = the lowest total among funds graded g or better. Edge cases: a grade nobody got below
  the best grade present takes the cutoff of the grade above it (carried: it is never given, as
  in the data); the lowest grade present gets null (any lower total gets it; a fund alone in its
  category is always graded 3 by a percentile scale); grades above the best grade present get
  UNREACHABLE_TOTAL (6.0, above the 1-5 scale), and so do all five in a category without any
  graded fund (no grade follows). These cutoffs give every graded fund its reference grade
  from its reference total.
- Feedback (analysts' corrections): rows (fund_id, as_of, corrected_grade, weight) for the
  snapshot's date replace `expert_grade` and set `sample_weight`; the last row per fund wins;
  the manifest records each applied and each skipped item.
- `sha256` hashes the rows' content (canonical JSON of every row, splits in order), so the
  same store and arguments give the same hash; `created_at` is in the manifest only.

`snapshot_for(home, config)` is how every caller builds one: the methodology, rating date,
language, seed, splits and prompt style come from a `RunConfig` (an empty methodology is the
active one; no version is the active version when that methodology is active, else its latest).

`write_snapshot` writes `{train,validation,test}.parquet` and `manifest.json` (with each file's
sha256); `load_snapshot` checks both hashes; `to_hf_datasets` gives TRL its DatasetDict.

The parts are in engine/training/: snapshot_format (columns, `Snapshot`, canonical JSON),
snapshot_inputs (reading the store, inputs per criterion), grade_rules (cutoffs), splits,
snapshot_feedback, snapshot_rows (rows and prompts) and snapshot_files (hashes and Parquet).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pandas as pd

from engine.methodology import active, body_sha256
from engine.methodology.scoring import score
from engine.training.config import RunConfig, TrainingError
from engine.training.grade_rules import UNREACHABLE_TOTAL, grade_rules
from engine.training.snapshot_feedback import FEEDBACK_COLUMNS, feedback_items
from engine.training.snapshot_files import (
    content_sha256,
    load_snapshot,
    to_hf_datasets,
    write_snapshot,
)
from engine.training.snapshot_format import (
    COLUMNS,
    FORMAT_VERSION,
    MANIFEST,
    SPLITS,
    Snapshot,
    SnapshotError,
)
from engine.training.snapshot_inputs import read_store
from engine.training.snapshot_rows import build_rows, select_rows
from engine.training.splits import assign_splits, check_splits
from store.db import connect
from store.home import Home

__all__ = [
    "COLUMNS",
    "DROP_KINDS",
    "FEEDBACK_COLUMNS",
    "FORMAT_VERSION",
    "LANGUAGES",
    "MANIFEST",
    "PROMPT_STYLES",
    "SPLITS",
    "UNREACHABLE_TOTAL",
    "WHOLE",
    "Snapshot",
    "SnapshotError",
    "assign_splits",
    "build_snapshot",
    "content_sha256",
    "grade_rules",
    "load_snapshot",
    "resolve_methodology",
    "snapshot_for",
    "to_hf_datasets",
    "write_snapshot",
]

log = logging.getLogger(__name__)

LANGUAGES = ("ko", "en")
# full: the whole methodology and the fund's table (real models); compact: the answer template
# and one line per criterion (~200 tokens instead of ~750), which the byte-level tiny model can read
PROMPT_STYLES = ("full", "compact")
DROP_KINDS = ("unknown_fund", "not_eligible", "max_funds")
WHOLE = (1.0, 0.0, 0.0)  # splits that put every row in "train": evaluations, live prompts


def build_snapshot(
    home: Home,
    methodology_id: str,
    version: int | None = None,
    as_of: date | str | None = None,
    *,
    language: str = "ko",
    seed: int = 0,
    splits: tuple[float, float, float] = (0.7, 0.15, 0.15),
    feedback: pd.DataFrame | None = None,
    max_funds: int | None = None,
    prompt_style: str = "full",
) -> Snapshot:
    """One prompt per expert-rated, eligible fund at `as_of`, split by fund (see module doc).

    Raises MethodologyError for an unknown methodology or version, SnapshotError when there are
    no ratings at `as_of`, no row is left, or an argument is invalid.
    """
    if language not in LANGUAGES:
        raise SnapshotError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if prompt_style not in PROMPT_STYLES:
        raise SnapshotError(
            f"prompt_style must be one of {', '.join(PROMPT_STYLES)}, not {prompt_style!r}"
        )
    fractions = check_splits(splits)
    if max_funds is not None and max_funds < 1:
        raise SnapshotError(f"max_funds must be at least 1, not {max_funds}")
    data = read_store(home, methodology_id, version, as_of)
    doc, as_of = data["doc"], data["as_of"]
    funds = data["funds"]
    scored = score(doc, data["indicators"], data["qualitative"], funds, as_of)
    rows, dropped = select_rows(data["ratings"], scored, seed, max_funds)
    if rows.empty:
        reasons = "; ".join(sorted({d["reason"] for d in dropped})[:3])
        raise SnapshotError(
            f"none of the {len(data['ratings'])} funds rated on {as_of} can be used with "
            f"methodology '{doc['id']}' v{doc['version']}" + (f": {reasons}" if reasons else "")
        )
    table = build_rows(doc, language, data, scored, rows, prompt_style)
    table["split"] = assign_splits(table["fund_id"], table["expert_grade"], seed, fractions)
    applied, skipped = feedback_items(feedback, as_of, table)
    for item in applied:
        where = table["fund_id"] == item["fund_id"]
        item["previous_grade"] = int(table.loc[where, "expert_grade"].iloc[0])
        table.loc[where, "expert_grade"] = item["corrected_grade"]
        table.loc[where, "sample_weight"] = item["weight"]
    table = table.astype(
        {"expert_grade": "int64", "reference_grade": "Int64", "methodology_version": "int64"}
    ).astype({"sample_weight": "float64"})
    frames = {
        s: table[table["split"] == s].sort_values("fund_id").reset_index(drop=True) for s in SPLITS
    }
    sha = content_sha256(frames)
    manifest = {
        "format_version": FORMAT_VERSION,
        "methodology_id": doc["id"],
        "methodology_version": int(doc["version"]),
        "methodology_sha256": body_sha256(doc),
        "as_of": as_of.isoformat(),
        "language": language,
        "prompt_style": prompt_style,
        "seed": seed,
        "splits": dict(zip(SPLITS, fractions, strict=True)),
        "max_funds": max_funds,
        "counts": {s: len(frames[s]) for s in SPLITS},
        "grade_distribution": {s: _distribution(frames[s]["expert_grade"]) for s in SPLITS},
        "rated_funds": len(data["ratings"]),
        "rows_without_reference_grade": int(table["reference_grade"].isna().sum()),
        "dropped": dropped,
        "dropped_counts": {k: sum(d["kind"] == k for d in dropped) for k in DROP_KINDS},
        "feedback": {"applied": applied, "skipped": skipped},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": sha,
    }
    log.info(
        "snapshot of %s v%s as of %s: %d rows (%s), %d dropped, %d feedback items",
        doc["id"], doc["version"], as_of, len(table),
        ", ".join(f"{s} {len(frames[s])}" for s in SPLITS), len(dropped), len(applied),
    )  # fmt: skip
    return Snapshot(frames, manifest, sha)


def resolve_methodology(
    home: Home, methodology_id: str, version: int | None
) -> tuple[str, int | None]:
    """(id, version) to build from: an empty id is the active methodology and version; no
    version is the active one when `methodology_id` is active, else None (its latest)."""
    if methodology_id and version is not None:
        return methodology_id, version
    with connect(home) as con:
        chosen = active(con)
    if not methodology_id:
        if chosen is None:
            raise TrainingError(
                "no methodology is active: choose one (--methodology) or activate a version"
            )
        return chosen
    if chosen and chosen[0] == methodology_id:
        return methodology_id, chosen[1]
    return methodology_id, version


def snapshot_for(
    home: Home,
    config: RunConfig,
    *,
    feedback: pd.DataFrame | None = None,
    max_funds: int | None = None,
) -> Snapshot:
    """The snapshot `config` describes (methodology as `resolve_methodology`, rating date,
    language, seed, splits, prompt style), with `feedback` applied and at most `max_funds` rows.

    Raises TrainingError when no methodology is given and none is active, else as
    `build_snapshot`.
    """
    methodology_id, version = resolve_methodology(
        home, config.methodology_id, config.methodology_version
    )
    return build_snapshot(
        home,
        methodology_id,
        version,
        config.as_of,
        language=config.language,
        seed=config.seed,
        splits=tuple(config.splits),
        feedback=feedback,
        max_funds=max_funds,
        prompt_style=config.prompt_style,
    )


def _distribution(grades: pd.Series) -> dict[str, int]:
    return {str(g): int(n) for g, n in grades.value_counts().sort_index().items()}
