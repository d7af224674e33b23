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
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.data.metrics import INDICATORS, compute_indicators, load_inputs
from engine.llm.prompts import (
    CriterionInput,
    FundInput,
    compact_messages,
    criterion_name,
    render,
    rules_text,
)
from engine.methodology import (
    active,
    body_sha256,
    effective_weight,
    get,
    iter_criteria,
    windows_needed,
)
from engine.methodology.scoring import DECIMALS, PERCENTILE_SCALE, _months, category_pct, score
from engine.training.config import RunConfig, TrainingError
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")
LANGUAGES = ("ko", "en")
# full: the whole methodology and the fund's table (real models); compact: the answer template
# and one line per criterion (~200 tokens instead of ~750), which the byte-level tiny model can read
PROMPT_STYLES = ("full", "compact")
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TOP_CRITERIA = 3
UNREACHABLE_TOTAL = 6.0  # a cutoff above the 1-5 scale: no total reaches it
FRACTION_TOLERANCE = 1e-6
WEIGHT_DECIMALS = 12
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
FEEDBACK_COLUMNS = ("fund_id", "as_of", "corrected_grade")
DROP_KINDS = ("unknown_fund", "not_eligible", "max_funds")
WHOLE = (1.0, 0.0, 0.0)  # splits that put every row in "train": evaluations, live prompts


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


# ---------------------------------------------------------------- small helpers


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    """A cell as plain JSON-able Python (numpy scalars, arrays and NA made plain)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def content_sha256(frames: dict[str, pd.DataFrame]) -> str:
    """SHA-256 of the rows' content: canonical JSON of each row, splits in SPLITS order."""
    digest = hashlib.sha256()
    for name in SPLITS:
        frame = frames[name]
        for record in frame[COLUMNS].to_dict("records"):
            digest.update(_dumps(_plain(record)).encode("utf-8"))
            digest.update(b"\n")
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hash_key(fund_id: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{fund_id}".encode()).hexdigest()


def _score_value(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


# ---------------------------------------------------------------- grade rules


def _cutoffs(grades: pd.Series, totals: pd.Series) -> list[list]:
    """Percentile-scale cutoffs of one category from its graded funds (see module doc)."""
    present = sorted({int(g) for g in grades})
    out = []
    for g in (5, 4, 3, 2, 1):
        if not present or g > present[-1]:
            out.append([g, UNREACHABLE_TOTAL])
        elif g <= present[0]:
            out.append([g, None])
        else:
            out.append([g, round(float(totals[grades >= g].min()), DECIMALS)])
    return out


def grade_rules(doc: dict, scored: pd.DataFrame) -> dict[str, dict]:
    """Per category of `scored` (the reference scorer's output): its grade_rule."""
    weights = {
        c["id"]: round(effective_weight(s, c) / 100.0, WEIGHT_DECIMALS)
        for s, c in iter_criteria(doc)
    }
    scale = doc["grade_scale"]
    categories = sorted(scored["category"].dropna().unique())
    if scale["method"] == "thresholds":
        cutoffs = [[b["grade"], float(b["min_score"])] for b in scale["bands"]]
        cutoffs[-1][1] = None
        return {
            c: {"weights": weights, "method": "thresholds", "cutoffs": cutoffs} for c in categories
        }
    graded = scored[scored["grade"].notna()]
    rules = {}
    for category in categories:
        peers = graded[graded["category"] == category]
        cutoffs = _cutoffs(peers["grade"].astype(int), peers["total"])
        rules[category] = {"weights": weights, "method": "thresholds", "cutoffs": cutoffs}
    return rules


# ---------------------------------------------------------------- reading the store


def _as_date(value: date | str | pd.Timestamp) -> date:
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError) as exc:
        raise SnapshotError(f"'{value}' is not a date (expected YYYY-MM-DD)") from exc


def _read_store(home: Home, methodology_id: str, version: int | None, as_of: Any) -> dict:
    """Everything the snapshot needs, read in one connection (results fetched before closing)."""
    with connect(home) as con:
        doc = get(con, methodology_id, version)
        dates = [
            r[0] for r in con.execute("SELECT DISTINCT as_of FROM ratings ORDER BY 1").fetchall()
        ]
        if not dates:
            raise SnapshotError("the store holds no expert ratings: upload a ratings file first")
        as_of = _as_date(as_of) if as_of is not None else dates[-1]
        if as_of not in dates:
            shown = ", ".join(str(d) for d in dates[-5:])
            raise SnapshotError(
                f"no expert ratings on {as_of}; rating dates in the store: {shown}"
                + (f" (and {len(dates) - 5} earlier)" if len(dates) > 5 else "")
            )
        data = {
            "doc": doc,
            "as_of": as_of,
            "funds": con.execute(
                "SELECT f.fund_id, f.fund_name, f.category, f.company_id,"
                " coalesce(c.name, f.company_id) AS company_name, f.inception_date, f.aum,"
                " f.currency FROM funds f LEFT JOIN companies c USING (company_id)"
                " ORDER BY f.fund_id"
            ).df(),
            "ratings": con.execute(
                "SELECT fund_id, grade FROM ratings WHERE as_of = ? ORDER BY fund_id", [as_of]
            ).df(),
            "rating_scores": con.execute(
                "SELECT fund_id, criterion_id, score FROM rating_scores WHERE as_of = ?", [as_of]
            ).df(),
            "qualitative": con.execute(
                "SELECT subject_id, subject_kind, as_of, criterion_id, score, note FROM qualitative"
                " WHERE as_of <= ?",
                [as_of],
            ).df(),
            "inputs": load_inputs(con, as_of) if windows_needed(doc) else None,
        }
    if data["inputs"] is not None:
        data["indicators"] = compute_indicators(data["inputs"], as_of, windows_needed(doc))
    else:
        data["indicators"] = pd.DataFrame(
            {"fund_id": pd.Series(dtype=object), "window": pd.Series(dtype=object)}
        )
    return data


# ---------------------------------------------------------------- per-criterion inputs


def _latest_reviews(qualitative: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The latest (score, note) per (subject_kind, subject_id, criterion_id); the scorer's rule."""
    dated = pd.to_datetime(qualitative["as_of"])
    seen = qualitative.assign(as_of=dated)[dated <= pd.Timestamp(as_of)]
    seen = seen.sort_values("as_of", kind="stable")
    latest = seen.drop_duplicates(["subject_kind", "subject_id", "criterion_id"], keep="last")
    return latest.set_index(["subject_kind", "subject_id", "criterion_id"])[["score", "note"]]


def _criterion_inputs(
    doc: dict, funds: pd.DataFrame, eligible: np.ndarray, data: dict, at: np.ndarray
) -> list[dict[str, CriterionInput]]:
    """Per row (position `at` in `funds`), what the prompt shows for each criterion.

    Values and percentiles are computed for the whole universe, criterion by criterion, as the
    scorer does (percentiles among eligible funds of the category, the fallback window ranked
    among its own peers, reversed when lower is better); then picked for the rows.
    """
    category = funds["category"].where(eligible)
    tables = {
        w: rows.drop_duplicates("fund_id").set_index("fund_id")
        for w, rows in data["indicators"].groupby("window")
    }
    reviews = _latest_reviews(data["qualitative"], data["as_of"])
    out: list[dict[str, CriterionInput]] = [{} for _ in at]
    for section, criterion in iter_criteria(doc):
        cid, measure = criterion["id"], criterion["measure"]
        if measure["type"] == "qualitative":
            kind = "company" if section["kind"] == "company" else "fund"
            subject = funds["company_id"] if kind == "company" else funds["fund_id"]
            keys = pd.MultiIndex.from_arrays(
                [
                    np.full(len(at), kind),
                    subject.to_numpy(object)[at],
                    np.full(len(at), measure["criterion"]),
                ]
            )
            found = reviews.reindex(keys)
            for row, (got, note) in enumerate(zip(found["score"], found["note"], strict=True)):
                out[row][cid] = CriterionInput(
                    score=None if pd.isna(got) else int(got),
                    note=note.strip() if isinstance(note, str) and note.strip() else None,
                )
            continue
        value, pct = np.full(len(funds), np.nan), np.full(len(funds), np.nan)
        window = np.full(len(funds), None, dtype=object)
        for name in (measure["window"], measure.get("fallback_window")):
            table = tables.get(name)
            if table is None or measure["indicator"] not in table.columns:
                continue
            found = table[measure["indicator"]].reindex(funds["fund_id"]).to_numpy(float)
            raw = pd.Series(found, index=funds.index).where(eligible)
            take = np.isnan(value) & raw.notna().to_numpy()
            value = np.where(take, raw.to_numpy(), value)
            pct = np.where(take, category_pct(raw, category).to_numpy(float), pct)
            window[take] = name
        if criterion.get("direction") == "lower_is_better":
            pct = PERCENTILE_SCALE - pct
        for row, i in enumerate(at):
            if np.isnan(value[i]):
                out[row][cid] = CriterionInput()
                continue
            out[row][cid] = CriterionInput(
                value=float(value[i]),
                window=window[i],
                fallback=window[i] != measure["window"],
                pct=None if np.isnan(pct[i]) else float(pct[i]),
            )
    return out


# ---------------------------------------------------------------- split and feedback


def _check_splits(splits: Any) -> tuple[float, float, float]:
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
    keys = fund_ids.map(lambda f: _hash_key(f, seed))
    order = pd.DataFrame({"stratum": strata, "key": keys}).sort_values(["stratum", "key"]).index
    share = np.array(fractions)
    dealt = np.zeros(len(SPLITS))
    chosen = {}
    for count, index in enumerate(order, start=1):
        k = int(np.argmax(count * share - dealt))
        dealt[k] += 1
        chosen[index] = SPLITS[k]
    return pd.Series([chosen[i] for i in fund_ids.index], index=fund_ids.index, dtype="str")


def _feedback_items(
    feedback: pd.DataFrame | None, as_of: date, rows: pd.DataFrame
) -> tuple[list, list]:
    """(applied, skipped) feedback items for this snapshot; applied carry the previous grade."""
    if feedback is None or len(feedback) == 0:
        return [], []
    missing = [c for c in FEEDBACK_COLUMNS if c not in feedback.columns]
    if missing:
        raise SnapshotError(
            f"feedback needs columns {', '.join(FEEDBACK_COLUMNS)} (and optionally weight); "
            f"missing: {', '.join(missing)}"
        )
    in_snapshot = set(rows["fund_id"])
    applied: dict[str, dict] = {}
    skipped = []
    for number, item in enumerate(feedback.to_dict("records"), start=1):
        fund_id, grade = str(item["fund_id"]), item["corrected_grade"]
        weight = item.get("weight")
        weight = 1.0 if weight is None or pd.isna(weight) else float(weight)
        if pd.isna(grade) or float(grade) not in (1, 2, 3, 4, 5):
            raise SnapshotError(
                f"feedback row {number} ({fund_id}): corrected_grade {grade!r} is not an integer 1-5"
            )
        if not math.isfinite(weight) or weight < 0:
            raise SnapshotError(
                f"feedback row {number} ({fund_id}): weight {weight!r} is not a number >= 0"
            )
        when = _as_date(item["as_of"])
        entry = {
            "fund_id": fund_id,
            "as_of": when.isoformat(),
            "corrected_grade": int(grade),
            "weight": weight,
        }
        if when != as_of:
            skipped.append({**entry, "reason": f"as_of is not the snapshot's {as_of}"})
        elif fund_id not in in_snapshot:
            skipped.append({**entry, "reason": "fund not in the snapshot"})
        else:
            if fund_id in applied:
                skipped.append({**applied[fund_id], "reason": "superseded by a later row"})
            applied[fund_id] = entry
    return sorted(applied.values(), key=lambda d: d["fund_id"]), skipped


# ---------------------------------------------------------------- build


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
    fractions = _check_splits(splits)
    if max_funds is not None and max_funds < 1:
        raise SnapshotError(f"max_funds must be at least 1, not {max_funds}")
    data = _read_store(home, methodology_id, version, as_of)
    doc, as_of = data["doc"], data["as_of"]
    funds = data["funds"]
    scored = score(doc, data["indicators"], data["qualitative"], funds, as_of)
    rows, dropped = _select(data["ratings"], scored, seed, max_funds)
    if rows.empty:
        reasons = "; ".join(sorted({d["reason"] for d in dropped})[:3])
        raise SnapshotError(
            f"none of the {len(data['ratings'])} funds rated on {as_of} can be used with "
            f"methodology '{doc['id']}' v{doc['version']}" + (f": {reasons}" if reasons else "")
        )
    table = _rows(doc, language, data, scored, rows, prompt_style)
    table["split"] = assign_splits(table["fund_id"], table["expert_grade"], seed, fractions)
    applied, skipped = _feedback_items(feedback, as_of, table)
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


def _select(
    ratings: pd.DataFrame, scored: pd.DataFrame, seed: int, max_funds: int | None
) -> tuple[pd.DataFrame, list[dict]]:
    """(fund_id, grade, position in `scored`) of the rows to build, and the dropped ratings."""
    position = pd.Series(np.arange(len(scored)), index=scored["fund_id"].to_numpy())
    rows = ratings.assign(at=position.reindex(ratings["fund_id"]).to_numpy())
    unknown = rows["at"].isna()
    dropped = [
        {"fund_id": f, "kind": "unknown_fund", "reason": "not in the funds table"}
        for f in rows.loc[unknown, "fund_id"]
    ]
    rows = rows[~unknown].astype({"at": "int64"})
    excluded = scored["excluded_by"].to_numpy(object)[rows["at"]]
    eligible = scored["total"].notna().to_numpy()[rows["at"]]
    dropped += [
        {"fund_id": f, "kind": "not_eligible", "reason": f"not eligible: {why}"}
        for f, why in zip(rows["fund_id"][~eligible], excluded[~eligible], strict=True)
    ]
    rows = rows[eligible]
    if max_funds is not None and len(rows) > max_funds:
        keep = rows["fund_id"].map(lambda f: _hash_key(f, seed)).rank(method="first") <= max_funds
        dropped += [
            {"fund_id": f, "kind": "max_funds", "reason": f"beyond max_funds={max_funds}"}
            for f in rows.loc[~keep, "fund_id"]
        ]
        rows = rows[keep]
    return rows.reset_index(drop=True), sorted(dropped, key=lambda d: d["fund_id"])


def _rows(
    doc: dict,
    language: str,
    data: dict,
    scored: pd.DataFrame,
    rows: pd.DataFrame,
    prompt_style: str = "full",
) -> pd.DataFrame:
    """The contract's columns for `rows` (split still empty), prompts rendered one by one."""
    as_of, funds = data["as_of"], data["funds"].drop_duplicates("fund_id").reset_index(drop=True)
    eligible = scored["total"].notna().to_numpy()
    inputs = _criterion_inputs(doc, funds, eligible, data, rows["at"].to_numpy())
    months = _months(funds["inception_date"], pd.Timestamp(as_of)).to_numpy(float)
    units = {key: meta.unit for key, meta in INDICATORS.items()}
    rules = rules_text(doc, language, units)
    grade_rule = {c: _dumps(r) for c, r in grade_rules(doc, scored).items()}
    ranked = sorted(iter_criteria(doc), key=lambda sc: -effective_weight(*sc))  # ties: doc order
    top = _dumps([[c["id"], criterion_name(c, language)] for _, c in ranked[:TOP_CRITERIA]])
    cids = [c["id"] for _, c in iter_criteria(doc)]
    given = data["rating_scores"]
    given = given[given["criterion_id"].isin(cids)]
    expert_scores = {
        fund_id: {c: _score_value(s) for c, s in zip(g["criterion_id"], g["score"], strict=True)}
        for fund_id, g in given.groupby("fund_id")
    }
    reference = scored[[f"score_{cid}" for cid in cids]].to_numpy(float)
    records = []
    for (fund_id, grade, i), criteria in zip(
        rows[["fund_id", "grade", "at"]].itertuples(index=False), inputs, strict=True
    ):
        fund = funds.iloc[i]
        view = FundInput(
            name=str(fund["fund_name"]),
            category=str(fund["category"]),
            company=str(fund["company_name"]) if pd.notna(fund["company_name"]) else "-",
            as_of=as_of.isoformat(),
            inception=None
            if pd.isna(fund["inception_date"])
            else pd.Timestamp(fund["inception_date"]).date().isoformat(),
            months=None if np.isnan(months[i]) else int(months[i]),
            aum=None if pd.isna(fund["aum"]) else float(fund["aum"]),
            currency=None if pd.isna(fund["currency"]) else str(fund["currency"]),
            criteria=criteria,
        )
        messages, facts = render(doc, language, view, units, rules)
        if prompt_style == "compact":
            messages = compact_messages(doc, language, facts)
        reference_grade = scored["grade"].iloc[i]
        records.append(
            {
                "fund_id": fund_id,
                "fund_name": view.name,
                "category": view.category,
                "as_of": view.as_of,
                "split": "",
                "language": language,
                "prompt": messages,
                "expert_grade": int(grade),
                "expert_scores": _dumps(expert_scores.get(fund_id, {})),
                "reference_grade": None if pd.isna(reference_grade) else int(reference_grade),
                "reference_scores": _dumps(
                    dict(zip(cids, map(_score_value, reference[i]), strict=True))
                ),
                "facts": _dumps(facts),
                "grade_rule": grade_rule[view.category],
                "top_criteria": top,
                "methodology_id": doc["id"],
                "methodology_version": int(doc["version"]),
                "sample_weight": 1.0,
            }
        )
    return pd.DataFrame.from_records(records, columns=COLUMNS)


# ---------------------------------------------------------------- files and datasets


def write_snapshot(snapshot: Snapshot, folder: str | Path) -> Path:
    """Write `{train,validation,test}.parquet` and manifest.json (with file hashes) to `folder`.

    Refuses a folder that already holds a different snapshot (a frozen set is never replaced).
    """
    folder = Path(folder)
    existing = folder / MANIFEST
    if existing.is_file():
        old = json.loads(existing.read_text(encoding="utf-8")).get("sha256")
        if old != snapshot.sha256:
            raise SnapshotError(
                f"{folder} already holds another snapshot (sha256 {str(old)[:12]}…); "
                "write to a new folder"
            )
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in SPLITS:
        path = folder / f"{name}.parquet"
        snapshot.frames[name][COLUMNS].to_parquet(path, index=False)
        files[path.name] = _file_sha256(path)
    manifest = {**snapshot.manifest, "files": files}
    existing.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return folder


def load_snapshot(folder: str | Path) -> Snapshot:
    """Read a snapshot folder back; SnapshotError if a file is missing or changed since written."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise SnapshotError(f"{folder} is not a snapshot folder: {MANIFEST} is missing")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    frames = {}
    for name in SPLITS:
        file = folder / f"{name}.parquet"
        if not file.is_file():
            raise SnapshotError(f"snapshot {folder}: {file.name} is missing")
        expected = manifest.get("files", {}).get(file.name)
        if expected != _file_sha256(file):
            raise SnapshotError(
                f"snapshot {folder}: {file.name} was changed after it was written "
                "(its sha256 differs from manifest.json); rebuild the snapshot"
            )
        frame = pd.read_parquet(file)
        frame["prompt"] = [[dict(m) for m in p] for p in frame["prompt"]]
        frames[name] = frame[COLUMNS]
    sha = content_sha256(frames)
    if sha != manifest.get("sha256"):
        raise SnapshotError(
            f"snapshot {folder}: the rows' hash {sha[:12]}… differs from manifest.json's "
            f"{str(manifest.get('sha256'))[:12]}…; rebuild the snapshot"
        )
    return Snapshot(frames, manifest, sha)


def to_hf_datasets(snapshot: Snapshot):
    """A `datasets.DatasetDict` (train, validation, test) for TRL: `prompt` as a list of messages."""
    from datasets import Dataset, DatasetDict, Features, List, Value

    string, integer = Value("string"), Value("int64")
    features = Features(
        {
            **{c: string for c in COLUMNS},
            "prompt": List({"role": string, "content": string}),
            "expert_grade": integer,
            "reference_grade": integer,
            "methodology_version": integer,
            "sample_weight": Value("float64"),
        }
    )
    out = {}
    for name in SPLITS:
        frame = snapshot.frames[name]
        columns = {c: [_plain(v) for v in frame[c]] for c in COLUMNS}
        out[name] = Dataset.from_dict(columns, features=features)
    return DatasetDict(out)
