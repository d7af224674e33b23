"""`python -m workbench methodology …` and `python -m workbench score …`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from store.home import Home


class MethodologyCliError(ValueError):
    """A bad methodology request: one line, exit status 2."""


def _load_doc(path: str) -> dict:
    from engine.methodology import load

    file = Path(path)
    if not file.is_file():
        raise MethodologyCliError(f"{path}: file not found")
    return load(file)


def _write_json(doc: dict, out: str, force: bool) -> str:
    from engine.files.safe_write import write_bytes

    write_bytes(out, json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"), force)
    return out


def cmd_extract(args: argparse.Namespace, home: Home) -> dict:
    """Extract a draft methodology from a PDF (text and tables, with source pages)."""
    from engine.files.safe_write import check_target
    from engine.methodology import validate
    from engine.methodology.extract.pdf import extract

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
    from engine.methodology import MethodologyError, validate

    doc = _load_doc(args.file)
    problems = validate(doc)
    if problems:
        raise MethodologyError(f"{Path(args.file).name} is not a valid methodology", problems)
    return {"file": args.file, "valid": True, "methodology_id": doc.get("id")}


def cmd_save(args: argparse.Namespace, home: Home) -> dict:
    """Save a methodology JSON file as a new immutable version (optionally make it active)."""
    from engine.methodology import save_version, set_active
    from store.db import connect

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
    from engine.methodology import list_versions
    from store.db import connect

    with connect(home) as con:
        frame = list_versions(con, args.methodology_id)
    for column in frame.columns:
        if str(frame[column].dtype).startswith("datetime"):
            frame[column] = frame[column].astype(str)
    return {"versions": json.loads(frame.to_json(orient="records", force_ascii=False))}


def cmd_show(args: argparse.Namespace, home: Home) -> dict:
    """One saved version (the latest by default) as JSON, with a readable summary."""
    from engine.files.safe_write import check_target
    from engine.methodology import get, summary
    from store.db import connect

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
    from engine.methodology import set_active
    from store.db import connect

    with connect(home) as con:
        set_active(con, args.methodology_id, args.version, client=args.client, set_by=args.by)
    return {"methodology_id": args.methodology_id, "version": args.version, "client": args.client}


def cmd_diff(args: argparse.Namespace, home: Home) -> dict:
    """Field-level differences between two saved versions."""
    from engine.methodology import diff, get
    from store.db import connect

    with connect(home) as con:
        a = get(con, args.methodology_id, args.a)
        b = get(con, args.methodology_id, args.b)
    changes = [c for c in diff(a, b) if c["path"] != "$.version"]
    return {"methodology_id": args.methodology_id, "a": args.a, "b": args.b, "changes": changes}


def cmd_score(args: argparse.Namespace, home: Home) -> dict:
    """Rule-based reference scores and grades of every fund under a methodology version."""
    from engine.files.tables import check_table_path, write_table
    from engine.methodology.scoring import score_funds

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


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `methodology …` and `score` on the main parser."""
    method = sub.add_parser("methodology", help="extract, validate, save and compare methodologies")
    msub = method.add_subparsers(dest="action", required=True, parser_class=type(method))

    p = msub.add_parser("extract", parents=[common], help=cmd_extract.__doc__)
    p.add_argument("pdf", metavar="PDF")
    p.add_argument("--out", help="write the draft JSON here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=cmd_extract)

    p = msub.add_parser("validate", parents=[common], help=cmd_validate.__doc__)
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = msub.add_parser("save", parents=[common], help=cmd_save.__doc__)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--note")
    p.add_argument("--by", default="cli", help="who saves it (default: cli)")
    p.add_argument("--activate", action="store_true", help="make it the active version")
    p.add_argument("--client", default="*", help="client id for --activate (default: all)")
    p.set_defaults(func=cmd_save)

    p = msub.add_parser("list", parents=[common], help=cmd_list.__doc__)
    p.add_argument("methodology_id", nargs="?", metavar="ID")
    p.set_defaults(func=cmd_list)

    p = msub.add_parser("show", parents=[common], help=cmd_show.__doc__)
    p.add_argument("methodology_id", metavar="ID")
    p.add_argument("--version", type=int)
    p.add_argument("--lang", choices=["ko", "en"])
    p.add_argument("--out", help="write the JSON here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=cmd_show)

    p = msub.add_parser("activate", parents=[common], help=cmd_activate.__doc__)
    p.add_argument("methodology_id", metavar="ID")
    p.add_argument("version", type=int, metavar="VERSION")
    p.add_argument("--client", default="*")
    p.add_argument("--by", default="cli")
    p.set_defaults(func=cmd_activate)

    p = msub.add_parser("diff", parents=[common], help=cmd_diff.__doc__)
    p.add_argument("methodology_id", metavar="ID")
    p.add_argument("a", type=int, metavar="A")
    p.add_argument("b", type=int, metavar="B")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("score", parents=[common], help=cmd_score.__doc__)
    p.add_argument("--methodology", required=True, metavar="ID")
    p.add_argument("--version", type=int)
    p.add_argument("--as-of", type=date_type)
    p.add_argument("--out", help="write the table to .csv, .parquet or .xlsx")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    p.set_defaults(func=cmd_score)
