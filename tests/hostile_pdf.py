"""Small PDF files that cost a reader far more than their size, written object by object (with
flate-compressed content streams) so that a test makes one in milliseconds."""

from __future__ import annotations

import zlib
from pathlib import Path

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
HELVETICA = b"<< /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >>"
FONT = b"<< /Font %s >>" % HELVETICA
FORM = b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources %s "


def stream(
    content: bytes, extra: bytes = b"", filters: tuple[str, ...] = ("FlateDecode",)
) -> bytes:
    """A stream object of `content`, encoded by `filters` (applied last to first, as a reader
    decodes them first to last); `extra` adds dictionary entries."""
    data = content
    for name in reversed(filters):
        data = ENCODERS[name](data)
    names = b" ".join(b"/" + name.encode() for name in filters)
    head = b"<< /Length %d /Filter [%s] %s>>\nstream\n" % (len(data), names, extra)
    return head + data + b"\nendstream"


def _run_length(data: bytes) -> bytes:
    """RunLength encoding in literal runs of up to 128 bytes."""
    out = bytearray()
    for at in range(0, len(data), 128):
        piece = data[at : at + 128]
        out += bytes([len(piece) - 1]) + piece
    return bytes(out + b"\x80")


def _ascii85(data: bytes) -> bytes:
    import base64

    return base64.a85encode(data, adobe=True)[2:]  # PDF keeps the "~>" end, not the "<~" start


ENCODERS = {
    "FlateDecode": lambda data: zlib.compress(data, 9),
    "ASCIIHexDecode": lambda data: data.hex().encode() + b">",
    "ASCII85Decode": _ascii85,
    "RunLengthDecode": _run_length,
}


def write(path: Path, objects: list[bytes]) -> Path:
    """A PDF of `objects` (object 1 is the catalog, 2 the page tree), with its xref table."""
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out + b"%%EOF\n"))
    return path


def pages(
    path: Path,
    content: bytes,
    count: int = 1,
    resources: bytes = FONT,
    extra: tuple[bytes, ...] = (),
    filters: tuple[str, ...] = ("FlateDecode",),
) -> Path:
    """`count` pages that all draw one content stream (object 3); `extra` objects follow it."""
    first = 4 + len(extra)
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(count))
    return write(
        path,
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            stream(content, filters=filters),
            *extra,
            *[PAGE % (resources, 3) for _ in range(count)],
        ],
    )


def text_lines(lines: int, width: int, size: float = 1.0) -> bytes:
    """A content stream of `lines` lines of `width` characters in Helvetica at `size` points."""
    line = b"(" + b"Sharpe 3y 30% " * (width // 14) + b"A" * (width % 14) + b") Tj\n"
    return b"BT /F1 %g Tf %g TL 10 830 Td\n" % (size, size) + (b"T* " + line) * lines + b"ET\n"


def many_chars(path: Path, chars: int, count: int = 1) -> Path:
    """`count` pages of about `chars` characters each, in 1-point type."""
    width = 2000
    return pages(path, text_lines(max(1, chars // width), width), count)


def dense_pages(path: Path, count: int, lines: int = 80, width: int = 160) -> Path:
    """A long document of full pages of 8-point text: a plausible page, `count` times."""
    return pages(path, text_lines(lines, width, size=8.0), count)


def many_paths(path: Path, rects: int, count: int = 1) -> Path:
    """`count` pages, each with a few words and `rects` tiny filled rectangles."""
    grid = b"".join(b"%d %d 1 1 re f\n" % (i % 590, (i // 590) % 840) for i in range(rects))
    return pages(path, text_lines(3, 40, size=10.0) + grid, count)


def nested_forms(path: Path, depth: int, fanout: int = 10) -> Path:
    """One page drawing a form that draws the next form `fanout` times, `depth` levels deep:
    `fanout ** depth` words from a few hundred bytes."""
    forms = []
    for level in range(depth):
        number = 4 + level
        if level == depth - 1:
            forms.append(stream(b"BT /F1 1 Tf 0 0 Td (x) Tj ET", FORM % FONT))
        else:
            resources = b"<< /XObject << /X %d 0 R >> /Font %s >>" % (number + 1, HELVETICA)
            forms.append(stream(b"/X Do\n" * fanout, FORM % resources))
    return pages(path, b"/X Do\n", 1, b"<< /XObject << /X 4 0 R >> >>", tuple(forms))


def self_drawing_form(path: Path) -> Path:
    """One page drawing a form whose content draws the form again."""
    form = stream(b"/Me Do\n", FORM % b"<< /XObject << /Me 4 0 R >> >>")
    return pages(path, b"/Me Do\n", 1, b"<< /XObject << /Me 4 0 R >> >>", (form,))


def shapes_in_a_form(path: Path, rects: int, times: int) -> Path:
    """One page with a few words that draws a form of `rects` rectangles `times` times."""
    grid = b"".join(b"%d %d 1 1 re f\n" % (i % 590, (i // 590) % 840) for i in range(rects))
    form = stream(grid, FORM % b"<< >>")
    content = text_lines(3, 40, size=10.0) + b"/Shapes Do\n" * times
    return pages(
        path, content, 1, b"<< /XObject << /Shapes 4 0 R >> /Font %s >>" % HELVETICA, (form,)
    )
