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

from store.home import Home


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso")) if len(frame) else []


def _pct(value) -> str:
    return "-" if value is None or value != value else f"{value:+.2%}"


def _ratio(value) -> str:
    return "-" if value is None or value != value else f"{value:.3f}"


def cmd_backtest(args: argparse.Namespace, home: Home) -> dict:
    """Rank IC, top-vs-bottom spread and hit rate of grades against the next 12 months' return."""
    from engine.evaluation.backtest import backtest

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
    from engine.evaluation.export import export_model

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
    from engine.evaluation.export import export_evaluation

    written = export_evaluation(home, args.evaluation_id, Path(args.out), force=args.force)
    files = [str(p) for p in written]
    return {"evaluation_id": args.evaluation_id, "files": files, "summary": "\n".join(files)}


def cmd_report(args: argparse.Namespace, home: Home) -> dict:
    """Write the HTML comparison report of evaluations on the same funds (agreement, cost)."""
    from engine.evaluation.report import check_output, report_data
    from engine.evaluation.report_html import num, pct, render
    from engine.files.safe_write import check_target, write_bytes

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
        "summary": "\n".join(lines),
    }


def add_evaluations_export(gsub: argparse._SubParsersAction, common) -> None:
    """`evaluations export EVAL_ID --out FILE.xlsx|.csv` on the `evaluations` group."""
    p = gsub.add_parser("export", parents=[common], help=cmd_export_evaluation.__doc__)
    p.add_argument("evaluation_id", metavar="EVAL_ID")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.xlsx or FILE.csv")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=cmd_export_evaluation)


def add_parsers(sub: argparse._SubParsersAction, common, date_type) -> None:
    """Register `backtest` and `export-model` (and `evaluations export` when that group exists)."""
    p = sub.add_parser("backtest", parents=[common], help=cmd_backtest.__doc__)
    p.add_argument(
        "--source",
        action="append",
        metavar="expert|rules|EVAL_ID",
        help="grade source, repeatable (default: expert and rules)",
    )
    p.set_defaults(func=cmd_backtest)

    p = sub.add_parser("export-model", parents=[common], help=cmd_export_model.__doc__)
    p.add_argument("run_id", metavar="RUN_ID")
    p.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    p.add_argument("--repo-id", help="Hugging Face repo to push to (needs --token)")
    p.add_argument("--token", help="Hugging Face token with write access")
    p.add_argument(
        "--force", "--overwrite", dest="force", action="store_true",
        help="write into a non-empty folder",
    )  # fmt: skip
    p.set_defaults(func=cmd_export_model)

    p = sub.add_parser("report", parents=[common], help=cmd_report.__doc__)
    p.add_argument("evaluation_ids", nargs="+", metavar="EVAL_ID")
    p.add_argument("--out", required=True, metavar="FILE.html", help="the report file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing report file")
    p.add_argument("--lang", choices=["ko", "en"], default="en", help="report language")
    p.add_argument(
        "--n-boot", type=int, default=1000, help="bootstrap resamples of the 95 %% intervals"
    )
    p.set_defaults(func=cmd_report)

    group = sub.choices.get("evaluations")
    if group is not None:
        for action in group._actions:
            if isinstance(action, argparse._SubParsersAction) and "export" not in action.choices:
                add_evaluations_export(action, common)
