"""Work limits for reading a PDF, checked page by page before pdfplumber lays any page out.

A small file can ask for a great deal of work: 60 KB of compressed text can hold 20 million
characters, a few hundred bytes of nested forms a million objects, and pdfplumber spends about
0.05–0.1 ms on each character and about 1 ms on each line or shape. So before extraction:

1. each page's drawing instructions are measured decompressed, forms expanded, without running
   them (`engine.methodology.extract.content`), per page and in all;
2. pdfium (C, quick once 1. has bounded the work) counts each page's characters and drawing
   objects (lines, shapes, images; text is counted in characters), per page and in all;
3. a wall-clock `Deadline` is checked between pages and blocks while extracting.

pdfium is not thread-safe (Streamlit runs each session in a thread): calls hold `PDFIUM_LOCK`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfpage import PDFPage

from engine.methodology.extract.content import ContentLoopError, content_size

PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True)
class PdfLimits:
    """The most work one methodology PDF may ask for. A real methodology page has 1–6 thousand
    characters, a few hundred objects and 10–100 KiB of drawing instructions."""

    max_bytes: int = 50 * 2**20
    max_pages: int = 200
    max_page_content: int = 2**20  # decompressed drawing instructions, forms expanded
    max_content: int = 16 * 2**20
    max_page_chars: int = 30_000
    max_chars: int = 300_000
    max_page_objects: int = 5_000  # lines, shapes and images
    max_objects: int = 50_000
    max_seconds: float = 60.0


class LimitError(ValueError):
    """A limit was passed; `reason` is a short machine-readable code, the message says which."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def _now() -> float:
    return time.monotonic()


class Deadline:
    """A wall-clock limit on one extraction, checked between units of work."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.start = seconds, _now()

    def check(self, where: str) -> None:
        """Raise `LimitError('too_slow')` once the time is up; `where` says what was stopped."""
        if _now() - self.start > self.seconds:
            raise LimitError(
                "too_slow",
                f"reading the PDF took longer than the {self.seconds:g}-second limit "
                f"(stopped {where}); split the document or remove its densest pages",
            )


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def _drawn(
    handle: Any,
    count: Callable[[Any], int] = pdfium_c.FPDFPage_CountObjects,
    get: Callable[[Any, int], Any] = pdfium_c.FPDFPage_GetObject,
) -> int:
    """Lines, shapes and images of a page (or form object), counting inside forms."""
    n = 0
    for i in range(max(0, count(handle))):
        obj = get(handle, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            n += _drawn(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject)
        elif kind != pdfium_c.FPDF_PAGEOBJ_TEXT:
            n += 1
    return n


def _count(document: pdfium.PdfDocument, index: int) -> tuple[int, int]:
    """Characters and drawing objects of one page, by pdfium."""
    page = document[index]
    try:
        text = page.get_textpage()
        try:
            chars = text.count_chars()
        finally:
            text.close()
        return chars, _drawn(page.raw)
    finally:
        page.close()


class _Totals:
    def __init__(self, limits: PdfLimits) -> None:
        self.limits, self.content, self.chars, self.objects = limits, 0, 0, 0

    def content_of(self, page: PDFPage, number: int) -> None:
        limits = self.limits
        budget = min(limits.max_page_content, limits.max_content - self.content)
        try:
            size = content_size(page, budget)
        except ContentLoopError as exc:
            raise LimitError("corrupt", f"page {number} {exc}") from None
        if size > limits.max_page_content:
            raise LimitError(
                "too_dense",
                f"page {number} has more drawing instructions than the "
                f"{_mib(limits.max_page_content)}-per-page limit once decompressed",
            )
        self.content += size
        if self.content > limits.max_content:
            raise LimitError(
                "too_dense",
                f"pages 1–{number} have more drawing instructions than the "
                f"{_mib(limits.max_content)} limit for a document once decompressed",
            )

    def counts_of(self, chars: int, objects: int, number: int) -> None:
        limits = self.limits
        self.chars, self.objects = self.chars + chars, self.objects + objects
        for what, n, total, per_page, overall in (
            ("characters", chars, self.chars, limits.max_page_chars, limits.max_chars),
            (
                "drawing objects (lines, shapes, images)",
                objects,
                self.objects,
                limits.max_page_objects,
                limits.max_objects,
            ),
        ):
            if n > per_page:
                raise LimitError(
                    "too_dense",
                    f"page {number} has {n:,} {what}, over the {per_page:,}-per-page limit",
                )
            if total > overall:
                raise LimitError(
                    "too_dense",
                    f"pages 1–{number} have {total:,} {what}, "
                    f"over the {overall:,} limit for a document",
                )


def check_work(path: Path, pages: Sequence[PDFPage], limits: PdfLimits, deadline: Deadline) -> None:
    """Refuse, with `LimitError`, a PDF whose pages ask for more work than `limits` allow."""
    totals = _Totals(limits)
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise LimitError("corrupt", f"the PDF is corrupt and cannot be read ({exc})") from None
        try:
            if len(document) != len(pages):
                raise LimitError(
                    "corrupt",
                    f"the PDF's page tree is damaged ({len(pages)} or {len(document)} pages)",
                )
            for index, page in enumerate(pages):
                number = index + 1
                deadline.check(f"checking page {number} of {len(pages)}")
                totals.content_of(page, number)
                totals.counts_of(*_count(document, index), number)
        finally:
            document.close()
