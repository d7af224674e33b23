"""The demo's fund universe: companies, funds, managers and the hidden truth behind them.

Funds are spread over the categories, belong to management companies with latent capability,
turnover, systems and ESG, and are run by managers with persistent skill who change now and
then. `manager_facts` gives what analysts know about a fund's managers on a given day. Part of
the synthetic demo (`engine.demo.build`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.demo.market import (
    CATEGORIES,
    DAYS_PER_YEAR,
    TRADING_DAYS,
    CategorySpec,
    DemoSettings,
    _as_dates,
    _days,
    _rng,
)
from engine.demo.text import COMPANY_NAMES, _brand, _fund_names, _person_names

MAX_MANAGER_CHANGES = 3
FIRST_CHANGE_AFTER_DAYS = 120  # business days before a new fund's first manager change

# ---------------------------------------------------------------- fund universe


def _allocate(total: int, shares: np.ndarray) -> np.ndarray:
    """Split `total` items by `shares` with the largest-remainder rule."""
    exact = total * shares / shares.sum()
    counts = np.floor(exact).astype(int)
    remainder = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:remainder]] += 1
    return counts


def _fund_codes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Unique, sorted 12-character fund codes 'KR5' + 9 digits."""
    draws = pd.unique(rng.integers(10**8, 10**9, count * 3 + 10))[:count]
    return np.array([f"KR5{n}" for n in np.sort(draws)], dtype=object)


def _roll_to_weekday(days: np.ndarray) -> np.ndarray:
    """Move Saturday/Sunday day numbers to the next Monday (1970-01-01 was a Thursday)."""
    weekday = (days + 3) % 7  # Monday = 0
    return days + np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))


def _companies(
    rng: np.random.Generator, n_companies: int, n_funds: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Management companies with latent capability, turnover, systems and ESG; each fund's company."""
    n_comp = min(n_companies, len(COMPANY_NAMES))
    names = np.array(rng.choice(np.array(COMPANY_NAMES), n_comp, replace=False), dtype=object)
    weight = rng.lognormal(0.0, 0.7, n_comp)
    comp = rng.choice(n_comp, n_funds, p=weight / weight.sum())
    funds_per_company = np.bincount(comp, minlength=n_comp)
    companies = pd.DataFrame(
        {
            "company": names,
            "skill_z": rng.standard_normal(n_comp),
            "turnover_rate": rng.uniform(0.05, 0.35, n_comp),  # manager changes per fund-year
            "systems_z": rng.standard_normal(n_comp),
            "esg_z": rng.standard_normal(n_comp),
            "n_funds": funds_per_company,
            "n_managers": 2 + np.ceil(0.6 * funds_per_company).astype(int),
        }
    )
    return companies, comp


def _inception(
    rng: np.random.Generator, dates: pd.DatetimeIndex, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each fund's first NAV index, inception day and first manager's start day.

    About half the funds predate the calendar (their NAV starts on its first day); the others
    are launched inside it, at least half a year before its end.
    """
    n_days, start_day = len(dates), _days(dates[:1])[0]
    old = rng.random(n) < 0.55
    years_back = rng.uniform(0.05, 15.0, n)
    start_idx = np.where(old, 0, rng.integers(1, max(2, n_days - TRADING_DAYS // 2), n))
    inception = np.where(
        old,
        _roll_to_weekday(start_day - np.ceil(years_back * DAYS_PER_YEAR).astype(np.int64)),
        _days(dates)[start_idx],
    )
    since = inception + np.floor(rng.random(n) * (start_day - inception)).astype(np.int64)
    manager_since = np.where(old, _roll_to_weekday(since), inception)
    return start_idx, inception, manager_since


@dataclass(frozen=True)
class ManagerHistory:
    """Who ran each fund when: up to MAX_MANAGER_CHANGES changes, and each manager's skill."""

    n_changes: np.ndarray  # (N,)
    change_idx: np.ndarray  # (N, MAX_MANAGER_CHANGES) calendar index of each change, T if none
    manager_idx: np.ndarray  # (N, MAX_MANAGER_CHANGES + 1) pool index per segment
    alpha_seg: np.ndarray  # (N, MAX_MANAGER_CHANGES + 1) annual alpha per segment
    names: np.ndarray  # pool index -> name
    skill_z: np.ndarray  # pool index -> skill


@dataclass(frozen=True)
class Universe:
    """The funds as analysts see them, and the hidden truth behind them (one row per fund)."""

    funds: pd.DataFrame  # the funds file in canonical columns
    truth: pd.DataFrame  # latent parameters per fund, same row order as `funds`
    managers: pd.DataFrame  # fund_id, segment, manager, start_date, alpha (annual)
    companies: (
        pd.DataFrame
    )  # company, skill_z, turnover_rate, systems_z, esg_z, n_funds, n_managers
    history: ManagerHistory


def _manager_history(
    rng: np.random.Generator,
    companies: pd.DataFrame,
    comp: np.ndarray,
    alpha_sd: np.ndarray,
    start_idx: np.ndarray,
    n_days: int,
) -> ManagerHistory:
    """Manager changes (Poisson at the company's turnover rate) and each segment's alpha."""
    n, segments = len(comp), MAX_MANAGER_CHANGES + 1
    pool = companies["n_managers"].to_numpy()
    offset = np.cumsum(pool) - pool
    names = _person_names(rng, int(pool.sum()))
    skill = rng.standard_normal(int(pool.sum()))

    alive_years = (n_days - start_idx) / TRADING_DAYS
    rate = companies["turnover_rate"].to_numpy()[comp]
    low = start_idx + FIRST_CHANGE_AFTER_DAYS
    n_changes = np.minimum(rng.poisson(rate * alive_years), MAX_MANAGER_CHANGES)
    n_changes = np.where(low < n_days - 1, n_changes, 0)
    span = np.maximum(n_days - 1 - low, 1)[:, None]
    raw = low[:, None] + np.floor(rng.random((n, MAX_MANAGER_CHANGES)) * span)
    raw[np.arange(MAX_MANAGER_CHANGES)[None, :] >= n_changes[:, None]] = n_days
    change_idx = np.sort(raw, axis=1).astype(np.int64)
    for k in range(1, MAX_MANAGER_CHANGES):  # two changes never fall on one day
        same_day = (change_idx[:, k] <= change_idx[:, k - 1]) & (change_idx[:, k] < n_days)
        change_idx[same_day, k] = np.minimum(change_idx[same_day, k - 1] + 1, n_days)
    n_changes = (change_idx < n_days).sum(axis=1)

    local = np.floor(rng.random((n, segments)) * pool[comp][:, None]).astype(np.int64)
    for k in range(1, segments):  # a change always brings a different manager
        same = local[:, k] == local[:, k - 1]
        local[same, k] = (local[same, k] + 1) % pool[comp][same]
    manager_idx = offset[comp][:, None] + local
    alpha_seg = alpha_sd[:, None] * (
        0.35 * companies["skill_z"].to_numpy()[comp][:, None]
        + 0.85 * skill[manager_idx]
        + 0.35 * rng.standard_normal((n, segments))
    )
    return ManagerHistory(n_changes, change_idx, manager_idx, alpha_seg, names, skill)


def _fund_parameters(
    rng: np.random.Generator, specs: list[CategorySpec], alpha_now: np.ndarray, age: np.ndarray
) -> dict[str, np.ndarray]:
    """Beta, style loading, idiosyncratic volatility, fees, currency and AUM per fund."""
    n = len(specs)

    def uniform(bounds: list[tuple[float, float]]) -> np.ndarray:
        low, high = np.array(bounds).T
        return low + rng.random(n) * (high - low)

    log_aum = (
        np.log([s.aum_median for s in specs])
        + 1.2 * rng.standard_normal(n)
        + 8.0 * alpha_now  # good funds attract money
        + 0.7 * np.log(np.clip(age / 3.0, 0.05, 1.0))  # young funds are still small
    )
    return {
        "beta": uniform([s.beta for s in specs]),
        "style_loading": rng.standard_normal(n) * np.array([s.style_sd for s in specs]),
        "idio_vol": uniform([s.idio_vol for s in specs]),
        "expense_ratio": np.round(uniform([s.expense for s in specs]), 3),
        "usd": rng.random(n) < np.array([s.usd_share for s in specs]),
        "aum": np.round(np.exp(log_aum), -6),
    }


def generate_universe(config: DemoSettings, dates: pd.DatetimeIndex) -> Universe:
    """Funds, companies, managers and their latent skill, fees, history and manager changes."""
    rng = _rng(config.seed, "universe")
    n, n_days = config.n_funds, len(dates)
    shares = np.array([c.share for c in CATEGORIES])
    cat = rng.permutation(np.repeat(np.arange(len(CATEGORIES)), _allocate(n, shares)))
    specs = [CATEGORIES[c] for c in cat]
    companies, comp = _companies(rng, config.n_companies, n)
    start_idx, inception, manager_since = _inception(rng, dates, n)
    alpha_sd = np.array([s.alpha_sd for s in specs])
    history = _manager_history(rng, companies, comp, alpha_sd, start_idx, n_days)
    current = np.arange(n), history.n_changes
    age = (_days(dates[-1:])[0] - inception) / DAYS_PER_YEAR
    params = _fund_parameters(rng, specs, history.alpha_seg[current], age)

    codes = _fund_codes(rng, n)
    company_names = companies["company"].to_numpy()[comp]
    brands = np.array([_brand(c) for c in company_names], dtype=object)
    funds = pd.DataFrame(
        {
            "fund_id": codes,
            "fund_name": _fund_names(rng, brands, cat, params["usd"]),
            "category": [s.name for s in specs],
            "company": company_names,
            "manager": history.names[history.manager_idx[current]],
            "inception_date": _as_dates(inception),
            "currency": np.where(params["usd"], "USD", "KRW"),
            "benchmark_id": [s.benchmark_id for s in specs],
            "expense_ratio": params["expense_ratio"],
            "aum": params["aum"],
        }
    )
    truth = pd.DataFrame(
        {
            "fund_id": codes,
            "category_index": cat,
            "company_index": comp,
            "start_idx": start_idx,
            "nav_start": _as_dates(_days(dates)[start_idx]),
            "manager_since": _as_dates(manager_since),
            "beta": params["beta"],
            "style_loading": params["style_loading"],
            "idio_vol": params["idio_vol"],
            "alpha_now": history.alpha_seg[current],
            "n_manager_changes": history.n_changes,
        }
    )
    return Universe(
        funds, truth, _manager_frame(codes, history, manager_since, dates), companies, history
    )


def _manager_frame(
    codes: np.ndarray, history: ManagerHistory, manager_since: np.ndarray, dates: pd.DatetimeIndex
) -> pd.DataFrame:
    """One row per (fund, manager segment): manager, start date and the segment's true alpha."""
    n_days = len(dates)
    change_day = _days(dates)[np.minimum(history.change_idx, n_days - 1)]
    seg_start = np.column_stack([manager_since, change_day])
    used = np.arange(MAX_MANAGER_CHANGES + 1)[None, :] <= history.n_changes[:, None]
    rows, segs = np.nonzero(used)
    return pd.DataFrame(
        {
            "fund_id": codes[rows],
            "segment": segs,
            "manager": history.names[history.manager_idx[rows, segs]],
            "start_date": _as_dates(seg_start[rows, segs]),
            "alpha": history.alpha_seg[rows, segs],
        }
    )


# ---------------------------------------------------------------- manager facts


def _change_days(universe: Universe, dates: pd.DatetimeIndex) -> np.ndarray:
    """(N, MAX) day numbers of manager changes; a far-future day where there was none."""
    n_days = len(dates)
    days = _days(dates)[np.minimum(universe.history.change_idx, n_days - 1)]
    return np.where(universe.history.change_idx < n_days, days, np.iinfo(np.int32).max)


def manager_facts(universe: Universe, dates: pd.DatetimeIndex, day: int) -> pd.DataFrame:
    """Per fund as of `day`: manager, tenure, changes in the last 1 and 3 years, manager skill."""
    changes = _change_days(universe, dates)
    since = _days(universe.truth["manager_since"])
    segment = (changes <= day).sum(axis=1)
    seg_start = np.column_stack([since, changes])[np.arange(len(since)), segment]
    manager = universe.history.manager_idx[np.arange(len(since)), segment]

    def in_last(years: float) -> np.ndarray:
        return ((changes <= day) & (changes > day - years * DAYS_PER_YEAR)).sum(axis=1)

    return pd.DataFrame(
        {
            "fund_id": universe.funds["fund_id"].to_numpy(),
            "manager": universe.history.names[manager],
            "manager_z": universe.history.skill_z[manager],
            "tenure_years": (day - seg_start) / DAYS_PER_YEAR,
            "changes_1y": in_last(1),
            "changes_3y": in_last(3),
        }
    )
