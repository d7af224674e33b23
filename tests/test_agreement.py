"""Agreement figures (docs/review-format.md section 2) checked against scikit-learn and scipy
on fixed hand-made examples, and the leaderboard over stored evaluations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score, confusion_matrix, mean_absolute_error

from engine.evaluation.agreement import INVALID_RULE, compare, qwk_of_counts
from engine.llm.validation import agreement
from tests.evaluation_support import eval_home, eval_template  # noqa: F401

# 12 funds: expert grades and an evaluator's, two answers invalid (None)
EXPECTED = [5, 4, 4, 3, 3, 3, 2, 2, 1, 1, 5, 3]
PREDICTED = [5, 3, 4, 3, None, 2, 2, 4, 1, None, 4, 3]
# the invalid answers replaced by the grade farthest from the expert's: 3 -> 1, 1 -> 5
FILLED = [5, 3, 4, 3, 1, 2, 2, 4, 1, 5, 4, 3]
CATEGORIES = [
    "주식",
    "주식",
    "채권",
    "채권",
    "주식",
    "채권",
    "주식",
    "채권",
    "주식",
    "채권",
    "주식",
    "채권",
]
LABELS = [1, 2, 3, 4, 5]


def test_figures_equal_scikit_learn_and_scipy_without_invalid_answers() -> None:
    expected, predicted = [5, 4, 3, 2, 1, 3, 4, 2], [4, 4, 3, 1, 1, 2, 5, 2]
    figures = compare(expected, predicted, n_boot=0)
    assert figures["n"] == 8 and figures["valid"] == 8 and figures["invalid_share"] == 0.0
    assert figures["exact"] == pytest.approx(4 / 8)
    assert figures["within_one"] == pytest.approx(1.0)
    assert figures["mae"] == pytest.approx(mean_absolute_error(expected, predicted))
    assert figures["qwk"] == pytest.approx(
        cohen_kappa_score(expected, predicted, weights="quadratic", labels=LABELS)
    )
    assert figures["spearman"] == pytest.approx(spearmanr(expected, predicted).statistic)


def test_invalid_answers_count_as_disagreements() -> None:
    figures = compare(EXPECTED, PREDICTED, n_boot=0)
    assert figures["valid"] == 10 and figures["invalid_share"] == pytest.approx(2 / 12)
    # exact / within one: an invalid answer is a miss (never matched, never near)
    assert figures["exact"] == pytest.approx(6 / 12)
    assert figures["within_one"] == pytest.approx(9 / 12)
    # MAE, QWK, Spearman: on the grades with each invalid one replaced by the farthest grade
    assert figures["mae"] == pytest.approx(mean_absolute_error(EXPECTED, FILLED))
    assert figures["qwk"] == pytest.approx(
        cohen_kappa_score(EXPECTED, FILLED, weights="quadratic", labels=LABELS)
    )
    assert figures["spearman"] == pytest.approx(spearmanr(EXPECTED, FILLED).statistic)
    assert figures["invalid_rule"] == INVALID_RULE


def test_an_all_invalid_evaluator_scores_worse_than_a_constant_guess() -> None:
    expected = [1, 2, 3, 4, 5, 3]
    invalid = compare(expected, [None] * 6, n_boot=0)
    constant = compare(expected, [3] * 6, n_boot=0)
    assert invalid["exact"] == 0.0 and invalid["within_one"] == 0.0
    assert invalid["qwk"] < constant["qwk"] == pytest.approx(0.0)
    assert invalid["mae"] > constant["mae"]


def test_confusion_matrix_has_an_invalid_column() -> None:
    figures = compare(EXPECTED, PREDICTED, n_boot=0)
    confusion = figures["confusion"]
    assert confusion["expected"] == LABELS
    assert confusion["predicted"] == ["1", "2", "3", "4", "5", "invalid"]
    assert confusion["matrix"] == [
        #  1  2  3  4  5  invalid
        [1, 0, 0, 0, 0, 1],  # expert 1
        [0, 1, 0, 1, 0, 0],  # expert 2
        [0, 1, 2, 0, 0, 1],  # expert 3
        [0, 0, 1, 1, 0, 0],  # expert 4
        [0, 0, 0, 1, 1, 0],  # expert 5
    ]
    valid = [i for i, p in enumerate(PREDICTED) if p is not None]
    sklearn_part = confusion_matrix(
        [EXPECTED[i] for i in valid], [PREDICTED[i] for i in valid], labels=LABELS
    )
    assert np.array(confusion["matrix"])[:, :5].tolist() == sklearn_part.tolist()


def test_per_category_figures_are_the_figures_of_each_subset() -> None:
    figures = compare(EXPECTED, PREDICTED, CATEGORIES, n_boot=0)
    assert set(figures["per_category"]) == {"주식", "채권"}
    for name, part in figures["per_category"].items():
        keep = [i for i, c in enumerate(CATEGORIES) if c == name]
        alone = compare([EXPECTED[i] for i in keep], [PREDICTED[i] for i in keep], n_boot=0)
        for key in ("n", "exact", "within_one", "mae", "qwk", "spearman", "invalid_share"):
            assert part[key] == pytest.approx(alone[key]), (name, key)


def test_bootstrap_intervals_contain_the_estimate_and_repeat_with_the_seed() -> None:
    figures = compare(EXPECTED, PREDICTED, n_boot=500, seed=3)
    for key in ("exact", "within_one", "qwk"):
        low, high = figures["ci"][key]
        assert low <= figures[key] <= high, key
        assert low < high, key
    assert compare(EXPECTED, PREDICTED, n_boot=500, seed=3)["ci"] == figures["ci"]
    assert compare(EXPECTED, PREDICTED, n_boot=500, seed=4)["ci"] != figures["ci"]


def test_vectorised_bootstrap_kappa_equals_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        truth = rng.integers(1, 6, size=30)
        guess = np.clip(truth + rng.integers(-2, 3, size=30), 1, 5)
        counts = confusion_matrix(truth, guess, labels=LABELS)
        assert qwk_of_counts(counts) == pytest.approx(
            cohen_kappa_score(truth, guess, weights="quadratic", labels=LABELS)
        )


def test_undefined_figures_are_none_and_no_funds_give_no_numbers() -> None:
    same = compare([3, 3, 3], [3, 3, 3], n_boot=50)
    assert same["exact"] == 1.0 and same["qwk"] is None and same["spearman"] is None
    empty = compare([], [], n_boot=50)
    assert empty["n"] == 0 and empty["exact"] is None and empty["ci"]["qwk"] == [None, None]
    assert np.array(empty["confusion"]["matrix"]).sum() == 0


def test_bad_expected_grades_are_refused() -> None:
    with pytest.raises(ValueError, match="not an integer 1-5"):
        compare([3, 7], [3, 3])
    with pytest.raises(ValueError, match="2 expected grades but 1 predicted"):
        compare([3, 4], [3])


def test_out_of_range_predictions_count_as_invalid() -> None:
    figures = compare([3, 4], [9, 4.0], n_boot=0)
    assert figures["valid"] == 1 and figures["exact"] == 0.5


def test_training_agreement_keeps_its_meaning() -> None:
    figures = agreement([5, 4, 3, 2], [5, 3, None, 2])
    assert figures["exact"] == 0.5 and figures["invalid_share"] == 0.25


# ---------------------------------------------------------------- stored evaluations


def test_leaderboard_ranks_evaluators_against_experts_and_each_other(eval_home) -> None:  # noqa: F811
    from engine.evaluation.jobs import results, start_evaluation
    from engine.evaluation.leaderboard import evaluation_agreement, leaderboard

    rules = start_evaluation(eval_home, "rules", selection="test:run-0001")
    tabular = start_evaluation(eval_home, "tabular:run-0001", selection="test")
    board = leaderboard(eval_home, [tabular, rules], n_boot=200)
    assert list(board["qwk"]) == sorted(board["qwk"], reverse=True)
    assert set(board["evaluation_id"]) == {rules, tabular}
    row = board.set_index("evaluation_id").loc[rules]
    answers = results(eval_home, rules)
    direct = compare(answers["expert_grade"].astype(int), answers["grade"], n_boot=200)
    assert row["n"] == len(answers) == 7
    assert row["qwk"] == pytest.approx(direct["qwk"])
    assert [row["qwk_low"], row["qwk_high"]] == pytest.approx(direct["ci"]["qwk"])

    between = evaluation_agreement(eval_home, tabular, against=rules, n_boot=200)
    other = results(eval_home, rules).set_index("fund_id")["grade"]
    mine = results(eval_home, tabular).set_index("fund_id")["grade"]
    assert between["exact"] == pytest.approx(float((mine == other.reindex(mine.index)).mean()))
    assert between["against"] == rules and between["left_out"] == 0
