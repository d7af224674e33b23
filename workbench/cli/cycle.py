"""`python -m workbench cycle run|list|show`: the monthly rating cycle (docs/rating-cycle.md).

Thin layers over `engine.cycle.run`: `run` ingests the inbox and starts (or resumes, or
refreshes) the cycle of each client's model in the background, followed to its end with
`--wait`; `list` and `show` read cycles back.
"""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from engine.cycle import run as cycles
from engine.cycle.routing import RoutingRule
from store.home import Home


def _pct(value) -> str:
    return "-" if value is None or value != value else f"{value:.0%}"


def _progress(enabled: bool):
    seen: dict[str, str] = {}

    def show(status: dict) -> None:
        if not enabled:
            return
        line = f"{status['cycle_id']}: {status.get('step', '-')}"
        if status.get("total"):
            line += f" {status.get('done') or 0}/{status['total']} answers"
        elif status.get("message"):
            line += f" ({status['message']})"
        if seen.get(status["cycle_id"]) != line:
            print(line, file=sys.stderr, flush=True)
            seen[status["cycle_id"]] = line

    return show


def cmd_run(args: argparse.Namespace, home: Home) -> dict:
    """Ingest the inbox, then grade every eligible fund with each client's model (or --model)."""
    generation = {"batch_size": args.batch_size, "device": args.device}
    if args.max_new_tokens:
        generation["max_new_tokens"] = args.max_new_tokens
    result = cycles.start(
        home,
        as_of=args.as_of,
        model=args.model,
        client=args.client,
        samples=args.samples,
        rule=RoutingRule(args.max_gap, args.min_agreement),
        publish=not args.no_publish,
        inbox=not args.no_inbox,
        created_by="cli",
        **generation,
    )
    lines = [f"as of {result['as_of']}"]
    for item in result["inbox"]:
        lines.append(f"inbox: {item['file']} {item['outcome']}: {item['message']}")
    for skipped in result["skipped"]:
        lines.append(f"{skipped['client_id']}: left out, {skipped['why']}")
    failed = []
    for cycle in result["cycles"]:
        if args.wait and cycle["state"] != "finished":
            ended = cycles.wait(home, cycle["cycle_id"], on_progress=_progress(not args.json))
            cycle.update(cycles.show(home, cycle["cycle_id"])["cycle"], status=ended)
            cycle.update(releases=ended.get("releases") or [])
            cycle.pop("params", None)
        if cycle["state"] == "failed":
            failed.append(f"{cycle['cycle_id']} failed: {cycle.get('message')}")
        lines.append(
            f"{cycle['cycle_id']} ({cycle['outcome']}): {cycle['model']} on {cycle['as_of']}, "
            f"{cycle['state']}" + (f" — {cycle['message']}" if cycle.get("message") else "")
        )
        for release in cycle.get("releases") or []:
            done = f"release {release['version']}" if release["version"] else release["why"]
            lines.append(f"  {release['client_id']}: {done}")
        if cycle["state"] != "finished" and not args.wait:
            lines.append(
                f"  running in the background: follow with `cycle show {cycle['cycle_id']}`"
            )
    if failed:
        raise ValueError("; ".join(failed))
    return {**result, "summary": "\n".join(lines)}


def cmd_list(args: argparse.Namespace, home: Home) -> dict:
    """Every cycle, newest date first."""
    frame = cycles.list_cycles(home)
    lines = [
        f"{r['cycle_id']}  {str(r['as_of'])[:10]}  {r['state']:<8} {r['model']:<16} "
        f"{r['methodology_id']} v{r['methodology_version']}  "
        f"{'-' if pd.isna(r['n_funds']) else int(r['n_funds']):>5} funds  "
        f"{'-' if pd.isna(r['n_routed']) else int(r['n_routed']):>4} to analysts"
        for r in frame.to_dict("records")
    ]
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    for record in records:
        record["params"] = json.loads(record["params"]) if record.get("params") else {}
    return {"cycles": records, "summary": "\n".join(lines) or "no cycles yet"}


def held_out_line(found: dict) -> str:
    """Which funds the coverage table's agreement is measured on, in words."""
    if not found["training_split_known"]:
        return "agreement includes the run's training funds: its split could not be read"
    left = max((row["training_left_out"] for row in found["coverage"]), default=0)
    return (f"agreement on held-out funds with an expert grade ({left} of the run's training "
            "funds left out)")  # fmt: skip


def cmd_show(args: argparse.Namespace, home: Home) -> dict:
    """A cycle: counts by route and source, coverage against agreement, changes, releases."""
    found = cycles.show(home, args.cycle_id)
    cycle, rows = found["cycle"], found.pop("rows")
    lines = [
        f"{cycle['cycle_id']}: {cycle['state']} — {cycle['model']} on {cycle['as_of']} "
        f"({cycle['methodology_id']} v{cycle['methodology_version']}), "
        f"{cycle['n_funds'] or 0} funds, {cycle['n_routed'] or 0} to the analysts",
        "sources: " + (", ".join(f"{k} {v}" for k, v in found["sources"].items()) or "-"),
        "routing reasons: " + (", ".join(f"{k} {v}" for k, v in found["reasons"].items()) or "-"),
        held_out_line(found),
        "self-agreement threshold  coverage  experts  exact  within one",
    ]
    for row in found["coverage"]:
        mark = "*" if row["chosen"] else " "
        lines.append(
            f"{mark} {row['threshold']:>6.2f}                 {_pct(row['coverage']):>7}  "
            f"{row['n_expert']:>7}  {_pct(row['exact']):>5}  {_pct(row['within_one']):>10}"
        )
    change = found["changes"]
    if found["previous"] and change:
        lines.append(
            f"since {found['previous']}: {change['same']} same, {change['moved']} moved, "
            f"{len(change['movers'])} by 2 grades or more, {len(change['new'])} new, "
            f"{len(change['dropped'])} dropped"
        )
    for release in found["releases"]:
        lines.append(
            f"release {release['client_id']} v{release['version']}: {release['n_funds']} funds"
        )
    records = json.loads(rows.to_json(orient="records", date_format="iso"))
    return {**json.loads(json.dumps(found, default=str)), "grades": records,
            "summary": "\n".join(lines)}  # fmt: skip
