"""Display forms of store and engine data: frames in, translated tables and plotly figures out.

No Streamlit calls here, so every function can be checked without a running app.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from workbench.i18n import fmt_date, fmt_num, fmt_pct, fmt_ratio, pick, t

CHART_FONT = "NanumGothic, sans-serif"  # fonts-nanum; Korean glyphs in chart titles and legends


def kind_label(kind: str) -> str:
    """A file kind's Korean or English label."""
    from engine.filekinds import KINDS

    spec = KINDS.get(kind)
    return pick(spec.label_ko, spec.label_en) if spec else kind


def kinds_table() -> pd.DataFrame:
    """What each kind of file needs: label, required and optional columns (for the empty state)."""
    from engine.filekinds import KINDS

    return pd.DataFrame(
        {
            t("u_kind"): [kind_label(k) for k in KINDS],
            "kind": list(KINDS),
            t("k_required"): [", ".join(spec.required) for spec in KINDS.values()],
            t("k_optional"): [
                ", ".join(c.name for c in spec.columns if not c.required)
                + (", score_<criterion>" if spec.score_columns else "")
                for spec in KINDS.values()
            ],
        }
    )


def load_message(result: dict) -> str:
    """The success line of an accepted upload."""
    return t(
        "load_ok",
        name=result["file_name"],
        kind=kind_label(result["kind"]),
        rows=fmt_num(result["rows"]),
        inserted=fmt_num(result["inserted"]),
        replaced=fmt_num(result["replaced"]),
        unchanged=fmt_num(result["unchanged"]),
    )


def _layout(fig: go.Figure, title: str, yaxis: dict | None = None) -> go.Figure:
    fig.update_layout(
        title=title,
        font={"family": CHART_FONT},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=340,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        hovermode="x unified",
        yaxis=yaxis or {},
    )
    return fig


def rebased(frame: pd.DataFrame) -> pd.DataFrame:
    """NAV and benchmark rebased to 100 at the first date where both exist (NAV alone if no benchmark)."""
    out = frame[["date", "nav", "benchmark"]].copy()
    both = out.dropna(subset=["nav", "benchmark"])
    if both.empty:
        base = out.dropna(subset=["nav"]).iloc[0]
        out["benchmark"] = float("nan")
    else:
        base = both.iloc[0]
        out = out[out["date"] >= base["date"]]
        out["benchmark"] = out["benchmark"] / base["benchmark"] * 100.0
    out["nav"] = out["nav"] / base["nav"] * 100.0
    return out


def nav_chart(frame: pd.DataFrame) -> go.Figure:
    """Line chart of the fund and its benchmark, both 100 at the first common date."""
    data = rebased(frame)
    fig = go.Figure()
    fig.add_scatter(x=data["date"], y=data["nav"], name=t("series_fund"), mode="lines")
    if data["benchmark"].notna().any():
        fig.add_scatter(
            x=data["date"],
            y=data["benchmark"],
            name=t("series_benchmark"),
            mode="lines",
            line={"dash": "dot"},
        )
    return _layout(fig, t("chart_nav"))


def drawdown_chart(frame: pd.DataFrame) -> go.Figure:
    """Area chart of the NAV's fall from its running peak (0 % to negative)."""
    nav = frame.dropna(subset=["nav"])
    drawdown = nav["nav"] / nav["nav"].cummax() - 1.0
    fig = go.Figure()
    fig.add_scatter(
        x=nav["date"],
        y=drawdown,
        name=t("series_fund"),
        mode="lines",
        fill="tozeroy",
        line={"color": "#c0392b"},
    )
    return _layout(fig, t("chart_drawdown"), {"tickformat": ".0%"})


def _fmt_value(value: object, unit: str) -> str:
    return fmt_pct(value) if unit == "%" else fmt_ratio(value)


def indicator_table(frame: pd.DataFrame, fund_id: str) -> tuple[pd.DataFrame, list[str]]:
    """One row per indicator, one column per computed window ('12.34% (p78)'), and the reasons
    of the windows that could not be computed."""
    from engine.metrics import INDICATORS, WINDOWS

    fund = frame[frame["fund_id"] == fund_id].set_index("window")
    reasons, windows = [], []
    for window in (w for w in WINDOWS if w in fund.index):
        reason = fund.at[window, "reason"]
        note = fund.at[window, "benchmark_note"] if "benchmark_note" in fund else None
        if isinstance(reason, str) and reason:
            reasons.append(t("window_reason", window=window, reason=reason))
        else:
            windows.append(window)
            if isinstance(note, str) and note:
                reasons.append(t("window_note", window=window, note=note))
    rows = []
    for key, meta in INDICATORS.items():
        row = {t("indicator"): pick(meta.label_ko, meta.label)}
        for window in windows:
            cell = _fmt_value(fund.at[window, key], meta.unit)
            pct = fund.at[window, f"{key}_pct"]
            if cell != "–" and not pd.isna(pct):
                cell += f" (p{float(pct):.0f})"
            row[window] = cell
        rows.append(row)
    return pd.DataFrame(rows), reasons


def risk_grade_of(frame: pd.DataFrame, fund_id: str) -> object:
    """The fund's 투자위험등급 from the metrics table (window chosen by engine.metrics)."""
    from engine.metrics import RISK_GRADE_WINDOW

    rows = frame[(frame["fund_id"] == fund_id) & (frame["window"] == RISK_GRADE_WINDOW)]
    return rows["risk_grade"].iloc[0] if len(rows) else None


def fund_table(funds: pd.DataFrame) -> pd.DataFrame:
    """The explorer's fund list with translated headers and formatted coverage."""
    table = pd.DataFrame(
        {
            t("c_fund_id"): funds["fund_id"],
            t("c_fund_name"): funds["fund_name"],
            t("c_category"): funds["category"],
            t("c_company"): funds["company"],
            t("c_manager"): funds["manager"],
            t("c_grade"): funds["latest_grade"].map(grade_text),
            t("c_rating_date"): funds["latest_rating"].map(fmt_date),
            t("c_nav_from"): funds["first_nav"].map(fmt_date),
            t("c_nav_to"): funds["last_nav"].map(fmt_date),
            t("c_nav_rows"): funds["nav_rows"].astype("Int64"),
        }
    )
    return table


def fmt_percent_number(value: object) -> str:
    """A value already in percent (expense ratio 1.25 -> '1.25%')."""
    text = fmt_num(value, 2)
    return text if text == "–" else f"{text}%"


def grade_text(value: object) -> str:
    """An expert grade 1–5 as text ('–' when missing)."""
    return "–" if pd.isna(value) else str(int(value))  # type: ignore[call-overload]


def metrics_as_of(frame: pd.DataFrame) -> str:
    """The as-of date of an indicators table."""
    as_of = frame.attrs.get("as_of")
    if as_of is None and "end_date" in frame and frame["end_date"].notna().any():
        as_of = frame["end_date"].max()
    return fmt_date(as_of)


def _renamed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = frame[list(columns)].copy()
    return out.rename(columns={name: t(key) for name, key in columns.items()})


def upload_log_table(log: pd.DataFrame) -> pd.DataFrame:
    """The upload log with translated headers, kinds and outcomes."""
    out = log.copy()
    out["uploaded_at"] = out["uploaded_at"].map(lambda v: str(v)[:19])
    out["kind"] = out["kind"].map(lambda k: kind_label(k) if isinstance(k, str) else "–")
    out["outcome"] = out["outcome"].map(lambda o: t(f"outcome_{o}"))
    columns = {
        "uploaded_at": "u_time",
        "file_name": "u_file",
        "kind": "u_kind",
        "rows": "u_rows",
        "inserted": "u_inserted",
        "replaced": "u_replaced",
        "unchanged": "u_unchanged",
        "outcome": "u_outcome",
        "message": "u_message",
        "source": "u_source",
    }
    return _renamed(out, columns)


def ratings_table(ratings: pd.DataFrame) -> pd.DataFrame:
    """A fund's rating history with ISO dates and translated headers."""
    out = ratings.copy()
    out["as_of"] = out["as_of"].map(fmt_date)
    columns = {
        "as_of": "r_as_of",
        "grade": "r_grade",
        "analyst": "r_analyst",
        "comment": "r_comment",
    }
    return _renamed(out, columns)


def qualitative_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Qualitative scores of a fund and its company with translated headers."""
    out = scores.copy()
    out["as_of"] = out["as_of"].map(fmt_date)
    out["subject_kind"] = out["subject_kind"].map(lambda k: t(f"subject_{k}"))
    columns = {
        "as_of": "r_as_of",
        "subject_kind": "q_kind",
        "subject_id": "q_subject",
        "criterion_id": "q_criterion",
        "score": "q_score",
        "note": "q_note",
    }
    return _renamed(out, columns)
