"""The Streamlit entry point: `streamlit run workbench/app.py` (what `make run` starts).

Pages live in `pages/`; adding one is one line in PAGES. The sidebar carries the language
switch, the state folder and the synthetic-data badge.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run` puts only workbench/ on the path
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from workbench import ui  # noqa: E402
from workbench.i18n import t  # noqa: E402

# (file in pages/, title key in workbench/i18n.py, icon); the first is the default page.
PAGES = [
    ("home", "nav_home", ":material/home:"),
    ("data", "nav_data", ":material/database:"),
    ("methodology", "nav_methodology", ":material/rule:"),
    ("training", "nav_training", ":material/model_training:"),
    ("runs", "nav_runs", ":material/history:"),
    ("review", "nav_review", ":material/rate_review:"),
    ("validation", "nav_validation", ":material/query_stats:"),
]

# An emoji favicon is an inline SVG; a material icon would be fetched from fonts.gstatic.com.
st.set_page_config(page_title="LEARN-GRPO", page_icon="📊", layout="wide")
ui.sidebar()
navigation = st.navigation(
    [
        st.Page(ui.page_path(name), title=t(title), icon=icon, default=index == 0)
        for index, (name, title, icon) in enumerate(PAGES)
    ]
)
navigation.run()
