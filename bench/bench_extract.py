"""Benchmark: methodology extraction time per page on a 50-page PDF.

Renders a Korean four-section methodology (one big criteria table) padded with appendix prose
to `--pages` pages, then times `engine.methodology.extract.pdf.extract` on it (best of `--repeat` runs) and
checks that the draft still has every criterion. Prints s/page and pages/s.

    .venv/bin/python bench/bench_extract.py [--pages 50] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.methodology.extract.pdf import extract  # noqa: E402
from engine.methodology.extract.render import render_pdf  # noqa: E402

BANDS = [(90, 5), (67.5, 4), (32.5, 3), (10, 2), (0, 1)]


def sample() -> dict:
    """A methodology with 4 sections and 12 criteria (7 indicators, 5 qualitative)."""

    def indicator(key: str, window: str, weight: float) -> dict:
        return {
            "id": f"{key}_{window}",
            "weight": weight,
            "measure": {"type": "indicator", "indicator": key, "window": window},
            "direction": "lower_is_better" if key == "volatility" else "higher_is_better",
            "scoring": {
                "method": "percentile_bands",
                "bands": [{"min_pct": p, "score": s} for p, s in BANDS],
            },
        }

    def qualitative(key: str, weight: float) -> dict:
        measure = {"type": "qualitative", "criterion": key}
        return {
            "id": key,
            "weight": weight,
            "measure": measure,
            "scoring": {"method": "qualitative"},
        }

    quantitative = [("ann_return", "3y", 20), ("sharpe", "3y", 20), ("information_ratio", "3y", 15)]
    quantitative += [("max_drawdown", "3y", 15), ("volatility", "3y", 10), ("ann_return", "1y", 10)]
    quantitative += [("mrar", "5y", 10)]
    sections = [
        ("quantitative", 60, [indicator(*q) for q in quantitative]),
        (
            "qualitative",
            20,
            [qualitative("philosophy_process", 50), qualitative("org_stability", 50)],
        ),
        (
            "company",
            10,
            [qualitative("company_capability", 50), qualitative("company_systems", 50)],
        ),
        ("esg", 10, [qualitative("esg", 100)]),
    ]
    return {
        "id": "bench",
        "version": 1,
        "name": "벤치마크 펀드평가 방법론",
        "name_en": "Bench Fund Rating Methodology",
        "language": "ko",
        "eligibility": {"min_track_record_months": 36, "min_aum": 10_000_000_000},
        "sections": [
            {"id": kind, "kind": kind, "weight": weight, "criteria": criteria}
            for kind, weight, criteria in sections
        ],
        "grade_scale": {
            "method": "percentile",
            "bands": [{"grade": s, "min_pct": p} for p, s in BANDS],
        },
    }


def run(pages: int, repeat: int) -> dict:
    doc = sample()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "methodology.pdf"
        started = time.perf_counter()
        render_pdf(doc, path, layout="table", pages_min=pages)
        render_s = time.perf_counter() - started
        times, result = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            result = extract(path)
            times.append(time.perf_counter() - started)
    assert result is not None
    n_pages = len(result.pages)
    expected = [c["id"] for s in doc["sections"] for c in s["criteria"]]
    found = [c["id"] for s in result.draft["sections"] for c in s["criteria"]]
    assert found == expected, (found, expected)
    best = min(times)
    return {
        "pages": n_pages,
        "render_s": round(render_s, 3),
        "extract_s": round(best, 3),
        "s_per_page": round(best / n_pages, 4),
        "pages_per_s": round(n_pages / best, 1),
        "criteria": len(found),
        "missing": result.missing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    out = run(args.pages, args.repeat)
    if args.json:
        print(json.dumps(out))
        return
    print(f"extract: {out['pages']} pages in {out['extract_s']:.3f} s (best of {args.repeat})")
    print(f"  {out['s_per_page']:.4f} s/page, {out['pages_per_s']:.1f} pages/s")
    print(f"  render (fpdf2): {out['render_s']:.3f} s; criteria found: {out['criteria']}")


if __name__ == "__main__":
    main()
