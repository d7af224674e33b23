"""What analysts know about a fund's managers on a date: recent changes and the current tenure.

A change is a manager start after the fund's first recorded start. Changes are counted over the
last year and the last three years up to and including the as-of date, a year being
DAYS_PER_YEAR calendar days: a start counts when `0 <= (as_of - start_date).days < years *
DAYS_PER_YEAR`. The tenure is the time since the latest start on or before the date. A fund with
no history row on or before the date is unknown: NaN in every fact, never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb
import pandas as pd

from store import prices

DAYS_PER_YEAR = 365.25
FACT_COLUMNS = ["fund_id", "changes_1y", "changes_3y", "tenure_years"]


def manager_facts(
    source: duckdb.DuckDBPyConnection | pd.DataFrame,
    as_of: date,
    *,
    fund_ids: Iterable[str] | None = None,
) -> pd.DataFrame:
    """fund_id, changes_1y, changes_3y, tenure_years (floats, NaN where unknown) as of `as_of`.

    `source` is a store connection (the `manager_history` table) or a frame with fund_id and
    start_date. One row per fund of `fund_ids`, in that order; by default every fund of the
    store (a connection) or of the frame, by fund id.
    """
    day = pd.Timestamp(as_of).normalize()
    if isinstance(source, pd.DataFrame):
        history = source[["fund_id", "start_date"]]
        known = history["fund_id"]
    else:
        history = prices.manager_history_until(source, day.date())
        known = prices.fund_categories(source)["fund_id"]
    ids = pd.Index(sorted(set(known)) if fund_ids is None else list(fund_ids), name="fund_id")

    start = pd.to_datetime(history["start_date"])
    rows = pd.DataFrame({"fund_id": history["fund_id"].to_numpy(), "start": start.to_numpy()})
    rows = rows[rows["start"] <= day].drop_duplicates()
    age = (day - rows["start"]).dt.days.to_numpy()
    change = (rows["start"] > rows.groupby("fund_id")["start"].transform("min")).to_numpy()
    per_fund = (
        pd.DataFrame(
            {
                "fund_id": rows["fund_id"].to_numpy(),
                "changes_1y": change & (age < DAYS_PER_YEAR),
                "changes_3y": change & (age < 3 * DAYS_PER_YEAR),
                "latest_age": age,
            }
        )
        .groupby("fund_id")
        .agg(
            changes_1y=("changes_1y", "sum"),
            changes_3y=("changes_3y", "sum"),
            latest_age=("latest_age", "min"),
        )  # fmt: skip
        .reindex(ids)
    )
    return pd.DataFrame(
        {
            "fund_id": ids.to_numpy(dtype=object),
            "changes_1y": per_fund["changes_1y"].to_numpy(dtype=float),
            "changes_3y": per_fund["changes_3y"].to_numpy(dtype=float),
            "tenure_years": per_fund["latest_age"].to_numpy(dtype=float) / DAYS_PER_YEAR,
        },
        columns=FACT_COLUMNS,
    )
