"""The training prompt of one fund: the messages the model reads and the facts they show.

`render` turns a methodology and one fund's inputs into a conversational prompt and, from the
same strings, `facts`: every number of the fund the prompt shows, with its exact text, so that
the reasoning reward can check the numbers a model cites. Korean or English text comes from one
table, `TEXT`.

- System message: the role, the answer's JSON format with the methodology's criterion ids, the
  rules (integers 1-5, 5 best; reasoning 1-4 sentences in the prompt's language citing numbers).
- User message: the methodology's rules (`rules_text`: eligibility, how scores add up, missing
  inputs, each distinct band rule once, labelled A, B, ..., and the grade scale), then the fund
  (name, category, company, inception and track record, AUM, rating date) and, per section, each
  criterion with its weight (% of the total), its rule and the fund's input: the indicator value
  and category percentile, or the analyst's score and note.

The rules are exact (every number the reference scorer uses) but compact: the methodology is
stated together with the fund instead of as a separate list of criteria (engine.methodology's
`summary` is about three times longer, ~1,400 tokens in Korean), because small models with
short contexts train on these prompts.

`compact_messages` is the built-in tiny model's variant (random weights, byte-level tokenizer):
the answer template alone as the system message and one short line per criterion (its id, the
indicator value and category percentile, or the analyst's score), in the template's order, from
the same `facts`. A ~750-token prompt is more than such a model learns to read in a short
warm-up; the ~200-token variant it does (docs/training-format.md section 5). Real models keep
`render`'s prompt.

Numbers are shown as a person reads them: indicators in % with 1 decimal ("12.3%"), ratios with
2 decimals ("0.82"), category percentiles as integers ("82"), analyst scores as "4점" / "4/5".
A number that rounding would put on the other side of one of its criterion's band edges (a
percentile of 32.4 shown as "32" next to a band ">=32.5", a Sharpe ratio of 0.996 shown as
"1.00" next to ">=1") gets just enough more decimals to keep its side, so that a model applying
the rules to the numbers it reads gets the reference scorer's scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.methodology import (
    LOWEST_TOTAL,
    direction,
    effective_weight,
    fmt_number,
    iter_criteria,
    missing_rule,
)

MAX_DECIMALS = 6
PERCENT = 100.0  # '%' indicators are fractions: 0.123 is shown as 12.3%
EOK = 1e8  # 억원
BILLION = 1e9
MILLION = 1e6
SMALL_EOK = 100  # under 100억원 the AUM is shown with one decimal
NUMBER = re.compile(
    r"(?<![\w.,])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
)  # numbers in analysts' notes
RULE_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

TEXT = {
    "ko": {
        "role": "당신은 펀드평가사의 애널리스트입니다. 사내 평가방법론 「{name}」으로 펀드를 평가해 JSON 하나로만 답하세요:",
        "rules": "n은 1~5 정수(5가 최고). reasoning은 한국어 1~4문장으로 펀드의 실제 수치를 인용.",
        "head": "[평가방법론] {id} v{version}{client}",
        "client": " (위탁사 {client})",
        "eligible": "평가대상: {rules}",
        "everyone": "전체 펀드",
        "track": "운용기간 {n}개월 이상",
        "aum": "순자산 {aum} 이상",
        "categories": "유형 {names}",
        "total": "항목점수 1~5, 종합점수 = Σ 가중치% x 항목점수.",
        "missing": "입력값이 없는 항목은 {score}점, 그 가중치 합이 {weight}%를 넘으면 등급 없음.",
        "percentile": "백분위: 평가대상 중 유형 내 위치, 100이 최상(낮을수록 좋은 지표는 뒤집음).",
        "pct_rule": "구간 {label}: 백분위 {steps}",
        "value_rule": "구간 {label}: 값 {steps}",
        "qualitative": "정성 항목: 애널리스트 점수 그대로.",
        "grade_same": "등급: 종합점수의 유형 내 백분위에 구간 {label}",
        "grade_pct": "등급: 종합점수의 유형 내 백분위 {steps}",
        "grade_total": "등급: 종합점수 {steps}",
        "else": "그 외",
        "fund": "[펀드] {name}",
        "fund_line": "{category} | {company} | 설정일 {inception} ({months}) | 순자산 {aum} | 기준일 {as_of}",
        "months": "{n}개월",
        "unknown": "미상",
        "section": "{name} {weight}%",
        "indicator": "- {id} {name} {weight}% {label}: {value} (백분위 {pct})",
        "indicator_fallback": "- {id} {name} {weight}% {label}: {value} ({window} 기준, 백분위 {pct})",
        "indicator_missing": "- {id} {name} {weight}% {label}: 값 없음",
        "judged": "- {id} {name} {weight}%: {score} ({note})",
        "judged_bare": "- {id} {name} {weight}%: {score}",
        "judged_missing": "- {id} {name} {weight}%: 평가 없음",
        "score_text": "{n}점",
        "window": {"1y": "1년", "3y": "3년", "5y": "5년"},
        "pct_label": "{name} 백분위",
        "note_label": "{name} 메모",
        "aum_label": "순자산",
        "months_label": "운용기간",
        "compact_indicator": "{id} {value} 백분위 {pct}",
        "compact_missing": "{id} -",
    },
    "en": {
        "role": (
            'You are an analyst at a fund-rating company. Rate the fund with the house methodology "{name}" '
            "and answer with one JSON object only:"
        ),
        "rules": "n: an integer 1-5 (5 best). reasoning: 1-4 sentences in English citing the fund's actual numbers.",
        "head": "[Methodology] {id} v{version}{client}",
        "client": " (client {client})",
        "eligible": "Rated: {rules}",
        "everyone": "every fund",
        "track": "track record >= {n} months",
        "aum": "AUM >= {aum}",
        "categories": "categories {names}",
        "total": "Criterion scores 1-5; total = sum of weight% x score.",
        "missing": "A criterion without input scores {score}; no grade when those weigh over {weight}%.",
        "percentile": (
            "Percentile: position in the category among rated funds, 100 best (reversed when "
            "lower is better)."
        ),
        "pct_rule": "Rule {label}: percentile {steps}",
        "value_rule": "Rule {label}: value {steps}",
        "qualitative": "Qualitative criteria: the analyst's score as is.",
        "grade_same": "Grade: rule {label} on the total's category percentile",
        "grade_pct": "Grade: the total's category percentile {steps}",
        "grade_total": "Grade: total {steps}",
        "else": "else",
        "fund": "[Fund] {name}",
        "fund_line": "{category} | {company} | inception {inception} ({months}) | AUM {aum} | as of {as_of}",
        "months": "{n} months",
        "unknown": "unknown",
        "section": "{name} {weight}%",
        "indicator": "- {id} {name} {weight}% {label}: {value} (percentile {pct})",
        "indicator_fallback": "- {id} {name} {weight}% {label}: {value} ({window}, percentile {pct})",
        "indicator_missing": "- {id} {name} {weight}% {label}: no value",
        "judged": "- {id} {name} {weight}%: {score} ({note})",
        "judged_bare": "- {id} {name} {weight}%: {score}",
        "judged_missing": "- {id} {name} {weight}%: no assessment",
        "score_text": "{n}/5",
        "window": {"1y": "1y", "3y": "3y", "5y": "5y"},
        "pct_label": "{name} percentile",
        "note_label": "{name} note",
        "aum_label": "AUM",
        "months_label": "Track record",
        "compact_indicator": "{id} {value} percentile {pct}",
        "compact_missing": "{id} -",
    },
}


@dataclass
class CriterionInput:
    """What the prompt shows for one criterion of one fund (None where there is nothing)."""

    value: float | None = None  # raw indicator value (a fraction for '%' indicators)
    window: str | None = None  # the window the value comes from
    fallback: bool = False  # True when that is the fallback window
    pct: float | None = None  # category percentile, 100 = best (reversed when lower is better)
    score: int | None = None  # the analyst's 1-5 score of a qualitative criterion
    note: str | None = None


@dataclass
class FundInput:
    """One fund's header facts and its criteria's inputs, keyed by criterion id."""

    name: str
    category: str
    company: str
    as_of: str  # ISO date
    inception: str | None  # ISO date
    months: int | None  # whole months of track record at as_of
    aum: float | None
    currency: str | None
    criteria: dict[str, CriterionInput] = field(default_factory=dict)


def criterion_name(item: dict, lang: str) -> str:
    """The name of a section or criterion in `lang`, else in the other language, else its id."""
    first, second = ("name_ko", "name_en") if lang == "ko" else ("name_en", "name_ko")
    return item.get(first) or item.get(second) or item["id"]


def shown_number(value: float, decimals: int, edges: list[float], scale: float = 1.0) -> str:
    """`value * scale` with `decimals` decimals, more when rounding would cross one of `edges`.

    `edges` are band bounds on the raw scale; the shown number, read back and divided by
    `scale`, compares with every edge (>=, <=) as the raw value does.
    """
    for places in range(decimals, MAX_DECIMALS + 1):
        text = f"{value * scale:.{places}f}"
        back = float(text) / scale
        if all((back >= e) == (value >= e) and (back <= e) == (value <= e) for e in edges):
            break
    return text.lstrip("-") if float(text) == 0 else text  # never "-0.0"


def _amount(aum: float, currency: str | None, lang: str) -> tuple[str, float]:
    """(text, the number in it) of an amount: 1,201억원 / KRW 120.1bn / USD 35.2m."""
    if (currency or "KRW") == "KRW":
        if lang == "ko":
            eok = aum / EOK
            number = f"{eok:,.1f}" if eok < SMALL_EOK else f"{eok:,.0f}"
            return f"{number}억원", float(number.replace(",", ""))
        if aum >= BILLION:
            number = f"{aum / BILLION:,.1f}"
            return f"KRW {number}bn", float(number.replace(",", ""))
    number = f"{aum / MILLION:,.1f}"
    return f"{currency or 'KRW'} {number}m", float(number.replace(",", ""))


# ---------------------------------------------------------------- the methodology's rules


def _steps(pairs: list[tuple[float | None, int]], sign: str, t: dict, unit: str = "") -> str:
    """'>=90 5, >=67.5 4, else 1' from (bound, result) pairs, best first; None = else."""
    parts = [
        f"{t['else']} {result}" if bound is None else f"{sign}{fmt_number(bound)}{unit} {result}"
        for bound, result in pairs
    ]
    return ", ".join(parts)


def _rule_key(criterion: dict, units: dict[str, str]) -> tuple | None:
    """What makes two criteria's scoring rules the same text (None for qualitative)."""
    scoring = criterion["scoring"]
    if scoring["method"] == "percentile_bands":
        return ("pct", tuple((float(b["min_pct"]), b["score"]) for b in scoring["bands"]))
    if scoring["method"] == "thresholds":
        key = "min" if direction(criterion) == "higher_is_better" else "max"
        percent = units.get(criterion["measure"]["indicator"]) == "%"
        bounds = []
        for item in scoring["thresholds"]:
            bound = item.get(key)
            if bound is not None and percent:
                bound = round(bound * PERCENT, MAX_DECIMALS)
            bounds.append((bound, item["score"]))
        return ("value", key, percent, tuple(bounds))
    return None


def rule_labels(doc: dict, units: dict[str, str]) -> dict[tuple, str]:
    """A letter per distinct scoring rule, in the order of first use."""
    labels: dict[tuple, str] = {}
    for _, criterion in iter_criteria(doc):
        key = _rule_key(criterion, units)
        if key is not None and key not in labels:
            labels[key] = RULE_LABELS[len(labels) % len(RULE_LABELS)]
    return labels


def rules_text(doc: dict, lang: str, units: dict[str, str]) -> str:
    """The methodology's rules, without its criteria (those are listed with the fund)."""
    t = TEXT[lang]
    client = t["client"].format(client=doc["client"]) if doc.get("client") else ""
    lines = [t["head"].format(id=doc["id"], version=doc.get("version", "?"), client=client)]
    eligibility = doc.get("eligibility") or {}
    rules = []
    if "min_track_record_months" in eligibility:
        rules.append(t["track"].format(n=eligibility["min_track_record_months"]))
    if "min_aum" in eligibility:
        rules.append(t["aum"].format(aum=_amount(float(eligibility["min_aum"]), None, lang)[0]))
    if eligibility.get("categories"):
        rules.append(t["categories"].format(names=", ".join(eligibility["categories"])))
    lines.append(t["eligible"].format(rules="; ".join(rules) or t["everyone"]))
    score, weight = missing_rule(doc)
    lines.append(
        t["total"] + " " + t["missing"].format(score=fmt_number(score), weight=fmt_number(weight))
    )
    labels = rule_labels(doc, units)
    scale = doc["grade_scale"]
    indicators = any(c["measure"]["type"] == "indicator" for _, c in iter_criteria(doc))
    if scale["method"] == "percentile" or indicators:  # every indicator line shows one
        lines.append(t["percentile"])
    for key, label in labels.items():
        if key[0] == "pct":
            pairs = [
                (None if k == len(key[1]) - 1 and low == 0 else low, s)
                for k, (low, s) in enumerate(key[1])
            ]
            lines.append(t["pct_rule"].format(label=label, steps=_steps(pairs, ">=", t)))
        else:
            sign = ">=" if key[1] == "min" else "<="
            steps = _steps(list(key[3]), sign, t, "%" if key[2] else "")
            lines.append(t["value_rule"].format(label=label, steps=steps))
    if any(c["scoring"]["method"] == "qualitative" for _, c in iter_criteria(doc)):
        lines.append(t["qualitative"])
    if scale["method"] == "percentile":
        bands = tuple((float(b["min_pct"]), b["grade"]) for b in scale["bands"])
        same = labels.get(("pct", bands))
        if same:
            lines.append(t["grade_same"].format(label=same))
        else:
            pairs = [
                (None if k == len(bands) - 1 and low == 0 else low, g)
                for k, (low, g) in enumerate(bands)
            ]
            lines.append(t["grade_pct"].format(steps=_steps(pairs, ">=", t)))
    else:
        bands = [(float(b["min_score"]), b["grade"]) for b in scale["bands"]]
        if bands[-1][0] <= LOWEST_TOTAL:
            bands[-1] = (None, bands[-1][1])
        lines.append(t["grade_total"].format(steps=_steps(bands, ">=", t)))
    return "\n".join(lines)


def system_message(doc: dict, lang: str) -> str:
    """The role, the answer's JSON format with the criterion ids, and the rules."""
    t = TEXT[lang]
    name = doc["name"] if lang == "ko" else doc.get("name_en") or doc["name"]
    keys = ", ".join(f'"{c["id"]}": n' for _, c in iter_criteria(doc))
    template = '{"scores": {' + keys + '}, "grade": n, "reasoning": "..."}'
    return "\n".join([t["role"].format(name=name), template, t["rules"]])


# ---------------------------------------------------------------- the fund


def _edges(criterion: dict) -> tuple[list[float], list[float]]:
    """(percentile edges, raw-value edges) that the criterion's scoring compares against."""
    scoring = criterion["scoring"]
    if scoring["method"] == "percentile_bands":
        return [float(b["min_pct"]) for b in scoring["bands"]], []
    if scoring["method"] == "thresholds":
        bounds = [t.get("min", t.get("max")) for t in scoring["thresholds"]]
        return [], [float(b) for b in bounds if b is not None]
    return [], []


def render(
    doc: dict, lang: str, fund: FundInput, units: dict[str, str], rules: str | None = None
) -> tuple[list[dict], dict[str, dict]]:
    """(messages, facts) of one fund; `units` maps an indicator key to '%' or 'ratio'.

    `rules` is `rules_text(doc, lang, units)` (pass it when rendering many funds). facts:
    {key: {"value", "text", "label"}} for every number of the fund shown: `aum`,
    `track_record_months`, `<criterion>` (indicator value as shown, or analyst score),
    `<criterion>_pct` (percentile) and `<criterion>_note_<k>` (numbers in an analyst's note).
    """
    t = TEXT[lang]
    facts: dict[str, dict] = {}

    def fact(key: str, value: float, text: str, label: str) -> str:
        facts[key] = {"value": float(value), "text": text, "label": label}
        return text

    aum = t["unknown"]
    if fund.aum is not None:
        text, number = _amount(fund.aum, fund.currency, lang)
        aum = fact("aum", number, text, t["aum_label"])
    months = t["unknown"]
    if fund.months is not None:
        text = t["months"].format(n=fund.months)
        months = fact("track_record_months", fund.months, text, t["months_label"])
    lines = [
        rules if rules is not None else rules_text(doc, lang, units),
        "",
        t["fund"].format(name=fund.name),
        t["fund_line"].format(
            category=fund.category,
            company=fund.company,
            inception=fund.inception or t["unknown"],
            months=months,
            aum=aum,
            as_of=fund.as_of,
        ),
    ]
    labels = rule_labels(doc, units)
    section_id = None
    for section, criterion in iter_criteria(doc):
        if section["id"] != section_id:
            section_id = section["id"]
            name = criterion_name(section, lang)
            lines.append(t["section"].format(name=name, weight=fmt_number(section["weight"])))
        cid, name = criterion["id"], criterion_name(criterion, lang)
        weight = fmt_number(round(effective_weight(section, criterion), 4))
        got = fund.criteria.get(cid, CriterionInput())
        if criterion["measure"]["type"] == "qualitative":
            if got.score is None:
                lines.append(t["judged_missing"].format(id=cid, name=name, weight=weight))
                continue
            score = fact(cid, got.score, t["score_text"].format(n=got.score), name)
            template = t["judged"] if got.note else t["judged_bare"]
            lines.append(
                template.format(id=cid, name=name, weight=weight, score=score, note=got.note)
            )
            for k, found in enumerate(NUMBER.findall(got.note or ""), start=1):
                value = float(found.replace(",", ""))
                facts[f"{cid}_note_{k}"] = {
                    "value": value,
                    "text": found,
                    "label": t["note_label"].format(name=name),
                }
            continue
        label = labels.get(_rule_key(criterion, units), "")
        if got.value is None:
            lines.append(
                t["indicator_missing"].format(id=cid, name=name, weight=weight, label=label)
            )
            continue
        pct_edges, value_edges = _edges(criterion)
        percent = units.get(criterion["measure"]["indicator"]) == "%"
        number = shown_number(
            got.value, 1 if percent else 2, value_edges, PERCENT if percent else 1
        )
        value = fact(cid, float(number), number + ("%" if percent else ""), name)
        pct = "-"
        if got.pct is not None:
            pct = shown_number(got.pct, 0, pct_edges)
            fact(f"{cid}_pct", float(pct), pct, t["pct_label"].format(name=name))
        template = t["indicator_fallback"] if got.fallback else t["indicator"]
        window = t["window"].get(got.window or "", got.window)
        lines.append(
            template.format(
                id=cid, name=name, weight=weight, label=label, value=value, window=window, pct=pct
            )
        )
    messages = [
        {"role": "system", "content": system_message(doc, lang)},
        {"role": "user", "content": "\n".join(lines)},
    ]
    return messages, facts


def compact_messages(doc: dict, lang: str, facts: dict[str, dict]) -> list[dict]:
    """The tiny model's short prompt from `render`'s facts: the template and one line per criterion.

    An indicator shows as 'sharpe_3y 0.82 백분위 75', a qualitative criterion as 'esg 4점',
    a criterion without input as 'esg -'; every number shown is one of `facts`.
    """
    t = TEXT[lang]
    lines = []
    for _, criterion in iter_criteria(doc):
        cid = criterion["id"]
        fact, pct = facts.get(cid), facts.get(f"{cid}_pct")
        if fact is None:
            lines.append(t["compact_missing"].format(id=cid))
        elif criterion["measure"]["type"] == "qualitative":
            lines.append(f"{cid} {fact['text']}")
        else:
            shown = pct["text"] if pct else "-"
            lines.append(t["compact_indicator"].format(id=cid, value=fact["text"], pct=shown))
    template = system_message(doc, lang).splitlines()[1]
    return [{"role": "system", "content": template}, {"role": "user", "content": "\n".join(lines)}]
