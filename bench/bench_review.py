"""Time the Review page (AppTest, headless) on an evaluation of 2,000 funds.

Setup: the synthetic demo universe with N funds (house methodology v1 active) and one stored
evaluation of every fund (`store.evaluations`, docs/review-format.md section 1): AI grades are
the expert grades shifted by a fixed pattern, one answer in ten invalid; funds the experts did
not rate get a grade too (they are listed last). Timed, each on the same AppTest session:

- cold: the first render with empty caches, median of --repeat, each in a new session (the
  evaluation's reads in one connection, the rule-based grades stored for its date by a rules
  evaluation of every fund, the open fund's indicators computed for its category; the
  agreement figures are the summary stored with the finished evaluation, as
  `engine.evaluation.jobs` stores it);
- cold, computed: the same before that rules evaluation is stored, so the rule-based grades
  are computed for the whole universe (the page says so), median of --repeat;
- warm: a rerun with nothing changed (median of --repeat);
- filter: choosing a category (median of --repeat; each time another one, so the open fund's
  category usually has its indicators computed);
- correct: a correction with its reason (one write, caches cleared, page drawn again);
- bulk: accepting the AI grade of every listed fund (one transaction of ~N rows, page drawn).

The rules evaluation (eval-0003) holds the rule-based scorer's grade and scores of every fund
at the same date and methodology version, as `python -m workbench evaluate --model rules`
stores them for the funds it grades. The baseline is the same page on an evaluation of N/10
funds of the same universe: the ratios show how render time grows with the size of the
evaluation. One untimed pass first pays the one-off costs (imports, first use of plotly and
scikit-learn) so that neither side carries them. Each time is wall seconds with the CPU
seconds of this process beside it (steadier when other processes share the cores).

    .venv/bin/python bench/bench_review.py [--funds 2000] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.demo.build import DemoConfig, build_demo  # noqa: E402
from engine.evaluation.agreement import compare  # noqa: E402
from engine.methodology import active  # noqa: E402
from engine.methodology.scoring import score_funds  # noqa: E402
from store import evaluations  # noqa: E402
from store.db import connect  # noqa: E402
from store.home import Home  # noqa: E402

APP = str(REPO / "workbench" / "app.py")
PAGE = "../pages/review.py"
OFFSETS = (0, 1, 0, -2, None, 0, -1, 3, 0, 1)  # AI = expert + offset; None = invalid answer
DEMO_YEARS = 4
TIMEOUT_S = 600


def insert_evaluation(home: Home, evaluation_id: str, limit: int | None) -> int:
    """Store a finished evaluation of the first `limit` funds (all when None); its size."""
    with connect(home) as con:
        methodology_id, version = active(con)
        as_of = con.execute("SELECT max(as_of) FROM ratings").fetchall()[0][0]
        funds = con.execute(
            "SELECT f.fund_id, f.category, r.grade FROM funds f LEFT JOIN ratings r"
            " ON r.fund_id = f.fund_id AND r.as_of = ? ORDER BY f.fund_id",
            [as_of],
        ).df()
    if limit is not None:
        funds = funds.head(limit)
    categories = funds["category"]
    grades = []
    for i, expert in enumerate(funds["grade"]):
        offset = OFFSETS[i % len(OFFSETS)]
        base = 3 if pd.isna(expert) else int(expert)
        grades.append(None if offset is None else min(5, max(1, base + offset)))
    results = pd.DataFrame(
        {
            "fund_id": funds["fund_id"],
            "sample": 0,
            "grade": pd.array(grades, dtype="Int64"),
            "scores": [None if g is None else json.dumps({"return_3y": g}) for g in grades],
            "reasoning": [None if g is None else f"3년 샤프지수 기준 {g}등급." for g in grades],
            "thinking": None,
            "raw_output": ["{" if g is None else json.dumps({"grade": g}) for g in grades],
            "parse_status": ["invalid" if g is None else "ok" for g in grades],
            "parse_error": ["not JSON" if g is None else None for g in grades],
            "latency_ms": 40.0,
        }
    )
    rated = funds["grade"].notna().to_numpy()
    summary = compare(  # what engine.evaluation.jobs stores with a finished evaluation
        funds.loc[rated, "grade"].astype(int).tolist(),
        [g for g, r in zip(grades, rated, strict=True) if r],
        categories.loc[rated].fillna("-").tolist(),
    )
    row = {
        "evaluation_id": evaluation_id, "evaluator": "run:run-0001", "evaluator_kind": "model",
        "run_id": None, "methodology_id": methodology_id, "methodology_version": version,
        "as_of": as_of.isoformat(), "selection": "all", "samples": 1, "state": "finished",
        "n_funds": len(results), "settings": "{}", "summary": json.dumps(summary),
        "created_by": "bench",
        "finished_at": None, "message": None,
    }  # fmt: skip
    with connect(home) as con:
        evaluations.insert_evaluation(con, row, results)
    return len(results)


def insert_rules_evaluation(home: Home, evaluation_id: str) -> int:
    """Store the rule-based scorer's grades and scores of every fund at the latest rating date
    as a finished rules evaluation (an ungraded fund is an invalid answer); its size."""
    with connect(home) as con:
        methodology_id, version = active(con)
        as_of = con.execute("SELECT max(as_of) FROM ratings").fetchall()[0][0]
    scored = score_funds(home, methodology_id, version, as_of)
    criteria = [c for c in scored.columns if c.startswith("score_")]
    graded = scored["grade"].notna().to_numpy()
    scores = [
        json.dumps({c[len("score_") :]: None if pd.isna(v) else float(v) for c, v in row.items()})
        for row in scored[criteria].to_dict("records")
    ]
    results = pd.DataFrame(
        {
            "fund_id": scored["fund_id"],
            "sample": 0,
            "grade": scored["grade"].astype("Int64"),
            "scores": scores,
            "reasoning": None,
            "thinking": None,
            "raw_output": None,
            "parse_status": ["ok" if g else "invalid" for g in graded],
            "parse_error": [None if g else "no grade" for g in graded],
            "latency_ms": 0.0,
        }
    )
    row = {
        "evaluation_id": evaluation_id, "evaluator": "rules", "evaluator_kind": "rules",
        "run_id": None, "methodology_id": methodology_id, "methodology_version": version,
        "as_of": as_of.isoformat(), "selection": "all", "samples": 1, "state": "finished",
        "n_funds": len(results), "settings": "{}", "summary": None, "created_by": "bench",
        "finished_at": None, "message": None,
    }  # fmt: skip
    with connect(home) as con:
        evaluations.insert_evaluation(con, row, results)
    return len(results)


def _timed(step) -> tuple[float, float]:
    """(wall, CPU) seconds of `step`. CPU counts every thread of this process (the page runs in
    one, DuckDB in others): the work done, less blurred when other processes share the cores."""
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def _median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in pairs), statistics.median(c for _, c in pairs)


def measure(
    home: Home, evaluation_id: str, repeat: int, actions: bool, cold_only: bool = False
) -> dict:
    """Render times (wall, CPU seconds) of the Review page on one evaluation."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["WORKBENCH_HOME"] = str(home.root)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()

    def check() -> None:
        assert not at.exception, at.exception

    at.session_state["rev_evaluation"] = evaluation_id
    out = {"cold": _timed(lambda: at.switch_page(PAGE).run())}
    check()
    assert at.selectbox(key="rev_evaluation").value == evaluation_id
    if cold_only:
        return out
    out["warm"] = _median([_timed(at.run) for _ in range(repeat)])
    categories = at.selectbox(key="rev_category").options[1:]
    times = []
    for i in range(repeat):
        at.selectbox(key="rev_category").set_value(categories[i % len(categories)])
        times.append(_timed(at.run))
        check()
    out["filter"] = _median(times)
    at.selectbox(key="rev_category").set_value(at.selectbox(key="rev_category").options[0])
    at.run()
    if actions:
        at.selectbox(key="rev_grade").set_value(2)
        at.text_input(key="rev_reason").input("bench")
        out["correct"] = _timed(lambda: at.button(key="rev_correct").click().run())
        check()
        out["bulk"] = _timed(lambda: at.button(key="rev_bulk_accept").click().run())
        check()
        with connect(home) as con:
            out["feedback_rows"] = int(
                con.execute("SELECT count(*) FROM feedback").fetchall()[0][0]
            )
    return out


def cold(home: Home, evaluation_id: str, repeat: int) -> tuple[float, float]:
    """Median (wall, CPU seconds) of `repeat` first renders, each in a new session with empty
    caches: one render alone varies by 2x from run to run on shared cores."""
    renders = [
        measure(home, evaluation_id, 1, actions=False, cold_only=True) for _ in range(repeat)
    ]
    return _median([render["cold"] for render in renders])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-review-"))
    try:
        home = Home(folder / "home").ensure()
        started = time.perf_counter()
        build_demo(home, DemoConfig(n_funds=args.funds, years=DEMO_YEARS))
        setup_s = time.perf_counter() - started
        small = insert_evaluation(home, "eval-0001", args.funds // 10)
        large = insert_evaluation(home, "eval-0002", None)
        measure(home, "eval-0001", 1, actions=False)  # imports and first-use costs, not timed
        computed = cold(home, "eval-0002", args.repeat)
        insert_rules_evaluation(home, "eval-0003")
        baseline = measure(home, "eval-0001", args.repeat, actions=False)
        baseline["cold"] = cold(home, "eval-0001", args.repeat)
        result = measure(home, "eval-0002", args.repeat, actions=True)
        result["cold"] = cold(home, "eval-0002", args.repeat)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ratios = {k: result[k][0] / baseline[k][0] for k in ("cold", "warm", "filter")}
    timed = [k for k in result if k != "feedback_rows"]
    report = {
        "funds": large,
        "baseline_funds": small,
        "setup_s": round(setup_s, 2),
        "review_s": {k: round(result[k][0], 3) for k in timed},
        "review_cpu_s": {k: round(result[k][1], 3) for k in timed},
        "cold_computed_s": round(computed[0], 3),
        "cold_computed_cpu_s": round(computed[1], 3),
        "baseline_s": {k: round(v[0], 3) for k, v in baseline.items()},
        "ratio_vs_baseline": {k: round(v, 2) for k, v in ratios.items()},
        "feedback_rows": result["feedback_rows"],
    }
    if args.json:
        print(json.dumps(report))
        return
    print(
        f"Review page, evaluation of {large} funds (baseline {small} funds); setup {setup_s:.1f} s"
    )
    for key in ("cold", "warm", "filter"):
        wall, cpu = result[key]
        print(
            f"  {key:8} {wall:7.3f} s (CPU {cpu:6.3f} s)   baseline {baseline[key][0]:7.3f} s   "
            f"ratio {ratios[key]:5.2f}"
        )
    print(
        f"  cold     {computed[0]:7.3f} s (CPU {computed[1]:6.3f} s)   no rule-based grades "
        "stored: computed for every fund"
    )
    print(
        f"  correct  {result['correct'][0]:7.3f} s (CPU {result['correct'][1]:6.3f} s)   one "
        "correction, page drawn again"
    )
    print(
        f"  bulk     {result['bulk'][0]:7.3f} s (CPU {result['bulk'][1]:6.3f} s)   accept "
        f"{result['feedback_rows'] - 1} listed funds in one transaction, page drawn again"
    )


if __name__ == "__main__":
    main()
