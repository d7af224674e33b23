"""The frozen training set of a run: one row per expert rating of an eligible fund
(docs/training-format.md §1).

`build_snapshot` reads the store once and joins the prompt rows of `engine.training.features`
(facts, prompt, reference scores and grade, grade rule: see that module for how each is made)
with the experts' grades and sub-scores on the run's rating dates, then deals the splits and
applies the analysts' feedback. The rules on top of the features:

- Rating dates. `rating_dates` "last": the ratings on `as_of` (default: the latest rating
  date); "all": every rating date up to `as_of`; a list: those dates (and `as_of` when given).
  The latest date used is the snapshot's `as_of`; every date gets its own features (indicators,
  percentiles and grade rules as of that date). The manifest lists the dates.
- Dropped ratings. A rating of a fund that is not in the funds table, or that the methodology
  does not rate at that date (eligibility), gives no row; the manifest lists each with its
  reason. `max_funds` keeps the first funds in the seed's hash order (all their ratings).
- Split, by fund and stratified by the store's expert grade on the latest date: funds are
  ordered by (grade, sha256(f"{seed}:{fund_id}")) and dealt out in that order, each to the
  split furthest below its share so far; so the fractions hold to within one fund overall and
  within about one fund per grade. A fund rated only earlier trains. Validation and test hold
  the latest date only (an evaluation grades each fund once): a held-out fund's earlier ratings
  are left out, never moved to training. So a run on several dates has the same validation and
  test funds as a run on the latest date alone.
- Feedback (analysts' corrections): rows (fund_id, as_of, corrected_grade, weight) replace
  `expert_grade` and set `sample_weight` of the training row of that fund and date; the last
  row per (fund, date) wins. Validation and test labels never change: an accepted AI grade
  there would be the parent model's own answer, judged against itself. The manifest records
  each applied and each skipped item with its reason. Feedback never moves a fund to another
  split (the store's grade is the stratum).
- `sha256` hashes the rows' content (canonical JSON of every row, splits in order), so the
  same store and arguments give the same hash; `created_at` is in the manifest only.

`snapshot_for(home, config)` is how every caller builds one: the methodology, rating dates,
language, seed, splits and prompt style come from a `RunConfig` (an empty methodology is the
active one; no version is the active version when that methodology is active, else its latest).

`write_snapshot` writes `{train,validation,test}.parquet` and `manifest.json` (with each file's
sha256); `load_snapshot` checks both hashes; `to_hf_datasets` gives TRL its DatasetDict.

The parts are in engine/training/: features (prompt rows of any fund), snapshot_format
(columns, `Snapshot`, canonical JSON), snapshot_inputs (inputs per criterion), grade_rules
(cutoffs), splits, snapshot_rows (ratings joined, funds kept, splits dealt), snapshot_feedback
and snapshot_files (hashes and Parquet).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from engine.methodology import active, body_sha256, get
from engine.training.config import RunConfig, TrainingError, rating_date_choice
from engine.training.features import (
    LANGUAGES,
    PROMPT_STYLES,
    check_choices,
    features_from,
    fund_grade_rules,
    inputs_until,
    read_inputs,
)
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
    as_date,
)
from engine.training.snapshot_rows import deal_splits, keep_funds, rated_rows
from engine.training.splits import assign_splits, check_splits
from store import prices
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
    "rating_dates_for",
    "resolve_methodology",
    "snapshot_for",
    "to_hf_datasets",
    "write_snapshot",
]

log = logging.getLogger(__name__)

DROP_KINDS = ("unknown_fund", "not_eligible", "max_funds", "held_out_earlier")
WHOLE = (1.0, 0.0, 0.0)  # splits that put every row in "train": evaluations, live prompts
SHOWN_DATES = 5


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
    rating_dates: str | Sequence[Any] = "last",
) -> Snapshot:
    """One row per expert rating of an eligible fund on the rating dates, split by fund (see
    module doc).

    Raises MethodologyError for an unknown methodology or version, SnapshotError when there are
    no ratings on a date asked for, no row is left, or an argument is invalid.
    """
    check_choices(language, prompt_style)
    fractions = check_splits(splits)
    if max_funds is not None and max_funds < 1:
        raise SnapshotError(f"max_funds must be at least 1, not {max_funds}")
    try:
        choice = rating_date_choice(rating_dates)
    except ValueError as exc:
        raise SnapshotError(str(exc)) from None
    with connect(home) as con:
        doc = get(con, methodology_id, version)
        dates = rating_dates_for(prices.rating_dates_ascending(con), as_of, choice)
        ratings = prices.ratings_on(con, dates)
        rating_scores = prices.rating_scores_on(con, dates)
        latest = read_inputs(con, doc, dates[-1])
    features, dropped = [], []
    for when in dates:
        inputs = latest if when == dates[-1] else inputs_until(latest, when)
        rated = ratings.loc[pd.to_datetime(ratings["as_of"]).dt.date == when, "fund_id"]
        frame = features_from(inputs, rated, language=language, prompt_style=prompt_style)
        dropped += [{**d, "as_of": when.isoformat()} for d in frame.attrs.pop("excluded")]
        features.append(frame)
    table = rated_rows(doc, pd.concat(features, ignore_index=True), ratings, rating_scores)
    table, beyond = keep_funds(table, seed, max_funds)
    if table.empty:
        reasons = "; ".join(sorted({d["reason"] for d in dropped})[:3])
        raise SnapshotError(
            f"none of the {len(ratings)} ratings on {_dates_text(dates)} can be used with "
            f"methodology '{doc['id']}' v{doc['version']}" + (f": {reasons}" if reasons else "")
        )
    table, held_out = deal_splits(table, dates[-1], seed, fractions)
    dropped = sorted(dropped + beyond + held_out, key=lambda d: (d["fund_id"], d["as_of"]))
    iso = [d.isoformat() for d in dates]
    applied, skipped = feedback_items(feedback, iso, table)
    for item in applied:
        where = (table["fund_id"] == item["fund_id"]) & (table["as_of"] == item["as_of"])
        item["previous_grade"] = int(table.loc[where, "expert_grade"].iloc[0])
        table.loc[where, "expert_grade"] = item["corrected_grade"]
        table.loc[where, "sample_weight"] = item["weight"]
    table = table.astype(
        {"expert_grade": "int64", "reference_grade": "Int64", "methodology_version": "int64"}
    ).astype({"sample_weight": "float64"})
    frames = {
        s: table[table["split"] == s].sort_values(["fund_id", "as_of"]).reset_index(drop=True)
        for s in SPLITS
    }
    sha = content_sha256(frames)
    manifest = {
        "format_version": FORMAT_VERSION,
        "methodology_id": doc["id"],
        "methodology_version": int(doc["version"]),
        "methodology_sha256": body_sha256(doc),
        "as_of": iso[-1],
        "rating_dates": iso,
        "language": language,
        "prompt_style": prompt_style,
        "seed": seed,
        "splits": dict(zip(SPLITS, fractions, strict=True)),
        "max_funds": max_funds,
        "counts": {s: len(frames[s]) for s in SPLITS},
        "funds": {s: int(frames[s]["fund_id"].nunique()) for s in SPLITS},
        "rows_per_date": {d: int((table["as_of"] == d).sum()) for d in iso},
        "grade_distribution": {s: _distribution(frames[s]["expert_grade"]) for s in SPLITS},
        "rated_funds": len(ratings),
        "rows_without_reference_grade": int(table["reference_grade"].isna().sum()),
        "dropped": dropped,
        "dropped_counts": {k: sum(d["kind"] == k for d in dropped) for k in DROP_KINDS},
        "feedback": {"applied": applied, "skipped": skipped},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": sha,
    }
    log.info(
        "snapshot of %s v%s on %s: %d rows (%s), %d dropped, %d feedback items",
        doc["id"], doc["version"], _dates_text(dates), len(table),
        ", ".join(f"{s} {len(frames[s])}" for s in SPLITS), len(dropped), len(applied),
    )  # fmt: skip
    return Snapshot(frames, manifest, sha)


def rating_dates_for(
    store_dates: list[date], as_of: date | str | None, choice: str | list[date]
) -> list[date]:
    """The rating dates a snapshot uses, oldest first (module doc, "Rating dates")."""
    if not store_dates:
        raise SnapshotError("the store holds no expert ratings: upload a ratings file first")
    wanted = [as_date(as_of)] if as_of is not None else []
    if isinstance(choice, list):
        wanted += choice
    for when in wanted:
        if when not in store_dates:
            shown = ", ".join(str(d) for d in store_dates[-SHOWN_DATES:])
            more = len(store_dates) - SHOWN_DATES
            raise SnapshotError(
                f"no expert ratings on {when}; rating dates in the store: {shown}"
                + (f" (and {more} earlier)" if more > 0 else "")
            )
    if isinstance(choice, list):
        return sorted(set(wanted))
    last = wanted[0] if wanted else store_dates[-1]
    return [d for d in store_dates if d <= last] if choice == "all" else [last]


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


def grade_rules_at(
    home: Home, methodology_id: str, version: int | None, as_of: date | str | None
) -> dict[str, dict]:
    """fund_id -> the `grade_rule` a snapshot of the methodology at the rating date `as_of`
    (the latest when None) gives the fund, without building the snapshot.

    Raises MethodologyError for an unknown methodology or version, SnapshotError when there is
    no rating date.
    """
    with connect(home) as con:
        doc = get(con, methodology_id, version)
        dates = rating_dates_for(prices.rating_dates_ascending(con), as_of, "last")
        inputs = read_inputs(con, doc, dates[-1])
    return fund_grade_rules(inputs)


def snapshot_for(
    home: Home,
    config: RunConfig,
    *,
    feedback: pd.DataFrame | None = None,
    max_funds: int | None = None,
) -> Snapshot:
    """The snapshot `config` describes (methodology as `resolve_methodology`, rating dates,
    language, seed, splits, prompt style), with `feedback` applied and at most `max_funds` funds.

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
        rating_dates=config.rating_dates,
    )


def _distribution(grades: pd.Series) -> dict[str, int]:
    return {str(g): int(n) for g, n in grades.value_counts().sort_index().items()}


def _dates_text(dates: list[date]) -> str:
    if len(dates) == 1:
        return str(dates[0])
    return f"{len(dates)} rating dates ({dates[0]} to {dates[-1]})"
