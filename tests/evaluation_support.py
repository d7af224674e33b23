"""Shared pieces of the evaluation tests: a demo store with a finished-looking run to evaluate.

The store is the synthetic demo (60 funds over 5 years; 50 rated on the latest date) with the
"house" methodology v1 the demo installs. The training back end takes over a minute for even
a tiny real run on two busy cores, so `run-0001` is a run folder written by the test the way
a finished run leaves it: config.json (builtin-tiny, answers of 8 tokens), the frozen
snapshot of house v1, status "finished", and `sft_model/` and `model/` as copies of the
untrained built-in tiny model. Run-based evaluators (`tabular:`, `sft:`, `run:`) read exactly
these files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from store.home import Home
from tests.template_support import built_on, copy_home, demo_store

RUN_ID = "run-0001"
DEMO_FUNDS, DEMO_YEARS = 60, 5
ANSWER_TOKENS = 8


def write_run(home: Home, run_id: str = RUN_ID, *, sft: bool = True) -> Path:
    """A finished-looking run folder over house v1 with the untrained tiny model as its models."""
    from engine.llm.models import resolve
    from engine.training.config import for_model
    from engine.training.snapshot import build_snapshot, write_snapshot

    folder = home.runs / run_id
    folder.mkdir(parents=True)
    snapshot = build_snapshot(home, "house", 1, seed=0)
    write_snapshot(snapshot, folder / "snapshot")
    config = for_model(
        "builtin-tiny",
        run_id=run_id,
        methodology_id="house",
        methodology_version=1,
        as_of=snapshot.manifest["as_of"],
        max_completion_length=ANSWER_TOKENS,
        sft_steps=60 if sft else 0,
    )
    (folder / "config.json").write_text(config.to_json(), encoding="utf-8")
    (folder / "status.json").write_text(json.dumps({"state": "finished"}), encoding="utf-8")
    tiny = resolve(home, "builtin-tiny")
    shutil.copytree(tiny, folder / "model")
    if sft:
        shutil.copytree(tiny, folder / "sft_model")
    return folder


@pytest.fixture(scope="session")
def eval_template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """Demo store + built tiny model + run-0001; copy it, never change it."""
    demo = demo_store(tmp_path_factory, n_funds=DEMO_FUNDS, years=DEMO_YEARS)
    return built_on(tmp_path_factory, "eval", demo, write_run)


def end_jobs(home: Home) -> None:
    """SIGKILL the evaluation processes of `home` still alive (by pid, checked by command line)."""
    root = home.root / "evaluations"
    for pid_file in root.glob("eval-*/pid") if root.is_dir() else []:
        try:
            pid = int(pid_file.read_text().strip())
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, ValueError):
            continue
        if "engine.evaluation.worker" in args and str(pid_file.parent) in args:
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def eval_home(eval_template: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private copy of the evaluation store, named by $WORKBENCH_HOME; jobs ended after."""
    where = copy_home(eval_template, tmp_path / "eval-home")
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    yield where
    end_jobs(where)
