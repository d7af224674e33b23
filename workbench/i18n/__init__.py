"""Every label, help text and message the pages show, in Korean and English, and number formats.

`t(key, **fmt)` looks the key up in the language of the session (`st.session_state["lang"]`,
Korean by default). The texts live in one table per page or area (common, home, data,
methodology, training, runs, validation, review, auth, admin, client); `TEXT` merges them.
Numbers follow finance habits: percentages with two decimals, amounts with thousands
separators, ratios with two decimals; dates are ISO (YYYY-MM-DD).
"""

from __future__ import annotations

from workbench.i18n.common import RISK_GRADES
from workbench.i18n.formats import (
    MISSING,
    fmt_date,
    fmt_num,
    fmt_pct,
    fmt_ratio,
    risk_grade_label,
)
from workbench.i18n.run_settings import RUN_HELP_KO, run_help
from workbench.i18n.tables import TABLES, TEXT
from workbench.i18n.translate import DEFAULT_LANG, LANGS, current_lang, pick, t

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "MISSING",
    "RISK_GRADES",
    "RUN_HELP_KO",
    "TABLES",
    "TEXT",
    "current_lang",
    "fmt_date",
    "fmt_num",
    "fmt_pct",
    "fmt_ratio",
    "pick",
    "risk_grade_label",
    "run_help",
    "t",
]
