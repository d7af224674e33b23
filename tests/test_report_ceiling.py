"""The demo's ceiling in the comparison report: the demo build writes each rating's habit-aware,
noise-free grade (`Home.demo_ceiling`), and the report shows it as one more row on the compared
funds, labelled demo only and left out of the verdict; without the file, off the demo, or with a
compared fund lacking a ceiling grade, there is no such row (and one line says why on the demo).

The store is the evaluation demo (tests/evaluation_support.py: 60 funds over 5 years, run-0001)
with two fast evaluations of run-0001's test funds: the rule-based scorer and the tabular model.
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

from engine.demo.build import DemoConfig, generate_demo
from engine.demo.house import habit_aware_grades
from engine.evaluation.agreement import compare
from engine.evaluation.report import CEILING_LABEL, build_report, report_data, verdict
from store.db import connect
from store.home import Home
from tests.cli_support import run_cli
from tests.evaluation_support import (
    DEMO_FUNDS,
    DEMO_YEARS,
    RUN_ID,
    eval_template,  # noqa: F401
)
from tests.template_support import built_on, copy_home

CONFIG = DemoConfig(n_funds=DEMO_FUNDS, years=DEMO_YEARS)
EVALUATIONS = ["eval-0001", "eval-0002"]
N_BOOT = 50


def _evaluate(home: Home) -> None:
    from engine.evaluation.jobs import start_evaluation

    assert start_evaluation(home, "rules", run_id=RUN_ID) == "eval-0001"
    assert start_evaluation(home, f"tabular:{RUN_ID}") == "eval-0002"


@pytest.fixture(scope="module")
def ceiling_template(eval_template: Home, tmp_path_factory) -> Home:  # noqa: F811
    return built_on(tmp_path_factory, "report-ceiling", eval_template, _evaluate)


@pytest.fixture
def ceiling_home(ceiling_template: Home, tmp_path, monkeypatch) -> Home:
    where = copy_home(ceiling_template, tmp_path / "home")
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where


@pytest.fixture(scope="module")
def grading() -> pd.DataFrame:
    """The demo's hidden grading detail, regenerated here from its config."""
    return generate_demo(CONFIG).grading


def _compared(home: Home) -> pd.DataFrame:
    """The rows both evaluations graded and the experts rated, by fund (expert grade, date)."""
    from engine.evaluation.jobs import results

    frames = [results(home, e) for e in EVALUATIONS]
    funds = set.intersection(*(set(f.loc[f["expert_grade"].notna(), "fund_id"]) for f in frames))
    first = frames[0]
    return first[first["fund_id"].isin(funds)].sort_values("fund_id").reset_index(drop=True)


def _text(path) -> str:
    return re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))


def test_demo_build_writes_every_ratings_habit_aware_grade(ceiling_home, grading):
    stored = pd.read_parquet(ceiling_home.demo_ceiling)
    with connect(ceiling_home) as con:
        ratings = con.execute("SELECT fund_id, as_of, grade FROM ratings").df()
    assert len(stored) == len(ratings) == len(grading)
    assert not stored.duplicated(["fund_id", "as_of"]).any()
    day = grading["as_of"].max()
    expected = grading[grading["as_of"] == day].assign(ceiling=habit_aware_grades)
    on_day = stored[pd.to_datetime(stored["as_of"]) == day].set_index("fund_id")
    assert on_day["grade"].sort_index().tolist() == (
        expected.set_index("fund_id")["ceiling"].sort_index().tolist()
    )
    # beside it the expert grade the demo made, the one the store holds
    both = ratings.assign(as_of=pd.to_datetime(ratings["as_of"])).merge(
        stored.assign(as_of=pd.to_datetime(stored["as_of"])), on=["fund_id", "as_of"]
    )
    assert len(both) == len(ratings) and (both["grade_x"] == both["expert_grade"]).all()
    # the ceiling is not the expert grade: the analysts' leniency and noise move some grades
    assert (both["grade_y"] != both["expert_grade"]).any()


def test_report_has_the_ceiling_row_with_the_figures_of_compare_outside_the_verdict(
    ceiling_home, grading
):
    data = report_data(ceiling_home, EVALUATIONS, n_boot=N_BOOT, seed=3)
    compared = _compared(ceiling_home)
    as_of = pd.Timestamp(compared["as_of"].iloc[0])
    day = grading[grading["as_of"] == as_of]
    truth = day.assign(ceiling=habit_aware_grades(day)).set_index("fund_id")["ceiling"]
    expected = compare(
        compared["expert_grade"].astype(int).tolist(),
        truth.loc[compared["fund_id"]].astype(int).tolist(),
        compared["category"].fillna("-").tolist(),
        n_boot=N_BOOT,
        seed=3,
    )
    top = data["ceiling"]
    assert data["synthetic"] and data["ceiling_note"] is None
    assert top["label"] == CEILING_LABEL and top["as_of"] == str(as_of.date())
    assert top["figures"] == expected
    assert top["figures"]["n"] == data["n_funds"] == len(compared) > 0
    assert top["figures"]["invalid_share"] == 0.0 and top["figures"]["ci"]["qwk"][0] is not None
    # the ceiling is no evaluator: the verdict ranks the two evaluations alone
    assert [e["evaluation_id"] for e in data["evaluators"]] == EVALUATIONS
    assert data["verdict"] == verdict(data["evaluators"])
    assert CEILING_LABEL not in repr(data["verdict"])


def test_html_shows_the_ceiling_row_labelled_demo_only_in_both_languages(ceiling_home, tmp_path):
    data = report_data(ceiling_home, EVALUATIONS, n_boot=N_BOOT)
    f = data["ceiling"]["figures"]
    for lang, label in (("en", "Ceiling (demo only)"), ("ko", "상한 (데모 전용)")):
        out = tmp_path / f"{lang}.html"
        page = _text(build_report(ceiling_home, EVALUATIONS, out, lang=lang, n_boot=N_BOOT))
        row = re.search(r'<tr class="ceiling">(.*?)</tr>', page).group(1)
        cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
        assert cells[0] == label and cells[2] == str(data["n_funds"])
        assert cells[3].startswith(f"{f['exact']:.1%} [") and cells[8] == "0.0%"
        assert cells[6].startswith(f"{f['qwk']:.3f} [")
    page_en = html.unescape(_text(tmp_path / "en.html"))
    verdict_part = re.search(r"<div class='verdict'>(.*?)</div>", page_en).group(1)
    best = re.search(r"<p>(.*?)</p>", verdict_part).group(1)
    assert f"{data['verdict']['best']} agrees best" in best and "ceiling" not in best.lower()
    assert "For reference, the demo's ceiling (demo only, not an evaluator)" in verdict_part
    assert "not an evaluator the house can use" in page_en


def test_no_ceiling_row_off_the_demo_or_without_its_file(ceiling_home, tmp_path):
    with connect(ceiling_home) as con:
        con.execute("DELETE FROM meta WHERE key = 'dataset'")
    data = report_data(ceiling_home, EVALUATIONS, n_boot=10)
    assert not data["synthetic"] and data["ceiling"] is None and data["ceiling_note"] is None
    page = _text(build_report(ceiling_home, EVALUATIONS, tmp_path / "r.html", n_boot=10))
    assert 'class="ceiling"' not in page and "demo only" not in page

    with connect(ceiling_home) as con:
        con.execute("INSERT INTO meta (key, value) VALUES ('dataset', 'synthetic-demo')")
    ceiling_home.demo_ceiling.unlink()
    data = report_data(ceiling_home, EVALUATIONS, n_boot=10)
    assert data["synthetic"] and data["ceiling"] is None
    assert data["ceiling_note"] == {"key": "ceiling_no_file"}
    page = _text(build_report(ceiling_home, EVALUATIONS, tmp_path / "r2.html", n_boot=10))
    assert 'class="ceiling"' not in page and "its file is missing" in page


def test_a_compared_fund_without_a_ceiling_grade_leaves_the_row_out_and_says_why(
    ceiling_home, tmp_path
):
    compared = _compared(ceiling_home)
    stored = pd.read_parquet(ceiling_home.demo_ceiling)
    gone = compared["fund_id"].iloc[0]
    day = pd.Timestamp(compared["as_of"].iloc[0]).date()
    stored[~((stored["fund_id"] == gone) & (stored["as_of"] == day))].to_parquet(
        ceiling_home.demo_ceiling
    )
    data = report_data(ceiling_home, EVALUATIONS, n_boot=10)
    assert data["ceiling"] is None
    assert data["ceiling_note"] == {
        "key": "ceiling_missing", "n": 1, "total": len(compared), "as_of": str(day)
    }  # fmt: skip
    page = _text(build_report(ceiling_home, EVALUATIONS, tmp_path / "r.html", n_boot=10))
    assert f"1 of the {len(compared)} compared funds have no ceiling grade at {day}" in page
    assert 'class="ceiling"' not in page


def test_ratings_changed_after_the_demo_leave_the_ceiling_out(ceiling_home):
    compared = _compared(ceiling_home)
    fund, expert = compared["fund_id"].iloc[0], int(compared["expert_grade"].iloc[0])
    day = pd.Timestamp(compared["as_of"].iloc[0]).date()
    stored = pd.read_parquet(ceiling_home.demo_ceiling)
    changed = (stored["fund_id"] == fund) & (stored["as_of"] == day)
    stored.loc[changed, "expert_grade"] = 1 if expert != 1 else 2  # not the grade the store holds
    stored.to_parquet(ceiling_home.demo_ceiling)
    data = report_data(ceiling_home, EVALUATIONS, n_boot=10)
    assert data["ceiling"] is None
    assert data["ceiling_note"] == {
        "key": "ceiling_stale", "n": 1, "total": len(compared), "as_of": str(day)
    }  # fmt: skip


def test_report_command_prints_the_ceiling_apart_from_the_evaluators(ceiling_home, tmp_path):
    out = tmp_path / "report.html"
    done = run_cli("report", *EVALUATIONS, "--out", str(out), "--json", home=ceiling_home.root)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ceiling"]["label"] == CEILING_LABEL
    assert CEILING_LABEL not in {e["label"] for e in result["evaluators"]}
    assert 0 <= result["ceiling"]["figures"]["qwk"] <= 1
    ceiling_home.demo_ceiling.unlink()
    done = run_cli("report", *EVALUATIONS, "--out", str(out), "--force", home=ceiling_home.root)
    assert done.returncode == 0, done.stderr
    assert CEILING_LABEL not in done.stdout and "ceiling" in done.stdout.lower()
