"""Shared fixtures: a fresh state folder, small valid upload files, and the demo universe."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from store.home import Home

DEMO_FUNDS = 30
DEMO_YEARS = 4
# A test that uses one of these trains a real model (minutes on two cores): it is `slow`, and
# `make check` (the fast tier: `-m "not slow and not browser"`) leaves it to `make test`.
TRAINING_FIXTURES = {"train_home", "cli_run", "shared_run", "studio"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that train a model as slow."""
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """An empty state folder, named by $WORKBENCH_HOME for the code under test."""
    where = Home(tmp_path / "home").ensure()
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where


def _business_days(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.fixture
def small_files(tmp_path: Path) -> dict[str, Path]:
    """Small valid upload files: funds (CP949, Korean headers), benchmarks, nav, ratings.

    Three funds (F001-F003) in two categories, 40 business days of NAV and benchmark levels
    from 2024-01-02, and one expert rating per fund on 2024-02-29.
    """
    folder = tmp_path / "files"
    folder.mkdir()
    funds = (
        "펀드코드,펀드명,유형,운용사,매니저,설정일,통화,벤치마크,총보수,순자산\n"
        "F001,한국성장주식형 A,국내주식형,가나자산운용,김민준,2015-03-02,KRW,KOSPI,1.20,52000000000\n"
        "F002,한국가치주식형 C-e,국내주식형,다라자산운용,이서연,2018-07-16,KRW,KOSPI,0.85,31000000000\n"
        "F003,국공채채권형 A,국내채권형,가나자산운용,박지호,2012-01-05,KRW,KTB,0.35,120000000000\n"
    )
    days = _business_days(date(2024, 1, 2), 40)
    nav_lines = ["fund_id,date,nav"]
    bench_lines = ["benchmark_id,date,level,benchmark_name"]
    for i, day in enumerate(days):
        nav_lines += [
            f"F001,{day},{1000 * (1.002**i):.4f}",
            f"F002,{day},{1000 * (1.001**i) * (1 - 0.01 * (i % 3)):.4f}",
            f"F003,{day},{1000 * (1.0002**i):.4f}",
        ]
        bench_lines += [
            f"KOSPI,{day},{2500 * (1.0015**i):.2f},코스피",
            f"KTB,{day},{100 * (1.0001**i):.4f},국고채 종합",
        ]
    ratings = (
        "fund_id,as_of,grade,analyst,comment\n"
        "F001,2024-02-29,4,정하늘,꾸준한 초과수익\n"
        "F002,2024-02-29,3,정하늘,변동성 높음\n"
        "F003,2024-02-29,5,최유나,안정적\n"
    )
    paths = {
        "funds": folder / "funds.csv",
        "benchmarks": folder / "benchmarks.csv",
        "nav": folder / "nav.csv",
        "ratings": folder / "ratings.csv",
    }
    paths["funds"].write_bytes(funds.encode("cp949"))
    paths["benchmarks"].write_text("\n".join(bench_lines) + "\n", encoding="utf-8")
    paths["nav"].write_text("\n".join(nav_lines) + "\n", encoding="utf-8")
    paths["ratings"].write_text(ratings, encoding="utf-8")
    return paths


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A small synthetic demo universe, built once per test session; copy it, never change it."""
    from engine.demo.build import DemoConfig, build_demo

    where = Home(tmp_path_factory.mktemp("demo-template") / "home").ensure()
    build_demo(where, DemoConfig(n_funds=DEMO_FUNDS, years=DEMO_YEARS))
    return where


@pytest.fixture
def demo_home(demo_template: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A private copy of the demo universe, named by $WORKBENCH_HOME."""
    where = Home(tmp_path / "demo-home")
    shutil.copytree(demo_template.root, where.root)
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where
