"""Ingest: every format and encoding analysts have, every refusal, all-or-nothing writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import engine.data.ingest as ingest
from engine.data.checks import load_checked, stage
from engine.data.filekinds import canonical_name, infer_kind
from engine.data.ingest import IngestError, ingest_file, preview_file
from engine.data.reading import read_file
from store.db import connect
from store.home import Home
from store.queries import table_counts, upload_log

FUNDS_KO = (
    "펀드코드,펀드명,유형,운용사,매니저,설정일,통화,벤치마크,총보수,순자산\n"
    'F1,한빛 코리아밸류 증권자투자신탁(주식),국내주식형,한빛자산운용,김민수,2015-03-02,KRW,BM_KOSPI,1.25,"120,000,000,000"\n'
    'F2,달빛 글로벌채권,해외채권형,달빛운용,이서연,20180115,USD,BM_AGG,0.45,"3,500,000"\n'
    "F3,별빛 혼합,혼합형,한빛자산운용,박지훈,2020.07.01,KRW,,0.9,1000\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture()
def loaded(home: Home, tmp_path: Path) -> Home:
    """A home with three funds loaded from a CP949 file with Korean headers."""
    ingest_file(home, write(tmp_path / "funds.csv", FUNDS_KO, "cp949"))
    return home


def counts(home: Home) -> dict[str, int]:
    with connect(home) as con:
        return table_counts(con)


# ---------------------------------------------------------------- formats and encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_funds_file_in_each_encoding_loads_with_korean_intact(
    home: Home, tmp_path: Path, encoding: str
) -> None:
    result = ingest_file(home, write(tmp_path / "f.csv", FUNDS_KO, encoding))
    assert (result.kind, result.rows, result.inserted) == ("funds", 3, 3)
    assert result.encoding == ("cp949" if encoding == "euc-kr" else encoding)
    with connect(home) as con:
        name, aum, date_, company = con.execute(
            "SELECT fund_name, aum, inception_date, company_id FROM funds WHERE fund_id = 'F1'"
        ).fetchall()[0]
        companies = con.execute("SELECT count(*) FROM companies").fetchall()[0][0]
    assert name == "한빛 코리아밸류 증권자투자신탁(주식)"
    assert aum == 120_000_000_000  # thousands separators
    assert str(date_) == "2015-03-02" and company == "한빛자산운용"
    assert companies == 2


def test_dates_in_three_forms_are_parsed(loaded: Home) -> None:
    with connect(loaded) as con:
        rows = con.execute("SELECT fund_id, inception_date FROM funds ORDER BY 1").fetchall()
    assert [str(d) for _, d in rows] == ["2015-03-02", "2018-01-15", "2020-07-01"]


def test_tab_separated_nav_file_loads(loaded: Home, tmp_path: Path) -> None:
    path = write(
        tmp_path / "nav.tsv",
        "기준일자\t펀드코드\t기준가격\n20240102\tF1\t1,000.5\n20240103\tF1\t1001\n",
    )
    result = ingest_file(loaded, path)
    assert (result.kind, result.inserted) == ("nav", 2)
    with connect(loaded) as con:
        assert con.execute("SELECT sum(nav) FROM nav").fetchall()[0][0] == pytest.approx(2001.5)


def test_excel_first_sheet_and_chosen_sheet(loaded: Home, tmp_path: Path) -> None:
    path = tmp_path / "ratings.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"메모": ["not data"]}).to_excel(writer, sheet_name="표지", index=False)
        pd.DataFrame(
            {
                "펀드코드": ["F1", "F2"],
                "평가일": pd.to_datetime(["2024-06-30", "2024-06-30"]),
                "등급": [5, 2],
                "평가자": ["김민수", "이서연"],
                "의견": ["장기 성과 우수", "변동성 높음"],
                "score_sharpe_3y": [4.5, 2.0],
            }
        ).to_excel(writer, sheet_name="등급", index=False)
    with pytest.raises(IngestError, match="cannot tell what this file holds"):
        ingest_file(loaded, path)
    with pytest.raises(IngestError, match="no sheet named 'x'.*표지, 등급"):
        ingest_file(loaded, path, sheet="x")
    result = ingest_file(loaded, path, sheet="등급")
    assert (result.kind, result.inserted) == ("ratings", 2)
    with connect(loaded) as con:
        scores = con.execute(
            "SELECT fund_id, criterion_id, score FROM rating_scores ORDER BY 1"
        ).fetchall()
        comment = con.execute("SELECT comment FROM ratings WHERE fund_id='F1'").fetchall()[0][0]
    assert scores == [("F1", "sharpe_3y", 4.5), ("F2", "sharpe_3y", 2.0)]
    assert comment == "장기 성과 우수"


def test_parquet_with_typed_columns_loads(loaded: Home, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "fund_id": ["F1", "F2"],
            "date": pd.to_datetime(["2024-01-02", "2024-01-02"]),
            "nav": [1000.0, 10.5],
        }
    )
    frame.to_parquet(tmp_path / "nav.parquet")
    result = ingest_file(loaded, tmp_path / "nav.parquet")
    assert (result.kind, result.format, result.inserted) == ("nav", "parquet", 2)


def test_benchmarks_with_names_and_risk_free(home: Home, tmp_path: Path) -> None:
    bench = "지수코드,기준일자,지수,지수명\nBM_KOSPI,2024-01-02,2655.28,코스피\nBM_KOSPI,2024-01-03,2607.31,코스피\n"
    assert ingest_file(home, write(tmp_path / "b.csv", bench)).kind == "benchmarks"
    assert (
        ingest_file(home, write(tmp_path / "rf.csv", "기준일자,금리\n2024-01-02,3.83%\n")).kind
        == "risk_free"
    )
    with connect(home) as con:
        assert con.execute("SELECT * FROM benchmarks").fetchall() == [("BM_KOSPI", "코스피")]
        assert con.execute("SELECT rate FROM risk_free").fetchall()[0][0] == pytest.approx(3.83)


def test_qualitative_rows_know_fund_from_company(loaded: Home, tmp_path: Path) -> None:
    text = "subject_id,as_of,criterion_id,score,note\nF1,2024-06-30,org_stability,2,매니저 2회 교체\n한빛자산운용,2024-06-30,company_systems,4,\n"
    ingest_file(loaded, write(tmp_path / "q.csv", text))
    with connect(loaded) as con:
        kinds = con.execute(
            "SELECT subject_id, subject_kind FROM qualitative ORDER BY 2"
        ).fetchall()
    assert kinds == [("한빛자산운용", "company"), ("F1", "fund")]


# ---------------------------------------------------------------- kind inference and headers


def test_headers_match_case_and_space_insensitively() -> None:
    assert canonical_name(" Fund_ID ") == "fund_id"
    assert canonical_name("FUND NAME") == "fund_name"
    assert canonical_name("총보수(%)") == "expense_ratio"
    assert canonical_name("기준 가격") == "nav"
    assert canonical_name("score_Sharpe_3y") == "score_sharpe_3y"
    assert canonical_name("whatever") is None


@pytest.mark.parametrize(
    ("columns", "kind"),
    [
        ({"fund_id", "fund_name", "category"}, "funds"),
        ({"fund_id", "date", "nav"}, "nav"),
        ({"benchmark_id", "date", "level"}, "benchmarks"),
        ({"date", "rate"}, "risk_free"),
        ({"fund_id", "as_of", "grade", "score_x"}, "ratings"),
        ({"subject_id", "as_of", "criterion_id", "score"}, "qualitative"),
    ],
)
def test_kind_is_inferred_from_headers(columns: set[str], kind: str) -> None:
    assert infer_kind(columns)[0] == kind


def test_file_with_unrecognised_headers_is_refused_with_what_each_kind_needs(
    home: Home, tmp_path: Path
) -> None:
    with pytest.raises(IngestError, match=r"cannot tell.*\(a, b\).*nav: fund_id, date, nav"):
        ingest_file(home, write(tmp_path / "x.csv", "a,b\n1,2\n"))


def test_explicit_kind_with_missing_column_names_it(home: Home, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="a nav file needs the column\\(s\\) nav"):
        ingest_file(home, write(tmp_path / "x.csv", "fund_id,date\nF1,2024-01-01\n"), kind="nav")


def test_two_headers_meaning_the_same_column_are_refused(home: Home, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="all mean 'fund_id'"):
        ingest_file(home, write(tmp_path / "x.csv", "fund_id,펀드코드,fund_name\nF1,F1,a\n"))


# ---------------------------------------------------------------- refusals


def test_ingest_rejects_negative_nav_with_row_number(loaded: Home, tmp_path: Path) -> None:
    text = "fund_id,date,nav\n" + "".join(f"F1,2024-01-{d:02d},100\n" for d in range(1, 16))
    text += "F1,2024-01-16,-3.2\n"
    with pytest.raises(IngestError) as caught:
        ingest_file(loaded, write(tmp_path / "nav.csv", text))
    assert "row 17: nav must be a positive number, got '-3.2'" in str(caught.value)
    assert caught.value.problems == [(17, "nav", "nav must be a positive number, got '-3.2'")]
    assert "nav.csv" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("FX,2024-01-02,100\n", "row 2: fund_id 'FX' is not in the fund master data"),
        (
            "F1,2024-01-02,100\nF1,2024-01-02,101\n",
            "row 3: duplicate fund_id/date F1, 2024-01-02 (first on row 2)",
        ),
        ("F1,2024-01-02,0\n", "row 2: nav must be a positive number, got '0'"),
        ("F1,2024/13/40,100\n", "row 2: date must be a date"),
        ("F1,yesterday,100\n", "got 'yesterday'"),
        ("F1,2024-01-02,abc\n", "nav must be a positive number, got 'abc'"),
        ("F1,,100\n", "row 2: date is empty"),
    ],
)
def test_invalid_nav_rows_are_refused(
    loaded: Home, tmp_path: Path, body: str, message: str
) -> None:
    before = counts(loaded)
    with pytest.raises(IngestError, match="nothing was loaded") as caught:
        ingest_file(loaded, write(tmp_path / "nav.csv", "fund_id,date,nav\n" + body))
    assert message in str(caught.value)
    assert counts(loaded) == before


@pytest.mark.parametrize("grade", ["0", "6", "3.5", "A"])
def test_grades_outside_one_to_five_are_refused(loaded: Home, tmp_path: Path, grade: str) -> None:
    path = write(tmp_path / "r.csv", f"fund_id,as_of,grade\nF1,2024-06-30,{grade}\n")
    with pytest.raises(
        IngestError, match=f"grade must be a whole number from 1 to 5, got '{grade}'"
    ):
        ingest_file(loaded, path)


def test_more_than_twenty_bad_rows_shows_the_first_twenty_and_the_count(
    loaded: Home, tmp_path: Path
) -> None:
    text = "fund_id,date,nav\n" + "".join(f"F1,2023-02-{d:02d},-1\n" for d in range(1, 26))
    with pytest.raises(IngestError) as caught:
        ingest_file(loaded, write(tmp_path / "nav.csv", text))
    error = caught.value
    assert error.invalid_rows == 25
    assert [row for row, _, _ in error.problems] == list(range(2, 22))
    assert "25 invalid rows" in str(error) and "first 20 shown" in str(error)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"fund_id,date,nav\n", "header but no data rows"),
        (b"%PDF-1.7\n...", "this is a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old binary Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV, Excel"),
        (b"PK\x03\x04garbage", "could not open the Excel file"),
        (b"PAR1garbage", "could not read the Parquet file"),
        (b"fund_id,nav\n\xff\xfe\xfa\xfb,1\n", "neither UTF-8 nor CP949"),
    ],
)
def test_bad_files_are_refused_with_a_clear_reason(
    home: Home, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        ingest_file(home, path)
    assert sum(counts(home).values()) == 0


def test_file_over_the_size_limit_is_refused(loaded: Home, tmp_path: Path) -> None:
    path = write(tmp_path / "nav.csv", "fund_id,date,nav\n" + "F1,2024-01-02,100\n" * 50)
    with pytest.raises(IngestError, match="over the 0 MiB limit"):
        ingest_file(loaded, path, max_bytes=100)


def test_refused_upload_is_logged_and_changes_no_data(loaded: Home, tmp_path: Path) -> None:
    before = counts(loaded)
    with pytest.raises(IngestError):
        ingest_file(loaded, write(tmp_path / "bad.csv", "fund_id,date,nav\nF1,2024-01-02,-1\n"))
    assert counts(loaded) == before
    with connect(loaded) as con:
        log = upload_log(con)
    last = log.iloc[0]
    assert (last.file_name, last.outcome, last.kind) == ("bad.csv", "refused", "nav")
    assert "row 2: nav must be a positive number" in last.message


# ---------------------------------------------------------------- idempotence and atomicity


def test_rerun_of_same_file_adds_no_rows(loaded: Home, tmp_path: Path) -> None:
    path = write(tmp_path / "nav.csv", "fund_id,date,nav\nF1,2024-01-02,100\nF2,2024-01-02,10\n")
    first = ingest_file(loaded, path)
    second = ingest_file(loaded, path)
    assert (first.inserted, first.replaced, first.unchanged) == (2, 0, 0)
    assert (second.inserted, second.replaced, second.unchanged) == (0, 0, 2)
    assert counts(loaded)["nav"] == 2


def test_changed_value_for_existing_key_replaces_it_and_is_counted(
    loaded: Home, tmp_path: Path
) -> None:
    ingest_file(
        loaded,
        write(tmp_path / "a.csv", "fund_id,date,nav\nF1,2024-01-02,100\nF1,2024-01-03,101\n"),
    )
    result = ingest_file(
        loaded,
        write(tmp_path / "b.csv", "fund_id,date,nav\nF1,2024-01-03,102\nF1,2024-01-04,103\n"),
    )
    assert (result.inserted, result.replaced, result.unchanged) == (1, 1, 0)
    with connect(loaded) as con:
        assert con.execute("SELECT nav FROM nav WHERE date = '2024-01-03'").fetchall() == [(102.0,)]
        logged = con.execute(
            "SELECT inserted, replaced FROM upload_log WHERE file_name='b.csv'"
        ).fetchall()
    assert logged == [(1, 1)]


def test_partial_funds_file_keeps_columns_it_does_not_mention(loaded: Home, tmp_path: Path) -> None:
    result = ingest_file(loaded, write(tmp_path / "f.csv", "fund_id,fund_name,aum\nF1,새 이름,5\n"))
    assert result.replaced == 1
    with connect(loaded) as con:
        row = con.execute(
            "SELECT fund_name, aum, category FROM funds WHERE fund_id='F1'"
        ).fetchall()[0]
    assert row == ("새 이름", 5.0, "국내주식형")


def test_changed_criterion_score_alone_counts_as_replaced_rating(
    loaded: Home, tmp_path: Path
) -> None:
    ingest_file(
        loaded, write(tmp_path / "r1.csv", "fund_id,as_of,grade,score_esg\nF1,2024-06-30,4,3\n")
    )
    result = ingest_file(
        loaded, write(tmp_path / "r2.csv", "fund_id,as_of,grade,score_esg\nF1,2024-06-30,4,5\n")
    )
    assert (result.inserted, result.replaced, result.unchanged) == (0, 1, 0)


def test_failure_while_writing_rolls_back_everything(
    loaded: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(loaded)

    def broken_log(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "_log_upload", broken_log)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(loaded, write(tmp_path / "nav.csv", "fund_id,date,nav\nF1,2024-01-02,100\n"))
    assert counts(loaded) == before


def test_preview_shows_kind_encoding_mapping_and_parsed_rows(tmp_path: Path) -> None:
    parsed, frame = preview_file(
        write(tmp_path / "f.csv", FUNDS_KO + "F4,x,,,,,,,,\n", "cp949"), limit=2
    )
    assert (parsed.kind, parsed.encoding, parsed.delimiter, parsed.rows) == (
        "funds",
        "cp949",
        ",",
        4,
    )
    assert parsed.mapping["펀드코드"] == "fund_id" and parsed.mapping["총보수"] == "expense_ratio"
    assert list(frame["fund_id"]) == ["F1", "F2"]
    assert frame["aum"].iloc[0] == 120_000_000_000


# ---------------------------------------------------------------- unchanged re-uploads


NAV = "fund_id,date,nav\nF1,2024-01-02,100\nF2,2024-01-02,10\n"


def test_unchanged_reupload_is_skipped_and_says_so(loaded: Home, tmp_path: Path) -> None:
    path = write(tmp_path / "nav.csv", NAV)
    first = ingest_file(loaded, path)
    again = ingest_file(loaded, write(tmp_path / "nav-copy.csv", NAV), source="ui")
    assert first.skipped is None
    assert again.skipped == f"same content as upload {first.upload_id}"
    assert (again.kind, again.format, again.rows) == ("nav", "csv", 2)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 2)
    assert again.upload_id > first.upload_id and again.sha256 == first.sha256
    with connect(loaded) as con:
        logged = con.execute(
            "SELECT file_name, outcome, rows, unchanged, message FROM upload_log "
            "WHERE upload_id = ?",
            [again.upload_id],
        ).fetchall()
    assert logged == [("nav-copy.csv", "ok", 2, 2, f"skipped: {again.skipped}")]
    assert counts(loaded)["nav"] == 2


def test_a_later_upload_of_the_same_kind_means_the_file_is_read_again(
    loaded: Home, tmp_path: Path
) -> None:
    path = write(tmp_path / "nav.csv", NAV)
    ingest_file(loaded, path)
    ingest_file(loaded, write(tmp_path / "b.csv", "fund_id,date,nav\nF1,2024-01-02,101\n"))
    ingest_file(loaded, write(tmp_path / "rf.csv", "date,rate\n2024-01-02,3.5\n"))
    again = ingest_file(loaded, path)
    assert again.skipped is None
    assert (again.inserted, again.replaced, again.unchanged) == (0, 1, 1)
    with connect(loaded) as con:
        assert con.execute("SELECT nav FROM nav WHERE fund_id = 'F1'").fetchall() == [(100.0,)]


def test_the_same_bytes_as_another_kind_or_sheet_are_not_skipped(
    loaded: Home, tmp_path: Path
) -> None:
    path = write(tmp_path / "nav.csv", NAV)
    ingest_file(loaded, path)
    assert ingest_file(loaded, path, "nav").skipped is None  # asked for by name this time
    assert ingest_file(loaded, path, "nav").skipped is not None
    assert ingest_file(loaded, path, "nav", sheet="x").skipped is None


def test_qualitative_file_is_read_again_after_new_fund_master_data(
    loaded: Home, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "q.csv", "subject_id,as_of,criterion_id,score\n한빛자산운용,2024-06-30,c,4\n"
    )
    ingest_file(loaded, path)
    funds = "fund_id,fund_name\n한빛자산운용,이름이 같은 펀드\n"
    ingest_file(loaded, write(tmp_path / "f.csv", funds))
    again = ingest_file(loaded, path)
    assert again.skipped is None and again.replaced == 1
    with connect(loaded) as con:
        assert con.execute("SELECT subject_kind FROM qualitative").fetchall() == [("fund",)]


# ---------------------------------------------------------------- the fast path and the exact one


AGREE = {
    "nav": "fund_id,date,nav\n F2 ,2024-01-03,1e3\nF1,2024-1-2,+5\nF2,2024-01-02,.5\nF1,2024-01-03, 7 \n",
    "funds": (
        "fund_id,fund_name,category,company,inception_date,expense_ratio,aum,benchmark_id\n"
        "F1, 한빛 펀드 ,,C1,1929-12-31,0.5,,BM\nF2,B,eq, C2 ,,0,1e6,\n"
    ),
    "ratings": "fund_id,as_of,grade,comment,score_risk\nF1,2024-06-28,3.0, ok ,4.5\nF2,2024-06-28,5,,\n",
    "benchmarks": "benchmark_id,date,level,benchmark_name\nBM,2024-01-03,2.5,코스피\nBM,2024-01-02,2,\n",
    "risk_free": "date,rate\n2024-01-03,-0.1\n2024-01-02,3.83\n",
    "qualitative": "subject_id,as_of,criterion_id,score,note\nF1,2024-06-30,b,2,\nF1,2024-06-30,a,4.0,x\n",
}


@pytest.mark.parametrize("kind", sorted(AGREE))
def test_typed_read_and_text_read_stage_the_same_values(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path / f"{kind}.csv", AGREE[kind])
    fast, parsed = load_checked(path)
    text, exact = read_file(path)
    stage(text, exact)
    try:
        assert parsed.typed and not exact.typed and parsed.kind == exact.kind == kind
        query = "SELECT * FROM stage ORDER BY _row"
        pd.testing.assert_frame_equal(fast.execute(query).df(), text.execute(query).df())
    finally:
        fast.close()
        text.close()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("F1,2024-01-02,1\nF2,2024-01-02,1\nF1,2024-01-02,2\n", "row 4: duplicate fund_id/date"),
        ("F1,2024-01-03,1\nF1,2024-01-02,1\nF1,2024-01-03,2\n", "row 4: duplicate fund_id/date"),
        ("F1 ,2024-01-02,1\nF1,2024-01-02,2\n", "row 3: duplicate fund_id/date F1, 2024-01-02"),
        ('F1,2024-01-02,"1,000.5"\nF1,20240102,3\n', "row 3: duplicate fund_id/date F1, 2024"),
    ],
)
def test_keys_repeated_out_of_order_or_after_trimming_are_refused(
    loaded: Home, tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(IngestError, match="nothing was loaded") as caught:
        ingest_file(loaded, write(tmp_path / "nav.csv", "fund_id,date,nav\n" + body))
    assert message in str(caught.value)


def test_files_read_at_once_in_several_threads_each_keep_their_own_rows(
    small_files: dict[str, Path],
) -> None:
    kinds = ["funds", "nav", "ratings", "benchmarks"] * 4
    alone = {kind: preview_file(small_files[kind], limit=200)[1] for kind in set(kinds)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda kind: preview_file(small_files[kind], limit=200), kinds))
    for kind, (parsed, frame) in zip(kinds, together, strict=True):
        assert parsed.kind == kind
        pd.testing.assert_frame_equal(frame, alone[kind])
