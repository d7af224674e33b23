"""Texts of the Runs page (pages/runs.py): runs and sweeps."""

from __future__ import annotations

from engine.evaluation.labels import LABELS

TEXT: dict[str, tuple[str, str]] = {
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
    "runs_warning": ("{run}: {text}", "{run}: {text}"),
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
