"""`python -m workbench backtest …`, `export-model …`, `evaluations export …` and `report …`.

Thin layers over `engine.evaluation.backtest`, `engine.evaluation.export`, `engine.evaluation.report`: the backtest of grade
sources against the next 12 months' returns, a trained run as a Hugging Face model folder
(pushed when a repo id and token are given), an evaluation's tables as Excel or CSV, and the
HTML comparison report of several evaluations on the same funds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from engine.evaluation.backtest import backtest
from engine.evaluation.export import export_evaluation, export_model
from engine.evaluation.report import check_output, report_data
from engine.evaluation.report_html import ceiling_note, num, pct, render
from engine.files.safe_write import check_target, write_bytes
from store.home import Home


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso")) if len(frame) else []


def _pct(value) -> str:
    return "-" if value is None or value != value else f"{value:+.2%}"


def _ratio(value) -> str:
    return "-" if value is None or value != value else f"{value:.3f}"


def cmd_backtest(args: argparse.Namespace, home: Home) -> dict:
    """Rank IC, top-vs-bottom spread and hit rate of grades against the next 12 months' return."""
    result = backtest(home, args.source or None)
    lines = [f"horizon {result['horizon_months']} months; last NAV {result['last_nav']}"]
    for r in result["pooled"].to_dict("records"):
        lines.append(
            f"{r['source']:<12} {r['dates']} dates, {r['n']} funds: rank IC {_ratio(r['rank_ic'])}"
            f", spread 5-1 {_pct(r['spread_5_1'])}, 4-5 vs 1-2 {_pct(r['spread_45_12'])}"
            f", hit rate {_pct(r['hit_rate']).lstrip('+')}"
        )
    for s in result["skipped"]:
        lines.append(f"skipped {s['source']} {s['as_of']}: {s['reason']}")
    return {
        "horizon_months": result["horizon_months"],
        "last_nav": str(result["last_nav"]),
        "pooled": _records(result["pooled"]),
        "per_date": _records(result["per_date"]),
        "by_grade": _records(result["by_grade"]),
        "skipped": [{**s, "as_of": str(s["as_of"])} for s in result["skipped"]],
        "summary": "\n".join(lines),
    }


def cmd_export_model(args: argparse.Namespace, home: Home) -> dict:
    """Write a run's final model as a Hugging Face folder with a model card (push optional)."""
    done = export_model(
        home, args.run_id, Path(args.out), repo_id=args.repo_id, token=args.token,
        overwrite=args.force,
    )  # fmt: skip
    text = f"{args.run_id} exported to {done['out']} ({len(done['files'])} files)"
    if done["url"]:
        text += f"; pushed to {done['url']}"
    return {**done, "summary": text}


def cmd_export_evaluation(args: argparse.Namespace, home: Home) -> dict:
    """Write an evaluation's results, agreement and confusion tables (.xlsx or .csv)."""
    written = export_evaluation(home, args.evaluation_id, Path(args.out), force=args.force)
    files = [str(p) for p in written]
    return {"evaluation_id": args.evaluation_id, "files": files, "summary": "\n".join(files)}


def cmd_report(args: argparse.Namespace, home: Home) -> dict:
    """Write the HTML comparison report of evaluations on the same funds (agreement, cost)."""
    # the evaluations are checked before an existing file is refused; links and folders at once
    out = check_target(check_output(Path(args.out), args.lang), force=True)
    data = report_data(home, args.evaluation_ids, n_boot=args.n_boot)
    path = write_bytes(out, render(data, args.lang).encode("utf-8"), args.force)
    lines = [f"{path} ({data['n_funds']} funds in common)"]
    for e in data["evaluators"]:
        f = e["figures"]
        lines.append(
            f"{e['evaluation_id']}  {e['label']:<28} qwk {num(f['qwk'])}  exact {pct(f['exact'])}"
            f"  invalid {pct(f['invalid_share'])}  consistency {pct(e['consistency']['share'])}"
        )
    ceiling = data.get("ceiling")
    if ceiling:
        f = ceiling["figures"]
        lines.append(f"{'(demo)':<11} {ceiling['label']:<28} qwk {num(f['qwk'])}  "
                     f"exact {pct(f['exact'])}  (not an evaluator: the demo's noise-free grade)")  # fmt: skip
    elif why := ceiling_note(data, "en"):
        lines.append(why)
    rows = [
        {k: v for k, v in e.items() if k != "figures"}
        | {k: e["figures"][k] for k in ("n", "exact", "within_one", "mae", "qwk", "spearman")}
        | {"invalid_share": e["figures"]["invalid_share"], "ci": e["figures"]["ci"]}
        for e in data["evaluators"]
    ]
    return {
        "out": str(path),
        "n_funds": data["n_funds"],
        "data_sha256": data["data_sha256"],
        "synthetic": data["synthetic"],
        "verdict": data["verdict"],
        "evaluators": rows,
        "ceiling": ceiling,
        "ceiling_note": data.get("ceiling_note"),
        "summary": "\n".join(lines),
    }
