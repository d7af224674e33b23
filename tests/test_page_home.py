"""Home headless with AppTest: the first visit (two ways in), and the loop's next stage once the
data is complete (methodology, first run, runs still going, review)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from store.db import connect
from store.runs import insert_run, update_states
from workbench.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
TIMEOUT_S = 60


def _app(lang: str = "ko") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    if lang != "ko":
        at.sidebar.radio(key="lang").set_value(lang).run()
        assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _links(at: AppTest) -> dict[str, tuple[str, str]]:
    """label -> (page name, query string) of every st.page_link on the page."""
    return {
        link.value: (Path(link.proto.page).stem, link.proto.query_string)
        for link in at.get("page_link")
    }


def _record_run(home, run_id: str, state: str) -> None:
    """A run as engine.training.runs records it in the store (the Home page reads only these rows)."""
    with connect(home) as con:
        insert_run(
            con, run_id=run_id, model="builtin-tiny", methodology_id="house",
            methodology_version=1, as_of="2026-09-30", language="ko", snapshot_sha256="0" * 64,
            parent_run_id=None, config=json.dumps({"run_id": run_id}), state="queued",
        )  # fmt: skip
        update_states(con, [(run_id, state, None, None, None, None)])


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_first_visit_explains_the_workbench_and_offers_the_demo_or_own_data(home, lang):
    at = _app(lang)

    intro = t("home_intro", lang)
    assert intro in _texts(at.markdown)
    assert len(re.findall(r"[.!?](?:\s|$)", intro)) == 2  # two sentences
    assert t("home_welcome", lang) in _texts(at.subheader)
    assert at.button(key="home_load_demo").label == t("btn_load_demo", lang)
    assert _links(at)[t("link_own_data", lang)] == ("data", "tab=upload")
    assert t("next_empty", lang) in _texts(at.info)
    assert t("home_nothing_loaded", lang) in _texts(at.caption)
    assert t("loaded_header", lang) in _texts(at.subheader)  # the counts stay visible, at zero


def test_first_visit_labels_the_two_ways_in_plainly_in_english(home):
    at = _app("en")

    assert at.button(key="home_load_demo").label == "Explore the demo"
    assert "Start with your own data →" in _links(at)


def test_exploring_the_demo_leaves_the_first_run_view_and_points_to_training(home, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DEMO_FUNDS", "12")
    at = _app()

    at.button(key="home_load_demo").click().run()

    assert not at.exception, at.exception
    assert "데모 데이터 적재 완료: 펀드 12개" in _texts(at.success)
    assert t("home_welcome", "ko") not in _texts(at.subheader)
    assert "home_load_demo" not in [b.key for b in at.button]
    assert t("next_train", "ko") in _texts(at.info)  # the demo brings its methodology
    assert _links(at)[t("link_training", "ko")] == ("training", "")


def test_complete_data_without_a_methodology_asks_for_one(home, small_files):
    from engine.data.ingest import ingest_file

    for kind in ("funds", "benchmarks", "nav", "ratings"):
        ingest_file(home, small_files[kind])

    at = _app()

    assert t("next_explore", "ko") in _texts(at.info)
    assert t("next_methodology", "ko") in _texts(at.info)
    assert t("link_methodology", "ko") in _links(at)
    assert t("home_welcome", "ko") not in _texts(at.subheader)


def test_incomplete_data_shows_no_loop_stage_yet(home, small_files):
    from engine.data.ingest import ingest_file

    ingest_file(home, small_files["funds"])

    at = _app()

    assert t("next_nav", "ko") in _texts(at.info)
    assert t("home_loop_header", "ko") not in _texts(at.subheader)


def test_a_run_still_going_sends_to_the_runs_page_then_a_finished_one_to_review(demo_home):
    _record_run(demo_home, "run-0001", "running")

    at = _app("en")
    assert t("next_wait_run", "en", runs=1) in _texts(at.info)
    assert t("link_runs", "en") in _links(at)

    _record_run(demo_home, "run-0002", "finished")
    at = _app("en")
    assert t("next_review", "en", n=1) in _texts(at.info)
    assert _links(at)[t("link_review", "en")] == ("review", "")
