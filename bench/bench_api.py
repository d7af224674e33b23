"""Time the client REST API on loopback, against the same query straight from DuckDB.

Setup: the synthetic demo universe with N funds, one client holding every fund, an approved
run and R published releases (each a frozen copy of one evaluation of every fund). The API runs
as `python -m workbench api` in a subprocess (uvicorn, one process, rate limit lifted).

- api: `GET /v1/funds/{id}/evaluations` for random funds of the client, from C threads with
  one keep-alive httpx2 client each, `--requests` calls in all (after a warm-up): requests/s,
  p50 and p99 latency, and the share of non-200 answers (must be 0). The API answers from the
  release files (docs/api-release-files.md), not from the database;
- api_during_ingest: the same calls, from the same threads, for as long as a `--ingest-rows`
  NAV file is ingested (`python -m workbench ingest`) by another process, which holds the
  database for its write: p50, p99, max and the non-200 answers (must be 0);
- duckdb (baseline, same run): `store.releases.grade_history` for the same funds, one thread,
  (a) opening, querying and closing the file per call, and (b) on one open connection (the
  floor: the ratio api / held connection is the figure to keep at 0.8 or more);
- live: `engine.clients.live.live_evaluation` of one fund in process: first call (model load) and the
  median of --live-repeat warm calls, for builtin-tiny (untrained, answers of --live-tokens
  tokens) and for smollm2-135m when a prepared model folder is found (--smollm2 FOLDER,
  $WORKBENCH_HOME/models/smollm2-135m or var/models/smollm2-135m), else skipped with a message.

    nice -n 10 .venv/bin/python bench/bench_api.py [--funds 100] [--releases 5]
        [--requests 2000] [--concurrency 8] [--ingest-rows 1000000] [--no-live] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.clients import clients, registry, releases  # noqa: E402
from engine.demo.build import DemoConfig, build_demo  # noqa: E402
from store import evaluations as stored  # noqa: E402
from store.db import connect, opened  # noqa: E402
from store.home import Home  # noqa: E402
from store.runs import insert_run  # noqa: E402
from tests.test_api_support import free_port, start_api, stop_api  # noqa: E402

DEMO_YEARS = 4


def build_store(home: Home, n_funds: int, n_releases: int) -> tuple[str, list[str]]:
    """Demo store + client with every fund + approved run-0001 + n_releases releases."""
    build_demo(home, DemoConfig(n_funds=n_funds, years=DEMO_YEARS))
    with connect(home) as con:
        funds = [r[0] for r in con.execute("SELECT fund_id FROM funds ORDER BY 1").fetchall()]
        as_of = str(con.execute("SELECT max(as_of) FROM ratings").fetchall()[0][0])
        made = clients.create_client(con, "Bench", fund_ids=funds, by="bench")
        insert_run(con, run_id="run-0001", model="builtin-tiny", methodology_id="house",
                   methodology_version=1, as_of=as_of, language="ko", snapshot_sha256="0" * 64,
                   parent_run_id=None, config="{}", state="finished")  # fmt: skip
        registry.approve(con, "run-0001", by="bench", reason="benchmark")
        rng = random.Random(0)
        for i in range(n_releases):
            results = pd.DataFrame(
                {"fund_id": funds, "sample": 0, "grade": [rng.randint(1, 5) for _ in funds],
                 "scores": json.dumps({"return_3y": 3, "risk": 4, "cost": 2}),
                 "reasoning": "3년 수익률이 유형 평균을 웃돌고 변동성은 낮다. " * 4,
                 "thinking": None, "raw_output": "{}", "parse_status": "ok",
                 "parse_error": None, "latency_ms": 1.0}
            )  # fmt: skip
            row = {"evaluation_id": f"eval-{i + 1:04d}", "evaluator": "run:run-0001",
                   "evaluator_kind": "model", "run_id": "run-0001", "methodology_id": "house",
                   "methodology_version": 1, "as_of": as_of, "selection": "all", "samples": 1,
                   "state": "finished", "n_funds": len(funds), "settings": "{}", "summary": None,
                   "created_by": "bench", "finished_at": pd.Timestamp.now(), "message": None}  # fmt: skip
            stored.insert_evaluation(con, row, results)
            releases.publish(con, made["client_id"], by="bench")
    return made["key"], funds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def load(
    port: int,
    key: str,
    funds: list[str],
    total: int,
    threads: int,
    until: threading.Event | None = None,
) -> dict:
    """`total` GETs of /v1/funds/{id}/evaluations from `threads` threads (or, with `until`, as
    many as they make until it is set); figures."""
    import httpx2

    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    per_thread = total // threads

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        headers = {"Authorization": f"Bearer {key}"}
        mine, bad = [], 0
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}", headers=headers,
                           timeout=60) as client:  # fmt: skip
            done = 0
            while (not until.is_set()) if until is not None else done < per_thread:
                fund = rng.choice(funds)
                began = time.perf_counter()
                try:
                    answer = client.get(f"/v1/funds/{fund}/evaluations")
                    bad += answer.status_code != 200
                except httpx2.TransportError:
                    bad += 1
                mine.append(time.perf_counter() - began)
                done += 1
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    began = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - began
    return {"requests": len(latencies), "concurrency": threads, "wall_s": round(wall, 2),
            "requests_per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            "max_ms": round(max(latencies) * 1000, 2),
            "non_200": failures[0]}  # fmt: skip


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nav_file(home: Home, folder: Path, rows: int) -> Path:
    """A NAV CSV of about `rows` new rows (the store's funds x business days from 1970, before
    the demo's history): what the ingest during the load writes."""
    with connect(home) as con:
        ids = [r[0] for r in con.execute("SELECT fund_id FROM funds ORDER BY 1").fetchall()]
    days = pd.bdate_range("1970-01-02", periods=-(-rows // len(ids)))
    rng = np.random.default_rng(2)
    nav = 1000 * np.cumprod(1 + rng.normal(0.0003, 0.01, size=(len(days), len(ids))), axis=0)
    frame = pd.DataFrame({"fund_id": np.tile(ids, len(days)),
                          "date": np.repeat(days.strftime("%Y-%m-%d"), len(ids)),
                          "nav": nav.ravel().round(2)}).head(rows)  # fmt: skip
    path = folder / "nav-ingest.csv"
    frame.to_csv(path, index=False)
    return path


def during_ingest(
    port: int, key: str, funds: list[str], home: Home, path: Path, threads: int
) -> dict:
    """The API's figures for as long as another process ingests `path` into the store."""
    until = threading.Event()
    env = {**os.environ, "WORKBENCH_HOME": str(home.root)}
    began = time.perf_counter()
    ingest = subprocess.Popen(
        [sys.executable, "-m", "workbench", "ingest", str(path), "--kind", "nav"], env=env,
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def watch() -> None:
        ingest.wait()
        until.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    figures = load(port, key, funds, 0, threads, until=until)
    watcher.join()
    out, err = ingest.communicate()
    figures["ingest_s"] = round(time.perf_counter() - began, 1)
    figures["ingest_exit"] = ingest.returncode
    if ingest.returncode != 0:
        figures["ingest_error"] = (err or out)[-500:]
    return figures


def direct(home: Home, client_id: str, funds: list[str], total: int) -> dict:
    """The same query from DuckDB in one thread: per call with open/close, and on one connection."""
    rng = random.Random(1)
    picks = [rng.choice(funds) for _ in range(total)]
    times = []
    began = time.perf_counter()
    for fund in picks:
        t0 = time.perf_counter()
        with opened(home.db_path) as con:
            releases.grade_history(con, client_id, fund)
        times.append(time.perf_counter() - t0)
    wall_open = time.perf_counter() - began
    held = []
    with opened(home.db_path) as con:
        began, cpu = time.perf_counter(), time.process_time()
        for fund in picks:
            t0 = time.perf_counter()
            releases.grade_history(con, client_id, fund)
            held.append(time.perf_counter() - t0)
        wall_held = time.perf_counter() - began
        cpu_held = time.process_time() - cpu
    return {"calls": total,
            "open_per_call_per_s": round(total / wall_open, 1),
            "open_per_call_p50_ms": round(percentile(times, 0.5) * 1000, 2),
            "open_per_call_p99_ms": round(percentile(times, 0.99) * 1000, 2),
            "held_connection_per_s": round(total / wall_held, 1),
            "held_connection_p50_ms": round(percentile(held, 0.5) * 1000, 2),
            "held_connection_p99_ms": round(percentile(held, 0.99) * 1000, 2),
            "held_connection_cpu_ms_per_call": round(cpu_held * 1000 / total, 3)}  # fmt: skip


def _smollm2_folder(given: str | None) -> Path | None:
    from engine.llm.models import is_model_folder

    candidates = [Path(given)] if given else []
    if os.environ.get("WORKBENCH_HOME"):
        candidates.append(Path(os.environ["WORKBENCH_HOME"]) / "models" / "smollm2-135m")
    candidates.append(REPO / "var" / "models" / "smollm2-135m")
    return next((c for c in candidates if is_model_folder(c)), None)


def live(home: Home, client_id: str, fund: str, model: str, folder: Path, repeat: int,
         tokens: int) -> dict:  # fmt: skip
    """Latency of engine.clients.live.live_evaluation with `folder` as the approved run's final model."""
    from engine.clients import live as live_mod
    from engine.training.config import for_model

    run_id = f"run-{9000 + len(list(home.runs.glob('run-*'))):04d}"
    run = home.runs / run_id
    run.mkdir(parents=True)
    (run / "config.json").write_text(
        for_model(model, run_id=run_id, methodology_id="house", methodology_version=1,
                  max_completion_length=tokens).to_json(), encoding="utf-8")  # fmt: skip
    (run / "status.json").write_text(json.dumps({"state": "finished"}), encoding="utf-8")
    (run / "model").symlink_to(folder.resolve(), target_is_directory=True)
    with connect(home) as con:
        insert_run(con, run_id=run_id, model=model, methodology_id="house", methodology_version=1,
                   as_of="2026-09-30", language="ko", snapshot_sha256="0" * 64,
                   parent_run_id=None, config="{}", state="finished")  # fmt: skip
        registry.approve(con, run_id, client_id=client_id, by="bench", reason=f"live {model}")
    live_mod.clear_cache()
    t0 = time.perf_counter()
    first = live_mod.live_evaluation(home, client_id, fund, device="cpu", max_new_tokens=tokens)
    cold = time.perf_counter() - t0
    warm = [live_mod.live_evaluation(home, client_id, fund, device="cpu",
                                     max_new_tokens=tokens)["latency_ms"] for _ in range(repeat)]  # fmt: skip
    return {"model": model, "max_new_tokens": tokens, "first_call_s": round(cold, 2),
            "warm_median_ms": round(statistics.median(warm), 1),
            "warm_max_ms": round(max(warm), 1), "parse_status": first["parse_status"]}  # fmt: skip


def load_part(out: dict, home: Home, key: str, client_id: str, funds: list[str], args) -> None:
    """The API under load, quiet and during an ingest, and the same query from DuckDB, with
    their ratios, into `out`."""
    port = free_port()
    nav = nav_file(home, home.tmp, args.ingest_rows) if args.ingest_rows else None
    # no rate limit: the load is bounded by the client threads, not by the buckets
    server = start_api(
        home, port, timeout_s=120, WORKBENCH_API_RATE="1e9", WORKBENCH_API_BURST="1e9",
        WORKBENCH_API_ADDRESS_RATE="1e9", WORKBENCH_API_ADDRESS_BURST="1e9",
    )  # fmt: skip
    try:
        load(port, key, funds, 100, 4)  # warm-up: imports, the client's files into memory
        used = cpu_s(server.pid)
        out["api"] = load(port, key, funds, args.requests, args.concurrency)
        out["api"]["server_cpu_ms_per_request"] = round(
            (cpu_s(server.pid) - used) * 1000 / out["api"]["requests"], 3
        )
        print(f"api: {out['api']}", file=sys.stderr, flush=True)
        if nav is not None:
            out["api_during_ingest"] = {"ingest_rows": args.ingest_rows, **during_ingest(
                port, key, funds, home, nav, args.concurrency)}  # fmt: skip
            print(f"api_during_ingest: {out['api_during_ingest']}", file=sys.stderr, flush=True)
    finally:
        stop_api(server)
    out["duckdb"] = direct(home, client_id, funds, min(args.requests, 1000))
    print(f"duckdb: {out['duckdb']}", file=sys.stderr, flush=True)
    api_rps = out["api"]["requests_per_s"]
    out["ratio_api_vs_duckdb_open_per_call"] = round(
        api_rps / out["duckdb"]["open_per_call_per_s"], 2
    )
    out["ratio_api_vs_duckdb_held_connection"] = round(
        api_rps / out["duckdb"]["held_connection_per_s"], 3
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=100)
    parser.add_argument("--releases", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--live-repeat", type=int, default=3)
    parser.add_argument("--live-tokens", type=int, default=64)
    parser.add_argument("--smollm2", metavar="FOLDER", help="a prepared smollm2-135m folder")
    parser.add_argument("--live-threads", type=int, help="torch CPU threads for live generation")
    parser.add_argument("--only-live", action="store_true", help="skip the API/DuckDB load part")
    parser.add_argument("--no-live", action="store_true", help="skip the live-evaluation part")
    parser.add_argument("--ingest-rows", type=int, default=1_000_000,
                        help="rows of the NAV file ingested during the second load (0: none)")  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-api-"))
    out: dict = {"funds": args.funds, "releases": args.releases}
    if args.live_threads:
        os.environ["WORKBENCH_LIVE_THREADS"] = str(args.live_threads)
        out["live_threads"] = args.live_threads
    try:
        home = Home(root / "home").ensure()
        key, funds = build_store(home, args.funds, args.releases)
        client_id = "c-0001"
        if not args.only_live:
            load_part(out, home, key, client_id, funds, args)
        if args.no_live:
            return _report(out, args)

        from engine.llm.models import resolve

        with connect(home) as con:
            rated = con.execute(
                "SELECT min(fund_id) FROM ratings WHERE as_of = (SELECT max(as_of) FROM ratings)"
            ).fetchall()[0][0]
        out["live"] = [live(home, client_id, rated, "builtin-tiny", resolve(home, "builtin-tiny"),
                            args.live_repeat, args.live_tokens)]  # fmt: skip
        print(f"live: {out['live'][0]}", file=sys.stderr, flush=True)
        folder = _smollm2_folder(args.smollm2)
        if folder is None:
            out["live_skipped"] = ("smollm2-135m: no prepared model folder (give --smollm2 FOLDER "
                                   "or prepare it with python -m workbench init / train)")  # fmt: skip
        else:
            out["live"].append(live(home, client_id, rated, "smollm2-135m", folder,
                                    args.live_repeat, args.live_tokens))  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return _report(out, args)


def _report(out: dict, args) -> int:
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        for section, value in out.items():
            print(f"{section}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
