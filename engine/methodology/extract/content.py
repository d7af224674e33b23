"""How many bytes of drawing instructions a PDF page asks a reader to run, found without running them.

    size = content_size(page_obj, budget=2 * 2**20)   # a pdfminer PDFPage

The page's content streams are decompressed, never past `budget + 1` bytes (a 60 KB file can
inflate to gigabytes), and every form XObject the page draws (`/Name Do`) adds its own size as
many times as it is drawn, through nested forms, each form decompressed once. A form that draws
itself, or forms nested deeper than `MAX_FORM_DEPTH`, raise `ContentLoopError`. The result is
exact up to the budget and some number over it beyond.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from io import BytesIO
from typing import Any

from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import literal_name

MAX_FORM_DEPTH = 32
CHUNK = 1 << 14
DELIMITERS = rb"\s/\[\]()<>{}%"
DO = re.compile(rb"/([^%s]+)(?:\s|%%[^\r\n]*)*Do(?![^%s])" % (DELIMITERS, DELIMITERS))
HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class ContentLoopError(ValueError):
    """A form XObject draws itself, or forms nest deeper than any real document needs."""


def _inflate(data: bytes, budget: int) -> bytes:
    """Flate-decoded `data`, at most `budget + 1` bytes; a corrupt stream gives what precedes the
    damage (as pdfminer reads it)."""
    inflater, out = zlib.decompressobj(), bytearray()
    for at in range(0, len(data), CHUNK):
        try:
            out += inflater.decompress(data[at : at + CHUNK], budget + 1 - len(out))
        except zlib.error:
            break
        if len(out) > budget or inflater.eof:
            break
    return bytes(out)


def _unlzw(data: bytes, budget: int) -> bytes:
    out = bytearray()
    try:
        for piece in LZWDecoder(BytesIO(data)).run():
            out += piece
            if len(out) > budget:
                break
    except Exception:  # noqa: BLE001 - a damaged stream: size what was decoded
        pass
    return bytes(out)


def _unrun(data: bytes, budget: int) -> bytes:
    """RunLength-decoded `data`, at most about `budget` bytes."""
    out, at = bytearray(), 0
    while at < len(data) and len(out) <= budget and data[at] != 128:
        n = data[at]
        if n < 128:
            out += data[at + 1 : at + 2 + n]
            at += n + 2
        else:
            out += data[at + 1 : at + 2] * (257 - n)
            at += 2
    return bytes(out)


def decoded(stream: PDFStream, budget: int) -> bytes:
    """The stream's data decoded through its filters, cut at `budget + 1` bytes; a filter this
    cannot decode (images, /Crypt) ends the chain with the data as it stands."""
    if stream.data is not None:
        return stream.data[: budget + 1]
    data = stream.rawdata or b""
    if stream.decipher and stream.objid is not None and stream.genno is not None:
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    for spec, _params in stream.get_filters():
        name = literal_name(spec)
        if name in ("FlateDecode", "Fl"):
            data = _inflate(data, budget)
        elif name in ("LZWDecode", "LZW"):
            data = _unlzw(data, budget)
        elif name in ("RunLengthDecode", "RL"):
            data = _unrun(data, budget)
        elif name in ("ASCIIHexDecode", "AHx"):
            data = asciihexdecode(data)
        elif name in ("ASCII85Decode", "A85"):
            data = ascii85decode(data)
        else:
            break
    return data[: budget + 1]


def _resource_name(raw: bytes) -> str:
    """A name as pdfminer keys it in a resource dictionary ('#20' escapes decoded)."""
    name = HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError:
        return str(name)


class _Sizer:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.sizes: dict[tuple[int, int], int] = {}
        self.drawing: list[tuple[int, int]] = []

    def size(self, streams: Iterable[Any], resources: Any) -> int:
        """Bytes of `streams` plus those of the forms they draw, stopping once over budget."""
        resources = resolve1(resources) if resources else {}
        xobjects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
        xobjects = xobjects if isinstance(xobjects, dict) else {}
        total = 0
        for ref in streams:
            stream = resolve1(ref)
            if not isinstance(stream, PDFStream):
                continue
            data = decoded(stream, self.budget)
            total += len(data)
            drawn = Counter(_resource_name(m.group(1)) for m in DO.finditer(data))
            for name, times in drawn.items():
                form = resolve1(xobjects.get(name))
                if total > self.budget:
                    break
                if isinstance(form, PDFStream) and literal_name(form.get("Subtype")) == "Form":
                    total += times * self.form(form, resources)
            if total > self.budget:
                break
        return total

    def form(self, form: PDFStream, parent_resources: Any) -> int:
        own = form.get("Resources")
        key = (id(form), 0 if own else id(parent_resources))
        if key in self.sizes:
            return self.sizes[key]
        if key in self.drawing:
            raise ContentLoopError("draws a form XObject that draws itself")
        if len(self.drawing) >= MAX_FORM_DEPTH:
            raise ContentLoopError(f"nests form XObjects more than {MAX_FORM_DEPTH} deep")
        self.drawing.append(key)
        try:
            size = self.size([form], own or parent_resources)
        finally:
            self.drawing.pop()
        self.sizes[key] = size
        return size


def content_size(page: PDFPage, budget: int) -> int:
    """Bytes of drawing instructions on `page`, forms expanded; over `budget` means over it."""
    return _Sizer(budget).size(page.contents, page.resources)
