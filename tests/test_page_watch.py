"""The Training and Runs pages watch a run learn (AppTest, from a prepared run folder): the grade
histogram of each validation pass beside the experts' sample, the reward-spread and entropy
curves, the collapse warnings in words, and the recorded GRPO groups.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.llm.validation import agreement, grade_of
from engine.training.config import for_model
from engine.training.folder import RunFolder
from engine.training.grade_histograms import record_sample
from engine.training.groups import group_record
from store.home import Home
from workbench.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
TRAINING = "../pages/training.py"
RUNS_PAGE = "../pages/runs.py"
RUN = "run-0042"
GRADES = [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5]  # the experts' sample


def _answer(grade) -> str:
    return json.dumps(
        {"grade": grade, "reasoning": "수익률이 벤치마크를 웃돕니다."}, ensure_ascii=False
    )


def _collapsing_run(home: Home) -> RunFolder:
    """A finished 20-step run, written as the worker writes it: the answers spread like the
    experts' before GRPO, then pile up on grade 3; its groups stop differing in reward."""
    config = for_model("builtin-tiny", max_steps=20, eval_every=10, num_generations=4)
    folder = RunFolder(home.runs / RUN)
    folder.root.mkdir(parents=True)
    folder.config.write_text(config.to_json(), encoding="utf-8")
    rows = [{"fund_id": f"F{i:03d}", "expert_grade": g} for i, g in enumerate(GRADES)]
    record_sample(folder, rows)
    answers = {
        0: [_answer(g) for g in GRADES],
        10: [_answer(3)] * 18 + [_answer(4), "not json"],
        20: [_answer(3)] * 19 + ["not json"],
    }
    for step in range(1, 21):
        if step in (10, 20):
            config_groups = {
                "json_format": [1.0, 1.0, 1.0, 0.0],
                "evaluation_accuracy": [0.5, 0.5, 0.5, 0.0],
                "reasoning_quality": [0.3, 0.3, 0.3, 0.0],
                "consistency": [1.0, 1.0, 1.0, 0.0],
            }
            record = group_record(
                config, [answers[step][0]] * 3 + ["not json"], config_groups,
                {"fund_id": ["F100"] * 4, "expert_grade": [4] * 4},
            )  # fmt: skip
            folder.append_event("group", "grpo", step, **record)
        folder.append_event(
            "train", "grpo", step, reward=0.5, loss=0.0, frac_reward_zero_std=0.25 if step < 8
            else 1.0, entropy=2.0 - step / 20,
        )  # fmt: skip
    for step, stage in ((0, "sft"), (10, "training"), (20, "final")):
        figures = agreement(GRADES, [grade_of(a) for a in answers[step]])
        folder.append_event("eval", "grpo", step, stage=stage, **figures, examples=[])
    folder.write_status(state="finished", phase="grpo", step=20, max_steps=20)
    return folder


def _page(page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _charts(at: AppTest) -> dict[str, dict]:
    return {
        spec["layout"]["title"]["text"]: spec
        for spec in (json.loads(e.proto.spec) for e in at.get("plotly_chart"))
    }


def _warnings(at: AppTest) -> str:
    """The run's warnings (the demo banner is a warning too, with another icon)."""
    return "\n".join(str(w.value) for w in at.warning if w.icon == ":material/warning:")


def test_training_page_shows_each_pass_beside_the_experts_and_says_the_run_collapsed(
    demo_home: Home,
) -> None:
    _collapsing_run(demo_home)
    at = _page(TRAINING, train_run_next=RUN)

    grades = _charts(at)[t("hc_title")]
    bars = {d["name"]: d["y"] for d in grades["data"]}
    assert list(bars) == [t("hc_experts"), t("hc_before"), t("hc_step", step=10),
                          t("hc_step", step=20)]  # fmt: skip
    assert bars[t("hc_experts")] == [2, 4, 8, 4, 2, 0]
    assert bars[t("hc_before")] == [2, 4, 8, 4, 2, 0]
    assert bars[t("hc_step", step=10)] == [0, 0, 18, 1, 0, 1]
    assert bars[t("hc_step", step=20)] == [0, 0, 19, 0, 0, 1]
    assert grades["data"][0]["x"] == ["1", "2", "3", "4", "5", t("hc_invalid")]

    warned = _warnings(at)
    assert (
        "학습이 한 등급으로 무너졌습니다: 20단계에서 모델이 등급을 매긴 검증 펀드의 100%" in warned
    )
    assert "(10단계부터)" in warned and "1, 2, 3, 4, 5등급" in warned
    assert "GRPO가 배울 것이 없습니다" in warned  # steps 11-20: every group without spread

    charts = _charts(at)
    spread = charts[t("tc_zero_std_title")]["data"][0]
    assert spread["x"] == list(range(1, 21)) and spread["y"][-1] == 1.0
    entropy = charts[t("tc_entropy_title")]["data"][0]
    assert entropy["y"][0] == 1.95 and entropy["y"][-1] == 1.0

    # the recorded groups: the latest first shown, each answer's reward and advantage
    assert at.selectbox(key="train_group_step").options == ["10", "20"]
    assert at.selectbox(key="train_group_step").value == 20
    table = at.dataframe[-1].value
    assert list(table[t("sc_model")]) == ["3", "3", "3", "–"]
    assert list(table[t("sc_total")]) == ["0.540", "0.540", "0.540", "0.000"]
    advantages = [float(a) for a in table[t("gc_advantage")]]
    # (reward − group mean) / (group's sample std + 1e-4): 0.135 / 0.27 and −0.405 / 0.27
    assert advantages == pytest.approx([0.5, 0.5, 0.5, -1.5], abs=2e-3)
    assert "F100" in "\n".join(c.value for c in at.caption)


def test_training_page_in_english_and_a_healthy_run_without_warnings(demo_home: Home) -> None:
    folder = _collapsing_run(demo_home)
    at = _page(TRAINING, train_run_next=RUN)
    at.sidebar.radio(key="lang").set_value("en").run()
    assert "The run has collapsed to one grade: at step 20" in _warnings(at)
    assert "GRPO has nothing to learn from" in _warnings(at)

    # the same run cut after its first pass and its seven steps with spread: nothing to say
    events, _ = folder.read_events()
    kept = [e for e in events if e["step"] < 8 and e["kind"] != "group"]
    folder.events.write_text("".join(json.dumps(e) + "\n" for e in kept), encoding="utf-8")
    healthy = _page(TRAINING, train_run_next=RUN)
    assert _warnings(healthy) == ""
    assert t("hc_title") in _charts(healthy)
    assert not [s for s in healthy.selectbox if s.key == "train_group_step"]


def test_runs_page_warns_for_each_compared_run_and_overlays_the_new_curves(
    demo_home: Home,
) -> None:
    _collapsing_run(demo_home)
    at = _page(RUNS_PAGE, runs_overlay=[RUN], runs_metric="frac_reward_zero_std")

    warned = _warnings(at)
    assert warned.count(f"{RUN}: ") == 2
    assert "한 등급으로 무너졌습니다" in warned and "GRPO가 배울 것이 없습니다" in warned
    overlay = _charts(at)[t("runs_overlay_title", metric=t("tc_zero_std"))]
    assert overlay["data"][0]["y"][-1] == 1.0
    at.selectbox(key="runs_metric").set_value("entropy").run()
    assert t("runs_overlay_title", metric=t("tc_entropy")) in _charts(at)
