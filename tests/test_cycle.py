"""The rating cycle (docs/rating-cycle.md): every eligible fund graded, routing, precedence,
idempotence, a crash and its resume, changes since the previous cycle, publishing with sources.

The store is the evaluation demo (60 funds, 5 years) with run-0001, a finished-looking run whose
model is the untrained built-in tiny model (tests/evaluation_support.py). Cycles run in this
process (`background=False`) except where the CLI is the subject (tests/test_cycle_cli.py).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from engine.clients import clients, registry
from engine.cycle import run as cycles
from engine.cycle.asof import default_as_of
from engine.cycle.changes import changes
from engine.cycle.folder import CycleFolder, cycles_dir
from engine.cycle.precedence import overlay
from engine.cycle.routing import RoutingRule, coverage_table, route, self_agreement
from engine.evaluation.fund_sets import training_ids
from engine.methodology import get
from engine.review import feedback
from engine.training.features import fund_features
from store import cycles as stored
from store.db import connect
from store.prices import ratings_on
from store.releases import list_releases, release_rows
from tests import evaluation_support
from tests.test_api_support import add_run, api_client, auth, fund_ids

# fixtures shared with other test modules
eval_template = evaluation_support.eval_template
eval_home = evaluation_support.eval_home

AS_OF = "2026-08-31"  # a month-end without expert ratings: every fund is unrated that day


def _grades(home, cycle_id: str) -> pd.DataFrame:
    with connect(home) as con:
        return stored.grades(con, cycle_id)


def _tables(home) -> dict[str, list]:
    with connect(home) as con:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("cycles", "cycle_grades", "releases", "release_evaluations")
        }


def _rules_cycle(home, as_of: str = AS_OF, **kwargs) -> dict:
    result = cycles.start(home, as_of=as_of, model="rules", background=False, **kwargs)
    (cycle,) = result["cycles"]
    return cycle


# ---------------------------------------------------------------- parts


def test_default_as_of_is_the_last_month_end_with_navs() -> None:
    months = [date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30)]
    assert default_as_of(months) == date(2026, 9, 30)
    assert default_as_of([*months, date(2026, 10, 2)]) == date(2026, 9, 30)  # October not over
    assert default_as_of([date(2025, 11, 28), date(2025, 12, 30)]) == date(2025, 12, 30)  # holiday
    assert default_as_of([]) is None


@pytest.mark.parametrize(
    ("model", "rules", "agreement", "reasons"),
    [
        (4, 4, 1.0, []),
        (None, 4, 0.0, ["invalid"]),
        (5, 3, 1.0, ["rules_gap"]),
        (4, 3, 1.0, []),
        (4, None, 1.0, []),  # the scorer cannot grade it: no gap to measure
        (4, 4, 1 / 3, ["self_agreement"]),
        (4, 4, 2 / 3, []),
        (1, 4, 1 / 3, ["rules_gap", "self_agreement"]),
    ],
)
def test_routing_rule(model, rules, agreement, reasons) -> None:
    frame = pd.DataFrame(
        {"model_grade": pd.array([model], dtype="Int64"),
         "rules_grade": pd.array([rules], dtype="Int64"), "self_agreement": [agreement]}
    )  # fmt: skip
    routed = route(frame, RoutingRule(max_rules_gap=2, min_self_agreement=2 / 3))
    assert routed["route_reasons"].iloc[0] == reasons
    assert routed["route"].iloc[0] == ("analyst" if reasons else "model")


def test_self_agreement_is_the_share_of_answers_giving_the_greedy_grade() -> None:
    answers = pd.DataFrame(
        {"fund_id": ["a"] * 3 + ["b"] * 3 + ["c"] * 3, "sample": [0, 1, 2] * 3,
         "grade": pd.array([4, 4, 3, 2, 2, 2, None, 3, 3], dtype="Int64")}
    )  # fmt: skip
    out = self_agreement(answers).set_index("fund_id")
    assert out["self_agreement"].round(4).to_dict() == {"a": 0.6667, "b": 1.0, "c": 0.0}
    assert out["model_grade"].isna().tolist() == [False, False, True]
    assert out["samples"].tolist() == [3, 3, 3]


def test_coverage_table_trades_coverage_for_agreement_with_the_experts() -> None:
    frame = pd.DataFrame(
        {"model_grade": pd.array([4, 4, 2, 3], dtype="Int64"),
         "rules_grade": pd.array([4, 4, 2, 3], dtype="Int64"),
         "self_agreement": [1.0, 1 / 3, 2 / 3, 1.0], "samples": [3, 3, 3, 3],
         "expert_grade": pd.array([4, 1, 3, None], dtype="Int64")}
    )  # fmt: skip
    table = {round(r["threshold"], 2): r for r in coverage_table(frame, RoutingRule())}
    assert list(table) == [0.0, 0.33, 0.67, 1.0]
    assert table[0.0]["coverage"] == 1.0 and table[0.0]["n_expert"] == 3
    assert table[0.0]["exact"] == pytest.approx(1 / 3)
    assert table[0.67]["coverage"] == 0.75 and table[0.67]["chosen"]
    assert table[0.67]["exact"] == 0.5 and table[0.67]["within_one"] == 1.0
    assert table[1.0]["model_rated"] == 2 and table[1.0]["exact"] == 1.0


def test_coverage_agreement_leaves_out_the_funds_the_model_trained_on() -> None:
    frame = pd.DataFrame(
        {"fund_id": ["a", "b", "c", "d"],
         "model_grade": pd.array([4, 4, 2, 3], dtype="Int64"),
         "rules_grade": pd.array([4, 4, 2, 3], dtype="Int64"),
         "self_agreement": [1.0, 1.0, 1.0, 1.0], "samples": [3, 3, 3, 3],
         "expert_grade": pd.array([4, 1, 3, 3], dtype="Int64")}
    )  # fmt: skip
    everything = coverage_table(frame, RoutingRule())[0]
    held_out = coverage_table(frame, RoutingRule(), training={"a", "d"})[0]
    assert (everything["n_expert"], everything["exact"]) == (4, 0.5)
    assert everything["training_left_out"] == 0
    # a and d, the two exact answers, were training funds: only b and c are held out
    assert (held_out["n_expert"], held_out["exact"], held_out["training_left_out"]) == (2, 0.0, 2)
    assert held_out["coverage"] == everything["coverage"] == 1.0  # coverage counts every fund


def test_an_analysts_grade_beats_the_models_and_waiting_funds_get_the_rules_grade() -> None:
    frame = pd.DataFrame(
        {"fund_id": ["a", "b", "c", "d"], "route": ["model", "analyst", "analyst", "model"],
         "model_grade": pd.array([5, None, 1, 2], dtype="Int64"),
         "rules_grade": pd.array([4, 3, 4, 2], dtype="Int64")}
    )  # fmt: skip
    analyst = pd.DataFrame(
        {"fund_id": ["a", "c"], "analyst_grade": pd.array([3, 2], dtype="Int64"),
         "analyst_by": ["kim", "lee"]}
    )  # fmt: skip
    out = overlay(frame, analyst, rules_model=False).set_index("fund_id")
    assert out["source"].to_dict() == {
        "a": "analyst-reviewed", "b": "rules", "c": "analyst-reviewed", "d": "model-rated",
    }  # fmt: skip
    assert out["final_grade"].tolist() == [3, 3, 2, 2]
    ruled = overlay(frame, analyst.iloc[0:0], rules_model=True)
    assert set(ruled["source"]) == {"rules"} and ruled["final_grade"].tolist() == [4, 3, 4, 2]


def test_changes_list_the_transitions_big_movers_and_new_or_dropped_funds() -> None:
    before = pd.DataFrame({"fund_id": ["a", "b", "c", "x"], "fund_name": list("abcx"),
                           "final_grade": pd.array([3, 5, 2, 4], dtype="Int64")})  # fmt: skip
    after = pd.DataFrame({"fund_id": ["a", "b", "c", "y"], "fund_name": list("abcy"),
                          "final_grade": pd.array([3, 2, 3, 1], dtype="Int64")})  # fmt: skip
    found = changes(before, after)
    assert found["matrix"]["rows"][4][1] == 1 and found["matrix"]["rows"][2][2] == 1
    assert found["movers"] == [
        {"fund_id": "b", "fund_name": "b", "before": 5, "after": 2, "change": -3}
    ]
    assert (found["new"], found["dropped"], found["same"], found["moved"]) == (["y"], ["x"], 1, 2)


# ---------------------------------------------------------------- cycles in the store


def test_a_rules_cycle_grades_every_eligible_fund_rated_or_not(eval_home) -> None:
    cycle = _rules_cycle(eval_home)
    assert cycle["outcome"] == "started" and cycle["state"] == "finished"
    rows = _grades(eval_home, cycle["cycle_id"])
    with connect(eval_home) as con:
        doc = get(con, "house", 1)
        eligible = fund_features(con, doc, AS_OF)
        assert ratings_on(con, [date.fromisoformat(AS_OF)]).empty  # nobody rated that day
    assert sorted(rows["fund_id"]) == sorted(eligible["fund_id"]) and len(rows) > 30
    assert rows["rules_grade"].tolist() == rows["final_grade"].tolist()
    assert (rows["final_grade"].astype(float).to_numpy()
            == eligible.set_index("fund_id").loc[rows["fund_id"], "reference_grade"]
            .astype(float).to_numpy()).all()  # fmt: skip
    assert set(rows["source"]) == {"rules"}
    assert rows["tabular_grade"].notna().all()  # fitted on the 2025-12-31 ratings
    assert rows["expert_grade"].notna().sum() > 0
    assert (rows["expert_as_of"].dropna() < pd.Timestamp(AS_OF)).all()
    shown = cycles.show(eval_home, cycle["cycle_id"])
    assert shown["coverage"][0]["n_expert"] == int(rows["expert_grade"].notna().sum())


def test_running_a_cycle_twice_changes_nothing(eval_home) -> None:
    with connect(eval_home) as con:
        client = clients.create_client(con, "Alpha", fund_ids=fund_ids(con, 8), by="t")
    first = _rules_cycle(eval_home, client=client["client_id"])
    assert [r["version"] for r in first["releases"]] == [1]
    before = _tables(eval_home)
    again = _rules_cycle(eval_home, client=client["client_id"])
    assert again["cycle_id"] == first["cycle_id"] and again["outcome"] == "unchanged"
    assert again["releases"][0]["version"] is None
    assert _tables(eval_home) == before


def test_an_analysts_decision_takes_precedence_and_is_published_once(eval_home) -> None:
    with connect(eval_home) as con:
        funds = fund_ids(con, 8)
        client = clients.create_client(con, "Alpha", fund_ids=funds, by="t")["client_id"]
    cycle = _rules_cycle(eval_home, client=client)
    rows = _grades(eval_home, cycle["cycle_id"]).set_index("fund_id")
    fund = next(f for f in funds if f in rows.index)
    corrected = 1 if rows.loc[fund, "final_grade"] != 1 else 5
    feedback.record(eval_home, fund, AS_OF, "correct", grade=corrected, reason="visited the team",
                    created_by="kim")  # fmt: skip
    refreshed = _rules_cycle(eval_home, client=client)
    assert refreshed["outcome"] == "refreshed" and refreshed["changed"] == 1
    after = _grades(eval_home, cycle["cycle_id"]).set_index("fund_id")
    assert after.loc[fund, "source"] == "analyst-reviewed"
    assert after.loc[fund, "final_grade"] == corrected and after.loc[fund, "analyst_by"] == "kim"
    assert after.loc[fund, "rules_grade"] == rows.loc[fund, "rules_grade"]  # the rules' kept
    with connect(eval_home) as con:
        published = release_rows(con, client).set_index("fund_id")
        assert len(list_releases(con, client)) == 2
    assert published.loc[fund, "grade"] == corrected
    assert published.loc[fund, "source"] == "analyst-reviewed"
    assert published.loc[fund, "evaluator"] == "analyst"
    assert _rules_cycle(eval_home, client=client)["outcome"] == "unchanged"


def test_changes_since_the_previous_cycle(eval_home) -> None:
    first = _rules_cycle(eval_home, as_of="2026-06-30")
    second = _rules_cycle(eval_home, as_of=AS_OF)
    shown = cycles.show(eval_home, second["cycle_id"])
    assert shown["previous"] == first["cycle_id"]
    before = _grades(eval_home, first["cycle_id"]).set_index("fund_id")["final_grade"]
    after = _grades(eval_home, second["cycle_id"]).set_index("fund_id")["final_grade"]
    both = before.index.intersection(after.index)
    found = shown["changes"]
    assert found["same"] + found["moved"] == len(both)
    assert sum(map(sum, found["matrix"]["rows"])) == len(both)
    assert found["new"] == sorted(set(after.index) - set(before.index))
    assert found["dropped"] == sorted(set(before.index) - set(after.index))
    big = {f for f in both if abs(int(after[f]) - int(before[f])) >= 2}
    assert {m["fund_id"] for m in found["movers"]} == big


@pytest.mark.process
def test_a_crashed_model_cycle_resumes_without_asking_the_model_again(
    eval_home, monkeypatch
) -> None:
    """The client's approved model grades; writing the cycle crashes once; the resumed cycle
    reuses the answers kept in the evaluation's folder, then publishes with sources."""
    with connect(eval_home) as con:
        funds = fund_ids(con, 10)
        client = clients.create_client(con, "Alpha", fund_ids=funds, by="t")
        add_run(con, "run-0001")
        registry.approve(con, "run-0001", client_id=client["client_id"], by="t", reason="test")
    real_finish = stored.finish

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(stored, "finish", crash)
    (failed,) = cycles.start(eval_home, as_of=AS_OF, samples=2, background=False)["cycles"]
    assert failed["state"] == "failed" and "disk full" in failed["message"]
    assert _grades(eval_home, failed["cycle_id"]).empty  # nothing half-written
    folder = CycleFolder(cycles_dir(eval_home) / failed["cycle_id"])
    (evaluation_id,) = folder.evaluations()

    monkeypatch.setattr(stored, "finish", real_finish)
    (resumed,) = cycles.start(eval_home, as_of=AS_OF, samples=2, background=False)["cycles"]
    assert resumed["cycle_id"] == failed["cycle_id"] and resumed["outcome"] == "resumed"
    assert resumed["state"] == "finished" and resumed["model"] == "run:run-0001"
    assert folder.evaluations() == [evaluation_id]  # no new evaluation: the answers were kept
    shown = cycles.show(eval_home, resumed["cycle_id"])
    trained = training_ids(eval_home, "run-0001")
    assert shown["training_split_known"] and trained
    at_zero = shown["coverage"][0]  # threshold 0: every valid answer near the rules is rated
    zero = route(shown["rows"], RoutingRule(RoutingRule().max_rules_gap, 0.0))
    rated = zero[(zero["route"] == "model") & zero["expert_grade"].notna()]
    in_training = rated["fund_id"].isin(trained)
    assert at_zero["n_expert"] == int((~in_training).sum())
    assert at_zero["training_left_out"] == int(in_training.sum())
    rows = _grades(eval_home, resumed["cycle_id"])
    assert (rows["samples"] == 2).all() and len(rows) > 30
    invalid = rows[rows["invalid"]]
    assert (invalid["route"] == "analyst").all()
    assert all("invalid" in r for r in invalid["route_reasons"])
    waiting = rows[(rows["route"] == "analyst")]
    assert (waiting["source"] == "rules").all()  # waiting for an analyst: the rules' grade
    rated = rows[rows["route"] == "model"]
    assert (rated["source"] == "model-rated").all()
    assert (rated["final_grade"] == rated["model_grade"]).all()
    with connect(eval_home) as con:
        (selection,) = con.execute(
            "SELECT selection FROM evaluations WHERE evaluation_id = ?", [evaluation_id]
        ).fetchone()
    assert selection == f"cycle:{resumed['cycle_id']}"
    with api_client(eval_home) as api:
        body = api.get("/v1/funds", headers=auth(client["key"])).json()
    served = {f["fund_id"]: f["current"] for f in body["funds"] if f["current"]}
    assert set(served) == set(funds) & set(rows["fund_id"])
    expected = rows.set_index("fund_id")
    for fund_id, current in served.items():
        assert current["source"] == expected.loc[fund_id, "source"]
        assert current["run_id"] == "run-0001" and current["methodology_version"] == 1
        assert current["as_of"] == AS_OF and current["cycle_id"] == resumed["cycle_id"]
