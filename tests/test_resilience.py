"""What must survive an attacker or a crash: an ingest killed with SIGKILL mid-write leaves the
store all-or-nothing, concurrent ingests in separate processes are exact, and a training run
killed with SIGKILL after a checkpoint resumes from that checkpoint and finishes.

Real `python -m workbench ingest` processes on NAV files of a few hundred thousand rows, and a
real training process of the built-in tiny model (tests/training_support.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from engine.training import runs
from engine.training.folder import RunFolder
from store.db import connect, scalar
from store.home import Home
from tests.training_support import (  # noqa: F401
    DEADLINE_S,
    events_of,
    poll,
    tiny_config,
    train_home,
    train_template,
)

# its tests run `python -m workbench ingest` (or a training run) as processes
pytestmark = pytest.mark.process

REPO = Path(__file__).resolve().parent.parent
BIG_FUNDS, BIG_DAYS = 120, 2500  # 300,000 NAV rows
SMALL_DAYS = 1000  # each concurrent file: 40 funds x 1,000 days
CONCURRENT = ("A", "B", "C", "D")  # A-C ingested side by side; D twice at once
CLI_DEADLINE_S = 300.0


# ---------------------------------------------------------------- files and processes


def _nav_csv(path: Path, prefix: str, funds: int, days: int, start: str) -> int:
    """A NAV file of `funds` x `days` rows (funds PREFIX000...), written by DuckDB; its rows."""
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT printf('{prefix}%03d', f) AS fund_id, DATE '{start}' + d::INTEGER "
            "AS date, round(1000 + f + d * 0.01, 2) AS nav FROM range(?) a(f), range(?) b(d) "
            f"ORDER BY f, d) TO '{path}' (HEADER)",
            [funds, days],
        )
    return funds * days


@pytest.fixture(scope="module")
def universe(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A funds file naming every fund, one big NAV file and four small ones (distinct funds
    and dates), with their row counts."""
    folder = tmp_path_factory.mktemp("resilience-files")
    ids = [f"R{i:03d}" for i in range(BIG_FUNDS)]
    ids += [f"{p}{i:03d}" for p in CONCURRENT for i in range(40)]
    funds = folder / "funds.csv"
    funds.write_text(
        "fund_id,fund_name,category\n" + "".join(f"{i},Fund {i},Equity\n" for i in ids),
        encoding="utf-8",
    )
    big = folder / "big-nav.csv"
    files = {"funds": funds, "big": big, "rows": {}}
    files["rows"]["big"] = _nav_csv(big, "R", BIG_FUNDS, BIG_DAYS, "2005-01-03")
    for n, prefix in enumerate(CONCURRENT):
        path = folder / f"nav-{prefix}.csv"
        start = f"{2010 + 3 * n}-01-04"  # different dates as well as different funds
        files[prefix] = path
        files["rows"][prefix] = _nav_csv(path, prefix, 40, SMALL_DAYS, start)
    return files


def _cli(home: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "WORKBENCH_HOME": str(home),
        "PYTHONPATH": str(REPO),
        # generous on a busy machine: the property is that waiters get through, not how fast
        "WORKBENCH_BUSY_TIMEOUT": "120",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def _finish(proc: subprocess.Popen) -> dict:
    """The one file result of a successful `ingest --json`."""
    out, err = proc.communicate(timeout=CLI_DEADLINE_S)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["ok"] is True and len(result["files"]) == 1, result
    return result["files"][0]


def _store(home: Path) -> dict:
    with connect(Home(home)) as con:
        return {
            "nav": scalar(con, "SELECT count(*) FROM nav"),
            "ok": con.execute(
                "SELECT file_name, rows, inserted, unchanged FROM upload_log "
                "WHERE outcome = 'ok' AND kind = 'nav' ORDER BY upload_id"
            ).fetchall(),
            "other": scalar(
                con, "SELECT count(*) FROM upload_log WHERE kind = 'nav' AND outcome <> 'ok'"
            ),
        }


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _kill_while_writing(proc: subprocess.Popen, home: Home, trigger: str, delay: float) -> bool:
    """SIGKILL `proc` once it writes the database (`trigger` "data": the file grows; "wal": the
    commit's write-ahead log appears), `delay` s later; whether it was still alive then."""
    wal = home.db_path.with_name(home.db_path.name + ".wal")
    baseline = _size(home.db_path)
    deadline = time.monotonic() + CLI_DEADLINE_S
    while proc.poll() is None and time.monotonic() < deadline:
        growing = _size(home.db_path) != baseline
        if wal.exists() or (trigger == "data" and growing):
            if delay:
                time.sleep(delay)
            alive = proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            return alive and proc.returncode == -signal.SIGKILL
        time.sleep(0.002)
    proc.communicate(timeout=CLI_DEADLINE_S)
    return False


# ---------------------------------------------------------------- ingest under SIGKILL


def test_an_ingest_killed_mid_write_leaves_all_rows_or_none_and_can_be_redone(
    tmp_path: Path, universe: dict
) -> None:
    from engine.data.ingest import ingest_file

    home = Home(tmp_path / "home").ensure()
    total = universe["rows"]["big"]
    assert ingest_file(home, universe["funds"]).inserted == BIG_FUNDS + 40 * len(CONCURRENT)

    killed_mid_write = 0
    for trigger, delay in (("data", 0.0), ("data", 0.15), ("wal", 0.0)):
        proc = _cli(home.root, "ingest", str(universe["big"]), "--json")
        killed_mid_write += _kill_while_writing(proc, home, trigger, delay)
        after = _store(home.root)
        assert after["other"] == 0, after  # no refusal was logged for a kill
        if after["nav"] == 0:  # none: no 'ok' upload for it either
            assert after["ok"] == [], after
            continue
        # all: the commit was durable before the kill, with exactly one 'ok' upload
        assert after["nav"] == total, f"partial write after a kill ({trigger}): {after}"
        assert [r[:3] for r in after["ok"]] == [("big-nav.csv", total, total)], after
        break
    assert killed_mid_write >= 1, "no ingest was killed while it wrote the database"

    before = _store(home.root)["nav"]
    redo = _finish(_cli(home.root, "ingest", str(universe["big"]), "--json"))
    assert redo["rows"] == total and redo["replaced"] == 0
    assert (redo["inserted"], redo["unchanged"]) == ((total, 0) if before == 0 else (0, total))
    final = _store(home.root)
    assert final["nav"] == total and final["ok"][-1][1:] == (
        total,
        redo["inserted"],
        redo["unchanged"],
    )
    with connect(home) as con:
        spread = con.execute(
            "SELECT count(DISTINCT fund_id), count(DISTINCT (fund_id, date)), min(nav) FROM nav"
        ).fetchone()
    assert spread == (BIG_FUNDS, total, 1000.0)


# ---------------------------------------------------------------- concurrent ingests


def test_concurrent_ingests_are_exact_and_the_same_file_twice_lands_once(
    tmp_path: Path, universe: dict
) -> None:
    from engine.data.ingest import ingest_file

    home = Home(tmp_path / "home").ensure()
    ingest_file(home, universe["funds"])
    rows = universe["rows"]
    names = ["A", "B", "C", "D", "D"]
    procs = [_cli(home.root, "ingest", str(universe[n]), "--json") for n in names]
    results = [_finish(p) for p in procs]

    for name, result in zip(names[:3], results[:3], strict=True):
        assert (result["rows"], result["inserted"], result["unchanged"]) == (rows[name],) * 2 + (
            0,
        ), result
    twice = sorted((r["inserted"], r["unchanged"], r["replaced"]) for r in results[3:])
    assert twice == [(0, rows["D"], 0), (rows["D"], 0, 0)], twice

    after = _store(home.root)
    assert after["nav"] == sum(rows[n] for n in CONCURRENT), after
    assert len(after["ok"]) == 5 and after["other"] == 0, after
    with connect(home) as con:
        per_prefix = dict(
            con.execute("SELECT left(fund_id, 1), count(*) FROM nav GROUP BY 1").fetchall()
        )
    assert per_prefix == {n: rows[n] for n in CONCURRENT}


# ---------------------------------------------------------------- a run killed with SIGKILL


@pytest.mark.slow  # a real training run twice, plus the training store: minutes on two cores
def test_a_run_killed_after_a_checkpoint_resumes_from_it_and_finishes(
    train_home: Home,  # noqa: F811
) -> None:
    home = train_home
    max_steps = 6
    settings = {
        "sft_steps": 0,
        "max_steps": max_steps,
        "save_every": 1,
        "num_generations": 2,
        "per_device_train_batch_size": 2,
        "max_completion_length": 16,
        "eval_every": 100,
        "eval_max_funds": 2,
        "samples_every": 100,
    }
    run_id = runs.create_run(home, tiny_config(**settings))
    folder = RunFolder(home.runs / run_id)
    runs.start(home, run_id)

    poll(lambda: folder.last_checkpoint("grpo"), "a first GRPO checkpoint")
    os.kill(runs.status(home, run_id)["pid"], signal.SIGKILL)
    poll(lambda: not runs.status(home, run_id)["alive"], "the process is gone")
    checkpoint = folder.last_checkpoint("grpo")
    kept = int(checkpoint.name.split("-")[1])
    assert 1 <= kept < max_steps, checkpoint
    before = [e for e in events_of(home, run_id) if e["kind"] == "train"]
    assert [e["step"] for e in before][:kept] == list(range(1, kept + 1))

    assert runs.recover(home) == [run_id]
    failed = runs.status(home, run_id)
    assert failed["state"] == "failed" and failed["resumable"], failed

    runs.resume(home, run_id)
    done = runs.wait(home, run_id, timeout=DEADLINE_S)
    assert done["state"] == "finished" and done["resumes"] == 1, done
    log = folder.log.read_text(encoding="utf-8")
    assert f"resuming grpo from checkpoint-{kept}" in log, log[-3000:]

    events = events_of(home, run_id)
    train = [e for e in events if e["kind"] == "train" and e["phase"] == "grpo"]
    assert [e["step"] for e in train] == list(range(1, max_steps + 1))  # each step once
    assert train[:kept] == before[:kept]  # the steps up to the checkpoint were not redone
    # the validation before RL ran once: the resumed process did not start GRPO over
    untrained = [e for e in events if e["kind"] == "eval" and e["step"] == 0]
    assert len(untrained) == 1, untrained
