"""Texts of the client dashboard (pages/client_dashboard.py, workbench/web/views_client.py)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
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
    "cl_model_rules": ("규칙 (모델 없음)", "rules (no model)"),
    "cl_source": ("등급 출처", "Grade source"),
    "cl_source_analyst-reviewed": ("분석가 검토", "analyst-reviewed"),
    "cl_source_model-rated": ("모델 평가 (검토 전)", "model-rated (not reviewed)"),
    "cl_source_rules": ("규칙", "rules"),
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
