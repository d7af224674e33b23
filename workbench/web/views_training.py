"""Display forms of training runs: events in, translated tables and plotly figures out.

The Training and Runs pages draw with these; no Streamlit calls here, so every function can be
checked without a running app. Events are the lines of a run's events.jsonl
(docs/training-format.md section 4): "train" (every TRL log key), "eval" (validation agreement
and predicted-grade counts), "validation_sample" (the experts' grades of the validation funds),
"samples" (completions with their per-reward scores) and "group" (one prompt's answers with
rewards and advantages).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from engine.llm.validation import grade_of
from engine.training.collapse import NO_SPREAD_SHARE, Finding
from engine.training.grade_histograms import BINS, INVALID, GradePass
from workbench.i18n import MISSING, fmt_num, fmt_pct, fmt_ratio, t
from workbench.web.views import CHART_FONT

REWARD_NAMES = ("json_format", "evaluation_accuracy", "reasoning_quality", "consistency")
AGREEMENT_KEYS = ("qwk", "exact", "invalid_share")
COLORS = {
    "reward": "#1f3b73",
    "json_format": "#7f8c8d",
    "evaluation_accuracy": "#c0392b",
    "reasoning_quality": "#27ae60",
    "consistency": "#8e44ad",
    "sft": "#e67e22",
    "grpo": "#2e6da4",
    "qwk": "#1f3b73",
    "exact": "#27ae60",
    "invalid_share": "#c0392b",
    "experts": "#95a5a6",
    "frac_reward_zero_std": "#d35400",
    "entropy": "#16a085",
}
PASS_BLUES = ("#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
MAX_PASSES = len(PASS_BLUES)  # validation passes drawn in the grade chart
# Metrics the Runs page can overlay: key -> (kind of event, i18n label key).
OVERLAY_METRICS = {
    "reward": ("train", "tc_reward"),
    "rewards/json_format/mean": ("train", "rw_json_format"),
    "rewards/evaluation_accuracy/mean": ("train", "rw_evaluation_accuracy"),
    "rewards/reasoning_quality/mean": ("train", "rw_reasoning_quality"),
    "rewards/consistency/mean": ("train", "rw_consistency"),
    "loss": ("train", "tc_loss"),
    "kl": ("train", "tc_kl"),
    "completions/mean_length": ("train", "tc_length"),
    "frac_reward_zero_std": ("train", "tc_zero_std"),
    "entropy": ("train", "tc_entropy"),
    "qwk": ("eval", "tc_qwk"),
    "exact": ("eval", "tc_exact"),
    "invalid_share": ("eval", "tc_invalid"),
}


# ---------------------------------------------------------------- events as frames


def train_frame(events: list[dict], phase: str | None = None) -> pd.DataFrame:
    """The "train" events (one row per logged step), of one phase or both, in order."""
    rows = [
        e for e in events if e.get("kind") == "train" and (phase is None or e.get("phase") == phase)
    ]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["phase", "step"])


def eval_frame(events: list[dict]) -> pd.DataFrame:
    """The validation measurements of the GRPO phase (step 0 = before GRPO), in step order."""
    rows = [e for e in events if e.get("kind") == "eval"]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["step", *AGREEMENT_KEYS])
    return frame.sort_values("step", kind="stable").reset_index(drop=True)


def latest_samples(events: list[dict]) -> tuple[int | None, list[dict]]:
    """(GRPO step, samples) of the newest "samples" event; (None, []) when there is none."""
    for event in reversed(events):
        if event.get("kind") == "samples":
            return event.get("step"), list(event.get("samples") or [])
    return None, []


def series(events: list[dict], key: str) -> pd.DataFrame:
    """(step, value) of one metric over GRPO steps: a "train" key or an agreement key."""
    kind = OVERLAY_METRICS.get(key, ("train", ""))[0]
    frame = eval_frame(events) if kind == "eval" else train_frame(events, "grpo")
    if key not in frame or frame.empty:
        return pd.DataFrame(columns=["step", "value"])
    out = frame[["step", key]].rename(columns={key: "value"})
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    return out.dropna().drop_duplicates("step", keep="last").reset_index(drop=True)


# ---------------------------------------------------------------- charts


def _layout(fig: go.Figure, title: str, xtitle: str, yaxis: dict | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "y": 0.98, "yanchor": "top"},
        font={"family": CHART_FONT},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        height=320,
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        hovermode="x unified",
        xaxis={"title": xtitle},
        yaxis=yaxis or {},
    )
    return fig


def _line(fig: go.Figure, x, y, name: str, color: str | None = None, **line: Any) -> None:
    fig.add_scatter(
        x=list(x), y=list(y), name=name, mode="lines+markers", marker={"size": 4},
        line={"color": color, **line} if color else line,
    )  # fmt: skip


def reward_chart(train: pd.DataFrame) -> go.Figure:
    """Total reward (bold) and each reward's mean over GRPO steps."""
    fig = go.Figure()
    if "reward" in train:
        _line(fig, train["step"], train["reward"], t("tc_reward"), COLORS["reward"], width=3)
    for name in REWARD_NAMES:
        key = f"rewards/{name}/mean"
        if key in train:
            _line(fig, train["step"], train[key], t(f"rw_{name}"), COLORS[name], width=1.5)
    return _layout(fig, t("tc_reward_title"), t("tc_grpo_step"))


def loss_chart(train: pd.DataFrame, sft_steps: int) -> go.Figure:
    """Loss of the warm-up, then of GRPO, on one step axis (GRPO steps counted after warm-up)."""
    fig = go.Figure()
    for phase, offset in (("sft", 0), ("grpo", sft_steps)):
        part = train[train["phase"] == phase] if "phase" in train else train.iloc[0:0]
        if "loss" in part and not part.empty:
            _line(fig, part["step"] + offset, part["loss"], t(f"phase_{phase}"), COLORS[phase])
    if sft_steps and "phase" in train and (train["phase"] == "grpo").any():
        fig.add_vline(x=sft_steps + 0.5, line={"dash": "dot", "color": "#999"})
    return _layout(fig, t("tc_loss_title"), t("tc_all_steps"))


def kl_chart(train: pd.DataFrame) -> go.Figure:
    """KL divergence from the starting model over GRPO steps (logged when beta > 0)."""
    fig = go.Figure()
    if "kl" in train:
        _line(fig, train["step"], train["kl"], t("tc_kl"), "#8e44ad")
    return _layout(fig, t("tc_kl_title"), t("tc_grpo_step"))


def length_chart(train: pd.DataFrame, limit: int | None) -> go.Figure:
    """Mean answer length in tokens over GRPO steps, with the length limit dashed."""
    fig = go.Figure()
    if "completions/mean_length" in train:
        _line(fig, train["step"], train["completions/mean_length"], t("tc_length"), "#2e6da4")
    if limit:
        fig.add_hline(
            y=limit, line={"dash": "dash", "color": "#c0392b"},
            annotation_text=t("tc_length_limit", n=limit), annotation_position="bottom right",
        )  # fmt: skip
    return _layout(fig, t("tc_length_title"), t("tc_grpo_step"))


def agreement_chart(evals: pd.DataFrame) -> go.Figure:
    """Validation agreement with the experts (QWK, exact share, invalid share) over GRPO steps."""
    fig = go.Figure()
    labels = {"qwk": "tc_qwk", "exact": "tc_exact", "invalid_share": "tc_invalid"}
    for key in AGREEMENT_KEYS:
        if key in evals and not evals.empty:
            dash = "dot" if key == "invalid_share" else None
            _line(fig, evals["step"], evals[key], t(labels[key]), COLORS[key], dash=dash)
    return _layout(fig, t("tc_agreement_title"), t("tc_grpo_step"), {"range": [-0.05, 1.05]})


def shown_passes(passes: list[GradePass], limit: int = MAX_PASSES) -> list[GradePass]:
    """At most `limit` passes: the first, the last and evenly spaced ones between."""
    if len(passes) <= limit:
        return list(passes)
    picks = sorted({round(i * (len(passes) - 1) / (limit - 1)) for i in range(limit)})
    return [passes[i] for i in picks]


def pass_label(grade_pass: GradePass, lang: str | None = None) -> str:
    """'step 4', or what the step-0 pass measured ('before GRPO')."""
    if grade_pass.step == 0:
        return t("hc_before", lang)
    return t("hc_step", lang, step=grade_pass.step)


def grade_chart(passes: list[GradePass], expert: dict[str, int] | None) -> go.Figure:
    """The model's grades at each validation pass (bars darkening with the step) beside the
    experts' grades of the same funds (grey): grade on x, number of funds on y."""
    fig = go.Figure()
    labels = [t("hc_invalid") if b == INVALID else b for b in BINS]
    if expert is not None:
        fig.add_bar(
            x=labels, y=[expert.get(b, 0) for b in BINS], name=t("hc_experts"),
            marker={"color": COLORS["experts"]},
        )  # fmt: skip
    shown = shown_passes(passes)
    for i, grade_pass in enumerate(shown):
        shade = PASS_BLUES[round(i * (len(PASS_BLUES) - 1) / max(1, len(shown) - 1))]
        fig.add_bar(
            x=labels, y=[grade_pass.counts.get(b, 0) for b in BINS], name=pass_label(grade_pass),
            marker={"color": shade},
        )  # fmt: skip
    _layout(fig, t("hc_title"), t("hc_grade"), {"title": t("hc_funds")})
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


def zero_std_chart(train: pd.DataFrame) -> go.Figure:
    """Share of groups whose answers all earned the same reward, over GRPO steps, with the
    share from which the run is warned (dashed)."""
    fig = go.Figure()
    if "frac_reward_zero_std" in train:
        _line(
            fig, train["step"], train["frac_reward_zero_std"], t("tc_zero_std"),
            COLORS["frac_reward_zero_std"],
        )  # fmt: skip
    fig.add_hline(
        y=NO_SPREAD_SHARE, line={"dash": "dash", "color": "#c0392b"},
        annotation_text=t("tc_zero_std_limit"), annotation_position="bottom right",
    )  # fmt: skip
    return _layout(fig, t("tc_zero_std_title"), t("tc_grpo_step"), {"range": [-0.05, 1.05]})


def entropy_chart(train: pd.DataFrame) -> go.Figure:
    """The policy's mean token entropy over GRPO steps (near 0: it always says the same)."""
    fig = go.Figure()
    if "entropy" in train:
        _line(fig, train["step"], train["entropy"], t("tc_entropy"), COLORS["entropy"])
    return _layout(fig, t("tc_entropy_title"), t("tc_grpo_step"))


def overlay_chart(lines: dict[str, pd.DataFrame], metric: str) -> go.Figure:
    """One metric of several runs over GRPO steps, one line per run."""
    fig = go.Figure()
    for label, frame in lines.items():
        _line(fig, frame["step"], frame["value"], label)
    title = t(OVERLAY_METRICS.get(metric, ("train", "tc_reward"))[1])
    yaxis = {"range": [-0.05, 1.05]} if metric in AGREEMENT_KEYS else None
    return _layout(fig, t("runs_overlay_title", metric=title), t("tc_grpo_step"), yaxis)


# ---------------------------------------------------------------- text and tables


def fmt_duration(seconds: object) -> str:
    """'1:02:03', '4:05' or '12 s' ('–' when unknown)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return MISSING
    total = int(round(float(seconds)))  # type: ignore[arg-type]
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}" if minutes else f"{secs} s"


def state_label(state: object, lang: str | None = None) -> str:
    """A run state in the session's language (or `lang`)."""
    return t(f"state_{state}", lang) if state in STATES else str(state or MISSING)


def phase_label(phase: object) -> str:
    return t(f"phase_{phase}") if phase in PHASES else MISSING


STATES = ("created", "queued", "running", "stopping", "stopped", "finished", "failed", "missing")
PHASES = ("prepare", "sft", "grpo", "eval")


# The training process's status messages (engine/training/worker.py, engine/training/runs.py) -> i18n keys.
MESSAGES = {
    "starting": "msg_starting",
    "waiting for the device": "msg_waiting",
    "preparing the model and the data": "msg_preparing",
    "supervised warm-up": "msg_warmup",
    "validation before GRPO": "msg_validation_before",
    "GRPO training": "msg_grpo",
    "final validation": "msg_validation_final",
    "finished": "msg_finished",
    "stopped by request": "msg_stopped",
    "cancelled before it started": "msg_cancelled",
    "the process died (app or machine restart)": "msg_died",
    "the run folder is gone": "msg_folder_gone",
}


def message_text(message: object, lang: str | None = None) -> str:
    """A status message in the session's language (an error's own text is kept as it is)."""
    if not message:
        return ""
    key = MESSAGES.get(str(message))
    return t(key, lang) if key else str(message)


def weights_text(weights: object) -> str:
    """'10/50/30/10' (points out of 100, in reward order)."""
    if not isinstance(weights, dict):
        return MISSING
    return "/".join(f"{100 * float(weights.get(n, 0)):g}" for n in REWARD_NAMES)


def _figure(value: object, kind: str = "ratio") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return (
        fmt_pct(value, 0) if kind == "pct" else fmt_ratio(value) if kind == "ratio" else str(value)
    )


def runs_table(listed: list[dict], sweeps: dict[str, str] | None = None) -> pd.DataFrame:
    """The run history (`engine.training.runs.list_runs`): state, model, methodology, settings, final
    figures and lineage, with translated headers."""
    sweeps = sweeps or {}
    rows = []
    for r in listed:
        final = r.get("final") or {}
        after = final.get("agreement_final") or {}
        before = final.get("agreement_before_grpo") or {}
        version = r.get("methodology_version")
        rows.append(
            {
                t("rc_run"): r["run_id"],
                t("rc_state"): state_label(r.get("state")),
                t("rc_model"): r.get("model") or MISSING,
                t("tf_algorithm"): str(r.get("algorithm") or MISSING).upper(),
                t("rc_methodology"): f"{r.get('methodology_id') or MISSING} v{version}"
                if version is not None
                else MISSING,
                t("rc_as_of"): str(r.get("as_of") or MISSING)[:10],
                t("rc_lang"): r.get("language") or MISSING,
                t("rc_steps"): f"{r.get('sft_steps', MISSING)} + {r.get('max_steps', MISSING)}",
                t("rc_progress"): f"{r.get('steps_done', 0)}/{r.get('steps_total', MISSING)}",
                t("rc_generations"): str(r.get("num_generations", MISSING)),
                t("rc_lr"): f"{r['learning_rate']:.0e}" if r.get("learning_rate") else MISSING,
                t("rc_weights"): weights_text(r.get("reward_weights")),
                t("rc_reward"): _figure(final.get("reward")),
                t("rc_qwk"): _figure(after.get("qwk")),
                t("rc_exact"): _figure(after.get("exact"), "pct"),
                t("rc_invalid"): _figure(after.get("invalid_share"), "pct"),
                t("rc_qwk_before"): _figure(before.get("qwk")),
                t("rc_elapsed"): fmt_duration(r.get("elapsed_s")),
                t("rc_parent"): r.get("parent_run_id") or MISSING,
                t("rc_sweep"): sweeps.get(r["run_id"], MISSING),
                t("rc_message"): "; ".join(
                    x for x in (message_text(r.get("message")), r.get("note")) if x
                ),
            }
        )
    return pd.DataFrame(rows)


def sweep_table(results: pd.DataFrame) -> pd.DataFrame:
    """`engine.training.sweep.results` with translated headers and formatted figures."""
    return pd.DataFrame(
        {
            t("rc_run"): results["run_id"],
            t("rc_generations"): results["num_generations"],
            t("rc_weights"): results["reward_weights"],
            t("rc_state"): results["state"].map(state_label),
            t("rc_progress"): results["progress"].map(lambda v: _figure(v, "pct")),
            t("rc_reward"): results["reward"].map(_figure),
            t("rc_qwk"): results["qwk"].map(_figure),
            t("rc_exact"): results["exact"].map(lambda v: _figure(v, "pct")),
            t("rc_invalid"): results["invalid_share"].map(lambda v: _figure(v, "pct")),
            t("rc_qwk_before"): results["qwk_before_grpo"].map(_figure),
            t("rc_sec_step"): results["sec_per_grpo_step"].map(_figure),
        }
    )


def sweep_pivot(results: pd.DataFrame, value: str = "qwk") -> pd.DataFrame:
    """One figure of the finished runs as num_generations (rows) × reward weights (columns)."""
    done = results.dropna(subset=[value])
    if done.empty:
        return pd.DataFrame()
    pivot = done.pivot_table(
        index="num_generations", columns="reward_weights", values=value, aggfunc="mean"
    )
    pivot.index = [f"G = {g}" for g in pivot.index]
    pivot.columns.name = None
    return pivot.map(fmt_ratio)


def finding_text(finding: Finding, lang: str | None = None) -> str:
    """A warning of `engine.training.collapse` in the session's language (or `lang`)."""
    values = {
        k: fmt_pct(v, 0) if k in ("share", "expert_share") else v for k, v in finding.values.items()
    }
    return t(f"watch_{finding.code}", lang, **values)


def group_table(group: dict) -> pd.DataFrame:
    """One row per answer of a recorded GRPO group: its grade, each reward, the weighted total
    and the advantage the trainer paid it, in the order the answers were sampled."""
    rows = []
    for i, answer in enumerate(group.get("answers") or [], start=1):
        rewards = answer.get("rewards") or {}
        grade = answer.get("grade")
        row = {
            t("gc_answer"): i,
            t("sc_model"): str(grade) if grade is not None else MISSING,
        }
        for name in REWARD_NAMES:
            row[t(f"rw_{name}")] = fmt_num(rewards.get(name), 2)
        row[t("sc_total")] = fmt_num(answer.get("reward"), 3)
        row[t("gc_advantage")] = fmt_num(answer.get("advantage"), 3)
        rows.append(row)
    return pd.DataFrame(rows)


def samples_table(samples: list[dict], weights: dict[str, float]) -> pd.DataFrame:
    """One row per sample answer: fund, expert grade, the model's grade, each reward, total."""
    rows = []
    for s in samples:
        rewards = s.get("rewards") or {}
        total = sum(float(weights.get(n, 0)) * float(rewards.get(n) or 0) for n in REWARD_NAMES)
        row = {
            t("sc_fund"): s.get("prompt_fund") or MISSING,
            t("sc_expert"): str(s["expert_grade"])
            if s.get("expert_grade") is not None
            else MISSING,
            t("sc_model"): str(grade_of(s.get("completion") or "") or MISSING),
        }
        for name in REWARD_NAMES:
            row[t(f"rw_{name}")] = fmt_num(rewards.get(name), 2)
        row[t("sc_total")] = fmt_num(total, 2)
        rows.append(row)
    return pd.DataFrame(rows)
