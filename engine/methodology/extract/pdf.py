"""Draft a methodology (the JSON format of docs/methodology-format.md) from a PDF document.

    result = extract("methodology.pdf")
    result.draft      # a methodology dict: id slugged from the title, version 1, language,
                      # client null (a house-wide document), the purpose paragraph as its
                      # description, fallback windows and the missing-input rule from prose
    result.fields     # every extracted value with its JSON path, page, source text, confidence
    result.missing    # JSON paths it could not find (never guessed silently)
    result.pages      # page text and tables, for showing beside the draft
    result.warnings   # inconsistencies found (weights that do not sum to 100, …)

pdfplumber reads the text lines (with font size and weight) and the ruled tables of each page.
Lines repeated at the top or bottom of most pages (running headers, footers, "- 3 -") are
dropped, a table that continues on the next page is joined to its first part (a repeated
header row is dropped), and the remaining lines and tables are read in order by
`engine.methodology.extract.draft` (vocabulary and phrase parsers in `engine.methodology.extract.rules`, the draft,
fields and missing paths put together in `engine.methodology.extract.build`). A file that is not a
readable, text-bearing PDF within the limits is refused with an `ExtractionError` that says why.

The limits (`engine.methodology.extract.limits.PdfLimits`: size, pages, and the characters, drawing objects and
drawing instructions per page and in all) are checked before pdfplumber lays out any page, and a
wall-clock deadline is checked between pages and blocks while extracting.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage
from pdfplumber.utils.exceptions import PdfminerException

from engine.methodology.extract import rules
from engine.methodology.extract.draft import Block, DraftBuilder
from engine.methodology.extract.limits import Deadline, LimitError, PdfLimits, check_work

log = logging.getLogger(__name__)

PAGES_COUNTED = 5  # a document over the page limit is counted up to 5 times the limit
EDGE_ZONE = 0.1  # running headers and footers live in the top and bottom 10 % of a page
PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?[-–—\s]*$", re.I)


class ExtractionError(ValueError):
    """The document was refused; `reason` is a short machine-readable code."""

    def __init__(self, file_name: str, reason: str, message: str) -> None:
        self.file_name, self.reason = file_name, reason
        super().__init__(f"{file_name}: {message}")


@dataclass
class PageText:
    """One page as read: its text (tables as ' | '-joined rows) and its tables as cell grids."""

    number: int
    text: str
    tables: list[list[list[str]]] = field(default_factory=list)


@dataclass
class ExtractedField:
    """One value of the draft, where it came from and how sure the reading is (0–1)."""

    path: str
    value: Any
    page: int
    source_text: str
    confidence: float


@dataclass
class Extraction:
    draft: dict
    fields: list[ExtractedField]
    missing: list[str]
    pages: list[PageText]
    warnings: list[str]
    grade_labels: dict[int, str] = field(default_factory=dict)  # internal grade → document label

    def field(self, path: str) -> ExtractedField | None:
        return next((f for f in self.fields if f.path == path), None)


def _size(n: int) -> str:
    return (
        f"{n / 2**20:.1f} MiB"
        if n >= 2**20
        else f"{n / 1024:.1f} KiB"
        if n >= 1024
        else f"{n} bytes"
    )


def _page_count(pdf: pdfplumber.PDF, most: int) -> int:
    """Pages of the page tree, counted no further than `most + 1` (a small file can list
    millions, and pdfplumber's `pages` builds every one)."""
    return sum(1 for _ in islice(PDFPage.create_pages(pdf.doc), most + 1))


def _check_file(path: Path, max_pages: int, max_bytes: int) -> pdfplumber.PDF:
    name = path.name
    if not path.is_file():
        raise ExtractionError(name, "not_found", "file not found")
    size = path.stat().st_size
    if size > max_bytes:
        raise ExtractionError(
            name,
            "too_large",
            f"{_size(size)} is over the {_size(max_bytes)} limit for a methodology PDF",
        )
    with path.open("rb") as handle:
        head = handle.read(1024)
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    if b"%PDF-" not in head:
        raise ExtractionError(
            name, "not_pdf", "not a PDF file (no %PDF header); upload the PDF itself"
        )
    if b"%%EOF" not in tail:
        raise ExtractionError(
            name, "corrupt", "the PDF is truncated or corrupt (no end-of-file marker)"
        )
    try:
        pdf = pdfplumber.open(path)
        pages = _page_count(pdf, PAGES_COUNTED * max_pages)
    except PdfminerException as exc:
        inner = exc.args[0] if exc.args else exc
        if isinstance(inner, PDFPasswordIncorrect | PDFEncryptionError):
            raise ExtractionError(
                name,
                "encrypted",
                "the PDF is password-protected; save an unprotected copy and upload that",
            ) from exc
        raise ExtractionError(
            name, "corrupt", f"the PDF is corrupt and cannot be read ({inner})"
        ) from exc
    except Exception as exc:  # pdfminer raises many types on malformed files
        raise ExtractionError(
            name, "corrupt", f"the PDF is corrupt and cannot be read ({exc})"
        ) from exc
    if pages > max_pages:
        pdf.stream.close()  # not pdf.close(): that builds every page, to close each
        counted = PAGES_COUNTED * max_pages
        how_many = f"{pages:,} pages is" if pages <= counted else f"more than {counted:,} pages is"
        raise ExtractionError(
            name, "too_many_pages", f"{how_many} over the limit of {max_pages:,} pages"
        )
    if pages == 0:
        pdf.close()
        raise ExtractionError(name, "corrupt", "the PDF has no pages")
    return pdf


def _is_bold(chars: list[dict]) -> bool:
    return bool(chars) and all(re.search(r"bold|black|heavy", c["fontname"], re.I) for c in chars)


def _read_page(
    page: Any,
) -> tuple[list[dict], list[tuple[float, list[list[str | None]]]], PageText]:
    """Text lines (outside tables) and tables of one page, each with its vertical position."""
    tables = page.find_tables() if (page.rects or page.lines) else []
    body = page
    for table in tables:
        body = body.outside_bbox(table.bbox)
    lines = body.extract_text_lines(return_chars=True, strip=True)
    grids = [(t.bbox[1], t.extract()) for t in tables]
    shown = [(line["top"], line["text"]) for line in lines]
    shown += [
        (top, "\n".join(" | ".join(c or "" for c in row) for row in grid)) for top, grid in grids
    ]
    text = "\n".join(text for _, text in sorted(shown, key=lambda item: item[0]))
    plain = [[[c or "" for c in row] for row in grid] for _, grid in grids]
    return lines, grids, PageText(page.page_number, text, plain)


def _edge_key(line: dict, height: float, number: int) -> str | None:
    """A line in the header or footer zone, with the page's own number masked; else None."""
    if EDGE_ZONE * height <= line["top"] and line["bottom"] <= (1 - EDGE_ZONE) * height:
        return None
    return re.sub(rf"(?<![\d.,]){number}(?![\d.,])", "#", line["text"])


def _running_lines(pages_lines: list[tuple[float, int, list[dict]]]) -> set[str]:
    """Header and footer lines repeated (page numbers masked) on at least half of the pages."""
    seen: Counter[str] = Counter()
    for height, number, lines in pages_lines:
        seen.update({k for line in lines if (k := _edge_key(line, height, number)) is not None})
    need = max(2, 0.5 * len(pages_lines))
    return {key for key, count in seen.items() if count >= need}


def _blocks(
    pdf: pdfplumber.PDF, pages_out: list[PageText], name: str, tick: Callable[[str], None]
) -> list[Block]:
    read, chars, images = [], 0, 0
    for page in pdf.pages:
        tick(f"at page {page.page_number} of {len(pdf.pages)}")
        chars, images = chars + len(page.chars), images + len(page.images)
        lines, grids, page_text = (
            _read_page(page) if page.chars else ([], [], PageText(page.page_number, ""))
        )
        read.append((page, lines, grids))
        pages_out.append(page_text)
        page.flush_cache()
    if chars == 0:
        what = "only images and " if images else ""
        raise ExtractionError(
            name,
            "no_text",
            f"the PDF has {what}no text layer; a scanned PDF needs OCR first "
            "(for example `ocrmypdf in.pdf out.pdf`), then upload the OCR'd copy",
        )
    running = _running_lines([(float(p.height), p.page_number, lines) for p, lines, _ in read])
    sizes = Counter(
        round(c["size"]) for _, lines, _ in read for line in lines for c in line["chars"]
    )
    body_size = float(sizes.most_common(1)[0][0]) if sizes else 10.0
    blocks: list[Block] = []
    for page, lines, grids in read:
        height, number, own = float(page.height), page.page_number, []
        for line in lines:
            key = _edge_key(line, height, number)
            if key is not None and (key in running or PAGE_NUMBER.match(line["text"])):
                continue
            size = max(c["size"] for c in line["chars"])
            heading = _is_bold(line["chars"]) or size >= body_size + 1.5
            own.append(
                Block(
                    "line",
                    number,
                    line["top"],
                    line["text"],
                    heading,
                    size,
                    x0=line["x0"],
                    bottom=line["bottom"],
                )
            )
        for top, grid in grids:
            rows = [list(row) for row in grid]
            own.append(Block("table", number, top, rows=rows, row_pages=[number] * len(rows)))
        own.sort(key=lambda b: b.top)
        if own and own[0].kind == "table" and blocks and blocks[-1].kind == "table":
            _continue_table(blocks[-1], own.pop(0), blocks)
        blocks.extend(own)
    return blocks


def _continue_table(previous: Block, part: Block, blocks: list[Block]) -> None:
    """Join a table at the top of a page to the one ending the page before, if it continues it."""
    width = len(previous.rows[0]) if previous.rows else 0
    if not part.rows or len(part.rows[0]) != width or previous.page != part.page - 1:
        blocks.append(part)
        return
    rows, pages = part.rows, part.row_pages
    if [c or "" for c in rows[0]] == [c or "" for c in previous.rows[0]]:
        rows, pages = rows[1:], pages[1:]
    previous.rows.extend(rows)
    previous.row_pages.extend(pages)


def _title(blocks: list[Block], language: str) -> tuple[str | None, str | None, Block | None]:
    """The document title (largest text on the first page with text) and an English subtitle."""
    first = [b for b in blocks if b.kind == "line" and b.page == blocks[0].page] if blocks else []
    if not first:
        return None, None, None
    biggest = max(b.size for b in first)
    title_lines = [b for b in first if b.size >= biggest - 0.5]
    title = " ".join(b.text for b in title_lines)
    name_en = None
    if language == "ko":
        for b in first:
            if b.size < biggest - 0.5 and b.size > 10.5 and rules.language_of(b.text) == "en":
                name_en = b.text
                break
    return title, name_en, title_lines[0]


def _read(
    path: Path, pdf: pdfplumber.PDF, limits: PdfLimits, deadline: Deadline
) -> tuple[list[Block], list[PageText]]:
    """The blocks and page texts of an opened PDF, once its pages pass the work limits."""
    pages: list[PageText] = []
    try:
        with pdf:
            check_work(path, [page.page_obj for page in pdf.pages], limits, deadline)
            return _blocks(pdf, pages, path.name, deadline.check), pages
    except (ExtractionError, LimitError):
        raise
    except Exception as exc:
        raise ExtractionError(
            path.name, "corrupt", f"the PDF is corrupt and cannot be read ({exc})"
        ) from exc


def extract(
    path: str | Path,
    *,
    limits: PdfLimits | None = None,
    max_pages: int | None = None,
    max_bytes: int | None = None,
) -> Extraction:
    """Read a methodology PDF into a draft; raises `ExtractionError` for documents it cannot read
    or that ask for more work than `limits` allow (`max_pages`, `max_bytes` override two)."""
    path = Path(path)
    limits = limits or PdfLimits()
    overrides = {"max_pages": max_pages, "max_bytes": max_bytes}
    limits = replace(limits, **{k: v for k, v in overrides.items() if v is not None})
    deadline = Deadline(limits.max_seconds)
    pdf = _check_file(path, limits.max_pages, limits.max_bytes)
    try:
        blocks, pages = _read(path, pdf, limits, deadline)
        language = rules.language_of("\n".join(p.text for p in pages))
        title, name_en, title_block = _title(blocks, language)
        builder = DraftBuilder(language)
        builder.feed(blocks, deadline.check)
    except LimitError as exc:
        raise ExtractionError(path.name, exc.reason, str(exc)) from None
    result = builder.build(title, name_en, title_block)
    log.info(
        "%s: %d pages, %d fields, %d missing, %d warnings",
        path.name,
        len(pages),
        len(result.fields),
        len(result.missing),
        len(result.warnings),
    )
    return Extraction(
        draft=result.draft,
        fields=[ExtractedField(*f) for f in result.fields],
        missing=result.missing,
        pages=pages,
        warnings=result.warnings,
        grade_labels=result.grade_labels,
    )
