"""Values that would quietly change grades, ids the API cannot serve, and work limits per upload.

Each refusal names its row, and nothing is written.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.data.ingest import IngestError, ingest_file
from engine.data.reading import ReadLimits, read_file
from store.db import connect
from store.home import Home
from store.queries import table_counts

FUNDS = "fund_id,fund_name,expense_ratio,aum,benchmark_id\nF1,A,0.5,100,BM\nF2,B,0.7,200,BM\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def loaded(home: Home, tmp_path: Path) -> Home:
    ingest_file(home, write(tmp_path / "funds.csv", FUNDS))
    return home


def counts(home: Home) -> dict[str, int]:
    with connect(home) as con:
        return table_counts(con)


NON_FINITE = ["NaN", "nan", "inf", "Infinity", "-inf", "-Infinity", "1e999"]


@pytest.mark.parametrize("bad", NON_FINITE)
@pytest.mark.parametrize(
    ("name", "header", "good", "row", "column"),
    [
        ("nav.csv", "fund_id,date,nav", "F1,2024-01-02,1", "F1,2024-01-03,{}", "nav"),
        ("f2.csv", "fund_id,fund_name,aum", "F3,C,1", "F4,D,{}", "aum"),
        ("f3.csv", "fund_id,fund_name,expense_ratio", "F3,C,1", "F4,D,{}", "expense_ratio"),
        ("bm.csv", "benchmark_id,date,level", "BM,2024-01-02,1", "BM,2024-01-03,{}", "level"),
        ("rf.csv", "date,rate", "2024-01-02,1", "2024-01-03,{}", "rate"),
        (
            "ratings.csv",
            "fund_id,as_of,grade,score_sharpe",
            "F1,2024-06-28,3,1",
            "F2,2024-06-28,3,{}",
            "score_sharpe",
        ),
    ],
)
def test_non_finite_numbers_are_refused_with_their_row(
    loaded: Home,
    tmp_path: Path,
    bad: str,
    name: str,
    header: str,
    good: str,
    row: str,
    column: str,
) -> None:
    path = write(tmp_path / name, f"{header}\n{good}\n{row.format(bad)}\n")
    before = counts(loaded)
    with pytest.raises(IngestError) as refused:
        ingest_file(loaded, path)
    assert [(r, c) for r, c, _ in refused.value.problems] == [(3, column)]
    assert f"got '{bad}'" in str(refused.value)
    assert counts(loaded) == before


def test_a_nan_nav_cannot_slip_past_the_positive_check_and_ungrade_a_fund(
    loaded: Home, tmp_path: Path
) -> None:
    path = write(tmp_path / "nav.csv", "fund_id,date,nav\nF1,2024-01-02,100\nF1,2024-01-03,NaN\n")
    with pytest.raises(IngestError, match="row 3: nav must be a positive number, got 'NaN'"):
        ingest_file(loaded, path)


def test_nav_dates_from_1970_to_a_year_ahead_only(loaded: Home, tmp_path: Path) -> None:
    today = date.today()
    too_late = today + timedelta(days=370)
    ok_late = today + timedelta(days=300)
    text = (
        "fund_id,date,nav\n"
        f"F1,1970-01-01,100\nF1,{ok_late},101\nF1,1969-12-31,99\nF1,{too_late:%Y%m%d},102\n"
    )
    with pytest.raises(IngestError) as refused:
        ingest_file(loaded, write(tmp_path / "nav.csv", text))
    assert [(r, c) for r, c, _ in refused.value.problems] == [(4, "date"), (5, "date")]
    assert "from 1970 to one year after today" in str(refused.value)
    good = write(tmp_path / "nav_ok.csv", f"fund_id,date,nav\nF1,1970-01-01,100\nF1,{ok_late},1\n")
    assert ingest_file(loaded, good).inserted == 2


def test_old_inception_dates_stay_accepted(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", "fund_id,fund_name,inception_date\nF9,Old,1928-06-01\n")
    assert ingest_file(home, path).inserted == 1


@pytest.mark.parametrize(
    "bad_id",
    ["F" * 65, "F1\x07", "F\u200b1", "F1\u202e", "F\u20601", "F1\x1b[2J"],
)
def test_ids_the_api_cannot_serve_are_refused(home: Home, tmp_path: Path, bad_id: str) -> None:
    path = tmp_path / "funds.csv"
    path.write_text(f"fund_id,fund_name\nOK1,A\n{bad_id},B\n", encoding="utf-8")
    with pytest.raises(IngestError) as refused:
        ingest_file(home, path)
    assert [(r, c) for r, c, _ in refused.value.problems] == [(3, "fund_id")]
    assert "at most 64 characters without control or zero-width characters" in str(refused.value)
    assert counts(home).get("funds", 0) == 0


def test_a_64_character_id_is_fine(home: Home, tmp_path: Path) -> None:
    path = write(tmp_path / "funds.csv", f"fund_id,fund_name\n{'F' * 64},A\n")
    assert ingest_file(home, path).inserted == 1


def test_a_nul_byte_anywhere_in_a_csv_is_refused_with_its_row(home: Home, tmp_path: Path) -> None:
    body = "fund_id,fund_name\n" + "".join(f"F{i},A\n" for i in range(5000)) + "F9,B\x00C\n"
    path = tmp_path / "funds.csv"
    path.write_bytes(body.encode("utf-8"))
    with pytest.raises(IngestError, match="NUL byte") as refused:
        ingest_file(home, path)
    assert refused.value.problems[0][0] == 5002
    assert counts(home).get("funds", 0) == 0


def test_a_nul_character_in_a_parquet_cell_is_refused(home: Home, tmp_path: Path) -> None:
    path = tmp_path / "funds.parquet"
    pq.write_table(pa.table({"fund_id": ["F1", "F2"], "fund_name": ["A", "B\x00"]}), path)
    with pytest.raises(IngestError, match="NUL character") as refused:
        ingest_file(home, path)
    assert refused.value.problems[0][0] == 3


# ---------------------------------------------------------------- work limits


def test_a_csv_with_thousands_of_columns_is_refused_before_it_is_read(
    home: Home, tmp_path: Path
) -> None:
    headers = ",".join(["fund_id", "fund_name", *(f"x{i}" for i in range(50_000))])
    path = write(tmp_path / "wide.csv", headers + "\n" + "F1,A" + ",1" * 50_000 + "\n")
    started = time.perf_counter()
    with pytest.raises(IngestError, match="50,002 columns, over the limit of 200"):
        ingest_file(home, path)
    assert time.perf_counter() - started < 10


def test_wide_parquet_and_long_headers_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": ["1"] for i in range(300)}), path)
    with pytest.raises(IngestError, match="300 columns, over the limit of 200"):
        read_file(path)
    long = write(tmp_path / "long.csv", "fund_id," + "y" * 500 + "\nF1,1\n")
    with pytest.raises(IngestError, match="column 2 is 500 characters long"):
        read_file(long)


def _xlsx(path: Path, rows: int) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["fund_id", "fund_name"])
    for i in range(rows):
        sheet.append([f"F{i}", "x" * 50])
    book.save(path)
    return path


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "bomb.xlsx", 2000)
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    limits = ReadLimits(max_xlsx_unpacked_bytes=unpacked - 1)
    with pytest.raises(IngestError, match="unpacks to .* MiB, over the .* MiB limit"):
        read_file(path, limits=limits)
    mem, parsed = read_file(path, limits=ReadLimits(max_xlsx_unpacked_bytes=unpacked))
    mem.close()
    assert parsed.rows == 2000


def test_a_default_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", " " * (70 * 2**20))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(IngestError, match="unpacks to 70 MiB, over the 64 MiB limit"):
        read_file(path)


def test_reading_a_workbook_stops_at_the_time_limit(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "slow.xlsx", 3000)
    with pytest.raises(IngestError, match=r"took over 0 s \(stopped at row 1,000\)"):
        read_file(path, limits=ReadLimits(max_seconds=0))


def test_a_cp949_upload_keeps_its_temporary_copy_inside_home_and_removes_it(
    home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Path] = []
    real_mkstemp = tempfile.mkstemp

    def recording_mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        made.append(Path(name))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", recording_mkstemp)
    path = tmp_path / "funds.csv"
    path.write_bytes("펀드코드,펀드명\nF1,한빛\n".encode("cp949"))
    assert ingest_file(home, path).encoding == "cp949"
    assert [p.parent for p in made] == [home.tmp]
    assert not made[0].exists()


def test_feedback_files_have_the_same_work_limits(home: Home, tmp_path: Path) -> None:
    from engine.review.feedback import import_file

    wide = write(tmp_path / "wide.csv", ",".join(f"x{i}" for i in range(5000)) + "\n1\n")
    with pytest.raises(IngestError, match="5,000 columns, over the limit of 200"):
        import_file(home, wide)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"fund_id,as_of,action\nF1,2024-06-28,keep\x00\n")
    with pytest.raises(IngestError, match="NUL byte"):
        import_file(home, nul)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", " " * (70 * 2**20))
    with pytest.raises(IngestError, match="over the 64 MiB limit"):
        import_file(home, bomb)
