"""Assemble a methodology draft from the text lines and tables of a PDF, in reading order.

Headings set the topic (purpose, eligibility, a section, score conversion, grades, appendix).
Criteria come from criteria tables (a header with a weight column and a criterion or indicator
column) or, when the document has none, from sentences inside a section that name a criterion
and a weight. Weights given as points of the total (배점 12점) are turned into shares of the
section. Bands are read from table rows or bullets that start with a grade or score label.
The purpose paragraph is the description; sentences that give a window in place of a
missing one ("5년 이력이 없는 펀드는 3년 소티노비율로 평가한다") set a criterion's fallback window,
and the rule for missing inputs ("자료가 없는 경우 3점(중립)으로 간주하며, … 30%를 넘으면 등급을
부여하지 않는다") is read from its sentence. Every value keeps the page and text it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from engine.methodology.extract import rules
from engine.methodology.extract.build import INFERRED, PROSE, TABLE, Src, assemble

NUMBERING = re.compile(r"^\s*(?:제?\s*\d+(?:\.\d+)*\s*[.)장절]?|[IVX]+\.|[Ⅰ-Ⅻ]+\.?|[가-하]\.)\s*")
NAME_END = re.compile(
    r"\s*\(?\s*\d+(?:\.\d+)?\s*%|\s*[:,;]|(?:은|는|의|와|과|을|를)\s|\s+(?:is|are|accounts|carries|has)\b"
)
NAME_START = (",", ":", ";", " of ", " and ", "중 ", "은 ", "는 ", "와 ", "과 ", " 및 ")
SECTION_ROW = re.compile(r"평가|부문|영역|section|assessment|\(\s*\d", re.I)
SENTENCE_END = re.compile(r"(?:다\.|[.:;])\s*$")


@dataclass
class Block:
    """A text line or a table (rows, with the page of each row) at a vertical position."""

    kind: str
    page: int
    top: float
    text: str = ""
    heading: bool = False
    size: float = 0.0
    rows: list[list[str | None]] = field(default_factory=list)
    row_pages: list[int] = field(default_factory=list)
    x0: float = 0.0
    bottom: float = 0.0


@dataclass
class _Criterion:
    measure: dict
    src: dict[str, Src] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.src[key].value if key in self.src else None


@dataclass
class _Section:
    kind: str
    src: dict[str, Src] = field(default_factory=dict)
    criteria: list[_Criterion] = field(default_factory=list)

    def get(self, key: str) -> Any:
        return self.src[key].value if key in self.src else None


@dataclass
class _Unit:
    page: int
    text: str
    topic: str | None
    section: _Section | None
    x0: float
    bottom: float


class Built(NamedTuple):
    draft: dict
    fields: list[tuple]
    missing: list[str]
    warnings: list[str]
    grade_labels: dict[int, str]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=\.)\s+", rules.BULLET.sub("", text, count=1)) if s.strip()]


class DraftBuilder:
    def __init__(self, language: str) -> None:
        self.lang = language
        self.sections: dict[str, _Section] = {}
        self.topic: str | None = None
        self.current: _Section | None = None
        self.units: list[_Unit] = []
        self.table_criteria = 0
        # band rows (grades, scoring), lower-is-better mentions, eligibility rules, windows
        # stated once for all indicators, fallback windows, missing-input rules
        self.found: dict[str, list[tuple]] = {
            k: []
            for k in ("grades", "scoring", "lower", "eligibility", "window", "fallback", "missing")
        }
        self.description: Src | None = None
        self.warnings: list[str] = []

    # -- reading -----------------------------------------------------------------------------
    def feed(self, blocks: list[Block], tick: Callable[[str], None] | None = None) -> None:
        """Read `blocks` in order; `tick(where)` is called before each (a deadline's check)."""
        for block in blocks:
            if tick:
                tick("while reading the text")
            if block.kind == "table":
                self.on_table(block)
            elif block.heading:
                self.on_heading(block)
            else:
                self.on_line(block)
        for unit in self.units:  # prose criteria only when the document has no criteria table
            if tick:
                tick("while reading the sentences")
            self.read_unit(unit, criteria=not self.table_criteria)
        defaults = {kind: (w, page, text) for kind, w, page, text in self.found["window"]}
        for s in self.sections.values():
            default = defaults.get(s.kind) or defaults.get(None)
            for c in s.criteria:
                if default and c.measure["type"] == "indicator" and "window" not in c.src:
                    c.src["window"] = Src(*default, INFERRED + 0.1)
        for entry in self.found["fallback"]:
            self.fallback(*entry)
        purpose = [u for u in self.units if u.topic == "purpose" and u.text.strip()]
        if purpose:
            text = " ".join(u.text.strip() for u in purpose)
            self.description = Src(text, purpose[0].page, text, PROSE)

    def section(self, kind: str, name: str, page: int) -> _Section:
        if kind not in self.sections:
            name = re.sub(
                r"\s*\([^)]*\)\s*$", "", NUMBERING.sub("", name.replace("\n", " "))
            ).strip()
            self.sections[kind] = _Section(kind, {"name": Src(name, page, name, TABLE)})
        return self.sections[kind]

    def set_weight(self, owner: Any, text: str, page: int, confidence: float) -> None:
        found = rules.weight_of(text)
        if found and "weight" not in owner.src:
            owner.src["weight"] = Src(found[0], page, text.replace("\n", " "), confidence)

    def on_heading(self, block: Block) -> None:
        topic = rules.topic_of(block.text)
        kind = None if topic else rules.section_kind(block.text)
        self.topic, self.current = (topic or ("section" if kind else "other")), None
        if kind:
            self.current = self.section(kind, block.text, block.page)
            paren = re.search(r"\(([^)]*)\)\s*$", block.text)
            if paren:
                self.set_weight(self.current, paren.group(0), block.page, TABLE)

    def on_line(self, block: Block) -> None:
        last = self.units[-1] if self.units else None
        joins = (
            last is not None
            and last.topic == self.topic
            and last.section is self.current
            and not rules.BULLET.match(block.text)
            and not SENTENCE_END.search(last.text)
            and block.x0 >= last.x0 - 2
            and not (self.topic in ("grades", "scoring") and rules.BAND_LABEL.search(block.text))
            and (block.page != last.page or block.top - last.bottom < block.size * 1.2)
        )
        if joins:
            last.text += " " + block.text
            last.bottom = block.bottom
        else:
            self.units.append(
                _Unit(block.page, block.text, self.topic, self.current, block.x0, block.bottom)
            )

    def on_table(self, block: Block) -> None:
        self.units.append(_Unit(block.page, "", None, None, 0.0, 0.0))  # ends the paragraph
        header = [c or "" for c in block.rows[0]]
        roles = rules.header_roles(header)
        if "weight" in roles and ("criterion" in roles or "indicator" in roles):
            self.criteria_table(block, roles)
            return
        joined = " ".join(header)
        topic = self.topic
        if re.search(r"점수|score", joined, re.I):
            topic = "scoring"
        elif re.search(r"등급|rating|grade|star", joined, re.I):
            topic = "grades"
        for row, page in zip(block.rows, block.row_pages, strict=True):
            self.band_row(" | ".join(c for c in row if c), page, topic, TABLE)

    def criteria_table(self, block: Block, roles: dict[str, int]) -> None:
        section = self.current
        for row, page in zip(block.rows[1:], block.row_pages[1:], strict=True):

            def cell(role: str, row: list = row) -> str:
                i = roles.get(role)
                return (row[i] or "") if i is not None and i < len(row) else ""

            first = next((c for c in row if c), "")
            if rules.TOTAL_ROW.match(first):
                if rules.SUBTOTAL_ROW.match(first) and section is not None:
                    self.set_weight(section, cell("weight"), page, TABLE)
                continue
            filled = [c for c in row if c]
            heading = filled[0] if len(filled) == 1 and SECTION_ROW.search(filled[0]) else ""
            if cell("section") or heading:  # a 구분 cell, or a row that only names a section
                kind = rules.section_kind(cell("section") or heading)
                if kind:
                    section = self.section(kind, cell("section") or heading, page)
                    if re.search(r"\d", cell("section") or heading):
                        self.set_weight(section, cell("section") or heading, page, TABLE)
                if heading:
                    continue
            label = cell("criterion") or cell("indicator")
            if not label.strip():
                continue
            measure = self.measure(label, cell("indicator"))
            if measure is None:
                self.warnings.append(
                    f"page {page}: no indicator or criterion recognised in '{label}'"
                )
                continue
            if section is None:
                kind = "quantitative" if measure["type"] == "indicator" else "qualitative"
                section = self.section(kind, rules.SECTION_NAMES[self.lang][kind], page)
                self.warnings.append(f"page {page}: '{label}' has no section; put under {kind}")
            src_text = " | ".join((c or "").replace("\n", " ") for c in row)
            crit = self.add_criterion(section, measure, label, page, src_text, TABLE)
            window = rules.window_of(cell("window")) or rules.window_of(label)
            if measure["type"] == "indicator" and window:
                crit.src["window"] = Src(window, page, src_text, TABLE)
            elif measure["type"] == "indicator" and re.search(r"\d", cell("window")):
                self.warnings.append(
                    f"page {page}: window '{cell('window')}' of '{label}' is not 1, 3 or 5 years"
                )
            self.set_weight(crit, cell("weight"), page, TABLE)
            self.table_criteria += 1

    def measure(self, label: str, indicator_cell: str = "") -> dict | None:
        indicator = rules.indicator_of(indicator_cell)
        qualitative = rules.qualitative_of(label)
        indicator = indicator or (None if qualitative else rules.indicator_of(label))
        if indicator:
            return {"type": "indicator", "indicator": indicator}
        qualitative = qualitative or rules.qualitative_of(indicator_cell)
        return {"type": "qualitative", "criterion": qualitative} if qualitative else None

    def add_criterion(
        self, section: _Section, measure: dict, name: str, page: int, text: str, conf: float
    ) -> _Criterion:
        crit = _Criterion(measure)
        crit.src["name"] = Src(name.replace("\n", " ").strip(), page, text, conf)
        crit.src["measure"] = Src(measure, page, text, conf)
        section.criteria.append(crit)
        return crit

    def band_row(self, text: str, page: int, topic: str | None, conf: float) -> None:
        """A grade band ('1등급 | 상위 10% 이내', '5 stars: top 10%') or, under a score-conversion
        heading or header, a score band ('5점 | 상위 10%'). A grade label may stand anywhere
        when it is the only one ('상위 10% 이내: 1등급'); a score label must lead."""
        m = rules.GRADE_LABEL.match(text)
        if m is None:
            found = list(rules.GRADE_LABEL.finditer(text))
            m = found[0] if len({rules.label_of(f) for f in found}) == 1 else None
        kind = "grades"
        if m is None and topic == "scoring":
            m, kind = rules.SCORE_LABEL.match(text), "scoring"
        if m is None:
            return
        phrase = rules.band_phrase(text[: m.start()] + " " + text[m.end() :])
        if phrase:
            label = m.group(0).strip()
            self.found[kind].append((rules.label_of(m), label, phrase, page, text, conf))

    # -- prose ---------------------------------------------------------------------------------
    def read_unit(self, unit: _Unit, criteria: bool) -> None:
        if not unit.text:
            return
        if unit.topic in ("grades", "scoring"):
            self.band_row(rules.BULLET.sub("", unit.text, count=1), unit.page, unit.topic, PROSE)
        for sentence in _sentences(unit.text):
            if unit.topic != "appendix" and self.rules_for_missing_data(sentence, unit.page):
                continue
            self.eligibility(sentence, unit)
            window = rules.window_of(sentence)
            if window and rules.DEFAULT_WINDOW_CUE.search(sentence) and unit.topic != "appendix":
                if not rules.PERCENT.search(sentence):  # "정량 지표는 모두 3년 기준으로 산출한다"
                    kind = unit.section.kind if unit.section else None
                    self.found["window"].append((kind, window, unit.page, sentence))
                    continue
            if rules.LOWER_CUE.search(sentence):
                self.lower_is_better(sentence, unit.page)
            elif rules.SECTION_SHARE_CUE.search(sentence) and rules.section_kind(sentence):
                section = self.sections.get(rules.section_kind(sentence) or "") or unit.section
                share = rules.PERCENT.search(sentence)
                if section is not None and share:
                    self.set_weight(section, sentence, unit.page, PROSE)
                    rest = sentence[share.end() :]  # "…20%이며, 운용 프로세스와 … 50%씩 반영한다"
                    if criteria and unit.section is not None and rules.PERCENT.search(rest):
                        self.prose_criteria(rest, unit, sentence)
            elif criteria and unit.section is not None:
                self.prose_criteria(sentence, unit)

    def prose_criteria(self, sentence: str, unit: _Unit, source: str | None = None) -> None:
        """Criteria named in a sentence, each with the weight that follows it; `source` is the
        whole sentence when `sentence` is the part of it after a section's share."""
        source = source or sentence
        if re.search(r"상위|하위|\btop\b|\bbottom\b", sentence, re.I):
            return
        weights = [(m.start(), m.group(0)) for m in rules.PERCENT.finditer(sentence)]
        if re.search(r"배점|points?\b", sentence, re.I):
            weights += [(m.start(), m.group(0)) for m in rules.POINTS.finditer(sentence)]
        found = []
        for mention in rules.mentions(sentence):
            last = found[-1] if found else None
            if (
                last
                and last.key == mention.key
                and not any(last.end <= p < mention.start for p, _ in weights)
            ):
                between = sentence[last.end : mention.start]
                cut = any(d in between for d in (",", ":", ";", "은 ", "는 ", "중 "))
                found[-1] = mention if cut else last._replace(end=mention.end)
            else:
                found.append(mention)
        for i, mention in enumerate(found):
            end = found[i + 1].start if i + 1 < len(found) else len(sentence)
            weight = next(((p, w) for p, w in sorted(weights) if mention.end <= p < end), None)
            if weight is None and rules.EACH_CUE.search(sentence):  # "A와 B를 각각 50%씩"
                weight = next(((p, w) for p, w in sorted(weights) if mention.end <= p), None)
            if weight is None:
                continue
            cuts = [sentence.rfind(d, 0, mention.start) for d in NAME_START]
            left = max(
                [0] + [at + len(d) for at, d in zip(cuts, NAME_START, strict=True) if at >= 0]
            )
            stop = NAME_END.search(sentence, mention.end)
            name = sentence[max(left, 0) : stop.start() if stop else weight[0]].strip()
            measure = (
                {"type": "indicator", "indicator": mention.key}
                if mention.type == "indicator"
                else {"type": "qualitative", "criterion": mention.key}
            )
            crit = self.add_criterion(unit.section, measure, name, unit.page, source, PROSE)
            window = rules.window_of(sentence[mention.start : weight[0]]) or rules.window_of(name)
            if measure["type"] == "indicator" and window:
                crit.src["window"] = Src(window, unit.page, source, PROSE)
            self.set_weight(crit, weight[1], unit.page, PROSE)
            crit.src["weight"] = crit.src["weight"]._replace(text=source)

    def rules_for_missing_data(self, sentence: str, page: int) -> bool:
        """A fallback window ('5년 이력이 없는 펀드는 3년 소티노비율로 평가한다') or the
        missing-input rule; True when the sentence was one of them."""
        windows = rules.fallback_of(sentence)
        keys = [m.key for m in rules.mentions(sentence) if m.type == "indicator"]
        if windows and keys:
            self.found["fallback"].append((keys, *windows, page, sentence))
            return True
        rule = rules.missing_rule_of(sentence)
        for key, value in rule.items():
            self.found["missing"].append((key, value, page, sentence, PROSE))
        return bool(rule)

    def fallback(self, keys: list[str], window: str, other: str, page: int, text: str) -> None:
        """Give the criteria of the indicators named their fallback window: those in `window`
        fall back to `other` (or, when none is in `window`, those in `other` to `window`)."""
        criteria = [
            c
            for s in self.sections.values()
            for c in s.criteria
            if c.measure["type"] == "indicator" and c.measure["indicator"] in keys
        ]
        for primary, fallback in ((window, other), (other, window)):
            hits = [c for c in criteria if c.get("window") == primary]
            if hits:
                for c in hits:
                    c.src["fallback_window"] = Src(fallback, page, text, PROSE)
                return
        self.warnings.append(f"page {page}: '{text}' names no criterion of the document")

    def lower_is_better(self, sentence: str, page: int) -> None:
        cue = rules.LOWER_CUE.search(sentence)
        tail = sentence[cue.end() :] if cue else sentence
        found = rules.mentions(tail)
        for i, mention in enumerate(found):
            end = found[i + 1].start if i + 1 < len(found) else len(tail)
            key = (mention.key, rules.window_of(tail[mention.start : end]))
            self.found["lower"].append((key, page, sentence))

    def eligibility(self, sentence: str, unit: _Unit) -> None:
        if unit.topic == "appendix":
            return
        weak = PROSE if unit.topic == "eligibility" else INFERRED
        elig = self.found["eligibility"]
        if rules.TRACK_CUE.search(sentence) and (months := rules.track_months(sentence)):
            elig.append(("min_track_record_months", months, unit.page, sentence, weak))
        if rules.AUM_CUE.search(sentence) and (amount := rules.krw_amount(sentence)):
            elig.append(("min_aum", rules.clean_number(amount), unit.page, sentence, weak))
        if unit.topic == "eligibility" and (cats := rules.categories_of(sentence)):
            elig.append(("categories", cats, unit.page, sentence, weak))

    # -- building ------------------------------------------------------------------------------
    def build(self, title: str | None, name_en: str | None, title_block: Block | None) -> Built:
        return Built(*assemble(self, title, name_en, title_block))
