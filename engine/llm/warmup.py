"""Targets of the supervised warm-up: a worked answer for every training fund.

Before GRPO the model copies answers built from the data (the cold start DeepSeek-R1 used before
its RL stage): the expert's sub-scores where the ratings file has them, else the rule-based
scorer's; the expert grade; and a short reasoning in the prompt's language that cites the
fund's real numbers (from `facts`) for the criteria that weigh most. It is the answer format of
docs/training-format.md section 2, so `parse_output` accepts every target. Thinking models get
a short `<think>…</think>` first when thinking is on.

`sft_examples` is the warm-up's dataset: every training fund once, and the funds of the rarer
expert grades repeated until each grade has as many examples as the most common one. Expert
grades bunch on 3; without the balance a small model learns that always answering 3 is its
best guess and never looks at the fund.

Each example carries its row's `sample_weight` (1, or an analyst's feedback weight: an accepted
AI grade counts less than a correction). `weighted_token_loss` is the warm-up's loss: the
token-mean cross-entropy with each example's tokens counted `weight` times, so a weight-0
example adds nothing and a weight-2 example counts as two copies of it.

`grade_token_weights` lets the grade's token count more than one token in that mean. The answer
is about 120 tokens of copied scores and cited numbers, and the grade is one of them: at equal
weight a small model copies the rest almost perfectly (95 % token accuracy) while its grade
agrees with the experts on fewer training funds than the written rule's grade does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

MAX_CITED = 3
GRADE_WORDS = {
    "ko": "{cited}을(를) 근거로 종합 {grade}등급으로 평가합니다.",
    "en": "Based on {cited}, the fund is rated grade {grade}.",
}
NO_FACT = {"ko": "{name} {score}점", "en": "{name} scored {score}"}
THINK = {
    "ko": "가중치가 큰 항목부터 본다: {cited}. 종합 {grade}등급.",
    "en": "Check the heaviest criteria first: {cited}. Overall grade {grade}.",
}
JOIN = {"ko": ", ", "en": ", "}
PCT = {"ko": "(백분위 {pct})", "en": " (percentile {pct})"}
GRADE_VALUE = re.compile(r'"grade"\s*:\s*"?([1-5])')


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, str):
        return json.loads(value) if value.strip() else default
    return value


def target_scores(row: dict) -> dict[str, int]:
    """Per-criterion scores 1-5: the expert's where present, the reference scorer's otherwise."""
    reference = _json(row.get("reference_scores"), {})
    expert = _json(row.get("expert_scores"), {})
    scores = {}
    for cid in dict.fromkeys([*reference, *expert]):
        value = expert.get(cid, reference.get(cid))
        if value is None:
            continue
        scores[cid] = min(5, max(1, int(round(float(value)))))
    return scores


def cited_phrases(row: dict, scores: dict[str, int], language: str) -> list[str]:
    """'3년 샤프지수 0.82(백분위 75)' for the heaviest criteria: the fund's numbers as shown.

    `facts[criterion_id]` is the criterion's value as the prompt shows it, `facts[id + "_pct"]`
    its category percentile (engine.llm.prompts); a criterion without a fact cites its score.
    """
    facts = _json(row.get("facts"), {})
    top = _json(row.get("top_criteria"), [])
    phrases = []
    for item in top[:MAX_CITED]:
        cid, name = (item[0], item[1]) if isinstance(item, list | tuple) else (item, item)
        fact = facts.get(cid)
        if fact and fact.get("text"):
            phrase = f"{fact.get('label') or name} {fact['text']}"
            pct = facts.get(f"{cid}_pct")
            if pct and pct.get("text"):
                phrase += PCT[language].format(pct=pct["text"])
            phrases.append(phrase)
        elif cid in scores:
            phrases.append(NO_FACT[language].format(name=name, score=scores[cid]))
    return phrases


def _in_prompt_order(scores: dict[str, int], row: dict) -> dict[str, int]:
    """`scores` in the order the prompt's answer template lists the criteria (easier to copy)."""
    shown = " ".join(str(m.get("content", "")) for m in row.get("prompt") or [])

    def position(cid: str) -> tuple[int, str]:
        at = shown.find(f'"{cid}"')
        return (at if at >= 0 else len(shown), cid)

    return {cid: scores[cid] for cid in sorted(scores, key=position)}


def sft_target(row: dict, *, thinking: bool = False) -> str:
    """The worked answer for one snapshot row (a JSON object, after `<think>` if thinking)."""
    language = row.get("language") if row.get("language") in GRADE_WORDS else "ko"
    scores = _in_prompt_order(target_scores(row), row)
    grade = int(row["expert_grade"])
    cited = JOIN[language].join(cited_phrases(row, scores, language)) or "-"
    reasoning = GRADE_WORDS[language].format(cited=cited, grade=grade)
    answer = json.dumps(
        {"scores": scores, "grade": grade, "reasoning": reasoning}, ensure_ascii=False
    )
    if thinking:
        return f"<think>{THINK[language].format(cited=cited, grade=grade)}</think>\n\n{answer}"
    return answer


def sft_example(row: dict, *, thinking: bool = False) -> dict:
    """A conversational prompt-completion example for TRL's SFTTrainer."""
    example = {
        "prompt": list(row["prompt"]),
        "completion": [{"role": "assistant", "content": sft_target(row, thinking=thinking)}],
        "sample_weight": row_weight(row),
    }
    if thinking:
        example["chat_template_kwargs"] = {"enable_thinking": True}
    return example


def row_weight(row: dict) -> float:
    """The row's `sample_weight` (1.0 when it has none)."""
    weight = row.get("sample_weight")
    return 1.0 if weight is None else float(weight)


def weighted_token_loss(token_losses, token_mask, weights, total_weight=None):
    """Σ_i w_i Σ_t loss_it / Σ_i w_i n_i: the mean loss per token, example i's tokens counted w_i
    times (torch tensors: losses and mask (examples, tokens), weights (examples,)).

    `total_weight` is the denominator over the whole optimisation step (several micro-batches:
    `weighted_token_count` of each, summed), else this batch's own. 0 when nothing weighs.
    """
    weighted = (token_losses * token_mask * weights[:, None]).sum()
    total = weighted_token_count(token_mask, weights) if total_weight is None else total_weight
    return weighted / total if total > 0 else weighted * 0.0


def grade_token_index(pieces: Sequence[str]) -> int | None:
    """The index of the piece that holds the grade's digit in an answer split into token texts
    (the last `"grade": n` of the answer, so the JSON after a `<think>` part); None without one."""
    matches = list(GRADE_VALUE.finditer("".join(pieces)))
    if not matches:
        return None
    at, end = matches[-1].start(1), 0
    for index, piece in enumerate(pieces):
        end += len(piece)
        if end > at:
            return index
    return None


def grade_token_weights(input_ids, labels, piece: Callable[[int], str], grade_weight: float):
    """Per-token loss weights shaped like `labels` (torch): 1, and `grade_weight` on the token
    of each answer's grade. `piece` is a token id's text; positions labelled -100 are not
    answer tokens."""
    weights = labels.new_ones(labels.shape).float()
    if grade_weight == 1:
        return weights
    for row in range(labels.shape[0]):
        positions = (labels[row] != -100).nonzero().flatten().tolist()
        index = grade_token_index([piece(int(input_ids[row, p])) for p in positions])
        if index is not None:
            weights[row, positions[index]] = grade_weight
    return weights


def weighted_token_count(token_mask, weights):
    """Σ_i w_i n_i: the tokens that carry loss, example i's counted w_i times."""
    return (token_mask.sum(dim=1) * weights).sum()


def balanced_rows(rows: list[dict]) -> list[dict]:
    """`rows`, then rows of the rarer expert grades repeated in turn up to the top grade's count.

    Deterministic: the repeats cycle through each grade's rows in their given order.
    """
    by_grade: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_grade[int(row["expert_grade"])].append(row)
    if not by_grade:
        return []
    top = max(len(group) for group in by_grade.values())
    extra = [group[k % len(group)] for group in by_grade.values() for k in range(top - len(group))]
    return list(rows) + extra


def sft_examples(rows: list[dict], *, thinking: bool = False, balance: bool = True) -> list[dict]:
    """The warm-up's examples: one per training row, rarer grades repeated (`balanced_rows`)."""
    chosen = balanced_rows(rows) if balance else list(rows)
    return [sft_example(row, thinking=thinking) for row in chosen]


def phase_rows(rows: list[dict], share: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(warm-up rows, RL rows) of the training split.

    With `share` 1 both phases see every fund. Below 1 a seeded `share` of the funds goes to the
    warm-up and the others to the RL phase: funds whose worked answers the model never copied,
    so its answers on them still differ within a group and the rewards can tell them apart. A
    fund's rows (one per rating date) all go to the same phase.
    """
    funds = list(dict.fromkeys(r["fund_id"] for r in rows))
    if share >= 1 or len(funds) < 2:
        return rows, rows
    ranked = sorted(funds, key=lambda f: hashlib.sha256(f"{seed}:{f}".encode()).hexdigest())
    cut = min(len(funds) - 1, max(1, round(len(funds) * share)))
    warm = set(ranked[:cut])
    order = {f: k for k, f in enumerate(ranked)}
    by_rank = sorted(rows, key=lambda r: order[r["fund_id"]])  # stable: a fund's dates in order
    return (
        [r for r in by_rank if r["fund_id"] in warm],
        [r for r in by_rank if r["fund_id"] not in warm],
    )
