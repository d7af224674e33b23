"""Display forms of store and engine data: frames in, translated tables and plotly figures out.

No Streamlit calls here, so every function can be checked without a running app.
"""

from __future__ import annotations

import copy
import json

import pandas as pd
import plotly.graph_objects as go

from engine.data.filekinds import KINDS
from engine.data.metrics import INDICATORS, RISK_GRADE_WINDOW, WINDOWS
from engine.methodology import criteria
from workbench.i18n import fmt_date, fmt_num, fmt_pct, fmt_ratio, pick, t

CHART_FONT = "NanumGothic, sans-serif"  # fonts-nanum; Korean glyphs in chart titles and legends


def kind_label(kind: str) -> str:
    """A file kind's Korean or English label."""
    spec = KINDS.get(kind)
    return pick(spec.label_ko, spec.label_en) if spec else kind


def kinds_table() -> pd.DataFrame:
    """What each kind of file needs: label, required and optional columns (for the empty state)."""
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
    """The success line of an accepted upload (or of one skipped as already loaded)."""
    if result.get("skipped"):
        return t("load_skipped", name=result["file_name"], why=result["skipped"])
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
    """The fund's 투자위험등급 from the metrics table (window chosen by engine.data.metrics)."""
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


# ---------------------------------------------------------------- methodology page

LOW_CONFIDENCE = 0.7  # extracted values below this (e.g. names inferred, not read) are flagged
EDITOR_SECTION_COLUMNS = ["id", "kind", "name_ko", "name_en", "weight"]


def _nan_if_missing(value: object) -> object:
    return float("nan") if value is None else value


def criteria_frame(doc: dict) -> pd.DataFrame | None:
    """`engine.methodology.criteria` of a possibly incomplete document (a draft with a missing
    weight or scoring shows an empty cell); None when its sections cannot be tabulated."""

    patched = copy.deepcopy(doc)
    sections = patched.get("sections")
    if not isinstance(sections, list):
        return None
    try:
        for section in sections:
            section.setdefault("weight", float("nan"))
            for criterion in section.setdefault("criteria", []):
                criterion.setdefault("weight", float("nan"))
                criterion.setdefault("measure", {}).setdefault("type", "indicator")
                scoring = criterion.setdefault("scoring", {})
                scoring.setdefault("method", "percentile_bands")
                scoring.setdefault("bands", [])
                scoring.setdefault("thresholds", [])
        frame = criteria(patched)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return frame


def sections_frame(doc: dict) -> pd.DataFrame:
    """The sections of a document as an editable table (id, kind, names, weight)."""
    rows = [
        {key: section.get(key) for key in EDITOR_SECTION_COLUMNS}
        for section in doc.get("sections") or []
        if isinstance(section, dict)
    ]
    frame = pd.DataFrame(rows, columns=EDITOR_SECTION_COLUMNS)
    frame["weight"] = pd.to_numeric(frame["weight"], errors="coerce").astype(float)
    return frame


def json_value(value: object) -> object:
    """A table cell as a JSON value: None for empty or NaN, stripped text, Python numbers."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def from_sections(doc: dict, frame: pd.DataFrame) -> tuple[dict, dict[str, str]]:
    """A copy of `doc` whose sections are the rows of `frame`, and {old id: new id} renames.

    A row keeps the criteria and extra keys of the section it was (its index label within the
    original sections); a new row starts with no criteria. An empty weight is left out (the
    validation then names it).
    """
    out = copy.deepcopy(doc)
    before = [s for s in doc.get("sections") or [] if isinstance(s, dict)]
    sections, renames = [], {}
    for index, row in frame.iterrows():
        old = before[index] if isinstance(index, int) and 0 <= index < len(before) else None
        section = copy.deepcopy(old) if old else {"criteria": []}
        for key in EDITOR_SECTION_COLUMNS:
            value = json_value(row.get(key))
            if value is None:
                section.pop(key, None)
            else:
                section[key] = value
        if old and old.get("id") and section.get("id") and old["id"] != section["id"]:
            renames[old["id"]] = section["id"]
        sections.append(section)
    out["sections"] = sections
    return out, renames


def grade_frame(doc: dict) -> tuple[str, pd.DataFrame]:
    """The grade scale's method and its bands as (grade, bound) rows, grades 5 to 1."""
    scale = doc.get("grade_scale") if isinstance(doc.get("grade_scale"), dict) else {}
    method = scale.get("method") if scale.get("method") in ("percentile", "thresholds") else None
    key = "min_score" if method == "thresholds" else "min_pct"
    bands = {b.get("grade"): b.get(key) for b in scale.get("bands") or [] if isinstance(b, dict)}
    frame = pd.DataFrame({"grade": [5, 4, 3, 2, 1]})
    frame["bound"] = [_nan_if_missing(bands.get(g)) for g in frame["grade"]]
    frame["bound"] = pd.to_numeric(frame["bound"], errors="coerce").astype(float)
    return method or "percentile", frame


def from_grade_frame(doc: dict, method: str, frame: pd.DataFrame) -> dict:
    """A copy of `doc` with the grade scale of `method` and the bounds in `frame`."""
    out = copy.deepcopy(doc)
    before = doc.get("grade_scale") if isinstance(doc.get("grade_scale"), dict) else {}
    scale = {k: v for k, v in before.items() if str(k).startswith("x-")}
    key = "min_score" if method == "thresholds" else "min_pct"
    scale["method"] = method
    scale["bands"] = []
    for row in frame.to_dict("records"):
        band = {"grade": json_value(row["grade"])}
        bound = json_value(row.get("bound"))
        if bound is not None:
            band[key] = bound
        scale["bands"].append(band)
    out["grade_scale"] = scale
    return out


def problem_group(path: str) -> str:
    """Which part of the editor a problem's JSON path belongs to: criteria, sections, grades, general."""
    if path.startswith("$.sections") and ".criteria" in path:
        return "criteria"
    if path.startswith("$.sections"):
        return "sections"
    if path.startswith("$.grade_scale"):
        return "grades"
    return "general"


def _criterion_reading(fields: list, prefix: str, skip: str) -> tuple[object, object, list[str]]:
    """(first page, lowest confidence, names of the low-confidence fields) of the extracted
    fields under a criterion's path; `skip` is the generated other-language name, which is a
    translation for convenience rather than something read from the document."""
    hits = [
        f
        for f in fields
        if f.path.startswith((prefix + ".", prefix + "[")) and f.path != f"{prefix}.{skip}"
    ]
    if not hits:
        return None, None, []
    low = [f.path[len(prefix) + 1 :] for f in hits if f.confidence < LOW_CONFIDENCE]
    return min(f.page for f in hits), min(f.confidence for f in hits), low


def _check_mark(confidence: object) -> str:
    if confidence is None:
        return t("meth_not_found")
    return t("meth_check") if float(confidence) < LOW_CONFIDENCE else ""  # type: ignore[arg-type]


def _number_text(value: object) -> str:
    """30 -> '30', 67.5 -> '67.5', NaN -> '–' (weights as a person writes them)."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:g}"


def draft_criteria_table(extraction) -> pd.DataFrame:
    """The draft's criteria with the page each was read on, the lowest confidence of its values
    and which of them to check."""
    lang = extraction.draft.get("language", "ko")
    other = "en" if lang == "ko" else "ko"
    frame = criteria_frame(extraction.draft)
    rows = []
    for i, section in enumerate(extraction.draft.get("sections") or []):
        for j in range(len(section.get("criteria") or [])):
            page, confidence, low = _criterion_reading(
                extraction.fields, f"sections[{i}].criteria[{j}]", f"name_{other}"
            )
            check = f"{t('meth_check')}: {', '.join(low)}" if low else _check_mark(confidence)
            rows.append({"page": page, "confidence": confidence, "check": check})
    if frame is None or len(frame) != len(rows):
        frame = pd.DataFrame({"criterion": [None] * len(rows)})
    out = pd.DataFrame(
        {
            t("meth_c_criterion"): frame["criterion"],
            t("meth_c_name"): frame.get(f"name_{lang}"),
            t("meth_c_page"): pd.array([r["page"] for r in rows], dtype="Int64"),
            t("meth_c_confidence"): [r["confidence"] for r in rows],
            t("meth_c_check"): [r["check"] for r in rows],
            t("meth_c_section"): frame.get("section"),
            t("meth_c_weight"): frame.get("weight", pd.Series(dtype=float)).map(_number_text),
            t("meth_c_indicator"): frame.get("indicator"),
            t("meth_c_window"): frame.get("window"),
            t("meth_c_bands"): frame.get("bands"),
        }
    )
    text = [t("meth_c_criterion"), t("meth_c_name"), t("meth_c_section")]
    text += [t("meth_c_indicator"), t("meth_c_window"), t("meth_c_bands")]
    out[text] = out[text].fillna("–")
    return out


def draft_fields_table(extraction) -> pd.DataFrame:
    """Every extracted value with its JSON path, page, source text and confidence."""
    return pd.DataFrame(
        {
            t("meth_c_path"): ["$." + f.path for f in extraction.fields],
            t("meth_c_value"): [
                json.dumps(f.value, ensure_ascii=False) if not isinstance(f.value, str) else f.value
                for f in extraction.fields
            ],
            t("meth_c_page"): pd.array([f.page for f in extraction.fields], dtype="Int64"),
            t("meth_c_confidence"): [float(f.confidence) for f in extraction.fields],
            t("meth_c_check"): [_check_mark(f.confidence) for f in extraction.fields],
            t("meth_c_source"): [f.source_text for f in extraction.fields],
        }
    )


def draft_general_table(extraction) -> pd.DataFrame:
    """The draft's name, id, language, eligibility and grade scale, each with page and confidence."""
    fields = draft_fields_table(extraction)
    path = fields[t("meth_c_path")]
    keep = ~path.str.startswith("$.sections")
    return fields[keep].drop(columns=[t("meth_c_source")]).reset_index(drop=True)


def highlight_low_confidence(frame: pd.DataFrame):
    """A Styler that colours the rows flagged in the check column."""
    column = t("meth_c_check")

    def colour(row: pd.Series) -> list[str]:
        flagged = bool(row.get(column))
        return ["background-color: #fff3cd" if flagged else "" for _ in row]

    return frame.style.apply(colour, axis=1).format(
        {t("meth_c_confidence"): lambda v: "–" if v is None or v != v else f"{float(v):.2f}"}
    )


def page_tables(page) -> list[pd.DataFrame]:
    """The ruled tables of an extracted page as frames (first row shown as a row, not a header)."""
    out = []
    for grid in page.tables:
        width = max((len(row) for row in grid), default=0)
        rows = [list(row) + [""] * (width - len(row)) for row in grid]
        out.append(pd.DataFrame(rows, columns=[str(k + 1) for k in range(width)]))
    return out


def versions_table(versions: pd.DataFrame) -> pd.DataFrame:
    """Saved methodology versions with translated headers (newest first per id)."""
    out = versions.copy()
    out["created_at"] = out["created_at"].map(lambda v: str(v)[:19])
    for column in ("client", "note", "source_file", "created_by"):
        out[column] = out[column].fillna("–")
    out["active_for"] = out["active_for"].map(
        lambda v: "–" if not isinstance(v, str) else v.replace("*", t("meth_all_clients"))
    )
    columns = {
        "methodology_id": "meth_c_id",
        "version": "meth_c_version",
        "name": "meth_c_name",
        "language": "meth_c_language",
        "client": "meth_c_client",
        "created_at": "meth_c_created_at",
        "created_by": "meth_c_created_by",
        "note": "meth_c_note",
        "active_for": "meth_c_active_for",
        "source_file": "meth_c_source_file",
    }
    return _renamed(out, columns)


def _json_cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def diff_table(changes: list[dict]) -> pd.DataFrame:
    """`engine.methodology.diff` as a table: path, change (translated), old, new."""
    return pd.DataFrame(
        {
            t("meth_c_path"): [c["path"] for c in changes],
            t("meth_c_change"): [t(f"meth_change_{c['change']}") for c in changes],
            t("meth_c_old"): [_json_cell(c["old"]) for c in changes],
            t("meth_c_new"): [_json_cell(c["new"]) for c in changes],
        }
    )


def scores_table(scores: pd.DataFrame) -> pd.DataFrame:
    """The reference scorer's result per fund: category, total, grade, missing inputs, exclusion."""
    return pd.DataFrame(
        {
            t("c_fund_id"): scores["fund_id"],
            t("c_category"): scores["category"],
            t("meth_c_total"): scores["total"].map(fmt_ratio),
            t("meth_c_grade"): scores["grade"].map(grade_text),
            t("meth_c_missing"): scores["missing"].fillna("").replace("", "–"),
            t("meth_c_excluded"): scores["excluded_by"].fillna("–"),
        }
    )


def grade_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Funds per grade 5..1 plus the funds without a grade (excluded or too much missing)."""
    grades = scores["grade"]
    labels = [str(g) for g in (5, 4, 3, 2, 1)] + [t("meth_no_grade")]
    counts = [int((grades == g).sum()) for g in (5, 4, 3, 2, 1)] + [int(grades.isna().sum())]
    return pd.DataFrame({t("meth_c_grade"): labels, t("meth_c_funds"): counts})


def grade_chart(counts: pd.DataFrame) -> go.Figure:
    """Bar chart of the grade distribution of a score preview."""
    fig = go.Figure()
    fig.add_bar(x=counts.iloc[:, 0], y=counts.iloc[:, 1], marker_color="#2e6da4")
    fig = _layout(fig, t("meth_grade_chart"))
    fig.update_layout(hovermode="closest", xaxis={"type": "category"})
    return fig
