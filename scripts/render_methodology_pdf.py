"""Render a methodology JSON file as a realistic methodology PDF (see engine.methodology.extract.render).

    .venv/bin/python scripts/render_methodology_pdf.py IN.json OUT.pdf \
        [--layout table|sections|prose|long] [--lang ko|en] [--pages-min N]

--pages-min pads the document with appendix prose until it has at least N pages (benchmarks).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.methodology.extract.render import LAYOUTS, render_pdf  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="methodology JSON")
    parser.add_argument("target", type=Path, help="PDF to write")
    parser.add_argument("--layout", choices=LAYOUTS, default="table")
    parser.add_argument("--lang", choices=("ko", "en"), default=None, help="default: the doc's")
    parser.add_argument("--pages-min", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    try:
        doc = json.loads(args.source.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        parser.error(f"cannot read {args.source}: {exc}")
    try:
        path = render_pdf(
            doc, args.target, layout=args.layout, lang=args.lang, pages_min=args.pages_min
        )
    except (KeyError, TypeError) as exc:
        print(
            f"{args.source}: not a methodology this renderer understands ({exc!r})", file=sys.stderr
        )
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
