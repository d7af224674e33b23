"""The Methodology page's working document and its editor: the document in
`st.session_state["meth_doc"]`, the editor's widgets keyed by a generation number
(`meth_gen`) that changes whenever another document is opened (so they start afresh from it),
the extraction beside its source pages, and saving a version.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pandas as pd
import streamlit as st

from engine import methodology as meth
from engine.data.metrics import INDICATORS, WINDOWS
from store.db import connect
from workbench.i18n import LANGS, current_lang, pick, t
from workbench.web import data, ui, views
from workbench.web.flash import flash

GRADE_METHODS = ("percentile", "thresholds")
ROW_PX = 35  # st.dataframe / st.data_editor row height (header included)
MAX_TABLE_PX = 740
MEASURES = ("indicator", "qualitative")
EDIT_ICON = ":material/edit_note:"  # the editor's info messages
# ---------------------------------------------------------------- working document


def table_height(rows: int, editor: bool = False) -> int:
    """Pixels that show `rows` rows and the header (and an editor's add-row line) unscrolled."""
    return min(ROW_PX * (rows + 1 + editor) + 3, MAX_TABLE_PX)


def gen() -> int:
    return st.session_state.setdefault("meth_gen", 0)


def key(name: str) -> str:
    """A widget key of the current working document's editor."""
    return f"meth_{name}_{gen()}"


def open_document(
    doc: dict, source_file: str | None = None, origin: tuple[str, dict] | None = None
) -> None:
    """Make `doc` the working document; the editor's widgets start afresh from it.

    `origin` (an i18n key and its fields) says where it came from; None keeps the last one.
    """
    if origin is not None:
        st.session_state["meth_origin"] = origin
    st.session_state["meth_doc"] = copy.deepcopy(doc)
    st.session_state["meth_source"] = source_file
    st.session_state["meth_gen"] = gen() + 1
    st.session_state.pop("meth_current", None)


def keep_unsaved_edits() -> None:
    """Carry the last run's edits over when the editor's widgets were reset: after a language
    switch (translated table headers make new editors) or a visit to another page."""
    current = st.session_state.get("meth_current")
    lang = current_lang()
    switched = st.session_state.get("meth_lang", lang) != lang
    st.session_state["meth_lang"] = lang
    if current is not None and (switched or key("name") not in st.session_state):
        source = st.session_state.get("meth_source")
        open_document(current, source)


def show_problems(problems: list, group: str) -> None:
    """The validation problems of one part of the editor, each with its JSON path."""
    lines = [f"- `{p.path}`: {p.message}" for p in problems if views.problem_group(p.path) == group]
    if lines:
        st.error("\n".join(lines), icon=":material/error:")


def versions_of(versions: pd.DataFrame, methodology_id: object) -> int | None:
    """The latest saved version of an id (None when there is none)."""
    mine = versions[versions["methodology_id"] == methodology_id]
    return int(mine["version"].max()) if len(mine) else None


# ---------------------------------------------------------------- extraction


def to_editor() -> None:
    st.session_state["meth_tab"] = t("meth_tab_edit")


def show_extraction(result, file_id: str) -> None:
    """The draft (with page and confidence of every value) beside the text of its source pages."""
    low = sum(f.confidence < views.LOW_CONFIDENCE for f in result.fields)
    st.caption(
        t("meth_extract_summary", pages=len(result.pages), fields=len(result.fields), low=low)
    )
    for warning in result.warnings:
        st.warning(warning, icon=":material/warning:")
    if result.missing:
        lines = "\n".join(f"- `$.{path}`" for path in result.missing)
        st.warning(f"{t('meth_missing_intro')}\n{lines}", icon=":material/help:")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown(f"#### {t('meth_draft_header')}")
        st.button(t("meth_btn_to_editor"), on_click=to_editor, type="primary", key="meth_to_editor")
        st.markdown(f"**{t('meth_draft_general')}**")
        st.dataframe(
            views.highlight_low_confidence(views.draft_general_table(result)), hide_index=True
        )
        st.markdown(f"**{t('meth_draft_criteria')}**")
        table = views.draft_criteria_table(result)
        st.dataframe(
            views.highlight_low_confidence(table),
            hide_index=True,
            height=table_height(len(table)),
        )
        st.caption(t("meth_low_help", threshold=views.LOW_CONFIDENCE))
        with st.expander(t("meth_all_fields")):
            st.dataframe(
                views.highlight_low_confidence(views.draft_fields_table(result)), hide_index=True
            )
    with right:
        st.markdown(f"#### {t('meth_source_header')}")
        numbers = [page.number for page in result.pages]
        lang = current_lang()  # bound now: AppTest calls format functions outside the script run
        number = st.selectbox(
            t("meth_page"),
            numbers,
            format_func=lambda n: t("meth_page_n", lang, n=n, total=len(numbers)),
            key=f"meth_page_{file_id}_{lang}",  # a new language: new option labels
        )
        page = next(p for p in result.pages if p.number == number)
        st.code(page.text or t("meth_page_no_text"), language=None, wrap_lines=True, height=420)
        for k, table in enumerate(views.page_tables(page), start=1):
            st.caption(t("meth_page_table", n=k))
            st.dataframe(table, hide_index=True)


# ---------------------------------------------------------------- editor


def general_fields(base: dict, doc: dict) -> None:
    """Name, id, language, client and eligibility, written into `doc`."""
    row = st.columns([3, 3, 2, 1, 1])
    for column, field, label in (
        (row[0], "name", "meth_f_name"),
        (row[1], "name_en", "meth_f_name_en"),
        (row[2], "id", "meth_f_id"),
    ):
        value = column.text_input(
            t(label), str(base.get(field) or ""), key=key(field), help=t(f"{label}_help")
        ).strip()
        if value or field != "name_en":
            doc[field] = value
        else:
            doc.pop(field, None)
    langs = list(LANGS)
    doc["language"] = row[3].selectbox(
        t("meth_f_language"),
        langs,
        index=langs.index(base["language"]) if base.get("language") in langs else 0,
        format_func=LANGS.get,
        key=key("language"),
    )
    client = row[4].text_input(
        t("meth_f_client"), str(base.get("client") or ""), key=key("client"),
        help=t("meth_f_client_help"),
    ).strip()  # fmt: skip
    if client:
        doc["client"] = client
    elif "client" in base:
        doc["client"] = None

    before = base.get("eligibility") if isinstance(base.get("eligibility"), dict) else {}
    eligibility = dict(before)
    row = st.columns([1, 1, 2])
    months = row[0].number_input(
        t("meth_f_track"),
        value=_number(before.get("min_track_record_months"), int),
        step=1,
        key=key("track"),
        placeholder=t("meth_no_rule"),
    )
    aum = row[1].number_input(
        t("meth_f_aum"),
        value=_number(before.get("min_aum"), float),
        step=1e9,
        format="%.0f",
        key=key("aum"),
        placeholder=t("meth_no_rule"),
        help=t("meth_f_aum_help"),
    )
    chosen = [c for c in before.get("categories") or [] if isinstance(c, str)]
    known = data.categories()
    categories = row[2].multiselect(
        t("meth_f_categories"),
        list(dict.fromkeys([*chosen, *known])),
        default=chosen,
        accept_new_options=True,
        key=key("categories"),
        placeholder=t("meth_all_categories"),
    )
    for field, value in (
        ("min_track_record_months", months),
        ("min_aum", None if aum is None else views.json_value(float(aum))),
        ("categories", categories or None),
    ):
        if value is None:
            eligibility.pop(field, None)
        else:
            eligibility[field] = value
    if eligibility or "eligibility" in base:
        doc["eligibility"] = eligibility


def _number(value: object, kind: type) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return kind(value)


def _labelled(prefix: str):
    """A format_func that translates option `v` with the key `<prefix>_<v>` in today's language."""
    lang = current_lang()  # bound now: AppTest calls format functions outside the script run
    return lambda value: t(f"{prefix}_{value}", lang) if value else ""


def criteria_columns(section_ids: list[str]) -> dict:
    """Column settings of the criteria table: choices for sections, indicators, windows, …"""
    config = st.column_config
    return {
        "section": config.SelectboxColumn(t("meth_c_section"), options=section_ids, required=True),
        "criterion": config.TextColumn(
            t("meth_c_criterion"), required=True, help=t("meth_id_help")
        ),
        "name_ko": config.TextColumn(t("meth_c_name_ko")),
        "name_en": config.TextColumn(t("meth_c_name_en")),
        "weight": config.NumberColumn(t("meth_c_weight"), help=t("meth_weight_help")),
        "effective_weight": config.NumberColumn(
            t("meth_c_effective"), disabled=True, format="%.2f", help=t("meth_effective_help")
        ),
        "measure": config.SelectboxColumn(
            t("meth_c_measure"), options=MEASURES, format_func=_labelled("meth_measure")
        ),
        "indicator": config.SelectboxColumn(
            t("meth_c_indicator"),
            options=list(INDICATORS),
            format_func=lambda k: f"{pick(INDICATORS[k].label_ko, INDICATORS[k].label)} ({k})",
        ),
        "window": config.SelectboxColumn(t("meth_c_window"), options=WINDOWS),
        "fallback_window": config.SelectboxColumn(t("meth_c_fallback"), options=WINDOWS),
        "qualitative": config.TextColumn(t("meth_c_qualitative"), help=t("meth_qual_help")),
        "direction": config.SelectboxColumn(
            t("meth_c_direction"), options=meth.DIRECTIONS, format_func=_labelled("meth_dir")
        ),
        "scoring": config.SelectboxColumn(
            t("meth_c_scoring"), options=meth.SCORING_METHODS, format_func=_labelled("meth_scoring")
        ),
        "bands": config.TextColumn(t("meth_c_bands"), help=t("meth_bands_help"), width="medium"),
    }


def editor(base: dict) -> None:
    """The working document as form fields, tables and JSON; validation; save and export."""
    doc = copy.deepcopy(base)
    read_problems: list = []

    st.markdown(f"#### {t('meth_general')}")
    general_fields(base, doc)
    general_slot = st.container()

    st.markdown(f"#### {t('meth_sections')}")
    st.caption(t("meth_sections_help"))
    config = st.column_config
    sections = st.data_editor(
        views.sections_frame(base),
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "id": config.TextColumn(t("meth_c_id"), required=True, help=t("meth_id_help")),
            "kind": config.SelectboxColumn(
                t("meth_c_kind"), options=meth.SECTION_KINDS, format_func=_labelled("meth_kind")
            ),
            "name_ko": config.TextColumn(t("meth_c_name_ko")),
            "name_en": config.TextColumn(t("meth_c_name_en")),
            "weight": config.NumberColumn(t("meth_c_weight"), help=t("meth_section_weight_help")),
        },
        key=key("sections"),
    )
    doc, renames = views.from_sections(doc, sections)
    old_ids = [s.get("id") for s in base.get("sections") or [] if isinstance(s, dict)]
    new_ids = [s.get("id") for s in doc["sections"]]
    sections_slot = st.container()

    st.markdown(f"#### {t('meth_criteria')}")
    st.caption(t("meth_criteria_help"))
    frame = views.criteria_frame(base)
    if frame is None:
        st.warning(t("meth_table_unavailable"), icon=":material/data_object:")
    else:
        edited = st.data_editor(
            frame,
            num_rows="dynamic",
            hide_index=True,
            column_config=criteria_columns([i for i in old_ids if isinstance(i, str)]),
            height=table_height(len(frame), editor=True),
            key=key("criteria"),
        )
        edited = edited.assign(section=edited["section"].replace(renames))
        gone = set(old_ids) - set(new_ids) - set(renames)
        edited = edited[~edited["section"].isin(gone)]  # criteria leave with their section
        try:
            doc = meth.from_criteria(doc, edited)
        except meth.MethodologyError as exc:
            read_problems += exc.problems
        except (AttributeError, KeyError, TypeError):
            read_problems.append(meth.Problem("$.sections", t("meth_table_unreadable")))
    criteria_slot = st.container()

    st.markdown(f"#### {t('meth_grades')}")
    method, bands = views.grade_frame(base)
    row = st.columns([1, 2])
    method = row[0].selectbox(
        t("meth_f_grade_method"),
        GRADE_METHODS,
        index=GRADE_METHODS.index(method),
        format_func=_labelled("meth_grade"),
        key=key("grade_method"),
        help=t("meth_grade_method_help"),
    )
    with row[1]:
        bands = st.data_editor(
            bands,
            hide_index=True,
            column_config={
                "grade": config.NumberColumn(t("meth_c_grade"), disabled=True),
                "bound": config.NumberColumn(t("meth_c_bound"), help=t("meth_bound_help")),
            },
            key=key("grades"),
        )
    doc = views.from_grade_frame(doc, method, bands)
    grades_slot = st.container()

    if new_ids != old_ids:  # sections added, removed or renamed: rebuild the criteria choices
        open_document(doc, st.session_state.get("meth_source"))
        st.rerun()
    st.session_state["meth_current"] = doc

    problems = read_problems + [p for p in meth.validate(doc) if p not in read_problems]
    for slot, group in (
        (general_slot, "general"),
        (sections_slot, "sections"),
        (criteria_slot, "criteria"),
        (grades_slot, "grades"),
    ):
        with slot:
            show_problems(problems, group)

    text = json.dumps(doc, ensure_ascii=False, indent=2)
    with st.expander(t("meth_json"), icon=":material/data_object:"):
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        typed = st.text_area(
            t("meth_json_area"), text, height=420, key=f"meth_json_{gen()}_{digest}"
        )
        if st.button(t("meth_btn_apply_json"), disabled=typed == text, key="meth_json_apply"):
            try:
                applied = meth.load(typed)
            except meth.MethodologyError as exc:
                st.error(f"**{t('meth_json_invalid')}**\n\n{exc}", icon=":material/block:")
            else:
                open_document(applied, st.session_state.get("meth_source"))
                flash(t("meth_json_applied"), "info", "meth_edit", EDIT_ICON)
                st.rerun()

    st.markdown(f"#### {t('meth_save_header')}")
    if problems:
        st.warning(t("meth_problems", n=len(problems)), icon=":material/block:")
    else:
        st.success(t("meth_valid"), icon=":material/verified:")
    row = st.columns([3, 2, 2, 2], vertical_alignment="bottom")  # room for the button labels
    note = row[0].text_input(t("meth_f_note"), key=key("note"), placeholder=t("meth_note_hint"))
    user = row[1].text_input(
        t("meth_f_user"), ui.user_name(), key="meth_user", disabled=ui.logged_in()
    )
    save = row[2].button(
        t("meth_btn_save"), type="primary", disabled=bool(problems), key="meth_save"
    )
    row[3].download_button(
        t("meth_btn_export"),
        text,
        file_name=f"{doc.get('id') or 'methodology'}.json",
        mime="application/json",
        on_click="ignore",
        key="meth_export",
    )
    if save:
        save_document(doc, note.strip() or None, ui.author(user))


def save_document(doc: dict, note: str | None, user: str) -> None:
    latest = versions_of(data.methodology_versions(), doc.get("id"))
    source = st.session_state.get("meth_source")

    def save() -> int:
        with connect(ui.home()) as con:
            return meth.save_version(con, doc, created_by=user, note=note, source_file=source)

    version = ui.guarded(save)
    data.after_write()
    if version is None:
        return
    if latest is not None and version <= latest:
        flash(t("meth_saved_same", id=doc["id"], version=version), "info", "meth_edit", EDIT_ICON)
    else:
        flash(t("meth_saved", id=doc["id"], version=version), where="meth_edit")
    saved = ("meth_opened_saved", {"id": doc["id"], "version": version})
    open_document({**doc, "version": version}, source, origin=saved)
    st.rerun()
