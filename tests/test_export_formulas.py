"""Formula injection: fund names and categories that a spreadsheet would run as formulas come
out of every export (CLI metrics / score / evaluations export in .csv and .xlsx, the Validation
page and client dashboard downloads) as quote-prefixed text; numbers stay numbers; a control
character in a name does not break the workbook."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from engine.evaluation import export
from engine.files import tables as tables_out
from store.db import connect
from store.home import Home
from tests.review_support import insert_evaluation, rated_funds
from workbench.cli.core import main
from workbench.web import views_client

ATTACKS = (
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "=\x07cmd|' /C calc'!A0",
)
BELL_NAME = "Bell\x07Fund"  # no formula, only a character XML cannot hold
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")  # openpyxl reads a stored \r back as \n


def _expected(text: str) -> str:
    """The attack as a spreadsheet should show it: control character gone, quote in front."""
    return "'" + text.replace("\x07", "")


def _same(text: str) -> str:
    return text.replace("\r", "\n")


@pytest.fixture(scope="module")
def attacked_home(demo_template: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The demo with one fund name and category per attack, and a stored evaluation."""
    where = Home(tmp_path_factory.mktemp("formulas") / "home")
    shutil.copytree(demo_template.root, where.root)
    funds = rated_funds(where)[1]["fund_id"].tolist()  # those the evaluation answers for
    with connect(where) as con:
        for fund_id, text in zip(funds, (*ATTACKS, BELL_NAME), strict=False):
            con.execute(
                "UPDATE funds SET fund_name = ?, category = ? WHERE fund_id = ?",
                [text, text, fund_id],
            )
    insert_evaluation(where)
    return where


@pytest.fixture
def cli_home(attacked_home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("WORKBENCH_HOME", str(attacked_home.root))
    return attacked_home


def assert_workbook_safe(data: bytes, column: str, numeric: str) -> None:
    """No formula cell anywhere; every attack in `column` shows quote-prefixed; the BEL name
    lost its control character; every value of `numeric` is a number cell."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    for text in texts:
        assert not text.startswith(FORMULA_START), repr(text)
    sheet = book.worksheets[0]
    shown = {_same(c.value) for c in _column(sheet, column) if isinstance(c.value, str)}
    assert {_same(_expected(a)) for a in ATTACKS} <= shown
    assert "BellFund" in shown
    numbers = [c for c in _column(sheet, numeric) if c.value is not None]
    assert numbers and all(c.data_type == "n" for c in numbers), [c.value for c in numbers]


def _column(sheet, header: str) -> list:
    """The cells under `header` in the first row."""
    index = [c.value for c in sheet[1]].index(header) + 1
    return [row[0] for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]


def assert_csv_safe(data: bytes, column: str, numeric: str) -> None:
    """Every attack in `column` reads back quote-prefixed; `numeric` reads back as numbers."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    shown = {r[column] for r in rows}
    assert {_expected(a) for a in ATTACKS} <= shown
    assert "BellFund" in shown
    for text in shown:
        assert not text.startswith(FORMULA_START[:-1]), repr(text)
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert pd.api.types.is_numeric_dtype(frame[numeric])


# ---------------------------------------------------------------- the CLI's files


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_cli_evaluations_export_neutralises_fund_names(cli_home, tmp_path, suffix, capsys):
    out = tmp_path / f"eval{suffix}"
    assert main(["evaluations", "export", "eval-0001", "--out", str(out)]) == 0, capsys.readouterr()
    if suffix == ".xlsx":
        assert_workbook_safe(out.read_bytes(), "fund_name", "grade")
        assert_workbook_safe(out.read_bytes(), "category", "latency_ms")
    else:
        assert_csv_safe(out.read_bytes(), "fund_name", "grade")
        assert_csv_safe(out.read_bytes(), "category", "expert_grade")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_cli_metrics_out_neutralises_categories_and_keeps_negative_numbers(
    cli_home, tmp_path, suffix, capsys
):
    out = tmp_path / f"metrics{suffix}"
    assert main(["metrics", "--window", "1y", "--out", str(out)]) == 0, capsys.readouterr()
    if suffix == ".xlsx":
        assert_workbook_safe(out.read_bytes(), "category", "max_drawdown")
        frame = pd.read_excel(out)
    else:
        assert_csv_safe(out.read_bytes(), "category", "max_drawdown")
        frame = pd.read_csv(out, encoding="utf-8-sig")
    assert (frame["max_drawdown"] < 0).any()  # a negative figure is still a number


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_cli_score_out_neutralises_categories(cli_home, tmp_path, suffix, capsys):
    out = tmp_path / f"scores{suffix}"
    assert main(["score", "--methodology", "house", "--out", str(out)]) == 0, capsys.readouterr()
    if suffix == ".xlsx":
        assert_workbook_safe(out.read_bytes(), "category", "total")
    else:
        assert_csv_safe(out.read_bytes(), "category", "total")


# ---------------------------------------------------------------- the pages' downloads


def test_validation_page_downloads_are_safe(attacked_home):
    tables = export.evaluation_tables(attacked_home, "eval-0001", n_boot=20)
    assert_csv_safe(tables_out.csv_bytes(tables["results"]), "fund_name", "grade")
    assert_workbook_safe(tables_out.excel_bytes(tables), "fund_name", "grade")


def test_client_dashboard_downloads_are_safe():
    rows = pd.DataFrame(
        {
            "fund_id": [f"F{i}" for i in range(len(ATTACKS) + 1)],
            "fund_name": [*ATTACKS, BELL_NAME],
            "category": [*ATTACKS, BELL_NAME],
            "grade": [-1, 2, 3, 4, 5, 1, 2, 3],
            "scores": [{"=cmd|'/C calc'!A0": 3, "sharpe": -2}] * (len(ATTACKS) + 1),
            "reasoning": ["@SUM(1)"] * (len(ATTACKS) + 1),
        }
    )
    table = views_client.grade_table(rows)
    data = views_client.excel_bytes(table, {"release_id": "=1+1", "client": "-x", "version": 2})
    assert_workbook_safe(data, "fund_name", "grade")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["grades", "release"]
    headers = [c.value for c in book["grades"][1]]
    assert "'=cmd|'/C calc'!A0" in headers and "sharpe" in headers
    assert [c.value for c in book["grades"]["A"]][1] == "F0"
    assert {c.value for c in book["release"]["B"]} >= {"'=1+1", "'-x", "2"}
    text = tables_out.csv_bytes(table)
    assert_csv_safe(text, "category", "grade")
    assert text.decode("utf-8-sig").splitlines()[0].startswith("fund_id,fund_name,category,grade,")


# ---------------------------------------------------------------- the writer itself


def test_safe_text_and_sheet_names():
    assert tables_out.safe_text("=1+1") == "'=1+1"
    assert tables_out.safe_text("\x07=1+1") == "'=1+1"  # a hidden control char hides nothing
    assert tables_out.safe_text("한국 성장 A-1") == "한국 성장 A-1"
    assert tables_out.safe_text("a=b") == "a=b"
    taken: set[str] = set()
    assert tables_out.sheet_name("'=x[1]:*?/\\y\x07'", taken) == "=x_1______y"
    assert tables_out.sheet_name("=X[1]:*?/\\Y", taken) == "=X_1______Y (2)"
    assert len(tables_out.sheet_name("z" * 40, taken)) == 31


def test_numbers_in_text_columns_stay_and_numeric_columns_are_untouched():
    frame = pd.DataFrame({"name": ["-5", "ok"], "value": [-5.5, 1.0], "n": [-3, 4]})
    safe = tables_out.safe_frame(frame)
    assert safe["name"].tolist() == ["'-5", "ok"]
    assert safe["value"].tolist() == [-5.5, 1.0] and safe["n"].dtype == frame["n"].dtype
    assert frame["name"].tolist() == ["-5", "ok"]  # the caller's frame is not changed
    book = openpyxl.load_workbook(io.BytesIO(tables_out.table_bytes(frame, ".xlsx")))
    cells = {c.coordinate: c for row in book.active.iter_rows() for c in row}
    assert (cells["B2"].value, cells["B2"].data_type) == (-5.5, "n")
    assert (cells["C2"].value, cells["C2"].data_type) == (-3, "n")
    parquet = pd.read_parquet(io.BytesIO(tables_out.table_bytes(frame, ".parquet")))
    assert parquet["name"].tolist() == ["-5", "ok"]  # typed data for programs: unchanged


def test_unknown_suffix_is_a_one_line_error(tmp_path: Path):
    with pytest.raises(ValueError, match=r"--out must end in \.csv, \.parquet or \.xlsx"):
        tables_out.write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.txt")
