"""The model registry's rules: which promotions are allowed (docs/clients-format.md section 3).

Only a finished run can be approved, every promotion says why, and only a run approved for a
scope can be retired there. The append-only rows and the queries over them (the current model
of a client, the history, the model list, the card facts) are `store.registry`'s.
"""

from __future__ import annotations

import duckdb

from store import registry as registry_store
from store.clients import client_exists
from store.registry import ALL_CLIENTS, current_model, history, list_models

__all__ = [
    "ALL_CLIENTS", "STATES", "RegistryError", "approve", "card_facts", "current_model",
    "history", "list_models", "mark_draft", "retire",
]  # fmt: skip

STATES = ("draft", "approved", "retired")


class RegistryError(ValueError):
    """A promotion is not allowed or its run is unknown; one line says why."""


def _record(
    con: duckdb.DuckDBPyConnection, run_id: str, state: str, client_id: str, by: str, reason: str
) -> dict:
    if state not in STATES:
        raise RegistryError(f"state must be one of {', '.join(STATES)}, not '{state}'")
    if not (reason or "").strip():
        raise RegistryError("say why (--reason): every promotion is recorded with its reason")
    run_state = registry_store.run_state(con, run_id)
    if run_state is None:
        raise RegistryError(f"there is no run {run_id} (see: python -m workbench runs list)")
    if state == "approved" and run_state != "finished":
        raise RegistryError(f"{run_id} is {run_state}: only a finished run can be approved")
    if client_id != ALL_CLIENTS and not client_exists(con, client_id):
        raise RegistryError(f"there is no client {client_id}")
    if state == "retired" and not registry_store.is_standing(con, run_id, client_id):
        where = "any client" if client_id == ALL_CLIENTS else client_id
        raise RegistryError(f"{run_id} is not approved for {where}: nothing to retire")
    return registry_store.insert_promotion(con, run_id, state, client_id, by, reason.strip())


def approve(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    client_id: str = ALL_CLIENTS,
    by: str,
    reason: str,
) -> dict:
    """Approve a finished run for a client ('*': all); it supersedes the scope's current one."""
    return _record(con, run_id, "approved", client_id, by, reason)


def retire(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    client_id: str = ALL_CLIENTS,
    by: str,
    reason: str,
) -> dict:
    """Retire an approved run for a client, or everywhere with '*'; the scope falls back to its
    previous approved run."""
    return _record(con, run_id, "retired", client_id, by, reason)


def mark_draft(con: duckdb.DuckDBPyConnection, run_id: str, *, by: str, reason: str) -> dict:
    """Record that a run was put forward as a draft (no effect on what clients see)."""
    return _record(con, run_id, "draft", ALL_CLIENTS, by, reason)


def card_facts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    """The model-card facts of a run (see `store.registry.card_facts`); RegistryError for an
    unknown run."""
    facts = registry_store.card_facts(con, run_id)
    if facts is None:
        raise RegistryError(f"there is no run {run_id}")
    return facts
