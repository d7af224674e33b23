"""Review: how far an evaluation's AI grades agree with the experts', the funds where they
disagree most first, a card per fund, and the analysts' decisions (accept the AI grade, keep
the expert's, correct it with a reason, comment), which the next training run learns from.

Every decision is a new feedback row (`engine.review.feedback`): the history is never rewritten.
Actions run as button callbacks, so the page shows their outcome on the very next run.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from engine.review import feedback
from workbench.i18n import fmt_num, t
from workbench.web import ui
from workbench.web import views_review as views

ALL = "__all__"
INVALID = "invalid"
ACTIVE = ("queued", "running")
WATCH_S = 2.0  # how often a running evaluation's progress is polled

# ---------------------------------------------------------------- helpers


def flash(kind: str, text: str, where: str = "card") -> None:
    """A message shown once, on the next run, where the action was (card, bulk, retrain)."""
    st.session_state[f"rev_flash_{where}"] = (kind, text)


def show_flash(where: str = "card") -> None:
    kind, text = st.session_state.pop(f"rev_flash_{where}", (None, None))
    if kind == "success":
        st.success(text, icon=":material/check_circle:")
    elif kind == "error":
        st.error(text, icon=":material/block:")


def attempt(action, *args, where: str = "card", **kwargs):
    """Run a feedback action; a refusal becomes the flash message, the result otherwise."""
    from engine.evaluation.jobs import EvaluationError
    from engine.llm.models import ModelError
    from engine.methodology import MethodologyError
    from engine.training.config import TrainingError
    from engine.training.snapshot import SnapshotError
    from store.db import StoreBusyError

    try:
        return action(*args, **kwargs)
    except (
        feedback.FeedbackError, EvaluationError, TrainingError, SnapshotError, ModelError
    ) as exc:  # fmt: skip
        flash("error", str(exc), where)
    except StoreBusyError as exc:
        flash("error", f"{exc} {t('store_busy_hint')}", where)
    except MethodologyError as exc:
        flash("error", exc.summary, where)
    finally:
        ui.after_feedback_write()
    return None


def choice(label: str, options: list, key: str, column) -> object:
    return column.selectbox(
        label, [ALL, *options], format_func=lambda v: t("f_all") if v == ALL else str(v), key=key
    )


# ---------------------------------------------------------------- actions (button callbacks)


def act(action: str, fund: dict, evaluation: dict, **fields) -> None:
    """Record one action on the open fund."""
    done = attempt(
        feedback.record,
        ui.home(),
        fund["fund_id"],
        evaluation["as_of"],
        action,
        ai_grade=None if fund["invalid"] else fund["grade"],
        evaluation_id=evaluation["evaluation_id"],
        created_by=ui.author(st.session_state.get("rev_user")),
        **fields,
    )
    if done is not None:
        flash(
            "success",
            t("rev_done", action=t(f"rev_action_{action}"), fund=fund["fund_id"], id=done),
        )
        for key in ("rev_reason", "rev_comment"):
            st.session_state[key] = ""
        st.session_state["rev_grade"] = None


def correct(fund: dict, evaluation: dict) -> None:
    act(
        "correct",
        fund,
        evaluation,
        grade=st.session_state.get("rev_grade"),
        reason=st.session_state.get("rev_reason"),
    )


def comment(fund: dict, evaluation: dict) -> None:
    act("comment", fund, evaluation, comment=st.session_state.get("rev_comment"))


def accept_filtered(rows: pd.DataFrame, evaluation: dict) -> None:
    """Accept the AI grade of every listed fund with a valid answer (one transaction)."""
    done = attempt(
        feedback.accept_all,
        ui.home(),
        rows[["fund_id"]].assign(ai_grade=rows["grade"].where(~rows["invalid"])),
        evaluation["as_of"],
        evaluation_id=evaluation["evaluation_id"],
        created_by=ui.author(st.session_state.get("rev_user")),
        weight=float(st.session_state.get("rev_accept_weight", feedback.ACCEPT_WEIGHT)),
        where="bulk",
    )
    if done is not None:
        text = t(
            "rev_bulk_done",
            n=done["accepted"],
            skipped=len(done["skipped"]),
            decided=len(done["already_decided"]),
        )
        flash("success", text, "bulk")


def retrain(parent: str, evaluation: dict) -> None:
    done = attempt(
        feedback.retrain, ui.home(), parent, as_of=evaluation["as_of"], where="retrain",
        created_by=ui.author(st.session_state.get("rev_user")),
    )  # fmt: skip
    if done is not None:
        text = t("rev_retrain_done", run=done["run_id"], n=len(done["feedback_ids"]), parent=parent)
        flash("success", text, "retrain")


def evaluate(spec: str, scope: str) -> None:
    """Start an evaluation; the rule-based and tabular ones finish before the page is drawn."""
    from engine.evaluation.jobs import start_evaluation

    evaluation_id = attempt(
        start_evaluation,
        ui.home(),
        spec,
        selection=scope,
        created_by=ui.author(st.session_state.get("rev_user")),
        where="evaluate",
    )
    if evaluation_id is not None:
        st.session_state["rev_evaluator"] = ALL
        st.session_state["rev_evaluation"] = evaluation_id
        flash("success", t("rev_eval_done", id=evaluation_id, evaluator=spec), "evaluate")


def evaluation_form(runs: list[dict], expanded: bool) -> None:
    """Evaluate funds with the rule-based scorer or a trained run's models."""
    finished = [r["run_id"] for r in runs if r.get("state") == "finished"]
    specs = ["rules"] + [f"{kind}:{run}" for run in finished for kind in ("run", "tabular", "sft")]
    with st.expander(t("rev_new_eval"), expanded=expanded):
        show_flash("evaluate")
        left, right = st.columns([2, 1])
        spec = left.selectbox(
            t("rev_evaluator"), specs, key="rev_new_evaluator", format_func=views.evaluator_label
        )
        run = spec.partition(":")[2]
        scopes = ["all"] + ([f"test:{run}"] if run else [])
        scope = right.selectbox(
            t("rev_scope"), scopes, key="rev_scope", format_func=views.scope_label
        )
        st.button(
            t("rev_evaluate"), key="rev_evaluate", type="primary", on_click=evaluate,
            args=(spec, scope), help=t("rev_evaluate_help"),
        )  # fmt: skip
        st.caption(t("rev_evaluate_cli", command=f"python -m workbench evaluate --model {spec}"))


def watch_evaluation(evaluation_id: str) -> None:
    """A background evaluation's progress, polled (a fragment); the page reruns once it ends."""
    from engine.evaluation.jobs import status as evaluation_status

    now = ui.guarded(evaluation_status, ui.home(), evaluation_id)
    if now is None:
        return
    if now.get("state") not in ACTIVE:
        st.rerun()
    done, total = int(now.get("done") or 0), int(now.get("total") or 0)
    st.progress(min(float(now.get("progress") or 0.0), 1.0), text=f"{done} / {total}")


# ---------------------------------------------------------------- sections


def agreement_section(rows: pd.DataFrame, rules: pd.Series, evaluation: dict) -> None:
    from engine.evaluation.agreement import compare

    rated = rows[rows["expert_grade"].notna()]
    if rated.empty:
        st.info(t("rev_no_expert"), icon=":material/info:")
        return
    stored = evaluation.get("summary")
    if isinstance(stored, str) and stored:  # computed when the evaluation finished: the same
        figures = json.loads(stored)  # `compare` of its greedy grades with the experts'
    else:
        expert = rated["expert_grade"].astype(int).tolist()
        ai = rated["grade"].where(~rated["invalid"]).tolist()
        figures = ui.agreement(expert, ai, rated["category"].fillna("-").tolist())
    columns = st.columns(6)
    for column, key in zip(
        columns, ("n", "exact", "within_one", "mae", "qwk", "invalid_share"), strict=True
    ):
        if key == "n":
            column.metric(t(f"rev_fig_{key}"), fmt_num(figures["n"]))
            continue
        # the interval on its own line: beside the figure it was cut off ('100.0% (100.0%–…')
        column.metric(
            t(f"rev_fig_{key}"), views.figure_text({**figures, "ci": {}}, key),
            views.figure_interval(figures, key), delta_color="off", delta_arrow="off",
        )  # fmt: skip
    st.caption(t("rev_invalid_rule"))
    left, right = st.columns([2, 3])
    left.plotly_chart(views.confusion_chart(figures["confusion"]), key="rev_confusion")
    with right:
        pairs = [(t("rev_cmp_ai_expert"), figures)]
        graded = rules.loc[rated.index]
        known = graded.notna()
        if known.any():
            pairs.append(
                (t("rev_cmp_rules_expert"), compare(
                    rated.loc[known, "expert_grade"].astype(int).tolist(),
                    graded[known].astype(int).tolist(), n_boot=0,
                ))
            )  # fmt: skip
            if evaluation["evaluator_kind"] != "rules":
                valid = known & ~rated["invalid"]
                pairs.append(
                    (t("rev_cmp_ai_rules"), compare(
                        graded[known].astype(int).tolist(),
                        rated.loc[known, "grade"].where(valid[known]).tolist(), n_boot=0,
                    ))
                )  # fmt: skip
        st.markdown(f"**{t('rev_comparison')}**")
        st.dataframe(views.comparison_table(pairs), hide_index=True)
        st.markdown(f"**{t('rev_per_category')}**")
        st.dataframe(views.per_category_table(figures["per_category"]), hide_index=True)


def lineage_section(runs: list[dict], evaluation: dict, status: list[tuple]) -> None:
    listed = [r for r in runs if r.get("folder")]
    pending = sum(s == "pending" for s, _ in status)
    st.caption(t("rev_pending", n=pending))
    if not listed:
        st.info(t("rev_no_runs"), icon=":material/model_training:")
        return
    ids = [r["run_id"] for r in listed]
    default = evaluation.get("run_id") if evaluation.get("run_id") in ids else ids[0]
    parent = st.selectbox(
        t("rev_parent"), ids, index=ids.index(default), key="rev_parent", help=t("rev_parent_help")
    )
    chain = feedback.lineage(ui.home(), parent)
    st.markdown(
        t(
            "rev_lineage",
            chain=feedback.lineage_text(chain, t("rev_n_corrections"), t("rev_n_correction")),
        )
    )
    children = [r["run_id"] for r in listed if r.get("parent_run_id") == parent]
    if children:
        st.caption(t("rev_children", runs=", ".join(sorted(children))))
    show_flash("retrain")
    st.button(
        t("rev_retrain", n=pending),
        key="rev_retrain",
        type="primary",
        disabled=pending == 0,
        on_click=retrain,
        args=(parent, evaluation),
        help=t("rev_retrain_help"),
    )


def fund_card(fund: dict, evaluation: dict, rule_grade: object, rule_scores: dict,
              status: tuple) -> None:  # fmt: skip
    st.subheader(f"{fund['fund_name'] or fund['fund_id']} ({fund['fund_id']})")
    ui.facts(
        [
            (t("c_category"), fund["category"] or "–"),
            (t("c_company"), fund["company"] or "–"),
            (t("rev_c_expert"), views.grade_text(fund["expert_grade"])
             + (f" · {fund['expert_analyst']}" if isinstance(fund["expert_analyst"], str) else "")),
            (t("rev_c_ai"), views.ai_grade_text(fund["grade"], fund["invalid"])),
            (t("rev_c_rules"), views.grade_text(rule_grade)),
            (t("rev_c_decision"), views.decision_text(fund["decision"], fund["decided_grade"])),
            (t("rev_c_in_model"), views.model_status_text(*status)),
        ],
        per_row=4,
    )  # fmt: skip
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('rev_expert_comment')}**")
        st.markdown(f"> {fund['expert_comment']}" if isinstance(fund["expert_comment"], str)
                    else t("rev_none"))  # fmt: skip
        st.markdown(f"**{t('rev_reasoning')}**")
        if fund["invalid"]:
            st.warning(t("rev_invalid_answer", error=fund["parse_error"] or "–"))
        st.markdown(fund["reasoning"] if isinstance(fund["reasoning"], str) else t("rev_none"))
        if isinstance(fund["thinking"], str) and fund["thinking"].strip():
            with st.expander(t("rev_thinking"), expanded=False):
                st.text(fund["thinking"])
        if isinstance(fund["raw_output"], str) and fund["raw_output"]:
            with st.expander(t("rev_raw_output"), expanded=False):
                st.code(fund["raw_output"], language="json")
    with right:
        from engine.methodology import MethodologyError

        try:
            doc = ui.read_methodology(
                "get", evaluation["methodology_id"], int(evaluation["methodology_version"])
            )
        except MethodologyError as exc:  # a version deleted since: show the scores without it
            st.caption(exc.summary)
            doc = None
        st.markdown(f"**{t('rev_criteria')}**")
        st.dataframe(views.criteria_table(doc, fund["scores"], rule_scores), hide_index=True)

    metrics = ui.indicators_at(str(evaluation["as_of"]))
    if metrics is not None:
        from workbench.web.views import indicator_table, qualitative_table

        with st.expander(t("rev_indicators", as_of=str(evaluation["as_of"])[:10]), expanded=True):
            table, reasons = indicator_table(metrics, fund["fund_id"])
            if table.shape[1] > 1:
                st.dataframe(table, hide_index=True)
                st.caption(t("indicators_help"))
            else:
                st.info(t("indicators_none"))
            for reason in reasons:
                st.caption(reason)
            qualitative = ui.read("qualitative_for", fund["fund_id"])
            if not qualitative.empty:
                st.markdown(f"**{t('qual_header')}**")
                st.dataframe(qualitative_table(qualitative), hide_index=True)

    st.markdown(f"#### {t('rev_actions')}")
    show_flash()
    a, b, c, d = st.columns(4)
    a.button(
        t("rev_accept", grade=views.ai_grade_text(fund["grade"], fund["invalid"])),
        key="rev_accept", disabled=bool(fund["invalid"]), on_click=act,
        args=("accept_ai", fund, evaluation), use_container_width=True,
    )  # fmt: skip
    b.button(
        t("rev_keep", grade=views.grade_text(fund["expert_grade"])),
        key="rev_keep", disabled=pd.isna(fund["expert_grade"]), on_click=act,
        args=("keep_expert", fund, evaluation), use_container_width=True,
    )  # fmt: skip
    with c:
        st.selectbox(t("rev_grade"), [5, 4, 3, 2, 1], index=None, key="rev_grade",
                     placeholder=t("rev_grade_placeholder"))  # fmt: skip
        st.text_input(t("rev_reason"), key="rev_reason", placeholder=t("rev_reason_placeholder"))
        st.button(t("rev_correct"), key="rev_correct", on_click=correct, args=(fund, evaluation))
    with d:
        st.text_area(t("rev_comment"), key="rev_comment", height=90)
        st.button(t("rev_add_comment"), key="rev_add_comment", on_click=comment,
                  args=(fund, evaluation))  # fmt: skip

    st.markdown(f"#### {t('rev_history')}")
    trail = ui.read_from(
        "engine.review.feedback", "history", fund["fund_id"], str(evaluation["as_of"])
    )
    if trail.empty:
        st.caption(t("rev_history_empty"))
    else:
        st.dataframe(views.history_table(trail), hide_index=True)


# ---------------------------------------------------------------- page

st.title(t("rev_title"))
state = ui.read("summary")
ui.demo_banner(state)
st.caption(t("rev_intro"))

evaluations = ui.read_from("store.evaluations", "list_evaluations")
if evaluations["state"].isin(ACTIVE).any():  # import the background jobs that ended
    from engine.evaluation.jobs import sync

    if ui.guarded(sync, ui.home()):
        ui.after_feedback_write()
        evaluations = ui.read_from("store.evaluations", "list_evaluations")
runs = ui.run_list()  # recovers dead runs and syncs their states into the store
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

rows = ui.read_from("engine.review.feedback", "review_table", chosen)
if rows.empty:
    st.info(t("rev_no_results"), icon=":material/hourglass_empty:")
    st.stop()

scored = ui.scores_at(
    evaluation["methodology_id"], int(evaluation["methodology_version"]), str(evaluation["as_of"])
)
by_fund = scored.set_index("fund_id") if scored is not None else None
rules = (
    by_fund["grade"].reindex(rows["fund_id"]).set_axis(rows.index)
    if by_fund is not None
    else pd.Series(pd.NA, index=rows.index)
)
status = feedback.model_status(
    rows["decision_id"], rows["decision"], feedback.trained_feedback(ui.home())
)

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
listed = rows[keep]
st.caption(t("rev_count", n=fmt_num(len(listed)), total=fmt_num(len(rows))))
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
show_flash("bulk")

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
with st.container(border=True):
    fund_card(fund, evaluation, rules.loc[position], rule_scores, status[position])
