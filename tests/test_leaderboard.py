"""The leaderboard ranks evaluators only on one fund set and says where training funds are in it.

Evaluations are real rules and tabular evaluations of the demo store with `run-0001` (see
tests/evaluation_support.py): its test split is 7 of the 50 funds rated at the latest date, its
training split 35.
"""

from __future__ import annotations

import pytest

from engine.evaluation.backtest import rating_dates
from engine.evaluation.jobs import results, start_evaluation
from engine.evaluation.leaderboard import FundSetError, leaderboard
from engine.training.snapshot import load_snapshot
from store.home import Home
from tests.evaluation_support import (  # noqa: F401
    RUN_ID,
    eval_home,
    eval_template,
    write_run,
)

BOOT = 50


def _train(home: Home, run_id: str = RUN_ID) -> set[str]:
    return set(load_snapshot(home.runs / run_id / "snapshot").frames["train"]["fund_id"])


def test_evaluations_of_one_fund_set_are_ranked_with_its_id(eval_home) -> None:  # noqa: F811
    rules = start_evaluation(eval_home, "rules", selection=f"test:{RUN_ID}")
    tabular = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="test")
    board = leaderboard(eval_home, [rules, tabular], n_boot=BOOT)
    assert set(board["evaluation_id"]) == {rules, tabular}
    assert list(board["qwk"]) == sorted(board["qwk"], reverse=True)
    assert board["fund_set"].nunique() == 1 and set(board["n"]) == {7}
    assert list(board["training_funds"]) == [0, 0] and list(board["note"]) == ["", ""]


def test_evaluators_run_on_different_fund_sets_are_refused(eval_home) -> None:  # noqa: F811
    on_test = start_evaluation(eval_home, "rules", selection=f"test:{RUN_ID}")
    also_test = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="test")
    on_all = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="all")
    with pytest.raises(FundSetError) as refused:
        leaderboard(eval_home, [on_test, on_all, also_test], n_boot=BOOT)
    message = str(refused.value)
    assert "\n" not in message and "different fund sets" in message
    assert f"{on_test}, {also_test}: 7 funds (test:{RUN_ID}" in message
    assert f"{on_all}: 50 funds (all" in message
    assert "--funds test:<run_id>" in message and "`report`" in message


def test_the_same_funds_at_another_rating_date_are_another_set(eval_home) -> None:  # noqa: F811
    dates = rating_dates(eval_home)
    latest = start_evaluation(eval_home, "rules")
    earlier = start_evaluation(eval_home, "rules", as_of=dates[-2])
    with pytest.raises(FundSetError, match=f"as of {dates[-2]}"):
        leaderboard(eval_home, [latest, earlier], n_boot=BOOT)


def test_identical_funds_under_two_runs_selections_are_one_set(eval_home) -> None:  # noqa: F811
    write_run(eval_home, "run-0002", sft=False)  # the same seed: the same test split
    first = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="test")
    second = start_evaluation(eval_home, "rules", selection="test:run-0002")
    board = leaderboard(eval_home, [first, second], n_boot=BOOT)
    assert len(board) == 2 and board["fund_set"].nunique() == 1


def test_rows_say_how_many_training_funds_their_figures_include(eval_home) -> None:  # noqa: F811
    tabular = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="all")
    rules = start_evaluation(eval_home, "rules", selection="all")
    board = leaderboard(eval_home, [tabular, rules], n_boot=BOOT).set_index("evaluation_id")
    rated = set(results(eval_home, tabular)["fund_id"])
    n = len(_train(eval_home) & rated)
    assert n == 35
    assert board.loc[tabular, "training_run"] == RUN_ID
    assert board.loc[tabular, "training_funds"] == n
    assert board.loc[tabular, "note"] == f"includes {n} training funds of {RUN_ID}"
    assert board.loc[rules, "training_funds"] == 0
    assert board.loc[rules, "note"] == f"the funds include training funds of {RUN_ID} ({n})"


def test_against_another_evaluation_the_set_is_the_funds_both_graded(eval_home) -> None:  # noqa: F811
    rules = start_evaluation(eval_home, "rules", selection=f"test:{RUN_ID}")
    tabular = start_evaluation(eval_home, f"tabular:{RUN_ID}", selection="test")
    wide = start_evaluation(eval_home, "rules", selection="all")
    board = leaderboard(eval_home, [rules, tabular], against=wide, n_boot=BOOT)
    assert set(board["n"]) == {7} and board["fund_set"].nunique() == 1
    assert (board.set_index("evaluation_id").loc[rules, "exact"]) == 1.0  # the same scorer


def test_an_unknown_evaluation_to_compare_against_is_refused(eval_home) -> None:  # noqa: F811
    rules = start_evaluation(eval_home, "rules", selection=f"test:{RUN_ID}")
    with pytest.raises(ValueError, match="there is no evaluation eval-0099"):
        leaderboard(eval_home, [rules], against="eval-0099", n_boot=BOOT)
