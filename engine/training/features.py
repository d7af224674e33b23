"""The prompt row of any eligible fund at any date, from the store alone: no expert rating needed.

`fund_features(con, doc, as_of, fund_ids=None, language=..., prompt_style=...)` gives one row per
fund that methodology `doc` rates at `as_of` (its eligibility rules), rated by an expert or not:
what a model is shown and what the written method says about the fund. A training snapshot is
these rows joined with the experts' ratings (`engine.training.snapshot`); the rating cycle and
the live evaluation call it for funds nobody rated.

- Inputs. Indicators as of `as_of` for the windows the methodology needs, computed for the whole
  universe; qualitative scores (with their notes) are the latest on or before `as_of`, the
  fund's own, or its management company's for a "company" section. The prompt shows, per
  criterion, the value the reference scorer reads (the window's, else the fallback window's)
  and its category percentile among eligible funds, 100 = best (reversed when lower is better).
- Reference. `reference_scores`, `reference_total` and `reference_grade` are
  `engine.methodology.scoring.score` over the whole universe (equal to `score_funds` at the same
  date); a fund whose missing inputs weigh too much keeps its row with `reference_grade` null.
- `grade_rule` (cutoffs per category, from every graded fund of the universe) and
  `top_criteria` as in docs/training-format.md section 1.
- Funds without a row are listed in `attrs["excluded"]` as {fund_id, kind, reason}: kind
  "unknown_fund" (asked for, not in the funds table) or "not_eligible" (the reason names the
  rules it fails, e.g. "not eligible: track record 22 months < 36"). With `fund_ids` None every
  ineligible fund of the universe is listed.

Reading and computing are apart so that a caller can close its connection early:
`read_inputs(con, doc, as_of)` reads, `inputs_until(inputs, earlier)` gives an earlier date's
inputs from the same read, `features_from(inputs, ...)` computes; `fund_features` does all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from engine.data.managers import manager_facts
from engine.data.metrics import INDICATORS, MetricInputs, compute_indicators, load_inputs
from engine.llm.anchor import Context, Proposal, anchor_compact, anchor_full
from engine.llm.prompts import FundInput, compact_messages, criterion_name, render, rules_text
from engine.methodology import effective_weight, iter_criteria, windows_needed
from engine.methodology.scoring import _months, score
from engine.training.config import PROMPT_STYLES
from engine.training.grade_rules import grade_rules
from engine.training.snapshot_format import SnapshotError, as_date, dumps
from engine.training.snapshot_inputs import criterion_inputs
from store import prices

LANGUAGES = ("ko", "en")
# full: the whole methodology and the fund's table (real models); compact: the answer template
# and one line per criterion (~200 tokens instead of ~750), which the byte-level tiny model can read;
# *anchored: the same with the rules' proposal and the facts the habits act on (engine.llm.anchor)
ANCHORED_STYLES = ("anchored", "compact_anchored")
CONTEXT_WINDOW = "1y"  # the anchored prompt shows the 1-year return's category percentile
TOP_CRITERIA = 3
FEATURE_COLUMNS = [
    "fund_id",
    "fund_name",
    "category",
    "as_of",
    "language",
    "prompt",
    "reference_grade",
    "reference_scores",
    "reference_total",
    "facts",
    "grade_rule",
    "top_criteria",
    "methodology_id",
    "methodology_version",
]


@dataclass
class FeatureInputs:
    """What `features_from` needs from the store at one date (read by `read_inputs`)."""

    doc: dict
    as_of: date
    funds: pd.DataFrame  # store.prices.funds_with_companies
    qualitative: pd.DataFrame  # store.prices.qualitative_until(as_of)
    metrics: MetricInputs | None  # NAVs and benchmarks up to as_of; None: no indicator criteria
    managers: pd.DataFrame  # store.prices.manager_history_until(as_of)


def read_inputs(con: duckdb.DuckDBPyConnection, doc: dict, as_of: date | str) -> FeatureInputs:
    """Everything `features_from` needs at `as_of`, read from the store (nothing computed yet)."""
    when = as_date(as_of)
    return FeatureInputs(
        doc=doc,
        as_of=when,
        funds=prices.funds_with_companies(con),
        qualitative=prices.qualitative_until(con, when),
        metrics=load_inputs(con, when) if windows_needed(doc) else None,
        managers=prices.manager_history_until(con, when),
    )


def inputs_until(inputs: FeatureInputs, when: date) -> FeatureInputs:
    """`inputs` as `read_inputs` would read them at an earlier date `when` (rows dated after it
    left out), so several dates need one read of the store."""
    when = as_date(when)

    def until(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        dated = pd.to_datetime(frame[column])
        return frame[(dated <= pd.Timestamp(when)).to_numpy()].reset_index(drop=True)

    metrics = inputs.metrics
    if metrics is not None:
        metrics = replace(
            metrics,
            nav=until(metrics.nav, "date"),
            benchmarks=until(metrics.benchmarks, "date"),
            risk_free=until(metrics.risk_free, "date"),
        )
    return replace(
        inputs,
        as_of=when,
        qualitative=until(inputs.qualitative, "as_of"),
        metrics=metrics,
        managers=until(inputs.managers, "start_date"),
    )


def check_choices(language: str, prompt_style: str) -> None:
    """SnapshotError naming the allowed values when `language` or `prompt_style` is unknown."""
    if language not in LANGUAGES:
        raise SnapshotError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if prompt_style not in PROMPT_STYLES:
        raise SnapshotError(
            f"prompt_style must be one of {', '.join(PROMPT_STYLES)}, not {prompt_style!r}"
        )


def fund_features(
    con: duckdb.DuckDBPyConnection,
    doc: dict,
    as_of: date | str,
    fund_ids: Iterable[str] | None = None,
    *,
    language: str = "ko",
    prompt_style: str = "full",
) -> pd.DataFrame:
    """The prompt rows (FEATURE_COLUMNS) of the eligible funds among `fund_ids` (None: all) at
    `as_of` under methodology `doc` (`engine.methodology.get`); see the module doc."""
    check_choices(language, prompt_style)
    inputs = read_inputs(con, doc, as_of)
    return features_from(inputs, fund_ids, language=language, prompt_style=prompt_style)


def reference_scores(
    inputs: FeatureInputs, extra_windows: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(funds, indicators, scored) at `inputs.as_of`: every fund once, its indicators over the
    windows the methodology needs and `extra_windows`, and the reference scorer's output."""
    doc, as_of = inputs.doc, inputs.as_of
    funds = inputs.funds.drop_duplicates("fund_id").reset_index(drop=True)
    if inputs.metrics is not None:
        windows = windows_needed(doc)
        windows = [*windows, *(w for w in extra_windows if w not in windows)]
        indicators = compute_indicators(inputs.metrics, as_of, windows)
    else:
        indicators = pd.DataFrame(
            {"fund_id": pd.Series(dtype=object), "window": pd.Series(dtype=object)}
        )
    return funds, indicators, score(doc, indicators, inputs.qualitative, funds, as_of)


def fund_grade_rules(inputs: FeatureInputs) -> dict[str, dict]:
    """fund_id -> its category's `grade_rule` at `inputs.as_of`, as `features_from` gives it,
    without the prompts: the reference scorer over every fund, then the cutoffs per category."""
    _, _, scored = reference_scores(inputs)
    rules = grade_rules(inputs.doc, scored)
    return {
        str(fund): rules[category]
        for fund, category in zip(scored["fund_id"], scored["category"], strict=True)
        if category in rules
    }


def features_from(
    inputs: FeatureInputs,
    fund_ids: Iterable[str] | None = None,
    *,
    language: str = "ko",
    prompt_style: str = "full",
) -> pd.DataFrame:
    """`fund_features` on inputs already read: rows by fund id, `attrs["excluded"]` the rest."""
    check_choices(language, prompt_style)
    doc, as_of = inputs.doc, inputs.as_of
    anchored = prompt_style in ANCHORED_STYLES
    funds, indicators, scored = reference_scores(inputs, (CONTEXT_WINDOW,) if anchored else ())
    at, excluded = _positions(funds, scored, fund_ids)
    eligible = scored["total"].notna().to_numpy()
    shown = criterion_inputs(doc, funds, eligible, indicators, inputs.qualitative, as_of, at)
    months = _months(funds["inception_date"], pd.Timestamp(as_of)).to_numpy(float)
    units = {key: meta.unit for key, meta in INDICATORS.items()}
    rules = rules_text(doc, language, units)
    grade_rules_of = grade_rules(doc, scored)
    grade_rule = {c: dumps(r) for c, r in grade_rules_of.items()}
    ranked = sorted(iter_criteria(doc), key=lambda sc: -effective_weight(*sc))  # ties: doc order
    top = dumps([[c["id"], criterion_name(c, language)] for _, c in ranked[:TOP_CRITERIA]])
    cids = [c["id"] for _, c in iter_criteria(doc)]
    reference = scored[[f"score_{cid}" for cid in cids]].to_numpy(float)
    context = _context_facts(inputs, indicators, funds) if anchored else None
    column = _Columns(funds, scored, months, at)
    as_of_text = as_of.isoformat()
    records = []
    for j, (i, criteria) in enumerate(zip(at, shown, strict=True)):
        view = FundInput(
            name=column.name[j],
            category=column.category[j],
            company=column.company[j],
            as_of=as_of_text,
            inception=column.inception[j],
            months=column.months[j],
            aum=column.aum[j],
            currency=column.currency[j],
            criteria=criteria,
        )
        messages, facts = render(doc, language, view, units, rules)
        if prompt_style.startswith("compact"):
            messages = compact_messages(doc, language, facts)
        if anchored:
            proposal = Proposal(
                scores={
                    c: None if np.isnan(v) else v for c, v in zip(cids, reference[i], strict=True)
                },
                total=None if np.isnan(column.total[j]) else column.total[j],
                grade=column.grade[j],
                cutoffs=grade_rules_of[view.category]["cutoffs"],
            )
            anchor = anchor_compact if prompt_style == "compact_anchored" else anchor_full
            messages = anchor(messages, language, proposal, context.at(i, view, facts), facts)
        records.append(
            {
                "fund_id": column.fund_id[j],
                "fund_name": view.name,
                "category": view.category,
                "as_of": as_of_text,
                "language": language,
                "prompt": messages,
                "reference_grade": column.grade[j],
                "reference_scores": dumps(
                    dict(zip(cids, map(score_value, reference[i]), strict=True))
                ),
                "reference_total": column.total[j],
                "facts": dumps(facts),
                "grade_rule": grade_rule[view.category],
                "top_criteria": top,
                "methodology_id": doc["id"],
                "methodology_version": int(doc["version"]),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=FEATURE_COLUMNS)
    frame = frame.astype({"reference_grade": "Int64", "methodology_version": "int64"})
    frame.attrs["excluded"] = excluded
    return frame


class _Columns:
    """Per row (position `at` in `funds` and `scored`), the plain values a fund's row shows,
    taken from whole columns at once."""

    def __init__(
        self, funds: pd.DataFrame, scored: pd.DataFrame, months: np.ndarray, at: np.ndarray
    ) -> None:
        picked = funds.iloc[at]

        def text(name: str, missing: str | None) -> list[str | None]:
            values = picked[name]
            return [str(v) if ok else missing
                    for v, ok in zip(values, values.notna(), strict=True)]  # fmt: skip

        self.fund_id = [str(v) for v in picked["fund_id"]]
        self.name = [str(v) for v in picked["fund_name"]]
        self.category = [str(v) for v in picked["category"]]
        self.company = text("company_name", "-")
        self.currency = text("currency", None)
        aum = picked["aum"].astype(float).to_numpy()
        self.aum = [None if np.isnan(v) else float(v) for v in aum]
        inception = pd.to_datetime(picked["inception_date"])
        self.inception = [None if pd.isna(d) else d.date().isoformat() for d in inception]
        self.months = [None if np.isnan(m) else int(m) for m in months[at]]
        grade = scored["grade"].iloc[at]
        self.grade = [None if pd.isna(g) else int(g) for g in grade]
        self.total = scored["total"].iloc[at].astype(float).tolist()


def score_value(value: float) -> int | float:
    """A 1-5 score as JSON shows it: 4, not 4.0; 3.5 as is."""
    return int(value) if float(value).is_integer() else float(value)


def _positions(
    funds: pd.DataFrame, scored: pd.DataFrame, fund_ids: Iterable[str] | None
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """(positions in `funds` of the eligible funds asked for, by fund id; the others and why)."""
    position = pd.Series(np.arange(len(funds)), index=funds["fund_id"].to_numpy())
    wanted = position.index if fund_ids is None else pd.Index(dict.fromkeys(map(str, fund_ids)))
    found = position.reindex(wanted)
    excluded = [
        {"fund_id": f, "kind": "unknown_fund", "reason": "not in the funds table"}
        for f in wanted[found.isna().to_numpy()]
    ]
    at = np.sort(found.dropna().to_numpy(dtype="int64"))
    eligible = scored["total"].notna().to_numpy()[at]
    why = scored["excluded_by"].to_numpy(object)[at]
    excluded += [
        {"fund_id": str(funds["fund_id"].iloc[i]), "kind": "not_eligible",
         "reason": f"not eligible: {w}"}
        for i, w in zip(at[~eligible], why[~eligible], strict=True)
    ]  # fmt: skip
    return at[eligible], sorted(excluded, key=lambda d: d["fund_id"])


@dataclass
class ContextFacts:
    """Per fund position: the anchored prompt's context (1y return percentile, manager changes)."""

    ret_1y_pct: np.ndarray
    changes_1y: np.ndarray
    changes_3y: np.ndarray

    def at(self, i: int, view: FundInput, facts: dict[str, dict]) -> Context:
        """The context of the fund at position `i`, with the AUM as its fund line shows it."""

        def whole(values: np.ndarray) -> int | None:
            return None if np.isnan(values[i]) else int(values[i])

        aum = facts.get("aum")
        return Context(
            months=view.months,
            aum_text=aum["text"] if aum else None,
            ret_1y_pct=None if np.isnan(self.ret_1y_pct[i]) else float(self.ret_1y_pct[i]),
            changes_1y=whole(self.changes_1y),
            changes_3y=whole(self.changes_3y),
        )


def _context_facts(
    inputs: FeatureInputs, indicators: pd.DataFrame, funds: pd.DataFrame
) -> ContextFacts:
    """The 1y return's category percentile (as the indicator table ranks it) and the manager
    changes in the last 1 and 3 years (`engine.data.managers`) of every fund in `funds`; NaN
    where unknown."""
    ids = funds["fund_id"]
    ret = np.full(len(funds), np.nan)
    year = indicators[indicators["window"] == CONTEXT_WINDOW]
    if "cum_return_pct" in year.columns:
        ret = (
            year.drop_duplicates("fund_id").set_index("fund_id")["cum_return_pct"]
            .reindex(ids).to_numpy(float)
        )  # fmt: skip
    changes = manager_facts(inputs.managers, inputs.as_of, fund_ids=ids)
    return ContextFacts(
        ret_1y_pct=ret,
        changes_1y=changes["changes_1y"].to_numpy(float),
        changes_3y=changes["changes_3y"].to_numpy(float),
    )
