"""The pages headless with AppTest: Home's next step and counts, the language switch, uploads with
their preview, refusals with row numbers, the upload history and the fund explorer."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.data.filekinds import KINDS
from store.db import connect
from store.queries import table_counts
from workbench.i18n import TEXT, fmt_date, fmt_num, fmt_pct, fmt_ratio, risk_grade_label, t
from workbench.web import views

APP = str(Path(__file__).resolve().parent.parent / "workbench" / "app.py")
DATA_PAGE = "../pages/data.py"  # relative to the entry script, as st.navigation registers it
TIMEOUT_S = 60


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def _data_page() -> AppTest:
    at = _app()
    at.switch_page(DATA_PAGE).run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _counts(home) -> dict[str, int]:
    with connect(home) as con:
        return table_counts(con)


def _upload(at: AppTest, *paths: Path) -> AppTest:
    files = [(p.name, p.read_bytes(), "text/csv") for p in paths]
    at.file_uploader(key="data_files").set_value(files).run()
    assert not at.exception, at.exception
    return at


def _frame_with(at: AppTest, column: str):
    """The first st.dataframe on the page that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _buttons(at: AppTest, label: str) -> list:
    return [b for b in at.button if b.label == label]


# ---------------------------------------------------------------- home


def test_home_on_an_empty_store_offers_the_demo_and_the_upload_page(home):
    at = _app()

    assert t("next_empty", "ko") in _texts(at.info)
    assert at.button(key="home_load_demo").label == t("btn_load_demo", "ko")
    assert _metrics(at)[t("m_funds", "ko")] == "0"
    assert not any(t("demo_banner", "ko") in w.value for w in at.warning)


def test_home_with_the_demo_shows_counts_and_the_synthetic_banner(demo_home):
    at = _app()

    with connect(demo_home) as con:
        counts = table_counts(con)
    shown = _metrics(at)
    assert shown[t("m_funds", "ko")] == f"{counts['funds']:,}"
    assert shown[t("m_nav_rows", "ko")] == f"{counts['nav']:,}"
    assert shown[t("m_ratings", "ko")] == f"{counts['ratings']:,}"
    assert shown[t("m_latest_rating", "ko")][:2] == "20"  # an ISO date
    assert any(t("demo_banner", "ko") in w.value for w in at.warning)
    assert t("next_explore", "ko") in _texts(at.info)
    assert "home_load_demo" not in [b.key for b in at.button]


def test_home_next_step_asks_for_ratings_when_only_funds_navs_and_benchmarks_are_loaded(
    home, small_files
):
    from engine.data.ingest import ingest_file

    for kind in ("funds", "benchmarks", "nav"):
        ingest_file(home, small_files[kind])

    at = _app()

    assert t("next_ratings", "ko") in _texts(at.info)
    assert _metrics(at)[t("m_funds", "ko")] == "3"
    assert not any(t("demo_banner", "ko") in w.value for w in at.warning)


def test_home_demo_button_builds_the_demo_and_shows_it(home, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DEMO_FUNDS", "12")
    at = _app()

    at.button(key="home_load_demo").click().run()

    assert not at.exception, at.exception
    assert "데모 데이터 적재 완료: 펀드 12개" in _texts(at.success)
    assert _metrics(at)[t("m_funds", "ko")] == "12"
    assert any(t("demo_banner", "ko") in w.value for w in at.warning)


def test_language_switch_changes_labels_to_english_and_back(demo_home):
    at = _app()
    assert at.title[0].value == t("app_title", "ko")

    at.sidebar.radio(key="lang").set_value("en").run()

    assert at.title[0].value == "LEARN-GRPO analyst workbench"
    assert "Funds" in _metrics(at)
    assert any("Synthetic demo data — generated, not real funds" in w.value for w in at.warning)
    at.sidebar.radio(key="lang").set_value("ko").run()
    assert t("m_funds", "ko") in _metrics(at)


def test_a_busy_database_is_reported_not_raised(home, monkeypatch):
    import store.db

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(30)",
            str(home.db_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(store.db, "DEFAULT_BUSY_TIMEOUT_S", 0.3)
        at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
        at.run()
    finally:
        holder.kill()
        holder.wait()

    assert not at.exception, at.exception
    assert "is busy" in _texts(at.error)


def test_a_render_shares_one_open_database_and_releases_it(home, monkeypatch):
    import store.db

    opened = []
    real_attach = store.db._attach
    monkeypatch.setattr(
        store.db, "_attach", lambda *a, **k: opened.append(1) or real_attach(*a, **k)
    )
    _data_page()
    assert opened  # the page read the store ...
    assert store.db._ATTACHED == {}  # ... inside the render's hold, which ended with the render
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    other = subprocess.run([sys.executable, "-c", code, str(home.db_path)], capture_output=True)
    assert other.returncode == 0, other.stderr  # another process (a job) can open the file


# ---------------------------------------------------------------- data: upload


def test_upload_previews_a_cp949_fund_file_then_loads_it(home, small_files):
    at = _upload(_data_page(), small_files["funds"])

    facts = _texts(at.markdown)
    assert "**펀드 기본정보**" in facts  # the detected kind
    assert "**cp949**" in facts
    assert "**CSV**" in facts
    mapping = _frame_with(at, t("p_original", "ko"))
    assert dict(zip(mapping.iloc[:, 0], mapping.iloc[:, 1], strict=True))["펀드코드"] == "fund_id"
    assert list(_frame_with(at, "fund_name")["fund_id"]) == ["F001", "F002", "F003"]
    assert _counts(home)["funds"] == 0  # nothing written by the preview

    _buttons(at, t("btn_load", "ko"))[0].click().run()

    assert not at.exception, at.exception
    assert "신규 3" in _texts(at.success)
    assert _counts(home)["funds"] == 3
    assert not _buttons(at, t("btn_load", "ko"))  # the loaded file offers no second load


def test_excel_upload_reads_the_named_sheet_and_reports_a_missing_one(home, tmp_path):
    book = tmp_path / "funds.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"메모": ["표지"]}).to_excel(writer, sheet_name="표지", index=False)
        frame = pd.DataFrame({"펀드코드": ["X1"], "펀드명": ["엑셀 펀드"], "유형": ["혼합형"]})
        frame.to_excel(writer, sheet_name="펀드", index=False)
    at = _data_page()
    at.text_input(key="data_sheet").input("없는시트").run()
    at.file_uploader(key="data_files").set_value(
        (book.name, book.read_bytes(), "application/vnd.ms-excel")
    ).run()
    assert "no sheet named '없는시트'; the sheets are: 표지, 펀드" in _texts(at.error)

    at.text_input(key="data_sheet").input("펀드").run()

    assert not at.error
    assert "**XLSX**" in _texts(at.markdown)
    assert list(_frame_with(at, "fund_name")["fund_name"]) == ["엑셀 펀드"]


def test_kind_override_is_checked_against_the_headers(home, small_files):
    at = _data_page()
    at.selectbox(key="data_kind").set_value("nav").run()

    _upload(at, small_files["funds"])

    assert "a nav file needs the column(s) date, nav" in _texts(at.error)


def test_load_all_loads_several_files_in_upload_order(home, small_files):
    at = _upload(_data_page(), small_files["funds"], small_files["benchmarks"], small_files["nav"])

    at.button(key="data_load_all").click().run()

    assert not at.exception, at.exception
    assert len(at.success) == 3
    counts = _counts(home)
    assert (counts["funds"], counts["benchmark_levels"], counts["nav"]) == (3, 80, 120)


def test_upload_with_invalid_rows_lists_row_numbers_and_changes_nothing(
    home, small_files, tmp_path
):
    bad = tmp_path / "bad_nav.csv"
    bad.write_text(
        "fund_id,date,nav\nF001,2024-01-02,1000\nF001,2024-01-03,-5\nF001,2024-13-01,1001\n",
        encoding="utf-8",
    )
    at = _upload(_data_page(), bad)

    error = _texts(at.error)
    assert "2 invalid rows" in error
    assert "3행: nav must be a positive number, got '-5'" in error
    assert "4행: date must be a date" in error
    assert t("p_invalid_total", "ko", n=2) in error
    assert not _buttons(at, t("btn_load", "ko"))
    assert sum(_counts(home).values()) == 0


def test_refused_load_shows_the_rows_and_is_logged_in_the_history(home, small_files, tmp_path):
    orphan = tmp_path / "orphan_nav.csv"  # valid values, but the fund is not in the store
    orphan.write_text("fund_id,date,nav\nZ999,2024-01-02,1000\n", encoding="utf-8")
    at = _upload(_data_page(), orphan)

    _buttons(at, t("btn_load", "ko"))[0].click().run()

    assert not at.exception, at.exception
    assert "2행: fund_id 'Z999' is not in the fund master data" in _texts(at.error)
    assert _counts(home)["nav"] == 0
    log = _frame_with(at, t("u_file", "ko"))
    assert list(log[t("u_outcome", "ko")]) == [t("outcome_refused", "ko")]
    assert "Z999" in log[t("u_message", "ko")].iloc[0]


def test_upload_history_lists_accepted_uploads_with_counts(home, small_files):
    from engine.data.ingest import ingest_file

    ingest_file(home, small_files["funds"], source="cli")

    at = _data_page()

    counts = _frame_with(at, t("t_table", "ko"))
    assert dict(zip(counts.iloc[:, 0], counts.iloc[:, 1], strict=True))["funds"] == "3"
    log = _frame_with(at, t("u_file", "ko"))
    assert list(log[t("u_file", "ko")]) == ["funds.csv"]
    assert list(log[t("u_inserted", "ko")]) == [3]
    assert list(log[t("u_outcome", "ko")]) == [t("outcome_ok", "ko")]


# ---------------------------------------------------------------- data: fund explorer


def test_data_page_on_an_empty_store_says_what_to_do_in_each_tab(home):
    at = _data_page()

    infos = _texts(at.info)
    assert t("upload_empty", "ko") in infos
    assert len(_frame_with(at, t("k_required", "ko"))) == len(KINDS)  # one row per file kind
    assert t("history_empty", "ko") in infos
    assert t("explorer_empty", "ko") in infos


def test_explorer_search_in_korean_narrows_the_fund_list(home, small_files):
    from engine.data.ingest import ingest_file

    ingest_file(home, small_files["funds"])
    at = _data_page()
    assert len(_frame_with(at, t("c_fund_id", "ko"))) == 3

    at.text_input(key="data_search").input("가치").run()

    table = _frame_with(at, t("c_fund_id", "ko"))
    assert list(table[t("c_fund_id", "ko")]) == ["F002"]
    assert at.selectbox(key="data_fund").options == ["F002 · 한국가치주식형 C-e"]


def test_explorer_opens_a_demo_fund_with_charts_indicators_and_ratings(demo_home):
    started = time.monotonic()
    at = _data_page()
    fund_ids = list(_frame_with(at, t("c_fund_id", "ko"))[t("c_fund_id", "ko")])
    with connect(demo_home) as con:
        rated = con.execute(
            "SELECT fund_id FROM ratings GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchall()[0][0]
    assert rated in fund_ids

    at.selectbox(key="data_fund").set_value(rated).run()

    assert not at.exception, at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    markdown = _texts(at.markdown)
    assert t("indicators_header", "ko", as_of="")[:5] in markdown
    indicators = _frame_with(at, t("indicator", "ko"))
    assert indicators.iloc[0, 0] == "누적수익률"
    assert {"1y", "3y"} <= set(indicators.columns)
    assert indicators["1y"].str.endswith(")").any()  # value with its category percentile
    assert "등급 (" in markdown  # the 투자위험등급 label, e.g. '3등급 (다소 높은 위험)'
    ratings = _frame_with(at, t("r_grade", "ko"))
    assert len(ratings) >= 1
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_explorer_fund_without_nav_says_so(home, small_files, lang):
    from engine.data.ingest import ingest_file

    ingest_file(home, small_files["funds"])
    at = _data_page()
    at.sidebar.radio(key="lang").set_value(lang).run()

    at.selectbox(key="data_fund").set_value("F003").run()

    assert not at.exception, at.exception
    assert t("no_nav", lang) in _texts(at.info)
    assert not at.get("plotly_chart")


# ---------------------------------------------------------------- display helpers


@pytest.mark.parametrize(
    ("formatted", "expected"),
    [
        (fmt_pct(0.1234), "12.34%"),
        (fmt_pct(-0.05), "-5.00%"),
        (fmt_pct(float("nan")), "–"),
        (fmt_num(1234567.8), "1,234,568"),
        (fmt_num(None), "–"),
        (fmt_ratio(1.2345), "1.23"),
        (fmt_date(pd.Timestamp("2024-02-29 13:00")), "2024-02-29"),
        (fmt_date(pd.NaT), "–"),
        (risk_grade_label(2, "ko"), "2등급 (높은 위험)"),
        (risk_grade_label(pd.NA, "en"), "–"),
    ],
)
def test_number_date_and_grade_formats(formatted, expected):
    assert formatted == expected


def test_every_text_has_korean_and_english_with_the_same_placeholders():
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, (ko, en) in TEXT.items():
        assert ko and en, key
        assert fields(ko) == fields(en), key


def test_nav_and_benchmark_are_rebased_to_100_at_the_first_common_date():
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "nav": [900.0, 1000.0, 1100.0],
            "benchmark": [None, 50.0, 45.0],
        }
    )

    out = views.rebased(frame)

    assert list(out["nav"]) == pytest.approx([100.0, 110.0])
    assert list(out["benchmark"]) == pytest.approx([100.0, 90.0])
    drawdown = views.drawdown_chart(frame).data[0].y
    assert list(drawdown) == [0.0, 0.0, 0.0]
    assert views.nav_chart(frame).layout.font.family == views.CHART_FONT
