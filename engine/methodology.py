"""The methodology document: load, validate, summarise, edit as a table, diff, start blank.

A methodology is one JSON document (docs/methodology-format.md), checked in two steps:
`engine/schemas/methodology.schema.json` (structure, via jsonschema draft 2020-12) and the
semantic checks below (weights, unique ids, band order, grades, indicator keys). Both report a
`Problem` with the JSON path of the offending field, e.g. `$.sections[0].criteria[2].weight`.

`summary` is the text the training prompts quote, so it states every number the scorer uses.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd

from engine.metrics import INDICATORS, WINDOWS
from engine.schemas import load_schema

WEIGHT_TOTAL = 100.0
WEIGHT_TOLERANCE = 0.01
DEFAULT_DIRECTION = "higher_is_better"
DEFAULT_MISSING_SCORE = 3.0  # a criterion without input scores neutral ...
DEFAULT_MAX_MISSING_WEIGHT = 30.0  # ... and over this % of total weight missing means no grade
LOWEST_TOTAL = 1.0  # weighted totals are on the 1-5 scale
GRADES = (5, 4, 3, 2, 1)
PROBLEMS_IN_MESSAGE = 3
SECTION_KINDS = ("quantitative", "qualitative", "company", "esg")
SCORING_METHODS = ("percentile_bands", "thresholds", "qualitative")
DIRECTIONS = ("higher_is_better", "lower_is_better")
DEFAULT_SCORE_BANDS = ((90, 5), (67.5, 4), (32.5, 3), (10, 2), (0, 1))  # (min_pct, score)
CRITERIA_COLUMNS = [
    "section",
    "criterion",
    "name_ko",
    "name_en",
    "weight",
    "effective_weight",
    "measure",
    "indicator",
    "window",
    "fallback_window",
    "qualitative",
    "direction",
    "scoring",
    "bands",
]
ANY_VALUE = "*"  # in the table's `bands` text: the last threshold (null, any other value)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a methodology: where (a JSON path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class MethodologyError(ValueError):
    """A methodology was refused (invalid JSON, schema or semantic problems, unknown version)."""

    def __init__(
        self,
        summary: str,
        problems: list[Problem] | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.summary = summary
        self.problems = list(problems or [])
        self.line = line
        self.column = column
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        if not self.problems:
            return self.summary
        shown = "; ".join(str(p) for p in self.problems[:PROBLEMS_IN_MESSAGE])
        more = len(self.problems) - PROBLEMS_IN_MESSAGE
        return f"{self.summary}: {shown}" + (f" (and {more} more)" if more > 0 else "")


# ---------------------------------------------------------------- small helpers


def json_path(parts: list | tuple) -> str:
    """`$.sections[0].criteria[2].weight` from ["sections", 0, "criteria", 2, "weight"]."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][\w$-]*", str(part)):
            out += f".{part}"
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out


def _path_key(path: str) -> list[tuple[int, int | str]]:
    """Sort key for JSON paths: array indices numerically, names alphabetically."""
    tokens = re.findall(r"\[(\d+)\]|\.([^.\[]+)|\[(\"[^\"]*\")\]", path)
    return [(0, int(i)) if i else (1, name or quoted) for i, name, quoted in tokens]


def _number(value: Any) -> float | None:
    """The value as a float when it is a JSON number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _fmt(value: Any) -> str:
    """A number as written by a person: 30, 67.5, 0.1 (never 30.0 or 1e+10)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _tidy(value: float) -> int | float:
    """An int when the float is integral (keeps JSON and round trips tidy)."""
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else float(value)


def iter_criteria(doc: dict) -> Iterator[tuple[dict, dict]]:
    """(section, criterion) pairs in document order (assumes a valid document)."""
    for section in doc["sections"]:
        for criterion in section["criteria"]:
            yield section, criterion


def direction(criterion: dict) -> str:
    """The criterion's direction, defaulting to higher_is_better."""
    return criterion.get("direction", DEFAULT_DIRECTION)


def effective_weight(section: dict, criterion: dict) -> float:
    """The criterion's weight as a percent of the whole methodology."""
    return float(section["weight"]) * float(criterion["weight"]) / WEIGHT_TOTAL


def missing_rule(doc: dict) -> tuple[float, float]:
    """(score given to a missing input, max % of total weight missing before no grade)."""
    rule = doc.get("missing_inputs") or {}
    return (
        float(rule.get("score", DEFAULT_MISSING_SCORE)),
        float(rule.get("max_weight", DEFAULT_MAX_MISSING_WEIGHT)),
    )


def windows_needed(doc: dict) -> list[str]:
    """The indicator windows a (valid) methodology reads, in WINDOWS order."""
    used = set()
    for _, criterion in iter_criteria(doc):
        measure = criterion["measure"]
        if measure["type"] == "indicator":
            used.add(measure["window"])
            if measure.get("fallback_window"):
                used.add(measure["fallback_window"])
    return [w for w in WINDOWS if w in used]


# ---------------------------------------------------------------- load and validate


def load(source: str | bytes | os.PathLike[str]) -> dict:
    """Parse a methodology from JSON text, bytes or a file path (not validated: see `check`).

    A str names a file when such a file exists or it ends in ".json"; otherwise it is JSON text.
    Raises MethodologyError with the line and column of a JSON syntax error.
    """
    name = "the methodology"
    raw: str | bytes = source  # type: ignore[assignment]
    is_path = isinstance(source, os.PathLike)
    if isinstance(source, str) and "\n" not in source and not source.lstrip().startswith("{"):
        try:
            is_path = Path(source).is_file() or source.strip().lower().endswith(".json")
        except OSError:
            is_path = False
    if is_path:
        path = Path(source)  # type: ignore[arg-type]
        name = path.name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise MethodologyError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MethodologyError(f"{name} is not UTF-8 text (byte {exc.start})") from exc
    try:
        doc = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise MethodologyError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    except ValueError as exc:
        raise MethodologyError(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise MethodologyError(f"{name} must be a JSON object, not {type(doc).__name__}")
    return doc


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = load_schema("methodology")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _schema_problems(error: jsonschema.ValidationError) -> list[Problem]:
    """A jsonschema error as Problems, with plainer wording for the common cases."""
    parts = list(error.absolute_path)
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in known and not str(k).startswith("x-")]
        return [
            Problem(json_path(parts + [k]), f"unknown key '{k}' (tools may add 'x-' keys)")
            for k in unknown
        ]
    if error.validator == "not" and parts:
        message = (
            f"'{parts[-1]}' is not allowed here: it belongs to another measure type, "
            "scoring method or grade method"
        )
    elif error.validator == "required" and error.validator_value == ["name_ko"]:
        message = "needs a name: 'name_ko' or 'name_en'"
    elif error.validator == "pattern" and error.schema.get("description"):
        rule = error.schema["description"]
        message = f"{error.instance!r} is not a valid id: {rule[0].lower()}{rule[1:]}"
    return [Problem(json_path(parts), message)]


def validate(doc: Any) -> list[Problem]:
    """Every schema and semantic problem of `doc`, sorted by path (empty when valid)."""
    if not isinstance(doc, dict):
        return [Problem("$", f"a methodology is a JSON object, not {type(doc).__name__}")]
    problems = [p for e in _validator().iter_errors(doc) for p in _schema_problems(e)]
    problems += _semantic_problems(doc)
    problems += [Problem(json_path(p), "not a finite number") for p in _non_finite(doc, [])]
    return sorted(dict.fromkeys(problems), key=lambda p: _path_key(p.path))


def check(doc: Any) -> dict:
    """`doc` itself when valid, else MethodologyError listing every problem."""
    problems = validate(doc)
    if problems:
        name = doc.get("id") if isinstance(doc, dict) else None
        label = f"methodology '{name}'" if isinstance(name, str) else "the methodology"
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        raise MethodologyError(f"{label} has {count}", problems)
    return doc


def _non_finite(value: Any, parts: list) -> Iterator[list]:
    """Paths of NaN and infinite floats (Python allows them; JSON and the checks do not)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield parts
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, parts + [key])
    elif isinstance(value, list):
        for k, item in enumerate(value):
            yield from _non_finite(item, parts + [k])


def _semantic_problems(doc: dict) -> list[Problem]:
    """The checks beyond the schema; tolerant of a document that also fails the schema."""
    out: list[Problem] = []
    sections = doc.get("sections")
    if isinstance(sections, list):
        section_ids: dict[str, str] = {}
        criterion_ids: dict[str, str] = {}
        section_weights = []
        for i, section in enumerate(sections):
            if not isinstance(section, dict):
                continue
            where = f"$.sections[{i}]"
            _unique(section.get("id"), f"{where}.id", section_ids, "section", out)
            section_weights.append(_number(section.get("weight")))
            criteria = section.get("criteria")
            if not isinstance(criteria, list):
                continue
            weights = []
            for j, criterion in enumerate(criteria):
                if not isinstance(criterion, dict):
                    continue
                here = f"{where}.criteria[{j}]"
                _unique(criterion.get("id"), f"{here}.id", criterion_ids, "criterion", out)
                weights.append(_number(criterion.get("weight")))
                out += _criterion_problems(criterion, here)
            label = f"criterion weights of section '{section.get('id')}'"
            _sums_to_100(weights, f"{where}.criteria", label, out)
        _sums_to_100(section_weights, "$.sections", "section weights", out)
    grade_scale = doc.get("grade_scale")
    if isinstance(grade_scale, dict):
        out += _grade_problems(grade_scale)
    return out


def _unique(value: Any, path: str, seen: dict[str, str], what: str, out: list[Problem]) -> None:
    if not isinstance(value, str):
        return
    if value in seen:
        out.append(Problem(path, f"{what} id '{value}' is already used at {seen[value]}"))
    else:
        seen[value] = path


def _sums_to_100(weights: list, path: str, label: str, out: list[Problem]) -> None:
    if not weights or any(w is None for w in weights):
        return  # the schema reports missing or non-numeric weights
    total = math.fsum(weights)
    if abs(total - WEIGHT_TOTAL) > WEIGHT_TOLERANCE:
        out.append(Problem(path, f"{label} sum to {_fmt(round(total, 6))}, not 100"))


def _criterion_problems(criterion: dict, where: str) -> list[Problem]:
    out: list[Problem] = []
    measure = criterion.get("measure") if isinstance(criterion.get("measure"), dict) else {}
    scoring = criterion.get("scoring") if isinstance(criterion.get("scoring"), dict) else {}
    kind, method, way = measure.get("type"), scoring.get("method"), direction(criterion)
    if kind == "indicator":
        key = measure.get("indicator")
        if isinstance(key, str) and key not in INDICATORS:
            known = ", ".join(INDICATORS)
            out.append(
                Problem(f"{where}.measure.indicator", f"unknown indicator '{key}' ({known})")
            )
        for field in ("window", "fallback_window"):
            window = measure.get(field)
            if isinstance(window, str) and window not in WINDOWS:
                known = ", ".join(WINDOWS)
                out.append(
                    Problem(f"{where}.measure.{field}", f"unknown window '{window}' ({known})")
                )
        if measure.get("fallback_window") is not None and measure.get("fallback_window") == (
            measure.get("window")
        ):
            out.append(
                Problem(f"{where}.measure.fallback_window", "the fallback is the window itself")
            )
    if kind in ("indicator", "qualitative") and method in SCORING_METHODS:
        if kind == "qualitative" and method != "qualitative":
            out.append(
                Problem(
                    f"{where}.scoring.method",
                    f"a qualitative measure is scored with method 'qualitative' (the analyst's "
                    f"1-5 score as is), not '{method}'",
                )
            )
        elif kind == "indicator" and method == "qualitative":
            out.append(
                Problem(
                    f"{where}.scoring.method",
                    "method 'qualitative' needs a qualitative measure; score an indicator with "
                    "'percentile_bands' or 'thresholds'",
                )
            )
    if method == "qualitative" and way == "lower_is_better":
        out.append(
            Problem(f"{where}.direction", "a qualitative score is always higher_is_better (5 best)")
        )
    if method == "percentile_bands" and isinstance(scoring.get("bands"), list):
        out += _band_problems(scoring["bands"], f"{where}.scoring.bands", "min_pct", "score")
    if method == "thresholds" and isinstance(scoring.get("thresholds"), list) and way in DIRECTIONS:
        out += _threshold_problems(scoring["thresholds"], f"{where}.scoring.thresholds", way)
    return out


def _band_problems(bands: list, where: str, key: str, result: str) -> list[Problem]:
    """Bands listed best first: `key` strictly decreasing down to 0, `result` not increasing."""
    out: list[Problem] = []
    rows = [(k, b) for k, b in enumerate(bands) if isinstance(b, dict)]
    previous: tuple[float, float | None] | None = None
    for k, band in rows:
        low, value = _number(band.get(key)), _number(band.get(result))
        if low is None:
            previous = None
            continue
        if previous is not None and low >= previous[0]:
            out.append(
                Problem(
                    f"{where}[{k}].{key}", f"must be below the band above ({_fmt(previous[0])})"
                )
            )
        if previous is not None and value is not None and previous[1] is not None:
            if value > previous[1]:
                out.append(
                    Problem(
                        f"{where}[{k}].{result}",
                        f"{_fmt(value)} is above the band above ({_fmt(previous[1])}); "
                        "list bands from best to worst",
                    )
                )
        previous = (low, value)
    if rows:
        last_k, last = rows[-1]
        low = _number(last.get(key))
        if low is not None and low > 0:
            out.append(
                Problem(f"{where}[{last_k}].{key}", "the last band must start at 0 to cover 0")
            )
    return out


def _threshold_problems(thresholds: list, where: str, way: str) -> list[Problem]:
    """Thresholds best first; `min` falling (or `max` rising); only the last is null."""
    out: list[Problem] = []
    key, other = ("min", "max") if way == "higher_is_better" else ("max", "min")
    previous_bound: float | None = None
    previous_score: float | None = None
    last = len(thresholds) - 1
    for k, item in enumerate(thresholds):
        if not isinstance(item, dict):
            continue
        here = f"{where}[{k}]"
        if other in item:
            out.append(Problem(f"{here}.{other}", f"a {way} threshold uses '{key}', not '{other}'"))
        if key not in item:
            out.append(Problem(here, f"needs '{key}' (null on the last threshold)"))
            continue
        bound, score = item[key], _number(item.get("score"))
        if bound is None and k != last:
            out.append(Problem(f"{here}.{key}", "only the last threshold may be null"))
        if bound is not None and k == last:
            out.append(
                Problem(f"{here}.{key}", "the last threshold must be null so every value scores")
            )
        bound = _number(bound)
        if bound is not None and previous_bound is not None:
            worse = bound >= previous_bound if key == "min" else bound <= previous_bound
            if worse:
                relation = "below" if key == "min" else "above"
                out.append(
                    Problem(
                        f"{here}.{key}",
                        f"must be {relation} the threshold above ({_fmt(previous_bound)})",
                    )
                )
        if score is not None and previous_score is not None and score > previous_score:
            out.append(
                Problem(
                    f"{here}.score",
                    f"{_fmt(score)} is above the threshold above ({_fmt(previous_score)}); "
                    "list thresholds from best to worst",
                )
            )
        previous_bound = bound if bound is not None else previous_bound
        previous_score = score if score is not None else previous_score
    return out


def _grade_problems(grade_scale: dict) -> list[Problem]:
    """Grades 5..1 each once, minimums strictly decreasing, the lowest band covering every total."""
    out: list[Problem] = []
    bands = grade_scale.get("bands")
    method = grade_scale.get("method")
    if not isinstance(bands, list) or method not in ("percentile", "thresholds"):
        return out
    where = "$.grade_scale.bands"
    key = "min_pct" if method == "percentile" else "min_score"
    seen: dict[int, int] = {}
    previous_grade: int | None = None
    previous_low: float | None = None
    for k, band in enumerate(bands):
        if not isinstance(band, dict):
            continue
        grade = band.get("grade")
        if isinstance(grade, int) and not isinstance(grade, bool):
            if grade in seen:
                out.append(Problem(f"{where}[{k}].grade", f"grade {grade} appears twice"))
            elif previous_grade is not None and grade > previous_grade:
                out.append(Problem(f"{where}[{k}].grade", "list grades from 5 down to 1"))
            seen.setdefault(grade, k)
            previous_grade = grade
        low = _number(band.get(key))
        if low is not None and previous_low is not None and low >= previous_low:
            out.append(
                Problem(
                    f"{where}[{k}].{key}", f"must be below the band above ({_fmt(previous_low)})"
                )
            )
        previous_low = low if low is not None else previous_low
    missing = [g for g in GRADES if g not in seen]
    if missing:
        listed = ", ".join(str(g) for g in missing)
        label = "grades" if len(missing) > 1 else "grade"
        out.append(Problem(where, f"{label} {listed} missing: each of 1-5 appears once"))
    if bands and isinstance(bands[-1], dict):
        low = _number(bands[-1].get(key))
        floor = 0.0 if key == "min_pct" else LOWEST_TOTAL
        if low is not None and low > floor:
            out.append(
                Problem(
                    f"{where}[{len(bands) - 1}].{key}",
                    f"the last band must start at {_fmt(floor)} or lower so every fund gets a grade",
                )
            )
    return out


# ---------------------------------------------------------------- summary

_TEXT = {
    "en": {
        "head": "Methodology {id}{version}: {name} ({client})",
        "all_clients": "all clients",
        "client": "client {client}",
        "rated": "Rated funds: {rules}.",
        "everyone": "every fund",
        "track": "track record >= {n} months",
        "aum": "AUM >= {aum}",
        "categories": "categories {names}",
        "rule": (
            "Each criterion scores 1-5; section score = sum of criterion weight% x score; "
            "total = sum of section weight% x section score (1-5)."
        ),
        "percentile": (
            "Percentile = rank within the fund's category among rated funds, 0 worst to 100 best "
            "(reversed when lower is better)."
        ),
        "fractions": "Indicator values in % are fractions: 0.12 = 12%.",
        "missing": (
            "Missing input: score {score}, listed; no grade when missing criteria weigh over "
            "{weight}% of the total."
        ),
        "section": "{n}. {name} [{id}] {weight}%",
        "criterion": "- {id} {name}: {weight}% ({effective}% of total); {how}",
        "of_total": "of total",
        "higher_is_better": "higher is better",
        "lower_is_better": "lower is better",
        "fallback": "else {window}",
        "pct": "percentile",
        "value": "value",
        "else": "else",
        "qual_fund": "analyst score 1-5 as is (fund: {criterion})",
        "qual_company": "analyst score 1-5 as is (management company: {criterion})",
        "grade_percentile": "Grade: category percentile of total",
        "grade_thresholds": "Grade: total",
    },
    "ko": {
        "head": "평가방법론 {id}{version}: {name} ({client})",
        "all_clients": "전체 위탁사",
        "client": "위탁사 {client}",
        "rated": "평가대상: {rules}.",
        "everyone": "전체 펀드",
        "track": "운용기간 {n}개월 이상",
        "aum": "순자산 {aum} 이상",
        "categories": "유형 {names}",
        "rule": (
            "항목별 1~5점; 부문점수 = Σ 항목 가중치% x 점수; 종합점수 = Σ 부문 가중치% x 부문점수 (1~5)."
        ),
        "percentile": "백분위 = 평가대상 펀드 중 같은 유형 내 순위, 0 최하 ~ 100 최상 (낮을수록 우수면 반대).",
        "fractions": "% 단위 지표값은 소수로 표기: 0.12 = 12%.",
        "missing": (
            "입력값 없음: {score}점 부여 후 표시; 없는 항목의 가중치 합이 전체의 {weight}%를 넘으면 "
            "등급 없음."
        ),
        "section": "{n}. {name} [{id}] {weight}%",
        "criterion": "- {id} {name}: {weight}% (전체 {effective}%); {how}",
        "higher_is_better": "높을수록 우수",
        "lower_is_better": "낮을수록 우수",
        "fallback": "없으면 {window}",
        "pct": "백분위",
        "value": "값",
        "else": "그 외",
        "qual_fund": "정성평가 점수 1~5 그대로 (펀드: {criterion})",
        "qual_company": "정성평가 점수 1~5 그대로 (운용사: {criterion})",
        "grade_percentile": "등급: 종합점수의 유형 내 백분위",
        "grade_thresholds": "등급: 종합점수",
    },
}


def _name(item: dict, lang: str) -> str:
    first, second = ("name_ko", "name_en") if lang == "ko" else ("name_en", "name_ko")
    return item.get(first) or item.get(second) or item.get("id", "")


def _amount(value: float, lang: str) -> str:
    if lang == "ko" and value >= 1e8 and value % 1e8 == 0:
        return f"{value / 1e8:,.0f}억원"
    return f"{_tidy(value):,}" + ("원" if lang == "ko" else "")


def _steps(pairs: list[tuple[float | None, Any]], sign: str, last_is_else: bool, t: dict) -> str:
    """'>=90->5, >=67.5->4, else 1' from (bound, result) pairs, best first."""
    parts = []
    for k, (bound, result) in enumerate(pairs):
        if k == len(pairs) - 1 and (bound is None or last_is_else):
            parts.append(f"{t['else']} {result}")
        else:
            parts.append(f"{sign}{_fmt(bound)}->{result}")
    return ", ".join(parts)


def _how(section: dict, criterion: dict, t: dict) -> str:
    measure, scoring, way = criterion["measure"], criterion["scoring"], direction(criterion)
    if scoring["method"] == "qualitative":
        template = t["qual_company"] if section["kind"] == "company" else t["qual_fund"]
        return template.format(criterion=measure["criterion"])
    source = f"{measure['indicator']} {measure['window']}"
    if measure.get("fallback_window"):
        source += f" ({t['fallback'].format(window=measure['fallback_window'])})"
    if scoring["method"] == "percentile_bands":
        bands = [(b["min_pct"], b["score"]) for b in scoring["bands"]]
        rule = f"{t['pct']} " + _steps(bands, ">=", bands[-1][0] == 0, t)
    else:
        key = "min" if way == "higher_is_better" else "max"
        pairs = [(item.get(key), item["score"]) for item in scoring["thresholds"]]
        rule = f"{t['value']} " + _steps(pairs, ">=" if key == "min" else "<=", False, t)
    return f"{source}, {t[way]}; {rule}"


def summary(doc: dict, lang: str = "ko") -> str:
    """A compact, exact text of a valid methodology (rules, criteria, weights, bands) in ko or en."""
    t = _TEXT["ko" if lang == "ko" else "en"]
    name = doc["name"] if lang == "ko" else doc.get("name_en") or doc["name"]
    version = f" v{doc['version']}" if doc.get("version") else ""
    client = t["client"].format(client=doc["client"]) if doc.get("client") else t["all_clients"]
    lines = [t["head"].format(id=doc["id"], version=version, name=name, client=client)]
    rules = []
    eligibility = doc.get("eligibility") or {}
    if "min_track_record_months" in eligibility:
        rules.append(t["track"].format(n=eligibility["min_track_record_months"]))
    if "min_aum" in eligibility:
        rules.append(t["aum"].format(aum=_amount(eligibility["min_aum"], lang)))
    if eligibility.get("categories"):
        rules.append(t["categories"].format(names=", ".join(eligibility["categories"])))
    lines.append(t["rated"].format(rules="; ".join(rules) or t["everyone"]))
    lines.append(t["rule"])
    uses_percentile = doc["grade_scale"]["method"] == "percentile" or any(
        c["scoring"]["method"] == "percentile_bands" for _, c in iter_criteria(doc)
    )
    if uses_percentile:
        lines.append(t["percentile"])
    if any(
        c["scoring"]["method"] == "thresholds" and INDICATORS[c["measure"]["indicator"]].unit == "%"
        for _, c in iter_criteria(doc)
    ):
        lines.append(t["fractions"])
    score, weight = missing_rule(doc)
    lines.append(t["missing"].format(score=_fmt(score), weight=_fmt(weight)))
    for n, section in enumerate(doc["sections"], start=1):
        lines.append(
            t["section"].format(
                n=n, name=_name(section, lang), id=section["id"], weight=_fmt(section["weight"])
            )
        )
        for criterion in section["criteria"]:
            lines.append(
                t["criterion"].format(
                    id=criterion["id"],
                    name=_name(criterion, lang),
                    weight=_fmt(criterion["weight"]),
                    effective=_fmt(round(effective_weight(section, criterion), 4)),
                    how=_how(section, criterion, t),
                )
            )
    grade_scale = doc["grade_scale"]
    if grade_scale["method"] == "percentile":
        bands = [(b["min_pct"], b["grade"]) for b in grade_scale["bands"]]
        lines.append(f"{t['grade_percentile']} " + _steps(bands, ">=", bands[-1][0] == 0, t))
    else:
        bands = [(b["min_score"], b["grade"]) for b in grade_scale["bands"]]
        last_is_else = bands[-1][0] <= LOWEST_TOTAL
        lines.append(f"{t['grade_thresholds']} " + _steps(bands, ">=", last_is_else, t))
    return "\n".join(lines)


# ---------------------------------------------------------------- criteria table


def _bands_text(criterion: dict) -> str:
    """'90:5, 67.5:4, 0:1' (percentile bands) or '1:5, 0.5:3, *:1' (thresholds; * = null)."""
    scoring = criterion["scoring"]
    if scoring["method"] == "percentile_bands":
        return ", ".join(f"{_fmt(b['min_pct'])}:{b['score']}" for b in scoring["bands"])
    if scoring["method"] == "thresholds":
        key = "min" if direction(criterion) == "higher_is_better" else "max"
        parts = []
        for item in scoring["thresholds"]:
            bound = item.get(key)
            parts.append(f"{ANY_VALUE if bound is None else _fmt(bound)}:{item['score']}")
        return ", ".join(parts)
    return ""


def criteria(doc: dict) -> pd.DataFrame:
    """One row per criterion (CRITERIA_COLUMNS): the table the methodology editor shows.

    `weight` is the percent of its section, `effective_weight` the percent of the total;
    `bands` is '90:5, 67.5:4, …' (min_pct:score) or '1.0:5, 0.5:4, *:1' (bound:score, * = any).
    """
    rows = []
    for section, criterion in iter_criteria(doc):
        measure = criterion["measure"]
        is_indicator = measure["type"] == "indicator"
        rows.append(
            {
                "section": section["id"],
                "criterion": criterion["id"],
                "name_ko": criterion.get("name_ko"),
                "name_en": criterion.get("name_en"),
                "weight": float(criterion["weight"]),
                "effective_weight": effective_weight(section, criterion),
                "measure": measure["type"],
                "indicator": measure.get("indicator") if is_indicator else None,
                "window": measure.get("window") if is_indicator else None,
                "fallback_window": measure.get("fallback_window") if is_indicator else None,
                "qualitative": None if is_indicator else measure.get("criterion"),
                "direction": direction(criterion),
                "scoring": criterion["scoring"]["method"],
                "bands": _bands_text(criterion),
            }
        )
    return pd.DataFrame(rows, columns=CRITERIA_COLUMNS)


def _cell(value: Any) -> Any:
    """A table cell as a plain value: None for empty/NaN, stripped text, Python numbers."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value.item() if hasattr(value, "item") else value


def _parse_bands(text: str | None, method: str, way: str, path: str) -> list[dict]:
    """The `bands` cell back into bands (percentile_bands) or thresholds."""
    if not text:
        raise MethodologyError("criteria table", [Problem(path, f"{method} needs bands")])
    out = []
    key = (
        "min_pct" if method == "percentile_bands" else "min" if way == "higher_is_better" else "max"
    )
    for k, part in enumerate(p.strip() for p in str(text).split(",")):
        bound_text, sep, score_text = part.partition(":")
        try:
            if not sep:
                raise ValueError(part)
            bound = None if bound_text.strip() == ANY_VALUE else _tidy(float(bound_text))
            score = _tidy(float(score_text))
            if method == "percentile_bands" and bound is None:
                raise ValueError(part)
        except ValueError:
            example = "90:5, 67.5:4, 0:1" if method == "percentile_bands" else "1.0:5, 0.5:3, *:1"
            message = f"cannot read band {k + 1} '{part}': write bound:score, e.g. '{example}'"
            raise MethodologyError("criteria table", [Problem(path, message)]) from None
        out.append({key: bound, "score": score})
    return out


def from_criteria(doc: dict, frame: pd.DataFrame) -> dict:
    """A copy of `doc` whose criteria are the rows of `frame` (as edited in the table editor).

    Rows are grouped by `section` (which must exist), in table order; `effective_weight` is
    ignored. Keys the table does not show (e.g. "x-source") are kept for criterion ids that
    already existed. Raises MethodologyError for a cell it cannot read; validate the result.
    """
    out = copy.deepcopy(doc)
    sections = {s["id"]: (i, s) for i, s in enumerate(out["sections"])}
    before = {c["id"]: c for _, c in iter_criteria(doc)}
    rebuilt: dict[str, list[dict]] = {sid: [] for sid in sections}
    rows_seen = dict.fromkeys(sections, 0)
    problems: list[Problem] = []
    for number, row in enumerate(frame.to_dict("records"), start=1):
        row = {k: _cell(v) for k, v in row.items()}
        if row.get("section") not in sections:
            known = ", ".join(sections)
            problems.append(
                Problem(
                    "$.sections", f"row {number}: unknown section '{row.get('section')}' ({known})"
                )
            )
            continue
        index, _ = sections[row["section"]]
        path = f"$.sections[{index}].criteria[{rows_seen[row['section']]}]"
        rows_seen[row["section"]] += 1
        try:
            rebuilt[row["section"]].append(_criterion_from_row(row, before, path))
        except MethodologyError as exc:
            problems += [Problem(p.path, f"row {number}: {p.message}") for p in exc.problems]
    if problems:
        raise MethodologyError("the criteria table cannot be read", problems)
    for sid, (_, section) in sections.items():
        section["criteria"] = rebuilt[sid]
    return out


def _criterion_from_row(row: dict, before: dict[str, dict], path: str) -> dict:
    old = before.get(row.get("criterion"), {})
    criterion = copy.deepcopy(old)
    criterion["id"] = row.get("criterion")
    for key in ("name_ko", "name_en"):
        if row.get(key) is not None:
            criterion[key] = row[key]
        else:
            criterion.pop(key, None)
    if row.get("weight") is None:
        raise MethodologyError("criteria table", [Problem(f"{path}.weight", "weight is empty")])
    try:
        criterion["weight"] = _tidy(float(row["weight"]))
    except (TypeError, ValueError):
        message = f"weight '{row['weight']}' is not a number"
        raise MethodologyError("criteria table", [Problem(f"{path}.weight", message)]) from None
    old_measure = old.get("measure", {})
    measure = {k: v for k, v in old_measure.items() if k.startswith("x-")}
    measure["type"] = row.get("measure") or "indicator"
    if measure["type"] == "indicator":
        measure["indicator"] = row.get("indicator")
        measure["window"] = row.get("window")
        if row.get("fallback_window"):
            measure["fallback_window"] = row["fallback_window"]
    else:
        measure["criterion"] = row.get("qualitative")
    criterion["measure"] = measure
    way = row.get("direction") or DEFAULT_DIRECTION
    if "direction" in old or way != DEFAULT_DIRECTION:
        criterion["direction"] = way
    old_scoring = old.get("scoring", {})
    scoring = {k: v for k, v in old_scoring.items() if k.startswith("x-")}
    scoring["method"] = row.get("scoring") or "percentile_bands"
    if scoring["method"] == "percentile_bands":
        scoring["bands"] = _parse_bands(
            row.get("bands"), "percentile_bands", way, f"{path}.scoring"
        )
    elif scoring["method"] == "thresholds":
        scoring["thresholds"] = _parse_bands(row.get("bands"), "thresholds", way, f"{path}.scoring")
    criterion["scoring"] = scoring
    return criterion


# ---------------------------------------------------------------- diff


def _keyed(items: list) -> bool:
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    return all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids)


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _diff(a: Any, b: Any, parts: list, out: list[dict]) -> None:
    def add(change: str, where: list, old: Any, new: Any) -> None:
        out.append({"path": json_path(where), "change": change, "old": old, "new": new})

    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if not parts and key == "version":
                continue
            if key not in b:
                add("removed", parts + [key], a[key], None)
            elif key not in a:
                add("added", parts + [key], None, b[key])
            else:
                _diff(a[key], b[key], parts + [key], out)
    elif isinstance(a, list) and isinstance(b, list) and a and b and _keyed(a) and _keyed(b):
        old_at = {item["id"]: k for k, item in enumerate(a)}
        new_ids = {item["id"] for item in b}
        for k, item in enumerate(a):
            if item["id"] not in new_ids:
                add("removed", parts + [k], item, None)
        for k, item in enumerate(b):
            if item["id"] in old_at:
                _diff(a[old_at[item["id"]]], item, parts + [k], out)
            else:
                add("added", parts + [k], None, item)
        common_old = [item["id"] for item in a if item["id"] in new_ids]
        common_new = [item["id"] for item in b if item["id"] in old_at]
        if common_old != common_new:
            add("reordered", parts, common_old, common_new)
    elif isinstance(a, list) and isinstance(b, list):
        for k in range(max(len(a), len(b))):
            if k >= len(b):
                add("removed", parts + [k], a[k], None)
            elif k >= len(a):
                add("added", parts + [k], None, b[k])
            else:
                _diff(a[k], b[k], parts + [k], out)
    elif not _same(a, b):
        add("changed", parts, a, b)


def diff(a: dict, b: dict) -> list[dict]:
    """Field-level differences from `a` to `b`: dicts {path, change, old, new}.

    change is "added", "removed", "changed" or "reordered" (a list of sections or criteria
    whose common ids changed order). Sections and criteria are matched by id, other lists by
    position; paths index into `b` (into `a` for removed items). The top-level version is not
    compared.
    """
    out: list[dict] = []
    _diff(a, b, [], out)
    return out


# ---------------------------------------------------------------- blank


def blank(lang: str = "ko") -> dict:
    """A valid minimal methodology to start writing one by hand (one criterion, 100 %)."""
    bands = [{"min_pct": low, "score": score} for low, score in DEFAULT_SCORE_BANDS]
    grades = [{"grade": score, "min_pct": low} for low, score in DEFAULT_SCORE_BANDS]
    doc = {
        "id": "new-methodology",
        "name": "새 평가방법론" if lang == "ko" else "New methodology",
        "language": "ko" if lang == "ko" else "en",
        "client": None,
        "eligibility": {"min_track_record_months": 36},
        "sections": [
            {
                "id": "quantitative",
                "kind": "quantitative",
                "name_ko": "정량평가",
                "name_en": "Quantitative",
                "weight": 100,
                "criteria": [
                    {
                        "id": "sharpe_3y",
                        "name_ko": "샤프지수(3년)",
                        "name_en": "Sharpe ratio (3y)",
                        "weight": 100,
                        "measure": {"type": "indicator", "indicator": "sharpe", "window": "3y"},
                        "direction": "higher_is_better",
                        "scoring": {"method": "percentile_bands", "bands": bands},
                    }
                ],
            }
        ],
        "grade_scale": {"method": "percentile", "bands": grades},
    }
    if lang == "ko":
        doc["name_en"] = "New methodology"
    return doc
