"""The methodology document: the format's rules, loading and validation, and the public API.

A methodology is one JSON document (docs/methodology-format.md), checked in two steps:
`engine/schemas/methodology.schema.json` (structure, via jsonschema draft 2020-12) and the
semantic checks below (weights, unique ids, band order, grades, indicator keys). Both report a
`Problem` with the JSON path of the offending field, e.g. `$.sections[0].criteria[2].weight`.

The package `engine.methodology` offers these names together with those of its other modules;
modules inside the package import from here, never from the package, so there is no cycle.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from engine.data.metrics import INDICATORS, WINDOWS
from engine.schemas import load_schema

WEIGHT_TOTAL = 100.0
WEIGHT_TOLERANCE = 0.01
DEFAULT_DIRECTION = "higher_is_better"
DEFAULT_MISSING_SCORE = 3.0  # a criterion without input scores neutral ...
DEFAULT_MAX_MISSING_WEIGHT = 30.0  # ... and over this % of total weight missing means no grade
LOWEST_TOTAL = 1.0  # weighted totals are on the 1-5 scale
GRADES = (5, 4, 3, 2, 1)  # the 1-5 scale, best first, as a grade scale lists its bands
GRADES_ASCENDING = tuple(sorted(GRADES))  # 1 … 5: counts, tables and confusion matrices
PROBLEMS_IN_MESSAGE = 3
SECTION_KINDS = ("quantitative", "qualitative", "company", "esg")
SCORING_METHODS = ("percentile_bands", "thresholds", "qualitative")
DIRECTIONS = ("higher_is_better", "lower_is_better")
DEFAULT_SCORE_BANDS = ((90, 5), (67.5, 4), (32.5, 3), (10, 2), (0, 1))  # (min_pct, score)
KNOWN_VALID = 32  # documents `check` remembers as valid
# repr of the documents `check` found valid, newest last. Unlike JSON text, repr tells a tuple
# from a list and 1 from 1.0 or True, which the schema also tells apart.
_VALID: OrderedDict[str, None] = OrderedDict()
_VALID_LOCK = threading.Lock()


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


def fmt_number(value: Any) -> str:
    """A number as written by a person: 30, 67.5, 0.1 (never 30.0 or 1e+10)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def tidy_number(value: float) -> int | float:
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


def measure_windows(measure: dict) -> list[str]:
    """The windows a (valid) indicator measure reads, in order: its window, then its fallback."""
    return [w for w in (measure["window"], measure.get("fallback_window")) if w is not None]


def windows_needed(doc: dict) -> list[str]:
    """The indicator windows a (valid) methodology reads, in WINDOWS order."""
    used = set()
    for _, criterion in iter_criteria(doc):
        measure = criterion["measure"]
        if measure["type"] == "indicator":
            used.update(measure_windows(measure))
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
    """`doc` itself when valid, else MethodologyError listing every problem.

    A document equal to one of the last KNOWN_VALID found valid is not validated again: the
    scorer checks its methodology on every call (~8 ms of schema checks each time)."""
    key = repr(doc)
    with _VALID_LOCK:
        if key in _VALID:
            _VALID.move_to_end(key)
            return doc
    problems = validate(doc)
    if problems:
        name = doc.get("id") if isinstance(doc, dict) else None
        label = f"methodology '{name}'" if isinstance(name, str) else "the methodology"
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        raise MethodologyError(f"{label} has {count}", problems)
    with _VALID_LOCK:
        _VALID[key] = None
        if len(_VALID) > KNOWN_VALID:
            _VALID.popitem(last=False)
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
        out.append(Problem(path, f"{label} sum to {fmt_number(round(total, 6))}, not 100"))


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
                    f"{where}[{k}].{key}",
                    f"must be below the band above ({fmt_number(previous[0])})",
                )
            )
        if previous is not None and value is not None and previous[1] is not None:
            if value > previous[1]:
                out.append(
                    Problem(
                        f"{where}[{k}].{result}",
                        f"{fmt_number(value)} is above the band above ({fmt_number(previous[1])}); "
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
                        f"must be {relation} the threshold above ({fmt_number(previous_bound)})",
                    )
                )
        if score is not None and previous_score is not None and score > previous_score:
            out.append(
                Problem(
                    f"{here}.score",
                    f"{fmt_number(score)} is above the threshold above ({fmt_number(previous_score)}); "
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
                    f"{where}[{k}].{key}",
                    f"must be below the band above ({fmt_number(previous_low)})",
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
                    f"the last band must start at {fmt_number(floor)} or lower so every fund gets a grade",
                )
            )
    return out
