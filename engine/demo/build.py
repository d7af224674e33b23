"""Synthetic Korean fund universe for the demo, loaded into the store through the real ingest.

Everything here is generated from one seed: a factor-model market with regime changes, ~300
funds with persistent skill, fees and manager changes, yearly qualitative reviews, and expert
grades made by a house methodology (`house_methodology()`) plus undocumented analyst habits
(`HIDDEN_HABITS`) and analyst-to-analyst noise. The files (the manager history among them,
without the managers' hidden skill) are written in the mixed formats analysts really have (CP949
CSV, Parquet, CSV with BOM, Excel) and ingested with `engine.data.ingest.ingest_file`, so the
demo also exercises the upload path.

The parts live in `engine.demo.market` (calendar, categories, market, benchmarks, risk-free),
`engine.demo.universe` (companies, funds, managers), `engine.demo.reviews` (qualitative
reviews), `engine.demo.house` (methodology, habits, analysts, grading) and `engine.demo.text`
(Korean names, notes and comments); this module holds the configuration, the NAVs, the whole
demo in memory, its files and `build_demo`, and re-exports the public names of the others.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.data.ingest import ingest_file
from engine.demo.house import (
    CRITERION_IDS,
    HIDDEN_HABITS,
    MIN_TRACK_RECORD_YEARS,
    SMALL_FUND_AUM,
    SMALL_FUND_MAX_GRADE,
    grade_funds,
    habit_aware_grades,
    house_methodology,
    scoring_inputs,
)
from engine.demo.market import (
    BENCHMARKS,
    CATEGORIES,
    DAYS_PER_YEAR,
    IDIO_SCALE,
    STYLE,
    TRADING_DAYS,
    Market,
    _days,
    _fat_normal,
    _rng,
    benchmark_frame,
    business_days,
    risk_free_frame,
    simulate_market,
)
from engine.demo.methodology import install_house_methodology
from engine.demo.reviews import qualitative_frame
from engine.demo.universe import Universe, generate_universe
from engine.files.safe_write import write_bytes
from store.db import connect, held, transaction
from store.home import Home
from store.queries import DATASET_META_KEY, DATASET_META_VALUE

__all__ = [
    "CATEGORIES",
    "CRITERION_IDS",
    "DATASET_META_KEY",
    "DATASET_META_VALUE",
    "DEMO_LABEL",
    "HIDDEN_HABITS",
    "SMALL_FUND_AUM",
    "SMALL_FUND_MAX_GRADE",
    "DemoConfig",
    "DemoData",
    "DemoSummary",
    "build_demo",
    "generate_demo",
    "house_methodology",
    "mark_synthetic",
    "scoring_inputs",
    "write_demo_files",
]

log = logging.getLogger(__name__)

DEMO_LABEL = "Synthetic demo data (generated)"
DEMO_FOLDER = "demo"
INGEST_ORDER = ("funds", "managers", "benchmarks", "risk_free", "nav", "qualitative", "ratings")
FILE_NAMES = {
    "funds": "demo_funds.csv",
    "managers": "demo_managers.csv",
    "benchmarks": "demo_benchmarks.parquet",
    "risk_free": "demo_cd91.csv",
    "nav": "demo_nav.parquet",
    "qualitative": "demo_qualitative.csv",
    "ratings": "demo_ratings.xlsx",
}
MANAGER_FILE_COLUMNS = ["fund_id", "manager", "start_date"]  # no segment, no alpha
KRW_START_NAV = 1000.0
USD_START_NAV = 10.0
MIN_DEMO_YEARS = 3.5

# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class DemoConfig:
    """Size, history length, end date and seed of the synthetic universe."""

    n_funds: int = 300
    years: float = 6.5
    end_date: date = date(2026, 9, 30)
    seed: int = 20260930
    n_companies: int = 25
    n_rating_year_ends: int = 3

    def __post_init__(self) -> None:
        if self.years < MIN_DEMO_YEARS:
            raise ValueError(
                f"the demo needs at least {MIN_DEMO_YEARS} years of history so that some funds "
                f"reach the {MIN_TRACK_RECORD_YEARS}-year track record and get rated; got {self.years}"
            )
        if self.n_funds < len(CATEGORIES) or self.n_companies < 1:
            raise ValueError(
                f"the demo needs at least {len(CATEGORIES)} funds (one per category) and one "
                f"company; got {self.n_funds} funds, {self.n_companies} companies"
            )


@dataclass
class DemoSummary:
    """What `build_demo` generated and loaded."""

    label: str
    counts: dict[str, int]  # rows written per kind
    inserted: dict[str, int]  # rows newly inserted per kind by this build
    replaced: dict[str, int]  # rows whose values this build changed
    start: date
    end: date
    rating_dates: list[date]
    files: dict[str, Path]
    seconds: float
    n_funds: int = 0
    n_rated_funds: int = 0
    methodology: dict = field(default_factory=dict)  # {"id", "version"} of the house methodology


# ---------------------------------------------------------------- NAVs


def simulate_nav(config: DemoConfig, universe: Universe, market: Market) -> pd.DataFrame:
    """Daily NAVs from inception (or the calendar start): alpha + beta x benchmark + style + noise - fees."""
    rng = _rng(config.seed, "nav")
    truth = universe.truth
    n_days, n = len(market.dates), len(truth)
    t = np.arange(n_days)
    segment = (t[:, None, None] >= universe.history.change_idx[None, :, :]).sum(axis=2)
    alpha = np.take_along_axis(universe.history.alpha_seg.T, segment, axis=0)
    bench_col = pd.Index([b.benchmark_id for b in BENCHMARKS]).get_indexer(
        universe.funds["benchmark_id"]
    )
    fee = universe.funds["expense_ratio"].to_numpy(float) / 100.0
    idio = (
        _fat_normal(rng, (n_days, n))
        * truth["idio_vol"].to_numpy()
        / math.sqrt(TRADING_DAYS)
        * IDIO_SCALE[market.regimes][:, None]
    )
    daily = (
        (alpha - fee) / TRADING_DAYS
        + truth["beta"].to_numpy() * market.benchmark_returns[:, bench_col]
        + truth["style_loading"].to_numpy() * market.factors[:, STYLE][:, None]
        + idio
    )
    start = truth["start_idx"].to_numpy()
    usd = (universe.funds["currency"] == "USD").to_numpy()
    base = np.where(usd, USD_START_NAV, KRW_START_NAV)
    years_before = (
        _days(market.dates[:1])[0] - _days(universe.funds["inception_date"])
    ) / DAYS_PER_YEAR
    carried = np.where(
        start == 0,
        np.clip(np.exp(rng.normal(0.04, 0.15, n) * np.maximum(years_before, 0.0)), 0.4, 4.0),
        1.0,
    )
    growth = np.cumprod(1.0 + np.where(t[:, None] > start[None, :], daily, 0.0), axis=0)
    nav = (base * carried) * growth
    nav = np.where(usd, np.round(nav, 4), np.round(nav, 2))
    live = (t[:, None] >= start[None, :]).T
    fund_row, day_idx = np.nonzero(live)
    return pd.DataFrame(
        {
            "fund_id": universe.funds["fund_id"].to_numpy()[fund_row],
            "date": market.dates.to_numpy().astype("datetime64[s]")[day_idx],
            "nav": nav.T[live],
        }
    )


# ---------------------------------------------------------------- the whole demo


@dataclass(frozen=True)
class DemoData:
    """Everything the demo generates: the seven upload frames and the hidden truth behind them.

    `managers` holds each segment's hidden alpha too; its upload is `manager_history`.
    """

    funds: pd.DataFrame
    nav: pd.DataFrame
    benchmarks: pd.DataFrame
    risk_free: pd.DataFrame
    qualitative: pd.DataFrame
    ratings: pd.DataFrame
    truth: pd.DataFrame
    managers: pd.DataFrame
    companies: pd.DataFrame
    grading: pd.DataFrame  # per rating: documented score/grade, habit and analyst adjustments
    rating_dates: list[date] = field(default_factory=list)

    @property
    def manager_history(self) -> pd.DataFrame:
        """The managers file in canonical columns: who ran each fund since when."""
        return self.managers[MANAGER_FILE_COLUMNS]

    def uploads(self) -> dict[str, pd.DataFrame]:
        """The frames that become upload files, by ingest kind."""
        frame = {"managers": "manager_history"}
        return {kind: getattr(self, frame.get(kind, kind)) for kind in INGEST_ORDER}


def generate_demo(config: DemoConfig = DemoConfig()) -> DemoData:
    """The whole synthetic universe in memory; the same config always gives the same frames."""
    dates = business_days(config)
    market = simulate_market(config, dates)
    universe = generate_universe(config, dates)
    nav = simulate_nav(config, universe, market)
    benchmarks = benchmark_frame(market)
    risk_free = risk_free_frame(config, dates)
    qualitative = qualitative_frame(config, universe, dates)
    ratings, grading = grade_funds(config, universe, dates, nav, benchmarks, risk_free, qualitative)
    return DemoData(
        funds=universe.funds,
        nav=nav,
        benchmarks=benchmarks,
        risk_free=risk_free,
        qualitative=qualitative,
        ratings=ratings,
        truth=universe.truth,
        managers=universe.managers,
        companies=universe.companies,
        grading=grading,
        rating_dates=sorted({d.date() for d in ratings["as_of"]}),
    )


def _date_text(values: pd.Series, fmt: str) -> pd.Series:
    """Dates as text in the given strftime format."""
    return pd.to_datetime(values).dt.strftime(fmt)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet with real DATE columns (not timestamps), as exported by analysts' tools."""
    columns = {
        name: pa.array(frame[name].to_numpy().astype("datetime64[D]"))
        if name == "date"
        else pa.array(frame[name].to_numpy())
        for name in frame.columns
    }
    pq.write_table(pa.table(columns), path, compression="zstd")


def write_demo_files(data: DemoData, folder: Path) -> dict[str, Path]:
    """Write the seven upload files in the formats analysts have them; returns their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / name for kind, name in FILE_NAMES.items()}

    funds = pd.DataFrame(
        {
            "펀드코드": data.funds["fund_id"],
            "펀드명": data.funds["fund_name"],
            "유형": data.funds["category"],
            "운용사": data.funds["company"],
            "매니저": data.funds["manager"],
            "설정일": _date_text(data.funds["inception_date"], "%Y.%m.%d"),
            "통화": data.funds["currency"],
            "벤치마크": data.funds["benchmark_id"],
            "총보수": data.funds["expense_ratio"].map("{:.3f}".format),
            "순자산": data.funds["aum"].map("{:,.0f}".format),
        }
    )
    funds.to_csv(paths["funds"], index=False, encoding="cp949", lineterminator="\r\n")
    managers = pd.DataFrame(
        {
            "펀드코드": data.manager_history["fund_id"],
            "책임운용역": data.manager_history["manager"],
            "취임일": _date_text(data.manager_history["start_date"], "%Y-%m-%d"),
        }
    )
    managers.to_csv(paths["managers"], index=False, encoding="utf-8")
    _write_parquet(data.nav, paths["nav"])
    _write_parquet(data.benchmarks, paths["benchmarks"])
    risk_free = pd.DataFrame(
        {
            "기준일자": _date_text(data.risk_free["date"], "%Y%m%d"),
            "금리": data.risk_free["rate"].map("{:.2f}".format),
        }
    )
    risk_free.to_csv(paths["risk_free"], index=False, encoding="utf-8-sig")
    qualitative = data.qualitative.assign(as_of=_date_text(data.qualitative["as_of"], "%Y-%m-%d"))
    qualitative.to_csv(paths["qualitative"], index=False, encoding="utf-8")
    ratings = data.ratings.rename(
        columns={"fund_id": "펀드코드", "as_of": "평가일", "grade": "등급", "analyst": "평가자",
                 "comment": "의견"}
    )  # fmt: skip
    with pd.ExcelWriter(paths["ratings"], engine="openpyxl") as writer:
        ratings.to_excel(writer, sheet_name="등급", index=False)
    return paths


def write_ceiling(data: DemoData, path: Path) -> Path:
    """Write each rating's ceiling grade (`habit_aware_grades`: the written method plus the hidden
    habits, without leniency and noise) beside the expert's grade, as Parquet replacing `path`
    in one step; the comparison report reads it (`engine.evaluation.report`)."""
    grading = data.grading
    table = pa.table(
        {
            "fund_id": pa.array(grading["fund_id"].astype(str).to_numpy()),
            "as_of": pa.array(grading["as_of"].to_numpy().astype("datetime64[D]")),
            "grade": pa.array(habit_aware_grades(grading).to_numpy(np.int64)),
            "expert_grade": pa.array(grading["grade"].to_numpy(np.int64)),
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return write_bytes(path, sink.getvalue().to_pybytes(), force=True)


def mark_synthetic(home: Home) -> None:
    """Record in the store's meta table that its data is the synthetic demo."""
    with connect(home) as con, transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [DATASET_META_KEY, DATASET_META_VALUE],
        )


def build_demo(home: Home, config: DemoConfig = DemoConfig()) -> DemoSummary:
    """Generate the demo, write its files under uploads/demo and load them through ingest;
    beside them each rating's ceiling grade (`write_ceiling`, `Home.demo_ceiling`).

    Then the house methodology is installed as a methodology version, active for all clients
    (`engine.demo.methodology`: rendered as a Korean PDF and extracted like an upload).
    """
    started = time.perf_counter()
    home.ensure()
    data = generate_demo(config)
    generated = time.perf_counter()
    files = write_demo_files(data, home.uploads / DEMO_FOLDER)
    counts, inserted, replaced = {}, {}, {}
    with held():  # one open of the database for the whole load, not two per file
        for kind in INGEST_ORDER:
            result = ingest_file(home, files[kind], kind, source="demo")
            counts[kind], inserted[kind], replaced[kind] = (
                result.rows, result.inserted, result.replaced,
            )  # fmt: skip
        mark_synthetic(home)
        write_ceiling(data, home.demo_ceiling)
        loaded = time.perf_counter()
        methodology = install_house_methodology(home)
    seconds = time.perf_counter() - started
    log.info(
        "demo: %d funds, %d NAV rows, %d ratings; generated in %.1f s, loaded in %.1f s, "
        "methodology %s v%d in %.1f s",
        len(data.funds), len(data.nav), len(data.ratings), generated - started,
        loaded - generated, methodology.methodology_id, methodology.version,
        seconds - (loaded - started),
    )  # fmt: skip
    return DemoSummary(
        label=DEMO_LABEL,
        counts=counts,
        inserted=inserted,
        replaced=replaced,
        start=pd.Timestamp(data.nav["date"].min()).date(),
        end=pd.Timestamp(data.nav["date"].max()).date(),
        rating_dates=data.rating_dates,
        files=files,
        seconds=seconds,
        n_funds=len(data.funds),
        n_rated_funds=int(data.ratings["fund_id"].nunique()),
        methodology={"id": methodology.methodology_id, "version": methodology.version},
    )
