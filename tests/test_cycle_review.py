"""The analyst queue of a rating cycle is the Review page filtered to the cycle: a model cycle's
evaluation opens on the funds routed to the analysts, each with the reasons it was sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.clients import clients, registry
from engine.cycle import run as cycles
from engine.cycle.folder import CycleFolder, cycles_dir
from store import cycles as stored
from store.db import connect
from tests import evaluation_support
from tests.test_api_support import add_run, fund_ids
from workbench.i18n import t

pytestmark = pytest.mark.process  # its cycle runs a model evaluation job as a process

eval_template = evaluation_support.eval_template
eval_home = evaluation_support.eval_home

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
REVIEW = "../pages/review.py"
AS_OF = "2026-08-31"


def test_a_cycles_evaluation_opens_on_its_analyst_queue_with_the_reasons(eval_home) -> None:
    with connect(eval_home) as con:
        client = clients.create_client(con, "Alpha", fund_ids=fund_ids(con, 10), by="t")
        add_run(con, "run-0001")
        registry.approve(con, "run-0001", client_id=client["client_id"], by="t", reason="test")
    (cycle,) = cycles.start(eval_home, as_of=AS_OF, samples=1, background=False)["cycles"]
    assert cycle["state"] == "finished", cycle
    (evaluation_id,) = CycleFolder(cycles_dir(eval_home) / cycle["cycle_id"]).evaluations()
    with connect(eval_home) as con:
        rows = stored.grades(con, cycle["cycle_id"])
    queue = rows[rows["route"] == "analyst"]
    assert 0 < len(queue) <= len(rows)

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(REVIEW).run()
    at.selectbox(key="rev_evaluation").set_value(evaluation_id).run()
    assert not at.exception, at.exception
    toggle = at.toggle(key="rev_only_queue")
    assert toggle.value is True
    assert str(len(queue)) in toggle.label and cycle["cycle_id"] in toggle.label
    listed = at.selectbox(key="rev_fund").options
    assert len(listed) == len(queue)
    assert {option.split(" · ")[0] for option in listed} == set(queue["fund_id"])
    opened = at.selectbox(key="rev_fund").value
    reasons = queue.set_index("fund_id").loc[opened, "route_reasons"]
    shown = [
        c.value for c in at.caption if t("rev_routed_for", reasons="").split(":")[0] in c.value
    ]
    assert shown and all(t(f"rev_route_{r}") in shown[0] for r in reasons)
