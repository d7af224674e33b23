"""Looking a text up in the session's language."""

from __future__ import annotations

from workbench.i18n.tables import TEXT

LANGS = {"ko": "한국어", "en": "English"}
DEFAULT_LANG = "ko"


def current_lang() -> str:
    """The session's language ('ko' or 'en'); Korean outside a Streamlit session."""
    try:
        import streamlit as st

        lang = st.session_state.get("lang", DEFAULT_LANG)
    except Exception:  # no script run context (plain Python, tests of this module)
        return DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **fmt: object) -> str:
    """The text for `key` in `lang` (default: the session's), formatted with `fmt`."""
    ko, en = TEXT[key]
    text = en if (lang or current_lang()) == "en" else ko
    return text.format(**fmt) if fmt else text


def pick(ko: str | None, en: str | None, lang: str | None = None) -> str:
    """Whichever of two labels matches the language (for labels kept elsewhere, e.g. KINDS)."""
    chosen = en if (lang or current_lang()) == "en" else ko
    return chosen or ko or en or ""
