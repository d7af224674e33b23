"""Texts of the Validation page: backtest, monitoring, export, comparison report."""

from __future__ import annotations

from engine.evaluation.labels import LABELS

TEXT: dict[str, tuple[str, str]] = {
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
    "val_mon_training": (
        "학습용 펀드가 들어 있는 평가(수치가 학습 데이터 안의 값): {ids}.",
        "Evaluations whose figures include training funds (in-sample): {ids}.",
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
    # comparison report
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
