"""Publishing releases: what a client sees, frozen (docs/clients-format.md section 4).

Publishing takes the latest finished evaluation by the client's approved model (`run:<run_id>`,
as_of on or before the date asked for) that grades the client's funds; when there is none, or it
misses some of them (unless `allow_partial`), it refuses and says which evaluation to run. A rating cycle publishes with `publish_cycle`:
the cycle's final grades of the client's funds, each with its source (docs/rating-cycle.md). The
release rows and the queries over them are `store.releases`'s, passed through here for reading.
Each publication also writes the release once as files the client API serves from
(`store.release_files`, docs/api-release-files.md).
"""

from __future__ import annotations

import duckdb

from store import release_files
from store import releases as release_store
from store.clients import client_funds, get_client
from store.registry import current_model
from store.releases import (
    current_grades,
    find_evaluation,
    get_release,
    grade_history,
    latest,
    list_releases,
    methodology_of,
    release_rows,
)

__all__ = [
    "ReleaseError", "current_grades", "find_evaluation", "get_release", "grade_history", "latest",
    "list_releases", "methodology_of", "publish", "publish_cycle", "release_rows",
]  # fmt: skip


class ReleaseError(ValueError):
    """A release cannot be published or found; one line says why and what to do."""


def publish(
    con: duckdb.DuckDBPyConnection,
    client_id: str,
    *,
    as_of: str | None = None,
    by: str,
    note: str | None = None,
    allow_partial: bool = False,
) -> dict:
    """Freeze the client's approved model's evaluation of its funds as the next release.

    Refuses (ReleaseError naming the evaluation to run) when no evaluation by the model grades
    any of the client's funds, or when the chosen one misses some and not `allow_partial`."""
    if get_client(con, client_id) is None:
        raise ReleaseError(f"there is no client {client_id}")
    funds = client_funds(con, client_id)
    if not funds:
        raise ReleaseError(f"client {client_id} has no funds")
    model = current_model(con, client_id)
    if model is None:
        raise ReleaseError(
            f"no model is approved for {client_id}: approve one first "
            f"(python -m workbench model approve RUN_ID --client {client_id} --reason …)"
        )
    run_id = model["run_id"]
    found = find_evaluation(con, run_id, funds, as_of)
    command = (f"python -m workbench evaluate --model run:{run_id} --funds all"
               + (f" --as-of {as_of}" if as_of else ""))  # fmt: skip
    if found is None:
        when = f" as of {as_of} or earlier" if as_of else ""
        raise ReleaseError(
            f"no finished evaluation by run:{run_id}{when} grades any of the {len(funds)} funds "
            f"of {client_id}: run one ({command}) and publish again"
        )
    missing = sorted(set(funds) - set(found["covered"]))
    if missing and not allow_partial:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise ReleaseError(
            f"{found['evaluation_id']} (run:{run_id}, as of {found['as_of']}) has no grade for "
            f"{len(missing)} of the {len(funds)} funds of {client_id} ({shown}): evaluate them "
            f"({command}) or publish the graded ones only (--partial)"
        )
    with release_files.changing(con, client_id):
        version = release_store.insert_release(
            con, client_id, run_id, found, funds, by=by, note=note
        )
    return {**get_release(con, client_id, version), "missing": missing}


def publish_cycle(
    con: duckdb.DuckDBPyConnection,
    client_id: str,
    cycle_id: str,
    *,
    by: str,
    note: str | None = None,
) -> dict:
    """Freeze a finished cycle's final grades of the client's funds as its next release.

    {"client_id", "version"} when published; "version" None and "why" when there was nothing new
    to publish (same grades as the client's newest release from this cycle, a later cycle
    published since, or none of its funds graded). ReleaseError for an unknown client."""
    if get_client(con, client_id) is None:
        raise ReleaseError(f"there is no client {client_id}")
    funds = client_funds(con, client_id)
    if not funds:
        return {"client_id": client_id, "version": None, "why": "the client has no funds"}
    with release_files.changing(con, client_id):
        outcome = release_store.insert_cycle_release(
            con, client_id, cycle_id, funds, by=by, note=note
        )
    return {"client_id": client_id, **outcome}
