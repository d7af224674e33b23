"""The validation funds a run measures itself on: a grade-stratified sample drawn from the run's
seed (`engine.training.stratified`), not the first `eval_max_funds` funds by id."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from engine.training.config import RunConfig, TrainingError
from engine.training.folder import RunFolder
from engine.training.stratified import grade_counts, quotas, stratified_sample
from engine.training.validation import Validation


def _split(counts: dict[int, int]) -> list[dict]:
    """Validation rows sorted by fund id whose grades come in runs (1s first, then 2s, …): the
    first funds by id then hold the low grades only."""
    rows, number = [], 0
    for grade, n in sorted(counts.items()):
        for _ in range(n):
            number += 1
            rows.append({"fund_id": f"F{number:04d}", "expert_grade": grade})
    return rows


SKEWED = {1: 30, 2: 20, 3: 40, 4: 8, 5: 2}  # 100 funds


def test_every_grade_appears_in_proportion_with_at_least_one_each() -> None:
    rows = _split(SKEWED)
    sample = stratified_sample(rows, 20, seed=0)
    got = Counter(r["expert_grade"] for r in sample)
    assert len(sample) == 20 and len({r["fund_id"] for r in sample}) == 20
    assert got == {1: 6, 2: 4, 3: 8, 4: 1, 5: 1}  # 20 x the shares, each grade at least once
    assert set(got) == set(SKEWED)


def test_the_first_funds_by_id_would_miss_grades_the_sample_keeps() -> None:
    rows = _split(SKEWED)
    first = Counter(r["expert_grade"] for r in rows[:32])
    assert set(first) == {1, 2}  # what the run measured before: two grades of five
    assert set(grade_counts(stratified_sample(rows, 32, seed=3))) == {"1", "2", "3", "4", "5"}


@pytest.mark.parametrize("n", [5, 7, 13, 32, 99])
def test_quotas_are_proportional_within_one_and_cover_every_grade(n: int) -> None:
    wanted = quotas(SKEWED, n)
    assert sum(wanted.values()) == n
    assert all(w >= 1 for w in wanted.values())
    for grade, count in SKEWED.items():
        share = n * count / 100
        assert wanted[grade] <= count
        assert abs(wanted[grade] - share) < 1 or wanted[grade] == 1, (grade, wanted)


def test_fewer_slots_than_grades_go_to_the_largest_grades() -> None:
    assert quotas(SKEWED, 3) == {1: 1, 2: 1, 3: 1, 4: 0, 5: 0}


def test_the_same_seed_gives_the_same_sample_and_another_seed_another() -> None:
    rows = _split(SKEWED)
    ids = [r["fund_id"] for r in stratified_sample(rows, 16, seed=7)]
    assert ids == [r["fund_id"] for r in stratified_sample(list(rows), 16, seed=7)]
    assert ids == sorted(ids)  # in the split's order
    assert ids != [r["fund_id"] for r in stratified_sample(rows, 16, seed=8)]


def test_a_small_split_is_kept_whole_and_nothing_is_asked_nothing_given() -> None:
    rows = _split({3: 2, 4: 1})
    assert stratified_sample(rows, 32, seed=0) == rows
    assert stratified_sample(rows, 0, seed=0) == []


def test_missing_and_float_grades_are_strata_too() -> None:
    rows = [{"expert_grade": 3.0}, {"expert_grade": 3}, {"expert_grade": None}, {}]
    assert grade_counts(rows) == {"3": 2, "None": 2}
    assert len(stratified_sample(rows, 2, seed=0)) == 2


def test_validation_choose_uses_the_run_seed_and_size(tmp_path: Path) -> None:
    rows = _split(SKEWED)
    config = RunConfig(eval_max_funds=10, seed=4)
    validation = Validation(RunFolder(tmp_path / "run-0001"), config)
    chosen = validation.choose(rows)
    assert validation.rows == chosen == stratified_sample(rows, 10, seed=4)
    assert set(Counter(r["expert_grade"] for r in chosen)) == set(SKEWED)


def test_a_run_measures_itself_on_the_stratified_sample(tmp_path: Path, monkeypatch) -> None:
    """The run's trainer, stopped right after it picks its validation funds (no training rows):
    it must have picked the stratified sample, not the first `eval_max_funds` by id."""
    from engine.training import phases

    rows = _split(SKEWED)
    folder = RunFolder(tmp_path / "run-0001")
    folder.root.mkdir()
    config = RunConfig(eval_max_funds=12, seed=2)
    monkeypatch.setattr(phases, "resolve", lambda home, model: tmp_path / "model")
    monkeypatch.setattr(phases, "load_data", lambda where: {"validation": rows, "train": []})
    trainer = phases.RunTrainer(folder, config, "cpu", resume=False)
    with pytest.raises(TrainingError, match="no training funds"):
        trainer.run()
    assert trainer.validation.rows == stratified_sample(rows, 12, seed=2)
