"""Texts of the Review page (pages/review.py, workbench/web/views_review.py)."""

from __future__ import annotations

from engine.evaluation.labels import LABELS

TEXT: dict[str, tuple[str, str]] = {
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
    "rev_rules_stored": (
        "규칙 기반 등급은 이 기준일에 저장된 기록({source})에서 읽었습니다.",
        "Rule-based grades read from the record stored for this date ({source}).",
    ),
    "rev_rules_computed": (
        "이 기준일·방법론 버전에 저장된 규칙 기반 등급이 없어(규칙 기반 평가나 등급 산정 주기가 "
        "없거나, 그 뒤에 데이터가 올라옴) 전체 펀드 데이터로 계산했습니다.",
        "No rule-based grades are stored for this date and methodology version (no rules "
        "evaluation or rating cycle, or data loaded since), so they were computed from the fund "
        "data of the whole universe.",
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
        "학습 펀드에만 적용되며, 검증·시험 펀드는 전문가 등급을 그대로 유지합니다. "
        "새 실행은 백그라운드에서 학습하며, 어떤 피드백과 어떤 이전 실행에서 왔는지 기록합니다.",
        "Corrected grades replace the expert's (weight 1); accepted AI grades go in with their "
        "weight. They change training funds only: validation and test funds keep the experts' "
        "grades. The new run trains in the background and records which feedback and which "
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
    "rev_scope_cycle": ("평가 주기 {cycle}의 펀드", "Funds of rating cycle {cycle}"),
    "rev_only_cycle_queue": (
        "평가 주기 {cycle}의 분석가 검토 대기열만 ({n}개)",
        "Only rating cycle {cycle}'s analyst queue ({n})",
    ),
    "rev_routed_for": ("분석가 검토로 보낸 이유: {reasons}", "Sent to the analysts for: {reasons}"),
    "rev_route_invalid": ("모델 답 무효", "the model's answer is invalid"),
    "rev_route_rules_gap": ("규칙과 2등급 이상 차이", "2 grades or more from the rules"),
    "rev_route_self_agreement": ("모델 자기 일치도 낮음", "the model disagrees with itself"),
    "rev_scope_all_training": (
        "등급이 있는 모든 펀드 ({run}의 학습용 펀드 포함)",
        "All rated funds (with {run}'s training funds)",
    ),
    "rev_scope_test": ("{run}의 시험용(held-out) 펀드", "Held-out test funds of {run}"),
    "rev_evaluate": ("평가 실행", "Evaluate"),
    "rev_evaluate_help": (
        "규칙 기반 채점기와 표 형식 기준모델은 바로 끝납니다. 언어모델 평가는 백그라운드에서 실행되며, "
        "끝나면 이 페이지에 결과가 나타납니다.",
        "The rule-based scorer and the tabular baseline finish at once; language models run in "
        "the background and their results appear here when they end.",
    ),
    "rev_training_note": (
        "이 수치에는 {run}이(가) 학습한 펀드 {n}개가 들어 있어 학습 데이터 안의(in-sample) 수치입니다. "
        "공정한 비교는 시험용 펀드(test:{run})로 평가하십시오.",
        "These figures include {n} funds {run} trained on: they are in-sample. Evaluate on its "
        "held-out test funds (test:{run}) for a fair figure.",
    ),
    "rev_evaluate_cli": ("터미널에서는: `{command}`", "From a terminal: `{command}`"),
    "rev_eval_done": ("{id} 기록됨 ({evaluator}).", "{id} recorded ({evaluator})."),
    "rev_refresh": ("새로고침", "Refresh"),
}
