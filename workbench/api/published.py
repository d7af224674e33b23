"""What the API's read paths answer from: each client's release files (`store.release_files`),
read once into memory, and the JSON answers made from them, kept by the index they came from.

Per request the only file-system call is one `os.stat` of the client's index.json: unchanged, the
answer comes from memory; changed (a release published, the client's funds changed), the index is
read again, with the funds file and the releases not yet in memory (a release folder never
changes, so it is kept by its manifest's sha256). A client whose files are missing or broken has
them written from the store first (`store.release_files.sync`): the only time a read opens the
database. Answers are the bytes FastAPI would make of the same models (pydantic's JSON).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from store import release_files
from store.atomic_files import stat_key
from store.db import opened
from store.home import Home
from store.release_files import Index, ReleaseFileError
from workbench.api import models as m

log = logging.getLogger(__name__)

MAX_ANSWERS = 4096  # JSON answers kept, least recently used dropped first
MAX_RELEASES = 2048  # release folders kept in memory (all clients)


class NotFound(LookupError):
    """The client has no such fund or release (its message is the API's)."""


# ---------------------------------------------------------------- rows as the API shows them


def _plain(value: Any) -> Any:
    if value is None:
        return None
    try:
        if value != value:  # NaN / NaT
            return None
    except (TypeError, ValueError):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is None:  # the store keeps UTC, naive
        value = value.replace(tzinfo=UTC)
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """The frame's rows as dicts of plain Python values (None for missing, UTC datetimes)."""
    return [{k: _plain(v) if not isinstance(v, dict) else v for k, v in r.items()}
            for r in frame.astype(object).where(pd.notna(frame), None).to_dict("records")]  # fmt: skip


def fund_model(row: dict, detail: bool = False) -> m.Fund:
    """A row of `store.releases.current_grades` as the API's Fund (FundDetail with `detail`)."""
    current = None
    if row.get("parse_status") is not None:
        keys = ("as_of", "grade", "scores", "reasoning", "parse_status", "source", "run_id",
                "methodology_id", "methodology_version", "cycle_id")  # fmt: skip
        current = m.Grade(release_version=row["release_version"], **{k: row[k] for k in keys})
    fields = {k: row.get(k) for k in ("fund_id", "fund_name", "category", "company")}
    if not detail:
        return m.Fund(**fields, current=current)
    extra = ("manager", "inception_date", "currency", "benchmark_id", "expense_ratio", "aum")
    return m.FundDetail(**fields, current=current, **{k: row.get(k) for k in extra})


def to_json(model: BaseModel) -> bytes:
    """The model as FastAPI answers it (pydantic's JSON, by alias)."""
    return model.model_dump_json(by_alias=True).encode("utf-8")


# ---------------------------------------------------------------- what is kept


@dataclass
class _Release:
    meta: dict
    rows: list[dict]
    by_fund: dict[str, dict]


@dataclass
class _Client:
    path: Path  # its index.json
    index: Index
    funds: list[dict]
    by_fund: dict[str, dict]
    releases: dict[int, _Release] = field(default_factory=dict)  # by version, ascending


class Published:
    """The release files of `home`, kept in memory per client, and the answers made of them."""

    def __init__(self, home: Home, busy_timeout_s: float = 10.0) -> None:
        self.home, self.busy_timeout_s = home, busy_timeout_s
        self._clients: dict[str, _Client] = {}
        self._releases: OrderedDict[tuple[str, int, str], _Release] = OrderedDict()
        self._answers: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._loading = threading.Lock()
        self.store_reads = 0  # clients written from the store (backfills) since start

    # ------------------------------------------------------------ loading

    def current(self, client_id: str) -> _Client | None:
        """The client's files in memory if its index did not change since (one os.stat);
        None when they must be (re)loaded with `load`."""
        kept = self._clients.get(client_id)
        if kept is None:
            return None
        return kept if stat_key(kept.path) == kept.index.stat else None

    def load(self, client_id: str) -> _Client:
        """The client's files, read again (blocking: file reads, and the store when they are
        missing or broken)."""
        with self._loading:
            kept = self.current(client_id)
            if kept is not None:
                return kept
            try:
                loaded = self._read(client_id)
            except ReleaseFileError as exc:
                log.warning("release files of %s: %s; writing them again", client_id, exc)
                loaded = None
            if loaded is None:
                self._write_from_store(client_id, verify=True)
                loaded = self._read(client_id)
                if loaded is None:
                    raise ReleaseFileError(f"the release files of {client_id} cannot be read")
            with self._lock:
                self._clients[client_id] = loaded
            return loaded

    def _write_from_store(self, client_id: str, verify: bool) -> None:
        with opened(self.home.db_path, self.busy_timeout_s) as con:
            release_files.sync(con, [client_id], home=self.home, verify=verify,
                               lock_timeout_s=self.busy_timeout_s)  # fmt: skip
        self.store_reads += 1

    def _read(self, client_id: str) -> _Client | None:
        index = release_files.read_index(self.home, client_id)
        if index is None:
            return None
        funds = records(release_files.read_funds(self.home, client_id, index))
        path = release_files.index_path(self.home, client_id)
        client = _Client(path, index, funds, {f["fund_id"]: f for f in funds})
        for version in sorted(index.releases):
            client.releases[version] = self._release(client_id, version, index.releases[version])
        return client

    def _release(self, client_id: str, version: int, sha: str) -> _Release:
        key = (client_id, version, sha)
        with self._lock:
            kept = self._releases.get(key)
            if kept is not None:
                self._releases.move_to_end(key)
                return kept
        meta, frame = release_files.read_release(self.home, client_id, version, sha)
        rows = records(frame)
        release = _Release(meta, rows, {r["fund_id"]: r for r in rows})
        with self._lock:
            self._releases[key] = release
            while len(self._releases) > MAX_RELEASES:
                self._releases.popitem(last=False)
        return release

    # ------------------------------------------------------------ answers

    def kept_answer(
        self, client: _Client, client_id: str, what: str, arg: Any = None
    ) -> bytes | None:
        """The answer `what` for `arg` if it was made from the same index; else None."""
        key = (client_id, client.index.sha256, what, arg)
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None:
                self._answers.move_to_end(key)
            return kept

    def answer(self, client: _Client, client_id: str, what: str, arg: Any = None) -> bytes:
        """The JSON answer `what` ("funds", "fund", "evaluations", "releases", "release",
        "methodology") for `arg` (a fund id or a version), made and kept; NotFound for what the
        client lacks."""
        kept = self.kept_answer(client, client_id, what, arg)
        if kept is not None:
            return kept
        made = to_json(_ANSWERS[what](client, arg))
        with self._lock:
            self._answers[(client_id, client.index.sha256, what, arg)] = made
            while len(self._answers) > MAX_ANSWERS:
                self._answers.popitem(last=False)
        return made

    def has_fund(self, client: _Client, fund_id: str) -> bool:
        """Whether the fund is one of the client's."""
        return fund_id in client.by_fund


def _fund_row(client: _Client, fund_id: str) -> dict:
    row = client.by_fund.get(fund_id)
    if row is None:
        raise NotFound(f"fund {fund_id} not found")
    return row


def _release_of(client: _Client, version: int) -> _Release:
    release = client.releases.get(int(version))
    if release is None:
        raise NotFound(f"release {version} not found")
    return release


def _funds(client: _Client, _arg: None) -> m.FundList:
    version = next((r["release_version"] for r in client.funds if r["release_version"]), None)
    return m.FundList(funds=[fund_model(r) for r in client.funds], release_version=version)


def _fund(client: _Client, fund_id: str) -> m.FundDetail:
    return fund_model(_fund_row(client, fund_id), detail=True)


_FROM_RELEASE = ("as_of", "published_at", "run_id", "methodology_id", "methodology_version")
_FROM_ROW = ("grade", "scores", "reasoning", "thinking", "evaluator", "parse_status", "source")


def _evaluations(client: _Client, fund_id: str) -> m.FundEvaluations:
    _fund_row(client, fund_id)
    found = []
    for version, release in client.releases.items():
        row = release.by_fund.get(fund_id)
        if row is None:
            continue
        found.append(m.Evaluation(
            release_version=version, **{k: release.meta[k] for k in _FROM_RELEASE},
            **{k: row[k] for k in _FROM_ROW}, cycle_id=release.meta.get("cycle_id"),
        ))  # fmt: skip
    return m.FundEvaluations(fund_id=fund_id, evaluations=found)


def _newest_first(release: _Release) -> tuple:
    return (release.meta["published_at"], release.meta["version"])


def _releases(client: _Client, _arg: None) -> m.ReleaseList:
    ordered = sorted(client.releases.values(), key=_newest_first, reverse=True)
    return m.ReleaseList(releases=[m.Release(**r.meta) for r in ordered])


def _release(client: _Client, version: int) -> m.ReleaseDetail:
    release = _release_of(client, version)
    rows = [m.ReleaseRow(**r) for r in release.rows]
    return m.ReleaseDetail(**release.meta, evaluations=rows)


def _methodology(client: _Client, version: int) -> m.Methodology:
    meta = _release_of(client, version).meta
    text = meta.get("methodology_body")
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    return m.Methodology(methodology_id=meta["methodology_id"],
                         version=int(meta["methodology_version"]),
                         body=body if isinstance(body, dict) else None)  # fmt: skip


_ANSWERS = {"funds": _funds, "fund": _fund, "evaluations": _evaluations,
            "releases": _releases, "release": _release, "methodology": _methodology}  # fmt: skip
