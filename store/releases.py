"""Releases: what a client sees, frozen (docs/clients-format.md section 4).

A release is numbered per client (1, 2, …) and never changed: the client's approved model (run),
the methodology version it was trained with, the as_of date, and a copy of that model's
evaluation rows for the client's funds (`release_evaluations`). Publishing takes the latest
finished evaluation by `run:<run_id>` (as_of on or before the date asked for) that grades the
client's funds. A release made from a rating cycle (docs/rating-cycle.md) names the cycle
(`cycle_id`; `run_id` NULL for a rules cycle, no evaluation) and copies the cycle's final grades,
each row with its `source`: analyst-reviewed, model-rated or rules (older rows: model-rated).

Storage only: `engine.clients.releases` decides when a release may be published.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from store.db import scalar, transaction
from store.methodologies import get_body

RELEASE_COLUMNS = ("client_id", "version", "run_id", "methodology_id", "methodology_version",
                   "as_of", "evaluation_id", "n_funds", "published_at", "published_by", "note",
                   "cycle_id")  # fmt: skip
ROW_COLUMNS = ("fund_id", "fund_name", "category", "grade", "scores", "reasoning", "thinking",
               "evaluator", "parse_status", "source")  # fmt: skip
MODEL_RATED = "model-rated"
_SOURCE = f"coalesce(e.source, '{MODEL_RATED}')"  # rows published before sources were kept


def _next_version(con: duckdb.DuckDBPyConnection, client_id: str) -> int:
    """The version number the client's next release gets (1 for its first)."""
    return int(
        scalar(
            con,
            "SELECT coalesce(max(version), 0) + 1 FROM releases WHERE client_id = ?",
            [client_id],
        )
    )


def find_evaluation(
    con: duckdb.DuckDBPyConnection, run_id: str, fund_ids: list[str], as_of: str | None = None
) -> dict | None:
    """{"evaluation_id", "as_of", "methodology_id", "methodology_version", "covered"} of the
    latest finished evaluation by run:<run_id> (as_of on or before `as_of` when given) with a
    sample-0 answer for at least one fund in `fund_ids` — the newest date first, then the one
    covering most of them; `covered` lists those funds. None when there is none."""
    rows = con.execute(
        """
        WITH covered AS (
            SELECT r.evaluation_id, list(DISTINCT r.fund_id ORDER BY r.fund_id) AS funds
            FROM evaluation_results r
            WHERE r.sample = 0 AND list_contains(?, r.fund_id)
            GROUP BY r.evaluation_id
        )
        SELECT e.evaluation_id, e.as_of, e.methodology_id, e.methodology_version, c.funds
        FROM evaluations e JOIN covered c USING (evaluation_id)
        WHERE e.evaluator = ? AND e.state = 'finished'
          AND (CAST(? AS DATE) IS NULL OR e.as_of <= CAST(? AS DATE))
        ORDER BY e.as_of DESC, len(c.funds) DESC, e.finished_at DESC NULLS LAST,
                 e.evaluation_id DESC
        LIMIT 1
        """,
        [fund_ids, f"run:{run_id}", as_of, as_of],
    ).fetchall()
    if not rows:
        return None
    keys = ("evaluation_id", "as_of", "methodology_id", "methodology_version", "covered")
    return dict(zip(keys, rows[0], strict=True))


def insert_release(
    con: duckdb.DuckDBPyConnection,
    client_id: str,
    run_id: str,
    found: dict,
    fund_ids: list[str],
    *,
    by: str,
    note: str | None = None,
) -> int:
    """Freeze the next release of the client in one transaction: the evaluation `found` (as
    `find_evaluation` gives it) by run:<run_id>, with a copy of its sample-0 rows for
    `fund_ids`; the new version number."""
    with transaction(con):
        version = _next_version(con, client_id)
        con.execute(
            "INSERT INTO releases (client_id, version, run_id, methodology_id,"
            " methodology_version, as_of, evaluation_id, n_funds, published_by, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [client_id, version, run_id, found["methodology_id"], found["methodology_version"],
             found["as_of"], found["evaluation_id"], len(found["covered"]), by, note],
        )  # fmt: skip
        con.execute(
            """
            INSERT INTO release_evaluations (client_id, version, fund_id, fund_name, category,
                   grade, scores, reasoning, thinking, evaluator, parse_status, source)
            SELECT ?, ?, r.fund_id, f.fund_name, f.category, r.grade, r.scores, r.reasoning,
                   r.thinking, e.evaluator, r.parse_status, 'model-rated'
            FROM evaluation_results r
            JOIN evaluations e USING (evaluation_id)
            LEFT JOIN funds f ON f.fund_id = r.fund_id
            WHERE r.evaluation_id = ? AND r.sample = 0 AND list_contains(?, r.fund_id)
            """,
            [client_id, version, found["evaluation_id"], fund_ids],
        )
    return version


_CYCLE_ROWS = """
    SELECT g.fund_id, g.fund_name, g.category, g.final_grade AS grade,
           CASE g.source WHEN 'model-rated' THEN g.model_scores
                         WHEN 'rules' THEN g.rules_scores END AS scores,
           CASE g.source WHEN 'model-rated' THEN g.model_reasoning
                         WHEN 'rules' THEN 'the rule-based reference scorer of the methodology'
                         ELSE 'graded by an analyst (' || coalesce(g.analyst_by, '-') || ')'
           END AS reasoning,
           CAST(NULL AS VARCHAR) AS thinking,
           CASE g.source WHEN 'model-rated' THEN c.model WHEN 'rules' THEN 'rules'
                         ELSE 'analyst' END AS evaluator,
           CASE WHEN g.final_grade IS NULL THEN 'invalid' ELSE 'ok' END AS parse_status,
           g.source
    FROM cycle_grades g JOIN cycles c USING (cycle_id)
    WHERE g.cycle_id = ? AND list_contains(?, g.fund_id)
"""


def insert_cycle_release(
    con: duckdb.DuckDBPyConnection,
    client_id: str,
    cycle_id: str,
    fund_ids: list[str],
    *,
    by: str,
    note: str | None = None,
) -> dict:
    """Freeze the final grades of finished cycle `cycle_id` for the client's `fund_ids` as its
    next release, in one transaction. {"version": n} when published; {"version": None, "why":
    ...} when nothing is new: no fund of the client is in the cycle, the client's newest release
    from this cycle holds the same grades and sources, or a later cycle was published since."""
    with transaction(con):
        cycle = con.execute(
            "SELECT as_of, run_id, methodology_id, methodology_version FROM cycles"
            " WHERE cycle_id = ? AND state = 'finished'",
            [cycle_id],
        ).fetchall()
        if not cycle:
            return {"version": None, "why": f"{cycle_id} is not finished"}
        as_of, run_id, methodology_id, methodology_version = cycle[0]
        n = int(scalar(con, f"SELECT count(*) FROM ({_CYCLE_ROWS})", [cycle_id, fund_ids]))
        if n == 0:
            return {"version": None, "why": "none of the client's funds is graded in the cycle"}
        newer = scalar(
            con,
            "SELECT max(version) FROM releases WHERE client_id = ? AND as_of > ?",
            [client_id, as_of],
        )
        if newer is not None:
            return {"version": None, "why": f"release {newer} holds a later date"}
        last = scalar(
            con,
            "SELECT max(version) FROM releases WHERE client_id = ? AND cycle_id = ?",
            [client_id, cycle_id],
        )
        if last is not None:
            differ = scalar(
                con,
                f"""
                SELECT count(*) FROM (
                    (SELECT fund_id, grade, source, evaluator FROM ({_CYCLE_ROWS})
                     EXCEPT SELECT fund_id, grade, {_SOURCE}, evaluator
                            FROM release_evaluations e WHERE client_id = ? AND version = ?)
                    UNION ALL
                    (SELECT fund_id, grade, {_SOURCE}, evaluator
                     FROM release_evaluations e WHERE client_id = ? AND version = ?
                     EXCEPT SELECT fund_id, grade, source, evaluator FROM ({_CYCLE_ROWS})))
                """,
                [cycle_id, fund_ids, client_id, last, client_id, last, cycle_id, fund_ids],
            )
            if not differ:
                return {"version": None, "why": f"release {last} holds the same grades"}
        version = _next_version(con, client_id)
        con.execute(
            "INSERT INTO releases (client_id, version, run_id, methodology_id,"
            " methodology_version, as_of, evaluation_id, n_funds, published_by, note, cycle_id)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
            [client_id, version, run_id, methodology_id, methodology_version, as_of, n, by, note,
             cycle_id],
        )  # fmt: skip
        con.execute(
            "INSERT INTO release_evaluations (client_id, version, fund_id, fund_name, category,"
            " grade, scores, reasoning, thinking, evaluator, parse_status, source)"
            f" SELECT ?, ?, * FROM ({_CYCLE_ROWS})",
            [client_id, version, cycle_id, fund_ids],
        )
    return {"version": version}


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


def list_releases(con: duckdb.DuckDBPyConnection, client_id: str | None = None) -> pd.DataFrame:
    """Releases, newest first (per client by version)."""
    return con.execute(
        f"SELECT {', '.join(RELEASE_COLUMNS)} FROM releases WHERE (? IS NULL OR client_id = ?)"
        " ORDER BY published_at DESC, client_id, version DESC",
        [client_id, client_id],
    ).df()


def get_release(con: duckdb.DuckDBPyConnection, client_id: str, version: int) -> dict | None:
    """One release's row as a dict, or None."""
    rows = con.execute(
        f"SELECT {', '.join(RELEASE_COLUMNS)} FROM releases WHERE client_id = ? AND version = ?",
        [client_id, int(version)],
    ).fetchall()
    return dict(zip(RELEASE_COLUMNS, rows[0], strict=True)) if rows else None


def latest(con: duckdb.DuckDBPyConnection, client_id: str) -> dict | None:
    """The client's newest release, or None before the first."""
    version = scalar(con, "SELECT max(version) FROM releases WHERE client_id = ?", [client_id])
    return None if version is None else get_release(con, client_id, int(version))


def _scores(value) -> dict | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return json.loads(value) if isinstance(value, str) else dict(value)


def release_rows(
    con: duckdb.DuckDBPyConnection, client_id: str, version: int | None = None
) -> pd.DataFrame:
    """The frozen rows of a release (default: the latest), by fund; scores as dicts."""
    if version is None:
        newest = latest(con, client_id)
        if newest is None:
            return pd.DataFrame(columns=list(ROW_COLUMNS))
        version = newest["version"]
    frame = con.execute(
        f"SELECT {', '.join(ROW_COLUMNS[:4])}, CAST(scores AS VARCHAR) AS scores,"
        f" {', '.join(ROW_COLUMNS[5:-1])}, {_SOURCE} AS source FROM release_evaluations e"
        " WHERE client_id = ? AND version = ? ORDER BY fund_id",
        [client_id, int(version)],
    ).df()
    frame["scores"] = [_scores(v) for v in frame["scores"]]
    frame["grade"] = frame["grade"].astype("Int64")
    return frame


def grade_history(con: duckdb.DuckDBPyConnection, client_id: str, fund_id: str) -> pd.DataFrame:
    """A fund's graded rows over the client's releases, oldest first (version, as_of,
    published_at, run_id, methodology_id, methodology_version, grade, scores, reasoning,
    thinking, evaluator, parse_status, source, cycle_id)."""
    frame = con.execute(
        f"""
        SELECT r.version, r.as_of, r.published_at, r.run_id, r.methodology_id,
               r.methodology_version, e.grade, CAST(e.scores AS VARCHAR) AS scores,
               e.reasoning, e.thinking, e.evaluator, e.parse_status, {_SOURCE} AS source,
               r.cycle_id
        FROM release_evaluations e JOIN releases r USING (client_id, version)
        WHERE e.client_id = ? AND e.fund_id = ?
        ORDER BY r.version
        """,
        [client_id, fund_id],
    ).df()
    frame["scores"] = [_scores(v) for v in frame["scores"]]
    frame["grade"] = frame["grade"].astype("Int64")
    return frame


def methodology_of(con: duckdb.DuckDBPyConnection, client_id: str, version: int) -> dict | None:
    """{"methodology_id", "version", "body"} of a release's methodology (body: its saved JSON
    text), or None for an unknown release."""
    release = get_release(con, client_id, version)
    if release is None:
        return None
    return {
        "methodology_id": release["methodology_id"],
        "version": int(release["methodology_version"]),
        "body": get_body(con, release["methodology_id"], int(release["methodology_version"])),
    }


def current_grades(
    con: duckdb.DuckDBPyConnection, client_id: str, fund_id: str | None = None
) -> pd.DataFrame:
    """The client's funds (or one of them) with their fund facts and their row in the latest
    release (release_version, as_of, grade, scores as a dict, reasoning, parse_status, source,
    run_id, methodology_id, methodology_version, cycle_id; NULL before the first release or
    for a fund the release lacks), by fund id."""
    frame = con.execute(
        f"""
        WITH newest AS (
            SELECT * FROM releases WHERE client_id = ? ORDER BY version DESC LIMIT 1
        )
        SELECT f.fund_id, f.fund_name, f.category, coalesce(co.name, f.company_id) AS company,
               f.manager, f.inception_date, f.currency, f.benchmark_id, f.expense_ratio, f.aum,
               n.version AS release_version, n.as_of, e.grade,
               CAST(e.scores AS VARCHAR) AS scores, e.reasoning, e.parse_status,
               CASE WHEN e.fund_id IS NOT NULL THEN {_SOURCE} END AS source,
               n.run_id, n.methodology_id, n.methodology_version, n.cycle_id
        FROM client_funds cf
        JOIN funds f ON f.fund_id = cf.fund_id
        LEFT JOIN companies co ON co.company_id = f.company_id
        LEFT JOIN newest n ON true
        LEFT JOIN release_evaluations e
               ON e.client_id = cf.client_id AND e.version = n.version AND e.fund_id = f.fund_id
        WHERE cf.client_id = ? AND (CAST(? AS VARCHAR) IS NULL OR cf.fund_id = ?)
        ORDER BY f.fund_id
        """,
        [client_id, client_id, fund_id, fund_id],
    ).df()
    frame["scores"] = [_scores(v) for v in frame["scores"]]
    frame["grade"] = frame["grade"].astype("Int64")
    return frame
