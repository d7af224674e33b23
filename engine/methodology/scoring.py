"""The rule-based reference scorer: a methodology applied to the whole universe at once.

This is "the existing way" the trained model is compared with, and the source of truth for the
consistency reward. Every step is a column operation over all funds (one pass per criterion),
never a loop over funds.

Rules, in order:
1. Eligibility. A fund is rated only if it passes every rule of `eligibility`: its category is
   listed (when a list is given), its track record (whole months from inception_date to as_of)
   and its AUM reach the minimums. A fund without a category is never rated (no peer group).
   `excluded_by` names every rule a fund fails ("track record 22 months < 36; AUM 3.1e9 <
   1.0e10"); excluded funds get no scores and no grade.
2. Inputs. Indicator criteria read `<indicator>` of the fund's row for `window`, and for
   `fallback_window` when the methodology names one. Qualitative criteria read the latest
   assessment on or before as_of of the fund, or of its management company in a section of
   kind "company".
3. Criterion scores 1-5. percentile_bands: the category percentile among rated funds with a
   value in the window, 100 x (rank - 1) / (n - 1) with ties averaged (the formula of
   engine.data.metrics), 50 for a fund alone in its category; a fund without a value in the window
   takes its percentile in the fallback window (ranked among that window's peers, so 3y
   values are never ranked against 5y ones); reversed (100 - pct) when lower is better; the
   first band whose min_pct it reaches gives the score. thresholds: the first threshold the
   raw value (the window's, else the fallback's) meets: value >= min, or value <= max when
   lower is better. qualitative: the score as is.
4. Missing inputs (the methodology's `missing_inputs`, default score 3 and 30 %): a criterion
   without input scores 3 (neutral) and is listed in `missing`; `missing_weight` is the % of
   the total weight those criteria carry. A fund whose missing_weight exceeds 30 % keeps its
   scores and total but gets no grade (`excluded_by` says why): a grade that is mostly neutral
   fill-ins would say more about the data than about the fund.
5. Totals. section_<id> = sum of criterion weight/100 x score; total = sum of section
   weight/100 x section score, on the 1-5 scale, rounded to 9 decimals so that equal totals
   rank as ties.
6. Grade 1-5. grade_scale "percentile": the category percentile of total among graded funds
   (same formula) against min_pct; "thresholds": total against min_score.
"""

from __future__ import annotations

import logging
from datetime import date

import numpy as np
import pandas as pd

from engine.data.metrics import indicators as compute_store_indicators
from engine.data.metrics import latest_nav_date
from engine.methodology.core import (
    check,
    direction,
    effective_weight,
    iter_criteria,
    missing_rule,
    windows_needed,
)
from engine.methodology.versions import get
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

PERCENTILE_SCALE = 100.0
LONE_FUND_PCT = 50.0  # a fund alone in its category sits in the middle
DECIMALS = 9  # totals and percentiles are rounded so that float noise never splits a tie
WEIGHT_EPSILON = 1e-9
SEPARATOR = "; "
MISSING_SEPARATOR = ", "


def category_pct(values: pd.Series, category: pd.Series) -> pd.Series:
    """100 x (rank - 1) / (n - 1) within category, ties averaged; 50 when n = 1; NaN for NaN."""
    grouped = values.groupby(category, dropna=True, sort=False)
    rank = grouped.rank(method="average")
    count = grouped.transform("count")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (rank - 1.0) * PERCENTILE_SCALE / (count - 1.0)
    pct = pct.where(count >= 2, LONE_FUND_PCT).where(values.notna() & category.notna())
    return pct.round(DECIMALS)


def _first_match(
    conditions: list[np.ndarray], results: list[float], valid: np.ndarray
) -> np.ndarray:
    """The result of the first true condition, NaN where none is true or the input is invalid."""
    chosen = np.select(conditions, results, default=np.nan)
    return np.where(valid, chosen, np.nan)


def criterion_score(criterion: dict, inputs: list[pd.Series], category: pd.Series) -> pd.Series:
    """1-5 scores of one criterion (NaN where the input is missing).

    `inputs` holds the raw values per fund: one series, or for an indicator with a fallback
    window the window's then the fallback's. percentile_bands ranks each window among its own
    peers and takes the first percentile a fund has; thresholds take the first value it has.
    """
    scoring, way = criterion["scoring"], direction(criterion)
    index = inputs[0].index
    if scoring["method"] == "percentile_bands":
        pct = pd.Series(np.nan, index=index)
        for raw in inputs:
            pct = pct.fillna(category_pct(raw.astype(float), category))
        pct = pct.to_numpy()
        if way == "lower_is_better":
            pct = PERCENTILE_SCALE - pct
        bands = scoring["bands"]
        conditions = [pct >= band["min_pct"] for band in bands]
        chosen = _first_match(conditions, [b["score"] for b in bands], ~np.isnan(pct))
        return pd.Series(chosen, index=index)
    values = inputs[0]
    for raw in inputs[1:]:
        values = values.fillna(raw)
    values = values.to_numpy(dtype=float)
    if scoring["method"] == "qualitative":
        return pd.Series(values, index=index)
    key = "min" if way == "higher_is_better" else "max"
    conditions, results = [], []
    for item in scoring["thresholds"]:
        bound = item.get(key)
        if bound is None:
            conditions.append(np.ones(len(values), dtype=bool))
        else:
            conditions.append(values >= bound if key == "min" else values <= bound)
        results.append(item["score"])
    return pd.Series(_first_match(conditions, results, ~np.isnan(values)), index=index)


def _months(inception: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Whole months from inception to as_of (NaN when unknown)."""
    start = pd.to_datetime(inception, errors="coerce")
    months = (
        (as_of.year - start.dt.year) * 12
        + (as_of.month - start.dt.month)
        - (as_of.day < start.dt.day).astype(int)
    )
    return months.where(start.notna())


def _join(parts: list[tuple[pd.Series, pd.Series]], index: pd.Index, sep: str) -> pd.Series:
    """Per row, the texts whose condition holds, joined with `sep`; None when none holds."""
    text = pd.Series("", index=index, dtype=object)
    for condition, message in parts:
        chosen = condition.fillna(False).to_numpy(dtype=bool)
        text = text + np.where(chosen, message.astype(str) + sep, "")
    text = text.str.slice(0, -len(sep))
    return text.where(text != "", None)


def _scientific(values: np.ndarray) -> np.ndarray:
    """Numbers as compact text, e.g. 3.1e9 and 1.0e10 (one decimal, no '+' or leading zero)."""
    text = np.char.mod("%.1e", values)
    for long, short in (("e+0", "e"), ("e+", "e"), ("e-0", "e-")):
        text = np.char.replace(text, long, short)
    return text.astype(object)


def eligibility(doc: dict, funds: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per fund, the eligibility rules it fails joined with '; ' (None when rated)."""
    rules = doc.get("eligibility") or {}
    index = funds.index
    category = funds["category"]
    parts = [(category.isna(), pd.Series("no category", index=index))]
    if rules.get("categories"):
        outside = category.notna() & ~category.isin(rules["categories"])
        parts.append((outside, "category " + category.astype(str) + " not rated"))
    if "min_track_record_months" in rules:
        floor = rules["min_track_record_months"]
        months = _months(funds["inception_date"], as_of)
        known = months.fillna(0).astype(int).astype(str)
        parts.append((months.isna(), pd.Series("track record unknown", index=index)))
        parts.append((months < floor, "track record " + known + f" months < {floor}"))
    if "min_aum" in rules:
        floor = float(rules["min_aum"])
        aum = pd.to_numeric(funds["aum"], errors="coerce")
        shown = pd.Series(_scientific(aum.fillna(0).to_numpy(float)), index=index)
        parts.append((aum.isna(), pd.Series("AUM unknown", index=index)))
        parts.append((aum < floor, "AUM " + shown + f" < {_scientific(np.array([floor]))[0]}"))
    return _join(parts, index, SEPARATOR)


def latest_assessments(qualitative: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Per subject kind ('fund', 'company'): the latest score on or before as_of, subject x criterion."""
    dated = pd.to_datetime(qualitative["as_of"])
    seen = qualitative.assign(as_of=dated)[dated <= as_of].sort_values("as_of", kind="stable")
    latest = seen.drop_duplicates(["subject_kind", "subject_id", "criterion_id"], keep="last")
    return {
        kind: rows.pivot(index="subject_id", columns="criterion_id", values="score").astype(float)
        for kind, rows in latest.groupby("subject_kind")
    }


def _indicator_tables(indicators: pd.DataFrame, windows: list[str]) -> dict[str, pd.DataFrame]:
    return {
        window: indicators[indicators["window"] == window]
        .drop_duplicates("fund_id")
        .set_index("fund_id")
        for window in windows
    }


def _raw_inputs(
    section: dict,
    criterion: dict,
    funds: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    reviews: dict[str, pd.DataFrame],
) -> list[pd.Series]:
    """The criterion's raw inputs per fund (NaN where missing): one per window, or the score."""
    measure = criterion["measure"]
    missing = pd.Series(np.nan, index=funds.index)
    if measure["type"] == "qualitative":
        kind = "company" if section["kind"] == "company" else "fund"
        subject = funds["company_id"] if kind == "company" else funds["fund_id"]
        table = reviews.get(kind)
        if table is None or measure["criterion"] not in table.columns:
            return [missing]
        found = table[measure["criterion"]].reindex(subject.to_numpy()).to_numpy(float)
        return [pd.Series(found, index=funds.index)]
    out = []
    for window in [measure["window"], measure.get("fallback_window")]:
        if window is None:
            continue
        table = tables[window]
        if measure["indicator"] not in table.columns:
            log.warning("indicator table has no column %s", measure["indicator"])
            out.append(missing)
            continue
        found = table[measure["indicator"]].reindex(funds["fund_id"]).to_numpy(float)
        out.append(pd.Series(found, index=funds.index))
    return out


def score(
    doc: dict,
    indicators: pd.DataFrame,
    qualitative: pd.DataFrame,
    funds: pd.DataFrame,
    as_of: date | str | pd.Timestamp,
) -> pd.DataFrame:
    """Scores, totals and grades of every fund in `funds` under methodology `doc` (see module doc).

    indicators: one row per (fund_id, window) with indicator columns (engine.data.metrics);
    qualitative: subject_id, subject_kind, as_of, criterion_id, score;
    funds: fund_id, category, company_id, inception_date, aum.
    Returns one row per fund: fund_id, category, company_id, excluded_by, score_<criterion>,
    section_<section>, total, total_pct, grade (Int64), missing, missing_weight.
    """
    check(doc)
    as_of = pd.Timestamp(as_of)
    funds = funds.drop_duplicates("fund_id").reset_index(drop=True)
    if "company_id" not in funds.columns:
        funds = funds.assign(company_id=None)
    out = funds[["fund_id", "category", "company_id"]].copy()
    excluded = eligibility(doc, funds, as_of)
    rated = excluded.isna().to_numpy()
    category = funds["category"].where(rated)
    missing_score, max_missing = missing_rule(doc)
    tables = _indicator_tables(indicators, windows_needed(doc))
    reviews = latest_assessments(qualitative, as_of)

    scores: dict[str, pd.Series] = {}
    missing_parts = []
    missing_weight = pd.Series(0.0, index=funds.index)
    for section, criterion in iter_criteria(doc):
        inputs = [
            raw.where(rated) for raw in _raw_inputs(section, criterion, funds, tables, reviews)
        ]
        value = criterion_score(criterion, inputs, category)
        absent = pd.Series(rated, index=funds.index) & value.isna()
        scores[criterion["id"]] = value.mask(absent, missing_score)
        missing_parts.append((absent, pd.Series(criterion["id"], index=funds.index)))
        missing_weight += absent * effective_weight(section, criterion)

    sections: dict[str, pd.Series] = {}
    total = pd.Series(0.0, index=funds.index)
    for section in doc["sections"]:
        part = sum(scores[c["id"]] * (float(c["weight"]) / 100.0) for c in section["criteria"])
        sections[section["id"]] = part
        total += part * (float(section["weight"]) / 100.0)
    total = total.where(rated).round(DECIMALS)

    too_missing = pd.Series(rated, index=funds.index) & (
        missing_weight > max_missing + WEIGHT_EPSILON
    )
    shown_weight = missing_weight.round(2).astype(str).str.removesuffix(".0")
    excluded = excluded.mask(
        too_missing, "missing inputs " + shown_weight + f"% of weight > {max_missing:g}%"
    )
    graded = rated & ~too_missing.to_numpy()
    total_pct = category_pct(total.where(graded), category)
    grade_scale = doc["grade_scale"]
    if grade_scale["method"] == "percentile":
        basis, key = total_pct.to_numpy(), "min_pct"
    else:
        basis, key = total.to_numpy(), "min_score"
    bands = grade_scale["bands"]
    grade = _first_match(
        [basis >= band[key] for band in bands],
        [b["grade"] for b in bands],
        graded & ~np.isnan(basis),
    )

    out["excluded_by"] = excluded
    for cid, value in scores.items():
        out[f"score_{cid}"] = value
    for sid, value in sections.items():
        out[f"section_{sid}"] = value.where(rated)
    out["total"] = total
    out["total_pct"] = total_pct
    out["grade"] = pd.array(np.where(np.isnan(grade), None, grade), dtype="Int64")
    missing = _join(missing_parts, funds.index, MISSING_SEPARATOR).fillna("")
    out["missing"] = missing.where(rated, None)
    out["missing_weight"] = missing_weight.where(rated)
    out.attrs.update(methodology_id=doc["id"], version=doc.get("version"), as_of=as_of.date())
    log.info(
        "scored %d funds (%d rated, %d graded) with %s as of %s",
        len(out),
        int(rated.sum()),
        int(graded.sum()),
        doc["id"],
        as_of.date(),
    )
    return out


def score_funds(
    home: Home,
    methodology_id: str,
    version: int | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """`score` on the store in `home`: a saved version (latest by default), as_of the latest NAV."""
    with connect(home) as con:
        doc = get(con, methodology_id, version)
        as_of = as_of or latest_nav_date(con) or date.today()
        funds = con.execute(
            "SELECT fund_id, category, company_id, inception_date, aum FROM funds ORDER BY fund_id"
        ).df()
        qualitative = con.execute(
            "SELECT subject_id, subject_kind, as_of, criterion_id, score FROM qualitative"
            " WHERE as_of <= ?",
            [as_of],
        ).df()
    windows = windows_needed(doc)
    if windows:
        table = compute_store_indicators(home, as_of, windows)
    else:
        table = pd.DataFrame(
            {"fund_id": pd.Series(dtype=object), "window": pd.Series(dtype=object)}
        )
    return score(doc, table, qualitative, funds, as_of)
