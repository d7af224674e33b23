"""Home: what the workbench does, what is loaded, and the next step to take.

A first visit (an empty store) offers the two ways in: the synthetic demo or one's own files.
Once data is loaded, the page says what the loop needs next (data, methodology, a run, review).
"""

from __future__ import annotations

import streamlit as st

from workbench.i18n import fmt_num, t
from workbench.web import data, ui
from workbench.web.flash import flash, show_flash

# (i18n key of the advice, page in pages/, i18n key of the link) per stage of the loop
LOOP_STAGES = {
    "methodology": ("next_methodology", "methodology", "link_methodology"),
    "train": ("next_train", "training", "link_training"),
    "wait": ("next_wait_run", "runs", "link_runs"),
    "review": ("next_review", "review", "link_review"),
}


def loop_stage(state: dict) -> str:
    """The loop's next stage once the fund data is complete (a key of LOOP_STAGES)."""
    if state["methodology_versions"] == 0:
        return "methodology"
    if state["runs"] == 0:
        return "train"
    if state["finished_runs"] == 0:
        return "wait"
    return "review"


def first_run() -> None:
    """The two ways in: build the synthetic demo here, or go to the Data page's upload tab."""
    st.subheader(t("home_welcome"))
    show_flash("home")
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown(f"**{t('home_demo_header')}**")
        st.caption(t("demo_help", n=ui.demo_funds()))
        if st.button(t("btn_load_demo"), type="primary", key="home_load_demo"):
            done = ui.load_demo()
            if done:
                flash(done, where="home")  # shown after the rerun below
                st.rerun()
    with right.container(border=True):
        st.markdown(f"**{t('home_own_header')}**")
        st.caption(t("home_own_help"))
        st.page_link(
            ui.page_path("data"),
            label=t("link_own_data"),
            icon=":material/upload:",
            query_params={"tab": "upload"},
        )


def loaded_counts(state: dict) -> None:
    """Counts of what the store holds, with ISO dates."""
    st.subheader(t("loaded_header"))
    if state["funds"] == 0:
        st.caption(t("home_nothing_loaded"))
    row = st.columns(4)
    row[0].metric(t("m_funds"), fmt_num(state["funds"]))
    row[1].metric(t("m_companies"), fmt_num(state["companies"]))
    row[2].metric(t("m_benchmarks"), fmt_num(state["benchmarks"]))
    row[3].metric(t("m_nav_rows"), fmt_num(state["nav_rows"]))
    row = st.columns(4)
    row[0].metric(t("m_nav_start"), state["nav_start"] or "–")
    row[1].metric(t("m_nav_end"), state["nav_end"] or "–")
    row[2].metric(t("m_ratings"), fmt_num(state["ratings"]))
    row[3].metric(
        t("m_latest_rating"),
        state["latest_rating"] or "–",
        t("m_rating_dates", n=state["rating_dates"]),
        "off",
        delta_arrow="off",
    )
    row = st.columns(4)
    row[0].metric(t("m_qualitative"), fmt_num(state["qualitative"]))
    row[1].metric(t("m_uploads"), fmt_num(state["uploads"]))
    row[2].metric(
        t("m_methodologies"),
        fmt_num(state["methodologies"]),
        t("m_versions", n=state["methodology_versions"]),
        "off",
        delta_arrow="off",
    )
    row[3].metric(
        t("m_runs"),
        fmt_num(state["runs"]),
        t("m_finished_runs", n=state["finished_runs"]),
        "off",
        delta_arrow="off",
    )


def next_steps(state: dict) -> None:
    """What the data still lacks, then (once complete) the loop's next stage, each with a link."""
    st.subheader(t("next_header"))
    step = ui.next_step(state)
    show_flash("home")
    st.info(t(step), icon=":material/arrow_forward:")
    explore = step == "next_explore"
    st.page_link(
        ui.page_path("data"),
        label=t("link_explore" if explore else "link_upload"),
        icon=":material/search:" if explore else ":material/upload:",
        query_params={"tab": "explorer" if explore else "upload"},
    )
    if not explore:
        return
    st.subheader(t("home_loop_header"))
    advice, page, link = LOOP_STAGES[loop_stage(state)]
    unfinished = state["runs"] - state["finished_runs"]
    st.info(t(advice, runs=unfinished, n=state["finished_runs"]), icon=":material/route:")
    st.page_link(ui.page_path(page), label=t(link), icon=":material/arrow_forward:")


st.title(t("app_title"))
st.write(t("home_intro"))
summary = data.summary()
ui.demo_banner(summary)
if summary["funds"] == 0:
    st.info(t("next_empty"), icon=":material/arrow_forward:")
    first_run()
    loaded_counts(summary)
else:
    loaded_counts(summary)
    next_steps(summary)
