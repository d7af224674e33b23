"""Starting, running, resuming and reading rating cycles (docs/rating-cycle.md).

`start` ingests the inbox, picks the date (the last month-end with NAVs) and the model of each
client, and for each (date, model, methodology version) either
- starts a new cycle (its header recorded, its folder `cycles/<cycle_id>/`, its worker launched),
- resumes an unfinished one whose process is gone (the model answers already made are reused),
- leaves a running one alone, or
- refreshes a finished one: analysts' decisions made since take precedence, and a client's
  release is published only when its grades changed. Run twice, nothing changes.

`carry_out` is the cycle itself (what the worker runs): features of every eligible fund, the
rule, tabular and model grades, routing, precedence, then the cycle's rows and its finished
state in one transaction, then one release per client.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from engine.clients.releases import list_releases, publish_cycle
from engine.cycle import answers as model_answers
from engine.cycle.asof import default_as_of
from engine.cycle.changes import changes
from engine.cycle.folder import ACTIVE_STATES, CYCLE_ID_RE, END_STATES, CycleFolder, cycles_dir
from engine.cycle.grading import (
    model_columns,
    rules_as_model,
    rules_columns,
    side_by_side,
    tabular_grades,
)
from engine.cycle.inbox import ingest_inbox
from engine.cycle.plan import RULES, CycleError, CyclePlan, plans
from engine.cycle.precedence import overlay
from engine.cycle.routing import RoutingRule, coverage_table, route
from engine.evaluation.fund_sets import training_ids
from engine.jobs import ids, liveness
from engine.jobs.jsonfiles import now_iso
from engine.jobs.launch import launch
from engine.jobs.wait import wait_until
from engine.methodology import get
from engine.training.features import features_from, read_inputs
from store import cycles as stored
from store.db import connect
from store.home import Home
from store.prices import rating_dates_ascending, ratings_on

log = logging.getLogger(__name__)

DEFAULT_SAMPLES = 3
POLL_S = 0.5
MAX_ID_TRIES = 50
OVERLAY = ("analyst_grade", "analyst_by", "final_grade", "source")


# ---------------------------------------------------------------- starting


def start(
    home: Home,
    *,
    as_of: date | str | None = None,
    model: str | None = None,
    client: str | None = None,
    samples: int = DEFAULT_SAMPLES,
    rule: RoutingRule | None = None,
    publish: bool = True,
    inbox: bool = True,
    created_by: str = "cli",
    background: bool = True,
    **generation: Any,
) -> dict[str, Any]:
    """Ingest the inbox, then start, resume or refresh the cycle of each model (see the module
    doc). {"as_of", "inbox": [...], "cycles": [{cycle_id, model, outcome, ...}], "skipped"}.
    `background` False runs new and resumed cycles in this process (tests, `--wait`-like use).
    `generation`: batch_size, max_new_tokens, temperature, device, seed of the model's answers."""
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise CycleError(f"samples must be a whole number of at least 1, got {samples!r}")
    rule = rule or RoutingRule()
    received = ingest_inbox(home, created_by=created_by) if inbox else []
    with connect(home) as con:
        when = _as_of(con, as_of)
        planned, skipped = plans(home, con, model, client)
    params = {"samples": samples, "rule": rule.to_dict(), "publish": publish,
              "created_by": created_by, **generation}  # fmt: skip
    cycles = [_start_one(home, plan, when, params, background) for plan in planned]
    return {"as_of": when.isoformat(), "inbox": received, "cycles": cycles, "skipped": skipped}


def _as_of(con: duckdb.DuckDBPyConnection, as_of: date | str | None) -> date:
    if as_of is not None:
        return pd.Timestamp(as_of).date()
    found = default_as_of(stored.month_last_nav_dates(con))
    if found is None:
        raise CycleError("no month-end with NAVs in the store: load NAVs (or the demo) first")
    return found


def _start_one(home: Home, plan: CyclePlan, as_of: date, params: dict, background: bool) -> dict:
    key = (as_of, plan.model, plan.methodology_id, plan.methodology_version)
    with connect(home) as con:
        found = stored.find_cycle(con, *key)
    if found is not None and found["state"] == "finished":
        refreshed = refresh(home, found["cycle_id"], clients=list(plan.clients),
                            publish=params["publish"], by=params["created_by"])  # fmt: skip
        outcome = "refreshed" if refreshed["changed"] or refreshed["published"] else "unchanged"
        return {**_summary(home, found["cycle_id"]), "outcome": outcome, **refreshed}
    if found is not None:
        folder = CycleFolder(cycles_dir(home) / found["cycle_id"])
        current = folder.read_status()
        if current.get("state") in ACTIVE_STATES and liveness.alive(folder, current):
            return {**_summary(home, found["cycle_id"]), "outcome": "running"}
        config = folder.read_config()
        folder.write_config({**config, "clients": list(plan.clients)})
        folder.stop_flag.unlink(missing_ok=True)
        with connect(home) as con:
            stored.set_state(con, found["cycle_id"], "running", "resumed")
        _go(home, folder, background, note="resume")
        return {**_summary(home, found["cycle_id"]), "outcome": "resumed",
                "releases": folder.read_status().get("releases", [])}  # fmt: skip
    if plan.model == RULES:
        params = {**params, "samples": 1}  # the rule scorer is deterministic
    cycle_id, folder = _create(home, plan, as_of, params)
    _go(home, folder, background, note="start")
    return {**_summary(home, cycle_id), "outcome": "started",
            "releases": folder.read_status().get("releases", [])}  # fmt: skip


def _create(home: Home, plan: CyclePlan, as_of: date, params: dict) -> tuple[str, CycleFolder]:
    """Reserve the next cycle id, write its folder and record its header."""
    for _ in range(MAX_ID_TRIES):
        with connect(home) as con:
            recorded = stored.max_cycle_number(con)
        cycle_id, path = ids.reserve(cycles_dir(home), "cycle", recorded)
        folder = CycleFolder(path)
        config = {
            "cycle_id": cycle_id, "as_of": as_of.isoformat(), "model": plan.model,
            "run_id": plan.run_id, "methodology_id": plan.methodology_id,
            "methodology_version": plan.methodology_version, "language": plan.language,
            "prompt_style": plan.prompt_style, "clients": list(plan.clients), **params,
        }  # fmt: skip
        try:
            folder.write_config(config)
            folder.write_status(state="queued", step="queued", message="starting")
            with connect(home) as con:
                stored.insert_cycle(
                    con,
                    {**config, "params": {k: v for k, v in params.items() if k != "publish"}},
                )
        except duckdb.ConstraintException:
            shutil.rmtree(path, ignore_errors=True)
            with connect(home) as con:
                if stored.find_cycle(
                    con, as_of, plan.model, plan.methodology_id, plan.methodology_version
                ):
                    raise CycleError(
                        f"another process has just started the {as_of} cycle of {plan.model}"
                    ) from None
            continue
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return cycle_id, folder
    raise CycleError("could not find a free cycle id; try again")


def _go(home: Home, folder: CycleFolder, background: bool, note: str) -> None:
    if background:
        launch(folder, note=note, state="queued")
    else:
        carry_out(home, folder)


# ---------------------------------------------------------------- the cycle itself


def carry_out(home: Home, folder: CycleFolder) -> str:
    """Run the cycle of `folder` to its end; its state (finished, failed or stopped). Any error
    marks the cycle failed (store and folder) with a one-line message, nothing half-written."""
    cycle_id = folder.cycle_id
    folder.write_status(state="running", pid=os.getpid(), started_at=now_iso(), step="features",
                        message="reading the store", finished_at=None)  # fmt: skip
    try:
        outcome = _execute(home, folder)
    except model_answers.Stopped:
        _fail(home, folder, "stopped", "stopped on request")
        return "stopped"
    except BaseException as exc:  # every failure ends as "failed", the cycle can be resumed
        log.exception("%s failed", cycle_id)
        line = " ".join(str(exc).split()) or type(exc).__name__
        _fail(home, folder, "failed", f"{type(exc).__name__}: {line}")
        if not isinstance(exc, Exception):
            raise
        return "failed"
    folder.write_status(state="finished", step="done", finished_at=now_iso(), **outcome)
    return "finished"


def _fail(home: Home, folder: CycleFolder, state: str, message: str) -> None:
    folder.write_status(state=state, finished_at=now_iso(), message=message)
    try:
        with connect(home) as con:
            stored.set_state(con, folder.cycle_id, "failed", message[:500])
    except Exception:  # the folder says what happened; the store may be what failed
        log.warning("could not record the failure of %s", folder.cycle_id, exc_info=True)


def _execute(home: Home, folder: CycleFolder) -> dict[str, Any]:
    config = folder.read_config()
    plan = CyclePlan(config["model"], config["methodology_id"], int(config["methodology_version"]),
                     config["language"], config["prompt_style"], tuple(config["clients"]))  # fmt: skip
    warm = None
    if plan.model != RULES and not folder.evaluations():  # a new cycle: load the model meanwhile
        warm = model_answers.prestart(home, folder.cycle_id, plan, config)
    try:
        return _grade(home, folder, config, plan, warm)
    finally:
        model_answers.cancel(warm)


def _grade(
    home: Home, folder: CycleFolder, config: dict, plan: CyclePlan, warm: model_answers.Warm | None
) -> dict[str, Any]:
    """Features, grades, routing and precedence, the cycle's rows, its releases."""
    cycle_id, as_of = folder.cycle_id, date.fromisoformat(config["as_of"])
    rule = RoutingRule(**config["rule"])
    with connect(home) as con:
        doc = get(con, plan.methodology_id, plan.methodology_version)
        inputs = read_inputs(con, doc, as_of)
        dates = [d for d in rating_dates_ascending(con) if d <= as_of]
        ratings = (
            ratings_on(con, dates[-1:])
            if dates
            else pd.DataFrame(columns=["fund_id", "as_of", "grade"])
        )
    features = features_from(inputs, language=plan.language, prompt_style=plan.prompt_style)
    rules = rules_columns(features)
    log.info("%s: %d eligible funds on %s", cycle_id, len(features), as_of)
    folder.write_status(
        step="tabular", message=f"{len(features)} eligible funds", n_funds=len(features)
    )
    baseline: dict[str, Any] = {}

    def fit_baseline() -> None:
        baseline["grade"], baseline["fitted_on"] = tabular_grades(
            home, plan.run_id, inputs, features, ratings, language=plan.language,
            prompt_style=plan.prompt_style,
        )  # fmt: skip

    if plan.model == RULES or features.empty:
        fit_baseline()
        model = rules_as_model(rules)
    else:
        folder.write_status(step="model", message="the model is answering")

        def report(status: dict) -> None:
            folder.write_status(done=status.get("done"), total=status.get("total"),
                                eta_s=status.get("eta_s"), message=status.get("message"))  # fmt: skip

        answers = model_answers.model_answers(
            home, folder, plan, as_of.isoformat(), features, config, report, warm=warm,
            meanwhile=fit_baseline,
        )  # fmt: skip
        model = model_columns(answers)
    folder.write_status(step="routing", message="routing and writing the cycle")
    frame = route(side_by_side(rules, model, baseline["grade"]), rule)
    with connect(home) as con:
        experts = stored.latest_expert_grades(con, as_of)
        frame = frame.merge(experts, on="fund_id", how="left")
        frame = overlay(frame, stored.analyst_grades(con, as_of), rules_model=plan.model == RULES)
        routed = int((frame["route"] == "analyst").sum())
        message = f"{len(frame)} funds graded, {routed} to the analysts"
        stored.finish(con, cycle_id, frame, message)
    released = _publish(home, cycle_id, list(plan.clients), config.get("publish", True),
                        config.get("created_by", "cycle"))  # fmt: skip
    return {"message": message, "n_funds": len(frame), "n_routed": routed,
            "tabular_fitted_on": baseline["fitted_on"], "releases": released}  # fmt: skip


def _publish(home: Home, cycle_id: str, clients: list[str], publish: bool, by: str) -> list[dict]:
    if not publish or not clients:
        return []
    with connect(home) as con:
        return [publish_cycle(con, c, cycle_id, by=by, note=f"rating cycle {cycle_id}")
                for c in clients]  # fmt: skip


# ---------------------------------------------------------------- a finished cycle


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    left, right = a.astype(object), b.astype(object)
    return ((left == right) | (left.isna() & right.isna())).to_numpy(bool)


def refresh(
    home: Home, cycle_id: str, *, clients: list[str], publish: bool = True, by: str = "cli"
) -> dict[str, Any]:
    """Apply the analysts' grades decided since a finished cycle was written (precedence) and
    publish the clients whose grades changed. {"changed": n funds, "published": n releases,
    "releases": [...]}; nothing changes when nothing new was decided."""
    with connect(home) as con:
        cycle = stored.get_cycle(con, cycle_id)
        rows = stored.grades(con, cycle_id)
        fresh = overlay(rows, stored.analyst_grades(con, cycle["as_of"]),
                        rules_model=cycle["model"] == RULES)  # fmt: skip
        same = np.logical_and.reduce([_same(rows[c], fresh[c]) for c in OVERLAY])
        changed = stored.update_overlay(con, cycle_id, fresh[~same])
    released = _publish(home, cycle_id, clients, publish, by)
    return {"changed": changed, "published": sum(r["version"] is not None for r in released),
            "releases": released}  # fmt: skip


# ---------------------------------------------------------------- reading


def _folder(home: Home, cycle_id: str) -> CycleFolder:
    if not CYCLE_ID_RE.match(cycle_id or ""):
        raise CycleError(f"'{cycle_id}' is not a cycle id (cycle-0001, …)")
    return CycleFolder(cycles_dir(home) / cycle_id)


def recover(home: Home) -> list[str]:
    """Mark cycles whose process is gone as failed (folder and store); their ids."""
    root = cycles_dir(home)
    dead = liveness.recover(CycleFolder(p) for p in ids.job_dirs(root, CYCLE_ID_RE))
    if dead:
        with connect(home) as con:
            for cycle_id in dead:
                if (stored.get_cycle(con, cycle_id) or {}).get("state") == "running":
                    stored.set_state(con, cycle_id, "failed", CycleFolder.DIED)
    return dead


def status(home: Home, cycle_id: str) -> dict[str, Any]:
    """The cycle's job status (state, step, done/total answers, message); a dead process is
    found and marked failed."""
    folder = _folder(home, cycle_id)
    current = folder.read_status()
    if current.get("state") in ACTIVE_STATES and not liveness.alive(folder, current):
        recover(home)
        current = folder.read_status()
    return {**current, "cycle_id": cycle_id}


def wait(home: Home, cycle_id: str, timeout: float | None = None, on_progress=None) -> dict:
    """Block until the cycle ends (or `timeout` passes); its status."""
    return wait_until(lambda: status(home, cycle_id), lambda s: s.get("state") in END_STATES,
                      timeout, POLL_S, on_progress)  # fmt: skip


def _summary(home: Home, cycle_id: str) -> dict[str, Any]:
    with connect(home) as con:
        cycle = stored.get_cycle(con, cycle_id)
    return {k: cycle[k] for k in ("cycle_id", "as_of", "model", "run_id", "methodology_id",
                                  "methodology_version", "state", "n_funds", "n_routed",
                                  "evaluation_id", "message")}  # fmt: skip


def list_cycles(home: Home) -> pd.DataFrame:
    """Every cycle, newest date first (dead processes marked failed first)."""
    recover(home)
    with connect(home) as con:
        return stored.list_cycles(con)


def show(home: Home, cycle_id: str) -> dict[str, Any]:
    """A cycle: its header, job status, rows, counts by route and source, the coverage-against-
    agreement table, the changes since the previous cycle and the releases made from it."""
    folder = _folder(home, cycle_id)
    with connect(home) as con:
        cycle = stored.get_cycle(con, cycle_id)
        if cycle is None:
            raise CycleError(f"there is no cycle {cycle_id}")
        rows = stored.grades(con, cycle_id)
        previous = stored.previous_cycle(
            con, cycle["as_of"], cycle["model"], cycle["methodology_id"]
        )
        before = stored.grades(con, previous["cycle_id"]) if previous else None
        releases = list_releases(con)
    rule = RoutingRule(**(cycle["params"].get("rule") or {}))
    made = releases[releases["cycle_id"] == cycle_id]
    training = training_ids(home, cycle["run_id"]) if cycle.get("run_id") else set()
    return {
        "cycle": cycle,
        "status": status(home, cycle_id) if folder.root.is_dir() else {},
        "rows": rows,
        "routes": rows["route"].value_counts().to_dict(),
        "sources": rows["source"].value_counts().to_dict(),
        "reasons": pd.Series([r for rs in rows["route_reasons"] for r in rs])
        .value_counts()
        .to_dict(),
        "coverage": coverage_table(rows, rule, training=training) if len(rows) else [],
        # agreement is measured on held-out funds; None: the run's split could not be read
        "training_split_known": training is not None,
        "rule": rule.to_dict(),
        "previous": previous["cycle_id"] if previous else None,
        "changes": changes(before, rows) if len(rows) else None,
        "releases": json.loads(made.to_json(orient="records", date_format="iso")),
    }


def queue(home: Home, cycle_id: str) -> pd.DataFrame:
    """The cycle's analyst queue: its funds routed to the analysts, not yet graded by one."""
    with connect(home) as con:
        rows = stored.grades(con, cycle_id)
    return rows[(rows["route"] == "analyst") & rows["analyst_grade"].isna()].reset_index(drop=True)
