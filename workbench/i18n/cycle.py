"""Texts of the Rating cycle page (pages/cycle.py)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "nav_cycle": ("평가 주기", "Rating cycle"),
    "cyc_title": ("월간 평가 주기", "Monthly rating cycle"),
    "cyc_intro": (
        "평가 대상인 모든 펀드를 매월 말 기준으로 모델이 평가합니다. 규칙 기반 점수와 표 형식 "
        "기준 모델이 나란히 평가하고, 불확실한 펀드는 분석가 검토 대기열로 보냅니다. 분석가의 "
        "등급이 모델의 등급보다 우선합니다.",
        "Every eligible fund is graded by the model at each month-end, with the rule-based "
        "scorer and the tabular baseline beside it; uncertain funds go to the analysts' queue. "
        "An analyst's grade takes precedence over the model's.",
    ),
    "cyc_run_header": ("주기 실행", "Run a cycle"),
    "cyc_as_of": ("기준일", "As of"),
    "cyc_as_of_auto": ("자동 (NAV가 있는 마지막 월말)", "Automatic (last month-end with NAVs)"),
    "cyc_model": ("모델", "Model"),
    "cyc_model_approved": ("고객사별 승인 모델", "Each client's approved model"),
    "cyc_model_rules": ("규칙 기반 점수", "Rule-based scorer"),
    "cyc_samples": ("펀드당 답변 수 (자기 일치도)", "Answers per fund (self-agreement)"),
    "cyc_run": ("주기 실행", "Run the cycle"),
    "cyc_started": ("{cycle}: {outcome}", "{cycle}: {outcome}"),
    "cyc_outcome_started": ("백그라운드에서 시작했습니다", "started in the background"),
    "cyc_outcome_resumed": ("이어서 실행합니다", "resumed"),
    "cyc_outcome_running": ("이미 실행 중입니다", "already running"),
    "cyc_outcome_unchanged": ("변경 사항이 없습니다", "nothing changed"),
    "cyc_outcome_refreshed": ("분석가 결정을 반영했습니다", "the analysts' decisions were applied"),
    "cyc_empty": (
        "아직 평가 주기가 없습니다. 위에서 실행하거나 `python -m workbench cycle run`을 쓰세요.",
        "No cycle yet. Run one above or with `python -m workbench cycle run`.",
    ),
    "cyc_pick": ("주기", "Cycle"),
    "cyc_state": ("상태", "State"),
    "cyc_funds": ("평가 펀드", "Funds graded"),
    "cyc_routed": ("분석가 검토", "To the analysts"),
    "cyc_reviewed": ("분석가 검토 완료", "Analyst-reviewed"),
    "cyc_model_rated": ("모델 평가", "Model-rated"),
    "cyc_rules_rated": ("규칙 기반", "Rules"),
    "cyc_running": ("실행 중: {step} {done}/{total}", "Running: {step} {done}/{total}"),
    "cyc_failed": ("실패: {message}", "Failed: {message}"),
    "cyc_coverage_header": (
        "자기 일치도 기준별 적용 범위와 전문가 일치도",
        "Coverage against agreement with the experts, per self-agreement threshold",
    ),
    "cyc_coverage_help": (
        "전문가 등급이 있는 펀드에서 측정합니다. ★ 표시가 현재 기준입니다.",
        "Measured on the funds with an expert grade. ★ marks the rule in use.",
    ),
    "cyc_coverage_held_out": (
        "모델이 학습하지 않은 펀드에서만 일치도를 측정합니다 (실행의 학습 펀드 {n}개 제외).",
        "Agreement is measured on funds the model did not train on ({n} of the run's training "
        "funds left out).",
    ),
    "cyc_coverage_training_unknown": (
        "실행의 학습/검증 분할을 읽을 수 없어 일치도에 학습 펀드가 포함되어 있습니다.",
        "The run's split could not be read, so the agreement includes its training funds.",
    ),
    "cyc_c_threshold": ("기준", "Threshold"),
    "cyc_c_coverage": ("모델 평가 비율", "Coverage"),
    "cyc_c_experts": ("전문가 등급 펀드", "Funds with expert grade"),
    "cyc_c_exact": ("정확 일치", "Exact"),
    "cyc_c_within_one": ("1등급 이내", "Within one"),
    "cyc_changes_header": ("이전 주기 대비 변화", "Changes since the previous cycle"),
    "cyc_no_previous": ("이전 주기가 없습니다.", "No previous cycle."),
    "cyc_changes": (
        "{previous} 대비: 동일 {same}, 변경 {moved}, 2등급 이상 변경 {movers}, 신규 {new}, "
        "제외 {dropped}",
        "Since {previous}: {same} same, {moved} moved, {movers} by 2 grades or more, "
        "{new} newly eligible, {dropped} dropped",
    ),
    "cyc_matrix_caption": (
        "행: 이전 등급, 열: 현재 등급",
        "Rows: previous grade, columns: current grade",
    ),
    "cyc_queue_header": ("분석가 검토 대기열", "Analyst queue"),
    "cyc_queue_help": (
        "검토 페이지에서 평가 {evaluation}을(를) 열어 결정하면 다음 실행 때 반영됩니다.",
        "Decide on the Review page (evaluation {evaluation}); the next run applies it.",
    ),
    "cyc_queue_empty": ("검토할 펀드가 없습니다.", "Nothing waits for an analyst."),
    "cyc_grades_header": ("펀드별 등급", "Grades by fund"),
    "cyc_c_fund": ("펀드", "Fund"),
    "cyc_c_model": ("모델", "Model"),
    "cyc_c_rules": ("규칙", "Rules"),
    "cyc_c_tabular": ("표 형식 모델", "Tabular"),
    "cyc_c_agreement": ("자기 일치도", "Self-agreement"),
    "cyc_c_reasons": ("검토 사유", "Routed for"),
    "cyc_c_final": ("발행 등급", "Published grade"),
    "cyc_c_source": ("출처", "Source"),
    "cyc_releases": ("발행된 릴리스: {releases}", "Releases published: {releases}"),
}
