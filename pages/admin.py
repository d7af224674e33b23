"""Admin: users, clients and their API keys, the model registry, releases and the API audit log.

Every write names the logged-in admin (`ui.user_name()`); new passwords and keys are shown once.
"""

from __future__ import annotations

import streamlit as st

from engine.clients import clients, registry, releases, users
from engine.clients.password_policy import MIN_LENGTH, password_refusal
from workbench.i18n import t
from workbench.web import auth, data, ui
from workbench.web import views_client as vc
from workbench.web.flash import flash, show_flash

auth.require_role("admin")
me = ui.user_name()
st.title(t("adm_title"))
vc.show_secret()
show_flash("adm")

client_table = data.client_list()
client_ids = list(client_table["client_id"]) if client_table is not None else []
client_names = dict(zip(client_ids, client_table["name"], strict=True)) if client_ids else {}


def client_label(client_id: str) -> str:
    """'c-0001 · Name' (or 'all clients' for '*')."""
    if client_id == registry.ALL_CLIENTS:
        return t("adm_all_clients")
    return f"{client_id} · {client_names.get(client_id, '')}"


tab_users, tab_clients, tab_models, tab_releases, tab_audit = st.tabs(
    [t("adm_tab_users"), t("adm_tab_clients"), t("adm_tab_models"), t("adm_tab_releases"),
     t("adm_tab_audit")]
)  # fmt: skip

# ---------------------------------------------------------------- users
with tab_users:
    user_rows = data.user_list()
    if user_rows:
        st.dataframe(user_rows, hide_index=True, key="adm_users_table")
    else:
        st.info(t("adm_no_users"))
    with st.form("adm_user_add", clear_on_submit=True):
        st.markdown(f"**{t('adm_user_add')}**")
        cols = st.columns(4)
        name = cols[0].text_input(t("auth_name"), key="adm_new_name")
        role = cols[1].selectbox(
            t("adm_role"), users.ROLES, format_func=lambda r: t(f"auth_role_{r}"), key="adm_role"
        )
        client = cols[2].selectbox(
            t("adm_client_for_user"), [None, *client_ids],
            format_func=lambda c: "–" if c is None else client_label(c), key="adm_user_client",
        )  # fmt: skip
        password = cols[3].text_input(
            t("adm_password_optional"), type="password", key="adm_new_password"
        )
        submitted = st.form_submit_button(t("adm_user_add"), type="primary")
        refusal = password_refusal(password, name) if submitted and password else None
        if refusal:
            st.error(t(f"pw_{refusal.code}", n=MIN_LENGTH), icon=":material/block:")
        elif submitted:
            chosen = password or users.generate_password()
            added = vc.write(
                users.add_user, name, role, chosen,
                client_id=client if role == "client" else None, created_by=me,
            )  # fmt: skip
            if added and password:
                flash(t("adm_user_added", name=added["user_name"]), where="adm")
                st.rerun()
            elif added:
                vc.remember_secret(t("adm_user_added", name=added["user_name"]), chosen)
                st.rerun()
    if user_rows:
        names = [u["user_name"] for u in user_rows]
        cols = st.columns([2, 1, 1, 1])
        picked = cols[0].selectbox(t("adm_pick_user"), names, key="adm_pick_user")
        if cols[1].button(t("adm_disable"), key="adm_disable"):
            if vc.write(users.set_disabled, picked, True):
                st.rerun()
        if cols[2].button(t("adm_enable"), key="adm_enable"):
            if vc.write(users.set_disabled, picked, False):
                st.rerun()
        if cols[3].button(t("adm_reset_password"), key="adm_reset"):
            fresh = users.generate_password()
            if vc.write(users.set_password, picked, fresh):
                vc.remember_secret(t("adm_password_reset", name=picked), fresh)
                st.rerun()

# ---------------------------------------------------------------- clients and keys
with tab_clients:
    if client_ids:
        st.dataframe(client_table, hide_index=True, key="adm_clients_table")
    else:
        st.info(t("adm_no_clients"))
    with st.form("adm_client_create", clear_on_submit=True):
        st.markdown(f"**{t('adm_client_create')}**")
        cname = st.text_input(t("adm_client_name"), key="adm_client_name")
        companies = data.companies() or []
        company = st.selectbox(
            t("adm_client_company"), [None, *companies],
            format_func=lambda c: "–" if c is None else c, key="adm_client_company",
        )  # fmt: skip
        fund_text = st.text_input(t("adm_client_funds"), key="adm_client_funds")
        if st.form_submit_button(t("adm_client_create"), type="primary"):
            fund_ids = [f.strip() for f in fund_text.replace(";", ",").split(",") if f.strip()]
            made = vc.write(
                clients.create_client, cname,
                fund_ids=None if company else fund_ids, company=company, by=me,
            )  # fmt: skip
            if made:
                vc.remember_secret(
                    t("adm_client_created", id=made["client_id"], n=made["n_funds"]), made["key"]
                )
                st.rerun()
    if client_ids:
        st.markdown(f"**{t('adm_keys')}**")
        key_client = st.selectbox(
            t("adm_pick_client"), client_ids, format_func=client_label, key="adm_key_client"
        )
        keys = data.api_keys(key_client)
        st.dataframe(keys, hide_index=True, key="adm_keys_table")
        cols = st.columns([2, 1, 1])
        active = list(keys.loc[keys["active"], "key_id"]) if len(keys) else []
        key_id = cols[0].selectbox(t("adm_pick_key"), active, key="adm_pick_key")
        if cols[1].button(t("adm_revoke_key"), key="adm_revoke", disabled=not active):
            if vc.write(clients.revoke_key, key_id, by=me):
                st.rerun()
        if cols[2].button(t("adm_new_key"), key="adm_new_key"):
            made = vc.write(clients.create_key, key_client, by=me)
            if made:
                vc.remember_secret(t("adm_key_created", id=key_client), made["key"])
                st.rerun()
        st.markdown(f"**{t('adm_client_edit', id=key_client)}**")
        current = data.client_funds(key_client)
        every_fund = data.funds()["fund_id"].tolist()
        chosen_funds = st.multiselect(
            t("adm_client_funds_pick"), every_fund, default=current, key=f"adm_funds_{key_client}"
        )
        cols = st.columns(3)
        if cols[0].button(t("adm_save_funds"), key="adm_save_funds"):
            saved = vc.write(clients.set_client_funds, key_client, chosen_funds, by=me)
            if saved is not None:
                flash(t("adm_funds_saved", id=key_client, n=saved), where="adm")
                st.rerun()
        disabled_now = bool(client_table.set_index("client_id").loc[key_client, "disabled"])
        toggle = "adm_enable_client" if disabled_now else "adm_disable_client"
        if cols[1].button(t(toggle), key="adm_toggle_client"):
            vc.write(clients.set_disabled, key_client, not disabled_now, by=me)
            st.rerun()

# ---------------------------------------------------------------- model registry
with tab_models:
    models = data.approved_models()
    if models is not None and len(models):
        st.dataframe(models, hide_index=True, key="adm_models_table")
    else:
        st.info(t("adm_no_models"))
    finished = [r["run_id"] for r in ui.run_list() if r.get("state") == "finished"]
    with st.form("adm_promote"):
        st.markdown(f"**{t('adm_promote')}**")
        cols = st.columns(3)
        run_id = cols[0].selectbox(t("adm_run"), finished, key="adm_run")
        scope = cols[1].selectbox(
            t("adm_scope"), [registry.ALL_CLIENTS, *client_ids], format_func=client_label,
            key="adm_scope",
        )  # fmt: skip
        reason = cols[2].text_input(t("adm_reason"), key="adm_reason")
        left, right = st.columns(2)
        approve = left.form_submit_button(t("adm_approve"), type="primary")
        retire = right.form_submit_button(t("adm_retire"))
        if (approve or retire) and run_id:
            action = registry.approve if approve else registry.retire
            if vc.write(action, run_id, client_id=scope, by=me, reason=reason):
                st.rerun()
    st.markdown(f"**{t('adm_history')}**")
    st.dataframe(data.registry_history(), hide_index=True, key="adm_history_table")

# ---------------------------------------------------------------- releases
with tab_releases:
    published = data.release_list()
    if published is not None and len(published):
        st.dataframe(published, hide_index=True, key="adm_releases_table")
    else:
        st.info(t("adm_no_releases"))
    with st.form("adm_publish"):
        st.markdown(f"**{t('adm_publish')}**")
        cols = st.columns(3)
        rel_client = cols[0].selectbox(
            t("adm_pick_client"), client_ids, format_func=client_label, key="adm_rel_client"
        )
        as_of = cols[1].text_input(t("adm_as_of"), key="adm_rel_as_of")
        note = cols[2].text_input(t("adm_note"), key="adm_rel_note")
        if st.form_submit_button(t("adm_publish"), type="primary") and rel_client:
            made = vc.write(
                releases.publish, rel_client,
                as_of=as_of.strip() or None, by=me, note=note.strip() or None,
            )  # fmt: skip
            if made:
                flash(
                    t("adm_published", id=rel_client, version=made["version"], n=made["n_funds"]),
                    where="adm",
                )
                st.rerun()

# ---------------------------------------------------------------- API audit log
with tab_audit:
    cols = st.columns(3)
    audit_client = cols[0].selectbox(
        t("adm_pick_client"), [None, *client_ids],
        format_func=lambda c: t("adm_all_clients") if c is None else client_label(c),
        key="adm_audit_client",
    )  # fmt: skip
    status_class = cols[1].selectbox(
        t("adm_status"), ["all", "2xx", "4xx", "5xx"],
        format_func=lambda c: t("adm_all_statuses") if c == "all" else c, key="adm_audit_status",
    )  # fmt: skip
    path_part = cols[2].text_input(t("adm_path_contains"), key="adm_audit_path")
    log = data.audit_log(audit_client)
    if log is not None and len(log):
        if status_class != "all":
            low = int(status_class[0]) * 100
            log = log[(log["status"] >= low) & (log["status"] < low + 100)]
        if path_part.strip():
            log = log[log["path"].str.contains(path_part.strip(), regex=False)]
    calls = 0 if log is None else len(log)
    if calls and "calls" in log:  # an anonymous row stands for all its calls in that minute
        calls = int(log["calls"].fillna(1).sum())
    st.caption(t("adm_audit_rows", n=calls))
    st.dataframe(log, hide_index=True, key="adm_audit_table")
