"""The rule-anchored prompt: the written method's proposal and the facts the house's habits act on.

A small model that must learn the whole methodology from examples spends its capacity on what
the written rules already say. The anchored prompt shows it the rules' answer instead, so that
what it learns is when and how the house departs from it (issue: "a learnable task"):

- the proposal: the reference scorer's score of each criterion, its weighted total and the
  category's grade cutoffs, with the grade they give;
- the context: the facts analysts weigh beyond the written rules, shown plainly: track record in
  years, AUM, the 1-year return's category percentile and manager changes in the last 1 and 3
  years (from the manager history; "-" where the store has none).

`proposal_lines` and `context_line` write them in Korean or English and register every number
they show in `facts`, so that a reasoning that cites them is grounded. The full prompt appends
the lines to the fund's table; the compact prompt puts each criterion's rule score at the end of
its line and appends the same two lines in short form.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.methodology import fmt_number

TOTAL_DECIMALS = 2
YEARS_DECIMALS = 1
MONTHS_PER_YEAR = 12

TEXT = {
    "ko": {
        "proposal": "[규칙 제안] 종합점수 {total} → {grade} (유형 등급 기준: {cutoffs})",
        "proposal_short": "규칙 종합 {total} 등급 {grade} 기준 {cutoffs}",
        "no_grade": "등급 없음",
        "grade": "{g}등급",
        "cutoff": "{g}등급 ≥{total}",
        "cutoff_short": "{g}≥{total}",
        "context": "[참고] {items}",
        "context_short": "참고 {items}",
        "track": "운용 {years}년",
        "aum": "순자산 {aum}",
        "ret_1y": "1년 수익률 백분위 {pct}",
        "changes": "매니저 교체 1년 {one}회, 3년 {three}회",
        "changes_short": "교체 1년 {one} 3년 {three}",
        "changes_unknown": "매니저 교체 이력 없음(미상)",
        "changes_unknown_short": "교체 -",
        "score_suffix": " → {score}점",
        "score_suffix_short": " 점수 {score}",
        "total_label": "규칙 종합점수",
        "track_label": "운용기간(년)",
        "ret_1y_label": "1년 수익률 백분위",
        "changes_1y_label": "최근 1년 매니저 교체",
        "changes_3y_label": "최근 3년 매니저 교체",
    },
    "en": {
        "proposal": "[Rules' proposal] total {total} → {grade} (category cutoffs: {cutoffs})",
        "proposal_short": "rules total {total} grade {grade} cutoffs {cutoffs}",
        "no_grade": "no grade",
        "grade": "grade {g}",
        "cutoff": "grade {g} >={total}",
        "cutoff_short": "{g}>={total}",
        "context": "[Context] {items}",
        "context_short": "context {items}",
        "track": "track record {years} years",
        "aum": "AUM {aum}",
        "ret_1y": "1y return percentile {pct}",
        "changes": "manager changes {one} in 1y, {three} in 3y",
        "changes_short": "changes 1y {one} 3y {three}",
        "changes_unknown": "manager changes unknown (no history)",
        "changes_unknown_short": "changes -",
        "score_suffix": " → score {score}",
        "score_suffix_short": " score {score}",
        "total_label": "rules' total",
        "track_label": "track record (years)",
        "ret_1y_label": "1y return percentile",
        "changes_1y_label": "manager changes in 1y",
        "changes_3y_label": "manager changes in 3y",
    },
}


@dataclass
class Proposal:
    """What the written method says about one fund: its criterion scores, total and grade."""

    scores: dict[str, float | None]  # criterion id -> the reference scorer's 1-5 score
    total: float | None
    grade: int | None
    cutoffs: list[list]  # grade_rule cutoffs: [[grade, lowest total or None], ...], 5 first


@dataclass
class Context:
    """The facts the house weighs beyond its written rules (None where unknown)."""

    months: int | None = None
    aum_text: str | None = None  # as the fund line shows it (already one of the facts)
    ret_1y_pct: float | None = None
    changes_1y: int | None = None
    changes_3y: int | None = None


def _fact(facts: dict[str, dict], key: str, value: float, text: str, label: str) -> str:
    facts[key] = {"value": float(value), "text": text, "label": label}
    return text


def _cutoffs(cutoffs: list[list], t: dict, short: bool) -> str:
    """'5등급 ≥4.12, 4등급 ≥3.7, ...' (the lowest grade, which every total reaches, left out)."""
    template = t["cutoff_short"] if short else t["cutoff"]
    shown = [
        template.format(g=g, total=fmt_number(round(float(low), TOTAL_DECIMALS)))
        for g, low in cutoffs
        if low is not None and float(low) <= 5  # an unreachable cutoff names a grade nobody has
    ]
    return (" " if short else ", ").join(shown) or "-"


def proposal_line(lang: str, proposal: Proposal, facts: dict[str, dict], short: bool) -> str:
    """The rules' total, grade and the category's cutoffs; the total is registered in `facts`."""
    t = TEXT[lang]
    total = "-"
    if proposal.total is not None:
        text = f"{proposal.total:.{TOTAL_DECIMALS}f}"
        total = _fact(facts, "rule_total", float(text), text, t["total_label"])
    if short:
        grade = "-" if proposal.grade is None else str(proposal.grade)
        template = t["proposal_short"]
    else:
        grade = t["no_grade"] if proposal.grade is None else t["grade"].format(g=proposal.grade)
        template = t["proposal"]
    return template.format(total=total, grade=grade, cutoffs=_cutoffs(proposal.cutoffs, t, short))


def context_line(lang: str, context: Context, facts: dict[str, dict], short: bool) -> str:
    """Track record in years, AUM, the 1y return's percentile and manager changes."""
    t = TEXT[lang]
    items = []
    if context.months is not None:
        text = f"{context.months / MONTHS_PER_YEAR:.{YEARS_DECIMALS}f}"
        items.append(
            t["track"].format(
                years=_fact(facts, "track_record_years", float(text), text, t["track_label"])
            )
        )
    if context.aum_text is not None:
        items.append(t["aum"].format(aum=context.aum_text))
    if context.ret_1y_pct is not None:
        text = f"{context.ret_1y_pct:.0f}"
        items.append(
            t["ret_1y"].format(pct=_fact(facts, "ret_1y_pct", float(text), text, t["ret_1y_label"]))
        )
    if context.changes_1y is None or context.changes_3y is None:
        items.append(t["changes_unknown_short" if short else "changes_unknown"])
    else:
        one = _fact(
            facts, "manager_changes_1y", context.changes_1y, str(context.changes_1y),
            t["changes_1y_label"],
        )  # fmt: skip
        three = _fact(
            facts, "manager_changes_3y", context.changes_3y, str(context.changes_3y),
            t["changes_3y_label"],
        )  # fmt: skip
        items.append(t["changes_short" if short else "changes"].format(one=one, three=three))
    template = t["context_short"] if short else t["context"]
    return template.format(items=(" " if short else ", ").join(items))


def score_suffix(lang: str, score: float | None, short: bool) -> str:
    """' → 4점' after a criterion's line: the rules' score of it ('' when it has none)."""
    if score is None:
        return ""
    t = TEXT[lang]
    return t["score_suffix_short" if short else "score_suffix"].format(score=fmt_number(score))


def anchor_full(
    messages: list[dict], lang: str, proposal: Proposal, context: Context, facts: dict[str, dict]
) -> list[dict]:
    """The full prompt with the proposal and context lines after the fund's table."""
    lines = [
        proposal_line(lang, proposal, facts, short=False),
        context_line(lang, context, facts, short=False),
    ]
    user = messages[-1] | {"content": messages[-1]["content"] + "\n" + "\n".join(lines)}
    return [*messages[:-1], user]


def anchor_compact(
    messages: list[dict], lang: str, proposal: Proposal, context: Context, facts: dict[str, dict]
) -> list[dict]:
    """The compact prompt (`compact_messages`, one line per criterion in the template's order)
    with each criterion's rule score at the end of its line, then the two short lines."""
    body = messages[-1]["content"].split("\n")
    scored = [
        line + score_suffix(lang, score, short=True)
        for line, score in zip(body, proposal.scores.values(), strict=True)
    ]
    scored += [
        proposal_line(lang, proposal, facts, short=True),
        context_line(lang, context, facts, short=True),
    ]
    return [*messages[:-1], messages[-1] | {"content": "\n".join(scored)}]
