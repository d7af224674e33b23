"""The API answers from release files and a keys file, not from the database
(docs/api-release-files.md): the same bytes as the store's queries give, new releases and key
changes seen by the very next request, backfill of releases published before the files existed,
and an audit trail that survives a busy store and a crash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from pydantic import TypeAdapter

from engine.clients import clients, releases
from engine.data.ingest import ingest_file
from engine.jobs.liveness import pid_exists
from store import db as store_db
from store import key_file, release_files
from store.atomic_files import sha256_bytes
from store.db import connect
from store.releases import (
    current_grades,
    get_release,
    grade_history,
    list_releases,
    methodology_of,
    release_rows,
)
from tests.test_api_support import (
    AS_OF,
    add_evaluation,
    api_client,
    auth,
    copy_world,
)
from workbench.api import audit as api_audit
from workbench.api import models as m
from workbench.api.published import fund_model, records


@pytest.fixture
def world(api_world_template, tmp_path, monkeypatch):
    """Two clients with three funds each, one approved run, releases 1-2 of A and 1 of B."""
    return copy_world(api_world_template, tmp_path / "world", monkeypatch)


@pytest.fixture
def connects(monkeypatch) -> list[str]:
    """Every open of a database file made while the test runs (the file it opened)."""
    made: list[str] = []
    real = store_db._attach

    def counted(path, *args, **kwargs):
        made.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(store_db, "_attach", counted)
    return made


# ---------------------------------------------------------------- the answers as the store gives them


def _dump(model) -> bytes:
    """What FastAPI makes of a returned model (pydantic's JSON through a TypeAdapter)."""
    return TypeAdapter(type(model)).dump_json(model, by_alias=True)


def _expected(con, client_id: str, path: str) -> bytes | None:
    """The body the API gave before release files, built from the store's queries as it did;
    None for a 404."""
    parts = path.strip("/").split("/")[1:]
    if parts == ["funds"]:
        rows = records(current_grades(con, client_id))
        version = next((r["release_version"] for r in rows if r["release_version"]), None)
        return _dump(m.FundList(funds=[fund_model(r) for r in rows], release_version=version))
    if parts[0] == "funds":
        rows = records(current_grades(con, client_id, parts[1]))
        if not rows:
            return None
        if len(parts) == 2:
            return _dump(fund_model(rows[0], detail=True))
        history = records(grade_history(con, client_id, parts[1]))
        return _dump(m.FundEvaluations(fund_id=parts[1], evaluations=[
            m.Evaluation(release_version=r.pop("version"), **r) for r in history]))  # fmt: skip
    if parts == ["releases"]:
        rows = records(list_releases(con, client_id))
        return _dump(m.ReleaseList(releases=[m.Release(**r) for r in rows]))
    release = get_release(con, client_id, int(parts[1]))
    if release is None:
        return None
    if len(parts) == 2:
        rows = [m.ReleaseRow(**r) for r in records(release_rows(con, client_id, int(parts[1])))]
        return _dump(m.ReleaseDetail(**release, evaluations=rows))
    found = methodology_of(con, client_id, int(parts[1]))
    body = json.loads(found["body"]) if found["body"] else None
    return _dump(m.Methodology(methodology_id=found["methodology_id"], version=found["version"],
                               body=body if isinstance(body, dict) else None))  # fmt: skip


def _paths(funds: list[str]) -> list[str]:
    return (["/v1/funds", "/v1/releases", "/v1/releases/1", "/v1/releases/2", "/v1/releases/3",
             "/v1/releases/1/methodology", "/v1/releases/2/methodology", "/v1/funds/NOPE"]
            + [f"/v1/funds/{f}" for f in funds] + [f"/v1/funds/{f}/evaluations" for f in funds])  # fmt: skip


def _assert_same_as_store(api, world) -> None:
    for who in ("a", "b"):
        key, client_id = auth(world[who]["key"]), world[who]["client_id"]
        answers = {p: api.get(p, headers=key) for p in _paths(world["funds"])}
        with connect(world["home"]) as con:
            wanted = {p: _expected(con, client_id, p) for p in answers}
        for path, answer in answers.items():
            if wanted[path] is None:
                assert answer.status_code == 404, path
            else:
                assert answer.status_code == 200, (path, answer.text)
                assert answer.content == wanted[path], path
                assert answer.headers["content-type"] == "application/json"


def test_every_read_answer_is_byte_for_byte_what_the_store_gives(world) -> None:
    with connect(world["home"]) as con:  # a partial release: one of A's funds has no row
        add_evaluation(con, "eval-0003", "run-0001", world["funds"][:2], 5)
        releases.publish(con, world["a"]["client_id"], by="ann", allow_partial=True)
    with api_client(world["home"]) as api:
        _assert_same_as_store(api, world)
        _assert_same_as_store(api, world)  # again, from the answers kept in memory


def test_reads_never_open_the_database(world, connects) -> None:
    key = auth(world["a"]["key"])
    with api_client(world["home"], audit_flush_s=60) as api:
        opened_at_start = len(connects)
        for _ in range(3):
            for path in _paths(world["funds"][:3]):
                assert api.get(path, headers=key).status_code in (200, 404)
        assert api.get("/v1/funds", headers=auth(world["b"]["key"])).status_code == 200
        assert len(connects) == opened_at_start
        assert api.app.state.published.store_reads == 0
        assert api.app.state.keys.store_lookups == 0


# ---------------------------------------------------------------- files written at publication


def test_publishing_writes_each_release_once_with_a_manifest(world) -> None:
    home, client_id = world["home"], world["a"]["client_id"]
    folder = release_files.client_dir(home, client_id)
    index = release_files.read_index(home, client_id)
    assert index is not None and sorted(index.releases) == [1, 2]
    for version, sha in index.releases.items():
        manifest_bytes = (folder / str(version) / "manifest.json").read_bytes()
        assert sha256_bytes(manifest_bytes) == sha
        manifest = json.loads(manifest_bytes)
        assert set(manifest["files"]) == {"release.json", "grades.parquet"}
        for name, want in manifest["files"].items():
            data = (folder / str(version) / name).read_bytes()
            assert sha256_bytes(data) == want["sha256"]
            assert len(data) == want["bytes"]
    rows = pd.read_parquet(folder / "1" / "grades.parquet")
    assert list(rows["fund_id"]) == world["funds"][:3] and set(rows["grade"]) == {4}
    before = {p: p.stat().st_mtime_ns for p in (folder / "1").iterdir()}
    with connect(home) as con:
        add_evaluation(con, "eval-0003", "run-0001", world["funds"], 5)
        releases.publish(con, client_id, by="ann")
    assert {p: p.stat().st_mtime_ns for p in (folder / "1").iterdir()} == before  # never rewritten
    assert sorted(release_files.read_index(home, client_id).releases) == [1, 2, 3]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporaries left


def test_a_new_release_and_changed_funds_show_at_the_next_request(world) -> None:
    a, key = world["a"], auth(world["a"]["key"])
    with api_client(world["home"]) as api:
        assert api.get("/v1/funds", headers=key).json()["release_version"] == 2
        assert len(api.get("/v1/releases", headers=key).json()["releases"]) == 2
        with connect(world["home"]) as con:
            add_evaluation(con, "eval-0003", "run-0001", world["funds"], 5)
            releases.publish(con, a["client_id"], by="ann")
        funds = api.get("/v1/funds", headers=key).json()
        assert funds["release_version"] == 3 and {
            f["current"]["grade"] for f in funds["funds"]
        } == {5}
        assert [r["version"] for r in api.get("/v1/releases", headers=key).json()["releases"]] == [
            3, 2, 1]  # fmt: skip
        with connect(world["home"]) as con:
            clients.set_client_funds(con, a["client_id"], world["funds"][1:4], by="ann")
        listed = [f["fund_id"] for f in api.get("/v1/funds", headers=key).json()["funds"]]
        dropped = api.get(f"/v1/funds/{world['funds'][0]}", headers=key)
        added = api.get(f"/v1/funds/{world['funds'][3]}", headers=key)
    assert listed == world["funds"][1:4]
    assert dropped.status_code == 404 and added.status_code == 200
    assert added.json()["current"] is None  # not in release 3 of this client


# ---------------------------------------------------------------- backfill


def test_releases_published_before_the_files_are_written_once_on_first_need(
    world, connects
) -> None:
    home = world["home"]
    shutil.rmtree(home.root / "releases")  # as a store from before release files looks
    key = auth(world["a"]["key"])
    with api_client(home, audit_flush_s=60) as api:
        opened = len(connects)
        first = api.get(f"/v1/funds/{world['funds'][0]}/evaluations", headers=key)
        after_first = len(connects)
        again = [api.get(p, headers=key).status_code for p in _paths(world["funds"][:3])]
        assert api.app.state.published.store_reads == 1
        assert len(connects) == after_first == opened + 1
    assert first.status_code == 200 and [e["grade"] for e in first.json()["evaluations"]] == [4, 2]
    assert again.count(200) == len(again) - 2  # /v1/releases/3 and NOPE are 404
    index = release_files.read_index(home, world["a"]["client_id"])
    assert index is not None and sorted(index.releases) == [1, 2]
    assert release_files.read_index(home, world["b"]["client_id"]) is None  # not needed yet
    with api_client(home, audit_flush_s=60) as api:  # a new process: the files are there
        assert api.get("/v1/releases", headers=key).status_code == 200
        assert api.app.state.published.store_reads == 0
    with api_client(home) as api:
        _assert_same_as_store(api, world)


def test_a_broken_release_file_is_written_again_from_the_store(world) -> None:
    home, client_id = world["home"], world["a"]["client_id"]
    grades = release_files.client_dir(home, client_id) / "1" / "grades.parquet"
    grades.write_bytes(b"not parquet")
    with api_client(home) as api:
        answer = api.get("/v1/releases/1", headers=auth(world["a"]["key"]))
        assert api.app.state.published.store_reads == 1
        _assert_same_as_store(api, world)
    assert (
        answer.status_code == 200 and [e["grade"] for e in answer.json()["evaluations"]] == [4] * 3
    )
    assert [p.name for p in grades.parent.parent.iterdir() if p.name.startswith(".broken-1-")]


# ---------------------------------------------------------------- keys


def test_key_changes_reach_the_very_next_request(world) -> None:
    a = world["a"]
    with api_client(world["home"]) as api:
        for _ in range(5):  # several changes within the clock's granularity
            with connect(world["home"]) as con:
                made = clients.create_key(con, a["client_id"], by="boss")
            assert api.get("/v1/funds", headers=auth(made["key"])).status_code == 200
            with connect(world["home"]) as con:
                clients.revoke_key(con, made["key_id"], by="boss")
            assert api.get("/v1/funds", headers=auth(made["key"])).status_code == 401
        assert api.get("/v1/funds", headers=auth(a["key"])).status_code == 200
        with connect(world["home"]) as con:
            clients.set_disabled(con, a["client_id"], True, by="boss")
        disabled = api.get("/v1/funds", headers=auth(a["key"]))
        with connect(world["home"]) as con:
            clients.set_disabled(con, a["client_id"], False, by="boss")
        enabled = api.get("/v1/funds", headers=auth(a["key"]))
        with connect(world["home"]) as con:
            clients.revoke_keys_of(con, a["client_id"], by="boss")
        revoked = api.get("/v1/funds", headers=auth(a["key"]))
        assert api.app.state.keys.store_lookups == 0
    assert disabled.status_code == 401 and enabled.status_code == 200 and revoked.status_code == 401


def test_the_keys_file_holds_salted_hashes_only_and_is_private(world) -> None:
    path = key_file.keys_path(world["home"])
    text = path.read_text(encoding="utf-8")
    for who in ("a", "b"):
        secret = world[who]["key"].split("_", 2)[2]
        assert secret not in text and world[who]["key_id"] in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_without_a_readable_keys_file_keys_are_checked_in_the_store(world) -> None:
    home, a, b = world["home"], world["a"], world["b"]
    with connect(home) as con:
        clients.revoke_key(con, b["key_id"], by="boss")
    with api_client(home) as api:
        path = key_file.keys_path(home)
        stale = json.loads(path.read_text())
        path.unlink()
        assert api.get("/v1/funds", headers=auth(a["key"])).status_code == 200
        assert api.get("/v1/funds", headers=auth(b["key"])).status_code == 401
        assert api.app.state.keys.store_lookups == 1 and path.exists()  # written again
        path.write_text("{ not json")
        refused = api.get("/v1/funds", headers=auth(b["key"]))
        stale["keys"][b["key_id"]] = ["c-0002", "00" * 16, "0" * 64]  # a forged entry
        path.write_text(json.dumps({"format": 99, "keys": stale["keys"]}))
        forged = api.get("/v1/funds", headers=auth(b["key"]))
        with connect(home) as con, key_file.changing(con):  # a key change under way
            assert not path.exists()
            during = api.get("/v1/funds", headers=auth(a["key"]))
    assert refused.status_code == forged.status_code == 401
    assert during.status_code == 200


# ---------------------------------------------------------------- audit journal


def _audit_rows(home) -> pd.DataFrame:
    with connect(home) as con:
        return clients.audit_log(con, limit=100_000)


def test_audit_rows_wait_in_the_journal_while_the_store_is_busy(world, monkeypatch) -> None:
    key = auth(world["a"]["key"])

    def busy(*_args, **_kwargs):
        raise duckdb.IOException("Could not set lock on file: Conflicting lock is held")

    with api_client(world["home"], audit_flush_s=60) as api:
        buffer = api.app.state.audit
        monkeypatch.setattr(api_audit, "opened", busy)
        for _ in range(7):
            assert api.get("/v1/releases", headers=key).status_code == 200
        assert buffer.flush() == 0 and buffer.pending() == 7
        journal = list(buffer.folder.glob("audit-*.loading"))
        assert len(journal) == 1 and len(journal[0].read_text().splitlines()) == 7
        api.get("/v1/releases", headers=key)
        monkeypatch.undo()
        assert buffer.flush() == 8 and buffer.pending() == 0
    log = _audit_rows(world["home"])
    assert len(log[log["path"] == "/v1/releases"]) == 8  # each row once
    assert not list(buffer.folder.glob("audit-*"))


def test_a_journal_left_by_a_crashed_api_is_loaded_at_the_next_start(world) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = world["home"].root / "api"
    row = {"called_at": "2026-10-02T09:00:00", "key_id": world["a"]["key_id"],
           "client_id": world["a"]["client_id"], "method": "GET", "path": "/v1/crashed",
           "status": 200, "address": "10.0.0.1", "duration_ms": 1.5, "calls": 1}  # fmt: skip
    journal = folder / f"audit-{dead.pid}-0badc0de.jsonl"
    journal.write_text(json.dumps(row) + "\n" + json.dumps({**row, "path": "/v1/cut"})[:20])
    with api_client(world["home"]):
        pass
    log = _audit_rows(world["home"])
    assert list(log.loc[log["path"].str.startswith("/v1/c"), "path"]) == ["/v1/crashed"]
    assert not journal.exists()


def test_audit_journal_names_only_the_running_process() -> None:
    assert pid_exists(os.getpid())  # the journal-loading check the API uses
    assert api_audit.JOURNAL.match("audit-12-0a1b2c3d.jsonl")
    assert api_audit.JOURNAL.match("audit-12-0a1b2c3d.3.loading")
    assert not api_audit.JOURNAL.match("audit-12-0a1b2c3d.jsonl.tmp")


def test_a_release_of_another_client_is_never_in_the_files_of_this_one(world) -> None:
    home = world["home"]
    with connect(home) as con:
        release_files.sync(con)
    b_index = release_files.read_index(home, world["b"]["client_id"])
    meta, rows = release_files.read_release(home, world["b"]["client_id"], 1, b_index.releases[1])
    assert meta["client_id"] == world["b"]["client_id"] and str(meta["as_of"]) == AS_OF
    assert list(rows["fund_id"]) == world["funds"][3:]
    with pytest.raises(ValueError):
        release_files.client_dir(home, "../c-0001")


def test_a_funds_upload_reaches_the_apis_fund_facts_at_the_next_request(world, tmp_path) -> None:
    fund = world["funds"][0]
    key = auth(world["a"]["key"])
    with api_client(world["home"]) as api:
        before = api.get(f"/v1/funds/{fund}", headers=key).json()
        with connect(world["home"]) as con:
            row = con.execute(
                "SELECT fund_id, fund_name, category FROM funds WHERE fund_id = ?", [fund]
            ).df()
        row["fund_name"] = "Renamed Fund"
        path = tmp_path / "funds.csv"
        row.to_csv(path, index=False)
        ingest_file(world["home"], path, "funds")
        after = api.get(f"/v1/funds/{fund}", headers=key).json()
    assert before["fund_name"] != "Renamed Fund" and after["fund_name"] == "Renamed Fund"
