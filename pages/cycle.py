"""Rating cycle: grade every eligible fund at a month-end, route the uncertain ones to the
analysts, publish one release per client (docs/rating-cycle.md).

The same functions as `python -m workbench cycle run|list|show` (`engine.cycle.run`): a cycle
runs in the background; this page starts it and reads cycles back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.cycle import run as cycles
from engine.cycle.plan import CycleError
from store.db import StoreBusyError
from workbench.i18n import MISSING, fmt_pct, t
from workbench.web import ui
from workbench.web.flash import flash, show_flash

APPROVED, RULES = "approved", "rules"
SOURCES = (("analyst-reviewed", "cyc_reviewed"), ("model-rated", "cyc_model_rated"),
           ("rules", "cyc_rules_rated"))  # fmt: skip


def _grade(value: object) -> str:
    return MISSING if value is None or pd.isna(value) else str(int(value))


def run_form(finished_runs: list[str]) -> None:
    """Start (or resume, or refresh) the cycle of each client's model or of one chosen."""
    with st.expander(t("cyc_run_header")):
        show_flash("cyc_run")
        left, middle, right = st.columns(3)
        auto = left.checkbox(t("cyc_as_of_auto"), value=True, key="cyc_auto")
        when = None if auto else left.date_input(t("cyc_as_of"), key="cyc_as_of")
        options = [APPROVED, RULES, *(f"run:{r}" for r in finished_runs)]
        labels = {APPROVED: t("cyc_model_approved"), RULES: t("cyc_model_rules")}
        model = middle.selectbox(t("cyc_model"), options, key="cyc_model",
                                 format_func=lambda o: labels.get(o, o))  # fmt: skip
        samples = right.number_input(t("cyc_samples"), 1, 8, 3, key="cyc_samples")
        if st.button(t("cyc_run"), type="primary", key="cyc_run"):
            try:
                result = cycles.start(
                    ui.home(), as_of=when, model=None if model == APPROVED else model,
                    samples=int(samples), created_by=ui.author(),
                )  # fmt: skip
            except (CycleError, StoreBusyError) as exc:
                st.error(str(exc), icon=":material/block:")
                return
            for cycle in result["cycles"]:
                flash(t("cyc_started", cycle=cycle["cycle_id"],
                        outcome=t(f"cyc_outcome_{cycle['outcome']}")), where="cyc_run")  # fmt: skip
            st.rerun()


def coverage(shown: dict) -> None:
    st.subheader(t("cyc_coverage_header"))
    st.caption(t("cyc_coverage_help"))
    if not shown["training_split_known"]:
        st.warning(t("cyc_coverage_training_unknown"), icon=":material/warning:")
    else:
        left = max((r["training_left_out"] for r in shown["coverage"]), default=0)
        st.caption(t("cyc_coverage_held_out", n=left))
    table = pd.DataFrame(
        {
            t("cyc_c_threshold"): [("★ " if r["chosen"] else "") + f"{r['threshold']:.2f}"
                                   for r in shown["coverage"]],
            t("cyc_c_coverage"): [fmt_pct(r["coverage"]) for r in shown["coverage"]],
            t("cyc_c_experts"): [r["n_expert"] for r in shown["coverage"]],
            t("cyc_c_exact"): [fmt_pct(r["exact"]) for r in shown["coverage"]],
            t("cyc_c_within_one"): [fmt_pct(r["within_one"]) for r in shown["coverage"]],
        }
    )  # fmt: skip
    st.dataframe(table, hide_index=True)


def changes(shown: dict) -> None:
    st.subheader(t("cyc_changes_header"))
    found = shown["changes"]
    if not shown["previous"] or not found:
        st.caption(t("cyc_no_previous"))
        return
    st.write(t("cyc_changes", previous=shown["previous"], same=found["same"],
               moved=found["moved"], movers=len(found["movers"]), new=len(found["new"]),
               dropped=len(found["dropped"])))  # fmt: skip
    grades = found["matrix"]["grades"]
    matrix = pd.DataFrame(found["matrix"]["rows"], index=grades, columns=grades)
    st.dataframe(matrix)
    st.caption(t("cyc_matrix_caption"))


def grades_table(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("cyc_c_fund"): rows["fund_id"] + " " + rows["fund_name"].fillna(""),
            t("cyc_c_model"): rows["model_grade"].map(_grade),
            t("cyc_c_rules"): rows["rules_grade"].map(_grade),
            t("cyc_c_tabular"): rows["tabular_grade"].map(_grade),
            t("cyc_c_agreement"): rows["self_agreement"].map(fmt_pct),
            t("cyc_c_reasons"): [", ".join(r) or MISSING for r in rows["route_reasons"]],
            t("cyc_c_final"): rows["final_grade"].map(_grade),
            t("cyc_c_source"): rows["source"],
        }
    )


def cycle_view(cycle_id: str) -> None:
    """One cycle: counts, its job's progress, coverage, changes, the queue and the grades."""
    shown = cycles.show(ui.home(), cycle_id)
    cycle, rows, status = shown["cycle"], shown["rows"], shown["status"]
    if status.get("state") in ("queued", "running"):
        st.info(t("cyc_running", step=status.get("step", ""), done=status.get("done") or 0,
                  total=status.get("total") or 0), icon=":material/pending:")  # fmt: skip
    elif cycle["state"] == "failed":
        st.error(t("cyc_failed", message=cycle["message"]), icon=":material/error:")
    sources = shown["sources"]
    ui.facts(
        [(t("cyc_state"), cycle["state"]), (t("cyc_funds"), str(cycle["n_funds"] or 0)),
         (t("cyc_routed"), str(cycle["n_routed"] or 0))]
        + [(t(key), str(sources.get(source, 0))) for source, key in SOURCES]
    )  # fmt: skip
    if rows.empty:
        return
    coverage(shown)
    changes(shown)
    st.subheader(t("cyc_queue_header"))
    waiting = cycles.queue(ui.home(), cycle_id)
    if waiting.empty:
        st.caption(t("cyc_queue_empty"))
    else:
        st.caption(t("cyc_queue_help", evaluation=cycle["evaluation_id"] or MISSING))
        st.dataframe(grades_table(waiting), hide_index=True)
    st.subheader(t("cyc_grades_header"))
    st.dataframe(grades_table(rows), hide_index=True)
    made = ", ".join(f"{r['client_id']} v{r['version']}" for r in shown["releases"])
    st.caption(t("cyc_releases", releases=made or MISSING))


st.title(t("cyc_title"))
st.write(t("cyc_intro"))
run_form([r["run_id"] for r in ui.run_list() if r.get("state") == "finished"])
listed = cycles.list_cycles(ui.home())
if listed.empty:
    st.info(t("cyc_empty"), icon=":material/event_repeat:")
else:
    labels = {
        r["cycle_id"]: f"{r['cycle_id']} · {str(r['as_of'])[:10]} · {r['model']} · {r['state']}"
        for r in listed.to_dict("records")
    }
    chosen = st.selectbox(t("cyc_pick"), list(labels), format_func=labels.get, key="cyc_pick")
    cycle_view(chosen)
