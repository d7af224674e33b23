"""Time the reference scorer (vectorised `engine.methodology.scoring.score`) against a per-fund Python loop.

Synthetic universe: N funds in 8 categories and 60 management companies, inception dates and
AUM spread so that some funds fail eligibility, every indicator of engine.data.metrics in 1y/3y/5y
(~3 % NULL, 5y absent for young funds, 2 % of funds without any), and three yearly qualitative reviews with gaps. The
methodology has 13 criteria: percentile bands (both directions, one with a fallback window),
thresholds (both directions), fund and company qualitative scores, and percentile grades.

The baseline applies the same rules fund by fund, as a first implementation would: dict look-ups
for inputs, and for each fund and percentile criterion a scan of its category peers for the
rank. Both must agree exactly (scores, totals, grades, exclusions, missing lists).

    .venv/bin/python bench/bench_scoring.py [--funds 2000] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import timed  # noqa: E402  (bench/ is on sys.path when run as a script)

from engine.data.metrics import INDICATORS, WINDOWS  # noqa: E402
from engine.methodology import (  # noqa: E402
    direction,
    effective_weight,
    iter_criteria,
    missing_rule,
    validate,
)
from engine.methodology.scoring import DECIMALS, LONE_FUND_PCT, score  # noqa: E402

AS_OF = date(2025, 6, 30)
CATEGORIES = (
    "국내주식형",
    "국내주식형(중소형)",
    "해외주식형",
    "국내채권형",
    "해외채권형",
    "혼합형",
    "인덱스형",
    "MMF",
)
RATED_CATEGORIES = list(CATEGORIES[:7])
N_COMPANIES = 60
NULL_SHARE = 0.03
NO_INDICATOR_SHARE = 0.02  # funds without indicator rows: too much missing to be graded
REVIEW_DATES = (date(2022, 11, 30), date(2023, 11, 30), date(2024, 11, 30))
REVIEW_SHARE = 0.85  # chance that a subject is reviewed on a given date
FUND_JUDGED = ("philosophy_process", "org_stability", "risk_management", "esg")
COMPANY_JUDGED = ("company_capability", "company_organisation")
BANDS = [{"min_pct": p, "score": s} for p, s in ((90, 5), (67.5, 4), (32.5, 3), (10, 2), (0, 1))]


def methodology() -> dict:
    """A 13-criterion methodology in the format of docs/methodology-format.md."""

    def indicator(cid, key, window, weight, way="higher_is_better", scoring=None, fallback=None):
        measure = {"type": "indicator", "indicator": key, "window": window}
        if fallback:
            measure["fallback_window"] = fallback
        scoring = scoring or {"method": "percentile_bands", "bands": BANDS}
        return {"id": cid, "name_en": cid, "weight": weight, "measure": measure,
                "direction": way, "scoring": scoring}  # fmt: skip

    def judged(cid, weight):
        return {"id": cid, "name_en": cid, "weight": weight,
                "measure": {"type": "qualitative", "criterion": cid},
                "scoring": {"method": "qualitative"}}  # fmt: skip

    def section(sid, kind, weight, criteria):
        return {"id": sid, "kind": kind, "name_en": sid, "weight": weight, "criteria": criteria}

    sharpe = {"method": "thresholds", "thresholds": [
        {"min": 1.0, "score": 5}, {"min": 0.5, "score": 4}, {"min": 0.0, "score": 3},
        {"min": -0.5, "score": 2}, {"min": None, "score": 1}]}  # fmt: skip
    drawdown = {"method": "thresholds", "thresholds": [
        {"max": 0.10, "score": 5}, {"max": 0.15, "score": 4}, {"max": 0.25, "score": 3},
        {"max": None, "score": 1}]}  # fmt: skip
    doc = {
        "id": "bench",
        "name": "Benchmark methodology",
        "language": "en",
        "eligibility": {"min_track_record_months": 36, "min_aum": 5e9, "categories": RATED_CATEGORIES},
        "sections": [
            section("quantitative", "quantitative", 60, [
                indicator("return_3y", "ann_return", "3y", 25),
                indicator("sharpe_3y", "sharpe", "3y", 20, scoring=sharpe),
                indicator("ir_3y", "information_ratio", "3y", 15),
                indicator("vol_3y", "volatility", "3y", 10, "lower_is_better"),
                indicator("tracking_3y", "tracking_error", "3y", 10, "lower_is_better", drawdown),
                indicator("sortino_5y", "sortino", "5y", 10, fallback="3y"),
                indicator("return_1y", "cum_return", "1y", 10),
            ]),
            section("qualitative", "qualitative", 20, [
                judged("philosophy_process", 40), judged("org_stability", 30),
                judged("risk_management", 30)]),
            section("company", "company", 10, [
                judged("company_capability", 50), judged("company_organisation", 50)]),
            section("esg", "esg", 10, [judged("esg", 100)]),
        ],
        "grade_scale": {"method": "percentile",
                        "bands": [{"grade": b["score"], "min_pct": b["min_pct"]} for b in BANDS]},
    }  # fmt: skip
    assert validate(doc) == [], validate(doc)
    return doc


def synthetic(n_funds: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(indicators, qualitative, funds) for a random universe as of AS_OF."""
    rng = np.random.default_rng(seed)
    fund_ids = np.array([f"F{i:05d}" for i in range(n_funds)])
    companies = np.array([f"C{i:03d}" for i in range(N_COMPANIES)])
    age_days = rng.integers(200, 6000, n_funds)
    funds = pd.DataFrame(
        {
            "fund_id": fund_ids,
            "category": rng.choice(CATEGORIES, n_funds),
            "company_id": rng.choice(companies, n_funds),
            "inception_date": (pd.Timestamp(AS_OF) - pd.to_timedelta(age_days, "D")).date,
            "aum": np.round(rng.lognormal(23.5, 1.2, n_funds), -6),
        }
    )
    frames = []
    for window in WINDOWS:
        values = {key: rng.normal(0.1, 0.3, n_funds) for key in INDICATORS}
        table = pd.DataFrame({"fund_id": fund_ids, "window": window, **values})
        keys = list(INDICATORS)
        table[keys] = table[keys].mask(rng.random((n_funds, len(keys))) < NULL_SHARE)
        if window == "5y":
            table.loc[age_days < 5 * 365, keys] = np.nan
        frames.append(table)
    indicators = pd.concat(frames, ignore_index=True)
    no_nav = fund_ids[rng.random(n_funds) < NO_INDICATOR_SHARE]
    indicators = indicators[~indicators["fund_id"].isin(no_nav)].reset_index(drop=True)
    reviews = []
    for when in REVIEW_DATES:
        for kind, subjects, criteria in (
            ("fund", fund_ids, FUND_JUDGED),
            ("company", companies, COMPANY_JUDGED),
        ):
            for criterion in criteria:
                chosen = subjects[rng.random(len(subjects)) < REVIEW_SHARE]
                reviews.append(
                    pd.DataFrame(
                        {
                            "subject_id": chosen,
                            "subject_kind": kind,
                            "as_of": when,
                            "criterion_id": criterion,
                            "score": rng.integers(1, 6, len(chosen)),
                        }
                    )
                )
    return indicators, pd.concat(reviews, ignore_index=True), funds


# ---------------------------------------------------------------- the per-fund baseline


def _months(inception: date, as_of: date) -> int:
    return (
        (as_of.year - inception.year) * 12
        + as_of.month
        - inception.month
        - (as_of.day < inception.day)
    )


def _sci(value: float) -> str:
    text = f"{value:.1e}"
    for long, short in (("e+0", "e"), ("e+", "e"), ("e-0", "e-")):
        text = text.replace(long, short)
    return text


def _pct(value: float, peers: list[float]) -> float:
    """Category percentile of `value` among `peers` (itself included), ties averaged."""
    if len(peers) == 1:
        return LONE_FUND_PCT
    less = sum(1 for p in peers if p < value)
    equal = sum(1 for p in peers if p == value)
    rank = less + (equal + 1) / 2
    return round((rank - 1) * 100 / (len(peers) - 1), DECIMALS)


def _first(pairs: list[tuple[bool, float]]) -> float:
    for hit, result in pairs:
        if hit:
            return result
    return math.nan


def baseline(doc, indicators, qualitative, funds, as_of) -> pd.DataFrame:
    """The same rules as engine.methodology.scoring.score, one fund at a time."""
    rules = doc.get("eligibility") or {}
    missing_score, max_missing = missing_rule(doc)
    rows = {(r["fund_id"], r["window"]): r for r in indicators.to_dict("records")}
    latest: dict[tuple, tuple] = {}
    for r in qualitative.to_dict("records"):
        key = (r["subject_kind"], r["subject_id"], r["criterion_id"])
        if r["as_of"] <= as_of and (key not in latest or r["as_of"] >= latest[key][0]):
            latest[key] = (r["as_of"], float(r["score"]))
    fund_list = funds.to_dict("records")

    for fund in fund_list:
        reasons = []
        if fund["category"] is None:
            reasons.append("no category")
        if rules.get("categories") and fund["category"] is not None:
            if fund["category"] not in rules["categories"]:
                reasons.append(f"category {fund['category']} not rated")
        if "min_track_record_months" in rules:
            months = _months(fund["inception_date"], as_of)
            if months < rules["min_track_record_months"]:
                reasons.append(f"track record {months} months < {rules['min_track_record_months']}")
        if "min_aum" in rules and fund["aum"] < rules["min_aum"]:
            reasons.append(f"AUM {_sci(fund['aum'])} < {_sci(rules['min_aum'])}")
        fund["excluded_by"] = "; ".join(reasons) or None
        fund["raw"] = {}
        for section, criterion in iter_criteria(doc):
            measure, values = criterion["measure"], []
            if measure["type"] == "qualitative":
                kind = "company" if section["kind"] == "company" else "fund"
                subject = fund["company_id"] if kind == "company" else fund["fund_id"]
                values.append(
                    latest.get((kind, subject, measure["criterion"]), (None, math.nan))[1]
                )
            else:
                for window in (measure["window"], measure.get("fallback_window")):
                    if window:
                        row = rows.get((fund["fund_id"], window))
                        values.append(math.nan if row is None else row[measure["indicator"]])
            fund["raw"][criterion["id"]] = values  # one per window (the score for qualitative)

    rated = [f for f in fund_list if f["excluded_by"] is None]
    for fund in rated:
        fund["scores"], fund["missing"], fund["missing_weight"] = {}, [], 0.0
        for section, criterion in iter_criteria(doc):
            cid, scoring = criterion["id"], criterion["scoring"]
            values = fund["raw"][cid]
            present = [k for k, v in enumerate(values) if not math.isnan(v)]
            result = math.nan
            if present and scoring["method"] == "qualitative":
                result = values[0]
            elif present and scoring["method"] == "percentile_bands":
                k = present[0]  # the window, else the fallback window, ranked among its own peers
                peers = [
                    p["raw"][cid][k]
                    for p in rated
                    if p["category"] == fund["category"] and not math.isnan(p["raw"][cid][k])
                ]
                pct = _pct(values[k], peers)
                if direction(criterion) == "lower_is_better":
                    pct = 100.0 - pct
                result = _first([(pct >= b["min_pct"], b["score"]) for b in scoring["bands"]])
            elif present:
                value = values[present[0]]
                key = "min" if direction(criterion) == "higher_is_better" else "max"
                result = _first(
                    [
                        (
                            t[key] is None
                            or (value >= t[key] if key == "min" else value <= t[key]),
                            t["score"],
                        )
                        for t in scoring["thresholds"]
                    ]
                )
            if math.isnan(result):
                result = missing_score
                fund["missing"].append(cid)
                fund["missing_weight"] += effective_weight(section, criterion)
            fund["scores"][cid] = result
        total = 0.0
        for section in doc["sections"]:
            part = sum(
                fund["scores"][c["id"]] * (float(c["weight"]) / 100.0) for c in section["criteria"]
            )
            total += part * (float(section["weight"]) / 100.0)
        fund["total"] = round(total, DECIMALS)
        if fund["missing_weight"] > max_missing + 1e-9:
            fund["excluded_by"] = f"missing inputs {fund['missing_weight']:.2f}".rstrip("0").rstrip(
                "."
            )
            fund["excluded_by"] += f"% of weight > {max_missing:g}%"
    graded = [f for f in rated if f["excluded_by"] is None]
    for fund in graded:
        peers = [p["total"] for p in graded if p["category"] == fund["category"]]
        pct = _pct(fund["total"], peers)
        bands = doc["grade_scale"]["bands"]
        fund["grade"] = _first([(pct >= b["min_pct"], b["grade"]) for b in bands])
    return pd.DataFrame(
        {
            "fund_id": [f["fund_id"] for f in fund_list],
            "excluded_by": [f["excluded_by"] for f in fund_list],
            "total": [f.get("total", math.nan) for f in fund_list],
            "grade": [f.get("grade", math.nan) for f in fund_list],
            "missing": [", ".join(f["missing"]) if "missing" in f else None for f in fund_list],
            **{
                f"score_{c['id']}": [f.get("scores", {}).get(c["id"], math.nan) for f in fund_list]
                for _, c in iter_criteria(doc)
            },
        }
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5, help="vectorised runs (best is kept)")
    parser.add_argument("--baseline-repeat", type=int, default=1, help="baseline runs (best kept)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)

    doc = methodology()
    indicators, qualitative, funds = synthetic(args.funds, args.seed)
    inputs = (doc, indicators, qualitative, funds, AS_OF)
    vector_wall, vector_cpu, vector = timed(score, *inputs, repeat=args.repeat)
    loop_wall, loop_cpu, loop = timed(baseline, *inputs, repeat=args.baseline_repeat)

    columns = list(loop.columns)
    ours = vector[columns].assign(grade=vector["grade"].astype(float))
    agree = ours.equals(loop.astype(ours.dtypes.to_dict()))
    if not agree:
        diff = (ours.astype(object).fillna(-1) != loop.astype(object).fillna(-1)).any()
        raise SystemExit(f"vectorised and baseline disagree on: {list(diff[diff].index)}")
    figures = {
        "funds": args.funds,
        "criteria": sum(1 for _ in iter_criteria(doc)),
        "eligible": int(vector["missing"].notna().sum()),
        "graded": int(vector["grade"].notna().sum()),
        "vectorised_wall_s": round(vector_wall, 4),
        "vectorised_cpu_s": round(vector_cpu, 4),
        "vectorised_funds_per_s": round(args.funds / vector_wall),
        "baseline_wall_s": round(loop_wall, 4),
        "baseline_cpu_s": round(loop_cpu, 4),
        "baseline_funds_per_s": round(args.funds / loop_wall),
        "speedup_wall": round(loop_wall / vector_wall, 1),
        "speedup_cpu": round(loop_cpu / vector_cpu, 1),
        "identical_results": agree,
    }
    if args.json:
        print(json.dumps(figures))
        return figures
    print(
        f"{args.funds} funds, {figures['criteria']} criteria: {figures['eligible']} eligible, "
        f"{figures['graded']} graded"
    )
    print(f"{'method':<30}{'wall s':>9}{'CPU s':>9}{'funds/s':>11}")
    print(
        f"{'vectorised (scoring.score)':<30}{vector_wall:>9.3f}{vector_cpu:>9.3f}"
        f"{figures['vectorised_funds_per_s']:>11,}"
    )
    print(
        f"{'per-fund Python loop':<30}{loop_wall:>9.3f}{loop_cpu:>9.3f}"
        f"{figures['baseline_funds_per_s']:>11,}"
    )
    print(
        f"speed-up (baseline / vectorised): {figures['speedup_wall']}x wall, "
        f"{figures['speedup_cpu']}x CPU; identical results: {agree}"
    )
    return figures


if __name__ == "__main__":
    main()
