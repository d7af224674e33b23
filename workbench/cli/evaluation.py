"""`python -m workbench evaluate …`, `agreement …` and `evaluations list|show|stop …`.

Thin layers over `engine.evaluation.jobs` and `engine.evaluation.leaderboard`: `evaluate` grades a fund selection
with one evaluator (rules and tabular at once; a language model in the background, followed to
the end with `--wait`); `agreement` compares one evaluation with the experts or with another
evaluation, or ranks several side by side (a leaderboard).
"""

from __future__ import annotations

import argparse
import json
import sys

from engine.evaluation import agreement, leaderboard
from engine.evaluation import jobs as evaluation
from store.home import Home

SHOWN = ("exact", "within_one", "mae", "qwk", "spearman", "invalid_share")
LABELS = {
    "exact": "exact",
    "within_one": "within one",
    "mae": "MAE",
    "qwk": "QWK",
    "spearman": "Spearman",
    "invalid_share": "invalid",
}


def _number(value, key: str = "") -> str:
    if value is None or value != value:
        return "-"
    if key in ("exact", "within_one", "invalid_share", "self_consistency"):
        return f"{value:.0%}"
    return f"{value:.2f}"


def _figures_line(figures: dict) -> str:
    ci = figures.get("ci") or {}
    parts = []
    for key in SHOWN:
        text = f"{LABELS[key]} {_number(figures.get(key), key)}"
        low, high = ci.get(key) or (None, None)
        if low is not None:
            text += f" [{_number(low, key)}–{_number(high, key)}]"
        parts.append(text)
    if figures.get("self_consistency") is not None:
        parts.append(f"self-consistency {_number(figures['self_consistency'], 'self_consistency')}")
    return f"n {figures.get('n', 0)}: " + ", ".join(parts)


def _confusion_lines(confusion: dict) -> list[str]:
    head = "expert\\model " + " ".join(f"{c:>3}" for c in confusion["predicted"][:-1])
    lines = [head + f" | {confusion['predicted'][-1]}"]
    for grade, row in zip(confusion["expected"], confusion["matrix"], strict=True):
        lines.append(f"{grade:>12} " + " ".join(f"{n:>3}" for n in row[:-1]) + f" | {row[-1]:>3}")
    return lines


def _progress_printer(enabled: bool):
    seen: dict[str, object] = {}

    def show(status: dict) -> None:
        if not enabled:
            return
        line = f"[{status.get('progress', 0):4.0%}] {status.get('done', 0)}/{status.get('total', 0)} answers"
        if status.get("eta_s") is not None:
            line += f", about {status['eta_s']:.0f} s left"
        elif status.get("message"):
            line += f" ({status['message']})"
        if seen.get("line") != line:
            print(line, file=sys.stderr, flush=True)
            seen["line"] = line

    return show


def _methodology(args: argparse.Namespace):
    if args.version is not None and not args.methodology:
        raise ValueError("--version needs --methodology")
    return (args.methodology, args.version) if args.methodology else None


def cmd_evaluate(args: argparse.Namespace, home: Home) -> dict:
    """Grade a fund selection with one evaluator and store the answers."""
    evaluation_id = evaluation.start_evaluation(
        home,
        args.model,
        selection=args.funds,
        run_id=args.run,
        as_of=args.as_of,
        methodology=_methodology(args),
        language=args.lang,
        samples=args.samples,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        device=args.device,
        seed=args.seed,
        created_by="cli",
    )
    status = evaluation.status(home, evaluation_id)
    if args.wait and status["state"] not in evaluation.END_STATES:
        status = evaluation.wait(home, evaluation_id, on_progress=_progress_printer(not args.json))
    row = evaluation.get_evaluation(home, evaluation_id)
    figures = row["summary"]
    head = (
        f"{evaluation_id}: {row['state']} — {row['evaluator']} on {row['n_funds']} funds "
        f"({row['selection']}, {row['methodology_id']} v{row['methodology_version']}, "
        f"as of {row['as_of']})"
    )
    seen = (row["settings"] or {}).get("training_funds_in_selection")
    if seen:
        trained = row["run_id"] or (row["settings"] or {}).get("split_run")
        head += f"\nnote: {seen} of these funds were in {trained}'s training split"
    if figures:
        text = f"{head}\nagainst the experts, {_figures_line(figures)}\n{figures['invalid_rule']}"
    elif row["state"] in evaluation.END_STATES:
        text = f"{head}: {row['message'] or ''}"
    else:
        text = f"{head}\nrunning in the background: follow with `evaluations show {evaluation_id}`"
    if row["state"] == "failed":
        raise ValueError(f"{evaluation_id} failed: {row['message']}")
    return {
        "evaluation_id": evaluation_id,
        "status": status,
        "evaluation": row,
        "summary": text,
    }


def cmd_agreement(args: argparse.Namespace, home: Home) -> dict:
    """Agreement of an evaluation with the experts or another evaluation; several: a leaderboard."""
    evaluation.sync(home)
    if len(args.evaluation_ids) > 1:
        board = leaderboard.leaderboard(
            home, args.evaluation_ids, args.against, n_boot=args.boot, seed=args.seed
        )
        lines = [f"against {args.against} (best QWK first); {agreement.INVALID_RULE}"]
        for row in board.to_dict("records"):
            lines.append(
                f"{row['evaluation_id']}  {row['evaluator']:<22} {row['selection']:<16} "
                f"n {row['n']:>4}  QWK {_number(row['qwk'])} "
                f"[{_number(row['qwk_low'])}–{_number(row['qwk_high'])}]  "
                f"exact {_number(row['exact'], 'exact')}  "
                f"within one {_number(row['within_one'], 'within_one')}  "
                f"invalid {_number(row['invalid_share'], 'invalid_share')}"
                + (f"  [{row['note']}]" if row.get("note") else "")
            )
        records = json.loads(board.to_json(orient="records"))
        return {"against": args.against, "leaderboard": records, "summary": "\n".join(lines)}
    figures = leaderboard.evaluation_agreement(
        home, args.evaluation_ids[0], args.against, n_boot=args.boot, seed=args.seed
    )
    lines = [
        f"{figures['evaluation_id']} ({figures['evaluator']}) against {args.against}: "
        + _figures_line(figures),
        *_confusion_lines(figures["confusion"]),
    ]
    if figures["left_out"]:
        lines.append(f"{figures['left_out']} funds without a grade to compare with were left out")
    for name, part in figures["per_category"].items():
        lines.append(f"  {name}: {_figures_line(part)}")
    lines.append(figures["invalid_rule"])
    return {**figures, "summary": "\n".join(lines)}


def cmd_list(args: argparse.Namespace, home: Home) -> dict:
    """Every evaluation with its state and agreement with the experts, newest first."""
    frame = evaluation.list_evaluations(home)
    lines = [
        f"{r['evaluation_id']}  {r['state']:<8} {r['evaluator']:<22} {r['selection']:<16} "
        f"{r['n_funds'] if r['n_funds'] == r['n_funds'] else '-':>4} funds  "
        f"QWK {_number(r['qwk'])}  exact {_number(r['exact'], 'exact')}  "
        f"invalid {_number(r['invalid_share'], 'invalid_share')}"
        for r in frame.to_dict("records")
    ]
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    return {"evaluations": records, "summary": "\n".join(lines) or "no evaluations yet"}


def cmd_show(args: argparse.Namespace, home: Home) -> dict:
    """One evaluation: progress, settings and agreement with the experts."""
    status = evaluation.status(home, args.evaluation_id)
    if status["state"] in evaluation.END_STATES:
        evaluation.sync(home)
    row = evaluation.get_evaluation(home, args.evaluation_id)
    lines = [
        f"{args.evaluation_id}: {status['state']} — {row['evaluator']} on {row['selection']} "
        f"({row['methodology_id']} v{row['methodology_version']}, as of {row['as_of']}), "
        f"{status.get('done', 0)}/{status.get('total', 0)} answers"
        + (f", about {status['eta_s']:.0f} s left" if status.get("eta_s") is not None else ""),
    ]
    if status.get("message"):
        lines.append(str(status["message"]))
    if row["summary"]:
        lines.append("against the experts, " + _figures_line(row["summary"]))
    return {"status": status, "evaluation": row, "summary": "\n".join(lines)}


def cmd_stop(args: argparse.Namespace, home: Home) -> dict:
    """Stop a running evaluation after its current batch (its answers so far are kept)."""
    status = evaluation.stop(home, args.evaluation_id)
    if args.wait:
        status = evaluation.wait(home, args.evaluation_id)
    return {"status": status, "summary": f"{args.evaluation_id}: {status['state']}"}
