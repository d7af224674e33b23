"""Training: set up a GRPO run (every setting with a default and a one-line help), start it as a
background process, and watch it live — status, curves, the grades of each validation pass beside
the experts', warnings when the run collapses, sample answers and recorded GRPO groups — with
Stop and Resume.

Leaving the page never stops a run; on every visit `engine.training.runs.list_runs` marks runs whose
process died as failed (resumable when a checkpoint exists). The live part is an
`st.fragment(run_every=…)` that polls only while the run is queued or running and reads the
events file incrementally (`st.session_state["train_events"]`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from engine.llm.output import split_thinking
from engine.training import runs
from engine.training.collapse import findings
from engine.training.config import RunConfig, for_model
from engine.training.folder import ACTIVE_STATES
from engine.training.grade_histograms import expert_counts, passes
from engine.training.groups import group_events
from workbench.i18n import fmt_num, t
from workbench.web import data, ui
from workbench.web import views_training as tv
from workbench.web import views_training_form as form
from workbench.web.flash import keep_tab, open_tab_next

REFRESH_S = 2.0  # how often the live view polls a queued or running run
LOG_TAIL_LINES = 40

# ---------------------------------------------------------------- new run


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
    data.after_write()
    return run_id


def new_run_tab(blockers: list[tuple[str, str, str]]) -> None:
    if blockers:
        show_blockers(blockers)
        return
    spec, choice = form.model_picker()
    usable = form.show_model_status(spec, choice)
    form.show_device()
    if spec:
        form.show_estimate(for_model(spec))
    versions = data.methodology_versions()
    dates = data.rating_dates()
    submitted = form.settings_form(spec, choice, versions, dates, usable)
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
        open_tab_next("train_tab", t("train_tab_watch"))
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


def warnings(events: list[dict]) -> None:
    """What `engine.training.collapse` finds in the run now, in words."""
    for finding in findings(events):
        st.warning(tv.finding_text(finding), icon=":material/warning:")


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
    graded = passes(events)
    if graded:
        st.plotly_chart(tv.grade_chart(graded, expert_counts(events)), key="train_chart_grades")
    left, right = st.columns(2)
    left.plotly_chart(tv.loss_chart(train, config.sft_steps), key="train_chart_loss")
    if not grpo.empty:
        right.plotly_chart(
            tv.length_chart(grpo, config.max_completion_length), key="train_chart_length"
        )
        left, right = st.columns(2)
        left.plotly_chart(tv.zero_std_chart(grpo), key="train_chart_zero_std")
        right.plotly_chart(tv.entropy_chart(grpo), key="train_chart_entropy")
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


def groups(events: list[dict]) -> None:
    """The recorded GRPO groups: one fund's answers, each with its rewards and advantage."""
    recorded = {e["step"]: e for e in group_events(events)}
    if not recorded:
        return
    with st.expander(t("live_groups", n=len(recorded))):
        step = st.selectbox(
            t("live_group_pick"), list(recorded), index=len(recorded) - 1, key="train_group_step"
        )
        group = recorded[step]
        settings = group.get("settings") or {}
        st.caption(
            t(
                "live_group_caption", fund=group.get("fund_id") or "–",
                expert=group.get("expert_grade") or "–", mean=fmt_num(group.get("mean_reward"), 3),
                std=fmt_num(group.get("reward_std"), 3),
                algorithm=str(settings.get("algorithm", "–")).upper(),
                scale=settings.get("scale_rewards", "–"),
                floor=fmt_num(settings.get("advantage_floor"), 2),
            )
        )  # fmt: skip
        if not group.get("exact", True):
            st.caption(t("live_group_inexact"))
        st.dataframe(tv.group_table(group), hide_index=True)
        for i, answer in enumerate(group.get("answers") or [], start=1):
            st.caption(
                t(
                    "live_group_answer", n=i, grade=answer.get("grade") or "–",
                    reward=fmt_num(answer.get("reward"), 3),
                    advantage=fmt_num(answer.get("advantage"), 3),
                )
            )  # fmt: skip
            text = answer.get("completion") or t("live_empty_answer")
            st.code(text, language=None, wrap_lines=True)


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
    warnings(events)
    curves(events, config)
    samples(events, config)
    groups(events)
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
state = data.summary()
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
if data.methodology_versions().empty:
    blockers.append(("train_need_methodology", "methodology", "edit"))
if blockers and not listed:
    show_blockers(blockers)
    st.stop()

TABS = {"new": t("train_tab_new"), "watch": t("train_tab_watch")}
# Start asks for the live view on the next run; the open tab survives a language switch.
keep_tab("train_tab", TABS, "train_tab")
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
