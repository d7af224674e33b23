"""Methodology: the document's format and checks (`core`), saved versions, the criteria table,
readable text, differences between versions, rule-based scoring, and PDF extraction (`extract/`).

Import the public names from here; modules inside the package import from `core` directly.
"""

from engine.methodology.core import (
    DEFAULT_MAX_MISSING_WEIGHT,
    DEFAULT_MISSING_SCORE,
    DEFAULT_SCORE_BANDS,
    DIRECTIONS,
    GRADES,
    LOWEST_TOTAL,
    SCORING_METHODS,
    SECTION_KINDS,
    WEIGHT_TOTAL,
    MethodologyError,
    Problem,
    check,
    direction,
    effective_weight,
    fmt_number,
    iter_criteria,
    json_path,
    load,
    measure_windows,
    missing_rule,
    tidy_number,
    validate,
    windows_needed,
)
from engine.methodology.diff import diff
from engine.methodology.table import ANY_VALUE, CRITERIA_COLUMNS, criteria, from_criteria
from engine.methodology.text import blank, summary
from engine.methodology.versions import (
    ALL_CLIENTS,
    active,
    body_sha256,
    get,
    list_versions,
    save_version,
    set_active,
)

__all__ = [
    "ALL_CLIENTS", "ANY_VALUE", "CRITERIA_COLUMNS", "DEFAULT_MAX_MISSING_WEIGHT",
    "DEFAULT_MISSING_SCORE", "DEFAULT_SCORE_BANDS", "DIRECTIONS", "GRADES", "LOWEST_TOTAL",
    "SCORING_METHODS", "SECTION_KINDS", "WEIGHT_TOTAL", "MethodologyError", "Problem", "active",
    "blank", "body_sha256", "check", "criteria", "diff", "direction", "effective_weight",
    "fmt_number", "from_criteria", "get", "iter_criteria", "json_path", "list_versions", "load",
    "measure_windows", "missing_rule", "save_version", "set_active", "summary", "tidy_number", "validate",
    "windows_needed",
]  # fmt: skip
