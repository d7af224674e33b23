"""The Training page's settings form: the model picker and whether the model is ready, the
device a run will use, and every RunConfig setting as a widget with its default and help, keyed
by the model so that choosing another model starts from that model's defaults."""

from __future__ import annotations

import math

import streamlit as st

from engine.llm.models import PRESETS
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
from engine.training.duration import estimate
from engine.training.sweep import batch_for
from workbench.i18n import LANGS, TEXT, run_help, t
from workbench.web import data, ui
from workbench.web import views_training as tv

# on a CPU a newcomer's first run should finish in minutes: the tiny model; on a GPU, SmolLM2
DEFAULT_MODEL = {"cpu": "builtin-tiny", "cuda": "smollm2-135m"}
LONG_RUN_MIN = 60.0  # a run expected to take longer than this gets a warning before it starts
LOCAL = "__local__"  # the model picker's "local model folder…" entry


def model_picker() -> tuple[str, str]:
    """(model spec, picker choice); the spec is a preset key or a local folder path."""
    choices = [*PRESETS, LOCAL]
    lang = st.session_state.get("lang")  # bound now: AppTest formats outside the script run
    choice = st.selectbox(
        t("tf_model"),
        choices,
        index=choices.index(DEFAULT_MODEL.get(ui.device_summary()["device"], "smollm2-135m")),
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


def show_estimate(config: RunConfig) -> None:
    """How long `config` should take on this machine's device, and what the figure rests on; a
    warning when it runs for more than an hour."""
    device = ui.device_summary()["device"] if config.device == "auto" else config.device
    found = estimate(config, device, ui.home().runs)
    if found is None:
        st.caption(f":material/schedule: {t('tf_estimate_unknown', device=device)}")
        return
    text = t(
        "tf_estimate",
        duration=tv.fmt_duration(found.seconds),
        sft=tv.fmt_duration(found.sft_seconds),
        rl=tv.fmt_duration(found.rl_seconds),
        device=device,
        basis=found.basis,
    )
    if found.minutes > LONG_RUN_MIN:
        st.warning(f"{text}\n\n{t('tf_estimate_long')}", icon=":material/hourglass_top:")
    else:
        st.caption(f":material/schedule: {text}")


def methodology_choice(versions) -> tuple[str, int]:
    keys = [(str(r.methodology_id), int(r.version)) for r in versions.itertuples()]
    names = dict(zip(keys, versions["name"], strict=True))
    current = data.active_methodology()
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


RATING_DATE_CHOICES = ("last", "all")  # a list of dates: the CLI's --set rating_dates=...


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
    out["processes"] = setting(row[0], "processes", base.processes, mk, min=1)
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
    out["rating_dates"] = setting(
        row[3], "rating_dates", base.rating_dates, mk, choices=RATING_DATE_CHOICES
    )
    row = st.columns(4)
    out["advantage_floor"] = setting(
        row[0], "advantage_floor", base.advantage_floor, mk, step=0.05, format="%.2f"
    )
    out["epsilon_high"] = setting(row[1], "epsilon_high", base.epsilon_high, mk, step=0.01)
    out["mask_truncated_completions"] = setting(
        row[2], "mask_truncated_completions", base.mask_truncated_completions, mk
    )
    out["grade_loss_weight"] = setting(
        row[3], "grade_loss_weight", float(base.grade_loss_weight), mk, step=1.0
    )
    st.caption(t("tf_batch_auto_help"))
    return out
