"""Home: what the workbench does, what is loaded, and the next step to take."""

from __future__ import annotations

import streamlit as st

from workbench import ui
from workbench.i18n import fmt_num, t

st.title(t("app_title"))
st.write(t("home_intro"))

state = ui.read("summary")
ui.demo_banner(state)

st.subheader(t("loaded_header"))
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

st.subheader(t("next_header"))
step = ui.next_step(state)
if "home_flash" in st.session_state:
    st.success(st.session_state.pop("home_flash"), icon=":material/check_circle:")
st.info(t(step), icon=":material/arrow_forward:")
if step == "next_empty":
    left, right = st.columns(2)
    with left:
        if st.button(t("btn_load_demo"), type="primary", key="home_load_demo"):
            done = ui.load_demo()
            if done:
                st.session_state["home_flash"] = done  # shown after the rerun below
                st.rerun()
        st.caption(t("demo_help", n=ui.demo_funds()))
    with right:
        st.page_link(
            ui.page_path("data"),
            label=t("link_upload"),
            icon=":material/upload:",
            query_params={"tab": "upload"},
        )
else:
    explore = step == "next_explore"
    st.page_link(
        ui.page_path("data"),
        label=t("link_explore" if explore else "link_upload"),
        icon=":material/search:" if explore else ":material/upload:",
        query_params={"tab": "explorer" if explore else "upload"},
    )
