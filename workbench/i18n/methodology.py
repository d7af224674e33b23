"""Texts of the Methodology page (pages/methodology.py): extract, edit, versions."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
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
}
