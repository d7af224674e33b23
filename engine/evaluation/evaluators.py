"""Who grades which funds: evaluator specs, fund selections, their prompts, and the two
evaluators that need no language model (docs/review-format.md section 1).

An evaluator spec names who grades:
- `rules`: the rule-based reference scorer (the snapshot's reference grade and scores);
- `tabular:<run_id>`: a gradient-boosted classifier fitted on that run's training split
  (`engine.evaluation.tabular`);
- `base:<preset or folder>`: an untrained language model; `sft:<run_id>`: the run's warm-up
  model; `run:<run_id>`: the run's final model (kind `model`).
The fund set (`selection`) is `all` rated funds, `category:<name>`, the held-out `test:<run_id>`
split of a run, or `funds:<n>` (n funds in the seed's hash order), as of a rating date. Left
out, it is the held-out test split of the evaluator's run, or of the run it is evaluated for
comparison with (`default_selection`), and `all` only without a run or a test split. Its
prompts come from the run's frozen snapshot (test split) or from `engine.training.snapshot.snapshot_for`
with the same prompt format (the evaluator's run's methodology and language by default, else
the active methodology). Runs are only read here (their folder: config.json, snapshot/,
sft_model/, model/).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from engine.evaluation import tabular
from engine.evaluation.agreement import compare
from engine.training.config import RunConfig, TrainingError, for_model
from engine.training.snapshot import WHOLE, Snapshot, SnapshotError, load_snapshot, snapshot_for
from store import evaluations as stored
from store.evaluations import RESULT_COLUMNS
from store.home import Home

RUN_ID_RE = re.compile(r"^run-\d{4,}$")
KINDS = {"rules": "rules", "tabular": "tabular", "base": "base", "sft": "sft", "run": "model"}
LLM_KINDS = ("base", "sft", "model")
SUMMARY_BOOT = 1000


class EvaluationError(ValueError):
    """An evaluation cannot be set up, found or read; the message says why in one line."""


@dataclass(frozen=True)
class Evaluator:
    """A parsed evaluator spec: `spec` as stored, its kind, its run and (base) its model."""

    spec: str
    kind: str
    run_id: str | None = None
    model: str | None = None

    @property
    def is_model(self) -> bool:
        return self.kind in LLM_KINDS


# ---------------------------------------------------------------- specs and selections


def parse_evaluator(spec: str, run_id: str | None = None) -> Evaluator:
    """The evaluator of a spec; `run_id` fills a bare `tabular`, `sft` or `run` (and a bare
    `run-0003` means `run:run-0003`)."""
    text = (spec or "").strip()
    if RUN_ID_RE.match(text):
        text = f"run:{text}"
    name, _, arg = text.partition(":")
    if name not in KINDS:
        raise EvaluationError(
            f"unknown evaluator '{spec}': use rules, tabular:<run_id>, base:<preset or folder>, "
            "sft:<run_id> or run:<run_id>"
        )
    if name == "rules":
        if arg:
            raise EvaluationError("the rules evaluator takes no argument (choose --methodology)")
        return Evaluator("rules", "rules")
    if name == "base":
        if not arg:
            raise EvaluationError(
                "say which untrained model: base:<preset or model folder> (or give a run)"
            )
        return Evaluator(f"base:{arg}", "base", None, arg)
    arg = arg or run_id or ""
    if not RUN_ID_RE.match(arg):
        raise EvaluationError(f"{name} needs a run id ({name}:run-0001), got '{arg or spec}'")
    return Evaluator(f"{name}:{arg}", KINDS[name], arg)


def parse_selection(selection: str, run_id: str | None = None) -> str:
    """all | category:<name> | test:<run_id> (bare `test` takes `run_id`) | funds:<n>."""
    text = (selection or "all").strip()
    kind, sep, arg = text.partition(":")
    if text == "all":
        return "all"
    if kind == "test":
        arg = arg or run_id or ""
        if not RUN_ID_RE.match(arg):
            raise EvaluationError("the test split belongs to a run: give test:<run_id> (or --run)")
        return f"test:{arg}"
    if kind == "category" and arg.strip():
        return f"category:{arg.strip()}"
    if kind == "funds" and arg.isdigit() and int(arg) > 0:
        return f"funds:{int(arg)}"
    raise EvaluationError(
        f"unknown fund selection '{selection}': use all, test:<run_id>, category:<name> or "
        "funds:<n>"
    )


def default_selection(home: Home, evaluator: Evaluator, run_id: str | None = None) -> str:
    """`test:<run>` for the evaluator's run (else `run_id`, the run it is compared with) when
    that run holds test funds; `all` otherwise."""
    run = evaluator.run_id or run_id
    if not run:
        return "all"
    try:
        test = run_snapshot(home, run).frames["test"]
    except SnapshotError as exc:
        raise EvaluationError(f"{run}'s snapshot cannot be read: {exc}") from None
    return "all" if test.empty else f"test:{run}"


# ---------------------------------------------------------------- runs (read only)


def run_dir(home: Home, run_id: str) -> Path:
    folder = home.runs / run_id
    if not RUN_ID_RE.match(run_id) or not (folder / "config.json").is_file():
        raise EvaluationError(f"there is no run {run_id} in {home.runs}")
    return folder


def run_config(home: Home, run_id: str) -> dict:
    return json.loads((run_dir(home, run_id) / "config.json").read_text(encoding="utf-8"))


def prompt_style_of(home: Home, evaluator: Evaluator) -> str:
    """The prompt form `evaluator` was trained on: its run's, else its base model's default."""
    if evaluator.run_id:
        return run_config(home, evaluator.run_id).get("prompt_style", "full")
    if evaluator.model:
        return for_model(evaluator.model).prompt_style
    return "full"


def run_snapshot(home: Home, run_id: str) -> Snapshot:
    """The frozen snapshot of run `run_id`."""
    return load_snapshot(run_dir(home, run_id) / "snapshot")


# ---------------------------------------------------------------- the funds and their prompts


def target_rows(
    home: Home,
    evaluator: Evaluator,
    selection: str,
    *,
    as_of: Any = None,
    methodology: tuple[str, int | None] | None = None,
    language: str | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Snapshot rows (docs/training-format.md section 1) of the funds to evaluate; `attrs` holds
    methodology_id, methodology_version and as_of (ISO)."""
    kind, _, arg = selection.partition(":")
    if kind == "test":
        snapshot = run_snapshot(home, arg)
        manifest = snapshot.manifest
        if as_of is not None and str(pd.Timestamp(as_of).date()) != manifest["as_of"]:
            raise EvaluationError(
                f"{arg}'s test split is rated as of {manifest['as_of']}, not {as_of}"
            )
        wanted = (manifest["methodology_id"], int(manifest["methodology_version"]))
        if methodology and (methodology[0], methodology[1] or wanted[1]) != wanted:
            raise EvaluationError(
                f"{arg}'s test split was built with {wanted[0]} v{wanted[1]}; leave the "
                "methodology out or evaluate another selection"
            )
        rows = snapshot.frames["test"].copy()
        if rows.empty:
            raise EvaluationError(f"{arg} has no test funds (its split gives the test set 0 %)")
        rows.attrs = {
            "methodology_id": wanted[0],
            "methodology_version": wanted[1],
            "as_of": manifest["as_of"],
        }
        return rows
    run = run_config(home, evaluator.run_id) if evaluator.run_id else {}
    if methodology is None and run:
        methodology = (run["methodology_id"], run.get("methodology_version"))
    config = RunConfig(
        methodology_id=methodology[0] if methodology else "",
        methodology_version=methodology[1] if methodology else None,
        as_of=as_of,
        language=language or run.get("language") or "ko",
        seed=seed,
        splits=list(WHOLE),
        prompt_style=prompt_style_of(home, evaluator),
    )
    try:
        snapshot = snapshot_for(home, config, max_funds=int(arg) if kind == "funds" else None)
    except TrainingError as exc:  # no methodology chosen and none active
        raise EvaluationError(str(exc)) from exc
    rows = snapshot.rows()
    if kind == "category":
        known = sorted(rows["category"].dropna().unique())
        rows = rows[rows["category"] == arg].reset_index(drop=True)
        if rows.empty:
            raise EvaluationError(
                f"no rated fund in category '{arg}' on {snapshot.manifest['as_of']}; "
                f"categories: {', '.join(known)}"
            )
    rows.attrs = {
        "methodology_id": snapshot.manifest["methodology_id"],
        "methodology_version": int(snapshot.manifest["methodology_version"]),
        "as_of": snapshot.manifest["as_of"],
    }
    return rows


# ---------------------------------------------------------------- inline evaluators


def _result_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(RESULT_COLUMNS))
    return frame.astype({"grade": "Int64", "sample": "int64", "latency_ms": "float64"})


def rules_results(rows: pd.DataFrame) -> pd.DataFrame:
    """The reference scorer's grade and scores per row, as result rows (sample 0); a fund the
    scorer leaves ungraded (too many missing inputs) is an invalid answer."""
    records = []
    for fund_id, grade, scores, rule in rows[
        ["fund_id", "reference_grade", "reference_scores", "grade_rule"]
    ].itertuples(index=False):
        parsed = json.loads(scores) if isinstance(scores, str) else {}
        weights = json.loads(rule)["weights"] if isinstance(rule, str) else {}
        total = sum(float(w) * float(parsed.get(c, 0)) for c, w in weights.items())
        ok = not pd.isna(grade)
        records.append(
            {
                "fund_id": fund_id,
                "sample": 0,
                "grade": int(grade) if ok else None,
                "scores": json.dumps(parsed, ensure_ascii=False),
                "reasoning": f"weighted total {total:.2f} of the criterion scores",
                "thinking": None,
                "raw_output": json.dumps(
                    {"grade": int(grade) if ok else None, "scores": parsed, "total": total},
                    ensure_ascii=False,
                ),
                "parse_status": "ok" if ok else "invalid",
                "parse_error": None
                if ok
                else "the reference scorer gives no grade: too many criteria lack inputs",
                "latency_ms": None,
            }
        )
    return _result_frame(records)


def tabular_results(home: Home, run_id: str, rows: pd.DataFrame, seed: int = 0):
    """(result rows, settings) of the baseline fitted on `run_id`'s training split."""
    model = tabular.fit(run_snapshot(home, run_id).frames["train"], seed=seed)
    predicted = tabular.predict(model, rows)
    records = [
        {
            "fund_id": fund_id,
            "sample": 0,
            "grade": int(grade),
            "scores": None,
            "reasoning": f"gradient-boosted trees on {len(model.features)} numbers from the "
            f"prompt; P(grade {int(grade)}) = {p:.2f}",
            "thinking": None,
            "raw_output": json.dumps({"grade": int(grade), "probabilities": json.loads(shares)}),
            "parse_status": "ok",
            "parse_error": None,
            "latency_ms": None,
        }
        for fund_id, grade, p, shares in predicted.itertuples(index=False)
    ]
    return _result_frame(records), model.describe()


def summary_of(con, as_of: str, frame: pd.DataFrame) -> dict | None:
    """`compare` of the greedy grades with the experts' at `as_of`, plus self-consistency and
    the mean latency; None without answers."""
    if frame.empty:
        return None
    greedy = frame[frame["sample"] == 0]
    expert = stored.expert_grades(con, as_of, sorted(set(frame["fund_id"])))
    paired = greedy.merge(expert, on="fund_id", how="inner")
    figures = compare(
        paired["expert_grade"].astype(int).tolist(),
        [None if pd.isna(g) else int(g) for g in paired["grade"]],
        paired["category"].fillna("-").tolist(),
        n_boot=SUMMARY_BOOT,
        seed=0,
    )
    latency = frame["latency_ms"].dropna()
    return {
        **figures,
        "against": "expert",
        "left_out": int(greedy["fund_id"].nunique() - len(paired)),
        "self_consistency": self_consistency(frame),
        "latency_ms": float(latency.mean()) if len(latency) else None,
    }


def self_consistency(frame: pd.DataFrame) -> float | None:
    """Mean over funds of the share of its samples giving its most frequent valid grade (an
    invalid answer never agrees); None with one sample per fund."""
    samples = frame.groupby("fund_id")["sample"].count()
    if samples.empty or samples.max() <= 1:
        return None
    valid = frame[frame["grade"].notna()]
    modal = valid.groupby(["fund_id", "grade"]).size().groupby(level=0).max()
    shares = modal.reindex(samples.index, fill_value=0) / samples
    return float(shares[samples > 1].mean())
