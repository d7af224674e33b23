"""Shared fixtures: a fresh state folder, small valid upload files, and the demo universe.

State folders are built once per test run (`tests.template_support`) and copied per test. With
pytest-xdist (`make check`, `make test`: `-n 2 --dist loadgroup`) the tests of one file run on
one worker, the browser tests all on one worker, and each test gets its own $WORKBENCH_HOME.
"""

from __future__ import annotations

import gc
import itertools
import os
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import CodeType

import pytest
from _pytest.nodeid import NodeId
from argon2 import PasswordHasher

from store.db import connect
from store.home import Home
from tests.template_support import built_once, copy_home, demo_store

DEMO_FUNDS = 30
DEMO_YEARS = 4
# A test that uses one of these trains a real model (minutes on two cores): it is `slow`, and
# `make check` (the fast tier: `-m "not slow and not browser"`) leaves it to `make test`.
TRAINING_FIXTURES = {"train_home", "cli_run", "shared_run", "studio"}
# Tests that share one worker under `--dist loadgroup`: one Chromium and app server at a time.
BROWSER_GROUP = "browser"
YOUNG_GC_THRESHOLD = 10_000  # new objects between two collections of the youngest generation
# Argon2id at RFC 9106 low-memory cost takes about half a second a hash on a busy core; tests
# that add users and log in do dozens. Same algorithm and code path, the cheapest parameters.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
QUICK_REFUSAL_S = 0.05
_default_homes = itertools.count()
_components: dict[str, list] = {}  # the Streamlit components installed, scanned once
_compiled: dict[tuple[str, bytes], CodeType] = {}  # page scripts compiled, by path and content


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that train a model as slow; group tests for xdist: by file, and every
    browser test together (`--dist loadgroup` keeps a group on one worker)."""
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("xdist_group") is None:
            browser = item.get_closest_marker("browser") is not None
            item.add_marker(pytest.mark.xdist_group(BROWSER_GROUP if browser else item.path.stem))


class _GroupIds:
    """Gives xdist's `@group` suffix to the test ids pytest 9.2 reads (`--dist loadgroup`).

    xdist 3.8 appends the group to `item._nodeid`; pytest 9.2 reads a test's id from `item._id`
    (a `NodeId`), so without this every group is ignored and tests are dealt one by one.
    """

    @pytest.hookimpl(trylast=True)  # after xdist's own hook has named the groups
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            grouped = getattr(item, "_nodeid", None)
            if grouped and "@" in grouped and grouped != item.nodeid:
                item._id = NodeId.parse(grouped)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_GroupIds(), "workbench-xdist-group-ids")
    # The tests make millions of short-lived objects (frames, AppTest's script runs): the
    # collector runs after every YOUNG_GC_THRESHOLD new objects instead of Python's 700, and
    # takes ~10 % less of the suite's CPU time.
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Spare the process's last garbage collection: at exit the interpreter walks every object
    the tests left (with torch and transformers loaded, ~3 s per xdist worker, which the run
    waits for); the process ends next, so they are frozen out of it."""
    gc.freeze()


@pytest.fixture(autouse=True)
def _own_default_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$WORKBENCH_HOME names a folder of this test alone (not made until used), so that code
    reaching for the default home never shares the repo's var/ with a parallel test."""
    root = tmp_path_factory.getbasetemp() / "default-homes" / str(next(_default_homes))
    monkeypatch.setenv("WORKBENCH_HOME", str(root))


@pytest.fixture(autouse=True)
def _cheap_password_hashing(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cheap argon2id parameters for the users of this process, unless the test is marked
    `real_password_hashing` (it then sees the parameters the app uses)."""
    if request.node.get_closest_marker("real_password_hashing") is not None:
        return
    from engine.clients import users

    monkeypatch.setattr(users, "_hasher", CHEAP_HASHER)
    monkeypatch.setattr(users, "_DUMMY_HASH", CHEAP_HASHER.hash("dummy password"))


@pytest.fixture(autouse=True)
def _quick_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused log-in is answered no sooner than `min_refusal_s` (0.5 s in the app); in tests
    after QUICK_REFUSAL_S. The tests of that delay pass a policy of their own."""
    from engine.clients import users

    monkeypatch.setattr(users, "POLICY", replace(users.POLICY, min_refusal_s=QUICK_REFUSAL_S))


@pytest.fixture(autouse=True)
def _component_scan_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each new AppTest scans every installed distribution for Streamlit components (a third of
    a second or more); the packages cannot change during a test run, so scan once a process."""
    if "streamlit.testing.v1" not in sys.modules:
        return
    from streamlit.components.v2 import manifest_scanner

    if "found" not in _components:
        _components["found"] = manifest_scanner.scan_component_manifests()
    found = _components["found"]
    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", lambda *a, **k: list(found))


@pytest.fixture(autouse=True)
def _compile_scripts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest starts a new script cache at every run, so each run (each click) parses, rewrites
    (Streamlit's "magic") and compiles app.py and the page again; the app server does that once
    a file. Keep the compiled code for the process, by file path and content."""
    if "streamlit.testing.v1" not in sys.modules:
        return
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    compile_script = ScriptCache.get_bytecode  # the real one: ours is undone after each test

    def get_bytecode(cache: ScriptCache, script_path: str) -> CodeType:
        path = os.path.abspath(script_path)
        key = (path, Path(path).read_bytes())
        if key not in _compiled:
            _compiled[key] = compile_script(cache, path)
        return _compiled[key]

    monkeypatch.setattr(ScriptCache, "get_bytecode", get_bytecode)


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A state folder whose database has every migration applied; copy it, never change it."""

    def migrate(home: Home) -> None:
        with connect(home):
            pass

    return built_once(tmp_path_factory, "empty", migrate)


@pytest.fixture
def home(empty_template: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """An empty state folder (its database migrated), named by $WORKBENCH_HOME."""
    where = copy_home(empty_template, tmp_path / "home").ensure()
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
    """A small synthetic demo universe, built once per test run; copy it, never change it."""
    return demo_store(tmp_path_factory, n_funds=DEMO_FUNDS, years=DEMO_YEARS)


@pytest.fixture
def demo_home(demo_template: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A private copy of the demo universe, named by $WORKBENCH_HOME."""
    where = copy_home(demo_template, tmp_path / "demo-home")
    monkeypatch.setenv("WORKBENCH_HOME", str(where.root))
    return where


@pytest.fixture(scope="session")
def api_world_template(tmp_path_factory: pytest.TempPathFactory, demo_template: Home) -> Home:
    """The demo with two clients, an approved run and releases (`make_world`), built once per
    run; copy it with `tests.test_api_support.copy_world`."""
    # Imported here, not at the top: it loads FastAPI (~1 s), and the xdist controller, which
    # imports this file before it starts the workers, never runs a test.
    from tests.test_api_support import world_template

    return world_template(tmp_path_factory, demo_template)
