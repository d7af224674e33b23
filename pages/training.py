"""Training: set up a GRPO run (every setting with a default and a one-line help), start it as a
background process, and watch it live — status, curves, sample answers — with Stop and Resume.

Leaving the page never stops a run; on every visit `engine.training.runs.list_runs` marks runs whose
process died as failed (resumable when a checkpoint exists). The live part is an
`st.fragment(run_every=…)` that polls only while the run is queued or running and reads the
events file incrementally (`st.session_state["train_events"]`).
"""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from engine.llm.models import PRESETS
from engine.llm.output import split_thinking
from engine.training import runs
from engine.training.config import (
    ALGORITHMS,
    AUTO_SWITCH,
    DEVICES,
    LANGUAGES,
    LOSS_TYPES,
    PROMPT_STYLES,
    SCALE_REWARDS,
    RunConfig,
    for_model,
)
from engine.training.folder import ACTIVE_STATES
from engine.training.sweep import batch_for
from workbench.i18n import LANGS, TEXT, fmt_num, run_help, t
from workbench.web import ui
from workbench.web import views_training as tv

DEFAULT_MODEL = "smollm2-135m"
LOCAL = "__local__"  # the model picker's "local model folder…" entry
REFRESH_S = 2.0  # how often the live view polls a queued or running run
LOG_TAIL_LINES = 40

# ---------------------------------------------------------------- settings form


def model_picker() -> tuple[str, str]:
    """(model spec, picker choice); the spec is a preset key or a local folder path."""
    choices = [*PRESETS, LOCAL]
    lang = st.session_state.get("lang")  # bound now: AppTest formats outside the script run
    choice = st.selectbox(
        t("tf_model"),
        choices,
        index=choices.index(DEFAULT_MODEL),
        format_func=lambda k: t("tf_model_local", lang) if k == LOCAL else PRESETS[k].label,
        help=run_help("model"),
        key="train_model",
    )
    if choice == LOCAL:
        spec = st.text_input(
            t("tf_model_folder"), key="train_model_folder", help=t("tf_model_folder_help")
        ).strip()
        return spec, choice
    note = f"model_note_{choice}"
    if note in TEXT:
        st.caption(t(note))
    return choice, choice


def show_model_status(spec: str, choice: str) -> bool:
    """Say whether the model is ready; False when it cannot be used (nothing can start)."""
    if choice == LOCAL and not spec:
        st.info(t("tf_model_folder_empty"), icon=":material/folder_open:")
        return False
    kind, text = ui.model_status(spec)
    if kind == "ready":
        st.caption(t("model_is_ready", folder=text))
    elif kind == "prepare":
        st.caption(text)
    else:
        st.warning(text, icon=":material/cloud_off:")
        if choice != LOCAL:
            st.caption(t("model_use_local"))
    return kind != "error"


def show_device() -> None:
    """Which device a run with the default device setting ('auto') will use."""
    found = ui.device_summary()
    if found["device"] == "cuda":
        text = t(
            "device_gpu",
            name=found["name"],
            n=found["gpus"],
            bf16=t("device_bf16_on" if found["bf16"] else "device_bf16_off"),
        )
    else:
        text = t("device_cpu")
    st.caption(f":material/memory: {text}")


def methodology_choice(versions) -> tuple[str, int]:
    keys = [(str(r.methodology_id), int(r.version)) for r in versions.itertuples()]
    names = dict(zip(keys, versions["name"], strict=True))
    current = ui.read_methodology("active")
    current = (str(current[0]), int(current[1])) if current else None
    lang = st.session_state.get("lang")

    def label(k: tuple[str, int]) -> str:
        mark = f" · {t('tf_active', lang)}" if k == current else ""
        return f"{k[0]} v{k[1]} · {names[k]}{mark}"

    return st.selectbox(
        t("tf_methodology"),
        keys,
        index=keys.index(current) if current in keys else 0,
        format_func=label,
        help=t("tf_methodology_help"),
        key="train_methodology",
    )


def setting(where, name: str, default, model_key: str, **options):
    """One RunConfig setting as a widget labelled and explained in the session's language.

    Keyed by the model, so choosing another model starts from that model's defaults.
    """
    label, help_text = t(f"tf_{name}"), run_help(name)
    key = f"train_f_{name}_{model_key}"
    choices = options.pop("choices", None)
    if choices is not None:
        return where.selectbox(
            label, choices, index=list(choices).index(default), help=help_text, key=key
        )
    if isinstance(default, bool):
        return where.toggle(label, value=default, help=help_text, key=key)
    if isinstance(default, int):
        return int(
            where.number_input(
                label, value=default, step=1, min_value=options.get("min", 0), help=help_text,
                key=key,
            )
        )  # fmt: skip
    if isinstance(default, float):
        step = options.get("step") or 10 ** (math.floor(math.log10(default)) - 1 if default else -2)
        return float(
            where.number_input(
                label, value=default, step=step, min_value=0.0, help=help_text, key=key,
                format=options.get("format", "%.2e" if 0 < default < 1e-2 else "%.2f"),
            )
        )  # fmt: skip
    return where.text_input(label, value=str(default), help=help_text, key=key)


def settings_form(spec: str, choice: str, versions, dates: list[str], usable: bool):
    """The form; returns (config, problems) when submitted, else None."""
    base = for_model(spec) if spec else RunConfig()
    mk = choice  # widget keys follow the picker, so a new model gives its defaults
    thinking_model = choice in PRESETS and PRESETS[choice].thinking
    with st.form("train_form", border=True):
        left, middle, right = st.columns(3)
        with left:
            methodology = methodology_choice(versions)
        as_of = middle.selectbox(
            t("tf_as_of"), dates, index=0, help=run_help("as_of"), key="train_as_of"
        )
        language = right.radio(
            t("tf_language"), LANGUAGES, index=LANGUAGES.index(base.language),
            format_func=LANGS.get, horizontal=True, help=run_help("language"),
            key="train_language",
        )  # fmt: skip
        st.markdown(f"**{t('tf_section_training')}**")
        algorithm = setting(st, "algorithm", base.algorithm, mk, choices=ALGORITHMS)
        row = st.columns(4)
        sft_steps = setting(row[0], "sft_steps", base.sft_steps, mk)
        max_steps = setting(row[1], "max_steps", base.max_steps, mk, min=1)
        learning_rate = setting(row[2], "learning_rate", base.learning_rate, mk)
        num_generations = setting(row[3], "num_generations", base.num_generations, mk, min=2)
        row = st.columns(4)
        max_len = setting(row[0], "max_completion_length", base.max_completion_length, mk, min=1)
        beta = setting(row[1], "beta", base.beta, mk, step=0.01, format="%.3f")
        loss_type = setting(row[2], "loss_type", base.loss_type, mk, choices=LOSS_TYPES)
        with row[3]:
            lora = setting(st, "lora", base.lora, mk)
            thinking = setting(st, "thinking", base.thinking, mk) if thinking_model else False

        st.markdown(f"**{t('tf_section_rewards')}**")
        st.caption(t("tf_weights_help"))
        row = st.columns(4)
        weights = {
            name: float(
                row[i].number_input(
                    t(f"rw_{name}"), min_value=0.0, max_value=1.0, step=0.05, format="%.2f",
                    value=float(base.reward_weights[name]), help=t(f"rw_{name}_help"),
                    key=f"train_w_{name}_{mk}",
                )
            )
            for i, name in enumerate(tv.REWARD_NAMES)
        }  # fmt: skip

        with st.expander(t("tf_advanced")):
            advanced = advanced_settings(base, mk)
        submitted = st.form_submit_button(
            t("btn_start_run"), type="primary", icon=":material/play_arrow:",
            disabled=not usable, key="train_start",
        )  # fmt: skip
    if not submitted:
        return None
    changes = {
        "methodology_id": methodology[0],
        "methodology_version": methodology[1],
        "as_of": as_of,
        "language": language,
        "algorithm": algorithm,
        "sft_steps": sft_steps,
        "max_steps": max_steps,
        "learning_rate": learning_rate,
        "num_generations": num_generations,
        "max_completion_length": max_len,
        "beta": beta,
        "loss_type": loss_type,
        "lora": lora,
        "thinking": thinking,
        "reward_weights": weights,
        **advanced,
    }
    if not changes["per_device_train_batch_size"]:  # 0 = automatic: whole groups, about 8
        changes["per_device_train_batch_size"] = batch_for(max(2, num_generations))
    changes["generation_batch_size"] = changes["generation_batch_size"] or None
    config = for_model(spec, **changes)
    return config, config.problems()  # reward weights: non-negative, adding up to 1


def advanced_settings(base: RunConfig, mk: str) -> dict:
    """The rest of RunConfig, with the same defaults and help."""
    out = {}
    row = st.columns(4)
    out["seed"] = setting(row[0], "seed", base.seed, mk)
    out["temperature"] = setting(row[1], "temperature", base.temperature, mk, step=0.1)
    out["scale_rewards"] = setting(
        row[2], "scale_rewards", base.scale_rewards, mk, choices=SCALE_REWARDS
    )
    out["sft_learning_rate"] = setting(row[3], "sft_learning_rate", base.sft_learning_rate, mk)
    row = st.columns(4)
    out["sft_batch_size"] = setting(row[0], "sft_batch_size", base.sft_batch_size, mk, min=1)
    out["per_device_train_batch_size"] = setting(
        row[1], "per_device_train_batch_size", 0, mk
    )  # 0 = automatic
    out["generation_batch_size"] = setting(row[2], "generation_batch_size", 0, mk)
    out["eval_every"] = setting(row[3], "eval_every", base.eval_every, mk, min=1)
    row = st.columns(4)
    out["eval_max_funds"] = setting(row[0], "eval_max_funds", base.eval_max_funds, mk, min=1)
    out["save_every"] = setting(row[1], "save_every", base.save_every, mk, min=1)
    out["samples_every"] = setting(row[2], "samples_every", base.samples_every, mk, min=1)
    shares = row[3].text_input(
        t("tf_splits"), ", ".join(f"{s:g}" for s in base.splits), help=run_help("splits"),
        key=f"train_f_splits_{mk}",
    )  # fmt: skip
    try:
        out["splits"] = [float(s) for s in shares.split(",") if s.strip()]
    except ValueError:
        out["splits"] = []  # RunConfig.problems names it
    row = st.columns(4)
    out["lora_r"] = setting(row[0], "lora_r", base.lora_r, mk, min=1)
    out["lora_alpha"] = setting(row[1], "lora_alpha", base.lora_alpha, mk, min=1)
    out["lora_dropout"] = setting(row[2], "lora_dropout", base.lora_dropout, mk, step=0.01)
    out["lora_target_modules"] = setting(
        row[3], "lora_target_modules", base.lora_target_modules, mk
    )
    row = st.columns(4)
    out["device"] = setting(row[0], "device", base.device, mk, choices=DEVICES)
    out["bf16"] = setting(row[1], "bf16", base.bf16, mk, choices=AUTO_SWITCH)
    out["use_vllm"] = setting(row[2], "use_vllm", base.use_vllm, mk, choices=AUTO_SWITCH)
    out["gradient_checkpointing"] = setting(
        row[3], "gradient_checkpointing", base.gradient_checkpointing, mk, choices=AUTO_SWITCH
    )
    row = st.columns(4)
    out["micro_batch_size"] = setting(row[0], "micro_batch_size", base.micro_batch_size, mk, min=0)
    out["prompt_style"] = setting(
        row[1], "prompt_style", base.prompt_style, mk, choices=PROMPT_STYLES
    )
    out["warmup_share"] = setting(row[2], "warmup_share", base.warmup_share, mk, step=0.05)
    st.caption(t("tf_batch_auto_help"))
    return out


def start_run(config: RunConfig) -> str | None:
    """Prepare the model, freeze the dataset, start the background process; the run id."""
    if ui.prepare_model(config.model) is None:
        return None
    with st.status(t("train_creating"), expanded=False) as box:
        run_id = ui.guarded_training(runs.create_run, ui.home(), config, created_by=ui.user_name())
        if run_id is None:
            box.update(label=t("train_create_failed"), state="error", expanded=True)
            return None
        if ui.guarded_training(runs.start, ui.home(), run_id) is None:
            box.update(label=t("train_start_failed", run=run_id), state="error", expanded=True)
            return None
        box.update(label=t("train_started", run=run_id), state="complete")
    ui.after_write()
    return run_id


def new_run_tab(blockers: list[tuple[str, str, str]]) -> None:
    if blockers:
        show_blockers(blockers)
        return
    spec, choice = model_picker()
    usable = show_model_status(spec, choice)
    show_device()
    versions = ui.read_methodology("list_versions")
    dates = ui.read("rating_dates")
    submitted = settings_form(spec, choice, versions, dates, usable)
    if submitted is None:
        return
    config, problems = submitted
    if problems:
        lines = "\n".join(f"- {p}" for p in problems)
        st.error(f"**{t('train_invalid')}**\n\n{lines}", icon=":material/block:")
        return
    run_id = start_run(config)
    if run_id is not None:
        st.session_state["train_run_next"] = run_id
        st.session_state["train_tab_next"] = t("train_tab_watch")
        st.rerun()


def show_blockers(blockers: list[tuple[str, str, str]]) -> None:
    """What is missing before a run can start, each with a link to the page that fixes it."""
    for message, page, tab in blockers:
        st.info(t(message), icon=":material/arrow_forward:")
        st.page_link(
            ui.page_path(page), label=t(f"link_{page}"), icon=":material/open_in_new:",
            query_params={"tab": tab},
        )  # fmt: skip


# ---------------------------------------------------------------- live view


def events_of(run_id: str, status: dict) -> list[dict]:
    """Every event of the run, reading only the lines added since the last call."""
    cache = st.session_state.get("train_events")
    resumes = status.get("resumes", 0)
    if not cache or cache["run_id"] != run_id or cache["resumes"] != resumes:
        cache = {"run_id": run_id, "resumes": resumes, "line": 0, "events": []}
    new, line = runs.read_events(ui.home(), run_id, cache["line"])
    if line < cache["line"]:  # the file was rewritten (a resume trimmed it): read it all again
        new, line = runs.read_events(ui.home(), run_id, 0)
        cache["events"] = []
    cache["events"] = cache["events"] + new
    cache["line"] = line
    st.session_state["train_events"] = cache
    return cache["events"]


def status_header(status: dict) -> None:
    state = status.get("state")
    steps = f"{fmt_num(status.get('steps_done'))} / {fmt_num(status.get('steps_total'))}"
    in_steps = status.get("phase") in ("sft", "grpo")  # no steps while preparing or validating
    phase_steps = f"{status.get('step', 0)} / {status.get('max_steps', '–')}" if in_steps else "–"
    ui.facts(
        [
            (t("live_state"), tv.state_label(state)),
            (t("live_phase"), tv.phase_label(status.get("phase"))),
            (t("live_phase_step"), phase_steps),
            (t("live_elapsed"), tv.fmt_duration(status.get("elapsed_s"))),
            (t("live_eta"), tv.fmt_duration(status.get("eta_s"))),
        ]
    )
    st.progress(min(float(status.get("progress") or 0.0), 1.0), text=t("live_steps", steps=steps))
    message = tv.message_text(status.get("message"))
    if state == "failed":
        st.error(t("live_failed", message=message or "–"), icon=":material/error:")
    elif state == "stopped":
        st.info(t("live_stopped", message=message or "–"), icon=":material/pause_circle:")
    elif state == "finished":
        st.success(t("live_finished"), icon=":material/check_circle:")
    elif message:
        st.caption(message)


def control_buttons(run_id: str, status: dict) -> None:
    state = status.get("state")
    left, right, _ = st.columns([1, 1, 4])
    if state in ACTIVE_STATES:
        if left.button(t("btn_stop"), icon=":material/stop:", key="train_stop"):
            ui.guarded_training(runs.stop, ui.home(), run_id)
            st.rerun()
    elif state in ("stopped", "failed"):
        if left.button(t("btn_resume"), icon=":material/play_arrow:", key="train_resume"):
            if ui.guarded_training(runs.resume, ui.home(), run_id) is not None:
                st.rerun()
        if not status.get("resumable"):
            right.caption(t("live_not_resumable"))


def curves(events: list[dict], config: RunConfig) -> None:
    train = tv.train_frame(events)
    grpo = tv.train_frame(events, "grpo")
    evals = tv.eval_frame(events)
    if train.empty and evals.empty:
        st.info(t("live_no_events"), icon=":material/hourglass_top:")
        return
    if grpo.empty:
        st.caption(t("live_grpo_pending"))
    left, right = st.columns(2)
    if not grpo.empty:
        left.plotly_chart(tv.reward_chart(grpo), key="train_chart_reward")
    if not evals.empty:
        right.plotly_chart(tv.agreement_chart(evals), key="train_chart_agreement")
    left, right = st.columns(2)
    left.plotly_chart(tv.loss_chart(train, config.sft_steps), key="train_chart_loss")
    if not grpo.empty:
        right.plotly_chart(
            tv.length_chart(grpo, config.max_completion_length), key="train_chart_length"
        )
        if config.beta > 0:
            left, _ = st.columns(2)
            left.plotly_chart(tv.kl_chart(grpo), key="train_chart_kl")


def samples(events: list[dict], config: RunConfig) -> None:
    step, found = tv.latest_samples(events)
    if not found:
        return
    st.markdown(f"#### {t('live_samples', step=step)}")
    st.dataframe(tv.samples_table(found, config.reward_weights), hide_index=True)
    for i, sample in enumerate(found, start=1):
        thinking, answer = split_thinking(sample.get("completion") or "")
        st.caption(t("live_sample_n", n=i, fund=sample.get("prompt_fund") or "–"))
        st.code(answer or t("live_empty_answer"), language=None, wrap_lines=True)
        if thinking:
            with st.expander(t("live_thinking")):
                st.text(thinking)


def log_tail(run_id: str) -> None:
    path: Path = ui.home().runs / run_id / "log.txt"
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
    with st.expander(t("live_log", n=len(lines))):
        st.code("\n".join(lines), language=None)


def live(run_id: str, listed_state: str) -> None:
    """The selected run now: status, Stop/Resume, curves, sample answers (a fragment)."""
    status = ui.guarded_training(runs.status_of, ui.home(), run_id)
    if status is None:
        return
    if status.get("state") != listed_state:
        # the run moved on (queued → running → finished): redraw the whole page once, so the
        # run list is current and polling stops when the run has ended
        st.rerun()
    config = runs.load_config(ui.home(), run_id)
    status_header(status)
    control_buttons(run_id, status)
    st.caption(
        t(
            "live_settings", model=config.model, methodology=config.methodology_id,
            version=config.methodology_version, as_of=config.as_of, language=config.language,
            sft=config.sft_steps, steps=config.max_steps, g=config.num_generations,
            lr=f"{config.learning_rate:.0e}", weights=tv.weights_text(config.reward_weights),
        )
    )  # fmt: skip
    events = events_of(run_id, status)
    curves(events, config)
    samples(events, config)
    if status.get("state") in ("failed", "stopped", "finished"):
        log_tail(run_id)


def watch_tab(listed: list[dict]) -> None:
    if not listed:
        st.info(t("train_no_runs"), icon=":material/model_training:")
        return
    ids = [r["run_id"] for r in listed]
    by_id = {r["run_id"]: r for r in listed}
    wanted = st.session_state.pop("train_run_next", None) or st.query_params.get("run")
    if wanted in ids:
        st.session_state["train_run"] = wanted
    elif st.session_state.get("train_run") not in ids:
        active = [r for r in ids if by_id[r].get("state") in ACTIVE_STATES]
        st.session_state["train_run"] = (active or ids)[0]
    lang = st.session_state.get("lang")  # bound now: AppTest formats outside the script run
    chosen = st.selectbox(
        t("train_pick_run"),
        ids,
        format_func=lambda r: (
            f"{r} · {by_id[r].get('model')} · {tv.state_label(by_id[r].get('state'), lang)}"
        ),
        key="train_run",
    )
    if by_id[chosen].get("folder") is None:
        st.warning(t("train_folder_gone", run=chosen))
        return
    state = by_id[chosen].get("state")
    polling = state in ACTIVE_STATES
    st.fragment(live, run_every=REFRESH_S if polling else None)(chosen, state)


# ---------------------------------------------------------------- page

st.title(t("train_title"))
state = ui.read("summary")
ui.demo_banner(state)
st.caption(t("train_intro"))
listed = ui.run_list()  # also marks runs whose process died as failed (resumable)
recovered = [r["run_id"] for r in listed if r.get("message") == runs.DIED]
if recovered and not st.session_state.get("train_recovered_seen"):
    st.warning(t("train_recovered", runs=", ".join(recovered)), icon=":material/restart_alt:")
    st.session_state["train_recovered_seen"] = True

blockers = []
if not state["ratings"]:
    blockers.append(("train_need_ratings", "data", "upload"))
if ui.read_methodology("list_versions").empty:
    blockers.append(("train_need_methodology", "methodology", "edit"))
if blockers and not listed:
    show_blockers(blockers)
    st.stop()

TABS = {"new": t("train_tab_new"), "watch": t("train_tab_watch")}
if "train_tab_next" in st.session_state:  # Start asked for the live view on this run
    st.session_state["train_tab"] = st.session_state.pop("train_tab_next")
if st.session_state.get("train_tab") not in (*TABS.values(), None):  # the language changed
    old = st.session_state.pop("train_tab")
    for tab_id in TABS:
        if old in (t(f"train_tab_{tab_id}", lang) for lang in LANGS):
            st.session_state["train_tab"] = TABS[tab_id]
watching = st.query_params.get("run") or any(r.get("state") in ACTIVE_STATES for r in listed)
# The default is part of the tabs' identity: keep it on the tab shown, or a run that stops or
# finishes while watched would throw the analyst back to the New run tab.
watching = watching or st.session_state.get("train_tab") == TABS["watch"]
new_tab, watch = st.tabs(
    list(TABS.values()),
    default=TABS["watch" if watching else "new"],
    key="train_tab",
    on_change="rerun",
)
with new_tab:
    new_run_tab(blockers)
with watch:
    watch_tab(listed)
