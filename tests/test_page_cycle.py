"""The Rating cycle page headless with AppTest: the empty state and its refused run (no model
approved), then a finished cycle's counts, coverage table, changes and grades, in both
languages.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from engine.cycle import run as cycles
from workbench.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
PAGE = "../pages/cycle.py"  # relative to the entry script, as st.navigation registers it
TIMEOUT_S = 90


def _page(lang: str = "ko") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_empty_page_says_how_to_start_and_a_run_without_a_model_is_refused(demo_home) -> None:
    at = _page()
    assert t("cyc_empty", "ko") in _texts(at.info)
    at.button(key="cyc_run").click().run()
    assert not at.exception, at.exception
    assert "no model is approved" in _texts(at.error)
    assert not (demo_home.root / "cycles").exists()


def test_a_finished_cycle_shows_its_counts_coverage_changes_and_grades(demo_home) -> None:
    first = cycles.start(demo_home, as_of="2026-06-30", model="rules", background=False)
    second = cycles.start(demo_home, as_of="2026-08-31", model="rules", background=False)
    newest = second["cycles"][0]
    at = _page("en")
    assert at.selectbox(key="cyc_pick").value == newest["cycle_id"]
    markdown = _texts(at.markdown)
    assert "Since " + first["cycles"][0]["cycle_id"] in markdown
    tables = [d.value for d in at.dataframe]
    coverage = next(d for d in tables if t("cyc_c_coverage", "en") in d.columns)
    assert coverage[t("cyc_c_coverage", "en")].tolist()[0] == "100.00%"
    grades = next(d for d in tables if t("cyc_c_source", "en") in d.columns)
    assert len(grades) == newest["n_funds"] and set(grades[t("cyc_c_source", "en")]) == {"rules"}
    assert t("cyc_queue_empty", "en") in _texts(at.caption)
