"""The HTML comparison report: figures on the funds every evaluation graded, checked against
scikit-learn computed here; the training-cost table from the run folders; the CLI's errors.

The store is the review demo (tests/review_support.py): eval-0001 (run-0001, a GRPO run) has
AI grades = expert grades shifted by a known pattern with every tenth answer invalid;
eval-0002 is the same pattern on the first 30 funds from run-0002 (an RLOO run); eval-0003 is
the rule-based scorer. The run folders hold what a finished run leaves: config.json,
status.json with the final figures, and the snapshot manifest.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from engine.evaluation.report import ReportError, build_report, report_data
from engine.training.config import for_model
from store.home import Home
from tests import review_support
from tests.evaluation_support import eval_template  # noqa: F401
from workbench.cli.core import main as cli_main

review_template = review_support.review_template
COSTS = {
    "run-0001": {"wall_s": 321.5, "sec_per_grpo_step": 0.412, "grpo_steps": 60,
                 "peak_memory_mb": 812.3},
    "run-0002": {"wall_s": 287.25, "sec_per_grpo_step": 0.377, "grpo_steps": 60,
                 "peak_memory_mb": 799.9},
}  # fmt: skip
SNAPSHOT_SHA = {"run-0001": "a" * 64, "run-0002": "a" * 64}


def _write_run(home: Home, run_id: str, algorithm: str) -> None:
    folder = home.runs / run_id
    (folder / "snapshot").mkdir(parents=True)
    config = for_model("builtin-tiny", run_id=run_id, algorithm=algorithm, seed=7)
    (folder / "config.json").write_text(config.to_json(), encoding="utf-8")
    status = {
        "state": "finished",
        "device": "cpu",
        "final": {**COSTS[run_id], "algorithm": algorithm},
    }
    (folder / "status.json").write_text(json.dumps(status), encoding="utf-8")
    manifest = {"sha256": SNAPSHOT_SHA[run_id]}
    (folder / "snapshot" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture(scope="module")
def report_template(review_template: Home, tmp_path_factory) -> Home:
    from engine.evaluation.jobs import start_evaluation

    where = Home(tmp_path_factory.mktemp("report") / "home")
    shutil.copytree(review_template.root, where.root)
    review_support.insert_evaluation(
        where, "eval-0002", evaluator="run:run-0002", run_id="run-0002", limit=30
    )
    assert start_evaluation(where, "rules") == "eval-0003"
    _write_run(where, "run-0001", "grpo")
    _write_run(where, "run-0002", "rloo")
    return where


@pytest.fixture
def report_home(report_template: Home, tmp_path, monkeypatch) -> Home:
    where = Home(tmp_path / "home")
    shutil.copytree(report_template.root, where.root)
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where


def _expected(home: Home) -> tuple[list[str], dict[str, list]]:
    """The first 30 rated funds (those every evaluation graded) and each evaluation's grades."""
    from engine.evaluation.jobs import results

    out = {}
    for evaluation_id in ("eval-0001", "eval-0002", "eval-0003"):
        frame = results(home, evaluation_id)
        frame = frame[frame["expert_grade"].notna()].sort_values("fund_id")
        out[evaluation_id] = frame
    funds = sorted(set.intersection(*(set(f["fund_id"]) for f in out.values())))
    return funds, {k: f[f["fund_id"].isin(funds)] for k, f in out.items()}


def _text(path: Path) -> str:
    return re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))


def test_report_figures_equal_scikit_learn_on_the_common_funds(report_home: Home, tmp_path):
    funds, frames = _expected(report_home)
    assert len(funds) == 30  # eval-0002 graded the first 30 rated funds only
    out = build_report(
        report_home, ["eval-0001", "eval-0002", "eval-0003"], tmp_path / "r.html", n_boot=200
    )
    page = _text(out)
    for evaluation_id, frame in frames.items():
        expert = frame["expert_grade"].astype(int).to_numpy()
        grade = frame["grade"].astype("float").to_numpy()
        invalid = np.isnan(grade)
        farthest = np.where(expert >= 3, 1, 5)
        filled = np.where(invalid, farthest, grade).astype(int)
        qwk = cohen_kappa_score(expert, filled, weights="quadratic", labels=[1, 2, 3, 4, 5])
        exact = float(np.mean(~invalid & (grade == expert)))
        assert f"{qwk:.3f} [" in page, (evaluation_id, qwk)
        assert f"{exact:.1%} [" in page, (evaluation_id, exact)
        assert f"{invalid.mean():.1%}" in page
    # the AI pattern has every tenth answer invalid: 3 of 30
    assert "10.0%" in page
    assert page.count("<script") >= 1 and "plotly" in page.lower()
    assert page.count("Plotly.newPlot") >= 5  # qwk, rates, distribution, confusion, cost
    # plotly.js is inlined once (the file opens offline), never loaded from a server
    assert page.count("plotly.js v") == 1 and not re.search(r"<script[^>]*\bsrc=", page)


def test_report_shows_cost_settings_data_hash_demo_label_and_why_not_ppo(report_home, tmp_path):
    out = build_report(report_home, ["eval-0001", "eval-0002", "eval-0003"], tmp_path / "r.html",
                       n_boot=50)  # fmt: skip
    page = _text(out)
    # training cost per run, from status.json's final figures
    for run_id, cost in COSTS.items():
        row = re.search(rf"<tr><td>{run_id}</td>(.*?)</tr>", page).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert f"{cost['wall_s']:.1f}" in cells and f"{cost['sec_per_grpo_step']:.3f}" in cells
        assert f"{cost['peak_memory_mb']:.1f}" in cells and "60" in cells
    assert "<td>GRPO</td>" in page and "<td>RLOO</td>" in page
    assert "run:run-0002 (RLOO)" in page and "run:run-0001 (GRPO)" in page
    # settings side by side, the data hashes, the synthetic-data label, PPO's absence explained
    assert re.search(r"<tr><td>algorithm</td><td>grpo</td><td>rloo</td></tr>", page)
    data = report_data(report_home, ["eval-0001", "eval-0003"], n_boot=10)
    assert data["data_sha256"] in _text(
        build_report(report_home, ["eval-0001", "eval-0003"], tmp_path / "b.html", n_boot=10)
    )
    assert "a" * 64 in page
    assert "Synthetic demo data" in page
    assert "value model" in page and "PPO" in page
    assert "Verdict" in page


def test_rules_evaluator_is_fully_consistent_and_the_tabular_like_one_has_no_subscores(
    report_home: Home,
) -> None:
    data = report_data(report_home, ["eval-0001", "eval-0003"], n_boot=10)
    by_id = {e["evaluation_id"]: e for e in data["evaluators"]}
    # the rule-based scorer's grade is by construction what its own scores give
    assert by_id["eval-0003"]["consistency"]["share"] == pytest.approx(1.0)
    # the stored AI answers score two of the methodology's criteria only: never consistent
    assert by_id["eval-0001"]["consistency"]["share"] == 0.0
    assert by_id["eval-0001"]["grade_counts"]["invalid"] == 5
    assert sum(by_id["eval-0001"]["grade_counts"].values()) == data["n_funds"] == 50
    assert data["verdict"]["best"] == "rules"


def test_report_in_korean(report_home: Home, tmp_path) -> None:
    page = _text(build_report(report_home, ["eval-0001"], tmp_path / "k.html", lang="ko",
                              n_boot=10))  # fmt: skip
    assert "평가자 비교 보고서" in page and "합성 데모 데이터" in page and "학습 비용" in page


def test_report_refuses_bad_input_in_one_line(report_home: Home, tmp_path) -> None:
    with pytest.raises(ReportError, match="there is no evaluation eval-0099"):
        report_data(report_home, ["eval-0001", "eval-0099"])
    with pytest.raises(ReportError, match="ending in .html"):
        build_report(report_home, ["eval-0001"], tmp_path / "r.pdf")
    with pytest.raises(ReportError, match="name at least one evaluation"):
        report_data(report_home, [])


def test_cli_report_writes_the_file_and_fails_in_one_line(report_home, tmp_path, capsys):
    out = tmp_path / "cli.html"
    code = cli_main(["report", "eval-0001", "eval-0003", "--out", str(out), "--json",
                     "--n-boot", "20"])  # fmt: skip
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and answer["ok"] and answer["out"] == str(out) and out.is_file()
    assert answer["n_funds"] == 50 and answer["synthetic"] is True
    assert [e["evaluation_id"] for e in answer["evaluators"]] == ["eval-0001", "eval-0003"]

    code = cli_main(["report", "eval-0001", "eval-0042", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err == "error: there is no evaluation eval-0042"
    code = cli_main(["report", "nonsense", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "is not an evaluation id" in err and "\n" not in err
    code = cli_main(["report", "eval-0001", "--out", str(tmp_path / "missing" / "r.html")])
    assert code == 2 and "does not exist" in capsys.readouterr().err


def test_self_consistency_is_reported_where_several_samples_exist(report_home, tmp_path):
    """eval-0004: eval-0001's answers as sample 0, plus two samples: one repeating the grade,
    one always grade 1 — a fund then agrees 3/3 when its greedy grade is 1, else 2/3."""
    import pandas as pd

    from engine.evaluation.jobs import get_evaluation, results
    from store import evaluations
    from store.db import connect

    greedy = results(report_home, "eval-0001")
    columns = ["fund_id", "sample", "grade", "scores", "reasoning", "thinking", "raw_output",
               "parse_status", "parse_error", "latency_ms"]  # fmt: skip
    base = greedy[columns].assign(grade=greedy["grade"].astype("Int64"))
    again = base.assign(sample=1)
    ones = base.assign(sample=2, grade=pd.array([1] * len(base), dtype="Int64"), parse_status="ok")
    meta = get_evaluation(report_home, "eval-0001")
    row = {k: meta[k] for k in ("evaluator", "evaluator_kind", "run_id", "methodology_id",
                                "methodology_version", "as_of", "selection", "state", "n_funds",
                                "created_by", "finished_at", "message")}  # fmt: skip
    row.update(evaluation_id="eval-0004", samples=3, settings="{}", summary=None)
    with connect(report_home) as con:
        evaluations.insert_evaluation(con, row, pd.concat([base, again, ones]))

    g = greedy["grade"]
    shares = [1 / 3 if pd.isna(x) else 1.0 if x == 1 else 2 / 3 for x in g]
    expected = sum(shares) / len(shares)
    data = report_data(report_home, ["eval-0004", "eval-0003"], n_boot=10)
    assert data["evaluators"][0]["self_consistency"] == pytest.approx(expected)
    assert data["evaluators"][1]["self_consistency"] is None  # the rules: one answer per fund
    page = _text(build_report(report_home, ["eval-0004", "eval-0003"], tmp_path / "s.html",
                              n_boot=10))  # fmt: skip
    assert f"{expected:.1%}" in page


def test_consistency_counts_invalid_answers_as_inconsistent_and_skips_score_less_evaluators():
    import pandas as pd

    from engine.evaluation.report import consistency

    rule = {"weights": {"a": 0.5, "b": 0.5}, "method": "thresholds",
            "cutoffs": [[5, 4.5], [4, 3.5], [3, 2.5], [2, 1.5], [1, None]]}  # fmt: skip
    rules = {f: rule for f in ("F1", "F2", "F3", "F4")}
    frame = pd.DataFrame(
        {
            "fund_id": ["F1", "F2", "F3", "F4"],
            "grade": pd.array([4, 4, None, 2], dtype="Int64"),
            "scores": ['{"a": 4, "b": 4}', '{"a": 2, "b": 2}', None, '{"a": 2}'],
        }
    )
    # F1 consistent (total 4 -> 4); F2 gives 2 -> 2, not 4; F3 invalid; F4 lacks score b
    assert consistency(frame, rules) == {"share": 0.25, "consistent": 1, "n": 4}
    invalid = frame.assign(grade=pd.array([None] * 4, dtype="Int64"), scores=None)
    assert consistency(invalid, rules)["share"] == 0.0
    tabular = frame.assign(scores=None)
    assert consistency(tabular, rules)["share"] is None


# ---------------------------------------------------------------- training funds in the figures


@pytest.fixture
def run_home(eval_template: Home, tmp_path, monkeypatch) -> Home:  # noqa: F811
    """The evaluation store (tests/evaluation_support.py): run-0001 with a readable split."""
    from tests.evaluation_support import copy_home

    where = copy_home(eval_template, tmp_path / "run-home")
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where


def test_figures_with_training_funds_in_them_say_so(run_home: Home, tmp_path) -> None:
    from engine.evaluation.jobs import results, start_evaluation
    from engine.training.snapshot import load_snapshot

    tabular = start_evaluation(run_home, "tabular:run-0001", selection="all")
    rules = start_evaluation(run_home, "rules", selection="all")
    train = set(load_snapshot(run_home.runs / "run-0001" / "snapshot").frames["train"]["fund_id"])
    n = len(train & set(results(run_home, tabular)["fund_id"]))
    assert n == 35
    data = report_data(run_home, [tabular, rules], n_boot=10)
    by_id = {e["evaluation_id"]: e for e in data["evaluators"]}
    assert by_id[tabular]["training_funds"] == n and by_id[tabular]["training_run"] == "run-0001"
    assert by_id[rules]["training_funds"] == 0 and by_id[rules]["training_run"] is None
    assert data["training_funds"] == [{"run_id": "run-0001", "n": n}]
    page = html.unescape(
        _text(build_report(run_home, [tabular, rules], tmp_path / "t.html", n_boot=10))
    )
    note = f"{n} of the 50 compared funds are in run-0001's training split"
    assert page.count(note) == 2  # at the top and in the data section
    assert "<th>Training funds</th>" in page and f"<td>includes {n}</td>" in page
    if data["verdict"]["best"] == "tabular:run-0001":
        assert f"figures include {n} of its training funds" in page
    korean = _text(build_report(run_home, [tabular], tmp_path / "k.html", lang="ko", n_boot=10))
    assert f"{n}개는 run-0001의 학습용 펀드" in korean and f"{n}개 포함" in korean


def test_on_held_out_funds_the_report_has_no_training_note(run_home: Home, tmp_path) -> None:
    from engine.evaluation.jobs import start_evaluation

    tabular = start_evaluation(run_home, "tabular:run-0001", selection="test")
    rules = start_evaluation(run_home, "rules", selection="test:run-0001")
    data = report_data(run_home, [tabular, rules], n_boot=10)
    assert data["training_funds"] == []
    assert [e["training_funds"] for e in data["evaluators"]] == [0, 0]
    page = _text(build_report(run_home, [tabular, rules], tmp_path / "h.html", n_boot=10))
    assert "training split" not in page and "<td>0</td>" in page


def test_a_run_whose_split_cannot_be_read_is_named_unknown(report_home: Home, tmp_path) -> None:
    data = report_data(report_home, ["eval-0001", "eval-0003"], n_boot=10)
    assert data["training_funds"] == [{"run_id": "run-0001", "n": None}]
    page = html.unescape(_text(build_report(report_home, ["eval-0001", "eval-0003"],
                                            tmp_path / "u.html", n_boot=10)))  # fmt: skip
    assert "run-0001's training split cannot be read" in page and "<td>unknown</td>" in page
