"""The client REST API through FastAPI's TestClient (docs/clients-format.md section 6)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.clients import clients, registry, releases
from store.db import connect
from tests.test_api_support import api_client, auth, copy_world


@pytest.fixture
def world(api_world_template, tmp_path, monkeypatch):
    """Two clients with three funds each, one approved run, releases (see make_world)."""
    return copy_world(api_world_template, tmp_path / "world", monkeypatch)


def _audit(api: TestClient, home):
    api.app.state.audit.flush()
    with connect(home) as con:
        return clients.audit_log(con)


def test_health_needs_no_key_and_openapi_lists_the_v1_paths(world) -> None:
    with api_client(world["home"]) as api:
        assert api.get("/v1/health").json() == {"status": "ok", "api_version": "1"}
        paths = api.get("/openapi.json").json()["paths"]
    assert {"/v1/funds", "/v1/funds/{fund_id}", "/v1/funds/{fund_id}/evaluations",
            "/v1/releases", "/v1/releases/{version}", "/v1/releases/{version}/methodology",
            "/v1/funds/{fund_id}/live-evaluation"} <= set(paths)  # fmt: skip


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic abc", "Bearer lgk_000000000000_" + "x" * 43, "Bearer nonsense"],
)
def test_missing_malformed_or_unknown_keys_get_401_json(world, header) -> None:
    with api_client(world["home"]) as api:
        answer = api.get("/v1/funds", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_a_revoked_key_gets_401_at_once(world) -> None:
    key = world["a"]["key"]
    with api_client(world["home"]) as api:
        assert api.get("/v1/funds", headers=auth(key)).status_code == 200
        with connect(world["home"]) as con:
            clients.revoke_key(con, world["a"]["key_id"], by="boss")
        answer = api.get("/v1/funds", headers=auth(key))
    assert answer.status_code == 401 and "revoked" in answer.json()["error"]["message"]


def test_funds_are_only_the_clients_own_with_their_latest_grade(world) -> None:
    with api_client(world["home"]) as api:
        body = api.get("/v1/funds", headers=auth(world["a"]["key"])).json()
    assert [f["fund_id"] for f in body["funds"]] == world["funds"][:3]
    assert body["release_version"] == 2
    assert {f["current"]["grade"] for f in body["funds"]} == {2}
    assert body["funds"][0]["current"]["scores"] == {"crit_a": 3}


def test_another_clients_fund_is_404_exactly_like_a_missing_one(world) -> None:
    theirs = world["funds"][4]
    with api_client(world["home"]) as api:
        for suffix in ("", "/evaluations"):
            other = api.get(f"/v1/funds/{theirs}{suffix}", headers=auth(world["a"]["key"]))
            missing = api.get(f"/v1/funds/NOPE{suffix}", headers=auth(world["a"]["key"]))
            assert other.status_code == missing.status_code == 404
            assert other.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
            assert other.json()["error"]["message"].replace(theirs, "X") == missing.json()["error"][
                "message"
            ].replace("NOPE", "X")
        live = api.post(f"/v1/funds/{theirs}/live-evaluation", headers=auth(world["a"]["key"]))
        assert live.status_code == 404
        mine = api.get(f"/v1/funds/{theirs}", headers=auth(world["b"]["key"]))
        assert mine.status_code == 200 and mine.json()["fund_id"] == theirs


def test_fund_evaluations_list_the_grades_over_releases(world) -> None:
    fund = world["funds"][0]
    with api_client(world["home"]) as api:
        body = api.get(f"/v1/funds/{fund}/evaluations", headers=auth(world["a"]["key"])).json()
        detail = api.get(f"/v1/funds/{fund}", headers=auth(world["a"]["key"])).json()
    assert [e["release_version"] for e in body["evaluations"]] == [1, 2]
    assert [e["grade"] for e in body["evaluations"]] == [4, 2]
    assert body["evaluations"][0]["as_of"] == "2026-06-30"
    assert detail["current"]["release_version"] == 2 and detail["fund_name"]


def test_releases_list_detail_and_methodology(world) -> None:
    key = world["a"]["key"]
    with api_client(world["home"]) as api:
        listed = api.get("/v1/releases", headers=auth(key)).json()["releases"]
        first = api.get("/v1/releases/1", headers=auth(key)).json()
        method = api.get("/v1/releases/1/methodology", headers=auth(key)).json()
        absent = api.get("/v1/releases/3", headers=auth(key))
        bad = api.get("/v1/releases/zero", headers=auth(key))
    assert [r["version"] for r in listed] == [2, 1]
    assert [e["grade"] for e in first["evaluations"]] == [4, 4, 4]
    assert method["methodology_id"] == "house" and method["body"]["id"] == "house"
    assert absent.status_code == 404 and absent.json()["error"]["code"] == "not_found"
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


def test_beta_sees_only_its_own_release(world) -> None:
    with api_client(world["home"]) as api:
        listed = api.get("/v1/releases", headers=auth(world["b"]["key"])).json()["releases"]
        second = api.get("/v1/releases/2", headers=auth(world["b"]["key"]))
    assert [r["version"] for r in listed] == [1] and second.status_code == 404


def test_rate_limit_answers_429_with_retry_after(world) -> None:
    key = world["a"]["key"]
    with api_client(world["home"], rate_per_s=0.5, burst=3) as api:
        codes = [api.get("/v1/releases", headers=auth(key)).status_code for _ in range(4)]
        limited = api.get("/v1/releases", headers=auth(key))
        other = api.get("/v1/releases", headers=auth(world["b"]["key"]))
    assert codes == [200, 200, 200, 429]
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert other.status_code == 200  # the bucket is per key


def test_request_body_over_the_limit_gets_413(world) -> None:
    fund = world["funds"][0]
    with api_client(world["home"], max_body_bytes=100) as api:
        answer = api.post(
            f"/v1/funds/{fund}/live-evaluation",
            headers={**auth(world["a"]["key"]), "Content-Type": "application/json"},
            content=b'{"max_new_tokens": 8, "pad": "' + b"x" * 200 + b'"}',
        )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_unknown_path_and_bad_body_are_json_errors(world) -> None:
    key = world["a"]["key"]
    fund = world["funds"][0]
    with api_client(world["home"]) as api:
        unknown = api.get("/v1/nothing", headers=auth(key))
        wrong_method = api.delete("/v1/funds", headers=auth(key))
        bad = api.post(f"/v1/funds/{fund}/live-evaluation", headers=auth(key),
                       json={"max_new_tokens": 0})  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert bad.status_code == 422 and "max_new_tokens" in bad.json()["error"]["message"]


def test_live_evaluation_without_an_approved_model_is_409(world) -> None:
    with connect(world["home"]) as con:
        registry.retire(con, "run-0001", by="bob", reason="withdrawn")
    fund = world["funds"][0]
    with api_client(world["home"]) as api:
        answer = api.post(f"/v1/funds/{fund}/live-evaluation", headers=auth(world["a"]["key"]))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "no_model"


def test_every_call_is_audited_with_key_path_and_status(world) -> None:
    a = world["a"]
    with api_client(world["home"], audit_flush_s=60) as api:
        api.get("/v1/funds", headers=auth(a["key"]))
        api.get("/v1/funds/NOPE", headers=auth(a["key"]))
        api.get("/v1/funds")
        api.get("/v1/health")
        assert api.app.state.audit.pending() >= 4
        log = _audit(api, world["home"])
    assert api.app.state.audit.pending() == 0
    seen = set(zip(log["key_id"].fillna("-"), log["path"], log["status"], strict=True))
    assert (a["key_id"], "/v1/funds", 200) in seen
    assert (a["key_id"], "/v1/funds/NOPE", 404) in seen
    assert ("-", "/v1/funds", 401) in seen and ("-", "/v1/health", 200) in seen
    assert (log.loc[log["key_id"] == a["key_id"], "client_id"] == a["client_id"]).all()
    assert (log["duration_ms"] >= 0).all()
    assert set(log["address"]) == {"testclient"} and set(log["calls"]) == {1}


def test_audit_rows_wait_in_memory_while_the_store_cannot_be_written(world, tmp_path) -> None:
    with api_client(world["home"], busy_timeout_s=0.2) as api:
        api.get("/v1/health")
        buffer = api.app.state.audit
        buffer.home = type(world["home"])(tmp_path / "missing" / "nowhere")  # unopenable path
        assert buffer.flush() == 0 and buffer.pending() >= 1
        buffer.home = world["home"]
        assert buffer.flush() >= 1 and buffer.pending() == 0


def test_reads_are_answered_while_another_process_holds_the_database(world) -> None:
    import subprocess
    import sys
    import time

    key = auth(world["a"]["key"])
    with api_client(world["home"]) as api:
        assert api.get("/v1/funds", headers=key).status_code == 200  # files in memory
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
             " time.sleep(3); c.close()", str(world["home"].db_path)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert holder.stdout.readline().strip() == "held"
            began = time.monotonic()
            paths = ["/v1/funds", f"/v1/funds/{world['funds'][0]}/evaluations", "/v1/releases",
                     "/v1/releases/1", "/v1/releases/1/methodology"]  # fmt: skip
            codes = [api.get(path, headers=key).status_code for path in paths]
            waited = time.monotonic() - began
            still_held = holder.poll() is None
        finally:
            holder.kill()  # the reads are done: no need to wait out its hold
            holder.wait(timeout=30)
    assert codes == [200] * 5 and still_held and waited < 1.0


def test_live_evaluation_runs_the_approved_model_and_is_labelled_live(world) -> None:
    from engine.clients.live import LiveError, clear_cache, live_evaluation
    from tests.evaluation_support import write_run

    write_run(world["home"], "run-0001", sft=False)  # the untrained built-in tiny model
    fund = world["funds"][0]
    clear_cache()
    try:
        with api_client(world["home"]) as api:
            answer = api.post(f"/v1/funds/{fund}/live-evaluation",
                              headers=auth(world["a"]["key"]), json={"max_new_tokens": 8})  # fmt: skip
        body = answer.json()
        assert answer.status_code == 200, body
        assert body["live"] is True and body["run_id"] == "run-0001" and body["fund_id"] == fund
        assert body["parse_status"] in ("ok", "invalid") and body["latency_ms"] > 0
        with connect(world["home"]) as con:
            newest = str(con.execute("SELECT max(date) FROM nav").fetchone()[0])
        assert body["methodology_id"] == "house" and body["as_of"] == newest
        with pytest.raises(LiveError) as caught:
            live_evaluation(world["home"], world["a"]["client_id"], world["funds"][4])
        assert caught.value.code == "not_found"
        with connect(world["home"]) as con:  # nothing is written: the release stays as it was
            assert set(releases.release_rows(con, world["a"]["client_id"])["grade"]) == {2}
    finally:
        clear_cache()


def test_live_evaluation_grades_a_fund_no_expert_rated_and_names_why_one_is_ineligible(
    world,
) -> None:
    from engine.clients.live import LiveError, clear_cache, live_evaluation
    from tests.evaluation_support import write_run

    write_run(world["home"], "run-0001", sft=False)
    client, fund = world["a"]["client_id"], world["funds"][0]
    with connect(world["home"]) as con:  # no expert has ever rated this fund
        con.execute("DELETE FROM rating_scores WHERE fund_id = ?", [fund])
        con.execute("DELETE FROM ratings WHERE fund_id = ?", [fund])
        # a fund of the client younger than the methodology's track-record rule
        young = world["funds"][2]
        con.execute(
            "UPDATE funds SET inception_date = (SELECT max(date) FROM nav) - 30 WHERE fund_id = ?",
            [young],
        )
    clear_cache()
    try:
        answer = live_evaluation(world["home"], client, fund, max_new_tokens=8)
        assert answer["fund_id"] == fund and answer["parse_status"] in ("ok", "invalid")
        with pytest.raises(LiveError) as caught:
            live_evaluation(world["home"], client, young, max_new_tokens=8)
        assert caught.value.code == "no_data"
        assert "not eligible" in str(caught.value) and young in str(caught.value)
    finally:
        clear_cache()


def _open_elsewhere(path, timeout_s: float = 8.0) -> float:
    """Seconds another process waited to open the database file (it fails past timeout_s)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\nfrom store.db import opened\n"
         "t = time.monotonic()\nwith opened(Path(sys.argv[1]), float(sys.argv[2])):\n"
         "    print(time.monotonic() - t)", str(path), str(timeout_s)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-1000:]
    return float(done.stdout.strip())


def test_the_api_does_not_hold_the_file_after_reads(world) -> None:
    with api_client(world["home"]) as api:
        for path in ("/v1/funds", "/v1/releases", f"/v1/funds/{world['funds'][0]}"):
            assert api.get(path, headers=auth(world["a"]["key"])).status_code == 200
        assert _open_elsewhere(world["home"].db_path, 0.5) < 0.5


def test_another_process_gets_the_file_while_the_api_is_busy(world) -> None:
    import threading

    stop = threading.Event()
    codes: list[int] = []
    with api_client(world["home"]) as api:

        def hammer() -> None:
            while not stop.is_set():
                codes.append(api.get("/v1/releases", headers=auth(world["a"]["key"])).status_code)

        worker = threading.Thread(target=hammer)
        worker.start()
        try:
            waited = _open_elsewhere(world["home"].db_path, 8.0)
        finally:
            stop.set()
            worker.join()
    assert waited < 8.0 and codes and set(codes) == {200}
