"""Methodology extraction from PDF: known methodologies rendered in several layouts come back
exactly, values point to the page they are printed on, and bad documents are refused clearly."""

from __future__ import annotations

import copy
import re
import time
from pathlib import Path

import pytest

import engine.methodology.extract.render as render_module
from engine.methodology.extract.pdf import ExtractionError, extract
from engine.methodology.extract.render import FONTS, LAYOUTS, render_pdf
from engine.methodology.extract.rules import (
    INDICATOR_PATTERNS,
    QUALITATIVE_PATTERNS,
    Mention,
    fallback_of,
    mentions,
    missing_rule_of,
    slugify,
)

pytestmark = pytest.mark.skipif(
    not all(p.exists() for p in FONTS.values()), reason="fonts-nanum is not installed"
)

BANDS = [(90, 5), (67.5, 4), (32.5, 3), (10, 2), (0, 1)]
QUINTILES = [(80, 5), (60, 4), (40, 3), (20, 2), (0, 1)]


def ind(
    key, window, weight, name_ko=None, name_en=None, lower=False, bands=BANDS, fallback=None
) -> dict:
    c = {
        "id": f"{key}_{window}",
        "weight": weight,
        "measure": {"type": "indicator", "indicator": key, "window": window},
        "direction": "lower_is_better" if lower else "higher_is_better",
        "scoring": {
            "method": "percentile_bands",
            "bands": [{"min_pct": p, "score": s} for p, s in bands],
        },
    }
    c.update({k: v for k, v in (("name_ko", name_ko), ("name_en", name_en)) if v})
    if fallback:
        c["measure"]["fallback_window"] = fallback
    return c


def qual(key, weight, name_ko=None, name_en=None) -> dict:
    c = {
        "id": key,
        "weight": weight,
        "measure": {"type": "qualitative", "criterion": key},
        "direction": "higher_is_better",
        "scoring": {"method": "qualitative"},
    }
    c.update({k: v for k, v in (("name_ko", name_ko), ("name_en", name_en)) if v})
    return c


def sec(kind, weight, criteria, name_ko=None, name_en=None) -> dict:
    s = {"id": kind, "kind": kind, "weight": weight, "criteria": criteria}
    s.update({k: v for k, v in (("name_ko", name_ko), ("name_en", name_en)) if v})
    return s


KO_LABELS = {"5": "1등급", "4": "2등급", "3": "3등급", "2": "4등급", "1": "5등급"}
KO = {
    "id": "gaon-fund-rating-methodology",
    "version": 1,
    "name": "가온 펀드평가 방법론",
    "name_en": "Gaon Fund Rating Methodology",
    "language": "ko",
    "description": "가온펀드평가(주)의 공모펀드 평가 기준을 정한다. 펀드는 동일 유형 내에서 상대 "
    "비교하며, 부문별 점수를 가중 합산한 종합점수로 등급을 부여한다.",
    "eligibility": {
        "min_track_record_months": 36,
        "min_aum": 10_000_000_000,
        "categories": ["국내주식형", "해외주식형", "국내채권형"],
    },
    "missing_inputs": {"score": 3, "max_weight": 30},
    "sections": [
        sec(
            "quantitative",
            60,
            [
                ind("ann_return", "3y", 20, "연환산수익률(3년)"),
                ind("sharpe", "3y", 20, "샤프지수(3년)"),
                ind("information_ratio", "3y", 15, "정보비율(3년)"),
                ind("max_drawdown", "3y", 15, "최대낙폭(3년)"),
                ind("volatility", "3y", 10, "연환산변동성(3년)", lower=True),
                ind("ann_return", "1y", 10, "연환산수익률(1년)"),
                ind("mrar", "5y", 10, "위험조정수익률(5년)", fallback="3y"),
            ],
            "정량평가",
        ),
        sec(
            "qualitative",
            20,
            [
                qual("philosophy_process", 50, "운용철학 및 프로세스"),
                qual("org_stability", 30, "조직안정성"),
                qual("risk_management", 20, "위험관리"),
            ],
            "정성평가",
        ),
        sec(
            "company",
            10,
            [
                qual("company_capability", 40, "운용사 역량"),
                qual("company_organisation", 30, "조직 및 인력"),
                qual("company_systems", 30, "운용 시스템"),
            ],
            "운용사평가",
        ),
        sec("esg", 10, [qual("esg", 100, "ESG 통합 수준")], "ESG평가"),
    ],
    "grade_scale": {
        "method": "percentile",
        "bands": [{"grade": s, "min_pct": p} for p, s in BANDS],
        "x-labels": KO_LABELS,  # the document's own names: 1등급 is the best grade
    },
}
EN = {
    "id": "gaon-star-rating-methodology",
    "version": 1,
    "name": "Gaon Star Rating Methodology",
    "name_en": "Gaon Star Rating Methodology",
    "language": "en",
    "description": "This methodology sets out how Gaon rates funds against their category peers. "
    "Section scores are combined into a weighted total that determines the star rating.",
    "eligibility": {
        "min_track_record_months": 36,
        "min_aum": 5_000_000_000,
        "categories": ["Domestic Equity", "Global Equity", "Domestic Bond"],
    },
    "missing_inputs": {"score": 2, "max_weight": 25},
    "sections": [
        sec(
            "quantitative",
            70,
            [
                ind("ann_return", "3y", 25, name_en="Annualised return (3y)", bands=QUINTILES),
                ind("sharpe", "3y", 25, name_en="Sharpe ratio (3y)", bands=QUINTILES),
                ind(
                    "sortino",
                    "5y",
                    20,
                    name_en="Sortino ratio (5y)",
                    bands=QUINTILES,
                    fallback="3y",
                ),
                ind(
                    "tracking_error",
                    "3y",
                    10,
                    name_en="Tracking error (3y)",
                    lower=True,
                    bands=QUINTILES,
                ),
                ind("up_capture", "3y", 10, name_en="Up-market capture (3y)", bands=QUINTILES),
                ind(
                    "down_capture",
                    "3y",
                    10,
                    name_en="Down-market capture (3y)",
                    lower=True,
                    bands=QUINTILES,
                ),
            ],
            name_en="Quantitative",
        ),
        sec(
            "qualitative",
            30,
            [
                qual("philosophy_process", 40, name_en="Investment philosophy and process"),
                qual("org_stability", 30, name_en="Organisational stability"),
                qual("risk_management", 30, name_en="Risk management"),
            ],
            name_en="Qualitative",
        ),
    ],
    "grade_scale": {
        "method": "thresholds",
        "bands": [
            {"grade": g, "min_score": m}
            for g, m in ((5, 4.2), (4, 3.4), (3, 2.6), (2, 1.8), (1, 0))
        ],
        "x-labels": {"5": "5 stars", "4": "4 stars", "3": "3 stars", "2": "2 stars", "1": "1 star"},
    },
}
# No English title (the id is romanised), windows only in the 기간 column, top 5 % for 1등급,
# no description (the boilerplate purpose is read as one), only half of the missing-input rule.
SMALL = {
    "id": "narae-peondeudeunggeup-sanjeong-gijun",
    "version": 1,
    "name": "나래 펀드등급 산정 기준",
    "language": "ko",
    "eligibility": {"min_track_record_months": 24, "min_aum": 50_000_000_000},
    "missing_inputs": {"max_weight": 20},
    "sections": [
        sec(
            "quantitative",
            70,
            [
                ind("sharpe", "3y", 40, "샤프지수"),
                ind("alpha", "3y", 30, "젠센알파"),
                ind("calmar", "5y", 30, "칼마지수"),
            ],
            "정량평가",
        ),
        sec(
            "qualitative",
            30,
            [
                qual("philosophy_process", 60, "운용철학"),
                qual("org_stability", 40, "매니저 교체 및 조직안정성"),
            ],
            "정성평가",
        ),
    ],
    "grade_scale": {
        "method": "percentile",
        "bands": [
            {"grade": s, "min_pct": p} for p, s in ((95, 5), (75, 4), (25, 3), (5, 2), (0, 1))
        ],
        "x-labels": KO_LABELS,
    },
}
DOCS = {"ko": KO, "en": EN, "small": SMALL}
CASES = [(name, layout) for name in DOCS for layout in LAYOUTS]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    folder = tmp_path_factory.mktemp("methodology-pdfs")
    return {
        (name, layout): render_pdf(DOCS[name], folder / f"{name}-{layout}.pdf", layout=layout)
        for name, layout in CASES
    }


@pytest.fixture(scope="module")
def extracted(rendered: dict) -> dict:
    return {case: extract(path) for case, path in rendered.items()}


def _flat(value, path: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        return {
            k: v
            for key, item in value.items()
            for k, v in _flat(item, f"{path}.{key}".lstrip(".")).items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _flat(item, f"{path}[{i}]").items()
        }
    return {path: value}


def _expected(name: str, layout: str) -> dict[str, object]:
    """Every value of the source document the PDF states (names only where printed as is)."""
    doc = DOCS[name]
    flat = _flat(doc)
    lang = doc["language"]
    for key in list(flat):
        leaf = key.rsplit(".", 1)[-1]
        other_lang = leaf.startswith("name_") and leaf != f"name_{lang}" and key != "name_en"
        renamed = layout == "prose" and name == "small" and ".criteria[" in key  # "(3년)" added
        if other_lang or (renamed and leaf.startswith("name")):
            del flat[key]
    return flat


@pytest.mark.parametrize(("name", "layout"), CASES)
def test_extraction_recovers_the_document_exactly(extracted: dict, name: str, layout: str) -> None:
    result = extracted[(name, layout)]
    got = _flat(result.draft)
    wrong = {k: (v, got.get(k)) for k, v in _expected(name, layout).items() if got.get(k) != v}
    assert wrong == {}
    assert result.missing == []
    assert result.warnings == []
    assert result.grade_labels == {
        int(g): label for g, label in DOCS[name]["grade_scale"]["x-labels"].items()
    }


@pytest.mark.parametrize(("name", "layout"), CASES)
def test_drafts_are_valid_methodologies(extracted: dict, name: str, layout: str) -> None:
    methodology = pytest.importorskip("engine.methodology")
    assert [str(p) for p in methodology.validate(extracted[(name, layout)].draft)] == []


def _page_texts(path: Path) -> list[str]:
    """Each page's text by an independent reader (pdfium), whitespace removed."""
    pdfium = pytest.importorskip("pypdfium2")
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [re.sub(r"\s+", "", pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
    finally:
        pdf.close()


@pytest.mark.parametrize(("name", "layout"), CASES)
def test_every_field_points_to_the_page_its_text_is_on(rendered, extracted, name, layout) -> None:
    texts = _page_texts(rendered[(name, layout)])
    result = extracted[(name, layout)]
    paths = {f.path for f in result.fields}
    for key in _flat(result.draft):  # every value of the draft has a field (or a parent's)
        parents = {key[: m.start()] for m in re.finditer(r"[.\[]", key)} | {key}
        assert parents & paths or key in ("version",) or "x-labels" in key, key
    for f in result.fields:
        assert 0 < f.confidence <= 1 and 1 <= f.page <= len(texts)
        if f.source_text.startswith(("detected from", "sum of")):
            continue
        for piece in re.split(r"\s*(?:\||/)\s*", f.source_text):
            assert re.sub(r"\s+", "", piece) in texts[f.page - 1], (f.path, f.page, piece)


def test_long_table_continues_over_a_page_break_with_its_header_dropped(
    rendered, extracted
) -> None:
    result = extracted[("ko", "long")]
    pages = {
        f.page
        for f in result.fields
        if re.fullmatch(r"sections\[\d\]\.criteria\[\d\]\.weight", f.path)
    }
    assert len(pages) >= 2  # the criteria table spans pages
    repeated = [
        p.number for p in result.pages for t in p.tables if t and t[0][:2] == ["구분", "평가항목"]
    ]
    assert len(repeated) >= 2  # the header is printed on each page, read as one table
    assert sum(len(s["criteria"]) for s in result.draft["sections"]) == 14


def test_headers_footers_and_page_numbers_are_not_read_as_content(extracted) -> None:
    result = extracted[("ko", "table")]
    sources = " ".join(f.source_text for f in result.fields)
    assert "대외비" not in sources and "- 2 -" not in sources
    assert "- 2 -" in result.pages[1].text  # still shown to the analyst


def test_grade_convention_is_mapped_by_rank(extracted) -> None:
    """A Korean 1등급 (best) is internal grade 5; the source text says which label it was."""
    field = extracted[("ko", "table")].field("grade_scale.bands[0].grade")
    assert field.value == 5 and "1등급" in field.source_text and "상위 10%" in field.source_text
    assert (
        extracted[("en", "table")]
        .field("grade_scale.bands[0].grade")
        .source_text.startswith("5 stars")
    )


def test_english_rendering_of_a_korean_methodology(tmp_path: Path) -> None:
    doc = copy.deepcopy(KO)
    result = extract(render_pdf(doc, tmp_path / "ko-in-en.pdf", layout="sections", lang="en"))
    assert result.draft["language"] == "en"
    got = [(c["id"], c["weight"]) for s in result.draft["sections"] for c in s["criteria"]]
    assert got == [(c["id"], c["weight"]) for s in KO["sections"] for c in s["criteria"]]
    assert [s["weight"] for s in result.draft["sections"]] == [60, 20, 10, 10]


def test_a_document_not_made_by_our_renderer(tmp_path: Path) -> None:
    """Other headings, fraction weights of the total, labels after the band, no score table."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("N", fname=str(FONTS[""]))
    pdf.add_font("N", style="B", fname=str(FONTS["B"]))
    pdf.add_page()
    pdf.set_font("N", "B", 18)
    pdf.cell(0, 12, "다온자산평가 펀드 평가기준서", new_x="LMARGIN", new_y="NEXT")
    for heading, lines in (
        (
            "Ⅰ. 평가 대상",
            ["평가 기준일 현재 3년 이상 운용된 펀드로서 설정액 50억원 이상인 펀드를 평가한다."],
        ),
        ("Ⅱ. 평가 항목", []),
    ):
        pdf.set_font("N", "B", 12)
        pdf.cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("N", size=10)
        for line in lines:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    rows = [
        ["평가부문", "세부항목", "측정기간", "비중"],
        ["정량", "샤프비율", "3년", "0.30"],
        ["정량", "표준편차", "36개월", "0.15"],
        ["정량", "젠센의 알파", "1년", "0.15"],
        ["정성", "운용 프로세스", "-", "0.20"],
        ["정성", "운용인력의 안정성", "-", "0.20"],
    ]
    with pdf.table(col_widths=(30, 60, 40, 40)) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.set_font("N", "B", 12)
    pdf.cell(0, 9, "Ⅲ. 등급 산정", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("N", size=10)
    for band in (
        "상위 10% 이내: 1등급",
        "상위 10% 초과 30% 이내: 2등급",
        "상위 30% 초과 70% 이내: 3등급",
        "상위 70% 초과 90% 이내: 4등급",
        "하위 10%: 5등급",
    ):
        pdf.cell(0, 6, f"• {band}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-15)
    pdf.cell(0, 5, "1 / 1", align="C")
    path = tmp_path / "other.pdf"
    pdf.output(str(path))

    result = extract(path)
    draft = result.draft
    assert draft["id"] == slugify("다온자산평가 펀드 평가기준서") and draft["language"] == "ko"
    assert draft["eligibility"] == {"min_track_record_months": 36, "min_aum": 5_000_000_000}
    got = [
        (s["kind"], s["weight"], [(c["id"], c["weight"]) for c in s["criteria"]])
        for s in draft["sections"]
    ]
    assert got == [
        ("quantitative", 60, [("sharpe_3y", 50), ("volatility_3y", 25), ("alpha_1y", 25)]),
        ("qualitative", 40, [("philosophy_process", 50), ("org_stability", 50)]),
    ]
    assert draft["grade_scale"]["bands"] == [
        {"grade": g, "min_pct": p} for g, p in ((5, 90), (4, 70), (3, 30), (2, 10), (1, 0))
    ]
    assert result.grade_labels[5] == "1등급"
    assert result.missing == [
        f"sections[0].criteria[{i}].scoring" for i in range(3)
    ]  # listed, not guessed
    assert all(f.page == 1 for f in result.fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5년 이력이 없는 펀드는 3년 소티노비율로 평가한다.", ("5y", "3y")),
        ("운용기간이 5년 미만인 펀드는 3년 수익률로 대체한다.", ("5y", "3y")),
        ("60개월 자료가 부족한 펀드는 36개월 샤프지수를 적용한다.", ("5y", "3y")),
        ("Funds without 5 years of data are rated on the 3-year Sortino ratio.", ("5y", "3y")),
        ("The 3-year value is used for funds without a 5-year history.", ("5y", "3y")),
        ("설정 후 3년 이상 경과한 펀드를 평가한다.", None),
        ("Funds with less than 3 years of history are not rated.", None),
    ],
)
def test_fallback_window_phrases(text: str, expected: tuple | None) -> None:
    assert fallback_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "평가 항목의 자료가 없는 경우 해당 항목은 3점(중립)으로 간주하며, 자료가 없는 항목의 "
            "가중치 합이 30%를 넘으면 등급을 부여하지 않는다.",
            {"score": 3, "max_weight": 30},
        ),
        ("자료가 누락된 항목은 2점으로 처리한다.", {"score": 2}),
        ("결측 항목의 비중이 25%를 초과하는 펀드는 등급 산정에서 제외한다.", {"max_weight": 25}),
        (
            "A criterion with missing data receives a score of 3; funds missing more than 25% "
            "of the weight are not rated.",
            {"score": 3, "max_weight": 25},
        ),
        ("누락 비율이 5%를 넘으면 해당 기간의 지표를 산출하지 않는다.", {}),
        ("Each quantitative indicator is converted to a score of 1 to 5.", {}),
    ],
)
def test_missing_input_rule_phrases(text: str, expected: dict) -> None:
    assert missing_rule_of(text) == expected


def _mentions_pairwise(text: str) -> list[Mention]:
    """The reference reading: each match checked against every mention kept so far."""
    found: list[Mention] = []
    for kind, patterns in (
        ("indicator", INDICATOR_PATTERNS),
        ("qualitative", QUALITATIVE_PATTERNS),
    ):
        for key, pattern in patterns:
            for m in re.finditer(pattern, text, re.I):
                if not any(m.start() < f.end and f.start < m.end() for f in found):
                    found.append(Mention(kind, key, m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def test_criterion_mentions_match_the_pairwise_reading(extracted) -> None:
    texts = [p.text for result in extracted.values() for p in result.pages]
    assert sum(len(mentions(t)) for t in texts) > 100
    assert [mentions(t) for t in texts] == [_mentions_pairwise(t) for t in texts]


def test_a_run_on_sentence_naming_criteria_thousands_of_times_is_read_in_one_pass() -> None:
    """Only a mention's neighbours can overlap it: 20,000 mentions take well under a second
    (checking each against all kept so far took minutes)."""
    sentence = "샤프지수 30%, 정보비율 20%, " * 10_000
    started = time.perf_counter()
    found = mentions(sentence)
    assert time.perf_counter() - started < 5
    assert len(found) == 20_000
    assert [m.key for m in found[:2]] == ["sharpe", "information_ratio"]
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


def test_missing_values_are_listed_not_guessed(tmp_path: Path) -> None:
    doc = copy.deepcopy(SMALL)
    del doc["grade_scale"], doc["eligibility"]
    path = render_pdf(doc, tmp_path / "bare.pdf", layout="sections")
    result = extract(path)
    assert "grade_scale" in result.missing and "grade_scale" not in result.draft
    assert {"eligibility.min_track_record_months", "eligibility.min_aum"} <= set(result.missing)


# -- bad documents -----------------------------------------------------------------------------


def _refused(path: Path, reason: str, **limits) -> str:
    with pytest.raises(ExtractionError) as caught:
        extract(path, **limits)
    assert caught.value.reason == reason, str(caught.value)
    return str(caught.value)


def test_not_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "methodology.pdf"
    path.write_text("평가 방법론\n샤프지수 30%\n", encoding="utf-8")
    assert "not a PDF" in _refused(path, "not_pdf")
    assert "not found" in _refused(tmp_path / "absent.pdf", "not_found")


def test_truncated_and_corrupt(rendered, tmp_path: Path) -> None:
    data = rendered[("ko", "table")].read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    assert "truncated or corrupt" in _refused(cut, "corrupt")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    assert "corrupt" in _refused(junk, "corrupt")


def test_password_protected(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Sharpe ratio (3y) 30%")
    pdf.set_encryption(owner_password="owner", user_password="reader")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    assert "password-protected" in _refused(path, "encrypted")
    pdf = FPDF()  # an owner password alone (no password to open) only restricts editing
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Sharpe ratio (3y) 30%")
    pdf.set_encryption(owner_password="owner")
    pdf.output(str(path))
    assert "Sharpe ratio (3y) 30%" in extract(path).pages[0].text


def test_image_only_pdf_needs_ocr(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    try:
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (800, 300), "white")
        ImageDraw.Draw(image).text((20, 20), "Sharpe ratio (3y) 30%", fill="black")
        pdf.image(image, x=10, y=10, w=180)
    except ImportError:  # vector drawing only: still no text layer
        pdf.rect(20, 20, 100, 40)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    message = _refused(path, "no_text")
    assert "OCR" in message and "no text layer" in message


def test_page_and_size_limits(tmp_path: Path) -> None:
    path = render_pdf(SMALL, tmp_path / "long.pdf", layout="table", pages_min=12)
    assert "over the limit of 10 pages" in _refused(path, "too_many_pages", max_pages=10)
    assert "over the 1000 bytes limit" in _refused(path, "too_large", max_bytes=1000)
    assert len(extract(path, max_pages=12).pages) == 12


def test_a_document_rendered_again_is_the_same_pdf_without_a_second_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    laid_out = []
    original = render_module._Renderer

    def counting(doc: dict, lang: str, layout: str, fonts):
        laid_out.append(doc["name"])
        return original(doc, lang, layout, fonts)

    monkeypatch.setattr(render_module, "_Renderer", counting)
    changed = copy.deepcopy(SMALL) | {"name": "다온 펀드등급 기준"}
    first = render_pdf(SMALL, tmp_path / "a.pdf", pages_min=3)
    again = render_pdf(copy.deepcopy(SMALL), tmp_path / "b.pdf", pages_min=3)
    other = render_pdf(changed, tmp_path / "c.pdf", pages_min=3)
    assert first.read_bytes() == again.read_bytes() != other.read_bytes()
    assert laid_out.count(SMALL["name"]) <= 1 and laid_out.count(changed["name"]) == 1
    assert extract(again).draft["name"] == SMALL["name"]
    monkeypatch.setitem(FONTS, "", tmp_path / "missing" / "NanumGothic.ttf")
    with pytest.raises(FileNotFoundError, match="fonts-nanum"):
        render_pdf(SMALL, tmp_path / "d.pdf", pages_min=3)
