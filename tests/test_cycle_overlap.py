"""A model cycle overlaps its work with the model's: the evaluation process is launched before
the features are computed (it loads the model meanwhile and waits for its prompts), and the
tabular baseline is fitted while the model answers. A prestarted process that is not needed is
called off and leaves nothing behind.

The store is the evaluation demo with run-0001, whose model is the untrained built-in tiny
model (tests/evaluation_support.py).
"""

from __future__ import annotations

import time

import pytest

from engine.clients import clients, registry
from engine.cycle import answers
from engine.cycle import run as cycles
from engine.cycle.folder import CycleFolder, cycles_dir
from engine.cycle.plan import CyclePlan
from engine.evaluation.folder import EvaluationFolder, evaluations_dir
from store import evaluations as stored_evaluations
from store.db import connect
from tests import evaluation_support
from tests.test_api_support import add_run, fund_ids

pytestmark = pytest.mark.process  # every test runs a model evaluation job as a process

eval_template = evaluation_support.eval_template
eval_home = evaluation_support.eval_home

AS_OF = "2026-08-31"
DEADLINE_S = 180


def _approve(home) -> None:
    with connect(home) as con:
        client = clients.create_client(con, "Alpha", fund_ids=fund_ids(con, 10), by="t")
        add_run(con, "run-0001")
        registry.approve(con, "run-0001", client_id=client["client_id"], by="t", reason="test")


def test_the_baseline_is_fitted_while_the_prestarted_model_answers(eval_home, monkeypatch) -> None:
    _approve(eval_home)
    seen = []
    real = cycles.tabular_grades

    def baseline(home, *args, **kwargs):
        (folder,) = [CycleFolder(p) for p in cycles_dir(home).glob("cycle-*")]
        evaluation_id = folder.read_status().get("evaluation_id")
        where = EvaluationFolder(evaluations_dir(home) / str(evaluation_id))
        seen.append((evaluation_id, where.prompts.is_file()))
        return real(home, *args, **kwargs)

    monkeypatch.setattr(cycles, "tabular_grades", baseline)
    (cycle,) = cycles.start(eval_home, as_of=AS_OF, samples=1, background=False)["cycles"]
    assert cycle["state"] == "finished"
    folder = CycleFolder(cycles_dir(eval_home) / cycle["cycle_id"])
    (evaluation_id,) = folder.evaluations()
    assert seen == [(evaluation_id, True)]  # the model was answering when the baseline began
    where = EvaluationFolder(evaluations_dir(eval_home) / evaluation_id)
    assert "start ahead of the prompts" in where.log.read_text(encoding="utf-8")
    status = where.read_status()
    assert status["state"] == "finished" and status["done"] == status["total"] == cycle["n_funds"]
    assert status["generation_started_at"] >= status["started_at"]
    assert folder.read_status()["tabular_fitted_on"] == "run-0001's training split"
    with connect(eval_home) as con:
        row = stored_evaluations.get_evaluation(con, evaluation_id)
    assert row["selection"] == f"cycle:{cycle['cycle_id']}" and row["n_funds"] == cycle["n_funds"]
    assert row["state"] == "finished"
    assert sorted(p.name for p in evaluations_dir(eval_home).iterdir()) == [evaluation_id]


def test_a_prestarted_evaluation_called_off_removes_its_folder(eval_home) -> None:
    plan = CyclePlan("run:run-0001", "house", 1, "ko", "compact", ())
    warm = answers.prestart(eval_home, "cycle-0099", plan, {"samples": 1})
    assert warm.folder.config.is_file() and not warm.folder.prompts.exists()
    answers.cancel(warm)
    deadline = time.monotonic() + DEADLINE_S
    while warm.folder.root.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not warm.folder.root.exists()
    with connect(eval_home) as con:
        assert stored_evaluations.get_evaluation(con, warm.evaluation_id) is None
    answers.cancel(warm)  # twice: nothing more happens
