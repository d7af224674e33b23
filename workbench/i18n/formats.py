"""Numbers, dates and risk grades as the pages show them (finance habits, ISO dates)."""

from __future__ import annotations

import math
from datetime import date, datetime

from workbench.i18n.common import RISK_GRADES
from workbench.i18n.translate import pick

MISSING = "–"


def risk_grade_label(grade: object, lang: str | None = None) -> str:
    """'3등급 (다소 높은 위험)' for 3; '–' for a missing grade."""
    if _missing(grade):
        return MISSING
    ko, en = RISK_GRADES[int(grade)]  # type: ignore[call-overload]
    return pick(ko, en, lang)


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isinf(value))  # NaN, NA
    except (TypeError, ValueError):  # pd.NA refuses bool()
        return True


def fmt_pct(value: object, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.1234 -> '12.34%'."""
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:,.{decimals}f}%"  # type: ignore[arg-type]


def fmt_num(value: object, decimals: int = 0) -> str:
    """An amount with thousands separators: 1234567.8 -> '1,234,568'."""
    if _missing(value):
        return MISSING
    return f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]


def fmt_ratio(value: object) -> str:
    """A ratio with two decimals: 1.2345 -> '1.23'."""
    return fmt_num(value, 2)


def fmt_date(value: object) -> str:
    """A date as YYYY-MM-DD ('–' when missing)."""
    if _missing(value):
        return MISSING
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "date"):  # pandas Timestamp
        return value.date().isoformat()  # type: ignore[union-attr]
    return str(value)[:10]
