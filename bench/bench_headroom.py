"""How much room over the written rules a learner has on the demo, with the leaderboard's data.

For each demo seed that `bench/bench_leaderboard.py --work DIR` trained, this reads the first
run's snapshot (the same training, validation and test funds as the leaderboard) and fits:

- the tabular baseline exactly as evaluations fit it (`engine.evaluation.tabular.fit`: every
  numeric fact of the prompt and the rule grade);
- the same classifier told the answer's hidden part: the rule grade and total, the distance of
  the total to the cutoffs above and below, and one flag per hidden analyst habit of the demo
  (`engine.demo.house.HIDDEN_HABITS`: manager turnover, a recent manager change, a long track
  record, a small fund, a recent slump). No real data has these flags; they say how much a
  learner could gain if it found the habits perfectly from the training funds' grades.

Printed per seed and pooled: QWK against the experts on the held-out funds (test, and
validation + test) for the rules and both classifiers (the demo's noise-free ceiling is a row of
the leaderboard itself). The flags agree with the demo's own habit columns on 99-100 % of the
training rows (display rounding of AUM and the 1-year percentile). If even the flagged
classifier gains only a few hundredths over the rules, the model-quality target "rules + 0.03"
asks about as much as the demo's labels can teach any learner.

    .venv/bin/python bench/bench_headroom.py --work DIR [--seeds 20260930,1,2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.demo.house import (  # noqa: E402
    long_record,
    recent_change,
    recent_slump,
    small_fund,
    turnover_notch,
)
from engine.demo.text import EOK  # noqa: E402
from engine.evaluation import tabular  # noqa: E402
from engine.evaluation.agreement import compare  # noqa: E402
from engine.training.folder import RunFolder  # noqa: E402
from engine.training.run_data import load_data  # noqa: E402
from store.home import Home  # noqa: E402

SPLITS = ("test", "validation+test")


def margins(rows: pd.DataFrame) -> pd.DataFrame:
    """The rules' total minus the cutoff of its grade (down) and the next cutoff minus it (up)."""
    up, down = [], []
    for rule, facts, grade in zip(
        rows["grade_rule"], rows["facts"], rows["reference_grade"], strict=True
    ):
        rule = json.loads(rule) if isinstance(rule, str) else rule
        total = json.loads(facts).get("rule_total", {}).get("value")
        cut = {int(g): low for g, low in rule["cutoffs"]}
        if total is None or grade is None or grade != grade:
            up.append(np.nan)
            down.append(np.nan)
            continue
        grade = int(grade)
        above = cut.get(grade + 1)
        up.append(above - total if above is not None else np.nan)
        down.append(total - cut[grade] if cut.get(grade) is not None else np.nan)
    return pd.DataFrame({"margin_up": up, "margin_down": down}, index=rows.index)


def _value(facts: dict, key: str) -> float:
    """The fact's number (NaN when the prompt does not show it)."""
    return float(facts.get(key, {}).get("value", np.nan))


def habit_flags(rows: pd.DataFrame) -> pd.DataFrame:
    """One 0/1 column per hidden habit of the demo, from the facts the prompt shows."""
    out = []
    for text in rows["facts"]:
        facts = json.loads(text)
        one, three = _value(facts, "manager_changes_1y"), _value(facts, "manager_changes_3y")
        aum = facts.get("aum", {})
        in_eok = str(aum.get("text", "")).endswith("억원")  # USD funds show millions of USD
        out.append({
            "turnover": float(turnover_notch(three)),
            "recent_change": float(recent_change(one, three)),
            "long_record": float(long_record(_value(facts, "track_record_years"))),
            "small_fund": float(in_eok and small_fund(float(aum.get("value", np.inf)) * EOK)),
            "slump": float(recent_slump(_value(facts, "ret_1y_pct"))),
        })  # fmt: skip
    return pd.DataFrame(out, index=rows.index)


def told(rows: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """The flagged classifier's columns: rule grade and total, margins, habit flags."""
    return pd.concat([base[["rule_grade", "rule_total"]], margins(rows), habit_flags(rows)], axis=1)


def fit_told(train: pd.DataFrame, x: pd.DataFrame):
    """The tabular baseline's classifier and settings, on the flagged columns."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    classifier = HistGradientBoostingClassifier(**tabular.classifier_params(len(train)))
    return classifier.fit(x.to_numpy(), train["expert_grade"].astype(int).to_numpy())


def one_seed(work: Path, seed: int) -> dict[str, pd.DataFrame]:
    """Per held-out selection: expert grade and each evaluator's grade, one row per fund."""
    home = Home(work / f"seed-{seed}")  # every run of a seed has the same split
    first = sorted(p.parent.name for p in home.runs.glob("run-*/bench.json"))[0]
    data = {k: pd.DataFrame(v) for k, v in load_data(RunFolder(home.runs / first)).items()}
    train = data["train"]
    baseline = tabular.fit(train)
    x_train = tabular.features(train, baseline.features)
    flagged = fit_told(train, told(train, x_train))
    out = {}
    for name in SPLITS:
        rows = pd.concat([data[s] for s in name.split("+")], ignore_index=True)
        x = tabular.features(rows, baseline.features)
        out[name] = pd.DataFrame({
            "expected": rows["expert_grade"].astype(int),
            "rules": rows["reference_grade"].astype(int),
            "tabular": tabular.predict(baseline, rows)["grade"].to_numpy(),
            "tabular told the habits": flagged.predict(told(rows, x).to_numpy()),
        })  # fmt: skip
    return out


def qwk(frame: pd.DataFrame, column: str) -> float:
    """Quadratic-weighted kappa of `column` against the experts' grades, as evaluations
    compute it (`engine.evaluation.agreement.compare`, no bootstrap)."""
    return compare(frame["expected"], frame[column], n_boot=0)["qwk"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--seeds", default="20260930,1,2")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    by_seed = {seed: one_seed(args.work, seed) for seed in seeds}
    evaluators = ["rules", "tabular", "tabular told the habits"]
    figures: dict = {}
    for split in SPLITS:
        pooled = pd.concat([by_seed[s][split] for s in seeds], ignore_index=True)
        print(f"\n{split} funds (QWK against the experts; {len(pooled)} funds pooled)")
        print(f"{'evaluator':26}" + "".join(f"{s:>10}" for s in seeds) + f"{'pooled':>10}"
              + f"{'- rules':>10}")  # fmt: skip
        rules = qwk(pooled, "rules")
        for name in evaluators:
            per = [qwk(by_seed[s][split], name) for s in seeds]
            both = qwk(pooled, name)
            figures[f"{split}/{name}"] = {"per_seed": per, "pooled": both}
            print(f"{name:26}" + "".join(f"{v:>10.3f}" for v in per) + f"{both:>10.3f}"
                  + f"{both - rules:>+10.3f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
