"""The pages' cached reads: one typed function per read of the store, the indicators and the
rule-based grades.

A store read opens one short-lived connection and is cached with `st.cache_data` under the
database file's modification stamp, so a write by this app (`after_write` also clears the
cache) or by another process (the CLI) is seen on the next run. No connection is kept between
reruns. When the store stays busy, a read shows the reason and stops the page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
import streamlit as st

from engine import methodology
from engine.clients import clients, registry, releases, users
from engine.data.metrics import MetricInputs
from engine.data.metrics import compute_indicators as indicators_from
from engine.data.metrics import indicators as compute_indicators
from engine.evaluation.agreement import compare
from engine.methodology.scoring import score_funds
from engine.review import feedback
from engine.training import runs as training_runs
from engine.training.config import TrainingError
from engine.training.folder import RunFolder
from store import cycles as cycle_store
from store import evaluations as evaluation_store
from store import prices, queries, review_reads
from store.db import StoreBusyError, connect
from store.home import Home, current_home
from workbench.i18n import t

R = TypeVar("R")
Stamp = tuple[str, int, int]
AUDIT_ROWS = 2000  # the admin page's API audit log shows at most this many calls
RUNS_TTL_S = 30.0  # how long the Review page reuses the run list while no run folder changes

# ---------------------------------------------------------------- cache and invalidation


def db_stamp(where: Home) -> Stamp:
    """The database file's identity and modification stamp (zeros before it exists)."""
    try:
        stat = where.db_path.stat()
    except FileNotFoundError:
        return (str(where.root), 0, 0)
    return (str(where.root), stat.st_mtime_ns, stat.st_size)


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(stamp: Stamp, name: str, _query: Callable[..., Any], *args: Any) -> Any:
    """`_query(con, *args)`, cached under the stamp, the query's name and the arguments."""
    with connect(Home(Path(stamp[0]))) as con:
        return _query(con, *args)


def _name(query: Callable[..., Any]) -> str:
    return f"{query.__module__}.{query.__qualname__}"


def _try_read(query: Callable[..., R], *args: Any) -> R | None:
    """`query(con, *args)` cached until the database changes; None (reason shown) when busy."""
    try:
        return _cached(db_stamp(current_home()), _name(query), query, *args)
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
        return None


def _read(query: Callable[..., R], *args: Any) -> R:
    """`query(con, *args)` cached until the database changes; stops the page when busy."""
    where = current_home()
    try:
        return _cached(db_stamp(where), _name(query), query, *args)
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
        st.stop()


def after_write() -> None:
    """Forget every cached read (call after this app wrote to the store)."""
    st.cache_data.clear()


def after_feedback_write() -> None:
    """Forget the cached reads a feedback action changes (not the indicators or rule-based
    grades: they depend on the fund data only, see `data_version`)."""
    for cached in (_cached, _data_version, _review):
        cached.clear()


# ---------------------------------------------------------------- the store's contents


def summary() -> dict:
    """Counts of the loaded data and runs, and whether it is the synthetic demo."""
    return _read(queries.summary)


def summary_if_ready() -> dict | None:
    """`summary()`, or None (reason shown) while the store is busy, without stopping the page."""
    return _try_read(queries.summary)


def table_counts() -> dict[str, int]:
    """Rows per table."""
    return _read(queries.table_counts)


def upload_log() -> pd.DataFrame:
    """The latest loads, newest first."""
    return _read(queries.upload_log)


def rating_dates() -> list[str]:
    """Distinct expert-rating dates (ISO), newest first."""
    return _read(queries.rating_dates)


def categories() -> list[str]:
    """The funds' categories."""
    return _read(queries.categories)


def companies() -> list[str]:
    """The funds' management companies."""
    return _read(queries.companies)


def funds(
    category: str | None = None, company: str | None = None, search: str | None = None
) -> pd.DataFrame:
    """Funds with their NAV coverage and latest expert grade, filtered."""
    return _read(queries.funds, category, company, search)


def nav_with_benchmark(fund_id: str) -> pd.DataFrame:
    """A fund's NAV beside its benchmark's."""
    return _read(queries.nav_with_benchmark, fund_id)


def ratings_for(fund_id: str) -> pd.DataFrame:
    """A fund's expert ratings."""
    return _read(queries.ratings_for, fund_id)


def qualitative_for(fund_id: str) -> pd.DataFrame:
    """A fund's qualitative reviews."""
    return _read(queries.qualitative_for, fund_id)


# ---------------------------------------------------------------- methodologies


def methodology_versions() -> pd.DataFrame:
    """Saved methodology versions, newest first per id (`engine.methodology.list_versions`)."""
    return _read(methodology.list_versions)


def methodology_doc(methodology_id: str, version: int | None = None) -> dict:
    """One saved methodology version (default: the latest); MethodologyError when there is none."""
    return _read(methodology.get, methodology_id, version)


def active_methodology(client: str = methodology.ALL_CLIENTS) -> tuple[str, int] | None:
    """The (id, version) active for a client ('*': every client), or None."""
    return _read(methodology.active, client)


# ---------------------------------------------------------------- evaluations and feedback


def evaluations() -> pd.DataFrame:
    """Every evaluation, newest first."""
    return _read(evaluation_store.list_evaluations)


# ---------------------------------------------------------------- clients, users, releases


def client_list() -> pd.DataFrame:
    """Every client institution."""
    return _read(clients.list_clients)


def client(client_id: str) -> dict | None:
    """One client, or None."""
    return _read(clients.get_client, client_id)


def api_keys(client_id: str) -> pd.DataFrame:
    """A client's API keys (never the secrets)."""
    return _read(clients.list_keys, client_id)


def client_funds(client_id: str) -> list[str]:
    """The fund ids a client may see."""
    return _read(clients.client_funds, client_id)


def user_list() -> list[dict]:
    """Every user (never the password hashes)."""
    return _read(users.list_users)


def approved_models() -> pd.DataFrame:
    """The model registry: the approved model per client scope."""
    return _read(registry.list_models)


def registry_history() -> pd.DataFrame:
    """Every approval, retirement and draft mark."""
    return _read(registry.history)


def release_list(client_id: str | None = None) -> pd.DataFrame:
    """Published releases (all, or one client's)."""
    return _read(releases.list_releases, client_id)


def release(client_id: str, version: int) -> dict | None:
    """One release of a client, or None."""
    return _read(releases.get_release, client_id, version)


def release_rows(client_id: str, version: int) -> pd.DataFrame:
    """The frozen rows of a client's release, by fund."""
    return _read(releases.release_rows, client_id, version)


def release_methodology(client_id: str, version: int) -> dict | None:
    """The methodology a client's release was graded with, or None."""
    return _read(releases.methodology_of, client_id, version)


def grade_history(client_id: str, fund_id: str) -> pd.DataFrame:
    """A fund's grade in each of a client's releases."""
    return _read(releases.grade_history, client_id, fund_id)


def _audit_log(con: duckdb.DuckDBPyConnection, client_id: str | None, limit: int) -> pd.DataFrame:
    return clients.audit_log(con, client_id=client_id, limit=limit)


def audit_log(client_id: str | None) -> pd.DataFrame:
    """The latest API calls (all clients' or one's), newest first."""
    return _read(_audit_log, client_id, AUDIT_ROWS)


# ---------------------------------------------------------------- computed once per data state


@st.cache_data(show_spinner=False, max_entries=4)
def _indicators(stamp: Stamp) -> pd.DataFrame:
    return compute_indicators(Home(Path(stamp[0])))


def indicators() -> pd.DataFrame | None:
    """Indicators of every fund and window as of the latest NAV date, computed once per data state."""
    try:
        return _indicators(db_stamp(current_home()))
    except StoreBusyError as exc:
        st.error(str(exc))
    except Exception as exc:  # a metrics bug must not take the fund page down
        st.error(f"{t('indicators_failed')}: {type(exc).__name__}: {exc}")
    return None


@st.cache_data(show_spinner=False, max_entries=8)
def _scores(stamp: Stamp, methodology_id: str, version: int) -> pd.DataFrame:
    return score_funds(Home(Path(stamp[0])), methodology_id, version)


def scores(methodology_id: str, version: int) -> pd.DataFrame:
    """`score_funds` of a saved version on the loaded funds, once per data state."""
    return _scores(db_stamp(current_home()), methodology_id, version)


@st.cache_data(show_spinner=False, max_entries=16)
def _data_version(stamp: Stamp) -> tuple:
    """What the fund data depends on: the database file (its inode) and the upload log (every
    load of funds, NAVs, benchmarks, ratings or reviews adds a row). Feedback and evaluations
    leave it unchanged, so pages keep their indicators and rule-based grades across them."""
    where = Home(Path(stamp[0]))
    with connect(where) as con:
        return _version_of(where, con)


def _version_of(where: Home, con: duckdb.DuckDBPyConnection) -> tuple:
    """`_data_version` on an open connection."""
    try:
        inode = where.db_path.stat().st_ino
    except FileNotFoundError:
        inode = 0
    return (str(where.root), inode, *queries.upload_signature(con))


def data_version() -> tuple:
    """The fund data's version (see `_data_version`), read once per database change."""
    return _data_version(db_stamp(current_home()))


@st.cache_data(show_spinner=False, max_entries=8)
def _scores_at(
    version: tuple, methodology_id: str, methodology_version: int, as_of: str
) -> pd.DataFrame:
    return score_funds(
        Home(Path(version[0])), methodology_id, methodology_version, pd.Timestamp(as_of).date()
    )


def scores_at(
    methodology_id: str, version: int, as_of: str, fund_data: tuple | None = None
) -> pd.DataFrame | None:
    """The rule-based scorer's grades at `as_of`, once per data version (`fund_data`, default
    `data_version()`; a saved methodology version never changes); None with the reason shown
    when they cannot be computed."""
    try:
        return _scores_at(fund_data or data_version(), methodology_id, int(version), as_of)
    except StoreBusyError as exc:
        st.error(str(exc))
    except methodology.MethodologyError as exc:
        st.error(exc.summary)
    except Exception as exc:  # the review must stay usable without the rule-based grades
        st.error(f"{t('rev_rules_failed')}: {type(exc).__name__}: {exc}")
    return None


@st.cache_data(show_spinner=False, max_entries=32)
def _agreement(expected: tuple, predicted: tuple, groups: tuple | None, n_boot: int) -> dict:
    return compare(list(expected), list(predicted), groups and list(groups), n_boot=n_boot)


def agreement(
    expected: list, predicted: list, categories: list | None = None, n_boot: int = 1000
) -> dict:
    """`engine.evaluation.agreement.compare`, once per set of grades (the bootstrap takes time)."""
    clean = tuple(None if p is None or pd.isna(p) else int(p) for p in predicted)
    groups = tuple(categories) if categories is not None else None
    return _agreement(tuple(int(e) for e in expected), clean, groups, n_boot)


# ---------------------------------------------------------------- the Review page


@dataclass(frozen=True)
class ReviewReads:
    """What the Review page reads for one evaluation, in one connection.

    rows: its funds beside the experts' grades and the latest decisions
    (`feedback.review_table`); history: every feedback row at its date, oldest first;
    stored_rules: the rule-based grades stored for its date (grade, score_<criterion> by fund;
    None unless stored records cover every fund) and rules_source, the evaluations or cycles
    they come from; doc: its methodology version (None, doc_error saying why, when it cannot
    be read); cycle_rows: a rating cycle's rows (`cycle_grades`) or None; fund_data: the fund
    data's version (see `_data_version`).
    """

    rows: pd.DataFrame
    history: pd.DataFrame
    stored_rules: pd.DataFrame | None
    rules_source: str | None
    doc: dict | None
    doc_error: str | None
    cycle_rows: pd.DataFrame | None
    fund_data: tuple


def _scores_by_criterion(texts: pd.Series) -> pd.DataFrame:
    """JSON texts {criterion: score} as columns score_<criterion> (NaN where missing)."""
    parsed = [json.loads(text) if isinstance(text, str) and text else {} for text in texts]
    frame = pd.DataFrame.from_records(parsed, index=texts.index)
    return frame.apply(pd.to_numeric, errors="coerce").add_prefix("score_")


@st.cache_data(show_spinner=False, max_entries=16)
def _review(
    stamp: Stamp,
    evaluation_id: str,
    as_of: str,
    methodology_id: str,
    version: int,
    cycle_id: str | None,
) -> ReviewReads:
    where = Home(Path(stamp[0]))
    with connect(where) as con:
        rows = feedback.review_table(con, evaluation_id)
        history = feedback.history(con, None, as_of)
        stored = review_reads.stored_rule_grades(con, evaluation_id, as_of, methodology_id, version)
        try:
            doc, doc_error = methodology.get(con, methodology_id, version), None
        except methodology.MethodologyError as exc:  # a version deleted since
            doc, doc_error = None, exc.summary
        cycle_rows = cycle_store.grades(con, cycle_id) if cycle_id else None
        fund_data = _version_of(where, con)
    covered = not stored.empty and bool(stored["source"].notna().all())
    rules = (
        pd.concat([stored[["fund_id", "grade"]], _scores_by_criterion(stored["scores"])], axis=1)
        if covered
        else None
    )
    return ReviewReads(
        rows=rows,
        history=history,
        stored_rules=rules.set_index("fund_id") if rules is not None else None,
        rules_source=", ".join(sorted(stored["source"].unique())) if covered else None,
        doc=doc,
        doc_error=doc_error,
        cycle_rows=cycle_rows,
        fund_data=fund_data,
    )


def review(evaluation: dict, cycle_id: str | None) -> ReviewReads:
    """`ReviewReads` of an evaluation (a row of `evaluations()`), cached until the database
    changes; stops the page with the reason when the store stays busy."""
    try:
        return _review(
            db_stamp(current_home()),
            str(evaluation["evaluation_id"]),
            str(evaluation["as_of"]),
            str(evaluation["methodology_id"]),
            int(evaluation["methodology_version"]),
            cycle_id,
        )
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
        st.stop()


def rule_grades(reads: ReviewReads, evaluation: dict) -> pd.DataFrame | None:
    """The rule-based grades (grade, score_<criterion>, by fund) at the evaluation's date: the
    stored ones, else computed for the whole universe (`scores_at`); None (reason shown) when
    they cannot be computed."""
    if reads.stored_rules is not None:
        return reads.stored_rules
    scored = scores_at(
        str(evaluation["methodology_id"]),
        int(evaluation["methodology_version"]),
        str(evaluation["as_of"]),
        fund_data=reads.fund_data,
    )
    return scored.set_index("fund_id") if scored is not None else None


@st.cache_data(show_spinner=False, max_entries=32)
def _category_facts(
    fund_data: tuple, as_of: str, category: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    when = pd.Timestamp(as_of).date()
    with connect(Home(Path(fund_data[0]))) as con:
        inputs = MetricInputs(
            funds=review_reads.category_funds(con, category),
            nav=review_reads.category_nav_until(con, category, when),
            benchmarks=review_reads.category_benchmark_levels_until(con, category, when),
            risk_free=prices.risk_free_until(con, when),
        )
        qualitative = review_reads.category_qualitative(con, category)
    return indicators_from(inputs, when), qualitative


def category_facts(
    fund_data: tuple, as_of: str, category: object
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(indicators of every window as of `as_of`, qualitative scores with `for_fund`) of the
    funds of one category (None or NaN: those without one), read in one connection once per
    fund data version. Percentiles rank within the category, so a fund's indicator rows equal
    those computed over the whole universe. None with the reason shown when they cannot be
    computed."""
    try:
        return _category_facts(fund_data, as_of, category if isinstance(category, str) else None)
    except StoreBusyError as exc:
        st.error(str(exc))
    except Exception as exc:  # a metrics bug must not take the page down
        st.error(f"{t('indicators_failed')}: {type(exc).__name__}: {exc}")
    return None


def _runs_stamp(where: Home) -> tuple:
    """Each run folder's name with its config.json and status.json modification stamps."""
    out = []
    try:
        entries = sorted(os.scandir(where.runs), key=lambda e: e.name)
    except FileNotFoundError:
        return ()
    for entry in entries:
        stamps = []
        for name in ("config.json", "status.json"):
            try:
                stamps.append(os.stat(Path(entry.path) / name).st_mtime_ns)
            except (FileNotFoundError, NotADirectoryError):
                stamps.append(0)
        out.append((entry.name, *stamps))
    return tuple(out)


@st.cache_data(show_spinner=False, max_entries=8, ttl=RUNS_TTL_S)
def _run_list(root: str, runs_stamp: tuple) -> list[dict]:
    return training_runs.list_runs(Home(Path(root)))


def review_runs() -> list[dict]:
    """`engine.training.runs.list_runs` (dead runs recovered, states synced into the store),
    newest first, reused while no run folder changes and for at most RUNS_TTL_S seconds; []
    with the reason shown when the store is busy or a run folder cannot be read."""
    where = current_home()
    try:
        return _run_list(str(where.root), _runs_stamp(where))
    except StoreBusyError as exc:
        st.error(f"{exc}\n\n{t('store_busy_hint')}")
    except TrainingError as exc:  # e.g. a run folder written by a newer version
        st.error(str(exc), icon=":material/block:")
    return []


@st.cache_data(show_spinner=False, max_entries=8)
def _trained_feedback(root: str, runs_stamp: tuple) -> dict[int, dict]:
    return feedback.trained_feedback(Home(Path(root)))


def trained_feedback() -> dict[int, dict]:
    """`feedback.trained_feedback`, read again only when a run folder changes."""
    where = current_home()
    return _trained_feedback(str(where.root), _runs_stamp(where))


@st.cache_data(show_spinner=False, max_entries=32)
def _point_agreement(expected: pd.Series, predicted: pd.Series) -> dict:
    return compare(
        expected.astype(int).tolist(),
        [None if pd.isna(p) else int(p) for p in predicted],
        n_boot=0,
    )


def point_agreement(expected: pd.Series, predicted: pd.Series) -> dict:
    """`compare` without the bootstrap (NaN or NA predicted: an invalid answer), once per pair
    of grade series (hashed as arrays, faster than `agreement`'s tuples)."""
    return _point_agreement(
        pd.Series(expected.to_numpy(dtype=float, na_value=np.nan)),
        pd.Series(predicted.to_numpy(dtype=float, na_value=np.nan)),
    )


# ---------------------------------------------------------------- run folders


def _file_stamp(path: Path) -> Stamp:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (str(path), 0, 0)
    return (str(path), stat.st_mtime_ns, stat.st_size)


@st.cache_data(show_spinner=False, max_entries=64)
def _events(stamp: Stamp) -> list[dict]:
    return RunFolder(Path(stamp[0]).parent).read_events()[0]


def run_events(run_id: str) -> list[dict]:
    """Every event of a run, read again only when its events.jsonl changed."""
    return _events(_file_stamp(current_home().runs / run_id / "events.jsonl"))
