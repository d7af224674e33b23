"""The Review page's actions and sections: the analysts' decisions (button callbacks that
record feedback rows and leave their outcome as a flash message), the agreement figures, the
feedback lineage with "retrain with feedback", and the card of one fund."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from engine.evaluation.jobs import EvaluationError, start_evaluation
from engine.llm.models import ModelError
from engine.methodology import MethodologyError
from engine.review import feedback
from engine.training.config import TrainingError
from engine.training.snapshot import SnapshotError
from store.db import StoreBusyError
from workbench.i18n import fmt_num, t
from workbench.web import data, ui
from workbench.web import views_review as views
from workbench.web.flash import flash, show_flash
from workbench.web.views import indicator_table, qualitative_table

ALL = "__all__"  # a filter's "all" choice

# ---------------------------------------------------------------- actions (button callbacks)


def attempt(action, *args, where: str = "card", **kwargs):
    """Run a feedback action; a refusal becomes the flash message, the result otherwise."""

    try:
        return action(*args, **kwargs)
    except (
        feedback.FeedbackError, EvaluationError, TrainingError, SnapshotError, ModelError
    ) as exc:  # fmt: skip
        flash(str(exc), "error", f"rev_{where}")
    except StoreBusyError as exc:
        flash(f"{exc} {t('store_busy_hint')}", "error", f"rev_{where}")
    except MethodologyError as exc:
        flash(exc.summary, "error", f"rev_{where}")
    finally:
        data.after_feedback_write()
    return None


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
            t("rev_done", action=t(f"rev_action_{action}"), fund=fund["fund_id"], id=done),
            where="rev_card",
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
        flash(text, where="rev_bulk")


def retrain(parent: str, evaluation: dict) -> None:
    done = attempt(
        feedback.retrain, ui.home(), parent, as_of=evaluation["as_of"], where="retrain",
        created_by=ui.author(st.session_state.get("rev_user")),
    )  # fmt: skip
    if done is not None:
        text = t("rev_retrain_done", run=done["run_id"], n=len(done["feedback_ids"]), parent=parent)
        flash(text, where="rev_retrain")


def evaluate(spec: str, scope: str) -> None:
    """Start an evaluation; the rule-based and tabular ones finish before the page is drawn."""
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
        flash(t("rev_eval_done", id=evaluation_id, evaluator=spec), where="rev_evaluate")


# ---------------------------------------------------------------- sections


def agreement_section(rows: pd.DataFrame, rules: pd.Series, evaluation: dict) -> None:
    rated = rows[rows["expert_grade"].notna()]
    if rated.empty:
        st.info(t("rev_no_expert"), icon=":material/info:")
        return
    note = views.training_note(evaluation)
    if note:
        st.warning(note, icon=":material/warning:")
    stored = evaluation.get("summary")
    if isinstance(stored, str) and stored:  # computed when the evaluation finished: the same
        figures = json.loads(stored)  # `compare` of its greedy grades with the experts'
    else:
        expert = rated["expert_grade"].astype(int).tolist()
        ai = rated["grade"].where(~rated["invalid"]).tolist()
        figures = data.agreement(expert, ai, rated["category"].fillna("-").tolist())
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
                (t("rev_cmp_rules_expert"), data.point_agreement(
                    rated.loc[known, "expert_grade"], graded[known]
                ))
            )  # fmt: skip
            if evaluation["evaluator_kind"] != "rules":
                valid = known & ~rated["invalid"]
                pairs.append(
                    (t("rev_cmp_ai_rules"), data.point_agreement(
                        graded[known], rated.loc[known, "grade"].where(valid[known])
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
    show_flash("rev_retrain")
    st.button(
        t("rev_retrain", n=pending),
        key="rev_retrain",
        type="primary",
        disabled=pending == 0,
        on_click=retrain,
        args=(parent, evaluation),
        help=t("rev_retrain_help"),
    )


def fund_card(fund: dict, evaluation: dict, reads: data.ReviewReads, rule_grade: object,
              rule_scores: dict, status: tuple) -> None:  # fmt: skip
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
        if reads.doc_error:  # a version deleted since: show the scores without it
            st.caption(reads.doc_error)
        st.markdown(f"**{t('rev_criteria')}**")
        st.dataframe(views.criteria_table(reads.doc, fund["scores"], rule_scores), hide_index=True)

    as_of = str(evaluation["as_of"])
    facts = data.category_facts(reads.fund_data, as_of, fund["category"])
    if facts is not None:
        metrics, qualitative = facts
        with st.expander(t("rev_indicators", as_of=as_of[:10]), expanded=True):
            table, reasons = indicator_table(metrics, fund["fund_id"])
            if table.shape[1] > 1:
                st.dataframe(table, hide_index=True)
                st.caption(t("indicators_help"))
            else:
                st.info(t("indicators_none"))
            for reason in reasons:
                st.caption(reason)
            own = qualitative[qualitative["for_fund"] == fund["fund_id"]]
            if not own.empty:
                st.markdown(f"**{t('qual_header')}**")
                st.dataframe(qualitative_table(own.drop(columns="for_fund")), hide_index=True)

    st.markdown(f"#### {t('rev_actions')}")
    show_flash("rev_card")
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
    trail = reads.history[reads.history["fund_id"] == fund["fund_id"]].reset_index(drop=True)
    if trail.empty:
        st.caption(t("rev_history_empty"))
    else:
        st.dataframe(views.history_table(trail), hide_index=True)
