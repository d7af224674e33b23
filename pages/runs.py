"""Runs: the history of training runs with their settings, final figures and lineage; curves of
several runs overlaid, with a warning in words for each run that has collapsed to one grade or
whose groups give GRPO nothing to learn from; and the hyper-parameter sweep (num_generations ×
reward weights) with its results table — the sensitivity study the founders asked for
(engine/training/sweep.py).
"""

from __future__ import annotations

import streamlit as st

from engine.llm.models import PRESETS
from engine.training import sweep
from engine.training.collapse import findings
from engine.training.config import for_model
from workbench.i18n import t
from workbench.web import data, ui
from workbench.web import views_training as tv
from workbench.web.flash import flash, show_flash

OVERLAY_DEFAULT = 3  # runs compared by default: the newest with events
GENERATION_CHOICES = (2, 4, 8, 16)
DEFAULT_GENERATIONS = (4, 8)
DEFAULT_PRESETS = ("founders", "equal")


def history(listed: list[dict]) -> None:
    st.dataframe(tv.runs_table(listed, sweep.sweep_of_runs(ui.home())), hide_index=True)
    ids = [r["run_id"] for r in listed if r.get("folder")]
    if not ids:
        return
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    chosen = left.selectbox(t("runs_open"), ids, key="runs_open")
    right.page_link(
        ui.page_path("training"),
        label=t("runs_open_link", run=chosen),
        icon=":material/monitoring:",
        query_params={"run": chosen},
    )


def overlay(listed: list[dict]) -> None:
    st.subheader(t("runs_overlay_header"))
    ids = [r["run_id"] for r in listed if r.get("folder")]
    with_events = [r for r in ids if (ui.home().runs / r / "events.jsonl").is_file()]
    if not with_events:
        st.info(t("runs_overlay_empty"), icon=":material/show_chart:")
        return
    chosen = st.multiselect(
        t("runs_overlay_pick"),
        with_events,
        default=with_events[:OVERLAY_DEFAULT],
        key="runs_overlay",
    )
    lang = st.session_state.get("lang")
    metric = st.selectbox(
        t("runs_overlay_metric"),
        list(tv.OVERLAY_METRICS),
        format_func=lambda k: t(tv.OVERLAY_METRICS[k][1], lang),
        key="runs_metric",
    )
    if not chosen:
        return
    events = {run_id: data.run_events(run_id) for run_id in chosen}
    for run_id, found in events.items():
        for finding in findings(found):
            st.warning(
                t("runs_warning", run=run_id, text=tv.finding_text(finding)),
                icon=":material/warning:",
            )
    left, right = st.columns(2)
    left.plotly_chart(
        tv.overlay_chart({r: tv.series(e, metric) for r, e in events.items()}, metric),
        key="runs_chart_metric",
    )
    right.plotly_chart(
        tv.overlay_chart({r: tv.series(e, "qwk") for r, e in events.items()}, "qwk"),
        key="runs_chart_qwk",
    )


def sweep_form(blocked: bool) -> None:
    st.markdown(f"#### {t('sweep_new_header')}")
    st.caption(t("sweep_intro"))
    if blocked:
        st.info(t("sweep_blocked"), icon=":material/block:")
        return
    lang = st.session_state.get("lang")
    with st.form("sweep_form"):
        row = st.columns(4)
        model = row[0].selectbox(
            t("tf_model"), list(PRESETS), format_func=lambda k: PRESETS[k].label, key="sweep_model"
        )
        steps = row[1].number_input(
            t("tf_max_steps"), min_value=1, value=None, placeholder=t("sweep_model_default"),
            help=t("sweep_steps_help"), key="sweep_steps",
        )  # fmt: skip
        sft_steps = row[2].number_input(
            t("tf_sft_steps"), min_value=0, value=None, placeholder=t("sweep_model_default"),
            help=t("sweep_steps_help"), key="sweep_sft_steps",
        )  # fmt: skip
        generations = row[3].multiselect(
            t("tf_num_generations"), GENERATION_CHOICES, default=DEFAULT_GENERATIONS,
            help=t("sweep_generations_help"), key="sweep_generations",
        )  # fmt: skip
        presets = st.multiselect(
            t("sweep_presets"), list(sweep.WEIGHT_PRESETS), default=DEFAULT_PRESETS,
            format_func=lambda k: t(f"preset_{k}", lang) + " · "
            + sweep.weights_label(sweep.WEIGHT_PRESETS[k]),
            help=t("sweep_presets_help"), key="sweep_presets",
        )  # fmt: skip
        custom = st.text_input(
            t("sweep_custom"), placeholder="0.2,0.4,0.3,0.1; 0.1,0.6,0.2,0.1",
            help=t("sweep_custom_help"), key="sweep_custom",
        ).strip()  # fmt: skip
        submitted = st.form_submit_button(
            t("btn_sweep"), type="primary", icon=":material/grid_view:", key="sweep_start"
        )
    if not submitted:
        return
    text = ";".join([*presets, custom] if custom else presets)
    weight_sets = ui.guarded_training(sweep.parse_weight_sets, text)
    if weight_sets is None:
        return
    if not generations:
        st.error(t("sweep_no_generations"), icon=":material/block:")
        return
    changes = {"max_steps": steps, "sft_steps": sft_steps}
    base = for_model(model, **{k: int(v) for k, v in changes.items() if v is not None})
    points = sweep.grid(sorted(generations), weight_sets)
    if ui.guarded_training(sweep.sweep_configs, base, points) is None:
        return
    if ui.prepare_model(model) is None:
        return
    with st.status(t("sweep_starting", n=len(points)), expanded=False) as box:
        record = ui.guarded_training(
            sweep.launch, ui.home(), base, sorted(generations), weight_sets,
            created_by=ui.user_name(),
        )  # fmt: skip
        if record is None:
            box.update(label=t("sweep_failed"), state="error", expanded=True)
            return
        box.update(label=t("sweep_started", sweep=record["sweep_id"], n=len(points)),
                   state="complete")  # fmt: skip
    data.after_write()
    st.session_state["runs_sweep"] = record["sweep_id"]
    flash(t("sweep_started", sweep=record["sweep_id"], n=len(record["runs"])), where="runs")
    st.rerun()


def sweep_results() -> None:
    st.markdown(f"#### {t('sweep_results_header')}")
    records = sweep.list_sweeps(ui.home())
    if not records:
        st.info(t("sweep_none"), icon=":material/grid_view:")
        return
    by_id = {r["sweep_id"]: r for r in records}
    if st.session_state.get("runs_sweep") not in by_id:
        st.session_state.pop("runs_sweep", None)
    lang = st.session_state.get("lang")
    chosen = st.selectbox(
        t("sweep_pick"),
        list(by_id),
        format_func=lambda s: t(
            "sweep_label", lang, sweep=s, n=len(by_id[s]["runs"]), at=by_id[s]["created_at"][:16]
        ),
        key="runs_sweep",
    )
    table = sweep.results(ui.home(), by_id[chosen])
    st.dataframe(tv.sweep_table(table), hide_index=True)
    pivot = tv.sweep_pivot(table, "qwk")
    if pivot.empty:
        st.caption(t("sweep_pending"))
    else:
        st.caption(t("sweep_pivot_caption"))
        st.dataframe(pivot)


# ---------------------------------------------------------------- page

st.title(t("runs_title"))
state = data.summary()
ui.demo_banner(state)
show_flash("runs")
listed = ui.run_list()
st.subheader(t("runs_history_header"))
if listed:
    history(listed)
    overlay(listed)
else:
    st.info(t("runs_empty"), icon=":material/model_training:")
    st.page_link(ui.page_path("training"), label=t("link_training"), icon=":material/open_in_new:")
st.subheader(t("sweep_header"))
blocked = not state["ratings"] or data.methodology_versions().empty
sweep_form(blocked)
sweep_results()
