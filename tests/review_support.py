"""Shared pieces of the review and feedback tests: a demo store with a stored evaluation.

The evaluation is inserted per docs/review-format.md section 1 (`store.evaluations`), so the
review and feedback tests do not depend on running an evaluator: its AI grades are the expert
grades shifted by a fixed pattern (agree, +1, -2, invalid, ...), which makes the expected
disagreement order known in advance.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from store.home import Home
from tests.template_support import built_on, copy_home, demo_store

DEMO_FUNDS = 60
DEMO_YEARS = 5
# AI grade = expert grade + offset (clipped to 1-5); None = an invalid answer.
OFFSETS = (0, 1, 0, -2, None, 0, -1, 3, 0, 1)


def rated_funds(home: Home) -> tuple[str, pd.DataFrame]:
    """(latest rating date, its ratings: fund_id, grade, category) of the store."""
    from store.db import connect

    with connect(home) as con:
        as_of = con.execute("SELECT max(as_of) FROM ratings").fetchall()[0][0]
        frame = con.execute(
            "SELECT r.fund_id, r.grade, f.category FROM ratings r JOIN funds f USING (fund_id)"
            " WHERE r.as_of = ? ORDER BY r.fund_id",
            [as_of],
        ).df()
    return as_of.isoformat(), frame


def ai_grades(expert: pd.Series) -> list[int | None]:
    out = []
    for i, grade in enumerate(expert):
        offset = OFFSETS[i % len(OFFSETS)]
        out.append(None if offset is None else int(min(5, max(1, int(grade) + offset))))
    return out


def insert_evaluation(
    home: Home,
    evaluation_id: str = "eval-0001",
    *,
    evaluator: str = "run:run-0001",
    kind: str = "model",
    run_id: str | None = "run-0001",
    limit: int | None = None,
) -> pd.DataFrame:
    """Store a finished evaluation of the funds rated at the latest date (the first `limit`);
    returns its results with `expert_grade` added."""
    from engine.methodology import active
    from store import evaluations
    from store.db import connect

    as_of, rated = rated_funds(home)
    if limit is not None:
        rated = rated.head(limit)
    grades = ai_grades(rated["grade"])
    with connect(home) as con:
        methodology_id, version = active(con)
    results = pd.DataFrame(
        {
            "fund_id": rated["fund_id"],
            "sample": 0,
            "grade": pd.array(grades, dtype="Int64"),
            "scores": [
                None if g is None else json.dumps({"return_3y": g, "sharpe_3y": g}) for g in grades
            ],
            "reasoning": [
                None if g is None else f"3년 샤프지수가 유형 상위권이라 {g}등급입니다."
                for g in grades
            ],
            "thinking": [None if g is None else "샤프지수와 최대낙폭을 본다." for g in grades],
            "raw_output": ["{broken" if g is None else json.dumps({"grade": g}) for g in grades],
            "parse_status": ["invalid" if g is None else "ok" for g in grades],
            "parse_error": ["not JSON" if g is None else None for g in grades],
            "latency_ms": 12.5,
        }
    )
    row = {
        "evaluation_id": evaluation_id,
        "evaluator": evaluator,
        "evaluator_kind": kind,
        "run_id": run_id,
        "methodology_id": methodology_id,
        "methodology_version": version,
        "as_of": as_of,
        "selection": "all",
        "samples": 1,
        "state": "finished",
        "n_funds": len(results),
        "settings": "{}",
        "summary": None,
        "created_by": "test",
        "finished_at": None,
        "message": None,
    }
    with connect(home) as con:
        evaluations.insert_evaluation(con, row, results)
    return results.assign(expert_grade=rated["grade"].to_numpy(), category=rated["category"])


@pytest.fixture(scope="session")
def review_template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """Demo store (60 funds, 5 years, house methodology v1 active) with eval-0001 stored."""
    demo = demo_store(tmp_path_factory, n_funds=DEMO_FUNDS, years=DEMO_YEARS)
    return built_on(tmp_path_factory, "review", demo, insert_evaluation)


@pytest.fixture
def review_home(review_template: Home, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A private copy of the review store, named by $WORKBENCH_HOME."""
    where = copy_home(review_template, tmp_path / "review-home")
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where
