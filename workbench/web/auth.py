"""Log-in for the app: single-user mode while the store has no users, else a log-in form.

The logged-in user's name lives in `st.session_state["auth_user"]` (server side). Every rerun
checks it against the users table again (cached until the database changes), so a user who is
disabled meanwhile is logged out at its next click. Which pages a user sees is decided by its
role in `workbench/app.py`; pages that must not be shown to a role also call `require_role`.
"""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from engine.clients.users import LOCAL_ADDRESS, SINGLE_USER, count_users, get_user, login
from store.db import StoreBusyError, connect
from store.home import Home
from workbench.i18n import LANGS, t
from workbench.web import data, ui
from workbench.web.views_client import show_secret

SESSION_KEY = "auth_user"
KEEP_ON_LOGOUT = ("lang",)  # session keys a log-out keeps; everything else is forgotten
SINGLE_USER_ROLE = "admin"  # in single-user mode the one user may do everything but be a client


@st.cache_data(show_spinner=False, max_entries=64)
def _lookup(stamp: tuple[str, int, int], name: str | None) -> tuple[int, dict | None]:
    """(number of users, the user `name` or None), read once per database state."""
    with connect(Home(Path(stamp[0]))) as con:
        return count_users(con), (get_user(con, name) if name else None)


def _state(name: str | None = None) -> tuple[int, dict | None]:
    try:
        return _lookup(data.db_stamp(ui.home()), name)
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
        st.stop()
        raise  # unreachable: st.stop raises


def single_user_mode() -> bool:
    """True while the store holds no user: no log-in, writes recorded as "single-user"."""
    return _state()[0] == 0


def current_user() -> dict | None:
    """The logged-in, enabled user of this session (None in single-user mode or logged out)."""
    name = st.session_state.get(SESSION_KEY)
    if not name:
        return None
    _, user = _state(str(name))
    if user is None or user["disabled"]:
        logout(rerun=False)
        return None
    return user


def user_name() -> str | None:
    """The logged-in user's name, or None when nobody is logged in."""
    user = current_user()
    return user["user_name"] if user else None


def role() -> str:
    """The role of this session: the user's, or admin rights in single-user mode."""
    user = current_user()
    if user:
        return str(user["role"])
    return SINGLE_USER_ROLE if single_user_mode() else ""


def logout(rerun: bool = True) -> None:
    """Forget the session (but its language), then show the log-in form."""
    for key in list(st.session_state.keys()):
        if key not in KEEP_ON_LOGOUT:
            del st.session_state[key]
    if rerun:
        st.rerun()


def client_address() -> str:
    """The browser's address as the server sees it (the TCP peer, not a forwarded header),
    or `LOCAL_ADDRESS` where there is none (a browser on this machine, a test)."""
    address = getattr(st.context, "ip_address", None)
    return address if isinstance(address, str) and address else LOCAL_ADDRESS


def _attempt(name: str, password: str) -> None:
    try:
        result = login(ui.home(), name, password, address=client_address())
    except StoreBusyError as exc:
        st.error(str(exc))
        return
    st.cache_data.clear()  # the users table changed (failed count or last log-in)
    if result.ok:
        st.session_state[SESSION_KEY] = result.user["user_name"]
        st.rerun()
    elif result.reason == "disabled":
        st.error(t("auth_disabled"), icon=":material/block:")
    elif result.reason == "throttled":
        st.error(t("auth_throttled", s=math.ceil(result.retry_after_s)), icon=":material/timer:")
    else:
        st.error(t("auth_bad"), icon=":material/lock:")
        if result.retry_after_s > 0:
            st.warning(t("auth_slow", s=math.ceil(result.retry_after_s)))


def login_form() -> None:
    """The log-in form (shown instead of any page while nobody is logged in)."""
    with st.sidebar:
        st.radio(t("lang_label"), list(LANGS), format_func=LANGS.get, key="lang", horizontal=True)
    st.title(t("app_title"))

    show_secret()  # the password of a first user just added from single-user mode
    st.subheader(t("auth_title"))
    with st.form("auth_login"):
        name = st.text_input(t("auth_name"), key="auth_name")
        password = st.text_input(t("auth_password"), type="password", key="auth_password")
        submitted = st.form_submit_button(t("auth_submit"), type="primary")
    if submitted:
        if not name.strip() or not password:
            st.error(t("auth_missing"))
        else:
            _attempt(name.strip(), password)
    st.caption(t("auth_help"))


def gate() -> dict | None:
    """Let the page run: None in single-user mode, the user when logged in; otherwise show
    the log-in form and stop the script."""
    if single_user_mode():
        return None
    user = current_user()
    if user is not None:
        return user
    login_form()
    st.stop()
    return None  # unreachable


def require_role(*roles: str) -> None:
    """Stop the page unless this session's role is one of `roles`."""
    if role() not in roles:
        st.error(t("auth_forbidden"), icon=":material/block:")
        st.stop()


def client_id() -> str | None:
    """The client of the logged-in client user (None for every other session)."""
    user = current_user()
    return user["client_id"] if user and user["role"] == "client" else None


def sidebar(user: dict | None) -> None:
    """Who is logged in, with the log-out button; or the single-user mode's note."""
    with st.sidebar:
        if user is None:
            st.caption(t("auth_single_user_short"))
            return
        label = t("auth_as", name=user["user_name"], role=t(f"auth_role_{user['role']}"))
        if user.get("client_id"):
            label += f" · {user['client_id']}"
        st.markdown(label)
        if st.button(t("auth_logout"), key="auth_logout", icon=":material/logout:"):
            logout()


def single_user_banner() -> None:
    """The note every page shows in single-user mode: what it means and how to turn log-in on."""
    st.info(t("auth_single_user", user=SINGLE_USER), icon=":material/person:")
