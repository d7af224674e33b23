"""Feedback: the four actions and their effective decision, the append-only audit trail, bulk
accept, imports refused with row numbers, the snapshot a retraining run learns from (changed
exactly where the analysts decided), lineage, and the `feedback` CLI.

The store is the demo universe with the house methodology and a stored evaluation whose AI
grades follow a fixed pattern (tests/review_support.py). One test trains a real (tiny) run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from engine.data.ingest import IngestError
from engine.review import feedback
from engine.review.feedback import FeedbackError
from store.db import connect
from store.home import REPO_ROOT, Home
from tests import cli_support, review_support, training_support
from tests.review_support import rated_funds
from tests.template_support import copy_home
from tests.test_cli import run_cli
from tests.training_support import end_processes, tiny_config

# fixtures shared with other test modules
review_template = review_support.review_template
review_home = review_support.review_home
train_template = training_support.train_template


def _rows(home: Home) -> pd.DataFrame:
    with connect(home) as con:
        return feedback.history(con)


def _review(home: Home) -> pd.DataFrame:
    with connect(home) as con:
        return feedback.review_table(con, "eval-0001")


def _for_snapshot(home: Home, as_of: str | None = None, **kwargs) -> pd.DataFrame:
    with connect(home) as con:
        return feedback.for_snapshot(con, as_of, **kwargs)


def _fund(home: Home, *, invalid: bool = False, agree: bool | None = None) -> dict:
    table = _review(home)
    table = table[table["invalid"] == invalid]
    if agree is not None:
        table = table[(table["gap"] == 0) == agree]
    return table.iloc[0].to_dict()


# ---------------------------------------------------------------- actions and decisions


def test_correction_records_who_when_before_and_after(review_home):
    fund = _fund(review_home, agree=False)
    as_of = str(fund["as_of"])[:10]

    feedback_id = feedback.record(
        review_home, fund["fund_id"], as_of, "correct", grade=2, reason="drawdown too deep",
        ai_grade=fund["grade"], evaluation_id="eval-0001", created_by="kim",
    )  # fmt: skip

    row = _rows(review_home).iloc[-1]
    assert row["feedback_id"] == feedback_id
    assert (row["action"], row["grade_before"], row["grade_after"]) == (
        "correct", fund["expert_grade"], 2,
    )  # fmt: skip
    assert (row["ai_grade"], row["created_by"], row["reason"]) == (
        fund["grade"], "kim", "drawdown too deep",
    )  # fmt: skip
    assert row["weight"] == 1.0 and pd.notna(row["created_at"])
    assert row["evaluation_id"] == "eval-0001"


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        ("correct", {"grade": 2}, "needs a reason"),
        ("correct", {"grade": 2, "reason": "   "}, "needs a reason"),
        ("correct", {"reason": "why"}, "needs a grade 1-5"),
        ("correct", {"grade": 7, "reason": "why"}, "needs a grade 1-5"),
        ("accept_ai", {}, "no valid grade to accept"),
        ("comment", {"comment": ""}, "needs text"),
        ("approve", {}, "action must be one of"),
    ],
)
def test_incomplete_actions_are_refused_and_write_nothing(review_home, action, fields, message):
    fund = _fund(review_home)

    with pytest.raises(FeedbackError, match=message):
        feedback.record(review_home, fund["fund_id"], fund["as_of"], action, **fields)

    assert _rows(review_home).empty


def test_unknown_fund_is_refused(review_home):
    with pytest.raises(FeedbackError, match="unknown fund"):
        feedback.record(review_home, "NOPE", "2025-12-31", "comment", comment="x")


def test_effective_decision_is_the_latest_non_comment_action(review_home):
    fund = _fund(review_home, agree=False)
    fid, as_of, expert = fund["fund_id"], str(fund["as_of"])[:10], int(fund["expert_grade"])
    ai = int(fund["grade"])

    feedback.record(review_home, fid, as_of, "accept_ai", ai_grade=ai)
    assert _for_snapshot(review_home, as_of).set_index("fund_id").loc[fid, "corrected_grade"] == ai
    assert _for_snapshot(review_home, as_of).set_index("fund_id").loc[fid, "weight"] == 0.5

    feedback.record(review_home, fid, as_of, "comment", comment="look at the 5y numbers")
    assert _for_snapshot(review_home, as_of).set_index("fund_id").loc[fid, "corrected_grade"] == ai

    feedback.record(review_home, fid, as_of, "correct", grade=1, reason="not a 4")
    decided = _for_snapshot(review_home, as_of).set_index("fund_id").loc[fid]
    assert (decided["corrected_grade"], decided["weight"]) == (1, 1.0)

    feedback.record(review_home, fid, as_of, "keep_expert")
    assert fid not in set(_for_snapshot(review_home, as_of)["fund_id"])

    trail = _rows(review_home)
    assert trail["action"].tolist() == ["accept_ai", "comment", "correct", "keep_expert"]
    assert trail["grade_before"].tolist() == [expert, ai, ai, 1]
    assert trail["grade_after"].astype("Int64").tolist() == [ai, pd.NA, 1, expert]


def test_for_snapshot_uses_the_recorded_accept_weight_unless_overridden(review_home):
    fund = _fund(review_home, agree=False)
    feedback.record(review_home, fund["fund_id"], fund["as_of"], "accept_ai",
                    ai_grade=fund["grade"], weight=0.3)  # fmt: skip

    assert _for_snapshot(review_home)["weight"].tolist() == [0.3]
    assert _for_snapshot(review_home, accept_weight=0.8)["weight"].tolist() == [0.8]
    frame = _for_snapshot(review_home)
    assert list(frame.columns) == ["fund_id", "as_of", "corrected_grade", "weight", "feedback_id"]


def test_bulk_accept_writes_one_row_per_fund_in_one_transaction_and_skips_invalid(review_home):
    table = _review(review_home)
    as_of = str(table["as_of"].iloc[0])[:10]

    done = feedback.accept_all(
        review_home, table[["fund_id"]].assign(ai_grade=table["grade"]), as_of,
        evaluation_id="eval-0001", created_by="lee",
    )  # fmt: skip

    valid = table[~table["invalid"]]
    assert done["accepted"] == len(valid) and done["already_decided"] == []
    assert sorted(done["skipped"]) == sorted(table.loc[table["invalid"], "fund_id"])
    trail = _rows(review_home)
    assert len(trail) == len(valid) and trail["fund_id"].is_unique
    assert trail["created_at"].nunique() == 1  # one transaction: one commit time
    assert (trail["action"] == "accept_ai").all() and (trail["created_by"] == "lee").all()
    ids = trail["feedback_id"].tolist()
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    snap = _for_snapshot(review_home, as_of).set_index("fund_id")
    expected = valid.set_index("fund_id")["grade"].astype(int)
    assert snap["corrected_grade"].sort_index().to_dict() == expected.sort_index().to_dict()
    assert (snap["weight"] == 0.5).all()


def test_bulk_accept_never_overrides_a_funds_earlier_decision(review_home):
    table = _review(review_home)
    as_of = str(table["as_of"].iloc[0])[:10]
    corrected = table[~table["invalid"] & (table["gap"] > 0)]["fund_id"].iloc[0]
    feedback.record(review_home, corrected, as_of, "correct", grade=1, reason="checked by hand")

    done = feedback.accept_all(
        review_home, table[["fund_id"]].assign(ai_grade=table["grade"]), as_of
    )

    assert done["already_decided"] == [corrected]
    assert corrected not in set(_rows(review_home)["fund_id"].iloc[1:])
    decided = _for_snapshot(review_home, as_of).set_index("fund_id").loc[corrected]
    assert (decided["corrected_grade"], decided["weight"]) == (1, 1.0)


# ---------------------------------------------------------------- the audit trail


def test_earlier_rows_never_change_after_later_actions(review_home, tmp_path):
    table = _review(review_home)
    as_of = str(table["as_of"].iloc[0])[:10]
    first, second = table["fund_id"].iloc[5], table["fund_id"].iloc[6]
    feedback.record(review_home, first, as_of, "correct", grade=3, reason="r1", created_by="a")
    feedback.record(review_home, second, as_of, "comment", comment="c1", created_by="a")
    before = _rows(review_home)

    feedback.record(review_home, first, as_of, "correct", grade=5, reason="r2", created_by="b")
    feedback.record(review_home, first, as_of, "keep_expert", created_by="b")
    feedback.accept_all(review_home, table[["fund_id"]].assign(ai_grade=table["grade"]), as_of)
    csv = tmp_path / "more.csv"
    csv.write_text(f"fund_id,as_of,action,grade,reason,comment\n{second},{as_of},correct,1,r3,\n")
    feedback.import_file(review_home, csv)

    after = _rows(review_home)
    pd.testing.assert_frame_equal(after.head(len(before)), before)
    assert len(after) > len(before) + 3


def test_no_code_updates_or_deletes_feedback_rows():
    pattern = re.compile(r"(UPDATE\s+feedback\b|DELETE\s+FROM\s+feedback\b)", re.IGNORECASE)
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for folder in ("engine", "store", "workbench", "pages")
        for path in (REPO_ROOT / folder).rglob("*")
        if path.suffix in (".py", ".sql") and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# ---------------------------------------------------------------- imports


def test_import_is_all_or_nothing_and_names_each_bad_row(review_home, tmp_path):
    table = _review(review_home)
    as_of = str(table["as_of"].iloc[0])[:10]
    good, other = table["fund_id"].iloc[5], table["fund_id"].iloc[6]
    path = tmp_path / "feedback.csv"
    path.write_text(
        "fund_id,as_of,action,grade,reason,comment\n"
        f"{good},{as_of},correct,2,too volatile,\n"  # row 2: fine
        f"{other},{as_of},correct,2,,\n"  # row 3: no reason
        f"NOPE,{as_of},comment,,,hello\n"  # row 4: unknown fund
        f"{good},31/12/2025,comment,,,x\n"  # row 5: bad date
        f"{good},{as_of},correct,9,why,\n"  # row 6: grade out of range
        f"{good},{as_of},approve,,,\n",  # row 7: unknown action
        encoding="utf-8",
    )

    with pytest.raises(IngestError) as caught:
        feedback.import_file(review_home, path)

    rows = {row: message for row, _, message in caught.value.problems}
    assert sorted(rows) == [3, 4, 5, 6, 7]
    assert "reason" in rows[3] and "unknown fund 'NOPE'" in rows[4] and "date" in rows[5]
    assert "integer 1-5" in rows[6] and "action must be one of" in rows[7]
    assert "5 invalid rows of 6, nothing was recorded" in str(caught.value)
    assert _rows(review_home).empty


def test_import_reads_cp949_csv_and_excel_with_korean_headers(review_home, tmp_path):
    table = _review(review_home)
    as_of = str(table["as_of"].iloc[0])[:10]
    a, b = table["fund_id"].iloc[5], table["fund_id"].iloc[6]
    csv = tmp_path / "피드백.csv"
    csv.write_bytes(
        f"펀드코드,기준일,조치,등급,사유,의견\n{a},{as_of},correct,2,변동성 과다,\n".encode("cp949")
    )
    xlsx = tmp_path / "feedback.xlsx"
    pd.DataFrame(
        {"fund_id": [b, b], "as_of": [as_of, as_of], "action": ["accept_ai", "comment"],
         "grade": ["4", None], "reason": [None, None], "comment": [None, "재확인 필요"]}
    ).to_excel(xlsx, index=False)  # fmt: skip

    first = feedback.import_file(review_home, csv, created_by="park")
    second = feedback.import_file(review_home, xlsx)

    assert first["actions"] == {"correct": 1} and second["actions"] == {
        "accept_ai": 1,
        "comment": 1,
    }
    trail = _rows(review_home)
    assert trail["reason"].iloc[0] == "변동성 과다" and trail["created_by"].iloc[0] == "park"
    assert trail["comment"].iloc[2] == "재확인 필요" and trail["grade_before"].iloc[2] == 4
    assert trail["weight"].tolist() == [1.0, 0.5, 1.0]


# ---------------------------------------------------------------- the next snapshot


def test_feedback_changes_exactly_the_decided_labels_and_weights_of_the_snapshot(review_home):
    from engine.methodology import active
    from engine.training.snapshot import build_snapshot

    with connect(review_home) as con:
        methodology_id, version = active(con)
    as_of, rated = rated_funds(review_home)
    plain = build_snapshot(review_home, methodology_id, version, as_of)
    base = plain.rows().set_index("fund_id")
    funds = base.index[base["split"] == "train"][:4].tolist()
    feedback.record(review_home, funds[0], as_of, "correct", grade=1 if base.loc[funds[0], "expert_grade"] > 1 else 5, reason="r")  # fmt: skip
    feedback.record(review_home, funds[1], as_of, "accept_ai", ai_grade=5 if base.loc[funds[1], "expert_grade"] < 5 else 1)  # fmt: skip
    feedback.record(review_home, funds[2], as_of, "correct", grade=2, reason="r")
    feedback.record(review_home, funds[2], as_of, "keep_expert")  # cancels the correction
    feedback.record(review_home, funds[3], as_of, "comment", comment="no label change")
    with connect(review_home) as con:
        items = feedback.for_snapshot(con, as_of)

    changed = build_snapshot(review_home, methodology_id, version, as_of, feedback=items)

    after = changed.rows().set_index("fund_id")
    decided = items.set_index("fund_id")
    assert set(decided.index) == {funds[0], funds[1]}
    differs = (after != base) & ~(after.isna() & base.isna())
    columns = [c for c in after.columns if c != "prompt"]
    changed_cells = {(f, c) for f in after.index for c in columns if differs.loc[f, c]}
    assert changed_cells == {  # a correction keeps weight 1.0; an accepted grade weighs 0.5
        (funds[0], "expert_grade"), (funds[1], "expert_grade"), (funds[1], "sample_weight"),
    }  # fmt: skip
    assert (after["prompt"] == base["prompt"]).all() and (after["split"] == base["split"]).all()
    for fund in funds[:2]:
        assert after.loc[fund, "expert_grade"] == decided.loc[fund, "corrected_grade"]
        assert after.loc[fund, "sample_weight"] == decided.loc[fund, "weight"]
    applied = {a["fund_id"]: a for a in changed.manifest["feedback"]["applied"]}
    assert set(applied) == {funds[0], funds[1]}
    assert applied[funds[0]]["previous_grade"] == base.loc[funds[0], "expert_grade"]
    assert changed.sha256 != plain.sha256


def test_feedback_never_changes_a_validation_or_test_label(review_home):
    from engine.methodology import active
    from engine.training.snapshot import build_snapshot

    with connect(review_home) as con:
        methodology_id, version = active(con)
    as_of, _ = rated_funds(review_home)
    plain = build_snapshot(review_home, methodology_id, version, as_of)
    base = plain.rows().set_index("fund_id")
    held_out = {s: base.index[base["split"] == s][:2].tolist() for s in ("validation", "test")}
    trained = base.index[base["split"] == "train"][0]
    for fund in [trained, *held_out["validation"], *held_out["test"]]:
        feedback.record(review_home, fund, as_of, "accept_ai", ai_grade=6 - base.loc[fund, "expert_grade"] if base.loc[fund, "expert_grade"] != 3 else 5)  # fmt: skip
    with connect(review_home) as con:
        items = feedback.for_snapshot(con, as_of)

    changed = build_snapshot(review_home, methodology_id, version, as_of, feedback=items)

    after = changed.rows().set_index("fund_id")
    for split in ("validation", "test"):
        frame = changed.frames[split].set_index("fund_id")
        pd.testing.assert_frame_equal(frame, plain.frames[split].set_index("fund_id"))
    assert after.loc[trained, "expert_grade"] != base.loc[trained, "expert_grade"]
    assert [a["fund_id"] for a in changed.manifest["feedback"]["applied"]] == [trained]
    skipped = {s["fund_id"]: s["reason"] for s in changed.manifest["feedback"]["skipped"]}
    for split, funds in held_out.items():
        for fund in funds:
            assert skipped[fund] == (
                f"held out: the fund is in the {split} split, whose labels stay the experts'"
            )


def test_a_rows_sample_weight_scales_its_rl_advantages(train_template, tmp_path):
    """GRPO and RLOO multiply each answer's advantage by its fund's weight (0: no signal)."""
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, RLOOConfig

    from engine.llm.models import load, resolve
    from engine.training.phases import weighted_rl_trainer

    model, tokenizer = load(resolve(train_template, "builtin-tiny"), dtype="float32", device="cpu")
    prompts = [[{"role": "user", "content": f"fund {k}"}] for k in range(3)]

    def alternating(completions, **kwargs):  # 0, 1, 0, 1, ...: every group has a spread
        return [float(k % 2) for k in range(len(completions))]

    for algorithm, config_class in (("grpo", GRPOConfig), ("rloo", RLOOConfig)):
        args = config_class(
            output_dir=str(tmp_path / algorithm), per_device_train_batch_size=6,
            num_generations=2, max_completion_length=4, report_to="none", use_cpu=True, seed=0,
        )  # fmt: skip
        rows = [{"prompt": p, "sample_weight": 0.0} for p in prompts]
        trainer = weighted_rl_trainer(algorithm)(
            model=model, reward_funcs=[alternating], args=args,
            train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
        )  # fmt: skip

        def advantages(weights: list[float], trainer=trainer) -> torch.Tensor:
            inputs = [
                {"prompt": p, "sample_weight": w} for p, w in zip(prompts, weights, strict=True)
            ]
            return trainer._generate_and_score_completions([x for x in inputs for _ in (0, 1)])[
                "advantages"
            ]

        plain = advantages([1.0, 1.0, 1.0])
        assert plain.abs().min() > 0, algorithm
        weighted = advantages([1.0, 0.0, 0.5])
        expected = plain * torch.tensor([1.0, 1.0, 0.0, 0.0, 0.5, 0.5])
        torch.testing.assert_close(weighted, expected, msg=algorithm)
        # the weight reaches the trainer as a dataset column: weight-0 funds teach nothing
        batch = trainer._prepare_inputs(next(iter(trainer.get_train_dataloader())))
        assert (batch["advantages"] == 0).all(), algorithm


# ---------------------------------------------------------------- retraining and lineage


def _train_home(train_template: Home, tmp_path: Path, monkeypatch) -> Home:
    where = copy_home(train_template, tmp_path / "train-home")
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where


def _decide(home: Home, run_id: str) -> tuple[str, list[int]]:
    """Three decisions on training funds of `run_id`'s snapshot: correct, accept, keep."""
    from engine.training import runs
    from engine.training.snapshot import load_snapshot

    snap = load_snapshot(runs.run_folder(home, run_id).snapshot)
    rows = snap.rows()
    as_of = snap.manifest["as_of"]
    f = rows["fund_id"].tolist()
    g = rows["expert_grade"].tolist()
    ids = [
        feedback.record(
            home, f[0], as_of, "correct", grade=6 - g[0] if g[0] != 3 else 1, reason="r"
        ),
        feedback.record(home, f[1], as_of, "accept_ai", ai_grade=6 - g[1] if g[1] != 3 else 5),
        feedback.record(home, f[2], as_of, "keep_expert"),
    ]
    return as_of, ids


def test_retrain_records_parent_and_the_applied_feedback_ids(train_template, tmp_path, monkeypatch):
    from engine.training import runs
    from engine.training.snapshot import load_snapshot

    home = _train_home(train_template, tmp_path, monkeypatch)
    parent = runs.create_run(home, tiny_config())
    as_of, ids = _decide(home, parent)

    done = feedback.retrain(home, parent, start=False)

    config = runs.load_config(home, done["run_id"])
    assert config.parent_run_id == parent
    assert config.feedback_ids == [str(ids[0]), str(ids[1])]  # keep_expert adds no data
    assert (config.model, config.max_steps, config.as_of) == ("builtin-tiny", 8, as_of)
    manifest = load_snapshot(runs.run_folder(home, done["run_id"]).snapshot).manifest
    assert len(manifest["feedback"]["applied"]) == 2
    chain = feedback.lineage(home, done["run_id"])
    assert [c["run_id"] for c in chain] == [parent, done["run_id"]]
    assert feedback.lineage_text(chain) == f"{parent} → {done['run_id']} (2 corrections)"
    assert feedback.trained_feedback(home)[ids[0]] == {"run_id": done["run_id"], "state": "created"}


def test_retrain_without_decisions_is_refused(train_template, tmp_path, monkeypatch):
    from engine.training import runs

    home = _train_home(train_template, tmp_path, monkeypatch)
    parent = runs.create_run(home, tiny_config())

    with pytest.raises(FeedbackError, match="no corrections or accepted AI grades"):
        feedback.retrain(home, parent, start=False)


@pytest.mark.slow
def test_cli_retrain_trains_a_real_run_whose_corrections_are_then_in_a_trained_model(
    train_template, tmp_path, monkeypatch
):
    """A real builtin-tiny run (a few steps, ~30-60 s on CPU), started and awaited by the CLI."""
    from engine.training import runs

    home = _train_home(train_template, tmp_path, monkeypatch)
    small = {"sft_steps": 2, "max_steps": 1, "eval_every": 1, "eval_max_funds": 2,
             "samples_every": 1, "max_completion_length": 16, "num_generations": 2,
             "per_device_train_batch_size": 2}  # fmt: skip
    parent = runs.create_run(home, tiny_config(**small))
    _, ids = _decide(home, parent)
    try:
        done = run_cli("feedback", "retrain", "--run", parent, "--wait", "--json", home=home.root)
    finally:
        end_processes(home)

    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["status"]["state"] == "finished"
    assert result["lineage"] == f"{parent} → {result['run_id']} (2 corrections)"
    trained = feedback.trained_feedback(home)
    assert trained[ids[0]] == trained[ids[1]] == {"run_id": result["run_id"], "state": "finished"}
    assert ids[2] not in trained
    decisions = pd.Series([ids[0], ids[2], None]), pd.Series(["correct", "keep_expert", None])
    assert feedback.model_status(*decisions, trained) == [
        ("finished", result["run_id"]), ("not_needed", None), ("none", None),
    ]  # fmt: skip


# ---------------------------------------------------------------- CLI


def test_cli_feedback_import_then_list_as_json(review_home, tmp_path):
    table = _review(review_home)
    as_of = str(table["as_of"].iloc[0])[:10]
    fund = table["fund_id"].iloc[5]
    path = tmp_path / "fb.csv"
    path.write_text(f"fund_id,as_of,action,grade,reason,comment\n{fund},{as_of},correct,2,why,\n")

    imported = cli_support.run_cli(
        "feedback", "import", str(path), "--by", "choi", home=review_home.root
    )
    listed = cli_support.run_cli(
        "feedback", "list", "--fund", fund, "--json", home=review_home.root
    )

    assert imported.returncode == 0, imported.stderr
    assert "1 actions recorded (1 correct)" in imported.stdout
    rows = json.loads(listed.stdout)["feedback"]
    assert [
        (r["fund_id"], r["as_of"], r["action"], r["grade_after"], r["created_by"]) for r in rows
    ] == [(fund, as_of, "correct", 2, "choi")]


def test_cli_feedback_import_of_a_bad_file_fails_in_one_line(review_home, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("fund_id,as_of,action\nNOPE,2025-12-31,comment\n")

    done = cli_support.run_cli("feedback", "import", str(path), home=review_home.root)

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "row 2" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_retrain_of_an_unknown_run_fails_in_one_line(review_home):
    done = cli_support.run_cli(
        "feedback", "retrain", "--run", "run-0099", "--no-start", home=review_home.root
    )

    assert done.returncode == 2 and "there is no run run-0099" in done.stderr
