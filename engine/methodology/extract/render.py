"""Render a methodology JSON as a realistic rating-methodology PDF (Korean or English).

The PDF is what a rating house circulates: a title page, a header (company, document title) and
a footer (page number "- 3 -", "대외비") on every page, prose sections for purpose (the
document's description) and eligibility, the criteria and their weights, the score conversion
of the quantitative indicators and the grade bands. Grades are printed in the document's own
convention: a Korean document says "1등급" for the best grade (our internal grade 5), an English
one "5 stars". What a criteria table has no column for is stated in sentences, as a house
would: a fallback window ("5년 이력이 없는 펀드는 3년 소티노비율로 평가한다") and the rule for
missing inputs ("평가 항목의 자료가 없는 경우 해당 항목은 3점(중립)으로 간주하며, 자료가 없는
항목의 가중치 합이 30%를 넘으면 등급을 부여하지 않는다"). Names are printed in the document's
language only.

Layouts, so that extraction is tested on documents it was not tailored to:
  table     one big criteria table, section weights in a row-spanning 구분 cell
  sections  one table per section, weights as points of the total (배점 12점), subtotal rows
  prose     no criteria table: weights only in sentences ("…은 30%의 비중으로 반영한다")
  long      one long table with a description column, overall weights, placed so that it
            continues over a page break with a repeated header
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from engine.data.metrics import INDICATORS
from engine.methodology.extract.rules import QUALITATIVE_NAMES, SECTION_NAMES

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONTS = {"": FONT_DIR / "NanumGothic.ttf", "B": FONT_DIR / "NanumGothicBold.ttf"}
LAYOUTS = ("table", "sections", "prose", "long")
# A window in a criterion name ("5년", "(36개월)", "5-year", "(5y)"), dropped when the name is
# used with another window.
WINDOW_WORDS = (
    r"\(\s*\d+\s*(?:년|개월|y|years?|months?)\s*\)"
    r"|\b\d+[\s-]*(?:years?|yr|y)\b|\d+\s*(?:년|개월)"
)
KEEP_TOGETHER = 3  # paragraphs of up to this many lines are kept on one page
COMPANY = {"ko": "가온펀드평가(주)", "en": "Gaon Fund Ratings Co., Ltd."}
T = {
    "ko": {
        "h": [
            "1. 목적",
            "2. 평가 대상",
            "3. 평가 체계 및 가중치",
            "4. 정량지표 점수 환산",
            "5. 등급 부여 기준",
            "6. 기타",
        ],
        "purpose": "본 방법론은 {company}가 공모펀드를 대상으로 수행하는 펀드평가의 기준과 절차를 정한다. "
        "평가는 동일 유형 내 상대 비교를 원칙으로 하며, 각 부문의 점수를 가중 합산한 종합점수에 따라 등급을 부여한다.",
        "track": "설정 후 {y}년({m}개월) 이상 경과한 펀드",
        "track_m": "설정 후 {m}개월 이상 경과한 펀드",
        "aum": "평가 기준일 현재 순자산 {aum} 이상인 펀드",
        "cats": "평가 대상 유형: {cats}",
        "feeder": "다만, 모자형 구조의 자펀드는 모펀드의 운용 성과를 기준으로 평가한다.",
        "overview": "평가는 {n}개 부문으로 구성되며, 부문별 점수를 아래 가중치로 합산하여 종합점수를 산출한다.",
        "cols": ["구분", "평가항목", "지표", "기간", "가중치"],
        "sec_cols": ["평가항목", "지표", "기간", "배점"],
        "desc": "평가내용",
        "analyst": "애널리스트 평가",
        "subtotal": "소계",
        "total": "합계",
        "sec_share": "{name}{j} 전체 평가의 {w}%를 차지한다.",
        "listed": "{name}{j} {items}의 항목으로 구성된다.",
        "prose": [
            "{n}{j} {w}%의 비중으로 반영한다.",
            "{n}의 가중치는 {w}%이다.",
            "{n}: 부문 내 비중 {w}%",
        ],
        "scoring": "정량 지표는 평가 대상 유형 내 백분위 순위에 따라 다음과 같이 1~5점으로 환산한다.",
        "score_cols": ["점수", "유형 내 백분위 기준"],
        "lower": "다음 지표는 값이 낮을수록 우수한 것으로 보아 순위를 역으로 적용한다: {names}.",
        "qual": "정성 항목은 담당 애널리스트가 평가위원회 심의를 거쳐 1~5점으로 평가한다.",
        "fallback": "{y}년 이력이 없는 펀드는 {fy}년 {n}{ro} 평가한다.",
        "missing_score": "평가 항목의 자료가 없는 경우 해당 항목은 {s}점{neutral}으로 간주{end}",
        "missing_weight": "자료가 없는 항목의 가중치 합이 {w}%를 넘으면 등급을 부여하지 않는다.",
        "missing_ends": ("하며,", "한다."),
        "neutral": "(중립)",
        "grade_pct": "종합점수의 유형 내 백분위에 따라 다음과 같이 등급을 부여하며, 1등급이 가장 우수한 등급이다.",
        "grade_thr": "종합점수에 따라 다음과 같이 등급을 부여하며, 1등급이 가장 우수한 등급이다.",
        "grade_cols": ["등급", "기준"],
        "share_cols": ["등급", "비율", "누적 기준"],
        "other": "평가는 매 분기 말을 기준으로 실시하며, 결과는 익월 15일까지 공시한다. "
        "평가 기준의 변경은 평가위원회의 승인을 거쳐 시행한다.",
        "version": "제정 2019. 3. / 개정 2024. 1. (버전 {v})",
    },
    "en": {
        "h": [
            "1. Purpose",
            "2. Eligibility",
            "3. Assessment structure and weights",
            "4. Scoring of quantitative indicators",
            "5. Star rating bands",
            "6. Other provisions",
        ],
        "purpose": "This methodology sets out how {company} rates publicly offered funds. Funds are "
        "compared with their category peers, and the weighted total of the section scores determines the rating.",
        "track": "Funds with a track record of at least {y} years ({m} months) since inception",
        "track_m": "Funds with a track record of at least {m} months since inception",
        "aum": "Funds with net assets of at least {aum} on the rating date",
        "cats": "Eligible categories: {cats}",
        "feeder": "Feeder funds are rated on the performance of their master fund.",
        "overview": "The assessment has {n} sections; section scores are combined with the weights below.",
        "cols": ["Section", "Criterion", "Indicator", "Window", "Weight"],
        "sec_cols": ["Criterion", "Indicator", "Window", "Points"],
        "desc": "Description",
        "analyst": "Analyst assessment",
        "subtotal": "Subtotal",
        "total": "Total",
        "sec_share": "The {name} section accounts for {w}% of the total score.",
        "listed": "{name} criteria: {items}.",
        "prose": [
            "{n} is weighted at {w}% of the section.",
            "The weight of {n} is {w}%.",
            "{n}: weight {w}% within the section",
        ],
        "scoring": "Each quantitative indicator is converted to a score of 1 to 5 from its percentile rank in the category.",
        "score_cols": ["Score", "Percentile rank in category"],
        "lower": "For the following indicators a lower value is better and the ranking is reversed: {names}.",
        "qual": "Qualitative criteria are scored 1 to 5 by the analyst and reviewed by the rating committee.",
        "fallback": "Funds without {y} of data are rated on the {fy}-year {n}.",
        "missing_score": "A criterion without data is scored {s}{neutral}{end}",
        "missing_weight": "A fund whose criteria without data carry more than {w}% of the total "
        "weight is not rated.",
        "missing_ends": (";", "."),
        "neutral": " (neutral)",
        "grade_pct": "Funds receive 1 to 5 stars from the category percentile of their weighted score; 5 stars is the highest rating.",
        "grade_thr": "Stars are assigned from the weighted total score as follows; 5 stars is the highest rating.",
        "grade_cols": ["Rating", "Criterion"],
        "share_cols": ["Rating", "Share", "Cumulative"],
        "other": "Ratings are produced as of each quarter end and published by the 15th of the following month. "
        "Changes to this methodology require the approval of the rating committee.",
        "version": "First issued March 2019, revised January 2024 (version {v})",
    },
}
LONG_INTRO = {
    "ko": [
        "각 평가항목의 배점은 아래 표의 가중치(전체 대비 비율)에 따른다. 정량 항목은 평가 기준일 현재 동일 유형 "
        "펀드와 비교한 백분위 순위로, 정성 항목은 담당 애널리스트의 실사 결과로 평가한다.",
        "정량 지표의 산출에 필요한 기준가격, 비교지수 및 무위험수익률 자료는 평가 기준일 이후 영업일 기준 "
        "5일 이내에 확정된 자료를 사용한다. 자료 오류가 확인된 경우 수정된 자료로 다시 산출한다.",
        "정성 평가는 운용사 방문 실사와 서면 질의를 병행하며, 실사 결과는 평가위원회의 심의를 거쳐 확정한다. "
        "실사 주기는 연 1회를 원칙으로 하되, 운용 인력이나 조직에 중대한 변경이 있는 경우 수시로 실시한다.",
        "평가 결과에 대한 이의 신청은 공시일로부터 10영업일 이내에 서면으로 접수하며, 평가위원회는 접수일로부터 "
        "20영업일 이내에 재심의 결과를 통보한다.",
    ],
    "en": [
        "Each criterion counts with the weight in the table below, as a share of the total. Quantitative "
        "criteria are ranked against category peers on the rating date; qualitative criteria are assessed by "
        "the analyst after due diligence.",
        "Net asset values, benchmark levels and risk-free rates are taken as confirmed within five business days "
        "after the rating date. Where data errors come to light, the indicators are recomputed.",
        "Qualitative assessment combines on-site visits with written questionnaires and is confirmed by the "
        "rating committee. Visits take place once a year, and additionally after material changes to the team.",
        "Appeals against a rating are accepted in writing within ten business days of publication; the committee "
        "answers within twenty business days.",
    ],
}
LONG_DESC = {
    "ko": {
        "indicator": "{n}의 유형 내 백분위 순위를 산출하여 점수 환산 기준에 따라 1~5점을 부여한다.",
        "qualitative": "{n}에 대하여 실사 및 서면 질의 결과를 바탕으로 애널리스트가 1~5점으로 평가한다.",
    },
    "en": {
        "indicator": "{n} is ranked within the category and converted to a 1-5 score as in section 4.",
        "qualitative": "{n} is scored 1-5 by the analyst from due diligence and questionnaires.",
    },
}
APPENDIX = {
    "ko": [
        "부록 {k}. 참고 사항",
        "지표 산출에는 평가 기준일 이전 해당 기간의 일별 기준가격을 사용하며, 분배금은 재투자된 것으로 본다. "
        "무위험수익률은 CD 91일물 금리를 사용하고, 비교지수는 유형별로 정한 지수를 사용한다. "
        "자료가 누락된 영업일은 직전 영업일의 기준가격을 사용하며, 누락 비율이 5%를 넘으면 해당 기간의 지표를 산출하지 않는다.",
        "평가위원회는 위원장을 포함한 5인 이상으로 구성하며, 재적 위원 과반수의 출석과 출석 위원 과반수의 찬성으로 의결한다. "
        "이해상충의 우려가 있는 위원은 해당 안건의 심의에서 제외된다. 위원회의 심의 결과는 기록으로 남기고 5년간 보관한다.",
    ],
    "en": [
        "Appendix {k}. Notes",
        "Indicators use the daily net asset values over the window ending on the rating date, with distributions "
        "reinvested. The risk-free rate is the 91-day CD rate and each category has its own benchmark index. "
        "Missing business days take the previous day's value; a window with more than 5% missing days is not computed.",
        "The rating committee has at least five members including the chair and decides by a majority of the members "
        "present. Members with a conflict of interest do not take part in the discussion. Minutes are kept for five years.",
    ],
}


def _num(x: float) -> str:
    return f"{round(float(x), 4):g}"


def _josa(word: str) -> str:
    hangul = [c for c in word if "가" <= c <= "힣"]
    if not hangul:
        return "는"
    return "은" if (ord(hangul[-1]) - 0xAC00) % 28 else "는"


def _ro(word: str) -> str:
    """The particle 로/으로 after a word: 으로 after a final consonant other than ㄹ."""
    hangul = [c for c in word if "가" <= c <= "힣"]
    final = (ord(hangul[-1]) - 0xAC00) % 28 if hangul else 0
    return "으로" if final and final != 8 else "로"


def _krw(value: float, lang: str) -> str:
    v = int(value)
    if lang == "en":
        for unit, size in (("trillion", 10**12), ("billion", 10**9), ("million", 10**6)):
            if v >= size:
                return f"KRW {_num(v / size)} {unit}"
        return f"KRW {v:,}"
    if v % 10**8:
        return f"{v:,}원"
    jo, eok = divmod(v // 10**8, 10**4)
    return " ".join(p for p in (f"{jo}조" if jo else "", f"{eok:,}억" if eok else "") if p) + "원"


def _window(window: str | None, lang: str, months: bool = False) -> str:
    if not window:
        return "-"
    years = int(window.rstrip("y"))
    if lang == "ko":
        return f"{years * 12}개월" if months else f"{years}년"
    return f"{years * 12} months" if months else f"{years}y"


def _fonts() -> tuple[tuple[str, Path], ...]:
    """The Korean fonts by style; FileNotFoundError names the one that is not installed."""
    for path in FONTS.values():
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found: install it with `apt-get install -y fonts-nanum`"
            )
    return tuple(FONTS.items())


class _Doc(FPDF):
    def __init__(
        self, title: str, company: str, confidential: str, fonts: tuple[tuple[str, Path], ...]
    ) -> None:
        super().__init__(format="A4")
        for style, path in fonts:
            self.add_font("Nanum", style=style, fname=str(path))
        self.title_text, self.company, self.confidential = title, company, confidential
        self.set_auto_page_break(True, margin=22)
        self.set_margins(20, 22, 20)

    def header(self) -> None:
        self.set_font("Nanum", size=8)
        self.set_xy(20, 10)
        self.cell(85, 5, self.company)
        self.cell(85, 5, self.title_text, align="R")
        self.line(20, 16, 190, 16)
        self.set_xy(20, 22)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Nanum", size=8)
        self.cell(60, 5, self.confidential)
        self.cell(50, 5, f"- {self.page_no()} -", align="C")
        self.cell(60, 5, self.company, align="R")

    def heading(self, text: str, size: float = 12) -> None:
        self.ln(3)
        self.set_font("Nanum", "B", size)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("Nanum", size=10)
        self.ln(1)

    def para(self, text: str, bullet: bool = False) -> None:
        self.set_font("Nanum", size=10)
        if bullet:
            self.set_x(self.l_margin + 4)
            text = f"- {text}"
        lines = self.multi_cell(0, 6, text, dry_run=True, output="LINES")
        if len(lines) <= KEEP_TOGETHER and self.will_page_break(6 * len(lines)):
            x = self.get_x()
            self.add_page()  # a short paragraph is not split over a page break
            self.set_x(x)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def grid(self, rows: list[list], widths: tuple[float, ...]) -> None:
        self.set_font("Nanum", size=9)
        head = FontFace(emphasis="BOLD", fill_color=(225, 230, 240))
        with self.table(col_widths=widths, headings_style=head, line_height=5.5) as table:
            for cells in rows:
                row = table.row()
                for cell in cells:
                    text, span = cell if isinstance(cell, tuple) else (cell, 1)
                    row.cell(str(text), rowspan=span)
        self.ln(2)


class _Renderer:
    def __init__(
        self, doc: dict, lang: str, layout: str, fonts: tuple[tuple[str, Path], ...]
    ) -> None:
        self.doc, self.lang, self.layout, self.t = doc, lang, layout, T[lang]
        title = doc.get("name_en") if lang == "en" and doc.get("name_en") else doc["name"]
        self.title = title
        confidential = "대외비" if lang == "ko" else "Confidential"
        self.pdf = _Doc(title, COMPANY[lang], confidential, fonts)

    def name(self, item: dict, key: str) -> str:
        return item.get(f"name_{self.lang}") or SECTION_NAMES[self.lang].get(item.get(key, ""), "")

    def crit_name(self, c: dict) -> str:
        if c.get(f"name_{self.lang}"):
            return c[f"name_{self.lang}"]
        m = c["measure"]
        if m["type"] == "qualitative":
            return QUALITATIVE_NAMES[self.lang].get(m["criterion"], m["criterion"])
        info = INDICATORS[m["indicator"]]
        return f"{info.label_ko if self.lang == 'ko' else info.label} ({m['window']})"

    def indicator(self, c: dict) -> str:
        m = c["measure"]
        if m["type"] == "qualitative":
            return self.t["analyst"]
        info = INDICATORS[m["indicator"]]
        return info.label_ko if self.lang == "ko" else info.label

    def render(self, pages_min: int) -> bytes:
        pdf, t, doc = self.pdf, self.t, self.doc
        pdf.add_page()
        pdf.set_y(70)
        pdf.set_font("Nanum", "B", 24)
        pdf.multi_cell(0, 12, self.title, align="C", new_x="LMARGIN", new_y="NEXT")
        if self.lang == "ko" and doc.get("name_en"):
            pdf.set_font("Nanum", size=13)
            pdf.multi_cell(0, 8, doc["name_en"], align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(30)
        pdf.set_font("Nanum", size=11)
        for line in (t["version"].format(v=doc.get("version", 1)), COMPANY[self.lang]):
            pdf.cell(0, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.add_page()
        pdf.heading(t["h"][0])  # the document's own description is its purpose paragraph
        pdf.para(doc.get("description") or t["purpose"].format(company=COMPANY[self.lang]))
        self.eligibility()
        pdf.heading(t["h"][2])
        pdf.para(t["overview"].format(n=len(doc["sections"])))
        getattr(self, f"criteria_{self.layout}")()
        self.scoring()
        self.grades()
        pdf.heading(t["h"][5])
        pdf.para(t["other"])
        self.appendix(pages_min)
        return bytes(pdf.output())

    def eligibility(self) -> None:
        t, e = self.t, self.doc.get("eligibility") or {}
        self.pdf.heading(t["h"][1])
        if e.get("min_track_record_months"):
            m = int(e["min_track_record_months"])
            self.pdf.para(
                (t["track"] if m % 12 == 0 else t["track_m"]).format(y=m // 12, m=m), True
            )
        if e.get("min_aum"):
            self.pdf.para(t["aum"].format(aum=_krw(e["min_aum"], self.lang)), True)
        if e.get("categories"):
            self.pdf.para(t["cats"].format(cats=", ".join(e["categories"])), True)
        self.pdf.para(t["feeder"])

    def criteria_table(self) -> None:
        rows: list[list] = [self.t["cols"]]
        for s in self.doc["sections"]:
            for i, c in enumerate(s["criteria"]):
                head = [(f"{self.name(s, 'kind')}\n({_num(s['weight'])}%)", len(s["criteria"]))]
                rows.append((head if i == 0 else []) + self._cells(c) + [f"{_num(c['weight'])}%"])
        rows.append([self.t["total"], "", "", "", "100%"])
        self.pdf.grid(rows, (30, 52, 40, 18, 30))

    def _cells(self, c: dict, months: bool = False) -> list[str]:
        window = _window(c["measure"].get("window"), self.lang, months)
        return [self.crit_name(c), self.indicator(c), window]

    def criteria_sections(self) -> None:
        unit = "점" if self.lang == "ko" else " points"
        for k, s in enumerate(self.doc["sections"], 1):
            w = s["weight"]
            label = f"배점 {_num(w)}점" if self.lang == "ko" else f"{_num(w)} points"
            self.pdf.heading(f"3.{k} {self.name(s, 'kind')} ({label})", 11)
            rows: list[list] = [self.t["sec_cols"]]
            for c in s["criteria"]:
                rows.append(self._cells(c, months=True) + [f"{_num(w * c['weight'] / 100)}{unit}"])
            rows.append([self.t["subtotal"], "", "", f"{_num(w)}{unit}"])
            self.pdf.grid(rows, (60, 50, 30, 30))

    def criteria_prose(self) -> None:
        """First section: a wrapped paragraph; short sections: one list sentence; others: bullets."""
        templates = self.t["prose"]
        for k, s in enumerate(self.doc["sections"], 1):
            name = self.name(s, "kind")
            self.pdf.heading(f"3.{k} {name}", 11)
            self.pdf.para(self.t["sec_share"].format(name=name, j=_josa(name), w=_num(s["weight"])))
            names = []
            for c in s["criteria"]:
                n = self.crit_name(c)
                if c["measure"].get("window") and self._window_missing(n):
                    n = f"{n}({_window(c['measure']['window'], self.lang)})"
                names.append((n, _num(c["weight"])))
            sentences = [
                templates[i % 2].format(n=n, j=_josa(n), w=w) for i, (n, w) in enumerate(names)
            ]
            if k == 1:
                self.pdf.para(" ".join(sentences))
            elif len(names) <= 3:
                listed = ", ".join(
                    f"{n}({w}%)" if self.lang == "ko" else f"{n} ({w}%)" for n, w in names
                )
                self.pdf.para(self.t["listed"].format(name=name, j=_josa(name), items=listed))
            else:
                for i, (n, w) in enumerate(names):
                    self.pdf.para(templates[i % 3].format(n=n, j=_josa(n), w=w), bullet=True)

    def _window_missing(self, name: str) -> bool:
        return not re.search(r"\d+\s*(년|개월|y|-year|year|month)", name)

    def criteria_long(self) -> None:
        """Overview prose first, so that the long table starts low and breaks over a page."""
        for text in LONG_INTRO[self.lang]:
            self.pdf.para(text)
        rows: list[list] = [self.t["cols"] + [self.t["desc"]]]
        for s in self.doc["sections"]:
            for c in s["criteria"]:
                w = s["weight"] * c["weight"] / 100
                kind = "indicator" if c["measure"]["type"] == "indicator" else "qualitative"
                about = LONG_DESC[self.lang][kind].format(n=self.crit_name(c))
                row = [self.name(s, "kind")] + self._cells(c, months=True) + [f"{_num(w)}%", about]
                rows.append(row)
        self.pdf.grid(rows, (22, 32, 26, 16, 16, 58))

    def _band_rows(self, bands: list[dict], key: str, style: str) -> list[list[str]]:
        """Rows (label, phrase…) of percentile bands, best first, in the given phrase style."""
        ko, rows, prev = self.lang == "ko", [], 0.0
        ordered = sorted(bands, key=lambda b: -b["min_pct"])
        for i, b in enumerate(ordered):
            top, last = 100 - b["min_pct"], b["min_pct"] <= 0
            share = top - prev
            if last:
                phrase = f"하위 {_num(share)}%" if ko else f"bottom {_num(share)}%"
            elif i == 0:
                phrase = f"상위 {_num(top)}% 이내" if ko else f"top {_num(top)}%"
            elif style == "range":
                phrase = (
                    f"상위 {_num(prev)}% 초과 ~ {_num(top)}% 이내"
                    if ko
                    else f"top {_num(prev)}% to {_num(top)}%"
                )
            elif style == "share":
                phrase = f"그 다음 {_num(share)}%" if ko else f"next {_num(share)}%"
            else:
                phrase = f"상위 {_num(top)}%" if ko else f"top {_num(top)}%"
            label = self._label(b[key], key)
            rows.append(
                [label, f"{_num(share)}%", phrase] if style == "columns" else [label, phrase]
            )
            prev = top
        return rows

    def _label(self, value: int, key: str) -> str:
        labels = (self.doc.get("grade_scale") or {}).get("x-labels") or {}
        if key == "grade" and str(value) in labels:
            return labels[str(value)]
        if key == "score":
            return f"{value}점" if self.lang == "ko" else f"Score {value}"
        if self.lang == "ko":
            return f"{6 - value}등급"
        return f"{value} star" + ("s" if value > 1 else "")

    def _show_bands(self, rows: list[list[str]], cols: list[str]) -> None:
        if self.layout == "prose":
            for row in rows:
                self.pdf.para(f"{row[0]}: {row[-1]}", bullet=True)
        else:
            widths = (40, 40, 90) if len(cols) == 3 else (50, 120)
            self.pdf.grid([cols] + rows, widths)

    def _style(self) -> str:
        return {"table": "range", "prose": "share", "sections": "columns"}.get(self.layout, "range")

    def scoring(self) -> None:
        t = self.t
        crits = [c for s in self.doc["sections"] for c in s["criteria"]]
        scored = [c for c in crits if c["scoring"]["method"] == "percentile_bands"]
        self.pdf.heading(t["h"][3])
        if scored:
            self.pdf.para(t["scoring"])
            style = "range" if self._style() == "columns" else self._style()
            self._show_bands(
                self._band_rows(scored[0]["scoring"]["bands"], "score", style), t["score_cols"]
            )
        lower = [self.crit_name(c) for c in crits if c.get("direction") == "lower_is_better"]
        if lower:
            self.pdf.para(t["lower"].format(names=", ".join(lower)))
        for c in crits:
            if c["measure"].get("fallback_window"):
                self.pdf.para(self._fallback(c))
        self.pdf.para(t["qual"])
        if self.doc.get("missing_inputs"):
            self.pdf.para(self._missing(self.doc["missing_inputs"]))

    def _fallback(self, c: dict) -> str:
        """'5년 이력이 없는 펀드는 3년 소티노비율로 평가한다.' for a criterion with a fallback window."""
        m = c["measure"]
        name = re.sub(WINDOW_WORDS, " ", self.crit_name(c)).strip() or self.indicator(c)
        years, fallback = int(m["window"].rstrip("y")), int(m["fallback_window"].rstrip("y"))
        if self.lang == "ko":
            return self.t["fallback"].format(y=years, fy=fallback, n=name, ro=_ro(name))
        span = f"{years} year" + ("s" if years > 1 else "")
        return self.t["fallback"].format(y=span, fy=fallback, n=name)

    def _missing(self, rule: dict) -> str:
        """The missing-input rule in one sentence: what a criterion without data scores, and the
        share of the weight without data above which a fund is not graded."""
        t, parts = self.t, []
        if "score" in rule:
            neutral = t["neutral"] if rule["score"] == 3 else ""
            end = t["missing_ends"][0 if "max_weight" in rule else 1]
            parts.append(t["missing_score"].format(s=_num(rule["score"]), neutral=neutral, end=end))
        if "max_weight" in rule:
            weight = t["missing_weight"].format(w=_num(rule["max_weight"]))
            parts.append(weight[0].lower() + weight[1:] if parts and self.lang == "en" else weight)
        return " ".join(parts)

    def grades(self) -> None:
        t, scale = self.t, self.doc.get("grade_scale")
        if not scale:
            return
        self.pdf.heading(t["h"][4])
        if scale["method"] == "thresholds":
            self.pdf.para(t["grade_thr"])
            rows, ordered = [], sorted(scale["bands"], key=lambda b: -b["min_score"])
            for i, b in enumerate(ordered):
                if b["min_score"] > 0 or i == 0:
                    phrase = (
                        f"종합점수 {_num(b['min_score'])}점 이상"
                        if self.lang == "ko"
                        else f"{_num(b['min_score'])} or above"
                    )
                else:
                    prev = _num(ordered[i - 1]["min_score"])
                    phrase = f"종합점수 {prev}점 미만" if self.lang == "ko" else f"below {prev}"
                rows.append([self._label(b["grade"], "grade"), phrase])
            self._show_bands(rows, t["grade_cols"])
            return
        self.pdf.para(t["grade_pct"])
        style = self._style()
        self._show_bands(
            self._band_rows(scale["bands"], "grade", style),
            t["share_cols"] if style == "columns" else t["grade_cols"],
        )

    def appendix(self, pages_min: int) -> None:
        head, *paras = APPENDIX[self.lang]
        k = 0
        while self.pdf.page_no() < pages_min:
            self.pdf.heading(
                head.format(k=chr(ord("A") + k % 26) + (str(k // 26) if k >= 26 else ""))
            )
            for text in paras:
                self.pdf.para(text)
            k += 1


def render_pdf(
    doc: dict,
    path: str | Path,
    *,
    layout: str = "table",
    lang: str | None = None,
    pages_min: int = 0,
) -> Path:
    """Write `doc` (a methodology in the JSON format) as a PDF at `path` and return the path."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: choose one of {', '.join(LAYOUTS)}")
    lang = lang or doc.get("language") or "ko"
    if lang not in T:
        raise ValueError(f"unknown language {lang!r}: 'ko' or 'en'")
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    path = Path(path)
    path.write_bytes(_rendered(text, lang, layout, pages_min, _fonts()))
    return path


@lru_cache(maxsize=8)
def _rendered(
    doc_json: str, lang: str, layout: str, pages_min: int, fonts: tuple[tuple[str, Path], ...]
) -> bytes:
    """The PDF of a methodology given as JSON text. A document rendered again in this process
    (the demo's house methodology on every demo build) is not laid out again: loading the two
    Korean fonts alone takes ~0.6 s; the font files (`fonts`, checked by the caller) are part
    of the cache key."""
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "TSI0 NOT subset" chatter
    return _Renderer(json.loads(doc_json), lang, layout, fonts).render(pages_min)
