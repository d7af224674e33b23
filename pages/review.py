"""Review: how far an evaluation's AI grades agree with the experts', the funds where they
disagree most first, a card per fund, and the analysts' decisions (accept the AI grade, keep
the expert's, correct it with a reason, comment), which the next training run learns from.

Every decision is a new feedback row (`engine.review.feedback`): the history is never rewritten.
Actions run as button callbacks, so the page shows their outcome on the very next run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.evaluation.jobs import status as evaluation_status
from engine.evaluation.jobs import sync
from engine.review import feedback
from workbench.i18n import fmt_num, t
from workbench.web import data, ui
from workbench.web import views_review as views
from workbench.web.flash import show_flash
from workbench.web.views_review_card import (
    ALL,
    accept_filtered,
    agreement_section,
    evaluate,
    fund_card,
    lineage_section,
)

INVALID = "invalid"
ACTIVE = ("queued", "running")
WATCH_S = 2.0  # how often a running evaluation's progress is polled

# ---------------------------------------------------------------- helpers


def choice(label: str, options: list, key: str, column) -> object:
    return column.selectbox(
        label, [ALL, *options], format_func=lambda v: t("f_all") if v == ALL else str(v), key=key
    )


def evaluation_form(runs: list[dict], expanded: bool) -> None:
    """Evaluate funds with the rule-based scorer or a trained run's models."""
    finished = [r["run_id"] for r in runs if r.get("state") == "finished"]
    specs = ["rules"] + [f"{kind}:{run}" for run in finished for kind in ("run", "tabular", "sft")]
    with st.expander(t("rev_new_eval"), expanded=expanded):
        show_flash("rev_evaluate")
        left, right = st.columns([2, 1])
        spec = left.selectbox(
            t("rev_evaluator"), specs, key="rev_new_evaluator", format_func=views.evaluator_label
        )
        run = spec.partition(":")[2]
        scope = right.selectbox(
            t("rev_scope"), views.scope_options(spec, finished), key="rev_scope",
            format_func=lambda s: views.scope_label(s, run),
        )  # fmt: skip
        st.button(
            t("rev_evaluate"), key="rev_evaluate", type="primary", on_click=evaluate,
            args=(spec, scope), help=t("rev_evaluate_help"),
        )  # fmt: skip
        command = f"python -m workbench evaluate --model {spec} --funds {scope}"
        st.caption(t("rev_evaluate_cli", command=command))


def watch_evaluation(evaluation_id: str) -> None:
    """A background evaluation's progress, polled (a fragment); the page reruns once it ends."""
    now = ui.guarded(evaluation_status, ui.home(), evaluation_id)
    if now is None:
        return
    if now.get("state") not in ACTIVE:
        st.rerun()
    done, total = int(now.get("done") or 0), int(now.get("total") or 0)
    st.progress(min(float(now.get("progress") or 0.0), 1.0), text=f"{done} / {total}")


# ---------------------------------------------------------------- page

st.title(t("rev_title"))
state = data.summary()
ui.demo_banner(state)
st.caption(t("rev_intro"))

evaluations = data.evaluations()
if evaluations["state"].isin(ACTIVE).any():  # import the background jobs that ended
    if ui.guarded(sync, ui.home()):
        data.after_feedback_write()
        evaluations = data.evaluations()
runs = data.review_runs()  # recovers dead runs and syncs their states into the store
if evaluations.empty:
    st.info(t("rev_empty"), icon=":material/rate_review:")
    st.code("python -m workbench evaluate --model rules", language="bash")
    evaluation_form(runs, expanded=True)
    st.stop()
evaluation_form(runs, expanded=False)

top = st.columns([1, 3, 1])
evaluators = sorted(evaluations["evaluator"].unique())
evaluator = choice(t("rev_f_evaluator"), evaluators, "rev_evaluator", top[0])
shown = evaluations if evaluator == ALL else evaluations[evaluations["evaluator"] == evaluator]
records = {r["evaluation_id"]: r for r in shown.to_dict("records")}
chosen = top[1].selectbox(
    t("rev_evaluation"), list(records), format_func=lambda e: views.evaluation_label(records[e]),
    key="rev_evaluation",
)  # fmt: skip
top[2].text_input(t("rev_user"), ui.user_name(), key="rev_user", disabled=ui.logged_in())
evaluation = records[chosen]
if evaluation["state"] != "finished":
    st.info(t("rev_not_finished", state=views.state_text(evaluation["state"]),
              message=evaluation.get("message") or ""), icon=":material/hourglass_top:")  # fmt: skip
    if evaluation["state"] in ACTIVE:
        st.button(t("rev_refresh"), key="rev_refresh", icon=":material/refresh:")
        st.fragment(watch_evaluation, run_every=WATCH_S)(chosen)

cycle_id = views.cycle_of(evaluation)  # a rating cycle's model answers: its analyst queue first
reads = data.review(evaluation, cycle_id)
rows = reads.rows
if rows.empty:
    st.info(t("rev_no_results"), icon=":material/hourglass_empty:")
    st.stop()

by_fund = data.rule_grades(reads, evaluation)  # stored for the date, else computed
rules = (
    by_fund["grade"].reindex(rows["fund_id"]).set_axis(rows.index)
    if by_fund is not None
    else pd.Series(pd.NA, index=rows.index)
)
status = feedback.model_status(rows["decision_id"], rows["decision"], data.trained_feedback())

with st.expander(t("rev_agreement"), expanded=True):
    agreement_section(rows, rules, evaluation)
with st.expander(t("rev_lineage_header"), expanded=False):
    lineage_section(runs, evaluation, status)

# ---------------------------------------------------------------- the fund list
st.markdown(f"### {t('rev_funds')}")
grades = [5, 4, 3, 2, 1]
f = st.columns(5)
category = choice(t("f_category"), sorted(rows["category"].dropna().unique()), "rev_category", f[0])
company = choice(t("f_company"), sorted(rows["company"].dropna().unique()), "rev_company", f[1])
expert_grade = choice(t("rev_c_expert"), grades, "rev_expert_grade", f[2])
ai_grade = f[3].selectbox(
    t("rev_c_ai"), [ALL, *grades, INVALID], key="rev_ai_grade",
    format_func=lambda v: t("f_all") if v == ALL else t("rev_invalid") if v == INVALID else str(v),
)  # fmt: skip
only_disagreements = f[4].toggle(t("rev_only_disagreements"), key="rev_only_disagreements")
routed = None
if cycle_id is not None:
    cycle_rows = reads.cycle_rows
    routed = cycle_rows[cycle_rows["route"] == "analyst"].set_index("fund_id")["route_reasons"]
    only_queue = st.toggle(
        t("rev_only_cycle_queue", cycle=cycle_id, n=len(routed)), value=True, key="rev_only_queue"
    )

keep = pd.Series(True, index=rows.index)
if category != ALL:
    keep &= rows["category"] == category
if company != ALL:
    keep &= rows["company"] == company
if expert_grade != ALL:
    keep &= rows["expert_grade"].eq(expert_grade).fillna(False).astype(bool)
if ai_grade == INVALID:
    keep &= rows["invalid"]
elif ai_grade != ALL:
    keep &= ~rows["invalid"] & rows["grade"].eq(ai_grade).fillna(False).astype(bool)
if only_disagreements:
    keep &= rows["invalid"] | (rows["gap"] > 0)
if routed is not None and only_queue:
    keep &= rows["fund_id"].isin(routed.index)
listed = rows[keep]
st.caption(t("rev_count", n=fmt_num(len(listed)), total=fmt_num(len(rows))))
if by_fund is not None:
    st.caption(
        t("rev_rules_stored", source=reads.rules_source)
        if reads.rules_source
        else t("rev_rules_computed")
    )
if listed.empty:
    st.info(t("rev_no_match"))
    st.stop()
listed_status = [status[i] for i in listed.index]
st.dataframe(
    views.fund_list(listed, rules.loc[listed.index], listed_status), hide_index=True, height=320
)
valid = int((~listed["invalid"] & listed["decision"].isna()).sum())
bulk = st.columns([1, 3])
bulk[0].number_input(
    t("rev_accept_weight"), min_value=0.0, max_value=1.0, step=0.1,
    value=feedback.ACCEPT_WEIGHT, key="rev_accept_weight", help=t("rev_accept_weight_help"),
)  # fmt: skip
bulk[1].button(
    t("rev_bulk_accept", n=valid), key="rev_bulk_accept", disabled=valid == 0,
    on_click=accept_filtered, args=(listed, evaluation), help=t("rev_bulk_help"),
)  # fmt: skip
show_flash("rev_bulk")

# ---------------------------------------------------------------- the fund card
names = dict(zip(listed["fund_id"], listed["fund_name"].fillna(""), strict=True))
fund_id = st.selectbox(
    t("rev_open_fund"), list(names), key="rev_fund",
    format_func=lambda fid: f"{fid} · {names[fid]}",
)  # fmt: skip
position = listed.index[listed["fund_id"] == fund_id][0]
fund = listed.loc[position].to_dict()
rule_row = by_fund.loc[fund_id] if by_fund is not None and fund_id in by_fund.index else None
rule_scores = (
    {c[len("score_") :]: rule_row[c] for c in by_fund.columns if c.startswith("score_")}
    if rule_row is not None
    else {}
)
if routed is not None and fund_id in routed.index:
    st.caption(t("rev_routed_for", reasons=views.route_reasons(routed[fund_id])))
with st.container(border=True):
    fund_card(fund, evaluation, reads, rules.loc[position], rule_scores, status[position])
