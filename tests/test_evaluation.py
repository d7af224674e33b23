"""Evaluations (docs/review-format.md section 1): rules and tabular evaluators end to end on the
demo, a language model as a real background job (stop, sync), batched generation, the CLI.

Run-based evaluators read `run-0001`, a run folder the test writes the way a finished run
leaves it, with the untrained built-in tiny model as its warm-up and final models (see
tests/evaluation_support.py): a real tiny training run costs over a minute here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time

import pandas as pd
import pytest

from engine.evaluation import jobs as evaluation
from engine.evaluation.agreement import compare
from engine.evaluation.answers import read_answer
from engine.evaluation.jobs import EvaluationError, start_evaluation
from engine.llm.generate import DEFAULT_BATCH, SMALL_MODEL_BATCH, generate
from engine.training.snapshot import load_snapshot
from store.home import Home
from tests.evaluation_support import (  # noqa: F401
    RUN_ID,
    copy_home,
    end_jobs,
    eval_home,
    eval_template,
    write_run,
)
from tests.test_cli import run_cli
from workbench.cli.core import build_parser

JOB_DEADLINE_S = 120


def _snapshot(home: Home):
    return load_snapshot(home.runs / RUN_ID / "snapshot")


# ---------------------------------------------------------------- schema


def test_migration_creates_the_contract_tables(eval_home: Home) -> None:  # noqa: F811
    from store.db import connect

    with connect(eval_home) as con:
        columns = {
            table: [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            for table in ("evaluations", "evaluation_results")
        }
    assert columns["evaluations"][:3] == ["evaluation_id", "evaluator", "evaluator_kind"]
    assert {"samples", "state", "settings", "summary", "finished_at"} <= set(columns["evaluations"])
    assert columns["evaluation_results"] == [
        "evaluation_id", "fund_id", "sample", "grade", "scores", "reasoning", "thinking",
        "raw_output", "parse_status", "parse_error", "latency_ms",
    ]  # fmt: skip


# ---------------------------------------------------------------- rules and tabular


def test_rules_evaluation_stores_the_reference_grades_and_the_agreement(eval_home) -> None:  # noqa: F811
    evaluation_id = start_evaluation(eval_home, "rules", created_by="test")
    assert evaluation_id == "eval-0001"
    row = evaluation.get_evaluation(eval_home, evaluation_id)
    assert row["state"] == "finished" and row["evaluator_kind"] == "rules"
    assert (row["methodology_id"], row["methodology_version"]) == ("house", 1)
    assert row["n_funds"] == 50 and row["selection"] == "all" and row["created_by"] == "test"

    answers = evaluation.results(eval_home, evaluation_id)
    snapshot = _snapshot(eval_home).rows().set_index("fund_id")
    assert len(answers) == 50 and set(answers["parse_status"]) == {"ok"}
    assert (answers["grade"] == snapshot.loc[answers["fund_id"], "reference_grade"].values).all()
    first = answers.iloc[0]
    assert json.loads(first["scores"]) == json.loads(
        snapshot.loc[first["fund_id"]]["reference_scores"]
    )
    assert first["fund_name"] and first["category"] and first["company"]
    assert answers["expert_grade"].notna().all()

    direct = compare(answers["expert_grade"], answers["grade"], answers["category"])
    assert row["summary"]["exact"] == pytest.approx(direct["exact"])
    assert row["summary"]["qwk"] == pytest.approx(direct["qwk"])
    assert row["summary"]["per_category"].keys() == direct["per_category"].keys()


def test_the_test_split_of_a_run_is_its_frozen_snapshot(eval_home) -> None:  # noqa: F811
    evaluation_id = start_evaluation(eval_home, "rules", selection="test", run_id=RUN_ID)
    answers = evaluation.results(eval_home, evaluation_id)
    test = _snapshot(eval_home).frames["test"]
    assert sorted(answers["fund_id"]) == sorted(test["fund_id"])
    assert evaluation.get_evaluation(eval_home, evaluation_id)["selection"] == f"test:{RUN_ID}"


def test_category_and_sized_selections(eval_home) -> None:  # noqa: F811
    category = start_evaluation(eval_home, "rules", selection="category:국내채권형")
    answers = evaluation.results(eval_home, category)
    assert len(answers) > 0 and set(answers["category"]) == {"국내채권형"}
    sized = start_evaluation(eval_home, "rules", selection="funds:12")
    assert len(evaluation.results(eval_home, sized)) == 12


def test_tabular_baseline_is_fitted_on_the_run_training_split(eval_home) -> None:  # noqa: F811
    from engine.evaluation import tabular

    evaluation_id = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="test")
    row = evaluation.get_evaluation(eval_home, evaluation_id)
    settings = row["settings"]
    snapshot = _snapshot(eval_home)
    assert row["run_id"] == RUN_ID and row["evaluator_kind"] == "tabular"
    assert settings["n_train"] == len(snapshot.frames["train"])
    assert settings["training_funds_in_selection"] == 0
    assert {"sharpe_3y", "sharpe_3y_pct", "esg", "track_record_months"} <= set(settings["features"])
    assert not [f for f in settings["features"] if "_note_" in f]

    answers = evaluation.results(eval_home, evaluation_id).set_index("fund_id")
    model = tabular.fit(snapshot.frames["train"], seed=0)
    direct = tabular.predict(model, snapshot.frames["test"]).set_index("fund_id")
    assert (answers["grade"] == direct.loc[answers.index, "grade"]).all()
    assert answers["grade"].between(1, 5).all() and (answers["parse_status"] == "ok").all()


def test_run_based_evaluators_on_all_funds_note_the_training_funds(eval_home) -> None:  # noqa: F811
    evaluation_id = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="all")
    settings = evaluation.get_evaluation(eval_home, evaluation_id)["settings"]
    assert settings["training_funds_in_selection"] == len(_snapshot(eval_home).frames["train"])
    assert settings["split_run"] == RUN_ID


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        (f"tabular:{RUN_ID}", {}),
        (RUN_ID, {}),  # a bare run id: its final model (a background job)
        ("rules", {"run_id": RUN_ID}),  # the rules, for comparison with the run
        ("base", {"run_id": RUN_ID}),  # the model the run started from
    ],
)
def test_a_run_s_evaluations_default_to_its_test_split(eval_home, spec, options) -> None:  # noqa: F811
    evaluation_id = start_evaluation(eval_home, spec, **options)
    row = evaluation.get_evaluation(eval_home, evaluation_id)
    assert row["selection"] == f"test:{RUN_ID}"
    assert row["n_funds"] == len(_snapshot(eval_home).frames["test"]) == 7
    assert row["settings"]["training_funds_in_selection"] == 0
    assert row["settings"]["split_run"] == RUN_ID
    end_jobs(eval_home)


def test_without_a_run_the_default_is_every_rated_fund(eval_home) -> None:  # noqa: F811
    row = evaluation.get_evaluation(eval_home, start_evaluation(eval_home, "rules"))
    assert row["selection"] == "all" and row["n_funds"] == 50
    assert row["settings"]["training_funds_in_selection"] == 0
    assert row["settings"]["split_run"] is None


def test_rules_on_all_funds_for_comparison_with_a_run_count_its_training_funds(eval_home) -> None:  # noqa: F811
    evaluation_id = start_evaluation(eval_home, "rules", selection="all", run_id=RUN_ID)
    settings = evaluation.get_evaluation(eval_home, evaluation_id)["settings"]
    assert settings["training_funds_in_selection"] == len(_snapshot(eval_home).frames["train"])
    assert settings["split_run"] == RUN_ID


def test_a_run_without_test_funds_defaults_to_all_with_a_count(eval_home) -> None:  # noqa: F811
    from engine.training.snapshot import build_snapshot, write_snapshot

    folder = write_run(eval_home, "run-0002", sft=False)
    shutil.rmtree(folder / "snapshot")
    write_snapshot(build_snapshot(eval_home, "house", 1, seed=0, splits=(0.8, 0.2, 0.0)),
                   folder / "snapshot")  # fmt: skip
    row = evaluation.get_evaluation(eval_home, start_evaluation(eval_home, "tabular:run-0002"))
    train = load_snapshot(folder / "snapshot").frames["train"]
    assert row["selection"] == "all"
    assert row["settings"]["training_funds_in_selection"] == len(train) > 0


def test_the_exported_agreement_table_says_how_many_training_funds_it_holds(eval_home) -> None:  # noqa: F811
    from engine.evaluation.export import evaluation_tables

    on_all = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="all")
    table = evaluation_tables(eval_home, on_all, n_boot=10)["agreement"].set_index("figure")
    assert table.loc["training_funds", "value"] == 35
    held_out = start_evaluation(eval_home, f"tabular:{RUN_ID}")
    table = evaluation_tables(eval_home, held_out, n_boot=10)["agreement"].set_index("figure")
    assert table.loc["training_funds", "value"] == 0


def test_the_review_page_offers_the_test_split_first_and_names_training_funds() -> None:
    from workbench.web.views_review import scope_label, scope_options, training_note

    assert scope_options(f"run:{RUN_ID}", ["run-0001", "run-0002"]) == [f"test:{RUN_ID}", "all"]
    assert scope_options("rules", ["run-0001", "run-0002"]) == [
        "test:run-0002", "test:run-0001", "all"
    ]  # fmt: skip
    assert scope_options("rules", []) == ["all"]
    assert RUN_ID in scope_label("all", RUN_ID) and RUN_ID not in scope_label("all")
    seen = {"run_id": None, "settings": json.dumps({"training_funds_in_selection": 35,
                                                    "split_run": RUN_ID})}  # fmt: skip
    assert "35" in training_note(seen) and RUN_ID in training_note(seen)
    assert training_note({"run_id": RUN_ID, "settings": {"training_funds_in_selection": 0}}) is None
    assert training_note({"run_id": RUN_ID, "settings": None}) is None


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ("gpt", {}, "unknown evaluator 'gpt'"),
        ("rules", {"samples": 3}, "rules is deterministic"),
        ("run:run-0042", {}, "there is no run run-0042"),
        ("tabular", {}, "tabular needs a run id"),
        ("rules", {"selection": "test"}, "give test:<run_id>"),
        ("rules", {"selection": "category:없는유형"}, "no rated fund in category '없는유형'"),
        ("rules", {"selection": "some"}, "unknown fund selection 'some'"),
        ("base:builtin-tiny", {"batch_size": 0}, "batch_size must be a whole number"),
        ("rules", {"as_of": "2020-01-31"}, "no expert ratings on 2020-01-31"),
    ],
)
def test_bad_requests_are_refused_with_a_plain_reason(eval_home, spec, options, message) -> None:  # noqa: F811
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        start_evaluation(eval_home, spec, **options)
    assert evaluation.list_evaluations(eval_home).empty


def test_a_run_without_a_warmup_model_cannot_be_evaluated_as_sft(eval_home) -> None:  # noqa: F811
    write_run(eval_home, "run-0002", sft=False)
    with pytest.raises(EvaluationError, match="run-0002 has no warm-up .* without a warm-up"):
        start_evaluation(eval_home, "sft:run-0002", selection="funds:2")


# ---------------------------------------------------------------- the model's answers


@pytest.mark.parametrize(
    ("text", "grade", "status", "error"),
    [
        ('{"scores": {"esg": 4}, "grade": 4, "reasoning": "ESG 4점"}<|im_end|>', 4, "ok", None),
        (
            '<think>샤프 높음</think>{"scores": {"esg": 2}, "grade": 2, "reasoning": "r"}',
            2,
            "ok",
            None,
        ),
        ('{"grade": 5}', 5, "ok", "missing key"),
        ('{"scores": {}, "grade": 7, "reasoning": "x"}', None, "invalid", "must be from 1 to 5"),
        ('{"scores": {"esg": 4}, "grade": 4, "reas', None, "invalid", "cut off"),
        ("\n\n\n\n", None, "invalid", "the answer is empty"),
    ],
)
def test_answers_are_read_with_the_one_parser(text, grade, status, error) -> None:
    answer = read_answer(text, ["esg"])
    assert answer["grade"] == grade and answer["parse_status"] == status
    assert answer["raw_output"] == text
    if error is None:
        assert answer["parse_error"] is None
    else:
        assert error in answer["parse_error"]
    if "<think>" in text:
        assert answer["thinking"] == "샤프 높음"


def test_batched_generation_equals_one_at_a_time(eval_home) -> None:  # noqa: F811
    """Same prompts, greedy: identical raw text (so identical grades) with batches of 4 and 1.

    The untrained tiny model answers every prompt with the same newlines, which would make the
    comparison empty; its weights are redrawn larger (seeded) so answers differ by fund."""
    import torch

    from engine.llm.models import load, resolve

    model, tokenizer = load(resolve(eval_home, "builtin-tiny"))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if weight.dim() >= 2:
                weight.normal_(0, 0.5 if "embed" in name else 0.2)
    prompts = list(_snapshot(eval_home).rows()["prompt"][:8])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # this process's OpenMP threads spin: on busy cores one is faster
    try:
        batched = generate(model, tokenizer, prompts, max_new_tokens=8, batch_size=4)
        alone = generate(model, tokenizer, prompts, max_new_tokens=8, batch_size=1)
    finally:
        torch.set_num_threads(threads)
    assert [t for t, _ in batched] == [t for t, _ in alone]
    assert len({t for t, _ in batched}) > 4  # the answers really differ from fund to fund
    assert [read_answer(t)["grade"] for t, _ in batched] == [
        read_answer(t)["grade"] for t, _ in alone
    ]


# ---------------------------------------------------------------- background jobs


def _poll(what, message: str, deadline_s: float = JOB_DEADLINE_S):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {deadline_s:.0f} s: {message}")


@pytest.fixture(scope="module")
def base_job(eval_template: Home, tmp_path_factory: pytest.TempPathFactory):  # noqa: F811
    """(home, evaluation id, statuses seen while it ran): the untrained tiny model on 6 funds,
    a greedy and a sampled answer each, as a real background job."""
    home = copy_home(eval_template, tmp_path_factory.mktemp("base-job") / "home")
    try:
        evaluation_id = start_evaluation(
            home, "base:builtin-tiny", selection="funds:6", samples=2, batch_size=4,
            max_new_tokens=6, temperature=1.0,
        )  # fmt: skip
        seen = [evaluation.status(home, evaluation_id)]
        final = evaluation.wait(
            home, evaluation_id, timeout=JOB_DEADLINE_S, poll=0.1, on_progress=seen.append
        )
    finally:
        end_jobs(home)
    return home, evaluation_id, seen, final


@pytest.mark.process
def test_a_model_evaluation_runs_in_the_background_with_progress(base_job) -> None:
    home, evaluation_id, seen, final = base_job
    assert seen[0]["state"] in ("queued", "running") and seen[0]["total"] == 12
    assert final["state"] == "finished" and final["done"] == final["total"] == 12
    assert final["device"] == "cpu" and final["progress"] == 1.0
    folder = evaluation.evaluations_dir(home) / evaluation_id
    assert {"config.json", "prompts.parquet", "status.json", "results.parquet", "log.txt"} <= {
        p.name for p in folder.iterdir()
    }
    settings = evaluation.get_evaluation(home, evaluation_id)["settings"]
    assert settings["batch_size"] == 4 and settings["max_new_tokens"] == 6
    assert settings["device"] == "cpu" and settings["dtype"] == "float32"


@pytest.mark.process  # reads the module's model job, run as a process
def test_untrained_answers_are_stored_invalid_and_count_as_disagreements(base_job) -> None:
    home, evaluation_id, _, final = base_job
    answers = evaluation.results(home, evaluation_id, all_samples=True)
    assert len(answers) == 12 and sorted(set(answers["sample"])) == [0, 1]
    assert (answers["parse_status"] == "invalid").all() and answers["grade"].isna().all()
    assert answers["raw_output"].notna().all() and (answers["latency_ms"] > 0).all()
    greedy = answers[answers["sample"] == 0]
    assert greedy["raw_output"].nunique() == 1  # untrained: the same newlines for every fund
    summary = final["agreement"]
    assert summary["n"] == 6 and summary["invalid_share"] == 1.0
    assert summary["exact"] == 0.0 and summary["within_one"] == 0.0
    assert summary["confusion"]["matrix"][0][-1] + summary["confusion"]["matrix"][4][-1] >= 0
    assert sum(row[-1] for row in summary["confusion"]["matrix"]) == 6
    assert summary["self_consistency"] == 0.0  # invalid answers never agree
    per_fund = evaluation.results(home, evaluation_id)
    assert len(per_fund) == 6 and (per_fund["self_consistency"] == 0.0).all()


@pytest.mark.process  # reads the module's model job, run as a process
def test_sync_imports_each_ended_job_once(base_job) -> None:
    home, evaluation_id, _, _ = base_job
    assert evaluation.sync(home) == 0
    assert len(evaluation.results(home, evaluation_id, all_samples=True)) == 12
    listed = evaluation.list_evaluations(home).set_index("evaluation_id")
    assert listed.loc[evaluation_id, "state"] == "finished"
    assert listed.loc[evaluation_id, "invalid_share"] == 1.0


@pytest.mark.process
def test_stop_ends_a_run_model_job_after_its_batch_and_keeps_its_answers(eval_home) -> None:  # noqa: F811
    evaluation_id = start_evaluation(
        eval_home, f"run:{RUN_ID}", selection="all", batch_size=1, max_new_tokens=24
    )
    row = evaluation.get_evaluation(eval_home, evaluation_id)
    assert row["evaluator_kind"] == "model" and row["run_id"] == RUN_ID
    assert row["settings"]["model_folder"].endswith(f"{RUN_ID}/model")
    _poll(lambda: evaluation.status(eval_home, evaluation_id).get("done", 0) >= 1, "first answer")
    assert evaluation.stop(eval_home, evaluation_id)["stop_requested"]
    final = evaluation.wait(eval_home, evaluation_id, timeout=JOB_DEADLINE_S, poll=0.1)
    assert final["state"] == "stopped", final
    answers = evaluation.results(eval_home, evaluation_id)
    assert 1 <= len(answers) < 50
    stored = evaluation.get_evaluation(eval_home, evaluation_id)
    assert stored["state"] == "stopped" and stored["n_funds"] == len(answers)
    assert stored["summary"]["n"] == len(answers)


@pytest.mark.process
def test_a_job_whose_process_died_is_marked_failed(eval_home) -> None:  # noqa: F811
    evaluation_id = start_evaluation(eval_home, f"sft:{RUN_ID}", selection="funds:2")
    row = evaluation.get_evaluation(eval_home, evaluation_id)
    assert row["evaluator_kind"] == "sft"
    assert row["settings"]["batch_size"] == SMALL_MODEL_BATCH  # the tiny model's, as the cycle's
    end_jobs(eval_home)
    final = evaluation.wait(eval_home, evaluation_id, timeout=30, poll=0.1)
    assert final["state"] == "failed" and "died" in final["message"]
    assert evaluation.get_evaluation(eval_home, evaluation_id)["state"] == "failed"


# ---------------------------------------------------------------- the CLI


@pytest.mark.process
def test_cli_evaluate_and_agreement(eval_home) -> None:  # noqa: F811
    done = run_cli("evaluate", "--model", "rules", "--funds", "test", "--run", RUN_ID, "--json",
                   home=eval_home.root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    rules = json.loads(done.stdout)
    assert rules["ok"] and rules["evaluation"]["state"] == "finished"
    assert rules["evaluation"]["summary"]["n"] == 7
    done = run_cli("evaluate", "--model", "rules", "--funds", "funds:5", home=eval_home.root)
    assert done.returncode == 0 and "against the experts, n 5" in done.stdout
    assert "Invalid answers count as disagreements" in done.stdout

    done = run_cli("evaluate", "--model", f"tabular:{RUN_ID}", "--funds", "test", "--json",
                   home=eval_home.root)  # fmt: skip
    assert done.returncode == 0, done.stderr

    done = run_cli("agreement", "eval-0001", "eval-0003", "--json", home=eval_home.root)
    board = json.loads(done.stdout)["leaderboard"]
    assert {r["evaluation_id"] for r in board} == {"eval-0001", "eval-0003"}
    assert all(r["qwk_low"] <= r["qwk"] <= r["qwk_high"] for r in board)
    assert {r["training_funds"] for r in board} == {0} and {r["note"] for r in board} == {""}

    done = run_cli("agreement", "eval-0001", "eval-0002", home=eval_home.root)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "different fund sets" in done.stderr and "eval-0002: 5 funds" in done.stderr


@pytest.mark.process
def test_cli_evaluate_defaults_to_the_run_test_split(eval_home) -> None:  # noqa: F811
    done = run_cli("evaluate", "--model", f"tabular:{RUN_ID}", "--json", home=eval_home.root)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["evaluation"]["selection"] == f"test:{RUN_ID}"


@pytest.mark.process
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--model", "rules", "--funds", "test"], "give test:<run_id>"),
        (["agreement", "eval-0099"], "there is no evaluation eval-0099"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(eval_home, args, message) -> None:  # noqa: F811
    done = run_cli(*args, home=eval_home.root)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr


def test_results_frame_is_plain_for_pages(eval_home) -> None:  # noqa: F811
    evaluation_id = start_evaluation(eval_home, "rules", selection="funds:5")
    frame = evaluation.results(eval_home, evaluation_id)
    assert isinstance(frame, pd.DataFrame)
    assert {"fund_id", "fund_name", "category", "company", "grade", "expert_grade", "scores",
            "reasoning", "parse_status", "latency_ms", "expert_comment"} <= set(frame.columns)  # fmt: skip


def _batch_size_helps(parser: argparse.ArgumentParser) -> list[str]:
    """The help of every --batch-size option of `parser` and its subcommands."""
    found = []
    for action in parser._actions:
        if "--batch-size" in action.option_strings:
            found.append(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _batch_size_helps(sub)
    return found


def test_the_clis_batch_size_help_names_the_generators_defaults() -> None:
    # evaluate and cycle run: their parsers import no engine, so their help states the numbers
    helps = _batch_size_helps(build_parser())
    assert len(helps) >= 2
    for text in helps:
        assert f"{SMALL_MODEL_BATCH} for a small model" in text and f"else {DEFAULT_BATCH}" in text
