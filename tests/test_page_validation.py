"""The Validation page headless with AppTest: the empty state, and with the demo and a stored
evaluation its four tabs (backtest tables, monitoring, export downloads, comparison report)."""

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
        t("val_tab_backtest"), t("val_tab_monitoring"), t("val_tab_export"), t("val_tab_report")
    ]  # fmt: skip
    frames = [d.value for d in at.dataframe]
    assert any("rank_ic" in f.columns and "expert" in set(f["source"]) for f in frames)
    assert any("invalid_output_share" in f.columns and len(f) == 1 for f in frames)
    assert any("psi" in f.columns for f in frames)
    assert any("needs NAV" in str(c.value) for c in at.caption)
    assert not at.error


def test_comparison_report_is_built_from_chosen_evaluations_and_offered_for_download(
    review_home,
):
    from engine.evaluation.jobs import start_evaluation

    assert start_evaluation(review_home, "rules") == "eval-0002"
    at = _page()
    assert at.tabs[3].label == t("val_tab_report")
    chooser = at.multiselect(key="val_rep_ids")
    assert chooser.value == ["eval-0002", "eval-0001"]  # newest first, all chosen
    at.radio(key="val_rep_lang").set_value("en")
    at.button(key="val_rep_build").click().run()
    assert not at.exception and not at.error
    done = _success_texts(at)
    assert t("val_rep_done", n=50, best="rules") in done, done  # the page's own language
    downloads = at.get("download_button")
    assert any(d.proto.label == t("val_rep_download") for d in downloads)
    chosen, lang, page, data = at.session_state["val_rep_html"]
    assert chosen == ("eval-0002", "eval-0001") and lang == "en"
    assert page.startswith("<!DOCTYPE html>") and "Evaluator comparison report" in page
    assert f"{data['evaluators'][0]['figures']['qwk']:.3f}" in page


def test_comparison_report_cannot_be_built_without_a_chosen_evaluation(review_home):
    at = _page()
    at.multiselect(key="val_rep_ids").set_value([])
    at.run()
    assert at.button(key="val_rep_build").disabled


def _success_texts(at) -> list[str]:
    return [str(s.value) for s in at.success]


def test_figures_with_training_funds_in_them_say_so_on_the_page(review_home):
    """run-0001 as a finished run folder; its tabular baseline evaluated on every rated fund
    (35 of them its training funds): the monitoring tab and the built report both warn."""
    from engine.evaluation.jobs import start_evaluation
    from engine.evaluation.report_html import text
    from tests.evaluation_support import write_run

    write_run(review_home)
    tabular = start_evaluation(review_home, "tabular:run-0001", selection="all")
    at = _page()
    at.selectbox(key="val_mon_evaluator").set_value("tabular:run-0001").run()
    assert not at.exception
    assert t("val_mon_training", ids=f"{tabular} (35)") in _warning_texts(at)

    at.multiselect(key="val_rep_ids").set_value([tabular]).run()
    at.button(key="val_rep_build").click().run()
    assert not at.exception and not at.error
    note = text("training_note", "ko", n=35, total=50, run="run-0001")
    assert note in _warning_texts(at)


def _warning_texts(at) -> list[str]:
    return [str(w.value) for w in at.warning]
