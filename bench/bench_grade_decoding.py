"""Greedy grade against the grade read from the model's probabilities, on a finished run.

For each validation and test fund of RUN in HOME, the model (`--which model`: after RL, or
`sft`: the warm-up's) answers greedily, as evaluations do. At the token that holds the answer's
grade, the model's probabilities of the five grade tokens (the same token text with each grade
digit) give an expected grade; rounded, it is the grade of least expected squared cost, which is
what quadratic-weighted kappa weighs. Printed per split: QWK and exact agreement with the
experts for the greedy grade, the expected grade and the median grade, the written rules on the
same funds, and the least probability mass the five grade tokens held.

    .venv/bin/python bench/bench_grade_decoding.py HOME RUN [--which model|sft] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import cohen_kappa_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.llm.models import chat_prompt, load  # noqa: E402
from engine.llm.validation import evaluate_model, grade_of  # noqa: E402
from engine.llm.warmup import grade_token_index  # noqa: E402
from engine.methodology.core import GRADES_ASCENDING as GRADES  # noqa: E402
from engine.training import runs  # noqa: E402
from engine.training.run_data import load_data  # noqa: E402
from store.home import Home  # noqa: E402


def grade_probabilities(
    model, tokenizer, row: dict, answer: str, grade: int | None
) -> np.ndarray | None:
    """P(grade) over GRADES at the token of the answer's `grade` (its `grade_of`), or None when
    the answer has no grade or a grade's token text is not one token."""
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    pieces = [tokenizer.decode([i]) for i in answer_ids]
    index = grade_token_index(pieces)
    if grade is None or index is None:
        return None
    candidates = [
        tokenizer(pieces[index].replace(str(grade), str(g)), add_special_tokens=False)["input_ids"]
        for g in GRADES
    ]
    if any(len(ids) != 1 for ids in candidates):
        return None
    prompt_ids = tokenizer(chat_prompt(tokenizer, row["prompt"], None), add_special_tokens=False)
    context = torch.tensor([prompt_ids["input_ids"] + answer_ids[:index]])
    with torch.inference_mode():
        probs = model(input_ids=context).logits[0, -1].float().softmax(-1)
    return np.array([probs[token].item() for (token,) in candidates])


def figures(expected: list[int], predicted: list[int | None]) -> dict[str, float]:
    """QWK over the funds with a grade, exact over all."""
    valid = [(e, p) for e, p in zip(expected, predicted, strict=True) if p is not None]
    truth, guess = zip(*valid, strict=True)
    qwk = cohen_kappa_score(truth, guess, weights="quadratic", labels=list(GRADES))
    return {
        "qwk": round(float(qwk), 3),
        "exact": round(sum(e == p for e, p in valid) / len(expected), 3),
    }


def compare(model, tokenizer, rows: list[dict]) -> dict:
    """The figures of each decoding on `rows`."""
    _, answers = evaluate_model(model, tokenizer, rows, max_new_tokens=256, batch_size=32)
    greedy, mean, median, mass = [], [], [], []
    grades = np.array(GRADES)
    for row, answer in zip(rows, answers, strict=True):
        greedy.append(grade_of(answer))
        p = grade_probabilities(model, tokenizer, row, answer, greedy[-1])
        if p is None:
            mean.append(greedy[-1])
            median.append(greedy[-1])
            continue
        mass.append(float(p.sum()))
        p = p / p.sum()
        mean.append(int(np.clip(np.floor((p * grades).sum() + 0.5), grades[0], grades[-1])))
        median.append(int(grades[np.searchsorted(np.cumsum(p), 0.5)]))
    expected = [int(r["expert_grade"]) for r in rows]
    return {
        "n": len(rows),
        "greedy": figures(expected, greedy),
        "expected_grade": figures(expected, mean),
        "median_grade": figures(expected, median),
        "rules": figures(expected, [int(r["reference_grade"]) for r in rows]),
        "least_grade_mass": round(min(mass), 3) if mass else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("run")
    parser.add_argument("--which", choices=["model", "sft"], default="model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = runs.run_folder(Home(args.home), args.run)
    data = load_data(folder)
    path = folder.sft_model if args.which == "sft" else folder.model
    model, tokenizer = load(path, dtype="float32", device="cpu")
    model.eval()
    result = {split: compare(model, tokenizer, data[split]) for split in ("validation", "test")}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    for split, found in result.items():
        line = " | ".join(
            f"{name} QWK {found[name]['qwk']:.3f} exact {found[name]['exact']:.0%}"
            for name in ("greedy", "expected_grade", "median_grade", "rules")
        )
        print(
            f"{split} ({found['n']} funds): {line}; grade tokens' mass ≥ {found['least_grade_mass']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
