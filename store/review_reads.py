"""Reads of the Review page that spare it computing over the whole fund universe: the
rule-based grades already stored for a date, and the market data of one category.

Rule-based grades are stored by a finished `rules` evaluation (`evaluation_results`, sample 0)
and by a finished rating cycle (`cycle_grades.rules_grade` and `rules_scores`). Parameterised
SQL only.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from store.prices import fund_rows

_STORED_RULES = """
WITH latest_upload AS (
    SELECT max(uploaded_at) AS at FROM upload_log WHERE outcome = 'ok'
),
stored AS (
    SELECT r.fund_id, r.grade, CAST(r.scores AS VARCHAR) AS scores,
           e.created_at AS recorded_at, e.evaluation_id AS source
    FROM evaluations e JOIN evaluation_results r USING (evaluation_id)
    WHERE e.evaluator_kind = 'rules' AND e.state = 'finished' AND r.sample = 0
      AND e.as_of = ? AND e.methodology_id = ? AND e.methodology_version = ?
    UNION ALL
    SELECT g.fund_id, g.rules_grade, CAST(g.rules_scores AS VARCHAR),
           c.created_at, c.cycle_id
    FROM cycles c JOIN cycle_grades g USING (cycle_id)
    WHERE c.state = 'finished'
      AND c.as_of = ? AND c.methodology_id = ? AND c.methodology_version = ?
),
fresh AS (
    SELECT s.* FROM stored s, latest_upload u
    WHERE u.at IS NULL OR s.recorded_at >= u.at
    QUALIFY row_number() OVER (PARTITION BY s.fund_id ORDER BY s.recorded_at DESC, s.source DESC) = 1
)
SELECT e.fund_id, f.grade, f.scores, f.source
FROM (SELECT DISTINCT fund_id FROM evaluation_results WHERE evaluation_id = ?) e
LEFT JOIN fresh f USING (fund_id)
ORDER BY e.fund_id
"""


def stored_rule_grades(
    con: duckdb.DuckDBPyConnection,
    evaluation_id: str,
    as_of: date | str,
    methodology_id: str,
    methodology_version: int,
) -> pd.DataFrame:
    """One row per fund of evaluation `evaluation_id`: fund_id, the rule-based grade and
    per-criterion scores (JSON text) stored for (`as_of`, methodology version) by a finished
    `rules` evaluation or rating cycle recorded after the latest accepted upload (the newest
    such record per fund), and `source` (its evaluation or cycle id; NULL: none stored)."""
    when = pd.Timestamp(as_of).date()
    key = [when, methodology_id, int(methodology_version)]
    frame = con.execute(_STORED_RULES, [*key, *key, evaluation_id]).df()
    frame["grade"] = frame["grade"].astype("Int64")
    return frame


def category_funds(con: duckdb.DuckDBPyConnection, category: str | None) -> pd.DataFrame:
    """fund_id, category, benchmark_id of the funds in `category` (None: without one), by id."""
    return con.execute(
        "SELECT fund_id, category, benchmark_id FROM funds"
        " WHERE category IS NOT DISTINCT FROM ? ORDER BY fund_id",
        [category],
    ).df()


def category_nav_until(
    con: duckdb.DuckDBPyConnection, category: str | None, until: date
) -> pd.DataFrame:
    """fund_id (categorical), date, nav of the funds in `category` dated on or before `until`,
    in no particular order (`engine.data.returns.sorted_nav` sorts them)."""
    return fund_rows(
        con.sql(
            "SELECT n.fund_id, n.date, n.nav FROM nav n JOIN funds f USING (fund_id)"
            " WHERE f.category IS NOT DISTINCT FROM ? AND n.date <= ?",
            params=[category, until],
        )
    )


def category_benchmark_levels_until(
    con: duckdb.DuckDBPyConnection, category: str | None, until: date
) -> pd.DataFrame:
    """benchmark_id, date, level of the benchmarks of the funds in `category`, dated on or
    before `until`, by benchmark and date."""
    return con.execute(
        "SELECT benchmark_id, date, level FROM benchmark_levels"
        " WHERE date <= ? AND benchmark_id IN"
        " (SELECT benchmark_id FROM funds WHERE category IS NOT DISTINCT FROM ?)"
        " ORDER BY benchmark_id, date",
        [until, category],
    ).df()


def category_qualitative(con: duckdb.DuckDBPyConnection, category: str | None) -> pd.DataFrame:
    """Per fund in `category` (None: without one), `for_fund`, its qualitative scores and those
    of its management company, as `queries.qualitative_for` lists them (newest first)."""
    table = con.sql(
        """
        WITH members AS (
            SELECT fund_id, company_id FROM funds WHERE category IS NOT DISTINCT FROM ?
        ), matched AS (
            SELECT m.fund_id AS for_fund, q.* FROM members m
            JOIN qualitative q ON q.subject_id = m.fund_id
            UNION ALL  -- two equality joins: an OR in one join condition compares every pair
            SELECT m.fund_id, q.* FROM members m
            JOIN qualitative q ON q.subject_id = m.company_id AND q.subject_id <> m.fund_id
        )
        SELECT for_fund, subject_kind, subject_id, as_of, criterion_id, score, note
        FROM matched
        ORDER BY for_fund, as_of DESC, subject_kind DESC, criterion_id
        """,
        params=[category],
    ).to_arrow_table()
    return table.to_pandas(date_as_object=False)  # through Arrow: a few times faster than .df()
