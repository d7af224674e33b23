"""Backtest: do better grades come before better returns?

For each past as-of date (the experts' rating dates; an AI evaluation's own as_of) and each grade
source — `expert` (the ratings table), `rules` (`engine.methodology.scoring.score_funds` at that date with the
active methodology) or an evaluation id — the grades are set against the fund's next-12-month
return and its category rank:

- forward return: simple NAV return from the last NAV on or before `as_of` to the last NAV on
  or before `as_of + HORIZON_MONTHS months` (distribution-adjusted NAV, no annualisation);
- category rank: percentile (0-1, average ties) of that return among all funds of the category
  with a forward return at that date; "beats its category" = return above the category median;
- rank IC: Spearman correlation of grade and forward return (scipy), per date and pooled;
- spread: mean forward return of grade 5 minus grade 1 (`spread_5_1`) and of grades 4-5 minus
  grades 1-2 (`spread_45_12`); None when a side has no fund;
- hit rate: share of grade >= 4 funds that beat their category median.

Dates whose horizon ends after the store's last NAV are skipped with the reason. An invalid AI
answer has no grade and is left out (counted in `invalid`). Everything is vectorised over funds.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from engine.evaluation.jobs import EvaluationError, get_evaluation, results
from engine.methodology import active
from engine.methodology.scoring import score_funds
from store import prices
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

HORIZON_MONTHS = 12
HIGH_GRADES = (4, 5)
LOW_GRADES = (1, 2)
MIN_FUNDS = 3  # fewer graded funds with a forward return: the date is skipped
FIXED_SOURCES = ("expert", "rules")
PER_DATE_COLUMNS = [
    "source",
    "as_of",
    "horizon_end",
    "n",
    "invalid",
    "rank_ic",
    "spread_5_1",
    "spread_45_12",
    "hit_rate",
    "n_high",
]


class BacktestError(ValueError):
    """A backtest that cannot be run as asked (unknown source, no data); one-line text."""


# ---------------------------------------------------------------- inputs


def forward_returns(
    nav: pd.DataFrame, dates: list[date], months: int = HORIZON_MONTHS
) -> pd.DataFrame:
    """One row per (fund with NAV, date): as_of, horizon_end, fwd_return, category, category_pct
    and beats_median. `nav` holds fund_id, date, nav, category; NAVs on or before each end."""
    if nav.empty or not dates:
        return pd.DataFrame(
            columns=["fund_id", "as_of", "horizon_end", "category", "fwd_return"]
            + ["category_pct", "beats_median"]
        )
    nav = nav.assign(date=pd.to_datetime(nav["date"]).astype("datetime64[ns]")).sort_values("date")
    funds = nav.drop_duplicates("fund_id")[["fund_id", "category"]]
    starts = pd.to_datetime(pd.Series(sorted(set(dates)))).astype("datetime64[ns]")
    grid = funds.merge(pd.DataFrame({"as_of": starts}), how="cross")
    grid["horizon_end"] = (grid["as_of"] + pd.DateOffset(months=months)).astype("datetime64[ns]")
    prices = nav[["fund_id", "date", "nav"]]
    start = pd.merge_asof(
        grid.sort_values("as_of"), prices, left_on="as_of", right_on="date", by="fund_id"
    ).rename(columns={"nav": "nav_start"})
    both = pd.merge_asof(
        start.drop(columns="date").sort_values("horizon_end"),
        prices,
        left_on="horizon_end",
        right_on="date",
        by="fund_id",
    ).rename(columns={"nav": "nav_end", "date": "end_date"})
    both["fwd_return"] = both["nav_end"] / both["nav_start"] - 1.0
    both = both[both["fwd_return"].notna() & (both["end_date"] > both["as_of"])].copy()
    group = both.groupby(["as_of", "category"], dropna=False)["fwd_return"]
    both["category_pct"] = group.rank(pct=True)
    both["beats_median"] = both["fwd_return"] > group.transform("median")
    both["as_of"] = both["as_of"].dt.date
    both["horizon_end"] = both["horizon_end"].dt.date
    columns = ["fund_id", "as_of", "horizon_end", "category", "fwd_return"]
    return both[columns + ["category_pct", "beats_median"]].reset_index(drop=True)


def rating_dates(home: Home) -> list[date]:
    """The experts' rating dates, oldest first."""
    with connect(home) as con:
        return prices.rating_dates_ascending(con)


def source_grades(home: Home, source: str, dates: list[date] | None = None) -> pd.DataFrame:
    """fund_id, as_of, grade (Int64, NA = invalid answer) of one source at its dates."""
    if source == "expert":
        with connect(home) as con:
            frame = prices.expert_grades(con)
        if dates is not None:
            frame = frame[frame["as_of"].dt.date.isin(dates)]
    elif source == "rules":
        with connect(home) as con:
            found = active(con)
        if found is None:
            raise BacktestError("no active methodology: the rule-based grades need one")
        parts = []
        for day in dates if dates is not None else rating_dates(home):
            scored = score_funds(home, found[0], found[1], as_of=day)
            parts.append(scored[["fund_id", "grade"]].assign(as_of=pd.Timestamp(day)))
        frame = pd.concat(parts) if parts else pd.DataFrame(columns=["fund_id", "grade", "as_of"])
        frame = frame[frame["grade"].notna()]
    else:
        try:
            meta = get_evaluation(home, source)
        except EvaluationError as exc:
            raise BacktestError(f"unknown grade source {source!r}: {exc}") from None
        rows = results(home, source)
        frame = rows[["fund_id", "grade"]].assign(as_of=pd.Timestamp(meta["as_of"]))
    frame = frame.assign(
        as_of=pd.to_datetime(frame["as_of"]).dt.date,
        grade=pd.array(frame["grade"], dtype="Int64"),
    )
    return frame[["fund_id", "as_of", "grade"]].reset_index(drop=True)


# ---------------------------------------------------------------- figures


def _spearman(grades: np.ndarray, returns: np.ndarray) -> float | None:
    from scipy.stats import spearmanr  # slow to load: only when figures are computed

    if len(grades) < 2 or np.all(grades == grades[0]) or np.all(returns == returns[0]):
        return None
    return float(spearmanr(grades, returns).statistic)


def _mean_or_none(values: pd.Series) -> float | None:
    return float(values.mean()) if len(values) else None


def _figures(rows: pd.DataFrame) -> dict[str, Any]:
    """rank IC, spreads and hit rate of graded rows (grade, fwd_return, beats_median)."""
    grade = rows["grade"].astype(int)
    ret = rows["fwd_return"]
    top, bottom = ret[grade == 5], ret[grade == 1]
    high, low = ret[grade.isin(HIGH_GRADES)], ret[grade.isin(LOW_GRADES)]
    spread = None if top.empty or bottom.empty else float(top.mean() - bottom.mean())
    wide = None if high.empty or low.empty else float(high.mean() - low.mean())
    beats = rows.loc[grade.isin(HIGH_GRADES), "beats_median"]
    return {
        "n": len(rows),
        "rank_ic": _spearman(grade.to_numpy(float), ret.to_numpy(float)),
        "spread_5_1": spread,
        "spread_45_12": wide,
        "hit_rate": _mean_or_none(beats.astype(float)),
        "n_high": len(beats),
    }


def evaluate_source(
    grades: pd.DataFrame, forward: pd.DataFrame, source: str, last_nav: date | None
) -> dict[str, Any]:
    """per_date rows, pooled figures, grade-level means and skipped dates of one source."""
    per_date, skipped, used = [], [], []
    for as_of, rows in grades.groupby("as_of", sort=True):
        end = (pd.Timestamp(as_of) + pd.DateOffset(months=HORIZON_MONTHS)).date()
        if last_nav is None or end > last_nav:
            skipped.append(
                {
                    "source": source,
                    "as_of": as_of,
                    "reason": f"needs NAV until {end}; the last NAV is {last_nav}",
                }
            )
            continue
        valid = rows[rows["grade"].notna()]
        joined = valid.merge(forward[forward["as_of"] == as_of], on=["fund_id", "as_of"])
        if len(joined) < MIN_FUNDS:
            skipped.append(
                {
                    "source": source,
                    "as_of": as_of,
                    "reason": f"only {len(joined)} graded funds with a forward return",
                }
            )
            continue
        invalid = int(rows["grade"].isna().sum())
        per_date.append({"source": source, "as_of": as_of, "horizon_end": end,
                         "invalid": invalid, **_figures(joined)})  # fmt: skip
        used.append(joined)
    pooled = None
    by_grade = pd.DataFrame(columns=["source", "grade", "n", "mean_return", "mean_category_pct"])
    if used:
        rows = pd.concat(used, ignore_index=True)
        ics = [r["rank_ic"] for r in per_date if r["rank_ic"] is not None]
        pooled = {
            "source": source,
            "dates": len(per_date),
            **_figures(rows),
            "rank_ic_mean": float(np.mean(ics)) if ics else None,
            "invalid": int(sum(r["invalid"] for r in per_date)),
        }
        by_grade = (
            rows.assign(grade=rows["grade"].astype(int))
            .groupby("grade")
            .agg(
                n=("fwd_return", "size"),
                mean_return=("fwd_return", "mean"),
                mean_category_pct=("category_pct", "mean"),
            )
            .reset_index()
            .assign(source=source)[["source", "grade", "n", "mean_return", "mean_category_pct"]]
        )
    return {"per_date": per_date, "pooled": pooled, "by_grade": by_grade, "skipped": skipped}


def backtest(home: Home, sources: list[str] | None = None) -> dict[str, Any]:
    """Backtest each grade source (default: expert and rules) on its past dates.

    Returns per_date (DataFrame, PER_DATE_COLUMNS), pooled (DataFrame: one row per source with
    dates, n, rank_ic (all dates pooled), rank_ic_mean (mean of the per-date ICs), spread_5_1,
    spread_45_12, hit_rate, n_high, invalid), by_grade (source, grade, n, mean_return,
    mean_category_pct), skipped (list of {source, as_of, reason}), horizon_months, last_nav.
    """
    sources = list(dict.fromkeys(sources or FIXED_SOURCES))
    with connect(home) as con:
        nav = prices.nav_with_category(con)
        last = prices.latest_nav_date(con)
    if nav.empty:
        raise BacktestError("the store holds no NAV: load fund prices first")
    dates = rating_dates(home)
    per_date, pooled, by_grade, skipped = [], [], [], []
    for source in sources:
        grades = source_grades(home, source, dates if source in FIXED_SOURCES else None)
        forward = forward_returns(nav, sorted(set(grades["as_of"])))
        part = evaluate_source(grades, forward, source, last)
        per_date += part["per_date"]
        skipped += part["skipped"]
        by_grade.append(part["by_grade"])
        if part["pooled"] is not None:
            pooled.append(part["pooled"])
        if not len(grades):
            skipped.append({"source": source, "as_of": None, "reason": "no grades"})
    log.info("backtest of %s: %d dates used, %d skipped", sources, len(per_date), len(skipped))
    return {
        "horizon_months": HORIZON_MONTHS,
        "last_nav": last,
        "per_date": pd.DataFrame(per_date, columns=PER_DATE_COLUMNS),
        "pooled": pd.DataFrame(pooled),
        "by_grade": pd.concat(by_grade, ignore_index=True) if by_grade else pd.DataFrame(),
        "skipped": skipped,
    }
