"""The pages' cached reads: one typed function per read of the store, the indicators and the
rule-based grades.

A store read opens one short-lived connection and is cached with `st.cache_data` under the
database file's modification stamp, so a write by this app (`after_write` also clears the
cache) or by another process (the CLI) is seen on the next run. No connection is kept between
reruns. When the store stays busy, a read shows the reason and stops the page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import streamlit as st

from engine import methodology
from engine.clients import clients, registry, releases, users
from engine.data.metrics import indicators as compute_indicators
from engine.evaluation.agreement import compare
from engine.methodology.scoring import score_funds
from engine.review import feedback
from engine.training.folder import RunFolder
from store import cycles as cycle_store
from store import evaluations as evaluation_store
from store import queries
from store.db import StoreBusyError, connect
from store.home import Home, current_home
from workbench.i18n import t

R = TypeVar("R")
Stamp = tuple[str, int, int]
AUDIT_ROWS = 2000  # the admin page's API audit log shows at most this many calls

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
    for cached in (_cached, _data_version):
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


def review_table(evaluation_id: str) -> pd.DataFrame:
    """An evaluation's funds beside the experts' grades and the latest decisions."""
    return _read(feedback.review_table, evaluation_id)


def cycle_grades(cycle_id: str) -> pd.DataFrame:
    """A rating cycle's rows by fund: the grades side by side, its route and route reasons."""
    return _read(cycle_store.grades, cycle_id)


def feedback_history(fund_id: str, as_of: str) -> pd.DataFrame:
    """Every feedback row of a fund at a rating date, oldest first."""
    return _read(feedback.history, fund_id, as_of)


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
        row = con.execute("SELECT coalesce(max(upload_id), 0), count(*) FROM upload_log").fetchall()
    try:
        inode = where.db_path.stat().st_ino
    except FileNotFoundError:
        inode = 0
    return (stamp[0], inode, *row[0])


def data_version() -> tuple:
    """The fund data's version (see `_data_version`), read once per database change."""
    return _data_version(db_stamp(current_home()))


@st.cache_data(show_spinner=False, max_entries=8)
def _indicators_at(version: tuple, as_of: str) -> pd.DataFrame:
    return compute_indicators(Home(Path(version[0])), as_of=pd.Timestamp(as_of).date())


def indicators_at(as_of: str) -> pd.DataFrame | None:
    """Indicators of every fund and window as of `as_of` (with category percentiles), computed
    once per data version; None with the reason shown when they cannot be computed."""
    try:
        return _indicators_at(data_version(), as_of)
    except StoreBusyError as exc:
        st.error(str(exc))
    except Exception as exc:  # a metrics bug must not take the page down
        st.error(f"{t('indicators_failed')}: {type(exc).__name__}: {exc}")
    return None


@st.cache_data(show_spinner=False, max_entries=8)
def _scores_at(
    version: tuple, methodology_id: str, methodology_version: int, as_of: str
) -> pd.DataFrame:
    return score_funds(
        Home(Path(version[0])), methodology_id, methodology_version, pd.Timestamp(as_of).date()
    )


def scores_at(methodology_id: str, version: int, as_of: str) -> pd.DataFrame | None:
    """The rule-based scorer's grades at `as_of`, once per data version (a saved methodology
    version never changes); None with the reason shown when they cannot be computed."""
    try:
        return _scores_at(data_version(), methodology_id, int(version), as_of)
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
