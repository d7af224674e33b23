"""The Training and Runs pages headless with AppTest: the form's defaults and help, refused
settings, unavailable models, starting a real tiny run, the live view drawn from a real run's
events, Stop and Resume, recovery of a dead run, the run history with overlaid curves, the sweep
launcher, empty states and the language switch.

One real tiny run (tests/tiny_run_support.py) trains in the background from the first test on;
only the tests that need it finished wait for it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.llm.models import resolve
from engine.llm.output import split_thinking
from engine.training import runs
from engine.training.collapse import findings
from engine.training.config import MODEL_DEFAULTS, RunConfig, for_model, help_texts
from engine.training.duration import estimate
from engine.training.folder import ACTIVE_STATES, RunFolder
from engine.training.grade_histograms import expert_counts, passes
from engine.training.groups import group_events
from store.db import connect
from store.home import Home
from store.queries import rating_dates
from tests.tiny_run_support import TINY, end_runs, finished, tiny_config, tiny_run
from workbench.i18n import RUN_HELP_KO, t
from workbench.web import ui
from workbench.web import views_training as tv

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
TRAINING = "../pages/training.py"  # relative to the entry script, as st.navigation registers it
RUNS_PAGE = "../pages/runs.py"
TIMEOUT_S = 60


@pytest.fixture(scope="module", autouse=True)
def shared_run(demo_template, tmp_path_factory):
    """The shared tiny run, started as this module begins; other runs of its home end after."""
    home, run_id = tiny_run(demo_template, tmp_path_factory)
    yield home, run_id
    end_runs(home, keep=(run_id,))


@pytest.fixture
def studio(shared_run, monkeypatch) -> tuple[Home, str]:
    """The shared run's home as $WORKBENCH_HOME."""
    home, run_id = shared_run
    monkeypatch.setenv("WORKBENCH_HOME", str(home.root))
    return home, run_id


def _page(page: str = TRAINING, lang: str = "ko", **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    if lang != "ko":
        at.sidebar.radio(key="lang").set_value(lang).run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _charts(at: AppTest) -> dict[str, dict]:
    """Plotly figures on the page by title."""
    out = {}
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        out[spec["layout"]["title"]["text"]] = spec
    return out


def _trace(spec: dict, name: str) -> dict:
    return next(d for d in spec["data"] if d["name"] == name)


def _widget(at: AppTest, name: str, model: str = "smollm2-135m"):
    """A form setting's widget (keyed by setting and model)."""
    for kind in (at.number_input, at.selectbox, at.toggle, at.text_input):
        found = [w for w in kind if w.key == f"train_f_{name}_{model}"]
        if found:
            return found[0]
    raise AssertionError(f"no widget for {name}")


def _weight(at: AppTest, name: str, model: str = "smollm2-135m"):
    return at.number_input(key=f"train_w_{name}_{model}")


def _submit(at: AppTest) -> AppTest:
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    return at


def _run_ids(home: Home) -> list[str]:
    return sorted(p.name for p in home.runs.glob("run-*"))


def _state(home: Home, run_id: str) -> str:
    return runs.status(home, run_id)["state"]


# ---------------------------------------------------------------- the form


def test_on_a_cpu_the_form_starts_from_the_tiny_model_and_says_how_long_a_run_takes(demo_home):
    at = _page()
    if ui.device_summary()["device"] != "cpu":
        pytest.skip("the CPU default is checked on a machine without a GPU")
    assert at.selectbox(key="train_model").value == "builtin-tiny"
    expected = estimate(for_model("builtin-tiny"), "cpu", demo_home.runs)
    assert expected is not None and expected.minutes < 60
    shown = [c.value for c in at.caption if "워밍업" in c.value]
    assert shown and tv.fmt_duration(expected.seconds) in shown[0], shown
    assert "reference" in shown[0]
    assert not [w for w in at.warning if "한 시간" in w.value]  # no long-run warning
    # a finished SmolLM2 run here paced its steps: its defaults take hours on this CPU, and the
    # page says so before anything starts
    _finished_run_with_pace(demo_home, "smollm2-135m", sft_step_s=60.0, rl_step_s=150.0)
    at.selectbox(key="train_model").set_value("smollm2-135m").run()
    long_run = [w.value for w in at.warning if "한 시간" in w.value]
    assert long_run and "1 finished run of smollm2-135m on cpu" in long_run[0], long_run


def _finished_run_with_pace(home: Home, model: str, sft_step_s: float, rl_step_s: float) -> None:
    """A finished run folder of `model` whose events are `sft_step_s` / `rl_step_s` apart."""
    folder = RunFolder(home.runs / "run-0900")
    folder.root.mkdir(parents=True)
    folder.config.write_text(for_model(model).to_json(), encoding="utf-8")
    folder.write_status(state="finished", device="cpu")
    clock, lines = 0.0, []
    for phase, gap in (("sft", sft_step_s), ("grpo", rl_step_s)):
        for step in (1, 2, 3):
            clock += gap
            when = datetime(2026, 11, 30, tzinfo=UTC) + timedelta(seconds=clock)
            lines.append({"time": when.isoformat(), "phase": phase, "step": step, "kind": "train"})
    folder.events.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")


def test_form_shows_the_founders_defaults_with_a_help_for_every_setting(demo_home):
    at = _page()
    at.selectbox(key="train_model").set_value("smollm2-135m").run()

    assert at.selectbox(key="train_model").value == "smollm2-135m"
    defaults = RunConfig()
    for name in ("sft_steps", "max_steps", "num_generations", "max_completion_length"):
        assert _widget(at, name).value == getattr(defaults, name), name
    assert _widget(at, "learning_rate").value == pytest.approx(1e-5)
    assert _widget(at, "beta").value == 0.0
    assert _widget(at, "loss_type").value == "dapo"
    weights = {n: _weight(at, n).value for n in defaults.reward_weights}
    assert weights == pytest.approx(
        {
            "json_format": 0.1,
            "evaluation_accuracy": 0.5,
            "reasoning_quality": 0.3,
            "consistency": 0.1,
        }
    )
    # every setting is explained in one line, in Korean from the translation table
    settings = [
        w for w in [*at.number_input, *at.selectbox, *at.toggle] if w.key.startswith("train_f_")
    ]
    assert len(settings) >= 25
    for widget in settings:
        name = widget.key.removeprefix("train_f_").removesuffix("_smollm2-135m")
        assert widget.help == RUN_HELP_KO[name], name
    assert set(RUN_HELP_KO) == set(help_texts())
    # every setting of RunConfig is in the form (or chosen above it, or set by the app)
    shown = {w.key.removeprefix("train_f_").removesuffix("_smollm2-135m") for w in settings}
    elsewhere = {"model", "methodology_id", "methodology_version", "as_of", "language"}
    by_the_app = {"run_id", "parent_run_id", "feedback_ids"}
    special = {"reward_weights", "splits", "lora_target_modules", "thinking"}  # tested apart
    assert shown | elsewhere | by_the_app | special == set(help_texts())
    assert at.text_input(key="train_f_splits_smollm2-135m").value == "0.7, 0.15, 0.15"
    # the data choices default to the active methodology and the latest rating date
    with connect(demo_home) as con:
        latest = rating_dates(con)[0]
    assert at.selectbox(key="train_as_of").value == latest
    assert at.selectbox(key="train_methodology").value[0] == "house"
    device = _texts(at.caption)
    import torch

    assert (t("device_cpu") in device) != torch.cuda.is_available()
    assert at.button(key="train_start").disabled is False


def test_choosing_the_tiny_model_gives_its_own_defaults_and_no_thinking_switch(demo_home):
    at = _page()
    at.selectbox(key="train_model").set_value("builtin-tiny").run()

    tiny = MODEL_DEFAULTS["builtin-tiny"]
    assert _widget(at, "max_steps", "builtin-tiny").value == tiny["max_steps"]
    assert _widget(at, "learning_rate", "builtin-tiny").value == pytest.approx(
        tiny["learning_rate"]
    )
    assert _widget(at, "num_generations", "builtin-tiny").value == tiny["num_generations"]
    assert _widget(at, "grade_loss_weight", "builtin-tiny").value == tiny["grade_loss_weight"]
    assert not [w for w in at.toggle if w.key.startswith("train_f_thinking")]

    at.selectbox(key="train_model").set_value("qwen3-0.6b").run()
    assert _widget(at, "thinking", "qwen3-0.6b").value is False  # a thinking-capable preset
    assert _widget(at, "grade_loss_weight", "qwen3-0.6b").value == 1.0


def test_a_hub_model_not_on_this_machine_says_so_and_offers_a_local_folder(studio):
    home, _ = studio
    at = _page()
    at.selectbox(key="train_model").set_value("qwen2-0.5b").run()

    warning = _texts(at.warning)
    assert "Qwen/Qwen2-0.5B-Instruct is not on this machine" in warning
    assert t("model_use_local") in _texts(at.caption)
    assert at.button(key="train_start").disabled

    at.selectbox(key="train_model").set_value("__local__").run()
    at.text_input(key="train_model_folder").input(str(home.root)).run()
    assert "is not a Hugging Face model folder" in _texts(at.warning)
    assert at.button(key="train_start").disabled

    tiny_folder = resolve(home, "builtin-tiny")
    at.text_input(key="train_model_folder").input(str(tiny_folder)).run()
    assert t("model_is_ready", folder=tiny_folder) in _texts(at.caption)
    assert not at.button(key="train_start").disabled


def test_weights_that_do_not_add_up_to_one_are_refused_and_nothing_starts(demo_home):
    at = _page()
    at.selectbox(key="train_model").set_value("smollm2-135m").run()
    _weight(at, "evaluation_accuracy").set_value(0.6)
    _submit(at)

    error = _texts(at.error)
    assert t("train_invalid") in error
    assert "the reward weights must add up to 1 (100 points), they add up to 1.1" in error
    assert _run_ids(demo_home) == []


def test_a_generation_batch_not_divisible_by_the_group_is_refused_and_nothing_starts(demo_home):
    at = _page()
    at.selectbox(key="train_model").set_value("smollm2-135m").run()
    _widget(at, "num_generations").set_value(3)
    _widget(at, "per_device_train_batch_size").set_value(8)
    _submit(at)

    error = _texts(at.error)
    assert "the generation batch (8) must be divisible by num_generations (3)" in error
    assert _run_ids(demo_home) == []


# ---------------------------------------------------------------- starting, stopping, resuming


def _fill_tiny(at: AppTest) -> AppTest:
    at.selectbox(key="train_model").set_value("builtin-tiny").run()
    for name in ("sft_steps", "max_steps", "num_generations", "max_completion_length"):
        _widget(at, name, "builtin-tiny").set_value(TINY[name])
    for name in ("sft_batch_size", "eval_max_funds"):
        _widget(at, name, "builtin-tiny").set_value(TINY[name])
    return at


def test_starting_a_tiny_run_creates_its_folder_and_lists_it_in_the_history(studio):
    home, shared = studio
    before = _run_ids(home)
    at = _fill_tiny(_page())
    _submit(at)

    new = sorted(set(_run_ids(home)) - set(before))
    assert len(new) == 1, new
    run_id = new[0]
    folder = RunFolder(home.runs / run_id)
    config = json.loads(folder.config.read_text())
    assert config["model"] == "builtin-tiny"
    assert (config["sft_steps"], config["max_steps"], config["num_generations"]) == (2, 3, 2)
    assert config["per_device_train_batch_size"] == 8  # automatic: whole groups, about 8
    assert config["methodology_id"] == "house"
    assert (folder.snapshot / "manifest.json").is_file()
    assert _state(home, run_id) in ACTIVE_STATES  # queued behind the shared run, or training
    # the page went over to the live view of the new run
    assert at.session_state["train_run"] == run_id
    assert at.button(key="train_stop")

    history = _page(RUNS_PAGE)
    table = history.dataframe[0].value
    assert run_id in set(table[t("rc_run")]) and shared in set(table[t("rc_run")])
    row = table[table[t("rc_run")] == run_id].iloc[0]
    assert row[t("rc_model")] == "builtin-tiny"
    assert row[t("rc_steps")] == "2 + 3"
    runs.stop(home, run_id)
    runs.wait(home, run_id, timeout=60)


def test_stop_and_resume_buttons_change_the_run_state(studio):
    home, _ = studio
    run_id = runs.create_run(home, tiny_config())
    runs.start(home, run_id)
    at = _page(train_run_next=run_id)
    assert at.selectbox(key="train_run").value == run_id
    assert not [b for b in at.button if b.key == "train_resume"]

    at.button(key="train_stop").click().run()
    assert not at.exception, at.exception
    stopped = runs.wait(home, run_id, timeout=60)
    assert stopped["state"] == "stopped", stopped

    at.run()
    assert t("state_stopped") in _texts(at.markdown)
    at.button(key="train_resume").click().run()
    assert not at.exception, at.exception
    resumed = runs.status(home, run_id)
    assert resumed["state"] in ACTIVE_STATES and resumed["resumes"] == 1, resumed
    assert at.button(key="train_stop")
    runs.stop(home, run_id)
    assert runs.wait(home, run_id, timeout=60)["state"] == "stopped"


def test_a_run_whose_process_died_is_shown_failed_when_the_page_opens(studio, demo_home):
    home, shared = studio
    finished(home, shared)
    shutil.copytree(home.runs / shared, demo_home.runs / "run-0007")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that existed and has exited
    folder = RunFolder(demo_home.runs / "run-0007")
    folder.write_status(state="running", pid=gone.pid, phase="grpo", step=2, final=None)

    at = _page()

    assert t("train_recovered", runs="run-0007") in _texts(at.warning)
    assert folder.read_status()["state"] == "failed"
    assert at.selectbox(key="train_run").value == "run-0007"
    assert t("live_failed", message=t("msg_died")) in _texts(at.error)
    assert at.button(key="train_resume")


# ---------------------------------------------------------------- the live view


def test_live_view_draws_the_curves_and_samples_of_a_finished_run(studio):
    home, run_id = studio
    status = finished(home, run_id)
    events, lines = runs.read_events(home, run_id)
    at = _page(train_run_next=run_id)

    assert t("state_finished") in _texts(at.markdown)
    assert t("live_finished") in _texts(at.success)
    assert not [b for b in at.button if b.key in ("train_stop", "train_resume")]
    charts = _charts(at)
    grpo = [e for e in events if e["kind"] == "train" and e["phase"] == "grpo"]
    reward = _trace(charts[t("tc_reward_title")], t("tc_reward"))
    assert reward["x"] == [e["step"] for e in grpo] == [1, 2, 3]
    assert reward["y"] == pytest.approx([e["reward"] for e in grpo])
    accuracy = _trace(charts[t("tc_reward_title")], t("rw_evaluation_accuracy"))
    assert accuracy["y"] == pytest.approx([e["rewards/evaluation_accuracy/mean"] for e in grpo])
    qwk = _trace(charts[t("tc_agreement_title")], t("tc_qwk"))
    assert qwk["x"] == [0, 2, 3]  # before GRPO, every 2 steps, at the end
    invalid = _trace(charts[t("tc_agreement_title")], t("tc_invalid"))
    finals = status["final"]["agreement_final"]
    assert invalid["y"][-1] == pytest.approx(finals["invalid_share"])
    loss = charts[t("tc_loss_title")]
    assert _trace(loss, t("phase_sft"))["x"] == [1, 2]
    assert _trace(loss, t("phase_grpo"))["x"] == [3, 4, 5]  # after the 2 warm-up steps
    assert _trace(charts[t("tc_length_title")], t("tc_length"))["y"]
    assert t("tc_kl_title") not in charts  # beta 0: no KL term
    # the newest sample answers with their per-reward scores
    samples = [e for e in events if e["kind"] == "samples"][-1]["samples"]
    table = at.dataframe[0].value
    assert list(table[t("sc_fund")]) == [s["prompt_fund"] for s in samples]
    assert list(table[t("rw_json_format")]) == [
        f"{s['rewards']['json_format']:.2f}" for s in samples
    ]
    answer = split_thinking(samples[0]["completion"])[1] or t("live_empty_answer")
    assert at.code[0].value == answer
    # events are read incrementally: the session remembers the line it read up to
    assert at.session_state["train_events"]["line"] == lines


def test_a_real_run_records_its_grade_histograms_and_groups_and_the_page_draws_them(studio):
    home, run_id = studio
    status = finished(home, run_id)
    events, _ = runs.read_events(home, run_id)

    # the experts' grades of the validation sample, once; the model's at every pass
    [sample] = [e for e in events if e["kind"] == "validation_sample"]
    graded = passes(events)
    assert [p.step for p in graded] == [0, 2, 3]
    assert all(p.n == sum(sample["expert_counts"].values()) == TINY["eval_max_funds"]
               for p in graded)  # fmt: skip
    assert expert_counts(events) == sample["expert_counts"]
    # one group of the batch's first fund at step 1, the validation step and the last step
    groups = group_events(events)
    assert [g["step"] for g in groups] == [1, 2, 3]
    weights = RunConfig.from_json((home.runs / run_id / "config.json").read_text()).reward_weights
    for group in groups:
        answers = group["answers"]
        assert len(answers) == TINY["num_generations"] and group["exact"]
        for answer in answers:
            total = sum(weights[n] * (answer["rewards"][n] or 0) for n in weights)
            assert answer["reward"] == pytest.approx(total)
        # two answers: (r₀ − mean) / (sample std + 1e-4), times the fund's weight
        spread = answers[0]["reward"] - answers[1]["reward"]
        expected = (spread / 2) / (abs(spread) / 2**0.5 + 1e-4) * group["sample_weight"]
        assert answers[0]["advantage"] == pytest.approx(expected, abs=1e-9)
    # TRL's reward spread and entropy are kept per step and in the final figures
    grpo = [e for e in events if e["kind"] == "train" and e["phase"] == "grpo"]
    assert all("frac_reward_zero_std" in e and "entropy" in e for e in grpo)
    final = status["final"]
    assert final["frac_reward_zero_std"] == pytest.approx(
        sum(e["frac_reward_zero_std"] for e in grpo) / len(grpo)
    )
    assert final["warnings"] == [f.text for f in findings(events)]

    at = _page(train_run_next=run_id)
    bars = _charts(at)[t("hc_title")]["data"]
    assert [d["name"] for d in bars] == [t("hc_experts"), t("hc_before"), t("hc_step", step=2),
                                         t("hc_step", step=3)]  # fmt: skip
    assert bars[-1]["y"] == [graded[-1].counts[b] for b in graded[-1].counts]
    assert t("tc_zero_std_title") in _charts(at) and t("tc_entropy_title") in _charts(at)
    assert at.selectbox(key="train_group_step").value == 3
    shown = "\n".join(str(w.value) for w in at.warning if w.icon == ":material/warning:")
    assert shown == "\n".join(tv.finding_text(f) for f in findings(events))


def test_live_view_adds_new_event_lines_to_the_curves(studio, demo_home):
    home, shared = studio
    finished(home, shared)
    shutil.copytree(home.runs / shared, demo_home.runs / "run-0001")
    at = _page(train_run_next="run-0001")
    before = _trace(_charts(at)[t("tc_reward_title")], t("tc_reward"))
    last = [e for e in runs.read_events(demo_home, "run-0001")[0] if e["kind"] == "train"][-1]
    with (demo_home.runs / "run-0001" / "events.jsonl").open("a") as handle:
        handle.write(json.dumps({**last, "step": last["step"] + 1, "reward": 0.75}) + "\n")

    at.run()

    after = _trace(_charts(at)[t("tc_reward_title")], t("tc_reward"))
    assert after["x"] == before["x"] + [last["step"] + 1]
    assert after["y"][-1] == 0.75


# ---------------------------------------------------------------- runs page


def test_runs_page_lists_final_figures_and_overlays_curves(studio):
    home, run_id = studio
    status = finished(home, run_id)
    at = _page(RUNS_PAGE, runs_overlay=[run_id])

    table = at.dataframe[0].value
    row = table[table[t("rc_run")] == run_id].iloc[0]
    final = status["final"]
    assert row[t("rc_state")] == t("state_finished")
    assert row[t("rc_qwk")] == f"{final['agreement_final']['qwk']:.2f}"
    assert row[t("rc_qwk_before")] == f"{final['agreement_before_grpo']['qwk']:.2f}"
    assert row[t("rc_weights")] == "10/50/30/10"
    charts = _charts(at)
    overlay = charts[t("runs_overlay_title", metric=t("tc_reward"))]
    grpo = [
        e
        for e in runs.read_events(home, run_id)[0]
        if e["kind"] == "train" and e["phase"] == "grpo"
    ]
    assert _trace(overlay, run_id)["y"] == pytest.approx([e["reward"] for e in grpo])
    assert _trace(charts[t("runs_overlay_title", metric=t("tc_qwk"))], run_id)["x"] == [0, 2, 3]


def test_sweep_launcher_refuses_bad_weights_and_queues_a_valid_grid(studio):
    home, _ = studio
    before = _run_ids(home)
    at = _page(RUNS_PAGE)
    at.selectbox(key="sweep_model").set_value("builtin-tiny")
    at.number_input(key="sweep_steps").set_value(1)
    at.number_input(key="sweep_sft_steps").set_value(1)
    at.multiselect(key="sweep_generations").set_value([2])
    at.multiselect(key="sweep_presets").set_value(["founders"])
    at.text_input(key="sweep_custom").input("0.5,0.5,0.5,0.5")
    at.button(key="sweep_start").click().run()

    assert "they add up to 2" in _texts(at.error)
    assert _run_ids(home) == before

    at.text_input(key="sweep_custom").input("0.25,0.25,0.25,0.25")
    at.button(key="sweep_start").click().run()
    assert not at.exception, at.exception

    new = sorted(set(_run_ids(home)) - set(before))
    assert len(new) == 2
    assert "sweep-0001" in _texts(at.success)
    results = at.dataframe[-1].value
    assert list(results[t("rc_run")]) == new
    assert list(results[t("rc_weights")]) == ["10/50/30/10", "25/25/25/25"]
    end_runs(home, keep=tuple(before))


# ---------------------------------------------------------------- empty states and language


def test_an_empty_store_asks_for_ratings_and_a_methodology_first(home):
    at = _page()

    info = _texts(at.info)
    assert t("train_need_ratings") in info and t("train_need_methodology") in info
    assert not [b for b in at.button if b.key == "train_start"]
    runs_page = _page(RUNS_PAGE)
    assert t("runs_empty") in _texts(runs_page.info)
    assert t("sweep_blocked") in _texts(runs_page.info)


def test_ratings_without_a_methodology_point_to_the_methodology_page(home, small_files):
    from engine.data.ingest import ingest_file

    for kind in ("funds", "benchmarks", "nav", "ratings"):
        ingest_file(home, small_files[kind])
    at = _page()

    info = _texts(at.info)
    assert t("train_need_methodology") in info and t("train_need_ratings") not in info


def test_language_switch_shows_the_form_in_english_with_runconfigs_own_help(demo_home):
    at = _page(lang="en")
    at.selectbox(key="train_model").set_value("smollm2-135m").run()

    assert at.title[0].value == "GRPO training"
    assert [tab.label for tab in at.tabs] == ["New run", "Watch a run"]
    steps = _widget(at, "max_steps")
    assert steps.label == "GRPO steps"
    assert steps.help == help_texts()["max_steps"]
    assert at.button(key="train_start").label == "Start training"

    at.sidebar.radio(key="lang").set_value("ko").run()
    assert at.title[0].value == "GRPO 학습"
    assert _widget(at, "max_steps").help == RUN_HELP_KO["max_steps"]
