"""Display forms for the Review page: the fund list, the agreement figures, the confusion
matrix, a fund's per-criterion scores and its feedback history.

No Streamlit calls here, so every function can be checked without a running app.
"""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go

from engine.methodology import effective_weight, iter_criteria
from workbench.i18n import MISSING, TEXT, fmt_date, fmt_pct, fmt_ratio, pick, t
from workbench.web.views import CHART_FONT, grade_text

AGREEMENT_FIGURES = ("exact", "within_one", "mae", "qwk", "spearman", "invalid_share")
PERCENT_FIGURES = ("exact", "within_one", "invalid_share")


def ai_grade_text(grade: object, invalid: bool) -> str:
    """The AI grade, or the word for an invalid answer."""
    return t("rev_invalid") if invalid else grade_text(grade)


def evaluation_label(row: dict) -> str:
    """'eval-0003 · run:run-0002 · test:run-0002 · 2025-12-31 · 7 funds · finished'."""
    n = row.get("n_funds")
    funds = t("rev_n_funds", n=int(n)) if n is not None and not pd.isna(n) else MISSING
    return " · ".join(
        [
            str(row["evaluation_id"]),
            str(row["evaluator"]),
            str(row.get("selection") or MISSING),
            fmt_date(row["as_of"]),
            funds,
            state_text(row.get("state")),
        ]
    )


def state_text(state: object) -> str:
    key = f"rev_state_{state}"

    return t(key) if key in TEXT else str(state or MISSING)


def decision_text(action: object, grade: object) -> str:
    """'correct → 2', 'accepted AI → 4', 'kept expert' or '–'."""
    if action is None or (not isinstance(action, str) and pd.isna(action)):
        return MISSING
    text = t(f"rev_action_{action}")
    return text if pd.isna(grade) or action == "keep_expert" else f"{text} → {int(grade)}"


def model_status_text(state: str, run_id: str | None) -> str:
    """Whether a decision is in a trained model: '✔ run-0003', 'training in run-0004', …"""
    if state in ("none", "not_needed", "pending"):
        return t(f"rev_model_{state}")
    if state == "finished":
        return t("rev_model_in", run=run_id)

    shown = t(f"state_{state}") if f"state_{state}" in TEXT else state  # 'queued' in Korean too
    return t("rev_model_running", run=run_id, state=shown)


def fund_list(frame: pd.DataFrame, rules: pd.Series, status: list[tuple]) -> pd.DataFrame:
    """The reviewed funds (disagreements first, as given) with translated headers."""
    in_model = {s: model_status_text(*s) for s in set(status)}  # a few distinct states
    return pd.DataFrame(
        {
            t("c_fund_id"): frame["fund_id"],
            t("c_fund_name"): frame["fund_name"],
            t("c_category"): frame["category"],
            t("c_company"): frame["company"],
            t("rev_c_expert"): frame["expert_grade"].map(grade_text),
            t("rev_c_ai"): [
                ai_grade_text(g, i) for g, i in zip(frame["grade"], frame["invalid"], strict=True)
            ],
            t("rev_c_gap"): frame["gap"].map(lambda v: MISSING if pd.isna(v) else str(int(v))),
            t("rev_c_rules"): rules.map(grade_text).to_numpy(),
            t("rev_c_decision"): [
                decision_text(a, g)
                for a, g in zip(frame["decision"], frame["decided_grade"], strict=True)
            ],
            t("rev_c_in_model"): [in_model[s] for s in status],
        }
    )


def _figure(key: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return MISSING
    return fmt_pct(value, 1) if key in PERCENT_FIGURES else fmt_ratio(value)


def figure_text(figures: dict, key: str) -> str:
    """A figure with its 95 % interval when there is one: '62.0% (55.1–68.3%)'."""
    text = _figure(key, figures.get(key))
    low, high = (figures.get("ci") or {}).get(key, [None, None])
    if low is not None and high is not None:
        text += f" ({_figure(key, low)}–{_figure(key, high)})"
    return text


def figure_interval(figures: dict, key: str) -> str | None:
    """A figure's 95 % interval alone, '(55.1%–68.3%)', or None (a metric's second line)."""
    low, high = (figures.get("ci") or {}).get(key, [None, None])
    if low is None or high is None:
        return None
    return f"({_figure(key, low)}–{_figure(key, high)})"


def comparison_table(pairs: list[tuple[str, dict]]) -> pd.DataFrame:
    """One row per comparison (label, `engine.evaluation.agreement.compare` result)."""
    rows = []
    for label, figures in pairs:
        row = {t("rev_c_comparison"): label, t("rev_c_n"): str(figures.get("n", 0))}
        for key in AGREEMENT_FIGURES:
            row[t(f"rev_fig_{key}")] = _figure(key, figures.get(key))
        rows.append(row)
    return pd.DataFrame(rows)


def per_category_table(per_category: dict) -> pd.DataFrame:
    """Agreement figures per category."""
    rows = []
    for name, figures in per_category.items():
        row = {t("c_category"): name, t("rev_c_n"): str(figures.get("n", 0))}
        for key in AGREEMENT_FIGURES:
            row[t(f"rev_fig_{key}")] = _figure(key, figures.get(key))
        rows.append(row)
    return pd.DataFrame(rows)


def confusion_chart(confusion: dict) -> go.Figure:
    """The confusion matrix as a heatmap: rows the expert's grade, columns the AI's (and invalid)."""
    columns = [t("rev_invalid") if c == "invalid" else c for c in confusion["predicted"]]
    rows = [str(g) for g in confusion["expected"]]
    matrix = confusion["matrix"]
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=columns,
            y=rows,
            colorscale="Blues",
            text=matrix,
            texttemplate="%{text}",
            hovertemplate=t("rev_confusion_hover") + "<extra></extra>",
            showscale=False,
        )
    )
    fig.update_layout(
        title=t("rev_confusion_title"),
        font={"family": CHART_FONT},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=340,
        xaxis={"title": t("rev_c_ai"), "type": "category", "side": "bottom"},
        yaxis={"title": t("rev_c_expert"), "type": "category", "autorange": "reversed"},
    )
    return fig


def _scores(text: object) -> dict:
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def criteria_table(doc: dict | None, ai_scores: object, rules: dict | None) -> pd.DataFrame:
    """Per criterion: its name and weight, the AI's score and the rule-based scorer's."""
    ai = _scores(ai_scores)
    rules = rules or {}
    rows = []
    criteria = list(iter_criteria(doc)) if doc else []
    known = set()
    for section, criterion in criteria:
        cid = criterion["id"]
        known.add(cid)
        rows.append(
            {
                t("rev_c_criterion"): pick(criterion.get("name_ko"), criterion.get("name_en"))
                or cid,
                t("rev_c_weight"): f"{effective_weight(section, criterion):.1f}%",
                t("rev_c_ai_score"): grade_text(ai.get(cid)),
                t("rev_c_rules_score"): grade_text(rules.get(cid)),
            }
        )
    for cid, value in ai.items():  # criteria the answer named that the methodology lacks
        if cid not in known:
            rows.append(
                {
                    t("rev_c_criterion"): cid,
                    t("rev_c_weight"): MISSING,
                    t("rev_c_ai_score"): str(value),
                    t("rev_c_rules_score"): MISSING,
                }
            )
    return pd.DataFrame(rows)


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """A fund's feedback rows (oldest first) with translated headers: who, when, before, after."""

    def text(value: object) -> str:
        return MISSING if value is None or pd.isna(value) else str(value)

    return pd.DataFrame(
        {
            t("rev_h_id"): history["feedback_id"].astype(int),
            t("rev_h_when"): history["created_at"].map(lambda v: str(v)[:19]),
            t("rev_h_who"): history["created_by"],
            t("rev_h_action"): history["action"].map(lambda a: t(f"rev_action_{a}")),
            t("rev_h_before"): history["grade_before"].map(grade_text),
            t("rev_h_after"): history["grade_after"].map(grade_text),
            t("rev_h_ai"): history["ai_grade"].map(grade_text),
            t("rev_h_weight"): history["weight"].map(fmt_ratio),
            t("rev_h_reason"): history["reason"].map(text),
            t("rev_h_comment"): history["comment"].map(text),
            t("rev_h_evaluation"): history["evaluation_id"].map(text),
        }
    )


def evaluator_label(spec: str) -> str:
    """'rules' -> 'Rule-based scorer (rules)', 'run:run-0003' -> 'run-0003: trained model', …"""
    kind, _, arg = spec.partition(":")
    key = f"rev_ev_{kind}"

    return t(key, arg=arg) if key in TEXT else spec


def scope_options(spec: str, runs: list[str]) -> list[str]:
    """The fund sets offered for evaluator `spec`, the default first: the held-out test funds of
    its run (for the rules, of each finished run in `runs`, the newest first), then all."""
    run = spec.partition(":")[2]
    tests = [run] if run else sorted(runs, reverse=True)
    return [f"test:{r}" for r in tests] + ["all"]


def scope_label(scope: str, run: str = "") -> str:
    """'all' -> 'All rated funds' (with `run`: '… (with run-0003's training funds)'),
    'test:run-0003' -> 'Held-out test funds of run-0003'."""
    kind, _, arg = scope.partition(":")
    if kind == "test":
        return t("rev_scope_test", run=arg)
    if kind == "cycle":
        return t("rev_scope_cycle", cycle=arg)
    return t("rev_scope_all_training", run=run) if run else t("rev_scope_all")


def cycle_of(evaluation: dict) -> str | None:
    """The rating cycle an evaluation graded (its selection `cycle:<id>`), else None."""
    kind, _, arg = str(evaluation.get("selection") or "").partition(":")
    return arg if kind == "cycle" and arg else None


def route_reasons(reasons: object) -> str:
    """A cycle's route reasons in the session's language, comma-separated."""
    return ", ".join(t(f"rev_route_{r}") for r in (list(reasons) if reasons is not None else []))


def training_note(evaluation: dict) -> str | None:
    """The warning for an evaluation whose funds include training funds of its run (or of the
    run it was evaluated for comparison with); None when there are none or it is not known."""
    settings = evaluation.get("settings")
    if isinstance(settings, str):
        settings = json.loads(settings) if settings else {}
    settings = settings if isinstance(settings, dict) else {}
    n = settings.get("training_funds_in_selection")
    run = evaluation.get("run_id") or settings.get("split_run")
    if not n or not isinstance(run, str) or not run:
        return None
    return t("rev_training_note", n=int(n), run=run)
