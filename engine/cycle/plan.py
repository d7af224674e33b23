"""Which model grades a cycle, for which clients, under which methodology and prompt form.

By default each client gets its approved model (`store.registry.current_model`: its own, else
the all-clients one), so one cycle runs per distinct model; `--model run:RUN|rules` grades
every client's funds with that one. A run's cycle uses the run's methodology version, language
and prompt form (its model was trained on them); a rules cycle the active methodology.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from engine.evaluation.evaluators import RUN_ID_RE, EvaluationError, run_config
from engine.methodology import active, get
from store.clients import get_client, list_clients
from store.home import Home
from store.registry import ALL_CLIENTS, current_model

RULES = "rules"


class CycleError(ValueError):
    """A cycle cannot be planned, started or found; one line says why and what to do."""


@dataclass(frozen=True)
class CyclePlan:
    """One cycle to run: its model spec and what it grades with, and the clients it publishes to."""

    model: str  # rules | run:<run_id>
    methodology_id: str
    methodology_version: int
    language: str = "ko"
    prompt_style: str = "compact"
    clients: tuple[str, ...] = field(default_factory=tuple)

    @property
    def run_id(self) -> str | None:
        return self.model.partition(":")[2] or None


def parse_model(text: str) -> str:
    """'rules' or 'run:<run_id>' (a bare run id is accepted)."""
    spec = (text or "").strip()
    if spec == RULES:
        return RULES
    run = spec.removeprefix("run:")
    if RUN_ID_RE.match(run):
        return f"run:{run}"
    raise CycleError(f"--model must be rules or run:RUN_ID (e.g. run:run-0003), not '{text}'")


def plan_for(
    home: Home, con: duckdb.DuckDBPyConnection, model: str, clients: list[str]
) -> CyclePlan:
    """The plan of one model spec for `clients`."""
    if model == RULES:
        chosen = active(con, clients[0] if len(clients) == 1 else ALL_CLIENTS)
        if chosen is None:
            raise CycleError("no methodology is active: activate one first (methodology activate)")
        doc = get(con, *chosen)
        return CyclePlan(RULES, doc["id"], int(doc["version"]), clients=tuple(clients))
    run_id = model.partition(":")[2]
    try:
        config = run_config(home, run_id)
    except EvaluationError as exc:
        raise CycleError(str(exc)) from exc
    version = config.get("methodology_version")
    if version is None:
        version = get(con, config["methodology_id"])["version"]
    return CyclePlan(
        model,
        config["methodology_id"],
        int(version),
        config.get("language") or "ko",
        config.get("prompt_style") or "full",
        tuple(clients),
    )


def plans(
    home: Home, con: duckdb.DuckDBPyConnection, model: str | None, client: str | None
) -> tuple[list[CyclePlan], list[dict]]:
    """(the cycles to run, the clients left out and why). `model` None: each client's approved
    model; `client` None: every enabled client."""
    if client is not None:
        found = get_client(con, client)
        if found is None:
            raise CycleError(f"there is no client {client}")
        clients = [client]
    else:
        listed = list_clients(con)
        clients = [str(c) for c, off in zip(listed["client_id"], listed["disabled"], strict=True)
                   if not off]  # fmt: skip
    if model is not None:
        return [plan_for(home, con, parse_model(model), clients)], []
    by_model: dict[str, list[str]] = {}
    skipped = []
    for c in clients:
        approved = current_model(con, c)
        if approved is None:
            skipped.append({"client_id": c, "why": "no model is approved for it"})
        else:
            by_model.setdefault(f"run:{approved['run_id']}", []).append(c)
    if not clients:
        house = current_model(con, ALL_CLIENTS)
        if house is not None:
            by_model[f"run:{house['run_id']}"] = []
    if not by_model:
        raise CycleError(
            "no model is approved for any client: approve one (python -m workbench model approve "
            "RUN_ID --reason …) or grade with the rules (--model rules)"
        )
    return [plan_for(home, con, spec, cs) for spec, cs in by_model.items()], skipped
