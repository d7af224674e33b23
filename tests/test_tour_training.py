"""scripts/tour_training.py without a browser: which runs it refuses, the notes it writes from a
run's config and events, and the copy of the home it serves (the source is only read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.training.config import for_model
from engine.training.figures import final_figures
from engine.training.folder import RunFolder
from scripts.tour_training import copy_home, main, read_run, refusal, tour_markdown
from store.db import connect
from store.home import Home

RUN = "run-0001"


def agreement(qwk: float, exact: float, n: int = 20, valid: int = 20) -> dict:
    return {
        "n": n,
        "valid": valid,
        "exact": exact,
        "within_one": min(1.0, exact + 0.25),
        "qwk": qwk,
        "invalid_share": (n - valid) / n,
        "seconds": 2.0,
    }


def make_run(
    home: Path,
    passes: list[tuple[str, int, dict]],
    *,
    state: str = "finished",
    **changes,
) -> RunFolder:
    """A run folder as the training process leaves it: config, train/summary/eval events
    (appended with the folder's own writer) and status.json with the run's final figures."""
    settings = {
        "run_id": RUN,
        "prompt_style": "compact_anchored",
        "rating_dates": "all",
        "sft_steps": 8,
        "max_steps": 6,
        "loss_type": "dapo",
        "scale_rewards": "group",
        "seed": 7,
    }
    config = for_model("builtin-tiny", **{**settings, **changes})
    folder = RunFolder(home / "runs" / RUN)
    folder.root.mkdir(parents=True)
    folder.config.write_text(config.to_json(), encoding="utf-8")
    if config.sft_steps:
        for step in range(1, config.sft_steps + 1):
            folder.append_event("train", "sft", step, loss=1.0 / step)
        folder.append_event("summary", "sft", config.sft_steps, train_runtime=150.0)
    for stage, step, figures in passes:
        if stage == "final":
            folder.append_event("summary", "grpo", step, train_runtime=90.0)
        folder.append_event("eval", "grpo", step, stage=stage, **figures, examples=["{}"])
        if stage != "final":
            folder.append_event(
                "train", "grpo", step + 1, reward=0.7, **{"rewards/json_format/mean": 1.0}
            )
    folder.write_status(
        state=state,
        device="cpu",
        started_at="2026-12-01T10:00:00+00:00",
        finished_at="2026-12-01T10:05:00+00:00",
    )
    folder.write_status(final=final_figures(folder))
    return folder


LEARNED = [
    ("sft", 0, agreement(0.5, 0.4)),
    ("training", 3, agreement(0.6, 0.5)),
    ("final", 6, agreement(0.7, 0.55)),
]


def test_a_run_that_is_not_finished_is_refused_in_one_line_with_exit_2(tmp_path, capsys) -> None:
    make_run(tmp_path, LEARNED[:2], state="running")
    assert refusal(read_run(tmp_path, RUN)) == (
        "run-0001 is running, not finished: the tour shows a finished run"
    )
    assert main([str(tmp_path), RUN, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "not finished" in err
    assert not (tmp_path / "out").exists()


def test_a_run_whose_validation_never_had_a_valid_answer_is_refused(tmp_path, capsys) -> None:
    nothing = agreement(0.0, 0.0, valid=0)
    make_run(tmp_path, [("sft", 0, nothing), ("final", 6, nothing)])
    message = refusal(read_run(tmp_path, RUN))
    assert message == (
        "run-0001: validation never had a valid answer in 2 passes: nothing learned to show"
    )
    assert main([str(tmp_path), RUN, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == message


def test_a_run_without_a_validation_pass_is_refused(tmp_path) -> None:
    make_run(tmp_path, [])
    assert refusal(read_run(tmp_path, RUN)) == (
        "run-0001 has no validation pass: nothing learned to show"
    )


def test_an_unknown_run_is_refused_with_exit_2(tmp_path, capsys) -> None:
    assert main([str(tmp_path), "run-0009"]) == 2
    assert "there is no run run-0009" in capsys.readouterr().err


def test_the_notes_state_the_settings_the_time_and_the_agreement_before_and_after(
    tmp_path,
) -> None:
    make_run(tmp_path, LEARNED)
    record = read_run(tmp_path, RUN)
    assert refusal(record) is None
    notes = tour_markdown(record, "/data/home")

    assert "scripts/tour_training.py /data/home run-0001 --out docs/tour" in notes
    assert "![The Training page on run-0001](3-training.png)" in notes
    for setting, value in (
        ("model", "builtin-tiny"),
        ("prompt_style", "compact_anchored"),
        ("rating_dates", "all"),
        ("seed", "7"),
        ("sft_steps", "8"),
        ("max_steps", "6"),
        ("sft_learning_rate", str(record.config.sft_learning_rate)),
        ("learning_rate", str(record.config.learning_rate)),
        ("num_generations", str(record.config.num_generations)),
        ("loss_type", "dapo"),
        ("scale_rewards", "group"),
    ):
        assert f"| `{setting}` | {value} |" in notes
    assert "GRPO improved on the warm-up: QWK 0.500 -> 0.700, exact 40.0 % -> 55.0 %" in notes
    assert (
        "| after the warm-up (GRPO step 0) | 20 | 20 | 40.0 % | 65.0 % | 0.500 | 0.0 % |" in notes
    )
    assert "| during GRPO, step 3 | 20 | 20 | 50.0 % | 75.0 % | 0.600 | 0.0 % |" in notes
    assert "| after GRPO (final model) | 20 | 20 | 55.0 % | 80.0 % | 0.700 | 0.0 % |" in notes
    assert "before training (untrained model) | not measured" in notes
    assert "The best pass was during GRPO" not in notes  # the final pass is the best
    assert "- warm-up: 2.5 min (150 s) for 8 steps" in notes
    assert "- GRPO: 90 s for 6 steps" in notes
    assert "- whole run (process start to finish): 5.0 min (300 s) on cpu, 1 process" in notes
    assert "- validation: 3 passes, 6 s in all" in notes
    assert "total 0.700; json_format 1.000" in notes


def test_the_notes_say_plainly_when_grpo_did_not_improve_on_the_warm_up(tmp_path) -> None:
    make_run(
        tmp_path,
        [
            ("sft", 0, agreement(0.7, 0.6)),
            ("training", 3, agreement(0.8, 0.65)),
            ("final", 6, agreement(0.65, 0.55, valid=19)),
        ],
    )
    notes = tour_markdown(read_run(tmp_path, RUN))
    assert (
        "GRPO did not improve on the warm-up here: QWK 0.700 -> 0.650, exact 60.0 % -> 55.0 %, "
        "invalid 0.0 % -> 5.0 %." in notes
    )
    assert "The best pass was during GRPO, at step 3 (QWK 0.800, exact 65.0 %)" in notes


def test_a_run_without_warm_up_is_compared_with_the_untrained_model(tmp_path) -> None:
    make_run(
        tmp_path,
        [("untrained", 0, agreement(0.1, 0.2, valid=5)), ("final", 6, agreement(0.3, 0.3))],
        sft_steps=0,
    )
    notes = tour_markdown(read_run(tmp_path, RUN))
    assert "GRPO improved on the untrained model: QWK 0.100 -> 0.300" in notes
    assert "| before training (untrained model) | 20 | 5 | 20.0 % |" in notes
    assert "not measured" not in notes
    assert "- warm-up: not recorded for 0 steps" in notes


def test_the_served_copy_holds_the_database_and_run_files_and_leaves_the_source_alone(
    tmp_path,
) -> None:
    source = Home(tmp_path / "source").ensure()
    with connect(source):
        pass
    folder = make_run(source.root, LEARNED)
    (folder.model / "model.safetensors").parent.mkdir()
    (folder.model / "model.safetensors").write_bytes(b"weights")
    before = {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in source.root.rglob("*") if p.is_file()
    }

    copied = copy_home(source.root, RUN, tmp_path / "copy")

    after = {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in source.root.rglob("*") if p.is_file()
    }
    assert after == before
    run = copied / "runs" / RUN
    assert (copied / "workbench.duckdb").is_file()
    for name in ("config.json", "status.json", "events.jsonl"):
        assert (run / name).read_bytes() == (folder.root / name).read_bytes()
    assert not (run / "model").exists()  # the weights stay behind
    assert read_run(copied, RUN).events == read_run(source.root, RUN).events
    with connect(Home(copied)):  # opens as the app will open it
        pass


def test_a_missing_home_is_refused_not_created(tmp_path) -> None:
    with pytest.raises(SystemExit):
        main([])
    assert main([str(tmp_path / "nowhere"), RUN]) == 2
    assert not (tmp_path / "nowhere").exists()
