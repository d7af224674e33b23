"""The demo's yearly qualitative reviews (연간 정성평가) of funds and management companies.

Each Nov 30 the analysts score every fund at least a year old on process, organisational
stability, risk management and ESG, and every company on capability, organisation and systems,
from the universe's latent facts plus noise, with a Korean note citing them. Part of the
synthetic demo (`engine.demo.build`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.demo.market import CATEGORIES, DAYS_PER_YEAR, DemoSettings, _days, _rng
from engine.demo.text import (
    CAPABILITY_NOTES,
    COMPANY_ORG_NOTES,
    ESG_NOTES,
    PHILOSOPHY_NOTES,
    RISK_NOTES,
    SYSTEMS_NOTES,
    _krw_text,
    _org_note,
    _pick,
)
from engine.demo.universe import Universe, _change_days, manager_facts

REVIEW_MONTH, REVIEW_DAY = 11, 30  # yearly qualitative review (연간 정성평가)
FIRST_REVIEW_AGE_YEARS = 1.0


def _score(latent: np.ndarray) -> np.ndarray:
    """A latent value around 0 as a 1-5 score (0 -> 3, one unit per step)."""
    return np.clip(np.rint(3.0 + latent), 1, 5).astype(int)


def review_dates(dates: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Yearly qualitative review days (Nov 30) inside the calendar."""
    first, last = dates[0], dates[-1]
    days = [pd.Timestamp(y, REVIEW_MONTH, REVIEW_DAY) for y in range(first.year, last.year + 1)]
    return [d for d in days if first <= d <= last]


def _review_frame(subjects: np.ndarray, as_of: pd.Timestamp, scores: dict, notes: dict) -> list:
    """One long frame per criterion of a review round."""
    return [
        pd.DataFrame(
            {"subject_id": subjects, "as_of": as_of, "criterion_id": criterion,
             "score": scores[criterion], "note": notes[criterion]}
        )
        for criterion in scores
    ]  # fmt: skip


def _fund_reviews(
    universe: Universe, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> list[pd.DataFrame]:
    """Fund-level reviews (philosophy_process, org_stability, risk_management, esg) each Nov 30."""
    truth, companies = universe.truth, universe.companies
    comp = truth["company_index"].to_numpy()
    inception = _days(universe.funds["inception_date"])
    idio_range = np.array([CATEGORIES[c].idio_vol for c in truth["category_index"]])
    idio_z = (truth["idio_vol"].to_numpy() - idio_range.mean(1)) / (np.ptp(idio_range, 1) / 2)
    turnover_z = (companies["turnover_rate"].to_numpy()[comp] - 0.2) / 0.087
    frames = []
    for review in review_dates(dates):
        day = _days([review])[0]
        facts = manager_facts(universe, dates, day)
        live = inception <= day - FIRST_REVIEW_AGE_YEARS * DAYS_PER_YEAR
        n = int(live.sum())
        f = facts[live]
        noise = rng.standard_normal((4, n))
        scores = {
            "philosophy_process": _score(
                0.8 * f["manager_z"].to_numpy()
                + 0.3 * companies["skill_z"].to_numpy()[comp][live]
                + 0.5 * noise[0]
            ),
            "org_stability": _score(
                0.5
                - 1.1 * f["changes_3y"].to_numpy()
                + 0.08 * np.minimum(f["tenure_years"].to_numpy(), 10.0)
                - 0.3 * turnover_z[live]
                + 0.4 * noise[1]
            ),
            "risk_management": _score(
                -0.7 * idio_z[live] + 0.4 * companies["systems_z"].to_numpy()[comp][live]
                + 0.5 * noise[2]
            ),
            "esg": _score(0.8 * companies["esg_z"].to_numpy()[comp][live] + 0.6 * noise[3]),
        }  # fmt: skip
        pick = rng.random((4, n))
        org = zip(
            scores["org_stability"],
            f["changes_3y"],
            f["manager"],
            f["tenure_years"],
            pick[1],
            strict=True,
        )
        notes = {
            "philosophy_process": _pick(PHILOSOPHY_NOTES, scores["philosophy_process"], pick[0]),
            "org_stability": [_org_note(*args) for args in org],
            "risk_management": _pick(RISK_NOTES, scores["risk_management"], pick[2]),
            "esg": _pick(ESG_NOTES, scores["esg"], pick[3]),
        }
        frames += _review_frame(f["fund_id"].to_numpy(), review, scores, notes)
    return frames


def _company_reviews(
    universe: Universe, dates: pd.DatetimeIndex, rng: np.random.Generator
) -> list[pd.DataFrame]:
    """Company-level reviews (capability, organisation, systems) each Nov 30."""
    companies = universe.companies
    active = companies["n_funds"].to_numpy() > 0
    comp = universe.truth["company_index"].to_numpy()
    changes = _change_days(universe, dates)
    total_aum = np.bincount(
        comp, weights=universe.funds["aum"].to_numpy(), minlength=len(companies)
    )
    size_z = np.log(np.maximum(total_aum, 1.0))
    size_z = (size_z - size_z[active].mean()) / (size_z[active].std() or 1.0)
    turnover_z = (companies["turnover_rate"].to_numpy() - 0.2) / 0.087
    frames = []
    for review in review_dates(dates):
        day = _days([review])[0]
        recent = ((changes <= day) & (changes > day - DAYS_PER_YEAR)).sum(axis=1)
        recent_by_company = np.bincount(comp, weights=recent, minlength=len(companies)).astype(int)
        noise = rng.standard_normal((3, len(companies)))
        scores = {
            "company_capability": _score(0.9 * companies["skill_z"].to_numpy() + 0.4 * noise[0]),
            "company_organisation": _score(
                -0.8 * turnover_z - 0.25 * (recent_by_company - 1.0) + 0.4 * noise[1]
            ),
            "company_systems": _score(
                0.6 * companies["systems_z"].to_numpy() + 0.4 * size_z + 0.4 * noise[2]
            ),
        }
        notes = {
            "company_capability": [
                f"운용역 {m}명, {CAPABILITY_NOTES[s]}"
                for m, s in zip(companies["n_managers"], scores["company_capability"], strict=True)
            ],
            "company_organisation": [
                f"최근 1년 펀드매니저 교체 {k}건, {COMPANY_ORG_NOTES[s]}"
                for k, s in zip(recent_by_company, scores["company_organisation"], strict=True)
            ],
            "company_systems": [
                f"수탁고 {_krw_text(a)}, {SYSTEMS_NOTES[s]}"
                for a, s in zip(total_aum, scores["company_systems"], strict=True)
            ],
        }
        scores = {k: v[active] for k, v in scores.items()}
        notes = {k: np.array(v, dtype=object)[active] for k, v in notes.items()}
        frames += _review_frame(companies["company"].to_numpy()[active], review, scores, notes)
    return frames


def qualitative_frame(
    config: DemoSettings, universe: Universe, dates: pd.DatetimeIndex
) -> pd.DataFrame:
    """All yearly qualitative reviews: subject_id, as_of, criterion_id, score, note."""
    rng = _rng(config.seed, "qualitative")
    frames = _fund_reviews(universe, dates, rng) + _company_reviews(universe, dates, rng)
    if not frames:
        raise ValueError("the demo calendar holds no yearly review date; use years >= 1")
    frame = pd.concat(frames, ignore_index=True)
    frame["as_of"] = frame["as_of"].astype("datetime64[s]")
    frame["score"] = frame["score"].astype(np.int64)
    return frame.sort_values(["as_of", "subject_id", "criterion_id"], ignore_index=True)
