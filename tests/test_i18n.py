"""The translation tables are complete: every key has Korean and English with the same
placeholders, lives in exactly one table, every key the pages and workbench look up exists,
and the finance formats hold."""

from __future__ import annotations

import ast
import re
import string
from collections import Counter
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from engine.llm.rewards import REWARD_FUNCTIONS
from engine.training.config import RunConfig
from workbench.i18n import (
    LANGS,
    RUN_HELP_KO,
    TABLES,
    TEXT,
    fmt_date,
    fmt_num,
    fmt_pct,
    fmt_ratio,
    run_help,
    t,
)

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(REPO / "pages").glob("*.py"), *(REPO / "workbench").rglob("*.py")])
TABLE_FILES = sorted((REPO / "workbench" / "i18n").glob("*.py"))
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_]+)["']""")
FSTRING_KEY = re.compile(r"""\bt\(\s*f["']([A-Za-z0-9_]*)\{""")
PAGE_TITLE = re.compile(r"""\(\s*"[a-z_]+",\s*"([a-z_]+)",\s*":material/""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _uses(pattern: re.Pattern) -> dict[str, list[str]]:
    """key (or key prefix) -> the files that look it up."""
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), []).append(path.relative_to(REPO).as_posix())
    return found


def test_every_key_has_korean_and_english_text():
    incomplete = [
        key
        for key, pair in TEXT.items()
        if not (
            isinstance(pair, tuple)
            and len(pair) == len(LANGS)
            and all(isinstance(s, str) and s.strip() for s in pair)
        )
    ]
    assert incomplete == []


def _table_keys(path: Path) -> list[str]:
    """Every key written in the `TEXT = {...}` literal of a table module, repeats included."""
    keys: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        named_text = any(isinstance(name, ast.Name) and name.id == "TEXT" for name in targets)
        if named_text and isinstance(getattr(node, "value", None), ast.Dict):
            keys += [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return keys


def test_every_key_lives_in_exactly_one_table():
    written = Counter(key for path in TABLE_FILES for key in _table_keys(path))
    assert len(written) > 800  # the scan itself works: it finds every table's keys
    assert [key for key, n in written.items() if n > 1] == []  # also repeats inside one literal
    assert sum(len(table) for table in TABLES.values()) == len(TEXT) == len(written)


def test_korean_and_english_take_the_same_placeholders():
    differ = {
        key: (sorted(_placeholders(ko)), sorted(_placeholders(en)))
        for key, (ko, en) in TEXT.items()
        if _placeholders(ko) != _placeholders(en)
    }
    assert differ == {}


def test_every_key_looked_up_in_pages_and_workbench_exists():
    used = _uses(LITERAL_KEY)
    assert len(used) > 100  # the scan itself works: the pages look up hundreds of keys
    missing = {key: files for key, files in used.items() if key not in TEXT}
    assert missing == {}


def test_every_key_built_from_a_prefix_has_at_least_one_entry():
    prefixes = {p: files for p, files in _uses(FSTRING_KEY).items() if p}
    assert "rw_" in prefixes  # the scan finds f-string keys such as t(f"rw_{name}")
    orphaned = {p: files for p, files in prefixes.items() if not any(k.startswith(p) for k in TEXT)}
    assert orphaned == {}


def test_every_page_title_and_reward_label_exists():
    titles = PAGE_TITLE.findall((REPO / "workbench" / "app.py").read_text(encoding="utf-8"))
    assert "nav_home" in titles
    keys = [*titles, *(f"rw_{name}" for name in REWARD_FUNCTIONS)]
    assert [k for k in keys if k not in TEXT] == []


def test_every_run_setting_has_korean_and_english_help():
    names = [f.name for f in fields(RunConfig)]
    assert [n for n in names if not RUN_HELP_KO.get(n)] == []
    assert [n for n in names if not run_help(n, "en")] == []


def test_lookup_follows_the_language_and_fills_placeholders():
    assert t("m_rating_dates", "ko", n=4) == "평가 기준일 4개"
    assert t("m_rating_dates", "en", n=4) == "4 rating dates"
    assert t("nav_home", "en") == "Home"
    with pytest.raises(KeyError):
        t("no_such_key", "en")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1234, "12.34%"),
        (-0.0531, "-5.31%"),
        (12.5, "1,250.00%"),
        (None, "–"),
        (float("nan"), "–"),
    ],
)
def test_percentages_have_two_decimals_and_thousands_separators(value, expected):
    assert fmt_pct(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(1234567.8, 0, "1,234,568"), (102400000000, 0, "102,400,000,000"), (-1234.5, 2, "-1,234.50")],
)
def test_amounts_have_thousands_separators(value, decimals, expected):
    assert fmt_num(value, decimals) == expected


def test_ratios_have_two_decimals_and_missing_values_a_dash():
    assert fmt_ratio(0.8249) == "0.82"
    assert fmt_ratio(pd.NA) == "–"
    assert fmt_num(float("inf")) == "–"


@pytest.mark.parametrize(
    "value",
    [
        date(2026, 9, 30),
        datetime(2026, 9, 30, 15, 4),
        pd.Timestamp("2026-09-30 08:00"),
        "2026-09-30",
    ],
)
def test_dates_are_iso(value):
    assert fmt_date(value) == "2026-09-30"
