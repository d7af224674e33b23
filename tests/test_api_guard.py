"""The client API's guard and limits (docs/clients-format.md section 6): per-address throttling
before the key lookup, bounded buckets, chunked bodies, summed anonymous audit rows, no CDN
docs page, live-evaluation slots and token cap, and what held before (401, 404, traversal,
injection, methods)."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
from fastapi.testclient import TestClient

from engine.clients import clients
from engine.clients import live as live_engine
from store.db import connect
from tests.test_api_support import api_client, auth, copy_world
from workbench.api import guard as api_guard
from workbench.api.limits import LiveSlots, TokenBuckets


@pytest.fixture
def world(api_world_template, tmp_path, monkeypatch):
    """Two clients with three funds each, one approved run, releases (see make_world)."""
    return copy_world(api_world_template, tmp_path / "world", monkeypatch)


def _random_key() -> str:
    return f"lgk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def _fake_live(calls: list[dict], gate: threading.Event | None = None, entered=None):
    """A stand-in for engine.clients.live.live_evaluation that records its arguments (and waits)."""

    def fake(home, client_id, fund_id, **kwargs) -> dict:
        calls.append({"client_id": client_id, "fund_id": fund_id, **kwargs})
        if entered is not None:
            entered.set()
        if gate is not None:
            assert gate.wait(30)
        return {"fund_id": fund_id, "run_id": "run-0001", "as_of": "2026-09-30",
                "methodology_id": "house", "methodology_version": 1, "grade": None,
                "scores": None, "reasoning": None, "thinking": None, "parse_status": "invalid",
                "parse_error": "fake", "latency_ms": 1.0,
                "max_new_tokens": kwargs.get("max_new_tokens") or 1,
                "evaluated_at": "2026-10-01T00:00:00+00:00", "live": True}  # fmt: skip

    return fake


# ---------------------------------------------------------------- rate limits


def test_random_key_ids_are_throttled_per_address_before_the_store(world, monkeypatch) -> None:
    lookups: list[str] = []
    real = api_guard.key_record

    def counted(con, key_id):
        lookups.append(key_id)
        return real(con, key_id)

    monkeypatch.setattr(api_guard, "key_record", counted)
    limits = {"address_rate_per_s": 0.01, "address_burst": 20.0, "auth_failure_cost": 10.0}
    with api_client(world["home"], client=("203.0.113.7", 4000), **limits) as api:
        answers = [api.get("/v1/funds", headers=auth(_random_key())) for _ in range(100)]
        flood_lookups = len(lookups)
        own_key = api.get("/v1/funds", headers=auth(world["a"]["key"]))
        elsewhere = TestClient(api.app, client=("198.51.100.9", 4000))
        other_address = elsewhere.get("/v1/funds", headers=auth(world["a"]["key"]))
    codes = [a.status_code for a in answers]
    assert codes[:2] == [401, 401] and set(codes[2:]) == {429}
    assert flood_lookups == 2  # 98 made-up keys never reached the database
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert own_key.status_code == 429  # the address is throttled, whatever the key
    assert other_address.status_code == 200 and len(lookups) == 3


def test_the_address_budget_also_covers_requests_without_a_key(world) -> None:
    with api_client(world["home"], address_rate_per_s=0.01, address_burst=5.0) as api:
        codes = [api.get("/v1/funds").status_code for _ in range(20)]
    assert codes[0] == 401 and codes.count(429) >= 15


def test_token_buckets_stay_bounded_and_forget_full_ones() -> None:
    buckets = TokenBuckets(rate=0.001, burst=5, max_entries=100)
    for i in range(10_000):
        buckets.take(f"10.0.{i // 256}.{i % 256}")
    assert len(buckets) == 100
    refilled = TokenBuckets(rate=1000.0, burst=5, max_entries=100)
    for i in range(50):
        refilled.take(f"k{i}")
    time.sleep(0.02)  # every bucket is full again: the same as no bucket
    refilled.take("late")
    assert len(refilled) == 1


def test_a_depleted_bucket_keeps_its_debt_while_in_use() -> None:
    buckets = TokenBuckets(rate=0.001, burst=2, max_entries=3)
    assert buckets.take("a") == 0 and buckets.take("a") == 0 and buckets.take("a") > 0
    buckets.charge("a", 100)
    assert buckets.take("a") > 1000  # the penalty stands (floored at -burst)


def test_the_apps_buckets_stay_bounded_after_many_addresses_and_keys(world) -> None:
    limits = {"max_buckets": 50, "address_rate_per_s": 0.001, "address_burst": 50.0,
              "rate_per_s": 0.001, "burst": 50.0}  # fmt: skip
    with api_client(world["home"], **limits) as api:
        for i in range(150):
            one = TestClient(api.app, client=(f"192.0.2.{i}", 1000))
            assert one.get("/v1/funds").status_code == 401
        for _ in range(40):
            api.get("/v1/funds", headers=auth(_random_key()))
        state = api.app.state
        assert len(state.address_buckets) == 50 and len(state.key_buckets) <= 50


# ---------------------------------------------------------------- bodies


def test_a_chunked_body_over_the_limit_gets_413(world, monkeypatch) -> None:
    calls: list[dict] = []
    monkeypatch.setattr(live_engine, "live_evaluation", _fake_live(calls))
    fund = world["funds"][0]
    headers = {**auth(world["a"]["key"]), "Content-Type": "application/json"}

    def chunks(total: int):
        yield b'{"max_new_tokens": 8, "pad": "'
        for _ in range(total // 100):
            yield b"x" * 100
        yield b'"}'

    with api_client(world["home"], max_body_bytes=1000) as api:
        big = api.post(f"/v1/funds/{fund}/live-evaluation", headers=headers, content=chunks(5000))
        small = api.post(f"/v1/funds/{fund}/live-evaluation", headers=headers,
                         content=(c for c in [b'{"max_new_tokens"', b": 8}"]))  # fmt: skip
    assert "content-length" not in big.request.headers
    assert big.request.headers["transfer-encoding"] == "chunked"
    assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
    assert small.status_code == 200, small.text  # a small chunked body reaches the handler whole
    assert [c["max_new_tokens"] for c in calls] == [8]


# ---------------------------------------------------------------- audit


def test_anonymous_floods_become_a_few_summed_audit_rows(world) -> None:
    with api_client(world["home"], client=("203.0.113.50", 1), audit_flush_s=60,
                    address_rate_per_s=20.0, address_burst=120.0) as api:  # fmt: skip
        for i in range(500):
            api.get("/v1/funds", headers=auth(_random_key()) if i % 2 else {})
        own = TestClient(api.app, client=("198.51.100.1", 1))
        for _ in range(3):
            own.get("/v1/releases", headers=auth(world["a"]["key"]))
        api.app.state.audit.flush()
        with connect(world["home"]) as con:
            log = clients.audit_log(con, limit=10_000)
    flood = log[log["address"] == "203.0.113.50"]
    assert len(flood) <= 6 and int(flood["calls"].sum()) == 500
    assert set(flood["status"]) == {401, 429} and set(flood["path"]) == {"/v1/funds"}
    assert flood["client_id"].isna().all()
    mine = log[log["address"] == "198.51.100.1"]
    assert len(mine) == 3 and set(mine["calls"]) == {1}
    assert set(mine["client_id"]) == {world["a"]["client_id"]}


# ---------------------------------------------------------------- docs


def test_no_docs_page_from_a_cdn_but_the_openapi_document_stays(world) -> None:
    with api_client(world["home"]) as api:
        pages = [api.get(p) for p in ("/docs", "/redoc", "/docs/oauth2-redirect")]
        document = api.get("/openapi.json")
    assert [p.status_code for p in pages] == [404, 404, 404]
    assert document.status_code == 200 and "/v1/funds" in document.json()["paths"]
    assert "http://" not in document.text and "https://" not in document.text


# ---------------------------------------------------------------- live evaluations


def test_live_slots_per_client_and_in_all() -> None:
    slots = LiveSlots(per_client=1, total=2)
    assert slots.try_acquire("a") and not slots.try_acquire("a")
    assert slots.try_acquire("b") and not slots.try_acquire("c")
    slots.release("a")
    assert slots.try_acquire("c") and slots.running() == 2


def _start_blocked(api: TestClient, url: str, key: str, entered: threading.Event, into: list):
    """Start a live evaluation in a thread and wait until it is generating (held by a gate)."""
    entered.clear()
    runner = threading.Thread(target=lambda: into.append(api.post(url, headers=auth(key))))
    runner.start()
    assert entered.wait(30)
    return runner


def test_a_second_concurrent_live_evaluation_of_a_client_gets_429(world, monkeypatch) -> None:
    calls: list[dict] = []
    gate, entered = threading.Event(), threading.Event()
    monkeypatch.setattr(live_engine, "live_evaluation", _fake_live(calls, gate, entered))
    url_a = f"/v1/funds/{world['funds'][0]}/live-evaluation"
    url_b = f"/v1/funds/{world['funds'][3]}/live-evaluation"
    done: list = []
    with api_client(world["home"], live_per_client=1, live_total=2) as api:
        runners = [_start_blocked(api, url_a, world["a"]["key"], entered, done)]
        try:
            again = api.post(url_a, headers=auth(world["a"]["key"]))
            runners.append(_start_blocked(api, url_b, world["b"]["key"], entered, done))
        finally:
            gate.set()
            for runner in runners:
                runner.join(30)
        after = api.post(url_a, headers=auth(world["a"]["key"]))
    assert again.status_code == 429 and again.json()["error"]["code"] == "rate_limited"
    assert int(again.headers["Retry-After"]) >= 1
    assert [r.status_code for r in done] == [200, 200]  # client B ran beside client A
    assert after.status_code == 200 and len(calls) == 3
    assert api.app.state.live_slots.running() == 0


def test_live_evaluations_have_a_cap_in_all(world, monkeypatch) -> None:
    calls: list[dict] = []
    gate, entered = threading.Event(), threading.Event()
    monkeypatch.setattr(live_engine, "live_evaluation", _fake_live(calls, gate, entered))
    url_a = f"/v1/funds/{world['funds'][0]}/live-evaluation"
    done: list = []
    with api_client(world["home"], live_per_client=1, live_total=1) as api:
        runner = _start_blocked(api, url_a, world["a"]["key"], entered, done)
        try:
            other = api.post(f"/v1/funds/{world['funds'][3]}/live-evaluation",
                             headers=auth(world["b"]["key"]))  # fmt: skip
        finally:
            gate.set()
            runner.join(30)
    assert other.status_code == 429 and "Retry-After" in other.headers
    assert [r.status_code for r in done] == [200] and len(calls) == 1


def test_the_token_cap_reaches_the_generation_call(world, monkeypatch) -> None:
    from engine.llm import generate as generator
    from tests.evaluation_support import write_run

    write_run(world["home"], "run-0001", sft=False)
    seen: list[int] = []

    def fake_generate(model, tokenizer, prompts, *, max_new_tokens, **kwargs):
        seen.append(max_new_tokens)
        return [["not an answer"]]

    monkeypatch.setattr(
        live_engine, "_model", lambda home, run_id, device: (None, None, None, 4096)
    )
    monkeypatch.setattr(generator, "generate", fake_generate)
    fund = world["funds"][0]
    live_engine.clear_cache()
    try:
        with api_client(world["home"], live_max_new_tokens=64) as api:
            url, key = f"/v1/funds/{fund}/live-evaluation", auth(world["a"]["key"])
            default = api.post(url, headers=key)
            asked_more = api.post(url, headers=key, json={"max_new_tokens": 500})
            asked_less = api.post(url, headers=key, json={"max_new_tokens": 16})
            too_many = api.post(url, headers=key, json={"max_new_tokens": 100_000})
        direct = live_engine.live_evaluation(world["home"], world["a"]["client_id"], fund)
    finally:
        live_engine.clear_cache()
    assert default.status_code == asked_more.status_code == asked_less.status_code == 200
    assert seen == [64, 64, 16, live_engine.MAX_NEW_TOKENS]  # the run's 4096 is never used
    assert default.json()["max_new_tokens"] == 64 and asked_less.json()["max_new_tokens"] == 16
    assert too_many.status_code == 422
    assert direct["max_new_tokens"] == live_engine.MAX_NEW_TOKENS


# ---------------------------------------------------------------- what held before


@pytest.mark.parametrize(
    "path",
    ["/v1/funds/..%2F..%2Fetc%2Fpasswd", "/v1/funds/../../etc/passwd",
     "/v1/funds/%2e%2e%2fclients", "/v1/releases/..%2F2", "/v1/funds/' OR '1'='1",
     "/v1/funds/x'; DROP TABLE api_keys; --/evaluations"],
)  # fmt: skip
def test_traversal_and_injection_paths_are_plain_404s(world, path) -> None:
    with api_client(world["home"]) as api:
        answer = api.get(path, headers=auth(world["a"]["key"]))
        still = api.get("/v1/funds", headers=auth(world["b"]["key"]))
    assert answer.status_code in (404, 422) and "error" in answer.json()
    assert "root:" not in answer.text and still.status_code == 200


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE"])
def test_other_methods_are_405_and_need_a_key_first(world, method) -> None:
    with api_client(world["home"]) as api:
        keyed = api.request(method, "/v1/funds", headers=auth(world["a"]["key"]))
        anonymous = api.request(method, "/v1/funds")
    assert keyed.status_code == 405 and keyed.json()["error"]["code"] == "method_not_allowed"
    assert anonymous.status_code == 401


def test_a_disabled_clients_key_gets_401(world) -> None:
    with connect(world["home"]) as con:
        clients.set_disabled(con, world["a"]["client_id"], True, by="boss")
    with api_client(world["home"]) as api:
        answer = api.get("/v1/funds", headers=auth(world["a"]["key"]))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
