"""Turn what `engine.methodology.extract.draft` read into the methodology dict, its fields and what is missing.

Weights given as points of the total become shares of their section; bands read in document
order become cumulative percentiles (or score thresholds); document grade labels are mapped to
the internal scale by rank (the band with the highest cut-off is internal grade 5, whatever the
document calls it: "1등급" in most Korean houses, "5 stars" in English ones).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from engine.data.metrics import INDICATORS
from engine.methodology.core import GRADES
from engine.methodology.extract import rules

TABLE, PROSE, INFERRED = 0.95, 0.8, 0.6
TOLERANCE = 0.05


class Src(NamedTuple):
    """A value with the page and text it was read from and a confidence (0–1)."""

    value: Any
    page: int
    text: str
    confidence: float


def _scale(owners: list, factor: float) -> None:
    for owner in owners:
        old = owner.src["weight"]
        owner.src["weight"] = old._replace(value=rules.clean_number(old.value * factor))


def _normalise_weights(sections: list) -> None:
    """Weights as fractions (0.3) → percent; criterion weights as points or percent of the
    total → percent of their section (section weights then follow from the sums if absent)."""
    criteria = [c for s in sections for c in s.criteria if "weight" in c.src]
    for group in ([s for s in sections if "weight" in s.src], criteria):
        if group and abs(sum(o.get("weight") for o in group) - 1) <= 0.001:
            _scale(group, 100)
    for s in sections:
        if len(s.criteria) > 1 and all("weight" in c.src for c in s.criteria):
            if abs(sum(c.get("weight") for c in s.criteria) - 1) <= 0.001:
                _scale(s.criteria, 100)
    known = [s for s in sections if s.criteria and all("weight" in c.src for c in s.criteria)]
    if len(known) == len(sections) > 1 and all("weight" not in s.src for s in sections):
        totals = [sum(c.get("weight") for c in s.criteria) for s in sections]
        if abs(sum(totals) - 100) <= TOLERANCE:
            for s, total in zip(sections, totals, strict=True):
                first = s.criteria[0].src["weight"]
                text = f"sum of the overall weights of its criteria: {rules.clean_number(total)}"
                s.src["weight"] = Src(rules.clean_number(total), first.page, text, 0.85)
    for s in known:
        total = sum(c.get("weight") for c in s.criteria)
        share = s.src.get("weight")
        if abs(total - 100) <= TOLERANCE or share is None:
            continue
        if abs(total - share.value) <= TOLERANCE * len(s.criteria):
            for c in s.criteria:
                old = c.src["weight"]
                value = rules.clean_number(old.value * 100 / share.value)
                c.src["weight"] = old._replace(value=value)


def _bands(rows: list[tuple], warnings: list[str], what: str) -> tuple[str, list[tuple]] | None:
    """('percentile'|'thresholds', [(label value, label, cut-off, page, text, conf)]) best first."""
    seen, unique = set(), []
    for row in rows:
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(row)
    kinds = {row[2][0] for row in unique}
    if not unique:
        return None
    out, cum = [], 0.0
    if kinds <= {"top", "next", "bottom"}:
        method = "percentile"
        for value, label, (kind, x), page, text, conf in unique:
            cum = x if kind == "top" else cum + x if kind == "next" else 100.0
            out.append((value, label, rules.clean_number(max(0.0, 100 - cum)), page, text, conf))
    elif kinds <= {"min", "below"}:
        method = "thresholds"
        for value, label, (kind, x), page, text, conf in unique:
            out.append(
                (value, label, rules.clean_number(x if kind == "min" else 0), page, text, conf)
            )
    else:
        warnings.append(f"{what}: bands mix percentiles and score thresholds; not read")
        return None
    out.sort(key=lambda row: -row[2])
    cuts = [row[2] for row in out]
    if len(set(cuts)) != len(cuts) or cuts[-1] != 0:
        warnings.append(f"{what}: bands are not strictly decreasing down to 0: {cuts}")
    return method, out


def _default_name(measure: dict, window: str | None, lang: str) -> str:
    if measure["type"] == "qualitative":
        return rules.QUALITATIVE_NAMES[lang].get(measure["criterion"], measure["criterion"])
    info = INDICATORS[measure["indicator"]]
    if lang == "ko":
        return info.label_ko + (f"({window[:-1]}년)" if window else "")
    return info.label + (f" ({window})" if window else "")


def assemble(b: Any, title: str | None, name_en: str | None, title_block: Any) -> tuple:
    lang, other = b.lang, "en" if b.lang == "ko" else "ko"
    fields: list[tuple] = []
    missing: list[str] = []
    warnings = list(b.warnings)

    def emit(path: str, src: Src, value: Any = None) -> None:
        fields.append(
            (path, src.value if value is None else value, src.page, src.text, src.confidence)
        )

    page1 = title_block.page if title_block is not None else 1
    draft: dict[str, Any] = {"id": rules.slugify(name_en or title or ""), "version": 1}
    if title:
        draft["name"] = title
        emit("name", Src(title, page1, title, 0.9))
        emit("id", Src(draft["id"], page1, name_en or title, 0.9))
    else:
        missing.append("name")
    if name_en or (lang == "en" and title):
        draft["name_en"] = name_en or title
        emit("name_en", Src(draft["name_en"], page1, draft["name_en"], 0.8))
    draft["language"] = lang
    emit("language", Src(lang, page1, f"detected from the text ({lang})", 0.9))
    draft["client"] = None  # a house methodology; the analyst names a client for a variant
    emit("client", Src(None, page1, "detected from the text: no client named (all)", INFERRED))
    if b.description is not None:
        draft["description"] = b.description.value
        emit("description", b.description)

    eligibility: dict[str, Any] = {}
    for key, value, page, text, conf in sorted(b.found["eligibility"], key=lambda e: -e[4]):
        if key not in eligibility:
            eligibility[key] = value
            emit(f"eligibility.{key}", Src(value, page, text, conf))
    missing += [
        f"eligibility.{k}" for k in ("min_track_record_months", "min_aum") if k not in eligibility
    ]
    if eligibility:
        draft["eligibility"] = eligibility
    missing_inputs: dict[str, Any] = {}
    for key, value, page, text, conf in b.found["missing"]:
        if key not in missing_inputs:
            missing_inputs[key] = value
            emit(f"missing_inputs.{key}", Src(value, page, text, conf))
    if missing_inputs:
        draft["missing_inputs"] = missing_inputs

    sections = list(b.sections.values())
    _normalise_weights(sections)
    scoring = _bands(b.found["scoring"], warnings, "score conversion")
    lower = {key: (page, text) for key, page, text in b.found["lower"]}
    draft["sections"], section_ids, used_ids = [], set(), set()
    if not sections:
        missing.append("sections")
    for i, s in enumerate(sections):
        sp = f"sections[{i}]"
        name_src = s.src["name"]
        sid = s.kind if s.kind not in section_ids else f"{s.kind}_{i + 1}"
        section_ids.add(sid)
        out: dict[str, Any] = {"id": sid, "kind": s.kind}
        out[f"name_{lang}"] = name_src.value
        out[f"name_{other}"] = rules.SECTION_NAMES[other][s.kind]
        emit(f"{sp}.id", name_src, sid)
        emit(f"{sp}.kind", name_src, s.kind)
        emit(f"{sp}.name_{lang}", name_src)
        emit(f"{sp}.name_{other}", name_src._replace(confidence=INFERRED), out[f"name_{other}"])
        if "weight" in s.src:
            out["weight"] = rules.clean_number(s.src["weight"].value)
            emit(f"{sp}.weight", s.src["weight"], out["weight"])
        else:
            missing.append(f"{sp}.weight")
        out["criteria"] = []
        if not s.criteria:
            missing.append(f"{sp}.criteria")
        for j, c in enumerate(s.criteria):
            out["criteria"].append(
                _criterion(
                    c, f"{sp}.criteria[{j}]", lang, other, used_ids, scoring, lower, emit, missing
                )
            )
        total = sum(c.get("weight") or 0 for c in s.criteria)
        if (
            s.criteria
            and all("weight" in c.src for c in s.criteria)
            and abs(total - 100) > TOLERANCE
        ):
            warnings.append(
                f"{sp} ({name_src.value}): criterion weights sum to {rules.clean_number(total)}, not 100"
            )
        draft["sections"].append(out)
    weights = [s.src["weight"].value for s in sections if "weight" in s.src]
    if sections and len(weights) == len(sections) and abs(sum(weights) - 100) > TOLERANCE:
        warnings.append(f"section weights sum to {rules.clean_number(sum(weights))}, not 100")

    grade_labels: dict[int, str] = {}
    grades = _bands(b.found["grades"], warnings, "grade scale")
    if grades is not None and len(grades[1]) != len(GRADES):
        found = ", ".join(f"{row[1]} (page {row[3]})" for row in grades[1])
        warnings.append(
            f"grade scale: found {len(grades[1])} grade bands, expected {len(GRADES)}: {found}"
        )
        grades = None
    if grades is None:
        missing.append("grade_scale")
    else:
        method, rows = grades
        key = "min_pct" if method == "percentile" else "min_score"
        bands = []
        for k, (_, label, cut, page, text, conf) in enumerate(rows):
            grade = GRADES[k]
            grade_labels[grade] = label
            bands.append({"grade": grade, key: cut})
            emit(f"grade_scale.bands[{k}].grade", Src(grade, page, text, conf))
            emit(f"grade_scale.bands[{k}].{key}", Src(cut, page, text, conf))
        labels = {str(grade): label for grade, label in grade_labels.items()}
        draft["grade_scale"] = {"method": method, "bands": bands, "x-labels": labels}
        emit("grade_scale.method", Src(method, rows[0][3], rows[0][4], rows[0][5]))
    return draft, fields, missing, warnings, grade_labels


def _criterion(c, path, lang, other, used_ids, scoring, lower, emit, missing) -> dict:
    measure = dict(c.measure)
    window = c.get("window")
    if measure["type"] == "indicator":
        if window:
            measure["window"] = window
            emit(f"{path}.measure.window", c.src["window"])
        else:
            missing.append(f"{path}.measure.window")
        if "fallback_window" in c.src:
            measure["fallback_window"] = c.get("fallback_window")
            emit(f"{path}.measure.fallback_window", c.src["fallback_window"])
        emit(f"{path}.measure.indicator", c.src["measure"], measure["indicator"])
        base = measure["indicator"] + (f"_{window}" if window else "")
    else:
        emit(f"{path}.measure.criterion", c.src["measure"], measure["criterion"])
        base = measure["criterion"]
    cid, n = base, 2
    while cid in used_ids:
        cid, n = f"{base}_{n}", n + 1
    used_ids.add(cid)
    out: dict[str, Any] = {"id": cid}
    out[f"name_{lang}"] = c.get("name")
    out[f"name_{other}"] = _default_name(measure, window, other)
    emit(f"{path}.id", c.src["measure"], cid)
    emit(f"{path}.measure.type", c.src["measure"], measure["type"])
    emit(f"{path}.name_{lang}", c.src["name"])
    emit(f"{path}.name_{other}", c.src["name"]._replace(confidence=INFERRED), out[f"name_{other}"])
    if "weight" in c.src:
        out["weight"] = rules.clean_number(c.get("weight"))
        emit(f"{path}.weight", c.src["weight"], out["weight"])
    else:
        missing.append(f"{path}.weight")
    out["measure"] = measure
    src = c.src["measure"]
    if measure["type"] == "qualitative":
        out["direction"] = "higher_is_better"
        out["scoring"] = {"method": "qualitative"}
        emit(f"{path}.direction", Src(out["direction"], src.page, src.text, 0.9))
        emit(f"{path}.scoring", Src(out["scoring"], src.page, src.text, 0.9))
        return out
    hit = lower.get((measure["indicator"], window)) or lower.get((measure["indicator"], None))
    if hit:
        out["direction"] = "lower_is_better"
        emit(f"{path}.direction", Src("lower_is_better", hit[0], hit[1], 0.85))
    else:
        higher = INDICATORS[measure["indicator"]].higher_is_better
        out["direction"] = "higher_is_better" if higher else "lower_is_better"
        emit(f"{path}.direction", Src(out["direction"], src.page, src.text, INFERRED))
    if scoring is None:
        missing.append(f"{path}.scoring")
    elif scoring[0] == "percentile":
        rows = scoring[1]
        out["scoring"] = {
            "method": "percentile_bands",
            "bands": [{"min_pct": cut, "score": value} for value, _, cut, *_ in rows],
        }
        emit(f"{path}.scoring.method", Src("percentile_bands", rows[0][3], rows[0][4], 0.85))
        for k, (value, _, cut, page, text, _conf) in enumerate(rows):  # shared table: 0.85
            emit(f"{path}.scoring.bands[{k}].min_pct", Src(cut, page, text, 0.85))
            emit(f"{path}.scoring.bands[{k}].score", Src(value, page, text, 0.85))
    else:
        missing.append(f"{path}.scoring")
    return out
