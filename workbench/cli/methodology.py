"""`python -m workbench methodology …` and `python -m workbench score …`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from engine.files.safe_write import check_target, write_bytes
from engine.files.tables import check_table_path, write_table
from engine.methodology import (
    MethodologyError,
    diff,
    get,
    list_versions,
    load,
    save_version,
    set_active,
    summary,
    validate,
)
from engine.methodology.extract.pdf import extract
from engine.methodology.scoring import score_funds
from store.db import connect
from store.home import Home


class MethodologyCliError(ValueError):
    """A bad methodology request: one line, exit status 2."""


def _load_doc(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        raise MethodologyCliError(f"{path}: file not found")
    return load(file)


def _write_json(doc: dict, out: str, force: bool) -> str:
    write_bytes(out, json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"), force)
    return out


def cmd_extract(args: argparse.Namespace, home: Home) -> dict:
    """Extract a draft methodology from a PDF (text and tables, with source pages)."""
    if args.out:
        check_target(args.out, args.force)
    result = extract(Path(args.pdf))
    problems = validate(result.draft)
    if args.out:
        _write_json(result.draft, args.out, args.force)
    fields = [asdict(f) for f in result.fields]
    return {
        "file": Path(args.pdf).name,
        "methodology_id": result.draft.get("id"),
        "language": result.draft.get("language"),
        "pages": len(result.pages),
        "sections": len(result.draft.get("sections", [])),
        "criteria": sum(len(s.get("criteria", [])) for s in result.draft.get("sections", [])),
        "fields_found": len(fields),
        "missing": result.missing,
        "warnings": result.warnings,
        "valid": not problems,
        "problems": [str(p) for p in problems],
        "out": args.out,
        "draft": result.draft if not args.out else None,
        "fields": fields,
    }


def cmd_validate(args: argparse.Namespace, home: Home) -> dict:
    """Check a methodology JSON file against the schema and the semantic rules."""
    doc = _load_doc(args.file)
    problems = validate(doc)
    if problems:
        raise MethodologyError(f"{Path(args.file).name} is not a valid methodology", problems)
    return {"file": args.file, "valid": True, "methodology_id": doc.get("id")}


def cmd_save(args: argparse.Namespace, home: Home) -> dict:
    """Save a methodology JSON file as a new immutable version (optionally make it active)."""
    doc = _load_doc(args.file)
    with connect(home) as con:
        version = save_version(
            con, doc, created_by=args.by, note=args.note, source_file=Path(args.file).name
        )
        if args.activate:
            set_active(con, doc["id"], version, client=args.client, set_by=args.by)
    return {
        "methodology_id": doc["id"],
        "version": version,
        "active_for": args.client if args.activate else None,
    }


def cmd_list(args: argparse.Namespace, home: Home) -> dict:
    """Saved methodology versions, newest first."""
    with connect(home) as con:
        frame = list_versions(con, args.methodology_id)
    for column in frame.columns:
        if str(frame[column].dtype).startswith("datetime"):
            frame[column] = frame[column].astype(str)
    return {"versions": json.loads(frame.to_json(orient="records", force_ascii=False))}


def cmd_show(args: argparse.Namespace, home: Home) -> dict:
    """One saved version (the latest by default) as JSON, with a readable summary."""
    if args.out:
        check_target(args.out, args.force)
    with connect(home) as con:
        doc = get(con, args.methodology_id, args.version)
    if args.out:
        _write_json(doc, args.out, args.force)
    return {
        "methodology_id": doc["id"],
        "version": doc.get("version"),
        "summary": summary(doc, args.lang or doc.get("language", "ko")),
        "document": doc,
        "out": args.out,
    }


def cmd_activate(args: argparse.Namespace, home: Home) -> dict:
    """Make a version the active one for a client ('*' = every client without its own)."""
    with connect(home) as con:
        set_active(con, args.methodology_id, args.version, client=args.client, set_by=args.by)
    return {"methodology_id": args.methodology_id, "version": args.version, "client": args.client}


def cmd_diff(args: argparse.Namespace, home: Home) -> dict:
    """Field-level differences between two saved versions."""
    with connect(home) as con:
        a = get(con, args.methodology_id, args.a)
        b = get(con, args.methodology_id, args.b)
    changes = [c for c in diff(a, b) if c["path"] != "$.version"]
    return {"methodology_id": args.methodology_id, "a": args.a, "b": args.b, "changes": changes}


def cmd_score(args: argparse.Namespace, home: Home) -> dict:
    """Rule-based reference scores and grades of every fund under a methodology version."""
    if args.out:
        check_table_path(args.out, args.force)
    frame = score_funds(home, args.methodology, args.version, args.as_of)
    if args.out:
        write_table(frame, args.out, args.force)
    graded = frame[frame["grade"].notna()]
    result = {
        "methodology_id": args.methodology,
        "version": frame.attrs.get("version", args.version),
        "as_of": str(frame.attrs.get("as_of", args.as_of or "")),
        "funds": len(frame),
        "graded": len(graded),
        "excluded": int(frame["excluded_by"].notna().sum()),
        "grades": {
            str(int(g)): int(n) for g, n in graded["grade"].value_counts().sort_index().items()
        },
        "out": args.out,
    }
    if not args.out:
        result["table"] = json.loads(frame.to_json(orient="records", force_ascii=False))
    return result
