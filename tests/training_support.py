"""Shared pieces of the training tests: a demo store to train on and helpers for live runs.

The store is the synthetic demo (80 funds, so the training split has about 40 funds) with the
one-criterion blank methodology active: its prompts are short (about 650 tokens for the tiny
model), which keeps real training runs in the suite to seconds. The tiny model is built once.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.training.config import RunConfig, for_model
from engine.training.folder import RunFolder
from store.home import Home
from tests.template_support import built_once, copy_home, demo_builder

DEMO_FUNDS = 80
DEMO_YEARS = 4
DEADLINE_S = 900.0  # generous: the suite may share two cores with other work


@pytest.fixture(scope="session")
def train_template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """Demo store + active blank methodology + built tiny model; copy it, never change it."""

    def build(where: Home) -> None:
        from engine.llm.models import resolve
        from engine.methodology import blank, save_version, set_active
        from store.db import connect

        demo_builder(n_funds=DEMO_FUNDS, years=DEMO_YEARS)(where)
        with connect(where) as con:
            version = save_version(con, blank("ko"), created_by="test")
            set_active(con, "new-methodology", version, set_by="test")
        resolve(where, "builtin-tiny")

    return built_once(tmp_path_factory, "train", build)


@pytest.fixture
def train_home(
    train_template: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Home]:
    """A private copy of the training store; every training process left is ended after."""
    where = copy_home(train_template, tmp_path / "train-home")
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    yield where
    end_processes(where)


def end_processes(home: Home) -> None:
    """SIGKILL the training processes this test started (by pid, checked by command line)."""
    for path in home.runs.glob("run-*"):
        folder = RunFolder(path)
        if folder.process_alive():
            os.kill(folder.pid(), signal.SIGKILL)


def tiny_config(**changes) -> RunConfig:
    """builtin-tiny with test-sized settings: short answers, small groups, frequent events."""
    settings = {
        "sft_steps": 60,
        "max_steps": 8,
        "num_generations": 4,
        "per_device_train_batch_size": 8,
        "max_completion_length": 96,
        "eval_every": 4,
        "eval_max_funds": 12,
        "save_every": 50,
        "samples_every": 4,
    }
    return for_model("builtin-tiny", **{**settings, **changes})


def poll(what: Callable[[], object], message: str, deadline_s: float = DEADLINE_S) -> object:
    """`what()` once it is truthy; fails with `message` after the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {deadline_s:.0f} s: {message}")


def events_of(home: Home, run_id: str) -> list[dict]:
    return RunFolder(home.runs / run_id).read_events()[0]
