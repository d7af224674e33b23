"""Every label, help text and message the pages show, in Korean and English, and number formats.

`t(key, **fmt)` looks the key up in the language of the session (`st.session_state["lang"]`,
Korean by default). Numbers follow finance habits: percentages with two decimals, amounts with
thousands separators, ratios with two decimals; dates are ISO (YYYY-MM-DD).
"""

from __future__ import annotations

import math
from datetime import date, datetime

LANGS = {"ko": "한국어", "en": "English"}
DEFAULT_LANG = "ko"
MISSING = "–"

# key -> (Korean, English)
TEXT: dict[str, tuple[str, str]] = {
    # app shell
    "app_title": ("LEARN-GRPO 분석 워크벤치", "LEARN-GRPO analyst workbench"),
    "nav_home": ("홈", "Home"),
    "nav_data": ("데이터", "Data"),
    "lang_label": ("언어 / Language", "Language / 언어"),
    "home_path": (
        "작업 폴더 (WORKBENCH_HOME): `{path}`",
        "State folder (WORKBENCH_HOME): `{path}`",
    ),
    "demo_badge": ("합성 데모 데이터", "Synthetic demo data"),
    "demo_banner": (
        "합성 데모 데이터 — 실제 펀드가 아닙니다. 생성된 데이터이므로 투자 판단에 쓰지 마십시오.",
        "Synthetic demo data — generated, not real funds. Do not use it for investment decisions.",
    ),
    "store_busy_hint": (
        "다른 프로세스(CLI 등)가 데이터베이스를 사용 중입니다. 잠시 후 새로고침하십시오.",
        "Another process (the CLI, a job) is using the database. Reload in a moment.",
    ),
    # home
    "home_intro": (
        "이 워크벤치는 펀드 기준가격·벤치마크·전문가 등급·정성평가 자료를 한 곳에 모아 "
        "수익률과 위험 지표를 같은 방법으로 계산해 보여줍니다. "
        "다음 단계에서는 이 자료와 평가 방법론으로 언어모델을 GRPO로 학습시켜, "
        "전문가처럼 등급과 근거를 제시하도록 가르칩니다.",
        "This workbench gathers fund NAVs, benchmarks, expert ratings and qualitative "
        "assessments in one place and computes return and risk indicators the same way for "
        "every fund. In the next stages it uses this data and the rating methodology to train "
        "a language model with GRPO, so that it proposes grades and reasons like the experts.",
    ),
    "loaded_header": ("적재된 데이터", "What is loaded"),
    "m_funds": ("펀드", "Funds"),
    "m_companies": ("운용사", "Management companies"),
    "m_nav_rows": ("기준가격 행", "NAV rows"),
    "m_nav_start": ("기준가격 시작일", "First NAV date"),
    "m_nav_end": ("기준가격 종료일", "Last NAV date"),
    "m_latest_rating": ("최근 평가 기준일", "Latest rating date"),
    "m_benchmarks": ("벤치마크", "Benchmarks"),
    "m_ratings": ("전문가 등급", "Expert ratings"),
    "m_rating_dates": ("평가 기준일 {n}개", "{n} rating dates"),
    "m_qualitative": ("정성평가 점수", "Qualitative scores"),
    "m_uploads": ("업로드 기록", "Uploads logged"),
    "m_methodologies": ("평가 방법론", "Methodologies"),
    "m_runs": ("학습 실행", "Training runs"),
    "not_yet": ("아직 제공되지 않음", "not yet available"),
    "m_versions": ("버전 {n}개", "{n} versions"),
    "next_header": ("다음 단계", "Next step"),
    "next_empty": (
        "데이터베이스가 비어 있습니다. 데모 데이터를 불러와 둘러보거나, 직접 가진 펀드 자료를 올리십시오.",
        "The database is empty. Load the demo data to look around, or upload your own fund files.",
    ),
    "next_nav": (
        "펀드 기본정보는 있지만 기준가격이 없습니다. 기준가격 파일을 올리십시오.",
        "Fund master data is loaded but there are no NAVs. Upload a NAV file.",
    ),
    "next_benchmarks": (
        "벤치마크 지수가 없습니다. 상대 지표(베타, 알파, 추적오차)를 계산하려면 벤치마크 파일을 올리십시오.",
        "There are no benchmark levels. Upload a benchmark file to compute relative indicators "
        "(beta, alpha, tracking error).",
    ),
    "next_ratings": (
        "전문가 등급이 없습니다. 학습의 정답이 될 등급 파일을 올리십시오.",
        "There are no expert ratings. Upload a ratings file: they are what the model learns from.",
    ),
    "next_explore": (
        "필요한 자료가 모두 있습니다. 펀드 탐색기에서 펀드별 지표와 등급을 확인하십시오.",
        "Everything needed is loaded. Open the fund explorer to check each fund's indicators "
        "and ratings.",
    ),
    "btn_load_demo": ("데모 데이터 불러오기", "Load the demo data"),
    "demo_help": (
        "합성 펀드 {n}개와 벤치마크, 등급, 정성평가를 생성해 적재합니다 (1분 이내).",
        "Generates and loads {n} synthetic funds with benchmarks, ratings and qualitative "
        "scores (under a minute).",
    ),
    "demo_running": ("데모 데이터를 생성하는 중…", "Building the demo data…"),
    "demo_done": (
        "데모 데이터 적재 완료: 펀드 {funds}개, {seconds:.1f}초",
        "Demo data loaded: {funds} funds in {seconds:.1f} s",
    ),
    "demo_failed": ("데모 데이터를 만들지 못했습니다", "Could not build the demo data"),
    "link_upload": ("내 데이터 올리기 →", "Upload your own data →"),
    "link_explore": ("펀드 탐색기 열기 →", "Open the fund explorer →"),
    # data page
    "data_title": ("데이터", "Data"),
    "tab_upload": ("업로드", "Upload"),
    "tab_history": ("업로드 기록", "Upload history"),
    "tab_explorer": ("펀드 탐색기", "Fund explorer"),
    "upload_label": (
        "파일 선택 (CSV, TSV, TXT, XLSX, Parquet; 여러 개 가능)",
        "Choose files (CSV, TSV, TXT, XLSX, Parquet; several at once)",
    ),
    "upload_help": (
        "CSV는 UTF-8과 CP949(EUC-KR) 모두 읽습니다. 한글 헤더(펀드코드, 기준일자, 기준가격 …)도 인식합니다. "
        "파일은 행 하나라도 잘못되면 전체가 거부되고 아무것도 바뀌지 않습니다.",
        "CSV in UTF-8 or CP949 (EUC-KR). Korean headers (펀드코드, 기준일자, 기준가격 …) are "
        "recognised. A file with a single invalid row is refused as a whole and nothing changes.",
    ),
    "kind_label": ("파일 종류", "File kind"),
    "kind_auto": ("자동 감지", "auto-detect"),
    "sheet_label": ("엑셀 시트 이름 (비우면 첫 시트)", "Excel sheet name (empty: the first sheet)"),
    "upload_empty": (
        "올릴 파일을 선택하십시오. 파일 종류는 헤더로 자동 감지되며, 종류마다 아래 열이 필요합니다.",
        "Choose files to upload. The kind is detected from the headers; each kind needs the "
        "columns below.",
    ),
    "k_required": ("필수 열", "Required columns"),
    "k_optional": ("선택 열", "Optional columns"),
    "preview_header": ("미리보기: {name}", "Preview: {name}"),
    "p_kind": ("감지된 종류", "Detected kind"),
    "p_format": ("형식", "Format"),
    "p_encoding": ("인코딩", "Encoding"),
    "p_delimiter": ("구분자", "Delimiter"),
    "p_rows": ("행 수", "Rows"),
    "p_mapping": ("헤더 매핑 (원본 → 표준)", "Header mapping (original → canonical)"),
    "p_original": ("원본 헤더", "Original header"),
    "p_canonical": ("표준 열", "Canonical column"),
    "p_ignored": ("무시되는 열: {cols}", "Ignored columns: {cols}"),
    "p_no_ignored": ("무시되는 열 없음", "No ignored columns"),
    "p_first_rows": ("처음 {n}행 (변환 후)", "First {n} rows (as parsed)"),
    "p_errors": ("이 파일은 적재할 수 없습니다", "This file cannot be loaded"),
    "p_invalid_total": ("잘못된 행 총 {n}개", "{n} invalid rows in total"),
    "row_problem": ("{row}행: {message}", "row {row}: {message}"),
    "btn_load": ("데이터베이스에 적재", "Load into the database"),
    "btn_load_all": ("유효한 파일 {n}개 모두 적재", "Load all {n} valid files"),
    "load_ok": (
        "{name}: {kind} {rows}행 적재 — 신규 {inserted}, 변경 {replaced}, 동일 {unchanged}",
        "{name}: {rows} {kind} rows loaded — {inserted} inserted, {replaced} replaced, "
        "{unchanged} unchanged",
    ),
    "u_time": ("시각", "Time"),
    "u_file": ("파일", "File"),
    "u_kind": ("종류", "Kind"),
    "u_rows": ("행", "Rows"),
    "u_inserted": ("신규", "Inserted"),
    "u_replaced": ("변경", "Replaced"),
    "u_unchanged": ("동일", "Unchanged"),
    "u_outcome": ("결과", "Outcome"),
    "u_message": ("메시지", "Message"),
    "u_source": ("경로", "Source"),
    "t_table": ("테이블", "Table"),
    "t_rows": ("행 수", "Rows"),
    "history_counts": ("데이터베이스 테이블별 행 수", "Rows per database table"),
    "history_log": ("업로드 기록 (적재 및 거부)", "Upload log (accepted and refused)"),
    "history_empty": ("아직 업로드 기록이 없습니다.", "No uploads yet."),
    "outcome_ok": ("적재", "loaded"),
    "outcome_refused": ("거부", "refused"),
    # explorer
    "f_category": ("유형", "Category"),
    "f_company": ("운용사", "Company"),
    "f_search": ("검색 (펀드코드, 펀드명, 매니저)", "Search (fund id, name, manager)"),
    "f_all": ("전체", "All"),
    "explorer_empty": (
        "아직 펀드가 없습니다. 홈에서 데모 데이터를 불러오거나 업로드 탭에서 펀드 기본정보 파일을 올리십시오.",
        "No funds yet. Load the demo data on Home, or upload a fund master file in the Upload tab.",
    ),
    "explorer_no_match": (
        "조건에 맞는 펀드가 없습니다. 필터를 바꾸십시오.",
        "No fund matches. Change the filters.",
    ),
    "explorer_count": ("펀드 {n}개", "{n} funds"),
    "open_fund": ("펀드 열기", "Open a fund"),
    "open_fund_placeholder": ("펀드를 선택하십시오", "Choose a fund"),
    "c_fund_id": ("펀드코드", "Fund id"),
    "c_fund_name": ("펀드명", "Fund name"),
    "c_category": ("유형", "Category"),
    "c_company": ("운용사", "Company"),
    "c_manager": ("매니저", "Manager"),
    "c_grade": ("최근 등급", "Latest grade"),
    "c_rating_date": ("등급 기준일", "Rated on"),
    "c_nav_from": ("기준가 시작", "NAV from"),
    "c_nav_to": ("기준가 종료", "NAV to"),
    "c_nav_rows": ("기준가 행", "NAV rows"),
    "k_inception": ("설정일", "Inception"),
    "k_benchmark": ("벤치마크", "Benchmark"),
    "k_currency": ("통화", "Currency"),
    "k_expense": ("총보수", "Expense ratio"),
    "k_aum": ("순자산", "AUM"),
    "k_risk_grade": ("투자위험등급", "Investment risk grade"),
    "k_latest_grade": ("최근 전문가 등급", "Latest expert grade"),
    "chart_nav": (
        "기준가격과 벤치마크 (첫 공통일 = 100)",
        "NAV and benchmark (first common date = 100)",
    ),
    "chart_drawdown": ("낙폭 (고점 대비)", "Drawdown (from the running peak)"),
    "series_fund": ("펀드", "Fund"),
    "series_benchmark": ("벤치마크", "Benchmark"),
    "no_nav": (
        "이 펀드에는 기준가격이 없습니다. 기준가격 파일을 올리십시오.",
        "This fund has no NAV yet. Upload a NAV file.",
    ),
    "no_benchmark": (
        "벤치마크 지수가 없어 펀드만 표시합니다.",
        "No benchmark levels: the fund is shown alone.",
    ),
    "indicators_header": ("지표 (기준일 {as_of})", "Indicators (as of {as_of})"),
    "indicators_help": (
        "괄호 안은 같은 유형 내 백분위(0–100, 값이 클수록 높음)입니다.",
        "In brackets: percentile within the category (0–100, higher value → higher percentile).",
    ),
    "indicators_none": (
        "이 펀드의 지표를 계산할 수 없습니다.",
        "No indicator could be computed for this fund.",
    ),
    "indicators_failed": ("지표를 계산하지 못했습니다", "Could not compute the indicators"),
    "indicator": ("지표", "Indicator"),
    "window_reason": ("{window}: 계산 안 됨 — {reason}", "{window}: not computed — {reason}"),
    "window_note": (
        "{window}: 상대 지표 없음 — {note}",
        "{window}: no relative indicators — {note}",
    ),
    "ratings_header": ("전문가 등급 이력", "Expert rating history"),
    "ratings_empty": ("등급 이력이 없습니다.", "No ratings for this fund."),
    "qual_header": ("정성평가 점수 (펀드와 운용사)", "Qualitative scores (fund and company)"),
    "qual_empty": ("정성평가 점수가 없습니다.", "No qualitative scores."),
    "r_as_of": ("기준일", "As of"),
    "r_grade": ("등급", "Grade"),
    "r_analyst": ("평가자", "Analyst"),
    "r_comment": ("의견", "Comment"),
    "q_subject": ("대상", "Subject"),
    "q_kind": ("구분", "Kind"),
    "q_criterion": ("항목", "Criterion"),
    "q_score": ("점수", "Score"),
    "q_note": ("비고", "Note"),
    "subject_fund": ("펀드", "fund"),
    "subject_company": ("운용사", "company"),
}

RISK_GRADES: dict[int, tuple[str, str]] = {
    1: ("1등급 (매우 높은 위험)", "Grade 1 (very high risk)"),
    2: ("2등급 (높은 위험)", "Grade 2 (high risk)"),
    3: ("3등급 (다소 높은 위험)", "Grade 3 (fairly high risk)"),
    4: ("4등급 (보통 위험)", "Grade 4 (moderate risk)"),
    5: ("5등급 (낮은 위험)", "Grade 5 (low risk)"),
    6: ("6등급 (매우 낮은 위험)", "Grade 6 (very low risk)"),
}


def current_lang() -> str:
    """The session's language ('ko' or 'en'); Korean outside a Streamlit session."""
    try:
        import streamlit as st

        lang = st.session_state.get("lang", DEFAULT_LANG)
    except Exception:  # no script run context (plain Python, tests of this module)
        return DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, **fmt: object) -> str:
    """The text for `key` in `lang` (default: the session's), formatted with `fmt`."""
    ko, en = TEXT[key]
    text = en if (lang or current_lang()) == "en" else ko
    return text.format(**fmt) if fmt else text


def pick(ko: str | None, en: str | None, lang: str | None = None) -> str:
    """Whichever of two labels matches the language (for labels kept elsewhere, e.g. KINDS)."""
    chosen = en if (lang or current_lang()) == "en" else ko
    return chosen or ko or en or ""


def risk_grade_label(grade: object, lang: str | None = None) -> str:
    """'3등급 (다소 높은 위험)' for 3; '–' for a missing grade."""
    if _missing(grade):
        return MISSING
    ko, en = RISK_GRADES[int(grade)]  # type: ignore[call-overload]
    return pick(ko, en, lang)


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isinf(value))  # NaN, NA
    except (TypeError, ValueError):  # pd.NA refuses bool()
        return True


def fmt_pct(value: object, decimals: int = 2) -> str:
    """A fraction as a percentage: 0.1234 -> '12.34%'."""
    if _missing(value):
        return MISSING
    return f"{float(value) * 100:,.{decimals}f}%"  # type: ignore[arg-type]


def fmt_num(value: object, decimals: int = 0) -> str:
    """An amount with thousands separators: 1234567.8 -> '1,234,568'."""
    if _missing(value):
        return MISSING
    return f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]


def fmt_ratio(value: object) -> str:
    """A ratio with two decimals: 1.2345 -> '1.23'."""
    return fmt_num(value, 2)


def fmt_date(value: object) -> str:
    """A date as YYYY-MM-DD ('–' when missing)."""
    if _missing(value):
        return MISSING
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "date"):  # pandas Timestamp
        return value.date().isoformat()  # type: ignore[union-attr]
    return str(value)[:10]
