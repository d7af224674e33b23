"""Data: upload files with a preview before loading, the upload history, and the fund explorer."""

from __future__ import annotations

import streamlit as st

from engine.data.filekinds import KINDS
from workbench.i18n import fmt_date, fmt_num, risk_grade_label, t
from workbench.web import data, ui, views

st.title(t("data_title"))
state = data.summary()
ui.demo_banner(state)
TABS = {"upload": t("tab_upload"), "history": t("tab_history"), "explorer": t("tab_explorer")}
# Links from Home open a tab with ?tab=explorer (or upload, history).
upload_tab, history_tab, explorer_tab = st.tabs(
    list(TABS.values()), default=TABS.get(st.query_params.get("tab", ""))
)

# ---------------------------------------------------------------- upload
with upload_tab:
    files = st.file_uploader(
        t("upload_label"),
        type=["csv", "tsv", "txt", "xlsx", "parquet"],
        accept_multiple_files=True,
        help=t("upload_help"),
        key="data_files",
    )
    left, right = st.columns(2)
    kind = left.selectbox(
        t("kind_label"),
        [None, *KINDS],
        format_func=lambda k: t("kind_auto") if k is None else views.kind_label(k),
        key="data_kind",
    )
    sheet = right.text_input(t("sheet_label"), key="data_sheet").strip() or None
    if not files:
        st.info(t("upload_empty"), icon=":material/upload_file:")
        st.dataframe(views.kinds_table(), hide_index=True)

    saved = st.session_state.setdefault("data_saved", {})  # file_id -> path under uploads/
    outcomes = st.session_state.setdefault("data_outcomes", {})  # file_id -> commit outcome
    previews = {}
    for file in files or []:
        if file.file_id not in saved:
            saved[file.file_id] = str(ui.save_upload(ui.home(), file.name, file.getvalue()))
        previews[file.file_id] = ui.preview(saved[file.file_id], kind, sheet, file.name)
    pending = [
        f for f in files or [] if "error" not in previews[f.file_id] and f.file_id not in outcomes
    ]

    def commit(file) -> None:
        outcomes[file.file_id] = ui.commit_upload(saved[file.file_id], kind, sheet, file.name)

    if len(pending) > 1 and st.button(
        t("btn_load_all", n=len(pending)), type="primary", key="data_load_all"
    ):
        bar = st.progress(0.0)
        for i, file in enumerate(pending):
            bar.progress(
                i / len(pending), t("loading_file", i=i + 1, n=len(pending), name=file.name)
            )
            commit(file)
        st.rerun()

    for file in files or []:
        shown = previews[file.file_id]
        with st.container(border=True):
            st.markdown(f"#### {t('preview_header', name=file.name)}")
            if "error" in shown:
                ui.show_ingest_error(shown["error"])
                continue
            ui.show_preview(shown["parsed"], shown["rows"])
            outcome = outcomes.get(file.file_id)
            if outcome is None:
                if st.button(t("btn_load"), key=f"data_load_{file.file_id}"):
                    commit(file)
                    st.rerun()
            elif "result" in outcome:
                st.success(views.load_message(outcome["result"]), icon=":material/check_circle:")
            else:
                ui.show_ingest_error(outcome["error"])

# ---------------------------------------------------------------- history
with history_tab:
    st.markdown(f"**{t('history_counts')}**")
    counts = data.table_counts()
    st.dataframe(
        {t("t_table"): list(counts), t("t_rows"): [fmt_num(n) for n in counts.values()]},
        hide_index=True,
    )
    st.markdown(f"**{t('history_log')}**")
    log = data.upload_log()
    if log.empty:
        st.info(t("history_empty"))
    else:
        st.dataframe(views.upload_log_table(log), hide_index=True)

# ---------------------------------------------------------------- explorer
# The explorer is the last section of the page, so st.stop() below ends only the explorer.
with explorer_tab:
    if state["funds"] == 0:
        st.info(t("explorer_empty"), icon=":material/search_off:")
        st.stop()
    left, middle, right = st.columns([1, 1, 2])
    category = left.selectbox(
        t("f_category"),
        [None, *data.categories()],
        format_func=lambda c: t("f_all") if c is None else c,
        key="data_category",
    )
    company = middle.selectbox(
        t("f_company"),
        [None, *data.companies()],
        format_func=lambda c: t("f_all") if c is None else c,
        key="data_company",
    )
    search = right.text_input(t("f_search"), key="data_search").strip() or None
    funds = data.funds(category, company, search)
    if funds.empty:
        st.info(t("explorer_no_match"))
        st.stop()
    st.caption(t("explorer_count", n=fmt_num(len(funds))))
    st.dataframe(views.fund_table(funds), hide_index=True, height=280)
    names = dict(zip(funds["fund_id"], funds["fund_name"], strict=True))
    chosen = st.selectbox(
        t("open_fund"),
        list(names),
        index=None,
        format_func=lambda fid: f"{fid} · {names[fid]}",
        placeholder=t("open_fund_placeholder"),
        key="data_fund",
    )
    if chosen is None:
        st.stop()

    fund = funds.set_index("fund_id").loc[chosen]
    metrics = data.indicators()
    st.subheader(f"{fund['fund_name']} ({chosen})")
    grade = views.risk_grade_of(metrics, chosen) if metrics is not None else None
    ui.facts(
        [
            (t("c_category"), fund["category"] or "–"),
            (t("c_company"), fund["company"] or "–"),
            (t("c_manager"), fund["manager"] or "–"),
            (t("k_inception"), fmt_date(fund["inception_date"])),
            (t("k_benchmark"), fund["benchmark_name"] or fund["benchmark_id"] or "–"),
            (t("k_currency"), fund["currency"] or "–"),
            (t("k_expense"), views.fmt_percent_number(fund["expense_ratio"])),
            (t("k_aum"), fmt_num(fund["aum"])),
            (t("k_risk_grade"), risk_grade_label(grade)),
            (t("k_latest_grade"), views.grade_text(fund["latest_grade"])),
        ]
    )

    nav = data.nav_with_benchmark(chosen)
    if nav.empty:
        st.info(t("no_nav"))
    else:
        left, right = st.columns(2)
        left.plotly_chart(views.nav_chart(nav), key="data_nav_chart")
        right.plotly_chart(views.drawdown_chart(nav), key="data_drawdown_chart")
        if nav["benchmark"].isna().all():
            st.caption(t("no_benchmark"))

    if metrics is not None:
        st.markdown(f"#### {t('indicators_header', as_of=views.metrics_as_of(metrics))}")
        table, reasons = views.indicator_table(metrics, chosen)
        if table.shape[1] > 1:
            st.dataframe(table, hide_index=True, height="content")
            st.caption(t("indicators_help"))
        else:
            st.info(t("indicators_none"))
        for reason in reasons:
            st.caption(reason)

    left, right = st.columns(2)
    with left:
        st.markdown(f"#### {t('ratings_header')}")
        ratings = data.ratings_for(chosen)
        if ratings.empty:
            st.info(t("ratings_empty"))
        else:
            st.dataframe(views.ratings_table(ratings), hide_index=True)
    with right:
        st.markdown(f"#### {t('qual_header')}")
        qualitative = data.qualitative_for(chosen)
        if qualitative.empty:
            st.info(t("qual_empty"))
        else:
            st.dataframe(views.qualitative_table(qualitative), hide_index=True)
