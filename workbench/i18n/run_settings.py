"""One-line help of each run setting: Korean here, English from RunConfig's own field help
(engine.training.config.help_texts), so the two languages explain the same thing."""

from __future__ import annotations

from engine.training.config import help_texts
from workbench.i18n.translate import current_lang

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
    "grade_loss_weight": "예열 손실에서 등급 토큰이 몇 토큰만큼 계산되는지 (1: 답안의 토큰 하나). 높이면 예열이 베낀 숫자보다 등급을 배웁니다.",
    "warmup_share": "예열이 정답을 베끼는 학습 펀드의 비율; 강화학습은 나머지(모델이 외우지 않은) 펀드로 학습합니다(1 = 두 단계 모두 전체).",
    "max_steps": "GRPO 단계 수 (한 단계마다 펀드 묶음을 여러 번 평가합니다).",
    "learning_rate": "GRPO 학습률: 높을수록 빨리 배우지만 불안정해집니다.",
    "num_generations": "펀드마다 뽑아 서로 비교하는 답안 수 (GRPO의 '그룹').",
    "per_device_train_batch_size": "장치 하나에서 한 번에 최적화하는 답안 수 (펀드당 답안 수의 배수여야 그룹이 나뉘지 않습니다).",
    "generation_batch_size": "한 번에 생성하는 답안 수 (비우면 학습 배치); 펀드당 답안 수와 학습 배치의 배수여야 합니다.",
    "max_completion_length": "답안의 최대 토큰 수; 더 긴 답안은 잘려서 읽을 수 없게 됩니다.",
    "temperature": "샘플링 온도: 높을수록 답안이 다양해집니다.",
    "beta": "모델이 시작점에서 너무 멀어지지 않게 하는 KL 페널티 (0 = 없음, 참조 모델 불필요).",
    "rating_dates": "학습에 쓸 전문가 등급의 평가 기준일: last(위 기준일만), all(그 기준일까지 모든 기준일) 또는 쉼표로 구분한 날짜; 검증·시험 펀드는 최근 기준일로만 평가합니다.",
    "prompt_style": "프롬프트 형식: full(방법론 전체와 펀드 지표 표; 실제 모델) 또는 compact(기준마다 한 줄; 내장 소형 모델은 긴 프롬프트를 읽지 못합니다); anchored·compact_anchored는 여기에 규칙의 제안(항목점수, 종합점수, 유형 등급 기준)과 관행이 보는 사실(운용연수, 순자산, 1년 수익률 백분위, 매니저 교체)을 더합니다.",
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
    "epsilon_high": "GRPO 클리핑 상한(DAPO의 clip-higher는 0.28을 권합니다). 0이면 하한과 같은 0.2입니다.",
    "mask_truncated_completions": "길이 제한에서 잘린 답(해석할 수 없음)을 GRPO 손실에서 뺍니다.",
    "advantage_floor": "GRPO 기준선의 최솟값(CoRPO의 최소 품질): 총 보상이 이보다 낮은 답은 그룹이 약해도 양(+)의 어드밴티지를 받지 않습니다. 0이면 TRL처럼 그룹 평균입니다.",
    "device": "학습 장치: auto(GPU가 있으면 GPU), cpu 또는 cuda.",
    "processes": "CPU에서 학습할 프로세스 수(accelerate, gloo). GPU에서는 GPU마다 하나입니다. 프로세스마다 단계당 per_device_train_batch_size개의 답을 만듭니다.",
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
    english = help_texts().get(name, "")
    if (lang or current_lang()) == "en":
        return english
    return RUN_HELP_KO.get(name) or english
