"""Rules of clients, API keys, the model registry and releases (docs/clients-format.md)."""

from __future__ import annotations

import pytest

from engine.clients import clients, registry, releases
from engine.clients.keys import verify_key
from store.clients import write_audit
from store.db import connect
from tests.test_api_support import AS_OF, add_evaluation, add_run, fund_ids


@pytest.fixture
def con(demo_home):
    with connect(demo_home) as connection:
        yield connection


# ---------------------------------------------------------------- clients and keys


def test_key_is_returned_once_and_only_its_salted_hash_is_stored(con) -> None:
    made = clients.create_client(con, "Alpha", fund_ids=fund_ids(con, 3), by="ann")
    key = made["key"]
    assert key.startswith(f"lgk_{made['key_id']}_")
    secret = key.split("_", 2)[2]
    stored = con.execute("SELECT * FROM api_keys").df().astype(str)
    assert not stored.apply(lambda col: col.str.contains(secret, regex=False)).any().any()
    row = con.execute("SELECT salt, key_hash, created_by FROM api_keys").fetchone()
    assert len(row[0]) == 32 and len(row[1]) == 64 and row[2] == "ann"
    assert verify_key(con, key) == {"key_id": made["key_id"], "client_id": "c-0001"}
    assert "key_hash" not in clients.list_keys(con).columns


def test_two_keys_with_the_same_secret_get_different_hashes(con) -> None:
    a = clients.create_client(con, "A", fund_ids=fund_ids(con, 1), by="t")
    b = clients.create_key(con, a["client_id"], by="t")
    hashes = {r[0] for r in con.execute("SELECT key_hash FROM api_keys").fetchall()}
    salts = {r[0] for r in con.execute("SELECT salt FROM api_keys").fetchall()}
    assert len(hashes) == 2 and len(salts) == 2 and a["key"] != b["key"]


@pytest.mark.parametrize(
    "bad",
    ["", "Bearer x", "lgk_000000000000_" + "a" * 43, "lgk_zz_abc", "nonsense"],
)
def test_unknown_or_malformed_keys_do_not_verify(con, bad) -> None:
    clients.create_client(con, "A", fund_ids=fund_ids(con, 1), by="t")
    assert verify_key(con, bad) is None


def test_a_tampered_secret_does_not_verify(con) -> None:
    key = clients.create_client(con, "A", fund_ids=fund_ids(con, 1), by="t")["key"]
    last = "A" if key[-1] != "A" else "B"
    assert verify_key(con, key[:-1] + last) is None


def test_revoked_keys_and_disabled_clients_stop_verifying(con) -> None:
    made = clients.create_client(con, "A", fund_ids=fund_ids(con, 1), by="t")
    second = clients.create_key(con, made["client_id"], by="t")
    assert clients.revoke_key(con, made["key_id"], by="boss") is True
    assert clients.revoke_key(con, made["key_id"], by="boss") is False
    assert verify_key(con, made["key"]) is None
    assert verify_key(con, second["key"]) is not None
    clients.set_disabled(con, made["client_id"], True, by="boss")
    assert verify_key(con, second["key"]) is None
    clients.set_disabled(con, made["client_id"], False, by="boss")
    assert clients.revoke_client_keys(con, made["client_id"], by="boss") == 1
    assert verify_key(con, second["key"]) is None
    keys = clients.list_keys(con, made["client_id"])
    assert not keys["active"].any() and set(keys["revoked_by"]) == {"boss"}


def test_client_ids_are_sequential_and_names_unique(con) -> None:
    funds = fund_ids(con, 2)
    assert clients.create_client(con, "A", fund_ids=funds, by="t")["client_id"] == "c-0001"
    assert clients.create_client(con, "B", fund_ids=funds, by="t")["client_id"] == "c-0002"
    with pytest.raises(clients.ClientError, match="exists already"):
        clients.create_client(con, "A", fund_ids=funds, by="t")
    listed = clients.list_clients(con)
    assert list(listed["client_id"]) == ["c-0001", "c-0002"]
    assert list(listed["n_funds"]) == [2, 2] and list(listed["n_keys"]) == [1, 1]


def test_client_funds_by_company_and_unknown_funds_refused(con) -> None:
    company, count = con.execute(
        "SELECT company_id, count(*) FROM funds GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    ).fetchone()
    made = clients.create_client(con, "Co", company=company, by="t")
    assert made["n_funds"] == count
    assert clients.client_funds(con, made["client_id"]) == clients.funds_of_company(con, company)
    with pytest.raises(clients.ClientError, match="unknown fund id"):
        clients.create_client(con, "X", fund_ids=["NOPE"], by="t")
    with pytest.raises(clients.ClientError, match="no funds"):
        clients.create_client(con, "Y", company="No Such Co", by="t")
    with pytest.raises(clients.ClientError, match="either"):
        clients.create_client(con, "Z", by="t")
    assert clients.set_client_funds(con, made["client_id"], fund_ids(con, 1), by="t") == 1
    assert clients.client_funds(con, made["client_id"]) == fund_ids(con, 1)


def test_audit_rows_are_written_in_a_batch_and_read_newest_first(con) -> None:
    rows = [
        {"called_at": f"2026-11-01 10:00:0{i}", "key_id": "k", "client_id": "c-0001",
         "method": "GET", "path": "/v1/funds", "status": 200 + i, "duration_ms": 1.5}
        for i in range(3)
    ]  # fmt: skip
    assert write_audit(con, rows) == 3
    log = clients.audit_log(con, client_id="c-0001")
    assert list(log["status"]) == [202, 201, 200]
    assert clients.audit_log(con, client_id="c-0009").empty


# ---------------------------------------------------------------- registry


def test_approve_needs_a_finished_run_and_a_reason(con) -> None:
    add_run(con, "run-0001", state="running")
    with pytest.raises(registry.RegistryError, match="only a finished run"):
        registry.approve(con, "run-0001", by="t", reason="good")
    with pytest.raises(registry.RegistryError, match="no run"):
        registry.approve(con, "run-0099", by="t", reason="good")
    add_run(con, "run-0002")
    with pytest.raises(registry.RegistryError, match="reason"):
        registry.approve(con, "run-0002", by="t", reason="  ")
    assert registry.current_model(con, "c-0001") is None


def test_one_approved_model_per_client_and_retire_falls_back(con) -> None:
    funds = fund_ids(con, 2)
    client = clients.create_client(con, "A", fund_ids=funds, by="t")["client_id"]
    other = clients.create_client(con, "B", fund_ids=funds, by="t")["client_id"]
    for run in ("run-0001", "run-0002", "run-0003"):
        add_run(con, run)
    registry.approve(con, "run-0001", client_id=client, by="ann", reason="first")
    registry.approve(con, "run-0002", client_id=client, by="ann", reason="better")
    assert registry.current_model(con, client)["run_id"] == "run-0002"
    models = registry.list_models(con).set_index("run_id")
    assert models.loc["run-0001", "state"] == "superseded"
    assert models.loc["run-0002", "state"] == "approved"
    registry.retire(con, "run-0002", client_id=client, by="bob", reason="drifted")
    current = registry.current_model(con, client)
    assert current["run_id"] == "run-0001" and current["promoted_by"] == "ann"
    # the all-clients approval applies where a client has none of its own
    registry.approve(con, "run-0003", by="ann", reason="house default")
    assert registry.current_model(con, other)["run_id"] == "run-0003"
    assert registry.current_model(con, client)["run_id"] == "run-0001"
    registry.retire(con, "run-0001", client_id=client, by="bob", reason="old")
    assert registry.current_model(con, client)["run_id"] == "run-0003"
    registry.retire(con, "run-0003", by="bob", reason="withdrawn")
    assert registry.current_model(con, other) is None
    with pytest.raises(registry.RegistryError, match="nothing to retire"):
        registry.retire(con, "run-0003", by="bob", reason="again")
    history = registry.history(con)
    assert len(history) == 6 and history.iloc[0]["reason"] == "withdrawn"


def test_card_facts_carry_methodology_snapshot_and_held_out_agreement(con) -> None:
    add_run(con, "run-0001")
    add_evaluation(con, "eval-0001", "run-0001", fund_ids(con, 3), 3, selection="test:run-0001")
    facts = registry.card_facts(con, "run-0001")
    assert facts["methodology_id"] == "house" and facts["methodology_version"] == 1
    assert facts["snapshot_sha256"] == "ab" * 32
    assert facts["held_out"]["exact"] == 0.5 and facts["held_out"]["evaluation_id"] == "eval-0001"


# ---------------------------------------------------------------- releases


def _client_with_model(con, n_funds: int = 3) -> tuple[str, list[str]]:
    funds = fund_ids(con, n_funds)
    client = clients.create_client(con, "A", fund_ids=funds, by="t")["client_id"]
    add_run(con, "run-0001")
    registry.approve(con, "run-0001", client_id=client, by="ann", reason="ok")
    return client, funds


def test_publish_refuses_without_a_model_or_a_covering_evaluation(con) -> None:
    funds = fund_ids(con, 3)
    client = clients.create_client(con, "A", fund_ids=funds, by="t")["client_id"]
    with pytest.raises(releases.ReleaseError, match="no model is approved"):
        releases.publish(con, client, by="t")
    add_run(con, "run-0001")
    registry.approve(con, "run-0001", client_id=client, by="ann", reason="ok")
    with pytest.raises(releases.ReleaseError, match="evaluate --model run:run-0001"):
        releases.publish(con, client, by="t")
    add_evaluation(con, "eval-0001", "run-0001", funds[:2], 4)  # misses one fund
    with pytest.raises(releases.ReleaseError, match="no grade for 1 of the 3 funds"):
        releases.publish(con, client, by="t")
    assert releases.latest(con, client) is None
    partial = releases.publish(con, client, by="t", allow_partial=True)
    assert partial["n_funds"] == 2 and partial["missing"] == [funds[2]]
    assert list(releases.release_rows(con, client)["fund_id"]) == funds[:2]


def test_releases_are_versioned_frozen_and_old_ones_stay_readable(con) -> None:
    client, funds = _client_with_model(con)
    add_evaluation(con, "eval-0001", "run-0001", funds, 2, as_of="2026-06-30")
    first = releases.publish(con, client, by="ann", as_of=AS_OF)
    assert first["version"] == 1 and str(first["as_of"]) == "2026-06-30"
    assert first["evaluation_id"] == "eval-0001" and first["published_by"] == "ann"
    add_evaluation(con, "eval-0002", "run-0001", funds, 5)
    second = releases.publish(con, client, by="ann")
    assert second["version"] == 2 and second["evaluation_id"] == "eval-0002"
    # the source evaluation changing later does not change a release
    con.execute("UPDATE evaluation_results SET grade = 1 WHERE evaluation_id = 'eval-0001'")
    assert set(releases.release_rows(con, client, 1)["grade"]) == {2}
    rows = releases.release_rows(con, client)
    assert list(rows["fund_id"]) == funds and set(rows["grade"]) == {5}
    assert rows.iloc[0]["scores"] == {"crit_a": 3}
    assert releases.latest(con, client)["version"] == 2
    history = releases.grade_history(con, client, funds[0])
    assert list(history["version"]) == [1, 2] and list(history["grade"]) == [2, 5]
    # an earlier date picks the earlier evaluation
    third = releases.publish(con, client, by="ann", as_of="2026-07-01")
    assert third["evaluation_id"] == "eval-0001"
    method = releases.methodology_of(con, client, 1)
    assert method["methodology_id"] == "house" and '"house"' in method["body"]


def test_release_rows_are_only_the_clients_own_funds(con) -> None:
    all_funds = fund_ids(con, 6)
    a = clients.create_client(con, "A", fund_ids=all_funds[:3], by="t")["client_id"]
    b = clients.create_client(con, "B", fund_ids=all_funds[3:], by="t")["client_id"]
    add_run(con, "run-0001")
    registry.approve(con, "run-0001", by="ann", reason="all")
    add_evaluation(con, "eval-0001", "run-0001", all_funds, 3)
    releases.publish(con, a, by="t")
    releases.publish(con, b, by="t")
    assert list(releases.release_rows(con, a)["fund_id"]) == all_funds[:3]
    assert list(releases.release_rows(con, b)["fund_id"]) == all_funds[3:]
    assert releases.grade_history(con, a, all_funds[4]).empty
    assert list(releases.list_releases(con, a)["client_id"]) == [a]
    assert releases.get_release(con, a, 2) is None
