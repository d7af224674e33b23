"""Indicators against empyrical-reloaded, window rules, NULL reasons, risk grades and percentiles."""

from __future__ import annotations

from datetime import date

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from engine.data import nav_matrix
from engine.data.metrics import (
    COLUMNS,
    INDICATORS,
    WINDOWS,
    MetricInputs,
    category_percentiles,
    compute_indicators,
    indicators,
    load_inputs,
    risk_grade,
)
from engine.data.returns import periods_per_year, years_before
from store.db import connect
from store.home import current_home

AS_OF = date(2024, 6, 30)  # a Sunday: daily funds end on Friday 2024-06-28
RTOL = 1e-9
# Results such as x**(ann/n) - 1 near 0 carry ~ann * 1e-16 absolute rounding in any implementation.
ATOL = 1e-12
PERIOD_NAME = {252: "daily", 52: "weekly", 12: "monthly"}


def _nav(
    fund_id: str, dates: pd.DatetimeIndex, rng: np.random.Generator, vol: float
) -> pd.DataFrame:
    returns = rng.normal(0.0003, vol, len(dates))
    return pd.DataFrame({"fund_id": fund_id, "date": dates, "nav": 1000 * np.cumprod(1 + returns)})


def _holidays(
    dates: pd.DatetimeIndex, rng: np.random.Generator, share: float = 0.04
) -> pd.DatetimeIndex:
    return dates[rng.random(len(dates)) > share]


@pytest.fixture(scope="module")
def universe() -> MetricInputs:
    """Daily, weekly and monthly funds with holidays, short, stale and benchmark-less ones."""
    rng = np.random.default_rng(20240630)
    business = pd.bdate_range("2017-01-02", "2024-06-28")
    fridays = pd.date_range("2017-01-06", "2024-06-28", freq="W-FRI")
    month_ends = pd.date_range("2017-01-31", "2024-06-28", freq="BME")
    nav = pd.concat(
        [
            _nav("D1", _holidays(business, rng), rng, 0.012),
            _nav("D2", _holidays(business[business >= "2022-08-01"], rng), rng, 0.004),
            _nav("D3", _holidays(business, rng), rng, 0.020),
            _nav("D4", _holidays(business, rng), rng, 0.0015),
            _nav("W1", _holidays(fridays, rng, 0.02), rng, 0.025),
            _nav("M1", month_ends, rng, 0.04),
            _nav("S1", business[business <= "2024-05-29"], rng, 0.01),
            _nav("Z1", _holidays(business, rng), rng, 0.01),
            _nav("T1", pd.DatetimeIndex(["2023-06-01", "2024-01-02", "2024-06-28"]), rng, 0.01),
        ],
        ignore_index=True,
    )
    funds = pd.DataFrame(
        {
            "fund_id": ["D1", "D2", "D3", "D4", "W1", "M1", "S1", "Z1", "T1", "E1"],
            "category": [
                "Equity",
                "Equity",
                "Equity",
                "Bond",
                "Equity",
                "Bond",
                "Bond",
                "Bond",
                "Bond",
                None,
            ],
            "benchmark_id": ["BA", "BA", None, "BB", "BA", "BB", "BA", "B_MISSING", "BB", "BA"],
        }
    )
    benchmarks = pd.concat(
        [
            pd.DataFrame(
                {
                    "benchmark_id": "BA",
                    "date": business,
                    "level": 2000 * np.cumprod(1 + rng.normal(0.0003, 0.01, len(business))),
                }
            ),
            _nav("BB", _holidays(business, rng, 0.1), rng, 0.003).rename(
                columns={"fund_id": "benchmark_id", "nav": "level"}
            ),
        ],
        ignore_index=True,
    )
    risk_free = pd.DataFrame({"date": pd.date_range("2016-12-01", "2024-06-01", freq="MS")})
    risk_free["rate"] = rng.uniform(0.5, 4.0, len(risk_free))
    return MetricInputs(funds=funds, nav=nav, benchmarks=benchmarks, risk_free=risk_free)


@pytest.fixture(scope="module")
def result(universe: MetricInputs) -> pd.DataFrame:
    return compute_indicators(universe, AS_OF)


def _row(result: pd.DataFrame, fund_id: str, window: str) -> pd.Series:
    rows = result[(result["fund_id"] == fund_id) & (result["window"] == window)]
    assert len(rows) == 1
    return rows.iloc[0]


def _rows_of(result: pd.DataFrame, window: str) -> pd.DataFrame:
    return result[result["window"] == window].set_index("fund_id")


def _rows_of_fund(result: pd.DataFrame, fund_id: str) -> pd.DataFrame:
    return result[result["fund_id"] == fund_id].set_index("window")


def _reference_series(inputs: MetricInputs, fund_id: str, window: str, ppy: int) -> dict:
    """The fund's window returns, benchmark returns and per-period risk-free, built one fund at a time."""
    nav = inputs.nav[inputs.nav["fund_id"] == fund_id].set_index("date")["nav"].sort_index()
    nav = nav[nav.index <= pd.Timestamp(AS_OF)]
    start_day = pd.Timestamp(years_before(AS_OF, int(window[:-1])))
    start = nav.index[nav.index <= start_day].max()
    prices = nav[nav.index >= start]
    returns = prices.pct_change().iloc[1:]
    rates = inputs.risk_free.set_index("date")["rate"].sort_index()
    rf = rates.reindex(returns.index, method="ffill").fillna(0.0).to_numpy() / 100 / ppy
    series = {"r": returns.to_numpy(), "rf": rf, "b": None}
    bench_id = inputs.funds.set_index("fund_id").loc[fund_id, "benchmark_id"]
    levels = inputs.benchmarks[inputs.benchmarks["benchmark_id"] == bench_id]
    if len(levels):
        level = levels.set_index("date")["level"].sort_index().reindex(prices.index, method="ffill")
        series["b"] = level.pct_change().iloc[1:].to_numpy()
    return series


@pytest.fixture(scope="module")
def cases(universe: MetricInputs, result: pd.DataFrame) -> list[tuple[pd.Series, dict]]:
    """Every computed row with its reference series."""
    computed = result[result["reason"].isna()]
    assert len(computed) >= 15
    return [
        (row, _reference_series(universe, row.fund_id, row.window, int(row.periods_per_year)))
        for row in computed.itertuples(index=False)
    ]


def _check(cases, key: str, expected_of, relative: bool = False) -> None:
    checked = 0
    for row, s in cases:
        if relative and s["b"] is None:
            continue
        expected = expected_of(s, int(row.periods_per_year))
        np.testing.assert_allclose(
            getattr(row, key), expected, rtol=RTOL, err_msg=f"{row.fund_id} {row.window}"
        )
        checked += 1
    assert checked >= 10


def test_cumulative_return_matches_empyrical(cases):
    _check(cases, "cum_return", lambda s, ann: ep.cum_returns_final(s["r"]))


def test_annual_return_matches_empyrical(cases):
    _check(cases, "ann_return", lambda s, ann: ep.annual_return(s["r"], annualization=ann))


def test_volatility_matches_empyrical(cases):
    _check(cases, "volatility", lambda s, ann: ep.annual_volatility(s["r"], annualization=ann))


def test_sharpe_matches_empyrical_with_risk_free(cases):
    _check(
        cases,
        "sharpe",
        lambda s, ann: ep.sharpe_ratio(s["r"], risk_free=s["rf"], annualization=ann),
    )


def test_sortino_matches_empyrical_with_risk_free_as_required_return(cases):
    _check(
        cases,
        "sortino",
        lambda s, ann: ep.sortino_ratio(s["r"], required_return=s["rf"], annualization=ann),
    )


def test_max_drawdown_matches_empyrical_with_start_nav_as_first_peak(cases):
    _check(cases, "max_drawdown", lambda s, ann: ep.max_drawdown(s["r"]))


def test_calmar_matches_empyrical(cases):
    _check(cases, "calmar", lambda s, ann: ep.calmar_ratio(s["r"], annualization=ann))


def test_beta_matches_empyrical(cases):
    _check(cases, "beta", lambda s, ann: ep.beta(s["r"], s["b"], risk_free=s["rf"]), relative=True)


def test_alpha_matches_empyrical_with_risk_free(cases):
    _check(
        cases,
        "alpha",
        lambda s, ann: ep.alpha(s["r"], s["b"], risk_free=s["rf"], annualization=ann),
        relative=True,
    )


def test_tracking_error_is_annual_volatility_of_active_returns(cases):
    _check(
        cases,
        "tracking_error",
        lambda s, ann: ep.annual_volatility(s["r"] - s["b"], annualization=ann),
        relative=True,
    )


def test_information_ratio_is_excess_sharpe_annualised(cases):
    _check(
        cases,
        "information_ratio",
        lambda s, ann: ep.excess_sharpe(s["r"], s["b"]) * np.sqrt(ann),
        relative=True,
    )


def test_up_and_down_capture_match_empyrical(cases):
    _check(
        cases,
        "up_capture",
        lambda s, ann: ep.up_capture(s["r"], s["b"], period=PERIOD_NAME[ann]),
        relative=True,
    )
    _check(
        cases,
        "down_capture",
        lambda s, ann: ep.down_capture(s["r"], s["b"], period=PERIOD_NAME[ann]),
        relative=True,
    )


def test_mrar_matches_direct_formula_with_gamma_two(cases):
    def mrar(s: dict, ann: int) -> float:
        excess = (1 + s["r"]) / (1 + s["rf"]) - 1
        return np.mean((1 + excess) ** -2.0) ** (-ann / 2.0) - 1

    _check(cases, "mrar", mrar)


def test_sharpe_uses_zero_risk_free_without_a_table(universe: MetricInputs):
    no_rates = MetricInputs(funds=universe.funds, nav=universe.nav, benchmarks=universe.benchmarks)
    row = _row(compute_indicators(no_rates, AS_OF, ["3y"]), "D1", "3y")
    s = _reference_series(universe, "D1", "3y", 252)
    assert row.sharpe == pytest.approx(ep.sharpe_ratio(s["r"], annualization=252), rel=RTOL)
    assert row.mrar == pytest.approx(np.mean((1 + s["r"]) ** -2.0) ** (-252 / 2) - 1, rel=RTOL)


def test_sharpe_is_null_when_returns_differ_only_by_rounding_noise():
    dates = pd.bdate_range("2021-01-04", "2024-06-28")
    nav = pd.DataFrame(
        {"fund_id": "A", "date": dates, "nav": 100 * 1.0001 ** np.arange(len(dates))}
    )
    funds = pd.DataFrame({"fund_id": ["A"], "category": ["MMF"], "benchmark_id": [None]})
    row = _row(compute_indicators(MetricInputs(funds, nav), AS_OF, ["1y"]), "A", "1y")
    assert pd.isna(row.sharpe) and pd.isna(row.sortino) and pd.isna(row.calmar)
    assert row.ann_return == pytest.approx(1.0001**252 - 1, rel=1e-9)
    assert row.risk_grade == 6


def test_one_row_per_fund_and_window_with_documented_columns(
    universe: MetricInputs, result: pd.DataFrame
):
    assert list(result.columns) == COLUMNS
    assert len(result) == len(universe.funds) * len(WINDOWS)
    assert list(result["fund_id"].unique()) == list(universe.funds["fund_id"])
    assert list(result["window"][:3]) == list(WINDOWS)
    assert set(INDICATORS) < set(result.columns)


def test_window_starts_at_last_nav_on_or_before_same_day_years_earlier():
    nav_dates = pd.bdate_range("2022-01-03", "2024-02-29").drop(
        pd.DatetimeIndex(["2023-02-27", "2023-02-28"])
    )
    nav = pd.DataFrame(
        {"fund_id": "F", "date": nav_dates, "nav": np.linspace(100, 120, len(nav_dates))}
    )
    funds = pd.DataFrame({"fund_id": ["F"], "category": ["C"], "benchmark_id": [None]})
    row = _row(compute_indicators(MetricInputs(funds, nav), date(2024, 2, 29), ["1y"]), "F", "1y")
    assert years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)
    assert row.start_date == pd.Timestamp("2023-02-24")  # the Friday before the missing Mon/Tue
    assert row.end_date == pd.Timestamp("2024-02-29")
    assert row.n_returns == len(nav_dates[nav_dates > "2023-02-24"])


def test_short_history_gives_nulls_with_reason(result: pd.DataFrame):
    row = _row(result, "D2", "3y")
    assert row.reason == "history shorter than 3y (first NAV 2022-08-01)"
    assert row[list(INDICATORS)].isna().all()
    assert pd.isna(_row(result, "D2", "1y").reason)


def test_stale_nav_gives_nulls_with_reason(result: pd.DataFrame):
    for window in WINDOWS:
        row = _row(result, "S1", window)
        assert row.reason == "no NAV in the 31 days before 2024-06-30"
        assert row[list(INDICATORS)].isna().all()
        assert pd.isna(row.risk_grade)


def test_too_few_returns_and_no_nav_give_reasons(result: pd.DataFrame):
    assert _row(result, "T1", "1y").reason == "only 2 returns in the 1y window (need at least 3)"
    assert _row(result, "E1", "1y").reason == "no NAV on or before 2024-06-30"


def test_missing_benchmark_nulls_only_relative_indicators(result: pd.DataFrame):
    for fund_id, note in [
        ("D3", "no benchmark assigned"),
        ("Z1", "benchmark B_MISSING has no level"),
    ]:
        row = _row(result, fund_id, "3y")
        assert pd.isna(row.reason)
        assert row.benchmark_note.startswith(note)
        assert (
            row[
                [
                    "beta",
                    "alpha",
                    "tracking_error",
                    "information_ratio",
                    "up_capture",
                    "down_capture",
                ]
            ]
            .isna()
            .all()
        )
        assert row[["cum_return", "volatility", "sharpe", "max_drawdown", "mrar"]].notna().all()
    assert pd.isna(_row(result, "D1", "3y").benchmark_note)


def test_benchmark_gap_inside_the_window_nulls_relative_indicators_with_the_date():
    dates = pd.bdate_range("2019-01-01", "2024-06-28")
    nav = pd.DataFrame({"fund_id": "F", "date": dates, "nav": np.linspace(100, 150, len(dates))})
    nav["nav"] *= 1 + 0.01 * np.sin(np.arange(len(dates)))
    late = dates[dates >= "2022-01-03"]
    benchmarks = pd.DataFrame(
        {"benchmark_id": "BX", "date": late, "level": 1 + 0.01 * np.cos(np.arange(len(late)))}
    )
    funds = pd.DataFrame({"fund_id": ["F"], "category": ["C"], "benchmark_id": ["BX"]})
    out = compute_indicators(MetricInputs(funds, nav, benchmarks), AS_OF, ["1y", "3y"])
    one, three = _row(out, "F", "1y"), _row(out, "F", "3y")
    assert pd.isna(one.benchmark_note) and pd.notna(one.beta)
    assert three.benchmark_note == "benchmark BX has no level within 31 days before 2021-06-30"
    assert pd.isna(three.beta) and pd.notna(three.sharpe)
    stale = benchmarks[benchmarks["date"] <= "2024-04-30"]
    row = _row(compute_indicators(MetricInputs(funds, nav, stale), AS_OF, ["1y"]), "F", "1y")
    assert row.benchmark_note == "benchmark BX has no level within 31 days before 2024-06-03"


def test_frequency_detected_from_median_nav_gap(result: pd.DataFrame):
    assert {f: _row(result, f, "1y").periods_per_year for f in ("D1", "W1", "M1")} == {
        "D1": 252,
        "W1": 52,
        "M1": 12,
    }
    assert list(periods_per_year(np.array([1, 4, 5, 10, 11, 31]))) == [252, 252, 52, 52, 12, 12]


def test_risk_grade_bands_are_strictly_above_each_bound():
    vols = [0.30, 0.2500001, 0.25, 0.15, 0.12, 0.10, 0.07, 0.05, 0.0051, 0.005, 0.0, np.nan]
    assert risk_grade(np.array(vols)).tolist() == [1, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6, pd.NA]


def test_risk_grade_comes_from_3y_volatility_on_every_window_row(result: pd.DataFrame):
    for fund_id in ("D1", "D4", "W1", "M1"):
        rows = result[result["fund_id"] == fund_id]
        expected = risk_grade(np.array([_row(result, fund_id, "3y").volatility]))[0]
        assert (rows["risk_grade"] == expected).all()
    assert result[result["fund_id"] == "D2"]["risk_grade"].isna().all()


def test_risk_grade_is_filled_when_3y_window_not_requested(
    universe: MetricInputs, result: pd.DataFrame
):
    one_year = compute_indicators(universe, AS_OF, ["1y"])
    assert set(one_year["window"]) == {"1y"}
    assert one_year.set_index("fund_id")["risk_grade"].equals(_rows_of(result, "3y")["risk_grade"])


def test_percentiles_rank_within_category_and_window():
    frame = pd.DataFrame(
        {
            "category": ["A", "A", "A", "B", "B", "A", None],
            "window": ["1y", "1y", "1y", "1y", "1y", "3y", "1y"],
            "volatility": [0.3, 0.1, 0.2, 0.5, 0.5, 0.9, 0.4],
        }
    )
    pct = category_percentiles(frame, ["volatility"])["volatility_pct"]
    assert pct[:5].tolist() == [100.0, 0.0, 50.0, 50.0, 50.0]
    assert pct[5:].isna().all()  # alone in its (category, window); no category
    no_categories = frame.assign(category=None)
    assert category_percentiles(no_categories, ["volatility"])["volatility_pct"].isna().all()


def test_percentiles_on_result_follow_values_within_each_group(result: pd.DataFrame):
    for (_, _), group in result.dropna(subset=["sharpe"]).groupby(["category", "window"]):
        if len(group) < 2:
            continue
        ordered = group.sort_values("sharpe")
        assert ordered["sharpe_pct"].is_monotonic_increasing
        assert ordered["sharpe_pct"].iloc[[0, -1]].tolist() == [0.0, 100.0]


def test_fund_values_do_not_depend_on_the_rest_of_the_universe(
    universe: MetricInputs, result: pd.DataFrame
):
    alone = MetricInputs(
        funds=universe.funds[universe.funds["fund_id"] == "W1"],
        nav=universe.nav,
        benchmarks=universe.benchmarks,
        risk_free=universe.risk_free,
    )
    single = compute_indicators(alone, AS_OF).set_index("window")[list(INDICATORS)]
    together = _rows_of_fund(result, "W1")[list(INDICATORS)]
    pd.testing.assert_frame_equal(single, together)


def test_many_funds_computed_in_one_call():
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2020-06-01", "2024-06-28")
    n_funds = 300
    nav = pd.DataFrame(
        {
            "fund_id": np.repeat([f"F{i:03d}" for i in range(n_funds)], len(dates)),
            "date": np.tile(dates, n_funds),
            "nav": (
                100 * np.cumprod(1 + rng.normal(0, 0.01, (n_funds, len(dates))), axis=1)
            ).ravel(),
        }
    )
    funds = pd.DataFrame(
        {"fund_id": nav["fund_id"].unique(), "category": "C", "benchmark_id": None}
    )
    out = compute_indicators(MetricInputs(funds, nav), AS_OF)
    assert len(out) == 3 * n_funds
    assert out[out["window"] != "5y"]["reason"].isna().all()
    assert out[out["window"] == "5y"]["reason"].str.startswith("history shorter than 5y").all()


def test_indicators_end_to_end_on_a_temporary_home(
    tmp_path, monkeypatch, universe: MetricInputs, result: pd.DataFrame
):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    home = current_home()
    with connect(home) as con:
        con.executemany(
            "INSERT INTO funds (fund_id, fund_name, category, benchmark_id) VALUES (?, ?, ?, ?)",
            [[f, f"Fund {f}", c, b] for f, c, b in universe.funds.itertuples(index=False)],
        )
        for table, frame in [
            ("nav", universe.nav),
            ("benchmark_levels", universe.benchmarks),
            ("risk_free", universe.risk_free),
        ]:
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
            con.unregister("incoming")
        loaded = load_inputs(con, date(2020, 1, 1))
    before = universe.nav[universe.nav["date"] <= pd.Timestamp("2020-01-01")]
    before = before.sort_values(["fund_id", "date"])
    assert isinstance(loaded.nav["fund_id"].dtype, pd.CategoricalDtype)  # one string per fund
    assert loaded.nav["fund_id"].astype(str).tolist() == before["fund_id"].tolist()
    np.testing.assert_array_equal(loaded.nav["date"], before["date"].to_numpy())
    np.testing.assert_array_equal(loaded.nav["nav"], before["nav"].to_numpy())
    from_store = indicators(home)
    assert from_store["end_date"].max() == pd.Timestamp("2024-06-28")
    compared = list(INDICATORS) + ["reason", "risk_grade"]
    expected = compute_indicators(universe, date(2024, 6, 28)).set_index(["fund_id", "window"])
    pd.testing.assert_frame_equal(
        from_store.set_index(["fund_id", "window"])[compared],
        expected.loc[from_store.set_index(["fund_id", "window"]).index, compared],
        rtol=1e-12,
    )


def _ragged_universe(seed: int = 11) -> MetricInputs:
    """Funds with different inceptions, gaps, frequencies, short and stale histories, and
    benchmarks with a gap: every way a fund's rows can be ragged."""
    rng = np.random.default_rng(seed)
    business = pd.bdate_range("2016-03-01", "2024-06-28")
    frames, fund_rows = [], []
    for i in range(45):
        kind = i % 9
        if kind == 6:
            dates = pd.date_range("2016-03-04", "2024-06-28", freq="W-FRI")
        elif kind == 7:
            dates = pd.date_range("2016-03-31", "2024-06-28", freq="BME")
        else:
            dates = _holidays(business, rng, 0.03)
        inception = pd.Timestamp("2016-03-01") + pd.Timedelta(days=int(rng.integers(0, 2200)))
        dates = dates[dates >= inception]
        if kind == 1:  # a stretch without NAV inside the windows
            gap_start = pd.Timestamp("2019-01-01") + pd.Timedelta(days=int(rng.integers(0, 1500)))
            dates = dates[(dates < gap_start) | (dates > gap_start + pd.Timedelta(days=90))]
        if kind == 2:  # stale: the last NAV is long before as_of
            dates = dates[dates <= "2024-04-15"]
        if kind == 3:  # only a few NAVs in the last year
            dates = pd.DatetimeIndex(["2022-01-03", "2023-01-03", "2024-03-01", "2024-06-28"])
        if kind == 4:  # too little history for any window
            dates = dates[dates >= "2024-06-10"]
        if len(dates):
            frames.append(_nav(f"R{i:02d}", dates, rng, float(rng.uniform(0.002, 0.02))))
        bench = ["BA", "BG", None, "B_MISSING"][int(rng.integers(0, 4))]
        fund_rows.append((f"R{i:02d}", ["Equity", "Bond", None][i % 3], bench))
    fund_rows.append(("NONE", "Equity", "BA"))  # no NAV at all
    levels = 1000 * np.cumprod(1 + rng.normal(0.0002, 0.01, len(business)))
    gapped = (business < "2021-03-01") | (business > "2021-05-20")
    benchmarks = pd.concat(
        [
            pd.DataFrame({"benchmark_id": "BA", "date": business, "level": levels}),
            pd.DataFrame(
                {"benchmark_id": "BG", "date": business[gapped], "level": levels[gapped] * 0.5}
            ),
        ],
        ignore_index=True,
    )
    risk_free = pd.DataFrame({"date": pd.date_range("2017-01-01", "2024-06-01", freq="MS")})
    risk_free["rate"] = rng.uniform(0.5, 4.0, len(risk_free))
    return MetricInputs(
        funds=pd.DataFrame(fund_rows, columns=["fund_id", "category", "benchmark_id"]),
        nav=pd.concat(frames, ignore_index=True),
        benchmarks=benchmarks,
        risk_free=risk_free,
    )


def _asof(dates: np.ndarray, values: np.ndarray, at: np.ndarray, max_age_days: int) -> np.ndarray:
    """values at the last date on or before each `at` no older than max_age_days, else NaN."""
    if len(dates) == 0:
        return np.full(len(at), np.nan)
    index = np.searchsorted(dates, at, side="right") - 1
    found = (index >= 0) & (at - dates[np.maximum(index, 0)] <= np.timedelta64(max_age_days, "D"))
    return np.where(found, values[np.maximum(index, 0)], np.nan)


def _one_fund(inputs: MetricInputs, navs: dict, fund_id: str, window: str) -> dict:
    """Window, reason and aligned series of one fund, built on its own."""
    nav = navs[fund_id] if fund_id in navs else pd.Series(index=pd.DatetimeIndex([]))
    nav = nav[nav.index <= pd.Timestamp(AS_OF)]
    if nav.empty:
        return {"reason": f"no NAV on or before {AS_OF}"}
    if nav.index[-1] < pd.Timestamp(AS_OF) - pd.Timedelta(days=31):
        return {"reason": f"no NAV in the 31 days before {AS_OF}"}
    start_day = pd.Timestamp(years_before(AS_OF, int(window[:-1])))
    if not (nav.index <= start_day).any():
        return {"reason": f"history shorter than {window} (first NAV {nav.index[0].date()})"}
    prices = nav[nav.index >= nav.index[nav.index <= start_day].max()]
    out = {"reason": None, "start": prices.index[0], "n": len(prices) - 1}
    if out["n"] < 3:
        return {"reason": f"only {out['n']} returns in the {window} window (need at least 3)"}
    gaps = np.diff(nav.index.to_numpy()).astype("timedelta64[D]").astype(int)
    out["ppy"] = int(periods_per_year(np.array([np.median(gaps)]))[0])
    dates = prices.index.to_numpy()
    rates = inputs.risk_free.sort_values("date")
    rf = _asof(rates["date"].to_numpy(), rates["rate"].to_numpy(), dates, 10**6)
    out |= {"r": prices.to_numpy()[1:] / prices.to_numpy()[:-1] - 1, "b": None}
    out["rf"] = np.nan_to_num(rf[1:], nan=0.0) / 100 / out["ppy"]
    bench_id = inputs.funds.set_index("fund_id").loc[fund_id, "benchmark_id"]
    levels = inputs.benchmarks[inputs.benchmarks["benchmark_id"] == bench_id].sort_values("date")
    level = _asof(levels["date"].to_numpy(), levels["level"].to_numpy(), dates, 31)
    if not np.isnan(level).any():
        out["b"] = level[1:] / level[:-1] - 1
    return out


def _expected_indicators(s: dict, ann: int) -> dict:
    r, rf, b = s["r"], s["rf"], s["b"]
    expected = {
        "cum_return": ep.cum_returns_final(r),
        "ann_return": ep.annual_return(r, annualization=ann),
        "volatility": ep.annual_volatility(r, annualization=ann),
        "sharpe": ep.sharpe_ratio(r, risk_free=rf, annualization=ann),
        "sortino": ep.sortino_ratio(r, required_return=rf, annualization=ann),
        "max_drawdown": ep.max_drawdown(r),
        "calmar": ep.calmar_ratio(r, annualization=ann),
        "mrar": np.mean(((1 + r) / (1 + rf)) ** -2.0) ** (-ann / 2.0) - 1,
    }
    if b is not None:
        expected |= {
            "beta": ep.beta(r, b, risk_free=rf),
            "alpha": ep.alpha(r, b, risk_free=rf, annualization=ann),
            "tracking_error": ep.annual_volatility(r - b, annualization=ann),
            "information_ratio": ep.excess_sharpe(r, b) * np.sqrt(ann),
            "up_capture": ep.up_capture(r, b, period=PERIOD_NAME[ann]),
            "down_capture": ep.down_capture(r, b, period=PERIOD_NAME[ann]),
        }
    return expected


def test_matrix_path_matches_empyrical_fund_by_fund_on_ragged_funds(monkeypatch):
    inputs = _ragged_universe()
    # Rows shuffled, and blocks of a single fund: neither may change a value.
    shuffled = MetricInputs(
        inputs.funds,
        inputs.nav.sample(frac=1.0, random_state=3),
        inputs.benchmarks,
        inputs.risk_free,
    )
    result = compute_indicators(shuffled, AS_OF)
    monkeypatch.setattr(nav_matrix, "BLOCK_CELLS", 1)
    pd.testing.assert_frame_equal(compute_indicators(inputs, AS_OF), result)

    navs = {f: g.set_index("date")["nav"].sort_index() for f, g in inputs.nav.groupby("fund_id")}
    counts = {"computed": 0, "relative": 0, "no_benchmark_level": 0, "reasons": set()}
    for row in result.itertuples(index=False):
        where = f"{row.fund_id} {row.window}"
        s = _one_fund(inputs, navs, row.fund_id, row.window)
        assert (None if pd.isna(row.reason) else row.reason) == s["reason"], where
        if s["reason"] is not None:
            counts["reasons"].add(s["reason"].split(" ")[0])
            assert all(pd.isna(getattr(row, key)) for key in INDICATORS), where
            continue
        assert (row.start_date, row.n_returns, row.periods_per_year) == (
            s["start"],
            s["n"],
            s["ppy"],
        ), where
        assert pd.isna(row.benchmark_note) == (s["b"] is not None), where
        expected = _expected_indicators(s, s["ppy"])
        for key in INDICATORS:
            got = getattr(row, key)
            if key not in expected or not np.isfinite(expected[key]):  # undefined: NULL
                assert pd.isna(got), f"{where} {key}"
            else:
                np.testing.assert_allclose(
                    got, expected[key], rtol=RTOL, atol=ATOL, err_msg=f"{where} {key}"
                )
        counts["computed"] += 1
        counts["relative"] += s["b"] is not None
        counts["no_benchmark_level"] += "has no level" in str(row.benchmark_note)
    assert counts["computed"] >= 40 and counts["relative"] >= 15
    assert counts["no_benchmark_level"] >= 5
    assert counts["reasons"] == {"no", "history", "only"}
