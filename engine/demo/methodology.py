"""The demo's documented house methodology, as a Korean PDF that goes through real extraction.

So that a fresh workbench has a methodology on every page, the demo renders the house
methodology (`engine.demo.house`) as a Korean PDF, extracts it like any uploaded document and
saves the draft as a version, active for every client.

The extraction gives back the written document exactly, except the names in the other language
(a Korean PDF prints no English criterion names: the draft has the extractor's defaults) and
`x-` keys (the document's grade labels). `DemoMethodology.differences` lists anything else, and
is empty for the house methodology.

Installing again (a rebuilt demo) saves nothing new: a version with the same body is reused. The
version is made active for all clients ('*') unless another methodology already is: a choice the
analyst made is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from engine.demo.house import house_methodology
from engine.methodology import active, body_sha256, diff, list_versions, save_version, set_active
from engine.methodology.extract.pdf import extract
from engine.methodology.extract.render import render_pdf
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

PDF_NAME = "house_methodology_{lang}.pdf"
NOTE = "synthetic demo: extracted from the generated house methodology PDF"
NOTE_NO_PDF = "synthetic demo: the written house methodology (no Korean font for its PDF)"
CREATED_BY = "demo"


@dataclass
class DemoMethodology:
    """What was installed: the saved id and version, the PDF, extraction differences, and
    whether the version is the one active for all clients."""

    methodology_id: str
    version: int
    pdf: str
    differences: list[dict]
    active: bool = True


def _expected_difference(path: str, language: str) -> bool:
    """A difference extraction is allowed: an `x-` key, or a section's or criterion's name in
    the language the document is not written in (the PDF does not print it)."""
    leaf = path.rsplit(".", 1)[-1]
    other = "name_en" if language == "ko" else "name_ko"
    return leaf.startswith("x-") or (path.startswith("$.sections[") and leaf == other)


def _existing_version(con, doc: dict) -> int | None:
    """A saved version of `doc`'s id whose body is identical to `doc` (ignoring "version")."""
    versions = list_versions(con, doc["id"])
    same = versions[versions["sha256"] == body_sha256(doc)]
    return int(same["version"].min()) if len(same) else None


def install_house_methodology(home: Home, lang: str = "ko") -> DemoMethodology:
    """Render, extract and save the house methodology; make it the active version for all.

    Without the Korean font (`make fonts`) the written document is saved as it is, with a
    warning, so that the demo still has its methodology.
    """
    source = house_methodology(lang)
    folder = home.ensure().uploads / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        pdf = render_pdf(source, folder / PDF_NAME.format(lang=lang), layout="table")
    except FileNotFoundError as exc:  # the NanumGothic font is not installed
        log.warning("house methodology saved without its PDF: %s", exc)
        draft, pdf_name, note, differences = source, "", NOTE_NO_PDF, []
    else:
        draft = extract(pdf).draft
        draft["id"] = source["id"]  # the analyst's one correction: the house's own id
        pdf_name, note = pdf.name, NOTE
        differences = [d for d in diff(source, draft) if not _expected_difference(d["path"], lang)]
        if differences:
            log.warning("extraction of %s differs from its source: %s", pdf.name, differences[:5])
    with connect(home) as con:
        version = _existing_version(con, draft)
        if version is None:
            version = save_version(
                con, draft, created_by=CREATED_BY, note=note, source_file=pdf_name or None
            )
        current = active(con)
        if current is None:
            set_active(con, draft["id"], version, client="*", set_by=CREATED_BY)
            current = (draft["id"], version)
    return DemoMethodology(
        draft["id"],
        version,
        str(pdf) if pdf_name else "",
        differences,
        current == (draft["id"], version),
    )
