"""The four GRPO rewards: format, accuracy, reasoning, consistency — each in [0, 1].

Every reward is a pure TRL reward function `f(completions, **kwargs) -> list[float]`: a
completion is a string or a list of messages (the last `content` is read), and the dataset's
columns (`docs/training-format.md` section 1) arrive as keyword lists aligned with the
completions. Optional columns may be missing; a value given once (not as a list) applies to the
whole batch. The trainer adds them with `DEFAULT_REWARD_WEIGHTS`, the founders' points out of
100 (10 / 50 / 30 / 10), so the total is in [0, 1] too.

    json_format          0 no JSON object | 0.25 JSON without scores/grade/reasoning |
                         0.5 schema violations (types, 1-5 ranges, extra keys, empty reasoning) |
                         0.75 valid, but criterion ids missing/unknown or text around the JSON
                         (prose, code fence) | 1 valid and bare
    evaluation_accuracy  0.8 * G + 0.2 * S, G = 1 / 0.5 / 0.1 / 0 for |grade - expert| = 0/1/2/3+,
                         S = mean over the expert's criteria of 1 - |score - expert| / 4 (a
                         missing score counts 0); G alone when the expert gave no sub-scores
    reasoning_quality    weighted mean of the components that have data:
                         0.35 grounding  min(m, 2) / 2 * m / n (n numbers cited, m found in facts)
                         0.25 relevance  min(1, k / min(2, t)) (k of the t top criteria named)
                         0.10 methodology 1 - 0.5 * (indicators named that the prompt lacks)
                         0.15 length     1 for 40-600 characters, linear to 0 at 0 and 1200
                         0.15 language   ko: Hangul share / 0.6; en: (1 - Hangul share) / 0.9
    consistency          1 / 0.5 / 0 when the stated grade is 0 / 1 / 2+ grades from the grade
                         that grade_rule gives the model's own scores (weighted mean through the
                         cutoffs); 0 when a weighted criterion has no valid score

A cited number is found in the facts when it is a number the prompt shows, at the precision the
prompt shows it or rounded as an analyst writes it, with its sign (`engine.llm.citations`):
for a return shown as "15.3%", "15.3%", "15%" and "0.153" pay, "0", "16%" and "-15.3%" do not;
for a Sharpe ratio of 0.82, "0.82" and "0.8" pay, "1" does not; for a drawdown of "-12.3%",
"-12.3%", "-12%" and "12.3%" beside the word 낙폭 / drawdown pay, "0%" and "+12.3%" do not;
"1,234억원" and "1,200억원" pay for 1,234억원; "상위 18%" / "top 18%" reads as the percentile 82.
A number right after an indicator's name ("샤프지수 0.91", "return of 15%") must match a fact
about that indicator (by fact key or label), so a right number on the wrong indicator counts as
invented. Windows ("3년", "5y"), dates, grades and scores ("4등급", "4점", "grade 4") are not
citations (`engine.llm.output.cited_numbers`). `reward_breakdown` gives each score with its
reason for the UI.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from engine.llm.citations import about, matches, nearest, shown_numbers
from engine.llm.output import (
    REQUIRED_KEYS,
    ParsedOutput,
    cited_numbers,
    completion_text,
    criterion_problems,
    describe_extra_text,
    hangul_share,
    named_indicators,
    parse_output,
    schema_problems,
    validate_output,
)

__all__ = [
    "DEFAULT_REWARD_WEIGHTS",
    "REWARD_FUNCTIONS",
    "ParsedOutput",
    "completion_text",
    "consistency",
    "evaluation_accuracy",
    "json_format",
    "parse_output",
    "reasoning_quality",
    "reward_breakdown",
    "total_reward",
    "validate_output",
]

DEFAULT_REWARD_WEIGHTS = {
    "json_format": 0.1,
    "evaluation_accuracy": 0.5,
    "reasoning_quality": 0.3,
    "consistency": 0.1,
}
COLUMNS = (
    "expert_grade",
    "expert_scores",
    "reference_scores",
    "facts",
    "grade_rule",
    "top_criteria",
    "language",
)

# json_format ladder
FORMAT_NO_KEYS, FORMAT_INVALID, FORMAT_NEAR, FORMAT_PERFECT = 0.25, 0.5, 0.75, 1.0

# evaluation_accuracy
GRADE_CLOSENESS = {0: 1.0, 1: 0.5, 2: 0.1}
GRADE_SHARE, SCORES_SHARE = 0.8, 0.2
SCORE_SPAN = 4  # the largest |difference| between two 1-5 scores

# reasoning_quality
REASONING_WEIGHTS = {
    "grounding": 0.35,
    "relevance": 0.25,
    "methodology": 0.10,
    "length": 0.15,
    "language": 0.15,
}
WANTED_CITATIONS = 2
WANTED_TOP_CRITERIA = 2
OFF_METHODOLOGY_PENALTY = 0.5
MIN_CHARS, MAX_CHARS = 40, 600
KO_HANGUL_SHARE = 0.6  # Korean prose with English terms (Sharpe, ESG) is still above this
EN_LATIN_SHARE = 0.9  # English with a Korean fund name is still above this

NAME_STOPWORDS = {"and", "of", "the", "및", "&", "year", "years", "month", "months", "y"}
WINDOW_TOKEN = re.compile(r"^\d+(?:년|개월|y|yr|years?|months?)?$")

# consistency
CONSISTENCY_CLOSENESS = {0: 1.0, 1: 0.5}
TOTAL_EPSILON = 1e-9

# ---------------------------------------------------------------- naming a fact in a reason


def _fact_shown(fact: dict) -> str:
    return str(fact.get("text") or fact.get("value"))


def _fact_name(fact: dict) -> str:
    return f"{fact.get('label') or fact['key']} {_fact_shown(fact)}"


# ---------------------------------------------------------------- row helpers


def _is_listlike(value: Any) -> bool:
    return (
        not isinstance(value, str | bytes | dict)
        and hasattr(value, "__len__")
        and hasattr(value, "__getitem__")
    )


def _rows(completions: Sequence, kwargs: dict) -> list[dict]:
    """One dict of the known columns per completion; a non-list value applies to every row."""
    n = len(completions)
    rows: list[dict] = [{} for _ in range(n)]
    for column in COLUMNS:
        if column not in kwargs:
            continue
        values = kwargs[column]
        if _is_listlike(values):
            if len(values) != n:
                raise ValueError(f"column {column!r} has {len(values)} values for {n} completions")
            for row, value in zip(rows, values, strict=True):
                row[column] = value
        else:
            for row in rows:
                row[column] = values
    return rows


def _loaded(value: Any) -> Any:
    """A JSON column's value: decoded when a string, None when missing or undecodable."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _as_score(value: Any) -> int | None:
    """An integer 1-5 (4 or 4.0; numpy ints too), else None (strings, booleans, 7, NaN)."""
    if value is None or isinstance(value, bool | str | bytes):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 5:
        return None
    return int(number)


def _score_dict(value: Any) -> dict[str, int]:
    data = _loaded(value)
    if not isinstance(data, dict):
        return {}
    return {str(k): s for k, v in data.items() if (s := _as_score(v)) is not None}


def _criterion_ids(row: dict) -> list[str] | None:
    """The methodology's criterion ids: grade_rule weights, else reference, else expert scores."""
    rule = _loaded(row.get("grade_rule"))
    if isinstance(rule, dict) and isinstance(rule.get("weights"), dict) and rule["weights"]:
        return list(rule["weights"])
    for column in ("reference_scores", "expert_scores"):
        scores = _loaded(row.get(column))
        if isinstance(scores, dict) and scores:
            return list(scores)
    return None


def _fmt(x: float) -> str:
    return f"{x:.2f}"


# ---------------------------------------------------------------- one row each


def _format_one(parsed: ParsedOutput, row: dict) -> tuple[float, str]:
    if parsed.data is None:
        return 0.0, f"unparseable: {parsed.error}"
    missing = [k for k in REQUIRED_KEYS if k not in parsed.data]
    if missing:
        return FORMAT_NO_KEYS, "JSON without " + ", ".join(f"'{k}'" for k in missing)
    problems = schema_problems(parsed.data)
    if problems:
        return FORMAT_INVALID, "; ".join(problems[:3])
    near = criterion_problems(parsed.data, _criterion_ids(row))
    if parsed.extra_text:
        near.append(describe_extra_text(parsed.extra_text))
    if near:
        return FORMAT_NEAR, "; ".join(near[:3])
    return FORMAT_PERFECT, "valid JSON with every criterion"


def _accuracy_one(parsed: ParsedOutput, row: dict) -> tuple[float, str]:
    expert = _as_score(row.get("expert_grade"))
    if expert is None:
        return 0.0, "no expert grade for this fund"
    if parsed.data is None:
        return 0.0, f"unparseable: {parsed.error}"
    grade = _as_score(parsed.data.get("grade"))
    if grade is None:
        g, why = 0.0, f"grade {parsed.data.get('grade')!r} is not an integer 1-5 → 0"
    else:
        g = GRADE_CLOSENESS.get(abs(grade - expert), 0.0)
        why = f"grade {grade} vs expert {expert} → {g:g}"
    expert_scores = _score_dict(row.get("expert_scores"))
    if not expert_scores:
        return g, why
    scores = parsed.data.get("scores")
    scores = scores if isinstance(scores, dict) else {}
    closeness = [
        1.0 - abs(s - e) / SCORE_SPAN if (s := _as_score(scores.get(c))) is not None else 0.0
        for c, e in expert_scores.items()
    ]
    s_part = sum(closeness) / len(closeness)
    total = GRADE_SHARE * g + SCORES_SHARE * s_part
    return total, (
        f"{why}; sub-scores vs expert on {len(closeness)} criteria → {_fmt(s_part)}; "
        f"{GRADE_SHARE:g}·{g:g} + {SCORES_SHARE:g}·{_fmt(s_part)} = {_fmt(total)}"
    )


def rule_grade(scores: dict, grade_rule: dict) -> tuple[float, int]:
    """(weighted total, grade) that grade_rule gives these scores; KeyError if one is missing."""
    weights = {c: float(w) for c, w in grade_rule["weights"].items()}
    total = sum(w * scores[c] for c, w in weights.items()) / sum(weights.values())
    cutoffs = grade_rule.get("cutoffs") or []
    pairs = [(int(g), m) for g, m in (cutoffs.items() if isinstance(cutoffs, dict) else cutoffs)]
    pairs.sort(key=lambda p: (p[1] is None, -(p[1] or 0.0)))
    for grade, minimum in pairs:
        if minimum is None or total >= float(minimum) - TOTAL_EPSILON:
            return total, grade
    return total, min((g for g, _ in pairs), default=1)


def _consistency_one(parsed: ParsedOutput, row: dict) -> tuple[float, str]:
    rule = _loaded(row.get("grade_rule"))
    if (
        not isinstance(rule, dict)
        or not isinstance(rule.get("weights"), dict)
        or not rule["weights"]
    ):
        return 0.0, "no grade_rule for this fund"
    if rule.get("method", "thresholds") != "thresholds":
        return 0.0, f"grade_rule method {rule['method']!r} is not supported (thresholds)"
    if parsed.data is None:
        return 0.0, f"unparseable: {parsed.error}"
    grade = _as_score(parsed.data.get("grade"))
    if grade is None:
        return 0.0, f"grade {parsed.data.get('grade')!r} is not an integer 1-5"
    scores = _score_dict(parsed.data.get("scores"))
    missing = [c for c in rule["weights"] if c not in scores]
    if missing:
        return 0.0, "no valid score for " + ", ".join(missing[:4])
    try:
        total, expected = rule_grade(scores, rule)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        return 0.0, f"grade_rule cannot be applied: {exc}"
    reward = CONSISTENCY_CLOSENESS.get(abs(grade - expected), 0.0)
    return reward, (
        f"own scores give weighted total {_fmt(total)} → grade {expected} under the cutoffs; "
        f"stated {grade} → {reward:g}"
    )


def _mentions(text: str, cid: str, name: str) -> bool:
    """Whether `text` (lower case) names a criterion: its id, or half its name's words."""
    if cid and cid.lower() in text:
        return True
    tokens = [
        t
        for t in re.split(r"[\s()\[\]{}·,/_\-–:;]+", str(name).lower())
        if t and t not in NAME_STOPWORDS and not WINDOW_TOKEN.match(t)
    ]
    return bool(tokens) and 2 * sum(t in text for t in tokens) >= len(tokens)


def _top_pairs(value: Any) -> list[tuple[str, str]]:
    items = _loaded(value)
    if not isinstance(items, list):
        return []
    pairs = []
    for item in items:
        if isinstance(item, list | tuple) and item:
            pairs.append((str(item[0]), str(item[1]) if len(item) > 1 else str(item[0])))
        elif isinstance(item, dict):
            pairs.append((str(item.get("id", "")), str(item.get("name", item.get("id", "")))))
        elif isinstance(item, str):
            pairs.append((item, item))
    return pairs


def _grounding(reasoning: str, facts: Any) -> tuple[float | None, str]:
    if not isinstance(facts, dict) or not facts:
        return None, "no facts to check numbers against"
    shown = shown_numbers(facts)
    cited = cited_numbers(reasoning)
    if not cited:
        return 0.0, "cites none of the fund's numbers"
    found, why = 0, []
    for c in cited:
        candidates = about(c["topics"], shown)
        if any(matches(c, s) for s in candidates):
            found += 1
            continue
        near = nearest(c, candidates)
        if near and c["topics"]:
            why.append(
                f"cited {c['text']} but {near.get('label') or near['key']} is {_fact_shown(near)}"
            )
        elif c["topics"]:
            about_what = "/".join(c["topics"])
            why.append(f"cited {c['text']} for {about_what}, which the prompt gives no number for")
        else:
            why.append(
                f"cited {c['text']}, which matches no fact"
                + (f" (nearest: {_fact_name(near)})" if near else "")
            )
    score = min(found, WANTED_CITATIONS) / WANTED_CITATIONS * found / len(cited)
    return score, "; ".join([f"{found} of {len(cited)} cited numbers are in the facts", *why[:3]])


def _relevance(text: str, top: list[tuple[str, str]]) -> tuple[float | None, str]:
    if not top:
        return None, "no top criteria given"
    named = [name for cid, name in top if _mentions(text, cid, name)]
    unnamed = [name for cid, name in top if name not in named]
    score = min(1.0, len(named) / min(WANTED_TOP_CRITERIA, len(top)))
    why = f"names {len(named)} of {len(top)} top criteria"
    return score, why + (f" (not: {', '.join(unnamed)})" if unnamed else "")


def _methodology(reasoning: str, row: dict, top: list[tuple[str, str]]) -> tuple[float | None, str]:
    facts = _loaded(row.get("facts"))
    context = [str(c) for pair in top for c in pair]
    if isinstance(facts, dict):
        for key, fact in facts.items():
            context += [str(key), str(fact.get("label", "")) if isinstance(fact, dict) else ""]
    context += _criterion_ids(row) or []
    if not context:
        return None, "no methodology context given"
    allowed = set(named_indicators(" ".join(context)))
    off = [key for key in named_indicators(reasoning) if key not in allowed]
    if not off:
        return 1.0, "uses only the methodology's indicators"
    score = max(0.0, 1.0 - OFF_METHODOLOGY_PENALTY * len(off))
    return score, "names indicators the methodology does not use: " + ", ".join(off)


def _length(reasoning: str) -> tuple[float, str]:
    n = len(reasoning)
    if n < MIN_CHARS:
        score = n / MIN_CHARS
    elif n <= MAX_CHARS:
        score = 1.0
    else:
        score = max(0.0, 1.0 - (n - MAX_CHARS) / MAX_CHARS)
    return score, f"{n} characters (best {MIN_CHARS}-{MAX_CHARS})"


def _language(reasoning: str, language: Any) -> tuple[float | None, str]:
    if language not in ("ko", "en"):
        return None, "no language given"
    share = hangul_share(reasoning)
    if share is None:
        return 0.0, f"{language}: no words"
    wanted = share / KO_HANGUL_SHARE if language == "ko" else (1.0 - share) / EN_LATIN_SHARE
    return min(1.0, wanted), f"{language}: Hangul share {share:.0%}"


def _reasoning_parts(parsed: ParsedOutput, row: dict) -> dict[str, tuple[float | None, str]]:
    """Each reasoning component as (score or None when it has no data, why)."""
    reasoning = parsed.data.get("reasoning") if parsed.data else None
    if not isinstance(reasoning, str) or not reasoning.strip():
        return {}
    reasoning = reasoning.strip()
    lower = reasoning.lower()
    top = _top_pairs(row.get("top_criteria"))
    return {
        "grounding": _grounding(reasoning, _loaded(row.get("facts"))),
        "relevance": _relevance(lower, top),
        "methodology": _methodology(reasoning, row, top),
        "length": _length(reasoning),
        "language": _language(reasoning, row.get("language")),
    }


def _reasoning_one(parsed: ParsedOutput, row: dict) -> tuple[float, str]:
    if parsed.data is None:
        return 0.0, f"unparseable: {parsed.error}"
    return _combined(_reasoning_parts(parsed, row))


def _combined(parts: dict[str, tuple[float | None, str]]) -> tuple[float, str]:
    """The weighted mean of the components that have data, with their reasons."""
    if not parts:
        return 0.0, "no reasoning text"
    used = {k: s for k, (s, _) in parts.items() if s is not None}
    weight = sum(REASONING_WEIGHTS[k] for k in used)
    score = sum(REASONING_WEIGHTS[k] * s for k, s in used.items()) / weight
    why = "; ".join(f"{k} {_fmt(s)}: {parts[k][1]}" for k, s in used.items())
    return score, why


ROW_SCORERS: dict[str, Callable[[ParsedOutput, dict], tuple[float, str]]] = {
    "json_format": _format_one,
    "evaluation_accuracy": _accuracy_one,
    "reasoning_quality": _reasoning_one,
    "consistency": _consistency_one,
}


def _batch(name: str, completions: Sequence, kwargs: dict) -> list[float]:
    scorer = ROW_SCORERS[name]
    rows = _rows(completions, kwargs)
    return [
        float(scorer(parse_output(c), row)[0]) for c, row in zip(completions, rows, strict=True)
    ]


# ---------------------------------------------------------------- TRL reward functions


def json_format(completions: Sequence, **kwargs: Any) -> list[float]:
    """JSON format compliance in [0, 1]: 1 valid and bare, 0.75/0.5/0.25 near misses, 0 no JSON.

    0 no JSON object | 0.25 JSON without scores/grade/reasoning | 0.5 schema violations |
    0.75 valid but criterion ids missing or unknown, or text around the JSON | 1 perfect.
    Criterion ids come from grade_rule's weights (else reference_scores, expert_scores).
    """
    return _batch("json_format", completions, kwargs)


def evaluation_accuracy(completions: Sequence, **kwargs: Any) -> list[float]:
    """Closeness to the expert rating in [0, 1]: 1 same grade and sub-scores, 0 unparseable.

    0.8 * G + 0.2 * S; G = 1 / 0.5 / 0.1 / 0 for |grade - expert_grade| = 0 / 1 / 2 / 3+;
    S = mean over expert_scores of 1 - |score - expert| / 4 (a missing score counts 0).
    Without expert_scores the reward is G.
    """
    if "expert_grade" not in kwargs:
        raise ValueError("evaluation_accuracy needs the dataset column 'expert_grade'")
    return _batch("evaluation_accuracy", completions, kwargs)


def reasoning_quality(completions: Sequence, **kwargs: Any) -> list[float]:
    """Grounded, relevant reasoning in [0, 1]: right numbers, top criteria, length, language.

    Weighted mean, over the components whose column is present, of grounding 0.35
    (min(m, 2)/2 * m/n for m of n cited numbers found in facts), relevance 0.25
    (min(1, k / min(2, t)) for k of t top_criteria named), methodology 0.10 (1 - 0.5 per
    indicator named that the prompt's facts and criteria lack), length 0.15 (1 for 40-600
    characters) and language 0.15 (Hangul share / 0.6 for ko, (1 - share) / 0.9 for en).
    Under TRL it also logs each component's batch mean as `reasoning_quality/<component>`.
    """
    rows = _rows(completions, kwargs)
    parts = [
        _reasoning_parts(parse_output(c), row) for c, row in zip(completions, rows, strict=True)
    ]
    log_metric = kwargs.get("log_metric")
    if callable(log_metric):
        for name in REASONING_WEIGHTS:
            values = [p[name][0] for p in parts if p and p[name][0] is not None]
            if values:
                log_metric(f"reasoning_quality/{name}", sum(values) / len(values))
    return [float(_combined(p)[0]) for p in parts]


def consistency(completions: Sequence, **kwargs: Any) -> list[float]:
    """Grade follows from the model's own scores in [0, 1]: 1 same, 0.5 one off, 0 otherwise.

    total = sum(w_c * score_c) / sum(w_c) over grade_rule's weights; the expected grade is the
    first cutoff [grade, min] with total >= min (null min: any total). 0 when a weighted
    criterion has no valid score or there is no grade_rule.
    """
    return _batch("consistency", completions, kwargs)


REWARD_FUNCTIONS: dict[str, Callable[..., list[float]]] = {
    "json_format": json_format,
    "evaluation_accuracy": evaluation_accuracy,
    "reasoning_quality": reasoning_quality,
    "consistency": consistency,
}


def total_reward(
    completions: Sequence, weights: dict[str, float] | None = None, **kwargs: Any
) -> list[float]:
    """Σ weight · reward per completion, as the trainer adds them (default weights: in [0, 1])."""
    weights = DEFAULT_REWARD_WEIGHTS if weights is None else weights
    totals = [0.0] * len(completions)
    for name, weight in weights.items():
        for i, value in enumerate(REWARD_FUNCTIONS[name](completions, **kwargs)):
            totals[i] += weight * value
    return totals


def reward_breakdown(completion: Any, row: dict, weights: dict[str, float] | None = None) -> dict:
    """Each reward of one completion with why, for the UI.

    {"total": float, "rewards": {name: {"score", "weight", "why"}},
     "reasoning_parts": {component: {"score" (None: no data), "weight", "why"}},
     "parse_error": str | None, "thinking": str | None}
    """
    weights = DEFAULT_REWARD_WEIGHTS if weights is None else weights
    parsed = parse_output(completion)
    rows = _rows([completion], {k: [row[k]] for k in COLUMNS if k in row})
    rewards = {}
    for name, scorer in ROW_SCORERS.items():
        score, why = scorer(parsed, rows[0])
        rewards[name] = {"score": float(score), "weight": weights.get(name, 0.0), "why": why}
    parts = {
        k: {"score": s, "weight": REASONING_WEIGHTS[k], "why": why}
        for k, (s, why) in _reasoning_parts(parsed, rows[0]).items()
    }
    return {
        "total": sum(r["score"] * r["weight"] for r in rewards.values()),
        "rewards": rewards,
        "reasoning_parts": parts,
        "parse_error": parsed.error,
        "thinking": parsed.thinking,
    }
