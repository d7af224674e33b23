"""Methodology: draft one from a PDF, edit and validate it, save numbered versions, compare them,
choose the active version per client and preview the scores a version gives the loaded funds.

The working document and its editor are `workbench.web.views_methodology`'s; each run reads the
editor's widgets back into a document and validates it.
"""

from __future__ import annotations

import streamlit as st

from engine import methodology as meth
from engine.methodology.extract.pdf import ExtractionError, extract
from store.db import connect
from workbench.i18n import current_lang, fmt_date, t
from workbench.web import data, ui, views
from workbench.web import views_methodology as vm
from workbench.web.flash import flash, keep_tab, open_tab_next, show_flash

# ---------------------------------------------------------------- extract tab


def run_extraction(name: str, content: bytes) -> dict:
    """Save the upload, extract a draft inside a status box; {'result'} or {'error'}."""
    path = ui.save_upload(ui.home(), name, content)
    with st.status(t("meth_extracting", name=name), expanded=False) as status:
        try:
            result = extract(path)
        except Exception as exc:  # ExtractionError, or an extractor bug: never take the page down
            path.unlink(missing_ok=True)  # a refused document is not kept
            status.update(label=t("meth_extract_failed", name=name), state="error")
            if isinstance(exc, ExtractionError):
                return {"error": str(exc).replace(path.name, name)}
            return {"error": f"{name}: {type(exc).__name__}: {exc}"}
        status.update(
            label=t("meth_extract_done", name=name, pages=len(result.pages)), state="complete"
        )
    vm.open_document(result.draft, source_file=name, origin=("meth_opened_draft", {"name": name}))
    return {"result": result}


def extract_tab() -> None:
    pdf = st.file_uploader(
        t("meth_pdf_label"), type=["pdf"], help=t("meth_pdf_help"), key="meth_pdf"
    )
    if pdf is None:
        st.info(t("meth_pdf_empty"), icon=":material/upload_file:")
        return
    runs = st.session_state.setdefault("meth_extractions", {})  # file_id -> outcome
    if pdf.file_id not in runs:
        runs[pdf.file_id] = run_extraction(pdf.name, pdf.getvalue())
    outcome = runs[pdf.file_id]
    if "error" in outcome:
        st.error(
            f"**{t('meth_pdf_refused')}**\n\n{outcome['error']}\n\n{t('meth_nothing_saved')}",
            icon=":material/block:",
        )
    else:
        vm.show_extraction(outcome["result"], pdf.file_id)


# ---------------------------------------------------------------- edit tab


def start_controls(has_doc: bool) -> None:
    """Open another document: a blank one or an imported JSON file (saved versions: Versions tab)."""
    with st.container(border=True):
        st.markdown(f"**{t('meth_open_header')}**")
        left, right = st.columns([1, 2], vertical_alignment="center")
        if left.button(t("meth_btn_blank"), icon=":material/note_add:", key="meth_blank"):
            vm.open_document(meth.blank(current_lang()), origin=("meth_opened_blank", {}))
            st.rerun()
        upload = right.file_uploader(t("meth_json_label"), type=["json"], key="meth_json_file")
        if upload is not None:
            imports = st.session_state.setdefault("meth_imports", {})  # file_id -> error or None
            if upload.file_id not in imports:
                try:
                    doc = meth.load(upload.getvalue())
                except meth.MethodologyError as exc:
                    imports[upload.file_id] = str(exc).replace("the methodology", upload.name, 1)
                else:
                    imports[upload.file_id] = None
                    origin = ("meth_opened_json", {"name": upload.name})
                    vm.open_document(doc, source_file=upload.name, origin=origin)
                    st.rerun()
            if imports[upload.file_id]:
                st.error(
                    f"**{t('meth_json_refused')}**\n\n{imports[upload.file_id]}",
                    icon=":material/block:",
                )
        if has_doc:
            st.caption(t("meth_replace_hint"))


def edit_tab() -> None:
    show_flash("meth_edit")
    base = st.session_state.get("meth_doc")
    start_controls(base is not None)
    if base is None:
        st.info(t("meth_edit_empty"), icon=":material/edit_note:")
        return
    origin, fields = st.session_state.get("meth_origin", ("meth_opened_blank", {}))
    st.info(t(origin, **fields), icon=":material/edit_note:")
    vm.editor(base)


# ---------------------------------------------------------------- versions tab


def set_active(chosen: tuple[str, int], client: str) -> None:
    def activate() -> bool:
        with connect(ui.home()) as con:
            meth.set_active(con, *chosen, client, set_by=ui.user_name())
        return True

    done = ui.guarded(activate)
    data.after_write()
    if done:
        who = t("meth_all_clients") if client == "*" else client
        flash(
            t("meth_activated", id=chosen[0], version=chosen[1], client=who), where="meth_versions"
        )
        st.rerun()


def score_preview(chosen: tuple[str, int], label: str) -> None:
    with st.spinner(t("meth_scoring_run", label=label)):
        try:
            scores = ui.guarded(data.scores, *chosen)
        except Exception as exc:  # an indicator or scorer bug must not take the page down
            st.error(f"{t('meth_preview_failed')}: {type(exc).__name__}: {exc}")
            return
    if scores is None:
        return
    graded = int(scores["grade"].notna().sum())
    st.caption(
        t("meth_preview_caption", as_of=fmt_date(scores.attrs.get("as_of")), funds=len(scores),
          graded=graded)
    )  # fmt: skip
    counts = views.grade_counts(scores)
    left, right = st.columns([2, 3])
    left.plotly_chart(views.grade_chart(counts), key="meth_grade_chart")
    right.dataframe(counts, hide_index=True)
    st.dataframe(views.scores_table(scores), hide_index=True, height=320)


def versions_tab(state: dict) -> None:
    show_flash("meth_versions")
    versions = data.methodology_versions()
    if versions.empty:
        st.info(t("meth_versions_empty"), icon=":material/history:")
        return
    st.dataframe(views.versions_table(versions), hide_index=True)
    keys = [(str(r.methodology_id), int(r.version)) for r in versions.itertuples()]
    labels = {k: f"{k[0]} v{k[1]} · {name}" for k, name in zip(keys, versions["name"], strict=True)}
    if st.session_state.get("meth_versions_seen") != keys:  # a new version: show the newest
        for name in ("meth_view", "meth_diff_a", "meth_diff_b"):
            st.session_state.pop(name, None)
        st.session_state["meth_versions_seen"] = keys

    st.markdown(f"#### {t('meth_view_header')}")
    chosen = st.selectbox(t("meth_pick_version"), keys, format_func=labels.get, key="meth_view")
    doc = data.methodology_doc(*chosen)
    left, right = st.columns(2)
    with left:
        st.caption(t("meth_summary_label"))
        st.code(meth.summary(doc, current_lang()), language=None, wrap_lines=True)
    with right:
        st.caption(t("meth_json_label_view"))
        st.json(doc, expanded=1)
    if st.button(t("meth_btn_open"), icon=":material/edit:", key="meth_open_version"):
        vm.open_document(doc, origin=("meth_opened_version", {"label": labels[chosen]}))
        open_tab_next("meth_tab", t("meth_tab_edit"))
        st.rerun()

    st.markdown(f"#### {t('meth_active_header')}")
    row = st.columns([1, 1, 2], vertical_alignment="bottom")
    client = row[0].text_input(
        t("meth_f_active_client"), "*", key="meth_client", help=t("meth_client_help")
    ).strip() or "*"  # fmt: skip
    if row[1].button(t("meth_btn_activate"), key="meth_activate"):
        set_active(chosen, client)
    current = data.active_methodology(client)
    who = t("meth_all_clients") if client == "*" else client
    row[2].markdown(
        t("meth_active_now", client=who, label=labels.get(current, "–"))
        if current
        else t("meth_active_none", client=who)
    )

    st.markdown(f"#### {t('meth_diff_header')}")
    row = st.columns(2)
    same_id = len(keys) > 1 and keys[1][0] == keys[0][0]
    a = row[0].selectbox(
        t("meth_diff_a"), keys, index=1 if same_id else 0, format_func=labels.get,
        key="meth_diff_a",
    )  # fmt: skip
    b = row[1].selectbox(t("meth_diff_b"), keys, index=0, format_func=labels.get, key="meth_diff_b")
    if a == b:
        st.info(t("meth_diff_same_version"))
    else:
        changes = meth.diff(data.methodology_doc(*a), data.methodology_doc(*b))
        if changes:
            st.caption(t("meth_diff_count", n=len(changes)))
            st.dataframe(views.diff_table(changes), hide_index=True)
        else:
            st.info(t("meth_diff_none"))

    st.markdown(f"#### {t('meth_preview_header')}")
    if state["funds"] == 0 or state["nav_rows"] == 0:
        st.info(t("meth_preview_no_data"), icon=":material/database:")
    elif st.toggle(t("meth_preview_toggle", label=labels[chosen]), key="meth_preview"):
        score_preview(chosen, labels[chosen])


# ---------------------------------------------------------------- page

st.title(t("meth_title"))
state = data.summary()
ui.demo_banner(state)
vm.keep_unsaved_edits()
empty_slot = st.empty()  # filled at the end, once this run's upload or import has been read

TABS = {
    "extract": t("meth_tab_extract"),
    "edit": t("meth_tab_edit"),
    "versions": t("meth_tab_versions"),
}
# the tab a button asked for; the open tab survives a language switch
keep_tab("meth_tab", TABS, "meth_tab")
# Links open a tab with ?tab=edit (or extract, versions).
tab_extract, tab_edit, tab_versions = st.tabs(
    list(TABS.values()),
    default=TABS.get(st.query_params.get("tab", "")),
    key="meth_tab",
    on_change="rerun",
)
with tab_extract:
    extract_tab()
with tab_edit:
    edit_tab()
with tab_versions:
    versions_tab(state)
if st.session_state.get("meth_doc") is None and data.methodology_versions().empty:
    empty_slot.info(t("meth_empty"), icon=":material/lightbulb:")
