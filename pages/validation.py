"""Validation: do the grades predict the next 12 months (backtest), does the model hold up over
time (monitoring), take the results away (exports: CSV/Excel, a Hugging Face model folder), and
compare evaluators on the same funds in one HTML report (GRPO vs RLOO vs SFT-only vs …).

The figures come from `engine.evaluation.backtest`, `engine.evaluation.monitoring`, `engine.evaluation.export` and
`engine.evaluation.report`, the same functions as `python -m workbench backtest | evaluations export |
export-model | report`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from engine.evaluation import backtest, export, monitoring
from engine.evaluation.jobs import list_evaluations
from engine.evaluation.report import ReportError, report_data
from engine.evaluation.report_html import render, training_notes
from engine.files.tables import csv_bytes, excel_bytes
from store.home import Home
from workbench.i18n import LANGS, current_lang, t
from workbench.web import data, ui


@st.cache_data(show_spinner=False, max_entries=16)
def _backtest(stamp: tuple, sources: tuple[str, ...]) -> dict:
    return backtest.backtest(Home(Path(stamp[0])), list(sources))


@st.cache_data(show_spinner=False, max_entries=16)
def _over_time(stamp: tuple, evaluator: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    where = Home(Path(stamp[0]))
    return (
        monitoring.agreement_over_time(where, evaluator),
        monitoring.agreement_by_category(where, evaluator),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _drift(stamp: tuple, date_a: str, date_b: str) -> pd.DataFrame:
    where = Home(Path(stamp[0]))
    return monitoring.indicator_drift(where, date.fromisoformat(date_a), date.fromisoformat(date_b))


@st.cache_data(show_spinner=False, max_entries=16)
def _tables(stamp: tuple, evaluation_id: str) -> dict[str, pd.DataFrame]:
    return export.evaluation_tables(Home(Path(stamp[0])), evaluation_id)


def finished_evaluations() -> pd.DataFrame:
    frame = list_evaluations(ui.home())
    return frame[frame["state"] == "finished"]


def runs_with_model() -> list[str]:
    root = ui.home().runs
    if not root.is_dir():
        return []
    return sorted(
        (p.name for p in root.iterdir() if (p / "model" / "config.json").is_file()), reverse=True
    )


# ---------------------------------------------------------------- tabs


def backtest_tab(stamp: tuple, evaluations: pd.DataFrame) -> None:
    st.caption(t("val_bt_intro"))
    options = ["expert", "rules", *evaluations["evaluation_id"].tolist()]
    sources = st.multiselect(
        t("val_bt_sources"), options, default=["expert", "rules"], key="val_bt_sources"
    )
    if not sources:
        return
    try:
        result = _backtest(stamp, tuple(sources))
    except backtest.BacktestError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    for s in result["skipped"]:
        st.caption(t("val_bt_skipped", **s))
    if result["pooled"].empty:
        st.info(t("val_bt_none"))
        return
    st.subheader(t("val_bt_pooled"))
    st.dataframe(result["pooled"], hide_index=True, width="stretch")
    st.subheader(t("val_bt_per_date"))
    st.dataframe(result["per_date"], hide_index=True, width="stretch")
    left, right = st.columns(2)
    chart = px.bar(
        result["by_grade"], x="grade", y="mean_return", color="source", barmode="group",
        title=t("val_bt_by_grade"),
    )  # fmt: skip
    chart.update_yaxes(tickformat=".1%")
    left.plotly_chart(chart, width="stretch")
    per_date = result["per_date"].assign(as_of=lambda f: pd.to_datetime(f["as_of"]))
    right.plotly_chart(
        px.line(
            per_date,
            x="as_of",
            y="rank_ic",
            color="source",
            markers=True,
            title=t("val_bt_ic_chart"),
        ),  # fmt: skip
        width="stretch",
    )


def monitoring_tab(stamp: tuple, evaluations: pd.DataFrame) -> None:
    evaluators = sorted(set(evaluations["evaluator"]))
    if not evaluators:
        st.info(t("val_mon_none"))
    else:
        evaluator = st.selectbox(t("val_mon_evaluator"), evaluators, key="val_mon_evaluator")
        over_time, by_category = _over_time(stamp, evaluator)
        st.subheader(t("val_mon_time"))
        st.dataframe(over_time, hide_index=True, width="stretch")
        long = over_time.melt(
            id_vars=["as_of"], value_vars=["exact", "within_one", "qwk", "invalid_output_share"]
        ).assign(as_of=lambda f: pd.to_datetime(f["as_of"]))
        st.plotly_chart(
            px.line(long, x="as_of", y="value", color="variable", markers=True), width="stretch"
        )
        st.caption(t("val_mon_invalid_rule"))
        in_sample = over_time.loc[over_time["training_funds"].fillna(0) > 0]
        if not in_sample.empty:
            ids = ", ".join(
                f"{r.evaluation_id} ({int(r.training_funds)})" for r in in_sample.itertuples()
            )
            st.warning(t("val_mon_training", ids=ids), icon=":material/warning:")
        st.subheader(t("val_mon_category"))
        st.dataframe(by_category, hide_index=True, width="stretch")
        if not by_category.empty:
            st.plotly_chart(
                px.bar(
                    by_category, x="category", y="exact", color="evaluation_id", barmode="group"
                ),  # fmt: skip
                width="stretch",
            )
    st.subheader(t("val_mon_drift"))
    st.caption(t("val_mon_drift_help"))
    dates = [str(d) for d in backtest.rating_dates(ui.home())]
    if len(dates) < 1:
        return
    left, right = st.columns(2)
    date_a = left.selectbox(t("val_mon_date_a"), dates, index=0, key="val_mon_date_a")
    date_b = right.selectbox(t("val_mon_date_b"), dates, index=len(dates) - 1, key="val_mon_date_b")
    st.dataframe(_drift(stamp, date_a, date_b), hide_index=True, width="stretch")


def export_tab(stamp: tuple, evaluations: pd.DataFrame) -> None:
    ids = evaluations["evaluation_id"].tolist()
    if not ids:
        st.info(t("val_exp_no_eval"))
    else:
        chosen = st.selectbox(t("val_exp_evaluation"), ids, key="val_exp_evaluation")
        tables = _tables(stamp, chosen)
        a, b, c = st.columns(3)
        a.download_button(t("val_exp_csv_results"), csv_bytes(tables["results"]),
                          f"{chosen}-results.csv", "text/csv", key="val_dl_results",
                          on_click="ignore")  # fmt: skip
        b.download_button(t("val_exp_csv_agreement"), csv_bytes(tables["agreement"]),
                          f"{chosen}-agreement.csv", "text/csv", key="val_dl_agreement",
                          on_click="ignore")  # fmt: skip
        c.download_button(
            t("val_exp_excel"), excel_bytes(tables), f"{chosen}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="val_dl_xlsx",
            on_click="ignore",
        )  # fmt: skip
    st.subheader(t("val_exp_model"))
    runs = runs_with_model()
    if not runs:
        st.info(t("val_exp_no_run"))
        return
    run_id = st.selectbox(t("val_exp_run"), runs, key="val_exp_run")
    out = st.text_input(
        t("val_exp_out"), value=str(ui.home().root / "exports" / run_id), key="val_exp_out"
    )
    left, right = st.columns(2)
    repo = left.text_input(t("val_exp_repo"), key="val_exp_repo")
    token = right.text_input(t("val_exp_token"), type="password", key="val_exp_token")
    if st.button(t("val_exp_button"), key="val_exp_button"):
        try:
            with st.spinner(t("val_exp_button")):
                done = export.export_model(
                    ui.home(), run_id, Path(out), repo_id=repo or None, token=token or None
                )
        except export.ExportError as exc:
            st.error(str(exc), icon=":material/block:")
        else:
            st.success(t("val_exp_done", run=run_id, out=done["out"]))


def report_tab(evaluations: pd.DataFrame) -> None:
    """Choose evaluations, build the comparison report, download it."""
    st.caption(t("val_rep_intro"))
    if evaluations.empty:
        st.info(t("val_rep_none"))
        return
    names = dict(zip(evaluations["evaluation_id"], evaluations["evaluator"], strict=True))
    ids = list(names)
    chosen = st.multiselect(
        t("val_rep_choose"), ids, default=ids[:4], format_func=lambda i: f"{i} · {names[i]}",
        key="val_rep_ids",
    )  # fmt: skip
    lang = st.radio(
        t("val_rep_lang"), list(LANGS), index=list(LANGS).index(current_lang()),
        format_func=LANGS.get, horizontal=True, key="val_rep_lang",
    )  # fmt: skip
    command = f"python -m workbench report {' '.join(chosen) or 'EVAL_ID'} --out report.html"
    st.caption(t("val_rep_cli", command=f"{command} --lang {lang}"))
    if st.button(t("val_rep_build"), disabled=not chosen, type="primary", key="val_rep_build"):
        try:
            with st.spinner(t("val_rep_build")):
                report = report_data(ui.home(), chosen)
        except ReportError as exc:
            st.session_state.pop("val_rep_html", None)
            st.error(str(exc), icon=":material/block:")
        else:
            st.session_state["val_rep_html"] = (tuple(chosen), lang, render(report, lang), report)
    built = st.session_state.get("val_rep_html")
    if built and built[0] == tuple(chosen) and built[1] == lang:
        report = built[3]
        st.success(
            t("val_rep_done", n=report["n_funds"], best=report["verdict"].get("best") or "–")
        )
        for line in training_notes(report, current_lang()):
            st.warning(line, icon=":material/warning:")
        st.download_button(
            t("val_rep_download"), built[2].encode("utf-8"), "comparison-report.html",
            "text/html", key="val_rep_download", icon=":material/download:", on_click="ignore",
        )  # fmt: skip


# ---------------------------------------------------------------- page

st.title(t("val_title"))
state = data.summary()
ui.demo_banner(state)
stamp = data.db_stamp(ui.home())
if not backtest.rating_dates(ui.home()):
    st.info(t("val_empty"))
    st.stop()
evaluations = finished_evaluations()
tab_bt, tab_mon, tab_exp, tab_rep = st.tabs(
    [t("val_tab_backtest"), t("val_tab_monitoring"), t("val_tab_export"), t("val_tab_report")]
)
with tab_bt:
    backtest_tab(stamp, evaluations)
with tab_mon:
    monitoring_tab(stamp, evaluations)
with tab_exp:
    export_tab(stamp, evaluations)
with tab_rep:
    report_tab(evaluations)
