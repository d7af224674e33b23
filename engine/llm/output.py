"""Reading a model's answer: the one parser that rewards, evaluation and the UI all use.

A completion is a string, or (conversational datasets) a list of messages whose last `content`
is the text. The text may start with a thinking block (Qwen3: `<think>…</think>`; some chat
templates put the opening tag in the prompt, so a lone `</think>` also closes one) and may end
with an end-of-turn token. The answer is what follows the thinking block: one JSON object
(`docs/training-format.md` section 2), which the parser finds even inside a ``` code fence or
between prose, and reports the prose around it in `extra_text`.

`validate_output(data, criterion_ids)` lists what is wrong with a parsed object in plain words:
the JSON Schema `engine/schemas/evaluation_output.schema.json` (draft 2020-12), then every
criterion id present and no unknown one.

`cited_numbers(reasoning)` lists the numbers a reasoning cites, each with the indicators named
just before it; `named_indicators(text)` the indicators a text names; `hangul_share(text)` how
Korean it is. The reasoning reward checks these against the prompt's facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema

from engine.schemas import load_schema

SCHEMA_NAME = "evaluation_output"
REQUIRED_KEYS = ("scores", "grade", "reasoning")
THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "</s>")
FENCE_RE = re.compile(r"```[A-Za-z]*")
EXCERPT_CHARS = 60


@dataclass(frozen=True)
class ParsedOutput:
    """A completion taken apart: thinking text, the answer, its JSON object or what went wrong.

    `thinking` is None without a thinking block ("" for an empty one, as in Qwen3's non-thinking
    mode); `answer_text` is the text after it without end-of-turn tokens; `data` is the JSON
    object found in the answer (None when there is none, then `error` says why); `extra_text`
    is whatever the answer holds besides that object (prose, code-fence markers), stripped.
    """

    thinking: str | None
    answer_text: str
    data: dict | None
    error: str | None
    extra_text: str = ""


def completion_text(completion: Any) -> str:
    """The text of a completion: a string as is, a list of messages by its last `content`."""
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return completion_text(completion.get("content"))
    if isinstance(completion, list | tuple):
        if not completion:
            return ""
        last = completion[-1]
        if isinstance(last, dict) and "content" in last:
            return completion_text(last["content"])
        # content given as parts: [{"type": "text", "text": ...}, ...]
        return "".join(p.get("text", "") for p in completion if isinstance(p, dict))
    return str(completion)


def cut_end_tokens(text: str) -> str:
    """Text up to the first end-of-turn token (generation stops there)."""
    cut = min((i for i in (text.find(tok) for tok in END_TOKENS) if i >= 0), default=len(text))
    return text[:cut]


def _split_thinking(text: str) -> tuple[str | None, str, str | None]:
    """(thinking, answer, error) from a completion's text."""
    close = text.find(THINK_CLOSE)
    if close >= 0:
        before = text[:close]
        open_at = before.find(THINK_OPEN)
        thinking = before[open_at + len(THINK_OPEN) :] if open_at >= 0 else before
        return thinking.strip(), text[close + len(THINK_CLOSE) :].strip(), None
    open_at = text.find(THINK_OPEN)
    if open_at >= 0:
        error = "the thinking block (<think>) is never closed, so no answer follows it"
        return text[open_at + len(THINK_OPEN) :].strip(), text[:open_at].strip(), error
    return None, text.strip(), None


def split_thinking(text: str) -> tuple[str | None, str]:
    """(thinking text, answer) of a completion's text, as `parse_output` splits them."""
    thinking, answer, _ = _split_thinking(text)
    return thinking, answer


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _decode_error(answer: str, start: int, exc: ValueError) -> str:
    """Plain words for why the object starting at `start` does not parse."""
    if isinstance(exc, json.JSONDecodeError):
        if exc.pos >= len(answer.rstrip()) - 1 or exc.msg.startswith("Unterminated string"):
            return "the JSON is cut off before the object is closed"
        near = answer[exc.pos : exc.pos + 20].replace("\n", " ")
        return f"not valid JSON: {exc.msg.lower()} at character {exc.pos - start} (near {near!r})"
    return f"not valid JSON: {exc}"


def _find_object(answer: str) -> tuple[dict | None, tuple[int, int] | None, str | None]:
    """(object, its span, error): the first object holding an answer key, else the first one.

    Trying every '{' lets prose with braces come before the answer; preferring an object with
    one of the required keys keeps a truncated answer from being read as its inner `scores`.
    """
    starts = [m.start() for m in re.finditer(r"\{", answer)]
    if not starts:
        return None, None, "no JSON object in the answer" if answer else "the answer is empty"
    first: tuple[dict, tuple[int, int]] | None = None
    first_error: str | None = None
    for i, start in enumerate(starts):
        try:
            value, end = _DECODER.raw_decode(answer, start)
        except ValueError as exc:
            if i == 0:
                first_error = _decode_error(answer, start, exc)
            continue
        if not isinstance(value, dict):
            continue
        if any(key in value for key in REQUIRED_KEYS):
            return value, (start, end), None
        if i == 0:
            first = (value, (start, end))
    if first is not None:
        return first[0], first[1], None
    return None, None, first_error or "no JSON object in the answer"


def parse_output(completion: Any) -> ParsedOutput:
    """Split thinking from the answer and find the answer's JSON object (see the module doc)."""
    text = cut_end_tokens(completion_text(completion))
    thinking, answer, error = _split_thinking(text)
    if error:
        return ParsedOutput(thinking, answer, None, error)
    data, span, error = _find_object(answer)
    if data is None or span is None:
        return ParsedOutput(thinking, answer, None, error)
    extra = (answer[: span[0]] + " " + answer[span[1] :]).strip()
    return ParsedOutput(thinking, answer, data, None, extra)


def describe_extra_text(extra: str) -> str:
    """'the JSON is wrapped in a code fence' or 'text outside the JSON: "…"'."""
    if extra and not FENCE_RE.sub("", extra).strip():
        return "the JSON is wrapped in a ``` code fence"
    shown = extra if len(extra) <= EXCERPT_CHARS else extra[: EXCERPT_CHARS - 1] + "…"
    return f"text outside the JSON: {shown!r}"


# ---------------------------------------------------------------- validation


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = load_schema(SCHEMA_NAME)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _path(parts: Iterable) -> str:
    return ".".join(str(p) for p in parts)


def _schema_message(error: jsonschema.ValidationError) -> list[str]:
    """One jsonschema error in plain words, prefixed by where it is (`grade`, `scores.x`)."""
    where = _path(error.absolute_path)
    got = json.dumps(error.instance, ensure_ascii=False)
    rule = error.validator
    if rule == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return [f"missing key '{k}'" for k in missing]
    if rule == "additionalProperties":
        allowed = ", ".join(REQUIRED_KEYS)
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        return [f"unknown key '{k}' (the answer has only {allowed})" for k in extra]
    if rule == "type":
        wanted = {"integer": "an integer", "object": "an object", "string": "a string"}
        return [
            f"{where}: must be {wanted.get(error.validator_value, error.validator_value)}, got {got}"
        ]
    if rule in ("minimum", "maximum"):
        return [f"{where}: must be from 1 to 5, got {got}"]
    if rule in ("minLength", "pattern") and where == "reasoning":
        return ["reasoning: must not be empty"]
    if rule == "minProperties":
        return [f"{where}: must not be empty"]
    if rule == "pattern":
        return [f"{where}: {got} is not a criterion id (lower-case letters, digits, _ and -)"]
    return [f"{where or 'answer'}: {error.message}"]


def schema_problems(data: Any) -> list[str]:
    """What the JSON Schema finds wrong with `data`, in plain words (empty when valid)."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return list(dict.fromkeys(msg for error in errors for msg in _schema_message(error)))


def criterion_problems(data: Any, criterion_ids: Iterable[str] | None) -> list[str]:
    """Criterion ids missing from `scores` or unknown to the methodology ([] without ids)."""
    if criterion_ids is None or not isinstance(data, dict):
        return []
    scores = data.get("scores")
    if not isinstance(scores, dict):
        return []
    expected = list(dict.fromkeys(criterion_ids))
    missing = [f"scores: missing criterion '{c}'" for c in expected if c not in scores]
    unknown = [f"scores: unknown criterion '{c}'" for c in scores if c not in expected]
    return missing + unknown


def validate_output(data: Any, criterion_ids: Iterable[str] | None = None) -> list[str]:
    """Every problem of a parsed answer: schema first, then criterion ids ([] when valid)."""
    return schema_problems(data) + criterion_problems(data, criterion_ids)


# ---------------------------------------------------------------- what the reasoning cites

NUMBER_RE = re.compile(
    r"(?<![A-Za-z_\d.])(?P<sign>[-+−–])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?"
    r"(?P<pct>\s*(?:%p|%|퍼센트|percent\b|pct\b))?"
)
DATE_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}[-./]\d{1,2}(?:[-./]\d{1,2})?(?!\d)")
NOT_CITED_AFTER = re.compile(
    r"\s*(?:개년|년|개월|월|일|등급|점|단계|위|-?years?\b|-?months?\b|yrs?\b|y\b|/\s*5|stars?\b)",
    re.IGNORECASE,
)
NOT_CITED_BEFORE = re.compile(
    r"(?:grade|rating|score|등급|점수)\s*(?:은|는|이|가|:|=|of|is)?\s*$", re.IGNORECASE
)
TOP_BEFORE = re.compile(r"(?:상위|top)\s*$", re.IGNORECASE)
YEARS = range(1900, 2101)
LOOK_BACK = 16

# Indicator names (engine.data.metrics.INDICATORS keys, plus common ones outside it). ASCII terms
# match as whole words, Hangul terms as substrings.
INDICATOR_TERMS: dict[str, tuple[str, ...]] = {
    "sharpe": ("sharpe", "샤프"),
    "sortino": ("sortino", "소르티노", "소티노"),
    "calmar": ("calmar", "칼마"),
    "beta": ("beta", "베타"),
    "alpha": ("alpha", "알파"),
    "tracking_error": ("tracking error", "tracking_error", "추적오차"),
    "information_ratio": ("information ratio", "information_ratio", "info_ratio", "정보비율"),
    "max_drawdown": ("drawdown", "mdd", "낙폭"),
    "volatility": ("volatility", "변동성"),
    "up_capture": ("up-market capture", "upside capture", "up_capture", "상승장 참여율"),
    "down_capture": ("down-market capture", "downside capture", "down_capture", "하락장 참여율"),
    "mrar": ("mrar",),
    "treynor": ("treynor", "트레이너"),
    "value_at_risk": ("value at risk", "var"),
    "r_squared": ("r-squared", "r squared", "결정계수"),
}
HANGUL_RE = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
LATIN_RE = re.compile(r"[A-Za-z]")


def _term_pattern(terms: Sequence[str]) -> re.Pattern:
    parts = [
        re.escape(t) if HANGUL_RE.search(t) else rf"(?<![a-z]){re.escape(t)}(?![a-z])"
        for t in terms
    ]
    return re.compile("|".join(parts), re.IGNORECASE)


INDICATOR_PATTERNS = {key: _term_pattern(terms) for key, terms in INDICATOR_TERMS.items()}
# What a number is about: the indicators named in the words just before it (since the previous
# number). A number about indicators must match a fact about one of them.
TOPIC_PATTERNS = {**INDICATOR_PATTERNS, "return": _term_pattern(("return", "수익률", "수익"))}
TOPIC_LOOK_BACK = 30


def read_number(match: re.Match) -> tuple[float, int]:
    """(value, decimals) of a NUMBER_RE match, sign included ("1,234.5" -> (1234.5, 1))."""
    dec = match["dec"] or ""
    value = float(match["int"].replace(",", "") + ("." + dec if dec else ""))
    return (-value if match["sign"] in ("-", "−", "–") else value), len(dec)


def _topics(words: str) -> tuple[str, ...]:
    """The indicators (TOPIC_PATTERNS keys) that `words` name."""
    return tuple(key for key, pattern in TOPIC_PATTERNS.items() if pattern.search(words))


def cited_numbers(reasoning: str) -> list[dict]:
    """The numbers a reasoning cites: {"text", "value", "decimals", "signed", "pct", "top",
    "topics"}; topics are the indicators named in the words since the previous citation (at
    most TOPIC_LOOK_BACK characters back)."""
    text = DATE_RE.sub(lambda m: " " * len(m.group()), reasoning)
    out = []
    previous_end = 0
    for m in NUMBER_RE.finditer(text):
        value, decimals = read_number(m)
        before = text[max(0, m.start() - LOOK_BACK) : m.start()]
        if not m["pct"] and NOT_CITED_AFTER.match(text, m.end()):
            continue
        if NOT_CITED_BEFORE.search(before):
            continue
        if not m["pct"] and not decimals and not m["sign"] and int(value) in YEARS:
            continue
        top = TOP_BEFORE.search(before)
        shown = (before[top.start() :] if top else "") + m.group().strip()
        words = text[max(previous_end, m.start() - TOPIC_LOOK_BACK) : m.start()]
        previous_end = m.end()
        out.append(
            {"text": shown, "value": value, "decimals": decimals, "signed": bool(m["sign"]),
             "pct": bool(m["pct"]), "top": bool(top), "topics": _topics(words)}
        )  # fmt: skip
    return out


def hangul_share(text: str) -> float | None:
    """Hangul letters / (Hangul + Latin letters); None without letters."""
    hangul, latin = len(HANGUL_RE.findall(text)), len(LATIN_RE.findall(text))
    return hangul / (hangul + latin) if hangul + latin else None


def named_indicators(text: str) -> list[str]:
    """The INDICATOR_TERMS keys that `text` names ("샤프지수와 베타" -> ["sharpe", "beta"])."""
    return [key for key, pattern in INDICATOR_PATTERNS.items() if pattern.search(text)]
