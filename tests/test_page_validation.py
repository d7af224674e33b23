"""The Validation page headless with AppTest: the empty state, and with the demo and a stored
evaluation its three tabs (backtest tables, monitoring, export downloads)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests import review_support
from workbench.i18n import t

review_template = review_support.review_template
review_home = review_support.review_home

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
PAGE = "../pages/validation.py"
TIMEOUT_S = 90


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_empty_store_shows_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path / "empty"))
    at = _page()
    assert any(t("val_empty") in str(i.value) for i in at.info)


def test_renders_backtest_monitoring_and_export_with_data(review_home):
    at = _page()
    assert [tab.label for tab in at.tabs] == [
        t("val_tab_backtest"), t("val_tab_monitoring"), t("val_tab_export")
    ]  # fmt: skip
    frames = [d.value for d in at.dataframe]
    assert any("rank_ic" in f.columns and "expert" in set(f["source"]) for f in frames)
    assert any("invalid_output_share" in f.columns and len(f) == 1 for f in frames)
    assert any("psi" in f.columns for f in frames)
    assert any("needs NAV" in str(c.value) for c in at.caption)
    assert not at.error
