"""A methodology as text: `summary` (the exact rules the training prompts quote) and `blank`.

`summary` states every number the scorer (engine.methodology.scoring) uses: eligibility, the missing-input
rule, each section and criterion with its weight, input, direction and bands, and the grade
scale, in Korean or English. `blank` is a valid one-criterion document to start writing from.
"""

from __future__ import annotations

from typing import Any

from engine.data.metrics import INDICATORS
from engine.methodology.core import (
    DEFAULT_SCORE_BANDS,
    LOWEST_TOTAL,
    direction,
    effective_weight,
    fmt_number,
    iter_criteria,
    missing_rule,
    tidy_number,
)

_TEXT = {
    "en": {
        "head": "Methodology {id}{version}: {name} ({client})",
        "all_clients": "all clients",
        "client": "client {client}",
        "rated": "Rated funds: {rules}.",
        "everyone": "every fund",
        "track": "track record >= {n} months",
        "aum": "AUM >= {aum}",
        "categories": "categories {names}",
        "rule": (
            "Each criterion scores 1-5; section score = sum of criterion weight% x score; "
            "total = sum of section weight% x section score (1-5)."
        ),
        "percentile": (
            "Percentile = rank within the fund's category among rated funds, 0 worst to 100 best "
            "(reversed when lower is better)."
        ),
        "fractions": "Indicator values in % are fractions: 0.12 = 12%.",
        "missing": (
            "Missing input: score {score}, listed; no grade when missing criteria weigh over "
            "{weight}% of the total."
        ),
        "section": "{n}. {name} [{id}] {weight}%",
        "criterion": "- {id} {name}: {weight}% ({effective}% of total); {how}",
        "of_total": "of total",
        "higher_is_better": "higher is better",
        "lower_is_better": "lower is better",
        "fallback": "else {window}",
        "pct": "percentile",
        "value": "value",
        "else": "else",
        "qual_fund": "analyst score 1-5 as is (fund: {criterion})",
        "qual_company": "analyst score 1-5 as is (management company: {criterion})",
        "grade_percentile": "Grade: category percentile of total",
        "grade_thresholds": "Grade: total",
    },
    "ko": {
        "head": "평가방법론 {id}{version}: {name} ({client})",
        "all_clients": "전체 위탁사",
        "client": "위탁사 {client}",
        "rated": "평가대상: {rules}.",
        "everyone": "전체 펀드",
        "track": "운용기간 {n}개월 이상",
        "aum": "순자산 {aum} 이상",
        "categories": "유형 {names}",
        "rule": (
            "항목별 1~5점; 부문점수 = Σ 항목 가중치% x 점수; 종합점수 = Σ 부문 가중치% x 부문점수 (1~5)."
        ),
        "percentile": "백분위 = 평가대상 펀드 중 같은 유형 내 순위, 0 최하 ~ 100 최상 (낮을수록 우수면 반대).",
        "fractions": "% 단위 지표값은 소수로 표기: 0.12 = 12%.",
        "missing": (
            "입력값 없음: {score}점 부여 후 표시; 없는 항목의 가중치 합이 전체의 {weight}%를 넘으면 "
            "등급 없음."
        ),
        "section": "{n}. {name} [{id}] {weight}%",
        "criterion": "- {id} {name}: {weight}% (전체 {effective}%); {how}",
        "higher_is_better": "높을수록 우수",
        "lower_is_better": "낮을수록 우수",
        "fallback": "없으면 {window}",
        "pct": "백분위",
        "value": "값",
        "else": "그 외",
        "qual_fund": "정성평가 점수 1~5 그대로 (펀드: {criterion})",
        "qual_company": "정성평가 점수 1~5 그대로 (운용사: {criterion})",
        "grade_percentile": "등급: 종합점수의 유형 내 백분위",
        "grade_thresholds": "등급: 종합점수",
    },
}


def _name(item: dict, lang: str) -> str:
    first, second = ("name_ko", "name_en") if lang == "ko" else ("name_en", "name_ko")
    return item.get(first) or item.get(second) or item.get("id", "")


def _amount(value: float, lang: str) -> str:
    if lang == "ko" and value >= 1e8 and value % 1e8 == 0:
        return f"{value / 1e8:,.0f}억원"
    return f"{tidy_number(value):,}" + ("원" if lang == "ko" else "")


def _steps(pairs: list[tuple[float | None, Any]], sign: str, last_is_else: bool, t: dict) -> str:
    """'>=90->5, >=67.5->4, else 1' from (bound, result) pairs, best first."""
    parts = []
    for k, (bound, result) in enumerate(pairs):
        if k == len(pairs) - 1 and (bound is None or last_is_else):
            parts.append(f"{t['else']} {result}")
        else:
            parts.append(f"{sign}{fmt_number(bound)}->{result}")
    return ", ".join(parts)


def _how(section: dict, criterion: dict, t: dict) -> str:
    measure, scoring, way = criterion["measure"], criterion["scoring"], direction(criterion)
    if scoring["method"] == "qualitative":
        template = t["qual_company"] if section["kind"] == "company" else t["qual_fund"]
        return template.format(criterion=measure["criterion"])
    source = f"{measure['indicator']} {measure['window']}"
    if measure.get("fallback_window"):
        source += f" ({t['fallback'].format(window=measure['fallback_window'])})"
    if scoring["method"] == "percentile_bands":
        bands = [(b["min_pct"], b["score"]) for b in scoring["bands"]]
        rule = f"{t['pct']} " + _steps(bands, ">=", bands[-1][0] == 0, t)
    else:
        key = "min" if way == "higher_is_better" else "max"
        pairs = [(item.get(key), item["score"]) for item in scoring["thresholds"]]
        rule = f"{t['value']} " + _steps(pairs, ">=" if key == "min" else "<=", False, t)
    return f"{source}, {t[way]}; {rule}"


def summary(doc: dict, lang: str = "ko") -> str:
    """A compact, exact text of a valid methodology (rules, criteria, weights, bands) in ko or en."""
    t = _TEXT["ko" if lang == "ko" else "en"]
    name = doc["name"] if lang == "ko" else doc.get("name_en") or doc["name"]
    version = f" v{doc['version']}" if doc.get("version") else ""
    client = t["client"].format(client=doc["client"]) if doc.get("client") else t["all_clients"]
    lines = [t["head"].format(id=doc["id"], version=version, name=name, client=client)]
    rules = []
    eligibility = doc.get("eligibility") or {}
    if "min_track_record_months" in eligibility:
        rules.append(t["track"].format(n=eligibility["min_track_record_months"]))
    if "min_aum" in eligibility:
        rules.append(t["aum"].format(aum=_amount(eligibility["min_aum"], lang)))
    if eligibility.get("categories"):
        rules.append(t["categories"].format(names=", ".join(eligibility["categories"])))
    lines.append(t["rated"].format(rules="; ".join(rules) or t["everyone"]))
    lines.append(t["rule"])
    uses_percentile = doc["grade_scale"]["method"] == "percentile" or any(
        c["scoring"]["method"] == "percentile_bands" for _, c in iter_criteria(doc)
    )
    if uses_percentile:
        lines.append(t["percentile"])
    if any(
        c["scoring"]["method"] == "thresholds" and INDICATORS[c["measure"]["indicator"]].unit == "%"
        for _, c in iter_criteria(doc)
    ):
        lines.append(t["fractions"])
    score, weight = missing_rule(doc)
    lines.append(t["missing"].format(score=fmt_number(score), weight=fmt_number(weight)))
    for n, section in enumerate(doc["sections"], start=1):
        lines.append(
            t["section"].format(
                n=n,
                name=_name(section, lang),
                id=section["id"],
                weight=fmt_number(section["weight"]),
            )
        )
        for criterion in section["criteria"]:
            lines.append(
                t["criterion"].format(
                    id=criterion["id"],
                    name=_name(criterion, lang),
                    weight=fmt_number(criterion["weight"]),
                    effective=fmt_number(round(effective_weight(section, criterion), 4)),
                    how=_how(section, criterion, t),
                )
            )
    grade_scale = doc["grade_scale"]
    if grade_scale["method"] == "percentile":
        bands = [(b["min_pct"], b["grade"]) for b in grade_scale["bands"]]
        lines.append(f"{t['grade_percentile']} " + _steps(bands, ">=", bands[-1][0] == 0, t))
    else:
        bands = [(b["min_score"], b["grade"]) for b in grade_scale["bands"]]
        last_is_else = bands[-1][0] <= LOWEST_TOTAL
        lines.append(f"{t['grade_thresholds']} " + _steps(bands, ">=", last_is_else, t))
    return "\n".join(lines)


# ---------------------------------------------------------------- blank


def blank(lang: str = "ko") -> dict:
    """A valid minimal methodology to start writing one by hand (one criterion, 100 %)."""
    bands = [{"min_pct": low, "score": score} for low, score in DEFAULT_SCORE_BANDS]
    grades = [{"grade": score, "min_pct": low} for low, score in DEFAULT_SCORE_BANDS]
    doc = {
        "id": "new-methodology",
        "name": "새 평가방법론" if lang == "ko" else "New methodology",
        "language": "ko" if lang == "ko" else "en",
        "client": None,
        "eligibility": {"min_track_record_months": 36},
        "sections": [
            {
                "id": "quantitative",
                "kind": "quantitative",
                "name_ko": "정량평가",
                "name_en": "Quantitative",
                "weight": 100,
                "criteria": [
                    {
                        "id": "sharpe_3y",
                        "name_ko": "샤프지수(3년)",
                        "name_en": "Sharpe ratio (3y)",
                        "weight": 100,
                        "measure": {"type": "indicator", "indicator": "sharpe", "window": "3y"},
                        "direction": "higher_is_better",
                        "scoring": {"method": "percentile_bands", "bands": bands},
                    }
                ],
            }
        ],
        "grade_scale": {"method": "percentile", "bands": grades},
    }
    if lang == "ko":
        doc["name_en"] = "New methodology"
    return doc
