"""Manager history: the seventh upload kind, its table, its facts, and the demo's file of it."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from engine.data.checks import load_checked, stage
from engine.data.filekinds import KINDS, SYNONYMS, infer_kind, map_headers
from engine.data.ingest import IngestError, ingest_file, preview_file
from engine.data.managers import DAYS_PER_YEAR, manager_facts
from engine.data.reading import read_file
from engine.demo.build import DemoConfig, DemoData, generate_demo, write_demo_files
from engine.demo.house import rating_dates
from engine.demo.market import _days, business_days
from engine.demo.universe import generate_universe
from engine.demo.universe import manager_facts as demo_manager_facts
from store import prices
from store.db import connect, migrations
from store.home import Home
from tests.template_support import copy_home, demo_store
from workbench.cli.core import build_parser
from workbench.web.views import kinds_table

FUNDS = "fund_id,fund_name\nF1,한빛 주식\nF2,달빛 채권\nF3,별빛 혼합\n"
MANAGERS_KO = (
    "펀드코드,책임운용역,취임일\n"
    "F1,김민수,2015-03-02\n"
    "F1,이서연,20230601\n"
    "F1,박지훈,2024.03.01\n"
    "F2,최유나,2019-01-02\n"
)
# Five years of demo history: four rating dates (three year ends and the end date).
KEY_DEMO = DemoConfig(n_funds=40, years=5)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def tiny_demo() -> DemoData:
    return generate_demo(dataclasses.replace(KEY_DEMO, n_funds=10, years=4))


@pytest.fixture()
def loaded(home: Home, tmp_path: Path) -> Home:
    """A home with three funds F1-F3 in its fund master data."""
    ingest_file(home, write(tmp_path / "funds.csv", FUNDS))
    return home


def history(home: Home) -> list[tuple]:
    with connect(home) as con:
        return con.execute(
            "SELECT fund_id, manager, start_date FROM manager_history ORDER BY 1, 3"
        ).fetchall()


# ---------------------------------------------------------------- the kind and its headers


def test_managers_kind_has_its_columns_key_table_and_labels() -> None:
    kind = KINDS["managers"]
    assert [(c.name, c.type, c.required) for c in kind.columns] == [
        ("fund_id", "id", True),
        ("manager", "text", True),
        ("start_date", "date", True),
    ]
    assert (kind.key, kind.table) == (("fund_id", "start_date"), "manager_history")
    assert (kind.label_en, kind.label_ko) == ("Manager history", "운용역 변경 이력")


def test_no_header_spelling_stands_for_two_columns() -> None:
    spellings = [s for names in SYNONYMS.values() for s in names]
    assert len(spellings) == len(set(spellings))


@pytest.mark.parametrize(
    "headers", [["펀드코드", "매니저", "시작일"], ["Fund ID", "Manager", "Start Date"],
                ["펀드코드", "펀드매니저", "운용개시일"], ["fund_id", "운용역", "since"],
                ["fund_id", "manager", "start"], ["펀드코드", "책임운용역", "취임일"]],
)  # fmt: skip
def test_manager_headers_in_korean_or_english_are_a_managers_file(headers: list[str]) -> None:
    mapped = map_headers(headers)
    assert sorted(mapped.canonical) == ["fund_id", "manager", "start_date"]
    assert infer_kind(mapped.canonical)[0] == "managers"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_still_inferred_from_its_own_columns(kind: str) -> None:
    spec = KINDS[kind]
    assert infer_kind(set(spec.required))[0] == kind
    assert infer_kind({c.name for c in spec.columns})[0] == kind


def test_a_funds_file_with_a_start_date_like_column_stays_a_funds_file() -> None:
    headers = ["펀드코드", "펀드명", "유형", "운용사", "매니저", "운용개시일", "통화"]
    assert infer_kind(map_headers(headers).canonical)[0] == "funds"


def test_a_manager_history_with_fund_names_is_still_a_managers_file() -> None:
    headers = ["펀드코드", "펀드명", "운용역", "취임일"]
    assert infer_kind(map_headers(headers).canonical)[0] == "managers"


def test_demo_files_are_each_detected_as_their_kind_without_being_told(
    tiny_demo: DemoData, tmp_path: Path
) -> None:
    paths = write_demo_files(tiny_demo, tmp_path)
    assert set(paths) == set(KINDS)
    for kind, path in paths.items():
        parsed, _ = preview_file(path)
        assert parsed.kind == kind, path.name


def test_upload_page_and_cli_offer_the_managers_kind() -> None:
    assert "managers" in kinds_table()["kind"].tolist()
    parser = build_parser()
    for kind in KINDS:
        assert parser.parse_args(["ingest", "x.csv", "--kind", kind]).kind == kind


# ---------------------------------------------------------------- ingest


def test_manager_file_with_korean_headers_loads_every_date_format(
    loaded: Home, tmp_path: Path
) -> None:
    result = ingest_file(loaded, write(tmp_path / "m.csv", MANAGERS_KO, "cp949"))
    assert (result.kind, result.rows, result.inserted) == ("managers", 4, 4)
    assert history(loaded) == [
        ("F1", "김민수", date(2015, 3, 2)),
        ("F1", "이서연", date(2023, 6, 1)),
        ("F1", "박지훈", date(2024, 3, 1)),
        ("F2", "최유나", date(2019, 1, 2)),
    ]


def test_manager_rows_are_upserted_by_fund_and_start_date(loaded: Home, tmp_path: Path) -> None:
    ingest_file(loaded, write(tmp_path / "m.csv", MANAGERS_KO))
    again = ingest_file(
        loaded, write(tmp_path / "again.csv", MANAGERS_KO + "F3,정하늘,2022-05-02\n")
    )
    assert (again.inserted, again.replaced, again.unchanged) == (1, 0, 4)
    fixed = "fund_id,manager,start_date\nF1,이서현,2023-06-01\n"
    changed = ingest_file(loaded, write(tmp_path / "fix.csv", fixed), kind="managers")
    assert (changed.inserted, changed.replaced, changed.unchanged) == (0, 1, 0)
    rows = history(loaded)
    assert ("F1", "이서현", date(2023, 6, 1)) in rows and len(rows) == 5


def test_manager_of_an_unknown_fund_is_refused_and_nothing_is_written(
    loaded: Home, tmp_path: Path
) -> None:
    text = "fund_id,manager,start_date\nF1,김민수,2015-03-02\nF9,이서연,2020-01-02\n"
    with pytest.raises(IngestError, match="row 3: fund_id 'F9' is not in the fund master data"):
        ingest_file(loaded, write(tmp_path / "m.csv", text))
    assert history(loaded) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("F1,김민수,2015-13-02\n", "row 2: start_date must be a date"),
        ("F1,김민수,1907-01-01\n", "row 2: start_date must be a date"),
        ("F1,,2015-03-02\n", "row 2: manager is empty"),
        ("F1,김민수,\n", "row 2: start_date is empty"),
        (",김민수,2015-03-02\n", "row 2: fund_id is empty"),
        ("F1,김민수,2015-03-02\nF1,이서연,20150302\n", "row 3: duplicate fund_id/start_date F1"),
    ],
)
def test_invalid_manager_rows_are_refused_with_their_row(
    loaded: Home, tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path / "m.csv", "fund_id,manager,start_date\n" + body)
    with pytest.raises(IngestError, match="nothing was loaded") as caught:
        ingest_file(loaded, path, kind="managers")
    assert message in str(caught.value)
    assert history(loaded) == []


def test_typed_read_and_text_read_stage_the_same_manager_values(tmp_path: Path) -> None:
    text = "fund_id,manager,start_date\n F2 ,최유나,2019-1-2\nF1, 김민수 ,2015-03-02\n"
    path = write(tmp_path / "m.csv", text)
    fast, parsed = load_checked(path)
    slow, exact = read_file(path)
    stage(slow, exact)
    try:
        assert parsed.typed and not exact.typed and parsed.kind == exact.kind == "managers"
        query = "SELECT * FROM stage ORDER BY _row"
        pd.testing.assert_frame_equal(fast.execute(query).df(), slow.execute(query).df())
    finally:
        fast.close()
        slow.close()


# ---------------------------------------------------------------- store


def test_migration_012_creates_manager_history_keyed_by_fund_and_start(tmp_path: Path) -> None:
    assert "012_manager_history.sql" in [name for _, name, _ in migrations()]
    with connect(Home(tmp_path / "home")) as con:
        con.execute("INSERT INTO manager_history VALUES ('F1', '김민수', DATE '2015-03-02')")
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO manager_history VALUES ('F1', '이서연', DATE '2015-03-02')")


def test_history_until_a_date_leaves_out_later_starts(loaded: Home, tmp_path: Path) -> None:
    ingest_file(loaded, write(tmp_path / "m.csv", MANAGERS_KO))
    with connect(loaded) as con:
        rows = prices.manager_history_until(con, date(2023, 6, 1))
    assert rows.columns.tolist() == ["fund_id", "manager", "start_date"]
    assert list(zip(rows["fund_id"], rows["manager"], strict=True)) == [
        ("F1", "김민수"), ("F1", "이서연"), ("F2", "최유나"),
    ]  # fmt: skip


# ---------------------------------------------------------------- manager facts


def _frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["fund_id", "start_date"]).assign(manager="m")


def test_changes_are_counted_in_the_last_one_and_three_years_after_the_first_start() -> None:
    as_of = date(2024, 6, 30)
    frame = _frame(
        [
            ("A", "2010-01-04"),  # the first start is no change
            ("A", "2021-07-01"),  # 1095 days before: in the 3 years (< 3 x 365.25 days)
            ("A", "2023-06-30"),  # 366 days before: not in the last year
            ("A", "2023-07-01"),  # 365 days before: in the last year
            ("A", "2024-07-01"),  # after the as-of date: not yet known
            ("B", "2021-06-29"),
            ("B", "2021-06-30"),  # 1096 days before: not in the 3 years
        ]
    )
    facts = manager_facts(frame, as_of).set_index("fund_id")
    assert facts.loc["A", ["changes_1y", "changes_3y"]].tolist() == [1, 3]
    assert facts.loc["A", "tenure_years"] == pytest.approx(365 / DAYS_PER_YEAR)
    assert facts.loc["B", ["changes_1y", "changes_3y"]].tolist() == [0, 0]
    assert facts.loc["B", "tenure_years"] == pytest.approx(1096 / DAYS_PER_YEAR)


def test_a_fund_without_history_is_unknown_not_unchanged() -> None:
    frame = _frame([("A", "2020-01-02"), ("C", "2025-01-02")])
    facts = manager_facts(frame, date(2024, 6, 30), fund_ids=["A", "B", "C"])
    assert facts["fund_id"].tolist() == ["A", "B", "C"]
    assert facts.loc[0, ["changes_1y", "changes_3y"]].tolist() == [0, 0]
    for row in (1, 2):  # B has no row at all, C's history starts after the date
        assert facts.loc[row, ["changes_1y", "changes_3y", "tenure_years"]].isna().all()


def test_facts_from_the_store_cover_every_fund(loaded: Home, tmp_path: Path) -> None:
    ingest_file(loaded, write(tmp_path / "m.csv", MANAGERS_KO))
    with connect(loaded) as con:
        facts = manager_facts(con, date(2024, 6, 30))
    assert facts.columns.tolist() == ["fund_id", "changes_1y", "changes_3y", "tenure_years"]
    facts = facts.set_index("fund_id")
    assert facts.loc["F1", ["changes_1y", "changes_3y"]].tolist() == [1, 2]
    assert facts.loc["F2", ["changes_1y", "changes_3y"]].tolist() == [0, 0]
    assert facts.loc["F3"].isna().all()


# ---------------------------------------------------------------- the demo


def test_demo_manager_file_holds_no_hidden_skill(tiny_demo: DemoData, tmp_path: Path) -> None:
    assert tiny_demo.uploads()["managers"].columns.tolist() == ["fund_id", "manager", "start_date"]
    path = write_demo_files(tiny_demo, tmp_path)["managers"]
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "펀드코드,책임운용역,취임일"
    assert "alpha" not in path.read_text(encoding="utf-8")


def test_no_two_demo_manager_changes_fall_on_one_day() -> None:
    config = DemoConfig(n_funds=3000, years=6.5, seed=11)
    dates = business_days(config)
    universe = generate_universe(config, dates)
    assert not universe.managers.duplicated(["fund_id", "start_date"]).any()
    changes = universe.history.change_idx
    used = changes < len(dates)
    assert (used.sum(axis=1) == universe.history.n_changes).all()
    assert (np.diff(np.where(used, changes, np.arange(3) + 10**9), axis=1) > 0).all()


def test_facts_from_the_stored_demo_history_are_the_demo_truth_at_every_rating_date(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = copy_home(demo_store(tmp_path_factory, n_funds=40, years=5), tmp_path / "home")
    data = generate_demo(KEY_DEMO)
    dates = business_days(KEY_DEMO)
    universe = generate_universe(KEY_DEMO, dates)
    when = [d.date() for d in rating_dates(KEY_DEMO, dates)]
    seen_1y = seen_3y = 0
    with connect(home) as con:
        rated = {r[0] for r in con.execute("SELECT DISTINCT as_of FROM ratings").fetchall()}
        assert len(when) == 4 and rated <= set(when)
        for as_of in when:
            facts = manager_facts(con, as_of).set_index("fund_id")
            day = _days([pd.Timestamp(as_of)])[0]
            truth = demo_manager_facts(universe, dates, day).set_index("fund_id")
            assert sorted(facts.index) == sorted(truth.index)
            truth = truth.loc[facts.index]
            since = data.truth.set_index("fund_id").loc[facts.index, "manager_since"]
            started = (since <= pd.Timestamp(as_of)).to_numpy()
            known = facts[started]
            assert facts.loc[~started].isna().all().all()  # not yet launched: unknown
            for column in ("changes_1y", "changes_3y"):
                np.testing.assert_array_equal(known[column], truth.loc[started, column])
            np.testing.assert_allclose(known["tenure_years"], truth.loc[started, "tenure_years"])
            graded = data.grading[data.grading["as_of"] == pd.Timestamp(as_of)]
            graded = graded.set_index("fund_id")
            for column in ("changes_1y", "changes_3y", "tenure_years"):
                np.testing.assert_allclose(facts.loc[graded.index, column], graded[column])
            seen_1y += int((known["changes_1y"] >= 1).sum())
            seen_3y += int((known["changes_3y"] >= 2).sum())
    assert seen_1y and seen_3y  # the habit's both triggers occur, so the test has teeth
