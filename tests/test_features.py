"""Features apart from labels: the prompt row of any eligible fund at any date, from the store
alone, rated by an expert or not; the training snapshot is these rows joined with the ratings."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from engine.methodology import get
from engine.methodology.scoring import score_funds
from engine.training.features import (
    FEATURE_COLUMNS,
    features_from,
    fund_features,
    inputs_until,
    read_inputs,
)
from engine.training.snapshot import COLUMNS, SnapshotError, build_snapshot
from store.db import connect
from store.home import Home
from tests.template_support import copy_home, demo_store

LATEST = date(2026, 9, 30)  # the demo's last rating date
BETWEEN = date(2025, 6, 30)  # a month-end that is no rating date


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The demo (60 funds, 5 years, its house methodology v1); never changed by a test."""
    template = demo_store(tmp_path_factory, n_funds=60, years=5)
    return copy_home(template, tmp_path_factory.mktemp("features") / "home")


def _features(home: Home, as_of, fund_ids=None, **kwargs) -> pd.DataFrame:
    with connect(home) as con:
        return fund_features(con, get(con, "house", 1), as_of, fund_ids, **kwargs)


@pytest.fixture(scope="module")
def latest(store: Home) -> pd.DataFrame:
    return _features(store, LATEST)


def test_every_eligible_fund_gets_a_row_and_every_other_fund_a_reason(store, latest) -> None:
    with connect(store) as con:
        funds = con.execute("SELECT fund_id FROM funds ORDER BY 1").df()["fund_id"].tolist()
    excluded = latest.attrs["excluded"]
    assert list(latest.columns) == FEATURE_COLUMNS
    assert latest["fund_id"].tolist() == sorted(latest["fund_id"])
    assert sorted([*latest["fund_id"], *(e["fund_id"] for e in excluded)]) == funds
    assert excluded and all(e["kind"] == "not_eligible" for e in excluded)
    assert all(e["reason"].startswith("not eligible: track record") for e in excluded)
    scored = score_funds(store, "house", 1, LATEST).set_index("fund_id")
    assert set(latest["fund_id"]) == set(scored.index[scored["total"].notna()])


def test_a_fund_nobody_rated_gets_the_same_row_as_when_it_was_rated(store, latest, tmp_path):
    """Features never read the ratings: removing every rating of some funds changes nothing."""
    home = Home(tmp_path / "home")
    shutil.copytree(store.root, home.root)
    unrated = latest["fund_id"].iloc[::7].tolist()
    with connect(home) as con:
        con.execute("DELETE FROM rating_scores WHERE list_contains(?, fund_id)", [unrated])
        con.execute("DELETE FROM ratings WHERE list_contains(?, fund_id)", [unrated])
        left = con.execute(
            "SELECT count(*) FROM ratings WHERE list_contains(?, fund_id)", [unrated]
        )
        assert left.fetchall()[0][0] == 0

    again = _features(home, LATEST)

    pd.testing.assert_frame_equal(again, latest)
    rows = build_snapshot(home, "house", 1).rows()
    assert not set(unrated) & set(rows["fund_id"])  # the snapshot takes rated funds only


def test_a_store_without_any_rating_still_gives_features(store, latest, tmp_path) -> None:
    home = Home(tmp_path / "home")
    shutil.copytree(store.root, home.root)
    with connect(home) as con:
        con.execute("DELETE FROM rating_scores")
        con.execute("DELETE FROM ratings")
    pd.testing.assert_frame_equal(_features(home, LATEST), latest)
    with pytest.raises(SnapshotError, match="holds no expert ratings"):
        build_snapshot(home, "house", 1)


def test_the_snapshot_is_the_features_of_the_rated_funds_joined_with_their_grades(
    store, latest
) -> None:
    snap = build_snapshot(store, "house", 1).rows().set_index("fund_id").sort_index()
    shared = [c for c in FEATURE_COLUMNS if c in COLUMNS and c != "fund_id"]
    features = latest.set_index("fund_id").loc[snap.index, shared]
    pd.testing.assert_frame_equal(snap[shared], features, check_dtype=False)
    with connect(store) as con:
        grades = con.execute(
            "SELECT fund_id, grade FROM ratings WHERE as_of = ?", [LATEST]
        ).df().set_index("fund_id")["grade"]  # fmt: skip
    assert (snap["expert_grade"] == grades.reindex(snap.index)).all()


def test_any_date_works_and_reference_grades_are_the_scorers_at_that_date(store) -> None:
    rows = _features(store, BETWEEN).set_index("fund_id")
    assert (rows["as_of"] == BETWEEN.isoformat()).all()
    assert all(f"기준일 {BETWEEN}" in p[1]["content"] for p in rows["prompt"])
    scored = score_funds(store, "house", 1, BETWEEN).set_index("fund_id")
    expected = scored.loc[rows.index, "grade"].astype("Int64")
    pd.testing.assert_series_equal(rows["reference_grade"], expected, check_names=False)
    assert rows["reference_total"].tolist() == scored.loc[rows.index, "total"].tolist()


def test_asking_for_funds_gives_their_rows_and_says_why_the_others_have_none(store, latest):
    eligible = latest["fund_id"].iloc[[3, 1]].tolist()
    young = latest.attrs["excluded"][0]["fund_id"]
    rows = _features(store, LATEST, [*eligible, young, "KR0000000000"])
    assert rows["fund_id"].tolist() == sorted(eligible)
    by_id = latest.set_index("fund_id")
    pd.testing.assert_frame_equal(rows.set_index("fund_id"), by_id.loc[sorted(eligible)])
    assert rows.attrs["excluded"] == [
        {"fund_id": "KR0000000000", "kind": "unknown_fund", "reason": "not in the funds table"},
        latest.attrs["excluded"][0],
    ]


def test_compact_and_english_rows_differ_only_in_their_words(store, latest):
    english = _features(store, LATEST, language="en", prompt_style="compact")
    same = [c for c in FEATURE_COLUMNS if c not in ("prompt", "language", "top_criteria", "facts")]
    pd.testing.assert_frame_equal(english[same], latest[same])
    assert (english["language"] == "en").all()
    assert sum(len(m["content"]) for m in english["prompt"].iloc[0]) < sum(
        len(m["content"]) for m in latest["prompt"].iloc[0]
    )
    with pytest.raises(SnapshotError, match="prompt_style must be one of full, compact"):
        _features(store, LATEST, prompt_style="long")


def test_an_earlier_dates_inputs_cut_from_a_later_read_give_the_same_rows(store) -> None:
    with connect(store) as con:
        doc = get(con, "house", 1)
        later = read_inputs(con, doc, LATEST)
        direct = read_inputs(con, doc, BETWEEN)
    cut = inputs_until(later, BETWEEN)
    pd.testing.assert_frame_equal(features_from(cut), features_from(direct))


def test_features_need_no_home_only_a_connection(store: Home, tmp_path: Path) -> None:
    """The rating cycle and the live evaluation hold a connection; nothing else is needed."""
    with connect(store) as con:
        rows = fund_features(con, get(con, "house", 1), LATEST.isoformat(), fund_ids=[])
    assert rows.empty and list(rows.columns) == FEATURE_COLUMNS
    assert rows.attrs["excluded"] == []
