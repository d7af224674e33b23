"""Runs and feedback: which run took each decision, and the chain of runs behind a run."""

from __future__ import annotations

from engine.training.config import RunConfig, TrainingError
from engine.training.folder import RunFolder
from engine.training.runs import RUN_ID_RE
from store.home import Home


def run_configs(home: Home) -> list[tuple[str, RunConfig, dict]]:
    """(run_id, RunConfig, status) of every run folder, oldest first."""
    out = []
    for path in sorted(home.runs.iterdir()) if home.runs.is_dir() else []:
        folder = RunFolder(path)
        if not RUN_ID_RE.match(path.name) or not folder.config.is_file():
            continue
        try:
            config = RunConfig.from_json(folder.config.read_text(encoding="utf-8"))
        except (OSError, ValueError, TrainingError):
            continue
        out.append((path.name, config, folder.read_status()))
    return out


def trained_feedback(home: Home) -> dict[int, dict]:
    """feedback_id -> {run_id, state} of the first run that took it (finished runs first)."""
    out: dict[int, dict] = {}
    for run_id, config, status in run_configs(home):
        state = status.get("state")
        for raw in config.feedback_ids:
            try:
                key = int(raw)
            except (TypeError, ValueError):
                continue
            known = out.get(key)
            if known is None or (known["state"] != "finished" and state == "finished"):
                out[key] = {"run_id": run_id, "state": state}
    return out


def lineage(home: Home, run_id: str) -> list[dict]:
    """The chain of runs that led to `run_id`, oldest first: each {run_id, parent_run_id,
    state, model, n_feedback, feedback_ids, created_at}. A parent whose folder is gone ends
    the chain with {run_id, state: None}."""
    runs = {r: (c, s) for r, c, s in run_configs(home)}
    chain, seen, current = [], set(), run_id
    while current and current not in seen:
        seen.add(current)
        if current not in runs:
            chain.append({"run_id": current, "parent_run_id": None, "state": None,
                          "model": None, "n_feedback": 0, "feedback_ids": [],
                          "created_at": None})  # fmt: skip
            break
        config, status = runs[current]
        chain.append(
            {
                "run_id": current,
                "parent_run_id": config.parent_run_id,
                "state": status.get("state"),
                "model": config.model,
                "n_feedback": len(config.feedback_ids),
                "feedback_ids": list(config.feedback_ids),
                "created_at": status.get("created_at"),
            }
        )
        current = config.parent_run_id
    return chain[::-1]


def lineage_text(
    chain: list[dict], label: str = "{n} corrections", one: str | None = "{n} correction"
) -> str:
    """'run-0001 → run-0003 (12 corrections) → run-0005 (1 correction)'; `label` (and `one`
    for a single item) words the number of feedback items."""
    parts = []
    for item in chain:
        part = item["run_id"]
        n = item.get("n_feedback")
        if n:
            part += f" ({(one if n == 1 and one else label).format(n=n)})"
        parts.append(part)
    return " → ".join(parts)
