"""The Streamlit entry point: `streamlit run workbench/app.py` (what `make run` starts).

Pages live in `pages/`; adding one is one line in PAGES. The sidebar carries the language
switch, the state folder, the synthetic-data badge and who is logged in. While the store has no
user the app runs in single-user mode (a banner says so on every page); otherwise it asks for a
log-in first and shows each role only its pages (`workbench/web/auth.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run` puts only workbench/ on the path
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from store.db import held  # noqa: E402
from store.home import private_umask  # noqa: E402
from workbench.i18n import t  # noqa: E402
from workbench.web import auth, ui  # noqa: E402

private_umask()  # uploads and the database are private to the user

# (file in pages/, title key in workbench/i18n/, icon); the first is the default page.
PAGES = [
    ("home", "nav_home", ":material/home:"),
    ("data", "nav_data", ":material/database:"),
    ("methodology", "nav_methodology", ":material/rule:"),
    ("training", "nav_training", ":material/model_training:"),
    ("runs", "nav_runs", ":material/history:"),
    ("review", "nav_review", ":material/rate_review:"),
    ("cycle", "nav_cycle", ":material/event_repeat:"),
    ("validation", "nav_validation", ":material/query_stats:"),
]
ADMIN_PAGES = [("admin", "nav_admin", ":material/admin_panel_settings:")]
CLIENT_PAGES = [("client_dashboard", "nav_client", ":material/dashboard:")]
# The pages each role may open; a page not listed for a role cannot be reached by its URL.
ROLE_PAGES = {
    "analyst": PAGES,
    "admin": PAGES + ADMIN_PAGES,
    "client": CLIENT_PAGES,
}

# An emoji favicon is an inline SVG; a material icon would be fetched from fonts.gstatic.com.
st.set_page_config(page_title="LEARN-GRPO", page_icon="📊", layout="wide")
# A render keeps the database open once it reads it, so its many short reads do not each
# reopen the file (a busy file is reported by the page's own reads).
with held():
    user = auth.gate()  # stops here with the log-in form while nobody is logged in
    ui.sidebar(show_home=auth.role() != "client")
    auth.sidebar(user)
    if user is None:
        auth.single_user_banner()
    navigation = st.navigation(
        [
            st.Page(ui.page_path(name), title=t(title), icon=icon, default=index == 0)
            for index, (name, title, icon) in enumerate(ROLE_PAGES[auth.role()])
        ]
    )
    navigation.run()
