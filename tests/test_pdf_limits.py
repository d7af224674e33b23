"""Work limits on methodology PDFs: small files that ask for hours of work (millions of
characters, a dense long document, a million shapes, nested forms) are refused in well under a
second, before any page is laid out, with a message naming the page and the limit; the real
demo methodology passes with room to spare; a wall-clock deadline stops a long run."""

from __future__ import annotations

import re
import time
import tracemalloc
from dataclasses import fields, replace
from pathlib import Path

import pdfplumber.page
import pytest

from engine.demo.house import house_methodology
from engine.demo.methodology import _expected_difference
from engine.methodology import diff
from engine.methodology.extract import limits as pdf_limits
from engine.methodology.extract import pdf as extract_module
from engine.methodology.extract.content import content_size
from engine.methodology.extract.limits import PdfLimits
from engine.methodology.extract.pdf import ExtractionError, extract
from engine.methodology.extract.render import FONTS, render_pdf
from tests import hostile_pdf as hostile
from tests.cli_support import run_cli

needs_fonts = pytest.mark.skipif(
    not all(p.exists() for p in FONTS.values()), reason="fonts-nanum is not installed"
)
QUICK_S = 10  # the refusals take well under a second; before the limits they took minutes


class LaidOut(BaseException):
    """Raised past the extractor's `except Exception` when pdfplumber lays out a page."""


@pytest.fixture()
def no_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if pdfplumber lays out (interprets) any page."""

    def layout(page):
        raise LaidOut(f"pdfplumber laid out page {page.page_number}")

    monkeypatch.setattr(pdfplumber.page.Page, "layout", property(layout))


def _refused(path: Path, reason: str, **limits) -> str:
    started = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(ExtractionError) as caught:
            extract(path, limits=PdfLimits(**limits) if limits else None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.reason == reason, str(caught.value)
    assert time.perf_counter() - started < QUICK_S
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB of Python objects for a refusal"
    return str(caught.value)


# ---------------------------------------------------------------- hostile documents


def test_a_60_kb_file_with_20_million_characters_is_refused_before_layout(tmp_path, no_layout):
    path = hostile.many_chars(tmp_path / "bomb.pdf", 20_000_000)
    assert path.stat().st_size < 80_000
    message = _refused(path, "too_dense")
    assert message == (
        "bomb.pdf: page 1 has more drawing instructions than the 1 MiB-per-page limit "
        "once decompressed"
    )


def test_characters_per_page_are_counted_and_named(tmp_path, no_layout):
    hostile.many_chars(tmp_path / "crammed.pdf", 4_000, count=3)
    message = _refused(tmp_path / "crammed.pdf", "too_dense", max_page_chars=3_000)
    found = re.fullmatch(
        r"crammed\.pdf: page 1 has ([\d,]+) characters, over the 3,000-per-page limit", message
    )
    assert found and 4_000 <= int(found.group(1).replace(",", "")) < 4_100


def test_a_dense_199_page_document_is_refused_at_the_page_that_passes_the_total(
    tmp_path, no_layout
):
    path = hostile.dense_pages(tmp_path / "dense.pdf", 199)
    message = _refused(path, "too_dense")
    found = re.fullmatch(
        r"dense\.pdf: pages 1–(\d+) have ([\d,]+) characters, over the 300,000 limit for a "
        r"document",
        message,
    )
    assert found, message
    last, total = int(found.group(1)), int(found.group(2).replace(",", ""))
    assert 300_000 < total and total - total // last <= 300_000  # the page that passed it


def test_drawing_objects_per_page_and_in_all(tmp_path, no_layout):
    path = hostile.many_paths(tmp_path / "grid.pdf", 6_000)
    assert _refused(path, "too_dense") == (
        "grid.pdf: page 1 has 6,000 drawing objects (lines, shapes, images), "
        "over the 5,000-per-page limit"
    )
    path = hostile.many_paths(tmp_path / "grids.pdf", 400, count=3)
    assert _refused(path, "too_dense", max_objects=1_000) == (
        "grids.pdf: pages 1–3 have 1,200 drawing objects (lines, shapes, images), "
        "over the 1,000 limit for a document"
    )


def test_shapes_inside_a_form_count_each_time_it_is_drawn(tmp_path, no_layout):
    path = hostile.shapes_in_a_form(tmp_path / "logo.pdf", 3_000, times=2)
    assert _refused(path, "too_dense") == (
        "logo.pdf: page 1 has 6,000 drawing objects (lines, shapes, images), "
        "over the 5,000-per-page limit"
    )


def test_nested_forms_are_sized_without_drawing_them(tmp_path, no_layout):
    path = hostile.nested_forms(tmp_path / "forms.pdf", depth=7)  # a million words
    assert path.stat().st_size < 4_000
    assert "page 1 has more drawing instructions than the 1 MiB-per-page" in _refused(
        path, "too_dense"
    )
    path = hostile.self_drawing_form(tmp_path / "loop.pdf")
    assert _refused(path, "corrupt") == ("loop.pdf: page 1 draws a form XObject that draws itself")


def test_a_page_tree_of_thousands_of_pages_is_counted_only_past_the_limit(tmp_path, no_layout):
    path = hostile.pages(tmp_path / "pages.pdf", b"BT /F1 9 Tf 10 800 Td (p) Tj ET", 5_000)
    assert _refused(path, "too_many_pages") == (
        "pages.pdf: more than 1,000 pages is over the limit of 200 pages"
    )
    path = hostile.pages(tmp_path / "some.pdf", b"BT /F1 9 Tf 10 800 Td (p) Tj ET", 250)
    assert _refused(path, "too_many_pages") == "some.pdf: 250 pages is over the limit of 200 pages"


def test_total_drawing_instructions(tmp_path, no_layout):
    path = hostile.many_chars(tmp_path / "long.pdf", 20_000, count=4)  # 20.1 KB of text a page
    assert _refused(path, "too_dense", max_content=65_536) == (
        "long.pdf: pages 1–4 have more drawing instructions than the 0.0625 MiB limit "
        "for a document once decompressed"
    )


@pytest.mark.parametrize(
    "filters",
    [
        ("FlateDecode",),
        ("ASCIIHexDecode", "FlateDecode"),
        ("ASCII85Decode",),
        ("RunLengthDecode",),
        (),
    ],
)
def test_content_is_measured_through_each_filter_and_cut_at_the_budget(tmp_path, filters):
    content = hostile.text_lines(50, 100)
    path = hostile.pages(tmp_path / "f.pdf", content, filters=filters)
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0].page_obj
        assert content_size(page, 10**6) == len(content)
        assert len(content) // 2 < content_size(page, len(content) // 2) <= len(content)


# ---------------------------------------------------------------- real documents pass


@needs_fonts
def test_the_demo_methodology_extracts_as_before_within_a_tenth_of_every_limit(tmp_path):
    lang = "ko"  # the demo renders the Korean house methodology
    source = house_methodology(lang)
    pdf = render_pdf(source, tmp_path / "house.pdf", layout="table")
    limits = PdfLimits()
    tight = replace(
        limits,
        **{
            f.name: getattr(limits, f.name) // 10 for f in fields(limits) if f.name != "max_seconds"
        },
    )
    result = extract(pdf, limits=tight)
    assert result == extract(pdf)  # draft, fields, missing, pages and warnings alike
    changed = [d for d in diff(source, result.draft) if not _expected_difference(d["path"], lang)]
    assert [d["path"] for d in changed] == ["$.id"]  # the demo's one correction, as before
    assert result.warnings == []


# ---------------------------------------------------------------- the time limit


@needs_fonts
def test_a_run_past_the_time_limit_stops_between_pages(tmp_path, monkeypatch):
    pdf = render_pdf(house_methodology(), tmp_path / "house.pdf", layout="table")
    clock = [0.0]
    monkeypatch.setattr(pdf_limits, "_now", lambda: clock[0])
    read_page = extract_module._read_page

    def slow_page(page):
        clock[0] += 10  # each page "takes" 10 s
        return read_page(page)

    monkeypatch.setattr(extract_module, "_read_page", slow_page)
    with pytest.raises(ExtractionError) as caught:
        extract(pdf, limits=PdfLimits(max_seconds=15))
    assert caught.value.reason == "too_slow"
    assert str(caught.value) == (
        "house.pdf: reading the PDF took longer than the 15-second limit (stopped at page 3 "
        "of 3); split the document or remove its densest pages"
    )
    clock[0] = 0.0
    assert extract(pdf, limits=PdfLimits(max_seconds=35)).draft["sections"]


@needs_fonts
def test_a_tiny_time_limit_is_reported(tmp_path):
    pdf = render_pdf(house_methodology(), tmp_path / "house.pdf", layout="table")
    message = str(
        pytest.raises(
            ExtractionError, extract, pdf, limits=replace(PdfLimits(), max_seconds=1e-9)
        ).value
    )
    assert "took longer than the 1e-09-second limit (stopped checking page 1 of " in message


# ---------------------------------------------------------------- the command line


def test_cli_refuses_with_one_line_and_exit_2(tmp_path):
    path = hostile.many_chars(tmp_path / "bomb.pdf", 20_000_000)
    started = time.perf_counter()
    done = run_cli("methodology", "extract", str(path), home=tmp_path / "home")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: bomb.pdf: page 1 has more drawing instructions than the 1 MiB-per-page limit "
        "once decompressed"
    ]
    assert time.perf_counter() - started < 60  # the refusal itself is quick
