"""Vocabulary and phrase parsers for reading rating methodologies (Korean and English).

Each parser takes a piece of text (a table cell, a sentence) and returns what it recognises or
None: the indicator or qualitative criterion a name refers to, a window, a weight, a section
kind, a percentile or score band, an amount of money. `engine.methodology.extract.pdf` puts them together.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

SECTION_NAMES = {
    "ko": {
        "quantitative": "정량평가",
        "qualitative": "정성평가",
        "company": "운용사평가",
        "esg": "ESG평가",
    },
    "en": {
        "quantitative": "Quantitative",
        "qualitative": "Qualitative",
        "company": "Management company",
        "esg": "ESG",
    },
}
QUALITATIVE_NAMES = {
    "ko": {
        "philosophy_process": "운용철학 및 프로세스",
        "org_stability": "조직안정성",
        "risk_management": "위험관리",
        "esg": "ESG 통합 수준",
        "company_capability": "운용사 역량",
        "company_organisation": "조직 및 인력",
        "company_systems": "운용 시스템",
    },
    "en": {
        "philosophy_process": "Investment philosophy and process",
        "org_stability": "Organisational stability",
        "risk_management": "Risk management",
        "esg": "ESG integration",
        "company_capability": "Firm capability",
        "company_organisation": "Organisation and people",
        "company_systems": "Systems and infrastructure",
    },
}

# Most specific first: the first pattern that matches a name decides.
INDICATOR_PATTERNS: list[tuple[str, str]] = [
    ("mrar", r"mrar|위험\s*조정\s*수익률|risk[\s-]*adjusted\s+return"),
    ("information_ratio", r"정보\s*비율|information\s+ratio"),
    ("sharpe", r"샤프|sharpe"),
    ("sortino", r"소르?티노|sortino"),
    ("calmar", r"칼마|calmar"),
    ("tracking_error", r"추적\s*오차|tracking\s+error"),
    (
        "max_drawdown",
        r"최대\s*(?:낙폭|손실\s*폭?|하락\s*폭)|\bmdd\b|max(?:imum)?\.?\s+drawdown|drawdown",
    ),
    ("up_capture", r"상승(?:장)?\s*(?:참여|포착)|up(?:side|[\s-]*market)?[\s-]*capture"),
    ("down_capture", r"하락(?:장)?\s*(?:참여|포착)|down(?:side|[\s-]*market)?[\s-]*capture"),
    ("alpha", r"젠센|알파|alpha"),
    ("beta", r"베타|\bbeta\b"),
    ("volatility", r"변동성|표준\s*편차|volatility|standard\s+deviation"),
    ("cum_return", r"누적\s*수익률|cumulative\s+return"),
    ("ann_return", r"수익률|\breturns?\b"),
]
QUALITATIVE_PATTERNS: list[tuple[str, str]] = [
    ("org_stability", r"조직\s*안정|안정성|매니저\s*(?:교체|변경)|stability|turnover"),
    ("philosophy_process", r"운용\s*철학|철학|프로세스|philosophy|process"),
    ("risk_management", r"위험\s*관리|리스크\s*관리|risk\s+management|risk\s+control"),
    ("esg", r"esg|지속\s*가능|sustainab"),
    ("company_capability", r"역량|capabilit|competenc"),
    ("company_organisation", r"조직|인력|organi[sz]ation|people|staff"),
    ("company_systems", r"시스템|인프라|system|infrastructure"),
]
SECTION_PATTERNS: list[tuple[str, str]] = [
    ("quantitative", r"정량|quantitative"),
    ("qualitative", r"정성|qualitative"),
    ("esg", r"esg"),
    (
        "company",
        r"운용\s*사|운용\s*회사|management\s+company|asset\s+manager|fund\s+house|\bcompany\b",
    ),
]
TOPIC_PATTERNS: list[tuple[str, str]] = [
    ("scoring", r"점수\s*환산|환산\s*기준|scor(?:e|ing)\b"),
    ("grades", r"등급|\bstars?\b|rating\s+(?:bands?|scale)|\bgrades?\b"),
    ("eligibility", r"평가\s*대상|적용\s*대상|eligib"),
    ("appendix", r"부록|별첨|appendix|annex"),
    (
        "purpose",
        r"목적|purpose|objective|introduction|^\s*(?:[\dⅠ-Ⅻ]+[.)]?\s*)?(?:개요|overview)\s*$",
    ),
]
HEADER_ROLES: list[tuple[str, str]] = [
    ("weight", r"가중치|배점|비중|weight|points"),
    ("window", r"기간|window|period|horizon"),
    ("indicator", r"지표|indicator|measure|metric"),
    ("criterion", r"항목|criteri|factor|item"),
    ("section", r"구분|부문|영역|분류|section|area|pillar|category"),
    ("description", r"내용|비고|설명|description|notes?|remark"),
]
TOTAL_ROW = re.compile(r"^\s*(합\s*계|총\s*계|소\s*계|total|subtotal|sum)\b", re.I)
SUBTOTAL_ROW = re.compile(r"^\s*(소\s*계|subtotal)", re.I)
NUMBER = r"(\d+(?:\.\d+)?)"
PERCENT = re.compile(NUMBER + r"\s*%")
POINTS = re.compile(NUMBER + r"\s*(?:점|points?\b|pts?\b)", re.I)
BULLET = re.compile(r"^\s*(?:[-–•·▪■□○●※*]|\(?\d{1,2}[.)]\s|\(\d{1,2}\)|[가-하][.)]\s)\s*")
GRADE_LABEL = re.compile(
    r"\s*(?:([1-9])\s*등급|([1-9])\s*(?:stars?|성급)|grade\s*([1-9])|(★{1,9}))", re.I
)
SCORE_LABEL = re.compile(r"\s*(?:([1-9])\s*점(?!\s*이상)|score\s*([1-9])|([1-9])\s*points?)", re.I)
BAND_LABEL = re.compile(GRADE_LABEL.pattern + "|" + SCORE_LABEL.pattern, re.I)
EACH_CUE = re.compile(r"각각|각\s|\beach\b|respectively", re.I)
LOWER_CUE = re.compile(
    r"낮을수록|lower\s+(?:value\s+)?is\s+better|lower\s+values?\s+(?:are|is)", re.I
)
SECTION_SHARE_CUE = re.compile(
    r"전체|총점|종합\s*점수|of\s+the\s+total|overall|total\s+score", re.I
)
DEFAULT_WINDOW_CUE = re.compile(
    r"모두|모든|일괄|별도|all\s+(?:quantitative\s+)?(?:indicators|measures|metrics)|unless", re.I
)
TRACK_CUE = re.compile(r"설정|경과|운용\s*기간|track\s+record|since\s+inception|history", re.I)
AUM_CUE = re.compile(r"순자산|설정\s*액|운용\s*규모|수탁고|\baum\b|net\s+assets|fund\s+size", re.I)
CATEGORY_CUE = re.compile(r"(?:유형|categor(?:y|ies))\s*[:：]\s*(.+)$", re.I)
WINDOW = re.compile(
    r"(\d+)\s*개월|(\d+)[\s-]*months?(?![a-z])|(\d+)[\s-]*m(?![a-z])"
    r"|(\d+)\s*년|(\d+)[\s-]*(?:years?|yrs?|y)(?![a-z])",
    re.I,
)
# "5년 이력이 없는 펀드는 3년 …로 평가한다", "funds without 5 years of data are rated on the 3-year …"
FALLBACK_CUE = re.compile(
    r"(?:이력|자료|기록|실적|기간)[이가]?\s*(?:없|부족|미달|짧)|미만|대신|대체"
    r"|without|not\s+available|unavailable|lacking|less\s+than|shorter\s+than|instead"
    r"|in\s+place\s+of",
    re.I,
)
# "평가 항목의 자료가 없는 경우 … 3점(중립)으로 간주하며, … 30%를 넘으면 등급을 부여하지 않는다"
MISSING_CUE = re.compile(
    r"자료가?\s*(?:없|누락|부족)|결측|누락|missing|without\s+data|no\s+data"
    r"|not\s+available|unavailable",
    re.I,
)
MISSING_SCORE = re.compile(
    r"([1-5](?:\.\d+)?)\s*점\s*(?:\(\s*중립\s*\))?\s*으?로\s*(?:간주|처리|부여|평가|본다)"
    r"|(?:scored|scores|(?:a\s+)?score\s+of|receives?)\s+(?:a\s+score\s+of\s+)?([1-5](?:\.\d+)?)\b",
    re.I,
)
NO_GRADE_CUE = re.compile(
    r"등급을?\s*(?:부여|산정|매기)\s*하?지\s*않|등급\s*(?:을\s*)?(?:부여|산정)?\s*(?:에서\s*)?(?:제외|보류|미부여)"
    r"|평가\s*대상에서\s*제외|not\s+(?:be\s+)?(?:rated|graded)|no\s+(?:grade|rating)|unrated"
    r"|excluded\s+from\s+(?:the\s+)?rating",
    re.I,
)
EXCEED_CUE = re.compile(r"넘|초과|more\s+than|exceed|over|above", re.I)


class Mention(NamedTuple):
    """A criterion name found in text: ('indicator', key) or ('qualitative', key), with its span."""

    type: str
    key: str
    start: int
    end: int


def _search(patterns: list[tuple[str, str]], text: str) -> tuple[str, re.Match] | None:
    best = None
    for key, pattern in patterns:
        m = re.search(pattern, text, re.I)
        if m:
            return key, m
    return best


def indicator_of(text: str) -> str | None:
    found = _search(INDICATOR_PATTERNS, text or "")
    return found[0] if found else None


def qualitative_of(text: str) -> str | None:
    found = _search(QUALITATIVE_PATTERNS, text or "")
    return found[0] if found else None


def section_kind(text: str) -> str | None:
    found = _search(SECTION_PATTERNS, text or "")
    return found[0] if found else None


def topic_of(heading: str) -> str | None:
    found = _search(TOPIC_PATTERNS, heading)
    return found[0] if found else None


def header_roles(cells: list[str]) -> dict[str, int]:
    """Which column holds what, from a table's header row (first role pattern a cell matches)."""
    roles: dict[str, int] = {}
    for i, cell in enumerate(cells):
        for role, pattern in HEADER_ROLES:
            if role not in roles and re.search(pattern, cell or "", re.I):
                roles[role] = i
                break
    return roles


def mentions(text: str) -> list[Mention]:
    """Criterion names in a sentence, left to right, not overlapping (indicators before qualitative)."""
    found: list[Mention] = []  # sorted by start; the spans do not overlap
    starts: list[int] = []
    for kind, patterns in (
        ("indicator", INDICATOR_PATTERNS),
        ("qualitative", QUALITATIVE_PATTERNS),
    ):
        for key, pattern in patterns:
            for m in re.finditer(pattern, text, re.I):
                at = bisect.bisect_left(starts, m.start())
                near = found[max(0, at - 1) : at + 1]  # only neighbours can overlap
                if not any(m.start() < f.end and f.start < m.end() for f in near):
                    found.insert(at, Mention(kind, key, m.start(), m.end()))
                    starts.insert(at, m.start())
    return found


def window_of(text: str) -> str | None:
    """'3년', '36개월', '3y', '3-year', '36 months' → '3y' (only 1, 3 and 5 years)."""
    text = text or ""
    m = re.search(r"(\d+)\s*개월|(\d+)[\s-]*months?(?![a-z])|(\d+)[\s-]*m(?![a-z])", text, re.I)
    if m:
        months = int(next(g for g in m.groups() if g))
        return f"{months // 12}y" if months in (12, 36, 60) else None
    m = re.search(r"(\d+)\s*년|(\d+)[\s-]*(?:years?|yrs?|y)(?![a-z])", text, re.I)
    if m:
        years = int(next(g for g in m.groups() if g))
        return f"{years}y" if years in (1, 3, 5) else None
    return None


def windows_in(text: str) -> list[tuple[str, int, int]]:
    """Every 1-, 3- or 5-year window in `text` as (window, start, end), left to right."""
    found = []
    for m in WINDOW.finditer(text or ""):
        number = int(next(g for g in m.groups() if g))
        years = number / 12 if m.group(1) or m.group(2) or m.group(3) else number
        if years in (1, 3, 5):
            found.append((f"{int(years)}y", m.start(), m.end()))
    return found


def fallback_of(text: str) -> tuple[str, str] | None:
    """(window, fallback window) of a sentence that says which window replaces a missing one.

    The sentence names two windows and a cue ('이력이 없는', 'without'); the window nearest the
    cue is the one that may be missing ('5년 이력이 없는 펀드는 3년 …로 평가한다' → ('5y', '3y')).
    """
    cue = FALLBACK_CUE.search(text or "")
    found = windows_in(text)
    if cue is None or len({w for w, _, _ in found}) != 2:
        return None

    def distance(item: tuple[str, int, int]) -> int:
        _, start, end = item
        return max(cue.start() - end, start - cue.end(), 0)

    primary = min(found, key=distance)[0]
    return primary, next(w for w, _, _ in found if w != primary)


def missing_rule_of(text: str) -> dict[str, float | int]:
    """The missing-input rule stated in a sentence: {'score': 3, 'max_weight': 30}, either or none.

    score: what a criterion without data scores ('3점(중립)으로 간주', 'is scored 3');
    max_weight: the % of the weight without data above which a fund gets no grade ('가중치 합이
    30%를 넘으면 등급을 부여하지 않는다', 'more than 30% of the total weight is not rated').
    """
    text = text or ""
    if not MISSING_CUE.search(text):
        return {}
    rule: dict[str, float | int] = {}
    m = MISSING_SCORE.search(text)
    if m:
        rule["score"] = clean_number(float(next(g for g in m.groups() if g)))
    share = PERCENT.search(text)
    if share and NO_GRADE_CUE.search(text) and EXCEED_CUE.search(text):
        rule["max_weight"] = clean_number(float(share.group(1)))
    return rule


def weight_of(text: str) -> tuple[float, bool] | None:
    """A weight in a cell or phrase: (value, is_points). '30%' → (30, False), '18점' → (18, True)."""
    text = text or ""
    m = PERCENT.search(text)
    if m:
        return float(m.group(1)), False
    m = POINTS.search(text)
    if m:
        return float(m.group(1)), True
    m = re.fullmatch(r"\s*" + NUMBER + r"\s*", text)
    return (float(m.group(1)), False) if m else None


def band_phrase(text: str) -> tuple[str, float] | None:
    """A band's rule: ('top', cum%), ('next', share%), ('bottom', 0), ('min', score), ('below', score)."""
    low = text.lower()
    if "%" in low:
        m = re.search(r"상위|top|highest", low)
        if re.search(r"하위|bottom|lowest|나머지|remaining|rest", low):
            return "bottom", 0.0
        if re.search(r"다음|next|following", low):
            return "next", float(PERCENT.search(low).group(1))
        if m:
            after = PERCENT.findall(low[m.end() :])
            if len(after) == 1 and re.search(r"초과|above|beyond", low[m.end() :]):
                return "bottom", 0.0
            if after:
                return "top", max(float(x) for x in after)
        values = [float(x) for x in PERCENT.findall(low)]
        if len(values) > 1:  # "10% 초과 ~ 30% 이하": a range of the cumulative rank
            return "top", max(values)
        return ("next", values[0]) if values else None
    m = re.search(
        NUMBER + r"\s*(?:점)?\s*(이상|이하|미만|or\s+(?:above|more|higher)|and\s+above)", low
    )
    if m:
        return ("below", float(m.group(1))) if m.group(2) == "미만" else ("min", float(m.group(1)))
    m = re.search(r"(?:below|under|less\s+than|<)\s*" + NUMBER, low) or re.search(
        r"(?:≥|>=)\s*" + NUMBER, low
    )
    if m:
        return ("min" if "≥" in m.group(0) or ">=" in m.group(0) else "below"), float(m.group(1))
    return None


def label_of(m: re.Match) -> int:
    value = next(g for g in m.groups() if g)
    return len(value) if value.startswith("★") else int(value)


def krw_amount(text: str) -> float | None:
    """'100억원' → 1e10, '1조 5,000억원' → 1.5e12, 'KRW 10 billion' → 1e10."""
    m = re.search(r"krw\s*" + r"([\d.,]+)\s*(trillion|tn|billion|bn|million|mn)\b", text, re.I)
    if m:
        unit = {"t": 1e12, "b": 1e9, "m": 1e6}[m.group(2)[0].lower()]
        return float(m.group(1).replace(",", "")) * unit
    for m in re.finditer(
        r"(?:([\d,]+)\s*조)?\s*(?:([\d,]+)\s*억)?\s*(?:([\d,]+)\s*만)?\s*원", text
    ):
        if any(m.groups()):
            parts = [float(g.replace(",", "")) if g else 0.0 for g in m.groups()]
            return parts[0] * 1e12 + parts[1] * 1e8 + parts[2] * 1e4
    m = re.search(r"krw\s*([\d,]{5,})", text, re.I)
    return float(m.group(1).replace(",", "")) if m else None


def track_months(text: str) -> int | None:
    m = re.search(r"(\d+)\s*개월|(\d+)\s*months?", text, re.I)
    if m:
        return int(next(g for g in m.groups() if g))
    m = re.search(r"(\d+)\s*년|(\d+)[\s-]*years?", text, re.I)
    return int(next(g for g in m.groups() if g)) * 12 if m else None


def categories_of(text: str) -> list[str] | None:
    m = CATEGORY_CUE.search(text)
    if not m:
        return None
    items = re.split(r"\s*(?:,|·|、|/|\band\b|및)\s*", m.group(1).strip().rstrip("."))
    return [item for item in items if item] or None


def language_of(text: str) -> str:
    hangul = len(re.findall(r"[가-힣]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "ko" if hangul and hangul >= 0.2 * (hangul + latin) else "en"


_INITIALS = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_MEDIALS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l"]
_FINALS += ["m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"]


def romanize(text: str) -> str:
    """Hangul syllables → Revised Romanization letter by letter (no sound-change rules)."""
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            initial = _INITIALS[code // 588].replace("-", "")
            out.append(initial + _MEDIALS[(code % 588) // 28] + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", romanize(text).lower()).strip("-")
    return slug[:60].rstrip("-") or "methodology"


def clean_number(value: float) -> float | int:
    value = round(value, 4)
    return int(value) if value == int(value) else value
