"""The Methodology page headless with AppTest: the empty state, editing with validation by JSON
path, saving numbered versions, importing JSON, diffs, the active version per client, drafts
extracted from real PDFs, refused documents, the score preview and the language switch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine import methodology as meth
from engine.demo.house import house_methodology
from engine.methodology.extract.render import FONTS, render_pdf
from store.db import connect
from tests.hostile_pdf import many_chars
from workbench.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
PAGE = "../pages/methodology.py"  # relative to the entry script, as st.navigation registers it
TIMEOUT_S = 60

needs_fonts = pytest.mark.skipif(
    not all(p.exists() for p in FONTS.values()), reason="fonts-nanum is not installed"
)


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _keyed(elements, prefix: str):
    """The element whose key starts with `prefix` (editor keys end in the document generation)."""
    found = [e for e in elements if e.key and e.key.startswith(prefix)]
    assert len(found) == 1, [e.key for e in elements]
    return found[0]


def _editor(at: AppTest, name: str):
    return _keyed(at.data_editor, f"meth_{name}_")


def _edit(at: AppTest, name: str, edited=None, added=None, deleted=None) -> AppTest:
    """Apply cell edits to a data editor (what a user's typing sends) and rerun."""
    at.session_state[_editor(at, name).key] = {
        "edited_rows": edited or {},
        "added_rows": added or [],
        "deleted_rows": deleted or [],
    }
    at.run()
    assert not at.exception, at.exception
    return at


def _frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _versions(home):
    with connect(home) as con:
        return meth.list_versions(con)


def _save(at: AppTest, note: str | None = None) -> AppTest:
    if note:
        _keyed(at.text_input, "meth_note_").input(note).run()
    at.button(key="meth_save").click().run()
    assert not at.exception, at.exception
    return at


def _import_json(at: AppTest, name: str, text: str) -> AppTest:
    at.file_uploader(key="meth_json_file").set_value(
        (name, text.encode("utf-8"), "application/json")
    ).run()
    assert not at.exception, at.exception
    return at


def _upload_pdf(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="meth_pdf").set_value((name, data, "application/pdf")).run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- empty state


def test_empty_store_says_how_to_start_in_every_tab(home):
    at = _page()

    infos = _texts(at.info)
    assert t("meth_empty", "ko") in infos
    assert t("meth_pdf_empty", "ko") in infos
    assert t("meth_edit_empty", "ko") in infos
    assert t("meth_versions_empty", "ko") in infos
    assert not at.data_editor  # no document open, no editor
    assert at.button(key="meth_blank").label == t("meth_btn_blank", "ko")


# ---------------------------------------------------------------- edit and save


def test_blank_invalid_weight_shows_its_json_path_blocks_save_and_the_fix_saves_version_1(home):
    at = _page()
    at.button(key="meth_blank").click().run()
    assert t("meth_opened_blank", "ko") in _texts(at.info)
    assert list(_editor(at, "criteria").value["criterion"]) == ["sharpe_3y"]

    _edit(at, "criteria", edited={0: {"weight": 150}})

    errors = _texts(at.error)
    assert "`$.sections[0].criteria[0].weight`: 150 is greater than the maximum of 100" in errors
    assert "criterion weights of section 'quantitative' sum to 150, not 100" in errors
    assert at.button(key="meth_save").disabled
    assert t("meth_problems", "ko", n=2) in _texts(at.warning)

    _edit(at, "criteria", edited={0: {"weight": 100}})
    assert not at.error
    assert not at.button(key="meth_save").disabled
    _save(at, note="첫 초안")

    assert t("meth_saved", "ko", id="new-methodology", version=1) in _texts(at.success)
    versions = _versions(home)
    assert list(versions["version"]) == [1]
    assert versions["note"].iloc[0] == "첫 초안"
    assert versions["created_by"].iloc[0] == "single-user"  # no users: single-user mode
    shown = _frame_with(at, t("meth_c_version", "ko"))
    assert list(shown[t("meth_c_version", "ko")]) == [1]
    assert list(shown[t("meth_c_note", "ko")]) == ["첫 초안"]


def test_saving_an_unchanged_document_adds_no_version(home):
    at = _page()
    at.button(key="meth_blank").click().run()
    _save(at)
    _save(at)

    assert t("meth_saved_same", "ko", id="new-methodology", version=1) in _texts(at.info)
    assert list(_versions(home)["version"]) == [1]


def test_import_save_edit_save_gives_version_2_and_the_diff_shows_the_changed_path(home, tmp_path):
    doc = house_methodology()
    at = _import_json(_page(), "house.json", json.dumps(doc, ensure_ascii=False))
    assert t("meth_opened_json", "ko", name="house.json") in _texts(at.info)
    assert _keyed(at.text_input, "meth_id_").value == "house"
    assert list(_editor(at, "criteria").value["criterion"]) == [
        c["id"] for s in doc["sections"] for c in s["criteria"]
    ]
    _save(at)
    assert t("meth_saved", "ko", id="house", version=1) in _texts(at.success)

    _edit(at, "criteria", edited={0: {"name_en": "Return over three years"}})
    _save(at, note="영문 이름 수정")

    assert t("meth_saved", "ko", id="house", version=2) in _texts(at.success)
    versions = _versions(home)
    assert list(versions["version"]) == [2, 1]
    assert versions["source_file"].tolist() == ["house.json", "house.json"]
    assert at.selectbox(key="meth_diff_a").value == ("house", 1)
    assert at.selectbox(key="meth_diff_b").value == ("house", 2)
    changes = _frame_with(at, t("meth_c_change", "ko"))
    assert changes.to_dict("records") == [
        {
            t("meth_c_path", "ko"): "$.sections[0].criteria[0].name_en",
            t("meth_c_change", "ko"): t("meth_change_changed", "ko"),
            t("meth_c_old", "ko"): doc["sections"][0]["criteria"][0]["name_en"],
            t("meth_c_new", "ko"): "Return over three years",
        }
    ]


def test_invalid_json_import_reports_line_and_column_and_opens_nothing(home):
    at = _import_json(_page(), "broken.json", '{\n  "id": "house",\n  "name" "x"\n}')

    error = _texts(at.error)
    assert t("meth_json_refused", "ko") in error
    assert "broken.json is not valid JSON: Expecting ':' delimiter at line 3, column 10" in error
    assert not at.data_editor


def test_json_editor_applies_an_edit_and_reports_syntax_errors(home):
    at = _page()
    at.button(key="meth_blank").click().run()
    area = _keyed(at.text_area, "meth_json_")
    doc = json.loads(area.value)
    assert doc["id"] == "new-methodology"
    doc["sections"][0]["weight"] = 90

    area.input(json.dumps(doc)).run()
    at.button(key="meth_json_apply").click().run()

    assert not at.exception, at.exception
    assert list(_editor(at, "sections").value["weight"]) == [90]
    assert "`$.sections`: section weights sum to 90, not 100" in _texts(at.error)
    assert json.loads(_keyed(at.text_area, "meth_json_").value)["sections"][0]["weight"] == 90

    _keyed(at.text_area, "meth_json_").input('{"id": "x",\n "name": }').run()
    at.button(key="meth_json_apply").click().run()
    assert "is not valid JSON: Expecting value at line 2, column 10" in _texts(at.error)


def test_renaming_a_section_moves_its_criteria_with_it(home):
    at = _page()
    at.button(key="meth_blank").click().run()

    _edit(at, "criteria", edited={0: {"name_en": "Sharpe (3 years)"}})  # an unsaved edit

    _edit(at, "sections", edited={0: {"id": "quant"}})

    assert list(_editor(at, "sections").value["id"]) == ["quant"]
    criteria = _editor(at, "criteria").value
    assert list(criteria["section"]) == ["quant"]
    assert list(criteria["name_en"]) == ["Sharpe (3 years)"]  # kept through the rename
    assert not at.error
    assert json.loads(_keyed(at.text_area, "meth_json_").value)["sections"][0]["criteria"]


def test_added_criterion_row_is_validated_with_its_path(home):
    row = {"section": "quantitative", "criterion": "vol_3y", "name_ko": "변동성(3년)",
           "weight": 30, "measure": "indicator",
           "indicator": "volatility", "window": "3y", "direction": "lower_is_better",
           "scoring": "percentile_bands", "bands": "90:5, 50"}  # fmt: skip
    at = _page()
    at.button(key="meth_blank").click().run()

    _edit(at, "criteria", edited={0: {"weight": 70}}, added=[row])

    assert "`$.sections[0].criteria[1].scoring`: row 2: cannot read band 2 '50'" in _texts(at.error)
    assert at.button(key="meth_save").disabled

    _edit(at, "criteria", edited={0: {"weight": 70}}, added=[{**row, "bands": "90:5, 50:3, 0:1"}])

    assert not at.error
    doc = json.loads(_keyed(at.text_area, "meth_json_").value)
    added = doc["sections"][0]["criteria"][1]
    assert added["id"] == "vol_3y"
    assert added["direction"] == "lower_is_better"
    assert added["scoring"]["bands"] == [
        {"min_pct": 90, "score": 5},
        {"min_pct": 50, "score": 3},
        {"min_pct": 0, "score": 1},
    ]


# ---------------------------------------------------------------- versions


def _seed_two_versions(home) -> dict:
    doc = house_methodology()
    with connect(home) as con:
        meth.save_version(con, doc, created_by="kim", note="first")
        changed = json.loads(json.dumps(doc))
        changed["eligibility"]["min_track_record_months"] = 24
        meth.save_version(con, changed, created_by="lee", note="shorter track record")
    return doc


def test_set_active_version_for_all_clients_and_for_one_client(home):
    _seed_two_versions(home)
    at = _page()
    assert t("meth_empty", "ko") not in _texts(at.info)

    at.selectbox(key="meth_view").set_value(("house", 1)).run()
    at.button(key="meth_activate").click().run()

    assert not at.exception, at.exception
    assert t(
        "meth_activated", "ko", id="house", version=1, client=t("meth_all_clients", "ko")
    ) in _texts(at.success)
    with connect(home) as con:
        assert meth.active(con) == ("house", 1)
    table = _frame_with(at, t("meth_c_active_for", "ko"))
    by_version = dict(
        zip(table[t("meth_c_version", "ko")], table[t("meth_c_active_for", "ko")], strict=True)
    )
    assert by_version == {2: "–", 1: t("meth_all_clients", "ko")}

    at.text_input(key="meth_client").input("kb").run()
    at.selectbox(key="meth_view").set_value(("house", 2)).run()
    at.button(key="meth_activate").click().run()

    with connect(home) as con:
        assert meth.active(con, "kb") == ("house", 2)
        assert meth.active(con) == ("house", 1)
        assert meth.active(con, "other") == ("house", 1)
    assert "kb에 적용 중: **house v2" in _texts(at.markdown)


def test_a_client_variant_cannot_be_activated_for_everyone(home):
    doc = house_methodology()
    doc.update(id="kb-house", client="kb")
    with connect(home) as con:
        meth.save_version(con, doc, created_by="kim")
    at = _page()

    at.button(key="meth_activate").click().run()  # client '*'

    assert "is written for client 'kb'; it cannot be made active for '*'" in _texts(at.error)
    with connect(home) as con:
        assert meth.active(con) is None


def test_view_shows_the_summary_in_the_ui_language_and_opens_a_version_in_the_editor(home):
    doc = _seed_two_versions(home)
    at = _page()

    at.selectbox(key="meth_view").set_value(("house", 1)).run()
    summary = _texts(at.code)
    assert "설정 후 36개월" in summary or "36개월" in summary
    assert at.json  # the document itself

    at.button(key="meth_open_version").click().run()

    assert not at.exception, at.exception
    assert t("meth_opened_version", "ko", label=f"house v1 · {doc['name']}") in _texts(at.info)
    assert _keyed(at.number_input, "meth_track_").value == 36
    assert at.session_state["meth_tab"] == t("meth_tab_edit", "ko")
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.session_state["meth_tab"] == "Edit"  # the open tab survives the language switch


# ---------------------------------------------------------------- extraction


@needs_fonts
def test_uploaded_pdf_gives_a_draft_with_page_numbers_beside_its_source(home, tmp_path):
    source = house_methodology()
    pdf = render_pdf(source, tmp_path / "house_methodology.pdf")

    at = _upload_pdf(_page(), "house_methodology.pdf", pdf.read_bytes())

    assert not at.error
    criteria = _frame_with(at, t("meth_c_criterion", "ko"))
    measures = [c["measure"] for s in source["sections"] for c in s["criteria"]]
    shown = zip(
        criteria[t("meth_c_indicator", "ko")], criteria[t("meth_c_window", "ko")], strict=True
    )
    assert [(i, w) if i != "–" else None for i, w in shown] == [
        (m["indicator"], m["window"]) if m["type"] == "indicator" else None for m in measures
    ]
    ids = list(criteria[t("meth_c_criterion", "ko")])
    pages = criteria[t("meth_c_page", "ko")]
    assert pages.notna().all() and pages.between(1, 20).all()
    general = _frame_with(at, t("meth_c_path", "ko"))
    assert "$.eligibility.min_track_record_months" in set(general[t("meth_c_path", "ko")])
    assert any(p.startswith("$.grade_scale.bands") for p in general[t("meth_c_path", "ko")])
    flagged = general[general[t("meth_c_check", "ko")] == t("meth_check", "ko")]
    assert (flagged[t("meth_c_confidence", "ko")] < 0.7).all()
    checks = criteria[t("meth_c_check", "ko")].str.startswith(t("meth_check", "ko"))
    assert (criteria[t("meth_c_confidence", "ko")][checks] < 0.7).all()
    assert (criteria[t("meth_c_confidence", "ko")][~checks] >= 0.7).all()

    page_picker = _keyed(at.selectbox, "meth_page_")
    page_picker.set_value(pages.iloc[0]).run()
    text = _texts(at.code)
    first = source["sections"][0]["criteria"][0]
    assert first["name_ko"] in text

    # the editor is open on the draft; nothing is saved until the analyst saves
    assert list(_editor(at, "criteria").value["criterion"]) == ids
    assert t("meth_opened_draft", "ko", name="house_methodology.pdf") in _texts(at.info)
    assert _versions(home).empty
    assert [p.name.endswith("_house_methodology.pdf") for p in home.uploads.iterdir()] == [True]

    _keyed(at.text_input, "meth_id_").input("house").run()
    _save(at)
    assert _versions(home)["source_file"].tolist() == ["house_methodology.pdf"]


def _blank_page_pdf(path: Path) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.output(str(path))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("notes.pdf", lambda p: "평가방법론 메모".encode(), "notes.pdf: not a PDF file"),
        ("broken.pdf", lambda p: b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "broken.pdf: the PDF is "),
        ("scan.pdf", _blank_page_pdf, "scan.pdf: the PDF has no text layer"),
        (
            "bomb.pdf",  # 60 KB holding 20 million characters
            lambda p: many_chars(p, 20_000_000).read_bytes(),
            "bomb.pdf: page 1 has more drawing instructions than the 1 MiB-per-page limit",
        ),
    ],
)
def test_a_bad_pdf_is_refused_clearly_and_nothing_is_saved(home, tmp_path, name, make, message):
    at = _page()
    at.button(key="meth_blank").click().run()

    _upload_pdf(at, name, make(tmp_path / name))

    error = _texts(at.error)
    assert t("meth_pdf_refused", "ko") in error
    assert message in error
    assert t("meth_nothing_saved", "ko") in error
    assert _versions(home).empty
    assert list(home.uploads.iterdir()) == []
    assert _keyed(at.text_input, "meth_id_").value == "new-methodology"  # editor unchanged


# ---------------------------------------------------------------- preview and language


def test_score_preview_shows_the_grade_distribution_of_a_version(demo_home):
    from engine.methodology.scoring import score_funds

    with connect(demo_home) as con:
        version = meth.save_version(con, house_methodology(), created_by="test")
    at = _page()
    at.selectbox(key="meth_view").set_value(("house", version)).run()

    at.toggle(key="meth_preview").set_value(True).run()

    assert not at.exception, at.exception
    expected = score_funds(demo_home, "house", version)
    counts = _frame_with(at, t("meth_c_funds", "ko"))
    shown = dict(zip(counts[t("meth_c_grade", "ko")], counts[t("meth_c_funds", "ko")], strict=True))
    assert sum(shown.values()) == len(expected)
    for grade in (1, 2, 3, 4, 5):
        assert shown[str(grade)] == int((expected["grade"] == grade).sum())
    table = _frame_with(at, t("meth_c_total", "ko"))
    assert len(table) == len(expected)
    assert len(at.get("plotly_chart")) == 1


def test_language_switch_translates_the_page_and_keeps_unsaved_edits(home):
    at = _page()
    at.button(key="meth_blank").click().run()
    _edit(at, "criteria", edited={0: {"weight": 150}})

    at.sidebar.radio(key="lang").set_value("en").run()

    assert not at.exception, at.exception
    assert at.title[0].value == "Rating methodology"
    assert at.button(key="meth_save").label == "Save as new version"
    assert "2 problems must be fixed before saving" in _texts(at.warning)
    assert list(_editor(at, "criteria").value["weight"]) == [150]  # the edit survived
    assert "`$.sections[0].criteria[0].weight`" in _texts(at.error)

    at.sidebar.radio(key="lang").set_value("ko").run()
    assert at.title[0].value == t("meth_title", "ko")
    assert list(_editor(at, "criteria").value["weight"]) == [150]
