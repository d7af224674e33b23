"""The inbox folder: files dropped into `WORKBENCH_HOME/inbox/` (a data vendor's nightly export,
say) are ingested before a cycle with the usual checks (`engine.data.ingest.ingest_file`).

Each file goes to `inbox/done/` when accepted or `inbox/refused/` when not, with a
`<name>.txt` beside it saying what happened; a refused file never blocks the others. Files are
taken in name order (so a vendor can number them: funds before NAVs); hidden files and folders
are left alone. A name already in done/ or refused/ gets a time stamp.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

from engine.data.ingest import IngestError, ingest_file
from store.home import Home

log = logging.getLogger(__name__)

DONE, REFUSED = "done", "refused"


def inbox_dir(home: Home) -> Path:
    return home.root / "inbox"


def waiting(home: Home) -> list[Path]:
    """The files waiting in the inbox, in name order."""
    root = inbox_dir(home)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))


def _move(path: Path, where: Path, note: str) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    target = where / path.name
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        target = where / f"{path.stem}.{stamp}{path.suffix}"
    shutil.move(str(path), target)
    target.with_name(target.name + ".txt").write_text(note + "\n", encoding="utf-8")
    return target


def ingest_inbox(home: Home, *, created_by: str = "inbox") -> list[dict]:
    """Ingest every waiting file; per file {"file", "outcome": ok|refused, "message", "moved_to"}
    (and the ingest counts when accepted)."""
    outcomes = []
    for path in waiting(home):
        try:
            result = ingest_file(home, path, source="inbox", created_by=created_by)
        except (IngestError, OSError, ValueError) as exc:
            message = " ".join(str(exc).split())
            moved = _move(path, inbox_dir(home) / REFUSED, f"refused: {message}")
            log.warning("inbox: refused %s: %s", path.name, message)
            outcomes.append({"file": path.name, "outcome": "refused", "message": message,
                             "moved_to": str(moved)})  # fmt: skip
            continue
        counts = {
            k: getattr(result, k) for k in ("kind", "rows", "inserted", "replaced", "unchanged")
        }
        message = (f"ingested as {result.kind}: {result.rows} rows, {result.inserted} inserted, "
                   f"{result.replaced} replaced, {result.unchanged} unchanged")  # fmt: skip
        moved = _move(path, inbox_dir(home) / DONE, message)
        outcomes.append({"file": path.name, "outcome": "ok", "message": message,
                         "moved_to": str(moved), **counts})  # fmt: skip
    return outcomes
