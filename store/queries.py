"""Read queries the app, the CLI and the engine share. Parameterised SQL only."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from store.db import scalar

DATASET_META_KEY = "dataset"  # the meta key that names the dataset in the store
DATASET_META_VALUE = "synthetic-demo"  # its value when the data is the synthetic demo
DEMO_DATASET = DATASET_META_VALUE


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """A value from the meta table, or None."""
    return scalar(con, "SELECT value FROM meta WHERE key = ?", [key])


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set a meta value (insert or replace)."""
    con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])


def summary(con: duckdb.DuckDBPyConnection) -> dict:
    """What is loaded: counts, the NAV date range and whether the data is the synthetic demo."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM funds), (SELECT count(*) FROM companies),"
        " (SELECT count(*) FROM nav), (SELECT min(date) FROM nav), (SELECT max(date) FROM nav),"
        " (SELECT count(*) FROM benchmarks), (SELECT count(*) FROM benchmark_levels),"
        " (SELECT count(*) FROM risk_free), (SELECT count(*) FROM ratings),"
        " (SELECT count(DISTINCT as_of) FROM ratings), (SELECT max(as_of) FROM ratings),"
        " (SELECT count(*) FROM qualitative), (SELECT count(*) FROM upload_log)"
    ).fetchall()[0]
    keys = [
        "funds",
        "companies",
        "nav_rows",
        "nav_start",
        "nav_end",
        "benchmarks",
        "benchmark_rows",
        "risk_free_rows",
        "ratings",
        "rating_dates",
        "latest_rating",
        "qualitative",
        "uploads",
    ]
    result = dict(zip(keys, row, strict=True))
    for key in ("nav_start", "nav_end", "latest_rating"):
        if isinstance(result[key], date):
            result[key] = result[key].isoformat()
    result["dataset"] = get_meta(con, "dataset")
    result["synthetic"] = result["dataset"] == DEMO_DATASET
    result["schema_version"] = scalar(con, "SELECT max(version) FROM schema_version")
    result["methodologies"] = scalar(
        con, "SELECT count(DISTINCT methodology_id) FROM methodologies"
    )
    result["methodology_versions"] = scalar(con, "SELECT count(*) FROM methodologies")
    result["runs"] = scalar(con, "SELECT count(*) FROM runs")
    result["finished_runs"] = scalar(con, "SELECT count(*) FROM runs WHERE state = 'finished'")
    return result


def funds(
    con: duckdb.DuckDBPyConnection,
    category: str | None = None,
    company: str | None = None,
    search: str | None = None,
) -> pd.DataFrame:
    """Funds with their company, benchmark name, NAV coverage and latest expert grade."""
    return con.execute(
        """
        SELECT f.fund_id, f.fund_name, f.category, f.company_id AS company, f.manager,
               f.inception_date, f.currency, f.benchmark_id, b.name AS benchmark_name,
               f.expense_ratio, f.aum, n.first_nav, n.last_nav, n.nav_rows,
               r.grade AS latest_grade, r.as_of AS latest_rating
        FROM funds f
        LEFT JOIN benchmarks b USING (benchmark_id)
        LEFT JOIN (SELECT fund_id, min(date) AS first_nav, max(date) AS last_nav,
                          count(*) AS nav_rows FROM nav GROUP BY fund_id) n USING (fund_id)
        LEFT JOIN (SELECT fund_id, arg_max(grade, as_of) AS grade, max(as_of) AS as_of
                   FROM ratings GROUP BY fund_id) r USING (fund_id)
        WHERE (? IS NULL OR f.category = ?)
          AND (? IS NULL OR f.company_id = ?)
          AND (? IS NULL OR f.fund_id ILIKE '%' || ? || '%' OR f.fund_name ILIKE '%' || ? || '%'
               OR f.manager ILIKE '%' || ? || '%')
        ORDER BY f.category, f.fund_name
        """,
        [category, category, company, company, search, search, search, search],
    ).df()


def rating_dates(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Distinct expert-rating dates (ISO), newest first."""
    rows = con.execute("SELECT DISTINCT as_of FROM ratings ORDER BY 1 DESC").fetchall()
    return [r[0].isoformat() for r in rows]


def categories(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Distinct fund categories, sorted."""
    rows = con.execute(
        "SELECT DISTINCT category FROM funds WHERE category IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def companies(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Management company ids, sorted."""
    return [r[0] for r in con.execute("SELECT company_id FROM companies ORDER BY 1").fetchall()]


def nav_with_benchmark(con: duckdb.DuckDBPyConnection, fund_id: str) -> pd.DataFrame:
    """A fund's NAV and its benchmark level (as of each NAV date), both as loaded."""
    return con.execute(
        """
        SELECT n.date, n.nav, b.level AS benchmark
        FROM nav n
        JOIN funds f USING (fund_id)
        ASOF LEFT JOIN benchmark_levels b
          ON b.benchmark_id = f.benchmark_id AND n.date >= b.date
        WHERE n.fund_id = ?
        ORDER BY n.date
        """,
        [fund_id],
    ).df()


def ratings_for(con: duckdb.DuckDBPyConnection, fund_id: str) -> pd.DataFrame:
    """A fund's expert rating history, newest first."""
    return con.execute(
        "SELECT as_of, grade, analyst, comment FROM ratings WHERE fund_id = ? ORDER BY as_of DESC",
        [fund_id],
    ).df()


def qualitative_for(con: duckdb.DuckDBPyConnection, fund_id: str) -> pd.DataFrame:
    """Qualitative scores of a fund and of its management company, newest first."""
    return con.execute(
        """
        SELECT q.subject_kind, q.subject_id, q.as_of, q.criterion_id, q.score, q.note
        FROM qualitative q
        WHERE q.subject_id = ?
           OR q.subject_id = (SELECT company_id FROM funds WHERE fund_id = ?)
        ORDER BY q.as_of DESC, q.subject_kind DESC, q.criterion_id
        """,
        [fund_id, fund_id],
    ).df()


def upload_log(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """The most recent uploads, accepted and refused."""
    return con.execute(
        "SELECT upload_id, uploaded_at, file_name, kind, encoding, rows, inserted, replaced,"
        " unchanged, outcome, message, source, sha256 FROM upload_log"
        " ORDER BY upload_id DESC LIMIT ?",
        [limit],
    ).df()


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the data tables (used to show that a refused upload changed nothing)."""
    tables = [
        "funds",
        "companies",
        "nav",
        "benchmarks",
        "benchmark_levels",
        "risk_free",
        "ratings",
        "rating_scores",
        "qualitative",
        "manager_history",
    ]
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    return {name: int(n) for name, n in con.execute(union).fetchall()}


def upload_signature(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(highest upload id, number of uploads) of the upload log: every load of fund data adds a
    row, so the pair changes whenever the data may have."""
    row = con.execute("SELECT coalesce(max(upload_id), 0), count(*) FROM upload_log").fetchall()
    return int(row[0][0]), int(row[0][1])
