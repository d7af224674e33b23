"""Exports: evaluation and agreement tables for Excel users, and a trained model as a Hugging Face
model folder with its model card.

- `evaluation_tables(home, id)`: results (one row per fund), agreement (one row per figure, then
  one row per category; `training_funds`: how many of the funds the evaluator's run, or the run
  it was compared with, trained on, when recorded) and confusion (expert grade x model grade +
  invalid).
- `export_evaluation`: the same tables as a file (CSV in utf-8-sig so Excel reads the Korean
  text, or an Excel workbook with one sheet per table), made by `engine.files.tables` (no
  formulas from fund names) and written by `engine.files.safe_write` (no overwrite without
  force, never through a symbolic link).
- `export_model(home, run_id, out_dir, repo_id=None, token=None)`: the run's final `model/`
  loaded and written with `save_pretrained` (model + tokenizer), plus README.md (the model
  card); `push_to_hub` of that folder only when both repo_id and token are given.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from engine.evaluation.fund_sets import stored_training_funds
from engine.evaluation.jobs import EvaluationError, get_evaluation, list_evaluations, results
from engine.evaluation.leaderboard import evaluation_agreement
from engine.files import tables as tables_out
from engine.files.safe_write import (
    OutputError,
    check_folder,
    check_target,
    write_bytes,
    write_files,
)
from engine.training.folder import is_complete
from store.db import connect
from store.home import Home
from store.queries import DATASET_META_KEY, DATASET_META_VALUE, get_meta

log = logging.getLogger(__name__)

CSV_ENCODING = tables_out.CSV_ENCODING
SHEETS = ("results", "agreement", "confusion")
RESULT_COLUMNS = [
    "fund_id", "fund_name", "category", "company", "as_of", "grade", "expert_grade",
    "parse_status", "parse_error", "scores", "reasoning", "thinking", "latency_ms",
    "self_consistency",
]  # fmt: skip
FIGURES = ("n", "valid", "exact", "within_one", "mae", "qwk", "spearman", "invalid_share")
SETTINGS_IN_CARD = (
    "model", "algorithm", "language", "prompt_style", "seed", "sft_steps", "max_steps",
    "learning_rate", "num_generations", "max_completion_length", "temperature", "beta", "loss_type",
    "scale_rewards", "reward_weights", "lora", "lora_r", "parent_run_id", "feedback_ids",
)  # fmt: skip


class ExportError(ValueError):
    """An export that cannot be done (unknown id, no model, no network); one-line text."""


# ---------------------------------------------------------------- tables


def agreement_table(figures: dict[str, Any]) -> pd.DataFrame:
    """`compare` figures as rows: scope (all | category), figure, value, ci_low, ci_high."""
    ci = figures.get("ci") or {}
    rows = [
        {"scope": "all", "figure": k, "value": figures.get(k),
         "ci_low": (ci.get(k) or [None, None])[0], "ci_high": (ci.get(k) or [None, None])[1]}
        for k in FIGURES
    ]  # fmt: skip
    for name, part in (figures.get("per_category") or {}).items():
        rows += [{"scope": name, "figure": k, "value": part.get(k)} for k in FIGURES if k in part]
    return pd.DataFrame(rows, columns=["scope", "figure", "value", "ci_low", "ci_high"])


def confusion_table(figures: dict[str, Any]) -> pd.DataFrame:
    """Rows expert grade 1-5, columns model grade 1-5 and invalid."""
    confusion = figures["confusion"]
    frame = pd.DataFrame(confusion["matrix"], columns=confusion["predicted"])
    frame.insert(0, "expert", confusion["expected"])
    return frame


def evaluation_tables(
    home: Home, evaluation_id: str, n_boot: int = 1000
) -> dict[str, pd.DataFrame]:
    """results, agreement and confusion tables of a stored evaluation against the experts."""
    try:
        rows = results(home, evaluation_id)
        figures = evaluation_agreement(home, evaluation_id, n_boot=n_boot)
        seen = stored_training_funds(get_evaluation(home, evaluation_id))
    except EvaluationError as exc:
        raise ExportError(str(exc)) from None
    rows = rows[[c for c in RESULT_COLUMNS if c in rows.columns]].copy()
    rows["as_of"] = pd.to_datetime(rows["as_of"]).dt.date
    agreement = agreement_table(figures)
    if seen is not None:
        line = pd.DataFrame([{"scope": "all", "figure": "training_funds", "value": seen}])
        agreement = pd.concat([agreement, line], ignore_index=True)
    return {
        "results": rows,
        "agreement": agreement,
        "confusion": confusion_table(figures),
    }


def export_evaluation(home: Home, evaluation_id: str, out: Path, force: bool = False) -> list[Path]:
    """Write an evaluation's tables: FILE.xlsx (three sheets) or FILE.csv (the results) with
    FILE-agreement.csv and FILE-confusion.csv beside it. An existing file is replaced only
    with `force`. Returns the files written."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ExportError(f"{out.name}: the file must end in .xlsx or .csv")
    if suffix == ".xlsx":
        targets = {"results": out}
    else:
        targets = {
            name: out if name == "results" else out.with_name(f"{out.stem}-{name}{out.suffix}")
            for name in SHEETS
        }
    for path in targets.values():  # refuse before the work
        check_target(path, force)
    frames = evaluation_tables(home, evaluation_id)
    if suffix == ".xlsx":
        return write_files({out: tables_out.excel_bytes(frames)}, force)
    return write_files(
        {targets[name]: tables_out.csv_bytes(frames[name]) for name in SHEETS}, force
    )


# ---------------------------------------------------------------- model folder


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _synthetic(home: Home) -> bool:
    if not home.db_path.exists():
        return False
    try:
        with connect(home) as con:
            value = get_meta(con, DATASET_META_KEY)
    except Exception:  # a busy store must not stop an export; the card says nothing then
        return False
    return value == DATASET_META_VALUE


def _test_agreement(home: Home, run_id: str) -> list[dict]:
    """Summaries of finished evaluations of this run's final model on its held-out split."""
    try:
        frame = list_evaluations(home)
    except Exception:
        return []
    mine = frame[
        (frame["evaluator"] == f"run:{run_id}")
        & (frame["selection"] == f"test:{run_id}")
        & (frame["state"] == "finished")
    ]
    return mine.to_dict("records")


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def model_card(home: Home, run_id: str) -> str:
    """The README.md of an exported run: methodology, data snapshot, settings, agreement."""
    folder = home.runs / run_id
    config = _read_json(folder / "config.json")
    manifest = _read_json(folder / "snapshot" / "manifest.json")
    final = _read_json(folder / "status.json").get("final") or {}
    synthetic = _synthetic(home)
    lines = [
        "---",
        "library_name: transformers",
        "language: [ko, en]",
        "tags: [fund-rating, grpo, learn-grpo]",
        "---",
        "",
        f"# {run_id}: fund rating model (LEARN-GRPO)",
        "",
    ]
    if synthetic:
        lines += ["> **Synthetic demo data.** Trained on generated funds, not real ones. "
                  "Do not use it for investment decisions.", ""]  # fmt: skip
    lines += [
        "## Methodology and data",
        "",
        f"- Methodology: `{config.get('methodology_id', manifest.get('methodology_id'))}` "
        f"version {config.get('methodology_version', manifest.get('methodology_version'))}",
        f"- Methodology text sha256: `{manifest.get('methodology_sha256', '–')}`",
        f"- Data snapshot sha256: `{manifest.get('sha256', '–')}`",
        f"- Ratings as of: {manifest.get('as_of', config.get('as_of', '–'))}",
        f"- Funds per split: {json.dumps(manifest.get('counts', {}))}",
        f"- Data: {'synthetic demo data' if synthetic else 'the house’s fund store'}",
        "",
        "## Training settings",
        "",
    ]
    lines += [f"- {k}: `{json.dumps(config[k], ensure_ascii=False)}`"
              for k in SETTINGS_IN_CARD if k in config]  # fmt: skip
    lines += ["", "## Agreement with the experts", ""]
    agreement = final.get("agreement_final") or {}
    if agreement:
        lines += ["Validation funds at the end of training:", "",
                  "| figure | value |", "|---|---|"]  # fmt: skip
        lines += [f"| {k} | {_number(agreement[k])} |" for k in FIGURES if k in agreement]
        lines.append("")
    tests = _test_agreement(home, run_id)
    if tests:
        lines += ["Held-out (test) split evaluations:", "",
                  "| evaluation | as of | funds | exact | within one | QWK | invalid |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in tests:
            lines.append(
                f"| {r['evaluation_id']} | {pd.Timestamp(r['as_of']).date()} | {r['n_funds']} | "
                f"{_number(r['exact'])} | {_number(r['within_one'])} | {_number(r['qwk'])} | "
                f"{_number(r['invalid_share'])} |"
            )
        lines.append("")
    if not agreement and not tests:
        lines += ["No agreement figures recorded for this run yet.", ""]
    lines += [
        "Invalid outputs count as disagreements.",
        "",
        "## Intended use",
        "",
        "Drafting a fund grade (1-5, 5 best) with per-criterion scores and reasoning under the "
        "methodology above, for an analyst to review. Not investment advice; not a replacement "
        "for the rating committee.",
        "",
        "## Limitations",
        "",
        "- Learned from one house's expert grades and one methodology version; another version "
        "needs retraining.",
        "- Grades are relative to the fund's category at the rating date; figures above come "
        "from a small held-out set and carry wide uncertainty.",
        "- The model may produce invalid output; always parse and validate its answer.",
        "",
    ]
    return "\n".join(lines)


def _push(out: Path, repo_id: str, token: str) -> str:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ExportError(
            f"cannot push to {repo_id}: HF_HUB_OFFLINE is set (no network); "
            f"the model folder is ready at {out}"
        )
    try:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
        api.create_repo(repo_id, exist_ok=True, private=True)
        api.upload_folder(folder_path=str(out), repo_id=repo_id)
    except Exception as exc:
        text = " ".join(str(exc).split())[:300]
        raise ExportError(f"push to {repo_id} failed: {type(exc).__name__}: {text}") from None
    return f"https://huggingface.co/{repo_id}"


def export_model(
    home: Home,
    run_id: str,
    out_dir: Path,
    *,
    repo_id: str | None = None,
    token: str | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the run's final model as a Hugging Face folder with a model card; push it when
    repo_id and token are both given. A non-empty folder is written into only with
    `overwrite`; a symbolic link, as the folder or in it, never. Returns out, files and url
    (None without a push)."""
    if bool(repo_id) != bool(token):
        raise ExportError("pushing needs both a repo id and a token")
    folder = home.runs / run_id
    if not (folder / "config.json").is_file():
        raise ExportError(f"there is no run {run_id}")
    model_dir = folder / "model"
    if not is_complete(model_dir):
        raise ExportError(f"{run_id} has no final model yet (it has not finished)")
    try:
        out = check_folder(out_dir, force=overwrite)
    except OutputError as exc:
        raise ExportError(str(exc)) from None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        check_folder(out, force=True)  # no link slipped in while the model loaded
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        write_bytes(out / "README.md", model_card(home, run_id).encode("utf-8"), force=True)
    except (OSError, OutputError) as exc:
        raise ExportError(f"cannot write {out}: {exc}") from None
    log.info("exported %s to %s", run_id, out)
    url = _push(out, repo_id, token) if repo_id and token else None
    return {
        "run_id": run_id,
        "out": str(out),
        "files": sorted(p.name for p in out.iterdir()),
        "url": url,
    }
