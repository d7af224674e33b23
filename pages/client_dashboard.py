"""Client dashboard: the logged-in client's funds in its published releases, and a live
re-evaluation of one fund beside the published grade (never replacing it)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.files.tables import csv_bytes
from workbench.i18n import fmt_date, t
from workbench.web import auth, data, ui
from workbench.web import views_client as vc

auth.require_role("client")
client_id = auth.client_id()
client = data.client(client_id) or {"name": client_id}

st.title(t("cl_title", name=client["name"]))
ui.demo_banner(data.summary())
releases = data.release_list(client_id)
if releases is None or releases.empty:
    st.info(t("cl_empty"), icon=":material/hourglass_empty:")
    st.stop()

versions = [int(v) for v in sorted(releases["version"], reverse=True)]
version = st.selectbox(
    t("cl_release"),
    versions,
    format_func=lambda v: (
        t("cl_release_label", version=v) + (t("cl_latest") if v == versions[0] else "")
    ),
    key="cl_version",
)
release = data.release(client_id, version)
rows = data.release_rows(client_id, version)

facts = st.columns(5)
facts[0].metric(t("cl_as_of"), fmt_date(release["as_of"]))
facts[1].metric(t("cl_published"), fmt_date(release["published_at"]))
facts[2].metric(t("cl_funds"), len(rows))
facts[3].metric(t("cl_model"), release["run_id"] or t("cl_model_rules"))
facts[4].metric(
    t("cl_methodology"), f"{release['methodology_id']} v{release['methodology_version']}"
)

method = data.release_methodology(client_id, version)
names = vc.criterion_names(method)
table = vc.grade_table(rows)
tab_funds, tab_fund, tab_dist, tab_method = st.tabs(
    [t("cl_tab_funds"), t("cl_tab_fund"), t("cl_tab_distribution"), t("cl_tab_methodology")]
)

with tab_funds:
    st.dataframe(
        table.assign(source=[vc.source_label(s) for s in table["source"]])
        if "source" in table
        else table,
        hide_index=True,
        column_config={
            "fund_id": t("cl_fund_id"),
            "fund_name": t("cl_fund_name"),
            "category": t("cl_category"),
            "grade": st.column_config.NumberColumn(t("cl_grade"), format="%d"),
            "source": t("cl_source"),
            "reasoning": st.column_config.TextColumn(t("cl_reasoning"), width="large"),
            **{c: names[c] for c in vc.criteria_columns(rows) if c in names},
        },
        key="cl_table",
    )
    stem = f"grades_{client_id}_v{version}"
    left, right = st.columns(2)
    left.download_button(
        t("cl_download_csv"),
        csv_bytes(table),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="cl_csv",
        on_click="ignore",
    )
    right.download_button(
        t("cl_download_xlsx"),
        vc.excel_bytes(table, release),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="cl_xlsx",
        on_click="ignore",
    )

with tab_fund:
    labels = dict(zip(rows["fund_id"], rows["fund_name"].fillna(""), strict=True))
    fund_id = st.selectbox(
        t("cl_pick_fund"),
        list(labels),
        format_func=lambda f: f"{f} · {labels[f]}",
        key="cl_fund",
    )
    row = rows[rows["fund_id"] == fund_id].iloc[0]
    published, live = st.columns(2)
    with published:
        st.subheader(t("cl_published_result", version=version))
        grade = row["grade"]
        st.metric(t("cl_grade"), "–" if pd.isna(grade) else int(grade))
        if row["scores"]:
            st.dataframe(
                pd.DataFrame(
                    [(names.get(k, k), v) for k, v in row["scores"].items()],
                    columns=[t("cl_criterion"), t("cl_score")],
                ),
                hide_index=True,
                key="cl_scores",
            )
        st.markdown(f"**{t('cl_reasoning')}**")
        st.write(row["reasoning"] or "–")
    with live:
        st.subheader(t("cl_live_result"))
        st.caption(t("cl_live_help"))
        results = st.session_state.setdefault("cl_live", {})
        if st.button(t("cl_reevaluate"), key="cl_reevaluate", icon=":material/bolt:"):
            from engine.clients.live import LiveError, live_evaluation  # the model stack: on demand

            with st.spinner(t("cl_live_running")):
                try:
                    results[fund_id] = live_evaluation(ui.home(), client_id, fund_id)
                except LiveError as exc:
                    st.error(str(exc), icon=":material/block:")
        found = results.get(fund_id)
        if found:
            st.badge(t("cl_live_badge"), icon=":material/bolt:", color="violet")
            st.metric(t("cl_grade"), found["grade"] if found["grade"] is not None else "–")
            if found.get("scores"):
                st.dataframe(
                    pd.DataFrame(
                        [(names.get(k, k), v) for k, v in found["scores"].items()],
                        columns=[t("cl_criterion"), t("cl_score")],
                    ),
                    hide_index=True,
                    key="cl_live_scores",
                )
            st.markdown(f"**{t('cl_reasoning')}**")
            st.write(found.get("reasoning") or "–")
            st.caption(
                t(
                    "cl_live_facts",
                    run=found["run_id"],
                    as_of=fmt_date(found["as_of"]),
                    ms=round(found["latency_ms"] or 0),
                    status=found["parse_status"],
                )
            )
    history = data.grade_history(client_id, fund_id)
    st.subheader(t("cl_history"))
    if history is not None and len(history) > 1:
        st.line_chart(
            history.assign(version=history["version"].astype(str)).set_index("version")[["grade"]],
            y_label=t("cl_grade"),
        )
    st.dataframe(
        history[["version", "as_of", "run_id", "grade"]],
        hide_index=True,
        key="cl_history_table",
    )

with tab_dist:
    st.plotly_chart(vc.distribution_figure(rows), key="cl_distribution")

with tab_method:
    st.markdown(vc.methodology_summary(method) or "–")
