"""Shared pieces of the admin page and the client dashboard: guarded writes, one-time secrets,
the client's grade table, its downloads and charts.

The client dashboard reads only through `engine.clients.releases` with the logged-in user's
client id, so a client never gets a row of another client's release.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.express as px
import streamlit as st

from engine.clients.clients import ClientError
from engine.clients.registry import RegistryError
from engine.clients.releases import ReleaseError
from engine.clients.users import UserError
from engine.files import tables as tables_out
from engine.methodology.text import summary
from store.db import StoreBusyError, connect
from workbench.i18n import current_lang, t
from workbench.web import data, ui

SECRET_KEY = "adm_secret"  # session key of a password or API key to show once
SOURCES = ("analyst-reviewed", "model-rated", "rules")
EXPORT_BASE = ["fund_id", "fund_name", "category", "grade", "source"]


def _known_errors() -> tuple[type[Exception], ...]:
    return (UserError, ClientError, RegistryError, ReleaseError, StoreBusyError)


def write(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`action(con, *args, **kwargs)` in one short connection; the result, or None after
    showing the refusal with st.error. Clears the cached reads after a write."""
    try:
        with connect(ui.home()) as con:
            result = action(con, *args, **kwargs)
    except _known_errors() as exc:
        st.error(str(exc), icon=":material/block:")
        return None
    data.after_write()
    return result


def remember_secret(label: str, value: str) -> None:
    """Keep a new password or API key to show once, after the rerun that follows a write."""
    st.session_state[SECRET_KEY] = (label, value)


def show_secret() -> None:
    """Show the remembered password or key once, then forget it."""
    found = st.session_state.pop(SECRET_KEY, None)
    if found:
        label, value = found
        st.success(label, icon=":material/key:")
        st.code(value, language=None)
        st.caption(t("adm_secret_once"))


# ---------------------------------------------------------------- the client's grades


def criteria_columns(rows: pd.DataFrame) -> list[str]:
    """The criterion ids that occur in the rows' score dicts, in first-seen order."""
    seen: dict[str, None] = {}
    for scores in rows.get("scores", []):
        for key in scores or {}:
            seen.setdefault(str(key), None)
    return list(seen)


def grade_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per fund: id, name, category, grade, one column per criterion, reasoning."""
    criteria = criteria_columns(rows)
    table = rows[[c for c in EXPORT_BASE if c in rows]].copy()
    for criterion in criteria:
        table[criterion] = [
            (scores or {}).get(criterion) if isinstance(scores, dict) else None
            for scores in rows["scores"]
        ]
    table["reasoning"] = rows.get("reasoning")
    return table


def source_label(source: object) -> str:
    """A published grade's source (analyst-reviewed, model-rated, rules) in the session's language."""
    return t(f"cl_source_{source}") if source in SOURCES else str(source or "")


def excel_bytes(table: pd.DataFrame, release: dict) -> bytes:
    """The table as an .xlsx workbook: sheet `grades`, and `release` with the release facts;
    formula-safe."""
    facts = pd.DataFrame(
        [(k, str(v)) for k, v in release.items() if v is not None], columns=["field", "value"]
    )
    return tables_out.excel_bytes({"grades": table, "release": facts})


def distribution_figure(rows: pd.DataFrame):
    """Stacked bars: how many funds have each grade, per category."""
    graded = rows.dropna(subset=["grade"]).copy()
    graded["grade"] = graded["grade"].astype(int).astype(str)
    graded["category"] = graded["category"].fillna(t("cl_no_category"))
    counts = graded.groupby(["category", "grade"]).size().reset_index(name="funds")
    figure = px.bar(
        counts,
        x="category",
        y="funds",
        color="grade",
        category_orders={"grade": [str(g) for g in range(1, 6)]},
        labels={"category": t("cl_category"), "funds": t("cl_funds"), "grade": t("cl_grade")},
    )
    figure.update_layout(barmode="stack", height=360, margin={"t": 10, "b": 10})
    return figure


def criterion_names(found: dict | None) -> dict[str, str]:
    """{criterion id: its name in the session's language} from a release's methodology."""
    if not found or not found.get("body"):
        return {}
    body = found["body"]
    doc = json.loads(body) if isinstance(body, str) else body
    first, second = ("name_ko", "name_en") if current_lang() == "ko" else ("name_en", "name_ko")
    return {
        str(c["id"]): str(c.get(first) or c.get(second) or c["id"])
        for section in doc.get("sections", [])
        for c in section.get("criteria", [])
        if "id" in c
    }


def methodology_summary(found: dict | None) -> str | None:
    """The release's methodology as the compact text `engine.methodology.text.summary` writes,
    in the session's language (None when the release names none)."""
    if not found or not found.get("body"):
        return None

    body = found["body"]
    doc = json.loads(body) if isinstance(body, str) else body
    return summary(doc, current_lang())
