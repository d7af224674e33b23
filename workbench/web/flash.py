"""Messages shown once, after the rerun that follows an action, and tabs a button opens on the
next run: the session-state plumbing the pages share."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from workbench.i18n import LANGS, t

ICONS = {
    "success": ":material/check_circle:",
    "info": ":material/info:",
    "warning": ":material/warning:",
    "error": ":material/block:",
}
SHOW: dict[str, Callable[..., object]] = {
    "success": st.success,
    "info": st.info,
    "warning": st.warning,
    "error": st.error,
}


def _key(where: str) -> str:
    return f"flash_{where}"


def flash(
    message: str, kind: str = "success", where: str = "page", icon: str | None = None
) -> None:
    """Keep `message` to show once, at `show_flash(where)` on the next run."""
    st.session_state[_key(where)] = (kind, message, icon)


def show_flash(where: str = "page") -> None:
    """Show (and forget) the message kept for `where`, if any."""
    found = st.session_state.pop(_key(where), None)
    if found is None:
        return
    kind, message, icon = found
    SHOW[kind](message, icon=icon or ICONS[kind])


def open_tab_next(key: str, label: str) -> None:
    """Ask for the tab `label` of the st.tabs keyed `key` to be open on the next run."""
    st.session_state[f"{key}_next"] = label


def keep_tab(key: str, labels: dict[str, str], text_prefix: str) -> None:
    """Before drawing the st.tabs keyed `key` (`labels`: tab id -> label): open the tab a button
    asked for, and keep the open tab across a language switch (tab labels are the i18n texts
    `<text_prefix>_<tab id>`)."""
    if f"{key}_next" in st.session_state:
        st.session_state[key] = st.session_state.pop(f"{key}_next")
    shown = st.session_state.get(key)
    if shown is None or shown in labels.values():
        return
    st.session_state.pop(key)
    for tab_id, label in labels.items():
        if shown in (t(f"{text_prefix}_{tab_id}", lang) for lang in LANGS):
            st.session_state[key] = label
