"""Training on rating history: a run can learn from several rating dates; splits stay by fund,
held-out funds are judged on the latest date only, and the manifest records the dates."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from engine.methodology import get
from engine.training.config import RunConfig, for_model, rating_date_choice
from engine.training.features import fund_features
from engine.training.snapshot import SnapshotError, build_snapshot, snapshot_for
from store.db import connect
from store.home import Home
from tests.template_support import copy_home, demo_store

DATES = [date(2024, 12, 31), date(2025, 12, 31), date(2026, 9, 30)]  # the demo's rating dates
ISO = [d.isoformat() for d in DATES]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The demo (60 funds, 5 years, 3 rating dates, house v1); never changed by a test."""
    demo = demo_store(tmp_path_factory, n_funds=60, years=5)
    return copy_home(demo, tmp_path_factory.mktemp("history") / "home")


@pytest.fixture(scope="module")
def ratings(store: Home) -> pd.DataFrame:
    with connect(store) as con:
        frame = con.execute("SELECT fund_id, as_of, grade FROM ratings").df()
    return frame.assign(as_of=pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d"))


@pytest.fixture(scope="module")
def last(store: Home):
    return build_snapshot(store, "house", 1)


@pytest.fixture(scope="module")
def history(store: Home):
    return build_snapshot(store, "house", 1, rating_dates="all")


def test_all_dates_give_one_row_per_rating_of_each_training_fund(history, ratings) -> None:
    train = history.frames["train"]
    assert history.manifest["rating_dates"] == ISO and history.manifest["as_of"] == ISO[-1]
    expected = ratings[ratings["fund_id"].isin(train["fund_id"])]
    assert len(train) == len(expected) > train["fund_id"].nunique()
    keys = set(zip(train["fund_id"], train["as_of"], strict=True))
    assert keys == set(zip(expected["fund_id"], expected["as_of"], strict=True))
    grades = expected.set_index(["fund_id", "as_of"])["grade"]
    assert train.set_index(["fund_id", "as_of"])["expert_grade"].equals(
        grades.reindex(train.set_index(["fund_id", "as_of"]).index).astype("int64")
    )
    assert history.manifest["rows_per_date"] == {
        d: int((history.rows()["as_of"] == d).sum()) for d in ISO
    }


def test_a_fund_sits_in_one_split_and_held_out_funds_are_the_latest_dates_alone(
    history, last
) -> None:
    rows = history.rows()
    assert rows.groupby("fund_id")["split"].nunique().max() == 1
    for split in ("validation", "test"):
        frame = history.frames[split]
        assert (frame["as_of"] == ISO[-1]).all() and frame["fund_id"].is_unique
        pd.testing.assert_frame_equal(frame, last.frames[split])  # same funds, same rows
    dropped = [d for d in history.manifest["dropped"] if d["kind"] == "held_out_earlier"]
    held_out = set(last.frames["validation"]["fund_id"]) | set(last.frames["test"]["fund_id"])
    assert dropped and {d["fund_id"] for d in dropped} <= held_out
    assert all(d["as_of"] != ISO[-1] for d in dropped)
    assert history.manifest["dropped_counts"]["held_out_earlier"] == len(dropped)
    assert history.manifest["funds"]["train"] == last.manifest["counts"]["train"]


def test_each_dates_rows_are_that_dates_features(store, history) -> None:
    train = history.frames["train"]
    with connect(store) as con:
        doc = get(con, "house", 1)
        for when in ISO[:-1]:
            rows = train[train["as_of"] == when].set_index("fund_id")
            features = fund_features(con, doc, when, rows.index).set_index("fund_id")
            for column in ("prompt", "facts", "reference_scores", "grade_rule"):
                assert rows[column].tolist() == features[column].tolist(), (when, column)
            assert all(f"기준일 {when}" in p[1]["content"] for p in rows["prompt"])


def test_the_default_is_the_latest_date_alone(store, last) -> None:
    assert RunConfig().rating_dates == "last"
    assert last.manifest["rating_dates"] == [ISO[-1]]
    assert (last.rows()["as_of"] == ISO[-1]).all()
    assert snapshot_for(store, for_model("builtin-tiny", methodology_id="house")).sha256 == (
        build_snapshot(store, "house", 1, prompt_style="compact_anchored").sha256
    )


def test_a_list_of_dates_and_an_as_of_give_exactly_those_dates(store) -> None:
    listed = build_snapshot(store, "house", 1, rating_dates=f"{ISO[0]}, {ISO[-1]}")
    assert listed.manifest["rating_dates"] == [ISO[0], ISO[-1]]
    assert set(listed.rows()["as_of"]) == {ISO[0], ISO[-1]}
    up_to = build_snapshot(store, "house", 1, as_of=ISO[1], rating_dates="all")
    assert up_to.manifest["rating_dates"] == ISO[:2] and up_to.manifest["as_of"] == ISO[1]
    config = RunConfig(methodology_id="house", rating_dates=[ISO[1]], as_of=ISO[-1])
    assert snapshot_for(store, config).manifest["rating_dates"] == ISO[1:]


def test_a_date_without_ratings_or_not_a_date_is_refused(store) -> None:
    with pytest.raises(SnapshotError, match="no expert ratings on 2025-06-30; rating dates"):
        build_snapshot(store, "house", 1, rating_dates="2025-06-30")
    with pytest.raises(SnapshotError, match="'yearly' is not a date"):
        build_snapshot(store, "house", 1, rating_dates="yearly")
    assert "rating_dates must be last, all or dates" in " ".join(
        RunConfig(rating_dates="2024-13-01").problems()
    )
    assert RunConfig(rating_dates="all").problems() == []
    assert rating_date_choice("") == "last"
    assert rating_date_choice(f"{ISO[1]},{ISO[0]},{ISO[1]}") == DATES[:2]


def test_the_setting_round_trips_through_the_runs_json() -> None:
    config = for_model("builtin-tiny", rating_dates="all")
    assert RunConfig.from_json(config.to_json()) == config


def test_max_funds_keeps_whole_funds_with_all_their_dates(store, ratings) -> None:
    small = build_snapshot(store, "house", 1, rating_dates="all", max_funds=10)
    kept = set(small.rows()["fund_id"])
    assert len(kept) == 10
    beyond = [d for d in small.manifest["dropped"] if d["kind"] == "max_funds"]
    assert beyond and not {d["fund_id"] for d in beyond} & kept
    train = small.frames["train"]
    rated = ratings[ratings["fund_id"].isin(train["fund_id"])]
    assert len(train) == len(rated)  # every rating of every kept training fund


def test_feedback_on_an_earlier_date_changes_that_training_row_only(store, history) -> None:
    train = history.frames["train"]
    fund = train["fund_id"].value_counts().index[0]  # a fund with several dates
    earlier = train[(train["fund_id"] == fund) & (train["as_of"] != ISO[-1])].iloc[0]
    items = pd.DataFrame(
        {
            "fund_id": [fund],
            "as_of": [earlier["as_of"]],
            "corrected_grade": [1 if earlier["expert_grade"] != 1 else 5],
            "weight": [0.5],
        }
    )
    changed = build_snapshot(store, "house", 1, rating_dates="all", feedback=items)
    before = train.set_index(["fund_id", "as_of"])
    after = changed.frames["train"].set_index(["fund_id", "as_of"])
    columns = [c for c in after.columns if c != "prompt"]
    differs = (after[columns] != before[columns]) & ~(
        after[columns].isna() & before[columns].isna()
    )
    cells = {(k, c) for k in after.index for c in columns if differs.loc[k, c]}
    row = (fund, earlier["as_of"])
    assert cells == {(row, "expert_grade"), (row, "sample_weight")}
    assert changed.manifest["feedback"]["applied"][0]["as_of"] == earlier["as_of"]
