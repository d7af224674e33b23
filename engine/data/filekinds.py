"""The seven kinds of file analysts upload: canonical columns, header synonyms, kind inference.

Analysts' feedback files (`engine.review.feedback`) are read by the same reader with their own
header synonyms, `FEEDBACK_SYNONYMS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SCORE_PREFIX = "score_"
ISO_DATE = "%Y-%m-%d"
# The DuckDB type a CSV column of each value type is read as on the fast path
# (`engine.data.checks`); ids and text are read as text.
READ_TYPES = {
    "date": "DATE",
    "number": "DOUBLE",
    "positive": "DOUBLE",
    "nonneg": "DOUBLE",
    "grade": "DOUBLE",
}


@dataclass(frozen=True)
class Column:
    """One canonical column: its value type and whether a row may leave it empty."""

    name: str
    type: str  # id | text | date | number | positive | nonneg | grade
    required: bool = False


@dataclass(frozen=True)
class FileKind:
    """A kind of upload: its columns, the key that identifies a row, and the target table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    table: str
    label_en: str
    label_ko: str
    score_columns: bool = False  # accepts score_<criterion_id> columns

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def value_type(self, name: str) -> str:
        """The value type of a canonical column; criterion scores are numbers."""
        return "number" if name.startswith(SCORE_PREFIX) else self.column(name).type

    def is_required(self, name: str) -> bool:
        return not name.startswith(SCORE_PREFIX) and self.column(name).required


KINDS: dict[str, FileKind] = {
    kind.name: kind
    for kind in (
        FileKind(
            "funds",
            (
                Column("fund_id", "id", True),
                Column("fund_name", "text", True),
                Column("category", "text"),
                Column("company", "id"),
                Column("manager", "text"),
                Column("inception_date", "date"),
                Column("currency", "text"),
                Column("benchmark_id", "id"),
                Column("expense_ratio", "nonneg"),
                Column("aum", "nonneg"),
            ),
            ("fund_id",),
            "funds",
            "Fund master data",
            "펀드 기본정보",
        ),
        FileKind(
            "nav",
            (
                Column("fund_id", "id", True),
                Column("date", "date", True),
                Column("nav", "positive", True),
            ),
            ("fund_id", "date"),
            "nav",
            "NAV series",
            "기준가격",
        ),
        FileKind(
            "benchmarks",
            (
                Column("benchmark_id", "id", True),
                Column("date", "date", True),
                Column("level", "positive", True),
                Column("benchmark_name", "text"),
            ),
            ("benchmark_id", "date"),
            "benchmark_levels",
            "Benchmark levels",
            "벤치마크 지수",
        ),
        FileKind(
            "risk_free",
            (Column("date", "date", True), Column("rate", "number", True)),
            ("date",),
            "risk_free",
            "Risk-free rate",
            "무위험금리",
        ),
        FileKind(
            "ratings",
            (
                Column("fund_id", "id", True),
                Column("as_of", "date", True),
                Column("grade", "grade", True),
                Column("analyst", "text"),
                Column("comment", "text"),
            ),
            ("fund_id", "as_of"),
            "ratings",
            "Expert ratings",
            "전문가 등급",
            score_columns=True,
        ),
        FileKind(
            "qualitative",
            (
                Column("subject_id", "id", True),
                Column("as_of", "date", True),
                Column("criterion_id", "id", True),
                Column("score", "grade", True),
                Column("note", "text"),
            ),
            ("subject_id", "as_of", "criterion_id"),
            "qualitative",
            "Qualitative assessments",
            "정성평가",
        ),
        FileKind(
            "managers",
            (
                Column("fund_id", "id", True),
                Column("manager", "text", True),
                Column("start_date", "date", True),
            ),
            ("fund_id", "start_date"),
            "manager_history",
            "Manager history",
            "운용역 변경 이력",
        ),
    )
}

# Header spellings per canonical column, compared after `normalise_header`.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fund_id": ("fundid", "fundcode", "펀드코드", "펀드id", "펀드번호"),
    "fund_name": ("fundname", "펀드명", "펀드이름"),
    "category": ("category", "유형", "펀드유형", "분류"),
    "company": ("company", "companyid", "운용사", "운용회사", "자산운용사"),
    "manager": ("manager", "매니저", "운용역", "펀드매니저", "책임운용역"),
    "inception_date": ("inceptiondate", "inception", "설정일", "설정일자"),
    "currency": ("currency", "통화"),
    "benchmark_id": ("benchmarkid", "benchmark", "벤치마크", "지수코드", "벤치마크코드"),
    "benchmark_name": ("benchmarkname", "지수명", "벤치마크명"),
    "expense_ratio": ("expenseratio", "ter", "총보수", "총보수율", "총보수(%)"),
    "aum": ("aum", "순자산", "순자산총액", "순자산액"),
    "date": ("date", "기준일자", "기준일", "일자"),
    "nav": ("nav", "기준가격", "기준가", "수정기준가"),
    "level": ("level", "지수", "지수값"),
    "rate": ("rate", "금리", "무위험금리"),
    "as_of": ("asof", "asofdate", "평가일", "평가일자", "평가기준일"),
    "grade": ("grade", "등급", "평가등급"),
    "analyst": ("analyst", "평가자", "애널리스트", "담당자"),
    "comment": ("comment", "의견", "코멘트", "평가의견"),
    "subject_id": ("subjectid", "subject", "대상코드", "평가대상"),
    "criterion_id": ("criterionid", "criterion", "평가항목", "항목코드", "항목"),
    "score": ("score", "점수", "평가점수"),
    "note": ("note", "비고", "메모", "평가내용"),
    "start_date": ("startdate", "start", "since", "취임일", "취임일자", "시작일", "운용개시일"),
}

# Header spellings of a feedback file's columns (docs/review-format.md section 3).
FEEDBACK_SYNONYMS: dict[str, tuple[str, ...]] = {
    "fund_id": ("fundid", "fund", "펀드코드"),
    "as_of": ("asof", "date", "기준일"),
    "action": ("action", "조치"),
    "grade": ("grade", "등급"),
    "reason": ("reason", "사유"),
    "comment": ("comment", "의견", "코멘트"),
    "weight": ("weight", "가중치"),
    "evaluation_id": ("evaluationid",),
}


def _lookup(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {
        spelling: canonical for canonical, spellings in synonyms.items() for spelling in spellings
    }


_HEADER_LOOKUP = _lookup(SYNONYMS)
_SCORE_HEADER = re.compile(r"^\s*score[\s_]+(?P<criterion>[A-Za-z0-9_]+)\s*$", re.IGNORECASE)
_CRITERION_ID = re.compile(r"[a-z][a-z0-9_]{0,56}")  # score_<id> stays a 63-char SQL name


def normalise_header(header: str) -> str:
    """Lower-case, without spaces, underscores, hyphens, dots or a BOM."""
    return re.sub(r"[\s_\-.\ufeff]+", "", str(header)).lower()


def canonical_name(header: str, synonyms: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The canonical column a header stands for, `score_<criterion>` for scores, else None.

    `synonyms` replaces the upload kinds' table (then there are no score columns).
    """
    lookup = _HEADER_LOOKUP if synonyms is None else _lookup(synonyms)
    score = _SCORE_HEADER.match(str(header)) if synonyms is None else None
    if score:
        criterion = score.group("criterion").lower()
        if _CRITERION_ID.fullmatch(criterion):
            return SCORE_PREFIX + criterion
    found = lookup.get(normalise_header(header))
    if found:
        return found
    stripped = re.sub(r"\(.*?\)", "", str(header))
    return lookup.get(normalise_header(stripped))


@dataclass
class HeaderMap:
    """How a file's headers map to canonical columns."""

    mapping: dict[str, str] = field(default_factory=dict)  # original header -> canonical
    unknown: list[str] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # canonical -> headers

    @property
    def canonical(self) -> set[str]:
        return set(self.mapping.values())


def map_headers(
    headers: list[str], synonyms: dict[str, tuple[str, ...]] | None = None
) -> HeaderMap:
    """Map every header to its canonical column (by `canonical_name`), noting unknown and
    repeated ones."""
    result = HeaderMap()
    seen: dict[str, list[str]] = {}
    for header in headers:
        name = canonical_name(header, synonyms)
        if name is None:
            result.unknown.append(str(header))
            continue
        seen.setdefault(name, []).append(str(header))
        result.mapping[str(header)] = name
    result.duplicates = {name: hs for name, hs in seen.items() if len(hs) > 1}
    return result


def infer_kind(columns: set[str]) -> list[str]:
    """Kinds whose required columns are all present, best match (most columns used) first."""

    def used(kind: FileKind) -> int:
        names = {c.name for c in kind.columns}
        extra = sum(1 for c in columns if kind.score_columns and c.startswith(SCORE_PREFIX))
        return len(columns & names) + extra

    candidates = [k for k in KINDS.values() if set(k.required) <= columns]
    candidates.sort(key=lambda k: (-used(k), -len(k.required)))
    return [k.name for k in candidates]


def describe_kinds() -> str:
    """One line per kind with its required columns (for error messages)."""
    return "; ".join(f"{k.name}: {', '.join(k.required)}" for k in KINDS.values())
