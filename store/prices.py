"""Reads of the market data the engine computes from: funds, NAVs, benchmark levels,
risk-free rates, manager history and expert ratings. Parameterised SQL only; one function per
query."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow.compute as pc

from store.db import scalar


def fund_categories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """fund_id, category, benchmark_id of every fund, by fund id."""
    return con.execute("SELECT fund_id, category, benchmark_id FROM funds ORDER BY fund_id").df()


def fund_rows(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """The rows of a query whose first column is fund_id, that column categorical: one Python
    string per fund, not per row (for millions of NAV rows the strings cost more than the query)."""
    table = relation.to_arrow_table()
    table = table.set_column(0, "fund_id", pc.dictionary_encode(table["fund_id"]))
    return table.to_pandas(date_as_object=False)


def nav_until(con: duckdb.DuckDBPyConnection, until: date) -> pd.DataFrame:
    """fund_id (categorical), date, nav dated on or before `until`, by fund and date."""
    return fund_rows(
        con.sql(
            "SELECT fund_id, date, nav FROM nav WHERE date <= ? ORDER BY fund_id, date",
            params=[until],
        )
    )


def benchmark_levels_until(con: duckdb.DuckDBPyConnection, until: date) -> pd.DataFrame:
    """benchmark_id, date, level dated on or before `until`, by benchmark and date."""
    return con.execute(
        "SELECT benchmark_id, date, level FROM benchmark_levels WHERE date <= ?"
        " ORDER BY benchmark_id, date",
        [until],
    ).df()


def risk_free_until(con: duckdb.DuckDBPyConnection, until: date) -> pd.DataFrame:
    """date, rate of the risk-free series dated on or before `until`, by date."""
    return con.execute(
        "SELECT date, rate FROM risk_free WHERE date <= ? ORDER BY date", [until]
    ).df()


def latest_nav_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The most recent NAV date (None when there is no NAV)."""
    return scalar(con, "SELECT max(date) FROM nav")


def nav_with_category(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """fund_id, date, nav, category of every NAV of a known fund, by date."""
    return con.execute(
        "SELECT n.fund_id, n.date, n.nav, f.category FROM nav n JOIN funds f USING (fund_id)"
        " ORDER BY n.date"
    ).df()


def rating_dates_ascending(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The distinct expert-rating dates, oldest first."""
    return [
        row[0] for row in con.execute("SELECT DISTINCT as_of FROM ratings ORDER BY 1").fetchall()
    ]


def latest_rating_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The most recent expert-rating date (None when there is no rating)."""
    return scalar(con, "SELECT max(as_of) FROM ratings")


def expert_grades(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """fund_id, as_of, grade of every expert rating, oldest first."""
    return con.execute("SELECT fund_id, as_of, grade FROM ratings ORDER BY as_of").df()


def funds_with_companies(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """fund_id, fund_name, category, company_id, company_name (the id when the company is not
    loaded), inception_date, aum, currency of every fund, by fund id."""
    return con.execute(
        "SELECT f.fund_id, f.fund_name, f.category, f.company_id,"
        " coalesce(c.name, f.company_id) AS company_name, f.inception_date, f.aum,"
        " f.currency FROM funds f LEFT JOIN companies c USING (company_id)"
        " ORDER BY f.fund_id"
    ).df()


def qualitative_until(con: duckdb.DuckDBPyConnection, until: date) -> pd.DataFrame:
    """subject_id, subject_kind, as_of, criterion_id, score, note of every qualitative score
    dated on or before `until`."""
    return con.execute(
        "SELECT subject_id, subject_kind, as_of, criterion_id, score, note FROM qualitative"
        " WHERE as_of <= ?",
        [until],
    ).df()


def ratings_on(con: duckdb.DuckDBPyConnection, dates: list[date]) -> pd.DataFrame:
    """fund_id, as_of, grade of the expert ratings on `dates`, by fund and date."""
    return con.execute(
        "SELECT fund_id, as_of, grade FROM ratings WHERE list_contains(?, as_of)"
        " ORDER BY fund_id, as_of",
        [list(dates)],
    ).df()


def rating_scores_on(con: duckdb.DuckDBPyConnection, dates: list[date]) -> pd.DataFrame:
    """fund_id, as_of, criterion_id, score of the experts' sub-scores on `dates`."""
    return con.execute(
        "SELECT fund_id, as_of, criterion_id, score FROM rating_scores"
        " WHERE list_contains(?, as_of) ORDER BY fund_id, as_of, criterion_id",
        [list(dates)],
    ).df()


MANAGER_HISTORY_UNTIL = (
    "SELECT fund_id, manager, start_date FROM manager_history WHERE start_date <= ?"
    " ORDER BY fund_id, start_date"
)


def manager_history_until(con: duckdb.DuckDBPyConnection, until: date) -> pd.DataFrame:
    """fund_id, manager, start_date of every manager who started on or before `until`, by fund
    and start date."""
    return con.execute(MANAGER_HISTORY_UNTIL, [until]).df()
