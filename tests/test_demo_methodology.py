"""The demo's house methodology goes through a Korean PDF and real extraction, and comes back as
the written document: saved as version 1, active for all clients, grading the demo's funds
exactly as the documented rule does."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from engine.demo.build import DemoConfig, DemoSummary, build_demo, generate_demo
from engine.demo.house import house_methodology
from engine.demo.methodology import DemoMethodology, install_house_methodology
from engine.methodology import active, diff, get, list_versions, save_version, set_active
from engine.methodology.extract.pdf import extract
from engine.methodology.extract.render import FONTS
from engine.methodology.scoring import score_funds
from store.db import connect
from store.home import Home

CONFIG = DemoConfig(n_funds=60, years=5)
fonts = pytest.mark.skipif(
    not all(p.exists() for p in FONTS.values()), reason="fonts-nanum is not installed"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, DemoSummary, DemoMethodology]:
    home = Home(tmp_path_factory.mktemp("demo-methodology") / "home")
    summary = build_demo(home, CONFIG)
    return home, summary, install_house_methodology(home)


def _names_or_x(path: str) -> bool:
    """A difference the extraction may have: an x- key, or a section's or criterion's English
    name (a Korean PDF prints only Korean names, so the draft has the extractor's)."""
    leaf = path.rsplit(".", 1)[-1]
    return leaf.startswith("x-") or (path.startswith("$.sections[") and leaf == "name_en")


@fonts
def test_build_installs_version_1_active_for_all_clients(demo) -> None:
    home, summary, installed = demo
    assert summary.methodology == {"id": "house", "version": 1}
    assert (installed.methodology_id, installed.version) == ("house", 1)
    assert installed.active and installed.differences == []
    assert Path(installed.pdf).name == "house_methodology_ko.pdf" and Path(installed.pdf).is_file()
    with connect(home) as con:
        assert active(con) == ("house", 1) and active(con, "any-client") == ("house", 1)
        versions = list_versions(con, "house")
    assert versions["version"].tolist() == [1]  # installed twice: one version
    assert versions["source_file"].tolist() == ["house_methodology_ko.pdf"]
    assert versions["active_for"].tolist() == ["*"]


@fonts
def test_saved_version_is_the_written_methodology_except_english_names(demo) -> None:
    home, _, _ = demo
    with connect(home) as con:
        saved = get(con, "house", 1)
    written = house_methodology("ko")
    differences = diff(written, saved)
    assert [d for d in differences if not _names_or_x(d["path"])] == []
    # what differs: English criterion names, and the document's grade labels (an x- key)
    assert {d["path"] for d in differences if d["path"].endswith("name_en")} <= {
        f"$.sections[{i}].criteria[{j}].name_en"
        for i, s in enumerate(written["sections"])
        for j in range(len(s["criteria"]))
    }
    assert saved["grade_scale"]["x-labels"]["5"] == "1등급"
    # the values a PDF has no column for come back from its prose
    sortino = saved["sections"][0]["criteria"][4]
    assert sortino["id"] == "sortino_5y" and sortino["measure"]["fallback_window"] == "3y"
    assert saved["missing_inputs"] == {"score": 3, "max_weight": 30}
    assert saved["description"] == written["description"]
    assert saved["client"] is None and saved["name_en"] == written["name_en"]


@fonts
def test_saved_version_reproduces_the_documented_grades(demo) -> None:
    home, summary, _ = demo
    grading = generate_demo(CONFIG).grading
    latest = grading["as_of"].max()
    assert latest.date() == summary.rating_dates[-1]
    expected = grading[grading["as_of"] == latest].set_index("fund_id")
    scored = score_funds(home, "house", as_of=latest.date()).set_index("fund_id")
    graded = scored[scored["grade"].notna()]
    assert sorted(graded.index) == sorted(expected.index)
    graded = graded.loc[expected.index]
    assert graded["grade"].astype(int).tolist() == expected["grade_documented"].tolist()
    assert graded["total"].tolist() == expected["total_documented"].tolist()
    assert len(expected) > 20 and expected["grade_documented"].nunique() == 5


@fonts
def test_the_pdf_states_the_rules_in_korean_prose(demo) -> None:
    _, _, installed = demo
    result = extract(installed.pdf)
    text = "\n".join(p.text for p in result.pages)
    assert "5년 이력이 없는 펀드는 3년 소티노비율로 평가한다." in text
    assert "3점(중립)으로 간주하며" in text
    assert re.search(r"가중치 합이 30%를\s*넘으면 등급을 부여하지 않는다", text)
    assert "Sharpe" not in text  # Korean house documents print Korean names only
    fallback = result.field("sections[0].criteria[4].measure.fallback_window")
    assert fallback.value == "3y" and "5년 이력이 없는" in fallback.source_text
    assert fallback.source_text in result.pages[fallback.page - 1].text
    for key, value in (("score", 3), ("max_weight", 30)):
        field = result.field(f"missing_inputs.{key}")
        assert field.value == value and 0.5 < field.confidence < 1
        assert "자료가 없는" in field.source_text
    assert result.field("description").page == 2


@fonts
def test_rebuild_adds_no_version(demo) -> None:
    home, _, _ = demo
    again = build_demo(home, CONFIG)
    assert again.methodology == {"id": "house", "version": 1}
    with connect(home) as con:
        assert list_versions(con, "house")["version"].tolist() == [1]
        assert active(con) == ("house", 1)


@fonts
def test_install_keeps_the_analysts_versions_and_choice(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    first = install_house_methodology(home)
    assert (first.version, first.active) == (1, True)
    with connect(home) as con:
        edited = get(con, "house")
    edited["sections"][0]["criteria"][0]["weight"] = 30
    edited["sections"][0]["criteria"][1]["weight"] = 20
    other = {**house_methodology("ko"), "id": "own"}
    with connect(home) as con:
        assert save_version(con, edited, created_by="analyst") == 2
        save_version(con, other, created_by="analyst")
        set_active(con, "own", 1, client="*", set_by="analyst")
    again = install_house_methodology(home)
    assert (again.version, again.active) == (1, False)  # v1 reused, no copy as v3
    with connect(home) as con:
        assert list_versions(con, "house")["version"].tolist() == [2, 1]
        assert active(con) == ("own", 1)


def test_without_the_korean_font_the_written_document_is_saved(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(FONTS, "", tmp_path / "missing" / "NanumGothic.ttf")
    home = Home(tmp_path / "home")
    installed = install_house_methodology(home)
    assert (installed.version, installed.pdf, installed.differences) == (1, "", [])
    with connect(home) as con:
        saved = get(con, "house", 1)
        assert active(con) == ("house", 1)
        assert pd.isna(list_versions(con, "house")["source_file"].iloc[0])
    assert diff(house_methodology("ko"), saved) == []
